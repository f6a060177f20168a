//! Comments: replying to posts and comments, editing, deleting, voting, and loading threads.

use crate::auth::Viewer;
use crate::outbox::{self, Event};
use crate::posts::check_vote;
use crate::rate_limit::{self, Action};
use crate::{ServiceContext, content, mentions};
use hearth_core::{Error, Result};
use hearth_db::comment::{CommentRow, CommentSort, NewComment};

/// The longest comment accepted.
pub const MAX_BODY: usize = 10_000;

/// Writes a comment on a post, or a reply to one of its comments.
#[tracing::instrument(skip_all, fields(author = viewer.person_id, post = post_id))]
pub async fn create(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    parent_id: Option<i64>,
    body: &str,
) -> Result<CommentRow> {
    let body = content::body(body, "body", 1, MAX_BODY)?;
    let post = hearth_db::post::facts(&ctx.pool, post_id)
        .await?
        .ok_or_else(|| Error::not_found("There is no post with this id."))?;
    let community = hearth_db::community::find_for_write(&ctx.pool, post.community_id)
        .await?
        .ok_or_else(|| Error::not_found("The post's community is gone."))?;
    let thread = content::Thread {
        gone: post.deleted || post.removed,
        locked: post.locked,
    };
    content::may_comment(ctx, viewer, &community, thread).await?;
    if let Some(parent) = parent_id {
        let facts = hearth_db::comment::facts(&ctx.pool, parent).await?;
        match facts {
            Some(f) if f.post_id != post_id => {
                return Err(Error::validation(
                    "parent_id",
                    "is a comment of another post",
                ));
            }
            Some(f) if f.deleted || f.removed => {
                return Err(Error::forbidden(
                    "deleted",
                    "That comment has been deleted; it takes no replies.",
                ));
            }
            Some(_) => {}
            None => return Err(Error::validation("parent_id", "is not a comment")),
        }
    }
    rate_limit::check(ctx, Action::Comment, &viewer.person_id.to_string()).await?;
    let written = mentions::render(ctx, &body).await?;
    let body_html = written.html;
    let mut tx = ctx.pool.begin().await?;
    let id = hearth_db::comment::insert(
        &mut tx,
        &NewComment {
            ap_id: None,
            local: true,
            post_id,
            parent_id,
            author_id: viewer.person_id,
            body: &body,
            body_html: &body_html,
            language: None,
            published: None,
        },
        &format!("{}/comment/", ctx.settings.public_base_url()),
    )
    .await?
    .ok_or_else(|| Error::validation("parent_id", "is not a comment of this post"))?;
    hearth_db::mention::set_for_comment(&mut *tx, id, &written.mentioned).await?;
    hearth_db::notification::for_comment(&mut *tx, id).await?;
    outbox::record(ctx, &mut tx, Event::CommentCreated(id)).await?;
    tx.commit().await?;
    tracing::info!(comment = id, "comment created");
    get(ctx, Some(viewer), id).await
}

/// One comment, as the viewer sees it.
pub async fn get(ctx: &ServiceContext, viewer: Option<&Viewer>, id: i64) -> Result<CommentRow> {
    hearth_db::comment::find(&ctx.pool, id, viewer.map(|v| v.person_id))
        .await?
        .ok_or_else(|| Error::not_found("There is no comment with this id."))
}

/// Replaces a comment's body (its author only).
#[tracing::instrument(skip_all, fields(comment = id))]
pub async fn edit(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    body: &str,
) -> Result<CommentRow> {
    own_live_comment(ctx, viewer, id).await?;
    let body = content::body(body, "body", 1, MAX_BODY)?;
    let written = mentions::render(ctx, &body).await?;
    let mut tx = ctx.pool.begin().await?;
    hearth_db::comment::edit(&mut *tx, id, &body, &written.html).await?;
    hearth_db::mention::set_for_comment(&mut *tx, id, &written.mentioned).await?;
    hearth_db::notification::for_comment(&mut *tx, id).await?;
    outbox::record(ctx, &mut tx, Event::CommentUpdated(id)).await?;
    tx.commit().await?;
    get(ctx, Some(viewer), id).await
}

/// Deletes a comment (its author only); replies below it stay visible.
#[tracing::instrument(skip_all, fields(comment = id))]
pub async fn delete(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<CommentRow> {
    own_live_comment(ctx, viewer, id).await?;
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::comment::mark_deleted(&mut *tx, id).await? {
        outbox::record(ctx, &mut tx, Event::CommentDeleted(id)).await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), id).await
}

async fn own_live_comment(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<()> {
    let facts = hearth_db::comment::facts(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no comment with this id."))?;
    if facts.author_id != viewer.person_id {
        return Err(Error::forbidden(
            "not_author",
            "Only the author may change this comment.",
        ));
    }
    if facts.deleted || facts.removed {
        return Err(Error::forbidden(
            "deleted",
            "This comment has been deleted.",
        ));
    }
    // A deleted post's thread is read-only.
    let post = hearth_db::post::facts(&ctx.pool, facts.post_id).await?;
    if post.is_none_or(|p| p.deleted || p.removed) {
        return Err(Error::forbidden(
            "deleted",
            "This comment's post has been deleted.",
        ));
    }
    Ok(())
}

/// Votes on a comment: 1 up, -1 down, 0 to take the vote back.
#[tracing::instrument(skip_all, fields(comment = id, score))]
pub async fn vote(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    score: i16,
) -> Result<CommentRow> {
    let facts = hearth_db::comment::facts(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no comment with this id."))?;
    let post = hearth_db::post::facts(&ctx.pool, facts.post_id)
        .await?
        .ok_or_else(|| Error::not_found("The comment's post is gone."))?;
    // A vote needs live content in a live thread.
    let gone = facts.deleted || facts.removed || post.deleted || post.removed;
    check_vote(ctx, viewer, post.community_id, gone, score).await?;
    let mut tx = ctx.pool.begin().await?;
    let old = hearth_db::comment::vote(&mut tx, id, viewer.person_id, score).await?;
    if let Some(old) = old.filter(|old| *old != score) {
        let event = Event::CommentVoted {
            comment_id: id,
            person_id: viewer.person_id,
            old,
            new: score,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), id).await
}

/// Parses `top`, `new`, `old`, `hot` or `controversial`.
pub fn parse_sort(raw: &str) -> Result<CommentSort> {
    Ok(match raw {
        "top" => CommentSort::Top,
        "new" => CommentSort::New,
        "old" => CommentSort::Old,
        "hot" => CommentSort::Hot,
        "controversial" => CommentSort::Controversial,
        _ => {
            return Err(Error::validation(
                "sort",
                "must be top, new, old, hot or controversial",
            ));
        }
    })
}

/// The deepest `max_depth` a thread request may ask for.
pub const MAX_DEPTH: i32 = 100;
/// The most comments one thread request returns.
pub const MAX_THREAD_LIMIT: i64 = 500;

/// A post's thread, or the replies below `parent` ("load more"), in display order.
pub async fn thread(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    post_id: i64,
    parent: Option<i64>,
    sort: CommentSort,
    max_depth: i32,
    limit: i64,
) -> Result<Vec<CommentRow>> {
    if !(1..=MAX_DEPTH).contains(&max_depth) {
        return Err(Error::validation(
            "max_depth",
            format!("must be between 1 and {MAX_DEPTH}"),
        ));
    }
    if !(1..=MAX_THREAD_LIMIT).contains(&limit) {
        return Err(Error::validation(
            "limit",
            format!("must be between 1 and {MAX_THREAD_LIMIT}"),
        ));
    }
    if hearth_db::post::facts(&ctx.pool, post_id).await?.is_none() {
        return Err(Error::not_found("There is no post with this id."));
    }
    if let Some(parent) = parent {
        match hearth_db::comment::facts(&ctx.pool, parent).await? {
            Some(f) if f.post_id == post_id => {}
            _ => {
                return Err(Error::validation(
                    "parent_id",
                    "is not a comment of this post",
                ));
            }
        }
    }
    let viewer_id = viewer.map(|v| v.person_id);
    Ok(ctx
        .read(viewer, |db| async move {
            hearth_db::comment::tree(&db, post_id, parent, sort, max_depth, limit, viewer_id).await
        })
        .await?)
}

/// A person's comments, newest first.
pub async fn by_author(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    reference: &str,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<CommentRow>> {
    let person = crate::users::find(ctx, reference, "user").await?;
    let viewer_id = viewer.map(|v| v.person_id);
    Ok(ctx
        .read(viewer, |db| async move {
            hearth_db::comment::by_author(&db, person.id, after, limit, viewer_id).await
        })
        .await?)
}
