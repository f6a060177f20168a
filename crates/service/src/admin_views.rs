//! What the admins' screens of the Lemmy client API read: registration applications by page,
//! by id or by applicant, their count, and every upload of the instance. Admins only; changes
//! go through `applications`, `admin` and `media`.

use crate::auth::Viewer;
use crate::{ServiceContext, require_admin};
use hearth_core::{Error, Result};

pub use hearth_db::admin_views::{ApplicationEntry, UploadEntry};

/// One numbered page of applications (only pending ones when `pending_only`), newest first.
pub async fn applications(
    ctx: &ServiceContext,
    viewer: &Viewer,
    pending_only: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<ApplicationEntry>> {
    require_admin(viewer)?;
    Ok(hearth_db::admin_views::applications(&ctx.pool, pending_only, limit, offset).await?)
}

/// The application with this id; 404 when there is none.
pub async fn application(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
) -> Result<ApplicationEntry> {
    require_admin(viewer)?;
    hearth_db::admin_views::application(&ctx.pool, Some(id), None)
        .await?
        .ok_or_else(|| Error::not_found("There is no application with this id."))
}

/// The latest application of this applicant; 404 when they filed none.
pub async fn application_of(
    ctx: &ServiceContext,
    viewer: &Viewer,
    person_id: i64,
) -> Result<ApplicationEntry> {
    require_admin(viewer)?;
    hearth_db::admin_views::application(&ctx.pool, None, Some(person_id))
        .await?
        .ok_or_else(|| Error::not_found("This person filed no application."))
}

/// How many applications wait for a decision.
pub async fn pending_application_count(ctx: &ServiceContext, viewer: &Viewer) -> Result<i64> {
    require_admin(viewer)?;
    Ok(hearth_db::admin_views::pending_application_count(&ctx.pool).await?)
}

/// One numbered page of every upload of the instance, newest first.
pub async fn uploads(
    ctx: &ServiceContext,
    viewer: &Viewer,
    limit: i64,
    offset: i64,
) -> Result<Vec<UploadEntry>> {
    require_admin(viewer)?;
    Ok(hearth_db::admin_views::uploads(&ctx.pool, limit, offset).await?)
}
