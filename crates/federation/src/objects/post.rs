//! A post as an ActivityPub `Page` (and, accepted, the other types servers use for posts): how
//! we serve ours, and the gate every post from outside passes (`ApubPost::judge`, under the
//! rules of `ingest`).

use super::community::ApubCommunity;
use super::freshness;
use crate::ingest::{self, Admission, Held, Teller, Verdict, is_post_kind};
use crate::protocol::objects::{Attachment, Page};
use crate::protocol::{ImageRef, LanguageTag, OneOrMany, PUBLIC, Source, is_public};
use crate::received::InboxError;
use crate::urls::same_origin;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::{DateTime, Utc};
use hearth_db::community::CommunityRow;
use hearth_db::media::PostImage;
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
        match hearth_db::post::find(&ctx.pool, id, None).await? {
            Some(row) => Self::with_refresh(ctx, row).await.map(Some),
            None => Ok(None),
        }
    }

    /// Wraps a row read just now, with when it is due to be fetched again.
    async fn with_refresh(
        ctx: &ServiceContext,
        row: hearth_db::post::PostRow,
    ) -> anyhow::Result<Self> {
        let fetched = hearth_db::post::last_refreshed_at(&ctx.pool, row.id)
            .await?
            .unwrap_or_else(Utc::now);
        let refresh = freshness(ctx, row.local, fetched);
        Ok(Self {
            id: Url::parse(&row.ap_id)?,
            row,
            refresh,
        })
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
        match hearth_db::post::find_by_ap_id(&data.pool, id.as_str(), None).await? {
            Some(row) => Self::with_refresh(data, row).await.map(Some),
            None => Ok(None),
        }
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<Page> {
        let mentions = hearth_db::mention::of_post(&data.pool, self.row.id).await?;
        let images = hearth_db::media::post_images(&data.pool, self.row.id).await?;
        let mut conn = data.pool.acquire().await?;
        let extras = PostExtras::load(&mut conn, self.row.id).await?;
        page_of(&self.row, &mentions, &images, &extras)
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
    /// Its thumbnail (`image`, else its first picture).
    thumbnail_url: Option<String>,
    /// Its pictures, in order, with their alt text.
    images: Vec<PostImage>,
    /// The pictures among those that live on other servers, for our cache to fetch.
    wanted: Vec<String>,
    /// It is an event: its time and place.
    event: Option<super::event::ReceivedEvent>,
    /// It carries a poll.
    poll: Option<super::poll::ReceivedPoll>,
}

impl PostWrite {
    /// Stores the post (new, or the changed version of one we hold) in `conn`'s transaction,
    /// with the people it mentions; local people it mentions are notified (once per post).
    pub(crate) async fn store(&self, conn: &mut sqlx::PgConnection) -> Result<i64, InboxError> {
        let id = self.upsert(conn).await?;
        hearth_db::post::set_shown(&mut *conn, id, self.thumbnail_url.as_deref(), false).await?;
        hearth_db::media::set_post_images(&mut *conn, id, &self.images).await?;
        // Its pictures are shown from our cache, never from their home server.
        hearth_db::media::want_remote(&mut *conn, &self.wanted).await?;
        hearth_db::mention::set_for_post(&mut *conn, id, &self.mentioned).await?;
        hearth_db::notification::for_post(&mut *conn, id).await?;
        if let Some(event) = &self.event {
            super::event::store(&mut *conn, id, event).await?;
        }
        if let Some(poll) = &self.poll {
            super::poll::store(&mut *conn, id, poll).await?;
        }
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
        let (images, thumbnail_url) = pictures_of(&page);
        // A post of pictures alone (a Mastodon note) links its first, as ours do.
        let url =
            link_of(&page).or_else(|| images.first().and_then(|first| Url::parse(&first.url).ok()));
        let wanted = hearth_service::media::remote_urls(
            data,
            thumbnail_url
                .iter()
                .chain(images.iter().map(|i| &i.url))
                .map(String::as_str),
        );
        Ok(Verdict::Write(PostWrite {
            event: super::event::read(&page),
            poll: super::poll::read(&page),
            community,
            author_id: author.row.id,
            url,
            thumbnail_url,
            images,
            wanted,
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
/// are in `cc` too). Its link (an image post's first picture) is a `Link` attachment, with the
/// picture's media type and alt text; its other pictures follow as `Image` attachments; its
/// thumbnail is `image`.
pub fn page_of(
    row: &PostRow,
    mentions: &[Mentioned],
    images: &[PostImage],
    extras: &PostExtras,
) -> anyhow::Result<Page> {
    let community = Url::parse(&row.community_ap_id)?;
    let (tag, cc) = super::mention_tags(mentions);
    let mut attachments = Vec::new();
    if let Some(href) = row.url.as_deref().map(Url::parse).transpose()? {
        // The link is the first picture when the post is an image post.
        let first = images.first().filter(|first| first.url == href.as_str());
        attachments.push(Attachment::Link {
            href,
            media_type: first.and_then(|f| f.content_type.clone()),
            name: first.and_then(|f| f.alt_text.clone()),
        });
    }
    let further = images
        .iter()
        .filter(|image| row.url.as_deref() != Some(image.url.as_str()));
    for image in further {
        if let Ok(url) = Url::parse(&image.url) {
            attachments.push(Attachment::Image {
                url,
                name: image.alt_text.clone(),
            });
        }
    }
    let mut page = Page {
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
        attachment: (!attachments.is_empty()).then_some(OneOrMany::Many(attachments)),
        image: row.thumbnail_url.as_deref().and_then(ImageRef::image),
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
        start_time: None,
        end_time: None,
        timezone: None,
        location: None,
        join_mode: None,
        maximum_attendee_capacity: None,
        remaining_attendee_capacity: None,
        participant_count: None,
        anonymous_participation_enabled: None,
        is_online: None,
        ical_status: None,
        one_of: None,
        any_of: None,
        closed: None,
        voters_count: None,
    };
    if let Some(event) = &extras.event {
        super::event::dress(&mut page, event);
    }
    if let Some(poll) = &extras.poll {
        super::poll::dress(&mut page, poll);
    }
    Ok(page)
}

/// What a post may be besides a `Page`: an event, or a post with a poll.
#[derive(Debug, Clone, Default)]
pub struct PostExtras {
    /// Its event.
    pub event: Option<hearth_db::event::EventRow>,
    /// Its poll.
    pub poll: Option<hearth_db::poll::PollRow>,
}

impl PostExtras {
    /// One post's event and poll.
    pub async fn load(conn: &mut sqlx::PgConnection, post_id: i64) -> anyhow::Result<Self> {
        Ok(Self::load_many(conn, &[post_id])
            .await?
            .remove(&post_id)
            .unwrap_or_default())
    }

    /// The events and polls of a page of posts, in three queries.
    pub async fn load_many(
        conn: &mut sqlx::PgConnection,
        post_ids: &[i64],
    ) -> anyhow::Result<std::collections::HashMap<i64, Self>> {
        let mut found: std::collections::HashMap<i64, Self> = std::collections::HashMap::new();
        for event in hearth_db::event::find_many(&mut *conn, post_ids).await? {
            let id = event.post_id;
            found.entry(id).or_default().event = Some(event);
        }
        for poll in hearth_db::poll::find_many(&mut *conn, post_ids).await? {
            let id = poll.post_id;
            found.entry(id).or_default().poll = Some(poll);
        }
        Ok(found)
    }
}

/// The most pictures kept of one post from another server.
const MAX_IMAGES: usize = 10;

/// The longest alt text kept, in characters (longer is cut).
const MAX_ALT_TEXT: usize = 1_500;

/// The pictures of a post from another server, in order, and its thumbnail: `Image`
/// attachments (Lemmy, Mbin, lotide), `Document`s of an `image/*` type (Mastodon), and a `Link`
/// that is a picture (its media type says so, it is the post's `image`, or its path ends like
/// one: Lemmy's image posts). Alt text is the attachment's `name`. Only http(s) URLs are kept,
/// at most `MAX_IMAGES`; anything else is dropped without refusing the post. The thumbnail is
/// `image`, else the first picture.
pub(crate) fn pictures_of(page: &Page) -> (Vec<PostImage>, Option<String>) {
    let thumbnail = page.image.as_ref().and_then(ImageRef::kept_url);
    let attachments = page
        .attachment
        .clone()
        .map(OneOrMany::into_vec)
        .unwrap_or_default();
    let mut images: Vec<PostImage> = Vec::new();
    for attachment in attachments {
        let (url, alt_text, content_type) = match attachment {
            Attachment::Image { url, name } => (url, name, None),
            Attachment::Document {
                url,
                name,
                media_type,
            } if media_type
                .as_deref()
                .map_or_else(|| looks_like_picture(&url), |t| t.starts_with("image/")) =>
            {
                (url, name, media_type)
            }
            Attachment::Link {
                href,
                media_type,
                name,
            } if media_type.as_deref().map_or_else(
                || thumbnail == Some(href.as_str()) || looks_like_picture(&href),
                |t| t.starts_with("image/"),
            ) =>
            {
                (href, name, media_type)
            }
            _ => continue,
        };
        let Some(url) = crate::protocol::kept_image_url(&url) else {
            continue;
        };
        if images.iter().any(|i| i.url == url) {
            continue;
        }
        images.push(PostImage {
            url: url.to_owned(),
            alt_text: alt_text
                .map(|a| a.trim().chars().take(MAX_ALT_TEXT).collect::<String>())
                .filter(|a| !a.is_empty()),
            content_type: content_type.filter(|t| t.len() <= 100 && t.starts_with("image/")),
        });
        if images.len() == MAX_IMAGES {
            break;
        }
    }
    let thumbnail = thumbnail
        .map(str::to_owned)
        .or_else(|| images.first().map(|i| i.url.clone()));
    (images, thumbnail)
}

/// Whether a URL's path ends like a picture's (Lemmy sends image posts as a bare `Link`).
fn looks_like_picture(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
        .iter()
        .any(|ext| path.ends_with(ext))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Page {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("the fixture reads as a Page: {e}"))
    }

    fn pictures(page: &Page) -> Vec<(String, Option<String>)> {
        pictures_of(page)
            .0
            .into_iter()
            .map(|i| (i.url, i.alt_text))
            .collect()
    }

    #[test]
    fn a_lemmy_image_post_is_its_link_and_its_thumbnail() {
        let lemmy = page(include_str!(
            "../../../../tests/fixtures/lemmy/page_image.json"
        ));
        let picture =
            "https://lemmy.example/pictrs/image/5b8f3c1e-2d4a-4f6b-9c7e-1a2b3c4d5e6f.jpeg";
        assert_eq!(pictures(&lemmy), vec![(picture.to_owned(), None)]);
        assert_eq!(pictures_of(&lemmy).1.as_deref(), Some(picture));
        assert_eq!(link_of(&lemmy).map(String::from).as_deref(), Some(picture));
    }

    #[test]
    fn a_mastodon_note_with_two_pictures_keeps_both_with_their_alt_text() {
        let note = page(include_str!(
            "../../../../tests/fixtures/mastodon/note_images.json"
        ));
        let (images, thumbnail) = pictures_of(&note);
        assert_eq!(images.len(), 2);
        assert_eq!(
            images[0].alt_text.as_deref(),
            Some("A kingfisher perched on a mossy branch above the water")
        );
        assert_eq!(
            images[1].alt_text.as_deref(),
            Some("The second kingfisher diving, a blur of blue")
        );
        assert_eq!(images[0].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(thumbnail.as_deref(), Some(images[0].url.as_str()));
        assert_eq!(link_of(&note), None, "a note's own page is not its link");
    }

    #[test]
    fn an_mbin_image_entry_keeps_its_alt_text() {
        let mbin = page(include_str!(
            "../../../../tests/fixtures/mbin/page_image.json"
        ));
        assert_eq!(
            pictures(&mbin),
            vec![(
                "https://mbin.example/media/a3/f1/a3f1c2d4e5b6a7c8.jpg".to_owned(),
                Some("Feathery ice crystals spreading across a pane of glass".to_owned())
            )]
        );
    }

    #[test]
    fn a_link_posts_thumbnail_is_not_a_picture_of_the_post() {
        let lemmy = page(include_str!("../../../../tests/fixtures/lemmy/page.json"));
        let (images, _) = pictures_of(&lemmy);
        // The fixture links a .jpg: Lemmy's bare `Link` to a picture is an image post.
        assert_eq!(images.len(), 1);
        let mut link = lemmy.clone();
        link.attachment = Some(OneOrMany::Many(vec![Attachment::Link {
            href: Url::parse("https://news.example/story").unwrap(),
            media_type: None,
            name: None,
        }]));
        link.image = ImageRef::image("https://lemmy.example/pictrs/image/thumb.webp");
        let (images, thumbnail) = pictures_of(&link);
        assert!(images.is_empty());
        assert_eq!(
            thumbnail.as_deref(),
            Some("https://lemmy.example/pictrs/image/thumb.webp")
        );
    }

    #[test]
    fn script_and_data_urls_and_unreadable_attachments_are_dropped_and_the_post_stays() {
        let hostile = page(
            &serde_json::json!({
                "type": "Page",
                "id": "https://evil.example/post/1",
                "attributedTo": "https://evil.example/u/mallory",
                "to": ["https://hearth.example/c/photos"],
                "name": "Look",
                "attachment": [
                    {"type": "Link", "href": "javascript:alert(1)", "mediaType": "image/png"},
                    {"type": "Image", "url": "data:image/png;base64,iVBORw0KGgo=", "name": "x"},
                    {"type": "Document", "url": "javascript:alert(2)", "mediaType": "image/jpeg"},
                    {"type": "Image", "url": 42},
                    {"type": "Image"},
                    {"type": "Image", "url": format!("https://evil.example/{}.png", "a".repeat(2100))},
                    "not an attachment",
                ],
                "image": {"type": "Image", "url": "data:image/png;base64,iVBORw0KGgo="},
            })
            .to_string(),
        );
        assert_eq!(pictures_of(&hostile), (Vec::new(), None));
        assert_eq!(link_of(&hostile), None);
        let odd_image = page(
            &serde_json::json!({
                "type": "Page", "id": "https://evil.example/post/2",
                "attributedTo": "https://evil.example/u/mallory", "name": "Odd",
                "image": {"type": "Image", "url": ["not", "urls"]},
            })
            .to_string(),
        );
        assert_eq!(odd_image.image, None, "an unreadable image is no image");
    }

    #[test]
    fn a_lotide_note_with_an_image_attachment_is_an_image_post() {
        let lotide = page(
            &serde_json::json!({
                "type": "Note", "id": "https://lotide.example/apub/posts/46",
                "name": "image", "attributedTo": "https://lotide.example/apub/users/3",
                "to": "https://hearth.example/c/photos",
                "cc": "https://www.w3.org/ns/activitystreams#Public",
                "attachment": [{"type": "Image",
                                "url": "https://lotide.example/api/stable/posts/46/href"}],
            })
            .to_string(),
        );
        let picture = "https://lotide.example/api/stable/posts/46/href";
        assert_eq!(pictures(&lotide), vec![(picture.to_owned(), None)]);
        assert_eq!(pictures_of(&lotide).1.as_deref(), Some(picture));
    }

    #[test]
    fn more_than_ten_pictures_keep_the_first_ten_and_long_alt_text_is_cut() {
        let many: Vec<serde_json::Value> = (0..14)
            .map(|n| {
                serde_json::json!({"type": "Image", "url": format!("https://pics.example/{n}.png"),
                                   "name": "a".repeat(2_000)})
            })
            .collect();
        let page = page(
            &serde_json::json!({
                "type": "Note", "id": "https://pics.example/notes/1",
                "attributedTo": "https://pics.example/u/sam", "attachment": many,
            })
            .to_string(),
        );
        let (images, thumbnail) = pictures_of(&page);
        assert_eq!(images.len(), MAX_IMAGES);
        assert_eq!(images[9].url, "https://pics.example/9.png");
        assert!(images.iter().all(|i| {
            i.alt_text
                .as_ref()
                .is_some_and(|a| a.chars().count() == MAX_ALT_TEXT)
        }));
        assert_eq!(thumbnail.as_deref(), Some("https://pics.example/0.png"));
    }
}
