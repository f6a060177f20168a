//! `Flag`: a report, as Lemmy sends it (one object) or Mastodon (an object list with the account
//! and statuses, sometimes signed by the instance actor). It becomes a report of the first post
//! or comment it names that we hold; one about our community is forwarded to the community's
//! moderators on other servers. Each remote person may file `federation.inbox.flags` reports a
//! window; more are answered 429 with `Retry-After`.

use crate::activities::{Context, Received, Target};
use crate::objects::actor::ApubActor;
use crate::protocol::context;
use crate::received::{InboxError, Via, deserialize_id, deserialize_ids};
use crate::urls::authority;
use activitypub_federation::fetch::object_id::ObjectId;
use hearth_db::community::CommunityRow;
use hearth_db::report::NewReport;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Flag`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Flag {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id (also the report's).
    pub(crate) id: Url,
    /// `Flag`.
    #[serde(rename = "type")]
    kind: FlagKind,
    /// The reporter (a person, or a server's instance actor).
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// What is reported: one id as we and Lemmy send it; received, maybe a list.
    #[serde(deserialize_with = "deserialize_ids")]
    pub(crate) object: Vec<Url>,
    /// The reason (Lemmy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<String>,
    /// The reason (others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: crate::activities::Addressing,
}

/// The type of a [`Flag`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum FlagKind {
    /// `Flag`.
    Flag,
}

impl Flag {
    /// Our report `ap_id` by `reporter` of `object` in `community`, with its reason.
    pub(crate) fn new(
        ap_id: &str,
        reporter: &str,
        object: &str,
        community: &CommunityRow,
        reason: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: Url::parse(ap_id)?,
            kind: FlagKind::Flag,
            actor: Url::parse(reporter)?,
            object: vec![Url::parse(object)?],
            content: Some(reason.to_owned()),
            summary: Some(reason.to_owned()),
            addressing: crate::activities::Addressing {
                to: vec![community.ap_id.clone()],
                cc: Vec::new(),
                audience: Url::parse(&community.ap_id).ok(),
            },
        })
    }

    /// The JSON we send: one object, as a string, which is what Lemmy's report parser takes.
    pub(crate) fn to_json(&self) -> anyhow::Result<Value> {
        let mut json = serde_json::to_value(self)?;
        if let Some(first) = self.object.first() {
            json["object"] = Value::String(first.to_string());
        }
        Ok(json)
    }
}

/// A report that passed its checks.
pub(crate) struct Reported {
    target: Target,
    community: CommunityRow,
    reporter_id: Option<i64>,
}

#[async_trait::async_trait]
impl Received for Flag {
    type Checked = Reported;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Reported>, InboxError> {
        // A person's reports are limited by the inbox (`federation.inbox.flags`, in its `verify`),
        // which answers 429 before queueing.
        let mut target = None;
        for id in &self.object {
            if let Some(found) = Target::find(id.as_str(), cx.data).await? {
                target = Some(found);
                break;
            }
        }
        let Some(target) = target else {
            // Only accounts, or content we do not hold: nothing for our moderators.
            return Ok(None);
        };
        let community = target.community(cx.data).await?;
        if let Via::Announced(_) = cx.via {
            // Announced by its community: it must be that community's content.
            cx.scope(&community)?;
        }
        let reporter = ObjectId::<ApubActor>::from(self.actor.clone())
            .dereference(cx.data)
            .await?;
        let reporter_id = match reporter {
            ApubActor::Person(p) => Some(p.row.id),
            ApubActor::Community(_) => None,
        };
        Ok(Some(Reported {
            target,
            community,
            reporter_id,
        }))
    }

    async fn receive(self, reported: Reported, cx: &Context<'_>) -> Result<(), InboxError> {
        let reason: String = self
            .content
            .as_deref()
            .or(self.summary.as_deref())
            .unwrap_or("")
            .chars()
            .take(hearth_service::moderation::MAX_REASON)
            .collect();
        let (post_id, comment_id) = match &reported.target {
            Target::Post(p) => (Some(p.id), None),
            Target::Comment(c, p) => (Some(p.id), Some(c.id)),
        };
        let community = &reported.community;
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let stored = hearth_db::report::insert(
            &mut *tx,
            &NewReport {
                ap_id: self.id.as_str(),
                reporter_id: reported.reporter_id,
                community_id: community.id,
                post_id,
                comment_id,
                reason: &reason,
            },
        )
        .await?;
        if stored.is_some() && community.local && matches!(cx.via, Via::Direct) {
            // The community's moderators on other servers see it as well.
            let sender = authority(&self.actor);
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
            cx.relay_to(&mut tx, community, inboxes).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_flags_list_the_account_and_statuses() {
        let flag: Flag = serde_json::from_value(serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "https://m.example/1", "type": "Flag", "actor": "https://m.example/",
            "content": "spam", "object": ["https://a.example/u/x", "https://a.example/post/1"]
        }))
        .unwrap();
        assert_eq!(flag.object.len(), 2);
        assert_eq!(flag.content.as_deref(), Some("spam"));
    }
}
