//! Applying migrations and telling whether a database is current with this binary.

use crate::MIGRATOR;
use sqlx::PgPool;
use std::collections::HashSet;

/// How the database's applied migrations compare with the ones compiled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    /// Migrations this binary knows.
    pub expected: usize,
    /// Of those, how many the database has applied successfully.
    pub applied: usize,
}

impl MigrationStatus {
    /// True when every migration this binary knows is applied.
    pub fn is_current(&self) -> bool {
        self.applied == self.expected
    }
}

/// Applies every pending migration.
pub async fn run(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// Compares the applied migrations with the compiled-in ones.
pub async fn status(pool: &PgPool) -> sqlx::Result<MigrationStatus> {
    let table_exists: bool =
        sqlx::query_scalar("select to_regclass('public._sqlx_migrations') is not null")
            .fetch_one(pool)
            .await?;
    let applied_versions: HashSet<i64> = if table_exists {
        sqlx::query_scalar("select version from _sqlx_migrations where success")
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let expected: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    Ok(MigrationStatus {
        expected: expected.len(),
        applied: expected
            .iter()
            .filter(|v| applied_versions.contains(v))
            .count(),
    })
}
