//! First-start provisioning and the first-run setup. Each start seeds the site row; the first
//! administrator comes from the settings (`setup.admin_*`) or, without them, from the setup page:
//! while no administrator exists, every start makes a one-time setup code, prints it (the
//! caller does) and stores its SHA-256, so whoever opens `/setup` on any Hearth process of this
//! database must prove they can read the server's log before becoming its administrator.

use crate::accounts::{self, AccountDetails, CreatedAccount};
use crate::site::{self, SiteUpdate};
use crate::{ServiceContext, password};
use hearth_core::{Error, Result, Username};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::fmt;

/// What provisioning did on this start.
#[derive(Debug, Default)]
pub struct SetupOutcome {
    /// The site row was created now (first start).
    pub site_created: bool,
    /// The setup administrator was created now.
    pub admin_created: Option<String>,
    /// No administrator exists: the code made on this start, which the setup page asks for.
    pub setup_code: Option<SetupCode>,
}

impl SetupOutcome {
    /// True while the instance waits for its first administrator (the setup page is open).
    pub fn setup_pending(&self) -> bool {
        self.setup_code.is_some()
    }
}

/// A one-time setup code: 128 random bits, shown as eight groups of four hex digits. Its
/// `Debug` hides it; only [`SetupCode::reveal`] shows it.
#[derive(Clone)]
pub struct SetupCode(SecretString);

impl SetupCode {
    fn generate() -> Self {
        let mut raw = [0u8; 16];
        rand::rng().fill_bytes(&mut raw);
        let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let grouped = hex
            .as_bytes()
            .chunks(4)
            .map(|group| String::from_utf8_lossy(group).into_owned())
            .collect::<Vec<_>>()
            .join("-");
        Self(SecretString::from(grouped))
    }

    /// The code as printed in the log.
    pub fn reveal(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SetupCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SetupCode([hidden])")
    }
}

/// The stored form of a code as typed: letters and digits only (dashes and spaces a copy may
/// add or lose do not count), lowercased, hashed.
fn digest(typed: &str) -> Vec<u8> {
    let normalised: String = typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normalised.as_bytes()).to_vec()
}

/// Seeds the site settings; then, while no administrator exists, creates the setup administrator
/// from `setup.admin_*`, or (without them) makes a setup code for the setup page. Later starts
/// change nothing: the settings only seed.
pub async fn provision(ctx: &ServiceContext) -> Result<SetupOutcome> {
    let settings = &ctx.settings;
    let site_created = hearth_db::site::seed(&ctx.pool, settings.registration).await?;
    crate::keys::backfill(ctx).await?;
    let mut outcome = SetupOutcome {
        site_created,
        ..SetupOutcome::default()
    };
    if hearth_db::person::admin_exists(&ctx.pool).await? {
        if settings.setup.admin_username.is_some() {
            tracing::debug!("an administrator exists; setup.admin_* ignored");
        }
        // Codes left by starts before an administrator was made some other way (the CLI).
        hearth_db::setup::clear(&ctx.pool).await?;
        return Ok(outcome);
    }
    let (Some(name), Some(password)) = (
        settings.setup.admin_username.as_deref(),
        settings.setup.admin_password.clone(),
    ) else {
        let code = SetupCode::generate();
        hearth_db::setup::insert(&ctx.pool, &digest(code.reveal())).await?;
        outcome.setup_code = Some(code);
        return Ok(outcome);
    };
    let name = Username::parse(name, "setup.admin_username")?;
    let created = accounts::create_local(ctx, &name, password, true)
        .await
        .map_err(|e| match e.kind {
            hearth_core::ErrorKind::Validation { reason, .. } => {
                Error::validation("setup.admin_password", reason)
            }
            _ => e,
        })?;
    hearth_db::setup::clear(&ctx.pool).await?;
    tracing::info!(username = %created.name, "setup administrator created");
    outcome.admin_created = Some(created.name.to_string());
    Ok(outcome)
}

/// True while the instance has no administrator: the setup page is open.
pub async fn pending(ctx: &ServiceContext) -> Result<bool> {
    Ok(!hearth_db::person::admin_exists(&ctx.pool).await?)
}

/// What the setup page sends.
#[derive(Debug)]
pub struct FirstRun {
    /// The setup code from the server's log, as typed.
    pub code: String,
    /// The administrator's username.
    pub username: String,
    /// The administrator's password.
    pub password: SecretString,
    /// The site's name, description and registration mode.
    pub site: SiteUpdate,
}

/// Makes the first administrator and sets up the site, in one transaction that also uses up
/// the setup codes: a wrong code, a taken name or an invalid site field changes nothing, and of
/// two people with the code only the first succeeds. Refused (not found) once an administrator
/// exists. The caller rate-limits attempts.
#[tracing::instrument(skip_all)]
pub async fn complete(ctx: &ServiceContext, first: FirstRun) -> Result<CreatedAccount> {
    if !pending(ctx).await? {
        return Err(done());
    }
    let name = Username::parse(&first.username, "username")?;
    password::validate(&first.password, "password")?;
    let code_hash = digest(&first.code);
    let password_hash = password::hash(first.password).await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::setup::consume(&mut tx, &code_hash).await? {
        // No code matched, or another request has just used it and made the administrator.
        return Err(if pending(ctx).await? {
            Error::validation("code", "is not the one the server printed in its log")
        } else {
            done()
        });
    }
    let details = AccountDetails {
        display_name: None,
        email: None,
        admin: true,
        approved: true,
    };
    let person_id = accounts::insert(ctx, &mut tx, &name, &password_hash, details).await?;
    site::write(&mut *tx, &first.site).await?;
    tx.commit().await?;
    tracing::info!(person_id, username = %name, "first administrator created by the setup page");
    Ok(CreatedAccount {
        person_id,
        name,
        admin: true,
    })
}

fn done() -> Error {
    Error::not_found("Setup is done: this instance has an administrator.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_128_random_bits_in_groups_of_four() {
        let code = SetupCode::generate();
        let shown = code.reveal();
        assert_eq!(shown.len(), 39, "{shown}");
        assert!(shown.split('-').all(|g| g.len() == 4));
        assert_ne!(shown, SetupCode::generate().reveal());
        assert!(!format!("{code:?}").contains(shown));
    }

    #[test]
    fn a_code_matches_without_its_dashes_and_in_capitals() {
        let code = SetupCode::generate();
        let plain: String = code.reveal().replace('-', "").to_uppercase();
        assert_eq!(digest(code.reveal()), digest(&format!(" {plain} ")));
        assert_ne!(digest(code.reveal()), digest("0000"));
    }
}
