//! What a local account sets for itself: its public profile (display name, bio on `person`), its
//! preferences (NSFW, theme on `local_account`) and its password.

use sqlx::PgExecutor;

/// The preferences read on every signed-in page view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferencesRow {
    /// Whether posts marked NSFW are shown.
    pub show_nsfw: bool,
    /// `system`, `light` or `dark`.
    pub theme: String,
}

/// The preferences of a local account; `None` when the person has no local account.
pub async fn get(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Option<PreferencesRow>> {
    sqlx::query_as!(
        PreferencesRow,
        "select show_nsfw, theme from local_account where person_id = $1",
        person_id
    )
    .fetch_optional(db)
    .await
}

/// Everything the settings page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettingsRow {
    /// Shown instead of the name when set.
    pub display_name: Option<String>,
    /// The bio as written (markdown).
    pub bio: String,
    /// Whether posts marked NSFW are shown.
    pub show_nsfw: bool,
    /// `system`, `light` or `dark`.
    pub theme: String,
}

/// The settings of a local account; `None` when the person has no local account.
pub async fn settings(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Option<AccountSettingsRow>> {
    sqlx::query_as!(
        AccountSettingsRow,
        "select p.display_name, p.bio, a.show_nsfw, a.theme
         from person p join local_account a on a.person_id = p.id
         where p.id = $1",
        person_id
    )
    .fetch_optional(db)
    .await
}

/// Replaces the public profile of a local person: display name (`None` clears it) and bio.
pub async fn update_profile(
    db: impl PgExecutor<'_>,
    person_id: i64,
    display_name: Option<&str>,
    bio: &str,
    bio_html: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update person set display_name = $2, bio = $3, bio_html = $4, updated_at = now()
         where id = $1 and local",
        person_id,
        display_name,
        bio,
        bio_html
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces the preferences of a local account. `theme` must satisfy the column's check.
pub async fn update_preferences(
    db: impl PgExecutor<'_>,
    person_id: i64,
    show_nsfw: bool,
    theme: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update local_account set show_nsfw = $2, theme = $3, updated_at = now()
         where person_id = $1",
        person_id,
        show_nsfw,
        theme
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The stored argon2id PHC string of a local account.
pub async fn password_hash(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select password_hash from local_account where person_id = $1",
        person_id
    )
    .fetch_optional(db)
    .await
}

/// Stores a new password hash.
pub async fn set_password_hash(
    db: impl PgExecutor<'_>,
    person_id: i64,
    password_hash: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update local_account set password_hash = $2, updated_at = now() where person_id = $1",
        person_id,
        password_hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Revokes every token of the account except `keep` (the session that changed the password),
/// so that a changed password locks out whoever knew the old one. Returns how many went.
pub async fn revoke_other_tokens(
    db: impl PgExecutor<'_>,
    person_id: i64,
    keep: i64,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "delete from auth_token where person_id = $1 and id <> $2",
        person_id,
        keep
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
