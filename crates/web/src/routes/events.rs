//! Events and polls on the pages: the event block of a post's page (when, where, counts, the
//! answer buttons, cancelling, approving) and its poll (the vote form, the results), the
//! community's Events tab, the badges of post cards, and the forms' fields for writing both.
//!
//! Answers and votes are plain forms that post and redirect (303); a refusal the visitor can
//! understand (full, ended, closed, voted already) comes back as a notice on the post's page,
//! named by its error code in the address, so that no message from elsewhere is ever echoed.

use crate::extract::{CsrfForm, NoFields, PagePath, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, WebError, render, see_other};
use crate::session::Session;
use crate::views::{self, ActorView, CommunityView, PostView};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use hearth_core::Error;
use hearth_db::event::Answer;
use hearth_db::post::PostRow;
use hearth_service::ServiceContext;
use hearth_service::communities;
use hearth_service::events::{self, EventInput, EventView};
use hearth_service::polls::{self, PollInput, PollView};
use serde::Deserialize;
use std::collections::HashMap;

/// The answer, cancel, approve and vote buttons, and the Events tab.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/post/{id}/rsvp", post(answer))
        .route("/post/{id}/cancel_event", post(cancel))
        .route("/post/{id}/approve/{person}", post(approve))
        .route("/post/{id}/poll", post(vote))
        .route("/c/{name}/events", get(upcoming))
}

/// Time zones the event form offers (the one the organiser's browser reports is added by the
/// script, and a zone typed elsewhere is kept when the form comes back).
pub const TIME_ZONES: [&str; 24] = [
    "UTC",
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Warsaw",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
];

/// The poll lengths the form offers, as `(seconds, label)`.
pub const POLL_DURATIONS: [(i64, &str); 4] = [
    (3_600, "1 hour"),
    (86_400, "1 day"),
    (259_200, "3 days"),
    (604_800, "7 days"),
];

/// The refusals the post's page explains, by error code; any other code shows nothing.
const NOTICES: [(&str, &str); 8] = [
    ("event_full", "This event is full: no places are left."),
    ("event_cancelled", "This event was cancelled."),
    ("event_ended", "This event has ended: answers are closed."),
    ("poll_closed", "This poll has ended: votes are closed."),
    (
        "already_voted",
        "You voted in this poll already; its server does not take changed votes.",
    ),
    (
        "choices",
        "Choose an option to vote (one, unless the poll takes several).",
    ),
    ("not_member", "Only members of this community may do that."),
    ("forbidden", "You may not do that here."),
];

/// The sentence for a refusal's code in the post page's address, when it is one of ours.
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    let code = code?;
    NOTICES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, sentence)| *sentence)
}

/// Back to the post's event or poll after a button; a refusal people can act on becomes a
/// notice there, anything else the error page.
fn after(result: hearth_core::Result<()>, id: i64, anchor: &str) -> PageResult {
    match result {
        Ok(()) => Ok(see_other(&format!("/post/{id}#{anchor}"))),
        Err(error) => {
            let status = error.kind.status();
            let code = match &error.kind {
                hearth_core::ErrorKind::Validation { field, .. } => field.to_string(),
                kind => kind.code().to_owned(),
            };
            // A post that is gone or unreadable stays the error page.
            let explained = notice(Some(&code)).is_some()
                && status.is_client_error()
                && status != StatusCode::NOT_FOUND;
            if explained {
                Ok(see_other(&format!("/post/{id}?notice={code}#{anchor}")))
            } else {
                Err(error.into())
            }
        }
    }
}

/// An answer as the buttons send it: `going`, `interested`, `not_going`, or `none` to take it
/// back.
#[derive(Debug, Deserialize)]
struct AnswerInput {
    answer: String,
}

async fn answer(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(input): CsrfForm<AnswerInput>,
) -> PageResult {
    let answer = match input.answer.as_str() {
        "none" => None,
        name => Some(name.parse::<Answer>().map_err(|_| {
            Error::validation("answer", "is one of going, interested, not_going or none")
        })?),
    };
    let result = events::answer(&ctx, &user.viewer, id, answer).await;
    after(result.map(drop), id, "event")
}

async fn cancel(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let result = events::cancel(&ctx, &user.viewer, id).await;
    after(result.map(drop), id, "event")
}

async fn approve(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath((id, person)): PagePath<(i64, i64)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let result = events::approve(&ctx, &user.viewer, id, person).await;
    after(result.map(drop), id, "event")
}

/// The chosen options of a vote form: `choice=N` (radio buttons) or `choice_N=on` (boxes).
fn chosen(form: &HashMap<String, String>) -> Vec<i16> {
    let mut positions: Vec<i16> = form
        .iter()
        .filter_map(|(key, value)| {
            if key == "choice" {
                value.parse().ok()
            } else {
                key.strip_prefix("choice_").and_then(|n| n.parse().ok())
            }
        })
        .collect();
    positions.sort_unstable();
    positions.dedup();
    positions
}

async fn vote(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let result = polls::vote(&ctx, &user.viewer, id, &chosen(&form)).await;
    after(result.map(drop), id, "poll")
}

/// "Sat 12 Dec 2026, 19:00–21:00 (Europe/Berlin)": an event's time in its own zone.
pub fn when(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>, zone: &str) -> String {
    let start = events::in_zone(starts_at, zone);
    let end = events::in_zone(ends_at, zone);
    let day = "%a %-d %b %Y";
    let range = if start.date_naive() == end.date_naive() {
        format!(
            "{}, {}–{}",
            start.format(day),
            start.format("%H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{}, {} – {}, {}",
            start.format(day),
            start.format("%H:%M"),
            end.format(day),
            end.format("%H:%M")
        )
    };
    format!("{range} ({})", start.timezone().name())
}

/// "12 Dec 19:00": the short start of the post cards' badge, in the event's zone.
fn short_start(starts_at: DateTime<Utc>, zone: &str) -> String {
    let start = events::in_zone(starts_at, zone);
    if start.year() == Utc::now().year() {
        start.format("%-d %b %H:%M").to_string()
    } else {
        start.format("%-d %b %Y %H:%M").to_string()
    }
}

/// Someone who answered, as the attendee lists show them.
#[derive(Debug, Clone)]
pub struct AttendeeView {
    /// Their id (for the approve button).
    pub person_id: i64,
    /// Who they are.
    pub actor: ActorView,
}

/// A post's event as its page shows it.
#[derive(Debug, Clone)]
pub struct EventBlock {
    /// "Sat 12 Dec 2026, 19:00–21:00 (Europe/Berlin)".
    pub when: String,
    /// The start in UTC (RFC 3339), which the script shows in the reader's own zone.
    pub starts_iso: String,
    /// The end in UTC.
    pub ends_iso: String,
    /// The organiser's zone.
    pub timezone: String,
    /// The place's name.
    pub place_name: Option<String>,
    /// The place's address.
    pub place_address: Option<String>,
    /// Where to join online.
    pub online_url: Option<String>,
    /// People going (approved; a remote event's own count when it is larger).
    pub going: i64,
    /// People interested.
    pub interested: i64,
    /// People waiting for the organiser.
    pub pending: i64,
    /// Places left (`None`: no limit).
    pub places_left: Option<i64>,
    /// Cancelled by its organiser.
    pub cancelled: bool,
    /// Over.
    pub ended: bool,
    /// The visitor's answer (`going`, `interested`, `not_going`).
    pub mine: Option<&'static str>,
    /// The visitor's `going` waits for the organiser.
    pub mine_waiting: bool,
    /// The visitor may answer (signed in, neither cancelled nor over).
    pub can_answer: bool,
    /// The visitor may cancel it (its organiser or a moderator, on this server).
    pub can_cancel: bool,
    /// Whether joining needs the organiser's approval.
    pub needs_approval: bool,
    /// Who waits for approval (the organiser only).
    pub waiting: Vec<AttendeeView>,
    /// Who is going, for those allowed to see it (`None`: not shown).
    pub going_people: Option<Vec<AttendeeView>>,
}

impl EventBlock {
    /// Whether a `going` from the visitor would be refused as full.
    pub fn full(&self) -> bool {
        self.places_left == Some(0) && !self.answered("going")
    }

    /// Whether the visitor's answer is `answer` (`going`, `interested`, `not_going`).
    pub fn answered(&self, answer: &str) -> bool {
        self.mine == Some(answer)
    }

    /// The visitor's answer as people read it.
    pub fn mine_label(&self) -> Option<&'static str> {
        self.mine.map(|answer| match answer {
            "going" => "Going",
            "interested" => "Interested",
            _ => "Not going",
        })
    }

    /// "1 going", "5 going".
    pub fn going_label(&self) -> String {
        format!("{} going", self.going)
    }

    /// "1 interested".
    pub fn interested_label(&self) -> String {
        format!("{} interested", self.interested)
    }

    /// "1 place left", "3 places left".
    pub fn places_label(&self) -> Option<String> {
        self.places_left.map(|n| match n {
            0 => "No places left".to_owned(),
            1 => "1 place left".to_owned(),
            n => format!("{n} places left"),
        })
    }
}

/// The people who answered `going` (waiting ones apart), when the visitor may see them; a
/// refusal (not a member) means the list is not shown.
async fn going_people(
    ctx: &ServiceContext,
    session: &Session,
    post_id: i64,
) -> Result<Option<(Vec<AttendeeView>, Vec<AttendeeView>)>, WebError> {
    let Some(viewer) = session.viewer.as_ref() else {
        return Ok(None);
    };
    match events::attendees(ctx, viewer, post_id, Answer::Going).await {
        Ok(rows) => {
            let (approved, waiting): (Vec<_>, Vec<_>) = rows
                .into_iter()
                .map(|a| {
                    let approved = a.approved;
                    let actor = views::person(
                        &a.name,
                        a.display_name.as_deref(),
                        a.host.is_none(),
                        &a.ap_id,
                    );
                    (
                        approved,
                        AttendeeView {
                            person_id: a.person_id,
                            actor,
                        },
                    )
                })
                .partition(|(approved, _)| *approved);
            Ok(Some((
                approved.into_iter().map(|(_, a)| a).collect(),
                waiting.into_iter().map(|(_, a)| a).collect(),
            )))
        }
        Err(e) if e.kind.status() == StatusCode::FORBIDDEN => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The event block of the post `row`, when it is an event. `moderate`: the visitor moderates
/// its community.
pub async fn event_block(
    ctx: &ServiceContext,
    session: &Session,
    row: &PostRow,
    moderate: bool,
) -> Result<Option<EventBlock>, WebError> {
    let Some(view) = events::for_posts(ctx, session.viewer.as_ref(), &[row.id])
        .await?
        .remove(&row.id)
    else {
        return Ok(None);
    };
    let now = Utc::now();
    let event = &view.event;
    let organiser = session.is(row.author_id);
    let people = going_people(ctx, session, row.id).await?;
    let (going_people, waiting) = match people {
        Some((going, waiting)) => (Some(going), waiting),
        None => (None, Vec::new()),
    };
    Ok(Some(EventBlock {
        when: when(event.starts_at, event.ends_at, &event.timezone),
        starts_iso: event.starts_at.to_rfc3339(),
        ends_iso: event.ends_at.to_rfc3339(),
        timezone: event.timezone.clone(),
        place_name: event.place_name.clone(),
        place_address: event.place_address.clone(),
        online_url: event.online_url.clone(),
        going: event.going_total(),
        interested: event.interested,
        pending: event.pending,
        places_left: view.places_left(),
        cancelled: event.cancelled,
        ended: view.ended(now),
        mine: view.mine.as_ref().map(|r| r.answer.as_str()),
        mine_waiting: view
            .mine
            .as_ref()
            .is_some_and(|r| r.answer == Answer::Going && !r.approved),
        can_answer: session.viewer.is_some() && !event.cancelled && !view.ended(now),
        can_cancel: row.local && (organiser || moderate) && !event.cancelled,
        needs_approval: event.needs_approval,
        // Only the organiser approves (see `events::approve`).
        waiting: if organiser && row.local {
            waiting
        } else {
            Vec::new()
        },
        going_people,
    }))
}

/// One option of a poll as its page shows it.
#[derive(Debug, Clone)]
pub struct PollOptionView {
    /// Its position (what the form sends).
    pub position: i16,
    /// What it says.
    pub name: String,
    /// Its votes.
    pub votes: i64,
    /// Its share of the voters, 0–100.
    pub percent: i64,
    /// The visitor chose it.
    pub chosen: bool,
}

/// A post's poll as its page shows it.
#[derive(Debug, Clone)]
pub struct PollBlock {
    /// The options, in order.
    pub options: Vec<PollOptionView>,
    /// Several choices allowed.
    pub multiple: bool,
    /// Voting has ended.
    pub closed: bool,
    /// The counts may be shown.
    pub results_visible: bool,
    /// Results stay hidden until the end.
    pub results_after_end: bool,
    /// How many voted.
    pub voters: i64,
    /// When voting ends, UTC (RFC 3339).
    pub ends_iso: String,
    /// When voting ends, readable in UTC.
    pub ends_full: String,
    /// The visitor voted.
    pub voted: bool,
    /// The visitor may vote now (signed in, open, and not a final vote already given).
    pub can_vote: bool,
}

impl PollBlock {
    /// "1 person voted", "5 people voted".
    pub fn voters_label(&self) -> String {
        match self.voters {
            1 => "1 person voted".to_owned(),
            n => format!("{n} people voted"),
        }
    }
}

/// The poll block of a poll as the visitor sees it.
pub fn poll_block(view: PollView, session: &Session) -> PollBlock {
    let voters = view.poll.voters;
    let voted = !view.mine.is_empty();
    // Shares of voters: in a multiple-choice poll they add up to more than 100.
    let share = |votes: i64| {
        if voters > 0 {
            (votes * 100 + voters / 2) / voters
        } else {
            0
        }
    };
    PollBlock {
        options: view
            .poll
            .options
            .iter()
            .map(|o| PollOptionView {
                position: o.position,
                name: o.name.clone(),
                votes: o.votes,
                percent: share(o.votes).clamp(0, 100),
                chosen: view.mine.contains(&o.position),
            })
            .collect(),
        multiple: view.poll.multiple,
        closed: view.closed,
        results_visible: view.results_visible,
        results_after_end: view.poll.results_after_end,
        voters,
        ends_iso: view.poll.ends_at.to_rfc3339(),
        ends_full: view
            .poll
            .ends_at
            .format("%a %-d %b %Y, %H:%M UTC")
            .to_string(),
        can_vote: session.viewer.is_some() && !view.closed && !(view.poll.remote && voted),
        voted,
    }
}

/// The poll block of the post `row`, when it has one.
pub async fn poll_of(
    ctx: &ServiceContext,
    session: &Session,
    row: &PostRow,
) -> Result<Option<PollBlock>, WebError> {
    Ok(
        polls::for_posts(ctx, session.viewer.as_ref(), &[(row.id, row.author_id)])
            .await?
            .remove(&row.id)
            .map(|view| poll_block(view, session)),
    )
}

/// Fills in the "Event · 12 Dec 19:00" and "Poll" badges of a page of posts: two queries for
/// the page.
pub async fn mark_badges(
    ctx: &ServiceContext,
    session: &Session,
    posts: &mut [PostView],
) -> Result<(), WebError> {
    if posts.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let pairs: Vec<(i64, i64)> = posts.iter().map(|p| (p.id, p.author_id)).collect();
    let events = events::for_posts(ctx, session.viewer.as_ref(), &ids).await?;
    let polls = polls::for_posts(ctx, session.viewer.as_ref(), &pairs).await?;
    for post in posts {
        if let Some(view) = events.get(&post.id) {
            post.event_badge = Some(event_badge(view));
        }
        if let Some(view) = polls.get(&post.id) {
            post.poll_badge = Some(if view.closed { "Poll · ended" } else { "Poll" });
        }
    }
    Ok(())
}

fn event_badge(view: &EventView) -> String {
    let start = short_start(view.event.starts_at, &view.event.timezone);
    if view.event.cancelled {
        format!("Event · {start} · cancelled")
    } else {
        format!("Event · {start}")
    }
}

/// An upcoming event as the Events tab lists it.
struct UpcomingItem {
    post: PostView,
    event: EventBlock,
}

#[derive(Template)]
#[template(path = "community_events.html")]
struct EventsPage {
    layout: Layout,
    community: CommunityView,
    items: Vec<UpcomingItem>,
    days: i64,
}

async fn upcoming(
    State(ctx): State<ServiceContext>,
    session: Session,
    PagePath(name): PagePath<String>,
) -> PageResult {
    let found = communities::find(&ctx, &name).await?;
    let details = communities::details(&ctx, session.viewer.as_ref(), found).await?;
    let community = CommunityView::new(&ctx, details);
    let rows = events::upcoming(&ctx, session.viewer.as_ref(), &community.actor.handle).await?;
    let now = Utc::now();
    let items = rows
        .into_iter()
        .map(|(row, view)| {
            let event = EventBlock {
                when: when(
                    view.event.starts_at,
                    view.event.ends_at,
                    &view.event.timezone,
                ),
                starts_iso: view.event.starts_at.to_rfc3339(),
                ends_iso: view.event.ends_at.to_rfc3339(),
                timezone: view.event.timezone.clone(),
                place_name: view.event.place_name.clone(),
                place_address: view.event.place_address.clone(),
                online_url: view.event.online_url.clone(),
                going: view.event.going_total(),
                interested: view.event.interested,
                pending: view.event.pending,
                places_left: view.places_left(),
                cancelled: view.event.cancelled,
                ended: view.ended(now),
                mine: view.mine.as_ref().map(|r| r.answer.as_str()),
                mine_waiting: false,
                can_answer: false,
                can_cancel: false,
                needs_approval: view.event.needs_approval,
                waiting: Vec::new(),
                going_people: None,
            };
            UpcomingItem {
                post: PostView::new(&ctx, row, &session, now),
                event,
            }
        })
        .collect();
    let layout = Layout::new(
        &session,
        format!("Events of {}", community.actor.label),
        "communities",
    );
    render(&EventsPage {
        layout,
        community,
        items,
        days: events::UPCOMING_DAYS,
    })
}

/// The event and poll fields of the post form (and what they showed when it came back).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ExtrasInput {
    /// The start's date (`2026-12-12`); an event is made when it is given.
    #[serde(default)]
    pub starts_at_date: String,
    /// The start's wall-clock time (`19:00`).
    #[serde(default)]
    pub starts_at_time: String,
    /// The end's date (empty: the start's).
    #[serde(default)]
    pub ends_at_date: String,
    /// The end's wall-clock time.
    #[serde(default)]
    pub ends_at_time: String,
    /// The IANA zone the times are in.
    #[serde(default)]
    pub timezone: String,
    /// Where to join online.
    #[serde(default)]
    pub online_url: String,
    /// The place's name.
    #[serde(default)]
    pub place_name: String,
    /// The place's address.
    #[serde(default)]
    pub place_address: String,
    /// How many may go (empty: no limit).
    #[serde(default)]
    pub capacity: String,
    /// Ticked: the organiser approves who goes.
    pub needs_approval: Option<String>,
    /// The poll's options, one a line; a poll is made when any is given.
    #[serde(default)]
    pub options: String,
    /// Ticked: several choices allowed.
    pub multiple: Option<String>,
    /// The poll's length in seconds (one of `POLL_DURATIONS`).
    #[serde(default)]
    pub poll_duration: String,
    /// Ticked: results only after the end.
    pub results_after_end: Option<String>,
}

/// The fields of the event and poll sections, as the service names them, with their labels.
pub const FIELDS: [(&str, &str); 11] = [
    ("starts_at", "Start"),
    ("ends_at", "End"),
    ("timezone", "Time zone"),
    ("online_url", "Online link"),
    ("place_name", "Place"),
    ("place_address", "Address"),
    ("capacity", "Capacity"),
    ("event", "Event"),
    ("options", "Options"),
    ("poll_duration", "Poll length"),
    ("poll", "Poll"),
];

impl ExtrasInput {
    /// Whether the organiser wrote an event.
    pub fn has_event(&self) -> bool {
        !self.starts_at_date.trim().is_empty() || !self.starts_at_time.trim().is_empty()
    }

    /// Whether the organiser wrote a poll.
    pub fn has_poll(&self) -> bool {
        self.options.lines().any(|l| !l.trim().is_empty())
    }

    /// The zone chosen, `UTC` when none.
    pub fn zone(&self) -> &str {
        match self.timezone.trim() {
            "" => "UTC",
            zone => zone,
        }
    }

    /// The zones the select offers: the common ones, and the chosen one when it is not among
    /// them.
    pub fn zones(&self) -> Vec<String> {
        let mut zones: Vec<String> = TIME_ZONES.iter().map(|z| (*z).to_owned()).collect();
        let chosen = self.zone();
        if !zones.iter().any(|z| z == chosen) {
            zones.insert(0, chosen.to_owned());
        }
        zones
    }

    /// The poll length chosen (one day when none).
    pub fn duration(&self) -> i64 {
        self.poll_duration.trim().parse().unwrap_or(86_400)
    }

    /// The event as the service takes it (`None`: no event written).
    pub fn event(&self) -> hearth_core::Result<Option<EventInput>> {
        if !self.has_event() {
            return Ok(None);
        }
        let zone = self.zone();
        let start_date = date(&self.starts_at_date, "starts_at")?;
        let starts_at = events::local_to_utc(
            start_date.and_time(clock(&self.starts_at_time, "starts_at")?),
            zone,
            "starts_at",
        )?;
        let end_date = if self.ends_at_date.trim().is_empty() {
            start_date
        } else {
            date(&self.ends_at_date, "ends_at")?
        };
        let end_local: NaiveDateTime = end_date.and_time(clock(&self.ends_at_time, "ends_at")?);
        let ends_at = events::local_to_utc(end_local, zone, "ends_at")?;
        let capacity = match self.capacity.trim() {
            "" => None,
            text => Some(text.parse::<i32>().map_err(|_| {
                Error::validation(
                    "capacity",
                    "The capacity is a whole number of people, such as 20.",
                )
            })?),
        };
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        Ok(Some(EventInput {
            starts_at,
            ends_at,
            timezone: zone.to_owned(),
            online_url: text(&self.online_url),
            place_name: text(&self.place_name),
            place_address: text(&self.place_address),
            capacity,
            needs_approval: self.needs_approval.is_some(),
        }))
    }

    /// The poll as the service takes it (`None`: no poll written).
    pub fn poll(&self, now: DateTime<Utc>) -> Option<PollInput> {
        if !self.has_poll() {
            return None;
        }
        Some(PollInput {
            options: self
                .options
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            multiple: self.multiple.is_some(),
            ends_at: now + chrono::Duration::seconds(self.duration()),
            results_after_end: self.results_after_end.is_some(),
        })
    }

    /// The fields of an event, for the edit form.
    pub fn from_event(view: &EventView) -> Self {
        let event = &view.event;
        let start = events::in_zone(event.starts_at, &event.timezone);
        let end = events::in_zone(event.ends_at, &event.timezone);
        Self {
            starts_at_date: start.format("%Y-%m-%d").to_string(),
            starts_at_time: start.format("%H:%M").to_string(),
            ends_at_date: end.format("%Y-%m-%d").to_string(),
            ends_at_time: end.format("%H:%M").to_string(),
            timezone: event.timezone.clone(),
            online_url: event.online_url.clone().unwrap_or_default(),
            place_name: event.place_name.clone().unwrap_or_default(),
            place_address: event.place_address.clone().unwrap_or_default(),
            capacity: event.capacity.map(|c| c.to_string()).unwrap_or_default(),
            needs_approval: event.needs_approval.then(String::new),
            ..Self::default()
        }
    }
}

/// Sorts a service error of the post form: the event's and poll's messages are whole
/// sentences and go next to their field as they are; anything else as `errors_with` sorts it
/// (an unknown community is a wrong value of the community field).
pub fn sort_post_error(
    error: Error,
    fields: &crate::forms::Fields,
) -> Result<(StatusCode, FormErrors), WebError> {
    if let hearth_core::ErrorKind::Validation { field, reason } = &error.kind
        && FIELDS.iter().any(|(name, _)| name == field)
    {
        return Ok((
            error.kind.status(),
            FormErrors::field(field, reason.clone()),
        ));
    }
    crate::forms::errors_with(error, fields, "not_found", "community")
}

/// A form's date field (`2026-12-12`).
fn date(text: &str, field: &str) -> hearth_core::Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::validation(field, "Give a date, such as 2026-12-12."))
}

/// A form's time field (`19:00`, or `19:00:00` when the browser adds seconds).
fn clock(text: &str, field: &str) -> hearth_core::Result<NaiveTime> {
    let text = text.trim();
    NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
        .map_err(|_| Error::validation(field, "Give a time, such as 19:00."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn an_event_reads_as_wall_clock_time_in_its_zone() {
        let start = Utc.with_ymd_and_hms(2026, 12, 12, 18, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 12, 12, 20, 0, 0).unwrap();
        assert_eq!(
            when(start, end, "Europe/Berlin"),
            "Sat 12 Dec 2026, 19:00–21:00 (Europe/Berlin)"
        );
        let next_day = Utc.with_ymd_and_hms(2026, 12, 13, 9, 0, 0).unwrap();
        assert_eq!(
            when(start, next_day, "UTC"),
            "Sat 12 Dec 2026, 18:00 – Sun 13 Dec 2026, 09:00 (UTC)"
        );
    }

    #[test]
    fn the_form_converts_its_wall_clock_times_with_the_chosen_zone() {
        let input = ExtrasInput {
            starts_at_date: "2026-12-12".into(),
            starts_at_time: "19:00".into(),
            ends_at_time: "21:00".into(),
            timezone: "Europe/Berlin".into(),
            place_name: " The hall ".into(),
            capacity: "12".into(),
            ..ExtrasInput::default()
        };
        let event = input.event().unwrap().unwrap();
        assert_eq!(
            event.starts_at,
            Utc.with_ymd_and_hms(2026, 12, 12, 18, 0, 0).unwrap()
        );
        assert_eq!(
            event.ends_at,
            Utc.with_ymd_and_hms(2026, 12, 12, 20, 0, 0).unwrap()
        );
        assert_eq!(event.place_name.as_deref(), Some("The hall"));
        assert_eq!(event.capacity, Some(12));
        let bad = ExtrasInput {
            capacity: "a dozen".into(),
            ..input.clone()
        };
        let error = bad.event().unwrap_err();
        assert!(matches!(
            error.kind,
            hearth_core::ErrorKind::Validation { ref field, .. } if field == "capacity"
        ));
        let no_time = ExtrasInput {
            ends_at_time: String::new(),
            ..input
        };
        assert!(no_time.event().is_err());
        assert!(ExtrasInput::default().event().unwrap().is_none());
    }

    #[test]
    fn a_poll_takes_one_option_a_line_and_its_length() {
        let now = Utc::now();
        let input = ExtrasInput {
            options: "Tea\n\n  Coffee \r\nJuice\n".into(),
            poll_duration: "3600".into(),
            ..ExtrasInput::default()
        };
        let poll = input.poll(now).unwrap();
        assert_eq!(poll.options, ["Tea", "Coffee", "Juice"]);
        assert_eq!(poll.ends_at, now + chrono::Duration::hours(1));
        assert!(ExtrasInput::default().poll(now).is_none());
    }

    #[test]
    fn only_known_refusals_become_notices() {
        assert!(notice(Some("event_full")).is_some());
        assert!(notice(Some("<script>")).is_none());
        assert!(notice(None).is_none());
    }

    #[test]
    fn checkboxes_and_radio_buttons_both_name_positions() {
        let form: HashMap<String, String> = [
            ("choice_2".to_owned(), "on".to_owned()),
            ("choice_0".to_owned(), "on".to_owned()),
            ("csrf_token".to_owned(), "x".to_owned()),
        ]
        .into();
        assert_eq!(chosen(&form), [0, 2]);
        let radio: HashMap<String, String> = [("choice".to_owned(), "1".to_owned())].into();
        assert_eq!(chosen(&radio), [1]);
    }
}
