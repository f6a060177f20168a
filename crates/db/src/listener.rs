//! LISTEN connections for the workers and caches that wait on `NOTIFY`, kept outside the request
//! pool.
//!
//! `PgListener::connect_with(pool)` holds one of the pool's connections for as long as it lives.
//! A process has several listeners (delivery, inbox workers, media fetches, page cache), so with
//! the default `database.max_connections` of 10 they took four of the ten and requests waited for
//! the rest. Each listener here gets a pool of its own of one connection, opened with the same
//! options (and re-opened by the listener itself after a lost connection).

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};

/// A LISTEN connection and the one-connection pool it came from (and reconnects through).
/// Dropped, it closes that pool first, so its connection is closed rather than checked with a
/// ping on its way back: the drop runs at shutdown, and a ping racing the embedded cluster's stop
/// logged "terminating connection" errors.
pub struct Listener {
    listener: PgListener,
    own: PgPool,
}

impl std::ops::Deref for Listener {
    type Target = PgListener;
    fn deref(&self) -> &PgListener {
        &self.listener
    }
}

impl std::ops::DerefMut for Listener {
    fn deref_mut(&mut self) -> &mut PgListener {
        &mut self.listener
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Marks the pool closed at once (the returned future only waits for connections to go).
        drop(self.own.close());
    }
}

/// Opens a connection of its own on `pool`'s server and LISTENs on `channels`.
pub async fn listen(pool: &PgPool, channels: &[&str]) -> sqlx::Result<Listener> {
    let own = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .connect_with((*pool.connect_options()).clone())
        .await?;
    let mut listener = PgListener::connect_with(&own).await?;
    listener.listen_all(channels.iter().copied()).await?;
    Ok(Listener { listener, own })
}
