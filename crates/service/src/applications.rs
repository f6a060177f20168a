//! Registration applications: admins list, approve and deny them.

use crate::auth::Viewer;
use crate::{ServiceContext, require_admin};
use hearth_core::{Error, Result};
use hearth_db::application::ApplicationRow;

/// Applications with `status` (`pending`, `approved`, `denied`, or all), oldest first.
pub async fn list(
    ctx: &ServiceContext,
    viewer: &Viewer,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<ApplicationRow>> {
    require_admin(viewer)?;
    Ok(hearth_db::application::list(&ctx.pool, status, after, limit).await?)
}

/// Approves a pending application: the account may sign in from now on.
#[tracing::instrument(skip_all, fields(application = id))]
pub async fn approve(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<()> {
    decide(ctx, viewer, id, "approved", None).await
}

/// Denies a pending application with an optional reason the applicant sees at sign-in.
#[tracing::instrument(skip_all, fields(application = id))]
pub async fn deny(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    reason: Option<&str>,
) -> Result<()> {
    let reason = crate::auth::optional_text(reason, "reason", 1000)?;
    decide(ctx, viewer, id, "denied", reason.as_deref()).await
}

async fn decide(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    status: &str,
    reason: Option<&str>,
) -> Result<()> {
    require_admin(viewer)?;
    let mut tx = ctx.pool.begin().await?;
    let Some(person_id) =
        hearth_db::application::decide(&mut *tx, id, status, viewer.person_id, reason).await?
    else {
        return Err(if hearth_db::application::exists(&mut *tx, id).await? {
            Error::conflict(
                "already_decided",
                "This application has already been decided.",
            )
        } else {
            Error::not_found("There is no application with this id.")
        });
    };
    hearth_db::person::set_approved(&mut *tx, person_id, status == "approved").await?;
    crate::notifications::application_decided(
        &mut tx,
        id,
        person_id,
        status == "approved",
        viewer.person_id,
        reason,
    )
    .await?;
    crate::mail::application_decided(ctx, &mut tx, person_id, status == "approved", reason).await?;
    tx.commit().await?;
    tracing::info!(person_id, status, "application decided");
    Ok(())
}
