//! People: finding them by `name` or `name@host`.

use crate::ServiceContext;
use crate::auth::digest;
use hearth_core::{ActorRef, Error, Result};
use hearth_db::person::PersonRow;

/// Finds a person by `name` or `name@host`; `field` names the input in errors.
pub async fn find(ctx: &ServiceContext, reference: &str, field: &str) -> Result<PersonRow> {
    let reference = ActorRef::parse(reference, field)?;
    let not_found = || Error::not_found(format!("There is no user `{}` here.", reference.name));
    let found = match (
        reference.local_name(&ctx.settings.hostname),
        &reference.host,
    ) {
        (Some(name), _) => hearth_db::person::find_local(&ctx.pool, name).await?,
        (None, Some(host)) => {
            hearth_db::person::remote_by_name(&ctx.pool, &reference.name, host).await?
        }
        (None, None) => None,
    };
    found.ok_or_else(not_found)
}

/// The signed-in account's person row and email address.
pub async fn me(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
) -> Result<(PersonRow, Option<String>)> {
    let person = hearth_db::person::find(&ctx.pool, viewer.person_id)
        .await?
        .ok_or_else(|| Error::not_found("This account no longer exists."))?;
    let email = hearth_db::person::account(&ctx.pool, viewer.person_id)
        .await?
        .and_then(|a| a.email);
    Ok((person, email))
}

/// Makes a local account an administrator, or takes the rights away (admins). The last
/// administrator keeps them.
pub async fn set_admin(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
    user: &str,
    admin: bool,
) -> Result<()> {
    crate::require_admin(viewer)?;
    let person = find(ctx, user, "user").await?;
    if !person.local {
        return Err(Error::validation(
            "user",
            "must be an account of this instance",
        ));
    }
    if !admin && person.admin {
        let admins = hearth_db::person::admin_count(&ctx.pool).await?;
        if admins <= 1 {
            return Err(Error::conflict(
                "last_admin",
                "The instance needs at least one administrator.",
            ));
        }
    }
    hearth_db::person::set_admin(&ctx.pool, person.id, admin).await?;
    tracing::info!(person = person.id, admin, "administrator rights changed");
    Ok(())
}

/// A local account as the admins' people list shows it.
pub type LocalAccount = hearth_db::person::LocalAccountRow;

/// Local accounts whose name or display name contains `text` (all when empty), by name, after
/// the name `after` (admins).
pub async fn list_local(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
    text: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<LocalAccount>> {
    crate::require_admin(viewer)?;
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    Ok(hearth_db::person::local_accounts(&ctx.pool, text, after, limit).await?)
}

/// Finds a local account by name for an admin action on it.
async fn find_local_account(ctx: &ServiceContext, user: &str) -> Result<PersonRow> {
    let person = find(ctx, user, "user").await?;
    if !person.local {
        return Err(Error::validation(
            "user",
            "must be an account of this instance",
        ));
    }
    Ok(person)
}

/// Ends every session of a local account (admins): all its tokens are deleted, so the web
/// session and every API token stop working at once. Returns how many ended.
#[tracing::instrument(skip_all, fields(admin = viewer.person_id))]
pub async fn end_sessions(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
    user: &str,
) -> Result<u64> {
    crate::require_admin(viewer)?;
    let person = find_local_account(ctx, user).await?;
    let ended = hearth_db::token::delete_all(&ctx.pool, person.id).await?;
    tracing::info!(person = person.id, ended, "sessions ended by an admin");
    Ok(ended)
}

/// How long a password reset link works.
pub const PASSWORD_RESET_LIFETIME_SECS: f64 = 3600.0;

/// Creates a one-time password reset token for a local account (admins); the token is shown
/// once (only its digest is stored) and works for an hour.
#[tracing::instrument(skip_all, fields(admin = viewer.person_id))]
pub async fn create_password_reset(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
    user: &str,
) -> Result<secrecy::SecretString> {
    crate::require_admin(viewer)?;
    let person = find_local_account(ctx, user).await?;
    let token = crate::auth::new_token();
    hearth_db::password_reset::insert(
        &ctx.pool,
        person.id,
        &digest(&token),
        Some(viewer.person_id),
        PASSWORD_RESET_LIFETIME_SECS,
    )
    .await?;
    tracing::info!(person = person.id, "password reset link created");
    Ok(secrecy::SecretString::from(token))
}

fn reset_link_gone() -> Error {
    Error::not_found("This password reset link is unknown, already used or expired.")
}

/// The name of the account a live password reset token is for.
pub async fn password_reset_owner(ctx: &ServiceContext, token: &str) -> Result<String> {
    hearth_db::password_reset::live_owner(&ctx.pool, &digest(token))
        .await?
        .ok_or_else(reset_link_gone)
}

/// Sets a new password with a live reset token (validated like at sign-up), uses the token up
/// and ends every session of the account.
pub async fn reset_password(
    ctx: &ServiceContext,
    token: &str,
    new_password: secrecy::SecretString,
) -> Result<()> {
    // The link is checked first, so that a used link says so whatever was typed.
    password_reset_owner(ctx, token).await?;
    crate::password::validate(&new_password, "password")?;
    let hash = crate::password::hash(new_password).await?;
    let mut tx = ctx.pool.begin().await?;
    let person_id = hearth_db::password_reset::consume(&mut *tx, &digest(token))
        .await?
        .ok_or_else(reset_link_gone)?;
    hearth_db::preferences::set_password_hash(&mut *tx, person_id, &hash).await?;
    let ended = hearth_db::token::delete_all(&mut *tx, person_id).await?;
    tx.commit().await?;
    tracing::info!(person = person_id, ended, "password reset");
    Ok(())
}
