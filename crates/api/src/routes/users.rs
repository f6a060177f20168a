//! People's public profiles.

use crate::auth::AuthUser;
use crate::extract::{ApiPath, ApiQuery};
use crate::paging;
use crate::views::{CommentView, ErrorBody, Page, PersonView, PostView};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::posts::{Feed, FeedSort};

/// A person's profile (`name`, or `name@host`).
#[utoipa::path(get, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(ctx): State<ServiceContext>,
    ApiPath(user): ApiPath<String>,
) -> Result<Json<PersonView>> {
    Ok(Json(
        hearth_service::users::find(&ctx, &user, "user")
            .await?
            .into(),
    ))
}

/// Paging of a person's content.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// A person's posts, newest first.
#[utoipa::path(get, path = "/api/v1/users/{user}/posts", tag = "users",
    params(("user" = String, Path, description = "`name` or `name@host`"), ContentQuery),
    responses((status = 200, body = Page<PostView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn posts(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiPath(user): ApiPath<String>,
    ApiQuery(query): ApiQuery<ContentQuery>,
) -> Result<Json<Page<PostView>>> {
    crate::routes::posts::page_of_posts(
        &ctx,
        viewer,
        Feed::Author(user),
        FeedSort::New,
        query.cursor.as_deref(),
        query.limit,
    )
    .await
}

/// A person's comments, newest first.
#[utoipa::path(get, path = "/api/v1/users/{user}/comments", tag = "users",
    params(("user" = String, Path, description = "`name` or `name@host`"), ContentQuery),
    responses((status = 200, body = Page<CommentView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn comments(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiPath(user): ApiPath<String>,
    ApiQuery(query): ApiQuery<ContentQuery>,
) -> Result<Json<Page<CommentView>>> {
    let limit = paging::limit(query.limit)?;
    let after = paging::decode_id(query.cursor.as_deref())?;
    let viewer = viewer.map(|AuthUser(v)| v);
    let rows =
        hearth_service::comments::by_author(&ctx, viewer.as_ref(), &user, after, limit + 1).await?;
    let mut page = paging::page_by_id(rows, limit, |c| c.id, CommentView::from);
    super::completion::mark_comments(&ctx, viewer.as_ref(), &mut page.items).await?;
    Ok(Json(page))
}

/// Blocks a person for the signed-in account: their posts and comments are hidden from it
/// everywhere. Private, never sent to other servers. Blocking again changes nothing.
#[utoipa::path(post, path = "/api/v1/users/{user}/block", tag = "users", security(("bearer" = [])),
    params(("user" = String, Path, description = "`name` or `name@host`")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "cannot_block_self"),
    ))]
pub async fn block(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(user): ApiPath<String>,
) -> Result<StatusCode> {
    hearth_service::blocks::block_person(&ctx, &viewer, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a block of a person back.
#[utoipa::path(delete, path = "/api/v1/users/{user}/block", tag = "users", security(("bearer" = [])),
    params(("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unblock(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(user): ApiPath<String>,
) -> Result<StatusCode> {
    hearth_service::blocks::unblock_person(&ctx, &viewer, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}
