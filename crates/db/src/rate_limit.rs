//! Fixed-window request counters (`rate_limit_bucket`), shared by every process on the database.

use sqlx::PgExecutor;

/// The state of a bucket after a hit.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Requests counted in the current window, this one included.
    pub count: i32,
    /// Seconds until the window ends.
    pub seconds_left: f64,
}

/// Counts one request against `key` in the current window of `window_secs`.
pub async fn hit(db: impl PgExecutor<'_>, key: &str, window_secs: i32) -> sqlx::Result<Hit> {
    let row = sqlx::query!(
        r#"insert into rate_limit_bucket (key, window_start, count)
           values ($1, to_timestamp(floor(extract(epoch from now())::float8 / $2::float8) * $2::float8), 1)
           on conflict (key, window_start) do update set count = rate_limit_bucket.count + 1
           returning count,
                     extract(epoch from (window_start + make_interval(secs => $2::float8) - now()))::float8 as "seconds_left!""#,
        key,
        f64::from(window_secs)
    )
    .fetch_one(db)
    .await?;
    Ok(Hit {
        count: row.count,
        seconds_left: row.seconds_left,
    })
}

/// Deletes windows that ended more than a day ago; returns how many.
pub async fn prune(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from rate_limit_bucket where window_start < now() - interval '2 days'"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
