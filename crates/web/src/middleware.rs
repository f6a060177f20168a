//! The middleware around every page. After the handler has run it renders the error page a
//! `page::WebError` asked for, with the visitor's context (or sends a visitor who must sign in
//! to the sign-in page); sets the cookies that loading the session decided on (a first CSRF
//! token, the removal of a session cookie whose token no longer works); and adds the security
//! headers (content security policy, nosniff, referrer policy, no framing, no shared caching).
//! Inside it, the first-run gate sends every page to the setup page while the instance has no
//! administrator.

use crate::page::{ErrorPage, encode_query_value, render_error, see_other};
use crate::routes::setup::PATH as SETUP_PATH;
use crate::session::{CookieChanges, FRAGMENT_HEADER, Session, SessionSlot, fallback_session};
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, RETRY_AFTER, SET_COOKIE,
    VARY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_core::ErrorKind;
use hearth_service::ServiceContext;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The content security policy of every page: scripts and styles only from our own origin (no
/// inline script, no inline style), images only from our own origin too (pages show our uploads
/// and our cached copies of other servers' pictures, never another server's URL, so a reader's
/// browser asks nobody else for anything), forms only to ourselves, and no framing.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; img-src 'self'; \
     style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";

/// The middleware around every page: see the module documentation.
pub async fn around_pages(mut request: Request, next: Next) -> Response {
    let slot = SessionSlot::default();
    request.extensions_mut().insert(slot.clone());
    let fragment = request.headers().contains_key(FRAGMENT_HEADER);
    let method = request.method().clone();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let response = next.run(request).await;
    match slot.take() {
        Some((session, changes)) => finish(&session, Some(changes), &method, &target, response),
        None => finish(
            &fallback_session(fragment),
            None,
            &method,
            &target,
            response,
        ),
    }
}

/// Whether the first-run setup still waits, as the gate sees it. Until an administrator exists
/// each page asks the database (another process may finish the setup); once one does, the answer
/// is kept and pages cost nothing more.
#[derive(Clone)]
pub struct SetupGate {
    ctx: ServiceContext,
    done: Arc<AtomicBool>,
}

impl SetupGate {
    /// A gate that reads `ctx`'s database.
    pub fn new(ctx: ServiceContext) -> Self {
        Self {
            ctx,
            done: Arc::new(AtomicBool::new(false)),
        }
    }

    async fn pending(&self) -> bool {
        if self.done.load(Ordering::Relaxed) {
            return false;
        }
        match hearth_service::setup::pending(&self.ctx).await {
            Ok(true) => true,
            Ok(false) => {
                self.done.store(true, Ordering::Relaxed);
                false
            }
            Err(e) => {
                // The page itself will meet the database and show its error.
                tracing::warn!(error = ?e, "cannot tell whether setup is pending");
                false
            }
        }
    }
}

/// While the instance has no administrator, every page but the setup page redirects to it
/// (Lemmy does the same). The API, federation and the assets are not behind this layer.
pub async fn first_run_setup(
    State(gate): State<SetupGate>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() != SETUP_PATH && gate.pending().await {
        return see_other(SETUP_PATH);
    }
    next.run(request).await
}

fn finish(
    session: &Session,
    changes: Option<CookieChanges>,
    method: &Method,
    target: &str,
    mut response: Response,
) -> Response {
    if let Some(ErrorPage(kind)) = response.extensions_mut().remove::<ErrorPage>() {
        let retry_after = response.headers().get(RETRY_AFTER).cloned();
        response = error_response(session, kind, method, target);
        if let Some(value) = retry_after {
            response.headers_mut().insert(RETRY_AFTER, value);
        }
    }
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(CACHE_CONTROL) {
        // Pages differ per visitor and carry the visitor's CSRF token: never share them.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
    if let Some(changes) = changes {
        // A cookie the handler set (signing in) wins over what loading the session decided.
        let names = session.cookie_names();
        if let Some(csrf) = changes.new_csrf
            && !sets_cookie(headers, names.csrf)
        {
            headers.append(SET_COOKIE, csrf);
        }
        if changes.stale_session && !sets_cookie(headers, names.session) {
            headers.append(SET_COOKIE, session.clear_session_cookie());
        }
    }
    response
}

/// True when the response already sets the cookie `name`.
fn sets_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(SET_COOKIE).iter().any(|v| {
        v.as_bytes()
            .strip_prefix(name.as_bytes())
            .is_some_and(|rest| rest.starts_with(b"="))
    })
}

/// Turns an error kind into the page (or, for the enhancement script, the fragment) shown.
/// A visitor who must sign in is sent to the sign-in page and brought back afterwards.
fn error_response(session: &Session, kind: ErrorKind, method: &Method, target: &str) -> Response {
    if matches!(
        kind,
        ErrorKind::Unauthorized {
            code: "not_signed_in",
            ..
        }
    ) && !session.fragment
    {
        let back = if method == Method::GET { target } else { "/" };
        let location = format!("/login?next={}", encode_query_value(back));
        return (
            StatusCode::SEE_OTHER,
            [(
                LOCATION,
                HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/login")),
            )],
        )
            .into_response();
    }
    render_error(session, &kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_security_policy_allows_no_inline_code() {
        assert!(!CONTENT_SECURITY_POLICY_VALUE.contains("unsafe-inline"));
    }

    #[test]
    fn pages_load_images_from_this_server_only() {
        let img_src = CONTENT_SECURITY_POLICY_VALUE
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("img-src"))
            .unwrap();
        assert_eq!(img_src, "img-src 'self'");
    }
}
