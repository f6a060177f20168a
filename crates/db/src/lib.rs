//! PostgreSQL access for Hearth: the connection pool, the migrations, every SQL query (one module
//! per table family) and the private PostgreSQL cluster Hearth runs when no database URL is set.

pub mod admin_views;
pub mod application;
pub mod block;
pub mod comment;
pub mod community;
pub mod community_facts;
pub mod community_removal;
pub mod content_facts;
pub mod embedded;
pub mod event;
pub mod export;
pub mod federation;
pub mod header;
pub mod inbox_queue;
pub mod instance;
pub mod listener;
pub mod mail;
pub mod media;
pub mod membership;
pub mod mention;
pub mod migrations;
pub mod moderation;
pub mod moderator;
pub mod notification;
pub mod overview;
pub mod password_reset;
pub mod person;
pub mod policy;
pub mod poll;
pub mod post;
pub mod preferences;
pub mod rate_limit;
pub mod replica;
pub mod report;
pub mod saved;
pub mod secret;
pub mod setup;
pub mod site;
pub mod token;
pub mod two_factor;
pub mod vote_list;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

/// The migrations in `migrations/`, compiled in.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Opens a pool of at most `max_connections`, failing fast when the server does not answer.
pub async fn connect(options: PgConnectOptions, max_connections: u32) -> sqlx::Result<PgPool> {
    connect_with_timeout(options, max_connections, Duration::from_secs(10)).await
}

/// Opens a pool of at most `max_connections` whose requests wait at most `acquire_timeout` for
/// a connection (`database.acquire_timeout_secs` for the server). While the database is down a
/// request fails after that long (`PoolTimedOut`, answered 503) rather than queueing; the pool
/// checks connections before handing them out ([`checked_options`]) and opens new ones as
/// needed, so it works again as soon as the database is back, without a restart.
pub async fn connect_with_timeout(
    options: PgConnectOptions,
    max_connections: u32,
    acquire_timeout: Duration,
) -> sqlx::Result<PgPool> {
    checked_options()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .connect_with(options)
        .await
}

/// A connection idle for longer than this is checked (a round trip) before it is handed out.
const CHECK_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Pool options that check a connection before handing it out only when it has been idle for a
/// while. sqlx already checks every connection when it comes back to the pool (its release
/// ping), so one that was in use a moment ago is known to be alive; checking it again on every
/// acquire was one more round trip per statement — a third of the round trips of an applied
/// activity, which makes some twenty statements on the pool. A connection the server dropped
/// since its release (a restart, an idle timeout) is found by this check when it has idled, or
/// else fails its next statement with a connection error, answered 503 like any other sign of
/// the database being away, and is then discarded by the release check.
fn checked_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > CHECK_WHEN_IDLE_FOR {
                    use sqlx::Connection;
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Reads a state, mode or action stored as text into its enum. A name this build does not know
/// (a newer schema) fails as a decode error rather than passing for some other state.
pub(crate) fn decode<T>(stored: &str) -> sqlx::Result<T>
where
    T: std::str::FromStr<Err = hearth_core::UnknownName>,
{
    stored
        .parse()
        .map_err(|e: hearth_core::UnknownName| sqlx::Error::Decode(Box::new(e)))
}
