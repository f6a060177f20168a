//! Saved posts and comments, and read marks: saving and unsaving, marking posts read, and your
//! saved lists. The `saved` / `read` fields of every view are filled in by `completion`.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{CommentView, ErrorBody, Page, PostView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::{comments, posts, saved};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// One post as the viewer sees it after saving or unsaving it.
async fn post_view(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<PostView> {
    super::completion::one_view(ctx, Some(viewer), posts::get(ctx, Some(viewer), id).await?).await
}

/// One comment as the viewer sees it after saving or unsaving it.
async fn comment_view(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<CommentView> {
    let mut view = [CommentView::from(
        comments::get(ctx, Some(viewer), id).await?,
    )];
    super::completion::mark_comments(ctx, Some(viewer), &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// Saves a post to your saved list (again: no change).
#[utoipa::path(put, path = "/api/v1/posts/{id}/save", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostView, description = "The post, `saved: true`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such post, or it was deleted or removed")))]
pub async fn save_post(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>> {
    saved::save_post(&ctx, &viewer, id, true).await?;
    Ok(Json(post_view(&ctx, &viewer, id).await?))
}

/// Takes a post off your saved list (also a deleted or removed one; not saved: no change).
#[utoipa::path(delete, path = "/api/v1/posts/{id}/save", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostView, description = "The post, `saved: false`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unsave_post(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>> {
    saved::save_post(&ctx, &viewer, id, false).await?;
    Ok(Json(post_view(&ctx, &viewer, id).await?))
}

/// Saves a comment to your saved list (again: no change).
#[utoipa::path(put, path = "/api/v1/comments/{id}/save", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")),
    responses((status = 200, body = CommentView, description = "The comment, `saved: true`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "no such comment, or it was deleted or removed")))]
pub async fn save_comment(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CommentView>> {
    saved::save_comment(&ctx, &viewer, id, true).await?;
    Ok(Json(comment_view(&ctx, &viewer, id).await?))
}

/// Takes a comment off your saved list.
#[utoipa::path(delete, path = "/api/v1/comments/{id}/save", tag = "comments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The comment's id")),
    responses((status = 200, body = CommentView, description = "The comment, `saved: false`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unsave_comment(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CommentView>> {
    saved::save_comment(&ctx, &viewer, id, false).await?;
    Ok(Json(comment_view(&ctx, &viewer, id).await?))
}

/// Posts to mark read or unread.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkReadRequest {
    /// At most 100 post ids; ids of posts that do not exist are ignored.
    pub post_ids: Vec<i64>,
    /// `true` marks them read, `false` unread again.
    pub read: bool,
}

/// Marks posts read (or unread). Opening a post's page signed in marks it read too.
#[utoipa::path(post, path = "/api/v1/posts/read", tag = "posts", security(("bearer" = [])),
    request_body = MarkReadRequest,
    responses((status = 204),
        (status = 400, body = ErrorBody, description = "invalid_field: more than 100 post_ids"),
        (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn mark_read(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<MarkReadRequest>,
) -> Result<StatusCode> {
    saved::mark_posts_read(&ctx, &viewer, &body.post_ids, body.read).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page of a saved list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SavedQuery {
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Your saved posts, most recently saved first. Posts deleted or removed since stay listed
/// (blanked) so that you can unsave them.
#[utoipa::path(get, path = "/api/v1/account/saved/posts", tag = "accounts", security(("bearer" = [])),
    params(SavedQuery),
    responses((status = 200, body = Page<PostView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn saved_posts(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiQuery(query): ApiQuery<SavedQuery>,
) -> Result<Json<Page<PostView>>> {
    let limit = paging::limit(query.limit)?;
    let after = saved::decode_cursor(query.cursor.as_deref())?;
    let (rows, next) = saved::saved_posts(&ctx, &viewer, after, limit).await?;
    let mut items: Vec<PostView> = rows.into_iter().map(Into::into).collect();
    super::completion::complete(&ctx, Some(&viewer), &mut items).await?;
    Ok(Json(Page {
        items,
        next_cursor: next.map(saved::encode_cursor),
    }))
}

/// Your saved comments, most recently saved first.
#[utoipa::path(get, path = "/api/v1/account/saved/comments", tag = "accounts", security(("bearer" = [])),
    params(SavedQuery),
    responses((status = 200, body = Page<CommentView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody)))]
pub async fn saved_comments(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiQuery(query): ApiQuery<SavedQuery>,
) -> Result<Json<Page<CommentView>>> {
    let limit = paging::limit(query.limit)?;
    let after = saved::decode_cursor(query.cursor.as_deref())?;
    let (rows, next) = saved::saved_comments(&ctx, &viewer, after, limit).await?;
    let items: Vec<CommentView> = rows
        .into_iter()
        .map(|row| CommentView {
            saved: true,
            ..row.into()
        })
        .collect();
    Ok(Json(Page {
        items,
        next_cursor: next.map(saved::encode_cursor),
    }))
}
