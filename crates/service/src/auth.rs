//! Signing up, signing in and out, and recognising the signed-in account behind a bearer token.
//! Tokens are 256 random bits shown once; only their SHA-256 is stored. A token ends when unused
//! for `sessions.idle_lifetime_secs` or older than `sessions.absolute_lifetime_secs`; an ended
//! token is unknown from then on, exactly like a revoked one.

use crate::two_factor::SecondFactor;
use crate::{ServiceContext, password};
use hearth_core::settings::RegistrationMode;
use hearth_core::{Error, Result, Username};
use hearth_db::person;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub use crate::viewer::Viewer;

/// What a sign-up form or API call sends.
#[derive(Debug)]
pub struct Registration {
    /// Desired username.
    pub username: String,
    /// Password.
    pub password: SecretString,
    /// Optional email address.
    pub email: Option<String>,
    /// Optional display name.
    pub display_name: Option<String>,
    /// The answer to the application question (approval mode).
    pub application_answer: Option<String>,
}

/// The result of a sign-up.
#[derive(Debug, Clone)]
pub struct Registered {
    /// The new person's id.
    pub person_id: i64,
    /// The normalised username.
    pub name: Username,
    /// True when the account waits for an admin's approval.
    pub pending: bool,
}

/// Registers a local account according to the site's registration mode. Never makes an admin.
#[tracing::instrument(skip_all)]
pub async fn register(ctx: &ServiceContext, form: Registration) -> Result<Registered> {
    let site = hearth_db::site::get(&ctx.pool).await?;
    let pending = match site.registration_mode {
        RegistrationMode::Open => false,
        RegistrationMode::Approval => true,
        RegistrationMode::Closed => {
            return Err(Error::forbidden(
                "registration_closed",
                "This instance does not accept new accounts.",
            ));
        }
    };
    let name = Username::parse(&form.username, "username")?;
    password::validate(&form.password, "password")?;
    let email = match form
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(e) => Some(validate_email(e)?),
        None => None,
    };
    crate::mail::check_sign_up_email(ctx, email.as_deref())?;
    let display_name = optional_text(form.display_name.as_deref(), "display_name", 100)?;
    let answer = form
        .application_answer
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    if pending && !site.application_question.trim().is_empty() && answer.is_empty() {
        return Err(Error::validation(
            "application_answer",
            "is required: answer the instance's application question",
        ));
    }
    if answer.chars().count() > 5000 {
        return Err(Error::validation(
            "application_answer",
            "must be at most 5000 characters",
        ));
    }
    let password_hash = password::hash(form.password).await?;
    let mut tx = ctx.pool.begin().await?;
    let details = crate::accounts::AccountDetails {
        display_name: display_name.as_deref(),
        email: email.as_deref(),
        admin: false,
        approved: !pending,
    };
    let person_id = crate::accounts::insert(ctx, &mut tx, &name, &password_hash, details).await?;
    if pending {
        hearth_db::application::insert(&mut *tx, person_id, answer).await?;
        crate::mail::new_application(ctx, &mut tx, name.as_str(), answer).await?;
    }
    if let Some(email) = email.as_deref() {
        crate::mail::queue_verification(ctx, &mut tx, person_id, name.as_str(), email).await?;
    }
    tx.commit().await?;
    tracing::info!(person_id, pending, "account registered");
    Ok(Registered {
        person_id,
        name,
        pending,
    })
}

/// A new bearer token, shown to the client once.
#[derive(Debug)]
pub struct IssuedToken {
    /// The token's id (for listing and revoking).
    pub id: i64,
    /// The token itself.
    pub token: SecretString,
}

/// Checks a username and password and issues a token. Unknown users and wrong passwords get
/// the same error after the same amount of work. An account with two-factor sign-in is refused
/// (401 `totp_required`): such sign-ins go through [`login_with`].
#[tracing::instrument(skip_all)]
pub async fn login(
    ctx: &ServiceContext,
    username: &str,
    password: SecretString,
    label: &str,
) -> Result<IssuedToken> {
    login_with(ctx, username, password, &SecondFactor::none(), label).await
}

/// [`login`] with the second factor the client sent, if any (see [`check_credentials_with`]).
#[tracing::instrument(skip_all)]
pub async fn login_with(
    ctx: &ServiceContext,
    username: &str,
    password: SecretString,
    second_factor: &SecondFactor,
    label: &str,
) -> Result<IssuedToken> {
    let person_id = check_credentials_with(ctx, username, password, second_factor).await?;
    let issued = issue(&ctx.pool, person_id, label).await?;
    tracing::info!(person_id, token_id = issued.id, "signed in");
    Ok(issued)
}

/// Checks a username (or the account's email address) and password and returns the person's
/// id, refusing banned, pending and denied accounts. Unknown users and wrong passwords get the
/// same error after the same amount of work. An account with two-factor sign-in is refused with
/// 401 `totp_required`; callers that take a code use [`check_credentials_with`].
pub async fn check_credentials(
    ctx: &ServiceContext,
    username: &str,
    password: SecretString,
) -> Result<i64> {
    check_credentials_with(ctx, username, password, &SecondFactor::none()).await
}

/// [`check_credentials`], then the second factor when the account has two-factor sign-in on
/// (401 `totp_required` without a code, `totp_invalid` with a wrong or used one). The factor is
/// checked only after the password, so codes cannot be tried without it.
pub async fn check_credentials_with(
    ctx: &ServiceContext,
    username: &str,
    password: SecretString,
    second_factor: &SecondFactor,
) -> Result<i64> {
    let person_id = check_password(ctx, username, password).await?;
    crate::two_factor::verify_at_login(ctx, person_id, second_factor).await?;
    Ok(person_id)
}

async fn check_password(
    ctx: &ServiceContext,
    username: &str,
    password: SecretString,
) -> Result<i64> {
    let wrong = || Error::unauthorized("invalid_credentials", "Wrong username or password.");
    let found = person::credentials(&ctx.pool, username.trim()).await?;
    let Some(credentials) = found else {
        password::verify(password, dummy_hash().await?.to_owned()).await?;
        return Err(wrong());
    };
    if !password::verify(password, credentials.password_hash.clone()).await? {
        return Err(wrong());
    }
    if credentials.banned {
        return Err(banned(credentials.ban_reason.as_deref()));
    }
    if !credentials.approved {
        return Err(match credentials.application_status.as_deref() {
            Some("denied") => Error::forbidden(
                "application_denied",
                match credentials.deny_reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(reason) => format!("Your application was denied: {reason}"),
                    None => "Your application was denied.".to_owned(),
                },
            ),
            Some("pending") => Error::forbidden(
                "application_pending",
                "Your application is waiting for an administrator's approval.",
            ),
            _ => Error::forbidden("account_not_approved", "This account is not approved."),
        });
    }
    crate::mail::check_verified_for_sign_in(ctx, credentials.person_id).await?;
    Ok(credentials.person_id)
}

/// Issues a new token for an account (within the caller's transaction, if any).
pub async fn issue(
    db: impl sqlx::PgExecutor<'_>,
    person_id: i64,
    label: &str,
) -> Result<IssuedToken> {
    let token = new_token();
    let label: String = label.chars().take(200).collect();
    let id = hearth_db::token::insert(db, person_id, &digest(&token), &label).await?;
    Ok(IssuedToken {
        id,
        token: SecretString::from(token),
    })
}

/// Issues a token for the Lemmy-compatible API's login: a JWT as Lemmy issues it (HS256 with a
/// key of this instance, `sub` the person's id, `iss` this host, `iat`), because Lemmy apps
/// decode it. It is otherwise a token like the others: stored as a digest, listed, revoked and
/// ended by the same rules, and accepted by the JSON API too. A random `jti` makes it as
/// unguessable as a plain token, so checking the stored digest is what authenticates it.
pub async fn issue_jwt(ctx: &ServiceContext, person_id: i64, label: &str) -> Result<IssuedToken> {
    let mut conn = ctx.pool.acquire().await?;
    issue_jwt_in(ctx, &mut conn, person_id, label).await
}

/// [`issue_jwt`] within the caller's transaction.
pub async fn issue_jwt_in(
    ctx: &ServiceContext,
    conn: &mut sqlx::PgConnection,
    person_id: i64,
    label: &str,
) -> Result<IssuedToken> {
    let mut candidate = [0u8; 32];
    rand::rng().fill_bytes(&mut candidate);
    let key = hearth_db::secret::get_or_create(&mut *conn, JWT_KEY, &candidate).await?;
    let mut jti = [0u8; 32];
    rand::rng().fill_bytes(&mut jti);
    let claims = JwtClaims {
        sub: person_id.to_string(),
        iss: ctx.settings.hostname.to_string(),
        iat: chrono::Utc::now().timestamp(),
        jti: hex(&jti),
    };
    let signing = jsonwebtoken::EncodingKey::from_secret(&key)
        .map_err(|e| anyhow::anyhow!("unusable JWT key: {e}"))?;
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &signing,
    )
    .map_err(|e| anyhow::anyhow!("cannot sign a JWT: {e}"))?;
    let label: String = label.chars().take(200).collect();
    let id = hearth_db::token::insert(&mut *conn, person_id, &digest(&token), &label).await?;
    Ok(IssuedToken {
        id,
        token: SecretString::from(token),
    })
}

/// Which kind of token a use case that signs someone in hands out: a plain one (the JSON API,
/// the pages) or a JWT (the Lemmy-compatible API, whose apps decode it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// 64 hex digits.
    Plain,
    /// A JWT ([`issue_jwt`]).
    Jwt,
}

/// Issues a token of `kind` within the caller's transaction.
pub async fn issue_kind(
    ctx: &ServiceContext,
    conn: &mut sqlx::PgConnection,
    person_id: i64,
    label: &str,
    kind: TokenKind,
) -> Result<IssuedToken> {
    match kind {
        TokenKind::Plain => issue(&mut *conn, person_id, label).await,
        TokenKind::Jwt => issue_jwt_in(ctx, conn, person_id, label).await,
    }
}

/// The name of the JWT signing key in the `secret` table.
const JWT_KEY: &str = "jwt_hs256";

/// The claims of a JWT issued by [`issue_jwt`].
#[derive(serde::Serialize)]
struct JwtClaims {
    sub: String,
    iss: String,
    iat: i64,
    jti: String,
}

/// Whether a presented token has the shape of one this instance issues: 64 hex digits, or a JWT
/// (three base64url parts) of sane length.
fn plausible_token(token: &str) -> bool {
    let plain = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let jwt = token.len() <= 1024
        && token.split('.').count() == 3
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain || jwt
}

/// The account behind a bearer token, or `None` for an unknown, revoked or malformed token.
pub async fn authenticate(ctx: &ServiceContext, token: &str) -> Result<Option<Viewer>> {
    if !plausible_token(token) {
        return Ok(None);
    }
    let found = hearth_db::token::owner(&ctx.pool, &digest(token), lifetimes(ctx)).await?;
    let Some(owner) = found else {
        return Ok(None);
    };
    if owner.banned {
        return Err(banned(None));
    }
    // Writing on every request would turn reads into writes; a minute's precision is plenty.
    if chrono::Utc::now() - owner.last_used_at > chrono::Duration::seconds(60) {
        hearth_db::token::touch(&ctx.pool, owner.token_id).await?;
    }
    // A changing request by this person is recorded once it is done (read-your-writes).
    crate::replicas::note_signed_in(owner.person_id);
    Ok(Some(Viewer {
        person_id: owner.person_id,
        name: owner.name,
        admin: owner.admin,
        token_id: owner.token_id,
        second_factor_missing: owner.second_factor_missing,
        last_write_at: owner.last_write_at,
    }))
}

/// The refusal a site-banned account gets.
fn banned(reason: Option<&str>) -> Error {
    let message = match reason.filter(|r| !r.is_empty()) {
        Some(reason) => format!("This account is banned from this instance: {reason}"),
        None => "This account is banned from this instance.".to_owned(),
    };
    Error::forbidden("banned", message)
}

/// Revokes a token of the viewer's; 404 when the viewer has no such token.
pub async fn revoke(ctx: &ServiceContext, viewer: &Viewer, token_id: i64) -> Result<()> {
    if hearth_db::token::delete(&ctx.pool, viewer.person_id, token_id).await? {
        Ok(())
    } else {
        Err(Error::not_found("You have no token with this id."))
    }
}

/// Signs the viewer out everywhere: revokes every token of theirs, the one in use too.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn revoke_all(ctx: &ServiceContext, viewer: &Viewer) -> Result<u64> {
    let revoked = hearth_db::token::delete_all(&ctx.pool, viewer.person_id).await?;
    tracing::info!(revoked, "signed out everywhere");
    Ok(revoked)
}

/// The viewer's live tokens, newest first.
pub async fn tokens(
    ctx: &ServiceContext,
    viewer: &Viewer,
) -> Result<Vec<hearth_db::token::TokenRow>> {
    Ok(hearth_db::token::list(&ctx.pool, viewer.person_id, lifetimes(ctx)).await?)
}

/// Deletes the tokens that have ended (for the periodic housekeeping). Returns how many went.
pub async fn delete_ended_tokens(ctx: &ServiceContext) -> Result<u64> {
    Ok(hearth_db::token::delete_ended(&ctx.pool, lifetimes(ctx)).await?)
}

/// How long tokens live, from the settings.
fn lifetimes(ctx: &ServiceContext) -> hearth_db::token::Lifetimes {
    let sessions = &ctx.settings.sessions;
    // Settings keep both below ten years, which an f64 holds exactly.
    hearth_db::token::Lifetimes {
        idle_secs: sessions.idle_lifetime_secs as f64,
        absolute_secs: sessions.absolute_lifetime_secs as f64,
    }
}

/// A new secret for a bearer token or a one-time link: 32 random bytes as 64 hex digits.
pub(crate) fn new_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex(&raw)
}

/// What is stored in place of a token or link secret: its SHA-256, so a leaked table signs
/// nobody in.
pub(crate) fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash of a random password, verified against when the user does not exist so that the
/// answer takes as long as for a wrong password.
async fn dummy_hash() -> Result<&'static str> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash);
    }
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let hash = password::hash(SecretString::from(hex(&raw))).await?;
    Ok(HASH.get_or_init(|| hash))
}

pub(crate) fn validate_email(email: &str) -> Result<String> {
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email.to_owned())
    } else {
        Err(Error::validation("email", "is not an email address"))
    }
}

/// Trims an optional one-line text field; empty means absent.
pub(crate) fn optional_text(
    value: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<String>> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Error::validation(
            field,
            "must not contain control characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Exposes a token to the one response that hands it out.
pub fn reveal(token: &IssuedToken) -> &str {
    token.token.expose_secret()
}
