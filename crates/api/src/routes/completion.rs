//! What post and comment views need beyond their rows, filled in for a whole list at once:
//! the viewer's saved and read marks, and the events and polls among the posts as the viewer
//! sees them (a few queries per list, never one per row). Every route that answers posts or
//! comments finishes its views here.

use crate::views::{CommentView, EventView, PostView};
use chrono::Utc;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::{events, polls, saved};

/// Fills in the viewer's `saved` and `read` marks of a list of posts: one query for the list,
/// none for an anonymous reader.
pub async fn mark_posts(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    views: &mut [PostView],
) -> Result<()> {
    let Some(viewer) = viewer else {
        return Ok(());
    };
    let ids: Vec<i64> = views.iter().map(|v| v.id).collect();
    let marks = saved::post_marks(ctx, viewer.person_id, &ids).await?;
    for view in views {
        view.saved = marks.saved.contains(&view.id);
        view.read = marks.read.contains(&view.id);
    }
    Ok(())
}

/// Fills in the viewer's `saved` mark of a list of comments: one query for the list, none for
/// an anonymous reader.
pub async fn mark_comments(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    views: &mut [CommentView],
) -> Result<()> {
    let Some(viewer) = viewer else {
        return Ok(());
    };
    let ids: Vec<i64> = views.iter().map(|v| v.id).collect();
    let saved_ids = saved::saved_comment_ids(ctx, viewer.person_id, &ids).await?;
    for view in views {
        view.saved = saved_ids.contains(&view.id);
    }
    Ok(())
}

/// Fills in what a list of post views lacks from their rows: the viewer's saved and read marks,
/// and the events and polls among them as the viewer sees them. A few queries for the whole
/// list, never one per post; deleted and removed posts keep neither event nor poll.
pub async fn complete(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    views: &mut [PostView],
) -> Result<()> {
    mark_posts(ctx, viewer, views).await?;
    let shown: Vec<(i64, i64)> = views
        .iter()
        .filter(|v| !v.deleted)
        .map(|v| (v.id, v.author.id))
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = shown.iter().map(|(id, _)| *id).collect();
    let mut events = events::for_posts(ctx, viewer, &ids).await?;
    let mut polls = polls::for_posts(ctx, viewer, &shown).await?;
    let now = Utc::now();
    for view in views.iter_mut().filter(|v| !v.deleted) {
        view.event = events
            .remove(&view.id)
            .map(|event| EventView::new(event, now));
        view.poll = polls.remove(&view.id).map(Into::into);
    }
    Ok(())
}

/// One post as a change to it is answered, from its row: completed as in lists.
pub async fn one_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    post: hearth_db::post::PostRow,
) -> Result<PostView> {
    let mut view = [PostView::from(post)];
    complete(ctx, viewer, &mut view).await?;
    let [view] = view;
    Ok(view)
}
