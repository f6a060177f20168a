//! Hearth's use cases. Each one owns its transaction, speaks in domain types and returns
//! `hearth_core::Error`; the API, the web pages and federation all call these.

pub mod account_deletion;
pub mod accounts;
pub mod admin;
pub mod admin_views;
pub mod applications;
pub mod auth;
pub mod blocks;
pub mod comments;
pub mod communities;
pub mod community_facts;
pub mod constraint;
pub mod content;
pub mod content_facts;
pub mod context;
pub mod events;
pub mod export;
pub mod keys;
pub mod maintenance;
pub mod markdown;
pub mod media;
pub mod membership;
pub mod mentions;
pub mod moderation;
pub mod moderators;
pub mod notifications;
pub mod outbox;
pub mod overview;
pub mod paging;
pub mod password;
pub mod policy;
pub mod polls;
pub mod posts;
pub mod rate_limit;
pub mod reports;
pub mod resolve;
pub mod saved;
pub mod search;
pub mod settings;
pub mod setup;
pub mod site;
pub mod two_factor;
pub mod users;
pub mod viewer;
pub mod vote_list;

pub use context::ServiceContext;

use auth::Viewer;
use hearth_core::{Error, Result};

/// Refuses anyone but an administrator of this instance.
pub fn require_admin(viewer: &Viewer) -> Result<()> {
    if viewer.admin {
        Ok(())
    } else {
        Err(Error::forbidden(
            "not_admin",
            "Only administrators may do this.",
        ))
    }
}

/// Refuses anyone but the community's moderators and, for a community of this instance, its
/// admins (admins of other servers' communities are those servers' admins).
pub async fn can_moderate(ctx: &ServiceContext, viewer: &Viewer, community_id: i64) -> Result<()> {
    let admin_here = viewer.admin
        && hearth_db::community::find(&ctx.pool, community_id)
            .await?
            .is_some_and(|c| c.local);
    if admin_here
        || hearth_db::moderator::is_moderator(&ctx.pool, community_id, viewer.person_id).await?
    {
        Ok(())
    } else {
        Err(Error::forbidden(
            "not_moderator",
            "Only the community's moderators may do this.",
        ))
    }
}
