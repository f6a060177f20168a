//! Community moderators (`community_moderator`).

use sqlx::PgExecutor;

/// True when the person moderates the community.
pub async fn is_moderator(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"select exists (select 1 from community_moderator where community_id = $1 and person_id = $2) as "found!""#,
        community_id,
        person_id
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}

/// True when the person moderates at least one community.
pub async fn moderates_any(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"select exists (select 1 from community_moderator where person_id = $1) as "found!""#,
        person_id
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}

/// Which of these communities the person moderates.
pub async fn moderated_among(
    db: impl PgExecutor<'_>,
    person_id: i64,
    community_ids: &[i64],
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "select community_id from community_moderator where person_id = $1 and community_id = any($2)",
        person_id,
        community_ids
    )
    .fetch_all(db)
    .await
}

/// When the person became a moderator of the community, if they are one.
pub async fn since(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<chrono::DateTime<chrono::Utc>>> {
    sqlx::query_scalar!(
        "select created_at from community_moderator where community_id = $1 and person_id = $2",
        community_id,
        person_id
    )
    .fetch_optional(db)
    .await
}

/// Adds a moderator; false when they already were one.
pub async fn add(db: impl PgExecutor<'_>, community_id: i64, person_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into community_moderator (community_id, person_id) values ($1, $2) on conflict do nothing",
        community_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a moderator; false when they were not one.
pub async fn remove(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from community_moderator where community_id = $1 and person_id = $2",
        community_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A moderator as lists show them.
#[derive(Debug, Clone)]
pub struct ModeratorRow {
    /// The person's id.
    pub person_id: i64,
    /// The person's name.
    pub name: String,
    /// The person's display name.
    pub display_name: Option<String>,
    /// The person's ActivityPub id.
    pub ap_id: String,
    /// True for people of this instance.
    pub local: bool,
}

/// The community's moderators, longest-serving first.
pub async fn list(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<Vec<ModeratorRow>> {
    sqlx::query_as!(
        ModeratorRow,
        "select p.id as person_id, p.name, p.display_name, p.ap_id, p.local
         from community_moderator m join person p on p.id = m.person_id
         where m.community_id = $1
         order by m.created_at, p.id",
        community_id
    )
    .fetch_all(db)
    .await
}

/// Locks the community's moderator rows so that concurrent removals cannot both pass the
/// "at least one moderator remains" check; returns how many there are.
pub async fn count_for_update(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<i64> {
    let rows = sqlx::query_scalar!(
        "select person_id from community_moderator where community_id = $1 for update",
        community_id
    )
    .fetch_all(db)
    .await?;
    Ok(i64::try_from(rows.len()).unwrap_or(i64::MAX))
}

/// True when someone of this instance moderates the community.
pub async fn has_local_moderators(
    db: impl PgExecutor<'_>,
    community_id: i64,
) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select 1 as one from community_moderator m join person p on p.id = m.person_id
         where m.community_id = $1 and p.local limit 1",
        community_id
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// Makes a remote community's moderators those its own server lists: removes the moderators
/// whose ActivityPub id is not in `listed`, and adds `people` (in the collection's order, which
/// is seniority on Lemmy and here) who were not moderators yet. Returns how many were added
/// and removed. Only for remote communities (a local community's moderators are ours to keep).
pub async fn sync_remote(
    db: &mut sqlx::PgConnection,
    community_id: i64,
    listed: &[String],
    people: &[i64],
) -> sqlx::Result<(u64, u64)> {
    let removed = sqlx::query!(
        "delete from community_moderator m using person p, community c
         where m.community_id = $1 and p.id = m.person_id and c.id = m.community_id
           and not c.local and not (p.ap_id = any($2))",
        community_id,
        listed
    )
    .execute(&mut *db)
    .await?
    .rows_affected();
    let added = sqlx::query!(
        "insert into community_moderator (community_id, person_id, created_at)
         select $1, t.person_id, now() + t.n * interval '1 millisecond'
         from unnest($2::bigint[]) with ordinality as t(person_id, n)
         where exists (select 1 from community c where c.id = $1 and not c.local)
         on conflict do nothing",
        community_id,
        people
    )
    .execute(&mut *db)
    .await?
    .rows_affected();
    Ok((added, removed))
}
