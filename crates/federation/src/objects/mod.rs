//! Our rows as ActivityPub objects: newtypes that implement the library's `Object` and `Actor`
//! traits, turning rows into wire JSON and fetched JSON into stored rows.

pub mod actor;
pub mod comment;
pub mod community;
pub mod event;
pub mod instance;
pub mod person;
pub mod poll;
pub mod post;

use chrono::{DateTime, Duration, Utc};
use hearth_service::ServiceContext;

/// What the library's refresh check should see. It refetches when the time it is given is
/// older than its own fixed interval (24 h in release builds, 20 s in debug builds); we answer
/// "just now" while our copy is younger than `federation.refresh_age_secs` and "long ago"
/// after, so our setting decides. Local objects are never refetched.
pub(crate) fn freshness(
    ctx: &ServiceContext,
    local: bool,
    fetched_at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if local {
        return None;
    }
    let max_age = Duration::seconds(
        i64::try_from(ctx.settings.federation.refresh_age_secs).unwrap_or(i64::MAX),
    );
    if Utc::now() - fetched_at < max_age {
        Some(Utc::now())
    } else {
        Some(DateTime::UNIX_EPOCH)
    }
}

/// The checks every fetched actor passes: it lives where it was fetched from, its inbox and
/// key are its own, and it has a name. A failure is a refusal the sender sees (401
/// `actor_unverifiable`), not a failure of ours: the inbox answers it so whether the actor was
/// new or refetched for a rotated key.
pub(crate) fn verify_actor(
    id: &url::Url,
    expected: &url::Url,
    inbox: &url::Url,
    key_owner: &url::Url,
    preferred_username: &str,
) -> anyhow::Result<()> {
    let checked = (|| {
        crate::urls::same_origin(id, expected)?;
        crate::urls::same_origin(inbox, id)?;
        anyhow::ensure!(key_owner == id, "the key of {id} belongs to another actor");
        anyhow::ensure!(
            !preferred_username.is_empty(),
            "{id} has no preferredUsername"
        );
        Ok(())
    })();
    checked.map_err(|why| {
        anyhow::Error::msg(hearth_core::Error::unauthorized(
            "actor_unverifiable",
            format!("The activity's actor could not be verified: {why}"),
        ))
    })
}

/// An actor's inbox: the one it told us (remote), else `<id>/inbox` (ours).
pub(crate) fn inbox_of(stored: Option<&str>, id: &url::Url) -> url::Url {
    stored
        .and_then(|u| url::Url::parse(u).ok())
        .unwrap_or_else(|| {
            let mut inbox = id.clone();
            inbox.set_path(&format!("{}/inbox", id.path()));
            inbox
        })
}

/// Remote rich text as we store it: `(markdown, html)`. The HTML is sanitised; the markdown is
/// the sender's `source` when it is markdown, else the HTML's plain text (a BBCode source, as
/// Friendica sends, is not markdown).
pub(crate) fn remote_text(
    html: Option<&str>,
    source: Option<&crate::protocol::Source>,
) -> (String, String) {
    let html = html
        .map(hearth_service::markdown::sanitize_html)
        .unwrap_or_default();
    let markdown = match source {
        Some(source) if source.media_type == "text/markdown" => source.content.clone(),
        _ => html_to_text(&html),
    };
    (markdown, html)
}

/// A post's or comment's text as we store it, `(markdown, html)`. PeerTube sends its
/// descriptions and comments as markdown in `content` itself (`mediaType: text/markdown`, no
/// `source`): that text is the markdown and the HTML is rendered from it, rather than reading it
/// as HTML (which runs its paragraphs together and leaves its markup showing). Anything else is
/// HTML, with maybe a markdown `source` (`remote_text`).
pub(crate) fn content_text(
    content: Option<&str>,
    media_type: Option<&str>,
    source: Option<&crate::protocol::Source>,
) -> (String, String) {
    match (content, media_type, source) {
        (Some(markdown), Some("text/markdown"), None) => (
            markdown.to_owned(),
            hearth_service::markdown::render(markdown),
        ),
        _ => remote_text(content, source),
    }
}

/// Plain text of some HTML, for fields we keep as text (a bio without markdown source).
/// ammonia drops every tag and re-escapes the text; its entities are then decoded in one pass,
/// so an escaped entity stays text (`&amp;lt;` is `&lt;`, not `<`) and `&nbsp;` becomes a
/// no-break space (U+00A0).
pub(crate) fn html_to_text(html: &str) -> String {
    // Paragraphs stay paragraphs (a blank line, as in markdown) and line breaks stay lines:
    // stripped bare, `<p>a</p><p>b</p>` would read "ab".
    let with_breaks = html
        .replace("</p>", "</p>\n\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n");
    let cleaned = ammonia::Builder::empty().clean(&with_breaks).to_string();
    html_escape::decode_html_entities(&cleaned)
        .trim()
        .to_owned()
}

/// The people a received post or comment names: its `Mention` tags and its `to`/`cc` (Lemmy
/// and Mastodon put the people they mention, and the author answered, there). Ids that are not
/// people we know are dropped when the mentions are stored.
pub(crate) fn mentioned(
    tag: Option<&crate::protocol::OneOrMany<crate::protocol::objects::Tag>>,
    to: &[url::Url],
    cc: &[url::Url],
) -> Vec<String> {
    let tagged = tag
        .cloned()
        .map(crate::protocol::OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.kind == "Mention")
        .filter_map(|t| t.href);
    let mut ids: Vec<String> = tagged
        .chain(to.iter().cloned())
        .chain(cc.iter().cloned())
        .filter(|u| u.as_str() != crate::protocol::PUBLIC)
        .map(String::from)
        .collect();
    ids.sort();
    ids.dedup();
    ids.truncate(MAX_MENTIONS);
    ids
}

/// How many people one received object may name for us to look at (Mastodon caps mentions
/// too; more is spam).
const MAX_MENTIONS: usize = 50;

/// The `Mention` tags of an object we send, and the ids to add to its `cc`: each mentioned
/// person's id and `@name@host` (the host read from their id, so local people get ours).
pub(crate) fn mention_tags(
    mentions: &[hearth_db::mention::Mentioned],
) -> (
    Option<crate::protocol::OneOrMany<crate::protocol::objects::Tag>>,
    Vec<url::Url>,
) {
    let mut tags = Vec::with_capacity(mentions.len());
    let mut ids = Vec::with_capacity(mentions.len());
    for m in mentions {
        let Ok(href) = url::Url::parse(&m.ap_id) else {
            continue;
        };
        let host = crate::urls::authority(&href).unwrap_or_default();
        tags.push(crate::protocol::objects::Tag {
            kind: "Mention".to_owned(),
            name: Some(format!("@{}@{host}", m.name)),
            href: Some(href.clone()),
        });
        ids.push(href);
    }
    let tags = (!tags.is_empty()).then_some(crate::protocol::OneOrMany::Many(tags));
    (tags, ids)
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn html_becomes_text_with_every_entity_decoded_once() {
        assert_eq!(html_to_text("<p>&amp;lt;b&amp;gt;</p>"), "&lt;b&gt;");
        assert_eq!(html_to_text("<p>a &lt;b&gt; &amp; c</p>"), "a <b> & c");
        assert_eq!(html_to_text("a&nbsp;b"), "a\u{a0}b");
        assert_eq!(html_to_text("it&#39;s"), "it's");
        assert_eq!(html_to_text("it&#x27;s"), "it's");
        assert_eq!(html_to_text("caf&eacute; &quot;x&quot;"), "café \"x\"");
        // Tags go; a script's text goes with it.
        assert_eq!(
            html_to_text("<p>Hello <b>world</b><script>x</script></p>"),
            "Hello world"
        );
    }

    #[test]
    fn paragraphs_and_line_breaks_survive_as_text() {
        assert_eq!(html_to_text("<p>a</p><p>b</p>"), "a\n\nb");
        assert_eq!(html_to_text("<p>a<br>b<br />c</p>"), "a\nb\nc");
    }
}

#[cfg(test)]
mod proptests;
