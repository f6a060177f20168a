//! Your notifications: replies, mentions, moderators' actions on your content and on you,
//! report outcomes, join answers and registration decisions; listing them, the unread count,
//! and marking them read.

use crate::auth::AuthUser;
use crate::extract::{ApiPath, ApiQuery};
use crate::paging;
use crate::views::{ErrorBody, Page, handle};
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use hearth_core::Result;
use hearth_db::notification::{NotificationFilter, NotificationRow};
use hearth_service::ServiceContext;
use hearth_service::notifications;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A notification.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// Its id.
    pub id: i64,
    /// What happened: `reply`, `mention`, `post_removed`, `post_restored`, `comment_removed`,
    /// `comment_restored`, `post_locked`, `post_unlocked`, `banned`, `unbanned`,
    /// `report_resolved`, `report_dismissed`, `join_approved`, `join_denied`,
    /// `application_approved` or `application_denied`.
    pub kind: String,
    /// Whether you have marked it read.
    pub read: bool,
    /// Who caused it (`name` or `name@host`), when known.
    pub actor: Option<String>,
    /// Their display name.
    pub actor_display_name: Option<String>,
    /// The community (`name` or `name@host`), when it concerns one.
    pub community: Option<String>,
    /// The post concerned.
    pub post_id: Option<i64>,
    /// Its title.
    pub post_title: Option<String>,
    /// The comment concerned (the reply, the mentioning comment, the removed comment).
    pub comment_id: Option<i64>,
    /// That comment's body, as sanitised HTML.
    pub comment_html: Option<String>,
    /// The moderator's or admin's reason.
    pub reason: String,
    /// Until when (bans).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

impl From<NotificationRow> for NotificationView {
    fn from(n: NotificationRow) -> Self {
        Self {
            id: n.id,
            kind: n.kind.as_str().to_owned(),
            read: n.read,
            actor: n.actor_name.map(|name| handle(name, n.actor_host)),
            actor_display_name: n.actor_display_name,
            community: n.community_name.map(|name| handle(name, n.community_host)),
            post_id: n.post_id,
            post_title: n.post_title,
            comment_id: n.comment_id,
            comment_html: n.comment_html,
            reason: n.reason,
            expires_at: n.expires_at,
            created_at: n.created_at,
        }
    }
}

/// Filters of the notification list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Only unread ones (default: all).
    #[serde(default)]
    pub unread: bool,
    /// Only this kind (see `NotificationView.kind`).
    pub kind: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Your notifications, newest first. Those caused by people or about communities you block are
/// left out.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(NotificationsQuery),
    responses((status = 200, body = Page<NotificationView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn list(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiQuery(query): ApiQuery<NotificationsQuery>,
) -> Result<Json<Page<NotificationView>>> {
    let limit = paging::limit(query.limit)?;
    let filter = NotificationFilter {
        unread_only: query.unread,
        kind: query
            .kind
            .as_deref()
            .map(notifications::parse_kind)
            .transpose()?,
        before: paging::decode_id(query.cursor.as_deref())?,
    };
    let rows = notifications::list(&ctx, &viewer, filter, limit + 1).await?;
    Ok(Json(paging::page_by_id(
        rows,
        limit,
        |n| n.id,
        NotificationView::from,
    )))
}

/// How many notifications you have not read.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// The count.
    pub unread: i64,
}

/// The number of your unread notifications (what the bell shows).
#[utoipa::path(get, path = "/api/v1/notifications/unread_count", tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = UnreadCount), (status = 401, body = ErrorBody)))]
pub async fn unread_count(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<UnreadCount>> {
    let unread = notifications::unread_count(&ctx, &viewer).await?;
    Ok(Json(UnreadCount { unread }))
}

/// Marks one of your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The notification")),
    responses((status = 200, body = UnreadCount, description = "The unread count after"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mark_read(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UnreadCount>> {
    notifications::mark(&ctx, &viewer, id, true).await?;
    let unread = notifications::unread_count(&ctx, &viewer).await?;
    Ok(Json(UnreadCount { unread }))
}

/// Marks one of your notifications unread again.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/unread", tag = "notifications",
    security(("bearer" = [])), params(("id" = i64, Path, description = "The notification")),
    responses((status = 200, body = UnreadCount, description = "The unread count after"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn mark_unread(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<UnreadCount>> {
    notifications::mark(&ctx, &viewer, id, false).await?;
    let unread = notifications::unread_count(&ctx, &viewer).await?;
    Ok(Json(UnreadCount { unread }))
}

/// How many notifications a "mark all read" changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedAll {
    /// Notifications that were unread.
    pub marked: u64,
}

/// Marks all your notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read_all", tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, body = MarkedAll), (status = 401, body = ErrorBody)))]
pub async fn mark_all_read(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<MarkedAll>> {
    let marked = notifications::mark_all_read(&ctx, &viewer).await?;
    Ok(Json(MarkedAll { marked }))
}
