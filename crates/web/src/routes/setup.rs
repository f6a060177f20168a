//! The first-run setup page (`/setup`): while the instance has no administrator, it asks for the
//! setup code from the server's log, makes the administrator's account, names the site and sets
//! who may sign up, then signs the administrator in. The page middleware sends every other page
//! here until then (`middleware::first_run_setup`); afterwards the page is not found.

use crate::extract::{ClientIp, CsrfForm};
use crate::forms::{FormErrors, errors_with};
use crate::page::{Layout, PageResult, WebError, render, render_status};
use crate::routes::accounts::{signed_in_redirect, token_label};
use crate::session::Session;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use hearth_core::Error;
use hearth_service::ServiceContext;
use hearth_service::rate_limit::{self, Action};
use hearth_service::site::{self, SiteUpdate};
use hearth_service::{auth, setup};
use secrecy::SecretString;
use serde::Deserialize;

/// Where the setup page is.
pub const PATH: &str = "/setup";

/// The setup route.
pub fn router() -> Router<ServiceContext> {
    Router::new().route(PATH, get(setup_form).post(set_up))
}

/// What the setup form sends (the passwords are never shown again).
#[derive(Debug, Default, Deserialize)]
struct SetupInput {
    #[serde(default)]
    code: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    registration_mode: String,
}

const SETUP_FIELDS: &crate::forms::Fields = &[
    ("code", "Setup code"),
    ("username", "Username"),
    ("password", "Password"),
    ("password_confirmation", "Password again"),
    ("name", "Site name"),
    ("description", "Description"),
    ("registration_mode", "Who may sign up"),
];

/// The registration modes, as the form offers them.
const MODES: &[(&str, &str)] = &[
    ("open", "Anyone"),
    ("approval", "People an administrator approves"),
    ("closed", "Nobody for now"),
];

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    form: SetupInput,
    errors: FormErrors,
    modes: &'static [(&'static str, &'static str)],
}

fn setup_page(session: &Session, form: SetupInput, errors: FormErrors) -> SetupPage {
    SetupPage {
        layout: Layout::new(session, "Set up", "setup"),
        form,
        errors,
        modes: MODES,
    }
}

/// The page, by URL too, is gone once an administrator exists.
async fn refuse_once_done(ctx: &ServiceContext) -> Result<(), WebError> {
    if setup::pending(ctx).await? {
        Ok(())
    } else {
        Err(WebError::not_found(
            "Setup is done: this instance has an administrator.",
        ))
    }
}

async fn setup_form(State(ctx): State<ServiceContext>, session: Session) -> PageResult {
    refuse_once_done(&ctx).await?;
    let form = SetupInput {
        name: session.site.name.clone(),
        registration_mode: session.site.registration_mode.as_str().to_owned(),
        ..SetupInput::default()
    };
    render(&setup_page(&session, form, FormErrors::none()))
}

async fn set_up(
    State(ctx): State<ServiceContext>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(mut form): CsrfForm<SetupInput>,
) -> PageResult {
    refuse_once_done(&ctx).await?;
    let password = std::mem::take(&mut form.password);
    let confirmation = std::mem::take(&mut form.password_confirmation);
    let created = async {
        // Wrong codes count against the sign-in limit of the address: the code cannot be guessed.
        rate_limit::check(&ctx, Action::Login, &ip).await?;
        if password != confirmation {
            return Err(Error::validation(
                "password_confirmation",
                "does not match the password",
            ));
        }
        let registration_mode = site::parse_registration_mode(&form.registration_mode)?;
        setup::complete(
            &ctx,
            setup::FirstRun {
                code: form.code.clone(),
                username: form.username.clone(),
                password: SecretString::from(password.clone()),
                site: SiteUpdate {
                    name: Some(form.name.clone()),
                    description: Some(form.description.clone()),
                    registration_mode: Some(registration_mode),
                    ..SiteUpdate::default()
                },
            },
        )
        .await
    }
    .await;
    let created = match created {
        Ok(created) => created,
        // Someone else finished the setup meanwhile.
        Err(error) if error.kind.code() == "not_found" => return Err(WebError(error)),
        Err(error) => {
            let (status, errors) = errors_with(error, SETUP_FIELDS, "name_taken", "username")?;
            return render_status(status, &setup_page(&session, form, errors));
        }
    };
    let token = auth::login(
        &ctx,
        created.name.as_str(),
        SecretString::from(password),
        &token_label(&headers),
    )
    .await?;
    Ok(signed_in_redirect(&session, &token, "/"))
}
