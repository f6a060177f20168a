//! A comment as an ActivityPub `Note` with `inReplyTo`.

use super::freshness;
use super::person::ApubPerson;
use super::post::ApubPost;
use crate::protocol::objects::Note;
use crate::protocol::{LanguageTag, PUBLIC, Source};
use crate::urls::same_origin;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::{DateTime, Utc};
use hearth_db::comment::{CommentRow, NewComment};
use hearth_service::ServiceContext;
use url::Url;

/// A comment row with its id parsed.
#[derive(Debug, Clone)]
pub struct ApubComment {
    /// The stored comment.
    pub row: CommentRow,
    id: Url,
    refresh: Option<DateTime<Utc>>,
}

impl ApubComment {
    /// Loads a comment by its database id.
    pub async fn load(ctx: &ServiceContext, id: i64) -> anyhow::Result<Option<Self>> {
        let Some(row) = hearth_db::comment::find(&ctx.pool, id, None).await? else {
            return Ok(None);
        };
        let fetched = hearth_db::comment::last_refreshed_at(&ctx.pool, id)
            .await?
            .unwrap_or_else(Utc::now);
        let refresh = freshness(ctx, row.local, fetched);
        Ok(Some(Self {
            id: Url::parse(&row.ap_id)?,
            row,
            refresh,
        }))
    }

    /// True when its author deleted it or a moderator removed it.
    pub fn gone(&self) -> bool {
        self.row.deleted || self.row.removed
    }
}

#[async_trait::async_trait]
impl Object for ApubComment {
    type DataType = ServiceContext;
    type Kind = Note;
    type Error = anyhow::Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.refresh
    }

    fn is_deleted(&self) -> bool {
        self.gone()
    }

    /// Its home server answered 410: the comment is gone there, so it is gone here.
    async fn delete(&self, data: &Data<ServiceContext>) -> anyhow::Result<()> {
        if !self.row.local {
            hearth_db::comment::mark_deleted(&data.pool, self.row.id).await?;
            hearth_db::comment::touch_refreshed(&data.pool, self.row.id).await?;
        }
        Ok(())
    }

    async fn read_from_id(id: Url, data: &Data<ServiceContext>) -> anyhow::Result<Option<Self>> {
        match hearth_db::comment::id_by_ap_id(&data.pool, id.as_str()).await? {
            Some(comment) => Self::load(data, comment).await,
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<Note> {
        let mut conn = data.pool.acquire().await?;
        note_of(&mut conn, &self.row).await
    }

    async fn verify(
        json: &Note,
        expected: &Url,
        _data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        // Objects share shapes: without this a Person could be stored as a community, or a
        // reply as a post.
        anyhow::ensure!(
            matches!(json.kind.as_str(), "Note" | "Comment" | "Article"),
            "{} is a {}, not a comment",
            json.id,
            json.kind
        );
        same_origin(&json.id, expected)?;
        same_origin(&json.attributed_to, &json.id)?;
        Ok(())
    }

    async fn from_json(json: Note, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        let author = ObjectId::<ApubPerson>::from(json.attributed_to.clone())
            .dereference(data)
            .await?;
        // The parent is a post or a comment; whichever we hold or can fetch.
        let (post_id, parent_id) =
            match hearth_db::comment::id_by_ap_id(&data.pool, json.in_reply_to.as_str()).await? {
                Some(parent) => (parent_post(data, parent).await?, Some(parent)),
                None => match ObjectId::<ApubPost>::from(json.in_reply_to.clone())
                    .dereference(data)
                    .await
                {
                    Ok(post) => (post.row.id, None),
                    Err(_) => {
                        let parent = ObjectId::<ApubComment>::from(json.in_reply_to.clone())
                            .dereference(data)
                            .await?;
                        (parent.row.post_id, Some(parent.row.id))
                    }
                },
            };
        let in_local_community = hearth_db::post::find(&data.pool, post_id, None)
            .await?
            .is_some_and(|p| p.community_local);
        anyhow::ensure!(
            !in_local_community,
            "{} answers in one of our communities; that takes the community's inbox",
            json.id
        );
        let (body, body_html) = super::content_text(
            json.content.as_deref(),
            json.media_type.as_deref(),
            json.source.as_ref(),
        );
        if let Some(existing) =
            hearth_db::comment::id_by_ap_id(&data.pool, json.id.as_str()).await?
        {
            hearth_db::comment::refresh_remote(
                &data.pool,
                existing,
                &body,
                &body_html,
                json.updated,
            )
            .await?;
            return Self::load(data, existing)
                .await?
                .ok_or_else(|| anyhow::anyhow!("comment {existing} vanished"));
        }
        let language = json.language.as_ref().map(|l| l.identifier.clone());
        let mut tx = data.pool.begin().await?;
        let id = hearth_db::comment::insert(
            &mut tx,
            &NewComment {
                ap_id: Some(json.id.as_str()),
                local: false,
                post_id,
                parent_id,
                author_id: author.row.id,
                body: &body,
                body_html: &body_html,
                language: language.as_deref(),
                published: json.published.map(|p| p.min(Utc::now())),
            },
            "",
        )
        .await?
        .ok_or_else(|| anyhow::anyhow!("{} answers a comment of another post", json.id))?;
        tx.commit().await?;
        Self::load(data, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("comment {id} vanished"))
    }
}

/// A comment as a `Note`, as Lemmy emits it: addressed to the public, with the community and
/// the parent's author (Mastodon needs that for reply notifications) in `cc`.
pub async fn note_of(conn: &mut sqlx::PgConnection, row: &CommentRow) -> anyhow::Result<Note> {
    let post = hearth_db::post::find(&mut *conn, row.post_id, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("comment {} has no post", row.id))?;
    let community = Url::parse(&post.community_ap_id)?;
    let (in_reply_to, parent_author) = match row.parent_id {
        Some(parent) => {
            let parent = hearth_db::comment::find(&mut *conn, parent, None)
                .await?
                .ok_or_else(|| anyhow::anyhow!("comment {} lost its parent", row.id))?;
            (
                Url::parse(&parent.ap_id)?,
                Url::parse(&parent.author_ap_id)?,
            )
        }
        None => (Url::parse(&post.ap_id)?, Url::parse(&post.author_ap_id)?),
    };
    let author = Url::parse(&row.author_ap_id)?;
    Ok(Note {
        kind: "Note".to_owned(),
        id: Url::parse(&row.ap_id)?,
        attributed_to: author,
        to: vec![Url::parse(PUBLIC)?],
        cc: vec![community.clone(), parent_author],
        audience: Some(community),
        in_reply_to,
        content: Some(row.body_html.clone()),
        media_type: Some("text/html".to_owned()),
        source: Some(Source::markdown(&row.body)),
        tag: None,
        distinguished: Some(false),
        language: row.language.clone().map(|identifier| LanguageTag {
            identifier,
            name: None,
        }),
        published: Some(row.published_at),
        updated: row.edited_at,
    })
}

async fn parent_post(ctx: &ServiceContext, comment: i64) -> anyhow::Result<i64> {
    Ok(hearth_db::comment::facts(&ctx.pool, comment)
        .await?
        .ok_or_else(|| anyhow::anyhow!("comment {comment} vanished"))?
        .post_id)
}
