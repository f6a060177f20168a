//! What every use case needs: the database pool and the settings, passed explicitly.

use crate::outbox::Outbox;
use crate::resolve::Resolver;
use hearth_core::Settings;
use sqlx::PgPool;
use std::sync::Arc;

/// Shared, cheaply cloned state of one Hearth instance.
#[derive(Clone)]
pub struct ServiceContext {
    /// The database pool.
    pub pool: PgPool,
    /// This instance's settings.
    pub settings: Arc<Settings>,
    /// Looks up things on other servers; `None` when federation is off.
    pub resolver: Option<Arc<dyn Resolver>>,
    /// Tells other servers about changes; `None` when federation is off.
    pub outbox: Option<Arc<dyn Outbox>>,
    /// This process's copy of the federation policy.
    pub policy: Arc<crate::policy::PolicyCache>,
    /// Where pictures are kept.
    pub media: hearth_media::MediaStore,
    /// Bounds the pictures decoded at once (`media.max_concurrent_decodes`).
    pub decodes: Arc<tokio::sync::Semaphore>,
    /// The read replicas (`database.replica_urls`; none by default): see [`ServiceContext::read`].
    pub replicas: Arc<crate::replicas::Replicas>,
    /// Pages rendered for anonymous readers (`http.anonymous_cache_ms`).
    pub read_cache: Arc<crate::read_cache::ReadCache>,
    /// Copies of people and communities that applying activities looks up again and again.
    pub lookups: Arc<crate::lookups::Lookups>,
}

impl ServiceContext {
    /// Builds the context from its parts, without a resolver.
    pub fn new(pool: PgPool, settings: Arc<Settings>) -> Self {
        let media = hearth_media::MediaStore::from_settings(&settings);
        let decodes = Arc::new(tokio::sync::Semaphore::new(
            settings.media.max_concurrent_decodes,
        ));
        let read_cache = Arc::new(crate::read_cache::ReadCache::new(
            std::time::Duration::from_millis(settings.http.anonymous_cache_ms),
        ));
        Self {
            media,
            decodes,
            read_cache,
            pool,
            settings,
            resolver: None,
            outbox: None,
            policy: Arc::default(),
            replicas: Arc::default(),
            lookups: Arc::default(),
        }
    }

    /// The same context, reading from `replicas` where a read may.
    pub fn with_replicas(mut self, replicas: Arc<crate::replicas::Replicas>) -> Self {
        self.replicas = replicas;
        self
    }

    /// The same context, resolving remote things with `resolver`.
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolver>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// The same context, telling other servers about changes through `outbox`.
    pub fn with_outbox(mut self, outbox: Arc<dyn Outbox>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// The ActivityPub id of a local person.
    pub fn person_ap_id(&self, name: &str) -> String {
        format!("{}/u/{name}", self.settings.public_base_url())
    }
}
