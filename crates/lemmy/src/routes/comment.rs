//! The v3 `comment` endpoints: reading one comment and threads, writing, editing, deleting,
//! voting, saving and reports, through the same use cases as the JSON API and the pages
//! (`hearth_service::{comments, saved, reports}`). Moderator removal lives in `moderation`.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::{CommentSortType, WALK_STEP, checked_limit, checked_page, skipped};
use crate::routes::post::vote_value;
use crate::views::comment::{Comment, CommentAggregates, CommentView, comment_view, comment_views};
use crate::views::post::Post;
use crate::views::{Community, Person, SubscribedType, time};
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hearth_db::comment::CommentRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::comments;
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route(
            "/comment",
            get(get_comment).post(create_comment).put(edit_comment),
        )
        .route("/comment/list", get(list_comments))
        .route("/comment/delete", post(delete_comment))
        .route("/comment/like", post(like_comment))
        .route("/comment/save", put(save_comment))
        .route("/comment/report", post(report_comment))
}

/// The most comments a thread read by `max_depth` returns, as Lemmy caps it.
const MAX_TREE: i64 = 300;

/// `CommentResponse`.
#[derive(Serialize)]
struct CommentResponse {
    comment_view: CommentView,
    /// The local accounts notified; Hearth notifies through its own inbox and does not list
    /// them here.
    recipient_ids: Vec<i64>,
}

async fn respond(
    ctx: &ServiceContext,
    viewer: &Viewer,
    row: CommentRow,
) -> LemmyResult<Json<CommentResponse>> {
    Ok(Json(CommentResponse {
        comment_view: comment_view(ctx, Some(viewer), row).await?,
        recipient_ids: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct GetComment {
    id: i64,
}

/// `GET comment`.
async fn get_comment(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetComment>,
) -> LemmyResult<Json<CommentResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let row = comments::get(&ctx, viewer, form.id).await?;
    Ok(Json(CommentResponse {
        comment_view: comment_view(&ctx, viewer, row).await?,
        recipient_ids: Vec::new(),
    }))
}

#[derive(Deserialize)]
struct GetComments {
    sort: Option<CommentSortType>,
    max_depth: Option<i32>,
    page: Option<i64>,
    limit: Option<i64>,
    post_id: Option<i64>,
    parent_id: Option<i64>,
    saved_only: Option<bool>,
    liked_only: Option<bool>,
    disliked_only: Option<bool>,
}

#[derive(Serialize)]
struct GetCommentsResponse {
    comments: Vec<CommentView>,
}

/// `GET comment/list`: a post's thread (or the subtree of `parent_id`, which Lemmy lists with
/// the parent itself first), in display order; or the viewer's saved comments, or those they
/// voted on (`liked_only`, `disliked_only`: newest first). With `max_depth` the tree down to
/// that depth comes whole (at most 300 comments, `page` ignored, as Lemmy does); without,
/// `page`/`limit` cut the thread in display order.
async fn list_comments(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetComments>,
) -> LemmyResult<Json<GetCommentsResponse>> {
    let viewer = user.map(|u| u.0);
    let viewer = viewer.as_ref();
    let limit = checked_limit(form.limit)?;
    let page = checked_page(form.page)?;
    let liked = form.liked_only == Some(true);
    let disliked = form.disliked_only == Some(true);
    if liked && disliked {
        return Err(LemmyError::new(
            "contradicting_filters",
            "`liked_only` and `disliked_only` exclude each other.",
        ));
    }
    let rows = if form.saved_only == Some(true) {
        let viewer = viewer.ok_or_else(LemmyError::not_logged_in)?;
        saved_page(&ctx, viewer, page, limit).await?
    } else if liked || disliked {
        let viewer = viewer.ok_or_else(LemmyError::not_logged_in)?;
        voted_page(&ctx, viewer, if liked { 1 } else { -1 }, page, limit).await?
    } else {
        thread_page(&ctx, viewer, &form, page, limit).await?
    };
    Ok(Json(GetCommentsResponse {
        comments: comment_views(&ctx, viewer, rows).await?,
    }))
}

/// Page `page` of the viewer's saved comments, most recently saved first, reached by walking
/// the saved list's cursor.
async fn saved_page(
    ctx: &ServiceContext,
    viewer: &Viewer,
    page: i64,
    limit: i64,
) -> LemmyResult<Vec<CommentRow>> {
    let mut after = None;
    let mut to_skip = skipped(page, limit)?;
    while to_skip > 0 {
        let step = to_skip.min(WALK_STEP);
        to_skip -= step;
        let (_, next) = hearth_service::saved::saved_comments(ctx, viewer, after, step).await?;
        match next {
            Some(next) => after = Some(next),
            None => return Ok(Vec::new()),
        }
    }
    Ok(
        hearth_service::saved::saved_comments(ctx, viewer, after, limit)
            .await?
            .0,
    )
}

/// Page `page` of the comments the viewer voted on with `score`, newest first, reached by
/// walking the list's cursor.
async fn voted_page(
    ctx: &ServiceContext,
    viewer: &Viewer,
    score: i16,
    page: i64,
    limit: i64,
) -> LemmyResult<Vec<CommentRow>> {
    let mut before = None;
    let mut to_skip = skipped(page, limit)?;
    while to_skip > 0 {
        let step = to_skip.min(WALK_STEP);
        to_skip -= step;
        let (_, next) =
            hearth_service::content_facts::voted_comments(ctx, viewer, score, before, step).await?;
        match next {
            Some(next) => before = Some(next),
            None => return Ok(Vec::new()),
        }
    }
    Ok(
        hearth_service::content_facts::voted_comments(ctx, viewer, score, before, limit)
            .await?
            .0,
    )
}

/// The part of a thread a `GET comment/list` asks for.
async fn thread_page(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    form: &GetComments,
    page: i64,
    limit: i64,
) -> LemmyResult<Vec<CommentRow>> {
    let parent = match form.parent_id {
        Some(id) => Some(comments::get(ctx, viewer, id).await?),
        None => None,
    };
    let post_id = match (form.post_id, &parent) {
        (Some(post_id), _) => post_id,
        (None, Some(parent)) => parent.post_id,
        (None, None) => {
            return Err(LemmyError::unsupported(
                "couldnt_get_comments",
                "Listing comments across posts (give `post_id` or `parent_id`)",
            ));
        }
    };
    let sort = form.sort.unwrap_or(CommentSortType::Hot).stored();
    let (max_depth, wanted, skip) = match form.max_depth {
        Some(depth) => (depth, MAX_TREE, 0),
        None => {
            let skip = (page - 1).saturating_mul(limit);
            let wanted = skip.saturating_add(limit);
            if wanted > comments::MAX_THREAD_LIMIT {
                return Err(LemmyError::new(
                    "invalid_query",
                    format!(
                        "`page` reaches too far: a thread lists its first {} comments by page; read deeper ones with `parent_id`.",
                        comments::MAX_THREAD_LIMIT
                    ),
                ));
            }
            (comments::MAX_DEPTH, wanted, skip)
        }
    };
    let mut rows = Vec::new();
    // Lemmy lists the parent itself before its replies (its path contains its own).
    if let Some(parent) = parent {
        rows.push(parent);
    }
    rows.extend(
        comments::thread(
            ctx,
            viewer,
            post_id,
            form.parent_id,
            sort,
            max_depth,
            wanted,
        )
        .await?,
    );
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    Ok(match form.max_depth {
        Some(_) => rows,
        None => rows.into_iter().skip(skip).take(limit).collect(),
    })
}

#[derive(Deserialize)]
struct CreateComment {
    content: String,
    post_id: i64,
    parent_id: Option<i64>,
}

/// `POST comment`. `language_id` is not kept (Hearth offers Lemmy only "undetermined").
async fn create_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreateComment>,
) -> LemmyResult<Json<CommentResponse>> {
    let row = comments::create(&ctx, &viewer, form.post_id, form.parent_id, &form.content)
        .await
        .map_err(|e| LemmyError::from(e).rename("invalid_query", "couldnt_create_comment"))?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct EditComment {
    comment_id: i64,
    content: Option<String>,
}

/// `PUT comment` (its author only); without `content` nothing changes.
async fn edit_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<EditComment>,
) -> LemmyResult<Json<CommentResponse>> {
    let row = match form.content {
        Some(content) => comments::edit(&ctx, &viewer, form.comment_id, &content)
            .await
            .map_err(|e| {
                LemmyError::from(e).rename("no_post_edit_allowed", "no_comment_edit_allowed")
            })?,
        None => comments::get(&ctx, Some(&viewer), form.comment_id).await?,
    };
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct DeleteComment {
    comment_id: i64,
    deleted: bool,
}

/// `POST comment/delete` (its author only). Hearth has no undo for an author's deletion, so
/// `deleted: false` is refused.
async fn delete_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<DeleteComment>,
) -> LemmyResult<Json<CommentResponse>> {
    if !form.deleted {
        return Err(LemmyError::unsupported(
            "couldnt_update_comment",
            "Restoring a deleted comment",
        ));
    }
    let row = comments::delete(&ctx, &viewer, form.comment_id)
        .await
        .map_err(|e| {
            LemmyError::from(e).rename("no_post_edit_allowed", "no_comment_edit_allowed")
        })?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct CreateCommentLike {
    comment_id: i64,
    score: i64,
}

/// `POST comment/like`: 1 up, -1 down, 0 takes the vote back.
async fn like_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreateCommentLike>,
) -> LemmyResult<Json<CommentResponse>> {
    let score = vote_value(form.score)?;
    let row = comments::vote(&ctx, &viewer, form.comment_id, score).await?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct SaveComment {
    comment_id: i64,
    save: bool,
}

/// `PUT comment/save`.
async fn save_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<SaveComment>,
) -> LemmyResult<Json<CommentResponse>> {
    hearth_service::saved::save_comment(&ctx, &viewer, form.comment_id, form.save).await?;
    let row = comments::get(&ctx, Some(&viewer), form.comment_id).await?;
    respond(&ctx, &viewer, row).await
}

#[derive(Deserialize)]
struct CreateCommentReport {
    comment_id: i64,
    reason: String,
}

#[derive(Serialize)]
struct CommentReport {
    id: i64,
    creator_id: i64,
    comment_id: i64,
    original_comment_text: String,
    reason: String,
    resolved: bool,
    published: String,
}

#[derive(Serialize)]
struct CommentReportView {
    comment_report: CommentReport,
    comment: Comment,
    post: Post,
    community: Community,
    creator: Person,
    comment_creator: Person,
    counts: CommentAggregates,
    creator_banned_from_community: bool,
    creator_is_moderator: bool,
    creator_is_admin: bool,
    creator_blocked: bool,
    subscribed: SubscribedType,
    saved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    my_vote: Option<i16>,
}

#[derive(Serialize)]
struct CommentReportResponse {
    comment_report_view: CommentReportView,
}

/// `POST comment/report`: to the community's moderators, wherever they are.
async fn report_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreateCommentReport>,
) -> LemmyResult<Json<CommentReportResponse>> {
    let row = comments::get(&ctx, Some(&viewer), form.comment_id).await?;
    let original_text = row.body.clone();
    let report = hearth_service::reports::create(
        &ctx,
        &viewer,
        hearth_service::reports::Reported::Comment(form.comment_id),
        &form.reason,
    )
    .await?;
    let view = comment_view(&ctx, Some(&viewer), row).await?;
    let reporter = hearth_service::community_facts::person(&ctx, viewer.person_id).await?;
    Ok(Json(CommentReportResponse {
        comment_report_view: CommentReportView {
            comment_report: CommentReport {
                id: report.id,
                creator_id: viewer.person_id,
                comment_id: view.comment.id,
                original_comment_text: original_text,
                reason: report.reason,
                resolved: report.status != "pending",
                published: time(report.created_at),
            },
            comment: view.comment,
            post: view.post,
            community: view.community,
            creator: Person::from_row(&reporter, false),
            comment_creator: view.creator,
            counts: view.counts,
            creator_banned_from_community: view.creator_banned_from_community,
            creator_is_moderator: view.creator_is_moderator,
            creator_is_admin: view.creator_is_admin,
            creator_blocked: view.creator_blocked,
            subscribed: view.subscribed,
            saved: view.saved,
            my_vote: view.my_vote,
        },
    }))
}
