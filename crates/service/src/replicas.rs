//! Read replicas (`database.replica_urls`): which pool a read goes to, the once-a-second check of
//! how far each replica is behind the primary, and the record of who wrote (read-your-writes).
//!
//! A read goes to a healthy replica (round-robin) unless the reader wrote within
//! `database.read_your_writes_secs`; a replica is healthy while it answers, is a standby, and has
//! replayed everything the primary had written more than `database.replica_max_lag_ms` ago. A
//! read that fails on a replica because the replica is away is run again on the primary, so a
//! replica that stops between two checks costs time, never an error.

use crate::ServiceContext;
use crate::viewer::Viewer;
use hearth_core::settings::DatabaseSettings;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often each replica is checked.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How long a replica's connection may take before a read gives it up for the primary. Short:
/// the primary is there to take the read.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a check waits for an answer before it counts the replica as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Primary positions older than this are forgotten: a replica behind all that are left is
/// that far behind at least, far past any sensible `replica_max_lag_ms`.
const SAMPLE_HORIZON: Duration = Duration::from_secs(15 * 60);

/// One replica and what the last check found.
struct Replica {
    /// Its place in `database.replica_urls` (logs never show the URL: it may hold a password).
    index: usize,
    pool: PgPool,
    healthy: AtomicBool,
    /// Milliseconds behind the primary at the last check (`u64::MAX` when it did not answer).
    lag_ms: AtomicU64,
}

/// The replicas of one process and the rules for choosing among them.
pub struct Replicas {
    replicas: Vec<Replica>,
    next: AtomicUsize,
    read_your_writes: chrono::Duration,
    max_lag: Duration,
}

impl Default for Replicas {
    fn default() -> Self {
        Self {
            replicas: Vec::new(),
            next: AtomicUsize::new(0),
            read_your_writes: chrono::Duration::zero(),
            max_lag: Duration::ZERO,
        }
    }
}

/// What a check found about one replica, for logs, metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// Its place in `database.replica_urls`.
    pub index: usize,
    /// Whether reads go to it.
    pub healthy: bool,
    /// Milliseconds behind the primary; `None` when it did not answer or is not a standby.
    pub lag_ms: Option<u64>,
}

impl Replicas {
    /// Pools for `database.replica_urls`, opened lazily: a replica that is down at start is
    /// simply not used until a check finds it up. Every replica counts as unhealthy until its
    /// first check.
    pub fn from_settings(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let mut replicas = Vec::new();
        for (index, url) in settings.replica_urls.iter().enumerate() {
            let options = PgConnectOptions::from_str(url.expose_secret()).map_err(|e| {
                anyhow::anyhow!(
                    "configuration error: `database.replica_urls[{index}]` is not a valid PostgreSQL URL: {e}"
                )
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.replica_max_connections)
                .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
                .test_before_acquire(true)
                .connect_lazy_with(options);
            replicas.push(Replica {
                index,
                pool,
                healthy: AtomicBool::new(false),
                lag_ms: AtomicU64::new(u64::MAX),
            });
        }
        Ok(Self {
            replicas,
            next: AtomicUsize::new(0),
            read_your_writes: chrono::Duration::seconds(
                i64::try_from(settings.read_your_writes_secs).unwrap_or(i64::MAX / 1000),
            ),
            max_lag: Duration::from_millis(settings.replica_max_lag_ms),
        })
    }

    /// Whether any replica is configured (then changing requests are recorded).
    pub fn configured(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// What the last checks found.
    pub fn status(&self) -> Vec<ReplicaStatus> {
        self.replicas
            .iter()
            .map(|r| {
                let lag = r.lag_ms.load(Ordering::Relaxed);
                ReplicaStatus {
                    index: r.index,
                    healthy: r.healthy.load(Ordering::Relaxed),
                    lag_ms: (lag != u64::MAX).then_some(lag),
                }
            })
            .collect()
    }

    /// The next healthy replica, round-robin.
    fn pick(&self) -> Option<&Replica> {
        let count = self.replicas.len();
        if count == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(|i| &self.replicas[(start + i) % count])
            .find(|r| r.healthy.load(Ordering::Relaxed))
    }

    /// Whether `viewer` wrote recently enough that a replica may not have it yet.
    fn wrote_recently(&self, viewer: Option<&Viewer>) -> bool {
        viewer
            .and_then(|v| v.last_write_at)
            .is_some_and(|at| chrono::Utc::now() - at < self.read_your_writes)
    }

    /// Closes the replicas' pools.
    pub async fn close(&self) {
        for replica in &self.replicas {
            replica.pool.close().await;
        }
    }
}

impl ServiceContext {
    /// The pool a read for `viewer` should use: a healthy replica, or the primary when there are
    /// none, when every replica is down or lagging, when the viewer wrote within
    /// `database.read_your_writes_secs`, or outside a request that only reads. Prefer [`ServiceContext::read`], which also falls back
    /// to the primary when the replica fails under the read.
    pub fn reader(&self, viewer: Option<&Viewer>) -> &PgPool {
        if !in_reading_request() || self.replicas.wrote_recently(viewer) {
            return &self.pool;
        }
        self.replicas.pick().map_or(&self.pool, |r| &r.pool)
    }

    /// Whether `viewer`'s reads must see the primary as it is now, not what a replica or a
    /// cache read a moment ago: replicas are configured and the viewer wrote within
    /// `database.read_your_writes_secs` (the anonymous feed rows may come from a replica
    /// behind that write, or from another process before its notification arrived).
    pub fn reads_own_writes(&self, viewer: Option<&Viewer>) -> bool {
        !self.replicas.replicas.is_empty() && self.replicas.wrote_recently(viewer)
    }

    /// Runs the read `query` on the pool [`ServiceContext::reader`] chooses; when a replica
    /// fails under it (gone, restarting, or the query cancelled by a conflict with recovery),
    /// marks that replica down until its next check and runs `query` on the primary.
    /// (`query` takes the pool by value, a cheap clone, so that its future borrows nothing of
    /// ours and stays `Send`.)
    pub async fn read<T, F, Fut>(&self, viewer: Option<&Viewer>, query: F) -> sqlx::Result<T>
    where
        F: Fn(PgPool) -> Fut,
        Fut: Future<Output = sqlx::Result<T>>,
    {
        if !in_reading_request() || self.replicas.wrote_recently(viewer) {
            return query(self.pool.clone()).await;
        }
        let Some(replica) = self.replicas.pick() else {
            return query(self.pool.clone()).await;
        };
        match query(replica.pool.clone()).await {
            Err(e) if replica_failure(&e) => {
                if replica.healthy.swap(false, Ordering::Relaxed) {
                    tracing::warn!(replica = replica.index, error = %e, "a read replica failed; reading from the primary");
                }
                query(self.pool.clone()).await
            }
            result => result,
        }
    }
}

/// Errors that say the replica, not the query, is the trouble.
fn replica_failure(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        // 08: connection exceptions; 57P: shutting down or starting; 53300: too many
        // connections; 40001: a standby cancelled the query for a conflict with recovery.
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08")
                || code.starts_with("57P")
                || matches!(code.as_ref(), "53300" | "40001")
        }),
        _ => false,
    }
}

/// The primary's WAL positions seen by the checks, oldest first, with when each was seen.
#[derive(Default)]
struct PrimaryPositions(VecDeque<(i64, Instant)>);

impl PrimaryPositions {
    fn record(&mut self, position: i64, now: Instant) {
        if self.0.back().is_none_or(|(last, _)| position > *last) {
            self.0.push_back((position, now));
        }
        while self
            .0
            .front()
            .is_some_and(|(_, seen)| now.duration_since(*seen) > SAMPLE_HORIZON)
            && self.0.len() > 1
        {
            self.0.pop_front();
        }
    }

    /// How long ago the primary first had WAL that a replica at `replayed` has not replayed:
    /// zero when it has replayed everything the primary had at the last check. Comparing
    /// positions (rather than `now() - pg_last_xact_replay_timestamp()`) keeps an idle primary
    /// from making a current replica look old.
    fn lag(&self, replayed: i64, now: Instant) -> Duration {
        self.0
            .iter()
            .find(|(position, _)| *position > replayed)
            .map_or(Duration::ZERO, |(_, seen)| now.duration_since(*seen))
    }
}

/// Checks every replica each [`CHECK_INTERVAL`] until `stop` completes: one process's view of
/// which replicas reads may use. Ends at once when no replica is configured.
pub async fn run_checks(ctx: ServiceContext, stop: impl Future<Output = ()>) {
    if !ctx.replicas.configured() {
        return;
    }
    let mut positions = PrimaryPositions::default();
    let mut tick = tokio::time::interval(CHECK_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => check(&ctx, &mut positions).await,
        }
    }
}

async fn check(ctx: &ServiceContext, positions: &mut PrimaryPositions) {
    // The primary first: a replica's answer a moment later can only be more current.
    match tokio::time::timeout(
        CHECK_TIMEOUT,
        hearth_db::replica::primary_position(&ctx.pool),
    )
    .await
    {
        Ok(Ok(position)) => positions.record(position, Instant::now()),
        Ok(Err(e)) => {
            // Without the primary's position no lag can be measured; the last findings stand.
            tracing::warn!(error = %e, "cannot read the primary's WAL position");
            return;
        }
        Err(_) => {
            tracing::warn!("the primary did not tell its WAL position in time");
            return;
        }
    }
    let max_lag = ctx.replicas.max_lag;
    for replica in &ctx.replicas.replicas {
        let answer = tokio::time::timeout(
            CHECK_TIMEOUT,
            hearth_db::replica::replayed_position(&replica.pool),
        )
        .await;
        let (healthy, lag) = match answer {
            Ok(Ok(Some(replayed))) => {
                let lag = positions.lag(replayed, Instant::now());
                (lag <= max_lag, Some(lag))
            }
            Ok(Ok(None)) => {
                tracing::warn!(
                    replica = replica.index,
                    "database.replica_urls names a server that is not a standby; not reading from it"
                );
                (false, None)
            }
            Ok(Err(e)) => {
                tracing::debug!(replica = replica.index, error = %e, "a read replica is down");
                (false, None)
            }
            Err(_) => (false, None),
        };
        let lag_ms = lag.map_or(u64::MAX, |l| {
            u64::try_from(l.as_millis()).unwrap_or(u64::MAX)
        });
        replica.lag_ms.store(lag_ms, Ordering::Relaxed);
        let was = replica.healthy.swap(healthy, Ordering::Relaxed);
        if was != healthy {
            if healthy {
                tracing::info!(replica = replica.index, "reading from a read replica again");
            } else {
                tracing::warn!(
                    replica = replica.index,
                    lag_ms = lag.map(|l| l.as_millis() as u64),
                    "a read replica is down or lagging; its reads go elsewhere"
                );
            }
        }
    }
}

/// What the request being served is, while [`in_request`] runs it.
struct RequestScope {
    /// It may change something (not GET, HEAD or OPTIONS): every read goes to the primary.
    changes: bool,
    /// The person it signed in as, filled by the token lookup.
    signed_in: Cell<Option<i64>>,
}

tokio::task_local! {
    static REQUEST: RequestScope;
}

/// Whether the current task serves a request that only reads: the one case a replica may
/// answer. Background work (inbox workers, delivery, maintenance, the command line) and every
/// changing request read from the primary, so nothing reads a replica right after writing.
fn in_reading_request() -> bool {
    REQUEST.try_with(|r| !r.changes).unwrap_or(false)
}

/// Called by the token lookup: remembers who the current request acts for (outside
/// [`in_request`], nothing).
pub(crate) fn note_signed_in(person_id: i64) {
    let _ = REQUEST.try_with(|r| r.signed_in.set(Some(person_id)));
}

/// Serves one HTTP request (`changes`: its method is not GET, HEAD or OPTIONS). Only reads of a
/// request that changes nothing may go to a replica. After a changing request of a signed-in
/// person, and before its response goes out, records that they wrote, so that their next reads,
/// on any process, go to the primary. Kept at the request (a task-local the token lookup fills)
/// rather than in every use case that writes, so no writer can forget it and no face needs to
/// know.
pub async fn in_request<F: Future>(ctx: &ServiceContext, changes: bool, request: F) -> F::Output {
    let scope = RequestScope {
        changes,
        signed_in: Cell::new(None),
    };
    let (output, signed_in) = REQUEST
        .scope(scope, async {
            let output = request.await;
            (output, REQUEST.with(|r| r.signed_in.get()))
        })
        .await;
    if changes
        && let Some(person_id) = signed_in
        && let Err(e) = hearth_db::replica::record_write(&ctx.pool, person_id).await
    {
        // The write itself succeeded; at worst the person's next read sees a replica.
        tracing::warn!(error = %e, "cannot record a write for read-your-writes");
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_primary_does_not_make_a_current_replica_lag() {
        let start = Instant::now();
        let mut positions = PrimaryPositions::default();
        positions.record(100, start);
        positions.record(100, start + Duration::from_secs(600));
        assert_eq!(
            positions.lag(100, start + Duration::from_secs(601)),
            Duration::ZERO
        );
    }

    #[test]
    fn a_replica_behind_is_as_old_as_the_first_position_it_lacks() {
        let start = Instant::now();
        let mut positions = PrimaryPositions::default();
        positions.record(100, start);
        positions.record(200, start + Duration::from_secs(1));
        positions.record(300, start + Duration::from_secs(2));
        let now = start + Duration::from_secs(5);
        assert_eq!(positions.lag(150, now), Duration::from_secs(4));
        assert_eq!(positions.lag(300, now), Duration::ZERO);
    }
}
