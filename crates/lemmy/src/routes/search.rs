//! The v3 `search` and `resolve_object` endpoints, over Hearth's search (posts and comments by
//! full text, best match first; communities and people by name) and its resolver of remote
//! handles and URLs.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::LemmyQuery;
use crate::listing::{ListingType, MAX_WALKED_PAGES, SortType, page_window};
use crate::views::comment::{CommentView, comment_views};
use crate::views::community::{CommunityView, community_view, community_views};
use crate::views::person::{PersonView, person_view, person_views};
use crate::views::post::{PostView, post_views};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::community_facts;
use hearth_service::resolve::Resolved;
use hearth_service::search::{SearchKind, SearchResults};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/search", get(search))
        .route("/resolve_object", get(resolve_object))
}

/// Lemmy's `SearchType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
enum SearchType {
    All,
    Comments,
    Posts,
    Communities,
    Users,
    Url,
}

/// `Search`.
#[derive(Debug, Deserialize)]
struct Search {
    q: String,
    community_id: Option<i64>,
    community_name: Option<String>,
    creator_id: Option<i64>,
    type_: Option<SearchType>,
    // Results come best match first (communities by members); the sort is read so that a bad
    // one is refused, and otherwise not applied.
    #[allow(dead_code)]
    sort: Option<SortType>,
    listing_type: Option<ListingType>,
    page: Option<i64>,
    limit: Option<i64>,
    post_title_only: Option<bool>,
}

/// `SearchResponse`.
#[derive(Debug, Serialize)]
struct SearchResponse {
    type_: SearchType,
    comments: Vec<CommentView>,
    posts: Vec<PostView>,
    communities: Vec<CommunityView>,
    users: Vec<PersonView>,
}

/// Page `pages_before + 1` of one kind of search results (`None`: there are fewer pages).
async fn search_page(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    query: &str,
    kind: SearchKind,
    community: Option<&str>,
    pages_before: i64,
    limit: i64,
) -> LemmyResult<Option<SearchResults>> {
    if pages_before >= MAX_WALKED_PAGES {
        return Ok(None);
    }
    let mut after = None;
    for _ in 0..pages_before {
        let (_, next) =
            hearth_service::search::search(ctx, viewer, query, kind, community, after, limit)
                .await?;
        match next {
            Some(next) => after = Some(next),
            None => return Ok(None),
        }
    }
    let (results, _) =
        hearth_service::search::search(ctx, viewer, query, kind, community, after, limit).await?;
    Ok(Some(results))
}

/// `GET /search`: each kind asked for (all four for `All`), one page of each. `creator_id`,
/// `listing_type` Local and `post_title_only` narrow the page found; `Url` finds posts whose
/// link contains the query among the text matches.
async fn search(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<Search>,
) -> LemmyResult<Json<SearchResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let (limit, offset) = page_window(form.page, form.limit)?;
    let pages_before = offset / limit;
    let community = match (form.community_id, form.community_name.as_deref()) {
        (Some(id), _) => {
            let row = community_facts::community(&ctx, id).await?;
            Some(crate::routes::community::reference_of(&ctx, &row))
        }
        (None, Some(name)) => Some(name.to_owned()),
        (None, None) => None,
    };
    let type_ = form.type_.unwrap_or(SearchType::All);
    let kinds: &[SearchKind] = match type_ {
        SearchType::All => &[
            SearchKind::Posts,
            SearchKind::Comments,
            SearchKind::Communities,
            SearchKind::Users,
        ],
        SearchType::Posts | SearchType::Url => &[SearchKind::Posts],
        SearchType::Comments => &[SearchKind::Comments],
        SearchType::Communities => &[SearchKind::Communities],
        SearchType::Users => &[SearchKind::Users],
    };
    let mut response = SearchResponse {
        type_,
        comments: Vec::new(),
        posts: Vec::new(),
        communities: Vec::new(),
        users: Vec::new(),
    };
    let local_only = form.listing_type == Some(ListingType::Local);
    let needle = form.q.trim().to_lowercase();
    for &kind in kinds {
        // People and communities are not in a community: a community filter leaves them out.
        if community.is_some() && matches!(kind, SearchKind::Communities | SearchKind::Users) {
            continue;
        }
        let found = search_page(
            &ctx,
            viewer,
            &form.q,
            kind,
            community.as_deref(),
            pages_before,
            limit,
        )
        .await?;
        match found {
            None => {}
            Some(SearchResults::Posts(mut rows)) => {
                rows.retain(|p| {
                    form.creator_id.is_none_or(|id| p.author_id == id)
                        && (!local_only || p.community_local)
                        && (!form.post_title_only.unwrap_or(false)
                            || p.title.to_lowercase().contains(&needle))
                        && (type_ != SearchType::Url
                            || p.url
                                .as_deref()
                                .is_some_and(|u| u.to_lowercase().contains(&needle)))
                });
                response.posts = post_views(&ctx, viewer, rows).await?;
            }
            Some(SearchResults::Comments(mut rows)) => {
                rows.retain(|c| form.creator_id.is_none_or(|id| c.author_id == id));
                let mut views = comment_views(&ctx, viewer, rows).await?;
                views.retain(|v| !local_only || v.community.local);
                response.comments = views;
            }
            Some(SearchResults::Communities(rows)) if form.creator_id.is_none() => {
                let rows = rows
                    .into_iter()
                    .map(|d| d.community)
                    .filter(|c| !local_only || c.local)
                    .collect();
                response.communities = community_views(&ctx, viewer, rows).await?;
            }
            Some(SearchResults::Users(rows)) if form.creator_id.is_none() => {
                let rows = rows
                    .into_iter()
                    .filter(|p| !local_only || p.local)
                    .collect();
                response.users = person_views(&ctx, rows).await?;
            }
            Some(_) => {}
        }
    }
    Ok(Json(response))
}

/// `ResolveObject`.
#[derive(Debug, Deserialize)]
struct ResolveObject {
    q: String,
}

/// `ResolveObjectResponse`: exactly one field set.
#[derive(Debug, Default, Serialize)]
struct ResolveObjectResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<CommentView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    post: Option<PostView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    community: Option<CommunityView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<PersonView>,
}

/// `GET /resolve_object`: a URL, `!community@host` or `@person@host`, fetched from its server
/// when unknown here. Signed-in viewers only (Lemmy fetches for them only); nothing found is
/// `couldnt_find_object`.
async fn resolve_object(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<ResolveObject>,
) -> LemmyResult<Json<ResolveObjectResponse>> {
    let resolved = hearth_service::resolve::resolve(&ctx, &viewer, &form.q)
        .await
        .map_err(|e| LemmyError::from(e).rename("not_found", "couldnt_find_object"))?;
    let not_found = || LemmyError::new("couldnt_find_object", "Nothing was found.");
    let viewer = Some(&viewer);
    let mut response = ResolveObjectResponse::default();
    match resolved {
        Resolved::Community(id) => {
            let row = community_facts::community(&ctx, id).await?;
            response.community = Some(community_view(&ctx, viewer, row).await?);
        }
        Resolved::Person(id) => {
            let row = community_facts::person(&ctx, id).await?;
            response.person = Some(person_view(&ctx, row).await?);
        }
        Resolved::Post(id) => {
            let row = hearth_service::posts::get(&ctx, viewer, id).await?;
            response.post = Some(
                post_views(&ctx, viewer, vec![row])
                    .await?
                    .pop()
                    .ok_or_else(not_found)?,
            );
        }
        Resolved::Comment(id) => {
            let row = hearth_service::comments::get(&ctx, viewer, id).await?;
            response.comment = Some(
                comment_views(&ctx, viewer, vec![row])
                    .await?
                    .pop()
                    .ok_or_else(not_found)?,
            );
        }
    }
    Ok(Json(response))
}
