//! Instance secrets that belong to no actor (the JWT signing key), made once on first use.

use sqlx::PgExecutor;

/// The secret called `name`; stores `candidate` first when there is none yet (two processes
/// racing both end up with the one that was stored first).
pub async fn get_or_create(
    db: impl PgExecutor<'_>,
    name: &str,
    candidate: &[u8],
) -> sqlx::Result<Vec<u8>> {
    sqlx::query_scalar::<_, Vec<u8>>(
        "with made as (
             insert into secret (name, value) values ($1, $2)
             on conflict (name) do nothing
             returning value
         )
         select value from made
         union all
         select value from secret where name = $1
         limit 1",
    )
    .bind(name)
    .bind(candidate)
    .fetch_one(db)
    .await
}
