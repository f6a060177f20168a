//! The signed-in account's settings page: profile (display name, bio, avatar and banner),
//! preferences (NSFW posts,
//! theme) and password, each its own form that saves and comes back with a confirmation; the
//! account's sessions (end one, or all: "sign out everywhere"), its blocks (with unblock
//! buttons) and the download of its data.

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, WebError, render, render_status, see_other};
use crate::pictures::{self, PictureForm};
use crate::views::{self, TimeView};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use hearth_service::ServiceContext;
use hearth_service::export::ImportReport;
use hearth_service::settings::{self, AccountSettings, Preferences, ProfileUpdate, Theme};
use secrecy::SecretString;
use serde::Deserialize;

/// The settings routes; the profile's form takes pictures, with their own body limit.
pub fn router(ctx: &ServiceContext) -> Router<ServiceContext> {
    Router::new()
        .route("/settings", get(show))
        .route(
            "/settings/profile",
            post(save_profile).layer(pictures::body_limit(ctx)),
        )
        .route("/settings/preferences", post(save_preferences))
        .route("/settings/password", post(change_password))
        .route("/settings/delete", post(delete_account))
        .route("/settings/sessions/{id}/end", post(end_session))
        .route("/settings/sessions/end_all", post(end_all_sessions))
        .route("/settings/export", get(export))
        .route("/settings/import", post(import))
}

/// The themes, as the form names them and as people read them.
const THEMES: [(&str, &str); 3] = [
    ("system", "Same as my device"),
    ("light", "Light"),
    ("dark", "Dark"),
];

#[derive(Debug, Default, Deserialize)]
struct ProfileInput {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    bio: String,
    /// Ticked: the avatar goes (unless a new one was chosen).
    remove_avatar: Option<String>,
    /// Ticked: the banner goes (unless a new one was chosen).
    remove_banner: Option<String>,
}

/// The profile's pictures as the form shows them (where the page loads them from).
#[derive(Debug, Default)]
struct ProfilePictures {
    avatar: Option<String>,
    banner: Option<String>,
}

impl ProfilePictures {
    async fn load(ctx: &ServiceContext, user: &SignedIn) -> Result<Self, WebError> {
        let person = hearth_service::users::find(ctx, &user.viewer.name, "user").await?;
        let src = |url: Option<String>| {
            url.filter(|u| !u.trim().is_empty())
                .map(|u| hearth_service::media::thumbnail_src(ctx, &u))
        };
        Ok(Self {
            avatar: src(person.avatar_url),
            banner: src(person.banner_url),
        })
    }
}

#[derive(Debug, Default, Deserialize)]
struct PreferencesInput {
    show_nsfw: Option<String>,
    #[serde(default)]
    theme: String,
}

#[derive(Debug, Default, Deserialize)]
struct PasswordInput {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// Which form an error or a confirmation belongs to.
#[derive(Debug, Default)]
struct SectionErrors {
    profile: FormErrors,
    preferences: FormErrors,
    password: FormErrors,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    profile: ProfileInput,
    pictures: ProfilePictures,
    /// What the file fields accept.
    picture_hint: String,
    show_nsfw: bool,
    theme: String,
    themes: [(&'static str, &'static str); 3],
    sections: SectionErrors,
    saved: Option<&'static str>,
    account: AccountLists,
}

/// The account's sessions and blocks, as the settings page lists them.
#[derive(Default)]
struct AccountLists {
    sessions: Vec<SessionItem>,
    blocked_people: Vec<BlockedItem>,
    blocked_communities: Vec<BlockedItem>,
}

/// A session (a token) of the account.
struct SessionItem {
    id: i64,
    label: String,
    created: TimeView,
    last_used: TimeView,
    /// The session this page is seen in.
    current: bool,
}

/// A blocked person or community, with where its unblock button posts.
struct BlockedItem {
    label: String,
    handle: String,
    href: String,
    unblock_action: String,
}

impl AccountLists {
    async fn load(ctx: &ServiceContext, user: &SignedIn) -> Result<Self, WebError> {
        let now = Utc::now();
        let sessions = hearth_service::auth::tokens(ctx, &user.viewer)
            .await?
            .into_iter()
            .map(|t| SessionItem {
                current: t.id == user.viewer.token_id,
                id: t.id,
                label: if t.label.trim().is_empty() {
                    "Unknown device".to_owned()
                } else {
                    t.label
                },
                created: views::time(t.created_at, now),
                last_used: views::time(t.last_used_at, now),
            })
            .collect();
        let blocks = hearth_service::blocks::list(ctx, &user.viewer).await?;
        let blocked_people = blocks
            .people
            .into_iter()
            .map(|p| {
                let actor = views::person(&p.name, p.display_name.as_deref(), p.local, &p.ap_id);
                BlockedItem {
                    unblock_action: format!("{}/unblock", actor.href),
                    label: actor.label,
                    handle: actor.handle,
                    href: actor.href,
                }
            })
            .collect();
        let blocked_communities = blocks
            .communities
            .into_iter()
            .map(|c| {
                let actor = views::community(&c.name, &c.title, c.local, &c.ap_id);
                BlockedItem {
                    unblock_action: format!("{}/unblock", actor.href),
                    label: actor.label,
                    handle: actor.handle,
                    href: actor.href,
                }
            })
            .collect();
        Ok(Self {
            sessions,
            blocked_people,
            blocked_communities,
        })
    }
}

impl SettingsPage {
    fn is_theme(&self, value: &str) -> bool {
        self.theme == value
    }

    fn new(user: &SignedIn, current: AccountSettings) -> Self {
        Self {
            layout: Layout::new(&user.session, "Settings", "settings"),
            profile: ProfileInput {
                display_name: current.display_name.unwrap_or_default(),
                bio: current.bio,
                ..ProfileInput::default()
            },
            pictures: ProfilePictures::default(),
            picture_hint: String::new(),
            show_nsfw: current.preferences.show_nsfw,
            theme: current.preferences.theme.as_str().to_owned(),
            themes: THEMES,
            sections: SectionErrors::default(),
            saved: None,
            account: AccountLists::default(),
        }
    }

    /// The same page with the account's pictures, sessions and blocks.
    async fn with_lists(mut self, ctx: &ServiceContext, user: &SignedIn) -> Result<Self, WebError> {
        self.account = AccountLists::load(ctx, user).await?;
        self.pictures = ProfilePictures::load(ctx, user).await?;
        self.picture_hint = pictures::hint(ctx);
        Ok(self)
    }
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn show(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<SavedQuery>,
) -> PageResult {
    let current = settings::get(&ctx, &user.viewer).await?;
    let mut page = SettingsPage::new(&user, current)
        .with_lists(&ctx, &user)
        .await?;
    page.saved = match query.saved.as_deref() {
        Some("profile") => Some("Your profile was saved."),
        Some("preferences") => Some("Your preferences were saved."),
        Some("password") => Some("Your password was changed. Your other sessions were signed out."),
        Some("session") => Some("The session was ended."),
        _ => None,
    };
    render(&page)
}

/// Saves the profile: the pictures chosen are uploaded first (a refused one comes back next to
/// its field, and nothing is saved), then the profile with their URLs.
async fn save_profile(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PictureForm { form, mut files }: PictureForm<ProfileInput>,
) -> PageResult {
    let mut slots = Vec::with_capacity(2);
    for (field, remove) in [
        ("avatar", form.remove_avatar.is_some()),
        ("banner", form.remove_banner.is_some()),
    ] {
        match pictures::slot(&ctx, &user.viewer, &mut files, field, remove).await {
            Ok(slot) => slots.push(slot),
            Err(error) => {
                let (status, errors) = pictures::refusal(&ctx, error, field)?;
                return profile_again(&ctx, &user, form, status, errors).await;
            }
        }
    }
    let mut slots = slots.into_iter();
    let update = ProfileUpdate {
        display_name: Some(form.display_name.clone()),
        bio: form.bio.clone(),
        avatar_url: slots.next().flatten(),
        banner_url: slots.next().flatten(),
    };
    match settings::update_profile(&ctx, &user.viewer, update).await {
        Ok(()) => Ok(see_other("/settings?saved=profile")),
        Err(error) => {
            let fields = [
                ("display_name", "Display name"),
                ("bio", "Bio"),
                ("avatar_url", "Avatar"),
                ("banner_url", "Banner"),
            ];
            let (status, errors) = FormErrors::from_error(error, &fields)?;
            profile_again(&ctx, &user, form, status, errors).await
        }
    }
}

/// The settings page with the profile form as it was sent, and its errors.
async fn profile_again(
    ctx: &ServiceContext,
    user: &SignedIn,
    form: ProfileInput,
    status: StatusCode,
    errors: FormErrors,
) -> PageResult {
    let mut page = SettingsPage::new(user, settings::get(ctx, &user.viewer).await?)
        .with_lists(ctx, user)
        .await?;
    page.profile = form;
    page.sections.profile = errors;
    render_status(status, &page)
}

async fn save_preferences(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<PreferencesInput>,
) -> PageResult {
    let result = match Theme::parse(&form.theme) {
        Ok(theme) => {
            let preferences = Preferences {
                show_nsfw: form.show_nsfw.is_some(),
                theme,
            };
            settings::update_preferences(&ctx, &user.viewer, preferences).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other("/settings?saved=preferences")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("theme", "Theme")])?;
            let mut page = SettingsPage::new(&user, settings::get(&ctx, &user.viewer).await?)
                .with_lists(&ctx, &user)
                .await?;
            page.sections.preferences = errors;
            render_status(status, &page)
        }
    }
}

async fn change_password(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    headers: axum::http::HeaderMap,
    CsrfForm(form): CsrfForm<PasswordInput>,
) -> PageResult {
    let result = if form.new_password != form.confirm_password {
        Err(hearth_core::Error::validation(
            "confirm_password",
            "does not match the new password",
        ))
    } else {
        settings::change_password(
            &ctx,
            &user.viewer,
            SecretString::from(form.current_password),
            SecretString::from(form.new_password),
            &format!("web: {}", crate::extract::user_agent(&headers)),
            hearth_service::auth::TokenKind::Plain,
        )
        .await
    };
    match result {
        // Every old session is gone, this one too: carry on with the fresh token.
        Ok(fresh) => {
            let cookies = [
                user.session
                    .session_cookie(hearth_service::auth::reveal(&fresh)),
                user.session.fresh_csrf_cookie(),
            ];
            Ok(see_other_setting("/settings?saved=password", cookies))
        }
        Err(error) => {
            let fields = [
                ("current_password", "Current password"),
                ("new_password", "New password"),
                ("confirm_password", "The repeated password"),
            ];
            let (status, errors) = FormErrors::from_error(error, &fields)?;
            let mut page = SettingsPage::new(&user, settings::get(&ctx, &user.viewer).await?)
                .with_lists(&ctx, &user)
                .await?;
            page.sections.password = errors;
            render_status(status, &page)
        }
    }
}

/// Ends one of the account's sessions; ending the one in use signs this browser out.
async fn end_session(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    hearth_service::auth::revoke(&ctx, &user.viewer, id).await?;
    if id == user.viewer.token_id {
        return Ok(signed_out(&user, "/login"));
    }
    Ok(see_other("/settings?saved=session"))
}

/// Signs out everywhere: every session of the account ends, this one too.
async fn end_all_sessions(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    hearth_service::auth::revoke_all(&ctx, &user.viewer).await?;
    Ok(signed_out(&user, "/login"))
}

/// To `location`, with the session cookie cleared (the session has ended).
fn signed_out(user: &SignedIn, location: &str) -> Response {
    see_other_setting(location, [user.session.clear_session_cookie()])
}

/// `303 See Other` to `location`, setting these cookies on the way.
fn see_other_setting(location: &str, cookies: impl IntoIterator<Item = HeaderValue>) -> Response {
    let mut response = see_other(location);
    for cookie in cookies {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, cookie);
    }
    response
}

/// The account's data as a JSON file to download (the document of `GET /api/v1/account/export`).
async fn export(State(ctx): State<ServiceContext>, user: SignedIn) -> PageResult {
    let body = hearth_service::export::export_json(&ctx, &user.viewer).await?;
    let filename = format!("hearth-{}.json", user.viewer.name);
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        ],
        body,
    )
        .into_response())
}

// Deleting the account: its form is the last section of the settings page; a mistake (a wrong
// password) comes back on a page of its own with just that form.

#[derive(Debug, Default, Deserialize)]
struct DeleteAccountInput {
    #[serde(default)]
    password: String,
    /// `keep` or `remove`.
    #[serde(default)]
    content: String,
}

#[derive(Template)]
#[template(path = "delete_account.html")]
struct DeleteAccountPage {
    layout: Layout,
    delete_errors: FormErrors,
    remove_content: bool,
}

async fn delete_account(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<DeleteAccountInput>,
) -> PageResult {
    let remove_content = form.content == "remove";
    let result = match form.content.as_str() {
        "keep" | "remove" => {
            let deletion = hearth_service::account_deletion::AccountDeletion {
                password: SecretString::from(form.password),
                delete_content: remove_content,
            };
            hearth_service::account_deletion::delete_account(&ctx, &user.viewer, deletion).await
        }
        _ => Err(hearth_core::Error::validation(
            "content",
            "must say whether to keep or delete your posts and comments",
        )),
    };
    match result {
        // The account's sessions are gone: so is this one's cookie.
        Ok(()) => Ok(signed_out(&user, "/")),
        Err(error) => {
            let fields = [
                ("password", "Password"),
                ("content", "Your posts and comments"),
            ];
            let (status, delete_errors) =
                crate::forms::errors_with(error, &fields, "wrong_password", "password")?;
            let page = DeleteAccountPage {
                layout: Layout::new(&user.session, "Delete your account", "settings"),
                delete_errors,
                remove_content,
            };
            render_status(status, &page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct ImportInput {
    #[serde(default)]
    document: String,
}

/// What an import did, shown on a page of its own.
#[derive(Template)]
#[template(path = "settings_import.html")]
struct ImportPage {
    layout: Layout,
    report: Option<ImportReport>,
    errors: FormErrors,
}

/// Imports an export pasted into the settings page's form: joins its communities and makes its
/// blocks, then shows what was done and what failed.
async fn import(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<ImportInput>,
) -> PageResult {
    let layout = Layout::new(&user.session, "Import your data", "settings");
    match hearth_service::export::import_json(&ctx, &user.viewer, &form.document).await {
        Ok(report) => render(&ImportPage {
            layout,
            report: Some(report),
            errors: FormErrors::none(),
        }),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("document", "The export")])?;
            render_status(
                status,
                &ImportPage {
                    layout,
                    report: None,
                    errors,
                },
            )
        }
    }
}
