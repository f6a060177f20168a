//! A post as an ActivityPub `Page` (and, accepted, the other types servers use for posts): how
//! we serve ours, and the gate every post from outside passes (`ApubPost::judge`, under the
//! rules of `ingest`).

use super::community::ApubCommunity;
use super::freshness;
use crate::ingest::{self, Admission, Held, Teller, Verdict, is_post_kind};
use crate::protocol::objects::{Attachment, Page};
use crate::protocol::{LanguageTag, OneOrMany, PUBLIC, Source, is_public};
use crate::received::InboxError;
use crate::urls::same_origin;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::{DateTime, Utc};
use hearth_db::community::CommunityRow;
use hearth_db::mention::Mentioned;
use hearth_db::post::{NewPost, PostRow};
use hearth_service::ServiceContext;
use url::Url;

/// A post row with its id parsed.
#[derive(Debug, Clone)]
pub struct ApubPost {
    /// The stored post.
    pub row: PostRow,
    id: Url,
    refresh: Option<DateTime<Utc>>,
}

impl ApubPost {
    /// Loads a post by its database id.
    pub async fn load(ctx: &ServiceContext, id: i64) -> anyhow::Result<Option<Self>> {
        let Some(row) = hearth_db::post::find(&ctx.pool, id, None).await? else {
            return Ok(None);
        };
        let fetched = hearth_db::post::last_refreshed_at(&ctx.pool, id)
            .await?
            .unwrap_or_else(Utc::now);
        let refresh = freshness(ctx, row.local, fetched);
        Ok(Some(Self {
            id: Url::parse(&row.ap_id)?,
            row,
            refresh,
        }))
    }

    /// Wraps a row of one of our own posts (never refetched, so no refresh time is needed).
    pub fn local(row: PostRow) -> anyhow::Result<Self> {
        anyhow::ensure!(row.local, "post {} is not ours", row.id);
        Ok(Self {
            id: Url::parse(&row.ap_id)?,
            row,
            refresh: None,
        })
    }

    /// True when its author deleted it or a moderator removed it.
    pub fn gone(&self) -> bool {
        self.row.deleted || self.row.removed
    }
}

#[async_trait::async_trait]
impl Object for ApubPost {
    type DataType = ServiceContext;
    type Kind = Page;
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

    /// Its home server answered 410: the post is gone there, so it is gone here.
    async fn delete(&self, data: &Data<ServiceContext>) -> anyhow::Result<()> {
        if !self.row.local {
            hearth_db::post::mark_deleted(&data.pool, self.row.id).await?;
            hearth_db::post::touch_refreshed(&data.pool, self.row.id).await?;
        }
        Ok(())
    }

    async fn read_from_id(id: Url, data: &Data<ServiceContext>) -> anyhow::Result<Option<Self>> {
        match hearth_db::post::id_by_ap_id(&data.pool, id.as_str()).await? {
            Some(post) => Self::load(data, post).await,
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<Page> {
        let mentions = hearth_db::mention::of_post(&data.pool, self.row.id).await?;
        page_of(&self.row, &mentions)
    }

    async fn verify(
        json: &Page,
        expected: &Url,
        _data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        // Objects share shapes: without this a Person could be stored as a community, or a
        // reply as a post.
        anyhow::ensure!(
            is_post_kind(&json.kind) && json.in_reply_to.is_none(),
            "{} is a {}{}, not a post",
            json.id,
            json.kind,
            if json.in_reply_to.is_some() {
                " reply"
            } else {
                ""
            }
        );
        same_origin(&json.id, expected)?;
        Ok(())
    }

    /// Fetched by its id from its own server: stored through the gate.
    async fn from_json(json: Page, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
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
                anyhow::bail!("{id} is not a post this server keeps")
            }
        };
        Self::load(data, stored)
            .await?
            .ok_or_else(|| anyhow::anyhow!("post {stored} vanished"))
    }
}

/// A post from outside that passed the gate, ready to be stored.
#[derive(Debug)]
pub(crate) struct PostWrite {
    /// The community it lives in (a held post's own, else where its teller may place it).
    pub(crate) community: CommunityRow,
    /// Its author.
    pub(crate) author: Url,
    ap_id: Url,
    author_id: i64,
    title: String,
    url: Option<Url>,
    body: String,
    body_html: String,
    nsfw: bool,
    language: Option<String>,
    published: DateTime<Utc>,
    updated: Option<DateTime<Utc>>,
    /// The ids its tags, `to` and `cc` name (see `objects::mentioned`).
    mentioned: Vec<String>,
}

impl PostWrite {
    /// Stores the post (new, or the changed version of one we hold) in `conn`'s transaction,
    /// with the people it mentions; local people it mentions are notified (once per post).
    pub(crate) async fn store(&self, conn: &mut sqlx::PgConnection) -> Result<i64, InboxError> {
        let id = self.upsert(conn).await?;
        hearth_db::mention::set_for_post(&mut *conn, id, &self.mentioned).await?;
        hearth_db::notification::for_post(&mut *conn, id).await?;
        Ok(id)
    }

    async fn upsert(&self, conn: &mut sqlx::PgConnection) -> Result<i64, InboxError> {
        hearth_db::post::upsert_remote(
            conn,
            &NewPost {
                ap_id: Some(self.ap_id.as_str()),
                local: false,
                community_id: self.community.id,
                author_id: self.author_id,
                title: &self.title,
                url: self.url.as_ref().map(Url::as_str),
                body: &self.body,
                body_html: &self.body_html,
                nsfw: self.nsfw,
                language: self.language.as_deref(),
            },
            self.published,
            self.updated,
        )
        .await?
        .ok_or_else(|| {
            InboxError::refused("local_id", "This would overwrite a post of this server.")
        })
    }
}

impl ApubPost {
    /// The gate for posts from outside (see `ingest`): whether `teller` may create or change
    /// this post, and where it goes. Permissions are judged against the community the post
    /// lives in (a held post's own), never the one an activity is addressed to.
    pub(crate) async fn judge(
        page: Page,
        teller: Teller<'_>,
        data: &Data<ServiceContext>,
    ) -> Result<Verdict<PostWrite>, InboxError> {
        if !is_post_kind(&page.kind) || page.in_reply_to.is_some() {
            return Err(InboxError::unreadable(format!(
                "{} is a {}, not a post",
                page.id, page.kind
            )));
        }
        match ingest::admit(&page.id, &page.attributed_to, &teller, data).await? {
            Admission::Refetched(page) => {
                return Box::pin(Self::judge(page, Teller::Origin, data)).await;
            }
            Admission::Tombstoned => return Ok(Verdict::Ignore),
            Admission::Admitted => {}
        }
        let held = match hearth_db::post::id_by_ap_id(&data.pool, page.id.as_str()).await? {
            Some(id) => hearth_db::post::find(&data.pool, id, None).await?,
            None => None,
        };
        let community = match &held {
            Some(row) => {
                let facts = Held {
                    local: row.local,
                    ap_id: &row.ap_id,
                    author_ap_id: &row.author_ap_id,
                    community_id: row.community_id,
                    gone: row.deleted || row.removed,
                    edited_at: row.edited_at,
                };
                if !ingest::may_change(&facts, &page.attributed_to, page.updated, &teller)? {
                    return Ok(Verdict::Keep(row.id));
                }
                ingest::community(row.community_id, data).await?
            }
            None => match placed_in(&page, &teller, data).await? {
                Some(community) => community,
                None => return Ok(Verdict::Ignore),
            },
        };
        match teller {
            // Sent to us directly, content counts only in our own communities, by their rules.
            Teller::Author { .. } if !community.local => return Ok(Verdict::Ignore),
            Teller::Author { .. } => {}
            // Content reaches our own communities only through their inbox.
            _ if community.local => {
                return Ok(held.map_or(Verdict::Ignore, |row| Verdict::Keep(row.id)));
            }
            _ => {}
        }
        let author = ingest::person(&page.attributed_to, data).await?;
        if matches!(teller, Teller::Author { .. }) {
            hearth_service::content::may_post(data, &ingest::viewer_for(&author), &community)
                .await
                .map_err(InboxError::Refused)?;
        }
        let (mut body, mut body_html) = super::content_text(
            page.content.as_deref(),
            page.media_type.as_deref(),
            page.source.as_ref(),
        );
        let title = title_of(&page, &body_html);
        if page.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            // A note that mentions the group (Mastodon): the first line was the title.
            body = untitled_parts(&body_html).1;
            body_html = hearth_service::markdown::render(&body);
        }
        Ok(Verdict::Write(PostWrite {
            community,
            author_id: author.row.id,
            url: link_of(&page),
            language: page.language.as_ref().map(|l| l.identifier.clone()),
            nsfw: page.sensitive.unwrap_or(false),
            // A date in the future would keep the post on top of every feed.
            published: page.published.map_or_else(Utc::now, |p| p.min(Utc::now())),
            updated: page.updated,
            mentioned: super::mentioned(page.tag.as_ref(), &page.to, &page.cc),
            author: page.attributed_to,
            ap_id: page.id,
            title,
            body,
            body_html,
        }))
    }
}

/// The community a post we do not hold yet goes into, as its teller may place it: `None` when
/// it is not ours to keep.
async fn placed_in(
    page: &Page,
    teller: &Teller<'_>,
    data: &Data<ServiceContext>,
) -> Result<Option<CommunityRow>, InboxError> {
    match teller {
        // One of our communities among the addressees.
        Teller::Author { .. } => {
            for candidate in addressees(page) {
                if let Some(row) =
                    hearth_db::community::find_by_ap_id(&data.pool, candidate.as_str()).await?
                    && row.local
                {
                    return Ok(Some(row));
                }
            }
            Ok(None)
        }
        // The announcer, and only when the post is addressed to it.
        Teller::Community { community, .. } => {
            if addressees(page)
                .iter()
                .any(|u| u.as_str() == community.ap_id)
            {
                Ok(Some((*community).clone()))
            } else {
                Err(InboxError::refused(
                    "not_community_content",
                    "A community may only announce posts addressed to it.",
                ))
            }
        }
        // Where its own server says it is.
        Teller::Origin => Ok(Some(community_of(page, data).await?.row)),
        // A community's collection holds that community's posts only.
        Teller::Collection { community, .. } => {
            let placed = community_of(page, data).await?;
            Ok((placed.row.id == community.id).then_some(placed.row))
        }
    }
}

/// Who a post is addressed to: `audience`, `to`, `cc` and, for Mastodon notes that name the
/// group only in a tag, its `Mention`s.
fn addressees(page: &Page) -> Vec<Url> {
    let mentioned = page
        .tag
        .clone()
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.kind == "Mention")
        .filter_map(|t| t.href);
    page.audience
        .iter()
        .chain(page.to.iter())
        .chain(page.cc.iter())
        .cloned()
        .chain(mentioned)
        .collect()
}

/// A post as a `Page`, as Lemmy emits it, with `Mention` tags for the people it mentions (they
/// are in `cc` too).
pub fn page_of(row: &PostRow, mentions: &[Mentioned]) -> anyhow::Result<Page> {
    let community = Url::parse(&row.community_ap_id)?;
    let (tag, cc) = super::mention_tags(mentions);
    Ok(Page {
        kind: "Page".to_owned(),
        id: Url::parse(&row.ap_id)?,
        attributed_to: Url::parse(&row.author_ap_id)?,
        to: vec![community.clone(), Url::parse(PUBLIC)?],
        cc,
        audience: Some(community),
        name: Some(row.title.clone()),
        content: Some(row.body_html.clone()),
        media_type: Some("text/html".to_owned()),
        source: (!row.body.is_empty()).then(|| Source::markdown(&row.body)),
        attachment: row.url.as_deref().map(Url::parse).transpose()?.map(|href| {
            OneOrMany::Many(vec![Attachment::Link {
                href,
                media_type: None,
            }])
        }),
        image: None,
        url: None,
        sensitive: Some(row.nsfw),
        language: row.language.clone().map(|identifier| LanguageTag {
            identifier,
            name: None,
        }),
        tag,
        published: Some(row.published_at),
        updated: row.edited_at,
        in_reply_to: None,
        // Our posts serve their comments, so that a server joining later backfills threads.
        replies: row
            .local
            .then(|| serde_json::Value::String(format!("{}/replies", row.ap_id))),
    })
}

/// The community a post is in, as its own server says: its `audience`, else the first
/// addressee that is a Group.
async fn community_of(
    json: &Page,
    data: &Data<ServiceContext>,
) -> Result<ApubCommunity, InboxError> {
    let candidates = json
        .audience
        .iter()
        .chain(json.to.iter())
        .chain(json.cc.iter())
        .filter(|u| !is_public(u.as_str()) && !u.path().ends_with("/followers"));
    for candidate in candidates {
        if let Ok(community) = ObjectId::<ApubCommunity>::from(candidate.clone())
            .dereference(data)
            .await
        {
            return Ok(community);
        }
    }
    Err(InboxError::unreadable(format!(
        "{} is not addressed to any community",
        json.id
    )))
}

/// The title: `name`, else the first line of the content's text (at most 200 characters).
pub(crate) fn title_of(json: &Page, body_html: &str) -> String {
    let from_name = json
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let raw = match from_name {
        Some(name) => name.to_owned(),
        None => untitled_parts(body_html).0,
    };
    let one_line: String = raw.chars().filter(|c| !c.is_control()).collect();
    one_line.chars().take(200).collect()
}

/// A post without a `name` (a Mastodon note that mentions the group): its title is the first
/// line of its text without the leading @-mentions, and its body the lines after.
pub(crate) fn untitled_parts(body_html: &str) -> (String, String) {
    // Paragraphs and line breaks end lines.
    let text = super::html_to_text(body_html);
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    let first = lines.next().unwrap_or_default();
    let title: Vec<&str> = first
        .split_whitespace()
        .skip_while(|word| word.starts_with('@'))
        .collect();
    let title = if title.is_empty() {
        "(untitled)".to_owned()
    } else {
        title.join(" ")
    };
    let rest: Vec<&str> = lines.collect();
    (title, rest.join("\n").trim().to_owned())
}

/// The link of a link post: a `Link` attachment, an `Image` attachment, or `url` (Mbin).
pub(crate) fn link_of(json: &Page) -> Option<Url> {
    let from_attachment = json
        .attachment
        .clone()
        .map(OneOrMany::into_vec)
        .and_then(|items| {
            items.into_iter().find_map(|a| match a {
                Attachment::Link { href, .. } => Some(href),
                Attachment::Image { url, .. } => Some(url),
                _ => None,
            })
        });
    from_attachment
        .or_else(|| {
            let url = match &json.url {
                Some(serde_json::Value::String(s)) => Url::parse(s).ok(),
                Some(serde_json::Value::Object(o)) => href_of(o),
                // PeerTube lists the watch page (`text/html`) among its streams and trackers.
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .filter_map(serde_json::Value::as_object)
                    .find(|o| o.get("mediaType").and_then(|m| m.as_str()) == Some("text/html"))
                    .and_then(href_of),
                _ => None,
            };
            // NodeBB gives the post's own page as `url`: that is where the post lives, not a
            // link it shares. A video's page is kept, as Lemmy does: the video plays only there.
            // A `Note`'s `url` is its own page too (Mastodon's `/@name/<id>` status page, with
            // another id): read as a link, every Mastodon post became a link to itself.
            url.filter(|u| (u != &json.id && json.kind != "Note") || json.kind == "Video")
        })
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

fn href_of(link: &serde_json::Map<String, serde_json::Value>) -> Option<Url> {
    link.get("href")
        .and_then(|h| h.as_str())
        .and_then(|h| Url::parse(h).ok())
}
