//! Friendica's answers to an event: `Accept` (going), `TentativeAccept` (interested) and
//! `Reject` (not going) whose object is the event, embedded or by id; and their `Undo`. We send
//! the same shape for our people's answers to events on Friendica (and, for "interested" and
//! "not going", which `Join` cannot say, to Hearth).

use super::Answering;
use crate::activities::{Addressing, Context, Received, Undo, new_id};
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id};
use chrono::Utc;
use hearth_core::Settings;
use hearth_db::event::Answer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An answer to an event, Friendica's way.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rsvp {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Accept`, `TentativeAccept` or `Reject`.
    #[serde(rename = "type")]
    pub(crate) kind: RsvpKind,
    /// Who answers.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// The event: its id, or embedded.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
}

/// The type of an [`Rsvp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum RsvpKind {
    /// Going.
    Accept,
    /// Interested.
    TentativeAccept,
    /// Not going.
    Reject,
}

impl RsvpKind {
    /// The kind that says `answer`.
    pub(crate) fn of(answer: Answer) -> Self {
        match answer {
            Answer::Going => Self::Accept,
            Answer::Interested => Self::TentativeAccept,
            Answer::NotGoing => Self::Reject,
        }
    }

    fn answer(self) -> Answer {
        match self {
            Self::Accept => Answer::Going,
            Self::TentativeAccept => Answer::Interested,
            Self::Reject => Answer::NotGoing,
        }
    }
}

impl Rsvp {
    /// Our person's answer to `event`, addressed to its organiser (and its community).
    pub(crate) fn new(
        settings: &Settings,
        kind: RsvpKind,
        person: &Url,
        event: &str,
        organiser: &str,
        community: Option<&str>,
    ) -> anyhow::Result<Self> {
        let name = match kind {
            RsvpKind::Accept => "accept",
            RsvpKind::TentativeAccept => "tentativeaccept",
            RsvpKind::Reject => "reject",
        };
        Ok(Self {
            context: context(),
            id: new_id(settings, name)?,
            kind,
            actor: person.clone(),
            object: Url::parse(event)?,
            addressing: Addressing {
                to: vec![organiser.to_owned()],
                cc: community.map(str::to_owned).into_iter().collect(),
                audience: community.and_then(|c| Url::parse(c).ok()),
            },
        })
    }
}

#[async_trait::async_trait]
impl Received for Rsvp {
    type Checked = Answering;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Answering>, InboxError> {
        Answering::check(&self.object, &self.actor, true, cx).await
    }

    async fn receive(self, answering: Answering, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let event = answering.lock(&mut tx).await?;
        let (post_id, person_id) = (answering.post.id, answering.person_id);
        let answer = self.kind.answer();
        let held = hearth_db::event::rsvp_of(&mut *tx, post_id, person_id).await?;
        if held.as_ref().is_some_and(|h| h.answer == answer) {
            tx.commit().await?;
            return Ok(());
        }
        // Friendica has no answer to an answer: a refusal is the response's status (409).
        hearth_service::events::check_answer(&event, held.as_ref(), answer, Utc::now())
            .map_err(InboxError::Refused)?;
        let approved = !(event.needs_approval && answer == Answer::Going);
        hearth_db::event::set_rsvp(
            &mut *tx,
            post_id,
            person_id,
            answer,
            approved,
            Some(self.id.as_str()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Received for Undo<Rsvp> {
    type Checked = Answering;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Answering>, InboxError> {
        Answering::check(&self.object.object, &self.actor, false, cx).await
    }

    async fn receive(self, answering: Answering, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        answering.lock(&mut tx).await?;
        let (post_id, person_id) = (answering.post.id, answering.person_id);
        // Only the answer undone is taken back, not one given after it.
        let held = hearth_db::event::rsvp_of(&mut *tx, post_id, person_id).await?;
        if held.is_some_and(|h| h.activity_ap_id.as_deref() == Some(self.object.id.as_str())) {
            hearth_db::event::delete_rsvp(&mut *tx, post_id, person_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
