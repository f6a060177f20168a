//! Wire types: the JSON other servers send and receive, shaped as Lemmy emits it (FEP-1b12) and
//! lenient in what it accepts (fields other servers leave out are optional; addressing may be
//! `Public`, `as:Public` or the full IRI). Nothing here touches the database.

pub mod actors;
pub mod collections;
pub mod objects;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The `@context` Hearth sends, as Lemmy sends it, so peers read our extension fields.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "lemmy": "https://join-lemmy.org/ns#",
            "litepub": "http://litepub.social/ns#",
            "pt": "https://joinpeertube.org/ns#",
            "sc": "http://schema.org/",
            "ChatMessage": "litepub:ChatMessage",
            "commentsEnabled": "pt:commentsEnabled",
            "sensitive": "as:sensitive",
            "matrixUserId": "lemmy:matrixUserId",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "removeData": "lemmy:removeData",
            "stickied": "lemmy:stickied",
            "moderators": { "@type": "@id", "@id": "lemmy:moderators" },
            "featured": { "@type": "@id", "@id": "toot:featured" },
            "expires": "as:endTime",
            "distinguished": "lemmy:distinguished",
            "language": "sc:inLanguage",
            "identifier": "sc:identifier",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "discoverable": "toot:discoverable",
            "toot": "http://joinmastodon.org/ns#"
        }
    ])
}

/// The public audience, as the full IRI.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Markdown source next to HTML `content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The markdown.
    pub content: String,
    /// `text/markdown`.
    pub media_type: String,
}

impl Source {
    /// Markdown source.
    pub fn markdown(content: &str) -> Self {
        Self {
            content: content.to_owned(),
            media_type: "text/markdown".to_owned(),
        }
    }
}

/// An image reference (`icon`, `image`, attachments).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRef {
    /// `Image`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Where it is.
    pub url: Url,
    /// Alt text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A language tag as Lemmy sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageTag {
    /// BCP 47 code, e.g. `fr`.
    pub identifier: String,
    /// Human name.
    #[serde(default)]
    pub name: Option<String>,
}

/// One value or a list of them (servers differ; we read both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The values as a list.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            Self::One(v) => vec![v],
            Self::Many(v) => v,
        }
    }

    /// The first value.
    pub fn first(&self) -> Option<&T> {
        match self {
            Self::One(v) => Some(v),
            Self::Many(v) => v.first(),
        }
    }
}

/// True for any spelling of the public audience.
pub fn is_public(url: &str) -> bool {
    matches!(url, PUBLIC | "Public" | "as:Public")
}

/// True when a document is addressed to the public (`to` or `cc`, any spelling, one value or a
/// list).
pub fn is_addressed_publicly(document: &Value) -> bool {
    ["to", "cc"].iter().any(|field| match document.get(*field) {
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str().is_some_and(is_public)),
        Some(Value::String(s)) => is_public(s),
        _ => false,
    })
}
