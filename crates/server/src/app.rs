//! One running Hearth instance: provisioning at start, the assembled router (health, metrics,
//! API, web) and a server that shuts down gracefully.

use crate::{health, metrics};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hearth_core::{Error, ErrorKind, Settings};
use hearth_service::ServiceContext;
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A Hearth instance, bound to its port and ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    ctx: ServiceContext,
}

impl Application {
    /// Applies pending migrations, provisions the site and setup admin, and binds `settings.bind`.
    pub async fn build(settings: Arc<Settings>, pool: PgPool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {} (`bind`): {e}", settings.bind))?;
        Self::build_with_listener(settings, pool, listener).await
    }

    /// The same on a listener the caller bound (tests bind port 0 first to learn the port).
    pub async fn build_with_listener(
        settings: Arc<Settings>,
        pool: PgPool,
        listener: TcpListener,
    ) -> anyhow::Result<Self> {
        hearth_db::migrations::run(&pool).await?;
        let ctx = ServiceContext::new(pool, settings);
        hearth_service::setup::provision(&ctx)
            .await
            .map_err(|e| anyhow::anyhow!("setup failed: {e}"))?;
        let router = router(ctx.clone());
        Ok(Self {
            listener,
            router,
            ctx,
        })
    }

    /// Where the server listens.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
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
        // Peer addresses reach handlers for per-IP rate limits.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, service)
            .with_graceful_shutdown(stop.clone().cancelled_owned());
        let mut serving = tokio::spawn(async move { server.await });
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
        if let Err(e) = workers.await {
            tracing::error!(error = %e, "a background worker failed");
        }
        Ok(served??)
    }
}

/// Periodic housekeeping until `stop`: pruning expired rate-limit windows.
async fn maintenance(ctx: ServiceContext, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {
                if let Err(e) = hearth_service::maintenance::run(&ctx).await {
                    tracing::warn!(error = ?e, "maintenance failed; retrying at the next tick");
                }
            }
        }
    }
}

/// Assembles every route of the instance.
pub fn router(ctx: ServiceContext) -> Router {
    let metrics = metrics::Metrics::new(ctx.pool.clone());
    let max_body = ctx.settings.http.max_body_bytes;
    let app = Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(hearth_api::router())
        .merge(hearth_web::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx);
    let metrics_route = Router::new()
        .route("/metrics", get(metrics::serve_metrics))
        .with_state(metrics.clone());
    app.merge(metrics_route)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::track,
        ))
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
