//! A community's moderation pages, for its moderators (and this instance's admins, for local
//! communities): its moderators (add, remove, in order of seniority), its members and pending
//! join requests (approve, deny), and its bans (list, ban with a reason and expiry, lift).

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::forms::{FormErrors, attach_to_field, redirect_or_show_again};
use crate::page::{Layout, PageResult, WebError, render, render_status, see_other};
use crate::views::{self, ActorView, TimeView};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDateTime, Utc};
use hearth_core::Error;
use hearth_db::community::CommunityRow;
use hearth_db::membership::MemberState;
use hearth_service::ServiceContext;
use hearth_service::moderation::{self, BanForm};
use hearth_service::{communities, membership, moderators};
use serde::Deserialize;
use std::future::ready;

/// The community moderation routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route(
            "/c/{name}/moderators",
            get(moderators_page).post(add_moderator),
        )
        .route("/c/{name}/moderators/{user}/remove", post(remove_moderator))
        .route("/c/{name}/members", get(members_page))
        .route("/c/{name}/members/{user}/approve", post(approve))
        .route("/c/{name}/members/{user}/deny", post(deny))
        .route("/c/{name}/bans", get(bans_page).post(ban))
        .route("/c/{name}/bans/new", get(ban_form))
        .route("/c/{name}/bans/{user}/lift", post(lift))
}

/// The community a moderation page is about, and the tabs between those pages.
#[derive(Debug, Clone)]
pub struct ModTabs {
    /// The community as a link.
    pub community: ActorView,
    /// Its host, for remote communities.
    pub host: Option<String>,
    /// The settings page exists only for local communities (remote ones change at home).
    pub local: bool,
    /// The current tab: `moderators`, `members` or `bans`.
    pub current: &'static str,
}

impl ModTabs {
    fn new(row: &CommunityRow, current: &'static str) -> Self {
        Self {
            community: views::community(&row.name, &row.title, row.local, &row.ap_id),
            host: (!row.local).then(|| views::authority(&row.ap_id)).flatten(),
            local: row.local,
            current,
        }
    }

    /// The mod log filtered to this community.
    pub fn modlog_href(&self) -> String {
        format!(
            "/modlog?community={}",
            crate::page::encode_query_value(&self.community.handle)
        )
    }
}

// ---- Moderators ----

/// A moderator in the list.
#[derive(Debug, Clone)]
struct ModeratorItem {
    /// 1 for the longest-serving.
    rank: usize,
    person: ActorView,
    /// The signed-in visitor.
    me: bool,
}

#[derive(Template)]
#[template(path = "community_moderators.html")]
struct ModeratorsPage {
    layout: Layout,
    tabs: ModTabs,
    moderators: Vec<ModeratorItem>,
    /// What the add form sends again after an error.
    user: String,
    errors: FormErrors,
}

const MODERATOR_FIELDS: &crate::forms::Fields = &[("user", "Person")];

async fn show_moderators(
    ctx: &ServiceContext,
    user: &SignedIn,
    name: &str,
    status: StatusCode,
    typed: String,
    errors: FormErrors,
) -> PageResult {
    let row = moderators::authorize(ctx, &user.viewer, name).await?;
    let tabs = ModTabs::new(&row, "moderators");
    let moderators = moderators::list(ctx, &tabs.community.handle)
        .await?
        .into_iter()
        .enumerate()
        .map(|(n, m)| ModeratorItem {
            rank: n + 1,
            me: user.session.is(m.person_id),
            person: views::person(&m.name, m.display_name.as_deref(), m.local, &m.ap_id),
        })
        .collect();
    render_status(
        status,
        &ModeratorsPage {
            layout: Layout::new(
                &user.session,
                format!("Moderators of {}", tabs.community.label),
                "communities",
            ),
            tabs,
            moderators,
            user: typed,
            errors,
        },
    )
}

async fn moderators_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
) -> PageResult {
    show_moderators(
        &ctx,
        &user,
        &name,
        StatusCode::OK,
        String::new(),
        FormErrors::none(),
    )
    .await
}

/// The add-moderator form.
#[derive(Debug, Default, Deserialize)]
struct UserInput {
    #[serde(default)]
    user: String,
}

async fn add_moderator(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    CsrfForm(form): CsrfForm<UserInput>,
) -> PageResult {
    // Someone who may not moderate gets the 403 page, not a form error.
    moderators::authorize(&ctx, &user.viewer, &name).await?;
    let typed = form.user.trim().to_owned();
    let result = if typed.is_empty() {
        Err(Error::validation("user", "is needed: a name or name@host"))
    } else {
        moderators::add(&ctx, &user.viewer, &name, &typed).await
    };
    let done = format!("/c/{name}/moderators");
    redirect_or_show_again(result, &done, person_errors, |status, errors| {
        show_moderators(&ctx, &user, &name, status, typed, errors)
    })
    .await
}

/// Errors about the person a form names go next to its `user` field: an unknown person, one who
/// moderates already, a malformed name.
fn person_errors(error: Error) -> Result<(StatusCode, FormErrors), WebError> {
    match error.kind.code() {
        code @ ("not_found" | "already_moderator") => Ok(attach_to_field(error, code, "user")),
        _ => FormErrors::from_error(error, MODERATOR_FIELDS),
    }
}

async fn remove_moderator(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath((name, target)): PagePath<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    moderators::authorize(&ctx, &user.viewer, &name).await?;
    match moderators::remove(&ctx, &user.viewer, &name, &target).await {
        // Removing oneself leaves nothing to manage here: back to the community.
        Ok(_) if user.viewer.admin || user.session.viewer_name() != Some(target.as_str()) => {
            Ok(see_other(&format!("/c/{name}/moderators")))
        }
        Ok(_) => Ok(see_other(&format!("/c/{name}"))),
        Err(error) => {
            // The seniority rule (`outranked`) and the last moderator are shown on the page.
            let (status, errors) = FormErrors::from_error(error, MODERATOR_FIELDS)?;
            show_moderators(&ctx, &user, &name, status, String::new(), errors).await
        }
    }
}

// ---- Members ----

#[derive(Debug, Deserialize)]
struct MembersQuery {
    state: Option<String>,
    after: Option<i64>,
}

/// A member or applicant in the list.
#[derive(Debug, Clone)]
struct MemberItem {
    person: ActorView,
    since: TimeView,
}

#[derive(Template)]
#[template(path = "community_members.html")]
struct MembersPage {
    layout: Layout,
    tabs: ModTabs,
    /// Pending requests rather than members.
    pending: bool,
    members: Vec<MemberItem>,
    next_page: Option<String>,
}

const MEMBERS_PAGE: i64 = 50;

async fn members_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    PageQuery(query): PageQuery<MembersQuery>,
) -> PageResult {
    let row = moderators::authorize(&ctx, &user.viewer, &name).await?;
    let (state, pending) = match query.state.as_deref() {
        None | Some("" | "pending") => (MemberState::Pending, true),
        Some("joined") => (MemberState::Joined, false),
        Some(_) => {
            return Err(WebError(Error::validation(
                "state",
                "must be pending or joined",
            )));
        }
    };
    let tabs = ModTabs::new(&row, "members");
    let mut rows = membership::list(
        &ctx,
        &user.viewer,
        &tabs.community.handle,
        state,
        query.after,
        MEMBERS_PAGE + 1,
    )
    .await?;
    let more = rows.len() > usize::try_from(MEMBERS_PAGE).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(MEMBERS_PAGE).unwrap_or(usize::MAX));
    let next_page = more
        .then(|| rows.last().map(|m| m.person_id))
        .flatten()
        .map(|last| {
            format!(
                "{}/members?state={}&after={last}",
                tabs.community.href,
                if pending { "pending" } else { "joined" }
            )
        });
    let now = Utc::now();
    let members = rows
        .into_iter()
        .map(|m| MemberItem {
            person: views::person(&m.name, m.display_name.as_deref(), m.local, &m.ap_id),
            since: views::time(m.created_at, now),
        })
        .collect();
    render(&MembersPage {
        layout: Layout::new(
            &user.session,
            format!("Members of {}", tabs.community.label),
            "communities",
        ),
        tabs,
        pending,
        members,
        next_page,
    })
}

async fn approve(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath((name, member)): PagePath<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    membership::approve(&ctx, &user.viewer, &name, &member).await?;
    Ok(see_other(&format!("/c/{name}/members?state=pending")))
}

async fn deny(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath((name, member)): PagePath<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    membership::deny(&ctx, &user.viewer, &name, &member).await?;
    Ok(see_other(&format!("/c/{name}/members?state=pending")))
}

// ---- Bans ----

/// A ban in the list.
#[derive(Debug, Clone)]
struct BanItem {
    person: ActorView,
    reason: String,
    since: TimeView,
    /// "until 2026-12-31 10:00 UTC", or `None` until lifted.
    until: Option<String>,
}

#[derive(Template)]
#[template(path = "community_bans.html")]
struct BansPage {
    layout: Layout,
    tabs: ModTabs,
    bans: Vec<BanItem>,
}

async fn bans_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
) -> PageResult {
    let row = moderators::authorize(&ctx, &user.viewer, &name).await?;
    let tabs = ModTabs::new(&row, "bans");
    let now = Utc::now();
    let bans = communities::bans(&ctx, &user.viewer, &tabs.community.handle)
        .await?
        .into_iter()
        .map(|b| BanItem {
            person: views::person(&b.name, b.display_name.as_deref(), b.local, &b.ap_id),
            reason: b.reason,
            since: views::time(b.created_at, now),
            until: b
                .expires_at
                .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string()),
        })
        .collect();
    render(&BansPage {
        layout: Layout::new(
            &user.session,
            format!("Bans in {}", tabs.community.label),
            "communities",
        ),
        tabs,
        bans,
    })
}

/// The ban form, as sent (and shown again after an error).
#[derive(Debug, Default, Deserialize)]
struct BanInput {
    #[serde(default)]
    user: String,
    #[serde(default)]
    reason: String,
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` input), in UTC; empty until lifted.
    #[serde(default)]
    expires_at: String,
    remove_data: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BanFormQuery {
    user: Option<String>,
}

const BAN_FIELDS: &crate::forms::Fields = &[
    ("user", "Person"),
    ("reason", "Reason"),
    ("expires_at", "Expiry"),
];

#[derive(Template)]
#[template(path = "community_ban_form.html")]
struct BanFormPage {
    layout: Layout,
    tabs: ModTabs,
    form: BanInput,
    errors: FormErrors,
}

async fn ban_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    PageQuery(query): PageQuery<BanFormQuery>,
) -> PageResult {
    let row = moderators::authorize(&ctx, &user.viewer, &name).await?;
    let tabs = ModTabs::new(&row, "bans");
    render(&BanFormPage {
        layout: Layout::new(
            &user.session,
            format!("Ban from {}", tabs.community.label),
            "communities",
        ),
        tabs,
        form: BanInput {
            user: query.user.unwrap_or_default(),
            ..BanInput::default()
        },
        errors: FormErrors::none(),
    })
}

/// Reads a `datetime-local` value as UTC; empty is `None` (until lifted).
fn parse_expiry(raw: &str) -> Result<Option<DateTime<Utc>>, Error> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|at| Some(at.and_utc()))
        .ok_or_else(|| Error::validation("expires_at", "must be a date and time (UTC)"))
}

async fn ban(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    CsrfForm(mut form): CsrfForm<BanInput>,
) -> PageResult {
    let row = moderators::authorize(&ctx, &user.viewer, &name).await?;
    form.user = form.user.trim().to_owned();
    let result = match parse_expiry(&form.expires_at) {
        Err(e) => Err(e),
        Ok(_) if form.user.is_empty() => {
            Err(Error::validation("user", "is needed: a name or name@host"))
        }
        Ok(expires_at) => {
            moderation::ban(
                &ctx,
                &user.viewer,
                &name,
                BanForm {
                    user: form.user.clone(),
                    reason: Some(form.reason.clone()),
                    expires_at,
                    remove_data: form.remove_data.is_some(),
                },
            )
            .await
        }
    };
    let sort = |error: Error| match error.kind.code() {
        code @ ("not_found" | "is_moderator") => Ok(attach_to_field(error, code, "user")),
        _ => FormErrors::from_error(error, BAN_FIELDS),
    };
    let show_again = |status, errors| {
        let tabs = ModTabs::new(&row, "bans");
        ready(render_status(
            status,
            &BanFormPage {
                layout: Layout::new(
                    &user.session,
                    format!("Ban from {}", tabs.community.label),
                    "communities",
                ),
                tabs,
                form,
                errors,
            },
        ))
    };
    redirect_or_show_again(result, &format!("/c/{name}/bans"), sort, show_again).await
}

async fn lift(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath((name, banned)): PagePath<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    moderation::unban(&ctx, &user.viewer, &name, &banned).await?;
    Ok(see_other(&format!("/c/{name}/bans")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_read_datetime_local_values_as_utc() {
        assert_eq!(parse_expiry("  ").unwrap(), None);
        let at = parse_expiry("2030-01-02T03:04").unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2030-01-02T03:04:00+00:00");
        assert!(parse_expiry("tomorrow").is_err());
    }
}
