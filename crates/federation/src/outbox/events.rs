//! What our events send: answers of local people to other servers' events, and our organisers'
//! answers to remote people's `Join`s.
//!
//! An answer goes out in the dialect of the event's home server, as its NodeInfo names its
//! software: Friendica answers the event itself (`Accept` going, `TentativeAccept` interested,
//! `Reject` not going or taken back); Hearth reads `Join` for going, `Leave` for taken back and
//! Friendica's `TentativeAccept`/`Reject` for the answers `Join` cannot say; everyone else
//! (Mobilizon, Gancio, unknown software) gets `Join` for going and `Leave` for anything else.

use crate::activities::events::decision::JoinDecision;
use crate::activities::events::join::{Join, JoinKind};
use crate::activities::events::rsvp::{Rsvp, RsvpKind};
use crate::urls::authority;
use hearth_core::Settings;
use hearth_db::event::Answer;
use hearth_service::outbox::Event;
use serde_json::Value;
use sqlx::PgConnection;
use url::Url;

/// How an event's home server reads answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// `Join` and `Leave` (Mobilizon, Gancio, unknown).
    JoinLeave,
    /// `Accept`, `TentativeAccept`, `Reject` of the event.
    Friendica,
    /// `Join`, `Leave`, and `TentativeAccept`/`Reject` for the other answers.
    Hearth,
}

impl Dialect {
    /// The dialect of the server that holds `event_ap_id`.
    async fn of(conn: &mut PgConnection, event_ap_id: &str) -> anyhow::Result<Self> {
        let Some(host) = Url::parse(event_ap_id).ok().and_then(|u| authority(&u)) else {
            return Ok(Self::JoinLeave);
        };
        let software = hearth_db::instance::software(&mut *conn, &host)
            .await?
            .flatten()
            .map(|s| s.to_ascii_lowercase());
        Ok(match software.as_deref() {
            Some("friendica") => Self::Friendica,
            Some("hearth") => Self::Hearth,
            _ => Self::JoinLeave,
        })
    }
}

/// Records the activity of an event's `Event` (see `outbox::Event::EventAnswered` and
/// `EventAnswerDecided`).
pub(super) async fn record(
    conn: &mut PgConnection,
    settings: &Settings,
    event: Event,
) -> anyhow::Result<()> {
    match event {
        Event::EventAnswered {
            post_id,
            person_id,
            answer,
        } => answered(conn, settings, post_id, person_id, answer).await,
        Event::EventAnswerDecided {
            post_id,
            person_id,
            accepted,
        } => decided(conn, settings, post_id, person_id, accepted).await,
        _ => Ok(()),
    }
}

/// A local person's answer to another server's event: to its organiser's inbox, and to its
/// community's (which may relay it), once per inbox.
async fn answered(
    conn: &mut PgConnection,
    settings: &Settings,
    post_id: i64,
    person_id: i64,
    answer: Option<Answer>,
) -> anyhow::Result<()> {
    let post = super::find_post(conn, post_id).await?;
    let person = super::find_person(conn, person_id).await?;
    if post.local || !person.local {
        return Ok(());
    }
    let organiser = super::find_person(conn, post.author_id).await?;
    let community = super::find_community(conn, post.community_id).await?;
    let community_id = (!community.local).then_some(community.ap_id.as_str());
    let community_inbox = community_id.and(community.inbox_url.clone());
    let mut inboxes: Vec<String> = [organiser.inbox_url.clone(), community_inbox]
        .into_iter()
        .flatten()
        .collect();
    inboxes.dedup();
    if inboxes.is_empty() {
        return Ok(());
    }
    let actor = Url::parse(&person.ap_id)?;
    let dialect = Dialect::of(conn, &post.ap_id).await?;
    let held = hearth_db::event::rsvp_of(&mut *conn, post_id, person_id).await?;
    if dialect == Dialect::JoinLeave
        && matches!(answer, Some(Answer::Interested | Answer::NotGoing))
        && held.as_ref().is_none_or(|h| h.activity_ap_id.is_none())
    {
        // `Join` cannot say "interested" or "not going", and there is no `Join` to leave.
        return Ok(());
    }
    let (activity, id) = match (dialect, answer) {
        (Dialect::JoinLeave | Dialect::Hearth, Some(Answer::Going)) => join(
            settings,
            JoinKind::Join,
            &actor,
            &post.ap_id,
            &organiser.ap_id,
            community_id,
        )?,
        (Dialect::JoinLeave, _) | (Dialect::Hearth, None) => join(
            settings,
            JoinKind::Leave,
            &actor,
            &post.ap_id,
            &organiser.ap_id,
            community_id,
        )?,
        (Dialect::Friendica | Dialect::Hearth, Some(answer)) => rsvp(
            settings,
            RsvpKind::of(answer),
            &actor,
            &post.ap_id,
            &organiser.ap_id,
            community_id,
        )?,
        (Dialect::Friendica, None) => rsvp(
            settings,
            RsvpKind::Reject,
            &actor,
            &post.ap_id,
            &organiser.ap_id,
            community_id,
        )?,
    };
    // The organiser's `Accept{Join}` or `Reject{Join}` names this id: keep it with the answer.
    if let Some(answer) = answer
        && let Some(held) = held
    {
        hearth_db::event::set_rsvp(
            &mut *conn,
            post_id,
            person_id,
            answer,
            held.approved,
            Some(id.as_str()),
        )
        .await?;
    }
    super::store(conn, &activity, &person.ap_id, &inboxes).await
}

fn join(
    settings: &Settings,
    kind: JoinKind,
    actor: &Url,
    event: &str,
    organiser: &str,
    community: Option<&str>,
) -> anyhow::Result<(Value, Url)> {
    let join = Join::new(settings, kind, actor, event, organiser, community)?;
    let id = join.id.clone();
    Ok((serde_json::to_value(join)?, id))
}

fn rsvp(
    settings: &Settings,
    kind: RsvpKind,
    actor: &Url,
    event: &str,
    organiser: &str,
    community: Option<&str>,
) -> anyhow::Result<(Value, Url)> {
    let rsvp = Rsvp::new(settings, kind, actor, event, organiser, community)?;
    let id = rsvp.id.clone();
    Ok((serde_json::to_value(rsvp)?, id))
}

/// Our organiser admits or refuses a remote person's `Join`: `Accept{Join}` or `Reject{Join}`
/// (the `Join` as they sent it: its id is kept with their answer) to their inbox. Our own
/// people's answers need no message.
async fn decided(
    conn: &mut PgConnection,
    settings: &Settings,
    post_id: i64,
    person_id: i64,
    accepted: bool,
) -> anyhow::Result<()> {
    let post = super::find_post(conn, post_id).await?;
    let person = super::find_person(conn, person_id).await?;
    if !post.local || person.local {
        return Ok(());
    }
    let Some(join_id) = hearth_db::event::rsvp_of(&mut *conn, post_id, person_id)
        .await?
        .and_then(|r| r.activity_ap_id)
    else {
        tracing::warn!(
            post_id,
            person_id,
            "an answer to a Join without its id; not sent"
        );
        return Ok(());
    };
    let Some(inbox) = person.inbox_url.clone() else {
        return Ok(());
    };
    let organiser = Url::parse(&post.author_ap_id)?;
    let mut join = Join::new(
        settings,
        JoinKind::Join,
        &Url::parse(&person.ap_id)?,
        &post.ap_id,
        &post.author_ap_id,
        None,
    )?;
    join.id = Url::parse(&join_id)?;
    join.context = Value::Null;
    let decision = JoinDecision::new(settings, &organiser, join, accepted)?;
    super::store(
        conn,
        &serde_json::to_value(decision)?,
        &post.author_ap_id,
        &[inbox],
    )
    .await
}
