//! `Accept` and `Reject`: a remote community answers one of our people's Follows. The first of
//! us to be accepted makes us fetch what the community already has (`backfill`). We answer
//! remote people's Follows of our communities the same way.

use super::Follow;
use crate::activities::{Addressing, Context, Received, new_id};
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id, id_of};
use hearth_core::Settings;
use hearth_db::community::{CommunityRow, Visibility};
use hearth_db::membership::MemberState;
use hearth_service::notifications;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Accept` or `Reject` of a Follow.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Answer {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Accept` or `Reject`.
    #[serde(rename = "type")]
    pub(crate) kind: AnswerKind,
    /// The community.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// The Follow answered: embedded (as Lemmy and Hearth send it) or its id.
    pub(crate) object: Value,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
}

/// The type of an [`Answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum AnswerKind {
    /// Admitted.
    Accept,
    /// Refused.
    Reject,
}

impl Answer {
    /// Our community's answer to `follow`.
    pub(crate) fn new(
        settings: &Settings,
        community: &CommunityRow,
        follow: Follow,
        kind: AnswerKind,
    ) -> anyhow::Result<Self> {
        let name = match kind {
            AnswerKind::Accept => "accept",
            AnswerKind::Reject => "reject",
        };
        Ok(Self {
            context: context(),
            id: new_id(settings, name)?,
            kind,
            actor: Url::parse(&community.ap_id)?,
            addressing: Addressing::to(follow.actor.as_str()),
            object: serde_json::to_value(follow)?,
        })
    }
}

/// An answer that passed its checks: the remote community and our person.
pub(crate) struct Answered {
    community: CommunityRow,
    person_id: i64,
}

#[async_trait::async_trait]
impl Received for Answer {
    type Checked = Answered;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Answered>, InboxError> {
        let pool = &cx.data.pool;
        let Some(community) = hearth_db::community::find_by_ap_id(pool, self.actor.as_str())
            .await?
            .filter(|c| !c.local)
        else {
            return Ok(None);
        };
        // The Follow answered: embedded, or named by the id we gave it.
        let follower = match &self.object {
            inner @ Value::Object(_) => id_of(inner.get("actor")),
            Value::String(id) => hearth_db::federation::activity_by_ap_id(pool, id)
                .await?
                .and_then(|(actor, _)| Url::parse(&actor).ok()),
            _ => None,
        };
        let Some(follower) = follower else {
            return Err(InboxError::unreadable(
                "The answer does not name the Follow it answers.",
            ));
        };
        let Some(person) = hearth_db::person::actor_by_ap_id(pool, follower.as_str())
            .await?
            .filter(|p| p.local)
        else {
            return Ok(None);
        };
        // An answer to an older Follow (one undone since) does not decide the current one.
        let answered = id_of(Some(&self.object));
        let current = hearth_db::membership::follow_ap_id(pool, community.id, person.id).await?;
        if let (Some(answered), Some(current)) = (&answered, &current)
            && answered.as_str() != current
        {
            return Ok(None);
        }
        Ok(Some(Answered {
            community,
            person_id: person.id,
        }))
    }

    async fn receive(self, answered: Answered, cx: &Context<'_>) -> Result<(), InboxError> {
        let Answered {
            community,
            person_id,
        } = answered;
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let mut backfill = false;
        if self.kind == AnswerKind::Accept {
            if hearth_db::membership::approve(&mut *tx, community.id, person_id).await? {
                hearth_db::community::add_members(&mut *tx, community.id, 1).await?;
                // A public community accepts everyone at once: only a request someone had to
                // decide on is news.
                if community.visibility == Visibility::Approval {
                    notifications::join_answered(&mut tx, community.id, person_id, true, None)
                        .await?;
                }
                // The first of us to join: fetch what the community already has.
                backfill =
                    hearth_db::membership::local_joined_count(&mut *tx, community.id).await? == 1;
            }
        } else {
            match hearth_db::membership::delete(&mut *tx, community.id, person_id).await? {
                Some(MemberState::Joined) => {
                    hearth_db::community::add_members(&mut *tx, community.id, -1).await?;
                }
                Some(MemberState::Pending) => {
                    notifications::join_answered(&mut tx, community.id, person_id, false, None)
                        .await?;
                }
                None => {}
            }
        }
        tx.commit().await?;
        if backfill {
            let data = cx.data.reset_request_count();
            let ap_id = community.ap_id.clone();
            tokio::spawn(async move {
                if let Err(e) = crate::backfill::community(&data, &ap_id).await {
                    tracing::warn!(community = %ap_id, error = ?e, "backfill failed");
                }
            });
        }
        Ok(())
    }
}
