//! Comments: writing, reading, editing, deleting, voting.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath};
use crate::routes::posts::VoteRequest;
use crate::views::{CommentView, ErrorBody};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::Result;
use hearth_db::comment::CommentRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::comments;
use serde::Deserialize;
use utoipa::ToSchema;

/// A new comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommentRequest {
    /// The post commented on.
    pub post_id: i64,
    /// The comment replied to, if any (a comment of the same post).
    pub parent_id: Option<i64>,
    /// Markdown, 1–10,000 characters.
    pub body: String,
}

/// A comment as it is answered: with the viewer's saved mark.
async fn marked_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    comment: CommentRow,
) -> Result<CommentView> {
    let mut view = [CommentView::from(comment)];
    super::completion::mark_comments(ctx, viewer, &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// Writes a comment on a post, or a reply to a comment.
#[utoipa::path(post, path = "/api/v1/comments", tag = "comments", security(("bearer" = [])),
    request_body = CreateCommentRequest,
    responses(
        (status = 201, body = CommentView),
        (status = 400, body = ErrorBody, description = "invalid_field"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "deleted, not_member"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    ))]
pub async fn create(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<CreateCommentRequest>,
) -> Result<(StatusCode, Json<CommentView>)> {
    let comment = comments::create(&ctx, &viewer, body.post_id, body.parent_id, &body.body).await?;
    Ok((StatusCode::CREATED, Json(comment.into())))
}

/// Shows a comment.
#[utoipa::path(get, path = "/api/v1/comments/{id}", tag = "comments",
    params(("id" = i64, Path, description = "The comment's id")),
    responses((status = 200, body = CommentView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CommentView>> {
    let viewer = viewer.map(|AuthUser(v)| v);
    let comment = comments::get(&ctx, viewer.as_ref(), id).await?;
    Ok(Json(marked_view(&ctx, viewer.as_ref(), comment).await?))
}

/// A comment's new body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommentRequest {
    /// Markdown, 1–10,000 characters.
    pub body: String,
}

/// Edits a comment (its author).
#[utoipa::path(patch, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")),
    request_body = UpdateCommentRequest,
    responses((status = 200, body = CommentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_author, deleted"), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateCommentRequest>,
) -> Result<Json<CommentView>> {
    let comment = comments::edit(&ctx, &viewer, id, &body.body).await?;
    Ok(Json(marked_view(&ctx, Some(&viewer), comment).await?))
}

/// Deletes a comment (its author); its replies stay visible.
#[utoipa::path(delete, path = "/api/v1/comments/{id}", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")),
    responses((status = 200, body = CommentView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_author, deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CommentView>> {
    let comment = comments::delete(&ctx, &viewer, id).await?;
    Ok(Json(marked_view(&ctx, Some(&viewer), comment).await?))
}

/// Votes on a comment.
#[utoipa::path(post, path = "/api/v1/comments/{id}/vote", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")),
    request_body = VoteRequest,
    responses((status = 200, body = CommentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "downvotes_disabled, deleted"), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn vote(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> Result<Json<CommentView>> {
    let comment = comments::vote(&ctx, &viewer, id, body.score).await?;
    Ok(Json(marked_view(&ctx, Some(&viewer), comment).await?))
}
