//! The applying workers: they claim verified activities from the inbox queue (oldest first, one
//! at a time per object, so activities about one post, comment or community are applied in the
//! order they arrived, whichever process applies them), apply each exactly as the inbox used to
//! (`activities::incoming::dispatch`, whose receipt makes applying idempotent) except a
//! claim's votes, which are applied together (`activities::votes::batch`), and settle the
//! rows in batches: applied rows go, refusals are kept for admins, and an activity that could
//! not be applied for now (its post cannot be fetched yet, the database is away) is retried
//! with backoff. A worker that dies leaves its rows leased; another takes them over once the
//! lease lapses, so an acknowledged activity is never lost.

use crate::activities::Context;
use crate::activities::votes::batch::batchable;
use crate::delivery::{OutcomeLabels, backoff};
use crate::received::{InboxError, Receipt, Via};
use activitypub_federation::config::FederationConfig;
use hearth_db::inbox_queue::{Claimed, Settlement};
use hearth_service::ServiceContext;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

/// How often workers look for due rows when nothing wakes them.
const POLL: Duration = Duration::from_secs(1);
/// How often refused and failed rows past retention are pruned.
const HOUSEKEEPING: Duration = Duration::from_secs(600);

/// Applying figures for `/metrics`; the server registers them with its registry.
#[derive(Clone, Default)]
pub struct ApplyMetrics {
    /// Activities settled by this process, by outcome: `applied`, `refused`, `retry`, `failed`.
    pub outcomes: Family<OutcomeLabels, Counter>,
}

/// Applies queued activities until `stop`.
pub async fn run(
    config: FederationConfig<ServiceContext>,
    metrics: ApplyMetrics,
    stop: CancellationToken,
) {
    let ctx = config.to_request_data().app_data().clone();
    let pool = ctx.pool.clone();
    let inbox = &ctx.settings.federation.inbox;
    let slots = Arc::new(Semaphore::new(inbox.apply_concurrency.max(1)));
    let batch = inbox.apply_batch.max(1);
    let (settled, settling) = mpsc::unbounded_channel();
    // Told when a batch of outcomes is written: a row waiting behind one just applied (the same
    // post, say) may be claimed now.
    let written = Arc::new(Notify::new());
    let settler = tokio::spawn(settle_batches(
        pool.clone(),
        settling,
        metrics,
        written.clone(),
    ));
    let mut listener = crate::delivery::listen(&pool, "hearth_inbox").await;
    let mut running = JoinSet::new();
    let mut housekeeping = tokio::time::interval(HOUSEKEEPING);
    tracing::info!(
        concurrency = inbox.apply_concurrency,
        "inbox workers started"
    );
    loop {
        if stop.is_cancelled() {
            break;
        }
        while running.try_join_next().is_some() {}
        let room = slots.available_permits();
        // A claim costs a round trip whatever its size: claim when half the slots are free.
        // It takes a full batch: its votes are applied together in one slot, and the other
        // rows wait here for a slot each. (Giving back at once what cannot start was measured:
        // the re-claiming cost a third of the applied rate; PERFORMANCE.md, round six.)
        let mut claimed = Vec::new();
        if room * 2 >= inbox.apply_concurrency.max(1) || running.is_empty() {
            let limit = i64::try_from(batch).unwrap_or(1);
            match hearth_db::inbox_queue::claim(&pool, limit, inbox.apply_lease_secs).await {
                Ok(rows) => claimed = rows,
                Err(e) => tracing::warn!(error = %e, "cannot claim queued activities; retrying"),
            }
        }
        let idle = claimed.is_empty();
        let (votes, singles): (Vec<Claimed>, Vec<Claimed>) =
            claimed.into_iter().partition(|row| batchable(&row.payload));
        let (votes, singles) = if votes.len() > 1 {
            (votes, singles)
        } else {
            (Vec::new(), votes.into_iter().chain(singles).collect())
        };
        if !votes.is_empty() {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let (config, settled) = (config.clone(), settled.clone());
            running.spawn(async move {
                // A batch's outcomes settle together: the rows waiting behind any of them
                // become claimable at once.
                let _ = settled.send(apply_votes(&config, votes).await);
                drop(permit);
            });
        }
        for row in singles {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let (config, settled) = (config.clone(), settled.clone());
            running.spawn(async move {
                let outcome = apply(&config, &row).await;
                let _ = settled.send(vec![(row.id, outcome)]);
                drop(permit);
            });
        }
        if !idle {
            continue;
        }
        let woken = async {
            match listener.as_mut() {
                Some(l) => {
                    if l.recv().await.is_err() {
                        tokio::time::sleep(POLL).await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = woken => {}
            () = written.notified() => {}
            () = tokio::time::sleep(POLL) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = housekeeping.tick() => {
                let retention = ctx.settings.federation.delivery.retention_secs as f64;
                match hearth_db::inbox_queue::prune(&pool, retention).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(rows = n, "pruned refused inbox activities past retention"),
                    Err(e) => tracing::warn!(error = %e, "cannot prune the inbox queue"),
                }
            }
        }
    }
    // Activities being applied get a moment; any cut short are applied again after their lease
    // (their receipt makes that harmless).
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while running.join_next().await.is_some() {}
    })
    .await;
    running.abort_all();
    while running.join_next().await.is_some() {}
    drop(settled);
    if tokio::time::timeout(Duration::from_secs(5), settler)
        .await
        .is_err()
    {
        tracing::warn!("the last inbox outcomes were not written; those rows are applied again");
    }
    tracing::info!("inbox workers stopped");
}

/// Applies one queued activity and says how it went.
async fn apply(config: &FederationConfig<ServiceContext>, row: &Claimed) -> Settlement {
    let data = config.to_request_data();
    let settings = &data.settings;
    if let Some(settled) = settled_before_applying(row, settings) {
        return settled;
    }
    let Ok(id) = Url::parse(&row.activity_id) else {
        return Settlement::Refused {
            code: "malformed_activity".to_owned(),
            message: "The activity's id is not a URL.".to_owned(),
        };
    };
    let cx = Context {
        data: &data,
        via: Via::Direct,
        receipt: Receipt::of(&id),
        raw: &row.payload,
    };
    let outcome = crate::activities::incoming::dispatch(&cx).await;
    settlement(outcome, row, settings)
}

/// Applies the votes of one claim together (`votes::batch`), and says how each went.
async fn apply_votes(
    config: &FederationConfig<ServiceContext>,
    rows: Vec<Claimed>,
) -> Vec<(i64, Settlement)> {
    let settings = config.to_request_data().settings.clone();
    let mut out = Vec::with_capacity(rows.len());
    let mut todo = Vec::with_capacity(rows.len());
    for row in rows {
        match settled_before_applying(&row, &settings) {
            Some(settled) => out.push((row.id, settled)),
            None => todo.push(row),
        }
    }
    let raws: Vec<&serde_json::Value> = todo.iter().map(|row| &row.payload).collect();
    let outcomes = crate::activities::votes::batch::apply(config, &raws).await;
    for (row, outcome) in todo.iter().zip(outcomes) {
        out.push((row.id, settlement(outcome, row, &settings)));
    }
    out
}

/// The settlement of a row claimed again and again without an outcome (a worker died on it
/// each time): it is not applied again.
fn settled_before_applying(row: &Claimed, settings: &hearth_core::Settings) -> Option<Settlement> {
    let max_attempts = settings.federation.inbox.apply_max_attempts.max(1);
    (row.attempts > max_attempts).then(|| Settlement::Failed {
        message: format!("not applied after {} attempts", row.attempts - 1),
    })
}

/// How applying went, as the row's settlement.
fn settlement(
    outcome: Result<(), InboxError>,
    row: &Claimed,
    settings: &hearth_core::Settings,
) -> Settlement {
    let max_attempts = settings.federation.inbox.apply_max_attempts.max(1);
    match outcome {
        Ok(()) => Settlement::Applied,
        Err(e) => settlement_of(e, row, settings, max_attempts),
    }
}

/// A refusal (4xx) is final; a failure on our side or of a server we depend on (5xx) is
/// retried with backoff until the attempts run out.
fn settlement_of(
    e: InboxError,
    row: &Claimed,
    settings: &hearth_core::Settings,
    max_attempts: i32,
) -> Settlement {
    let error = e.into_error();
    let kind = &error.kind;
    if kind.status().is_server_error() {
        let message = format!("{}: {}", kind.code(), detail(&error));
        if row.attempts >= max_attempts {
            tracing::warn!(activity = %row.activity_id, error = %message, "giving up on a queued activity");
            return Settlement::Failed { message };
        }
        let wait = backoff(settings, row.attempts);
        tracing::info!(activity = %row.activity_id, error = %message, wait_secs = wait.as_secs(), "applying later");
        Settlement::Retry {
            at: chrono::Utc::now()
                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(10)),
            message,
        }
    } else {
        tracing::info!(activity = %row.activity_id, code = kind.code(), "refused when applied");
        Settlement::Refused {
            code: kind.code().to_owned(),
            message: kind.message(),
        }
    }
}

/// The message of an error, with its cause for our own failures (admins see it, senders do not).
fn detail(error: &hearth_core::Error) -> String {
    match &error.source {
        Some(source) => format!("{}: {source:#}", error.kind.message()),
        None => error.kind.message(),
    }
}

/// Outcomes are written in batches: whatever arrives while one batch is written makes the next.
async fn settle_batches(
    pool: PgPool,
    mut outcomes: mpsc::UnboundedReceiver<Vec<(i64, Settlement)>>,
    metrics: ApplyMetrics,
    written: Arc<Notify>,
) {
    const MOST: usize = 500;
    while let Some(mut batch) = outcomes.recv().await {
        while batch.len() < MOST {
            match outcomes.try_recv() {
                Ok(next) => batch.extend(next),
                Err(_) => break,
            }
        }
        for (_, outcome) in &batch {
            let label = match outcome {
                Settlement::Applied => "applied",
                Settlement::Refused { .. } => "refused",
                Settlement::Retry { .. } => "retry",
                Settlement::Failed { .. } => "failed",
            };
            metrics
                .outcomes
                .get_or_create(&OutcomeLabels {
                    outcome: label.to_owned(),
                })
                .inc();
        }
        for attempt in 1..=3u64 {
            match hearth_db::inbox_queue::settle(&pool, &batch).await {
                Ok(()) => {
                    written.notify_one();
                    break;
                }
                Err(e) if attempt < 3 => {
                    tracing::warn!(error = %e, "cannot record inbox outcomes; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    rows = batch.len(),
                    "cannot record inbox outcomes; those activities are applied again after their lease"
                ),
            }
        }
    }
}
