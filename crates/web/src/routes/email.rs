//! Pages that go with e-mail: "Forgot your password?" (an address, then a mailed link to the
//! reset page at `/reset_password/{token}`), confirming an address from a mailed link, and the
//! account's e-mail settings (address, confirmation, hourly digest) at `/settings/email`.

use crate::extract::{ClientIp, CsrfForm, NoFields, PagePath, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, WebError, render, render_status, see_other};
use crate::session::Session;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use hearth_service::ServiceContext;
use hearth_service::mail;
use serde::Deserialize;

/// The e-mail routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/forgot_password", get(forgot_form).post(forgot))
        .route("/verify-email/{token}", get(verify))
        .route("/settings/email", get(settings_page).post(save_settings))
        .route("/settings/email/resend", post(resend))
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPasswordPage {
    layout: Layout,
    email: String,
    errors: FormErrors,
    /// The request was taken: say a mail is on its way (whether or not the address is known).
    sent: bool,
}

async fn forgot_form(State(ctx): State<ServiceContext>, session: Session) -> PageResult {
    mail::require_enabled(&ctx)?;
    render(&ForgotPasswordPage {
        layout: Layout::new(&session, "Forgot your password?", "login"),
        email: String::new(),
        errors: FormErrors::none(),
        sent: false,
    })
}

#[derive(Debug, Deserialize)]
struct ForgotInput {
    #[serde(default)]
    email: String,
}

async fn forgot(
    State(ctx): State<ServiceContext>,
    session: Session,
    ClientIp(ip): ClientIp,
    CsrfForm(form): CsrfForm<ForgotInput>,
) -> PageResult {
    mail::require_enabled(&ctx)?;
    match mail::request_password_reset(&ctx, &ip, &form.email).await {
        Ok(()) => render(&ForgotPasswordPage {
            layout: Layout::new(&session, "Check your mail", "login"),
            email: String::new(),
            errors: FormErrors::none(),
            sent: true,
        }),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("email", "Email address")])?;
            render_status(
                status,
                &ForgotPasswordPage {
                    layout: Layout::new(&session, "Forgot your password?", "login"),
                    email: form.email,
                    errors,
                    sent: false,
                },
            )
        }
    }
}

#[derive(Template)]
#[template(path = "email_verified.html")]
struct EmailVerifiedPage {
    layout: Layout,
}

async fn verify(
    State(ctx): State<ServiceContext>,
    session: Session,
    ClientIp(ip): ClientIp,
    PagePath(token): PagePath<String>,
) -> PageResult {
    mail::verify_email(&ctx, &ip, &token).await?;
    render(&EmailVerifiedPage {
        layout: Layout::new(&session, "Address confirmed", "login"),
    })
}

#[derive(Template)]
#[template(path = "settings_email.html")]
struct EmailSettingsPage {
    layout: Layout,
    email: String,
    has_email: bool,
    verified: bool,
    digest: bool,
    mail_enabled: bool,
    /// The server confirms addresses (a "send a new link" button makes sense).
    verifies: bool,
    digests_offered: bool,
    errors: FormErrors,
    saved: Option<&'static str>,
}

impl EmailSettingsPage {
    async fn load(ctx: &ServiceContext, user: &SignedIn) -> Result<Self, WebError> {
        let (_, email) = hearth_service::users::me(ctx, &user.viewer).await?;
        let state = mail::account_state(ctx, &user.viewer).await?;
        let settings = &ctx.settings.email;
        Ok(Self {
            layout: Layout::new(&user.session, "E-mail", "settings"),
            has_email: email.is_some(),
            email: email.unwrap_or_default(),
            verified: state.email_verified,
            digest: state.email_digest,
            mail_enabled: mail::enabled(ctx),
            verifies: settings.verification() != hearth_core::settings::EmailVerification::Off,
            digests_offered: mail::enabled(ctx) && settings.digests,
            errors: FormErrors::none(),
            saved: None,
        })
    }
}

#[derive(Debug, Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn settings_page(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    crate::extract::PageQuery(query): crate::extract::PageQuery<SavedQuery>,
) -> PageResult {
    let mut page = EmailSettingsPage::load(&ctx, &user).await?;
    page.saved = match query.saved.as_deref() {
        Some("email") => Some("Your e-mail settings are saved."),
        Some("resent") => Some("A new confirmation link is on its way."),
        _ => None,
    };
    render(&page)
}

#[derive(Debug, Deserialize)]
struct EmailSettingsInput {
    #[serde(default)]
    email: String,
    /// Ticked: the hourly digest is on.
    email_digest: Option<String>,
}

async fn save_settings(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(form): CsrfForm<EmailSettingsInput>,
) -> PageResult {
    let result = match mail::change_email(&ctx, &user.viewer, &form.email).await {
        Ok(()) => mail::set_digest(&ctx, &user.viewer, form.email_digest.is_some()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other("/settings/email?saved=email")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(
                error,
                &[("email", "Email address"), ("email_digest", "The digest")],
            )?;
            let mut page = EmailSettingsPage::load(&ctx, &user).await?;
            page.email = form.email;
            page.errors = errors;
            render_status(status, &page)
        }
    }
}

async fn resend(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let (_, email) = hearth_service::users::me(&ctx, &user.viewer).await?;
    let result = match email {
        Some(email) => mail::resend_verification(&ctx, &email).await,
        None => Err(hearth_core::Error::validation(
            "email",
            "is needed first: this account has no address",
        )),
    };
    match result {
        Ok(()) => Ok(see_other("/settings/email?saved=resent")),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, &[("email", "Email address")])?;
            let mut page = EmailSettingsPage::load(&ctx, &user).await?;
            page.errors = errors;
            render_status(status, &page)
        }
    }
}
