//! A post as an ActivityPub `Page` (and, accepted, the other types servers use for posts).

use super::community::ApubCommunity;
use super::freshness;
use super::person::ApubPerson;
use crate::protocol::objects::{Attachment, Page};
use crate::protocol::{LanguageTag, OneOrMany, PUBLIC, Source, is_public};
use crate::urls::same_origin;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use chrono::{DateTime, Utc};
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

    async fn into_json(self, _data: &Data<ServiceContext>) -> anyhow::Result<Page> {
        page_of(&self.row)
    }

    async fn verify(
        json: &Page,
        expected: &Url,
        _data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        // Objects share shapes: without this a Person could be stored as a community, or a
        // reply as a post.
        anyhow::ensure!(
            matches!(
                json.kind.as_str(),
                "Page" | "Article" | "Note" | "Video" | "Event" | "Question"
            ),
            "{} is a {}, not a post",
            json.id,
            json.kind
        );
        // A reply is a comment, never a post.
        anyhow::ensure!(
            json.in_reply_to.is_none(),
            "{} is a reply, not a post",
            json.id
        );
        same_origin(&json.id, expected)?;
        // A post is published by its author's instance.
        same_origin(&json.attributed_to, &json.id)?;
        Ok(())
    }

    async fn from_json(json: Page, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        let author = ObjectId::<ApubPerson>::from(json.attributed_to.clone())
            .dereference(data)
            .await?;
        let community = community_of(&json, data).await?;
        // Content reaches our own communities only through their inbox, which applies their
        // rules (membership, moderators-only posting, bans); a lookup must not skip those.
        anyhow::ensure!(
            !community.row.local,
            "{} claims a place in one of our communities; that takes the community's inbox",
            json.id
        );
        let (body, body_html) = super::content_text(
            json.content.as_deref(),
            json.media_type.as_deref(),
            json.source.as_ref(),
        );
        let title = title_of(&json, &body_html);
        let url = link_of(&json);
        let language = json.language.as_ref().map(|l| l.identifier.clone());
        let mut tx = data.pool.begin().await?;
        let id = hearth_db::post::upsert_remote(
            &mut tx,
            &NewPost {
                ap_id: Some(json.id.as_str()),
                local: false,
                community_id: community.row.id,
                author_id: author.row.id,
                title: &title,
                url: url.as_ref().map(Url::as_str),
                body: &body,
                body_html: &body_html,
                nsfw: json.sensitive.unwrap_or(false),
                language: language.as_deref(),
            },
            // A date in the future would keep the post on top of every feed.
            json.published.map_or_else(Utc::now, |p| p.min(Utc::now())),
            json.updated,
        )
        .await?
        .ok_or_else(|| anyhow::anyhow!("{} would overwrite a local post", json.id))?;
        tx.commit().await?;
        Self::load(data, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("post {id} vanished"))
    }
}

/// A post as a `Page`, as Lemmy emits it.
pub fn page_of(row: &PostRow) -> anyhow::Result<Page> {
    let community = Url::parse(&row.community_ap_id)?;
    Ok(Page {
        kind: "Page".to_owned(),
        id: Url::parse(&row.ap_id)?,
        attributed_to: Url::parse(&row.author_ap_id)?,
        to: vec![community.clone(), Url::parse(PUBLIC)?],
        cc: Vec::new(),
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
        tag: None,
        published: Some(row.published_at),
        updated: row.edited_at,
        in_reply_to: None,
        // Our posts serve their comments, so that a server joining later backfills threads.
        replies: row
            .local
            .then(|| serde_json::Value::String(format!("{}/replies", row.ap_id))),
    })
}

/// The community a post is in: its `audience`, else the first addressee that is a Group.
async fn community_of(json: &Page, data: &Data<ServiceContext>) -> anyhow::Result<ApubCommunity> {
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
    anyhow::bail!("{} is not addressed to any community", json.id)
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
    let with_breaks = body_html
        .replace("</p>", "</p>\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n");
    let text = super::html_to_text(&with_breaks);
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
