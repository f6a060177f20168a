//! Local communities removed by an administrator (`community.removed`): hidden and restorable,
//! with the reason kept for their page.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Marks a community removed with `reason`, or restores it; true when something changed.
pub async fn set_removed(
    db: impl PgExecutor<'_>,
    community_id: i64,
    removed: bool,
    reason: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update community
         set removed = $2, removed_reason = case when $2 then $3 else null end,
             removed_at = case when $2 then now() else null end
         where id = $1 and removed <> $2",
        community_id,
        removed,
        reason
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Why a community was removed, when it is.
pub async fn reason(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"select coalesce(removed_reason, '') as "reason!" from community where id = $1 and removed"#,
        community_id
    )
    .fetch_optional(db)
    .await
}

/// A removed community, for the admins' list.
#[derive(Debug, Clone)]
pub struct RemovedCommunity {
    /// The community's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// True for communities of this instance.
    pub local: bool,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Why.
    pub reason: Option<String>,
    /// When.
    pub removed_at: Option<DateTime<Utc>>,
}

/// The removed communities, the latest first.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RemovedCommunity>> {
    sqlx::query_as!(
        RemovedCommunity,
        "select id, name, title, local, ap_id, removed_reason as reason, removed_at
         from community where removed order by removed_at desc nulls last, id desc"
    )
    .fetch_all(db)
    .await
}
