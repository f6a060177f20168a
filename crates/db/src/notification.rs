//! Notifications (`notification`): what a local person should learn about, one row per recipient
//! and cause, written in the transaction of the change that causes it.
//!
//! Every insert here is idempotent on `(recipient_id, cause)` and refuses what must never be
//! stored: a notification for a remote or deleted person, or one for the recipient's own action.

use crate::decode;
use chrono::{DateTime, Utc};
use hearth_core::UnknownName;
use sqlx::PgExecutor;
use std::str::FromStr;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// Someone answered your post or comment.
    Reply,
    /// Someone mentioned you in a post or comment.
    Mention,
    /// A moderator removed your post.
    PostRemoved,
    /// A moderator restored your post.
    PostRestored,
    /// A moderator removed your comment.
    CommentRemoved,
    /// A moderator restored your comment.
    CommentRestored,
    /// A moderator locked your post.
    PostLocked,
    /// A moderator unlocked your post.
    PostUnlocked,
    /// A community banned you.
    Banned,
    /// A community lifted your ban.
    Unbanned,
    /// A report you filed was resolved.
    ReportResolved,
    /// A report you filed was dismissed.
    ReportDismissed,
    /// Your request to join a community was approved.
    JoinApproved,
    /// Your request to join a community was turned down.
    JoinDenied,
    /// An admin approved your registration.
    ApplicationApproved,
    /// An admin turned your registration down.
    ApplicationDenied,
    /// An event you answered was cancelled.
    EventCancelled,
    /// The time of an event you are going to changed.
    EventChanged,
    /// An event you are going to starts within the hour.
    EventReminder,
}

impl NotificationKind {
    /// Every kind, in the order the API documents them.
    pub const ALL: [Self; 19] = [
        Self::Reply,
        Self::Mention,
        Self::PostRemoved,
        Self::PostRestored,
        Self::CommentRemoved,
        Self::CommentRestored,
        Self::PostLocked,
        Self::PostUnlocked,
        Self::Banned,
        Self::Unbanned,
        Self::ReportResolved,
        Self::ReportDismissed,
        Self::JoinApproved,
        Self::JoinDenied,
        Self::ApplicationApproved,
        Self::ApplicationDenied,
        Self::EventCancelled,
        Self::EventChanged,
        Self::EventReminder,
    ];

    /// The stored name, which the API shows and filters by as it is.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Mention => "mention",
            Self::PostRemoved => "post_removed",
            Self::PostRestored => "post_restored",
            Self::CommentRemoved => "comment_removed",
            Self::CommentRestored => "comment_restored",
            Self::PostLocked => "post_locked",
            Self::PostUnlocked => "post_unlocked",
            Self::Banned => "banned",
            Self::Unbanned => "unbanned",
            Self::ReportResolved => "report_resolved",
            Self::ReportDismissed => "report_dismissed",
            Self::JoinApproved => "join_approved",
            Self::JoinDenied => "join_denied",
            Self::ApplicationApproved => "application_approved",
            Self::ApplicationDenied => "application_denied",
            Self::EventCancelled => "event_cancelled",
            Self::EventChanged => "event_changed",
            Self::EventReminder => "event_reminder",
        }
    }
}

impl FromStr for NotificationKind {
    type Err = UnknownName;

    /// Reads the stored name (`reply`, `banned`, …); any other fails.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| UnknownName::new("notification kind", name))
    }
}

/// A notification to record: `NewNotification::new` and the parts that apply.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    /// Who should learn of it (only local, not deleted people get one).
    pub recipient_id: i64,
    /// What happened.
    pub kind: NotificationKind,
    /// The change that caused it; one notification per recipient and cause.
    pub cause: String,
    /// Who caused it, when known (never the recipient: no notification of your own action).
    pub actor_id: Option<i64>,
    /// The community it happened in.
    pub community_id: Option<i64>,
    /// The post concerned.
    pub post_id: Option<i64>,
    /// The comment concerned.
    pub comment_id: Option<i64>,
    /// Why (a moderator's or admin's reason).
    pub reason: &'a str,
    /// Until when (bans).
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewNotification<'_> {
    /// A notification of `kind` to `recipient_id` for `cause`, about nothing in particular: fill
    /// in what applies with struct update syntax.
    pub fn new(recipient_id: i64, kind: NotificationKind, cause: String) -> Self {
        Self {
            recipient_id,
            kind,
            cause,
            actor_id: None,
            community_id: None,
            post_id: None,
            comment_id: None,
            reason: "",
            expires_at: None,
        }
    }
}

/// Records a notification unless it exists already, the recipient is not a local person who
/// still has an account, or the recipient caused it. True when a row was added.
pub async fn insert(db: impl PgExecutor<'_>, new: &NewNotification<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into notification (recipient_id, kind, cause, actor_id, community_id, post_id,
                                   comment_id, reason, expires_at)
         select $1, $2, $3, $4, $5, $6, $7, $8, $9
         where exists (select 1 from person where id = $1 and local and not deleted)
           and $4::bigint is distinct from $1
         on conflict (recipient_id, cause) do nothing",
        new.recipient_id,
        new.kind.as_str(),
        new.cause,
        new.actor_id,
        new.community_id,
        new.post_id,
        new.comment_id,
        new.reason,
        new.expires_at
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records what a comment tells local people: a reply to the author of the comment it answers
/// (or of its post, for a top-level comment), and a mention to each person it mentions (stored
/// in `comment_mention`); someone both answered and mentioned hears of the reply only. Safe to
/// run again for the same comment.
pub async fn for_comment(db: impl PgExecutor<'_>, comment_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "with c as (
             select c.id, c.post_id, c.author_id, p.community_id,
                    coalesce(parent.author_id, p.author_id) as answered_id
             from comment c
             join post p on p.id = c.post_id
             left join comment parent on parent.id = c.parent_id
             where c.id = $1
         ), wanted as (
             select answered_id as recipient_id, 'reply' as kind, 'reply:comment:' || id as cause
             from c
             union all
             select m.person_id, 'mention', 'mention:comment:' || c.id
             from c join comment_mention m on m.comment_id = c.id
             where m.person_id <> c.answered_id
         )
         insert into notification (recipient_id, kind, cause, actor_id, community_id, post_id,
                                   comment_id)
         select w.recipient_id, w.kind, w.cause, c.author_id, c.community_id, c.post_id, c.id
         from wanted w cross join c
         join person r on r.id = w.recipient_id and r.local and not r.deleted
         where w.recipient_id <> c.author_id
         on conflict (recipient_id, cause) do nothing",
        comment_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a mention notification for each local person a post mentions (`post_mention`).
pub async fn for_post(db: impl PgExecutor<'_>, post_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into notification (recipient_id, kind, cause, actor_id, community_id, post_id)
         select m.person_id, 'mention', 'mention:post:' || p.id, p.author_id, p.community_id, p.id
         from post p
         join post_mention m on m.post_id = p.id
         join person r on r.id = m.person_id and r.local and not r.deleted
         where p.id = $1 and m.person_id <> p.author_id
         on conflict (recipient_id, cause) do nothing",
        post_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A notification as its recipient sees it, with what it is about.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    /// Its id (also the cursor).
    pub id: i64,
    /// What happened.
    pub kind: NotificationKind,
    /// Whether the recipient has marked it read.
    pub read: bool,
    /// Who caused it: name, host (`None`: this instance), display name.
    pub actor_name: Option<String>,
    /// The actor's host.
    pub actor_host: Option<String>,
    /// The actor's display name.
    pub actor_display_name: Option<String>,
    /// The community's name, when it concerns one.
    pub community_name: Option<String>,
    /// The community's host.
    pub community_host: Option<String>,
    /// The post concerned.
    pub post_id: Option<i64>,
    /// Its title.
    pub post_title: Option<String>,
    /// The comment concerned.
    pub comment_id: Option<i64>,
    /// The comment's body, rendered and sanitised (what was answered or mentioned).
    pub comment_html: Option<String>,
    /// Why.
    pub reason: String,
    /// Until when.
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Which notifications to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct NotificationFilter {
    /// Only those not read yet.
    pub unread_only: bool,
    /// Only this kind.
    pub kind: Option<NotificationKind>,
    /// Only those older than this id (the cursor).
    pub before: Option<i64>,
}

/// A person's notifications, newest first. Those caused by someone the person blocks, or about
/// a community the person blocks, are left out (blocks hide notifications too).
pub async fn list(
    db: impl PgExecutor<'_>,
    recipient_id: i64,
    filter: NotificationFilter,
    limit: i64,
) -> sqlx::Result<Vec<NotificationRow>> {
    let rows = sqlx::query!(
        r#"select n.id, n.kind, n.read, a.name as "actor_name?", a.host as "actor_host?",
                  a.display_name as "actor_display_name?",
                  c.name as "community_name?", c.host as "community_host?",
                  n.post_id, p.title as "post_title?", n.comment_id,
                  -- What someone else wrote and later deleted, or a moderator removed, is not
                  -- shown again here (your own removed comment still is, with the reason).
                  case when n.kind in ('reply', 'mention') and (cm.deleted or cm.removed)
                       then null else cm.body_html end as "comment_html?",
                  n.reason, n.expires_at, n.created_at
           from notification n
           left join person a on a.id = n.actor_id
           left join community c on c.id = n.community_id
           left join post p on p.id = n.post_id
           left join comment cm on cm.id = n.comment_id
           where n.recipient_id = $1
             and (not $2 or not n.read)
             and ($3::text is null or n.kind = $3)
             and ($4::bigint is null or n.id < $4)
             and not exists (select 1 from person_block b
                             where b.person_id = $1 and b.target_id = n.actor_id)
             and not exists (select 1 from community_block b
                             where b.person_id = $1 and b.community_id = n.community_id)
           order by n.id desc
           limit $5"#,
        recipient_id,
        filter.unread_only,
        filter.kind.map(NotificationKind::as_str),
        filter.before,
        limit
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(NotificationRow {
                id: r.id,
                kind: decode(&r.kind)?,
                read: r.read,
                actor_name: r.actor_name,
                actor_host: r.actor_host,
                actor_display_name: r.actor_display_name,
                community_name: r.community_name,
                community_host: r.community_host,
                post_id: r.post_id,
                post_title: r.post_title,
                comment_id: r.comment_id,
                comment_html: r.comment_html,
                reason: r.reason,
                expires_at: r.expires_at,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// How many of a person's notifications are unread (with the same block rules as `list`).
pub async fn unread_count(db: impl PgExecutor<'_>, recipient_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from notification n
           where n.recipient_id = $1 and not n.read
             and not exists (select 1 from person_block b
                             where b.person_id = $1 and b.target_id = n.actor_id)
             and not exists (select 1 from community_block b
                             where b.person_id = $1 and b.community_id = n.community_id)"#,
        recipient_id
    )
    .fetch_one(db)
    .await
}

/// Marks one of a person's notifications read (or unread); false when it is not theirs.
pub async fn set_read(
    db: impl PgExecutor<'_>,
    recipient_id: i64,
    id: i64,
    read: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update notification set read = $3 where id = $2 and recipient_id = $1",
        recipient_id,
        id,
        read
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks every notification of a person read; how many changed.
pub async fn mark_all_read(db: impl PgExecutor<'_>, recipient_id: i64) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update notification set read = true where recipient_id = $1 and not read",
        recipient_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Marks read the notifications of a person about one comment (opening it from the list).
pub async fn mark_comment_read(
    db: impl PgExecutor<'_>,
    recipient_id: i64,
    comment_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update notification set read = true
         where recipient_id = $1 and comment_id = $2 and not read",
        recipient_id,
        comment_id
    )
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_own_name_and_unknown_names_fail() {
        for kind in NotificationKind::ALL {
            assert_eq!(kind.as_str().parse::<NotificationKind>(), Ok(kind));
        }
        assert!("party".parse::<NotificationKind>().is_err());
    }
}
