//! Signing up, signing in and signing out. A successful sign-in stores the token issued by
//! `hearth_service::auth::login` in the session cookie; signing out revokes it.

use crate::extract::{ClientIp, CsrfForm, NoFields, PageQuery, user_agent};
use crate::forms::{FormErrors, errors_with};
use crate::page::local_path;
use crate::page::{Layout, PageResult, render, render_status, see_other};
use crate::session::Session;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hearth_service::ServiceContext;
use hearth_service::auth::{self, Registration};
use hearth_service::rate_limit::{self, Action};
use hearth_service::two_factor::SecondFactor;
use secrecy::SecretString;
use serde::Deserialize;

/// The account routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/signup", get(signup_form).post(signup))
        .route("/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    errors: FormErrors,
    /// The account uses two-factor sign-in: show the code field.
    ask_code: bool,
    /// This server sends mail: offer "Forgot your password?".
    can_reset: bool,
}

async fn login_form(
    State(ctx): State<ServiceContext>,
    session: Session,
    PageQuery(query): PageQuery<NextQuery>,
) -> PageResult {
    let next = local_path(query.next.as_deref());
    if session.viewer.is_some() {
        return Ok(see_other(&next));
    }
    render(&LoginPage {
        layout: Layout::new(&session, "Log in", "login"),
        username: String::new(),
        next,
        errors: FormErrors::none(),
        ask_code: false,
        can_reset: hearth_service::mail::enabled(&ctx),
    })
}

#[derive(Debug, Deserialize)]
struct LoginInput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The second step of a two-factor sign-in: the app's code or a recovery code.
    #[serde(default)]
    code: String,
    next: Option<String>,
}

/// The label of a session's token in the account's token list.
pub(crate) fn token_label(headers: &HeaderMap) -> String {
    format!("web: {}", user_agent(headers))
}

/// A redirect to `location` that signs the browser in with `token`.
pub(crate) fn signed_in_redirect(
    session: &Session,
    token: &auth::IssuedToken,
    location: &str,
) -> Response {
    let mut response = see_other(location);
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, session.session_cookie(auth::reveal(token)));
    headers.append(SET_COOKIE, session.fresh_csrf_cookie());
    response
}

async fn login(
    State(ctx): State<ServiceContext>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<LoginInput>,
) -> PageResult {
    let next = local_path(form.next.as_deref());
    let result = match rate_limit::check(&ctx, Action::Login, &ip).await {
        Ok(()) => {
            auth::login_with(
                &ctx,
                &form.username,
                SecretString::from(form.password),
                &second_factor(&form.code),
                &token_label(&headers),
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(token) => Ok(signed_in_redirect(&session, &token, &next)),
        Err(error) => {
            let ask_code = matches!(error.kind.code(), "totp_required" | "totp_invalid");
            let (status, errors) = FormErrors::from_error(error, &[("username", "Username")])?;
            render_status(
                status,
                &LoginPage {
                    layout: Layout::new(&session, "Log in", "login"),
                    username: form.username,
                    next,
                    errors,
                    ask_code,
                    can_reset: hearth_service::mail::enabled(&ctx),
                },
            )
        }
    }
}

/// The login form's code field as a second factor: six digits are the authenticator app's code,
/// anything longer a recovery code.
fn second_factor(code: &str) -> SecondFactor {
    let code = code.trim();
    if code.is_empty() {
        SecondFactor::none()
    } else if code.chars().all(|c| c.is_ascii_digit() || c == ' ') {
        SecondFactor {
            totp_code: Some(code.to_owned()),
            recovery_code: None,
        }
    } else {
        SecondFactor {
            totp_code: None,
            recovery_code: Some(code.to_owned()),
        }
    }
}

/// What the sign-up form sends (the password is never shown again).
#[derive(Debug, Default, Deserialize)]
struct SignupInput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    application_answer: String,
}

const SIGNUP_FIELDS: &crate::forms::Fields = &[
    ("username", "Username"),
    ("password", "Password"),
    ("email", "Email address"),
    ("display_name", "Display name"),
    ("application_answer", "Your answer"),
];

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    layout: Layout,
    form: SignupInput,
    errors: FormErrors,
    mode: String,
    question: String,
    /// The server confirms every address: the field is not optional.
    email_required: bool,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticePage {
    layout: Layout,
    heading: &'static str,
    message: String,
}

fn signup_page(
    ctx: &ServiceContext,
    session: &Session,
    form: SignupInput,
    errors: FormErrors,
) -> SignupPage {
    SignupPage {
        email_required: ctx.settings.email.verification()
            == hearth_core::settings::EmailVerification::Required,
        layout: Layout::new(session, "Sign up", "signup"),
        form,
        errors,
        mode: session.site.registration_mode.as_str().to_owned(),
        question: session.site.application_question.clone(),
    }
}

async fn signup_form(State(ctx): State<ServiceContext>, session: Session) -> PageResult {
    if session.viewer.is_some() {
        return Ok(see_other("/"));
    }
    render(&signup_page(
        &ctx,
        &session,
        SignupInput::default(),
        FormErrors::none(),
    ))
}

async fn signup(
    State(ctx): State<ServiceContext>,
    session: Session,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    CsrfForm(mut form): CsrfForm<SignupInput>,
) -> PageResult {
    let password = std::mem::take(&mut form.password);
    let optional = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let registered = match rate_limit::check(&ctx, Action::Register, &ip).await {
        Ok(()) => {
            auth::register(
                &ctx,
                Registration {
                    username: form.username.clone(),
                    password: SecretString::from(password.clone()),
                    email: optional(&form.email),
                    display_name: optional(&form.display_name),
                    application_answer: optional(&form.application_answer),
                },
            )
            .await
        }
        Err(e) => Err(e),
    };
    let registered = match registered {
        Ok(r) => r,
        Err(error) => {
            let (status, errors) = match error.kind.code() {
                "email_taken" => errors_with(error, SIGNUP_FIELDS, "email_taken", "email")?,
                _ => errors_with(error, SIGNUP_FIELDS, "name_taken", "username")?,
            };
            return render_status(status, &signup_page(&ctx, &session, form, errors));
        }
    };
    if registered.pending {
        return render(&NoticePage {
            layout: Layout::new(&session, "Application sent", "signup"),
            heading: "Thank you for applying",
            message: format!(
                "Your account {} waits for an administrator's approval. You can log in once it \
                 is approved.",
                registered.name
            ),
        });
    }
    if ctx.settings.email.verification() == hearth_core::settings::EmailVerification::Required {
        // Signing in waits for the address: the mailed link confirms it.
        return render(&NoticePage {
            layout: Layout::new(&session, "Confirm your address", "signup"),
            heading: "Check your mail",
            message: format!(
                "Your account {} is made. Open the link we mailed you to confirm your address,                  then log in.",
                registered.name
            ),
        });
    }
    let token = auth::login(
        &ctx,
        registered.name.as_str(),
        SecretString::from(password),
        &token_label(&headers),
    )
    .await?;
    Ok(signed_in_redirect(&session, &token, "/"))
}

async fn logout(
    State(ctx): State<ServiceContext>,
    session: Session,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    if let Some(viewer) = &session.viewer {
        auth::revoke(&ctx, viewer, viewer.token_id).await?;
    }
    let mut response = see_other("/").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, session.clear_session_cookie());
    Ok(response)
}
