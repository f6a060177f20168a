//! The response shapes of Lemmy 0.19 (lemmy-js-client's types), built from Hearth's rows. Every
//! optional field is left out when empty, never `null`, as Lemmy serialises them. Shapes shared
//! by several endpoints live here; each family's own views live beside it in a submodule.

pub mod comment;
pub mod community;
pub mod media;
pub mod moderation;
pub mod person;
pub mod post;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// A time as Lemmy writes it (RFC 3339, UTC, `Z`).
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Lemmy's numeric `instance_id` for a server: Hearth keeps servers by host name, so the id is a
/// stable positive number made from the host (the same host always gets the same id, on every
/// Hearth instance).
pub fn instance_id(authority: &str) -> i32 {
    stable_id(&authority.to_ascii_lowercase())
}

/// The authority (host[:port]) of an ActivityPub id; empty when it is not a URL.
pub fn authority_of(ap_id: &str) -> String {
    hearth_core::names::authority_of(ap_id).unwrap_or_default()
}

/// FNV-1a over the text, folded into a positive i32 (never 0). Not a security measure: only a
/// stable number per host.
fn stable_id(text: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    let id = (hash & 0x7fff_ffff) as i32;
    if id == 0 { 1 } else { id }
}

/// `Person`.
#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    pub banned: bool,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub actor_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    pub local: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    pub deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matrix_user_id: Option<String>,
    pub bot_account: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ban_expires: Option<String>,
    pub instance_id: i32,
}

impl Person {
    /// From a full person row. `banned` is the site ban, which the row does not carry.
    pub fn from_row(row: &hearth_db::person::PersonRow, banned: bool) -> Self {
        let deleted = row.deleted;
        Self {
            id: row.id,
            name: row.name.clone(),
            display_name: row.display_name.clone().filter(|_| !deleted),
            avatar: row.avatar_url.clone().filter(|_| !deleted),
            banned,
            published: time(row.created_at),
            updated: None,
            actor_id: row.ap_id.clone(),
            bio: Some(row.bio.clone()).filter(|b| !b.is_empty() && !deleted),
            local: row.local,
            banner: row.banner_url.clone().filter(|_| !deleted),
            deleted,
            matrix_user_id: None,
            bot_account: false,
            ban_expires: None,
            instance_id: instance_id(&authority_of(&row.ap_id)),
        }
    }
}

/// `PersonView`.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub person: Person,
    pub counts: PersonAggregates,
    pub is_admin: bool,
}

/// `PersonAggregates`.
#[derive(Debug, Clone, Serialize)]
pub struct PersonAggregates {
    pub person_id: i64,
    pub post_count: i64,
    pub comment_count: i64,
}

/// `CommunityVisibility`.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum CommunityVisibility {
    /// Anyone can read it.
    Public,
    /// Only local people can read it (Hearth has no such communities; kept for the shape).
    #[allow(dead_code)]
    LocalOnly,
}

/// `Community`.
#[derive(Debug, Clone, Serialize)]
pub struct Community {
    pub id: i64,
    pub name: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub removed: bool,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub deleted: bool,
    pub nsfw: bool,
    pub actor_id: String,
    pub local: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banner: Option<String>,
    pub hidden: bool,
    pub posting_restricted_to_mods: bool,
    pub instance_id: i32,
    pub visibility: CommunityVisibility,
}

impl Community {
    /// From a community row.
    pub fn from_row(row: &hearth_db::community::CommunityRow) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            title: row.title.clone(),
            description: Some(row.description.clone()).filter(|d| !d.is_empty()),
            removed: row.removed,
            published: time(row.created_at),
            updated: Some(time(row.updated_at)).filter(|_| row.updated_at > row.created_at),
            deleted: false,
            nsfw: row.nsfw,
            actor_id: row.ap_id.clone(),
            local: row.local,
            icon: row.icon_url.clone(),
            banner: row.banner_url.clone(),
            hidden: false,
            posting_restricted_to_mods: row.posting_restricted_to_mods,
            instance_id: instance_id(&authority_of(&row.ap_id)),
            // Lemmy 0.19 knows no "joining needs approval"; such communities are still
            // readable by anyone, which is Lemmy's `Public`.
            visibility: CommunityVisibility::Public,
        }
    }
}

/// `SubscribedType`.
#[derive(Debug, Clone, Copy, Serialize)]
pub enum SubscribedType {
    /// A member.
    Subscribed,
    /// Not a member.
    NotSubscribed,
    /// A follow sent to another server, not yet accepted.
    Pending,
}

/// `SuccessResponse`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SuccessResponse {
    /// Always true (failures are errors).
    pub success: bool,
}

impl SuccessResponse {
    /// `{"success": true}`.
    pub const OK: Self = Self { success: true };
}
