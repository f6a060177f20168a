//! The administrators' pages: an overview, the site's settings, registration applications, site
//! bans, the federation policy with the delivery queue per server, purging remote communities
//! and people, and local accounts (admin rights, sessions, password reset links), plus the
//! one-time page where a person sets a new password from such a link. Every admin page checks
//! `require_admin` first, so others get the 403 page and anonymous visitors the sign-in page.

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::forms::{Fields, FormErrors, by_fields, redirect_or_show_again};
use crate::page::{Layout, PageResult, WebError, render, render_status, see_other};
use crate::routes::front::link;
use crate::session::Session;
use crate::views::{self, TimeView, handle};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use hearth_core::Error;
use hearth_core::settings::RegistrationMode;
use hearth_service::auth::Viewer;
use hearth_service::site::{self, SiteUpdate};
use hearth_service::{ServiceContext, admin, applications, communities, policy, reports, users};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::future::ready;

/// The admin routes, and the password reset page.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/admin", get(overview))
        .route("/admin/site", get(site_form).post(site_save))
        .route("/admin/applications", get(applications_page))
        .route("/admin/applications/{id}/approve", post(approve))
        .route("/admin/applications/{id}/deny", post(deny))
        .route("/admin/bans", get(bans_page).post(ban))
        .route("/admin/bans/{user}/lift", post(lift_ban))
        .route(
            "/admin/federation",
            get(federation_page).post(federation_save),
        )
        .route(
            "/admin/purge/community/{name}",
            get(purge_community_confirm).post(purge::<true>),
        )
        .route(
            "/admin/purge/user/{user}",
            get(purge_user_confirm).post(purge::<false>),
        )
        .route("/admin/people", get(people_page))
        .route("/admin/people/{name}/{action}", post(person_action))
        .route("/admin/communities/{name}/remove", post(remove_community))
        .route("/admin/communities/{name}/restore", post(restore_community))
        .route("/reset_password/{token}", get(reset_form).post(reset_save))
}

/// How many rows the overview counts before it says "more than".
const COUNT_CAP: i64 = 100;
/// Accounts per page of the people list.
const PEOPLE_PAGE: i64 = 50;

/// The signed-in viewer, when an administrator; a 403 page otherwise.
fn require_admin(user: &SignedIn) -> Result<&Viewer, WebError> {
    hearth_service::require_admin(&user.viewer)?;
    Ok(&user.viewer)
}

fn layout(user: &SignedIn, title: impl Into<String>) -> Layout {
    Layout::new(&user.session, title, "admin")
}

/// A count capped at `COUNT_CAP`, as shown: `3`, or `100+`.
fn capped(count: usize) -> String {
    if count as i64 > COUNT_CAP {
        format!("{COUNT_CAP}+")
    } else {
        count.to_string()
    }
}

/// A number of seconds as a short duration: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
fn duration(secs: f64) -> String {
    let secs = secs.max(0.0).round() as i64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3_600 => format!("{} min", secs / 60),
        3_600..86_400 => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

// --- Overview ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin.html")]
struct OverviewPage {
    layout: Layout,
    pending_applications: String,
    open_reports: String,
    backlog: i64,
    hosts_down: i64,
    registration_mode: &'static str,
    removed: Vec<RemovedView>,
    /// The remove-a-community form, shown again after an error.
    remove_name: String,
    remove_reason: String,
    errors: FormErrors,
}

/// A removed community as the overview lists it.
struct RemovedView {
    name: String,
    title: String,
    reason: String,
    when: Option<TimeView>,
}

async fn overview_render(
    ctx: &ServiceContext,
    user: &SignedIn,
    status: StatusCode,
    form: RemoveCommunityInput,
    errors: FormErrors,
) -> PageResult {
    let viewer = require_admin(user)?;
    let pending = applications::list(ctx, viewer, Some("pending"), None, COUNT_CAP + 1).await?;
    let open = reports::list(ctx, viewer, None, Some("pending"), None, COUNT_CAP + 1).await?;
    let queue = hearth_service::outbox::queue(ctx, viewer).await?;
    let now = Utc::now();
    let removed = admin::removed_communities(ctx, viewer)
        .await?
        .into_iter()
        .map(|c| RemovedView {
            name: c.name,
            title: c.title,
            reason: c.reason.unwrap_or_default(),
            when: c.removed_at.map(|at| views::time(at, now)),
        })
        .collect();
    render_status(
        status,
        &OverviewPage {
            layout: layout(user, "Administration"),
            pending_applications: capped(pending.len()),
            open_reports: capped(open.len()),
            backlog: queue.iter().map(|h| h.pending).sum(),
            hosts_down: queue.iter().filter(|h| h.state == "down").count() as i64,
            registration_mode: user.session.site.registration_mode.as_str(),
            removed,
            remove_name: form.name.unwrap_or_default(),
            remove_reason: form.reason.unwrap_or_default(),
            errors,
        },
    )
}

#[derive(Debug, Deserialize)]
struct OverviewQuery {
    /// The first step of removing a community (a GET form, so that it works without
    /// JavaScript): its name, which the second step's form posts to.
    remove: Option<String>,
}

async fn overview(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<OverviewQuery>,
) -> PageResult {
    require_admin(&user)?;
    let name = query
        .remove
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let (status, errors, name) = match name {
        None => (StatusCode::OK, FormErrors::none(), None),
        Some(name) => match communities::find(&ctx, &name).await {
            Ok(c) if c.local => (StatusCode::OK, FormErrors::none(), Some(c.name)),
            Ok(_) => (
                StatusCode::FORBIDDEN,
                FormErrors::field(
                    "remove",
                    "Only communities of this instance can be removed; purge remote ones instead.",
                ),
                None,
            ),
            Err(error) => {
                let (status, errors) = crate::forms::attach_to_field(error, "not_found", "remove");
                (status, errors, None)
            }
        },
    };
    let form = RemoveCommunityInput { name, reason: None };
    overview_render(&ctx, &user, status, form, errors).await
}

// --- Removing local communities ---------------------------------------------------------------

/// The remove form: a reason. `name` is the community the overview's form is about.
#[derive(Debug, Deserialize)]
struct RemoveCommunityInput {
    #[serde(skip)]
    name: Option<String>,
    reason: Option<String>,
}

async fn remove_community(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    CsrfForm(form): CsrfForm<RemoveCommunityInput>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let result = admin::remove_community(&ctx, viewer, &name, form.reason.as_deref()).await;
    redirect_or_show_again(
        result,
        "/admin",
        by_fields(REASON_FIELDS),
        |status, errors| {
            let form = RemoveCommunityInput {
                name: Some(name),
                reason: form.reason,
            };
            overview_render(&ctx, &user, status, form, errors)
        },
    )
    .await
}

async fn restore_community(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let name = admin::restore_community(&ctx, viewer, &name).await?;
    Ok(see_other(&format!("/c/{name}")))
}

// --- Site settings ----------------------------------------------------------------------------

/// What the site form sends (and shows again after an error).
#[derive(Debug, Default, Deserialize)]
struct SiteInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    registration_mode: String,
    #[serde(default)]
    application_question: String,
    community_creation_admin_only: Option<String>,
    downvotes_enabled: Option<String>,
    require_staff_two_factor: Option<String>,
}

const SITE_FIELDS: &Fields = &[
    ("name", "Name"),
    ("description", "Description"),
    ("rules", "Rules"),
    ("registration_mode", "Registration"),
    ("application_question", "Application question"),
];

/// The registration modes, as the form offers them.
const REGISTRATION_MODES: [(&str, &str); 3] = [
    ("open", "Open: anyone may sign up"),
    (
        "approval",
        "Approval: people apply, an administrator approves",
    ),
    ("closed", "Closed: nobody may sign up"),
];

#[derive(Template)]
#[template(path = "admin_site.html")]
struct SitePage {
    layout: Layout,
    form: SiteInput,
    modes: &'static [(&'static str, &'static str)],
    errors: FormErrors,
    saved: bool,
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn site_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<SavedQuery>,
) -> PageResult {
    require_admin(&user)?;
    let s = site::get(&ctx).await?;
    render(&SitePage {
        layout: layout(&user, "Site settings"),
        form: SiteInput {
            name: s.name,
            description: s.description,
            rules: s.rules,
            registration_mode: s.registration_mode.as_str().to_owned(),
            application_question: s.application_question,
            community_creation_admin_only: s.community_creation_admin_only.then(String::new),
            downvotes_enabled: s.downvotes_enabled.then(String::new),
            require_staff_two_factor: s.require_staff_two_factor.then(String::new),
        },
        modes: &REGISTRATION_MODES,
        errors: FormErrors::none(),
        saved: query.saved.is_some(),
    })
}

async fn site_save(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<SiteInput>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let result = async {
        let mode: RegistrationMode = site::parse_registration_mode(&form.registration_mode)?;
        site::update(
            &ctx,
            viewer,
            SiteUpdate {
                name: Some(form.name.clone()),
                description: Some(form.description.clone()),
                rules: Some(form.rules.clone()),
                registration_mode: Some(mode),
                application_question: Some(form.application_question.clone()),
                community_creation_admin_only: Some(form.community_creation_admin_only.is_some()),
                downvotes_enabled: Some(form.downvotes_enabled.is_some()),
                require_staff_two_factor: Some(form.require_staff_two_factor.is_some()),
            },
        )
        .await
    }
    .await;
    let show_again = |status, errors| {
        ready(render_status(
            status,
            &SitePage {
                layout: layout(&user, "Site settings"),
                form,
                modes: &REGISTRATION_MODES,
                errors,
                saved: false,
            },
        ))
    };
    redirect_or_show_again(
        result,
        "/admin/site?saved=1",
        by_fields(SITE_FIELDS),
        show_again,
    )
    .await
}

// --- Registration applications ----------------------------------------------------------------

/// An application as the page shows it.
struct ApplicationView {
    id: i64,
    name: String,
    email: String,
    answer: String,
    status: String,
    deny_reason: String,
    filed: TimeView,
}

#[derive(Template)]
#[template(path = "admin_applications.html")]
struct ApplicationsPage {
    layout: Layout,
    pending: Vec<ApplicationView>,
    decided: Vec<ApplicationView>,
    question: String,
    errors: FormErrors,
}

fn application_views(rows: Vec<hearth_db::application::ApplicationRow>) -> Vec<ApplicationView> {
    let now = Utc::now();
    rows.into_iter()
        .map(|r| ApplicationView {
            id: r.id,
            name: r.name,
            email: r.email.unwrap_or_default(),
            answer: r.answer,
            status: r.status,
            deny_reason: r.deny_reason.unwrap_or_default(),
            filed: views::time(r.created_at, now),
        })
        .collect()
}

async fn applications_render(
    ctx: &ServiceContext,
    user: &SignedIn,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let viewer = require_admin(user)?;
    // Pending ones first (oldest first: first come, first served), then the latest decisions.
    let pending = applications::list(ctx, viewer, Some("pending"), None, 200).await?;
    let mut decided = applications::list(ctx, viewer, None, None, 1000).await?;
    decided.retain(|a| a.status != "pending");
    decided.reverse();
    decided.truncate(50);
    render_status(
        status,
        &ApplicationsPage {
            layout: layout(user, "Registration applications"),
            pending: application_views(pending),
            decided: application_views(decided),
            question: user.session.site.application_question.clone(),
            errors,
        },
    )
}

async fn applications_page(State(ctx): State<ServiceContext>, user: SignedIn) -> PageResult {
    applications_render(&ctx, &user, StatusCode::OK, FormErrors::none()).await
}

async fn approve(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let result = applications::approve(&ctx, viewer, id).await;
    after_application_decision(&ctx, &user, result, &[]).await
}

/// The one field of the remove-a-community and deny forms.
const REASON_FIELDS: &Fields = &[("reason", "Reason")];

#[derive(Debug, Deserialize)]
struct ReasonInput {
    reason: Option<String>,
}

async fn deny(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(form): CsrfForm<ReasonInput>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let result = applications::deny(&ctx, viewer, id, form.reason.as_deref()).await;
    after_application_decision(&ctx, &user, result, REASON_FIELDS).await
}

/// Back to the applications after an approval or denial, or the page again with the error.
async fn after_application_decision(
    ctx: &ServiceContext,
    user: &SignedIn,
    result: hearth_core::Result<()>,
    fields: &Fields,
) -> PageResult {
    redirect_or_show_again(
        result,
        "/admin/applications",
        by_fields(fields),
        |status, errors| applications_render(ctx, user, status, errors),
    )
    .await
}

// --- Site bans --------------------------------------------------------------------------------

/// What the ban form sends (and shows again after an error).
#[derive(Debug, Default, Deserialize)]
struct BanInput {
    #[serde(default)]
    user: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    expires_at: String,
    remove_data: Option<String>,
}

const BAN_FIELDS: &Fields = &[
    ("user", "User"),
    ("reason", "Reason"),
    ("expires_at", "Expiry"),
];

/// A ban as the list shows it.
struct BanView {
    handle: String,
    local: bool,
    reason: String,
    until: String,
    by_home_server: bool,
}

#[derive(Template)]
#[template(path = "admin_bans.html")]
struct BansPage {
    layout: Layout,
    bans: Vec<BanView>,
    form: BanInput,
    errors: FormErrors,
}

/// Reads the expiry field: empty (until lifted), a `datetime-local` value (taken as UTC) or
/// RFC 3339.
fn parse_expiry(raw: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.with_timezone(&Utc)));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .map(|naive| Some(naive.and_utc()))
        .ok_or_else(|| {
            Error::validation(
                "expires_at",
                "is not a date and time (like 2026-12-31T18:00, in UTC)",
            )
        })
}

async fn bans_render(
    ctx: &ServiceContext,
    user: &SignedIn,
    status: StatusCode,
    form: BanInput,
    errors: FormErrors,
) -> PageResult {
    let viewer = require_admin(user)?;
    let bans = admin::bans(ctx, viewer)
        .await?
        .into_iter()
        .map(|b| BanView {
            handle: handle(&b.name, b.local, &b.ap_id),
            local: b.local,
            reason: b.reason.unwrap_or_default(),
            until: b
                .expires_at
                .map(|at| format!("until {}", at.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_else(|| "until lifted".to_owned()),
            by_home_server: b.source.as_deref().is_some_and(|s| s != "local"),
        })
        .collect();
    render_status(
        status,
        &BansPage {
            layout: layout(user, "Site bans"),
            bans,
            form,
            errors,
        },
    )
}

#[derive(Debug, Deserialize)]
struct BansQuery {
    user: Option<String>,
}

async fn bans_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<BansQuery>,
) -> PageResult {
    let form = BanInput {
        user: query.user.unwrap_or_default(),
        ..BanInput::default()
    };
    bans_render(&ctx, &user, StatusCode::OK, form, FormErrors::none()).await
}

async fn ban(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<BanInput>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let result = async {
        let expires_at = parse_expiry(&form.expires_at)?;
        admin::ban(
            &ctx,
            viewer,
            admin::SiteBanForm {
                user: form.user.trim().to_owned(),
                reason: Some(form.reason.clone()),
                expires_at,
                remove_data: form.remove_data.is_some(),
            },
        )
        .await
    }
    .await;
    let sort = |error: Error| {
        if error.kind.status() == StatusCode::NOT_FOUND {
            Ok(crate::forms::attach_to_field(error, "not_found", "user"))
        } else {
            FormErrors::from_error(error, BAN_FIELDS)
        }
    };
    redirect_or_show_again(result, "/admin/bans", sort, |status, errors| {
        bans_render(&ctx, &user, status, form, errors)
    })
    .await
}

async fn lift_ban(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(target): PagePath<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    admin::unban(&ctx, viewer, &target).await?;
    Ok(see_other("/admin/bans"))
}

// --- Federation -------------------------------------------------------------------------------

/// What the policy form sends: lists are one entry per line.
#[derive(Debug, Default, Deserialize)]
struct PolicyInput {
    #[serde(default)]
    mode: String,
    #[serde(default)]
    blocked: String,
    #[serde(default)]
    allowed: String,
    #[serde(default)]
    subscriptions: String,
}

const POLICY_FIELDS: &Fields = &[
    ("mode", "Mode"),
    ("blocked", "Blocked servers:"),
    ("allowed", "Allowed servers:"),
    ("subscriptions", "Subscribed blocklists:"),
];

/// The non-empty lines of a textarea, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A subscribed blocklist as the page shows it.
struct SubscriptionView {
    url: String,
    fetched: Option<TimeView>,
    error: String,
    domains: i32,
}

/// One destination server's queue, as a table row.
struct HostView {
    authority: String,
    down: bool,
    down_since: Option<TimeView>,
    pending: i64,
    oldest: String,
    in_flight: i64,
    delivered: i64,
    failures: i64,
    dead: i64,
    last_error: String,
    next_probe: String,
}

#[derive(Template)]
#[template(path = "admin_federation.html")]
struct FederationPage {
    layout: Layout,
    form: PolicyInput,
    errors: FormErrors,
    subscriptions: Vec<SubscriptionView>,
    hosts: Vec<HostView>,
    blocked: Vec<String>,
    allowlist: bool,
    total_pending: i64,
    hosts_down: usize,
    checked: TimeView,
    saved: bool,
}

async fn federation_render(
    ctx: &ServiceContext,
    user: &SignedIn,
    status: StatusCode,
    submitted: Option<(PolicyInput, FormErrors)>,
    saved: bool,
) -> PageResult {
    let viewer = require_admin(user)?;
    let (settings, states) = policy::get(ctx, viewer).await?;
    let now = Utc::now();
    let queue = hearth_service::outbox::queue(ctx, viewer).await?;
    let hosts: Vec<HostView> = queue
        .into_iter()
        .map(|h| HostView {
            down: h.state == "down",
            down_since: h.down_since.map(|at| views::time(at, now)),
            pending: h.pending,
            oldest: h.oldest_pending_secs.map(duration).unwrap_or_default(),
            in_flight: h.in_flight,
            delivered: h.delivered_last_hour,
            failures: h.failures_last_hour,
            dead: h.dead,
            last_error: h.last_error.unwrap_or_default(),
            next_probe: h
                .next_probe_at
                .map(|at| {
                    let secs = (at - now).num_seconds();
                    if secs <= 0 {
                        "due".to_owned()
                    } else {
                        format!("in {}", duration(secs as f64))
                    }
                })
                .unwrap_or_default(),
            authority: h.authority,
        })
        .collect();
    let (form, errors) = submitted.unwrap_or_else(|| {
        (
            PolicyInput {
                mode: settings.mode.clone(),
                blocked: settings.blocked.join("\n"),
                allowed: settings.allowed.join("\n"),
                subscriptions: settings.subscriptions.join("\n"),
            },
            FormErrors::none(),
        )
    });
    render_status(
        status,
        &FederationPage {
            layout: layout(user, "Federation"),
            allowlist: settings.mode == "allowlist",
            blocked: settings.blocked,
            subscriptions: states
                .into_iter()
                .map(|s| SubscriptionView {
                    url: s.url,
                    fetched: s.last_fetched_at.map(|at| views::time(at, now)),
                    error: s.last_error.unwrap_or_default(),
                    domains: s.domain_count,
                })
                .collect(),
            total_pending: hosts.iter().map(|h| h.pending).sum(),
            hosts_down: hosts.iter().filter(|h| h.down).count(),
            hosts,
            checked: views::time(now, now),
            form,
            errors,
            saved,
        },
    )
}

async fn federation_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<SavedQuery>,
) -> PageResult {
    federation_render(&ctx, &user, StatusCode::OK, None, query.saved.is_some()).await
}

async fn federation_save(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<PolicyInput>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let settings = policy::PolicySettings {
        mode: form.mode.clone(),
        blocked: lines(&form.blocked),
        allowed: lines(&form.allowed),
        subscriptions: lines(&form.subscriptions),
    };
    let result = policy::set(&ctx, viewer, settings).await;
    let done = "/admin/federation?saved=1";
    redirect_or_show_again(result, done, by_fields(POLICY_FIELDS), |status, errors| {
        federation_render(&ctx, &user, status, Some((form, errors)), false)
    })
    .await
}

// --- Purging remote communities and people ----------------------------------------------------

#[derive(Template)]
#[template(path = "admin_purge.html")]
struct PurgePage {
    layout: Layout,
    /// `community` or `user`.
    kind: &'static str,
    handle: String,
    label: String,
    what_goes: Vec<String>,
    action: String,
}

/// The confirmation page before purging the `kind` ("community" or "user") `handle`.
fn purge_page(
    user: &SignedIn,
    kind: &'static str,
    handle: String,
    label: String,
    what_goes: Vec<String>,
) -> PageResult {
    render(&PurgePage {
        layout: layout(user, format!("Purge {handle}")),
        kind,
        label,
        what_goes,
        action: format!("/admin/purge/{kind}/{handle}"),
        handle,
    })
}

fn local_community_refused() -> Error {
    Error::forbidden(
        "local_community",
        "Only communities of other servers can be purged; moderate local ones instead.",
    )
}

fn local_user_refused() -> Error {
    Error::forbidden(
        "local_user",
        "Only people of other servers can be purged; ban local accounts instead.",
    )
}

async fn purge_community_confirm(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
) -> PageResult {
    require_admin(&user)?;
    let community = communities::find(&ctx, &name).await?;
    if community.local {
        return Err(WebError(local_community_refused()));
    }
    let handle = handle(&community.name, false, &community.ap_id);
    let label = community.title.clone();
    let what_goes = vec![
        format!(
            "The community {handle} and its {} posts stored here, with their comments and votes.",
            community.posts()
        ),
        format!(
            "Its {} memberships, including those of people of this instance.",
            community.members()
        ),
        "Nothing is sent to its server; if someone here looks it up again, it comes back empty."
            .to_owned(),
    ];
    purge_page(&user, "community", handle, label, what_goes)
}

async fn purge_user_confirm(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(target): PagePath<String>,
) -> PageResult {
    require_admin(&user)?;
    let person = users::find(&ctx, &target, "user").await?;
    if person.local {
        return Err(WebError(local_user_refused()));
    }
    let handle = handle(&person.name, false, &person.ap_id);
    let label = person
        .display_name
        .clone()
        .unwrap_or_else(|| person.name.clone());
    let what_goes = vec![
        format!("The person {handle} as stored here."),
        "Everything they wrote here: their posts, comments and votes.".to_owned(),
        "Their memberships and moderator roles on this instance.".to_owned(),
    ];
    purge_page(&user, "user", handle, label, what_goes)
}

/// Purges the remote community (`COMMUNITY`) or person the path names, then back to the
/// overview.
async fn purge<const COMMUNITY: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    if COMMUNITY {
        admin::purge_community(&ctx, viewer, &name).await?;
    } else {
        admin::purge_person(&ctx, viewer, &name).await?;
    }
    Ok(see_other("/admin"))
}

// --- People -----------------------------------------------------------------------------------

/// A local account as the list shows it.
struct AccountView {
    name: String,
    display_name: String,
    admin: bool,
    approved: bool,
    banned: bool,
    created: TimeView,
    last_active: Option<TimeView>,
    is_viewer: bool,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    layout: Layout,
    query: String,
    people: Vec<AccountView>,
    next_page: Option<String>,
    errors: FormErrors,
    /// What just happened (after an action).
    done: String,
}

#[derive(Debug, Deserialize)]
struct PeopleQuery {
    q: Option<String>,
    after: Option<String>,
    done: Option<String>,
}

async fn people_render(
    ctx: &ServiceContext,
    user: &SignedIn,
    status: StatusCode,
    query: PeopleQuery,
    errors: FormErrors,
) -> PageResult {
    let viewer = require_admin(user)?;
    let text = query.q.unwrap_or_default().trim().to_owned();
    let mut rows = users::list_local(
        ctx,
        viewer,
        Some(text.as_str()),
        query.after.as_deref(),
        PEOPLE_PAGE + 1,
    )
    .await?;
    let next_page = (rows.len() as i64 > PEOPLE_PAGE).then(|| {
        rows.truncate(PEOPLE_PAGE as usize);
        let last = rows.last().map(|r| r.name.clone()).unwrap_or_default();
        link("/admin/people", &[("q", &text), ("after", &last)])
    });
    let now = Utc::now();
    let people = rows
        .into_iter()
        .map(|r| AccountView {
            is_viewer: r.id == viewer.person_id,
            display_name: r.display_name.unwrap_or_default(),
            admin: r.admin,
            approved: r.approved,
            banned: r.banned,
            created: views::time(r.created_at, now),
            last_active: r.last_active_at.map(|at| views::time(at, now)),
            name: r.name,
        })
        .collect();
    let done = match query.done.as_deref() {
        Some("admin") => "Administrator rights granted.",
        Some("unadmin") => "Administrator rights taken away.",
        Some("end_sessions") => "Their sessions have ended: they are signed out everywhere.",
        _ => "",
    };
    render_status(
        status,
        &PeoplePage {
            layout: layout(user, "People"),
            query: text,
            people,
            next_page,
            errors,
            done: done.to_owned(),
        },
    )
}

async fn people_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<PeopleQuery>,
) -> PageResult {
    people_render(&ctx, &user, StatusCode::OK, query, FormErrors::none()).await
}

#[derive(Template)]
#[template(path = "admin_reset_link.html")]
struct ResetLinkPage {
    layout: Layout,
    name: String,
    link: String,
    minutes: i64,
}

async fn person_action(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath((name, action)): PagePath<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let viewer = require_admin(&user)?;
    let result = match action.as_str() {
        "admin" => users::set_admin(&ctx, viewer, &name, true).await,
        "unadmin" => users::set_admin(&ctx, viewer, &name, false).await,
        "end_sessions" => users::end_sessions(&ctx, viewer, &name).await.map(|_| ()),
        "reset_password" => {
            let token = users::create_password_reset(&ctx, viewer, &name).await?;
            // Shown once, in this response only (never a redirect target, so it stays out of
            // logs and history).
            return render(&ResetLinkPage {
                layout: layout(&user, format!("Password reset link for {name}")),
                link: format!(
                    "{}/reset_password/{}",
                    ctx.settings.public_base_url(),
                    token.expose_secret()
                ),
                name,
                minutes: (users::PASSWORD_RESET_LIFETIME_SECS / 60.0) as i64,
            });
        }
        _ => return Err(WebError::not_found("There is nothing at this address.")),
    };
    let done = link("/admin/people", &[("q", &name), ("done", &action)]);
    redirect_or_show_again(result, &done, by_fields(&[]), |status, errors| {
        let query = PeopleQuery {
            q: Some(name),
            after: None,
            done: None,
        };
        people_render(&ctx, &user, status, query, errors)
    })
    .await
}

// --- Password reset (the person's side) -------------------------------------------------------

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPasswordPage {
    layout: Layout,
    name: String,
    action: String,
    errors: FormErrors,
    done: bool,
}

async fn reset_form(
    State(ctx): State<ServiceContext>,
    session: Session,
    PagePath(token): PagePath<String>,
) -> PageResult {
    let name = users::password_reset_owner(&ctx, &token).await?;
    render(&ResetPasswordPage {
        layout: Layout::new(&session, "Choose a new password", "login"),
        name,
        action: format!("/reset_password/{token}"),
        errors: FormErrors::none(),
        done: false,
    })
}

#[derive(Deserialize)]
struct NewPasswordInput {
    #[serde(default)]
    password: String,
}

async fn reset_save(
    State(ctx): State<ServiceContext>,
    session: Session,
    PagePath(token): PagePath<String>,
    CsrfForm(form): CsrfForm<NewPasswordInput>,
) -> PageResult {
    let name = users::password_reset_owner(&ctx, &token).await?;
    match users::reset_password(&ctx, &token, SecretString::from(form.password)).await {
        Ok(()) => render(&ResetPasswordPage {
            layout: Layout::new(&session, "Password changed", "login"),
            name,
            action: String::new(),
            errors: FormErrors::none(),
            done: true,
        }),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("password", "Password")])?;
            render_status(
                status,
                &ResetPasswordPage {
                    layout: Layout::new(&session, "Choose a new password", "login"),
                    name,
                    action: format!("/reset_password/{token}"),
                    errors,
                    done: false,
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_are_read_as_utc() {
        assert_eq!(parse_expiry("  ").unwrap(), None);
        let at = parse_expiry("2030-01-02T03:04").unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2030-01-02T03:04:00+00:00");
        let at = parse_expiry("2030-01-02T03:04:00+01:00").unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2030-01-02T02:04:00+00:00");
        assert!(parse_expiry("tomorrow").is_err());
    }

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(600.0), "10 min");
        assert_eq!(duration(3_900.0), "1 h 5 min");
        assert_eq!(duration(2.0 * 86_400.0 + 7_200.0), "2 d 2 h");
        assert_eq!(capped(3), "3");
        assert_eq!(capped(101), "100+");
    }
}
