//! Two-factor sign-in (`two_factor`, `two_factor_recovery`): an account's TOTP secret, whether
//! its enrolment is confirmed, the last time step a code was accepted for (the replay guard), and
//! the SHA-256 digests of its single-use recovery codes.

use sqlx::PgExecutor;

/// An account's two-factor row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TwoFactor {
    /// The shared TOTP secret (raw bytes). Never logged, never shown after enrolment.
    pub secret: Vec<u8>,
    /// True once a first code confirmed the enrolment; only then is a code required to sign in.
    pub enabled: bool,
    /// The last time step a code was accepted for.
    pub last_used_step: Option<i64>,
}

/// The account's two-factor row, enrolled or still waiting for its confirmation code.
pub async fn get(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Option<TwoFactor>> {
    sqlx::query_as::<_, TwoFactor>(
        "select secret, enabled_at is not null as enabled, last_used_step
         from two_factor where person_id = $1",
    )
    .bind(person_id)
    .fetch_optional(db)
    .await
}

/// Starts (or restarts) an enrolment with a new secret. Returns false, changing nothing, when
/// two-factor sign-in is already enabled: an enabled secret is replaced only by disabling first.
pub async fn begin(db: impl PgExecutor<'_>, person_id: i64, secret: &[u8]) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into two_factor (person_id, secret) values ($1, $2)
         on conflict (person_id) do update
             set secret = excluded.secret, last_used_step = null, created_at = now()
             where two_factor.enabled_at is null",
    )
    .bind(person_id)
    .bind(secret)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Confirms a pending enrolment whose first code matched time step `step`. Returns false when
/// there was no pending enrolment (none started, or already confirmed by a concurrent request).
pub async fn enable(db: impl PgExecutor<'_>, person_id: i64, step: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update two_factor set enabled_at = now(), last_used_step = $2
         where person_id = $1 and enabled_at is null",
    )
    .bind(person_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records that a code of time step `step` was used; returns false when a code of this step or
/// a later one was already used, so the same code (or an older one) cannot be used again. One
/// statement, so two concurrent sign-ins with the same code cannot both pass.
pub async fn use_step(db: impl PgExecutor<'_>, person_id: i64, step: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update two_factor set last_used_step = $2
         where person_id = $1 and enabled_at is not null
           and (last_used_step is null or last_used_step < $2)",
    )
    .bind(person_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the account's recovery codes with these digests.
pub async fn replace_recovery_codes(
    conn: &mut sqlx::PgConnection,
    person_id: i64,
    code_hashes: &[Vec<u8>],
) -> sqlx::Result<()> {
    sqlx::query("delete from two_factor_recovery where person_id = $1")
        .bind(person_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into two_factor_recovery (person_id, code_hash)
         select $1, h from unnest($2::bytea[]) as h on conflict do nothing",
    )
    .bind(person_id)
    .bind(code_hashes)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Spends an unused recovery code with this digest; returns false when there is none.
pub async fn use_recovery_code(
    db: impl PgExecutor<'_>,
    person_id: i64,
    code_hash: &[u8],
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update two_factor_recovery set used_at = now()
         where person_id = $1 and code_hash = $2 and used_at is null",
    )
    .bind(person_id)
    .bind(code_hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many unused recovery codes the account has left.
pub async fn recovery_codes_left(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "select count(*) from two_factor_recovery where person_id = $1 and used_at is null",
    )
    .bind(person_id)
    .fetch_one(db)
    .await
}

/// Removes the account's two-factor secret and recovery codes (disabling, or deleting the
/// account).
pub async fn delete(conn: &mut sqlx::PgConnection, person_id: i64) -> sqlx::Result<()> {
    sqlx::query("delete from two_factor_recovery where person_id = $1")
        .bind(person_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("delete from two_factor where person_id = $1")
        .bind(person_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
