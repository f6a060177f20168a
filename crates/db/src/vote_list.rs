//! Who voted on a post or a comment, for moderators (Lemmy's `post/like/list` and
//! `comment/like/list`): one page of (voter, score) pairs, newest vote first, one query.

use sqlx::PgExecutor;

/// One vote: who and which way.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Vote {
    /// The voter.
    pub person_id: i64,
    /// +1 or -1.
    pub score: i16,
}

/// A page of the votes on a post, newest first (ties by voter id).
pub async fn post_votes(
    db: impl PgExecutor<'_>,
    post_id: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Vote>> {
    sqlx::query_as::<_, Vote>(
        "select person_id, score from post_vote where post_id = $1
         order by created_at desc, person_id desc limit $2 offset $3",
    )
    .bind(post_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// A page of the votes on a comment, newest first (ties by voter id).
pub async fn comment_votes(
    db: impl PgExecutor<'_>,
    comment_id: i64,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Vote>> {
    sqlx::query_as::<_, Vote>(
        "select person_id, score from comment_vote where comment_id = $1
         order by created_at desc, person_id desc limit $2 offset $3",
    )
    .bind(comment_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}
