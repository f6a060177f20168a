//! Batch lookups for views that show many communities, people, mod log entries or reports at
//! once with ids (the Lemmy client API): a viewer's relation to a page of communities, people's
//! counts, and the mod log and reports with the ids of everyone and everything they concern.
//! Each function is one query for the whole page.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A viewer's relation to one community.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommunityRelation {
    /// The community.
    pub community_id: i64,
    /// `joined`, `pending` or `None` (not a member).
    pub member_state: Option<String>,
    /// The viewer blocks it.
    pub blocked: bool,
    /// The viewer is banned from it (a ban in force).
    pub banned: bool,
}

/// The viewer's relation to each of these communities (one row per id that exists).
pub async fn relations(
    db: impl PgExecutor<'_>,
    person_id: i64,
    community_ids: &[i64],
) -> sqlx::Result<Vec<CommunityRelation>> {
    sqlx::query_as::<_, CommunityRelation>(
        "select c.id as community_id,
                (select m.state from community_member m
                 where m.community_id = c.id and m.person_id = $1) as member_state,
                exists (select 1 from community_block b
                        where b.community_id = c.id and b.person_id = $1) as blocked,
                exists (select 1 from community_ban b
                        where b.community_id = c.id and b.person_id = $1
                          and (b.expires_at is null or b.expires_at > now())) as banned
         from community c where c.id = any($2)",
    )
    .bind(person_id)
    .bind(community_ids)
    .fetch_all(db)
    .await
}

/// What is counted about a person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonCounts {
    /// The person.
    pub person_id: i64,
    /// Their live posts (not deleted, not removed).
    pub posts: i64,
    /// Their live comments.
    pub comments: i64,
    /// Banned from this instance right now.
    pub site_banned: bool,
}

/// Counts for each of these people (one row per id that exists).
pub async fn person_counts(
    db: impl PgExecutor<'_>,
    person_ids: &[i64],
) -> sqlx::Result<Vec<PersonCounts>> {
    sqlx::query_as::<_, PersonCounts>(
        "select p.id as person_id,
                (select count(*) from post x
                 where x.author_id = p.id and not x.deleted and not x.removed) as posts,
                (select count(*) from comment x
                 where x.author_id = p.id and not x.deleted and not x.removed) as comments,
                (p.site_banned and (p.site_ban_expires_at is null
                                    or p.site_ban_expires_at > now())) as site_banned
         from person p where p.id = any($1)",
    )
    .bind(person_ids)
    .fetch_all(db)
    .await
}

/// The ids of the communities a person moderates, longest-served first.
pub async fn moderated_by(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar::<_, i64>(
        "select community_id from community_moderator where person_id = $1
         order by created_at, community_id",
    )
    .bind(person_id)
    .fetch_all(db)
    .await
}

/// The moderators of each of these communities, as (community id, person id), longest-serving
/// first within each community.
pub async fn moderators_of(
    db: impl PgExecutor<'_>,
    community_ids: &[i64],
) -> sqlx::Result<Vec<(i64, i64)>> {
    sqlx::query_as::<_, (i64, i64)>(
        "select community_id, person_id from community_moderator
         where community_id = any($1)
         order by community_id, created_at, person_id",
    )
    .bind(community_ids)
    .fetch_all(db)
    .await
}

/// A mod log entry with the ids of what it concerns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ModLogEntry {
    /// Its id.
    pub id: i64,
    /// The stored action name (`remove_post`, `ban`, …).
    pub action: String,
    /// The community.
    pub community_id: i64,
    /// Who acted, when known here.
    pub moderator_id: Option<i64>,
    /// The person acted on.
    pub target_person_id: Option<i64>,
    /// The post acted on.
    pub target_post_id: Option<i64>,
    /// The comment acted on.
    pub target_comment_id: Option<i64>,
    /// Why (empty: no reason).
    pub reason: String,
    /// Until when (bans).
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Which mod log entries to read.
#[derive(Debug, Clone, Default)]
pub struct ModLogFilter {
    /// Only this community's.
    pub community_id: Option<i64>,
    /// Only this moderator's.
    pub moderator_id: Option<i64>,
    /// Only those acting on this person.
    pub target_person_id: Option<i64>,
    /// Only those acting on this post.
    pub target_post_id: Option<i64>,
    /// Only those acting on this comment.
    pub target_comment_id: Option<i64>,
    /// Only these actions (all when empty).
    pub actions: Vec<&'static str>,
}

/// Mod log entries, newest first, `limit` of them after skipping `offset`.
pub async fn mod_log(
    db: impl PgExecutor<'_>,
    filter: &ModLogFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ModLogEntry>> {
    let actions: Vec<String> = filter.actions.iter().map(|a| (*a).to_owned()).collect();
    sqlx::query_as::<_, ModLogEntry>(
        "select id, action, community_id, moderator_id, target_person_id, target_post_id,
                target_comment_id, reason, expires_at, created_at
         from mod_log
         where ($1::bigint is null or community_id = $1)
           and ($2::bigint is null or moderator_id = $2)
           and ($3::bigint is null or target_person_id = $3)
           and ($4::bigint is null or target_post_id = $4)
           and ($5::bigint is null or target_comment_id = $5)
           and (cardinality($6::text[]) = 0 or action = any($6))
         order by id desc
         limit $7 offset $8",
    )
    .bind(filter.community_id)
    .bind(filter.moderator_id)
    .bind(filter.target_person_id)
    .bind(filter.target_post_id)
    .bind(filter.target_comment_id)
    .bind(&actions)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// A report with the ids of what and whom it concerns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportEntry {
    /// Its id.
    pub id: i64,
    /// Who filed it.
    pub reporter_id: i64,
    /// The community.
    pub community_id: i64,
    /// The post reported (or the post of the comment reported).
    pub post_id: i64,
    /// The comment reported, for a comment report.
    pub comment_id: Option<i64>,
    /// Why.
    pub reason: String,
    /// `pending`, `resolved` or `dismissed`.
    pub status: String,
    /// Who decided, when known.
    pub resolved_by: Option<i64>,
    /// When it was decided.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Filed.
    pub created_at: DateTime<Utc>,
}

/// Which reports to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportFilter {
    /// Only reports of communities this person moderates (`None`: all, for admins).
    pub moderator_id: Option<i64>,
    /// Comment reports (else post reports).
    pub comments: bool,
    /// Only this community's.
    pub community_id: Option<i64>,
    /// Only about this post.
    pub post_id: Option<i64>,
    /// Only about this comment.
    pub comment_id: Option<i64>,
    /// Only those still pending.
    pub pending_only: bool,
    /// Only this report.
    pub report_id: Option<i64>,
}

/// Reports filed by a known person, newest first, `limit` after skipping `offset`.
pub async fn reports(
    db: impl PgExecutor<'_>,
    filter: ReportFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ReportEntry>> {
    sqlx::query_as::<_, ReportEntry>(
        r#"select r.id, r.reporter_id as "reporter_id", r.community_id, r.post_id as "post_id",
                  r.comment_id, r.reason, r.status, r.resolved_by, r.resolved_at, r.created_at
           from report r
           where r.reporter_id is not null and r.post_id is not null
             and (r.comment_id is not null) = $2
             and ($1::bigint is null or exists (select 1 from community_moderator m
                                                where m.community_id = r.community_id
                                                  and m.person_id = $1))
             and ($3::bigint is null or r.community_id = $3)
             and ($4::bigint is null or r.post_id = $4)
             and ($5::bigint is null or r.comment_id = $5)
             and (not $6 or r.status = 'pending')
             and ($9::bigint is null or r.id = $9)
           order by r.id desc
           limit $7 offset $8"#,
    )
    .bind(filter.moderator_id)
    .bind(filter.comments)
    .bind(filter.community_id)
    .bind(filter.post_id)
    .bind(filter.comment_id)
    .bind(filter.pending_only)
    .bind(limit)
    .bind(offset)
    .bind(filter.report_id)
    .fetch_all(db)
    .await
}

/// Pending (post, comment) reports of the communities `moderator_id` moderates (all when
/// `None`), optionally of one community.
pub async fn pending_report_counts(
    db: impl PgExecutor<'_>,
    moderator_id: Option<i64>,
    community_id: Option<i64>,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as::<_, (i64, i64)>(
        "select count(*) filter (where r.comment_id is null),
                count(*) filter (where r.comment_id is not null)
         from report r
         where r.status = 'pending' and r.reporter_id is not null and r.post_id is not null
           and ($1::bigint is null or exists (select 1 from community_moderator m
                                              where m.community_id = r.community_id
                                                and m.person_id = $1))
           and ($2::bigint is null or r.community_id = $2)",
    )
    .bind(moderator_id)
    .bind(community_id)
    .fetch_one(db)
    .await
}

/// Unread reply and mention notifications of a person about comments (what Lemmy counts as
/// replies and mentions), with the block rules of the notification list.
pub async fn unread_replies_and_mentions(
    db: impl PgExecutor<'_>,
    recipient_id: i64,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as::<_, (i64, i64)>(
        "select count(*) filter (where n.kind = 'reply'),
                count(*) filter (where n.kind = 'mention')
         from notification n
         where n.recipient_id = $1 and not n.read and n.comment_id is not null
           and n.kind in ('reply', 'mention')
           and not exists (select 1 from person_block b
                           where b.person_id = $1 and b.target_id = n.actor_id)
           and not exists (select 1 from community_block b
                           where b.person_id = $1 and b.community_id = n.community_id)",
    )
    .bind(recipient_id)
    .fetch_one(db)
    .await
}

/// A server this instance has met (`instance`), for the list of linked instances.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownInstance {
    /// Host, plus port when there is one.
    pub authority: String,
    /// The software its NodeInfo names, when known.
    pub software: Option<String>,
    /// Its version, when known.
    pub version: Option<String>,
    /// When we last read its NodeInfo.
    pub fetched_at: DateTime<Utc>,
}

/// The servers this instance has met, by authority (at most `limit`).
pub async fn known_instances(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<KnownInstance>> {
    sqlx::query_as::<_, KnownInstance>(
        "select authority, software, version, fetched_at from instance
         order by authority limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Which communities a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityScope {
    /// Every community this instance knows.
    All,
    /// This instance's communities.
    Local,
    /// Those the person has joined (or asked to join).
    MemberOf(i64),
    /// Those the person moderates.
    ModeratedBy(i64),
}

/// The orders a community list can take (each then newest first, for ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityOrder {
    /// Newest first.
    New,
    /// Oldest first.
    Old,
    /// Most members first.
    Members,
    /// Most active people in the last day first.
    ActiveDay,
    /// … week.
    ActiveWeek,
    /// … month.
    ActiveMonth,
    /// Most comments first.
    Comments,
    /// Most posts first.
    Posts,
}

impl CommunityOrder {
    /// The `order by` clause (fixed text, never input).
    fn clause(self) -> &'static str {
        match self {
            Self::New => "c.created_at desc, c.id desc",
            Self::Old => "c.created_at asc, c.id asc",
            Self::Members => "c.member_count desc, c.id desc",
            Self::ActiveDay => "c.users_active_day desc, c.id desc",
            Self::ActiveWeek => "c.users_active_week desc, c.id desc",
            Self::ActiveMonth => "c.users_active_month desc, c.id desc",
            Self::Comments => "c.comment_count desc, c.id desc",
            Self::Posts => "c.post_count desc, c.id desc",
        }
    }
}

/// The ids of one page of communities (not those an admin removed; not NSFW ones unless
/// `nsfw`), in `order`, `limit` after skipping `offset`.
pub async fn list_ids(
    db: impl PgExecutor<'_>,
    scope: CommunityScope,
    order: CommunityOrder,
    nsfw: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<i64>> {
    let (local_only, member_of, moderated_by) = match scope {
        CommunityScope::All => (false, None, None),
        CommunityScope::Local => (true, None, None),
        CommunityScope::MemberOf(id) => (false, Some(id), None),
        CommunityScope::ModeratedBy(id) => (false, None, Some(id)),
    };
    let sql = format!(
        "select c.id from community c
         where not c.removed
           and ($1 or not c.nsfw)
           and (not $2 or c.local)
           and ($3::bigint is null or exists (select 1 from community_member m
                                              where m.community_id = c.id and m.person_id = $3))
           and ($4::bigint is null or exists (select 1 from community_moderator m
                                              where m.community_id = c.id and m.person_id = $4))
         order by {}
         limit $5 offset $6",
        order.clause()
    );
    sqlx::query_scalar::<_, i64>(&sql)
        .bind(nsfw)
        .bind(local_only)
        .bind(member_of)
        .bind(moderated_by)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await
}

/// Comments by id as a viewer sees them (their vote), in no particular order; missing ids are
/// left out. One query.
pub async fn comments_by_ids(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    viewer: Option<i64>,
) -> sqlx::Result<Vec<crate::comment::CommentRow>> {
    use crate::comment::{COMMENT_COLUMNS, COMMENT_FROM};
    sqlx::query_as::<_, crate::comment::CommentRow>(&format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM} $1 where k.id = any($2)"
    ))
    .bind(viewer)
    .bind(ids)
    .fetch_all(db)
    .await
}
