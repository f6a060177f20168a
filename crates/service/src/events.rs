//! Events: posts with a time and a place that people answer (going, interested, not going),
//! with a capacity, cancellation, and the news of changes and of the start.
//!
//! An event is written with its post (`posts::create` with `NewPostForm::event`) and changed
//! with it (`posts::edit` with `PostChanges::event`); this module checks what organisers write,
//! takes answers, cancels, and reads what pages and the API show. An answer to an event of
//! another server is recorded here and sent to that server (`outbox::Event::EventAnswered`);
//! remote people's answers arrive through federation, which uses `check_answer` for the same
//! rules.

use crate::ServiceContext;
use crate::auth::Viewer;
use crate::content;
use crate::outbox::{self, Event};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use hearth_core::{Error, Result};
use hearth_db::event::{Answer, Attendee, EventFields, EventRow, Rsvp};
use hearth_db::notification::NotificationKind;
use hearth_db::post::PostRow;
use std::collections::HashMap;

/// The longest an event may last.
pub const MAX_LENGTH: Duration = Duration::days(31);

/// The longest place name and address, in characters.
pub const MAX_PLACE: usize = 500;

/// The largest capacity.
pub const MAX_CAPACITY: i32 = 1_000_000;

/// How far ahead the Events tab and the calendar feed look.
pub const UPCOMING_DAYS: i64 = 30;

/// How long before its start people going are reminded of an event.
pub const REMINDER_BEFORE: Duration = Duration::hours(1);

/// The most people an attendee list shows.
pub const MAX_ATTENDEES: i64 = 500;

/// An event as its organiser writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInput {
    /// When it starts.
    pub starts_at: DateTime<Utc>,
    /// When it ends.
    pub ends_at: DateTime<Utc>,
    /// The organiser's IANA time zone (`Europe/Berlin`); `UTC` when not given.
    pub timezone: String,
    /// Where to join online: an http(s) link.
    pub online_url: Option<String>,
    /// The place's name.
    pub place_name: Option<String>,
    /// The place's address.
    pub place_address: Option<String>,
    /// How many may be going.
    pub capacity: Option<i32>,
    /// Whether the organiser approves who goes.
    pub needs_approval: bool,
}

/// Reads a time zone name (IANA: `Europe/Berlin`, `UTC`).
pub fn time_zone(name: &str) -> Result<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        Error::validation(
            "timezone",
            format!("`{name}` is not a time zone name such as `Europe/Berlin` or `UTC`."),
        )
    })
}

/// A wall-clock time in a zone (what a form's date and time fields give) as UTC. A time that
/// does not exist there (skipped by a clock change) is refused; one that exists twice is the
/// earlier.
pub fn local_to_utc(local: NaiveDateTime, zone: &str, field: &str) -> Result<DateTime<Utc>> {
    let tz = time_zone(zone)?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            Error::validation(
                field,
                "This time does not exist in that time zone (clock change).",
            )
        })
}

/// An UTC time as wall-clock time in a zone (an unknown zone shows UTC).
pub fn in_zone(time: DateTime<Utc>, zone: &str) -> chrono::DateTime<Tz> {
    time.with_timezone(&zone.parse::<Tz>().unwrap_or(Tz::UTC))
}

/// Checks an event as written: a known time zone, an end not before the start and at most
/// `MAX_LENGTH` later, an http(s) online link, short place fields, a positive capacity. A new
/// event must not have started more than an hour ago (`now`); an edit may keep its past.
pub fn check(input: EventInput, new: bool, now: DateTime<Utc>) -> Result<EventFields> {
    let timezone = time_zone(if input.timezone.trim().is_empty() {
        "UTC"
    } else {
        &input.timezone
    })?
    .name()
    .to_owned();
    if input.ends_at < input.starts_at {
        return Err(Error::validation(
            "ends_at",
            "An event cannot end before it starts.",
        ));
    }
    if input.ends_at - input.starts_at > MAX_LENGTH {
        return Err(Error::validation(
            "ends_at",
            "An event may last at most 31 days.",
        ));
    }
    if new && input.starts_at < now - Duration::hours(1) {
        return Err(Error::validation(
            "starts_at",
            "A new event cannot start in the past.",
        ));
    }
    let online_url = input
        .online_url
        .filter(|u| !u.trim().is_empty())
        .map(|u| content::link(&u).map_err(|_| online_link_error()))
        .transpose()?;
    let place_name = short_text(input.place_name, "place_name")?;
    let place_address = short_text(input.place_address, "place_address")?;
    if let Some(capacity) = input.capacity
        && !(1..=MAX_CAPACITY).contains(&capacity)
    {
        return Err(Error::validation(
            "capacity",
            format!("The capacity is a number from 1 to {MAX_CAPACITY}."),
        ));
    }
    Ok(EventFields {
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        timezone,
        online_url,
        place_name,
        place_address,
        capacity: input.capacity,
        needs_approval: input.needs_approval,
    })
}

fn online_link_error() -> Error {
    Error::validation("online_url", "The online link must be an http(s) URL.")
}

fn short_text(text: Option<String>, field: &str) -> Result<Option<String>> {
    let text = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_PLACE) {
        return Err(Error::validation(
            field,
            format!("At most {MAX_PLACE} characters."),
        ));
    }
    Ok(text)
}

/// An event as a viewer sees it: its fields and counts, and the viewer's own answer.
#[derive(Debug, Clone, PartialEq)]
pub struct EventView {
    /// The event.
    pub event: EventRow,
    /// The viewer's answer, if any.
    pub mine: Option<Rsvp>,
}

impl EventView {
    /// How many more may go (`None`: no limit).
    pub fn places_left(&self) -> Option<i64> {
        self.event
            .capacity
            .map(|capacity| (i64::from(capacity) - self.event.going_total()).max(0))
    }

    /// Whether it has ended (answers are closed then).
    pub fn ended(&self, now: DateTime<Utc>) -> bool {
        self.event.ends_at < now
    }
}

/// The events among a page of posts, as the viewer sees them, in two queries.
pub async fn for_posts(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    post_ids: &[i64],
) -> Result<HashMap<i64, EventView>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let events = hearth_db::event::find_many(&ctx.pool, post_ids).await?;
    if events.is_empty() {
        return Ok(HashMap::new());
    }
    let mut mine: HashMap<i64, Rsvp> = match viewer {
        Some(viewer) => {
            let ids: Vec<i64> = events.iter().map(|e| e.post_id).collect();
            hearth_db::event::answers_of(&ctx.pool, viewer.person_id, &ids)
                .await?
                .into_iter()
                .map(|r| (r.post_id, r))
                .collect()
        }
        None => HashMap::new(),
    };
    Ok(events
        .into_iter()
        .map(|event| {
            let id = event.post_id;
            (
                id,
                EventView {
                    mine: mine.remove(&id),
                    event,
                },
            )
        })
        .collect())
}

/// One post's event as the viewer sees it; 404 when the post is not an event or the viewer
/// cannot read it.
pub async fn get(ctx: &ServiceContext, viewer: Option<&Viewer>, post_id: i64) -> Result<EventView> {
    let post = content::post(ctx, viewer, post_id).await?;
    for_posts(ctx, viewer, &[post.id])
        .await?
        .remove(&post.id)
        .ok_or_else(not_an_event)
}

fn not_an_event() -> Error {
    Error::not_found("This post is not an event.")
}

/// Why an answer cannot be taken, whoever gives it (a member here or a remote person): the
/// event was cancelled or has ended, or it is full (a `going` beyond the capacity; someone
/// already going keeps their place).
pub fn check_answer(
    event: &EventRow,
    held: Option<&Rsvp>,
    answer: Answer,
    now: DateTime<Utc>,
) -> Result<()> {
    if event.cancelled {
        return Err(Error::conflict(
            "event_cancelled",
            "This event was cancelled.",
        ));
    }
    if event.ends_at < now {
        return Err(Error::conflict("event_ended", "This event has ended."));
    }
    let already_going = held.is_some_and(|h| h.answer == Answer::Going);
    if answer == Answer::Going
        && !already_going
        && event
            .capacity
            .is_some_and(|capacity| event.going_total() + event.pending >= i64::from(capacity))
    {
        return Err(Error::conflict(
            "event_full",
            "This event is full: no places are left.",
        ));
    }
    Ok(())
}

/// Answers an event for the viewer (`None` takes the answer back). Members answer as they
/// would vote (not banned, the community open to them). A `going` to an event that needs
/// approval waits for the organiser (the organiser's own does not). An answer to another
/// server's event is sent there.
#[tracing::instrument(skip_all, fields(person = viewer.person_id, post = post_id))]
pub async fn answer(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    answer: Option<Answer>,
) -> Result<EventView> {
    let post = content::post(ctx, Some(viewer), post_id).await?;
    let community = crate::community_facts::community(ctx, post.community_id).await?;
    content::may_vote(ctx, viewer, &community, post.deleted || post.removed, 1).await?;
    let mut tx = ctx.pool.begin().await?;
    let event = hearth_db::event::lock(&mut tx, post_id)
        .await?
        .ok_or_else(not_an_event)?;
    let held = hearth_db::event::rsvp_of(&mut *tx, post_id, viewer.person_id).await?;
    let changed = match answer {
        Some(answer) => {
            if held.as_ref().map(|h| h.answer) == Some(answer) {
                false
            } else {
                check_answer(&event, held.as_ref(), answer, Utc::now())?;
                let approved = !(event.needs_approval
                    && answer == Answer::Going
                    && post.author_id != viewer.person_id);
                hearth_db::event::set_rsvp(
                    &mut *tx,
                    post_id,
                    viewer.person_id,
                    answer,
                    approved,
                    None,
                )
                .await?;
                true
            }
        }
        None => hearth_db::event::delete_rsvp(&mut *tx, post_id, viewer.person_id).await?,
    };
    if changed && !post.local {
        outbox::record(
            ctx,
            &mut tx,
            Event::EventAnswered {
                post_id,
                person_id: viewer.person_id,
                answer,
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), post_id).await
}

/// Cancels an event (its organiser, or a moderator of its community): everyone who answered
/// hears of it, and the change goes out as the post's update.
#[tracing::instrument(skip_all, fields(post = post_id))]
pub async fn cancel(ctx: &ServiceContext, viewer: &Viewer, post_id: i64) -> Result<EventView> {
    let post = content::post(ctx, Some(viewer), post_id).await?;
    let community = crate::community_facts::community(ctx, post.community_id).await?;
    let organiser = post.author_id == viewer.person_id;
    if !(post.local && (organiser || content::is_moderator(ctx, viewer, &community).await?)) {
        return Err(Error::forbidden(
            "not_organiser",
            "Only the organiser or a moderator can cancel this event.",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    hearth_db::event::lock(&mut tx, post_id)
        .await?
        .ok_or_else(not_an_event)?;
    if hearth_db::event::cancel(&mut *tx, post_id).await? {
        hearth_db::event::notify_answered(
            &mut *tx,
            post_id,
            NotificationKind::EventCancelled,
            &format!("event_cancelled:{post_id}"),
            &Answer::ALL,
            Some(viewer.person_id),
        )
        .await?;
        outbox::record(ctx, &mut tx, Event::PostUpdated(post_id)).await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), post_id).await
}

/// Writes an event's changed fields in the transaction of the post's edit; people going hear
/// of a new time (once per new start and end).
pub(crate) async fn edited(
    conn: &mut sqlx::PgConnection,
    post_id: i64,
    fields: &EventFields,
    editor_id: i64,
) -> Result<()> {
    let held = hearth_db::event::lock(conn, post_id)
        .await?
        .ok_or_else(|| Error::validation("event", "This post is not an event."))?;
    hearth_db::event::upsert(&mut *conn, post_id, fields, None, None).await?;
    notify_time_change(conn, &held, fields, Some(editor_id)).await
}

/// Tells the people going to an event that its time changed, when it did: used for our edits
/// and for a remote event's `Update`.
pub async fn notify_time_change(
    conn: &mut sqlx::PgConnection,
    held: &EventRow,
    fields: &EventFields,
    editor_id: Option<i64>,
) -> Result<()> {
    if held.starts_at != fields.starts_at || held.ends_at != fields.ends_at {
        hearth_db::event::notify_answered(
            &mut *conn,
            held.post_id,
            NotificationKind::EventChanged,
            &format!(
                "event_changed:{}:{}:{}",
                held.post_id,
                fields.starts_at.timestamp(),
                fields.ends_at.timestamp()
            ),
            &[Answer::Going, Answer::Interested],
            editor_id,
        )
        .await?;
    }
    Ok(())
}

/// Tells everyone who answered a remote event that its server cancelled it (once).
pub async fn notify_cancelled(conn: &mut sqlx::PgConnection, post_id: i64) -> Result<()> {
    hearth_db::event::notify_answered(
        &mut *conn,
        post_id,
        NotificationKind::EventCancelled,
        &format!("event_cancelled:{post_id}"),
        &Answer::ALL,
        None,
    )
    .await?;
    Ok(())
}

/// The people who answered `answer`: for members of the event's community, its moderators,
/// the organiser and admins (who is going is not public).
pub async fn attendees(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    answer: Answer,
) -> Result<Vec<Attendee>> {
    let post = content::post(ctx, Some(viewer), post_id).await?;
    let community = crate::community_facts::community(ctx, post.community_id).await?;
    let member = hearth_db::membership::state(&ctx.pool, community.id, viewer.person_id)
        .await?
        .is_some_and(|s| s == hearth_db::membership::MemberState::Joined);
    let allowed = member
        || post.author_id == viewer.person_id
        || viewer.admin
        || content::is_moderator(ctx, viewer, &community).await?;
    if !allowed {
        return Err(Error::forbidden(
            "not_member",
            "Only members of this community see who answered its events.",
        ));
    }
    hearth_db::event::find(&ctx.pool, post_id)
        .await?
        .ok_or_else(not_an_event)?;
    Ok(hearth_db::event::attendees(&ctx.pool, post_id, answer, MAX_ATTENDEES).await?)
}

/// The organiser approves a `going` that waited (events that need approval).
pub async fn approve(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    person_id: i64,
) -> Result<EventView> {
    let post = content::post(ctx, Some(viewer), post_id).await?;
    if !post.local || post.author_id != viewer.person_id {
        return Err(Error::forbidden(
            "not_organiser",
            "Only the organiser approves who goes.",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    let event = hearth_db::event::lock(&mut tx, post_id)
        .await?
        .ok_or_else(not_an_event)?;
    if event
        .capacity
        .is_some_and(|capacity| event.going_total() >= i64::from(capacity))
    {
        return Err(Error::conflict(
            "event_full",
            "This event is full: no places are left.",
        ));
    }
    if !hearth_db::event::approve(&mut *tx, post_id, person_id).await? {
        return Err(Error::not_found(
            "Nobody with this id waits for approval here.",
        ));
    }
    outbox::record(
        ctx,
        &mut tx,
        Event::EventAnswerDecided {
            post_id,
            person_id,
            accepted: true,
        },
    )
    .await?;
    tx.commit().await?;
    get(ctx, Some(viewer), post_id).await
}

/// A community's events in the next `UPCOMING_DAYS` (and those going on now), soonest first,
/// with the viewer's view of each.
pub async fn upcoming(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    community: &str,
) -> Result<Vec<(PostRow, EventView)>> {
    let community = crate::communities::find(ctx, community).await?;
    let now = Utc::now();
    let posts = hearth_db::event::upcoming(
        &ctx.pool,
        community.id,
        now,
        now + Duration::days(UPCOMING_DAYS),
        viewer.map(|v| v.person_id),
        200,
    )
    .await?;
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let mut events = for_posts(ctx, viewer, &ids).await?;
    Ok(posts
        .into_iter()
        .filter_map(|post| events.remove(&post.id).map(|event| (post, event)))
        .collect())
}

/// Writes the reminders of events starting within the hour (the maintenance round).
pub async fn remind(ctx: &ServiceContext) -> Result<u64> {
    Ok(hearth_db::event::remind(&ctx.pool, REMINDER_BEFORE).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> EventInput {
        let start = Utc::now() + Duration::days(2);
        EventInput {
            starts_at: start,
            ends_at: start + Duration::hours(2),
            timezone: "Europe/Berlin".into(),
            online_url: None,
            place_name: Some("  The hall ".into()),
            place_address: None,
            capacity: Some(10),
            needs_approval: false,
        }
    }

    #[test]
    fn a_good_event_passes_and_is_trimmed() {
        let fields = check(input(), true, Utc::now()).expect("valid");
        assert_eq!(fields.place_name.as_deref(), Some("The hall"));
        assert_eq!(fields.timezone, "Europe/Berlin");
    }

    #[test]
    fn bad_events_are_refused_with_the_field_named() {
        let now = Utc::now();
        let cases: Vec<(EventInput, &str)> = vec![
            (
                EventInput {
                    timezone: "Mars/Olympus".into(),
                    ..input()
                },
                "timezone",
            ),
            (
                EventInput {
                    ends_at: input().starts_at - Duration::minutes(1),
                    ..input()
                },
                "ends_at",
            ),
            (
                EventInput {
                    ends_at: input().starts_at + Duration::days(40),
                    ..input()
                },
                "ends_at",
            ),
            (
                EventInput {
                    starts_at: now - Duration::days(1),
                    ends_at: now,
                    ..input()
                },
                "starts_at",
            ),
            (
                EventInput {
                    online_url: Some("javascript:alert(1)".into()),
                    ..input()
                },
                "online_url",
            ),
            (
                EventInput {
                    capacity: Some(0),
                    ..input()
                },
                "capacity",
            ),
            (
                EventInput {
                    place_address: Some("x".repeat(501)),
                    ..input()
                },
                "place_address",
            ),
        ];
        for (case, field) in cases {
            let error = check(case, true, now).expect_err(field);
            assert!(format!("{error:?}").contains(field), "{field}: {error:?}");
        }
    }

    #[test]
    fn wall_clock_times_become_utc_in_their_zone() {
        let local =
            NaiveDateTime::parse_from_str("2027-07-01 19:00", "%Y-%m-%d %H:%M").expect("time");
        let utc = local_to_utc(local, "Europe/Berlin", "starts_at").expect("exists");
        assert_eq!(utc.to_rfc3339(), "2027-07-01T17:00:00+00:00");
        // 02:30 on the last Sunday of March does not exist in Berlin.
        let skipped =
            NaiveDateTime::parse_from_str("2027-03-28 02:30", "%Y-%m-%d %H:%M").expect("time");
        assert!(local_to_utc(skipped, "Europe/Berlin", "starts_at").is_err());
    }
}
