//! Registration, sign-in and -out, the signed-in account and its tokens, its blocks, and the
//! export and import of its data.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ClientIp, user_agent};
use crate::views::{ErrorBody, List, MeView, RegisteredView, TokenInfoView, TokenView};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::auth::{self, Registration};
use hearth_service::blocks;
use hearth_service::export::AccountExport;
use hearth_service::export::AccountImport;
use hearth_service::rate_limit::{self, Action};
use hearth_service::two_factor::SecondFactor;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A sign-up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3–30 characters of a-z, 0-9 and _ (case-insensitive).
    #[schema(pattern = "^[A-Za-z0-9_]{3,30}$")]
    pub username: String,
    /// At least 10 characters.
    #[schema(min_length = 10)]
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
    /// The authenticator app's current code, for an account with two-factor sign-in.
    pub totp_code: Option<String>,
    /// One of the account's recovery codes, instead of `totp_code` (each works once).
    pub recovery_code: Option<String>,
}

/// Signs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "accounts", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenView),
        (status = 401, body = ErrorBody, description = "invalid_credentials; totp_required (two-factor sign-in is on and no code was sent), totp_invalid (a wrong or already used code)"),
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
    let second_factor = SecondFactor {
        totp_code: body.totp_code,
        recovery_code: body.recovery_code,
    };
    let issued = auth::login_with(
        &ctx,
        &body.username,
        SecretString::from(body.password),
        &second_factor,
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

/// Signs out everywhere: revokes every token of the account, the one this request used too.
#[utoipa::path(post, path = "/api/v1/auth/tokens/revoke_all", tag = "accounts", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn revoke_all_tokens(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<StatusCode> {
    auth::revoke_all(&ctx, &viewer).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person the account blocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedPersonView {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// `name` for people of this instance, `name@host` for others.
    pub handle: String,
    /// The display name, when set.
    pub display_name: Option<String>,
    /// Of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// When the block was made.
    pub blocked_at: DateTime<Utc>,
}

/// A community the account blocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedCommunityView {
    /// The community's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// `name` for communities of this instance, `name@host` for others.
    pub handle: String,
    /// Its title.
    pub title: String,
    /// Of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// When the block was made.
    pub blocked_at: DateTime<Utc>,
}

/// Everything the account blocks.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlocksView {
    /// People, most recent block first.
    pub people: Vec<BlockedPersonView>,
    /// Communities, most recent block first.
    pub communities: Vec<BlockedCommunityView>,
}

/// `name` here, `name@host` elsewhere.
fn api_handle(ctx: &ServiceContext, name: &str, local: bool, ap_id: &str) -> String {
    if local {
        name.to_owned()
    } else {
        blocks::full_handle(name, local, ap_id, &ctx.settings.hostname)
    }
}

/// The people and communities the account blocks. Blocks are private: nobody else sees them,
/// and they are never sent to other servers.
#[utoipa::path(get, path = "/api/v1/account/blocks", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = BlocksView), (status = 401, body = ErrorBody)))]
pub async fn list_blocks(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<BlocksView>> {
    let found = blocks::list(&ctx, &viewer).await?;
    Ok(Json(BlocksView {
        people: found
            .people
            .into_iter()
            .map(|p| BlockedPersonView {
                handle: api_handle(&ctx, &p.name, p.local, &p.ap_id),
                id: p.id,
                name: p.name,
                display_name: p.display_name,
                local: p.local,
                ap_id: p.ap_id,
                blocked_at: p.blocked_at,
            })
            .collect(),
        communities: found
            .communities
            .into_iter()
            .map(|c| BlockedCommunityView {
                handle: api_handle(&ctx, &c.name, c.local, &c.ap_id),
                id: c.id,
                name: c.name,
                title: c.title,
                local: c.local,
                ap_id: c.ap_id,
                blocked_at: c.blocked_at,
            })
            .collect(),
    }))
}

/// The account's data as one JSON document: profile, preferences, posts, comments, votes,
/// memberships and blocks (see docs/API.md for its shape).
#[utoipa::path(get, path = "/api/v1/account/export", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, body = Object, description = "The export document (`format`: `hearth-account-export`)"),
        (status = 401, body = ErrorBody),
    ))]
pub async fn export(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<AccountExport>> {
    Ok(Json(hearth_service::export::export(&ctx, &viewer).await?))
}

/// An item of an import that failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportFailureView {
    /// `membership`, `person_block` or `community_block`.
    pub kind: String,
    /// The item as the document named it (`name@host`).
    pub item: String,
    /// The error code the API would answer for it, e.g. `not_found`.
    pub error: String,
    /// Why, in words.
    pub message: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReportView {
    /// Communities joined, or asked to join (remote ones are `pending` until their server
    /// accepts).
    pub memberships: usize,
    /// People blocked.
    pub people_blocked: usize,
    /// Communities blocked.
    pub communities_blocked: usize,
    /// What could not be imported, and why.
    pub failed: Vec<ImportFailureView>,
}

/// Imports an export (from this or another server): joins its communities (remote ones are
/// looked up and followed) and makes its blocks again. Each item succeeds or fails on its own.
#[utoipa::path(post, path = "/api/v1/account/import", tag = "accounts", security(("bearer" = [])),
    request_body(content = Object, description = "An export document; only `memberships` and `blocks` are read"),
    responses(
        (status = 200, body = ImportReportView),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_body, unknown_format, too_many_items"),
    ))]
pub async fn import(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<AccountImport>,
) -> Result<Json<ImportReportView>> {
    let report = hearth_service::export::import(&ctx, &viewer, body).await?;
    Ok(Json(ImportReportView {
        memberships: report.memberships,
        people_blocked: report.people_blocked,
        communities_blocked: report.communities_blocked,
        failed: report
            .failed
            .into_iter()
            .map(|f| ImportFailureView {
                kind: f.kind.to_owned(),
                item: f.item,
                error: f.error.to_owned(),
                message: f.message,
            })
            .collect(),
    }))
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = MeView), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<MeView>> {
    let (person, email) = hearth_service::users::me(&ctx, &viewer).await?;
    let mail = hearth_service::mail::account_state(&ctx, &viewer).await?;
    Ok(Json(MeView {
        id: person.id,
        name: person.name,
        display_name: person.display_name,
        email,
        email_verified: mail.email_verified,
        admin: person.admin,
        ap_id: person.ap_id,
        created_at: person.created_at,
    }))
}
