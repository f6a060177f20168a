//! Two-factor sign-in with time-based one-time passwords (TOTP, RFC 6238: HMAC-SHA1, 6 digits,
//! 30-second steps, one step of clock drift either way), what every authenticator app speaks.
//!
//! Enrolling is two steps: `begin` makes a secret and shows it (as text, an `otpauth://` URL and
//! a QR code rendered here as SVG); `confirm` checks a first code from the app, which proves the
//! app holds the secret, and only then turns two-factor sign-in on and hands out ten recovery
//! codes, once. From then on every sign-in (web, `/api/v1`, `/api/v3`) needs a current code or
//! an unused recovery code after the password. A code is accepted once: the last accepted time
//! step is stored and a code of that step or an earlier one is refused (RFC 6238 section 5.2).
//! Recovery codes are stored as SHA-256 digests, like tokens, and each works once. Code
//! guesses are rate-limited per account as well as per address, so spreading guesses over many
//! addresses does not help either.

use crate::rate_limit::{self, Action};
use crate::viewer::Viewer;
use crate::{ServiceContext, password};
use hearth_core::{Error, Result};
use hearth_db::two_factor;
use rand::Rng;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes in a new secret: 160 bits, the length RFC 4226 recommends for HMAC-SHA1.
const SECRET_BYTES: usize = 20;
/// The recovery codes' alphabet: lowercase letters and digits without the easily confused
/// 0/o, 1/l/i; 12 characters of it carry about 61 bits.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// What the second step of a sign-in sends: a code from the authenticator app or a recovery code.
#[derive(Debug, Default, Clone)]
pub struct SecondFactor {
    /// A six-digit code from the authenticator app.
    pub totp_code: Option<String>,
    /// One of the recovery codes handed out at enrolment.
    pub recovery_code: Option<String>,
}

impl SecondFactor {
    /// No second factor given.
    pub fn none() -> Self {
        Self::default()
    }

    fn totp(&self) -> Option<&str> {
        self.totp_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }

    fn recovery(&self) -> Option<&str> {
        self.recovery_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }
}

/// A started enrolment: what the authenticator app needs, shown until it is confirmed.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://totp/...` URL the QR code carries.
    pub otpauth_url: String,
    /// The QR code of `otpauth_url` as an SVG document (without an XML declaration, so it can be
    /// inlined in a page as it is).
    pub qr_svg: String,
}

/// Whether an account signs in with a second factor.
#[derive(Debug, Clone, Copy)]
pub struct Status {
    /// Two-factor sign-in is on.
    pub enabled: bool,
    /// An enrolment was started and waits for its confirmation code.
    pub pending: bool,
    /// Unused recovery codes left (0 when disabled).
    pub recovery_codes_left: i64,
}

/// The account's two-factor status.
pub async fn status(ctx: &ServiceContext, viewer: &Viewer) -> Result<Status> {
    let row = two_factor::get(&ctx.pool, viewer.person_id).await?;
    let enabled = row.as_ref().is_some_and(|r| r.enabled);
    let recovery_codes_left = if enabled {
        two_factor::recovery_codes_left(&ctx.pool, viewer.person_id).await?
    } else {
        0
    };
    Ok(Status {
        enabled,
        pending: row.is_some_and(|r| !r.enabled),
        recovery_codes_left,
    })
}

/// Starts an enrolment with a fresh secret (a restarted enrolment forgets the previous one).
/// Refused with 409 `two_factor_enabled` when two-factor sign-in is already on.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn begin(ctx: &ServiceContext, viewer: &Viewer) -> Result<Enrolment> {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rng().fill(&mut secret);
    if !two_factor::begin(&ctx.pool, viewer.person_id, &secret).await? {
        return Err(already_enabled());
    }
    let site = hearth_db::site::get(&ctx.pool).await?;
    let enrolment = enrolment(&secret, &site.name, &viewer.name)?;
    tracing::info!("two-factor enrolment started");
    Ok(enrolment)
}

/// The current enrolment again (for a page reloaded between `begin` and `confirm`); `None` when
/// none waits for confirmation.
pub async fn pending(ctx: &ServiceContext, viewer: &Viewer) -> Result<Option<Enrolment>> {
    let Some(row) = two_factor::get(&ctx.pool, viewer.person_id).await? else {
        return Ok(None);
    };
    if row.enabled {
        return Ok(None);
    }
    let site = hearth_db::site::get(&ctx.pool).await?;
    enrolment(&row.secret, &site.name, &viewer.name).map(Some)
}

/// Confirms the started enrolment with a first code from the app, turns two-factor sign-in on
/// and returns the recovery codes, which are shown this once. A wrong code is 422
/// `totp_invalid`; no started enrolment, 409 `two_factor_not_started`.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn confirm(ctx: &ServiceContext, viewer: &Viewer, code: &str) -> Result<Vec<String>> {
    rate_limit::check(ctx, Action::Login, &attempts_key(viewer.person_id)).await?;
    let row = two_factor::get(&ctx.pool, viewer.person_id).await?;
    let row = match row {
        Some(row) if row.enabled => return Err(already_enabled()),
        Some(row) => row,
        None => {
            return Err(Error::conflict(
                "two_factor_not_started",
                "Start enrolling first: no two-factor secret waits for confirmation.",
            ));
        }
    };
    let Some(step) = matching_step(&row.secret, code)? else {
        return Err(Error::validation(
            "code",
            "is not the current code of your authenticator app",
        ));
    };
    let codes = new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_digest(c)).collect();
    let mut tx = ctx.pool.begin().await?;
    if !two_factor::enable(&mut *tx, viewer.person_id, step).await? {
        return Err(already_enabled());
    }
    two_factor::replace_recovery_codes(&mut tx, viewer.person_id, &hashes).await?;
    tx.commit().await?;
    tracing::info!("two-factor sign-in enabled");
    Ok(codes)
}

/// How disabling proves it is the account's owner, beyond the session: the password or a
/// current code.
#[derive(Debug, Default)]
pub struct DisableProof {
    /// The account's password.
    pub password: Option<SecretString>,
    /// A current code from the app (or a recovery code).
    pub code: Option<String>,
}

/// Turns two-factor sign-in off (or abandons a started enrolment), forgetting the secret and the
/// recovery codes. Needs the password or a current code, so a stolen session alone cannot
/// remove the second factor: a wrong one is 422 on `password` or `code`, neither is 400
/// `invalid_field`.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn disable(ctx: &ServiceContext, viewer: &Viewer, proof: DisableProof) -> Result<()> {
    rate_limit::check(ctx, Action::Login, &attempts_key(viewer.person_id)).await?;
    let Some(row) = two_factor::get(&ctx.pool, viewer.person_id).await? else {
        return Ok(());
    };
    let code = proof
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if let Some(password) = proof.password {
        let stored = hearth_db::preferences::password_hash(&ctx.pool, viewer.person_id)
            .await?
            .ok_or_else(|| Error::not_found("This account no longer exists."))?;
        if !password::verify(password, stored).await? {
            return Err(Error::validation("password", "is not your password"));
        }
    } else if let Some(code) = code {
        if row.enabled {
            let factor = SecondFactor {
                totp_code: Some(code.to_owned()),
                recovery_code: None,
            };
            if !accept_code(ctx, viewer.person_id, &row, &factor).await? {
                // Recovery codes are longer than six digits; try the code as one.
                let recovery = SecondFactor {
                    totp_code: None,
                    recovery_code: Some(code.to_owned()),
                };
                if !accept_code(ctx, viewer.person_id, &row, &recovery).await? {
                    return Err(Error::validation("code", "is not a valid code"));
                }
            }
        }
    } else {
        return Err(Error::validation(
            "password",
            "is required (or a current `code`) to turn two-factor sign-in off",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    two_factor::delete(&mut tx, viewer.person_id).await?;
    tx.commit().await?;
    tracing::info!(was_enabled = row.enabled, "two-factor sign-in disabled");
    Ok(())
}

/// Whether the account signs in with a second factor.
pub async fn enabled(ctx: &ServiceContext, person_id: i64) -> Result<bool> {
    Ok(two_factor::get(&ctx.pool, person_id)
        .await?
        .is_some_and(|r| r.enabled))
}

/// The second step of a sign-in, after the password was right: passes when two-factor sign-in
/// is off, or `factor` holds a current unused code or an unused recovery code. Otherwise 401:
/// `totp_required` when no code was given, `totp_invalid` when it was wrong or already used.
pub async fn verify_at_login(
    ctx: &ServiceContext,
    person_id: i64,
    factor: &SecondFactor,
) -> Result<()> {
    let Some(row) = two_factor::get(&ctx.pool, person_id).await? else {
        return Ok(());
    };
    if !row.enabled {
        return Ok(());
    }
    if factor.totp().is_none() && factor.recovery().is_none() {
        return Err(Error::unauthorized(
            "totp_required",
            "This account uses two-factor sign-in: send the code from your authenticator app \
             (`totp_code`) or a recovery code (`recovery_code`).",
        ));
    }
    rate_limit::check(ctx, Action::Login, &attempts_key(person_id)).await?;
    if accept_code(ctx, person_id, &row, factor).await? {
        return Ok(());
    }
    Err(Error::unauthorized(
        "totp_invalid",
        "The two-factor code is wrong or was already used.",
    ))
}

/// Checks a code (TOTP first, else recovery) and spends it; false when it is wrong or used.
async fn accept_code(
    ctx: &ServiceContext,
    person_id: i64,
    row: &two_factor::TwoFactor,
    factor: &SecondFactor,
) -> Result<bool> {
    if let Some(code) = factor.totp()
        && let Some(step) = matching_step(&row.secret, code)?
    {
        let used = two_factor::use_step(&ctx.pool, person_id, step).await?;
        if used {
            tracing::info!(person_id, "two-factor code accepted");
        }
        return Ok(used);
    }
    if let Some(code) = factor.recovery() {
        let used =
            two_factor::use_recovery_code(&ctx.pool, person_id, &recovery_digest(code)).await?;
        if used {
            tracing::info!(person_id, "recovery code used");
        }
        return Ok(used);
    }
    Ok(false)
}

/// The time step whose code `code` is, within one step of drift; `None` when it matches none.
fn matching_step(secret: &[u8], code: &str) -> Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret, None, "")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| anyhow::anyhow!("the clock is before 1970: {e}"))?
        .as_secs();
    Ok(totp
        .check(&code, now)
        .map(|step| i64::try_from(step).unwrap_or(i64::MAX)))
}

fn totp(secret: &[u8], issuer: Option<String>, account: &str) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_issuer(issuer)
        .with_account_name(account)
        .build()
        .map_err(|e| Error::from(anyhow::anyhow!("unusable TOTP parameters: {e}")))
}

fn enrolment(secret: &[u8], site_name: &str, username: &str) -> Result<Enrolment> {
    // The otpauth label is `issuer:account`, so neither may hold a colon.
    let issuer = site_name.replace(':', " ").trim().to_owned();
    let issuer = (!issuer.is_empty()).then_some(issuer);
    let totp = totp(secret, issuer, &username.replace(':', " "))?;
    let otpauth_url = totp
        .to_url()
        .map_err(|e| Error::from(anyhow::anyhow!("cannot make the otpauth URL: {e}")))?;
    let qr = qrcode::QrCode::new(otpauth_url.as_bytes())
        .map_err(|e| Error::from(anyhow::anyhow!("cannot make the QR code: {e}")))?;
    let svg = qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    // Drop the XML declaration: the same markup then works as a file and inlined in a page.
    let qr_svg = match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    };
    Ok(Enrolment {
        secret: totp.secret().to_base32(),
        otpauth_url,
        qr_svg,
    })
}

fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .map(|_| {
                    char::from(RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())])
                })
                .collect();
            chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The stored digest of a recovery code, ignoring case, spaces and dashes as people type them.
fn recovery_digest(code: &str) -> Vec<u8> {
    let normalised: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normalised.as_bytes()).to_vec()
}

fn attempts_key(person_id: i64) -> String {
    format!("two-factor:{person_id}")
}

fn already_enabled() -> Error {
    Error::conflict(
        "two_factor_enabled",
        "Two-factor sign-in is already on; turn it off first to enrol a new app.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_distinct_and_normalised_digests_match() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(code.len(), 14);
        assert_eq!(
            recovery_digest(code),
            recovery_digest(&code.to_uppercase().replace('-', " "))
        );
    }

    #[test]
    fn enrolment_url_and_svg() {
        let secret = [7u8; SECRET_BYTES];
        let e = enrolment(&secret, "My: Hearth", "alice").expect("enrolment");
        assert!(
            e.otpauth_url.starts_with("otpauth://totp/"),
            "{}",
            e.otpauth_url
        );
        assert!(e.otpauth_url.contains(&e.secret));
        assert!(e.qr_svg.starts_with("<svg"), "{}", &e.qr_svg[..40]);
        // The RFC 6238 SHA-1 vector (59 s → 94287082, whose last six digits are the 6-digit
        // code) through our parameters.
        let rfc = totp(b"12345678901234567890", None, "").expect("totp");
        assert_eq!(rfc.generate(59).to_string(), "287082");
    }
}
