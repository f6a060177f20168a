//! Instance administration: registration applications and site settings.

use crate::auth::AdminUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{ApplicationView, ErrorBody, Page, SiteView};
use axum::Json;
use axum::extract::State;
use hearth_core::{Error, Result};
use hearth_service::ServiceContext;
use hearth_service::applications;
use hearth_service::site::{self, SiteUpdate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filters of the application list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationsQuery {
    /// `pending` (default), `approved`, `denied` or `all`.
    pub status: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Lists registration applications, oldest first (admins).
#[utoipa::path(get, path = "/api/v1/admin/applications", tag = "admin", security(("bearer" = [])),
    params(ApplicationsQuery),
    responses((status = 200, body = Page<ApplicationView>), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn list_applications(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiQuery(query): ApiQuery<ApplicationsQuery>,
) -> Result<Json<Page<ApplicationView>>> {
    let status = match query.status.as_deref() {
        None | Some("pending") => Some("pending"),
        Some(s @ ("approved" | "denied")) => Some(s),
        Some("all") => None,
        Some(_) => {
            return Err(Error::validation(
                "status",
                "must be `pending`, `approved`, `denied` or `all`",
            ));
        }
    };
    let limit = paging::limit(query.limit)?;
    let after = paging::decode_id(query.cursor.as_deref())?;
    let rows = applications::list(&ctx, &viewer, status, after, limit + 1).await?;
    Ok(Json(paging::page_by_id(
        rows,
        limit,
        |r| r.id,
        ApplicationView::from,
    )))
}

/// The outcome of a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    /// The application's id.
    pub id: i64,
    /// `approved` or `denied`.
    pub status: String,
}

/// Approves an application: the account may sign in.
#[utoipa::path(post, path = "/api/v1/admin/applications/{id}/approve", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The application's id")),
    responses((status = 200, body = DecisionView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_decided")))]
pub async fn approve_application(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<DecisionView>> {
    applications::approve(&ctx, &viewer, id).await?;
    Ok(Json(DecisionView {
        id,
        status: "approved".to_owned(),
    }))
}

/// Why an application is denied.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DenyRequest {
    /// Shown to the applicant when they try to sign in (at most 1000 characters).
    pub reason: Option<String>,
}

/// Denies an application, with an optional reason.
#[utoipa::path(post, path = "/api/v1/admin/applications/{id}/deny", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The application's id")),
    request_body(content = Option<DenyRequest>, description = "Optional: `{\"reason\": …}`"),
    responses((status = 200, body = DecisionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_decided")))]
pub async fn deny_application(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(id): ApiPath<i64>,
    body: Option<ApiJson<DenyRequest>>,
) -> Result<Json<DecisionView>> {
    let reason = body.and_then(|ApiJson(b)| b.reason);
    applications::deny(&ctx, &viewer, id, reason.as_deref()).await?;
    Ok(Json(DecisionView {
        id,
        status: "denied".to_owned(),
    }))
}

/// The instance's settings (admins).
#[utoipa::path(get, path = "/api/v1/admin/site", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SiteView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn get_site(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
) -> Result<Json<SiteView>> {
    hearth_service::require_admin(&viewer)?;
    Ok(Json(site::get(&ctx).await?.into()))
}

/// Changes to the instance's settings; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSiteRequest {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Markdown, at most 10,000 characters.
    pub description: Option<String>,
    /// Markdown, at most 10,000 characters.
    pub rules: Option<String>,
    /// `open`, `approval` or `closed`.
    pub registration_mode: Option<String>,
    /// Asked of applicants in approval mode (at most 2,000 characters).
    pub application_question: Option<String>,
    /// Only admins may create communities.
    pub community_creation_admin_only: Option<bool>,
    /// Accept downvotes.
    pub downvotes_enabled: Option<bool>,
    /// Require two-factor sign-in of admins and moderators for staff actions; turning it on
    /// needs it on the requesting admin's own account first (409 `two_factor_required`).
    pub require_staff_two_factor: Option<bool>,
}

/// Updates the instance's settings (admins).
#[utoipa::path(patch, path = "/api/v1/admin/site", tag = "admin", security(("bearer" = [])),
    request_body = UpdateSiteRequest,
    responses((status = 200, body = SiteView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin, two_factor_required"),
        (status = 409, body = ErrorBody, description = "two_factor_required: the admin has no second factor"),
        (status = 422, body = ErrorBody)))]
pub async fn update_site(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiJson(body): ApiJson<UpdateSiteRequest>,
) -> Result<Json<SiteView>> {
    let updated = site::update(
        &ctx,
        &viewer,
        SiteUpdate {
            name: body.name,
            description: body.description,
            rules: body.rules,
            registration_mode: body
                .registration_mode
                .as_deref()
                .map(site::parse_registration_mode)
                .transpose()?,
            application_question: body.application_question,
            community_creation_admin_only: body.community_creation_admin_only,
            downvotes_enabled: body.downvotes_enabled,
            require_staff_two_factor: body.require_staff_two_factor,
        },
    )
    .await?;
    Ok(Json(updated.into()))
}

/// The instance's public settings: name, rules, how to sign up.
#[utoipa::path(get, path = "/api/v1/site", tag = "site",
    responses((status = 200, body = SiteView)))]
pub async fn public_site(State(ctx): State<ServiceContext>) -> Result<Json<SiteView>> {
    Ok(Json(site::get(&ctx).await?.into()))
}

/// The delivery queue as seen from one destination server.
#[derive(Debug, Serialize, ToSchema)]
pub struct HostQueueView {
    /// The destination authority (host, plus port when present).
    pub authority: String,
    /// Deliveries waiting.
    pub pending: i64,
    /// Age of the oldest waiting delivery, in seconds.
    pub oldest_pending_secs: Option<f64>,
    /// Deliveries being sent right now.
    pub in_flight: i64,
    /// Deliveries made in the last hour.
    pub delivered_last_hour: i64,
    /// Deliveries whose latest attempt in the last hour failed.
    pub failures_last_hour: i64,
    /// Deliveries given up as dead (kept until pruned).
    pub dead: i64,
    /// The latest error from this server.
    pub last_error: Option<String>,
    /// `up` or `down`.
    pub state: String,
    /// Since when the server is marked down.
    pub down_since: Option<chrono::DateTime<chrono::Utc>>,
    /// When a down server is probed next.
    pub next_probe_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Sums over every destination.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct QueueTotals {
    /// Deliveries waiting.
    pub pending: i64,
    /// Age of the oldest waiting delivery, in seconds.
    pub oldest_pending_secs: Option<f64>,
    /// Deliveries being sent right now.
    pub in_flight: i64,
    /// Deliveries made in the last hour.
    pub delivered_last_hour: i64,
    /// Deliveries whose latest attempt in the last hour failed.
    pub failures_last_hour: i64,
    /// Deliveries given up as dead.
    pub dead: i64,
    /// Destination servers marked down.
    pub hosts_down: i64,
}

/// The outbox's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueView {
    /// Per destination server, the most pending first.
    pub hosts: Vec<HostQueueView>,
    /// Sums.
    pub totals: QueueTotals,
}

/// The delivery queue per destination server, with totals (admins).
#[utoipa::path(get, path = "/api/v1/admin/federation/queue", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = QueueView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn federation_queue(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
) -> Result<Json<QueueView>> {
    let rows = hearth_service::outbox::queue(&ctx, &viewer).await?;
    let mut totals = QueueTotals::default();
    let hosts = rows
        .into_iter()
        .map(|h| {
            totals.pending += h.pending;
            totals.in_flight += h.in_flight;
            totals.delivered_last_hour += h.delivered_last_hour;
            totals.failures_last_hour += h.failures_last_hour;
            totals.dead += h.dead;
            totals.hosts_down += i64::from(h.state == "down");
            totals.oldest_pending_secs = match (totals.oldest_pending_secs, h.oldest_pending_secs) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            HostQueueView {
                authority: h.authority,
                pending: h.pending,
                oldest_pending_secs: h.oldest_pending_secs,
                in_flight: h.in_flight,
                delivered_last_hour: h.delivered_last_hour,
                failures_last_hour: h.failures_last_hour,
                dead: h.dead,
                last_error: h.last_error,
                state: h.state,
                down_since: h.down_since,
                next_probe_at: h.next_probe_at,
            }
        })
        .collect();
    Ok(Json(QueueView { hosts, totals }))
}

/// A received activity refused or failed when it was applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxRefusalView {
    /// The activity's id.
    pub activity_id: String,
    /// Its type (`Remove`, `Create`, …).
    pub kind: Option<String>,
    /// The server it came from.
    pub actor_authority: String,
    /// `refused` (it was not allowed) or `failed` (it could not be applied).
    pub state: String,
    /// Machine-readable reason, as the sender would have been answered (`not_moderator`, …).
    pub code: Option<String>,
    /// What was wrong.
    pub message: Option<String>,
    /// When it arrived.
    pub received_at: chrono::DateTime<chrono::Utc>,
    /// When it was settled.
    pub settled_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The inbox queue: activities acknowledged and waiting to be applied, and those refused or
/// failed when applied.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxQueueView {
    /// Waiting to be applied.
    pub pending: i64,
    /// Age of the oldest waiting activity, in seconds.
    pub oldest_pending_secs: Option<f64>,
    /// Waiting for another attempt (what they refer to could not be fetched yet).
    pub retrying: i64,
    /// Refused when applied, kept for seven days.
    pub refused: i64,
    /// Failed for good, kept for seven days.
    pub failed: i64,
    /// The latest refused or failed activities, newest first.
    pub latest: Vec<InboxRefusalView>,
}

/// How many refusals to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQueueQuery {
    /// At most this many refusals (1–200, default 50).
    pub limit: Option<i64>,
}

/// The inbox queue and the latest refusals found when applying (admins).
#[utoipa::path(get, path = "/api/v1/admin/federation/inbox", tag = "admin", security(("bearer" = [])),
    params(InboxQueueQuery),
    responses((status = 200, body = InboxQueueView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn federation_inbox(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiQuery(query): ApiQuery<InboxQueueQuery>,
) -> Result<Json<InboxQueueView>> {
    let (summary, refusals) =
        hearth_service::outbox::inbox_queue(&ctx, &viewer, query.limit.unwrap_or(50)).await?;
    Ok(Json(InboxQueueView {
        pending: summary.pending,
        oldest_pending_secs: summary.oldest_pending_secs,
        retrying: summary.retrying,
        refused: summary.refused,
        failed: summary.failed,
        latest: refusals
            .into_iter()
            .map(|r| InboxRefusalView {
                activity_id: r.activity_id,
                kind: r.kind,
                actor_authority: r.actor_authority,
                state: r.state,
                code: r.code,
                message: r.message,
                received_at: r.received_at,
                settled_at: r.settled_at,
            })
            .collect(),
    }))
}

/// A ban from this instance.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteBanRequest {
    /// `name` for local users, `name@host` for remote ones.
    pub user: String,
    /// Why (at most 1,000 characters).
    pub reason: Option<String>,
    /// When the ban ends; absent: until lifted.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Also remove everything they wrote.
    #[serde(default)]
    pub remove_data: bool,
}

/// Bans someone from this instance (admins): a local account cannot sign in or use its tokens;
/// a remote person's activities are refused.
#[utoipa::path(post, path = "/api/v1/admin/bans", tag = "admin", security(("bearer" = [])),
    request_body = SiteBanRequest,
    responses((status = 204, description = "banned"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin, is_admin"), (status = 404, body = ErrorBody)))]
pub async fn ban(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiJson(body): ApiJson<SiteBanRequest>,
) -> Result<axum::http::StatusCode> {
    let form = hearth_service::admin::SiteBanForm {
        user: body.user,
        reason: body.reason,
        expires_at: body.expires_at,
        remove_data: body.remove_data,
    };
    hearth_service::admin::ban(&ctx, &viewer, form).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Lifts a ban from this instance (admins).
#[utoipa::path(delete, path = "/api/v1/admin/bans/{user}", tag = "admin", security(("bearer" = [])),
    params(("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 204, description = "unbanned"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin"), (status = 404, body = ErrorBody)))]
pub async fn unban(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(user): ApiPath<String>,
) -> Result<axum::http::StatusCode> {
    hearth_service::admin::unban(&ctx, &viewer, &user).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Removes a remote community and everything of it from this instance (admins).
#[utoipa::path(delete, path = "/api/v1/admin/purge/communities/{name}", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name@host`")),
    responses((status = 204, description = "purged"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin, local_community"), (status = 404, body = ErrorBody)))]
pub async fn purge_community(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(name): ApiPath<String>,
) -> Result<axum::http::StatusCode> {
    hearth_service::admin::purge_community(&ctx, &viewer, &name).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Removes a remote person and everything they wrote from this instance (admins).
#[utoipa::path(delete, path = "/api/v1/admin/purge/users/{user}", tag = "admin", security(("bearer" = [])),
    params(("user" = String, Path, description = "`name@host`")),
    responses((status = 204, description = "purged"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin, local_user"), (status = 404, body = ErrorBody)))]
pub async fn purge_user(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(user): ApiPath<String>,
) -> Result<axum::http::StatusCode> {
    hearth_service::admin::purge_person(&ctx, &viewer, &user).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// The federation policy, as answered (inside [`PolicyView`]; [`PolicyRequest`] is what PUT
/// reads). It is flattened into the view, so its schema must not forbid other properties: the
/// view's `subscription_state` sits beside these fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyBody {
    /// `open` (everyone not blocked) or `allowlist` (only the allowed).
    pub mode: String,
    /// Domains blocked here (`example.org`, or `host:port`); subdomains are blocked too.
    pub blocked: Vec<String>,
    /// Domains allowed: the list in `allowlist` mode; in `open` mode, exceptions to subscribed
    /// blocklists.
    pub allowed: Vec<String>,
    /// URLs of blocklists to follow (a plain list of domains, or Mastodon's CSV export),
    /// fetched now and daily.
    pub subscriptions: Vec<String>,
}

/// A new federation policy: [`PolicyBody`]'s fields, plus GET's read-only `subscription_state`
/// accepted and ignored, so that the document GET returns can be edited and sent back as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// `open` (everyone not blocked) or `allowlist` (only the allowed).
    pub mode: String,
    /// Domains blocked here (`example.org`, or `host:port`); subdomains are blocked too.
    #[serde(default)]
    pub blocked: Vec<String>,
    /// Domains allowed: the list in `allowlist` mode; in `open` mode, exceptions to subscribed
    /// blocklists.
    #[serde(default)]
    pub allowed: Vec<String>,
    /// URLs of blocklists to follow (a plain list of domains, or Mastodon's CSV export),
    /// fetched now and daily.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    /// Read-only, ignored: each subscription's state as GET reports it (fetch times and counts
    /// are the server's to know, not the client's to set).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>, read_only)]
    pub subscription_state: Option<serde::de::IgnoredAny>,
}

/// A subscribed blocklist's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Its URL.
    pub url: String,
    /// When it was last fetched.
    pub last_fetched_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
    /// How many domains it blocks.
    pub domain_count: i32,
}

/// The policy with the state of its subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    /// The policy.
    #[serde(flatten)]
    pub policy: PolicyBody,
    /// Each subscription's state.
    pub subscription_state: Vec<SubscriptionView>,
}

/// The federation policy (admins).
#[utoipa::path(get, path = "/api/v1/admin/federation/policy", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = PolicyView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn get_policy(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
) -> Result<Json<PolicyView>> {
    let (policy, subscriptions) = hearth_service::policy::get(&ctx, &viewer).await?;
    Ok(Json(PolicyView {
        policy: PolicyBody {
            mode: policy.mode,
            blocked: policy.blocked,
            allowed: policy.allowed,
            subscriptions: policy.subscriptions,
        },
        subscription_state: subscriptions
            .into_iter()
            .map(|s| SubscriptionView {
                url: s.url,
                last_fetched_at: s.last_fetched_at,
                last_error: s.last_error,
                domain_count: s.domain_count,
            })
            .collect(),
    }))
}

/// Replaces the federation policy (admins); it applies within a second, without a restart.
#[utoipa::path(put, path = "/api/v1/admin/federation/policy", tag = "admin", security(("bearer" = [])),
    request_body = PolicyRequest,
    responses((status = 200, body = PolicyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn put_policy(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiJson(body): ApiJson<PolicyRequest>,
) -> Result<Json<PolicyView>> {
    let settings = hearth_service::policy::PolicySettings {
        mode: body.mode,
        blocked: body.blocked,
        allowed: body.allowed,
        subscriptions: body.subscriptions,
    };
    hearth_service::policy::set(&ctx, &viewer, settings).await?;
    get_policy(State(ctx), AdminUser(viewer)).await
}

/// Why a community is removed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveCommunityRequest {
    /// Shown on the community's page (at most 1,000 characters).
    pub reason: Option<String>,
}

/// A community's removal state after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityRemovalView {
    /// The community's name.
    pub name: String,
    /// Whether it is removed now.
    pub removed: bool,
}

/// Removes a local community (admins): hidden, its page says why; restorable.
#[utoipa::path(post, path = "/api/v1/admin/communities/{name}/remove", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "The local community's name")),
    request_body(content = Option<RemoveCommunityRequest>, description = "Optional: `{\"reason\": …}`"),
    responses((status = 200, body = CommunityRemovalView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin, remote_community"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_removed")))]
pub async fn remove_community(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(name): ApiPath<String>,
    body: Option<ApiJson<RemoveCommunityRequest>>,
) -> Result<Json<CommunityRemovalView>> {
    let reason = body.and_then(|ApiJson(b)| b.reason);
    let name =
        hearth_service::admin::remove_community(&ctx, &viewer, &name, reason.as_deref()).await?;
    Ok(Json(CommunityRemovalView {
        name,
        removed: true,
    }))
}

/// Restores a removed local community (admins).
#[utoipa::path(post, path = "/api/v1/admin/communities/{name}/restore", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "The local community's name")),
    responses((status = 200, body = CommunityRemovalView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin, remote_community"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "not_removed")))]
pub async fn restore_community(
    State(ctx): State<ServiceContext>,
    AdminUser(viewer): AdminUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<CommunityRemovalView>> {
    let name = hearth_service::admin::restore_community(&ctx, &viewer, &name).await?;
    Ok(Json(CommunityRemovalView {
        name,
        removed: false,
    }))
}
