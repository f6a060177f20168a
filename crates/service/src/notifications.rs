//! Notifications: reading your own (list, unread count, mark read) and the few causes that are
//! not content, moderation or reports (join answers, registration decisions).
//!
//! Replies and mentions are recorded by `hearth_db::notification::{for_comment, for_post}` where
//! content is written (here or received); moderator actions by the mod log insert itself
//! (`hearth_db::moderation::log`) and report outcomes by `hearth_db::report::decide`. Each is
//! written in the transaction of its cause.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Error, Result};
use hearth_db::header::HeaderCounts;
use hearth_db::notification::{
    NewNotification, NotificationFilter, NotificationKind, NotificationRow,
};
use sqlx::PgConnection;

/// Parses the list's `kind` filter: one of the kinds there are.
pub fn parse_kind(raw: &str) -> Result<NotificationKind> {
    raw.parse().map_err(|_| {
        let names: Vec<&str> = NotificationKind::ALL
            .into_iter()
            .map(NotificationKind::as_str)
            .collect();
        Error::validation("kind", format!("must be one of {}", names.join(", ")))
    })
}

/// The viewer's notifications, newest first (`limit` rows; ask for one more to learn whether
/// another page follows).
pub async fn list(
    ctx: &ServiceContext,
    viewer: &Viewer,
    filter: NotificationFilter,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    Ok(hearth_db::notification::list(&ctx.pool, viewer.person_id, filter, limit).await?)
}

/// What the page header shows the viewer: unread notifications, whether they moderate, and the
/// reports waiting for them.
pub async fn header(ctx: &ServiceContext, viewer: &Viewer) -> Result<HeaderCounts> {
    Ok(hearth_db::header::counts(&ctx.pool, viewer.person_id, viewer.admin).await?)
}

/// How many of the viewer's notifications are unread.
pub async fn unread_count(ctx: &ServiceContext, viewer: &Viewer) -> Result<i64> {
    Ok(hearth_db::notification::unread_count(&ctx.pool, viewer.person_id).await?)
}

/// Marks one of the viewer's notifications read or unread.
pub async fn mark(ctx: &ServiceContext, viewer: &Viewer, id: i64, read: bool) -> Result<()> {
    if hearth_db::notification::set_read(&ctx.pool, viewer.person_id, id, read).await? {
        Ok(())
    } else {
        Err(Error::not_found("You have no notification with this id."))
    }
}

/// Marks all of the viewer's notifications read; how many were unread.
pub async fn mark_all_read(ctx: &ServiceContext, viewer: &Viewer) -> Result<u64> {
    Ok(hearth_db::notification::mark_all_read(&ctx.pool, viewer.person_id).await?)
}

/// The viewer opened a comment from a notification: what it told them is read.
pub async fn opened_comment(ctx: &ServiceContext, viewer: &Viewer, comment_id: i64) -> Result<()> {
    Ok(hearth_db::notification::mark_comment_read(&ctx.pool, viewer.person_id, comment_id).await?)
}

/// A community answered a local person's request to join (a moderator here, or the community's
/// server with `Accept`/`Reject`). Call it only when the answer changed the membership; the
/// cause is this transaction, so a replayed answer (which changes nothing) adds nothing.
pub async fn join_answered(
    conn: &mut PgConnection,
    community_id: i64,
    person_id: i64,
    approved: bool,
    moderator_id: Option<i64>,
) -> Result<()> {
    let transaction: i64 = sqlx::query_scalar!(r#"select txid_current() as "id!""#)
        .fetch_one(&mut *conn)
        .await?;
    let kind = if approved {
        NotificationKind::JoinApproved
    } else {
        NotificationKind::JoinDenied
    };
    let cause = format!("join:{community_id}:{transaction}");
    let new = NewNotification {
        actor_id: moderator_id,
        community_id: Some(community_id),
        ..NewNotification::new(person_id, kind, cause)
    };
    hearth_db::notification::insert(&mut *conn, &new).await?;
    Ok(())
}

/// An admin decided a person's registration; they see it when they first sign in.
pub async fn application_decided(
    conn: &mut PgConnection,
    application_id: i64,
    person_id: i64,
    approved: bool,
    admin_id: i64,
    reason: Option<&str>,
) -> Result<()> {
    let kind = if approved {
        NotificationKind::ApplicationApproved
    } else {
        NotificationKind::ApplicationDenied
    };
    let new = NewNotification {
        actor_id: Some(admin_id),
        reason: reason.unwrap_or(""),
        ..NewNotification::new(person_id, kind, format!("application:{application_id}"))
    };
    hearth_db::notification::insert(&mut *conn, &new).await?;
    Ok(())
}
