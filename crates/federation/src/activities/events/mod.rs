//! Answers to events (RSVPs), in the two dialects servers speak: Mobilizon's `Join` and
//! `Leave` of the event (its organiser answers a `Join` with `Accept{Join}` or `Reject{Join}`,
//! `decision`), and Friendica's `Accept`, `TentativeAccept` or `Reject` of the event itself
//! (`rsvp`). A remote person may answer only an event of ours; an answer to an event of another
//! server is that server's to count. The rules are those of a local answer
//! (`hearth_service::events::check_answer`: cancelled, ended, full) and of a vote (bans,
//! membership: `content::may_vote`).

pub(crate) mod decision;
pub(crate) mod join;
pub(crate) mod rsvp;

use crate::activities::Context;
use crate::ingest::{self, viewer_for};
use crate::received::{InboxError, id_of};
use hearth_db::event::EventRow;
use hearth_db::post::PostRow;
use serde_json::Value;
use url::Url;

/// What an `Accept` or `Reject` answers.
pub(crate) enum Answered {
    /// A `Follow` (a community admits one of us, or refuses).
    Follow,
    /// A `Join` of one of us to another server's event.
    Join,
    /// The event itself: a Friendica RSVP.
    Event,
}

/// Tells an `Accept` or `Reject` by its object: an embedded `Join` or `Follow`, an event post
/// (embedded or by id) we hold, or the id of one of our activities (a `Join` or a `Follow`).
pub(crate) async fn answered(raw: &Value, cx: &Context<'_>) -> Result<Answered, InboxError> {
    let object = raw.get("object");
    match object.and_then(|o| o.get("type")).and_then(Value::as_str) {
        Some("Follow") => return Ok(Answered::Follow),
        Some("Join") => return Ok(Answered::Join),
        Some(kind) if ingest::is_post_kind(kind) => return Ok(Answered::Event),
        _ => {}
    }
    let Some(id) = id_of(object) else {
        // Let the Follow's reading say what is wrong with it.
        return Ok(Answered::Follow);
    };
    if hearth_db::post::id_by_ap_id(&cx.data.pool, id.as_str())
        .await?
        .is_some()
    {
        return Ok(Answered::Event);
    }
    let ours = hearth_db::federation::stored_activity(&cx.data.pool, id.as_str()).await?;
    if ours.is_some_and(|activity| activity["type"] == "Join") {
        return Ok(Answered::Join);
    }
    Ok(Answered::Follow)
}

/// An event of ours that a remote person answers, checked: its post and the person.
pub(crate) struct Answering {
    pub(crate) post: PostRow,
    pub(crate) person_id: i64,
}

impl Answering {
    /// The event `object` names, when it is one of ours, and `actor` who answers it; `going`
    /// (any answer but a withdrawal) is held to the rules of a vote. `None`: not an event of
    /// ours (another server's event is that server's to count).
    pub(crate) async fn check(
        object: &Url,
        actor: &Url,
        answering: bool,
        cx: &Context<'_>,
    ) -> Result<Option<Self>, InboxError> {
        let pool = &cx.data.pool;
        let Some(post_id) = hearth_db::post::id_by_ap_id(pool, object.as_str()).await? else {
            return Ok(None);
        };
        let Some(post) = hearth_db::post::find(pool, post_id, None)
            .await?
            .filter(|p| p.local)
        else {
            return Ok(None);
        };
        if hearth_db::event::find(pool, post.id).await?.is_none() {
            return Err(InboxError::refused(
                "not_an_event",
                "This post is not an event.",
            ));
        }
        let community = hearth_db::community::find(pool, post.community_id)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("community vanished")))?;
        let person = ingest::person(actor, cx.data).await?;
        if person.row.local {
            // Our own people answer through the pages and the API, never through the inbox.
            return Ok(None);
        }
        if answering {
            hearth_service::content::may_vote(
                cx.data,
                &viewer_for(&person),
                &community,
                post.deleted || post.removed,
                1,
            )
            .await
            .map_err(InboxError::Refused)?;
        }
        Ok(Some(Self {
            post,
            person_id: person.row.id,
        }))
    }

    /// The event, locked for the rest of the transaction (answers counted against the capacity
    /// are decided one at a time).
    pub(crate) async fn lock(&self, tx: &mut sqlx::PgConnection) -> Result<EventRow, InboxError> {
        hearth_db::event::lock(tx, self.post.id)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("event {} vanished", self.post.id)))
    }
}
