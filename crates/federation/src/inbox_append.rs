//! Group commit for the inbox: verified activities from concurrent requests are appended to the
//! inbox queue together, one statement and one commit (one fsync) for all of them, and each
//! request is answered once its activity is durable. One task per process does the appending;
//! while a commit is under way the next requests gather, so batches grow with the load.

use hearth_core::{Error, ErrorKind};
use hearth_db::inbox_queue::NewEntry;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

/// The most activities appended in one statement.
const MAX_BATCH: usize = 256;
/// Requests waiting for the appending task; beyond this the inbox waits for room.
const CHANNEL: usize = 4096;

/// Hands verified activities to the appending task.
#[derive(Clone)]
pub struct Appender {
    sender: mpsc::Sender<Pending>,
}

struct Pending {
    entry: NewEntry,
    done: oneshot::Sender<Result<(), String>>,
}

impl Appender {
    /// Starts the appending task on `pool` (it ends when the last `Appender` is dropped).
    pub fn start(pool: PgPool) -> Self {
        let (sender, receiver) = mpsc::channel(CHANNEL);
        tokio::spawn(append_batches(pool, receiver));
        Self { sender }
    }

    /// Appends one verified activity; returns once it is durable (an activity already queued
    /// counts as appended: its first copy will be applied).
    pub async fn append(&self, entry: NewEntry) -> Result<(), Error> {
        let (done, answer) = oneshot::channel();
        let unavailable = || {
            Error::new(ErrorKind::Unavailable(
                "The inbox cannot store activities right now; retry later.".to_owned(),
            ))
        };
        self.sender
            .send(Pending { entry, done })
            .await
            .map_err(|_| unavailable())?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(why)) => {
                tracing::warn!(error = %why, "an inbox append failed");
                Err(unavailable())
            }
            Err(_) => Err(unavailable()),
        }
    }
}

async fn append_batches(pool: PgPool, mut receiver: mpsc::Receiver<Pending>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let entries: Vec<NewEntry> = batch.iter().map(|p| p.entry.clone()).collect();
        let result = hearth_db::inbox_queue::append(&pool, &entries)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        for pending in batch {
            // The request may have gone (the sender hung up); its activity is stored anyway.
            let _ = pending.done.send(result.clone());
        }
    }
}

/// How many activities wait to be applied: past `federation.inbox.max_pending` the inbox answers
/// 503 with `Retry-After`, so a backlog (the workers stopped, a flood) cannot grow without bound
/// while senders keep their copies. Counted by one request at a time, at most once a second per
/// process (every 200 ms once the queue is half full); the requests meanwhile use the last count
/// plus what this process appended since. The harness saw the 16 concurrent requests of a burst
/// all count at once when the figure went stale: 0.5 ms of PostgreSQL per activity.
#[derive(Default)]
pub struct Backlog {
    last: std::sync::Mutex<Counted>,
}

#[derive(Default)]
struct Counted {
    /// When the last count was taken, and what it found (plus this process's appends since).
    figure: Option<(std::time::Instant, i64)>,
    /// Since when a request has been counting (a request dropped mid-count leaves this set: a
    /// count older than a few seconds is taken as abandoned).
    counting: Option<std::time::Instant>,
}

impl Backlog {
    /// Counts an activity this process just queued, so that the figure it reuses between
    /// counts does not lag behind its own appends.
    pub fn appended(&self) {
        if let Some((_, pending)) = self.lock().figure.as_mut() {
            *pending += 1;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counted> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// 503 when the queue is full.
    pub async fn check(&self, ctx: &hearth_service::ServiceContext) -> Result<(), Error> {
        let max = ctx.settings.federation.inbox.max_pending;
        let known = {
            let mut counted = self.lock();
            let fresh_for = match counted.figure {
                Some((_, pending)) if pending >= max / 2 => std::time::Duration::from_millis(200),
                _ => std::time::Duration::from_secs(1),
            };
            let someone_counting = counted
                .counting
                .is_some_and(|since| since.elapsed() < std::time::Duration::from_secs(5));
            match counted.figure {
                Some((at, pending)) if at.elapsed() < fresh_for || someone_counting => {
                    Some(pending)
                }
                _ => {
                    counted.counting = Some(std::time::Instant::now());
                    None
                }
            }
        };
        let pending = match known {
            Some(pending) => pending,
            None => {
                let counted = hearth_db::inbox_queue::pending(&ctx.pool).await;
                let mut last = self.lock();
                last.counting = None;
                let pending = counted?;
                last.figure = Some((std::time::Instant::now(), pending));
                pending
            }
        };
        if pending >= max {
            return Err(Error::new(ErrorKind::Unavailable(format!(
                "{pending} activities are waiting to be applied here; retry later."
            ))));
        }
        Ok(())
    }
}
