//! Moderation activities received: removals (`Delete` by a moderator, `Undo{Delete}`), `Lock`,
//! pins and moderators (`Add`/`Remove` on the featured and moderators collections), bans
//! (`Block` with the community as target) and `Update{Group}`. Sent to one of our communities,
//! they must come from its moderators (403 otherwise) and are announced; announced by a remote
//! community, they count on the community's word (FEP-1b12). Each is logged in the mod log.

use crate::inbox::{InboxError, id_of};
use crate::objects::community::ApubCommunity;
use crate::receive::{Applied, Receipt, Target, Via, person, refused, scope, unreadable};
use crate::urls::authority;
use activitypub_federation::config::Data;
use activitypub_federation::traits::Object;
use chrono::{DateTime, Utc};
use hearth_db::community::CommunityRow;
use hearth_db::moderation::NewModLogEntry;
use hearth_service::ServiceContext;
use serde_json::Value;
use url::Url;

/// Whether the activity's actor may moderate `community` as it reached us: `None` when it is
/// not ours to apply, else whether to announce it and the moderator's person id (when known).
async fn moderator(
    actor: &Url,
    community: &CommunityRow,
    via: &Via,
    data: &Data<ServiceContext>,
) -> Result<Option<(bool, Option<i64>)>, InboxError> {
    let Some(announce) = scope(community, via)? else {
        return Ok(None);
    };
    let known = hearth_db::person::actor_by_ap_id(&data.pool, actor.as_str())
        .await?
        .map(|p| p.id);
    if matches!(via, Via::Announced(_)) || actor.as_str() == community.ap_id {
        // The community's own server vouches for its moderators.
        return Ok(Some((announce, known)));
    }
    let is_moderator = match known {
        Some(id) => hearth_db::moderator::is_moderator(&data.pool, community.id, id).await?,
        None => false,
    };
    if !is_moderator {
        return Err(refused(
            "not_moderator",
            "Only the community's moderators may do this.",
        ));
    }
    Ok(Some((announce, known)))
}

/// Announces `raw` to the community's members when it arrived at our community directly.
async fn relay(
    tx: &mut crate::receive::Tx,
    data: &Data<ServiceContext>,
    raw: &Value,
    community: &CommunityRow,
    actor: &Url,
    announce: bool,
) -> Applied {
    if announce {
        crate::outbox::announce(
            tx,
            &data.settings,
            raw.clone(),
            community,
            authority(actor).as_deref(),
        )
        .await?;
    }
    Ok(())
}

/// A ban's end: `endTime`, or `expires` as Lemmy 0.19 sends it.
fn expiry(activity: &Value) -> Option<DateTime<Utc>> {
    ["endTime", "expires"]
        .iter()
        .find_map(|f| activity.get(*f).and_then(Value::as_str))
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

fn summary(activity: &Value) -> String {
    activity
        .get("summary")
        .and_then(Value::as_str)
        .map(|s| {
            s.chars()
                .take(hearth_service::moderation::MAX_REASON)
                .collect()
        })
        .unwrap_or_default()
}

/// A moderator removes (`removed`) or restores a post or comment. `raw` is what is announced
/// (the Delete, or the Undo); `activity` the Delete itself.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn remove(
    raw: &Value,
    activity: &Value,
    actor: &Url,
    target: &Target,
    community: &CommunityRow,
    removed: bool,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some((announce, moderator_id)) = moderator(actor, community, &via, data).await? else {
        return Ok(());
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let reason = summary(activity);
    let (changed, entry) = match target {
        Target::Post(post) => (
            hearth_db::moderation::set_post_removed(&mut *tx, post.id, removed).await?,
            NewModLogEntry {
                community_id: community.id,
                moderator_id,
                action: if removed {
                    "remove_post"
                } else {
                    "restore_post"
                },
                target_person_id: Some(post.author_id),
                target_post_id: Some(post.id),
                reason: &reason,
                ..NewModLogEntry::default()
            },
        ),
        Target::Comment(comment, post) => (
            hearth_db::moderation::set_comment_removed(&mut *tx, comment.id, removed).await?,
            NewModLogEntry {
                community_id: community.id,
                moderator_id,
                action: if removed {
                    "remove_comment"
                } else {
                    "restore_comment"
                },
                target_person_id: Some(comment.author_id),
                target_post_id: Some(post.id),
                target_comment_id: Some(comment.id),
                reason: &reason,
                ..NewModLogEntry::default()
            },
        ),
    };
    if changed {
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        relay(&mut tx, data, raw, community, actor, announce).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A moderator locks or unlocks a post.
pub(crate) async fn lock(
    raw: &Value,
    activity: &Value,
    actor: &Url,
    locked: bool,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object =
        id_of(activity.get("object")).ok_or_else(|| unreadable("The Lock has no object."))?;
    let Some(Target::Post(post)) = Target::find(object.as_str(), data).await? else {
        return Ok(());
    };
    let community = Target::Post(post.clone()).community(data).await?;
    let Some((announce, moderator_id)) = moderator(actor, &community, &via, data).await? else {
        return Ok(());
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    if hearth_db::moderation::set_locked(&mut *tx, post.id, locked).await? {
        let entry = NewModLogEntry {
            community_id: community.id,
            moderator_id,
            action: if locked { "lock_post" } else { "unlock_post" },
            target_post_id: Some(post.id),
            ..NewModLogEntry::default()
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        relay(&mut tx, data, raw, &community, actor, announce).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `Add` / `Remove` on a community's featured collection (pins) or moderators collection.
pub(crate) async fn add_or_remove(
    raw: &Value,
    actor: &Url,
    add: bool,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let target =
        id_of(raw.get("target")).ok_or_else(|| unreadable("The activity has no target."))?;
    let object =
        id_of(raw.get("object")).ok_or_else(|| unreadable("The activity has no object."))?;
    let target = target.as_str().trim_end_matches('/');
    let (community_id, collection) = match target.rsplit_once('/') {
        Some((community, collection @ ("featured" | "moderators"))) => (community, collection),
        _ => return Ok(()),
    };
    let Some(community) = hearth_db::community::find_by_ap_id(&data.pool, community_id).await?
    else {
        return Ok(());
    };
    let Some((announce, moderator_id)) = moderator(actor, &community, &via, data).await? else {
        return Ok(());
    };
    if collection == "featured" {
        let Some(Target::Post(post)) = Target::find(object.as_str(), data).await? else {
            return Ok(());
        };
        if post.community_id != community.id {
            return Err(refused(
                "not_community_content",
                "This post belongs to another community.",
            ));
        }
        let Some(mut tx) = receipt.begin(data).await? else {
            return Ok(());
        };
        if hearth_db::moderation::set_featured(&mut *tx, post.id, add).await? {
            let entry = NewModLogEntry {
                community_id: community.id,
                moderator_id,
                action: if add { "pin_post" } else { "unpin_post" },
                target_post_id: Some(post.id),
                ..NewModLogEntry::default()
            };
            hearth_db::moderation::log(&mut *tx, &entry).await?;
            relay(&mut tx, data, raw, &community, actor, announce).await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    let member = person(&object, data).await?;
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let changed = if add {
        hearth_db::moderator::add(&mut *tx, community.id, member.row.id).await?
    } else {
        if community.local
            && hearth_db::moderator::count_for_update(&mut *tx, community.id).await? <= 1
        {
            return Err(refused(
                "last_moderator",
                "A community needs at least one moderator.",
            ));
        }
        hearth_db::moderator::remove(&mut *tx, community.id, member.row.id).await?
    };
    if changed {
        let entry = NewModLogEntry {
            community_id: community.id,
            moderator_id,
            action: if add {
                "add_moderator"
            } else {
                "remove_moderator"
            },
            target_person_id: Some(member.row.id),
            ..NewModLogEntry::default()
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        relay(&mut tx, data, raw, &community, actor, announce).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A community ban (`Block` with the community as `target`) or its lifting. Bans from a whole
/// instance (`target` the instance) are for site administration.
pub(crate) async fn block(
    raw: &Value,
    activity: &Value,
    actor: &Url,
    banned: bool,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let Some(target) = id_of(activity.get("target")) else {
        // A person blocking another (Mastodon): nothing for us to apply.
        return Ok(());
    };
    let object =
        id_of(activity.get("object")).ok_or_else(|| unreadable("The Block has no object."))?;
    let Some(community) = hearth_db::community::find_by_ap_id(&data.pool, target.as_str()).await?
    else {
        return site_block(
            activity, actor, &target, &object, banned, via, receipt, data,
        )
        .await;
    };
    let Some((announce, moderator_id)) = moderator(actor, &community, &via, data).await? else {
        return Ok(());
    };
    let member = person(&object, data).await?;
    if banned
        && hearth_db::moderator::is_moderator(&data.pool, community.id, member.row.id).await?
        && community.local
    {
        return Err(refused(
            "is_moderator",
            "Moderators cannot be banned; remove them as moderator first.",
        ));
    }
    let expires_at = expiry(activity);
    let reason = summary(activity);
    let remove_data = activity
        .get("removeData")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let changed = if banned {
        hearth_db::moderation::ban(
            &mut *tx,
            community.id,
            member.row.id,
            &reason,
            expires_at,
            moderator_id,
        )
        .await?;
        if remove_data {
            hearth_db::moderation::remove_person_content(&mut tx, community.id, member.row.id)
                .await?;
        }
        true
    } else {
        hearth_db::moderation::unban(&mut *tx, community.id, member.row.id).await?
    };
    if changed {
        let entry = NewModLogEntry {
            community_id: community.id,
            moderator_id,
            action: if banned { "ban" } else { "unban" },
            target_person_id: Some(member.row.id),
            reason: &reason,
            expires_at,
            ..NewModLogEntry::default()
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        relay(&mut tx, data, raw, &community, actor, announce).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// `Update{Group}`: a remote community's new settings, announced by it or sent by itself, are
/// taken from the Group JSON; one of our communities changed by a remote moderator takes the
/// title, description and flags.
pub(crate) async fn update_group(
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let group: crate::protocol::actors::Group = serde_json::from_value(raw["object"].clone())
        .map_err(|e| unreadable(format!("The Group cannot be read: {e}")))?;
    let Some(community) =
        hearth_db::community::find_by_ap_id(&data.pool, group.id.as_str()).await?
    else {
        return Ok(());
    };
    let Some((announce, moderator_id)) = moderator(actor, &community, &via, data).await? else {
        // A remote community telling us itself (not announced) is its own authority.
        if !community.local && actor.as_str() == community.ap_id {
            ApubCommunity::verify(&group, &group.id, data).await?;
            ApubCommunity::from_json(group, data).await?;
        }
        return Ok(());
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    if community.local {
        let (description, description_html) =
            crate::objects::remote_text(group.summary.as_deref(), group.source.as_ref());
        let title: Option<String> = group
            .name
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(100).collect());
        let patch = hearth_db::community::CommunityPatch {
            title: title.as_deref(),
            description: Some((&description, &description_html)),
            nsfw: group.sensitive,
            posting_restricted_to_mods: group.posting_restricted_to_mods,
            visibility: None,
        };
        hearth_db::community::update(&mut *tx, community.id, &patch).await?;
    }
    let entry = NewModLogEntry {
        community_id: community.id,
        moderator_id,
        action: "update_community",
        ..NewModLogEntry::default()
    };
    hearth_db::moderation::log(&mut *tx, &entry).await?;
    relay(&mut tx, data, raw, &community, actor, announce).await?;
    tx.commit().await?;
    if !community.local {
        // Announced by the community itself: its JSON is the truth.
        ApubCommunity::verify(&group, &group.id, data).await?;
        ApubCommunity::from_json(group, data).await?;
    }
    Ok(())
}

/// A server bans one of its own people instance-wide (`Block` with that server's instance actor
/// as target): we refuse their activities too. Another server's site bans concern only it.
#[allow(clippy::too_many_arguments)]
async fn site_block(
    activity: &Value,
    actor: &Url,
    target: &Url,
    object: &Url,
    banned: bool,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let home = authority(actor);
    let is_instance = target.path() == "/" && authority(target) == home;
    if !matches!(via, Via::Direct) || !is_instance || authority(object) != home {
        return Ok(());
    }
    let member = person(object, data).await?;
    let expires_at = expiry(activity);
    let reason = summary(activity);
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let source = home.clone().unwrap_or_default();
    hearth_db::person::set_site_ban(
        &mut *tx,
        member.row.id,
        banned,
        Some(&reason),
        expires_at,
        &source,
    )
    .await?;
    if banned
        && activity
            .get("removeData")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    {
        hearth_db::person::remove_all_content(&mut tx, member.row.id).await?;
    }
    tx.commit().await?;
    Ok(())
}
