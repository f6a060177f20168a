//! Two-factor sign-in (TOTP) of the signed-in account: its status, enrolling (begin, then
//! confirm with a first code, which returns the recovery codes once) and turning it off.

use crate::auth::AuthUser;
use crate::extract::ApiJson;
use crate::views::ErrorBody;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::two_factor::{self, DisableProof};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether the account signs in with a second factor.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorStatusView {
    /// Two-factor sign-in is on: logins need `totp_code` or `recovery_code`.
    pub enabled: bool,
    /// An enrolment was started and waits for its confirmation code.
    pub pending: bool,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
}

/// A started enrolment: what the authenticator app needs. Shown until it is confirmed.
#[derive(Debug, Serialize, ToSchema)]
pub struct TwoFactorEnrolmentView {
    /// The shared secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://totp/...` URL (SHA-1, 6 digits, 30 s), which the QR code carries.
    pub otpauth_url: String,
    /// The QR code of `otpauth_url` as an SVG document.
    pub qr_svg: String,
}

/// A first code from the authenticator app, proving it holds the secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorConfirmRequest {
    /// The app's current six-digit code.
    pub code: String,
}

/// The recovery codes, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesView {
    /// Ten single-use codes for signing in without the app (`recovery_code` at login).
    pub recovery_codes: Vec<String>,
}

/// Proof of ownership for turning two-factor sign-in off: the password or a current code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorDisableRequest {
    /// The account's password.
    pub password: Option<String>,
    /// A current code from the app, or an unused recovery code.
    pub code: Option<String>,
}

/// The signed-in account's two-factor status.
#[utoipa::path(get, path = "/api/v1/account/two_factor", tag = "accounts",
    security(("bearer" = [])),
    responses((status = 200, body = TwoFactorStatusView), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<TwoFactorStatusView>> {
    let status = two_factor::status(&ctx, &viewer).await?;
    Ok(Json(TwoFactorStatusView {
        enabled: status.enabled,
        pending: status.pending,
        recovery_codes_left: status.recovery_codes_left,
    }))
}

/// Starts enrolling: a new secret, its `otpauth://` URL and QR code (SVG). Calling it again
/// before confirming replaces the secret. Two-factor sign-in is on only after `confirm`.
#[utoipa::path(post, path = "/api/v1/account/two_factor", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TwoFactorEnrolmentView),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "two_factor_enabled"),
    ))]
pub async fn begin(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<TwoFactorEnrolmentView>> {
    let enrolment = two_factor::begin(&ctx, &viewer).await?;
    Ok(Json(TwoFactorEnrolmentView {
        secret: enrolment.secret,
        otpauth_url: enrolment.otpauth_url,
        qr_svg: enrolment.qr_svg,
    }))
}

/// Confirms the enrolment with the app's current code and turns two-factor sign-in on; returns
/// the recovery codes, which are never shown again.
#[utoipa::path(post, path = "/api/v1/account/two_factor/confirm", tag = "accounts",
    security(("bearer" = [])), request_body = TwoFactorConfirmRequest,
    responses(
        (status = 200, body = RecoveryCodesView),
        (status = 400, body = ErrorBody, description = "invalid_field (a wrong code)"),
        (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "two_factor_not_started, two_factor_enabled"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn confirm(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<TwoFactorConfirmRequest>,
) -> Result<Json<RecoveryCodesView>> {
    let recovery_codes = two_factor::confirm(&ctx, &viewer, &body.code).await?;
    Ok(Json(RecoveryCodesView { recovery_codes }))
}

/// Turns two-factor sign-in off (or abandons a started enrolment); needs the password or a
/// current code.
#[utoipa::path(delete, path = "/api/v1/account/two_factor", tag = "accounts",
    security(("bearer" = [])), request_body = TwoFactorDisableRequest,
    responses(
        (status = 204),
        (status = 400, body = ErrorBody, description = "invalid_field (wrong or missing password or code)"),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn disable(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<TwoFactorDisableRequest>,
) -> Result<StatusCode> {
    let proof = DisableProof {
        password: body.password.map(SecretString::from),
        code: body.code,
    };
    two_factor::disable(&ctx, &viewer, proof).await?;
    Ok(StatusCode::NO_CONTENT)
}
