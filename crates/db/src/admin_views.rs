//! Admin lists for faces that page them by number (the Lemmy client API): registration
//! applications with who decided them, their count, and every upload of the instance.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A registration application with the admin who decided it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationEntry {
    /// The application's id.
    pub id: i64,
    /// The applicant's person id.
    pub person_id: i64,
    /// The applicant's email, if given.
    pub email: Option<String>,
    /// The answer to the application question.
    pub answer: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// Why it was denied.
    pub deny_reason: Option<String>,
    /// The admin who decided it.
    pub decided_by: Option<i64>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

const APPLICATION_COLUMNS: &str = "select r.id, r.person_id, a.email, r.answer, r.status,
        r.deny_reason, r.decided_by, r.created_at
     from registration_application r
     join local_account a on a.person_id = r.person_id";

/// Applications (only pending ones when `pending_only`), the newest first, one numbered page.
pub async fn applications(
    db: impl PgExecutor<'_>,
    pending_only: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<ApplicationEntry>> {
    sqlx::query_as::<_, ApplicationEntry>(&format!(
        "{APPLICATION_COLUMNS}
         where (not $1 or r.status = 'pending')
         order by r.id desc
         limit $2 offset $3"
    ))
    .bind(pending_only)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}

/// One application by its id, or by its applicant's person id (their latest).
pub async fn application(
    db: impl PgExecutor<'_>,
    id: Option<i64>,
    person_id: Option<i64>,
) -> sqlx::Result<Option<ApplicationEntry>> {
    sqlx::query_as::<_, ApplicationEntry>(&format!(
        "{APPLICATION_COLUMNS}
         where ($1::bigint is null or r.id = $1) and ($2::bigint is null or r.person_id = $2)
         order by r.id desc
         limit 1"
    ))
    .bind(id)
    .bind(person_id)
    .fetch_optional(db)
    .await
}

/// How many applications wait for a decision.
pub async fn pending_application_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar::<_, i64>(
        "select count(*) from registration_application where status = 'pending'",
    )
    .fetch_one(db)
    .await
}

/// An upload with its file's media type.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UploadEntry {
    /// The upload's id.
    pub id: i64,
    /// Who uploaded it.
    pub uploader_id: i64,
    /// The file's content hash.
    pub hash: String,
    /// The file's media type.
    pub content_type: String,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// Every upload of the instance, the newest first, one numbered page.
pub async fn uploads(
    db: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<UploadEntry>> {
    sqlx::query_as::<_, UploadEntry>(
        "select u.id, u.uploader_id, u.hash, m.content_type, u.created_at
         from upload u join media m on m.hash = u.hash
         order by u.created_at desc, u.id desc
         limit $1 offset $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await
}
