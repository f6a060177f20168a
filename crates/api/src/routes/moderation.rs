//! Moderators' actions on posts, comments and members, and the public mod log.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{CommentView, ErrorBody, Page, PostView, handle};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::moderation::{self, BanForm};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Why a moderator acts.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Shown in the mod log and sent to other servers (at most 1,000 characters).
    pub reason: Option<String>,
}

macro_rules! post_action {
    ($name:ident, $path:literal, $doc:literal, $call:expr) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "moderation", security(("bearer" = [])),
                    params(("id" = i64, Path, description = "The post's id")),
                    responses((status = 200, body = PostView), (status = 401, body = ErrorBody),
                        (status = 403, body = ErrorBody, description = "not_moderator"),
                        (status = 404, body = ErrorBody)))]
        pub async fn $name(
            State(ctx): State<ServiceContext>,
            AuthUser(viewer): AuthUser,
            ApiPath(id): ApiPath<i64>,
        ) -> Result<Json<PostView>> {
            let call = $call;
            let post = call(&ctx, &viewer, id).await?;
            Ok(Json(super::completion::one_view(&ctx, Some(&viewer), post).await?))
        }
    };
}

/// Removes a post, with a reason (moderators).
#[utoipa::path(post, path = "/api/v1/posts/{id}/remove", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")), request_body = ReasonRequest,
    responses((status = 200, body = PostView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn remove_post(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Json<PostView>> {
    let post = moderation::remove_post(&ctx, &viewer, id, true, body.reason.as_deref()).await?;
    Ok(Json(
        super::completion::one_view(&ctx, Some(&viewer), post).await?,
    ))
}

/// Restores a removed post (moderators).
#[utoipa::path(post, path = "/api/v1/posts/{id}/restore", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn restore_post(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>> {
    let post = moderation::remove_post(&ctx, &viewer, id, false, None).await?;
    Ok(Json(
        super::completion::one_view(&ctx, Some(&viewer), post).await?,
    ))
}

post_action!(
    lock_post,
    "/api/v1/posts/{id}/lock",
    "Locks a post: no new comments, from anyone, anywhere (moderators).",
    |ctx, viewer, id| moderation::lock_post(ctx, viewer, id, true)
);
post_action!(
    unlock_post,
    "/api/v1/posts/{id}/unlock",
    "Unlocks a post (moderators).",
    |ctx, viewer, id| moderation::lock_post(ctx, viewer, id, false)
);
post_action!(
    pin_post,
    "/api/v1/posts/{id}/pin",
    "Pins a post to the top of its community (moderators).",
    |ctx, viewer, id| moderation::pin_post(ctx, viewer, id, true)
);
post_action!(
    unpin_post,
    "/api/v1/posts/{id}/unpin",
    "Unpins a post (moderators).",
    |ctx, viewer, id| moderation::pin_post(ctx, viewer, id, false)
);

/// Removes a comment, with a reason (moderators).
#[utoipa::path(post, path = "/api/v1/comments/{id}/remove", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")), request_body = ReasonRequest,
    responses((status = 200, body = CommentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn remove_comment(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonRequest>,
) -> Result<Json<CommentView>> {
    let comment =
        moderation::remove_comment(&ctx, &viewer, id, true, body.reason.as_deref()).await?;
    Ok(Json(comment.into()))
}

/// Restores a removed comment (moderators).
#[utoipa::path(post, path = "/api/v1/comments/{id}/restore", tag = "moderation", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")),
    responses((status = 200, body = CommentView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn restore_comment(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CommentView>> {
    let comment = moderation::remove_comment(&ctx, &viewer, id, false, None).await?;
    Ok(Json(comment.into()))
}

/// A ban from a community.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    /// `name` for local users, `name@host` for remote ones.
    pub user: String,
    /// Why (at most 1,000 characters).
    pub reason: Option<String>,
    /// When the ban ends; absent: until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Also remove everything they wrote in the community.
    #[serde(default)]
    pub remove_data: bool,
}

/// Bans someone from a community (moderators): their posts, comments and votes there are
/// refused here and on every server that follows the community.
#[utoipa::path(post, path = "/api/v1/communities/{name}/bans", tag = "moderation", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")), request_body = BanRequest,
    responses((status = 204, description = "banned"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator, is_moderator"), (status = 404, body = ErrorBody)))]
pub async fn ban(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<BanRequest>,
) -> Result<StatusCode> {
    let form = BanForm {
        user: body.user,
        reason: body.reason,
        expires_at: body.expires_at,
        remove_data: body.remove_data,
    };
    moderation::ban(&ctx, &viewer, &name, form).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts a ban (moderators).
#[utoipa::path(delete, path = "/api/v1/communities/{name}/bans/{user}", tag = "moderation", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`"),
        ("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 204, description = "unbanned"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn unban(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath((name, user)): ApiPath<(String, String)>,
) -> Result<StatusCode> {
    moderation::unban(&ctx, &viewer, &name, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Filters of the mod log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModLogQuery {
    /// Only this community (`name` or `name@host`).
    pub community: Option<String>,
    /// Only this moderator (`name` or `name@host`).
    pub moderator: Option<String>,
    /// Only this action: `remove_post`, `restore_post`, `remove_comment`, `restore_comment`,
    /// `lock_post`, `unlock_post`, `pin_post`, `unpin_post`, `ban`, `unban`, `add_moderator`,
    /// `remove_moderator`, `update_community`.
    pub action: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// One entry of the mod log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModLogView {
    /// The entry's id.
    pub id: i64,
    /// What was done.
    pub action: String,
    /// The community, `name` or `name@host`.
    pub community: String,
    /// Who did it (`name` or `name@host`), when known here.
    pub moderator: Option<String>,
    /// The person acted on.
    pub target_user: Option<String>,
    /// The post acted on (or the post of the comment).
    pub target_post_id: Option<i64>,
    /// The post's title.
    pub target_post_title: Option<String>,
    /// The comment acted on.
    pub target_comment_id: Option<i64>,
    /// Why.
    pub reason: String,
    /// Until when (bans).
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<hearth_db::moderation::ModLogRow> for ModLogView {
    fn from(r: hearth_db::moderation::ModLogRow) -> Self {
        Self {
            id: r.id,
            action: r.action.as_str().to_owned(),
            community: handle(r.community_name, r.community_host),
            moderator: r.moderator_name.map(|n| handle(n, r.moderator_host)),
            target_user: r
                .target_person_name
                .map(|n| handle(n, r.target_person_host)),
            target_post_id: r.target_post_id,
            target_post_title: r.target_post_title,
            target_comment_id: r.target_comment_id,
            reason: r.reason,
            expires_at: r.expires_at,
            created_at: r.created_at,
        }
    }
}

/// The public mod log, newest first: who did what to what, why and when.
#[utoipa::path(get, path = "/api/v1/modlog", tag = "moderation", params(ModLogQuery),
    responses((status = 200, body = Page<ModLogView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn modlog(
    State(ctx): State<ServiceContext>,
    ApiQuery(query): ApiQuery<ModLogQuery>,
) -> Result<Json<Page<ModLogView>>> {
    let limit = paging::limit(query.limit)?;
    let before = paging::decode_id(query.cursor.as_deref())?;
    let rows = moderation::log(
        &ctx,
        query.community.as_deref(),
        query.moderator.as_deref(),
        query
            .action
            .as_deref()
            .map(moderation::parse_action)
            .transpose()?,
        before,
        limit + 1,
    )
    .await?;
    Ok(Json(paging::page_by_id(
        rows,
        limit,
        |r| r.id,
        ModLogView::from,
    )))
}
