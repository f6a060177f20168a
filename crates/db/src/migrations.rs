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

/// Applies every pending migration, after refusing a database migrated by a newer Hearth
/// ([`check_not_newer`]).
///
/// They run on a connection of their own, opened like the pool's but quieter, and closed
/// afterwards. The migrator begins with `create table if not exists _sqlx_migrations`, which
/// makes PostgreSQL answer with a NOTICE ("relation … already exists, skipping") at every start
/// and command, and sqlx logs notices at info: the connection asks for warnings and worse only.
/// And a migration may rightly take seconds (a new index on a big table), which sqlx would log
/// as a slow statement, with the whole migration's SQL, at warn.
pub async fn run(pool: &PgPool) -> Result<(), MigrationError> {
    check_not_newer(pool).await?;
    let options = (*pool.connect_options())
        .clone()
        .options([("client_min_messages", "warning")])
        .disable_statement_logging();
    let mut conn = PgConnection::connect_with(&options).await?;
    let result = MIGRATOR.run(&mut conn).await;
    let closed = conn.close().await;
    result?;
    closed?;
    Ok(())
}

/// The newest migration this binary knows (its schema version), if it knows any.
pub fn newest_known() -> Option<i64> {
    MIGRATOR.iter().map(|m| m.version).max()
}

/// The newest migration the database has applied successfully, if any (its schema version).
pub async fn newest_applied(pool: &PgPool) -> sqlx::Result<Option<i64>> {
    if !migrations_table_exists(pool).await? {
        return Ok(None);
    }
    sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
        .fetch_one(pool)
        .await
}

/// The database was migrated by a newer Hearth: it has applied migrations this binary does not
/// know, whose tables and columns this binary would misread or damage.
#[derive(Debug, thiserror::Error)]
#[error(
    "This database was migrated by a newer Hearth (schema {database}); this is {binary}. Upgrade Hearth or restore a backup."
)]
pub struct NewerSchema {
    /// The newest migration the database has applied.
    pub database: i64,
    /// The newest migration this binary knows.
    pub binary: i64,
}

/// Why migrating (or checking before it) failed.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database is newer than this binary.
    #[error(transparent)]
    Newer(#[from] NewerSchema),
    /// The database could not be read.
    #[error("cannot read the applied migrations: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Refuses a database that has applied a migration this binary does not know. Checked before
/// migrating: sqlx's own refusal ("migration … was previously applied but is missing") does not
/// tell the operator what to do.
pub async fn check_not_newer(pool: &PgPool) -> Result<(), MigrationError> {
    if !migrations_table_exists(pool).await? {
        return Ok(());
    }
    let known: HashSet<i64> = MIGRATOR.iter().map(|m| m.version).collect();
    let unknown: Option<i64> = sqlx::query_scalar::<_, i64>(
        "select version from _sqlx_migrations where success order by version desc",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .find(|v| !known.contains(v));
    match unknown {
        Some(database) => Err(NewerSchema {
            database,
            binary: newest_known().unwrap_or(0),
        }
        .into()),
        None => Ok(()),
    }
}

async fn migrations_table_exists(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar("select to_regclass('public._sqlx_migrations') is not null")
        .fetch_one(pool)
        .await
}

/// Compares the applied migrations with the compiled-in ones.
pub async fn status(pool: &PgPool) -> sqlx::Result<MigrationStatus> {
    let applied_versions: HashSet<i64> = if migrations_table_exists(pool).await? {
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
