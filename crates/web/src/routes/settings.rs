//! The signed-in account's settings page: profile (display name, bio), preferences (NSFW posts,
//! theme) and password, each its own form that saves and comes back with a confirmation.

use crate::extract::{CsrfForm, PageQuery, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, render, render_status, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use hearth_service::ServiceContext;
use hearth_service::settings::{self, AccountSettings, Preferences, ProfileUpdate, Theme};
use secrecy::SecretString;
use serde::Deserialize;

/// The settings routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/settings", get(show))
        .route("/settings/profile", post(save_profile))
        .route("/settings/preferences", post(save_preferences))
        .route("/settings/password", post(change_password))
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
    show_nsfw: bool,
    theme: String,
    themes: [(&'static str, &'static str); 3],
    sections: SectionErrors,
    saved: Option<&'static str>,
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
            },
            show_nsfw: current.preferences.show_nsfw,
            theme: current.preferences.theme.as_str().to_owned(),
            themes: THEMES,
            sections: SectionErrors::default(),
            saved: None,
        }
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
    let mut page = SettingsPage::new(&user, current);
    page.saved = match query.saved.as_deref() {
        Some("profile") => Some("Your profile was saved."),
        Some("preferences") => Some("Your preferences were saved."),
        Some("password") => Some("Your password was changed. Your other sessions were signed out."),
        _ => None,
    };
    render(&page)
}

async fn save_profile(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<ProfileInput>,
) -> PageResult {
    let update = ProfileUpdate {
        display_name: Some(form.display_name.clone()),
        bio: form.bio.clone(),
    };
    match settings::update_profile(&ctx, &user.viewer, update).await {
        Ok(()) => Ok(see_other("/settings?saved=profile")),
        Err(error) => {
            let fields = [("display_name", "Display name"), ("bio", "Bio")];
            let (status, errors) = FormErrors::from_error(error, &fields)?;
            let mut page = SettingsPage::new(&user, settings::get(&ctx, &user.viewer).await?);
            page.profile = form;
            page.sections.profile = errors;
            render_status(status, &page)
        }
    }
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
            let mut page = SettingsPage::new(&user, settings::get(&ctx, &user.viewer).await?);
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
        )
        .await
    };
    match result {
        // Every old session is gone, this one too: carry on with the fresh token.
        Ok(fresh) => {
            let mut response = see_other("/settings?saved=password");
            let cookies = response.headers_mut();
            cookies.append(
                axum::http::header::SET_COOKIE,
                user.session
                    .session_cookie(hearth_service::auth::reveal(&fresh)),
            );
            cookies.append(
                axum::http::header::SET_COOKIE,
                user.session.fresh_csrf_cookie(),
            );
            Ok(response)
        }
        Err(error) => {
            let fields = [
                ("current_password", "Current password"),
                ("new_password", "New password"),
                ("confirm_password", "The repeated password"),
            ];
            let (status, errors) = FormErrors::from_error(error, &fields)?;
            let mut page = SettingsPage::new(&user, settings::get(&ctx, &user.viewer).await?);
            page.sections.password = errors;
            render_status(status, &page)
        }
    }
}
