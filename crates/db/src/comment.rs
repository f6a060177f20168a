//! Comments (`comment`) and their votes (`comment_vote`). A comment's `path` holds the ids from
//! its top-level ancestor down to itself, so a whole thread, or any subtree of it, loads with
//! one recursive query that also orders siblings by the chosen sort.

use crate::post::{VoteChange, cast, present_pairs, tally};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};

/// A new comment.
#[derive(Debug)]
pub struct NewComment<'a> {
    /// Its ActivityPub id; `None` for local comments, whose id is made from the row id.
    pub ap_id: Option<&'a str>,
    /// Written here.
    pub local: bool,
    /// The post it belongs to.
    pub post_id: i64,
    /// The comment it answers, if any.
    pub parent_id: Option<i64>,
    /// Its author.
    pub author_id: i64,
    /// Body (markdown).
    pub body: &'a str,
    /// Body rendered and sanitised.
    pub body_html: &'a str,
    /// Language tag.
    pub language: Option<&'a str>,
    /// When it was published elsewhere (`None`: now).
    pub published: Option<DateTime<Utc>>,
}

/// Inserts a comment below its parent (whose path it extends), counts it on the post, the
/// parent and the community, and lifts the post's activity. Returns the id, or `None` when
/// the parent is not a comment of this post.
pub async fn insert(
    conn: &mut PgConnection,
    new: &NewComment<'_>,
    id_base: &str,
) -> sqlx::Result<Option<i64>> {
    let parent_path: Vec<i64> = match new.parent_id {
        Some(parent) => {
            let path = sqlx::query_scalar!(
                "select path from comment where id = $1 and post_id = $2",
                parent,
                new.post_id
            )
            .fetch_optional(&mut *conn)
            .await?;
            match path {
                Some(path) => path,
                None => return Ok(None),
            }
        }
        None => Vec::new(),
    };
    let id = sqlx::query_scalar!(
        r#"with next as (select nextval(pg_get_serial_sequence('comment', 'id')) as id)
           insert into comment (id, ap_id, local, post_id, parent_id, author_id, path, body, body_html, language,
                                published_at, hot_rank)
           overriding system value
           select next.id, coalesce($1, $2 || next.id), $3, $4, $5, $6, $7::bigint[] || next.id, $8, $9, $10,
                  coalesce($11, now()), hearth_hot_rank(0, coalesce($11, now()), now())
           from next
           returning id"#,
        new.ap_id,
        id_base,
        new.local,
        new.post_id,
        new.parent_id,
        new.author_id,
        &parent_path,
        new.body,
        new.body_html,
        new.language,
        new.published
    )
    .fetch_one(&mut *conn)
    .await?;
    if let Some(parent) = new.parent_id {
        sqlx::query!(
            "update comment set child_count = child_count + 1 where id = $1",
            parent
        )
        .execute(&mut *conn)
        .await?;
    }
    // The community's count changes through `community_count_change`, not its row: writers in
    // one community do not wait for each other.
    sqlx::query!(
        "with counted as (
             update post set comment_count = comment_count + 1, last_activity_at = now(),
                             active_rank = hearth_hot_rank(score, now(), now())
             where id = $1
             returning community_id
         )
         insert into community_count_change (community_id, comments)
         select community_id, 1 from counted",
        new.post_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// A comment's id by its ActivityPub id.
pub async fn id_by_ap_id(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("select id from comment where ap_id = $1", ap_id)
        .fetch_optional(db)
        .await
}

/// When a comment was last fetched from its home server.
pub async fn last_refreshed_at(
    db: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!("select last_refreshed_at from comment where id = $1", id)
        .fetch_optional(db)
        .await
}

/// Refreshes the body of a remote comment we hold (never a local one).
pub async fn refresh_remote(
    db: impl PgExecutor<'_>,
    id: i64,
    body: &str,
    body_html: &str,
    edited: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update comment set body = $2, body_html = $3, edited_at = $4, last_refreshed_at = now(), updated_at = now()
         where id = $1 and not local",
        id,
        body,
        body_html,
        edited
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces a comment's body and marks it edited.
pub async fn edit(
    db: impl PgExecutor<'_>,
    id: i64,
    body: &str,
    body_html: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update comment set body = $2, body_html = $3, edited_at = now(), updated_at = now() where id = $1",
        id,
        body,
        body_html
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a comment deleted by its author; its replies stay. False when it already was.
pub async fn mark_deleted(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    // Counts show live content: the post and its community count one comment fewer.
    let done = sqlx::query!(
        r#"with deleted as (
            update comment set deleted = true, updated_at = now() where id = $1 and not deleted
            returning post_id, removed
         ), post_counted as (
            update post set comment_count = greatest(comment_count - 1, 0)
            where id = (select post_id from deleted where not removed)
            returning community_id
         ), counted as (
            insert into community_count_change (community_id, comments)
            select community_id, -1 from post_counted
         )
         select count(*) as "changed!" from deleted"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(done.changed == 1)
}

/// The few facts permission checks need.
#[derive(Debug, Clone)]
pub struct CommentFacts {
    /// Its id.
    pub id: i64,
    /// Its post.
    pub post_id: i64,
    /// Its author.
    pub author_id: i64,
    /// Deleted by its author.
    pub deleted: bool,
    /// Removed by a moderator.
    pub removed: bool,
}

/// Loads the facts of a comment.
pub async fn facts(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<CommentFacts>> {
    sqlx::query_as!(
        CommentFacts,
        "select id, post_id, author_id, deleted, removed from comment where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// A comment as views show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    /// Its id.
    pub id: i64,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Written here.
    pub local: bool,
    /// Its post.
    pub post_id: i64,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// Ids from the top-level ancestor to itself.
    pub path: Vec<i64>,
    /// 1 for top-level comments.
    pub depth: i32,
    /// Body (markdown).
    pub body: String,
    /// Body rendered and sanitised.
    pub body_html: String,
    /// Language tag.
    pub language: Option<String>,
    /// Deleted by its author.
    pub deleted: bool,
    /// Removed by a moderator.
    pub removed: bool,
    /// Upvotes minus downvotes.
    pub score: i32,
    /// Upvotes.
    pub upvotes: i32,
    /// Downvotes.
    pub downvotes: i32,
    /// Direct replies.
    pub child_count: i32,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// Last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// The author's id.
    pub author_id: i64,
    /// The author's name.
    pub author_name: String,
    /// The author's display name.
    pub author_display_name: Option<String>,
    /// The author is local.
    pub author_local: bool,
    /// The author's ActivityPub id.
    pub author_ap_id: String,
    /// The author deleted their account: views show "[deleted]".
    pub author_deleted: bool,
    /// The viewer's vote.
    pub my_vote: i16,
    /// The author's avatar's public URL.
    pub author_avatar_url: Option<String>,
}

pub(crate) const COMMENT_COLUMNS: &str =
    "k.id, k.ap_id, k.local, k.post_id, k.parent_id, k.path, k.depth, k.body,
        k.body_html, k.language, k.deleted, k.removed, k.score, k.upvotes, k.downvotes,
        k.child_count, k.published_at, k.edited_at,
        a.id as author_id, a.name as author_name, a.display_name as author_display_name,
        a.local as author_local, a.ap_id as author_ap_id, a.deleted as author_deleted,
        coalesce(v.score, 0::smallint) as my_vote, a.avatar_url as author_avatar_url";

pub(crate) const COMMENT_FROM: &str = "join person a on a.id = k.author_id
    left join comment_vote v on v.comment_id = k.id and v.person_id = ";

/// One comment as a view row.
pub async fn find(
    db: impl PgExecutor<'_>,
    id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Option<CommentRow>> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM} $1 where k.id = $2"
    ))
    .bind(viewer)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A comment by its ActivityPub id, in one round trip (what `id_by_ap_id` and `find` answer
/// together).
pub async fn find_by_ap_id(
    db: impl PgExecutor<'_>,
    ap_id: &str,
    viewer: Option<i64>,
) -> sqlx::Result<Option<CommentRow>> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM} $1 where k.ap_id = $2"
    ))
    .bind(viewer)
    .bind(ap_id)
    .fetch_optional(db)
    .await
}

/// The comments with these ActivityPub ids that we hold, in one round trip (in no set order).
pub async fn find_by_ap_ids(
    db: impl PgExecutor<'_>,
    ap_ids: &[String],
    viewer: Option<i64>,
) -> sqlx::Result<Vec<CommentRow>> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM} $1 where k.ap_id = any($2)"
    ))
    .bind(viewer)
    .bind(ap_ids)
    .fetch_all(db)
    .await
}

/// How siblings are ordered in a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentSort {
    /// Highest score first.
    Top,
    /// Newest first.
    New,
    /// Oldest first.
    Old,
    /// Stored hot rank.
    Hot,
    /// Stored controversy rank.
    Controversial,
}

impl CommentSort {
    /// The sibling key, ascending (descending sorts are negated).
    fn key(self) -> &'static str {
        match self {
            Self::Top => "-c.score::double precision",
            Self::New => "-c.id::double precision",
            Self::Old => "c.id::double precision",
            Self::Hot => "-c.hot_rank",
            Self::Controversial => "-c.controversy_rank",
        }
    }
}

/// A thread, or the subtree below `parent` (which the result does not include), in display
/// order: depth first, siblings by `sort` with the id as tie-breaker. `max_depth` counts levels
/// below the start; `limit` cuts the list in display order, so a comment is never returned
/// without its parent. Comments of people the viewer blocks are left out with their replies.
/// One query.
pub async fn tree(
    db: impl PgExecutor<'_>,
    post_id: i64,
    parent: Option<i64>,
    sort: CommentSort,
    max_depth: i32,
    limit: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<CommentRow>> {
    let key = sort.key();
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "with recursive thread as (
            select c.id, 1 as level, array[{key}, c.id::double precision] as sort_path
            from comment c where c.post_id = "
    ));
    q.push_bind(post_id);
    match parent {
        Some(p) => {
            q.push(" and c.parent_id = ");
            q.push_bind(p);
        }
        None => {
            q.push(" and c.parent_id is null");
        }
    }
    // A comment of someone the viewer blocks is left out with the replies below it, as Lemmy
    // does (it filters such comments out, and its interface shows no reply without its parent).
    crate::block::push_hide_blocked_people(&mut q, viewer, "c.author_id");
    q.push(format_args!(
        " union all
            select c.id, t.level + 1, t.sort_path || array[{key}, c.id::double precision]
            from comment c join thread t on c.parent_id = t.id
            where t.level < "
    ));
    q.push_bind(max_depth);
    crate::block::push_hide_blocked_people(&mut q, viewer, "c.author_id");
    q.push(format_args!(
        ")
        select {COMMENT_COLUMNS} from thread t join comment k on k.id = t.id {COMMENT_FROM}"
    ));
    q.push_bind(viewer);
    q.push(" order by t.sort_path limit ");
    q.push_bind(limit);
    q.build_query_as::<CommentRow>().fetch_all(db).await
}

/// Records a person's vote (1, -1, or 0 to clear it) and updates the comment's counts and
/// ranks. Returns the vote it replaced (0 for none), or `None` when the comment does not exist.
pub async fn vote(
    conn: &mut PgConnection,
    comment_id: i64,
    person_id: i64,
    score: i16,
) -> sqlx::Result<Option<i16>> {
    let change = VoteChange {
        target_id: comment_id,
        person_id,
        score,
    };
    Ok(vote_many(conn, &[change]).await?.pop().flatten())
}

/// Records many votes on comments in four statements, as `post::vote_many` does for posts
/// (comments locked in id order first, `for no key update`; a (comment, person) pair only
/// once). Returns, for each
/// change in order, the vote it replaced (0 for none), or `None` when the comment does not
/// exist.
pub async fn vote_many(
    conn: &mut PgConnection,
    changes: &[VoteChange],
) -> sqlx::Result<Vec<Option<i16>>> {
    let ids: Vec<i64> = changes.iter().map(|c| c.target_id).collect();
    let existing: Vec<i64> = sqlx::query_scalar!(
        "select id from comment where id = any($1) order by id for no key update",
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    if existing.is_empty() {
        return Ok(vec![None; changes.len()]);
    }
    let (targets, voters) = present_pairs(changes, &existing);
    let old: Vec<(i64, i64, i16)> = sqlx::query!(
        "delete from comment_vote v
         using unnest($1::int8[], $2::int8[]) as c(comment_id, person_id)
         where v.comment_id = c.comment_id and v.person_id = c.person_id
         returning v.comment_id, v.person_id, v.score",
        &targets,
        &voters
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.comment_id, r.person_id, r.score))
    .collect();
    let new = cast(changes, &existing);
    sqlx::query!(
        "insert into comment_vote (comment_id, person_id, score)
         select * from unnest($1::int8[], $2::int8[], $3::int2[])",
        &new.0,
        &new.1,
        &new.2
    )
    .execute(&mut *conn)
    .await?;
    let tally = tally(changes, &existing, &old);
    sqlx::query!(
        "update comment k set
            score = k.score + d.up - d.down,
            upvotes = k.upvotes + d.up,
            downvotes = k.downvotes + d.down,
            hot_rank = hearth_hot_rank(k.score + d.up - d.down, k.published_at, now()),
            controversy_rank = hearth_controversy_rank(k.upvotes + d.up, k.downvotes + d.down)
         from unnest($1::int8[], $2::int4[], $3::int4[]) as d(id, up, down)
         where k.id = d.id",
        &tally.ids,
        &tally.up,
        &tally.down
    )
    .execute(&mut *conn)
    .await?;
    Ok(tally.replaced)
}

/// A person's comments, newest first, after the id `after` (none when the viewer blocks them).
pub async fn by_author(
    db: impl PgExecutor<'_>,
    author_id: i64,
    after: Option<i64>,
    limit: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<CommentRow>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM}"
    ));
    q.push_bind(viewer);
    q.push(" where k.author_id = ");
    q.push_bind(author_id);
    q.push(" and not k.deleted and not k.removed");
    crate::block::push_hide_blocked_people(&mut q, viewer, "k.author_id");
    if let Some(after) = after {
        q.push(" and k.id < ");
        q.push_bind(after);
    }
    q.push(" order by k.id desc limit ");
    q.push_bind(limit);
    q.build_query_as::<CommentRow>().fetch_all(db).await
}

/// Full-text search over comment bodies (English stemming), best match first, without what the
/// viewer blocks.
pub async fn search(
    db: impl PgExecutor<'_>,
    query: &str,
    community: Option<i64>,
    after: Option<(f64, i64)>,
    limit: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<(f64, CommentRow)>> {
    #[derive(sqlx::FromRow)]
    struct Ranked {
        rank: f64,
        #[sqlx(flatten)]
        row: CommentRow,
    }
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "select * from (select ts_rank(k.search, websearch_to_tsquery('english', ",
    );
    q.push_bind(query);
    q.push(format_args!(
        "))::double precision as rank, {COMMENT_COLUMNS} from comment k {COMMENT_FROM}"
    ));
    q.push_bind(viewer);
    q.push(
        " where not k.deleted and not k.removed and k.search @@ websearch_to_tsquery('english', ",
    );
    q.push_bind(query);
    // Comments of deleted posts leave search with their post.
    q.push(
        ") and k.post_id in (select p.id from post p join community c on c.id = p.community_id \
         where not p.deleted and not p.removed and not c.removed)",
    );
    crate::block::push_hide_blocked_people(&mut q, viewer, "k.author_id");
    match community {
        Some(c) => {
            q.push(" and k.post_id in (select id from post where community_id = ");
            q.push_bind(c);
            q.push(")");
        }
        None => {
            if let Some(viewer) = viewer {
                // Comments under posts of a community the viewer blocks leave with the posts.
                q.push(" and not exists (select 1 from post bp join community_block cb on cb.community_id = bp.community_id where bp.id = k.post_id and cb.person_id = ");
                q.push_bind(viewer);
                q.push(")");
            }
        }
    }
    q.push(") ranked");
    if let Some((key, id)) = after {
        q.push(" where (rank, id) < (");
        q.push_bind(key);
        q.push(", ");
        q.push_bind(id);
        q.push(")");
    }
    q.push(" order by rank desc, id desc limit ");
    q.push_bind(limit);
    let rows = q.build_query_as::<Ranked>().fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| (r.rank, r.row)).collect())
}

/// Recomputes the hot rank of comments from the last week and zeroes older ranked ones.
pub async fn refresh_ranks(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update comment set hot_rank = hearth_hot_rank(score, published_at, now())
         where published_at > now() - interval '8 days' or hot_rank <> 0"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Records that the home server was asked about this comment just now.
pub async fn touch_refreshed(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update comment set last_refreshed_at = now() where id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a deletion back (its author's `Undo{Delete}`); false when it was not deleted.
pub async fn mark_undeleted(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"with undeleted as (
            update comment set deleted = false, updated_at = now() where id = $1 and deleted
            returning post_id, removed
         ), post_counted as (
            update post set comment_count = comment_count + 1
            where id = (select post_id from undeleted where not removed)
            returning community_id
         ), counted as (
            insert into community_count_change (community_id, comments)
            select community_id, 1 from post_counted
         )
         select count(*) as "changed!" from undeleted"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(done.changed == 1)
}

/// One page of comments in id order (so parents come before their replies), after the comment
/// `after` (0 for the first page): a post's comments, or with `parent` only the direct replies
/// to that comment of the post (the `(post_id, parent_id)` index finds both). What the paged
/// `replies` collections serve.
pub async fn page_of_replies(
    db: impl PgExecutor<'_>,
    post_id: i64,
    parent: Option<i64>,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<CommentRow>> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "select {COMMENT_COLUMNS} from comment k {COMMENT_FROM} $1 where k.post_id = $2
           and ($3::bigint is null or k.parent_id = $3) and k.id > $4
           and not k.deleted and not k.removed
         order by k.id limit {}",
        limit.clamp(0, 1000)
    ))
    .bind(None::<i64>)
    .bind(post_id)
    .bind(parent)
    .bind(after)
    .fetch_all(db)
    .await
}
