//! Signing up, in and out: `POST user/register`, `POST user/login` (the jwt Lemmy apps keep and
//! decode) and `POST user/logout`, with the same per-address limits as the JSON API.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::LemmyJson;
use crate::views::SuccessResponse;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::post;
use axum::{Json, Router};
use hearth_core::settings::EmailVerification;
use hearth_service::ServiceContext;
use hearth_service::auth::{self, Registration};
use hearth_service::rate_limit::{self, Action};
use hearth_service::two_factor::SecondFactor;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/user/login", post(login))
        .route("/user/register", post(register))
        .route("/user/logout", post(logout))
}

/// Where a request comes from and what it calls itself, for rate limits and the session label.
pub(crate) struct Client {
    pub(crate) ip: String,
    user_agent: String,
}

impl FromRequestParts<ServiceContext> for Client {
    type Rejection = LemmyError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self {
            ip: hearth_core::client::client_ip(&ctx.settings, parts),
            user_agent: hearth_core::client::user_agent(&parts.headers),
        })
    }
}

/// `Login`.
#[derive(Deserialize)]
struct Login {
    username_or_email: String,
    password: String,
    /// The authenticator app's code, for an account with two-factor sign-in (Lemmy's name);
    /// a recovery code is accepted here too.
    totp_2fa_token: Option<String>,
}

/// `LoginResponse`.
#[derive(Serialize)]
struct LoginResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    jwt: Option<String>,
    registration_created: bool,
    verify_email_sent: bool,
}

async fn login(
    State(ctx): State<ServiceContext>,
    client: Client,
    LemmyJson(form): LemmyJson<Login>,
) -> LemmyResult<Json<LoginResponse>> {
    rate_limit::check(&ctx, Action::Login, &client.ip).await?;
    // Lemmy apps have one field for the code; a recovery code (longer, with letters) fits it too.
    let code = form.totp_2fa_token;
    let is_totp = code
        .as_deref()
        .is_some_and(|c| c.trim().chars().all(|ch| ch.is_ascii_digit()));
    let second_factor = if is_totp {
        SecondFactor {
            totp_code: code,
            recovery_code: None,
        }
    } else {
        SecondFactor {
            totp_code: None,
            recovery_code: code,
        }
    };
    let person_id = auth::check_credentials_with(
        &ctx,
        &form.username_or_email,
        SecretString::from(form.password),
        &second_factor,
    )
    .await?;
    let issued = auth::issue_jwt(&ctx, person_id, &session_label(&client)).await?;
    tracing::info!(person_id, token_id = issued.id, "signed in (v3)");
    Ok(Json(LoginResponse {
        jwt: Some(issued.token.expose_secret().to_owned()),
        registration_created: false,
        verify_email_sent: false,
    }))
}

/// `Register`.
#[derive(Deserialize)]
struct Register {
    username: String,
    password: String,
    password_verify: String,
    email: Option<String>,
    /// A field people never see; bots fill it.
    honeypot: Option<String>,
    answer: Option<String>,
}

async fn register(
    State(ctx): State<ServiceContext>,
    client: Client,
    LemmyJson(form): LemmyJson<Register>,
) -> LemmyResult<Json<LoginResponse>> {
    rate_limit::check(&ctx, Action::Register, &client.ip).await?;
    if form.honeypot.as_deref().is_some_and(|h| !h.is_empty()) {
        return Err(LemmyError::new(
            "honeypot_failed",
            "This form was filled by a bot.",
        ));
    }
    if form.password != form.password_verify {
        return Err(LemmyError::new(
            "passwords_do_not_match",
            "The two passwords differ.",
        ));
    }
    let email = form.email.filter(|e| !e.trim().is_empty());
    let has_email = email.is_some();
    let registered = auth::register(
        &ctx,
        Registration {
            username: form.username,
            password: SecretString::from(form.password),
            email,
            display_name: None,
            application_answer: form.answer.filter(|a| !a.trim().is_empty()),
        },
    )
    .await?;
    // As Lemmy: a verification mail went out when an address was given and mail verification is
    // on; where it is required, the account signs in only after the link is opened, so (like an
    // account that waits for an admin's approval) it gets no jwt yet.
    let verification = ctx.settings.email.verification();
    let verify_email_sent = has_email && verification != EmailVerification::Off;
    let jwt = if registered.pending
        || (verify_email_sent && verification == EmailVerification::Required)
    {
        None
    } else {
        let issued = auth::issue_jwt(&ctx, registered.person_id, &session_label(&client)).await?;
        Some(issued.token.expose_secret().to_owned())
    };
    Ok(Json(LoginResponse {
        jwt,
        registration_created: registered.pending,
        verify_email_sent,
    }))
}

/// Ends the session the request used.
async fn logout(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
) -> LemmyResult<Json<SuccessResponse>> {
    auth::revoke(&ctx, &viewer, viewer.token_id).await?;
    Ok(Json(SuccessResponse::OK))
}

/// The label of a v3 session in the account's token list.
fn session_label(client: &Client) -> String {
    if client.user_agent.is_empty() {
        "Lemmy API".to_owned()
    } else {
        format!("Lemmy API: {}", client.user_agent)
    }
}
