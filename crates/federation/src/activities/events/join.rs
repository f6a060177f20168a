//! `Join` and `Leave` of an event (Mobilizon), and `Undo{Join}`: a remote person going to one
//! of our events, or no longer. A `Join` of a free event is answered with `Accept{Join}`, of an
//! event that needs approval left waiting for the organiser (who accepts it later), and of an
//! event that cannot take it (full, cancelled, ended) with `Reject{Join}`. We send the same
//! `Join` and `Leave` for our people's answers to other servers' events.

use super::Answering;
use crate::activities::{Addressing, Context, Received, Undo, new_id};
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id};
use chrono::Utc;
use hearth_core::Settings;
use hearth_db::event::Answer;
use hearth_service::outbox::Event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Join` or `Leave` of an event.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Join {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Join` or `Leave`.
    #[serde(rename = "type")]
    pub(crate) kind: JoinKind,
    /// Who goes (or no longer).
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// The event: its id, or embedded.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
}

/// The type of a [`Join`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum JoinKind {
    /// Going.
    Join,
    /// No longer going.
    Leave,
}

impl Join {
    /// Our person's `Join` or `Leave` of `event`, addressed to its organiser (and its
    /// community, in `cc`).
    pub(crate) fn new(
        settings: &Settings,
        kind: JoinKind,
        person: &Url,
        event: &str,
        organiser: &str,
        community: Option<&str>,
    ) -> anyhow::Result<Self> {
        let name = match kind {
            JoinKind::Join => "join",
            JoinKind::Leave => "leave",
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
impl Received for Join {
    type Checked = Answering;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Answering>, InboxError> {
        Answering::check(&self.object, &self.actor, self.kind == JoinKind::Join, cx).await
    }

    async fn receive(self, answering: Answering, cx: &Context<'_>) -> Result<(), InboxError> {
        match self.kind {
            JoinKind::Join => joined(&answering, &self.id, cx).await,
            JoinKind::Leave => left(&answering, false, cx).await,
        }
    }
}

#[async_trait::async_trait]
impl Received for Undo<Join> {
    type Checked = Answering;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Answering>, InboxError> {
        if self.object.kind != JoinKind::Join {
            return Ok(None);
        }
        Answering::check(&self.object.object, &self.actor, false, cx).await
    }

    async fn receive(self, answering: Answering, cx: &Context<'_>) -> Result<(), InboxError> {
        left(&answering, true, cx).await
    }
}

/// A `Join`: going, waiting for the organiser, or refused (answered with `Reject{Join}`).
async fn joined(answering: &Answering, join_id: &Url, cx: &Context<'_>) -> Result<(), InboxError> {
    let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
        return Ok(());
    };
    let event = answering.lock(&mut tx).await?;
    let (post_id, person_id) = (answering.post.id, answering.person_id);
    let held = hearth_db::event::rsvp_of(&mut *tx, post_id, person_id).await?;
    if held.as_ref().is_some_and(|h| h.answer == Answer::Going) {
        // Going already (a repeated Join under a new id): nothing changes.
        tx.commit().await?;
        return Ok(());
    }
    let accepted =
        hearth_service::events::check_answer(&event, held.as_ref(), Answer::Going, Utc::now())
            .is_ok();
    if accepted {
        let approved = !event.needs_approval;
        hearth_db::event::set_rsvp(
            &mut *tx,
            post_id,
            person_id,
            Answer::Going,
            approved,
            Some(join_id.as_str()),
        )
        .await?;
        if approved {
            decided(&mut tx, post_id, person_id, true, cx).await?;
        }
    } else {
        // The refusal names the Join it refuses: the outbox reads its id from the answer's
        // row, which stays only when the person had answered otherwise before.
        let (answer, approved) = held
            .as_ref()
            .map_or((Answer::NotGoing, true), |h| (h.answer, h.approved));
        hearth_db::event::set_rsvp(
            &mut *tx,
            post_id,
            person_id,
            answer,
            approved,
            Some(join_id.as_str()),
        )
        .await?;
        decided(&mut tx, post_id, person_id, false, cx).await?;
        if held.is_none() {
            hearth_db::event::delete_rsvp(&mut *tx, post_id, person_id).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A `Leave` (any answer is taken back) or an `Undo{Join}` (`only_going`: an answer of
/// "interested" or "not going" given since, Friendica's way, stays).
async fn left(answering: &Answering, only_going: bool, cx: &Context<'_>) -> Result<(), InboxError> {
    let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
        return Ok(());
    };
    answering.lock(&mut tx).await?;
    let (post_id, person_id) = (answering.post.id, answering.person_id);
    let held = hearth_db::event::rsvp_of(&mut *tx, post_id, person_id).await?;
    if held.is_some_and(|h| !only_going || h.answer == Answer::Going) {
        hearth_db::event::delete_rsvp(&mut *tx, post_id, person_id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records the organiser's answer to a `Join` (`Accept{Join}` or `Reject{Join}`).
async fn decided(
    tx: &mut sqlx::PgConnection,
    post_id: i64,
    person_id: i64,
    accepted: bool,
    cx: &Context<'_>,
) -> Result<(), InboxError> {
    let event = Event::EventAnswerDecided {
        post_id,
        person_id,
        accepted,
    };
    hearth_service::outbox::record(cx.data, tx, event).await?;
    Ok(())
}
