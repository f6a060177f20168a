//! People and local accounts: the `person` and `local_account` tables.

use sqlx::{PgConnection, PgExecutor};

/// What is needed to store a new local account.
#[derive(Debug)]
pub struct NewLocalAccount<'a> {
    /// The ActivityPub id, `<base>/u/<name>`.
    pub ap_id: &'a str,
    /// The normalised username.
    pub name: &'a str,
    /// The argon2id PHC string.
    pub password_hash: &'a str,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// False while an application waits for approval.
    pub approved: bool,
}

/// Inserts a person and its local account; returns the person's id. The caller owns the
/// transaction. A taken name fails on `person_local_name_key`.
pub async fn insert_local(conn: &mut PgConnection, new: &NewLocalAccount<'_>) -> sqlx::Result<i64> {
    let person_id = sqlx::query_scalar!(
        "insert into person (ap_id, local, name) values ($1, true, $2) returning id",
        new.ap_id,
        new.name
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into local_account (person_id, password_hash, admin, approved) values ($1, $2, $3, $4)",
        person_id,
        new.password_hash,
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

/// A local account as the CLI and the service read it.
#[derive(Debug, Clone)]
pub struct LocalAccount {
    /// The person's id.
    pub person_id: i64,
    /// The normalised username.
    pub name: String,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// Whether the account has been approved.
    pub approved: bool,
}

/// Finds a local account by name (case-insensitively).
pub async fn find_local_by_name(
    db: impl PgExecutor<'_>,
    name: &str,
) -> sqlx::Result<Option<LocalAccount>> {
    sqlx::query_as!(
        LocalAccount,
        "select p.id as person_id, p.name, a.admin, a.approved
         from person p join local_account a on a.person_id = p.id
         where p.local and lower(p.name) = lower($1)",
        name
    )
    .fetch_optional(db)
    .await
}
