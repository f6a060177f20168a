//! Registration, sign-in and -out, the signed-in account and its tokens.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ClientIp, user_agent};
use crate::views::{ErrorBody, List, MeView, RegisteredView, TokenInfoView, TokenView};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::auth::{self, Registration};
use hearth_service::rate_limit::{self, Action};
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3–30 characters of a-z, 0-9 and _ (case-insensitive).
    pub username: String,
    /// At least 10 characters.
    pub password: String,
    /// Optional email address.
    pub email: Option<String>,
    /// Optional display name (at most 100 characters).
    pub display_name: Option<String>,
    /// The answer to the site's application question (approval mode).
    pub application_answer: Option<String>,
}

/// Registers an account. In `approval` mode it waits for an admin (`status: pending`).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "accounts", request_body = RegisterRequest,
    responses(
        (status = 201, body = RegisteredView),
        (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 403, body = ErrorBody, description = "registration_closed"),
        (status = 409, body = ErrorBody, description = "name_taken, email_taken"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn register(
    State(ctx): State<ServiceContext>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<RegisteredView>)> {
    rate_limit::check(&ctx, Action::Register, &ip).await?;
    let registered = auth::register(
        &ctx,
        Registration {
            username: body.username,
            password: SecretString::from(body.password),
            email: body.email,
            display_name: body.display_name,
            application_answer: body.application_answer,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredView {
            id: registered.person_id,
            name: registered.name.to_string(),
            status: if registered.pending {
                "pending"
            } else {
                "active"
            }
            .to_owned(),
        }),
    ))
}

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Signs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenView),
        (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 403, body = ErrorBody, description = "application_pending, application_denied"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn login(
    State(ctx): State<ServiceContext>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenView>> {
    rate_limit::check(&ctx, Action::Login, &ip).await?;
    let issued = auth::login(
        &ctx,
        &body.username,
        SecretString::from(body.password),
        &user_agent(&headers),
    )
    .await?;
    Ok(Json(TokenView {
        id: issued.id,
        token: auth::reveal(&issued).to_owned(),
    }))
}

/// Signs out: revokes the token this request used.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<StatusCode> {
    auth::revoke(&ctx, &viewer, viewer.token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the signed-in account's tokens.
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = List<TokenInfoView>), (status = 401, body = ErrorBody)))]
pub async fn tokens(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<List<TokenInfoView>>> {
    let items = auth::tokens(&ctx, &viewer)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(Json(List { items }))
}

/// Revokes one of the signed-in account's tokens.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The token's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    auth::revoke(&ctx, &viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<MeView>> {
    let (person, email) = hearth_service::users::me(&ctx, &viewer).await?;
    Ok(Json(MeView {
        id: person.id,
        name: person.name,
        display_name: person.display_name,
        email,
        admin: person.admin,
        ap_id: person.ap_id,
        created_at: person.created_at,
    }))
}
