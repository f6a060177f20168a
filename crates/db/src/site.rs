//! The single `site` row: instance-wide settings admins change at runtime.

use sqlx::PgExecutor;

/// Creates the site row with this registration mode unless it exists; later starts leave it be.
/// Returns true when the row was created now.
pub async fn seed(db: impl PgExecutor<'_>, registration_mode: &str) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into site (registration_mode) values ($1) on conflict (id) do nothing",
        registration_mode
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The current registration mode, if the site row exists.
pub async fn registration_mode(db: impl PgExecutor<'_>) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("select registration_mode from site")
        .fetch_optional(db)
        .await
}
