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
/// checks each connection before handing it out and opens new ones as needed, so it works again
/// as soon as the database is back, without a restart.
pub async fn connect_with_timeout(
    options: PgConnectOptions,
    max_connections: u32,
    acquire_timeout: Duration,
) -> sqlx::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(true)
        .connect_with(options)
        .await
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
