//! People and local accounts: the `person` and `local_account` tables.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// What is needed to store a new local account.
#[derive(Debug)]
pub struct NewLocalAccount<'a> {
    /// The ActivityPub id, `<base>/u/<name>`.
    pub ap_id: &'a str,
    /// The normalised username.
    pub name: &'a str,
    /// Shown instead of the name when set.
    pub display_name: Option<&'a str>,
    /// Optional email address.
    pub email: Option<&'a str>,
    /// The argon2id PHC string.
    pub password_hash: &'a str,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// False while an application waits for approval.
    pub approved: bool,
}

/// Inserts a person and its local account; returns the person's id. The caller owns the
/// transaction. A taken name fails on `person_local_name_key` or `person_ap_id_key`, a taken
/// email on `local_account_email_key`.
pub async fn insert_local(conn: &mut PgConnection, new: &NewLocalAccount<'_>) -> sqlx::Result<i64> {
    let person_id = sqlx::query_scalar!(
        "insert into person (ap_id, local, name, display_name) values ($1, true, $2, $3) returning id",
        new.ap_id,
        new.name,
        new.display_name
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into local_account (person_id, password_hash, email, admin, approved)
         values ($1, $2, $3, $4, $5)",
        person_id,
        new.password_hash,
        new.email,
        new.admin,
        new.approved
    )
    .execute(&mut *conn)
    .await?;
    Ok(person_id)
}

/// True when at least one local administrator exists.
pub async fn admin_exists(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from local_account where admin) as "exists!""#
    )
    .fetch_one(db)
    .await?;
    Ok(exists)
}

/// True when this person is a local administrator.
pub async fn is_admin(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<bool> {
    let admin = sqlx::query_scalar!(
        r#"select exists (select 1 from local_account where person_id = $1 and admin) as "admin!""#,
        person_id
    )
    .fetch_one(db)
    .await?;
    Ok(admin)
}

/// What login needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The person's id.
    pub person_id: i64,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Whether the account may sign in.
    pub approved: bool,
    /// The registration application's status, if there was one.
    pub application_status: Option<String>,
    /// Why the application was denied, if it was.
    pub deny_reason: Option<String>,
}

/// Finds the credentials of a local account by name (case-insensitively).
pub async fn credentials(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as!(
        Credentials,
        r#"select p.id as person_id, a.password_hash, a.approved,
                  r.status as "application_status?", r.deny_reason as "deny_reason?"
           from person p
           join local_account a on a.person_id = p.id
           left join registration_application r on r.person_id = p.id
           where p.local and lower(p.name) = lower($1)"#,
        name
    )
    .fetch_optional(db)
    .await
}

/// Marks an account approved or not.
pub async fn set_approved(
    db: impl PgExecutor<'_>,
    person_id: i64,
    approved: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update local_account set approved = $2, updated_at = now() where person_id = $1",
        person_id,
        approved
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A person as views show them.
#[derive(Debug, Clone)]
pub struct PersonRow {
    /// The person's id.
    pub id: i64,
    /// The ActivityPub id.
    pub ap_id: String,
    /// True for people of this instance.
    pub local: bool,
    /// The preferred username.
    pub name: String,
    /// The display name, if set.
    pub display_name: Option<String>,
    /// The bio as written (markdown).
    pub bio: String,
    /// The bio rendered and sanitised.
    pub bio_html: String,
    /// Whether the person administers this instance.
    pub admin: bool,
    /// When the person was first seen.
    pub created_at: DateTime<Utc>,
}

/// Finds a local person by name (case-insensitively).
pub async fn find_local(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at
           from person p left join local_account a on a.person_id = p.id
           where p.local and lower(p.name) = lower($1)"#,
        name
    )
    .fetch_optional(db)
    .await
}

/// Finds a person by id.
pub async fn find(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at
           from person p left join local_account a on a.person_id = p.id
           where p.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// A local account's private side, for `GET /me`.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// The email address, if given.
    pub email: Option<String>,
    /// Whether it is approved.
    pub approved: bool,
}

/// The private side of a local account.
pub async fn account(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "select email, approved from local_account where person_id = $1",
        person_id
    )
    .fetch_optional(db)
    .await
}

/// People whose name or display name match a prefix query (see `community::text_query`), by id.
pub async fn search(
    db: impl PgExecutor<'_>,
    text_query: &str,
    after: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at
           from person p left join local_account a on a.person_id = p.id
           where to_tsvector('simple', p.name || ' ' || coalesce(p.display_name, '')) @@ to_tsquery('simple', $1)
             and ($2::bigint is null or p.id > $2)
           order by p.id limit $3"#,
        text_query,
        after,
        limit
    )
    .fetch_all(db)
    .await
}
