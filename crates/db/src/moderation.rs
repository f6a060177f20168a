//! Community moderation: removing and restoring posts and comments, locking and pinning posts,
//! community bans, and the public mod log (`mod_log`).

use crate::decode;
use crate::notification::NotificationKind;
use chrono::{DateTime, Utc};
use hearth_core::UnknownName;
use sqlx::{PgConnection, PgExecutor};
use std::str::FromStr;

/// Removes (`true`) or restores (`false`) a post, keeping the community's live post count.
/// False when it already was so.
pub async fn set_post_removed(
    db: impl PgExecutor<'_>,
    id: i64,
    removed: bool,
) -> sqlx::Result<bool> {
    let row = sqlx::query!(
        r#"with changed as (
               update post set removed = $2, updated_at = now()
               where id = $1 and removed <> $2
               returning community_id, deleted
           ), counted as (
               insert into community_count_change (community_id, posts)
               select community_id, case when $2 then -1 else 1 end from changed where not deleted
           )
           select count(*) as "changed!" from changed"#,
        id,
        removed
    )
    .fetch_one(db)
    .await?;
    Ok(row.changed == 1)
}

/// Removes or restores a comment, keeping the post's and community's live comment counts.
pub async fn set_comment_removed(
    db: impl PgExecutor<'_>,
    id: i64,
    removed: bool,
) -> sqlx::Result<bool> {
    let row = sqlx::query!(
        r#"with changed as (
               update comment set removed = $2, updated_at = now()
               where id = $1 and removed <> $2
               returning post_id, deleted
           ), post_counted as (
               update post set comment_count = greatest(comment_count + case when $2 then -1 else 1 end, 0)
               where id = (select post_id from changed where not deleted)
               returning community_id
           ), counted as (
               insert into community_count_change (community_id, comments)
               select community_id, case when $2 then -1 else 1 end from post_counted
           )
           select count(*) as "changed!" from changed"#,
        id,
        removed
    )
    .fetch_one(db)
    .await?;
    Ok(row.changed == 1)
}

/// Locks or unlocks a post; false when it already was so.
pub async fn set_locked(db: impl PgExecutor<'_>, id: i64, locked: bool) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update post set locked = $2, updated_at = now() where id = $1 and locked <> $2",
        id,
        locked
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Pins or unpins a post in its community; false when it already was so.
pub async fn set_featured(db: impl PgExecutor<'_>, id: i64, featured: bool) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update post set featured = $2, updated_at = now() where id = $1 and featured <> $2",
        id,
        featured
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The ActivityPub ids of a community's pinned posts, newest first.
pub async fn featured_posts(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "select id from post where community_id = $1 and featured and not deleted and not removed
         order by id desc limit 50",
        community_id
    )
    .fetch_all(db)
    .await
}

/// Bans a person from a community (or changes the ban's reason and expiry).
pub async fn ban(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
    reason: &str,
    expires_at: Option<DateTime<Utc>>,
    banned_by: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into community_ban (community_id, person_id, reason, expires_at, banned_by)
         values ($1, $2, $3, $4, $5)
         on conflict (community_id, person_id) do update set
            reason = excluded.reason, expires_at = excluded.expires_at,
            banned_by = excluded.banned_by, created_at = now()",
        community_id,
        person_id,
        reason,
        expires_at,
        banned_by
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Lifts a ban; false when there was none.
pub async fn unban(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from community_ban where community_id = $1 and person_id = $2",
        community_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where a person stands in a community, as the writing rules need it: one round trip instead
/// of one per question (every applied comment, vote and post asks all three).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// Listed among its moderators.
    pub moderator: bool,
    /// Under a ban that has not expired.
    pub banned: bool,
    /// Their membership's state, if they have one.
    pub member: Option<crate::membership::MemberState>,
}

/// Where `person_id` stands in `community_id`.
pub async fn standing(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<Standing> {
    let row = sqlx::query!(
        r#"select
               exists (select 1 from community_moderator
                       where community_id = $1 and person_id = $2) as "moderator!",
               exists (select 1 from community_ban
                       where community_id = $1 and person_id = $2
                         and (expires_at is null or expires_at > now())) as "banned!",
               (select state from community_member
                where community_id = $1 and person_id = $2) as member"#,
        community_id,
        person_id
    )
    .fetch_one(db)
    .await?;
    Ok(Standing {
        moderator: row.moderator,
        banned: row.banned,
        member: row.member.as_deref().map(decode).transpose()?,
    })
}

/// Where each (community, person) pair stands, in one round trip for all of them (a batch of
/// applied votes asks once); in the order given.
pub async fn standings(
    db: impl PgExecutor<'_>,
    pairs: &[(i64, i64)],
) -> sqlx::Result<Vec<Standing>> {
    let (communities, people): (Vec<i64>, Vec<i64>) = pairs.iter().copied().unzip();
    let rows = sqlx::query!(
        r#"select
               exists (select 1 from community_moderator m
                       where m.community_id = q.community_id
                         and m.person_id = q.person_id) as "moderator!",
               exists (select 1 from community_ban b
                       where b.community_id = q.community_id and b.person_id = q.person_id
                         and (b.expires_at is null or b.expires_at > now())) as "banned!",
               (select state from community_member c
                where c.community_id = q.community_id and c.person_id = q.person_id) as member
           from unnest($1::int8[], $2::int8[]) with ordinality as q(community_id, person_id, n)
           order by q.n"#,
        &communities,
        &people
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Standing {
                moderator: row.moderator,
                banned: row.banned,
                member: row.member.as_deref().map(decode).transpose()?,
            })
        })
        .collect()
}

/// Removes everything a person wrote in a community (a ban with `remove_data`); returns the
/// posts and comments removed.
pub async fn remove_person_content(
    conn: &mut PgConnection,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<(u64, u64)> {
    let posts: Vec<i64> = sqlx::query_scalar!(
        "select id from post where community_id = $1 and author_id = $2 and not removed",
        community_id,
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    for id in &posts {
        set_post_removed(&mut *conn, *id, true).await?;
    }
    let comments: Vec<i64> = sqlx::query_scalar!(
        "select c.id from comment c join post p on p.id = c.post_id
         where p.community_id = $1 and c.author_id = $2 and not c.removed",
        community_id,
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    for id in &comments {
        set_comment_removed(&mut *conn, *id, true).await?;
    }
    Ok((posts.len() as u64, comments.len() as u64))
}

/// What a moderator did, as the mod log records it (`mod_log.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModAction {
    /// Removed a post.
    RemovePost,
    /// Restored a removed post.
    RestorePost,
    /// Removed a comment.
    RemoveComment,
    /// Restored a removed comment.
    RestoreComment,
    /// Locked a post.
    LockPost,
    /// Unlocked a post.
    UnlockPost,
    /// Pinned a post to the top of its community.
    PinPost,
    /// Unpinned a post.
    UnpinPost,
    /// Banned someone from the community.
    Ban,
    /// Lifted a ban.
    Unban,
    /// Made someone a moderator.
    AddModerator,
    /// Removed a moderator.
    RemoveModerator,
    /// Changed the community's settings.
    UpdateCommunity,
}

impl ModAction {
    /// Every action, in the order the API lists them.
    pub const ALL: [Self; 13] = [
        Self::RemovePost,
        Self::RestorePost,
        Self::RemoveComment,
        Self::RestoreComment,
        Self::LockPost,
        Self::UnlockPost,
        Self::PinPost,
        Self::UnpinPost,
        Self::Ban,
        Self::Unban,
        Self::AddModerator,
        Self::RemoveModerator,
        Self::UpdateCommunity,
    ];

    /// The stored name, which the API shows and filters by as it is.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RemovePost => "remove_post",
            Self::RestorePost => "restore_post",
            Self::RemoveComment => "remove_comment",
            Self::RestoreComment => "restore_comment",
            Self::LockPost => "lock_post",
            Self::UnlockPost => "unlock_post",
            Self::PinPost => "pin_post",
            Self::UnpinPost => "unpin_post",
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::AddModerator => "add_moderator",
            Self::RemoveModerator => "remove_moderator",
            Self::UpdateCommunity => "update_community",
        }
    }
}

impl ModAction {
    /// What the person a mod log entry names learns from it, if anything (pins, moderator
    /// changes and settings are not news to one person).
    pub fn notifies(self) -> Option<NotificationKind> {
        Some(match self {
            Self::RemovePost => NotificationKind::PostRemoved,
            Self::RestorePost => NotificationKind::PostRestored,
            Self::RemoveComment => NotificationKind::CommentRemoved,
            Self::RestoreComment => NotificationKind::CommentRestored,
            Self::LockPost => NotificationKind::PostLocked,
            Self::UnlockPost => NotificationKind::PostUnlocked,
            Self::Ban => NotificationKind::Banned,
            Self::Unban => NotificationKind::Unbanned,
            Self::PinPost
            | Self::UnpinPost
            | Self::AddModerator
            | Self::RemoveModerator
            | Self::UpdateCommunity => return None,
        })
    }
}

impl FromStr for ModAction {
    type Err = UnknownName;

    /// Reads the stored name (`remove_post`, `ban`, …); any other fails.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| UnknownName::new("mod log action", name))
    }
}

/// One entry of the mod log, to record: `NewModLogEntry::new` and the targets that apply.
#[derive(Debug, Clone)]
pub struct NewModLogEntry<'a> {
    /// The community.
    pub community_id: i64,
    /// Who acted, when known here.
    pub moderator_id: Option<i64>,
    /// What.
    pub action: ModAction,
    /// The person acted on.
    pub target_person_id: Option<i64>,
    /// The post acted on.
    pub target_post_id: Option<i64>,
    /// The comment acted on.
    pub target_comment_id: Option<i64>,
    /// Why.
    pub reason: &'a str,
    /// Until when (bans).
    pub expires_at: Option<DateTime<Utc>>,
}

impl NewModLogEntry<'_> {
    /// An entry of `action` in a community, by no one known, on nothing, without a reason: fill
    /// in what applies with struct update syntax.
    pub fn new(community_id: i64, action: ModAction) -> Self {
        Self {
            community_id,
            moderator_id: None,
            action,
            target_person_id: None,
            target_post_id: None,
            target_comment_id: None,
            reason: "",
            expires_at: None,
        }
    }
}

/// Records an entry of the mod log, and (in the same statement) the notification of the local
/// person it acts on, when the action is news to them (`ModAction::notifies`). The
/// entry is the notification's cause, so callers that log a change only when it happened also
/// notify once per change.
pub async fn log(db: impl PgExecutor<'_>, entry: &NewModLogEntry<'_>) -> sqlx::Result<()> {
    let kind = entry.action.notifies().map(NotificationKind::as_str);
    sqlx::query!(
        "with entry as (
             insert into mod_log (community_id, moderator_id, action, target_person_id,
                                  target_post_id, target_comment_id, reason, expires_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)
             returning id
         )
         insert into notification (recipient_id, kind, cause, actor_id, community_id, post_id,
                                   comment_id, reason, expires_at)
         select $4, $9, 'mod:' || entry.id, $2, $1, $5, $6, $7, $8
         from entry
         join person r on r.id = $4 and r.local and not r.deleted
         where $9::text is not null and $2::bigint is distinct from $4
         on conflict (recipient_id, cause) do nothing",
        entry.community_id,
        entry.moderator_id,
        entry.action.as_str(),
        entry.target_person_id,
        entry.target_post_id,
        entry.target_comment_id,
        entry.reason,
        entry.expires_at,
        kind
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Why a post was last removed, from its newest `remove_post` entry (`None`: no entry, or no
/// reason was given).
pub async fn post_removal_reason(
    db: impl PgExecutor<'_>,
    post_id: i64,
) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "select reason from mod_log
         where target_post_id = $1 and action = 'remove_post'
         order by id desc limit 1",
        post_id
    )
    .fetch_optional(db)
    .await?
    .filter(|reason| !reason.is_empty()))
}

/// Why each of these comments was last removed, as (comment id, reason), for those with a
/// reason.
pub async fn comment_removal_reasons(
    db: impl PgExecutor<'_>,
    comment_ids: &[i64],
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select distinct on (target_comment_id) target_comment_id as "id!", reason
           from mod_log
           where target_comment_id = any($1) and action = 'remove_comment'
           order by target_comment_id, id desc"#,
        comment_ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| !r.reason.is_empty())
        .map(|r| (r.id, r.reason))
        .collect())
}

/// An entry of the mod log as shown.
#[derive(Debug, Clone)]
pub struct ModLogRow {
    /// Its id (the cursor).
    pub id: i64,
    /// The action.
    pub action: ModAction,
    /// The community's name and instance.
    pub community_name: String,
    /// The community's host (`None`: this instance).
    pub community_host: Option<String>,
    /// The moderator's name, when known.
    pub moderator_name: Option<String>,
    /// The moderator's host (`None`: this instance).
    pub moderator_host: Option<String>,
    /// The person acted on.
    pub target_person_name: Option<String>,
    /// The person's host.
    pub target_person_host: Option<String>,
    /// The post acted on.
    pub target_post_id: Option<i64>,
    /// The post's title.
    pub target_post_title: Option<String>,
    /// The comment acted on.
    pub target_comment_id: Option<i64>,
    /// Why.
    pub reason: String,
    /// Until when.
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Mod log entries, newest first, filtered by community, moderator and action, before id
/// `before`.
pub async fn list(
    db: impl PgExecutor<'_>,
    community_id: Option<i64>,
    moderator_id: Option<i64>,
    action: Option<ModAction>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<ModLogRow>> {
    let rows = sqlx::query!(
        r#"select l.id, l.action, c.name as community_name, c.host as community_host,
                  m.name as "moderator_name?", m.host as "moderator_host?",
                  t.name as "target_person_name?", t.host as "target_person_host?",
                  l.target_post_id, p.title as "target_post_title?", l.target_comment_id,
                  l.reason, l.expires_at, l.created_at
           from mod_log l
           join community c on c.id = l.community_id
           left join person m on m.id = l.moderator_id
           left join person t on t.id = l.target_person_id
           left join post p on p.id = l.target_post_id
           where ($1::bigint is null or l.community_id = $1)
             and ($2::bigint is null or l.moderator_id = $2)
             and ($3::text is null or l.action = $3)
             and ($4::bigint is null or l.id < $4)
           order by l.id desc
           limit $5"#,
        community_id,
        moderator_id,
        action.map(ModAction::as_str),
        before,
        limit
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(ModLogRow {
                id: r.id,
                action: decode(&r.action)?,
                community_name: r.community_name,
                community_host: r.community_host,
                moderator_name: r.moderator_name,
                moderator_host: r.moderator_host,
                target_person_name: r.target_person_name,
                target_person_host: r.target_person_host,
                target_post_id: r.target_post_id,
                target_post_title: r.target_post_title,
                target_comment_id: r.target_comment_id,
                reason: r.reason,
                expires_at: r.expires_at,
                created_at: r.created_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mod_action_reads_back_from_its_own_name_and_unknown_names_fail() {
        for action in ModAction::ALL {
            assert_eq!(action.as_str().parse::<ModAction>(), Ok(action));
        }
        assert!("explode".parse::<ModAction>().is_err());
    }

    #[test]
    fn only_actions_on_one_persons_content_or_standing_notify() {
        let notifying = ModAction::ALL
            .into_iter()
            .filter(|a| a.notifies().is_some())
            .count();
        assert_eq!(notifying, 8);
        assert_eq!(ModAction::Ban.notifies(), Some(NotificationKind::Banned));
        assert_eq!(ModAction::PinPost.notifies(), None);
    }
}
