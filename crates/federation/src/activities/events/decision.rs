//! `Accept{Join}` and `Reject{Join}`: an event's organiser admits or refuses someone going.
//! We send them for our events (to the remote person who joined); we receive them for our
//! people's `Join`s of other servers' events: accepted, a waiting answer counts; refused (the
//! event is full, or the organiser said no), the answer is taken back.

use super::join::Join;
use crate::activities::{Addressing, Context, Received, new_id};
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id, id_of};
use crate::urls::authority;
use hearth_core::Settings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Accept` or `Reject` of a `Join`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JoinDecision {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Accept` or `Reject`.
    #[serde(rename = "type")]
    pub(crate) kind: DecisionKind,
    /// The organiser (or its server's actor).
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// The `Join` answered: embedded (as Mobilizon and we send it) or its id.
    pub(crate) object: Value,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
}

/// The type of a [`JoinDecision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum DecisionKind {
    /// Going.
    Accept,
    /// Refused.
    Reject,
}

impl JoinDecision {
    /// Our organiser's answer to `join` (the remote person's `Join`, embedded).
    pub(crate) fn new(
        settings: &Settings,
        organiser: &Url,
        join: Join,
        accepted: bool,
    ) -> anyhow::Result<Self> {
        let (kind, name) = if accepted {
            (DecisionKind::Accept, "accept")
        } else {
            (DecisionKind::Reject, "reject")
        };
        Ok(Self {
            context: context(),
            id: new_id(settings, name)?,
            kind,
            actor: organiser.clone(),
            addressing: Addressing::to(join.actor.as_str()),
            object: serde_json::to_value(join)?,
        })
    }
}

/// A decision about one of our people's answers, checked.
pub(crate) struct Decided {
    post_id: i64,
    person_id: i64,
}

#[async_trait::async_trait]
impl Received for JoinDecision {
    type Checked = Decided;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Decided>, InboxError> {
        let pool = &cx.data.pool;
        let Some(join_id) = id_of(Some(&self.object)) else {
            return Err(InboxError::unreadable(
                "The answer does not name the Join it answers.",
            ));
        };
        // What the Join said, as we sent it; once our copy is pruned, as the answer embeds it
        // (a claim checked below: the id must be the one we keep with that person's answer).
        let join = match hearth_db::federation::stored_activity(pool, join_id.as_str()).await? {
            Some(join) => join,
            None if self.object.is_object() => self.object.clone(),
            None => return Ok(None),
        };
        let (Some(person), Some(event)) = (id_of(join.get("actor")), id_of(join.get("object")))
        else {
            return Ok(None);
        };
        let Some(person) = hearth_db::person::actor_by_ap_id(pool, person.as_str())
            .await?
            .filter(|p| p.local)
        else {
            return Ok(None);
        };
        let Some(post_id) = hearth_db::post::id_by_ap_id(pool, event.as_str()).await? else {
            return Ok(None);
        };
        let Some(post) = hearth_db::post::find(pool, post_id, None)
            .await?
            .filter(|p| !p.local)
        else {
            return Ok(None);
        };
        // Only the event's own server decides who goes.
        if authority(&self.actor) != Url::parse(&post.ap_id).ok().as_ref().and_then(authority) {
            return Err(InboxError::refused(
                "not_organiser",
                "Only the event's own server answers a Join of it.",
            ));
        }
        // An answer to an older Join (taken back since) does not decide the current one.
        let current = hearth_db::event::rsvp_of(pool, post.id, person.id).await?;
        if current.and_then(|r| r.activity_ap_id).as_deref() != Some(join_id.as_str()) {
            return Ok(None);
        }
        Ok(Some(Decided {
            post_id: post.id,
            person_id: person.id,
        }))
    }

    async fn receive(self, decided: Decided, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        hearth_db::event::lock(&mut tx, decided.post_id).await?;
        match self.kind {
            DecisionKind::Accept => {
                hearth_db::event::approve(&mut *tx, decided.post_id, decided.person_id).await?;
            }
            DecisionKind::Reject => {
                hearth_db::event::delete_rsvp(&mut *tx, decided.post_id, decided.person_id).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
