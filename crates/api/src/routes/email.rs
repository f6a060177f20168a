//! E-mail and the account: password reset by mail, confirming an address (and asking for a new
//! link), and the account's mail settings (the hourly digest).

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ClientIp};
use crate::views::ErrorBody;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::mail;
use hearth_service::rate_limit::{self, Action};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An address to mail a link to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    /// The account's email address.
    pub email: String,
}

/// The answer to a request for a mailed link: the same whether or not an account has the
/// address, so it reveals nothing.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailRequestedView {
    /// Always `accepted`.
    #[schema(example = "accepted")]
    pub status: String,
    /// A sentence to show.
    pub message: String,
}

fn mail_requested(message: &str) -> (StatusCode, Json<MailRequestedView>) {
    (
        StatusCode::ACCEPTED,
        Json(MailRequestedView {
            status: "accepted".to_owned(),
            message: message.to_owned(),
        }),
    )
}

/// Mails a password reset link (single use, one hour) to the account with this address. The
/// answer is the same whether or not the address has an account; unknown addresses get no mail.
#[utoipa::path(post, path = "/api/v1/account/password_reset", tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 202, body = MailRequestedView),
        (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 409, body = ErrorBody, description = "email_disabled (this server sends no mail)"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn request_password_reset(
    State(ctx): State<ServiceContext>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<MailRequestedView>)> {
    mail::request_password_reset(&ctx, &ip, &body.email).await?;
    Ok(mail_requested(
        "If that address has an account, a mail with a link to choose a new password is on its way.",
    ))
}

/// A new password, with the token from a mailed (or admin-made) reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmRequest {
    /// The token: the last part of the link `/reset_password/{token}`.
    pub token: String,
    /// The new password (at least 10 characters).
    pub password: String,
}

/// Sets a new password with a reset token. The token works once; every session of the account
/// ends.
#[utoipa::path(post, path = "/api/v1/account/password_reset/confirm", tag = "accounts",
    request_body = PasswordResetConfirmRequest,
    responses(
        (status = 204),
        (status = 400, body = ErrorBody, description = "invalid_field (the password)"),
        (status = 404, body = ErrorBody, description = "the link is unknown, used or expired"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn confirm_password_reset(
    State(ctx): State<ServiceContext>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<PasswordResetConfirmRequest>,
) -> Result<StatusCode> {
    rate_limit::check(&ctx, Action::Login, &ip).await?;
    hearth_service::users::reset_password(&ctx, &body.token, SecretString::from(body.password))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The token from a mailed confirmation link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token: the last part of the link `/verify-email/{token}`.
    pub token: String,
}

/// Confirms an email address with the token of a mailed link (single use, 48 hours).
#[utoipa::path(post, path = "/api/v1/account/email/verify", tag = "accounts",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204),
        (status = 404, body = ErrorBody, description = "the link is unknown, used or expired"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn verify_email(
    State(ctx): State<ServiceContext>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<StatusCode> {
    mail::verify_email(&ctx, &ip, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a new confirmation link to the account with this address, unless it is confirmed
/// already. It needs no sign-in (where verification is required, an unconfirmed account cannot
/// sign in); the answer is the same whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/account/email/verification", tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 202, body = MailRequestedView),
        (status = 400, body = ErrorBody, description = "invalid_field (not an address)"),
        (status = 409, body = ErrorBody, description = "email_disabled, verification_off"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn resend_verification(
    State(ctx): State<ServiceContext>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<EmailRequest>,
) -> Result<(StatusCode, Json<MailRequestedView>)> {
    mail::require_enabled(&ctx)?;
    rate_limit::check(&ctx, Action::Login, &ip).await?;
    mail::resend_verification(&ctx, &body.email).await?;
    Ok(mail_requested(
        "If that address has an unconfirmed account, a mail with a new link is on its way.",
    ))
}

/// The signed-in account's mail settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSettingsView {
    /// The address, when the account has one.
    pub email: Option<String>,
    /// Whether the address is confirmed.
    pub email_verified: bool,
    /// Whether the account gets an hourly mail of its unread replies and mentions.
    pub email_digest: bool,
    /// Whether this server sends mail at all.
    pub mail_enabled: bool,
}

async fn settings_view(
    ctx: &ServiceContext,
    viewer: &hearth_service::auth::Viewer,
) -> Result<EmailSettingsView> {
    let (_, email) = hearth_service::users::me(ctx, viewer).await?;
    let state = mail::account_state(ctx, viewer).await?;
    Ok(EmailSettingsView {
        email,
        email_verified: state.email_verified,
        email_digest: state.email_digest,
        mail_enabled: mail::enabled(ctx),
    })
}

/// The signed-in account's address, whether it is confirmed, and its digest setting.
#[utoipa::path(get, path = "/api/v1/account/email", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = EmailSettingsView), (status = 401, body = ErrorBody)))]
pub async fn show(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<EmailSettingsView>> {
    Ok(Json(settings_view(&ctx, &viewer).await?))
}

/// A change of the account's mail settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettingsUpdate {
    /// A new address (empty removes it): unconfirmed until the link mailed to it is opened.
    pub email: Option<String>,
    /// Turns the hourly digest of unread replies and mentions on or off.
    pub email_digest: Option<bool>,
}

/// Changes the account's address and turns the hourly digest on or off (on needs an address,
/// mail, and digests allowed by the server). A new address gets a confirmation link.
#[utoipa::path(put, path = "/api/v1/account/email", tag = "accounts", security(("bearer" = [])),
    request_body = EmailSettingsUpdate,
    responses(
        (status = 200, body = EmailSettingsView),
        (status = 400, body = ErrorBody, description = "invalid_field (not an address; a digest without an address)"),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "email_taken, email_disabled, digests_disabled"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
    ))]
pub async fn update(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<EmailSettingsUpdate>,
) -> Result<Json<EmailSettingsView>> {
    if let Some(email) = body.email.as_deref() {
        mail::change_email(&ctx, &viewer, email).await?;
    }
    if let Some(on) = body.email_digest {
        mail::set_digest(&ctx, &viewer, on).await?;
    }
    Ok(Json(settings_view(&ctx, &viewer).await?))
}
