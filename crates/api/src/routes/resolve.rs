//! Resolving things on other servers: `!community@host`, `@user@host`, object URLs.

use crate::auth::AuthUser;
use crate::extract::ApiQuery;
use crate::views::{CommentView, CommunityView, ErrorBody, PersonView, PostView};
use axum::Json;
use axum::extract::State;
use hearth_core::{Error, Result};
use hearth_service::ServiceContext;
use hearth_service::resolve::{self, Resolved};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What to resolve.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResolveQuery {
    /// `!name@host` (community), `@name@host` (person), `name@host` (either), or the URL of a
    /// community, person, post or comment.
    pub q: Option<String>,
}

/// What a query resolved to: `type` says which of the other fields is set.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveView {
    /// `community`, `user`, `post` or `comment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The community found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub community: Option<CommunityView>,
    /// The person found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<PersonView>,
    /// The post found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post: Option<PostView>,
    /// The comment found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<CommentView>,
}

/// Finds a community, person, post or comment on another server (fetching and storing it, or
/// refreshing a copy older than `federation.refresh_age_secs`) and shows it like a local one.
#[utoipa::path(get, path = "/api/v1/resolve", tag = "search", security(("bearer" = [])), params(ResolveQuery),
    responses((status = 200, body = ResolveView),
        (status = 400, body = ErrorBody, description = "invalid_field, address_not_allowed, unsupported_object"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resolve(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiQuery(query): ApiQuery<ResolveQuery>,
) -> Result<Json<ResolveView>> {
    let q = query
        .q
        .ok_or_else(|| Error::validation("q", "is required"))?;
    let mut view = ResolveView {
        kind: String::new(),
        community: None,
        user: None,
        post: None,
        comment: None,
    };
    match resolve::resolve(&ctx, &viewer, &q).await? {
        Resolved::Community(id) => {
            let row = hearth_db::community::find(&ctx.pool, id)
                .await?
                .ok_or_else(|| Error::not_found("The community vanished."))?;
            let details = hearth_service::communities::details(&ctx, Some(&viewer), row).await?;
            view.kind = "community".to_owned();
            view.community = Some(details.into());
        }
        Resolved::Person(id) => {
            let row = hearth_db::person::find(&ctx.pool, id)
                .await?
                .ok_or_else(|| Error::not_found("The person vanished."))?;
            view.kind = "user".to_owned();
            view.user = Some(row.into());
        }
        Resolved::Post(id) => {
            view.kind = "post".to_owned();
            let row = hearth_service::posts::get(&ctx, Some(&viewer), id).await?;
            view.post = Some(super::completion::one_view(&ctx, Some(&viewer), row).await?);
        }
        Resolved::Comment(id) => {
            view.kind = "comment".to_owned();
            view.comment = Some(
                hearth_service::comments::get(&ctx, Some(&viewer), id)
                    .await?
                    .into(),
            );
        }
    }
    Ok(Json(view))
}
