//! The v3 endpoints of features Hearth does not have (private messages, custom emoji, captcha,
//! two-factor authentication) and the small account checks apps make at start-up. Reads answer
//! empty, as Lemmy answers when a feature is off, so apps degrade instead of crashing; writes
//! answer Lemmy's error for the action.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::LemmyQuery;
use crate::listing::page_window;
use crate::views::{SuccessResponse, instance_id, time};
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hearth_service::ServiceContext;
use hearth_service::community_facts;
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route(
            "/private_message",
            post(private_message_create).put(private_message_update),
        )
        .route("/private_message/list", get(private_message_list))
        .route("/private_message/delete", post(private_message_update))
        .route(
            "/private_message/mark_as_read",
            post(private_message_update),
        )
        .route("/private_message/report", post(private_message_report))
        .route(
            "/private_message/report/resolve",
            put(private_message_report_resolve),
        )
        .route(
            "/private_message/report/list",
            get(private_message_report_list),
        )
        .route(
            "/custom_emoji",
            post(custom_emoji_change).put(custom_emoji_change),
        )
        .route("/custom_emoji/delete", post(custom_emoji_change))
        .route("/user/get_captcha", get(get_captcha))
        .route("/user/totp/generate", post(totp_generate))
        .route("/user/totp/update", post(totp_update))
        .route("/user/list_logins", get(list_logins))
        .route("/user/validate_auth", get(validate_auth))
        .route("/federated_instances", get(federated_instances))
}

/// `PrivateMessagesResponse`.
#[derive(Debug, Serialize)]
struct PrivateMessagesResponse {
    private_messages: Vec<()>,
}

/// The paging of the lists that are always empty: read and checked, so that a malformed form
/// is refused as on every other list.
#[derive(Deserialize)]
struct PageForm {
    page: Option<i64>,
    limit: Option<i64>,
}

/// `GET /private_message/list`: there are none.
async fn private_message_list(
    LemmyUser(_viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<PageForm>,
) -> LemmyResult<Json<PrivateMessagesResponse>> {
    page_window(form.page, form.limit)?;
    Ok(Json(PrivateMessagesResponse {
        private_messages: Vec::new(),
    }))
}

/// `POST /private_message`.
async fn private_message_create(LemmyUser(_viewer): LemmyUser) -> LemmyError {
    LemmyError::unsupported("couldnt_create_private_message", "Private messages")
}

/// `PUT /private_message`, `POST /private_message/delete` and `…/mark_as_read`: there is no
/// message to change.
async fn private_message_update(LemmyUser(_viewer): LemmyUser) -> LemmyError {
    LemmyError::unsupported("couldnt_find_private_message", "Private messages")
}

/// `POST /private_message/report`.
async fn private_message_report(LemmyUser(_viewer): LemmyUser) -> LemmyError {
    LemmyError::unsupported("couldnt_find_private_message", "Private messages")
}

/// `PUT /private_message/report/resolve`.
async fn private_message_report_resolve(LemmyUser(_viewer): LemmyUser) -> LemmyError {
    LemmyError::unsupported("couldnt_find_private_message_report", "Private messages")
}

/// `ListPrivateMessageReportsResponse`.
#[derive(Debug, Serialize)]
struct ListPrivateMessageReportsResponse {
    private_message_reports: Vec<()>,
}

/// `GET /private_message/report/list`: there are none.
async fn private_message_report_list(
    LemmyUser(_viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<PageForm>,
) -> LemmyResult<Json<ListPrivateMessageReportsResponse>> {
    page_window(form.page, form.limit)?;
    Ok(Json(ListPrivateMessageReportsResponse {
        private_message_reports: Vec::new(),
    }))
}

/// `POST`/`PUT /custom_emoji`, `POST /custom_emoji/delete` (admins on Lemmy).
async fn custom_emoji_change(LemmyUser(viewer): LemmyUser) -> LemmyError {
    if viewer.admin {
        LemmyError::unsupported("unknown", "Custom emoji")
    } else {
        LemmyError::new(
            "not_an_admin",
            "Only administrators may change custom emoji.",
        )
    }
}

/// `GetCaptchaResponse` without `ok`: what Lemmy answers when captcha is off.
#[derive(Debug, Serialize)]
struct GetCaptchaResponse {}

/// `GET /user/get_captcha`.
async fn get_captcha() -> Json<GetCaptchaResponse> {
    Json(GetCaptchaResponse {})
}

/// `POST /user/totp/generate`.
async fn totp_generate(LemmyUser(_viewer): LemmyUser) -> LemmyError {
    LemmyError::unsupported("couldnt_generate_totp", "Two-factor authentication")
}

/// `POST /user/totp/update`: there is never a secret to enable.
async fn totp_update(LemmyUser(_viewer): LemmyUser) -> LemmyError {
    LemmyError::unsupported("missing_totp_secret", "Two-factor authentication")
}

/// `LoginToken`.
#[derive(Debug, Serialize)]
struct LoginToken {
    user_id: i64,
    published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
}

/// `GET /user/list_logins`: the account's live sessions (Hearth keeps no IP addresses; the
/// label is the client's user agent).
async fn list_logins(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
) -> LemmyResult<Json<Vec<LoginToken>>> {
    let tokens = hearth_service::auth::tokens(&ctx, &viewer).await?;
    Ok(Json(
        tokens
            .into_iter()
            .map(|t| LoginToken {
                user_id: viewer.person_id,
                published: time(t.created_at),
                user_agent: Some(t.label).filter(|l| !l.is_empty()),
            })
            .collect(),
    ))
}

/// `GET /user/validate_auth`: success with a live token, `not_logged_in` otherwise.
async fn validate_auth(LemmyUser(_viewer): LemmyUser) -> Json<SuccessResponse> {
    Json(SuccessResponse::OK)
}

/// `InstanceWithFederationState` (without `federation_state`, which Hearth does not expose).
#[derive(Debug, Serialize)]
struct InstanceWithFederationState {
    id: i32,
    domain: String,
    published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    software: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
}

/// `FederatedInstances`.
#[derive(Debug, Serialize)]
struct FederatedInstances {
    linked: Vec<InstanceWithFederationState>,
    allowed: Vec<InstanceWithFederationState>,
    blocked: Vec<InstanceWithFederationState>,
}

/// `GetFederatedInstancesResponse`.
#[derive(Debug, Serialize)]
struct GetFederatedInstancesResponse {
    federated_instances: FederatedInstances,
}

/// `GET /federated_instances`: the servers Hearth has met (`linked`) and the policy's allowed
/// and blocked entries (entries Hearth has not met carry the time of this answer).
async fn federated_instances(
    State(ctx): State<ServiceContext>,
) -> LemmyResult<Json<GetFederatedInstancesResponse>> {
    let known = community_facts::known_instances(&ctx).await?;
    let policy = ctx.policy.current(&ctx.pool).await?;
    let now = time(chrono::Utc::now());
    let entry = |domain: &str| {
        let met = known
            .iter()
            .find(|k| k.authority.eq_ignore_ascii_case(domain));
        InstanceWithFederationState {
            id: instance_id(domain),
            domain: domain.to_owned(),
            published: met.map_or_else(|| now.clone(), |k| time(k.fetched_at)),
            updated: None,
            software: met.and_then(|k| k.software.clone()),
            version: met.and_then(|k| k.version.clone()),
        }
    };
    let linked = known
        .iter()
        .filter(|k| policy.allows(&k.authority))
        .map(|k| entry(&k.authority))
        .collect();
    let allowed = policy.allowed.iter().map(|d| entry(d)).collect();
    let blocked = policy.blocked.iter().map(|(d, _)| entry(d)).collect();
    Ok(Json(GetFederatedInstancesResponse {
        federated_instances: FederatedInstances {
            linked,
            allowed,
            blocked,
        },
    }))
}
