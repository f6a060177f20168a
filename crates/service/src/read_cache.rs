//! The short-lived cache of pages rendered for anonymous readers: the front page, community
//! feeds and post pages (JSON and HTML) are the same for every visitor without a session, so
//! one rendering serves them all for `http.anonymous_cache_ms` (default 1.5 s; 0: off).
//!
//! Entries are keyed by face, path and normalised query (the faces add whatever else a page
//! depends on), bounded in number and bytes, and computed once however many readers miss the
//! same key at the same moment (single flight: the others wait for that one rendering).
//!
//! Writes drop entries before their time, in every process on the database: triggers on the
//! tables a page shows (`post`, `comment`, `post_image`, `post_event`, `community`, `community_ban`,
//! `community_moderator`, `person`, `site`)
//! `pg_notify('hearth_read_cache', <community id or 'all'>)` at commit, and each serving process
//! LISTENs ([`listen`]) and drops the entries of that community and the pages that mix
//! communities. Votes and counts change no watched column, so scores may be up to one TTL old.
//! A process also drops everything when a write request it served has finished
//! ([`ReadCache::local_write_done`]), so whoever just wrote through this process sees the
//! change at once, without waiting for the notification to come round.
//!
//! The site row that every page's layout reads is kept the same way for anonymous visitors
//! ([`ReadCache::site`]): a site write notifies `all`, which drops it with the pages, so a hit
//! on a cached page costs no statement at all.
//!
//! Besides rendered pages, the same slots keep values of other kinds under keys of their own
//! ([`ReadCache::get_or_make`]): the rows of the anonymous feed pages, which signed-in readers
//! reuse with their own votes and blocks added (`posts::feed`, `posts::community_feed`). They
//! live, are dropped and are computed once exactly as pages are.

use crate::ServiceContext;
use bytes::Bytes;
use hearth_db::site::SiteRow;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// The channel the triggers notify.
pub const CHANNEL: &str = "hearth_read_cache";

/// The most entries (pages and feed rows) kept.
const MAX_ENTRIES: usize = 1024;
/// The most bytes of entries kept.
const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Entries larger than this are not kept (a few such pages would push out everything else).
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// What a page shows, so that a write to it drops the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shows {
    /// One community's content (its feed, a post page).
    Community(i64),
    /// Content of many communities (the front page): dropped by a write to any of them.
    Everything,
}

/// A rendered page: the bytes sent and what they are.
#[derive(Debug, Clone)]
pub struct CachedPage {
    /// The body.
    pub body: Bytes,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// What it shows.
    pub shows: Shows,
    /// Where each visitor's own CSRF token goes: the offsets of
    /// [`ReadCache::csrf_placeholder`] in `body` (HTML pages; found once, when rendered).
    pub token_at: Vec<usize>,
}

/// Why a rendering was not kept: the page it made (for this reader only), or the error.
#[derive(Debug)]
pub enum Miss<T, E> {
    /// Rendered, but not to be shared (it sets a cookie, or is an error page …).
    Private(T),
    /// Rendering failed.
    Failed(E),
}

/// The cell of a value of kind `V`, shared by the readers of one slot.
type Cell<V> = OnceCell<Arc<V>>;
/// What a kept value shows and about how many bytes it holds, set once it is made.
type Facts = OnceLock<(Shows, usize)>;

struct Slot {
    /// A [`Cell`] of the kind of value its key names (a [`CachedPage`], a feed's rows …): a
    /// lookup of another kind under the same key replaces the slot, so a value is always read
    /// back as the kind it was made.
    cell: Arc<dyn Any + Send + Sync>,
    /// What the value shows and about how many bytes it holds, set once it is made.
    facts: Arc<Facts>,
    /// When the slot was made, in nanoseconds since `ReadCache::origin`.
    born: u64,
}

/// The cache of one process (see the module documentation).
pub struct ReadCache {
    ttl: Duration,
    /// Stands in for the visitor's CSRF token in cached HTML: random per process, so that no
    /// text a page shows can guess it (see [`ReadCache::csrf_placeholder`]).
    csrf_placeholder: String,
    origin: Instant,
    /// The end of the last write request this process served (nanoseconds since `origin`):
    /// slots made before it are stale.
    last_local_write: AtomicU64,
    slots: Mutex<HashMap<String, Slot>>,
    /// The site row for anonymous visitors' pages, and when it was read (see [`Self::site`]).
    site: Mutex<Option<(u64, Arc<SiteRow>)>>,
    /// Counts `clear`s, so that a site row read before one is not kept after it.
    clears: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl ReadCache {
    /// A cache keeping pages for `ttl` (zero: off).
    pub fn new(ttl: Duration) -> Self {
        use rand::RngCore;
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        Self {
            ttl,
            csrf_placeholder: raw.iter().map(|b| format!("{b:02x}")).collect(),
            origin: Instant::now(),
            last_local_write: AtomicU64::new(0),
            slots: Mutex::new(HashMap::new()),
            site: Mutex::new(None),
            clears: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Whether pages are kept at all.
    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// What pages rendered for the cache carry where the visitor's CSRF token goes (64 hex
    /// digits, like a token); the page is given the visitor's own token when served.
    pub fn csrf_placeholder(&self) -> &str {
        &self.csrf_placeholder
    }

    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Pages served from the cache and pages rendered for it since the start (for tests and
    /// the benchmark's notes).
    pub fn counts(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// The page under `key`: kept, being rendered by another reader (waited for), or rendered
    /// now by `render`, which answers `Err(Miss::Private(..))` for a page not to share.
    pub async fn get_or_render<T, E, F, Fut>(
        &self,
        key: String,
        render: F,
    ) -> Result<Arc<CachedPage>, Miss<T, E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CachedPage, Miss<T, E>>>,
    {
        self.get_or_make(key, || async {
            let page = render().await?;
            let (shows, bytes) = (page.shows, page.body.len());
            Ok((page, shows, bytes))
        })
        .await
    }

    /// The value under `key`, of any kind (a page, a feed's rows …): kept, being made by
    /// another reader (waited for), or made now by `make`, which says what the value shows and
    /// about how many bytes it holds.
    pub async fn get_or_make<V, T, E, F, Fut>(
        &self,
        key: String,
        make: F,
    ) -> Result<Arc<V>, Miss<T, E>>
    where
        V: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(V, Shows, usize), Miss<T, E>>>,
    {
        let (cell, facts) = self.slot::<V>(key);
        if let Some(value) = cell.get() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(value.clone());
        }
        let mut made_here = false;
        let value = cell
            .get_or_try_init(|| {
                made_here = true;
                async {
                    let (value, shows, bytes) = make().await?;
                    // Before the cell is filled: a value is never seen without its facts.
                    let _ = facts.set((shows, bytes));
                    Ok(Arc::new(value))
                }
            })
            .await?;
        if made_here {
            self.misses.fetch_add(1, Ordering::Relaxed);
            if facts
                .get()
                .is_some_and(|(_, bytes)| *bytes > MAX_PAGE_BYTES)
            {
                self.forget(&facts);
            }
        } else {
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        Ok(value.clone())
    }

    /// The live slot of `key` (its cell of kind `V` and its facts), made when there is none,
    /// only a stale one, or one of another kind.
    fn slot<V: Send + Sync + 'static>(&self, key: String) -> (Arc<Cell<V>>, Arc<Facts>) {
        let now = self.now();
        let ttl = u64::try_from(self.ttl.as_nanos()).unwrap_or(u64::MAX);
        let last_write = self.last_local_write.load(Ordering::Acquire);
        let Ok(mut slots) = self.slots.lock() else {
            return (Arc::new(OnceCell::new()), Arc::new(OnceLock::new()));
        };
        if let Some(slot) = slots.get(&key)
            && now.saturating_sub(slot.born) < ttl
            && slot.born > last_write
            && let Ok(cell) = slot.cell.clone().downcast::<Cell<V>>()
        {
            return (cell, slot.facts.clone());
        }
        if slots.len() >= MAX_ENTRIES || total_bytes(&slots) >= MAX_BYTES {
            make_room(&mut slots, now, ttl, last_write);
        }
        let cell: Arc<Cell<V>> = Arc::new(OnceCell::new());
        let facts = Arc::new(OnceLock::new());
        slots.insert(
            key,
            Slot {
                cell: cell.clone(),
                facts: facts.clone(),
                born: now,
            },
        );
        (cell, facts)
    }

    fn forget(&self, facts: &Arc<Facts>) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.retain(|_, slot| !Arc::ptr_eq(&slot.facts, facts));
        }
    }

    /// Drops the pages that show `community`, and those that mix communities.
    pub fn drop_community(&self, community: i64) {
        if let Ok(mut slots) = self.slots.lock() {
            // A slot still rendering does not say yet what it shows: drop it too (its readers
            // get their page; the next ones render again).
            slots.retain(|_, slot| {
                slot.facts.get().is_some_and(
                    |(shows, _)| matches!(shows, Shows::Community(c) if *c != community),
                )
            });
        }
    }

    /// Drops every page (and the site row).
    pub fn clear(&self) {
        self.clears.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut site) = self.site.lock() {
            *site = None;
        }
        if let Ok(mut slots) = self.slots.lock() {
            slots.clear();
        }
    }

    /// The site row as anonymous visitors' pages show it: kept for the pages' lifetime and
    /// dropped with them (a site write notifies `all`; a write through this process makes it
    /// stale), read by `read` when there is none. Off (always `read`) when pages are not kept.
    pub async fn site<F, Fut>(&self, read: F) -> sqlx::Result<Arc<SiteRow>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = sqlx::Result<SiteRow>>,
    {
        if !self.enabled() {
            return Ok(Arc::new(read().await?));
        }
        let ttl = u64::try_from(self.ttl.as_nanos()).unwrap_or(u64::MAX);
        let born = self.now();
        if let Ok(site) = self.site.lock()
            && let Some((read_at, row)) = site.as_ref()
            && born.saturating_sub(*read_at) < ttl
            && *read_at > self.last_local_write.load(Ordering::Acquire)
        {
            return Ok(row.clone());
        }
        // A `clear` while the row is read (a site write committed meanwhile) means the row
        // read may be the old one: it serves this page but is not kept.
        let clears = self.clears.load(Ordering::Acquire);
        let row = Arc::new(read().await?);
        if let Ok(mut site) = self.site.lock()
            && self.clears.load(Ordering::Acquire) == clears
        {
            *site = Some((born, row.clone()));
        }
        Ok(row)
    }

    /// Called when a write request served by this process has finished: every page made
    /// before is stale (the notification of the write will come too, a moment later).
    pub fn local_write_done(&self) {
        if self.enabled() {
            self.last_local_write
                .fetch_max(self.now().max(1), Ordering::AcqRel);
        }
    }
}

fn total_bytes(slots: &HashMap<String, Slot>) -> usize {
    slots
        .values()
        .filter_map(|s| s.facts.get())
        .map(|(_, bytes)| bytes)
        .sum()
}

/// Drops stale slots, then the oldest until a quarter of the room is free.
fn make_room(slots: &mut HashMap<String, Slot>, now: u64, ttl: u64, last_write: u64) {
    slots.retain(|_, slot| now.saturating_sub(slot.born) < ttl && slot.born > last_write);
    let mut births: Vec<u64> = slots.values().map(|s| s.born).collect();
    if births.len() < MAX_ENTRIES * 3 / 4 && total_bytes(slots) < MAX_BYTES * 3 / 4 {
        return;
    }
    births.sort_unstable();
    let cut = births.get(births.len() / 2).copied().unwrap_or(u64::MAX);
    slots.retain(|_, slot| slot.born > cut);
}

/// The key of a page: the face that renders it (with anything else it depends on), its path
/// and its query with the parameters sorted, so that `?a=1&b=2` and `?b=2&a=1` share a page.
pub fn key(face: &str, path: &str, query: Option<&str>) -> String {
    let mut pairs: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .collect();
    pairs.sort_unstable();
    let mut key = String::with_capacity(face.len() + path.len() + 2 + query.map_or(0, str::len));
    key.push_str(face);
    key.push(' ');
    key.push_str(path);
    key.push('?');
    key.push_str(&pairs.join("&"));
    key
}

/// Reads what the triggers notify and drops the pages concerned, until `stop` completes; when
/// the connection is lost it drops every page (notifications may have been missed meanwhile)
/// and connects again.
pub async fn listen(ctx: ServiceContext, stop: impl Future<Output = ()> + Send) {
    if !ctx.read_cache.enabled() {
        return;
    }
    tokio::pin!(stop);
    loop {
        let connected = follow(&ctx);
        tokio::select! {
            () = &mut stop => return,
            e = connected => {
                ctx.read_cache.clear();
                tracing::warn!(error = %e, "the anonymous page cache lost its notifications; listening again");
            }
        }
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Follows the notifications until the listener fails; returns why.
async fn follow(ctx: &ServiceContext) -> sqlx::Error {
    let mut listener = match hearth_db::listener::listen(&ctx.pool, &[CHANNEL]).await {
        Ok(listener) => listener,
        Err(e) => return e,
    };
    // Pages made before we listened may have missed a notification.
    ctx.read_cache.clear();
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match notification.payload().parse::<i64>() {
                Ok(community) => ctx.read_cache.drop_community(community),
                // `all`: the site, a person, or something the page cannot tell apart.
                Err(_) => ctx.read_cache.clear(),
            },
            // The connection was lost and is made again: what was notified meanwhile is gone.
            Ok(None) => ctx.read_cache.clear(),
            Err(e) => return e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(shows: Shows) -> CachedPage {
        CachedPage {
            body: Bytes::from_static(b"page"),
            content_type: "text/plain",
            shows,
            token_at: Vec::new(),
        }
    }

    #[test]
    fn keys_do_not_depend_on_the_order_of_parameters() {
        assert_eq!(
            key("api", "/api/v1/posts", Some("sort=new&community=c7")),
            key("api", "/api/v1/posts", Some("community=c7&sort=new"))
        );
        assert_ne!(
            key("api", "/api/v1/posts", Some("sort=new")),
            key("web", "/api/v1/posts", Some("sort=new"))
        );
        assert_eq!(key("web", "/", None), key("web", "/", Some("")));
    }

    #[tokio::test]
    async fn a_page_is_rendered_once_within_its_time() {
        let cache = ReadCache::new(Duration::from_secs(60));
        for _ in 0..3 {
            let got: Result<_, Miss<(), ()>> = cache
                .get_or_render("k".into(), || async { Ok(page(Shows::Everything)) })
                .await;
            assert!(got.is_ok());
        }
        assert_eq!(cache.counts(), (2, 1));
    }

    #[tokio::test]
    async fn concurrent_misses_render_once() {
        let cache = Arc::new(ReadCache::new(Duration::from_secs(60)));
        let renders = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let cache = cache.clone();
            let renders = renders.clone();
            tasks.push(tokio::spawn(async move {
                let got: Result<_, Miss<(), ()>> = cache
                    .get_or_render("k".into(), || async move {
                        renders.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok(page(Shows::Everything))
                    })
                    .await;
                assert!(got.is_ok());
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(renders.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn writes_drop_the_pages_that_show_them() {
        let cache = ReadCache::new(Duration::from_secs(60));
        for (k, shows) in [
            ("one", Shows::Community(1)),
            ("two", Shows::Community(2)),
            ("front", Shows::Everything),
        ] {
            let _: Result<_, Miss<(), ()>> = cache
                .get_or_render(k.into(), || async move { Ok(page(shows)) })
                .await;
        }
        cache.drop_community(1);
        let keys: Vec<String> = cache.slots.lock().unwrap().keys().cloned().collect();
        assert_eq!(keys, vec!["two".to_owned()]);
        cache.local_write_done();
        let rendered = Arc::new(AtomicU64::new(0));
        let r = rendered.clone();
        let _: Result<_, Miss<(), ()>> = cache
            .get_or_render("two".into(), || async move {
                r.fetch_add(1, Ordering::SeqCst);
                Ok(page(Shows::Community(2)))
            })
            .await;
        assert_eq!(rendered.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn kept_rows_live_and_are_dropped_as_pages_are() {
        let cache = ReadCache::new(Duration::from_secs(60));
        let made = Arc::new(AtomicU64::new(0));
        let rows = |community: i64| {
            let made = made.clone();
            move || async move {
                made.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Miss<(), ()>>((vec![community], Shows::Community(community), 8))
            }
        };
        for _ in 0..2 {
            let got = cache.get_or_make("rows c1".into(), rows(1)).await.unwrap();
            assert_eq!(*got, vec![1]);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
        // A page under the same key is another kind of value: it replaces the rows.
        let page = cache
            .get_or_render::<(), (), _, _>("rows c1".into(), || async {
                Ok(page(Shows::Everything))
            })
            .await;
        assert!(page.is_ok());
        cache.get_or_make("rows c1".into(), rows(1)).await.unwrap();
        cache.get_or_make("rows c2".into(), rows(2)).await.unwrap();
        assert_eq!(made.load(Ordering::SeqCst), 3);
        cache.drop_community(1);
        cache.get_or_make("rows c2".into(), rows(2)).await.unwrap();
        assert_eq!(made.load(Ordering::SeqCst), 3);
        cache.get_or_make("rows c1".into(), rows(1)).await.unwrap();
        assert_eq!(made.load(Ordering::SeqCst), 4);
        cache.local_write_done();
        cache.get_or_make("rows c2".into(), rows(2)).await.unwrap();
        assert_eq!(made.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn private_pages_are_not_kept() {
        let cache = ReadCache::new(Duration::from_secs(60));
        let got: Result<_, Miss<&str, ()>> = cache
            .get_or_render("k".into(), || async { Err(Miss::Private("mine")) })
            .await;
        assert!(matches!(got, Err(Miss::Private("mine"))));
        assert!(cache.slots.lock().unwrap()["k"].facts.get().is_none());
    }
}
