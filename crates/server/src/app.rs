//! One running Hearth instance: provisioning at start, the assembled router (health, API, web,
//! federation), the metrics listener of its own, and servers that shut down gracefully.

use crate::{health, metrics};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::header;
use axum::routing::get;
use hearth_core::{Error, ErrorKind, Settings};
use hearth_federation::FederationState;
use hearth_federation::outbox::FederatedOutbox;
use hearth_federation::resolve::FederatedResolver;
use hearth_federation::serve::wants_activity_json;
use hearth_service::ServiceContext;
use hearth_service::setup::SetupCode;
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// A Hearth instance, bound to its port and ready to serve.
pub struct Application {
    listener: TcpListener,
    /// Where `/metrics` is served (`metrics.bind`), apart from the public listener.
    metrics_listener: Option<TcpListener>,
    router: Router,
    ctx: ServiceContext,
    /// The federation configuration, when federation is on (the inbox workers apply with it).
    federation: Option<FederationState>,
    metrics: metrics::Metrics,
    /// The first-run setup code made on this start, while no administrator exists.
    setup_code: Option<SetupCode>,
}

impl Application {
    /// Applies pending migrations, provisions the site and setup admin, and binds `settings.bind`
    /// (and `metrics.bind`).
    pub async fn build(settings: Arc<Settings>, pool: PgPool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {} (`bind`): {e}", settings.bind))?;
        Self::build_with_listener(settings, pool, listener).await
    }

    /// The same on a listener the caller bound (tests bind port 0 first to learn the port). The
    /// metrics listener is still bound from `metrics.bind` (port 0 there: any free port; see
    /// [`Application::metrics_addr`]).
    pub async fn build_with_listener(
        settings: Arc<Settings>,
        pool: PgPool,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        let metrics_listener = match settings.metrics.bind {
            Some(address) => Some(TcpListener::bind(address).await.map_err(|e| {
                anyhow::anyhow!("cannot listen on {address} (`metrics.bind`): {e}")
            })?),
            None => None,
        };
        hearth_db::migrations::run(&pool).await?;
        let mut ctx = ServiceContext::new(pool, settings);
        // Before anything copies the context (the federation configuration keeps its own).
        let replicas = hearth_service::replicas::Replicas::from_settings(&ctx.settings.database)?;
        ctx = ctx.with_replicas(Arc::new(replicas));
        let provisioned = hearth_service::setup::provision(&ctx)
            .await
            .map_err(|e| anyhow::anyhow!("setup failed: {e}"))?;
        announce(&ctx.settings, provisioned.setup_code.as_ref());
        let federation = if ctx.settings.federation.enabled {
            // Changes are told to other servers from here on (the federation configuration's
            // copy of the context included).
            let outbox = Arc::new(FederatedOutbox::new(ctx.settings.clone()));
            ctx = ctx.with_outbox(outbox);
            let config = hearth_federation::config(ctx.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot set up federation: {e}"))?;
            ctx = ctx.with_resolver(Arc::new(FederatedResolver::new(config.clone())));
            Some(FederationState::new(config))
        } else {
            None
        };
        let metrics = metrics::Metrics::new(ctx.pool.clone());
        let router = router(ctx.clone(), federation.clone(), metrics.clone());
        Ok(Self {
            listener,
            metrics_listener,
            router,
            ctx,
            federation,
            metrics,
            setup_code: provisioned.setup_code,
        })
    }

    /// The setup code this start printed, while the instance waits for its first administrator
    /// (tests read it here rather than from the log).
    pub fn setup_code(&self) -> Option<&str> {
        self.setup_code.as_ref().map(SetupCode::reveal)
    }

    /// Where the server listens.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where metrics are served, unless `metrics.bind` is empty.
    pub fn metrics_addr(&self) -> std::io::Result<Option<SocketAddr>> {
        self.metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()
    }

    /// The shared context (tests reach the pool through it).
    pub fn context(&self) -> &ServiceContext {
        &self.ctx
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish for at most
    /// `http.shutdown_grace_secs`.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let grace = Duration::from_secs(self.ctx.settings.http.shutdown_grace_secs);
        let stop = CancellationToken::new();
        let workers = tokio::spawn(maintenance(self.ctx.clone(), stop.clone()));
        // Queued mail goes out from here (the task ends at once when no SMTP host is set).
        let mailer = tokio::spawn(hearth_service::mail::run(
            self.ctx.clone(),
            stop.clone().cancelled_owned(),
        ));
        // Other servers' images and link previews are fetched only by a federating instance
        // (the same switch that lets it talk to other servers at all).
        let media_fetcher = self.ctx.settings.federation.enabled.then(|| {
            tokio::spawn(hearth_federation::remote_media::run(
                self.ctx.clone(),
                stop.clone(),
            ))
        });
        let federation = &self.ctx.settings.federation;
        let delivery = (federation.enabled && federation.delivery.workers).then(|| {
            tokio::spawn(hearth_federation::delivery::run(
                self.ctx.pool.clone(),
                self.ctx.settings.clone(),
                self.metrics.delivery.clone(),
                stop.clone(),
            ))
        });
        // Received activities are applied from the inbox queue by this process too, unless
        // `hearth worker` processes do it.
        let applying = self
            .federation
            .as_ref()
            .filter(|_| federation.inbox.apply_workers)
            .map(|state| {
                tokio::spawn(hearth_federation::inbox_apply::run(
                    state.config.clone(),
                    self.metrics.applying.clone(),
                    stop.clone(),
                ))
            });
        // Cached anonymous pages are dropped when this or another process writes what they show.
        let read_cache = tokio::spawn(hearth_service::read_cache::listen(
            self.ctx.clone(),
            stop.clone().cancelled_owned(),
        ));
        // People and communities that applying activities looks up are kept while this process
        // hears of their changes.
        let lookups = tokio::spawn(hearth_service::lookups::listen(
            self.ctx.clone(),
            stop.clone().cancelled_owned(),
        ));
        // Which read replicas reads may use, checked every second (nothing without replicas).
        let replica_checks = tokio::spawn(hearth_service::replicas::run_checks(
            self.ctx.clone(),
            stop.clone().cancelled_owned(),
        ));
        // Peer addresses reach handlers for per-IP rate limits.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, service)
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        let mut serving = tokio::spawn(async move { server.await });
        let metrics_serving = self.metrics_listener.map(|listener| {
            let server = axum::serve(listener, metrics_router(self.metrics.clone()))
                .with_graceful_shutdown(stop.clone().cancelled_owned());
            tokio::spawn(async move { server.await })
        });
        let served = tokio::select! {
            result = &mut serving => Some(result),
            () = shutdown => None,
        };
        tracing::info!("shutting down: finishing in-flight requests");
        stop.cancel();
        let served = match served {
            Some(result) => result,
            None => match tokio::time::timeout(grace, &mut serving).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!(
                        grace_secs = grace.as_secs(),
                        "in-flight requests outlived the grace period"
                    );
                    serving.abort();
                    Ok(Ok(()))
                }
            },
        };
        if let Some(mut metrics_serving) = metrics_serving {
            // A scrape is quick; one still running after the grace period is cut short.
            match tokio::time::timeout(grace, &mut metrics_serving).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => tracing::error!(error = %e, "the metrics listener failed"),
                Ok(Err(e)) => tracing::error!(error = %e, "the metrics listener failed"),
                Err(_) => metrics_serving.abort(),
            }
        }
        if let Err(e) = workers.await {
            tracing::error!(error = %e, "a background worker failed");
        }
        if let Err(e) = mailer.await {
            tracing::error!(error = %e, "the mail sender failed");
        }
        if let Err(e) = read_cache.await {
            tracing::error!(error = %e, "the anonymous page cache's listener failed");
        }
        if let Err(e) = lookups.await {
            tracing::error!(error = %e, "the lookup cache's listener failed");
        }
        if let Err(e) = replica_checks.await {
            tracing::error!(error = %e, "the read replica checks failed");
        }
        self.ctx.replicas.close().await;
        if let Some(delivery) = delivery
            && let Err(e) = delivery.await
        {
            tracing::error!(error = %e, "the delivery workers failed");
        }
        if let Some(fetcher) = media_fetcher
            && let Err(e) = fetcher.await
        {
            tracing::error!(error = %e, "the media fetcher failed");
        }
        if let Some(applying) = applying
            && let Err(e) = applying.await
        {
            tracing::error!(error = %e, "the inbox workers failed");
        }
        Ok(served??)
    }
}

/// Tells the operator, at start, where the site is and whether the first-run setup waits: then
/// one line with the setup page's URL and the code it asks for.
fn announce(settings: &Settings, setup_code: Option<&SetupCode>) {
    let message = start_message(settings, setup_code.map(SetupCode::reveal));
    if setup_code.is_some() {
        // A warning, so that it stands out among the start's lines.
        tracing::warn!("{message}");
    } else {
        tracing::info!("{message}");
    }
}

fn start_message(settings: &Settings, setup_code: Option<&str>) -> String {
    let site = site_url(settings);
    match setup_code {
        Some(code) => format!(
            "Setup pending: no administrator yet. Open {site}setup and enter the setup code {code}"
        ),
        None => format!("Open {site} (setup done: an administrator exists)"),
    }
}

/// The address people open: the public URL, over plain http when the hostname is this machine
/// (`localhost`: a first run on a laptop serves no TLS) or on a local test network.
fn site_url(settings: &Settings) -> String {
    let authority = settings.hostname.as_str();
    let host = authority.split(':').next().unwrap_or(authority);
    let scheme = if host == "localhost" || host.ends_with(".localhost") {
        "http"
    } else {
        settings.public_scheme()
    };
    format!("{scheme}://{authority}/")
}

/// Periodic housekeeping until `stop`: every half second the communities' post and comment
/// counts take in what writers recorded (`hearth_db::community::fold_count_changes`); every five
/// minutes ranks, activity counts and expired rate-limit windows (`service::maintenance`).
/// Every ten seconds our polls whose votes changed send their new counts to followers (the
/// service sends each poll at most once a minute).
async fn maintenance(ctx: ServiceContext, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    let mut counts = tokio::time::interval(Duration::from_millis(500));
    counts.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut poll_counts = tokio::time::interval(Duration::from_secs(10));
    poll_counts.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = counts.tick() => {
                if let Err(e) = hearth_db::community::fold_count_changes(&ctx.pool).await {
                    tracing::warn!(error = %e, "cannot fold community counts; retrying shortly");
                }
            }
            _ = poll_counts.tick() => {
                if let Err(e) = hearth_service::polls::send_changed_counts(&ctx).await {
                    tracing::warn!(error = ?e, "cannot send poll counts; retrying shortly");
                }
            }
            _ = tick.tick() => {
                if let Err(e) = hearth_service::maintenance::run(&ctx).await {
                    tracing::warn!(error = ?e, "maintenance failed; retrying at the next tick");
                }
            }
        }
    }
}

/// The metrics listener's routes: `/metrics` and nothing else. Scrapes are not counted in the
/// request metrics, which describe the public listener.
pub fn metrics_router(metrics: metrics::Metrics) -> Router {
    Router::new()
        .route("/metrics", get(metrics::serve_metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(metrics)
}

/// Assembles every public route of the instance (metrics are served apart, by
/// [`metrics_router`]). ActivityPub and the web pages share URLs
/// (`/c/{name}`, `/post/{id}` …): requests that ask for ActivityPub JSON go to the federation
/// routes, everything else to the pages and the API.
pub fn router(
    ctx: ServiceContext,
    federation: Option<FederationState>,
    metrics: metrics::Metrics,
) -> Router {
    let max_body = ctx.settings.http.max_body_bytes;
    let track = axum::middleware::from_fn_with_state(metrics.clone(), metrics::track);
    let mut app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(hearth_api::router())
        .merge(hearth_lemmy::router(&ctx))
        .merge(hearth_web::router(&ctx))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            ctx.read_cache.clone(),
            crate::read_cache::note_writes,
        ))
        .with_state(ctx.clone());
    let Some(federation) = federation else {
        return replica_scope(app.layer(DefaultBodyLimit::max(max_body)).layer(track), ctx);
    };
    app = app
        .merge(hearth_federation::discovery_router(federation.clone()))
        .merge(hearth_federation::inbox_router(federation.clone()));
    let pages = app
        .layer(DefaultBodyLimit::max(max_body))
        .layer(track.clone());
    // Set after `layer`, the fallback is not tracked twice: `pages` tracks itself.
    let activitypub = hearth_federation::negotiated_router(federation)
        .layer(track)
        .fallback_service(pages.clone());
    let negotiated = Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let wants_json = wants_activity_json(request.headers().get(header::ACCEPT));
        let target = if wants_json {
            activitypub.clone()
        } else {
            pages.clone()
        };
        async move {
            let mut response = target.oneshot(request).await?;
            // The same URL answers differently by Accept: caches must keep them apart.
            response
                .headers_mut()
                .append(header::VARY, header::HeaderValue::from_static("accept"));
            Ok::<_, std::convert::Infallible>(response)
        }
    }));
    replica_scope(negotiated, ctx)
}

/// With read replicas, serves every request inside `replicas::in_request`: only requests that
/// change nothing read from a replica, and a signed-in person's changing request is recorded
/// so that their next reads, on every process, go to the primary. Without replicas, nothing.
fn replica_scope(router: Router, ctx: ServiceContext) -> Router {
    if !ctx.replicas.configured() {
        return router;
    }
    router.layer(axum::middleware::from_fn_with_state(ctx, in_request))
}

async fn in_request(
    axum::extract::State(ctx): axum::extract::State<ServiceContext>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let changes = !request.method().is_safe();
    hearth_service::replicas::in_request(&ctx, changes, next.run(request)).await
}

async fn method_not_allowed() -> Error {
    Error::new(ErrorKind::MethodNotAllowed)
}

async fn not_found() -> Error {
    Error::not_found("There is nothing at this address.")
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = interrupt => tracing::info!("SIGINT received"),
        () = terminate => tracing::info!("SIGTERM received"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hostname: &str) -> Settings {
        crate::config::load(None, [("HEARTH__HOSTNAME".to_owned(), hostname.to_owned())])
            .expect("settings load")
    }

    #[test]
    fn a_pending_setup_is_one_line_with_the_address_and_the_code() {
        let message = start_message(&settings("localhost:8536"), Some("abcd-ef01"));
        assert_eq!(
            message,
            "Setup pending: no administrator yet. Open http://localhost:8536/setup and enter \
             the setup code abcd-ef01"
        );
        let done = start_message(&settings("localhost:8536"), None);
        assert_eq!(
            done,
            "Open http://localhost:8536/ (setup done: an administrator exists)"
        );
    }

    #[test]
    fn public_hostnames_are_opened_over_https_and_this_machine_over_http() {
        assert_eq!(
            site_url(&settings("forum.example.org")),
            "https://forum.example.org/"
        );
        assert_eq!(site_url(&settings("localhost")), "http://localhost/");
        assert_eq!(
            site_url(&settings("localhost:8536")),
            "http://localhost:8536/"
        );
    }
}
