//! A comment as an ActivityPub `Note` with `inReplyTo`: how we serve ours, and the gate every
//! comment from outside passes (`ApubComment::judge`, under the rules of `ingest`).

use super::freshness;
use super::post::ApubPost;
use crate::ingest::{self, Admission, Held, Teller, Verdict, is_comment_kind};
use crate::protocol::objects::Note;
use crate::protocol::{LanguageTag, PUBLIC, Source};
use crate::received::InboxError;
use crate::urls::same_origin;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::{DateTime, Utc};
use hearth_db::comment::{CommentRow, NewComment};
use hearth_db::community::CommunityRow;
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
        match hearth_db::comment::find(&ctx.pool, id, None).await? {
            Some(row) => Self::with_refresh(ctx, row).await.map(Some),
            None => Ok(None),
        }
    }

    /// Wraps a row read just now, with when it is due to be fetched again.
    async fn with_refresh(
        ctx: &ServiceContext,
        row: hearth_db::comment::CommentRow,
    ) -> anyhow::Result<Self> {
        let fetched = hearth_db::comment::last_refreshed_at(&ctx.pool, row.id)
            .await?
            .unwrap_or_else(Utc::now);
        let refresh = freshness(ctx, row.local, fetched);
        Ok(Self {
            id: Url::parse(&row.ap_id)?,
            row,
            refresh,
        })
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
        match hearth_db::comment::find_by_ap_id(&data.pool, id.as_str(), None).await? {
            Some(row) => Self::with_refresh(data, row).await.map(Some),
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
        // Objects share shapes: without this a Person could be stored as a community.
        anyhow::ensure!(
            is_comment_kind(&json.kind),
            "{} is a {}, not a comment",
            json.id,
            json.kind
        );
        same_origin(&json.id, expected)?;
        Ok(())
    }

    /// Fetched by its id from its own server: stored through the gate.
    async fn from_json(json: Note, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        let id = json.id.clone();
        let stored = match Self::judge(json, Teller::Origin, data).await? {
            Verdict::Keep(id) => id,
            Verdict::Write(write) => {
                let mut tx = data.pool.begin().await?;
                let stored = write.store(&mut tx).await?;
                tx.commit().await?;
                stored
            }
            Verdict::Ignore | Verdict::NeedsParent(_) => {
                anyhow::bail!("{id} is not a comment this server keeps")
            }
        };
        Self::load(data, stored)
            .await?
            .ok_or_else(|| anyhow::anyhow!("comment {stored} vanished"))
    }
}

/// A comment from outside that passed the gate, ready to be stored.
#[derive(Debug)]
pub(crate) struct CommentWrite {
    /// The community its thread lives in.
    pub(crate) community: CommunityRow,
    /// Its author.
    pub(crate) author: Url,
    held: Option<i64>,
    ap_id: Url,
    post_id: i64,
    parent_id: Option<i64>,
    author_id: i64,
    body: String,
    body_html: String,
    language: Option<String>,
    published: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    /// The ids its tags, `to` and `cc` name (see `objects::mentioned`).
    mentioned: Vec<String>,
}

impl CommentWrite {
    /// Stores the comment (new, or the changed version of one we hold) in `conn`'s transaction,
    /// with the people it mentions; the local author it answers and local people it mentions
    /// are notified (once per comment, however often it arrives).
    pub(crate) async fn store(&self, conn: &mut sqlx::PgConnection) -> Result<i64, InboxError> {
        let id = self.upsert(conn).await?;
        hearth_db::mention::set_for_comment(&mut *conn, id, &self.mentioned).await?;
        hearth_db::notification::for_comment(&mut *conn, id).await?;
        Ok(id)
    }

    async fn upsert(&self, conn: &mut sqlx::PgConnection) -> Result<i64, InboxError> {
        if let Some(id) = self.held {
            hearth_db::comment::refresh_remote(
                &mut *conn,
                id,
                &self.body,
                &self.body_html,
                self.updated,
            )
            .await?;
            return Ok(id);
        }
        hearth_db::comment::insert(
            conn,
            &NewComment {
                ap_id: Some(self.ap_id.as_str()),
                local: false,
                post_id: self.post_id,
                parent_id: self.parent_id,
                author_id: self.author_id,
                body: &self.body,
                body_html: &self.body_html,
                language: self.language.as_deref(),
                published: self.published,
            },
            "",
        )
        .await?
        .ok_or_else(|| InboxError::unreadable("The comment answers a comment of another post."))
    }
}

impl ApubComment {
    /// The gate for comments from outside (see `ingest`): whether `teller` may create or change
    /// this comment. Permissions are judged against the community of the thread the comment
    /// lives in (a held comment's own), never the one an activity is addressed to.
    pub(crate) async fn judge(
        note: Note,
        teller: Teller<'_>,
        data: &Data<ServiceContext>,
    ) -> Result<Verdict<CommentWrite>, InboxError> {
        if !is_comment_kind(&note.kind) {
            return Err(InboxError::unreadable(format!(
                "{} is a {}, not a comment",
                note.id, note.kind
            )));
        }
        match ingest::admit(&note.id, &note.attributed_to, &teller, data).await? {
            Admission::Refetched(note) => {
                return Box::pin(Self::judge(note, Teller::Origin, data)).await;
            }
            Admission::Tombstoned => return Ok(Verdict::Ignore),
            Admission::Admitted => {}
        }
        let held = match hearth_db::comment::id_by_ap_id(&data.pool, note.id.as_str()).await? {
            Some(id) => hearth_db::comment::find(&data.pool, id, None).await?,
            None => None,
        };
        // The thread it belongs to: a held comment's own, else its parent's.
        let (post_id, parent_id) = match &held {
            Some(row) => (row.post_id, row.parent_id),
            None => match parent_of(&note, &teller, data).await? {
                Parent::Held(post, parent) => (post, parent),
                Parent::Missing(url) => return Ok(Verdict::NeedsParent(url)),
                Parent::Gone => return Ok(Verdict::Ignore),
            },
        };
        let post = hearth_db::post::find(&data.pool, post_id, None)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("post {post_id} vanished")))?;
        let community = ingest::community(post.community_id, data).await?;
        if let Some(row) = &held {
            let facts = Held {
                local: row.local,
                ap_id: &row.ap_id,
                author_ap_id: &row.author_ap_id,
                community_id: post.community_id,
                gone: row.deleted || row.removed,
                edited_at: row.edited_at,
            };
            if !ingest::may_change(&facts, &note.attributed_to, note.updated, &teller)? {
                return Ok(Verdict::Keep(row.id));
            }
        } else {
            match teller {
                Teller::Community { community: c, .. } if c.id != community.id => {
                    return Err(InboxError::refused(
                        "not_community_content",
                        "A community may only announce its own content.",
                    ));
                }
                // A community's collection holds that community's comments only.
                Teller::Collection { community: c, .. } if c.id != community.id => {
                    return Ok(Verdict::Ignore);
                }
                _ => {}
            }
        }
        match teller {
            Teller::Author { .. } if !community.local => return Ok(Verdict::Ignore),
            Teller::Author { .. } => {}
            // Comments reach our own communities only through their inbox.
            _ if community.local => {
                return Ok(held.map_or(Verdict::Ignore, |row| Verdict::Keep(row.id)));
            }
            _ => {}
        }
        let author = ingest::person(&note.attributed_to, data).await?;
        if matches!(teller, Teller::Author { .. }) {
            let viewer = ingest::viewer_for(&author);
            let rules = if held.is_none() {
                let thread = hearth_service::content::Thread {
                    gone: post.deleted || post.removed,
                    locked: post.locked,
                };
                hearth_service::content::may_comment(data, &viewer, &community, thread).await
            } else {
                // An edit: the thread may have been locked since, but bans still hold.
                hearth_service::content::may_edit(data, &viewer, &community).await
            };
            rules.map_err(InboxError::Refused)?;
        }
        let (body, body_html) = super::content_text(
            note.content.as_deref(),
            note.media_type.as_deref(),
            note.source.as_ref(),
        );
        Ok(Verdict::Write(CommentWrite {
            community,
            held: held.map(|row| row.id),
            post_id,
            parent_id,
            author_id: author.row.id,
            body,
            body_html,
            language: note.language.as_ref().map(|l| l.identifier.clone()),
            published: note.published.map(|p| p.min(Utc::now())),
            updated: note.updated,
            mentioned: super::mentioned(note.tag.as_ref(), &note.to, &note.cc),
            author: note.attributed_to,
            ap_id: note.id,
        }))
    }
}

/// Where a new comment hangs.
enum Parent {
    /// Under this post, answering this comment (or the post itself).
    Held(i64, Option<i64>),
    /// Its parent has not reached us, in one of our communities.
    Missing(Url),
    /// Its parent was deleted before it reached us: it never will, and neither do replies.
    Gone,
}

/// The post a new comment belongs to and the comment it answers. A parent we do not hold is
/// fetched from its own server, except in our own communities (`Parent::Missing`: the activity
/// that brought the reply applies the parent first, as its author's).
async fn parent_of(
    note: &Note,
    teller: &Teller<'_>,
    data: &Data<ServiceContext>,
) -> Result<Parent, InboxError> {
    let parent = note.in_reply_to.as_str();
    if let Some((post, comment)) = held_parent(parent, data).await? {
        return Ok(Parent::Held(post, comment));
    }
    if hearth_db::federation::is_tombstoned(&data.pool, parent).await? {
        return Ok(Parent::Gone);
    }
    if matches!(teller, Teller::Author { .. }) {
        return Ok(Parent::Missing(note.in_reply_to.clone()));
    }
    let url = note.in_reply_to.clone();
    match ObjectId::<ApubPost>::from(url.clone())
        .dereference(data)
        .await
    {
        Ok(post) => Ok(Parent::Held(post.row.id, None)),
        Err(_) => {
            let comment = ObjectId::<ApubComment>::from(url).dereference(data).await?;
            Ok(Parent::Held(comment.row.post_id, Some(comment.row.id)))
        }
    }
}

/// The post and comment a reply answers, when we hold the comment or post `parent`.
pub(crate) async fn held_parent(
    parent: &str,
    data: &Data<ServiceContext>,
) -> Result<Option<(i64, Option<i64>)>, InboxError> {
    if let Some(comment) = hearth_db::comment::id_by_ap_id(&data.pool, parent).await? {
        let facts = hearth_db::comment::facts(&data.pool, comment)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("comment {comment} vanished")))?;
        return Ok(Some((facts.post_id, Some(comment))));
    }
    Ok(hearth_db::post::id_by_ap_id(&data.pool, parent)
        .await?
        .map(|post| (post, None)))
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
    let mentions = hearth_db::mention::of_comment(&mut *conn, row.id).await?;
    let (tag, mentioned) = super::mention_tags(&mentions);
    let mut cc = vec![community.clone(), parent_author];
    for person in mentioned {
        if !cc.contains(&person) {
            cc.push(person);
        }
    }
    Ok(Note {
        kind: "Note".to_owned(),
        id: Url::parse(&row.ap_id)?,
        attributed_to: author,
        to: vec![Url::parse(PUBLIC)?],
        cc,
        audience: Some(community),
        in_reply_to,
        content: Some(row.body_html.clone()),
        media_type: Some("text/html".to_owned()),
        source: Some(Source::markdown(&row.body)),
        tag,
        distinguished: Some(false),
        language: row.language.clone().map(|identifier| LanguageTag {
            identifier,
            name: None,
        }),
        published: Some(row.published_at),
        updated: row.edited_at,
    })
}
