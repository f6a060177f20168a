//! What a client needs at start-up besides the site settings: how many local communities there
//! are, and for an account the ids of the communities it joined, moderates and blocked, of the
//! people it blocked, and how much it wrote (one round trip each).

use sqlx::PgExecutor;

/// An account's relations, as ids.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct AccountOverview {
    /// Communities joined (accepted, not pending).
    pub joined: Vec<i64>,
    /// Communities moderated.
    pub moderated: Vec<i64>,
    /// Communities blocked.
    pub blocked_communities: Vec<i64>,
    /// People blocked.
    pub blocked_people: Vec<i64>,
    /// Posts written and not deleted.
    pub post_count: i64,
    /// Comments written and not deleted.
    pub comment_count: i64,
}

/// The overview of one person.
pub async fn of(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<AccountOverview> {
    sqlx::query_as::<_, AccountOverview>(
        "select
             array(select community_id from community_member
                   where person_id = $1 and state = 'joined' order by community_id) as joined,
             array(select community_id from community_moderator
                   where person_id = $1 order by community_id) as moderated,
             array(select community_id from community_block
                   where person_id = $1 order by community_id) as blocked_communities,
             array(select target_id from person_block
                   where person_id = $1 order by target_id) as blocked_people,
             (select count(*) from post where author_id = $1 and not deleted) as post_count,
             (select count(*) from comment where author_id = $1 and not deleted) as comment_count",
    )
    .bind(person_id)
    .fetch_one(db)
    .await
}

/// Local communities not removed by an admin.
pub async fn local_community_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar::<_, i64>("select count(*) from community where local and not removed")
        .fetch_one(db)
        .await
}

/// When the site was set up, and the instance actor's public key (if made yet).
pub async fn site_origin(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<(chrono::DateTime<chrono::Utc>, Option<String>)> {
    sqlx::query_as::<_, (chrono::DateTime<chrono::Utc>, Option<String>)>(
        "select created_at, public_key from site",
    )
    .fetch_one(db)
    .await
}

/// Local people who posted or commented in the last day and in the last week (NodeInfo's
/// `usage` has the month and half-year).
pub async fn recently_active(db: impl PgExecutor<'_>) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as::<_, (i64, i64)>(
        "with activity as (
             select author_id, published_at from post
             where local and published_at > now() - interval '7 days'
             union all
             select author_id, published_at from comment
             where local and published_at > now() - interval '7 days'
         )
         select
             (select count(distinct author_id) from activity
              where published_at > now() - interval '1 day'),
             (select count(distinct author_id) from activity)",
    )
    .fetch_one(db)
    .await
}

/// How many posts and comments each of these people wrote (not deleted): (id, posts, comments).
pub async fn authored_counts(
    db: impl PgExecutor<'_>,
    ids: &[i64],
) -> sqlx::Result<Vec<(i64, i64, i64)>> {
    sqlx::query_as::<_, (i64, i64, i64)>(
        "select p.id,
                (select count(*) from post where author_id = p.id and not deleted),
                (select count(*) from comment where author_id = p.id and not deleted)
         from person p where p.id = any($1)",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}
