//! Prometheus metrics: request counts and latencies by route, database pool use, served as text
//! at `/metrics`. The registry belongs to one `Application` (no global), so several instances in
//! one test process keep separate figures.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_federation::delivery::DeliveryMetrics;
use hearth_federation::inbox_apply::ApplyMetrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The metrics of one Hearth instance.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    pool_size: Gauge,
    pool_idle: Gauge,
    pool: PgPool,
    /// What the delivery workers of this process count.
    pub delivery: DeliveryMetrics,
    /// What the inbox workers of this process count.
    pub applying: ApplyMetrics,
    inbox_pending: Gauge,
    queue_pending: Gauge,
    queue_dead: Gauge,
    hosts_down: Gauge,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// Registers Hearth's metrics; `pool` is sampled at each scrape.
    pub fn new(pool: PgPool) -> Self {
        let mut registry = Registry::with_prefix("hearth");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests, by method and route",
            latency.clone(),
        );
        let pool_size = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_size.clone(),
        );
        let pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        let delivery = DeliveryMetrics::default();
        registry.register(
            "delivery_attempts",
            "Delivery attempts of this process, by outcome (delivered, retry, failed, dead)",
            delivery.attempts.clone(),
        );
        registry.register(
            "delivery_duration_seconds",
            "Time to sign and send one delivery",
            delivery.latency.clone(),
        );
        let applying = ApplyMetrics::default();
        registry.register(
            "inbox_activities",
            "Received activities settled by this process, by outcome (applied, refused, retry, failed)",
            applying.outcomes.clone(),
        );
        let inbox_pending = Gauge::default();
        registry.register(
            "inbox_queue_pending",
            "Received activities waiting to be applied, over every process sharing the database",
            inbox_pending.clone(),
        );
        let queue_pending = Gauge::default();
        registry.register(
            "delivery_queue_pending",
            "Deliveries waiting, over every process sharing the database",
            queue_pending.clone(),
        );
        let queue_dead = Gauge::default();
        registry.register(
            "delivery_queue_dead",
            "Deliveries given up as dead and not yet pruned",
            queue_dead.clone(),
        );
        let hosts_down = Gauge::default();
        registry.register(
            "delivery_hosts_down",
            "Destination servers marked down",
            hosts_down.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            latency,
            pool_size,
            pool_idle,
            pool,
            delivery,
            applying,
            inbox_pending,
            queue_pending,
            queue_dead,
            hosts_down,
        }
    }

    /// Reads the queue gauges from the database (at each scrape).
    pub async fn sample_queue(&self) {
        match hearth_db::federation::gauges(&self.pool).await {
            Ok((pending, dead, down)) => {
                self.queue_pending.set(pending);
                self.queue_dead.set(dead);
                self.hosts_down.set(down);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the delivery queue for metrics"),
        }
        match hearth_db::inbox_queue::pending(&self.pool).await {
            Ok(pending) => {
                self.inbox_pending.set(pending);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the inbox queue for metrics"),
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        self.pool_size.set(i64::from(self.pool.size()));
        self.pool_idle
            .set(i64::try_from(self.pool.num_idle()).unwrap_or(i64::MAX));
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode metrics");
        }
        out
    }
}

/// `GET /metrics`.
pub async fn serve_metrics(State(metrics): State<Metrics>) -> impl IntoResponse {
    metrics.sample_queue().await;
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.render(),
    )
}

/// Counts and times every request by its route template (never the raw path, which would make
/// one series per post), and logs one line per request. Query strings are never logged: they
/// can carry tokens.
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status: status.to_string(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    // A path that is itself a secret (a password reset link, `/reset_password/{token}`) is
    // logged as its route template, so the log never holds a link that works.
    let logged_path = if route.contains("{token}") {
        &route
    } else {
        &path
    };
    tracing::info!(
        "{method} {logged_path} {status} {:.1}ms",
        elapsed.as_secs_f64() * 1000.0
    );
    response
}
