//! Instance administration: registration applications and site settings.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{ApplicationView, ErrorBody, Page, SiteView};
use axum::Json;
use axum::extract::State;
use hearth_core::{Error, Result};
use hearth_service::ServiceContext;
use hearth_service::applications;
use hearth_service::site::{self, SiteUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filters of the application list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationsQuery {
    /// `pending` (default), `approved`, `denied` or `all`.
    pub status: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Lists registration applications, oldest first (admins).
#[utoipa::path(get, path = "/api/v1/admin/applications", tag = "admin", security(("bearer" = [])),
    params(ApplicationsQuery),
    responses((status = 200, body = Page<ApplicationView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn list_applications(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiQuery(query): ApiQuery<ApplicationsQuery>,
) -> Result<Json<Page<ApplicationView>>> {
    let status = match query.status.as_deref() {
        None | Some("pending") => Some("pending"),
        Some(s @ ("approved" | "denied")) => Some(s),
        Some("all") => None,
        Some(_) => {
            return Err(Error::validation(
                "status",
                "must be `pending`, `approved`, `denied` or `all`",
            ));
        }
    };
    let limit = paging::limit(query.limit)?;
    let after = paging::decode_id(query.cursor.as_deref())?;
    let rows = applications::list(&ctx, &viewer, status, after, limit + 1).await?;
    Ok(Json(paging::page_by_id(
        rows,
        limit,
        |r| r.id,
        ApplicationView::from,
    )))
}

/// The outcome of a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// The application's id.
    pub id: i64,
    /// `approved` or `denied`.
    pub status: String,
}

/// Approves an application: the account may sign in.
#[utoipa::path(post, path = "/api/v1/admin/applications/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The application's id")),
    responses((status = 200, body = DecisionView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_decided")))]
pub async fn approve_application(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DecisionView>> {
    applications::approve(&ctx, &viewer, id).await?;
    Ok(Json(DecisionView {
        id,
        status: "approved".to_owned(),
    }))
}

/// Why an application is denied.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyRequest {
    /// Shown to the applicant when they try to sign in (at most 1000 characters).
    pub reason: Option<String>,
}

/// Denies an application, with an optional reason.
#[utoipa::path(post, path = "/api/v1/admin/applications/{id}/deny", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The application's id")),
    request_body(content = Option<DenyRequest>, description = "Optional: `{\"reason\": …}`"),
    responses((status = 200, body = DecisionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_decided")))]
pub async fn deny_application(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    body: Option<ApiJson<DenyRequest>>,
) -> Result<Json<DecisionView>> {
    let reason = body.and_then(|ApiJson(b)| b.reason);
    applications::deny(&ctx, &viewer, id, reason.as_deref()).await?;
    Ok(Json(DecisionView {
        id,
        status: "denied".to_owned(),
    }))
}

/// The instance's settings (admins).
#[utoipa::path(get, path = "/api/v1/admin/site", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SiteView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn get_site(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<SiteView>> {
    hearth_service::require_admin(&viewer)?;
    Ok(Json(site::get(&ctx).await?.into()))
}

/// Changes to the instance's settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSiteRequest {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Markdown, at most 10,000 characters.
    pub description: Option<String>,
    /// Markdown, at most 10,000 characters.
    pub rules: Option<String>,
    /// `open`, `approval` or `closed`.
    pub registration_mode: Option<String>,
    /// Asked of applicants in approval mode (at most 2,000 characters).
    pub application_question: Option<String>,
    /// Only admins may create communities.
    pub community_creation_admin_only: Option<bool>,
    /// Accept downvotes.
    pub downvotes_enabled: Option<bool>,
}

/// Updates the instance's settings (admins).
#[utoipa::path(patch, path = "/api/v1/admin/site", tag = "admin", security(("bearer" = [])),
    request_body = UpdateSiteRequest,
    responses((status = 200, body = SiteView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin"), (status = 422, body = ErrorBody)))]
pub async fn update_site(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<UpdateSiteRequest>,
) -> Result<Json<SiteView>> {
    let updated = site::update(
        &ctx,
        &viewer,
        SiteUpdate {
            name: body.name,
            description: body.description,
            rules: body.rules,
            registration_mode: body.registration_mode,
            application_question: body.application_question,
            community_creation_admin_only: body.community_creation_admin_only,
            downvotes_enabled: body.downvotes_enabled,
        },
    )
    .await?;
    Ok(Json(updated.into()))
}

/// The instance's public settings: name, rules, how to sign up.
#[utoipa::path(get, path = "/api/v1/site", tag = "site",
    responses((status = 200, body = SiteView)))]
pub async fn public_site(State(ctx): State<ServiceContext>) -> Result<Json<SiteView>> {
    Ok(Json(site::get(&ctx).await?.into()))
}
