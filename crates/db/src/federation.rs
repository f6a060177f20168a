//! Federation queues: received activity ids, the outbox (`outbox_activity`), its deliveries
//! (`delivery`, claimed by workers with `FOR UPDATE SKIP LOCKED`), and tombstones.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};

/// True when an activity with this id was already received and applied.
pub async fn was_received(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select 1 as one from received_activity where ap_id = $1",
        ap_id
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// Records an activity id as received; false when it already was (a concurrent duplicate).
pub async fn mark_received(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into received_activity (ap_id) values ($1) on conflict do nothing",
        ap_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets a received id, so that a retry of an activity that failed to apply is applied.
pub async fn forget_received(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from received_activity where ap_id = $1", ap_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Stores an outgoing activity; returns its row id, or the existing row's when an activity
/// with this id is already stored (recording is idempotent).
pub async fn insert_activity(
    conn: &mut PgConnection,
    ap_id: &str,
    actor_ap_id: &str,
    kind: &str,
    payload: &Value,
) -> sqlx::Result<i64> {
    let inserted = sqlx::query_scalar!(
        "insert into outbox_activity (ap_id, actor_ap_id, kind, payload) values ($1, $2, $3, $4)
         on conflict (ap_id) do nothing returning id",
        ap_id,
        actor_ap_id,
        kind,
        payload
    )
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(id) => Ok(id),
        None => {
            sqlx::query_scalar!("select id from outbox_activity where ap_id = $1", ap_id)
                .fetch_one(&mut *conn)
                .await
        }
    }
}

/// The payload and actor of a stored outgoing activity, by its ActivityPub id.
pub async fn activity_by_ap_id(
    db: impl PgExecutor<'_>,
    ap_id: &str,
) -> sqlx::Result<Option<(String, Value)>> {
    Ok(sqlx::query!(
        "select actor_ap_id, payload from outbox_activity where ap_id = $1",
        ap_id
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.actor_ap_id, r.payload)))
}

/// Adds one delivery of an activity to an inbox (nothing when it exists). `authority` is the
/// inbox's host and port.
pub async fn add_delivery(
    db: impl PgExecutor<'_>,
    activity_id: i64,
    inbox: &str,
    authority: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into delivery (activity_id, inbox, authority) values ($1, $2, $3)
         on conflict do nothing",
        activity_id,
        inbox,
        authority
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds a delivery to each remote member of a community, one per inbox (a shared inbox when
/// the member has one), except to inboxes on `skip_authority` (where the activity came from).
/// Returns how many rows were added.
pub async fn fan_out_to_members(
    db: impl PgExecutor<'_>,
    activity_id: i64,
    community_id: i64,
    skip_authority: Option<&str>,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "insert into delivery (activity_id, inbox, authority)
         select distinct $1::bigint, coalesce(p.shared_inbox_url, p.inbox_url), p.host
         from community_member m join person p on p.id = m.person_id
         where m.community_id = $2 and m.state = 'joined' and not p.local
           and p.host is not null and coalesce(p.shared_inbox_url, p.inbox_url) is not null
           and p.host is distinct from $3
         on conflict do nothing",
        activity_id,
        community_id,
        skip_authority
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// A delivery claimed by a worker, with what sending it needs.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// Row id.
    pub id: i64,
    /// Where to.
    pub inbox: String,
    /// The inbox's authority.
    pub authority: String,
    /// Attempts so far, this one included.
    pub attempts: i32,
    /// When the row was queued (the dead horizon counts from here).
    pub created_at: DateTime<Utc>,
    /// The activity JSON.
    pub payload: Value,
    /// The signing actor's id.
    pub actor_ap_id: String,
    /// The signing actor's private key (PEM), when the actor still has one.
    pub private_key: Option<String>,
}

/// Claims up to `limit` due deliveries for `lease_secs` seconds. Rows locked by another
/// worker's claim are skipped, and a claimed row is not due again until its lease expires, so
/// no delivery is sent by two workers at once while the lease holds.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_secs: f64,
) -> sqlx::Result<Vec<ClaimedDelivery>> {
    sqlx::query_as!(
        ClaimedDelivery,
        r#"with due as (
               select id from delivery
               where state = 'pending' and next_attempt_at <= now()
                 and (leased_until is null or leased_until < now())
               order by next_attempt_at
               limit $1
               for update skip locked
           ), claimed as (
               update delivery d
               set leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
               from due where d.id = due.id
               returning d.id, d.inbox, d.authority, d.attempts, d.created_at, d.activity_id
           )
           select c.id as "id!", c.inbox as "inbox!", c.authority as "authority!",
                  c.attempts as "attempts!", c.created_at as "created_at!",
                  a.payload, a.actor_ap_id,
                  coalesce(p.private_key, g.private_key) as private_key
           from claimed c
           join outbox_activity a on a.id = c.activity_id
           left join person p on p.ap_id = a.actor_ap_id and p.local
           left join community g on g.ap_id = a.actor_ap_id and g.local"#,
        limit,
        lease_secs
    )
    .fetch_all(db)
    .await
}

/// Records a successful delivery.
pub async fn mark_delivered(db: impl PgExecutor<'_>, id: i64, status: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "update delivery set state = 'delivered', leased_until = null, last_status = $2,
                last_error = null, finished_at = now()
         where id = $1",
        id,
        status
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Schedules another attempt at `at`.
pub async fn mark_retry(
    db: impl PgExecutor<'_>,
    id: i64,
    at: DateTime<Utc>,
    status: Option<i32>,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update delivery set leased_until = null, next_attempt_at = $2, last_status = $3,
                last_error = $4
         where id = $1",
        id,
        at,
        status,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends a delivery without success: `failed` (the receiver refused it for good) or `dead`
/// (it kept failing past the dead horizon).
pub async fn mark_final(
    db: impl PgExecutor<'_>,
    id: i64,
    state: &str,
    status: Option<i32>,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update delivery set state = $2, leased_until = null, last_status = $3, last_error = $4,
                finished_at = now()
         where id = $1",
        id,
        state,
        status,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Delivery counts by state (for tests, metrics and the admin view).
pub async fn counts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, i64)>> {
    Ok(sqlx::query!(
        r#"select state, count(*) as "count!" from delivery group by state order by state"#
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.state, r.count))
    .collect())
}

/// Records that the object with this id was deleted (whether or not we hold it).
pub async fn add_tombstone(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into tombstone (ap_id) values ($1) on conflict do nothing",
        ap_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// True when the object with this id was deleted.
pub async fn is_tombstoned(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("select 1 as one from tombstone where ap_id = $1", ap_id)
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}

/// One of our activities by id: one we sent, or one our community announced (an activity
/// wrapped in an `Announce`), for serving at its id.
pub async fn stored_activity(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<Option<Value>> {
    sqlx::query_scalar!(
        r#"select payload as "payload!" from outbox_activity where ap_id = $1
           union all
           select payload->'object' as "payload!" from outbox_activity
           where kind = 'Announce' and payload->'object'->>'id' = $1
           limit 1"#,
        ap_id
    )
    .fetch_optional(db)
    .await
}
