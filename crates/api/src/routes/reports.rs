//! Reports: filing them, and moderators' queue and decisions.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{ErrorBody, Page, handle};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hearth_core::{Error, Result};
use hearth_service::ServiceContext;
use hearth_service::reports::{self, Reported};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A report to file: a post or a comment, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The post reported (or give `comment_id`).
    pub post_id: Option<i64>,
    /// The comment reported.
    pub comment_id: Option<i64>,
    /// Why: 1–1,000 characters.
    pub reason: String,
}

/// A report, as moderators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// The report's id.
    pub id: i64,
    /// The community, `name` or `name@host`.
    pub community: String,
    /// Who reported (`name` or `name@host`), when known here.
    pub reporter: Option<String>,
    /// The post reported, or the post of the comment reported.
    pub post_id: Option<i64>,
    /// The post's title.
    pub post_title: Option<String>,
    /// The comment reported.
    pub comment_id: Option<i64>,
    /// Why.
    pub reason: String,
    /// `pending`, `resolved` or `dismissed`.
    pub status: String,
    /// Who decided, when known here.
    pub resolved_by: Option<String>,
    /// What the deciding moderator noted here (empty: nothing).
    pub resolution_note: String,
    /// When it was decided.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

impl From<hearth_db::report::ReportRow> for ReportView {
    fn from(r: hearth_db::report::ReportRow) -> Self {
        Self {
            id: r.id,
            community: handle(r.community_name, r.community_host),
            reporter: r.reporter_name.map(|n| handle(n, r.reporter_host)),
            post_id: r.post_id,
            post_title: r.post_title,
            comment_id: r.comment_id,
            reason: r.reason,
            status: r.status,
            resolved_by: r.resolver_name,
            resolution_note: r.resolution_note,
            resolved_at: r.resolved_at,
            created_at: r.created_at,
        }
    }
}

/// Reports a post or comment to its community's moderators, wherever they are.
#[utoipa::path(post, path = "/api/v1/reports", tag = "moderation", security(("bearer" = [])),
    request_body = ReportRequest,
    responses((status = 201, body = ReportView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn create(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<ReportRequest>,
) -> Result<(StatusCode, Json<ReportView>)> {
    let reported = match (body.post_id, body.comment_id) {
        (Some(post), None) => Reported::Post(post),
        (None, Some(comment)) => Reported::Comment(comment),
        _ => {
            return Err(Error::validation(
                "post_id",
                "give either `post_id` or `comment_id`",
            ));
        }
    };
    let report = reports::create(&ctx, &viewer, reported, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(report.into())))
}

/// Filters of the report queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// Only this community (`name` or `name@host`; you must moderate it).
    pub community: Option<String>,
    /// `pending`, `resolved` or `dismissed`; all when absent.
    pub status: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// The reports of the communities you moderate (admins: all), newest first.
#[utoipa::path(get, path = "/api/v1/reports", tag = "moderation", security(("bearer" = [])),
    params(ReportsQuery),
    responses((status = 200, body = Page<ReportView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not_moderator"),
        (status = 404, body = ErrorBody, description = "no such community (`community`)")))]
pub async fn list(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiQuery(query): ApiQuery<ReportsQuery>,
) -> Result<Json<Page<ReportView>>> {
    let limit = paging::limit(query.limit)?;
    let before = paging::decode_id(query.cursor.as_deref())?;
    let rows = reports::list(
        &ctx,
        &viewer,
        query.community.as_deref(),
        query.status.as_deref(),
        before,
        limit + 1,
    )
    .await?;
    Ok(Json(paging::page_by_id(
        rows,
        limit,
        |r| r.id,
        ReportView::from,
    )))
}

/// A decision on a report; the body is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// A note on the decision, kept here for the other moderators (at most 1,000 characters).
    pub note: Option<String>,
}

/// Marks a report resolved (its community's moderators; admins).
#[utoipa::path(post, path = "/api/v1/reports/{id}/resolve", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The report's id")),
    request_body(content = Option<DecisionRequest>),
    responses((status = 200, body = ReportView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn resolve(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    body: Option<ApiJson<DecisionRequest>>,
) -> Result<Json<ReportView>> {
    let note = body.and_then(|ApiJson(b)| b.note);
    Ok(Json(
        reports::decide(&ctx, &viewer, id, true, note.as_deref())
            .await?
            .into(),
    ))
}

/// Dismisses a report (its community's moderators; admins).
#[utoipa::path(post, path = "/api/v1/reports/{id}/dismiss", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The report's id")),
    request_body(content = Option<DecisionRequest>),
    responses((status = 200, body = ReportView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn dismiss(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    body: Option<ApiJson<DecisionRequest>>,
) -> Result<Json<ReportView>> {
    let note = body.and_then(|ApiJson(b)| b.note);
    Ok(Json(
        reports::decide(&ctx, &viewer, id, false, note.as_deref())
            .await?
            .into(),
    ))
}
