//! The v3 `post` endpoints: reading one post and the post listings, writing, editing, deleting,
//! voting, saving, read marks and reports. Every change goes through the same use cases as the
//! JSON API and the pages (`hearth_service::{posts, saved, reports}`), so bans, locks, rate
//! limits and federation hold here too. Moderator actions (remove, lock, feature) live in
//! `moderation`.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::{
    ListingType, SortType, WALK_STEP, checked_limit, checked_page, feed_sort, skipped,
};
use crate::views::community::{CommunityModeratorView, CommunityView};
use crate::views::post::{Post, PostAggregates, PostView, post_views};
use crate::views::{Community, Person, SubscribedType, SuccessResponse, time};
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hearth_db::post::{PostCursor, PostRow};
use hearth_db::saved::SavedCursor;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::content_facts::{DatedCursor, DatedScope};
use hearth_service::posts::{self, Feed, FeedSort, NewPostForm, PostChanges};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/post", get(get_post).post(create_post).put(edit_post))
        .route("/post/list", get(list_posts))
        .route("/post/delete", post(delete_post))
        .route("/post/like", post(like_post))
        .route("/post/save", put(save_post))
        .route("/post/mark_as_read", post(mark_as_read))
        .route("/post/report", post(report_post))
}

/// One post with everything around it.
#[derive(Serialize)]
struct PostResponse {
    post_view: PostView,
}

async fn one_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    row: PostRow,
) -> LemmyResult<PostView> {
    crate::views::post::post_view(ctx, viewer, row).await
}

async fn respond(
    ctx: &ServiceContext,
    viewer: &Viewer,
    row: PostRow,
) -> LemmyResult<Json<PostResponse>> {
    Ok(Json(PostResponse {
        post_view: one_view(ctx, Some(viewer), row).await?,
    }))
}

#[derive(Deserialize)]
struct GetPost {
    id: Option<i64>,
    comment_id: Option<i64>,
}

#[derive(Serialize)]
struct GetPostResponse {
    post_view: PostView,
    community_view: CommunityView,
    moderators: Vec<CommunityModeratorView>,
    cross_posts: Vec<PostView>,
}

/// `GET post`: by id, or by the id of one of its comments. A signed-in reader's read mark is
/// set, as Lemmy does (the view answered shows the mark as it was).
async fn get_post(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetPost>,
) -> LemmyResult<Json<GetPostResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let id = match (form.id, form.comment_id) {
        (Some(id), _) => id,
        (None, Some(comment)) => {
            hearth_service::comments::get(&ctx, viewer, comment)
                .await?
                .post_id
        }
        (None, None) => {
            return Err(LemmyError::new(
                "no_id_given",
                "Give the post's `id` or a `comment_id`.",
            ));
        }
    };
    let row = posts::get(&ctx, viewer, id).await?;
    let community = hearth_service::community_facts::community(&ctx, row.community_id).await?;
    let post_view = one_view(&ctx, viewer, row).await?;
    let moderators =
        crate::views::community::moderator_views(&ctx, std::slice::from_ref(&community)).await?;
    let community_view = crate::views::community::community_view(&ctx, viewer, community).await?;
    if let Some(viewer) = viewer {
        hearth_service::saved::mark_posts_read(&ctx, viewer, &[id], true).await?;
    }
    Ok(Json(GetPostResponse {
        post_view,
        community_view,
        moderators,
        // Hearth does not link posts of the same URL to each other.
        cross_posts: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct GetPosts {
    type_: Option<ListingType>,
    sort: Option<SortType>,
    page: Option<i64>,
    limit: Option<i64>,
    community_id: Option<i64>,
    community_name: Option<String>,
    saved_only: Option<bool>,
    liked_only: Option<bool>,
    disliked_only: Option<bool>,
    show_read: Option<bool>,
    show_nsfw: Option<bool>,
    page_cursor: Option<String>,
}

#[derive(Serialize)]
struct GetPostsResponse {
    posts: Vec<PostView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page: Option<String>,
}

/// Which list of posts a `GET post/list` reads.
enum Listing {
    /// A feed of Hearth's (all, local, subscribed, one community) in a sort order.
    Feed { feed: Feed, sort: FeedSort },
    /// The viewer's saved posts, most recently saved first.
    Saved(Viewer),
    /// The posts the viewer voted on with this score, newest first.
    Voted(Viewer, i16),
    /// Posts by publication time: Lemmy's `Old` sort, and its moderator view.
    Dated {
        scope: DatedScope,
        oldest_first: bool,
    },
}

/// Where a page of a listing starts; written into `page_cursor` with a letter naming the
/// listing it belongs to, so a cursor of one listing is refused by another.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cursor {
    Feed(PostCursor),
    Saved(SavedCursor),
    Voted(i64),
    Dated(DatedCursor),
}

impl Cursor {
    fn encode(self) -> String {
        match self {
            Self::Feed(c) => format!("f{}_{}", c.key, c.id),
            Self::Saved(c) => format!("s{}", hearth_service::saved::encode_cursor(c)),
            Self::Voted(id) => format!("v{id}"),
            Self::Dated((published, id)) => format!("d{}_{id}", published.timestamp_micros()),
        }
    }

    fn decode(raw: &str, listing: &Listing) -> LemmyResult<Self> {
        let invalid = || {
            LemmyError::new(
                "invalid_query",
                "`page_cursor` is not one this listing gave.",
            )
        };
        let (kind, rest) = raw.split_at_checked(1).ok_or_else(invalid)?;
        match (kind, listing) {
            ("f", Listing::Feed { .. }) => {
                let (key, id) = rest.split_once('_').ok_or_else(invalid)?;
                let key: f64 = key.parse().map_err(|_| invalid())?;
                if !key.is_finite() {
                    return Err(invalid());
                }
                Ok(Self::Feed(PostCursor {
                    key,
                    id: id.parse().map_err(|_| invalid())?,
                }))
            }
            ("s", Listing::Saved(_)) => hearth_service::saved::decode_cursor(Some(rest))
                .map_err(|_| invalid())?
                .map(Self::Saved)
                .ok_or_else(invalid),
            ("v", Listing::Voted(..)) => Ok(Self::Voted(rest.parse().map_err(|_| invalid())?)),
            ("d", Listing::Dated { .. }) => {
                let (micros, id) = rest.split_once('_').ok_or_else(invalid)?;
                let micros: i64 = micros.parse().map_err(|_| invalid())?;
                let published =
                    chrono::DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
                Ok(Self::Dated((published, id.parse().map_err(|_| invalid())?)))
            }
            _ => Err(invalid()),
        }
    }
}

/// One page of a listing after `after`, and where the next starts.
async fn fetch(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    listing: &Listing,
    after: Option<Cursor>,
    limit: i64,
) -> LemmyResult<(Vec<PostRow>, Option<Cursor>)> {
    let mismatch = || LemmyError::new("invalid_query", "`page_cursor` is not of this listing.");
    match listing {
        Listing::Feed { feed, sort } => {
            let after = match after {
                None => None,
                Some(Cursor::Feed(c)) => Some(c),
                Some(_) => return Err(mismatch()),
            };
            let (rows, next) = match feed {
                // A community's listing shows its pinned posts first, as Lemmy's does.
                Feed::Community(reference) => {
                    posts::community_feed(ctx, viewer, reference, *sort, after, limit).await?
                }
                other => posts::feed(ctx, viewer, other.clone(), *sort, after, limit).await?,
            };
            Ok((rows, next.map(Cursor::Feed)))
        }
        Listing::Saved(owner) => {
            let after = match after {
                None => None,
                Some(Cursor::Saved(c)) => Some(c),
                Some(_) => return Err(mismatch()),
            };
            let (rows, next) = hearth_service::saved::saved_posts(ctx, owner, after, limit).await?;
            Ok((rows, next.map(Cursor::Saved)))
        }
        Listing::Voted(voter, score) => {
            let before = match after {
                None => None,
                Some(Cursor::Voted(id)) => Some(id),
                Some(_) => return Err(mismatch()),
            };
            let (rows, next) =
                hearth_service::content_facts::voted_posts(ctx, voter, *score, before, limit)
                    .await?;
            Ok((rows, next.map(Cursor::Voted)))
        }
        Listing::Dated {
            scope,
            oldest_first,
        } => {
            let after = match after {
                None => None,
                Some(Cursor::Dated(c)) => Some(c),
                Some(_) => return Err(mismatch()),
            };
            let (rows, next) = hearth_service::content_facts::posts_by_date(
                ctx,
                viewer,
                *scope,
                *oldest_first,
                after,
                limit,
            )
            .await?;
            Ok((rows, next.map(Cursor::Dated)))
        }
    }
}

/// `GET post/list`. Pages by `page_cursor` (Hearth's keyset cursor, opaque to the client) or,
/// for apps that count pages, by `page`: page n is reached by walking the cursor over the
/// n - 1 pages before it, so both give the same pages.
async fn list_posts(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetPosts>,
) -> LemmyResult<Json<GetPostsResponse>> {
    let viewer = user.map(|u| u.0);
    let viewer = viewer.as_ref();
    let limit = checked_limit(form.limit)?;
    let page = checked_page(form.page)?;
    let listing = listing(&ctx, viewer, &form).await?;
    let mut after = form
        .page_cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| Cursor::decode(c, &listing))
        .transpose()?;
    if after.is_none() && page > 1 {
        let mut to_skip = skipped(page, limit)?;
        while to_skip > 0 {
            let step = to_skip.min(WALK_STEP);
            let (_, next) = fetch(&ctx, viewer, &listing, after, step).await?;
            let Some(next) = next else {
                // The listing ends before this page.
                return Ok(Json(GetPostsResponse {
                    posts: Vec::new(),
                    next_page: None,
                }));
            };
            after = Some(next);
            to_skip -= step;
        }
    }
    let (rows, next) = fetch(&ctx, viewer, &listing, after, limit).await?;
    let mut posts = post_views(&ctx, viewer, rows).await?;
    // These filters thin the page rather than the listing: the cursor still moves over the
    // posts left out, so pages stay consistent (some may come back shorter).
    if form.show_read == Some(false) {
        posts.retain(|p| !p.read);
    }
    if form.show_nsfw == Some(false) {
        posts.retain(|p| !p.post.nsfw);
    }
    Ok(Json(GetPostsResponse {
        posts,
        next_page: next.map(Cursor::encode),
    }))
}

/// The listing a `GET post/list` form asks for.
async fn listing(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    form: &GetPosts,
) -> LemmyResult<Listing> {
    let signed_in = || viewer.cloned().ok_or_else(LemmyError::not_logged_in);
    let liked = form.liked_only == Some(true);
    let disliked = form.disliked_only == Some(true);
    if liked && disliked {
        return Err(LemmyError::new(
            "contradicting_filters",
            "`liked_only` and `disliked_only` exclude each other.",
        ));
    }
    if form.saved_only == Some(true) {
        return Ok(Listing::Saved(signed_in()?));
    }
    if liked || disliked {
        return Ok(Listing::Voted(signed_in()?, if liked { 1 } else { -1 }));
    }
    let sort = form.sort.unwrap_or(SortType::Active);
    let oldest_first = matches!(sort, SortType::Old);
    // `Old` is served by date below and never ranked; newest first is its nearest ranked order.
    let ranked = feed_sort(sort).unwrap_or(FeedSort::New);
    let community = if let Some(id) = form.community_id {
        Some(hearth_service::community_facts::community(ctx, id).await?)
    } else if let Some(name) = form.community_name.as_deref().filter(|n| !n.is_empty()) {
        Some(hearth_service::communities::find(ctx, name).await?)
    } else {
        None
    };
    let dated = |scope| Listing::Dated {
        scope,
        oldest_first,
    };
    if let Some(community) = community {
        if oldest_first {
            return Ok(dated(DatedScope::Community(community.id)));
        }
        let reference = hearth_service::community_facts::reference(
            ctx,
            &community.name,
            community.local,
            &community.ap_id,
        );
        return Ok(Listing::Feed {
            feed: Feed::Community(reference),
            sort: ranked,
        });
    }
    // The site's default listing, as `GET site` announces it.
    let (feed, scope) = match form.type_.unwrap_or(ListingType::Local) {
        ListingType::All => (Feed::All, DatedScope::All),
        ListingType::Local => (Feed::Local, DatedScope::Local),
        ListingType::Subscribed => (
            Feed::Subscribed,
            DatedScope::Subscribed(signed_in()?.person_id),
        ),
        // The posts of the communities one moderates, newest (or with `Old`, oldest) first:
        // Hearth ranks no such feed, so the other sorts read as `New`.
        ListingType::ModeratorView => {
            return Ok(Listing::Dated {
                scope: DatedScope::Moderated(signed_in()?.person_id),
                oldest_first,
            });
        }
    };
    if oldest_first {
        return Ok(dated(scope));
    }
    Ok(Listing::Feed { feed, sort: ranked })
}

#[derive(Deserialize)]
struct CreatePost {
    name: String,
    community_id: i64,
    url: Option<String>,
    body: Option<String>,
    honeypot: Option<String>,
    nsfw: Option<bool>,
    alt_text: Option<String>,
}

/// `POST post`. `language_id` is not kept (Hearth stores language tags, and offers Lemmy only
/// "undetermined"); `custom_thumbnail` is not kept either (Hearth's thumbnails come from the
/// link's preview or the uploaded picture). A link to a picture uploaded here (also in its
/// `/pictrs/image/` form) makes an image post, with `alt_text` as the picture's alt text.
async fn create_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreatePost>,
) -> LemmyResult<Json<PostResponse>> {
    if form.honeypot.as_deref().is_some_and(|h| !h.is_empty()) {
        return Err(LemmyError::new(
            "honeypot_failed",
            "The honeypot field must be left empty.",
        ));
    }
    let community = hearth_service::community_facts::community(&ctx, form.community_id).await?;
    let reference = hearth_service::community_facts::reference(
        &ctx,
        &community.name,
        community.local,
        &community.ap_id,
    );
    let url = form
        .url
        .filter(|u| !u.trim().is_empty())
        .map(|u| crate::pictrs::media_url(&ctx, u.trim()));
    let images = match (&url, form.alt_text) {
        (Some(link), Some(alt_text)) if hearth_service::media::local_hash(&ctx, link).is_some() => {
            vec![hearth_service::posts::ImageInput {
                url: link.clone(),
                alt_text: Some(alt_text),
            }]
        }
        _ => Vec::new(),
    };
    let row = posts::create(
        &ctx,
        &viewer,
        NewPostForm {
            community: reference,
            title: form.name,
            url,
            body: form.body,
            nsfw: form.nsfw.unwrap_or(false),
            language: None,
            images,
            event: None,
            poll: None,
        },
    )
    .await?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct EditPost {
    post_id: i64,
    name: Option<String>,
    url: Option<String>,
    body: Option<String>,
    nsfw: Option<bool>,
}

/// `PUT post` (its author only). An empty `url` removes the link, as in Lemmy.
async fn edit_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<EditPost>,
) -> LemmyResult<Json<PostResponse>> {
    let changes = PostChanges {
        title: form.name,
        url: form.url.map(|u| {
            Some(u)
                .filter(|u: &String| !u.trim().is_empty())
                .map(|u| crate::pictrs::media_url(&ctx, u.trim()))
        }),
        body: form.body,
        nsfw: form.nsfw,
        language: None,
        images: None,
        event: None,
    };
    let row = posts::edit(&ctx, &viewer, form.post_id, changes)
        .await
        .map_err(LemmyError::from)?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct DeletePost {
    post_id: i64,
    deleted: bool,
}

/// `POST post/delete` (its author only). Hearth has no undo for an author's deletion, so
/// `deleted: false` is refused.
async fn delete_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<DeletePost>,
) -> LemmyResult<Json<PostResponse>> {
    if !form.deleted {
        return Err(LemmyError::unsupported(
            "couldnt_update_post",
            "Restoring a deleted post",
        ));
    }
    let row = posts::delete(&ctx, &viewer, form.post_id).await?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct CreatePostLike {
    post_id: i64,
    score: i64,
}

/// A vote's value as Lemmy sends it: 1, 0 or -1.
pub(crate) fn vote_value(score: i64) -> LemmyResult<i16> {
    match score {
        -1..=1 => Ok(score as i16),
        _ => Err(LemmyError::new(
            "invalid_vote_value",
            "A vote is 1 (up), -1 (down) or 0 (taken back).",
        )),
    }
}

/// `POST post/like`: 1 up, -1 down, 0 takes the vote back.
async fn like_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreatePostLike>,
) -> LemmyResult<Json<PostResponse>> {
    let score = vote_value(form.score)?;
    let row = posts::vote(&ctx, &viewer, form.post_id, score).await?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct SavePost {
    post_id: i64,
    save: bool,
}

/// `PUT post/save`.
async fn save_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<SavePost>,
) -> LemmyResult<Json<PostResponse>> {
    hearth_service::saved::save_post(&ctx, &viewer, form.post_id, form.save).await?;
    let row = posts::get(&ctx, Some(&viewer), form.post_id).await?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct MarkPostAsRead {
    post_id: Option<i64>,
    post_ids: Option<Vec<i64>>,
    read: bool,
}

/// `POST post/mark_as_read`: `post_ids` (Lemmy 0.19.4 on) or `post_id` (before).
async fn mark_as_read(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<MarkPostAsRead>,
) -> LemmyResult<Json<SuccessResponse>> {
    let mut ids = form.post_ids.unwrap_or_default();
    ids.extend(form.post_id);
    if ids.is_empty() {
        return Err(LemmyError::new("no_id_given", "Give `post_ids`."));
    }
    hearth_service::saved::mark_posts_read(&ctx, &viewer, &ids, form.read)
        .await
        .map_err(|e| LemmyError::from(e).rename("invalid_query", "too_many_items"))?;
    Ok(Json(SuccessResponse::OK))
}

#[derive(Deserialize)]
struct CreatePostReport {
    post_id: i64,
    reason: String,
}

#[derive(Serialize)]
struct PostReport {
    id: i64,
    creator_id: i64,
    post_id: i64,
    original_post_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_post_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_post_body: Option<String>,
    reason: String,
    resolved: bool,
    published: String,
}

#[derive(Serialize)]
struct PostReportView {
    post_report: PostReport,
    post: Post,
    community: Community,
    creator: Person,
    post_creator: Person,
    creator_banned_from_community: bool,
    creator_is_moderator: bool,
    creator_is_admin: bool,
    subscribed: SubscribedType,
    saved: bool,
    read: bool,
    hidden: bool,
    creator_blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    my_vote: Option<i16>,
    unread_comments: i64,
    counts: PostAggregates,
}

#[derive(Serialize)]
struct PostReportResponse {
    post_report_view: PostReportView,
}

/// `POST post/report`: to the community's moderators, wherever they are.
async fn report_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreatePostReport>,
) -> LemmyResult<Json<PostReportResponse>> {
    let row = posts::get(&ctx, Some(&viewer), form.post_id).await?;
    let (original_url, original_body) = (row.url.clone(), row.body.clone());
    let report = hearth_service::reports::create(
        &ctx,
        &viewer,
        hearth_service::reports::Reported::Post(form.post_id),
        &form.reason,
    )
    .await?;
    let view = one_view(&ctx, Some(&viewer), row).await?;
    let reporter = hearth_service::community_facts::person(&ctx, viewer.person_id).await?;
    let reporter = Person::from_row(&reporter, false);
    Ok(Json(PostReportResponse {
        post_report_view: PostReportView {
            post_report: PostReport {
                id: report.id,
                creator_id: viewer.person_id,
                post_id: view.post.id,
                original_post_name: view.post.name.clone(),
                original_post_url: original_url,
                original_post_body: Some(original_body).filter(|b| !b.is_empty()),
                reason: report.reason,
                resolved: report.status != "pending",
                published: time(report.created_at),
            },
            post: view.post,
            community: view.community,
            creator: reporter,
            post_creator: view.creator,
            creator_banned_from_community: view.creator_banned_from_community,
            creator_is_moderator: view.creator_is_moderator,
            creator_is_admin: view.creator_is_admin,
            subscribed: view.subscribed,
            saved: view.saved,
            read: view.read,
            hidden: view.hidden,
            creator_blocked: view.creator_blocked,
            my_vote: view.my_vote,
            unread_comments: view.unread_comments,
            counts: view.counts,
        },
    }))
}
