//! First-start provisioning: the site row and the first administrator from the settings.

use crate::{ServiceContext, accounts};
use hearth_core::{Error, Result, Username};

/// What provisioning did on this start.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SetupOutcome {
    /// The site row was created now (first start).
    pub site_created: bool,
    /// The setup administrator was created now.
    pub admin_created: Option<String>,
}

/// Seeds the site settings and creates the setup administrator while no administrator exists.
/// Later starts change nothing: the settings only seed.
pub async fn provision(ctx: &ServiceContext) -> Result<SetupOutcome> {
    let settings = &ctx.settings;
    let site_created = hearth_db::site::seed(&ctx.pool, settings.registration).await?;
    crate::keys::backfill(ctx).await?;
    let mut outcome = SetupOutcome {
        site_created,
        admin_created: None,
    };
    let (Some(name), Some(password)) = (
        settings.setup.admin_username.as_deref(),
        settings.setup.admin_password.clone(),
    ) else {
        return Ok(outcome);
    };
    if hearth_db::person::admin_exists(&ctx.pool).await? {
        tracing::debug!("an administrator exists; setup.admin_* ignored");
        return Ok(outcome);
    }
    let name = Username::parse(name, "setup.admin_username")?;
    let created = accounts::create_local(ctx, &name, password, true)
        .await
        .map_err(|e| match e.kind {
            hearth_core::ErrorKind::Validation { reason, .. } => {
                Error::validation("setup.admin_password", reason)
            }
            _ => e,
        })?;
    tracing::info!(username = %created.name, "setup administrator created");
    outcome.admin_created = Some(created.name.to_string());
    Ok(outcome)
}
