//! Bearer tokens (`auth_token`): stored as SHA-256 digests, looked up on every signed-in request.
//! A token is live while it was used within the idle lifetime and issued within the absolute
//! one (`Lifetimes`); every lookup and list here sees live tokens only, and `delete_ended`
//! clears the others away.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Stores a token digest; returns the token's id.
pub async fn insert(
    db: impl PgExecutor<'_>,
    person_id: i64,
    token_hash: &[u8],
    label: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into auth_token (person_id, token_hash, label) values ($1, $2, $3) returning id",
        person_id,
        token_hash,
        label
    )
    .fetch_one(db)
    .await
}

/// How long tokens live, in seconds (`sessions.*` in the settings).
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Unused for longer than this, a token has ended.
    pub idle_secs: f64,
    /// Issued longer ago than this, a token has ended.
    pub absolute_secs: f64,
}

/// The signed-in account a token belongs to.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    /// The token's id.
    pub token_id: i64,
    /// The account's person id.
    pub person_id: i64,
    /// The account's name.
    pub name: String,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// When the token was last used (to throttle updates of that time).
    pub last_used_at: DateTime<Utc>,
    /// The account is banned from this instance right now.
    pub banned: bool,
    /// The site requires two-factor sign-in of staff and this account has not turned it on.
    pub second_factor_missing: bool,
    /// When the account last wrote (read-your-writes with read replicas).
    pub last_write_at: Option<DateTime<Utc>>,
}

/// Finds the approved, not deleted account that owns the live token with this digest. Deleting
/// an account deletes its tokens, but a sign-in that checked the password just before may still
/// store one after: such a token must not bring the account back.
pub async fn owner(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    lifetimes: Lifetimes,
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as!(
        TokenOwner,
        "select t.id as token_id, t.person_id, p.name, a.admin, t.last_used_at,
                (p.site_banned and (p.site_ban_expires_at is null or p.site_ban_expires_at > now()))
                    as \"banned!\",
                (coalesce((select s.require_staff_two_factor from site s), false)
                 and not exists (select 1 from two_factor f
                                 where f.person_id = t.person_id and f.enabled_at is not null))
                    as \"second_factor_missing!\",
                a.last_write_at
         from auth_token t
         join person p on p.id = t.person_id
         join local_account a on a.person_id = t.person_id
         where t.token_hash = $1 and a.approved and not p.deleted
           and t.last_used_at > now() - make_interval(secs => $2)
           and t.created_at > now() - make_interval(secs => $3)",
        token_hash,
        lifetimes.idle_secs,
        lifetimes.absolute_secs
    )
    .fetch_optional(db)
    .await
}

/// Records a use of the token.
pub async fn touch(db: impl PgExecutor<'_>, token_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update auth_token set last_used_at = now() where id = $1",
        token_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A token as its owner sees it in the list (never the token itself).
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// The token's id.
    pub id: i64,
    /// What signed in with it (the client's user agent).
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it was last used.
    pub last_used_at: DateTime<Utc>,
}

/// The account's live tokens, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    person_id: i64,
    lifetimes: Lifetimes,
) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        "select id, label, created_at, last_used_at from auth_token
         where person_id = $1
           and last_used_at > now() - make_interval(secs => $2)
           and created_at > now() - make_interval(secs => $3)
         order by id desc",
        person_id,
        lifetimes.idle_secs,
        lifetimes.absolute_secs
    )
    .fetch_all(db)
    .await
}

/// Revokes one of the account's tokens; false when it has no such token.
pub async fn delete(db: impl PgExecutor<'_>, person_id: i64, token_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from auth_token where id = $1 and person_id = $2",
        token_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every token of the account (signing out everywhere). Returns how many went.
pub async fn delete_all(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!("delete from auth_token where person_id = $1", person_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes the tokens that have ended (idle or too old). Returns how many went.
pub async fn delete_ended(db: impl PgExecutor<'_>, lifetimes: Lifetimes) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from auth_token
         where last_used_at <= now() - make_interval(secs => $1)
            or created_at <= now() - make_interval(secs => $2)",
        lifetimes.idle_secs,
        lifetimes.absolute_secs
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
