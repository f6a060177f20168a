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
pub mod lookups;
pub mod mail;
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
pub mod read_cache;
pub mod replicas;
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

/// Refuses anyone but an administrator of this instance (who has turned on two-factor sign-in,
/// when the site requires it of staff).
pub fn require_admin(viewer: &Viewer) -> Result<()> {
    if viewer.admin {
        require_staff_second_factor(viewer)
    } else {
        Err(Error::forbidden(
            "not_admin",
            "Only administrators may do this.",
        ))
    }
}

/// Refuses a staff action (the caller established that the viewer is an admin or moderator) while
/// the site requires two-factor sign-in of staff and the viewer has not turned it on.
pub fn require_staff_second_factor(viewer: &Viewer) -> Result<()> {
    if viewer.second_factor_missing {
        Err(Error::forbidden(
            "two_factor_required",
            "This site requires moderators and admins to use two-factor sign-in: turn it on in \
             your settings (Settings → Two-factor sign-in), then try again.",
        ))
    } else {
        Ok(())
    }
}

/// For staff views that are not about one community (every report of the viewer's communities):
/// refuses an admin or a moderator of any community without the two-factor sign-in the site
/// requires of staff. Costs a query only while the viewer lacks it.
pub async fn require_staff_second_factor_anywhere(
    ctx: &ServiceContext,
    viewer: &Viewer,
) -> Result<()> {
    if viewer.second_factor_missing
        && (viewer.admin
            || hearth_db::moderator::moderates_any(&ctx.pool, viewer.person_id).await?)
    {
        require_staff_second_factor(viewer)
    } else {
        Ok(())
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
        require_staff_second_factor(viewer)
    } else {
        Err(Error::forbidden(
            "not_moderator",
            "Only the community's moderators may do this.",
        ))
    }
}
