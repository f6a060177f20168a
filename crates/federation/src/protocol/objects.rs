//! Posts (`Page`, and the other types servers use for posts) and comments (`Note`).

use super::{ImageRef, LanguageTag, OneOrMany, Source};
use activitypub_federation::protocol::helpers::deserialize_one_or_many;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// A link or image attached to a post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Attachment {
    /// A link post's target (an image post's first picture, as Lemmy sends it).
    Link {
        /// Where it points.
        href: Url,
        /// Its media type, when given.
        #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
        media_type: Option<String>,
        /// Alt text, when it is a picture.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// An image.
    Image {
        /// The image.
        url: Url,
        /// Alt text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A document (Mastodon media): a picture when its media type is `image/*`.
    Document {
        /// The file.
        url: Url,
        /// Alt text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Its media type, when given.
        #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
        media_type: Option<String>,
    },
    /// Anything else is carried but ignored.
    #[serde(other)]
    Other,
}

/// Reads `attachment` item by item: an attachment we cannot read (a malformed URL, a shape we
/// do not know) is dropped, never a reason to refuse the post.
fn lenient_attachments<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<OneOrMany<Attachment>>, D::Error> {
    let items = match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Array(items)) => items,
        Some(one) => vec![one],
    };
    Ok(Some(OneOrMany::Many(
        items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
    )))
}

/// A mention or hashtag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    /// `Mention`, `Hashtag`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The target.
    #[serde(default)]
    pub href: Option<Url>,
    /// `@name@host` or `#tag`.
    #[serde(default)]
    pub name: Option<String>,
}

/// A post: `Page` from Lemmy and Mbin, `Article`, `Note` with a title, `Video`, `Event`,
/// `Question` from others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page {
    /// The object type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id, equal to its page URL.
    pub id: Url,
    /// The author.
    #[serde(deserialize_with = "one_actor")]
    pub attributed_to: Url,
    /// Addressing.
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    /// Addressing.
    #[serde(
        default,
        deserialize_with = "deserialize_one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cc: Vec<Url>,
    /// The community (FEP-1b12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Url>,
    /// The title.
    #[serde(default)]
    pub name: Option<String>,
    /// The body as HTML.
    #[serde(default)]
    pub content: Option<String>,
    /// `text/html`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The body as markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// A link post's link, or images.
    #[serde(
        default,
        deserialize_with = "lenient_attachments",
        skip_serializing_if = "Option::is_none"
    )]
    pub attachment: Option<OneOrMany<Attachment>>,
    /// A thumbnail.
    #[serde(
        default,
        deserialize_with = "super::lenient_image",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<ImageRef>,
    /// Some servers put a link post's link here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<serde_json::Value>,
    /// Not safe for work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
    /// Language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageTag>,
    /// Mentions and hashtags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<OneOrMany<Tag>>,
    /// Published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    /// Set on a Mastodon reply to a post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<Url>,
    /// The post's comments as a collection (a newly joined server backfills the thread).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<serde_json::Value>,
    /// An `Event`'s start (Mobilizon).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<DateTime<Utc>>,
    /// An `Event`'s end, or when a `Question` closes.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_time: Option<DateTime<Utc>>,
    /// An `Event`'s IANA time zone (Mobilizon's `timezone`).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub timezone: Option<String>,
    /// An `Event`'s place.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub location: Option<Place>,
    /// An `Event`'s `joinMode`: `free`, `restricted` (the organiser approves) or `invite`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub join_mode: Option<String>,
    /// An `Event`'s capacity (Mobilizon sends 0 for none).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub maximum_attendee_capacity: Option<i64>,
    /// An `Event`'s places left.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub remaining_attendee_capacity: Option<i64>,
    /// How many are going to an `Event`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub participant_count: Option<i64>,
    /// Whether people without an account may answer an `Event` (never, here).
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub anonymous_participation_enabled: Option<bool>,
    /// Whether an `Event` happens online.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_online: Option<bool>,
    /// An `Event`'s iCalendar status: `CONFIRMED`, `TENTATIVE`, `CANCELLED`.
    #[serde(
        rename = "ical:status",
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub ical_status: Option<String>,
    /// A single-choice `Question`'s options.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub one_of: Option<Vec<PollChoice>>,
    /// A multiple-choice `Question`'s options.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub any_of: Option<Vec<PollChoice>>,
    /// When a `Question` closed (Mastodon sends a time; some send `true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<serde_json::Value>,
    /// How many people voted in a `Question`.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub voters_count: Option<i64>,
}

/// Where an event happens (`Place`, with a schema.org `PostalAddress` or a plain string).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// `Place`.
    #[serde(rename = "type", default = "place_kind")]
    pub kind: String,
    /// The place's name.
    #[serde(
        default,
        deserialize_with = "lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// Its address: a `PostalAddress` object or a line of text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<serde_json::Value>,
}

fn place_kind() -> String {
    "Place".to_owned()
}

/// One option of a `Question`: a `Note` whose `name` is the option, its votes in `replies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollChoice {
    /// `Note`.
    #[serde(rename = "type", default = "note_kind")]
    pub kind: String,
    /// What the option says.
    pub name: String,
    /// `{type: Collection, totalItems}`: the option's votes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replies: Option<VoteCount>,
}

fn note_kind() -> String {
    "Note".to_owned()
}

/// A `Collection` that only says how many items it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteCount {
    /// `Collection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many.
    #[serde(default, deserialize_with = "lenient")]
    pub total_items: Option<i64>,
}

/// Reads a field that other servers fill in many ways: a value that does not fit is `None`,
/// never a reason to refuse the object that carries it.
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(Option::<serde_json::Value>::deserialize(d)?
        .and_then(|value| serde_json::from_value(value).ok()))
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// `Note`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: Url,
    /// The author.
    #[serde(deserialize_with = "one_actor")]
    pub attributed_to: Url,
    /// Addressing.
    #[serde(default, deserialize_with = "deserialize_one_or_many")]
    pub to: Vec<Url>,
    /// Addressing.
    #[serde(
        default,
        deserialize_with = "deserialize_one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cc: Vec<Url>,
    /// The community (FEP-1b12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Url>,
    /// The post or comment answered.
    pub in_reply_to: Url,
    /// The body as HTML.
    #[serde(default)]
    pub content: Option<String>,
    /// `text/html`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The body as markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<OneOrMany<Tag>>,
    /// Marked by a moderator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinguished: Option<bool>,
    /// Language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<LanguageTag>,
    /// Published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
}

/// What a deleted object is served as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tombstone {
    /// `Tombstone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The deleted object's id.
    pub id: Url,
}

/// `attributedTo` may be a URL, an object with an `id`, or a list of either (Mbin, PeerTube).
fn one_actor<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    use serde::de::Error;
    let value = serde_json::Value::deserialize(d)?;
    author_of(&value).ok_or_else(|| D::Error::custom("attributedTo names no actor"))
}

/// The author an `attributedTo` names: a URL, an object with an `id`, or in a list the first
/// URL or `Person` (PeerTube lists the account and then the video's channel, a `Group`, which is
/// not the author). Checks that compare the author with an activity's actor read it here, so
/// that they agree with what the object is stored as.
pub fn author_of(value: &serde_json::Value) -> Option<Url> {
    let first = match value {
        serde_json::Value::Array(items) => items
            .iter()
            .find(|v| v.is_string() || v.get("type").and_then(|t| t.as_str()) == Some("Person"))?,
        other => other,
    };
    let url = match first {
        serde_json::Value::String(s) => s.as_str(),
        serde_json::Value::Object(map) => map.get("id").and_then(|v| v.as_str())?,
        _ => return None,
    };
    Url::parse(url).ok()
}
