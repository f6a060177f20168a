//! The first-run setup codes (`setup_code`): the SHA-256 of each one-time code a start printed
//! while no administrator existed.
//!
//! These queries are unchecked (`sqlx::query`, not `query!`) because the table was added
//! without regenerating `.sqlx/`; they are fixed SQL with bound values, and the setup journey's
//! tests run them. Make them checked at the next `scripts/sqlx-prepare`.

use sqlx::{PgConnection, PgExecutor};

/// Stores the hash of a new setup code.
pub async fn insert(db: impl PgExecutor<'_>, code_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("insert into setup_code (code_hash) values ($1) on conflict do nothing")
        .bind(code_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Uses up the setup codes in the caller's transaction when `code_hash` is one of them: every
/// code is removed (one administrator is made once) and true returned. A concurrent caller with
/// a valid code waits for this transaction and then finds none.
pub async fn consume(conn: &mut PgConnection, code_hash: &[u8]) -> sqlx::Result<bool> {
    let removed = sqlx::query(
        "delete from setup_code
         where exists (select 1 from setup_code where code_hash = $1)",
    )
    .bind(code_hash)
    .execute(&mut *conn)
    .await?;
    Ok(removed.rows_affected() > 0)
}

/// Removes every setup code (an administrator exists, made some other way).
pub async fn clear(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query("delete from setup_code").execute(db).await?;
    Ok(())
}
