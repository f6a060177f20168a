//! Federation queues: received activity ids, the outbox (`outbox_activity`), its deliveries
//! (`delivery`, claimed by workers with `FOR UPDATE SKIP LOCKED`; settled ones move to the
//! `delivery_done` log, and `delivery_history` reads both), and tombstones.

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

/// Records many received activity ids at once; returns those not recorded before (the others
/// are duplicates, already applied or being applied).
pub async fn mark_received_many(
    db: impl PgExecutor<'_>,
    ap_ids: &[String],
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "insert into received_activity (ap_id) select unnest($1::text[])
         on conflict do nothing
         returning ap_id",
        ap_ids
    )
    .fetch_all(db)
    .await
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
/// inbox's host and port; deliveries with the same `ordering_key` reach an inbox in order.
pub async fn add_delivery(
    db: impl PgExecutor<'_>,
    activity_id: i64,
    inbox: &str,
    authority: &str,
    ordering_key: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into delivery (activity_id, inbox, authority, ordering_key) values ($1, $2, $3, $4)
         on conflict do nothing",
        activity_id,
        inbox,
        authority,
        ordering_key
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Which members of a community a fan-out reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Members on servers that speak Group federation, and on servers of unknown software.
    GroupAware,
    /// Members on microblog servers (Mastodon and the like).
    Microblog,
    /// `GroupAware` without the [`crate::instance::PAGE_ONLY`] servers: those that read `Event` and `Question`
    /// (Hearth, PieFed, Friendica, unknown software).
    EventAware,
    /// Members on [`crate::instance::PAGE_ONLY`] servers: they get events and polls rewritten as a `Page`.
    PageOnly,
}

/// Whether a community has a remote member (joined, with an inbox) outside `skip_authority`:
/// when it has none, relaying an activity to its members sends nothing, and the `Announce` need
/// not be built, stored and deleted again (0.2 ms of PostgreSQL per applied activity in the
/// harness's inbox scenario, where every member lives on the sending server).
pub async fn has_remote_members(
    db: impl PgExecutor<'_>,
    community_id: i64,
    skip_authority: Option<&str>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (
             select 1 from community_member m join person p on p.id = m.person_id
             where m.community_id = $1 and m.state = 'joined' and not p.local
               and p.host is not null and coalesce(p.shared_inbox_url, p.inbox_url) is not null
               and p.host is distinct from $2
           ) as "found!""#,
        community_id,
        skip_authority
    )
    .fetch_one(db)
    .await
}

/// Adds a delivery to each remote member of a community in `audience`, one per inbox (a shared
/// inbox when the member has one), except to inboxes on `skip_authority` (where the activity
/// came from). Returns how many rows were added.
pub async fn fan_out_to_members(
    db: impl PgExecutor<'_>,
    activity_id: i64,
    ordering_key: Option<&str>,
    community_id: i64,
    skip_authority: Option<&str>,
    audience: Audience,
) -> sqlx::Result<u64> {
    let microblog: Vec<String> = crate::instance::MICROBLOG
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let page_only_software: Vec<String> = crate::instance::PAGE_ONLY
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    // `None`: every Group-aware member; `Some(true)`: those on page-only software only;
    // `Some(false)`: the others.
    let page_only = match audience {
        Audience::GroupAware | Audience::Microblog => None,
        Audience::EventAware => Some(false),
        Audience::PageOnly => Some(true),
    };
    let done = sqlx::query!(
        "insert into delivery (activity_id, inbox, authority, ordering_key)
         select distinct $1::bigint, coalesce(p.shared_inbox_url, p.inbox_url), p.host, $6::text
         from community_member m join person p on p.id = m.person_id
         left join instance i on i.authority = p.host
         where m.community_id = $2 and m.state = 'joined' and not p.local
           and p.host is not null and coalesce(p.shared_inbox_url, p.inbox_url) is not null
           and p.host is distinct from $3
           and (coalesce(i.software = any($4), false) = $5)
           and ($7::boolean is null or coalesce(i.software = any($8), false) = $7)
         on conflict do nothing",
        activity_id,
        community_id,
        skip_authority,
        &microblog,
        audience == Audience::Microblog,
        ordering_key,
        page_only,
        &page_only_software
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
    /// The activity's row id (`outbox_activity`).
    pub activity_id: i64,
    /// The activity JSON; `None` when the claim was told the worker holds it already.
    pub payload: Option<Value>,
    /// The signing actor's id.
    pub actor_ap_id: String,
    /// The signing actor's private key (PEM), when the actor still has one.
    pub private_key: Option<String>,
}

/// Claims up to `limit` due deliveries for `lease_secs` seconds, host by host in the order of
/// their authorities, starting after `after_host` (the last host the previous claim reached,
/// so that successive claims go round every host): from each host its oldest due rows, at most
/// `per_host` minus what this worker already has in flight there (`busy_hosts` with
/// `busy_counts`), and nothing from hosts marked down. A row waits while an older row with its
/// ordering key is pending for the same inbox, so those arrive in order. Rows locked by another
/// worker's claim are skipped, and a claimed row is not due again until its lease lapses, so no
/// delivery is sent by two workers at once while the lease holds.
///
/// The hosts are found by skipping along `delivery_host_due_idx` (one index probe per host),
/// lazily: the walk stops as soon as `limit` rows are found, so a claim costs about the same
/// with ten hosts or ten thousand, and a thousand rows pending or a million. The picked rows
/// are then locked and updated by `id = any(array(…))` rather than joined: with statistics of
/// a small queue the planner hashed the whole table for the joins (two sequential scans per
/// claim), and estimating a join reads the ends of the `id` index. Per claim of 64, with
/// 1,000 rows pending: planning 3.9–4.5 → 1.5–1.8 ms, execution 4.6–6.0 → 3.6–4.9 ms; with
/// 100,000: planning 2.6–4.0 → 0.8–1.5 ms, execution 2.9–4.4 → 2.0–2.8 ms.
///
/// Rows of the activities in `held_activities` (which the worker has serialised already) come
/// without their payload: one activity goes to thousands of inboxes, and its JSON need not
/// cross the wire and be parsed again for each.
///
/// The claim commits without waiting for its WAL to reach the disk (`synchronous_commit` off
/// for this transaction only): the loop waits for each claim, and with rows that settle at once
/// the flush was what bounded the drain. Other sessions see the lease at commit as always; only
/// a crash of PostgreSQL itself can lose it, and then the outcome written after it (which does
/// wait for the flush, and comes later in the log) is lost too: the row is claimable again and
/// is sent again, which at-least-once delivery allows.
#[expect(
    clippy::too_many_arguments,
    reason = "one statement's parameters, each documented above"
)]
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    limit: i64,
    after_host: &str,
    per_host: i32,
    busy_hosts: &[String],
    busy_counts: &[i32],
    lease_secs: f64,
    held_activities: &[i64],
) -> sqlx::Result<Vec<ClaimedDelivery>> {
    sqlx::query_as!(
        ClaimedDelivery,
        r#"with recursive hosts(authority) as (
               (select authority from delivery where state = 'pending' and authority > $2
                order by authority limit 1)
               union all
               select (select d.authority from delivery d
                       where d.state = 'pending' and d.authority > h.authority
                       order by d.authority limit 1)
               from hosts h where h.authority is not null
           ), picked as (
               select p.id from hosts h
               cross join lateral (
                   select d.id from delivery d
                   where d.authority = h.authority and d.state = 'pending'
                     and d.next_attempt_at <= now()
                     and (d.leased_until is null or d.leased_until < now())
                     and (d.ordering_key is null or not exists (
                           select 1 from delivery e
                           where e.inbox = d.inbox and e.ordering_key = d.ordering_key
                             and e.state = 'pending' and e.id < d.id))
                   order by d.next_attempt_at, d.id
                   limit greatest($3::int - coalesce(
                       (select b.n from unnest($4::text[], $5::int[]) as b(authority, n)
                        where b.authority = h.authority), 0), 0)
               ) p
               where h.authority is not null
                 and not exists (select 1 from delivery_host x
                                 where x.authority = h.authority and x.state = 'down')
               limit $1
           ), due as (
               select id from delivery
               where id = any(array(select id from picked)) and state = 'pending'
                 and (leased_until is null or leased_until < now())
               for update skip locked
           ), claimed as (
               update delivery d
               set leased_until = now() + make_interval(secs => $6), attempts = d.attempts + 1,
                   last_attempt_at = now()
               where d.id = any(array(select id from due))
               returning d.id, d.inbox, d.authority, d.attempts, d.created_at, d.activity_id
           ), no_flush as (
               select set_config('synchronous_commit', 'off', true)
           )
           select c.id as "id!", c.inbox as "inbox!", c.authority as "authority!",
                  c.attempts as "attempts!", c.created_at as "created_at!",
                  c.activity_id as "activity_id!",
                  case when a.id = any($7::bigint[]) then null else a.payload end as payload,
                  a.actor_ap_id,
                  coalesce(p.private_key, g.private_key) as private_key
           from claimed c
           cross join no_flush
           join outbox_activity a on a.id = c.activity_id
           left join person p on p.ap_id = a.actor_ap_id and p.local
           left join community g on g.ap_id = a.actor_ap_id and g.local
           order by c.authority, c.id"#,
        limit,
        after_host,
        per_host,
        busy_hosts,
        busy_counts,
        lease_secs,
        held_activities
    )
    .fetch_all(db)
    .await
}

/// Down hosts whose probe is due, each taken by one worker only: their next probe is moved
/// out (the interval doubles, up to `max_interval_ms`) in the same statement.
pub async fn take_due_probes(
    db: impl PgExecutor<'_>,
    max_interval_ms: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "update delivery_host
         set probe_interval_ms = least(probe_interval_ms * 2, $1),
             next_probe_at = now() + make_interval(secs => least(probe_interval_ms * 2, $1) / 1000.0)
         where state = 'down' and next_probe_at <= now()
         returning authority",
        max_interval_ms
    )
    .fetch_all(db)
    .await
}

/// Claims one pending row of a down host, whatever its retry time, to probe the host with.
pub async fn claim_probe(
    db: impl PgExecutor<'_>,
    authority: &str,
    lease_secs: f64,
) -> sqlx::Result<Option<ClaimedDelivery>> {
    sqlx::query_as!(
        ClaimedDelivery,
        r#"with due as (
               select id from delivery
               where authority = $1 and state = 'pending'
                 and (leased_until is null or leased_until < now())
               order by next_attempt_at, id
               limit 1
               for update skip locked
           ), claimed as (
               update delivery d
               set leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1,
                   last_attempt_at = now()
               where d.id = any(array(select id from due))
               returning d.id, d.inbox, d.authority, d.attempts, d.created_at, d.activity_id
           )
           select c.id as "id!", c.inbox as "inbox!", c.authority as "authority!",
                  c.attempts as "attempts!", c.created_at as "created_at!",
                  c.activity_id as "activity_id!", a.payload as "payload?", a.actor_ap_id,
                  coalesce(p.private_key, g.private_key) as private_key
           from claimed c
           join outbox_activity a on a.id = c.activity_id
           left join person p on p.ap_id = a.actor_ap_id and p.local
           left join community g on g.ap_id = a.actor_ap_id and g.local"#,
        authority,
        lease_secs
    )
    .fetch_optional(db)
    .await
}

/// How a host changed after a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostChange {
    /// No change of state.
    Same,
    /// The host has just been marked down.
    Down,
}

/// A delivery that reached its end with an answer from the host: `delivered`, or `failed` (the
/// receiver refused it for good).
#[derive(Debug, Clone)]
pub struct Settled {
    /// Row id.
    pub id: i64,
    /// The attempt this outcome belongs to.
    pub attempt: i32,
    /// `delivered` or `failed`.
    pub state: &'static str,
    /// The HTTP status, when there was one.
    pub status: Option<i32>,
    /// Why it failed.
    pub error: Option<String>,
}

/// Records a batch of settled deliveries and that their hosts answered, in one statement (one
/// commit, whatever the batch size). Settled rows leave `delivery` for the `delivery_done` log
/// (a delete and an insert without btree entries, where changing `state` in place was a
/// non-HOT update with three index entries). Outcomes name the attempt they belong to: a
/// worker whose lease lapsed (and whose row another worker claimed again) cannot overwrite the
/// newer outcome. Hosts that were down are marked up and their backlog made due at once; they
/// are returned.
pub async fn settle(
    db: impl PgExecutor<'_>,
    settled: &[Settled],
    answered: &[String],
) -> sqlx::Result<Vec<String>> {
    let ids: Vec<i64> = settled.iter().map(|s| s.id).collect();
    let attempts: Vec<i32> = settled.iter().map(|s| s.attempt).collect();
    let states: Vec<String> = settled.iter().map(|s| s.state.to_owned()).collect();
    let statuses: Vec<Option<i32>> = settled.iter().map(|s| s.status).collect();
    let errors: Vec<Option<String>> = settled.iter().map(|s| s.error.clone()).collect();
    sqlx::query_scalar!(
        r#"with done as (
               delete from delivery d
               using unnest($1::bigint[], $2::int[], $3::text[], $4::int[], $5::text[])
                    as u(id, attempt, state, status, error)
               where d.id = u.id and d.attempts = u.attempt and d.state = 'pending'
               returning d.id, d.activity_id, d.inbox, d.authority, d.ordering_key, u.state,
                         d.attempts, u.status, u.error, d.last_attempt_at, d.created_at
           ), logged as (
               insert into delivery_done (id, activity_id, inbox, authority, ordering_key, state,
                                          attempts, last_status, last_error, last_attempt_at,
                                          created_at)
               select * from done
           ), before as (
               select authority, state from delivery_host
               where authority = any($6) and (state = 'down' or failing_since is not null)
               for update
           ), hosts as (
               update delivery_host h
               set state = 'up', down_since = null, next_probe_at = null,
                   probe_interval_ms = null, failing_since = null, last_success_at = now()
               from before b where h.authority = b.authority
               returning h.authority, b.state as was
           ), woken as (
               update delivery set next_attempt_at = now()
               where authority in (select authority from hosts where was = 'down')
                 and state = 'pending' and next_attempt_at > now() and id <> all($1)
           )
           select authority as "authority!" from hosts where was = 'down'"#,
        &ids,
        &attempts,
        &states,
        &statuses as &[Option<i32>],
        &errors as &[Option<String>],
        answered
    )
    .fetch_all(db)
    .await
}

/// Records a failed attempt to reach `authority`; marks the host down once its failures have
/// lasted `down_after_secs`, with its first probe `probe_base_ms` later.
pub async fn host_failed(
    conn: &mut PgConnection,
    authority: &str,
    error: &str,
    down_after_secs: f64,
    probe_base_ms: i64,
) -> sqlx::Result<HostChange> {
    let went_down = sqlx::query_scalar!(
        r#"insert into delivery_host (authority, failing_since, last_error, last_failure_at)
         values ($1, now(), $2, now())
         on conflict (authority) do update set
            failing_since = coalesce(delivery_host.failing_since, now()),
            last_error = excluded.last_error, last_failure_at = now(),
            state = case when delivery_host.state = 'up'
                           and delivery_host.failing_since <= now() - make_interval(secs => $3)
                         then 'down' else delivery_host.state end,
            down_since = case when delivery_host.state = 'up'
                                and delivery_host.failing_since <= now() - make_interval(secs => $3)
                              then now() else delivery_host.down_since end,
            next_probe_at = case when delivery_host.state = 'up'
                                   and delivery_host.failing_since <= now() - make_interval(secs => $3)
                                 then now() + make_interval(secs => $4::bigint / 1000.0)
                                 else delivery_host.next_probe_at end,
            probe_interval_ms = case when delivery_host.state = 'up'
                                       and delivery_host.failing_since <= now() - make_interval(secs => $3)
                                     then $4::bigint else delivery_host.probe_interval_ms end
         returning (state = 'down' and down_since = now()) as "went_down!""#,
        authority,
        error,
        down_after_secs,
        probe_base_ms
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(if went_down {
        HostChange::Down
    } else {
        HostChange::Same
    })
}

/// Schedules another attempt at `at`.
pub async fn mark_retry(
    db: impl PgExecutor<'_>,
    id: i64,
    attempt: i32,
    at: DateTime<Utc>,
    status: Option<i32>,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update delivery set leased_until = null, next_attempt_at = $2, last_status = $3,
                last_error = $4
         where id = $1 and attempts = $5 and state = 'pending'",
        id,
        at,
        status,
        error,
        attempt
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
    attempt: i32,
    state: &str,
    status: Option<i32>,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update delivery set state = $2, leased_until = null, last_status = $3, last_error = $4,
                finished_at = now()
         where id = $1 and attempts = $5 and state = 'pending'",
        id,
        state,
        status,
        error,
        attempt
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Delivery counts by state, queued and finished (`delivery_history`), until pruned.
pub async fn counts(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, i64)>> {
    Ok(sqlx::query!(
        r#"select state as "state!", count(*) as "count!" from delivery_history
           group by state order by state"#
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

/// Marks pending deliveries older than `dead_after_secs` dead (a down host's rows are not
/// attempted, so the horizon is applied here too); returns how many.
pub async fn expire_dead(db: impl PgExecutor<'_>, dead_after_secs: f64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update delivery set state = 'dead', finished_at = now(), leased_until = null,
                last_error = coalesce(last_error, 'never delivered')
         where state = 'pending' and created_at < now() - make_interval(secs => $1)
           and (leased_until is null or leased_until < now())",
        dead_after_secs
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes, at most `batch` rows at a time, what is older than `retention_secs`: received
/// activity ids, finished deliveries (delivered, failed, dead, dropped; in `delivery` and in
/// the `delivery_done` log), and sent activities with no queued delivery left. Returns how many
/// rows of each went, in that order. A logged delivery may outlive its activity by as long as
/// it waited to be sent; nothing reads the activity through the log.
pub async fn prune(
    db: &sqlx::PgPool,
    retention_secs: f64,
    batch: i64,
) -> sqlx::Result<(u64, u64, u64)> {
    let mut totals = (0, 0, 0);
    loop {
        let received = sqlx::query!(
            "delete from received_activity where ap_id in (
                 select ap_id from received_activity
                 where received_at < now() - make_interval(secs => $1) limit $2)",
            retention_secs,
            batch
        )
        .execute(db)
        .await?
        .rows_affected();
        let deliveries = sqlx::query!(
            "delete from delivery where id in (
                 select id from delivery
                 where state <> 'pending' and finished_at < now() - make_interval(secs => $1)
                 limit $2)",
            retention_secs,
            batch
        )
        .execute(db)
        .await?
        .rows_affected();
        // The log has no key: rows go by their physical address, found along the range index.
        let logged = sqlx::query!(
            "delete from delivery_done where ctid = any(array(
                 select ctid from delivery_done
                 where finished_at < now() - make_interval(secs => $1)
                 limit $2))",
            retention_secs,
            batch
        )
        .execute(db)
        .await?
        .rows_affected();
        let activities = sqlx::query!(
            "delete from outbox_activity where id in (
                 select a.id from outbox_activity a
                 where a.created_at < now() - make_interval(secs => $1)
                   and not exists (select 1 from delivery d where d.activity_id = a.id)
                 limit $2)",
            retention_secs,
            batch
        )
        .execute(db)
        .await?
        .rows_affected();
        totals.0 += received;
        totals.1 += deliveries + logged;
        totals.2 += activities;
        let limit = u64::try_from(batch).unwrap_or(u64::MAX);
        if received < limit && deliveries < limit && logged < limit && activities < limit {
            return Ok(totals);
        }
        // Other work gets the database between batches.
        tokio::task::yield_now().await;
    }
}

/// The queue as seen from one destination authority.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HostQueue {
    /// The destination authority (host, plus port when present).
    pub authority: String,
    /// Deliveries waiting.
    pub pending: i64,
    /// Age of the oldest waiting delivery, in seconds.
    pub oldest_pending_secs: Option<f64>,
    /// Deliveries being sent now (leased).
    pub in_flight: i64,
    /// Deliveries made in the last hour.
    pub delivered_last_hour: i64,
    /// Deliveries whose latest attempt in the last hour failed.
    pub failures_last_hour: i64,
    /// Deliveries given up as dead (kept until pruned).
    pub dead: i64,
    /// The latest error.
    pub last_error: Option<String>,
    /// `up` or `down`.
    pub state: String,
    /// Since when the host is down.
    pub down_since: Option<DateTime<Utc>>,
    /// When it is probed next (down hosts).
    pub next_probe_at: Option<DateTime<Utc>>,
}

/// Per-authority queue figures, the busiest first.
pub async fn queue(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<HostQueue>> {
    sqlx::query_as!(
        HostQueue,
        r#"with per_host as (
               select authority,
                      count(*) filter (where state = 'pending') as pending,
                      extract(epoch from now() - min(created_at) filter (where state = 'pending'))::float8 as oldest,
                      count(*) filter (where state = 'pending' and leased_until > now()) as in_flight,
                      count(*) filter (where state = 'delivered' and finished_at > now() - interval '1 hour') as delivered,
                      count(*) filter (where last_error is not null and state <> 'delivered'
                                       and last_attempt_at > now() - interval '1 hour') as failures,
                      count(*) filter (where state = 'dead') as dead,
                      (array_agg(last_error order by last_attempt_at desc nulls last)
                           filter (where last_error is not null))[1] as row_error
               from delivery_history group by authority
           )
           select coalesce(p.authority, h.authority) as "authority!",
                  coalesce(p.pending, 0) as "pending!", p.oldest as oldest_pending_secs,
                  coalesce(p.in_flight, 0) as "in_flight!",
                  coalesce(p.delivered, 0) as "delivered_last_hour!",
                  coalesce(p.failures, 0) as "failures_last_hour!",
                  coalesce(p.dead, 0) as "dead!",
                  coalesce(p.row_error, h.last_error) as last_error,
                  coalesce(h.state, 'up') as "state!", h.down_since, h.next_probe_at
           from per_host p full join delivery_host h on h.authority = p.authority
           order by coalesce(p.pending, 0) desc, 1"#
    )
    .fetch_all(db)
    .await
}

/// Queue gauges: deliveries pending, deliveries dead, hosts down.
pub async fn gauges(db: impl PgExecutor<'_>) -> sqlx::Result<(i64, i64, i64)> {
    let row = sqlx::query!(
        r#"select
             (select count(*) from delivery where state = 'pending') as "pending!",
             (select count(*) from delivery where state = 'dead') as "dead!",
             (select count(*) from delivery_host where state = 'down') as "down!""#
    )
    .fetch_one(db)
    .await?;
    Ok((row.pending, row.dead, row.down))
}

/// Forgets a tombstone (its author took the deletion back).
pub async fn remove_tombstone(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<()> {
    sqlx::query!("delete from tombstone where ap_id = $1", ap_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes an outgoing activity that has no delivery (nobody to send it to).
pub async fn delete_activity(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from outbox_activity a where a.id = $1
         and not exists (select 1 from delivery d where d.activity_id = a.id)",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}
