//! Saved posts and comments: the Save / Unsave buttons of the post page and of each comment,
//! the visitor's Saved page (`/saved`, posts or comments, most recently saved first), and the
//! read mark a signed-in visitor leaves by opening a post.

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::page::{Layout, PageResult, WebError, back_to, render, see_other};
use crate::paging::PAGE_SIZE;
use crate::routes::front::link;
use crate::routes::users::{CommentInList, comments_in_list};
use crate::session::Session;
use crate::views::{Choice, PostView, ThreadItem, post_list};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use hearth_core::Error;
use hearth_service::ServiceContext;
use hearth_service::saved;
use serde::Deserialize;

/// The Saved page and the save buttons.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/saved", get(show))
        .route("/post/{id}/save", post(save_post::<true>))
        .route("/post/{id}/unsave", post(save_post::<false>))
        .route("/comment/{id}/save", post(save_comment::<true>))
        .route("/comment/{id}/unsave", post(save_comment::<false>))
}

/// What the post page does for a signed-in visitor: marks the post read (one insert that does
/// nothing the second time) and fills in whether they saved it. Nothing for anonymous visitors.
pub async fn open_post(
    ctx: &ServiceContext,
    session: &Session,
    post: &mut PostView,
) -> Result<(), WebError> {
    let Some(viewer) = session.viewer.as_ref() else {
        return Ok(());
    };
    saved::mark_posts_read(ctx, viewer, &[post.id], true).await?;
    mark_post(ctx, session, post).await
}

/// Fills in whether the visitor saved the post.
pub async fn mark_post(
    ctx: &ServiceContext,
    session: &Session,
    post: &mut PostView,
) -> Result<(), WebError> {
    if let Some(viewer) = session.viewer.as_ref() {
        let marks = saved::post_marks(ctx, viewer.person_id, &[post.id]).await?;
        post.saved = marks.saved.contains(&post.id);
    }
    Ok(())
}

/// Fills in which comments of a thread the visitor saved: one query for the thread.
pub async fn mark_thread(
    ctx: &ServiceContext,
    session: &Session,
    items: &mut [ThreadItem],
) -> Result<(), WebError> {
    let Some(viewer) = session.viewer.as_ref() else {
        return Ok(());
    };
    let ids: Vec<i64> = items
        .iter()
        .filter_map(|item| match item {
            ThreadItem::Open(c) => Some(c.id),
            ThreadItem::Close(_) => None,
        })
        .collect();
    let saved_ids = saved::saved_comment_ids(ctx, viewer.person_id, &ids).await?;
    for item in items {
        if let ThreadItem::Open(c) = item {
            c.saved = saved_ids.contains(&c.id);
        }
    }
    Ok(())
}

/// Saves or unsaves a post, then back to the page the button was on, at the post.
async fn save_post<const SAVE: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    saved::save_post(&ctx, &user.viewer, id, SAVE).await?;
    Ok(see_other(&back_to(
        &headers,
        format!("/post/{id}"),
        &format!("p{id}"),
    )))
}

/// Saves or unsaves a comment, then back to the page the button was on, at the comment.
async fn save_comment<const SAVE: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    saved::save_comment(&ctx, &user.viewer, id, SAVE).await?;
    Ok(see_other(&back_to(
        &headers,
        format!("/comment/{id}"),
        &format!("c{id}"),
    )))
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    view: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "saved.html")]
struct SavedPage {
    layout: Layout,
    tabs: Vec<Choice>,
    showing_comments: bool,
    posts: Vec<PostView>,
    hidden_nsfw: usize,
    comments: Vec<CommentInList>,
    next_page: Option<String>,
    first_page: Option<String>,
}

/// The visitor's saved posts or comments, most recently saved first, a page at a time.
async fn show(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<SavedQuery>,
) -> PageResult {
    let showing_comments = match query.view.as_deref() {
        None | Some("" | "posts") => false,
        Some("comments") => true,
        Some(_) => {
            return Err(WebError(Error::validation(
                "view",
                "must be posts or comments",
            )));
        }
    };
    let after = saved::decode_cursor(query.cursor.as_deref())?;
    let session = &user.session;
    let (mut posts, mut hidden_nsfw, mut comments) = (Vec::new(), 0, Vec::new());
    let next = if showing_comments {
        let (rows, next) = saved::saved_comments(&ctx, &user.viewer, after, PAGE_SIZE).await?;
        comments = comments_in_list(&ctx, session, rows).await?;
        for item in &mut comments {
            item.comment.saved = true;
        }
        next
    } else {
        let (rows, next) = saved::saved_posts(&ctx, &user.viewer, after, PAGE_SIZE).await?;
        (posts, hidden_nsfw) = post_list(&ctx, rows, session);
        crate::routes::events::mark_badges(&ctx, session, &mut posts).await?;
        for post in &mut posts {
            post.saved = true;
        }
        next
    };
    let view_param = if showing_comments { "comments" } else { "" };
    let tabs = vec![
        Choice {
            label: "Posts",
            href: "/saved".to_owned(),
            current: !showing_comments,
        },
        Choice {
            label: "Comments",
            href: link("/saved", &[("view", "comments")]),
            current: showing_comments,
        },
    ];
    render(&SavedPage {
        layout: Layout::new(session, "Saved", "saved"),
        tabs,
        showing_comments,
        posts,
        hidden_nsfw,
        comments,
        next_page: next.map(|cursor| {
            link(
                "/saved",
                &[
                    ("view", view_param),
                    ("cursor", &saved::encode_cursor(cursor)),
                ],
            )
        }),
        first_page: query
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|_| link("/saved", &[("view", view_param)])),
    })
}
