//! Your notifications, as a page: what happened, in context, with a link that marks one read
//! and opens what it is about, and "mark all read". The bell in the layout counts the unread
//! ones on every page load (no script needed).

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::page::{Layout, PageResult, render, see_other};
use crate::paging::{PAGE_SIZE, decode_id};
use crate::views::{TimeView, time};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use chrono::Utc;
use hearth_db::notification::{NotificationFilter, NotificationKind, NotificationRow};
use hearth_service::ServiceContext;
use hearth_service::notifications;
use serde::Deserialize;

/// The notification routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/notifications", get(list))
        .route("/notifications/read_all", post(read_all))
        .route("/notifications/{id}/open", get(open))
        .route("/notifications/{id}/read", post(read))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    /// `unread` shows only unread ones.
    show: Option<String>,
    cursor: Option<String>,
}

/// One notification as the page shows it.
struct NotificationItem {
    id: i64,
    read: bool,
    /// What happened, in a sentence ("alice replied to you").
    headline: String,
    /// The post's title, when it concerns one.
    post_title: Option<String>,
    /// The comment's body (sanitised HTML), when it concerns one.
    comment_html: Option<String>,
    reason: String,
    /// Until when, for bans ("until 2026-12-09 10:00 UTC").
    until: Option<String>,
    at: TimeView,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<NotificationItem>,
    unread_only: bool,
    next: Option<String>,
}

async fn list(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    let unread_only = query.show.as_deref() == Some("unread");
    let filter = NotificationFilter {
        unread_only,
        kind: None,
        before: decode_id(query.cursor.as_deref())?,
    };
    let mut rows = notifications::list(&ctx, &user.viewer, filter, PAGE_SIZE + 1).await?;
    let next = hearth_service::paging::cut(&mut rows, PAGE_SIZE).map(|last| {
        let show = if unread_only { "show=unread&" } else { "" };
        format!("/notifications?{show}cursor={}", last.id)
    });
    let now = Utc::now();
    let items = rows.into_iter().map(|n| item(n, now)).collect();
    render(&NotificationsPage {
        layout: Layout::new(&user.session, "Notifications", "notifications"),
        items,
        unread_only,
        next,
    })
}

/// Marks one read and goes to what it is about.
async fn open(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let rows = notifications::list(
        &ctx,
        &user.viewer,
        NotificationFilter {
            before: Some(id + 1),
            ..NotificationFilter::default()
        },
        1,
    )
    .await?;
    let Some(row) = rows.into_iter().find(|n| n.id == id) else {
        return Err(crate::page::WebError::not_found(
            "You have no notification with this id.",
        ));
    };
    notifications::mark(&ctx, &user.viewer, id, true).await?;
    Ok(see_other(&target(&row)))
}

async fn read(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    notifications::mark(&ctx, &user.viewer, id, true).await?;
    Ok(see_other("/notifications"))
}

async fn read_all(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    notifications::mark_all_read(&ctx, &user.viewer).await?;
    Ok(see_other("/notifications"))
}

/// Where a notification leads: the comment in its thread, else the post, else the community.
fn target(n: &NotificationRow) -> String {
    match (n.comment_id, n.post_id, &n.community_name) {
        (Some(comment), _, _) => format!("/comment/{comment}#c{comment}"),
        (None, Some(post), _) => format!("/post/{post}"),
        (None, None, Some(name)) => match &n.community_host {
            Some(host) => format!("/c/{name}@{host}"),
            None => format!("/c/{name}"),
        },
        (None, None, None) => "/".to_owned(),
    }
}

fn item(n: NotificationRow, now: chrono::DateTime<Utc>) -> NotificationItem {
    NotificationItem {
        id: n.id,
        read: n.read,
        headline: headline(&n),
        post_title: n.post_title.clone(),
        comment_html: n.comment_html.clone(),
        until: n
            .expires_at
            .map(|at| format!("until {}", at.format("%Y-%m-%d %H:%M UTC"))),
        reason: n.reason,
        at: time(n.created_at, now),
    }
}

/// The sentence that says what happened.
fn headline(n: &NotificationRow) -> String {
    let who = match (&n.actor_display_name, &n.actor_name, &n.actor_host) {
        (Some(display), _, _) if !display.trim().is_empty() => display.clone(),
        (_, Some(name), Some(host)) => format!("{name}@{host}"),
        (_, Some(name), None) => name.clone(),
        _ => "Someone".to_owned(),
    };
    let moderator = if n.actor_name.is_some() {
        format!("{who} (moderator)")
    } else {
        "A moderator".to_owned()
    };
    let community = match (&n.community_name, &n.community_host) {
        (Some(name), Some(host)) => format!("!{name}@{host}"),
        (Some(name), None) => format!("!{name}"),
        _ => "the community".to_owned(),
    };
    match n.kind {
        NotificationKind::Reply => format!("{who} replied to you"),
        NotificationKind::Mention => format!("{who} mentioned you"),
        NotificationKind::PostRemoved => format!("{moderator} removed your post"),
        NotificationKind::PostRestored => format!("{moderator} restored your post"),
        NotificationKind::CommentRemoved => format!("{moderator} removed your comment"),
        NotificationKind::CommentRestored => format!("{moderator} restored your comment"),
        NotificationKind::PostLocked => format!("{moderator} locked your post"),
        NotificationKind::PostUnlocked => format!("{moderator} unlocked your post"),
        NotificationKind::Banned => format!("You were banned from {community}"),
        NotificationKind::Unbanned => format!("Your ban from {community} was lifted"),
        NotificationKind::ReportResolved => "Your report was resolved".to_owned(),
        NotificationKind::ReportDismissed => "Your report was dismissed".to_owned(),
        NotificationKind::JoinApproved => format!("You were admitted to {community}"),
        NotificationKind::JoinDenied => format!("Your request to join {community} was declined"),
        NotificationKind::ApplicationApproved => "Your registration was approved".to_owned(),
        NotificationKind::ApplicationDenied => "Your registration was declined".to_owned(),
        NotificationKind::EventCancelled => {
            format!("An event you answered in {community} was cancelled")
        }
        NotificationKind::EventChanged => format!("The time of an event in {community} changed"),
        NotificationKind::EventReminder => {
            format!("An event in {community} starts within the hour")
        }
    }
}
