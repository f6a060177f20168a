//! Applying migrations and telling whether a database is current with this binary.

use crate::MIGRATOR;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
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
///
/// They run on a connection of their own, opened like the pool's but quieter, and closed
/// afterwards. The migrator begins with `create table if not exists _sqlx_migrations`, which
/// makes PostgreSQL answer with a NOTICE ("relation … already exists, skipping") at every start
/// and command, and sqlx logs notices at info: the connection asks for warnings and worse only.
/// And a migration may rightly take seconds (a new index on a big table), which sqlx would log
/// as a slow statement, with the whole migration's SQL, at warn.
pub async fn run(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let options = (*pool.connect_options())
        .clone()
        .options([("client_min_messages", "warning")])
        .disable_statement_logging();
    let mut conn = PgConnection::connect_with(&options).await?;
    let result = MIGRATOR.run(&mut conn).await;
    let closed = conn.close().await;
    result?;
    Ok(closed?)
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
