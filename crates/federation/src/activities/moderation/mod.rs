//! Moderation: removals, locks, pins and moderators, community bans and `Update{Group}`. Sent
//! to one of our communities, they must come from its moderators (403 `not_moderator`) and are
//! announced; announced by a remote community, they count on the community's word (FEP-1b12).
//! Each is logged in the mod log.

pub(crate) mod ban;
pub(crate) mod collection;
pub(crate) mod delete_group;
pub(crate) mod lock;
pub(crate) mod remove;
pub(crate) mod update_group;

use crate::activities::Context;
use crate::received::{InboxError, Via};
use chrono::{DateTime, Utc};
use hearth_db::community::CommunityRow;
use url::Url;

/// A moderator's standing for one activity: whether to announce it, and who they are here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Standing {
    /// Announce it to the community's members (it came to our community).
    pub(crate) announce: bool,
    /// The moderator's person id, when we know them.
    pub(crate) moderator_id: Option<i64>,
}

/// Whether `actor` may moderate `community` as the activity reached us: `None` when it is not
/// ours to apply; 403 `not_moderator` when the actor does not moderate our community.
pub(crate) async fn standing(
    actor: &Url,
    community: &CommunityRow,
    cx: &Context<'_>,
) -> Result<Option<Standing>, InboxError> {
    let Some(announce) = cx.scope(community)? else {
        return Ok(None);
    };
    let moderator_id = hearth_db::person::actor_by_ap_id(&cx.data.pool, actor.as_str())
        .await?
        .map(|p| p.id);
    let standing = Standing {
        announce,
        moderator_id,
    };
    if matches!(cx.via, Via::Announced(_)) || actor.as_str() == community.ap_id {
        // The community's own server vouches for its moderators.
        return Ok(Some(standing));
    }
    let is_moderator = match moderator_id {
        Some(id) => hearth_db::moderator::is_moderator(&cx.data.pool, community.id, id).await?,
        None => false,
    };
    if !is_moderator {
        return Err(InboxError::refused(
            "not_moderator",
            "Only the community's moderators may do this.",
        ));
    }
    Ok(Some(standing))
}

/// A moderator's reason, cut to the longest we keep.
pub(crate) fn reason(summary: Option<&str>) -> String {
    summary
        .unwrap_or_default()
        .chars()
        .take(hearth_service::moderation::MAX_REASON)
        .collect()
}

/// A ban's end: `endTime`, or `expires` as Lemmy 0.19 sends it.
pub(crate) fn expiry(
    end_time: Option<DateTime<Utc>>,
    expires: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    end_time.or(expires)
}
