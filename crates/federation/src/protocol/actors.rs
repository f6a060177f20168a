//! Actors: `Group` (community), `Person`, and the instance's `Application`.

use super::{ImageRef, LanguageTag, OneOrMany, Source};
use activitypub_federation::protocol::public_key::PublicKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// Shared inbox and friends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    /// The instance-wide inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
}

/// A community.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// `Group`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor id, equal to its page URL.
    pub id: Url,
    /// The community's name (`!name@host`).
    pub preferred_username: String,
    /// The title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The description as HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The description as markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Avatar.
    #[serde(
        default,
        deserialize_with = "super::lenient_image",
        skip_serializing_if = "Option::is_none"
    )]
    pub icon: Option<ImageRef>,
    /// Banner.
    #[serde(
        default,
        deserialize_with = "super::lenient_image",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<ImageRef>,
    /// Inbox.
    pub inbox: Url,
    /// Outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// Followers collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    /// Featured (pinned) posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    /// The moderators collection (Lemmy) or the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributed_to: Option<OneOrMany<serde_json::Value>>,
    /// Shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The key that signs this actor's requests.
    pub public_key: PublicKey,
    /// Not safe for work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
    /// Only moderators may post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posting_restricted_to_mods: Option<bool>,
    /// Followers need approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manually_approves_followers: Option<bool>,
    /// Listed in directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// Languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<OneOrMany<LanguageTag>>,
    /// Created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
}

/// A person (Mastodon also sends `Service` for bots; both read as people).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    /// `Person` (or `Service`, `Application`, `Organization` from others).
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor id.
    pub id: Url,
    /// The username.
    pub preferred_username: String,
    /// The display name; some servers leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The bio as HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The bio as markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Avatar.
    #[serde(
        default,
        deserialize_with = "super::lenient_image",
        skip_serializing_if = "Option::is_none"
    )]
    pub icon: Option<ImageRef>,
    /// Banner.
    #[serde(
        default,
        deserialize_with = "super::lenient_image",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<ImageRef>,
    /// Inbox.
    pub inbox: Url,
    /// Outbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// Shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The key that signs this actor's requests.
    pub public_key: PublicKey,
    /// Created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
}

/// The instance actor at the site root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instance {
    /// `Application`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The site root.
    pub id: Url,
    /// The instance's authority.
    pub preferred_username: String,
    /// The site's name.
    pub name: String,
    /// The site's description as HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The description as markdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// Inbox.
    pub inbox: Url,
    /// Outbox.
    pub outbox: Url,
    /// Shared inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<Endpoints>,
    /// The key that signs the instance's fetches.
    pub public_key: PublicKey,
    /// Created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
}
