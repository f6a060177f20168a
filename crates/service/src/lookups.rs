//! In-process copies of the rows that applying received activities looks up again and again:
//! people by ActivityPub id (every activity's actor, read when its signature is checked and
//! again when it is applied) and communities by id for write paths (twice per applied comment).
//! Each lookup was a round trip; on a burst of activities they were a quarter of them.
//!
//! A copy is dropped as soon as the row changes, in every process on the database: triggers on
//! `person` and `community` `pg_notify('hearth_lookups', 'person:<id>' | 'community:<id>')` at
//! commit when a column these rows carry changes (a community's counts are not watched: write
//! paths never show them, see `hearth_db::community::find_for_write`), and each process LISTENs
//! ([`listen`]). Copies are only kept while that listener is connected: a process that does
//! not listen (a CLI command, or while the connection is lost) reads the database every time,
//! and losing the connection drops every copy, since notifications may have been missed.
//! A read that raced a change is not kept: every drop moves a generation counter, and a row is
//! only stored when the generation it was read in is still current. Copies also expire after
//! [`LIFETIME`], so a notification lost in some way we did not foresee costs at most that.

use crate::ServiceContext;
use hearth_db::community::CommunityRow;
use hearth_db::person::ActorRow;
use sqlx::PgPool;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The channel the triggers notify.
pub const CHANNEL: &str = "hearth_lookups";

/// How long a copy is kept at most.
pub const LIFETIME: Duration = Duration::from_secs(30);

/// The most people kept; past it the copies are dropped and the cache fills again.
const MAX_PEOPLE: usize = 20_000;
/// The most communities kept.
const MAX_COMMUNITIES: usize = 5_000;

/// The copies of one process.
#[derive(Default)]
pub struct Lookups {
    /// Whether the listener is connected: copies are kept only then.
    listening: AtomicBool,
    /// Moved by every drop; a row read before a drop is not kept after it.
    generation: AtomicU64,
    people: Mutex<Copies<String, ActorRow>>,
    communities: Mutex<Copies<i64, CommunityRow>>,
}

/// Copies of one kind of row, with the id each is dropped by.
struct Copies<K, V> {
    rows: HashMap<K, (Arc<V>, Instant)>,
    /// Person id → ActivityPub id (people are looked up by the latter, dropped by the former).
    keys: HashMap<i64, K>,
}

impl<K, V> Default for Copies<K, V> {
    fn default() -> Self {
        Self {
            rows: HashMap::new(),
            keys: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Clone, V> Copies<K, V> {
    fn get<Q>(&self, key: &Q) -> Option<Arc<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.rows
            .get(key)
            .filter(|(_, born)| born.elapsed() < LIFETIME)
            .map(|(row, _)| row.clone())
    }

    fn put(&mut self, id: i64, key: K, row: Arc<V>, most: usize) {
        if self.rows.len() >= most {
            self.rows.clear();
            self.keys.clear();
        }
        self.keys.insert(id, key.clone());
        self.rows.insert(key, (row, Instant::now()));
    }

    fn drop_id(&mut self, id: i64) {
        if let Some(key) = self.keys.remove(&id) {
            self.rows.remove(&key);
        }
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.keys.clear();
    }
}

impl Lookups {
    /// A person by ActivityPub id, as `hearth_db::person::actor_by_ap_id` reads them.
    pub async fn actor_by_ap_id(
        &self,
        pool: &PgPool,
        ap_id: &str,
    ) -> sqlx::Result<Option<Arc<ActorRow>>> {
        self.through(
            &self.people,
            ap_id,
            MAX_PEOPLE,
            || hearth_db::person::actor_by_ap_id(pool, ap_id),
            |row| (row.id, row.ap_id.clone()),
        )
        .await
    }

    /// A community by id for a write path, as `hearth_db::community::find_for_write` reads it
    /// (its counts may be behind; write paths never show them).
    pub async fn community_for_write(
        &self,
        pool: &PgPool,
        id: i64,
    ) -> sqlx::Result<Option<Arc<CommunityRow>>> {
        self.through(
            &self.communities,
            &id,
            MAX_COMMUNITIES,
            || hearth_db::community::find_for_write(pool, id),
            |row| (row.id, row.id),
        )
        .await
    }

    /// A row by `key`: this process's copy when it has a fresh one, else `read`'s row, kept
    /// (under the id and key `id_and_key` gives) unless something was dropped meanwhile.
    async fn through<K, V, Q, F, Fut>(
        &self,
        copies: &Mutex<Copies<K, V>>,
        key: &Q,
        most: usize,
        read: F,
        id_and_key: impl FnOnce(&V) -> (i64, K),
    ) -> sqlx::Result<Option<Arc<V>>>
    where
        K: Hash + Eq + Clone + Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        F: FnOnce() -> Fut,
        Fut: Future<Output = sqlx::Result<Option<V>>>,
    {
        if let Some(row) = lock(copies).get(key) {
            return Ok(Some(row));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(row) = read().await? else {
            return Ok(None);
        };
        let row = Arc::new(row);
        let mut kept = lock(copies);
        if self.may_keep(generation) {
            let (id, key) = id_and_key(&row);
            kept.put(id, key, row.clone(), most);
        }
        Ok(Some(row))
    }

    /// Drops the copy of a person this process has just written, ahead of the notification.
    pub fn forget_person(&self, id: i64) {
        let mut people = lock(&self.people);
        self.generation.fetch_add(1, Ordering::AcqRel);
        people.drop_id(id);
    }

    /// Drops the copy of a community this process has just written, ahead of the notification.
    pub fn forget_community(&self, id: i64) {
        let mut communities = lock(&self.communities);
        self.generation.fetch_add(1, Ordering::AcqRel);
        communities.drop_id(id);
    }

    /// Drops every copy.
    pub fn clear(&self) {
        let (mut people, mut communities) = (lock(&self.people), lock(&self.communities));
        self.generation.fetch_add(1, Ordering::AcqRel);
        people.clear();
        communities.clear();
    }

    /// Whether copies are kept (the listener is connected).
    pub fn enabled(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    /// Whether a row read in `generation` may be kept: the listener is up and nothing was
    /// dropped since. Called with the kind's lock held, which every drop of that kind also
    /// takes to move the generation, so a drop comes wholly before this check (and the row is
    /// not kept) or wholly after the store (and removes it).
    fn may_keep(&self, generation: u64) -> bool {
        self.enabled() && self.generation.load(Ordering::Acquire) == generation
    }

    /// Applies one notification's payload.
    fn notified(&self, payload: &str) {
        match payload.split_once(':') {
            Some(("person", id)) => match id.parse() {
                Ok(id) => self.forget_person(id),
                Err(_) => self.clear(),
            },
            Some(("community", id)) => match id.parse() {
                Ok(id) => self.forget_community(id),
                Err(_) => self.clear(),
            },
            _ => self.clear(),
        }
    }

    fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::Release);
        self.clear();
    }
}

/// A poisoned lock only means a panic elsewhere while it was held; the maps stay usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Follows the notifications until `stop` completes, keeping copies only while connected; when
/// the connection is lost every copy is dropped and it connects again.
pub async fn listen(ctx: ServiceContext, stop: impl Future<Output = ()> + Send) {
    tokio::pin!(stop);
    loop {
        let connected = follow(&ctx);
        tokio::select! {
            () = &mut stop => break,
            e = connected => {
                ctx.lookups.set_listening(false);
                tracing::warn!(error = %e, "the lookup cache lost its notifications; listening again");
            }
        }
        tokio::select! {
            () = &mut stop => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
    ctx.lookups.set_listening(false);
}

/// Follows the notifications until the listener fails; returns why.
async fn follow(ctx: &ServiceContext) -> sqlx::Error {
    let mut listener = match hearth_db::listener::listen(&ctx.pool, &[CHANNEL]).await {
        Ok(listener) => listener,
        Err(e) => return e,
    };
    // Listening from here on: what changes now is heard.
    ctx.lookups.set_listening(true);
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => ctx.lookups.notified(notification.payload()),
            // The connection was lost and is made again: what was notified meanwhile is gone.
            Ok(None) => ctx.lookups.clear(),
            Err(e) => return e,
        }
    }
}
