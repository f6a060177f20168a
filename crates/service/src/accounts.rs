//! Local accounts: creating them (registration comes with the accounts issue; the CLI and the
//! setup admin use this now).

use crate::constraint::violated_constraint;
use crate::{ServiceContext, password};
use hearth_core::{Error, Result, Username};
use hearth_db::person::{self, NewLocalAccount};
use secrecy::SecretString;

/// A newly created local account.
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    /// The person's id.
    pub person_id: i64,
    /// The normalised username.
    pub name: Username,
    /// Whether it administers the instance.
    pub admin: bool,
}

/// Creates an approved local account; `admin` makes it an administrator. Only trusted callers
/// (the CLI, the setup settings) may pass `admin = true`.
#[tracing::instrument(skip_all, fields(username = %name))]
pub async fn create_local(
    ctx: &ServiceContext,
    name: &Username,
    password: SecretString,
    admin: bool,
) -> Result<CreatedAccount> {
    password::validate(&password, "password")?;
    let password_hash = password::hash(password).await?;
    let mut tx = ctx.pool.begin().await?;
    let details = AccountDetails {
        display_name: None,
        email: None,
        admin,
        approved: true,
    };
    let person_id = insert(ctx, &mut tx, name, &password_hash, details).await?;
    tx.commit().await?;
    tracing::info!(person_id, admin, "local account created");
    Ok(CreatedAccount {
        person_id,
        name: name.clone(),
        admin,
    })
}

/// What a new local account holds beyond its name and password.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccountDetails<'a> {
    /// Shown instead of the username.
    pub(crate) display_name: Option<&'a str>,
    /// For password resets and notices.
    pub(crate) email: Option<&'a str>,
    /// Administers the instance.
    pub(crate) admin: bool,
    /// May sign in (not waiting for an admin's approval).
    pub(crate) approved: bool,
}

/// Inserts a local account in `tx` with a fresh key pair and its actor id; the one place that
/// turns a taken username or email into its error.
pub(crate) async fn insert(
    ctx: &ServiceContext,
    tx: &mut sqlx::PgConnection,
    name: &Username,
    password_hash: &str,
    details: AccountDetails<'_>,
) -> Result<i64> {
    let (public_key, private_key) = crate::keys::generate().await?;
    let ap_id = ctx.person_ap_id(name.as_str());
    person::insert_local(
        tx,
        &NewLocalAccount {
            ap_id: &ap_id,
            name: name.as_str(),
            display_name: details.display_name,
            email: details.email,
            password_hash,
            admin: details.admin,
            approved: details.approved,
            public_key: &public_key,
            private_key: &private_key,
        },
    )
    .await
    .map_err(|e| match violated_constraint(&e).as_deref() {
        Some("local_account_email_key") => {
            Error::conflict("email_taken", "An account with this email address exists.")
        }
        // The id is made from the lowercased name, so either key means the name is taken.
        Some("person_local_name_key" | "person_ap_id_key") => Error::conflict(
            "name_taken",
            format!("The username `{name}` is already taken."),
        ),
        _ => Error::from(e),
    })
}
