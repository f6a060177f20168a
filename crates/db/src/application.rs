//! Registration applications (`registration_application`) in approval mode.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// Records an application with the applicant's answer.
pub async fn insert(db: impl PgExecutor<'_>, person_id: i64, answer: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into registration_application (person_id, answer) values ($1, $2) returning id",
        person_id,
        answer
    )
    .fetch_one(db)
    .await
}

/// An application as admins see it.
#[derive(Debug, Clone)]
pub struct ApplicationRow {
    /// The application's id.
    pub id: i64,
    /// The applicant's person id.
    pub person_id: i64,
    /// The applicant's username.
    pub name: String,
    /// The applicant's email, if given.
    pub email: Option<String>,
    /// The answer to the application question.
    pub answer: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// Why it was denied.
    pub deny_reason: Option<String>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

/// Applications with `status` (any when `None`), oldest first, after the id `after`.
pub async fn list(
    db: impl PgExecutor<'_>,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<ApplicationRow>> {
    sqlx::query_as!(
        ApplicationRow,
        "select r.id, r.person_id, p.name, a.email, r.answer, r.status, r.deny_reason,
                r.created_at, r.decided_at
         from registration_application r
         join person p on p.id = r.person_id
         join local_account a on a.person_id = r.person_id
         where ($1::text is null or r.status = $1) and ($2::bigint is null or r.id > $2)
         order by r.id
         limit $3",
        status,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// Decides a pending application; returns the applicant's person id, or `None` when there is no
/// pending application with this id.
pub async fn decide(
    db: impl PgExecutor<'_>,
    id: i64,
    status: &str,
    admin_id: i64,
    reason: Option<&str>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "update registration_application
         set status = $2, decided_by = $3, deny_reason = $4, decided_at = now(), updated_at = now()
         where id = $1 and status = 'pending'
         returning person_id",
        id,
        status,
        admin_id,
        reason
    )
    .fetch_optional(db)
    .await
}

/// Whether an application with this id exists at all.
pub async fn exists(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"select exists (select 1 from registration_application where id = $1) as "found!""#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(found)
}
