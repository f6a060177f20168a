//! Personal blocks (`person_block`, `community_block`): a person hides another person, or a
//! community, from what they read. Private and never federated. The read queries of posts and
//! comments hide blocked content with the conditions `push_hide_blocked_*` add, in SQL; for
//! anonymous readers they add nothing, so the anonymous statements stay as they were.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, QueryBuilder};

/// Blocks `target_id` for `person_id`; false when it already was.
pub async fn block_person(
    db: impl PgExecutor<'_>,
    person_id: i64,
    target_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into person_block (person_id, target_id) values ($1, $2) on conflict do nothing",
        person_id,
        target_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a block of a person back; false when there was none.
pub async fn unblock_person(
    db: impl PgExecutor<'_>,
    person_id: i64,
    target_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from person_block where person_id = $1 and target_id = $2",
        person_id,
        target_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Blocks a community for `person_id`; false when it already was.
pub async fn block_community(
    db: impl PgExecutor<'_>,
    person_id: i64,
    community_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into community_block (person_id, community_id) values ($1, $2) on conflict do nothing",
        person_id,
        community_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a block of a community back; false when there was none.
pub async fn unblock_community(
    db: impl PgExecutor<'_>,
    person_id: i64,
    community_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from community_block where person_id = $1 and community_id = $2",
        person_id,
        community_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `person_id` blocks the person `target_id` (for notifications and profile pages).
pub async fn blocks_person(
    db: impl PgExecutor<'_>,
    person_id: i64,
    target_id: i64,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from person_block where person_id = $1 and target_id = $2) as "blocked!""#,
        person_id,
        target_id
    )
    .fetch_one(db)
    .await
}

/// Whether `person_id` blocks the community.
pub async fn blocks_community(
    db: impl PgExecutor<'_>,
    person_id: i64,
    community_id: i64,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from community_block where person_id = $1 and community_id = $2) as "blocked!""#,
        person_id,
        community_id
    )
    .fetch_one(db)
    .await
}

/// A person someone blocked.
#[derive(Debug, Clone)]
pub struct BlockedPerson {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// The display name.
    pub display_name: Option<String>,
    /// Of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// When the block was made.
    pub blocked_at: DateTime<Utc>,
}

/// The people `person_id` blocks, most recent block first.
pub async fn blocked_people(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Vec<BlockedPerson>> {
    sqlx::query_as!(
        BlockedPerson,
        "select p.id, p.name, p.display_name, p.local, p.ap_id, b.created_at as blocked_at
         from person_block b join person p on p.id = b.target_id
         where b.person_id = $1
         order by b.created_at desc, p.id desc",
        person_id
    )
    .fetch_all(db)
    .await
}

/// A community someone blocked.
#[derive(Debug, Clone)]
pub struct BlockedCommunity {
    /// The community's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// When the block was made.
    pub blocked_at: DateTime<Utc>,
}

/// The communities `person_id` blocks, most recent block first.
pub async fn blocked_communities(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Vec<BlockedCommunity>> {
    sqlx::query_as!(
        BlockedCommunity,
        "select c.id, c.name, c.title, c.local, c.ap_id, b.created_at as blocked_at
         from community_block b join community c on c.id = b.community_id
         where b.person_id = $1
         order by b.created_at desc, c.id desc",
        person_id
    )
    .fetch_all(db)
    .await
}

/// Adds ` and not exists (…)` hiding rows whose `author_column` (a column name written in code,
/// never input) is a person `viewer` blocks; nothing for anonymous readers. The primary key of
/// `person_block` answers each probe.
pub(crate) fn push_hide_blocked_people(
    q: &mut QueryBuilder<'_, Postgres>,
    viewer: Option<i64>,
    author_column: &str,
) {
    if let Some(viewer) = viewer {
        q.push(" and not exists (select 1 from person_block pb where pb.person_id = ");
        q.push_bind(viewer);
        q.push(format_args!(" and pb.target_id = {author_column})"));
    }
}

/// Adds ` and not exists (…)` hiding rows whose `community_column` is a community `viewer`
/// blocks; nothing for anonymous readers.
pub(crate) fn push_hide_blocked_communities(
    q: &mut QueryBuilder<'_, Postgres>,
    viewer: Option<i64>,
    community_column: &str,
) {
    if let Some(viewer) = viewer {
        q.push(" and not exists (select 1 from community_block cb where cb.person_id = ");
        q.push_bind(viewer);
        q.push(format_args!(" and cb.community_id = {community_column})"));
    }
}
