//! Reports received: a `Flag` (as Lemmy sends it, or Mastodon's: an object list with the account
//! and statuses, sometimes signed by the instance actor) becomes a report of the first post or
//! comment it names that we hold; one about our community is forwarded to the community's
//! moderators on other servers. `Resolve` records a moderator's decision.

use crate::inbox::id_of;
use crate::objects::actor::ApubActor;
use crate::receive::{Applied, Receipt, Target, Via, refused, scope, unreadable};
use crate::urls::authority;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use hearth_db::report::NewReport;
use hearth_service::ServiceContext;
use serde_json::Value;
use url::Url;

/// The ids in an activity's `object` (a string, an object, or a list of either).
fn object_ids(raw: &Value) -> Vec<Url> {
    match raw.get("object") {
        Some(Value::Array(items)) => items.iter().filter_map(|v| id_of(Some(v))).collect(),
        other => id_of(other).into_iter().collect(),
    }
}

/// A report of content we hold.
pub(crate) async fn flag(
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let mut target = None;
    for id in object_ids(raw) {
        if let Some(found) = Target::find(id.as_str(), data).await? {
            target = Some(found);
            break;
        }
    }
    let Some(target) = target else {
        // Only accounts, or content we do not hold: nothing for our moderators.
        return Ok(());
    };
    let community = target.community(data).await?;
    if let Via::Announced(_) = via {
        // Announced by its community: it must be that community's content.
        scope(&community, &via)?;
    }
    let reporter = ObjectId::<ApubActor>::from(actor.clone())
        .dereference(data)
        .await?;
    let reporter_id = match reporter {
        ApubActor::Person(p) => Some(p.row.id),
        ApubActor::Community(_) => None,
    };
    let reason: String = ["content", "summary"]
        .iter()
        .find_map(|f| raw.get(*f).and_then(Value::as_str))
        .unwrap_or("")
        .chars()
        .take(hearth_service::moderation::MAX_REASON)
        .collect();
    let ap_id = id_of(raw.get("id")).ok_or_else(|| unreadable("The Flag has no id."))?;
    let (post_id, comment_id) = match &target {
        Target::Post(p) => (Some(p.id), None),
        Target::Comment(c, p) => (Some(p.id), Some(c.id)),
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    let stored = hearth_db::report::insert(
        &mut *tx,
        &NewReport {
            ap_id: ap_id.as_str(),
            reporter_id,
            community_id: community.id,
            post_id,
            comment_id,
            reason: &reason,
        },
    )
    .await?;
    if stored.is_some() && community.local && matches!(via, Via::Direct) {
        // The community's moderators on other servers see it as well.
        let sender = authority(actor);
        let inboxes: Vec<String> =
            hearth_db::report::remote_moderator_inboxes(&mut *tx, community.id)
                .await?
                .into_iter()
                .filter(|inbox| {
                    Url::parse(inbox)
                        .ok()
                        .and_then(|u| authority(&u))
                        .is_none_or(|a| Some(a) != sender)
                })
                .collect();
        crate::outbox::announce_to(&mut tx, &data.settings, raw.clone(), &community, &inboxes)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A moderator's decision on a report (`Resolve`; `summary: "dismissed"` for a dismissal).
pub(crate) async fn resolve(
    raw: &Value,
    actor: &Url,
    via: Via,
    receipt: &Receipt,
    data: &Data<ServiceContext>,
) -> Applied {
    let object = id_of(raw.get("object")).ok_or_else(|| unreadable("Resolve has no object."))?;
    let mut found = hearth_db::report::id_by_ap_id(&data.pool, object.as_str()).await?;
    if found.is_none() {
        // Lemmy embeds a Flag of its own making (a new id): match by what was reported, and by
        // whom.
        let inner = raw.get("object");
        let content = inner.and_then(|o| object_ids(o).into_iter().next());
        let reporter = inner.and_then(|o| id_of(o.get("actor")));
        if let (Some(content), Some(reporter)) = (content, reporter) {
            found = hearth_db::report::pending_by_content(
                &data.pool,
                content.as_str(),
                reporter.as_str(),
            )
            .await?;
        }
    }
    let Some(id) = found else {
        return Ok(());
    };
    let Some(report) = hearth_db::report::find(&data.pool, id).await? else {
        return Ok(());
    };
    let Some(community) = hearth_db::community::find(&data.pool, report.community_id).await? else {
        return Ok(());
    };
    let moderator = hearth_db::person::actor_by_ap_id(&data.pool, actor.as_str())
        .await?
        .map(|p| p.id);
    let forward = match &via {
        Via::Announced(announcer) if announcer.id == community.id => false,
        Via::Announced(_) => {
            return Err(refused(
                "not_community_content",
                "A community may only decide its own reports.",
            ));
        }
        Via::Direct if community.local => {
            let is_moderator = match moderator {
                Some(id) => {
                    hearth_db::moderator::is_moderator(&data.pool, community.id, id).await?
                }
                None => false,
            };
            if !is_moderator {
                return Err(refused(
                    "not_moderator",
                    "Only the community's moderators may decide its reports.",
                ));
            }
            true
        }
        Via::Direct => return Ok(()),
    };
    let status = if raw.get("summary").and_then(Value::as_str) == Some("dismissed") {
        "dismissed"
    } else {
        "resolved"
    };
    let Some(mut tx) = receipt.begin(data).await? else {
        return Ok(());
    };
    if hearth_db::report::decide(&mut *tx, id, status, moderator).await? && forward {
        let inboxes = hearth_db::report::remote_moderator_inboxes(&mut *tx, community.id).await?;
        crate::outbox::announce_to(&mut tx, &data.settings, raw.clone(), &community, &inboxes)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
