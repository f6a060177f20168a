//! What the read-replica checks ask: the primary's WAL position, and a standby's replayed
//! position. Positions are bytes into the WAL (`pg_lsn` minus `0/0`), so they compare as
//! numbers.

use sqlx::PgExecutor;

/// Where the primary has written its WAL up to.
pub async fn primary_position(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint as "position!""#
    )
    .fetch_one(db)
    .await
}

/// Where a standby has replayed the primary's WAL up to; `None` when the server is not a
/// standby (a promoted former replica, or a primary named by mistake).
pub async fn replayed_position(db: impl PgExecutor<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"select case when pg_is_in_recovery()
                       then pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint
                  end as position"#
    )
    .fetch_one(db)
    .await
}

/// Records that the person wrote just now, for read-your-writes: their reads go to the primary
/// for `database.read_your_writes_secs` from here (the token lookup reads it back).
pub async fn record_write(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update local_account set last_write_at = now() where person_id = $1",
        person_id
    )
    .execute(db)
    .await?;
    Ok(())
}
