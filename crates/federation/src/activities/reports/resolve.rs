//! `Resolve`: a moderator's decision on a report (`summary: "dismissed"` for a dismissal). The
//! report is found by the Flag's id, or, when Lemmy embeds a Flag of its own making (a new id),
//! by what was reported and by whom. Sent to our community, it must come from its moderators,
//! and is forwarded to the moderators on other servers.

use crate::activities::Context;
use crate::activities::Received;
use crate::protocol::context;
use crate::received::{InboxError, Via, deserialize_id, id_of};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Resolve` of a report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Resolve {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Resolve`.
    #[serde(rename = "type")]
    kind: ResolveKind,
    /// The moderator.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// The Flag decided: embedded, as Lemmy 1.0 sends and expects it, or its id.
    pub(crate) object: Value,
    /// `dismissed` for a dismissal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: crate::activities::Addressing,
}

/// The type of a [`Resolve`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum ResolveKind {
    /// `Resolve`.
    Resolve,
}

impl Resolve {
    /// Our moderator's decision on a report, embedding the Flag decided.
    pub(crate) fn new(
        id: Url,
        moderator: &Url,
        flag: Value,
        dismissed: bool,
        addressing: crate::activities::Addressing,
    ) -> Self {
        Self {
            context: context(),
            id,
            kind: ResolveKind::Resolve,
            actor: moderator.clone(),
            object: flag,
            summary: dismissed.then(|| "dismissed".to_owned()),
            addressing,
        }
    }
}

/// A decision that passed its checks.
pub(crate) struct Decided {
    report_id: i64,
    community: hearth_db::community::CommunityRow,
    moderator: Option<i64>,
    forward: bool,
}

#[async_trait::async_trait]
impl Received for Resolve {
    type Checked = Decided;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Decided>, InboxError> {
        let pool = &cx.data.pool;
        let object = id_of(Some(&self.object))
            .ok_or_else(|| InboxError::unreadable("Resolve has no object."))?;
        let mut found = hearth_db::report::id_by_ap_id(pool, object.as_str()).await?;
        if found.is_none() {
            // Lemmy embeds a Flag of its own making (a new id): match by what was reported, and
            // by whom.
            let content = match self.object.get("object") {
                Some(Value::Array(items)) => items.first().and_then(|v| id_of(Some(v))),
                other => id_of(other),
            };
            let reporter = id_of(self.object.get("actor"));
            if let (Some(content), Some(reporter)) = (content, reporter) {
                found = hearth_db::report::pending_by_content(
                    pool,
                    content.as_str(),
                    reporter.as_str(),
                )
                .await?;
            }
        }
        let Some(report_id) = found else {
            return Ok(None);
        };
        let Some(report) = hearth_db::report::find(pool, report_id).await? else {
            return Ok(None);
        };
        let Some(community) = hearth_db::community::find(pool, report.community_id).await? else {
            return Ok(None);
        };
        let moderator = hearth_db::person::actor_by_ap_id(pool, self.actor.as_str())
            .await?
            .map(|p| p.id);
        let forward = match &cx.via {
            Via::Announced(announcer) if announcer.id == community.id => false,
            Via::Announced(_) => {
                return Err(InboxError::refused(
                    "not_community_content",
                    "A community may only decide its own reports.",
                ));
            }
            Via::Direct if community.local => {
                let is_moderator = match moderator {
                    Some(id) => hearth_db::moderator::is_moderator(pool, community.id, id).await?,
                    None => false,
                };
                if !is_moderator {
                    return Err(InboxError::refused(
                        "not_moderator",
                        "Only the community's moderators may decide its reports.",
                    ));
                }
                true
            }
            Via::Direct => return Ok(None),
        };
        Ok(Some(Decided {
            report_id,
            community,
            moderator,
            forward,
        }))
    }

    async fn receive(self, decided: Decided, cx: &Context<'_>) -> Result<(), InboxError> {
        let status = if self.summary.as_deref() == Some("dismissed") {
            "dismissed"
        } else {
            "resolved"
        };
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        if hearth_db::report::decide(&mut *tx, decided.report_id, status, decided.moderator).await?
            && decided.forward
        {
            let inboxes =
                hearth_db::report::remote_moderator_inboxes(&mut *tx, decided.community.id).await?;
            cx.relay_to(&mut tx, &decided.community, inboxes).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
