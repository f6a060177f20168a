//! People: finding them by `name` or `name@host`.

use crate::ServiceContext;
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
