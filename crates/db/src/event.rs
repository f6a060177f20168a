//! Events (`post_event`) and who answered them (`event_rsvp`): a post with a time, a place,
//! a capacity, and people going, interested or not going. The news of an event (cancelled,
//! moved, starting soon) is written here too, one statement per cause.

use crate::post::{POST_COLUMNS, POST_FROM, PostRow};
use chrono::{DateTime, Utc};
use hearth_core::UnknownName;
use sqlx::{PgConnection, PgExecutor};
use std::str::FromStr;

/// How a person answered an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Going (counted against the capacity).
    Going,
    /// Interested, maybe going.
    Interested,
    /// Not going.
    NotGoing,
}

impl Answer {
    /// Every answer, in the order pages show them.
    pub const ALL: [Self; 3] = [Self::Going, Self::Interested, Self::NotGoing];

    /// The stored name, which the API shows and takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Going => "going",
            Self::Interested => "interested",
            Self::NotGoing => "not_going",
        }
    }
}

impl FromStr for Answer {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|answer| answer.as_str() == name)
            .ok_or_else(|| UnknownName::new("event answer", name))
    }
}

/// An event's fields, as written by its organiser or received from its home server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFields {
    /// When it starts (UTC).
    pub starts_at: DateTime<Utc>,
    /// When it ends (UTC), not before the start.
    pub ends_at: DateTime<Utc>,
    /// The organiser's IANA time zone.
    pub timezone: String,
    /// Where to join online.
    pub online_url: Option<String>,
    /// The place's name.
    pub place_name: Option<String>,
    /// The place's address, one line.
    pub place_address: Option<String>,
    /// How many may be going.
    pub capacity: Option<i32>,
    /// Whether the organiser approves who goes.
    pub needs_approval: bool,
}

/// An event with its answers counted.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    /// The post it is.
    pub post_id: i64,
    /// When it starts (UTC).
    pub starts_at: DateTime<Utc>,
    /// When it ends (UTC).
    pub ends_at: DateTime<Utc>,
    /// The organiser's IANA time zone.
    pub timezone: String,
    /// Where to join online.
    pub online_url: Option<String>,
    /// The place's name.
    pub place_name: Option<String>,
    /// The place's address.
    pub place_address: Option<String>,
    /// How many may be going.
    pub capacity: Option<i32>,
    /// Whether the organiser approves who goes.
    pub needs_approval: bool,
    /// Whether it was cancelled.
    pub cancelled: bool,
    /// A remote event: how many its home server says are going.
    pub remote_going: Option<i32>,
    /// Approved `going` answers known here.
    pub going: i64,
    /// `interested` answers known here.
    pub interested: i64,
    /// `not_going` answers known here.
    pub not_going: i64,
    /// `going` answers waiting for the organiser.
    pub pending: i64,
}

impl EventRow {
    /// The fields as written, without the counts.
    pub fn fields(&self) -> EventFields {
        EventFields {
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            timezone: self.timezone.clone(),
            online_url: self.online_url.clone(),
            place_name: self.place_name.clone(),
            place_address: self.place_address.clone(),
            capacity: self.capacity,
            needs_approval: self.needs_approval,
        }
    }

    /// How many are going: ours, or its home server's figure when that is larger.
    pub fn going_total(&self) -> i64 {
        self.going.max(i64::from(self.remote_going.unwrap_or(0)))
    }
}

const EVENT_COLUMNS: &str = "e.post_id, e.starts_at, e.ends_at, e.timezone, e.online_url,
    e.place_name, e.place_address, e.capacity, e.needs_approval, e.cancelled, e.remote_going,
    (select count(*) from event_rsvp r where r.post_id = e.post_id and r.answer = 'going'
        and r.approved) as going,
    (select count(*) from event_rsvp r where r.post_id = e.post_id and r.answer = 'interested')
        as interested,
    (select count(*) from event_rsvp r where r.post_id = e.post_id and r.answer = 'not_going')
        as not_going,
    (select count(*) from event_rsvp r where r.post_id = e.post_id and r.answer = 'going'
        and not r.approved) as pending";

/// Writes a post's event (new, or its fields changed); `cancelled` and `remote_going` only
/// change when given (a remote event's `Update` carries them).
pub async fn upsert(
    db: impl PgExecutor<'_>,
    post_id: i64,
    fields: &EventFields,
    cancelled: Option<bool>,
    remote_going: Option<i32>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into post_event (post_id, starts_at, ends_at, timezone, online_url, place_name,
                                 place_address, capacity, needs_approval, cancelled, remote_going)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, false), $11)
         on conflict (post_id) do update set
             starts_at = excluded.starts_at, ends_at = excluded.ends_at,
             timezone = excluded.timezone, online_url = excluded.online_url,
             place_name = excluded.place_name, place_address = excluded.place_address,
             capacity = excluded.capacity, needs_approval = excluded.needs_approval,
             cancelled = coalesce($10, post_event.cancelled),
             remote_going = coalesce($11, post_event.remote_going)",
        post_id,
        fields.starts_at,
        fields.ends_at,
        fields.timezone,
        fields.online_url,
        fields.place_name,
        fields.place_address,
        fields.capacity,
        fields.needs_approval,
        cancelled,
        remote_going
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One post's event, with its counts.
pub async fn find(db: impl PgExecutor<'_>, post_id: i64) -> sqlx::Result<Option<EventRow>> {
    sqlx::query_as::<_, EventRow>(&format!(
        "select {EVENT_COLUMNS} from post_event e where e.post_id = $1"
    ))
    .bind(post_id)
    .fetch_optional(db)
    .await
}

/// One post's event, its row locked until the transaction ends: answers that count against the
/// capacity are decided one at a time.
pub async fn lock(conn: &mut PgConnection, post_id: i64) -> sqlx::Result<Option<EventRow>> {
    let locked = sqlx::query_scalar!(
        "select post_id from post_event where post_id = $1 for update",
        post_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match locked {
        Some(_) => find(conn, post_id).await,
        None => Ok(None),
    }
}

/// The events among a page of posts, with their counts, in one query.
pub async fn find_many(db: impl PgExecutor<'_>, post_ids: &[i64]) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as::<_, EventRow>(&format!(
        "select {EVENT_COLUMNS} from post_event e where e.post_id = any($1)"
    ))
    .bind(post_ids)
    .fetch_all(db)
    .await
}

/// Marks an event cancelled; true when it was not cancelled before.
pub async fn cancel(db: impl PgExecutor<'_>, post_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update post_event set cancelled = true where post_id = $1 and not cancelled",
        post_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A person's answer to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rsvp {
    /// The event's post.
    pub post_id: i64,
    /// How they answered.
    pub answer: Answer,
    /// False while a `going` waits for the organiser.
    pub approved: bool,
    /// The RSVP activity received or sent, when it federated.
    pub activity_ap_id: Option<String>,
}

/// One person's answer to an event.
pub async fn rsvp_of(
    db: impl PgExecutor<'_>,
    post_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<Rsvp>> {
    let row = sqlx::query!(
        "select answer, post_id, approved, activity_ap_id from event_rsvp
         where post_id = $1 and person_id = $2",
        post_id,
        person_id
    )
    .fetch_optional(db)
    .await?;
    row.map(|r| {
        Ok(Rsvp {
            post_id: r.post_id,
            answer: crate::decode(&r.answer)?,
            approved: r.approved,
            activity_ap_id: r.activity_ap_id,
        })
    })
    .transpose()
}

/// A person's answers among a page of posts, in one query.
pub async fn answers_of(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_ids: &[i64],
) -> sqlx::Result<Vec<Rsvp>> {
    let rows = sqlx::query!(
        "select answer, post_id, approved, activity_ap_id from event_rsvp
         where person_id = $1 and post_id = any($2)",
        person_id,
        post_ids
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Rsvp {
                post_id: r.post_id,
                answer: crate::decode(&r.answer)?,
                approved: r.approved,
                activity_ap_id: r.activity_ap_id,
            })
        })
        .collect()
}

/// Records a person's answer (a new one, or a change). The reminder flag starts over when the
/// answer changes to going again.
pub async fn set_rsvp(
    db: impl PgExecutor<'_>,
    post_id: i64,
    person_id: i64,
    answer: Answer,
    approved: bool,
    activity_ap_id: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into event_rsvp (post_id, person_id, answer, approved, activity_ap_id)
         values ($1, $2, $3, $4, $5)
         on conflict (post_id, person_id) do update set
             answer = excluded.answer, approved = excluded.approved,
             activity_ap_id = coalesce(excluded.activity_ap_id, event_rsvp.activity_ap_id),
             reminded = event_rsvp.reminded and event_rsvp.answer = excluded.answer,
             updated_at = now()",
        post_id,
        person_id,
        answer.as_str(),
        approved,
        activity_ap_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a person's answer back; true when there was one.
pub async fn delete_rsvp(
    db: impl PgExecutor<'_>,
    post_id: i64,
    person_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from event_rsvp where post_id = $1 and person_id = $2",
        post_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Approves a `going` that waited for the organiser; true when one waited.
pub async fn approve(db: impl PgExecutor<'_>, post_id: i64, person_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update event_rsvp set approved = true, updated_at = now()
         where post_id = $1 and person_id = $2 and not approved",
        post_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Someone who answered an event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attendee {
    /// Their person id.
    pub person_id: i64,
    /// Their name.
    pub name: String,
    /// Their display name.
    pub display_name: Option<String>,
    /// Their server, `None` for ours.
    pub host: Option<String>,
    /// Their actor id.
    pub ap_id: String,
    /// Their avatar.
    pub avatar_url: Option<String>,
    /// False while waiting for the organiser.
    pub approved: bool,
}

/// The people who gave `answer`, in the order they answered (at most `limit`).
pub async fn attendees(
    db: impl PgExecutor<'_>,
    post_id: i64,
    answer: Answer,
    limit: i64,
) -> sqlx::Result<Vec<Attendee>> {
    sqlx::query_as!(
        Attendee,
        "select p.id as person_id, p.name, p.display_name, p.host, p.ap_id, p.avatar_url,
                r.approved
         from event_rsvp r join person p on p.id = r.person_id
         where r.post_id = $1 and r.answer = $2 and not p.deleted
         order by r.created_at, p.id
         limit $3",
        post_id,
        answer.as_str(),
        limit
    )
    .fetch_all(db)
    .await
}

/// Tells local people who answered an event of a change to it (`kind` `event_cancelled` or
/// `event_changed`), once per `cause`; `answers` says whose answers count (the going hear of
/// a new time, everyone who answered of a cancellation). The organiser is not told of their
/// own change.
pub async fn notify_answered(
    db: impl PgExecutor<'_>,
    post_id: i64,
    kind: crate::notification::NotificationKind,
    cause: &str,
    answers: &[Answer],
    actor_id: Option<i64>,
) -> sqlx::Result<u64> {
    let answers: Vec<&str> = answers.iter().map(|a| a.as_str()).collect();
    let done = sqlx::query!(
        "insert into notification (recipient_id, kind, cause, actor_id, community_id, post_id)
         select r.person_id, $2, $3, $4, p.community_id, p.id
         from event_rsvp r
         join person who on who.id = r.person_id and who.local and not who.deleted
         join post p on p.id = r.post_id
         where r.post_id = $1 and r.answer = any($5)
           and r.person_id is distinct from $4
         on conflict (recipient_id, cause) do nothing",
        post_id,
        kind.as_str(),
        cause,
        actor_id,
        &answers as &[&str]
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Writes the reminders of events starting within `within`: one notification to each local
/// person going, once (the answer is marked reminded in the same statement, so a restart or a
/// second process sends none again). Events that were cancelled, deleted or removed, and
/// events that already began, remind no one. Returns how many were written.
pub async fn remind(db: impl PgExecutor<'_>, within: chrono::Duration) -> sqlx::Result<u64> {
    let until = Utc::now() + within;
    let done = sqlx::query!(
        "with due as (
             update event_rsvp r set reminded = true
             from post_event e, post p, person who
             where e.post_id = r.post_id and p.id = r.post_id and who.id = r.person_id
               and r.answer = 'going' and r.approved and not r.reminded
               and not e.cancelled and not p.deleted and not p.removed
               and who.local and not who.deleted
               and e.starts_at > now() and e.starts_at <= $1
             returning r.person_id, r.post_id, p.community_id
         )
         insert into notification (recipient_id, kind, cause, community_id, post_id)
         select person_id, 'event_reminder', 'event_reminder:' || post_id, community_id, post_id
         from due
         on conflict (recipient_id, cause) do nothing",
        until
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A community's events that end after `from` and start before `until`, soonest first (at
/// most `limit`), as the viewer sees the posts: deleted and removed ones are left out.
pub async fn upcoming(
    db: impl PgExecutor<'_>,
    community_id: i64,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    viewer: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1
         join post_event e on e.post_id = p.id
         where p.community_id = $2 and not p.deleted and not p.removed
           and e.ends_at >= $3 and e.starts_at < $4
         order by e.starts_at, p.id
         limit $5"
    ))
    .bind(viewer)
    .bind(community_id)
    .bind(from)
    .bind(until)
    .bind(limit)
    .fetch_all(db)
    .await
}
