//! Reports (`report`): a post or comment flagged to its community's moderators.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A new report.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// The Flag's id.
    pub ap_id: &'a str,
    /// Who reported, when known as a person.
    pub reporter_id: Option<i64>,
    /// The community of the content.
    pub community_id: i64,
    /// The post reported (or the comment's post).
    pub post_id: Option<i64>,
    /// The comment reported.
    pub comment_id: Option<i64>,
    /// Why.
    pub reason: &'a str,
}

/// Stores a report; `None` when one with this id exists.
pub async fn insert(db: impl PgExecutor<'_>, new: &NewReport<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "insert into report (ap_id, reporter_id, community_id, post_id, comment_id, reason)
         values ($1, $2, $3, $4, $5, $6) on conflict (ap_id) do nothing returning id",
        new.ap_id,
        new.reporter_id,
        new.community_id,
        new.post_id,
        new.comment_id,
        new.reason
    )
    .fetch_optional(db)
    .await
}

/// A report as moderators see it.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Its id.
    pub id: i64,
    /// The Flag's id.
    pub ap_id: String,
    /// The community.
    pub community_id: i64,
    /// The community's name.
    pub community_name: String,
    /// The community's host (`None`: this instance).
    pub community_host: Option<String>,
    /// The community is ours.
    pub community_local: bool,
    /// The reporter's name, when known.
    pub reporter_name: Option<String>,
    /// The reporter's host.
    pub reporter_host: Option<String>,
    /// The post.
    pub post_id: Option<i64>,
    /// The post's title.
    pub post_title: Option<String>,
    /// The comment.
    pub comment_id: Option<i64>,
    /// The reported content's author.
    pub author_id: Option<i64>,
    /// The author's name, when known.
    pub author_name: Option<String>,
    /// The author's host (`None`: this instance).
    pub author_host: Option<String>,
    /// The post's markdown body (shown inline in the queue).
    pub post_body: Option<String>,
    /// The comment's markdown body.
    pub comment_body: Option<String>,
    /// The reported content was removed by a moderator since.
    pub content_removed: bool,
    /// Why.
    pub reason: String,
    /// `pending`, `resolved` or `dismissed`.
    pub status: String,
    /// Who decided, when known.
    pub resolver_name: Option<String>,
    /// What they wrote about their decision (empty: nothing).
    pub resolution_note: String,
    /// When.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Filed.
    pub created_at: DateTime<Utc>,
}

/// One report.
pub async fn find(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<ReportRow>> {
    sqlx::query_as!(
        ReportRow,
        r#"select r.id, r.ap_id, r.community_id, c.name as community_name, c.host as community_host,
                  c.local as community_local,
                  rp.name as "reporter_name?", rp.host as "reporter_host?",
                  r.post_id, p.title as "post_title?", r.comment_id,
                  coalesce(cm.author_id, p.author_id) as author_id,
                  au.name as "author_name?", au.host as "author_host?",
                  p.body as "post_body?", cm.body as "comment_body?",
                  coalesce(case when r.comment_id is null then p.removed else cm.removed end,
                           false) as "content_removed!",
                  r.reason, r.status, rs.name as "resolver_name?", r.resolution_note,
                  r.resolved_at, r.created_at
           from report r
           join community c on c.id = r.community_id
           left join person rp on rp.id = r.reporter_id
           left join post p on p.id = r.post_id
           left join comment cm on cm.id = r.comment_id
           left join person au on au.id = coalesce(cm.author_id, p.author_id)
           left join person rs on rs.id = r.resolved_by
           where r.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Reports, newest first: of the communities `person_id` moderates (all when `None`: admins),
/// optionally one community and one status, before id `before`.
pub async fn list(
    db: impl PgExecutor<'_>,
    moderator: Option<i64>,
    community_id: Option<i64>,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<ReportRow>> {
    sqlx::query_as!(
        ReportRow,
        r#"select r.id, r.ap_id, r.community_id, c.name as community_name, c.host as community_host,
                  c.local as community_local,
                  rp.name as "reporter_name?", rp.host as "reporter_host?",
                  r.post_id, p.title as "post_title?", r.comment_id,
                  coalesce(cm.author_id, p.author_id) as author_id,
                  au.name as "author_name?", au.host as "author_host?",
                  p.body as "post_body?", cm.body as "comment_body?",
                  coalesce(case when r.comment_id is null then p.removed else cm.removed end,
                           false) as "content_removed!",
                  r.reason, r.status, rs.name as "resolver_name?", r.resolution_note,
                  r.resolved_at, r.created_at
           from report r
           join community c on c.id = r.community_id
           left join person rp on rp.id = r.reporter_id
           left join post p on p.id = r.post_id
           left join comment cm on cm.id = r.comment_id
           left join person au on au.id = coalesce(cm.author_id, p.author_id)
           left join person rs on rs.id = r.resolved_by
           where ($1::bigint is null or exists (select 1 from community_moderator m
                                                where m.community_id = r.community_id and m.person_id = $1))
             and ($2::bigint is null or r.community_id = $2)
             and ($3::text is null or r.status = $3)
             and ($4::bigint is null or r.id < $4)
           order by r.id desc
           limit $5"#,
        moderator,
        community_id,
        status,
        before,
        limit
    )
    .fetch_all(db)
    .await
}

/// Sets a report's status (`resolved` or `dismissed`) and, in the same statement, tells the
/// local person who filed it (the notification's cause is the report and its new status, so
/// deciding it the same way again adds nothing). False when it already had that status.
pub async fn decide(
    db: impl PgExecutor<'_>,
    id: i64,
    status: &str,
    by: Option<i64>,
) -> sqlx::Result<bool> {
    let changed = sqlx::query_scalar!(
        r#"with decided as (
               update report set status = $2, resolved_by = $3, resolved_at = now()
               where id = $1 and status <> $2
               returning id, reporter_id, community_id, post_id, comment_id
           ), told as (
               insert into notification (recipient_id, kind, cause, actor_id, community_id,
                                         post_id, comment_id)
               select d.reporter_id, 'report_' || $2, 'report:' || d.id || ':' || $2, $3,
                      d.community_id, d.post_id, d.comment_id
               from decided d
               join person r on r.id = d.reporter_id and r.local and not r.deleted
               where d.reporter_id is distinct from $3
               on conflict (recipient_id, cause) do nothing
           )
           select count(*) as "changed!" from decided"#,
        id,
        status,
        by
    )
    .fetch_one(db)
    .await?;
    Ok(changed == 1)
}

/// Keeps what the deciding moderator wrote about their decision.
pub async fn set_resolution_note(db: impl PgExecutor<'_>, id: i64, note: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update report set resolution_note = $2 where id = $1",
        id,
        note
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A report's id by its Flag's id.
pub async fn id_by_ap_id(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("select id from report where ap_id = $1", ap_id)
        .fetch_optional(db)
        .await
}

/// The (shared) inboxes of a community's moderators on other servers, one per server.
pub async fn remote_moderator_inboxes(
    db: impl PgExecutor<'_>,
    community_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select distinct on (p.host) coalesce(p.shared_inbox_url, p.inbox_url) as "inbox!"
           from community_moderator m join person p on p.id = m.person_id
           where m.community_id = $1 and not p.local and p.host is not null
             and coalesce(p.shared_inbox_url, p.inbox_url) is not null
           order by p.host"#,
        community_id
    )
    .fetch_all(db)
    .await
}

/// A pending report of `content` (a post's or comment's ActivityPub id) by `reporter` (an actor
/// id), for decisions that name their own copy of the Flag.
pub async fn pending_by_content(
    db: impl PgExecutor<'_>,
    content: &str,
    reporter: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "select r.id from report r
         join person rp on rp.id = r.reporter_id
         left join post p on p.id = r.post_id
         left join comment c on c.id = r.comment_id
         where rp.ap_id = $2 and r.status = 'pending'
           and ((r.comment_id is not null and c.ap_id = $1)
                or (r.comment_id is null and p.ap_id = $1))
         order by r.id desc limit 1",
        content,
        reporter
    )
    .fetch_optional(db)
    .await
}
