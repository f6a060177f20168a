//! The settings page's two-factor sign-in (TOTP): turning it on (a QR code and the secret, then a
//! first code from the app, then the recovery codes shown once) and off (with the password).

use crate::extract::{CsrfForm, NoFields, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, render, render_status, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use hearth_service::ServiceContext;
use hearth_service::two_factor::{self, DisableProof, Enrolment};
use secrecy::SecretString;
use serde::Deserialize;

/// The two-factor routes under `/settings/two_factor`.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/settings/two_factor", get(show))
        .route("/settings/two_factor/begin", post(begin))
        .route("/settings/two_factor/confirm", post(confirm))
        .route("/settings/two_factor/disable", post(disable))
}

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    enabled: bool,
    recovery_codes_left: i64,
    /// The enrolment waiting for its first code, if one was started.
    enrolment: Option<Enrolment>,
    /// The recovery codes, right after confirming (the only time they are shown).
    recovery_codes: Vec<String>,
    errors: FormErrors,
}

impl TwoFactorPage {
    async fn load(ctx: &ServiceContext, user: &SignedIn) -> Result<Self, crate::page::WebError> {
        let status = two_factor::status(ctx, &user.viewer).await?;
        let enrolment = two_factor::pending(ctx, &user.viewer).await?;
        Ok(Self {
            layout: Layout::new(&user.session, "Two-factor sign-in", "settings"),
            enabled: status.enabled,
            recovery_codes_left: status.recovery_codes_left,
            enrolment,
            recovery_codes: Vec::new(),
            errors: FormErrors::none(),
        })
    }
}

async fn show(State(ctx): State<ServiceContext>, user: SignedIn) -> PageResult {
    render(&TwoFactorPage::load(&ctx, &user).await?)
}

async fn begin(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    match two_factor::begin(&ctx, &user.viewer).await {
        Ok(_) => Ok(see_other("/settings/two_factor")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[])?;
            let mut page = TwoFactorPage::load(&ctx, &user).await?;
            page.errors = errors;
            render_status(status, &page)
        }
    }
}

/// What the confirmation form sends.
#[derive(Debug, Default, Deserialize)]
struct CodeInput {
    #[serde(default)]
    code: String,
}

async fn confirm(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<CodeInput>,
) -> PageResult {
    match two_factor::confirm(&ctx, &user.viewer, &form.code).await {
        // The only time the recovery codes are shown: this page, not the one a reload gives.
        Ok(codes) => {
            let mut page = TwoFactorPage::load(&ctx, &user).await?;
            page.recovery_codes = codes;
            render(&page)
        }
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("code", "The code")])?;
            let mut page = TwoFactorPage::load(&ctx, &user).await?;
            page.errors = errors;
            render_status(status, &page)
        }
    }
}

/// What the form that turns two-factor sign-in off sends.
#[derive(Debug, Default, Deserialize)]
struct DisableInput {
    #[serde(default)]
    password: String,
}

async fn disable(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<DisableInput>,
) -> PageResult {
    let proof = DisableProof {
        password: Some(SecretString::from(form.password)),
        code: None,
    };
    match two_factor::disable(&ctx, &user.viewer, proof).await {
        Ok(()) => Ok(see_other("/settings/two_factor")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("password", "Password")])?;
            let mut page = TwoFactorPage::load(&ctx, &user).await?;
            page.errors = errors;
            render_status(status, &page)
        }
    }
}
