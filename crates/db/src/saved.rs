//! Saved posts (`post_saved`), saved comments (`comment_saved`) and read marks (`post_read`):
//! each person's own bookmarks, never federated. Lookups for a page of posts or comments take
//! the page's ids as one array, so a page costs one query, not one per row.
//!
//! The queries are unchecked (`query_as::<_, T>`) because the lists reuse the joined view
//! columns of `post` and `comment`, which are built with `format!`.

use crate::comment::{COMMENT_COLUMNS, COMMENT_FROM, CommentRow};
use crate::post::{POST_COLUMNS, POST_FROM, PostRow};
use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

/// Saves a post for a person; true when it was not saved yet (saving again keeps the first
/// time, so the list order does not jump).
pub async fn save_post(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into post_saved (person_id, post_id) values ($1, $2) on conflict do nothing",
    )
    .bind(person_id)
    .bind(post_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes a saved post off a person's list; true when it was there.
pub async fn unsave_post(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from post_saved where person_id = $1 and post_id = $2")
        .bind(person_id)
        .bind(post_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Saves a comment for a person; true when it was not saved yet.
pub async fn save_comment(
    db: impl PgExecutor<'_>,
    person_id: i64,
    comment_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into comment_saved (person_id, comment_id) values ($1, $2) on conflict do nothing",
    )
    .bind(person_id)
    .bind(comment_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes a saved comment off a person's list; true when it was there.
pub async fn unsave_comment(
    db: impl PgExecutor<'_>,
    person_id: i64,
    comment_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from comment_saved where person_id = $1 and comment_id = $2")
        .bind(person_id)
        .bind(comment_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Marks posts read for a person, in one statement. Ids of posts that do not exist are skipped
/// (a client may send ids of posts purged meanwhile); posts already read keep their first time.
/// Returns how many marks were added.
pub async fn mark_read(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_ids: &[i64],
) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "insert into post_read (person_id, post_id)
         select $1, p.id from post p where p.id = any($2)
         on conflict do nothing",
    )
    .bind(person_id)
    .bind(post_ids)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Takes the read marks of these posts away for a person. Returns how many went.
pub async fn mark_unread(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_ids: &[i64],
) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from post_read where person_id = $1 and post_id = any($2)")
        .bind(person_id)
        .bind(post_ids)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Whether a person saved and read one post of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct PostMark {
    /// The post's id.
    pub post_id: i64,
    /// The person saved it.
    pub saved: bool,
    /// The person read it.
    pub read: bool,
}

/// The marks of the posts among `post_ids` that the person saved or read (posts with neither
/// are left out). One query: both lookups go through the primary keys.
pub async fn post_marks(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_ids: &[i64],
) -> sqlx::Result<Vec<PostMark>> {
    sqlx::query_as::<_, PostMark>(
        "select m.post_id, m.saved, m.read from (
             select ids.id as post_id,
                 exists (select 1 from post_saved s where s.person_id = $1 and s.post_id = ids.id) as saved,
                 exists (select 1 from post_read r where r.person_id = $1 and r.post_id = ids.id) as read
             from (select distinct unnest($2::bigint[]) as id) ids
         ) m
         where m.saved or m.read",
    )
    .bind(person_id)
    .bind(post_ids)
    .fetch_all(db)
    .await
}

/// The comments among `comment_ids` that the person saved.
pub async fn saved_comment_ids(
    db: impl PgExecutor<'_>,
    person_id: i64,
    comment_ids: &[i64],
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar::<_, i64>(
        "select comment_id from comment_saved where person_id = $1 and comment_id = any($2)",
    )
    .bind(person_id)
    .bind(comment_ids)
    .fetch_all(db)
    .await
}

/// Where a page of saved items starts: the time the previous page's last item was saved, and
/// its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavedCursor {
    /// When the last item was saved.
    pub saved_at: DateTime<Utc>,
    /// The last item's id (post or comment).
    pub id: i64,
}

/// A saved post as its list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedPost {
    /// When the person saved it.
    pub saved_at: DateTime<Utc>,
    /// The post, as views show it to the person.
    #[sqlx(flatten)]
    pub post: PostRow,
}

/// A saved comment as its list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedComment {
    /// When the person saved it.
    pub saved_at: DateTime<Utc>,
    /// The comment, as views show it to the person.
    #[sqlx(flatten)]
    pub comment: CommentRow,
}

/// One page of a person's saved posts, most recently saved first (an index range of
/// `post_saved_person_recent_idx`). Deleted and removed posts stay on the list, so that they
/// can be unsaved; views blank their content.
pub async fn saved_posts(
    db: impl PgExecutor<'_>,
    person_id: i64,
    after: Option<SavedCursor>,
    limit: i64,
) -> sqlx::Result<Vec<SavedPost>> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("select s.saved_at, {POST_COLUMNS} {POST_FROM}"));
    q.push_bind(person_id);
    q.push(" join post_saved s on s.post_id = p.id where s.person_id = ");
    q.push_bind(person_id);
    if let Some(after) = after {
        q.push(" and (s.saved_at, s.post_id) < (");
        q.push_bind(after.saved_at);
        q.push(", ");
        q.push_bind(after.id);
        q.push(")");
    }
    q.push(" order by s.saved_at desc, s.post_id desc limit ");
    q.push_bind(limit);
    q.build_query_as::<SavedPost>().fetch_all(db).await
}

/// One page of a person's saved comments, most recently saved first.
pub async fn saved_comments(
    db: impl PgExecutor<'_>,
    person_id: i64,
    after: Option<SavedCursor>,
    limit: i64,
) -> sqlx::Result<Vec<SavedComment>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "select s.saved_at, {COMMENT_COLUMNS} from comment k {COMMENT_FROM}"
    ));
    q.push_bind(person_id);
    q.push(" join comment_saved s on s.comment_id = k.id where s.person_id = ");
    q.push_bind(person_id);
    if let Some(after) = after {
        q.push(" and (s.saved_at, s.comment_id) < (");
        q.push_bind(after.saved_at);
        q.push(", ");
        q.push_bind(after.id);
        q.push(")");
    }
    q.push(" order by s.saved_at desc, s.comment_id desc limit ");
    q.push_bind(limit);
    q.build_query_as::<SavedComment>().fetch_all(db).await
}

/// Forgets everything a person saved and read, in one statement. Account deletion keeps the
/// person row (shown as "[deleted]"), so the foreign keys' cascade does not run there; this
/// does its work.
pub async fn forget_person(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<()> {
    sqlx::query(
        "with saved_posts as (delete from post_saved where person_id = $1),
              saved_comments as (delete from comment_saved where person_id = $1)
         delete from post_read where person_id = $1",
    )
    .bind(person_id)
    .execute(db)
    .await?;
    Ok(())
}
