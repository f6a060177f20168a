//! What every use case needs: the database pool and the settings, passed explicitly.

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
}

impl ServiceContext {
    /// Builds the context from its parts.
    pub fn new(pool: PgPool, settings: Arc<Settings>) -> Self {
        Self { pool, settings }
    }

    /// The ActivityPub id of a local person.
    pub fn person_ap_id(&self, name: &str) -> String {
        format!("{}/u/{name}", self.settings.public_base_url())
    }
}
