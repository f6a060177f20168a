//! Delivery workers: claim due rows of the `delivery` table (`FOR UPDATE SKIP LOCKED`, with a
//! lease, fairly across destination hosts with a per-host bound), sign and send each outside any
//! lock (the body and its digest made once per activity, not once per inbox), and record the
//! outcome: delivered; retried after an exponential, jittered, capped
//! backoff (5xx, 408, 429, timeouts, connection errors, `Retry-After` honoured); failed for good
//! (other 4xx); dead past the horizon. A host that keeps failing is marked down and probed at
//! growing intervals instead of attempted row by row. Several processes may run workers on one
//! database; a worker that dies loses nothing, because its leases lapse and another worker
//! claims the rows.

use crate::signing::{Signer, body_digest};
use bytes::Bytes;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use hearth_core::Settings;
use hearth_db::federation::{ClaimedDelivery, HostChange, Settled};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

/// An activity as it goes on the wire, and its `Digest` header value: made once per activity,
/// however many inboxes it goes to (a fan-out to 2,000 servers serialised and hashed the same
/// JSON 2,000 times).
#[derive(Debug)]
pub struct PreparedActivity {
    /// The JSON body (`serde_json::to_vec` of the stored payload).
    pub body: Bytes,
    /// `SHA-256=…` of the body.
    pub digest: String,
}

impl PreparedActivity {
    /// Serialises a payload and hashes the result.
    pub fn new(payload: &serde_json::Value) -> serde_json::Result<Self> {
        let body = serde_json::to_vec(payload)?;
        let digest = body_digest(&body);
        Ok(Self {
            body: Bytes::from(body),
            digest,
        })
    }
}

/// The activities one worker process has prepared, by `outbox_activity` id. Claims name them
/// (`held_activities`), so their rows come without the payload. Bounded: past [`Self::MOST`]
/// entries it starts again empty, which costs one more serialisation of each activity still
/// being sent; activities of one burst are a few hundred at most.
#[derive(Default)]
struct Prepared(HashMap<i64, Arc<PreparedActivity>>);

impl Prepared {
    const MOST: usize = 512;

    /// The ids to name in the next claim, after making room. Entries are only dropped here,
    /// before a claim, so a row claimed without its payload always finds its activity.
    fn held(&mut self) -> Vec<i64> {
        if self.0.len() >= Self::MOST {
            self.0.clear();
        }
        self.0.keys().copied().collect()
    }

    /// The prepared activity of a claimed row: made from the row's payload when it came with
    /// one (which the row then no longer carries), else the one held.
    fn of(&mut self, row: &mut ClaimedDelivery) -> anyhow::Result<Arc<PreparedActivity>> {
        if let Some(payload) = row.payload.take() {
            let prepared = Arc::new(PreparedActivity::new(&payload)?);
            self.0.insert(row.activity_id, prepared.clone());
            return Ok(prepared);
        }
        self.0.get(&row.activity_id).cloned().ok_or_else(|| {
            anyhow::anyhow!(
                "activity {} came without its payload and is not held",
                row.activity_id
            )
        })
    }
}

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The receiver took it (2xx).
    Delivered(u16),
    /// Try again no sooner than the time given (when the receiver said so) or after backoff.
    Retry {
        /// The status, when there was a response.
        status: Option<u16>,
        /// The receiver's `Retry-After`, when it sent one.
        not_before: Option<DateTime<Utc>>,
        /// What went wrong.
        error: String,
    },
    /// The receiver refused it for good (4xx other than 408 and 429).
    Refused {
        /// The status.
        status: u16,
        /// The body's beginning, for the operator.
        error: String,
    },
}

/// At most the first `limit` bytes of a response body, as text: the receiver's explanation of a
/// refusal, without letting a hostile inbox stream into our memory.
async fn body_prefix(mut response: reqwest::Response, limit: usize) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(limit);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Classifies a response by status, as the outbox treats it.
pub fn outcome_of(status: StatusCode, headers: &HeaderMap, body: &str) -> Outcome {
    let code = status.as_u16();
    if status.is_success() {
        return Outcome::Delivered(code);
    }
    let error: String = format!(
        "HTTP {code}: {}",
        body.chars().take(200).collect::<String>()
    );
    if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        let not_before = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        return Outcome::Retry {
            status: Some(code),
            not_before,
            error,
        };
    }
    Outcome::Refused {
        status: code,
        error,
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u32>() {
        return Some(now + ChronoDuration::seconds(i64::from(secs)));
    }
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The wait before attempt `attempts + 1`: `base × 2^(attempts−1)`, jittered down by up to a
/// half so that retries of one burst spread out, and capped.
pub fn backoff(settings: &Settings, attempts: i32) -> Duration {
    let delivery = &settings.federation.delivery;
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = delivery
        .backoff_base_ms
        .saturating_mul(1u64 << exponent)
        .min(delivery.backoff_max_secs.saturating_mul(1000));
    let jitter = rand::random_range(0.5..=1.0);
    Duration::from_millis((full as f64 * jitter) as u64)
}

/// Delivery figures for `/metrics`; the server registers them with its registry.
#[derive(Clone)]
pub struct DeliveryMetrics {
    /// Attempts by outcome: `delivered`, `retry`, `failed`, `dead`.
    pub attempts: Family<OutcomeLabels, Counter>,
    /// Seconds per attempt (signing and the request).
    pub latency: Histogram,
}

/// The label of an attempt's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `delivered`, `retry`, `failed` or `dead`.
    pub outcome: String,
}

impl Default for DeliveryMetrics {
    fn default() -> Self {
        Self {
            attempts: Family::default(),
            // 5 ms to about 80 s.
            latency: Histogram::new(exponential_buckets(0.005, 2.0, 15)),
        }
    }
}

/// What one worker process has in flight, per destination authority.
#[derive(Default, Clone)]
struct InFlight(Arc<Mutex<HashMap<String, i32>>>);

impl InFlight {
    fn add(&self, authority: &str) {
        if let Ok(mut map) = self.0.lock() {
            *map.entry(authority.to_owned()).or_default() += 1;
        }
    }

    fn remove(&self, authority: &str) {
        if let Ok(mut map) = self.0.lock()
            && let Some(n) = map.get_mut(authority)
        {
            *n -= 1;
            if *n <= 0 {
                map.remove(authority);
            }
        }
    }

    fn snapshot(&self) -> (Vec<String>, Vec<i32>) {
        self.0
            .lock()
            .map(|map| map.iter().map(|(k, v)| (k.clone(), *v)).unzip())
            .unwrap_or_default()
    }
}

/// Runs delivery workers until `stop`: claims due rows fairly across hosts while there is room
/// under `concurrency` and `per_host_concurrency`, probes down hosts, sends, and sleeps until a
/// local change is committed (`NOTIFY hearth_outbox`), a send finishes, or the poll interval
/// passes. Every `prune_interval_secs` it applies the dead horizon and prunes old rows.
pub async fn run(
    pool: PgPool,
    settings: Arc<Settings>,
    metrics: DeliveryMetrics,
    stop: CancellationToken,
) {
    let (settled, settling) = mpsc::unbounded_channel();
    let settler = tokio::spawn(settle_batches(pool.clone(), settling));
    let sender = match Sender::new(pool.clone(), settings.clone(), metrics, settled) {
        Ok(sender) => Arc::new(sender),
        Err(e) => {
            tracing::error!(error = ?e, "delivery workers cannot start");
            return;
        }
    };
    let delivery = &settings.federation.delivery;
    let slots = Arc::new(Semaphore::new(delivery.concurrency.max(1)));
    let per_host = i32::try_from(delivery.per_host_concurrency.max(1)).unwrap_or(i32::MAX);
    let poll = Duration::from_millis(delivery.poll_interval_ms.max(10));
    let probe_max_ms =
        i64::try_from(delivery.probe_max_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    let mut listener = listen(&pool, "hearth_outbox").await;
    let in_flight = InFlight::default();
    let mut prepared = Prepared::default();
    // Where the next claim starts in the round of hosts.
    let mut next_host = String::new();
    let mut last_probe_look = std::time::Instant::now() - poll;
    let mut running = JoinSet::new();
    let mut housekeeping =
        tokio::time::interval(Duration::from_secs(delivery.prune_interval_secs.max(1)));
    // Subscribed blocklists are looked at often (cheap: one query) so a new one applies soon.
    let refreshing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut blocklists = tokio::time::interval(Duration::from_secs(
        delivery.prune_interval_secs.clamp(1, 10),
    ));
    tracing::info!(
        concurrency = delivery.concurrency,
        per_host = per_host,
        "delivery workers started"
    );
    loop {
        // A backlog keeps the loop busy (it `continue`s while there is work): look here too.
        if stop.is_cancelled() {
            break;
        }
        while running.try_join_next().is_some() {}
        let mut claimed = Vec::new();
        // Claims come in batches: each costs a round trip whatever its size, so a worker waits
        // until half its slots are free (or it has nothing in flight) before claiming again.
        let batch = (delivery.concurrency.max(1) / 2).max(1);
        if slots.available_permits() >= batch || running.is_empty() {
            // One probe per down host whose time has come (looked for once per poll interval:
            // probes are seconds apart, and a busy loop need not pay a round trip each turn),
            // then the fair claim.
            let probes = if last_probe_look.elapsed() >= poll {
                last_probe_look = std::time::Instant::now();
                hearth_db::federation::take_due_probes(&pool, probe_max_ms).await
            } else {
                Ok(Vec::new())
            };
            match probes {
                Ok(hosts) => {
                    for host in hosts {
                        match hearth_db::federation::claim_probe(&pool, &host, delivery.lease_secs)
                            .await
                        {
                            Ok(Some(row)) => {
                                tracing::info!(host = %host, "probing a down host");
                                claimed.push(row);
                            }
                            Ok(None) => {}
                            Err(e) => tracing::warn!(error = %e, "cannot claim a probe"),
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot look for due probes"),
            }
            let room = slots.available_permits().saturating_sub(claimed.len());
            if room > 0 {
                let (mut hosts, mut counts) = in_flight.snapshot();
                let held = prepared.held();
                let limit = i64::try_from(room.min(500)).unwrap_or(500);
                // Round the hosts: on from where the last claim stopped, then from the start.
                let mut rows = Vec::new();
                for start in [next_host.clone(), String::new()] {
                    let want = limit - i64::try_from(rows.len()).unwrap_or(limit);
                    match hearth_db::federation::claim_due(
                        &pool,
                        want,
                        &start,
                        per_host,
                        &hosts,
                        &counts,
                        delivery.lease_secs,
                        &held,
                    )
                    .await
                    {
                        Ok(found) => {
                            // The second pass walks the hosts again from the start: what this
                            // pass claimed counts as in flight there, or a host could get twice
                            // its share.
                            for row in &found {
                                match hosts.iter().position(|h| *h == row.authority) {
                                    Some(i) => counts[i] += 1,
                                    None => {
                                        hosts.push(row.authority.clone());
                                        counts.push(1);
                                    }
                                }
                            }
                            rows.extend(found);
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot claim deliveries; retrying"),
                    }
                    if start.is_empty() || i64::try_from(rows.len()).unwrap_or(limit) >= limit {
                        break;
                    }
                }
                // Rows come host by host; the last one's host is where this claim stopped.
                next_host = rows
                    .last()
                    .map(|row| row.authority.clone())
                    .unwrap_or_default();
                claimed.extend(rows);
            }
        }
        let idle = claimed.is_empty();
        // The federation policy is read once per claim, not once per row: its version check is
        // a round trip, and at a thousand rows a second that was a third of the statements the
        // queue ran. A change of policy applies from the next claim on (a claim is sent at once:
        // it never holds more rows than free slots).
        let policy =
            if idle {
                None
            } else {
                sender.policy.current(&pool).await.inspect_err(|e| {
                tracing::warn!(error = %e, "cannot read the federation policy; sending later");
            }).ok()
            };
        for mut row in claimed {
            let activity = match prepared.of(&mut row) {
                Ok(activity) => activity,
                Err(e) => {
                    // Not sent now; its lease lapses and the next claim brings the payload.
                    tracing::warn!(delivery = row.id, error = %e, "cannot prepare a delivery");
                    continue;
                }
            };
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let sender = sender.clone();
            let in_flight = in_flight.clone();
            let policy = policy.clone();
            in_flight.add(&row.authority);
            running.spawn(async move {
                let authority = row.authority.clone();
                sender.deliver(row, &activity, policy.as_deref()).await;
                in_flight.remove(&authority);
                drop(permit);
            });
        }
        if !idle && slots.available_permits() >= batch {
            continue;
        }
        // Wait for room, news of new rows, the poll interval, or housekeeping.
        let woken = async {
            match listener.as_mut() {
                Some(l) => {
                    if l.recv().await.is_err() {
                        tokio::time::sleep(poll).await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = woken => {}
            () = tokio::time::sleep(poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
            _ = housekeeping.tick() => housekeep(&pool, &settings).await,
            _ = blocklists.tick() => {
                // Fetched beside the loop, one refresh at a time: a slow list never holds up
                // deliveries.
                if !refreshing.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    let (pool, settings, refreshing) =
                        (pool.clone(), settings.clone(), refreshing.clone());
                    tokio::spawn(async move {
                        if let Err(e) = crate::blocklists::refresh_due(&pool, &settings).await {
                            tracing::warn!(error = ?e, "cannot refresh blocklists");
                        }
                        refreshing.store(false, std::sync::atomic::Ordering::SeqCst);
                    });
                }
            }
        }
    }
    // Let sends in flight finish briefly; any cut short are sent again once their lease lapses.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while running.join_next().await.is_some() {}
    })
    .await;
    running.abort_all();
    while running.join_next().await.is_some() {}
    // The last outcomes are written before the workers say they stopped.
    drop(sender);
    if tokio::time::timeout(Duration::from_secs(5), settler)
        .await
        .is_err()
    {
        tracing::warn!("the last delivery outcomes were not written; those rows are sent again");
    }
    tracing::info!("delivery workers stopped");
}

/// Most outcomes end a delivery with an answer from the host (delivered, or refused for good).
/// They are written in batches, one statement each, rather than three statements per delivery:
/// whatever arrives while a batch is being written makes the next one. An outcome not yet
/// written when the process dies is lost with it, and its row is sent again once its lease
/// lapses (at least once, never lost).
async fn settle_batches(pool: PgPool, mut outcomes: mpsc::UnboundedReceiver<(Settled, String)>) {
    const MOST: usize = 500;
    let mut batch: Vec<(Settled, String)> = Vec::new();
    while let Some(first) = outcomes.recv().await {
        batch.push(first);
        while batch.len() < MOST {
            match outcomes.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let rows: Vec<Settled> = batch.iter().map(|(row, _)| row.clone()).collect();
        let mut hosts: Vec<String> = batch.drain(..).map(|(_, host)| host).collect();
        hosts.sort_unstable();
        hosts.dedup();
        for attempt in 1..=3 {
            match hearth_db::federation::settle(&pool, &rows, &hosts).await {
                Ok(up) => {
                    for host in up {
                        tracing::info!(host = %host, "host is up again; sending its backlog");
                    }
                    break;
                }
                Err(e) if attempt < 3 => {
                    tracing::warn!(error = %e, "cannot record delivery outcomes; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    deliveries = rows.len(),
                    "cannot record delivery outcomes; those rows are sent again after their lease"
                ),
            }
        }
    }
}

/// A LISTEN connection on `channel`, outside the request pool (`None`, with a warning, when it
/// cannot be had: the caller then polls only). Shared by the delivery and inbox workers.
pub(crate) async fn listen(pool: &PgPool, channel: &str) -> Option<hearth_db::listener::Listener> {
    hearth_db::listener::listen(pool, &[channel])
        .await
        .inspect_err(|e| tracing::warn!(error = %e, channel, "cannot LISTEN; polling only"))
        .ok()
}

/// Applies the dead horizon to rows nobody attempts (down hosts) and prunes old rows.
pub async fn housekeep(pool: &PgPool, settings: &Settings) {
    let delivery = &settings.federation.delivery;
    match hearth_db::federation::expire_dead(pool, delivery.dead_after_secs as f64).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            deliveries = n,
            "deliveries past the dead horizon marked dead"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot apply the dead horizon"),
    }
    match hearth_db::federation::prune(pool, delivery.retention_secs as f64, 1000).await {
        Ok((0, 0, 0)) => {}
        Ok((received, deliveries, activities)) => tracing::info!(
            received,
            deliveries,
            activities,
            "pruned federation rows past retention"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot prune federation rows"),
    }
}

/// Host names the delivery client resolved, each kept for [`CachingResolver::TTL`]. Every new
/// connection resolves its host: a fan-out opens one per server, more to a busy server (up to
/// `per_host_concurrency`), and again after the pool's idle timeout (90 s). Without this each
/// was a `getaddrinfo` on the blocking pool (about 80 µs of CPU per connection even for a name
/// in `/etc/hosts` on the benchmark machine; a round trip to the DNS server in production). Only
/// what the wrapped (validating) resolver accepted is kept, so its address rules still hold;
/// failures are not kept.
struct CachingResolver {
    inner: Arc<dyn reqwest::dns::Resolve>,
    answers: Arc<Answers>,
}

/// By host name: when it was resolved, and to what.
type Answers = Mutex<HashMap<String, (std::time::Instant, Vec<std::net::SocketAddr>)>>;

impl CachingResolver {
    /// How long an answer is used: short, so that a server that moves is found again soon.
    const TTL: Duration = Duration::from_secs(60);
    /// Names kept at most (expired ones are dropped first, then all).
    const MOST: usize = 10_000;

    fn new(inner: Arc<dyn reqwest::dns::Resolve>) -> Self {
        Self {
            inner,
            answers: Arc::default(),
        }
    }

    fn fresh(&self, host: &str) -> Option<Vec<std::net::SocketAddr>> {
        let answers = self.answers.lock().ok()?;
        let (at, addrs) = answers.get(host)?;
        (at.elapsed() < Self::TTL).then(|| addrs.clone())
    }
}

impl reqwest::dns::Resolve for CachingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_ascii_lowercase();
        if let Some(addrs) = self.fresh(&host) {
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            return Box::pin(std::future::ready(Ok(addrs)));
        }
        let resolving = self.inner.resolve(name);
        let answers = self.answers.clone();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = resolving.await?.collect();
            if let Ok(mut answers) = answers.lock() {
                if answers.len() >= Self::MOST {
                    answers.retain(|_, (at, _)| at.elapsed() < Self::TTL);
                    if answers.len() >= Self::MOST {
                        answers.clear();
                    }
                }
                answers.insert(host, (std::time::Instant::now(), addrs.clone()));
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Signs and sends deliveries and records how they went.
pub struct Sender {
    pool: PgPool,
    settings: Arc<Settings>,
    signer: Signer,
    client: reqwest::Client,
    metrics: DeliveryMetrics,
    policy: hearth_service::policy::PolicyCache,
    /// Where settled outcomes go to be written in batches ([`settle_batches`]).
    settled: mpsc::UnboundedSender<(Settled, String)>,
}

impl Sender {
    /// A sender with its own HTTP client (same address rules as fetching), handing settled
    /// outcomes to the batch writer that reads `settled`.
    pub fn new(
        pool: PgPool,
        settings: Arc<Settings>,
        metrics: DeliveryMetrics,
        settled: mpsc::UnboundedSender<(Settled, String)>,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.federation.delivery.request_timeout_secs);
        let client = crate::http_client_resolving(&settings, timeout, |validating| {
            Arc::new(CachingResolver::new(validating))
        })?;
        Ok(Self {
            pool,
            settings,
            signer: Signer::default(),
            client,
            metrics,
            policy: hearth_service::policy::PolicyCache::default(),
            settled,
        })
    }

    /// Records a delivery that got an answer: through the batch writer, or at once when the
    /// writer has gone.
    async fn settle(&self, row: &ClaimedDelivery, settled: Settled) -> sqlx::Result<()> {
        let Err(mpsc::error::SendError((settled, _))) =
            self.settled.send((settled, row.authority.clone()))
        else {
            return Ok(());
        };
        let up = hearth_db::federation::settle(
            &self.pool,
            &[settled],
            std::slice::from_ref(&row.authority),
        )
        .await?;
        for host in up {
            tracing::info!(host = %host, "host is up again; sending its backlog");
        }
        Ok(())
    }

    /// Sends one claimed delivery of `activity` and records the outcome. `policy` is the
    /// federation policy read for the claim the row came in (`None` when it could not be read).
    pub async fn deliver(
        &self,
        row: ClaimedDelivery,
        activity: &PreparedActivity,
        policy: Option<&hearth_service::policy::Policy>,
    ) {
        let Some(allowed) = self.allowed(&row.authority, policy) else {
            // The policy cannot be read: not sent now; the lease lapses and it is tried again.
            return;
        };
        if !allowed {
            // Blocked after it was queued: dropped, kept and counted, never sent.
            self.count("dropped");
            if let Err(e) = hearth_db::policy::drop_deliveries(&self.pool, &[row.id]).await {
                tracing::warn!(delivery = row.id, error = %e, "cannot drop a blocked delivery");
            }
            return;
        }
        let started = std::time::Instant::now();
        let outcome = self.attempt(&row, activity).await;
        self.metrics
            .latency
            .observe(started.elapsed().as_secs_f64());
        if let Err(e) = self.record(&row, &outcome).await {
            // The lease lapses and the row is attempted again: at least once, never lost.
            tracing::warn!(delivery = row.id, error = %e, "cannot record a delivery outcome");
        }
    }

    async fn attempt(&self, row: &ClaimedDelivery, activity: &PreparedActivity) -> Outcome {
        match self.send(row, activity).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Retry {
                status: None,
                not_before: None,
                error: format!("{e:#}"),
            },
        }
    }

    async fn send(
        &self,
        row: &ClaimedDelivery,
        activity: &PreparedActivity,
    ) -> anyhow::Result<Outcome> {
        let Some(key) = row.private_key.as_deref() else {
            return Ok(Outcome::Refused {
                status: 0,
                error: format!("{} has no private key to sign with", row.actor_ap_id),
            });
        };
        let inbox = Url::parse(&row.inbox)?;
        if let Err(refused) =
            crate::urls::check_fetchable(&inbox, self.settings.federation.debug_local)
        {
            // An inbox on an internal address: never sent, and never worth a retry.
            return Ok(Outcome::Refused {
                status: 0,
                error: format!("refusing to deliver to {inbox}: {refused}"),
            });
        }
        let signed = self
            .signer
            .sign_with_digest(key, &row.actor_ap_id, &inbox, &activity.digest)
            .await?;
        let response = self
            .client
            .post(inbox)
            .header("content-type", "application/activity+json")
            .header("accept", "application/activity+json")
            .header("date", signed.date)
            .header("digest", signed.digest)
            .header("signature", signed.signature)
            .body(activity.body.clone())
            .send()
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = body_prefix(response, 1024).await;
        Ok(outcome_of(status, &headers, &text))
    }

    fn allowed(
        &self,
        authority: &str,
        policy: Option<&hearth_service::policy::Policy>,
    ) -> Option<bool> {
        if authority.eq_ignore_ascii_case(self.settings.hostname.as_str()) {
            return Some(true);
        }
        policy.map(|policy| policy.allows(authority))
    }

    fn count(&self, outcome: &str) {
        self.metrics
            .attempts
            .get_or_create(&OutcomeLabels {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    async fn record(&self, row: &ClaimedDelivery, outcome: &Outcome) -> sqlx::Result<()> {
        let delivery = &self.settings.federation.delivery;
        match outcome {
            Outcome::Delivered(status) => {
                self.count("delivered");
                tracing::debug!(delivery = row.id, inbox = %row.inbox, "delivered");
                let settled = Settled {
                    id: row.id,
                    attempt: row.attempts,
                    state: "delivered",
                    status: Some(i32::from(*status)),
                    error: None,
                };
                self.settle(row, settled).await
            }
            Outcome::Refused { status, error } => {
                self.count("failed");
                tracing::info!(delivery = row.id, inbox = %row.inbox, %error, "delivery refused");
                // The host answered: it is up, whatever it thought of this activity.
                let settled = Settled {
                    id: row.id,
                    attempt: row.attempts,
                    state: "failed",
                    status: (*status != 0).then_some(i32::from(*status)),
                    error: Some(error.clone()),
                };
                self.settle(row, settled).await
            }
            Outcome::Retry {
                status,
                not_before,
                error,
            } => {
                let mut conn = self.pool.acquire().await?;
                let change = hearth_db::federation::host_failed(
                    &mut conn,
                    &row.authority,
                    error,
                    delivery.down_after_secs as f64,
                    i64::try_from(delivery.probe_base_ms).unwrap_or(i64::MAX),
                )
                .await?;
                if change == HostChange::Down {
                    tracing::info!(host = %row.authority, %error, "host marked down; probing it from now on");
                }
                let status = status.map(i32::from);
                let horizon = ChronoDuration::seconds(
                    i64::try_from(delivery.dead_after_secs).unwrap_or(i64::MAX / 2),
                );
                if Utc::now() - row.created_at > horizon {
                    self.count("dead");
                    tracing::info!(delivery = row.id, inbox = %row.inbox, %error, "delivery dead");
                    return hearth_db::federation::mark_final(
                        &mut *conn,
                        row.id,
                        row.attempts,
                        "dead",
                        status,
                        error,
                    )
                    .await;
                }
                self.count("retry");
                let wait = ChronoDuration::from_std(backoff(&self.settings, row.attempts))
                    .unwrap_or(ChronoDuration::hours(1));
                let mut at = Utc::now() + wait;
                if let Some(not_before) = not_before {
                    at = at.max(*not_before);
                }
                tracing::debug!(delivery = row.id, inbox = %row.inbox, %error, retry_at = %at, "delivery failed; will retry");
                hearth_db::federation::mark_retry(
                    &mut *conn,
                    row.id,
                    row.attempts,
                    at,
                    status,
                    error,
                )
                .await
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_the_outbox_treats_them() {
        let none = HeaderMap::new();
        assert_eq!(
            outcome_of(StatusCode::ACCEPTED, &none, ""),
            Outcome::Delivered(202)
        );
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            assert!(matches!(
                outcome_of(status, &none, ""),
                Outcome::Retry { .. }
            ));
        }
        for status in [
            StatusCode::BAD_REQUEST,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::GONE,
        ] {
            assert!(matches!(
                outcome_of(status, &none, ""),
                Outcome::Refused { .. }
            ));
        }
    }

    /// A resolver that answers 127.0.0.1 for every name, counting the questions, or refuses.
    struct Counting {
        asked: Arc<std::sync::atomic::AtomicUsize>,
        refuse: bool,
    }

    impl reqwest::dns::Resolve for Counting {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            self.asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let refuse = self.refuse;
            Box::pin(async move {
                if refuse {
                    return Err("refused".into());
                }
                let addrs: reqwest::dns::Addrs = Box::new(std::iter::once(
                    std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
                ));
                Ok(addrs)
            })
        }
    }

    #[tokio::test]
    async fn each_host_is_resolved_once_and_refusals_are_asked_again() {
        use reqwest::dns::Resolve;
        use std::str::FromStr;
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let cache = CachingResolver::new(Arc::new(Counting {
            asked: asked.clone(),
            refuse: false,
        }));
        let name = |n: &str| reqwest::dns::Name::from_str(n).unwrap();
        for _ in 0..3 {
            let addrs: Vec<_> = cache.resolve(name("a.example")).await.unwrap().collect();
            assert_eq!(addrs, vec![std::net::SocketAddr::from(([127, 0, 0, 1], 0))]);
        }
        let _ = cache.resolve(name("B.example")).await.unwrap();
        let _ = cache.resolve(name("b.example")).await.unwrap();
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 2);

        let refusing = CachingResolver::new(Arc::new(Counting {
            asked: asked.clone(),
            refuse: true,
        }));
        assert!(refusing.resolve(name("internal.example")).await.is_err());
        assert!(refusing.resolve(name("internal.example")).await.is_err());
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 4);
    }

    #[test]
    fn a_payload_is_sent_as_serde_json_writes_it_with_its_digest() {
        let payload = serde_json::json!({
            "id": "https://a.example/activities/1", "type": "Announce", "é": "ü",
            "object": {"content": "<p>x</p>", "to": ["https://www.w3.org/ns/activitystreams#Public"]}
        });
        let prepared = PreparedActivity::new(&payload).unwrap();
        let body = serde_json::to_vec(&payload).unwrap();
        assert_eq!(prepared.body.as_ref(), body.as_slice());
        assert_eq!(prepared.digest, body_digest(&body));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = Utc::now();
        assert_eq!(
            parse_retry_after("2", now),
            Some(now + ChronoDuration::seconds(2))
        );
        let date = parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now).unwrap();
        assert_eq!(date.to_rfc3339(), "2026-10-21T07:28:00+00:00");
        assert_eq!(parse_retry_after("soon", now), None);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().unwrap());
        match outcome_of(StatusCode::TOO_MANY_REQUESTS, &headers, "") {
            Outcome::Retry {
                not_before: Some(at),
                ..
            } => assert!(at > Utc::now() + ChronoDuration::seconds(25)),
            other => panic!("{other:?}"),
        }
    }
}
