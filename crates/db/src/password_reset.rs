//! One-time password reset links (`password_reset`): stored as SHA-256 digests of the token an
//! administrator hands to the person or a mail carries; a link is used once and expires.

use sqlx::PgExecutor;

/// Stores a reset token's digest for `person_id`, valid for `valid_secs` seconds, made by the
/// admin `created_by` (or, with `None`, asked for by mail).
pub async fn insert(
    db: impl PgExecutor<'_>,
    person_id: i64,
    token_hash: &[u8],
    created_by: Option<i64>,
    valid_secs: f64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into password_reset (person_id, token_hash, created_by, expires_at)
         values ($1, $2, $3, now() + make_interval(secs => $4)) returning id",
        person_id,
        token_hash,
        created_by,
        valid_secs
    )
    .fetch_one(db)
    .await
}

/// How many reset links were mailed to `person_id` (not made by an admin) in the last hour.
pub async fn mailed_last_hour(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from password_reset
         where person_id = $1 and created_by is null and created_at > now() - interval '1 hour'",
    )
    .bind(person_id)
    .fetch_one(db)
    .await
}

/// The name of the local person a live (unused, unexpired) token resets, if any.
pub async fn live_owner(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select p.name from password_reset r join person p on p.id = r.person_id
         where r.token_hash = $1 and r.used_at is null and r.expires_at > now()",
        token_hash
    )
    .fetch_optional(db)
    .await
}

/// Marks a live token used; returns its person, or `None` when it is unknown, used or expired
/// (so two submissions of one link cannot both succeed).
pub async fn consume(db: impl PgExecutor<'_>, token_hash: &[u8]) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "update password_reset set used_at = now()
         where token_hash = $1 and used_at is null and expires_at > now()
         returning person_id",
        token_hash
    )
    .fetch_optional(db)
    .await
}
