//! Local accounts: creating them (registration comes with the accounts issue; the CLI and the
//! setup admin use this now).

use crate::constraint::OnConstraint;
use crate::{ServiceContext, password};
use hearth_core::{ErrorKind, Result, Username};
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
    let (public_key, private_key) = crate::keys::generate().await?;
    let ap_id = ctx.person_ap_id(name.as_str());
    let mut tx = ctx.pool.begin().await?;
    let person_id = person::insert_local(
        &mut tx,
        &NewLocalAccount {
            ap_id: &ap_id,
            name: name.as_str(),
            display_name: None,
            email: None,
            password_hash: &password_hash,
            admin,
            approved: true,
            public_key: &public_key,
            private_key: &private_key,
        },
    )
    .await
    // The id is made from the lowercased name, so either key means the name is taken.
    .on_constraint(
        &["person_local_name_key", "person_ap_id_key"],
        ErrorKind::Conflict {
            code: "name_taken",
            message: format!("The username `{name}` is already taken."),
        },
    )?;
    tx.commit().await?;
    tracing::info!(person_id, admin, "local account created");
    Ok(CreatedAccount {
        person_id,
        name: name.clone(),
        admin,
    })
}
