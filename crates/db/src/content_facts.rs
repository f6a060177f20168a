//! Batch lookups for views that show many posts or comments at once with everything around them
//! (the Lemmy client API): whether each author is banned from or moderates the community they
//! wrote in, whom the viewer blocks, when each post last had a comment and how many comments
//! the viewer has not seen, posts by id, and what the viewer voted on. Each function is one
//! query for the whole page.

use crate::comment::{COMMENT_COLUMNS, COMMENT_FROM, CommentRow};
use crate::post::{POST_COLUMNS, POST_FROM, PostRow};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

/// An author's standing in the community of something they wrote.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthorStanding {
    /// The community.
    pub community_id: i64,
    /// The author.
    pub person_id: i64,
    /// Banned from the community (a ban in force).
    pub banned: bool,
    /// One of its moderators.
    pub moderator: bool,
}

/// The standing of each (community, author) pair: `community_ids[i]` goes with `person_ids[i]`.
/// One row per distinct pair.
pub async fn author_standing(
    db: impl PgExecutor<'_>,
    community_ids: &[i64],
    person_ids: &[i64],
) -> sqlx::Result<Vec<AuthorStanding>> {
    sqlx::query_as::<_, AuthorStanding>(
        "select distinct pair.community_id, pair.person_id,
                exists (select 1 from community_ban b
                        where b.community_id = pair.community_id and b.person_id = pair.person_id
                          and (b.expires_at is null or b.expires_at > now())) as banned,
                exists (select 1 from community_moderator m
                        where m.community_id = pair.community_id
                          and m.person_id = pair.person_id) as moderator
         from unnest($1::bigint[], $2::bigint[]) as pair (community_id, person_id)",
    )
    .bind(community_ids)
    .bind(person_ids)
    .fetch_all(db)
    .await
}

/// Which of these people `viewer` blocks.
pub async fn blocked_among(
    db: impl PgExecutor<'_>,
    viewer: i64,
    person_ids: &[i64],
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar::<_, i64>(
        "select target_id from person_block where person_id = $1 and target_id = any($2)",
    )
    .bind(viewer)
    .bind(person_ids)
    .fetch_all(db)
    .await
}

/// When a post last had a comment, and how many of its live comments a reader has not seen.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostActivity {
    /// The post.
    pub post_id: i64,
    /// The last comment's time (the post's own publication until one comes).
    pub last_activity_at: DateTime<Utc>,
    /// Live comments published after the reader last marked the post read; all of them when
    /// they never did (or for an anonymous reader).
    pub unread_comments: i64,
}

/// The activity of each of these posts, as `reader` (if any) sees it.
pub async fn post_activity(
    db: impl PgExecutor<'_>,
    reader: Option<i64>,
    post_ids: &[i64],
) -> sqlx::Result<Vec<PostActivity>> {
    sqlx::query_as::<_, PostActivity>(
        "select p.id as post_id, p.last_activity_at,
                case when r.read_at is null then p.comment_count::bigint
                     else (select count(*) from comment k
                           where k.post_id = p.id and k.published_at > r.read_at
                             and not k.deleted and not k.removed)
                end as unread_comments
         from post p
         left join post_read r on r.post_id = p.id and r.person_id = $1
         where p.id = any($2)",
    )
    .bind(reader)
    .bind(post_ids)
    .fetch_all(db)
    .await
}

/// Posts by id as view rows, in no particular order (missing ids are left out).
pub async fn posts_by_ids(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    viewer: Option<i64>,
) -> sqlx::Result<Vec<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1 where p.id = any($2)"
    ))
    .bind(viewer)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// One page of the live posts `voter` voted on with `score` (1 or -1), newest post first,
/// before the post id `before`.
pub async fn voted_posts(
    db: impl PgExecutor<'_>,
    voter: i64,
    score: i16,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1
         where v.score = $2 and not p.deleted and not p.removed and not c.removed
           and ($3::bigint is null or p.id < $3)
         order by p.id desc limit $4"
    ))
    .bind(voter)
    .bind(score)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// One page of the live comments `voter` voted on with `score` (1 or -1), newest first, before
/// the comment id `before`.
pub async fn voted_comments(
    db: impl PgExecutor<'_>,
    voter: i64,
    score: i16,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<CommentRow>> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM} $1
         where v.score = $2 and not k.deleted and not k.removed
           and ($3::bigint is null or k.id < $3)
         order by k.id desc limit $4"
    ))
    .bind(voter)
    .bind(score)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The posts a by-date listing shows (the orders Hearth's ranked feeds do not have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatedScope {
    /// Everything this instance knows.
    All,
    /// Posts in this instance's communities.
    Local,
    /// Posts in the communities the person has joined.
    Subscribed(i64),
    /// One community.
    Community(i64),
    /// Posts in the communities the person moderates.
    Moderated(i64),
}

/// One page of live posts by publication time, newest or oldest first, after the
/// (publication time, id) of the previous page's last post, without what the viewer blocks
/// (blocked communities only where communities mix), as the feeds leave them out.
pub async fn posts_by_date(
    db: impl PgExecutor<'_>,
    scope: DatedScope,
    oldest_first: bool,
    after: Option<(DateTime<Utc>, i64)>,
    limit: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<PostRow>> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("select {POST_COLUMNS} {POST_FROM}"));
    q.push_bind(viewer);
    q.push(" where not p.deleted and not p.removed and not c.removed");
    match scope {
        DatedScope::All => {}
        DatedScope::Local => {
            q.push(" and c.local");
        }
        DatedScope::Subscribed(person) => {
            q.push(" and p.community_id in (select community_id from community_member where person_id = ");
            q.push_bind(person);
            q.push(" and state = 'joined')");
        }
        DatedScope::Community(id) => {
            q.push(" and p.community_id = ");
            q.push_bind(id);
        }
        DatedScope::Moderated(person) => {
            q.push(" and p.community_id in (select community_id from community_moderator where person_id = ");
            q.push_bind(person);
            q.push(")");
        }
    }
    crate::block::push_hide_blocked_people(&mut q, viewer, "p.author_id");
    if !matches!(scope, DatedScope::Community(_)) {
        crate::block::push_hide_blocked_communities(&mut q, viewer, "p.community_id");
    }
    let (compare, order) = if oldest_first {
        (">", "asc")
    } else {
        ("<", "desc")
    };
    if let Some((published, id)) = after {
        q.push(format_args!(" and (p.published_at, p.id) {compare} ("));
        q.push_bind(published);
        q.push(", ");
        q.push_bind(id);
        q.push(")");
    }
    q.push(format_args!(
        " order by p.published_at {order}, p.id {order} limit "
    ));
    q.push_bind(limit);
    q.build_query_as::<PostRow>().fetch_all(db).await
}
