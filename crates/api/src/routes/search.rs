//! Search across posts, comments, communities and people.

use crate::auth::AuthUser;
use crate::extract::ApiQuery;
use crate::paging;
use crate::views::{ErrorBody, SearchView};
use axum::Json;
use axum::extract::State;
use hearth_core::{Error, Result};
use hearth_service::ServiceContext;
use hearth_service::search::{self, SearchKind, SearchResults};
use serde::Deserialize;
use utoipa::IntoParams;

/// A search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The words to find (1–200 characters). Posts and comments: web-search syntax with
    /// stemming (`"exact phrase"`, `-excluded`, `or`); communities and people: name prefixes.
    #[param(required = true, min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// `posts` (default), `comments`, `communities` or `users`.
    #[serde(rename = "type")]
    #[param(pattern = "^(posts|comments|communities|users)$")]
    pub kind: Option<String>,
    /// Narrow posts and comments to one community (`name` or `name@host`).
    pub community: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Searches posts (by title and body), comments, communities or people, best match first.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, body = SearchView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn search(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchView>> {
    let q = query
        .q
        .ok_or_else(|| Error::validation("q", "is required"))?;
    let kind = SearchKind::parse(query.kind.as_deref().unwrap_or("posts"))?;
    let limit = paging::limit(query.limit)?;
    let after = paging::decode_f64(query.cursor.as_deref())?;
    let viewer = viewer.map(|AuthUser(v)| v);
    let (results, next) = search::search(
        &ctx,
        viewer.as_ref(),
        &q,
        kind,
        query.community.as_deref(),
        after,
        limit,
    )
    .await?;
    let mut view = SearchView {
        kind: String::new(),
        posts: Vec::new(),
        comments: Vec::new(),
        communities: Vec::new(),
        users: Vec::new(),
        next_cursor: next.map(|(key, id)| paging::encode_f64(key, id)),
    };
    view.kind = match results {
        SearchResults::Posts(rows) => {
            view.posts = rows.into_iter().map(Into::into).collect();
            "posts"
        }
        SearchResults::Comments(rows) => {
            view.comments = rows.into_iter().map(Into::into).collect();
            "comments"
        }
        SearchResults::Communities(rows) => {
            view.communities = rows.into_iter().map(Into::into).collect();
            "communities"
        }
        SearchResults::Users(rows) => {
            view.users = rows.into_iter().map(Into::into).collect();
            "users"
        }
    }
    .to_owned();
    super::completion::complete(&ctx, viewer.as_ref(), &mut view.posts).await?;
    super::completion::mark_comments(&ctx, viewer.as_ref(), &mut view.comments).await?;
    Ok(Json(view))
}
