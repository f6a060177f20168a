//! Hearth's ActivityPub face: actors (Group, Person, the instance Application), objects (Page,
//! Note) and the one gate every object from outside passes (`ingest`), collections, WebFinger
//! and NodeInfo, resolving remote things, the inbox and the typed activities it applies
//! (`activities`), and the outbox with its delivery workers.

pub(crate) mod activities;
pub mod backfill;
pub mod blocklists;
pub mod delivery;
pub mod discovery;
pub mod inbox;
pub mod inbox_append;
pub mod inbox_apply;
pub(crate) mod inbox_signature;
pub(crate) mod ingest;
pub mod nodeinfo;
pub mod objects;
pub mod outbox;
pub mod protocol;
pub mod received;
pub mod remote_media;
pub mod resolve;
pub mod serve;
pub mod signing;
pub mod urls;

use activitypub_federation::config::FederationConfig;
use activitypub_federation::resolver::ValidatingDnsResolver;
use axum::Router;
use hearth_service::ServiceContext;
use std::time::Duration;

/// What the federation routes share: the library's configuration, whose app data is the
/// service context.
#[derive(Clone)]
pub struct FederationState {
    /// The library configuration.
    pub config: FederationConfig<ServiceContext>,
    /// The service context (the same as the configuration's app data).
    pub ctx: ServiceContext,
    /// Appends verified activities to the inbox queue, many per commit.
    pub appender: inbox_append::Appender,
    /// How full the inbox queue is.
    pub backlog: std::sync::Arc<inbox_append::Backlog>,
}

impl FederationState {
    /// The state for a configuration built by `config` (starts the inbox's appending task, so
    /// it is called inside the runtime).
    pub fn new(config: FederationConfig<ServiceContext>) -> Self {
        let ctx = config.to_request_data().app_data().clone();
        Self {
            appender: inbox_append::Appender::start(ctx.pool.clone()),
            backlog: std::sync::Arc::default(),
            config,
            ctx,
        }
    }
}

/// Builds the library configuration: our authority as its domain, debug mode exactly when
/// `federation.debug_local` is on, Mastodon-compatible signatures, fetches signed as the
/// instance actor, and an HTTP client that refuses private addresses unless `debug_local` (the
/// library's default client decides that by build profile instead of by our setting).
pub async fn config(ctx: ServiceContext) -> anyhow::Result<FederationConfig<ServiceContext>> {
    let debug = ctx.settings.federation.debug_local;
    let client = http_client(&ctx.settings, Duration::from_secs(10))?;
    let instance = objects::instance::ApubInstance::load(&ctx).await?;
    let verifier = PolicyVerifier { ctx: ctx.clone() };
    let config = FederationConfig::builder()
        .domain(ctx.settings.hostname.as_str())
        .url_verifier(Box::new(verifier))
        .app_data(ctx)
        .client(client.into())
        .debug(debug)
        .http_signature_compat(true)
        .signed_fetch_actor(&instance)
        .build()
        .await?;
    Ok(config)
}

/// Refuses to fetch from, or accept ids of, servers the federation policy blocks, and URLs
/// [`urls::check_fetchable`] refuses (internal IP literals, other schemes).
#[derive(Clone)]
struct PolicyVerifier {
    ctx: ServiceContext,
}

#[async_trait::async_trait]
impl activitypub_federation::config::UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &url::Url) -> Result<(), activitypub_federation::error::Error> {
        urls::check_fetchable(url, self.ctx.settings.federation.debug_local).map_err(
            |refused| activitypub_federation::error::Error::UrlVerificationError(refused.0),
        )?;
        let Some(authority) = urls::authority(url) else {
            return Ok(());
        };
        match hearth_service::policy::allows(&self.ctx, &authority).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(activitypub_federation::error::Error::UrlVerificationError(
                "the server is blocked by this instance's federation policy",
            )),
            Err(e) => Err(activitypub_federation::error::Error::Other(e.to_string())),
        }
    }
}

/// The HTTP client for talking to other servers: no redirects, a timeout, our user agent, and
/// a resolver that refuses names of private and loopback addresses unless `debug_local`. The
/// resolver never sees IP literals: check every URL with [`urls::check_fetchable`] before
/// requesting it.
pub fn http_client(
    settings: &hearth_core::Settings,
    timeout: Duration,
) -> anyhow::Result<reqwest::Client> {
    http_client_resolving(settings, timeout, |validating| validating)
}

/// [`http_client`] with its resolver wrapped by `wrap` (the delivery client keeps answers for
/// a while); whatever `wrap` returns must only answer what the validating resolver it is given
/// accepted.
pub fn http_client_resolving(
    settings: &hearth_core::Settings,
    timeout: Duration,
    wrap: impl FnOnce(
        std::sync::Arc<dyn reqwest::dns::Resolve>,
    ) -> std::sync::Arc<dyn reqwest::dns::Resolve>,
) -> anyhow::Result<reqwest::Client> {
    let validating: std::sync::Arc<dyn reqwest::dns::Resolve> = std::sync::Arc::new(
        ValidatingDnsResolver::new(Vec::new(), !settings.federation.debug_local),
    );
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(format!(
            "Hearth/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.public_base_url()
        ))
        .dns_resolver(wrap(validating))
        .build()?)
}

/// The inbox routes (shared and per actor), served whatever the request accepts.
pub fn inbox_router(state: FederationState) -> Router {
    inbox::routes().with_state(state)
}

/// The routes served only to requests that ask for ActivityPub JSON.
pub fn negotiated_router(state: FederationState) -> Router {
    serve::routes().with_state(state)
}

/// The discovery routes, served to everyone.
pub fn discovery_router(state: FederationState) -> Router {
    discovery::routes().with_state(state)
}
