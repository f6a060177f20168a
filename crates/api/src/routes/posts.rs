//! Posts: writing, reading, editing, deleting, voting, and the feeds.

use super::completion;
use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{CommentView, ErrorBody, List, Page, PostView};
use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hearth_core::{Error, Result};
use hearth_db::post::PostCursor;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::comments;
use hearth_service::events::EventInput;
use hearth_service::polls::PollInput;
use hearth_service::posts::{self, Feed, FeedSort, ImageInput, NewPostForm, PostChanges};
use hearth_service::read_cache::{self, CachedPage, Miss, Shows};
use serde::{Deserialize, Deserializer, Serialize};
use std::convert::Infallible;
use std::future::Future;
use utoipa::{IntoParams, ToSchema};

/// A new post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePostRequest {
    /// The community: `name` or `name@host`.
    pub community: String,
    /// 1–200 characters.
    pub title: String,
    /// An http(s) link (at most 2000 characters), for link posts; a picture uploaded here
    /// (`POST /api/v1/media`) makes an image post. With `images`, leave it out (the first
    /// picture becomes the link).
    pub url: Option<String>,
    /// Markdown, at most 50,000 characters.
    pub body: Option<String>,
    /// Not safe for work.
    #[serde(default)]
    pub nsfw: bool,
    /// A language tag such as `en`.
    pub language: Option<String>,
    /// Pictures uploaded here (`POST /api/v1/media`), at most 10: an image post. The first is
    /// the post's link and thumbnail.
    #[serde(default)]
    pub images: Vec<ImageRequest>,
    /// Makes the post an event (not together with `poll`).
    pub event: Option<EventRequest>,
    /// Gives the post a poll (not together with `event`).
    pub poll: Option<PollRequest>,
}

/// An event, as its organiser writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    /// When it starts: RFC 3339 with an offset (`2027-01-15T19:00:00+01:00`), stored in UTC. A
    /// new event may not start more than an hour ago.
    pub starts_at: DateTime<Utc>,
    /// When it ends: not before the start, at most 31 days later.
    pub ends_at: DateTime<Utc>,
    /// The organiser's IANA time zone (`Europe/Berlin`), for showing the times; `UTC` when
    /// left out.
    #[schema(example = "Europe/Berlin")]
    pub timezone: Option<String>,
    /// Where to join online: an http(s) link.
    pub online_url: Option<String>,
    /// The place's name (at most 500 characters).
    pub place_name: Option<String>,
    /// The place's address, one line (at most 500 characters).
    pub place_address: Option<String>,
    /// How many may be going (1–1,000,000); left out: no limit.
    pub capacity: Option<i32>,
    /// The organiser approves each `going` (default false).
    #[serde(default)]
    pub needs_approval: bool,
}

impl From<EventRequest> for EventInput {
    fn from(e: EventRequest) -> Self {
        Self {
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            timezone: e.timezone.unwrap_or_default(),
            online_url: e.online_url,
            place_name: e.place_name,
            place_address: e.place_address,
            capacity: e.capacity,
            needs_approval: e.needs_approval,
        }
    }
}

/// A poll, as its author writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    /// 2–20 different options of 1–200 characters, in order.
    pub options: Vec<String>,
    /// A voter may choose several options (default false).
    #[serde(default)]
    pub multiple: bool,
    /// When voting ends: between five minutes and a year from now.
    pub ends_at: DateTime<Utc>,
    /// Hide the results from everyone but the author until the end (default false: voters
    /// see them once they voted).
    #[serde(default)]
    pub results_after_end: bool,
}

impl From<PollRequest> for PollInput {
    fn from(p: PollRequest) -> Self {
        Self {
            options: p.options,
            multiple: p.multiple,
            ends_at: p.ends_at,
            results_after_end: p.results_after_end,
        }
    }
}

/// A picture of an image post.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRequest {
    /// The picture's `url`, as `POST /api/v1/media` answered it.
    pub url: String,
    /// What it shows, for people who cannot see it (at most 1,500 characters).
    pub alt_text: Option<String>,
}

impl From<ImageRequest> for ImageInput {
    fn from(i: ImageRequest) -> Self {
        Self {
            url: i.url,
            alt_text: i.alt_text,
        }
    }
}

/// A post as one post is answered: with its pictures, completed as in lists.
async fn full_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    post: hearth_db::post::PostRow,
) -> Result<PostView> {
    let images = posts::images(ctx, &post).await?;
    let mut view = [PostView::from(post).with_images(images)];
    completion::complete(ctx, viewer, &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// A post as a change to it is answered.
async fn marked_view(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post: hearth_db::post::PostRow,
) -> Result<PostView> {
    completion::one_view(ctx, Some(viewer), post).await
}

/// Writes a post.
#[utoipa::path(post, path = "/api/v1/posts", tag = "posts", security(("bearer" = [])),
    request_body = CreatePostRequest,
    responses(
        (status = 201, body = PostView),
        (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "posting_restricted, not_member"),
        (status = 404, body = ErrorBody, description = "no such community"),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
    ))]
pub async fn create(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<CreatePostRequest>,
) -> Result<(StatusCode, Json<PostView>)> {
    let post = posts::create(
        &ctx,
        &viewer,
        NewPostForm {
            community: body.community,
            title: body.title,
            url: body.url,
            body: body.body,
            nsfw: body.nsfw,
            language: body.language,
            images: body.images.into_iter().map(Into::into).collect(),
            event: body.event.map(Into::into),
            poll: body.poll.map(Into::into),
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(full_view(&ctx, Some(&viewer), post).await?),
    ))
}

/// Which posts to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// One community (`name` or `name@host`); overrides `feed`.
    pub community: Option<String>,
    /// `all` (default), `local`, or `subscribed` (signed in).
    pub feed: Option<String>,
    /// `hot` (default), `active`, `new`, `top_day`, `top_week`, `top_month`, `top_year`,
    /// `top_all`, `most_comments`, `controversial`.
    pub sort: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Lists posts: the front page (`feed`) or one community (its pinned posts first on the first
/// page), sorted, a page at a time.
#[utoipa::path(get, path = "/api/v1/posts", tag = "posts", params(FeedQuery),
    responses((status = 200, body = Page<PostView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody, description = "feed=subscribed without a token"), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    OriginalUri(uri): OriginalUri,
    ApiQuery(query): ApiQuery<FeedQuery>,
) -> Result<Response> {
    if viewer.is_none() && ctx.read_cache.enabled() {
        let shared = ctx.clone();
        return anonymous_json(&ctx, &uri, || async move {
            let one_community = query.community.is_some();
            let Json(page) = feed_page(&shared, None, query).await?;
            // A community's page shows that community (an empty one: whatever comes); the
            // front page mixes them all.
            let shows = match page.items.first() {
                Some(post) if one_community => Shows::Community(post.community.id),
                _ => Shows::Everything,
            };
            Ok((page, shows))
        })
        .await;
    }
    Ok(feed_page(&ctx, viewer, query).await?.into_response())
}

/// Serves the JSON `render` makes from the anonymous page cache (`hearth_service::read_cache`):
/// one rendering per key and cache lifetime, however many anonymous readers ask.
pub(crate) async fn anonymous_json<T, F, Fut>(
    ctx: &ServiceContext,
    uri: &Uri,
    render: F,
) -> Result<Response>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(T, Shows)>>,
{
    let key = read_cache::key("api", uri.path(), uri.query());
    let page = ctx
        .read_cache
        .get_or_render(key, || async {
            let (value, shows) = render().await.map_err(Miss::Failed)?;
            let body = serde_json::to_vec(&value).map_err(|e| Miss::Failed(Error::from(e)))?;
            Ok::<_, Miss<Infallible, Error>>(CachedPage {
                body: body.into(),
                content_type: "application/json",
                shows,
                token_at: Vec::new(),
            })
        })
        .await;
    match page {
        Ok(page) => Ok(([(CONTENT_TYPE, page.content_type)], page.body.clone()).into_response()),
        Err(Miss::Failed(e)) => Err(e),
        Err(Miss::Private(never)) => match never {},
    }
}

/// A page of the front page or of one community, for `viewer`.
async fn feed_page(
    ctx: &ServiceContext,
    viewer: Option<AuthUser>,
    query: FeedQuery,
) -> Result<Json<Page<PostView>>> {
    let feed = match (query.community, query.feed.as_deref()) {
        (Some(c), _) => Feed::Community(c),
        (None, None | Some("all")) => Feed::All,
        (None, Some("local")) => Feed::Local,
        (None, Some("subscribed")) => Feed::Subscribed,
        (None, Some(_)) => {
            return Err(Error::validation(
                "feed",
                "must be all, local or subscribed",
            ));
        }
    };
    let sort = FeedSort::parse(query.sort.as_deref().unwrap_or("hot"))?;
    if let Feed::Community(reference) = &feed {
        // A community's first page starts with its pinned posts, as Lemmy's does.
        let limit = paging::limit(query.limit)?;
        let after =
            paging::decode_f64(query.cursor.as_deref())?.map(|(key, id)| PostCursor { key, id });
        let viewer = viewer.map(|AuthUser(v)| v);
        let (rows, next) =
            posts::community_feed(ctx, viewer.as_ref(), reference, sort, after, limit).await?;
        let mut items: Vec<PostView> = rows.into_iter().map(Into::into).collect();
        completion::complete(ctx, viewer.as_ref(), &mut items).await?;
        return Ok(Json(Page {
            items,
            next_cursor: next.map(|c| paging::encode_f64(c.key, c.id)),
        }));
    }
    page_of_posts(
        ctx,
        viewer,
        feed,
        sort,
        query.cursor.as_deref(),
        query.limit,
    )
    .await
}

/// One page of a feed as the API shows it.
pub(crate) async fn page_of_posts(
    ctx: &ServiceContext,
    viewer: Option<AuthUser>,
    feed: Feed,
    sort: FeedSort,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> Result<Json<Page<PostView>>> {
    let limit = paging::limit(limit)?;
    let after = paging::decode_f64(cursor)?.map(|(key, id)| PostCursor { key, id });
    let viewer = viewer.map(|AuthUser(v)| v);
    let (rows, next) = posts::feed(ctx, viewer.as_ref(), feed, sort, after, limit).await?;
    let mut items: Vec<PostView> = rows.into_iter().map(Into::into).collect();
    completion::complete(ctx, viewer.as_ref(), &mut items).await?;
    Ok(Json(Page {
        items,
        next_cursor: next.map(|c| paging::encode_f64(c.key, c.id)),
    }))
}

/// Shows a post.
#[utoipa::path(get, path = "/api/v1/posts/{id}", tag = "posts",
    params(("id" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>> {
    let viewer = viewer.map(|AuthUser(v)| v);
    let post = posts::get(&ctx, viewer.as_ref(), id).await?;
    Ok(Json(full_view(&ctx, viewer.as_ref(), post).await?))
}

/// Tells "absent" (`None`) from "null" (`Some(None)`) in a PATCH body.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a post; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePostRequest {
    /// 1–200 characters.
    pub title: Option<String>,
    /// An http(s) link; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
    /// Markdown, at most 50,000 characters.
    pub body: Option<String>,
    /// Not safe for work.
    pub nsfw: Option<bool>,
    /// A language tag; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
    /// New pictures (uploaded here), replacing the old; `[]` removes them.
    pub images: Option<Vec<ImageRequest>>,
    /// An event post's new event fields, all of them (an event stays an event: this cannot
    /// make a post one). People going or interested are told of a new time.
    pub event: Option<EventRequest>,
}

/// Edits a post (its author).
#[utoipa::path(patch, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    request_body = UpdatePostRequest,
    responses((status = 200, body = PostView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_author, deleted"), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdatePostRequest>,
) -> Result<Json<PostView>> {
    let changes = PostChanges {
        title: body.title,
        url: body.url,
        body: body.body,
        nsfw: body.nsfw,
        language: body.language,
        images: body
            .images
            .map(|images| images.into_iter().map(Into::into).collect()),
        event: body.event.map(Into::into),
    };
    let post = posts::edit(&ctx, &viewer, id, changes).await?;
    Ok(Json(full_view(&ctx, Some(&viewer), post).await?))
}

/// Deletes a post (its author): it stays in its thread, shown as deleted.
#[utoipa::path(delete, path = "/api/v1/posts/{id}", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses((status = 200, body = PostView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_author, deleted"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PostView>> {
    let post = posts::delete(&ctx, &viewer, id).await?;
    Ok(Json(marked_view(&ctx, &viewer, post).await?))
}

/// A vote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// 1 (up), -1 (down) or 0 (take the vote back).
    pub score: i16,
}

/// Votes on a post.
#[utoipa::path(post, path = "/api/v1/posts/{id}/vote", tag = "posts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    request_body = VoteRequest,
    responses((status = 200, body = PostView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "downvotes_disabled, deleted"), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn vote(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<VoteRequest>,
) -> Result<Json<PostView>> {
    let post = posts::vote(&ctx, &viewer, id, body.score).await?;
    Ok(Json(marked_view(&ctx, &viewer, post).await?))
}

/// Which part of a thread to load.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreadQuery {
    /// How siblings are ordered: `hot` (default), `top`, `new`, `old`, `controversial`.
    pub sort: Option<String>,
    /// Levels to load below the start (1–100, default 10).
    pub max_depth: Option<i32>,
    /// Load only the replies below this comment ("load more").
    pub parent_id: Option<i64>,
    /// The most comments to return (1–500, default 200), cut in display order.
    pub limit: Option<i64>,
}

/// A post's comments as a thread: depth first, siblings sorted, each with its `depth`, `path`
/// and `child_count`.
#[utoipa::path(get, path = "/api/v1/posts/{id}/comments", tag = "comments",
    params(("id" = i64, Path, description = "The post's id"), ThreadQuery),
    responses((status = 200, body = List<CommentView>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn thread(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    OriginalUri(uri): OriginalUri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<ThreadQuery>,
) -> Result<Response> {
    if viewer.is_none() && ctx.read_cache.enabled() {
        let shared = ctx.clone();
        return anonymous_json(&ctx, &uri, || async move {
            let Json(list) = thread_list(&shared, None, id, query).await?;
            let shows = posts::community_of(&shared, id)
                .await?
                .map_or(Shows::Everything, Shows::Community);
            Ok((list, shows))
        })
        .await;
    }
    Ok(thread_list(&ctx, viewer, id, query).await?.into_response())
}

/// A post's thread as `viewer` sees it.
async fn thread_list(
    ctx: &ServiceContext,
    viewer: Option<AuthUser>,
    id: i64,
    query: ThreadQuery,
) -> Result<Json<List<CommentView>>> {
    let sort = comments::parse_sort(query.sort.as_deref().unwrap_or("hot"))?;
    let viewer = viewer.map(|AuthUser(v)| v);
    let rows = comments::thread(
        ctx,
        viewer.as_ref(),
        id,
        query.parent_id,
        sort,
        query.max_depth.unwrap_or(10),
        query.limit.unwrap_or(200),
    )
    .await?;
    let mut items: Vec<CommentView> = rows.into_iter().map(Into::into).collect();
    completion::mark_comments(ctx, viewer.as_ref(), &mut items).await?;
    Ok(Json(List { items }))
}
