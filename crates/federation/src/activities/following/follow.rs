//! `Follow`: a remote person joins one of our communities: a member, or a pending request in a
//! community that approves its members, answered with an `Accept` once admitted. `Undo{Follow}`
//! leaves. We send both when our people join and leave remote communities.

use crate::activities::{Context, Received, Undo, new_id};
use crate::ingest;
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id};
use hearth_core::Settings;
use hearth_db::community::{CommunityRow, Visibility};
use hearth_db::membership::MemberState;
use hearth_service::outbox::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Follow` of a community.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Follow {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Follow`.
    #[serde(rename = "type")]
    kind: FollowKind,
    /// Who joins.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// The community.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// Addressed to the community.
    #[serde(default, skip_serializing_if = "Vec::is_empty", skip_deserializing)]
    pub(crate) to: Vec<String>,
}

/// The type of a [`Follow`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum FollowKind {
    /// `Follow`.
    Follow,
}

impl Follow {
    /// Our person's `Follow` of a remote community (`id` given: an `Undo` names a new one).
    pub(crate) fn new(
        settings: &Settings,
        person: &str,
        community: &CommunityRow,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "follow")?,
            kind: FollowKind::Follow,
            actor: Url::parse(person)?,
            object: Url::parse(&community.ap_id)?,
            to: vec![community.ap_id.clone()],
        })
    }

    /// The Follow another server's `Accept` or `Reject` names, rebuilt from what we stored.
    pub(crate) fn answered(id: Url, person: &str, community: &str) -> anyhow::Result<Self> {
        Ok(Self {
            context: Value::Null,
            id,
            kind: FollowKind::Follow,
            actor: Url::parse(person)?,
            object: Url::parse(community)?,
            to: Vec::new(),
        })
    }

    /// The community, when it is one of ours.
    async fn community(&self, cx: &Context<'_>) -> Result<Option<CommunityRow>, InboxError> {
        Ok(
            hearth_db::community::find_by_ap_id(&cx.data.pool, self.object.as_str())
                .await?
                .filter(|c| c.local),
        )
    }
}

/// A follow that passed its checks: our community and the follower.
pub(crate) struct Joining {
    community: CommunityRow,
    person_id: i64,
}

#[async_trait::async_trait]
impl Received for Follow {
    type Checked = Joining;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Joining>, InboxError> {
        let Some(community) = self.community(cx).await? else {
            // Following people is not supported; nothing to do.
            return Ok(None);
        };
        // A community an admin removed takes no new members, from here or elsewhere.
        hearth_service::content::refuse_removed(cx.data, &community)
            .await
            .map_err(InboxError::Refused)?;
        let follower = ingest::person(&self.actor, cx.data).await?;
        // Once per server: what it runs decides what it is sent.
        if let Err(e) = crate::nodeinfo::ensure_known(cx.data, &self.actor).await {
            tracing::warn!(error = ?e, "cannot record the follower's software");
        }
        Ok(Some(Joining {
            community,
            person_id: follower.row.id,
        }))
    }

    async fn receive(self, joining: Joining, cx: &Context<'_>) -> Result<(), InboxError> {
        let Joining {
            community,
            person_id,
        } = joining;
        let state = if community.visibility == Visibility::Approval {
            MemberState::Pending
        } else {
            MemberState::Joined
        };
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let inserted =
            hearth_db::membership::insert(&mut *tx, community.id, person_id, state).await?;
        if inserted && state == MemberState::Joined {
            hearth_db::community::add_members(&mut *tx, community.id, 1).await?;
        }
        hearth_db::membership::set_follow_ap_id(
            &mut *tx,
            community.id,
            person_id,
            self.id.as_str(),
        )
        .await?;
        let now = hearth_db::membership::state(&mut *tx, community.id, person_id).await?;
        // A repeated Follow of a member is answered again: the first Accept may have been lost.
        if now == Some(MemberState::Joined) {
            let event = Event::Accepted {
                community_id: community.id,
                person_id,
            };
            hearth_service::outbox::record(cx.data, &mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Received for Undo<Follow> {
    type Checked = Joining;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Joining>, InboxError> {
        let Some(community) = self.object.community(cx).await? else {
            return Ok(None);
        };
        let Some(follower) =
            hearth_db::person::actor_by_ap_id(&cx.data.pool, self.actor.as_str()).await?
        else {
            return Ok(None);
        };
        Ok(Some(Joining {
            community,
            person_id: follower.id,
        }))
    }

    async fn receive(self, joining: Joining, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let (community, person) = (joining.community.id, joining.person_id);
        let was = hearth_db::membership::delete(&mut *tx, community, person).await?;
        if was == Some(MemberState::Joined) {
            hearth_db::community::add_members(&mut *tx, community, -1).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
