//! Request extractors of the pages: the session, a required sign-in, query strings and paths
//! whose errors become error pages, and CSRF-checked form bodies.

use crate::page::{WebError, encode_query_value, same_site_referer, see_other};
use crate::session::{Session, session, tokens_match};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use hearth_core::Error;
use hearth_core::nul::{NUL_MESSAGE, urlencoded_has_nul};
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use serde::de::DeserializeOwned;

/// The name of the hidden field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

impl FromRequestParts<ServiceContext> for Session {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(session(parts, ctx).await?)
    }
}

/// A signed-in visitor. Anyone else is sent to the sign-in page, and back here afterwards.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The account.
    pub viewer: Viewer,
    /// The whole session.
    pub session: Session,
}

impl FromRequestParts<ServiceContext> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        let session = session(parts, ctx)
            .await
            .map_err(|e| WebError(e).into_response())?;
        match session.viewer.clone() {
            Some(viewer) => Ok(Self { viewer, session }),
            None => {
                // After a POST the form is gone; come back to where it was, or the front page.
                let back = if parts.method == Method::GET {
                    parts
                        .uri
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|| "/".to_owned())
                } else {
                    same_site_referer(&parts.headers).unwrap_or_else(|| "/".to_owned())
                };
                Err(see_other(&format!(
                    "/login?next={}",
                    encode_query_value(&back)
                )))
            }
        }
    }
}

/// A query string; one that does not parse is a 400 page.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if urlencoded_has_nul(query.as_bytes()) {
            return Err(WebError(Error::bad_request("invalid_query", NUL_MESSAGE)));
        }
        serde_urlencoded::from_str(query).map(Self).map_err(|_| {
            WebError(Error::bad_request(
                "invalid_query",
                "This address is not valid: its query string could not be read.",
            ))
        })
    }
}

/// Path parameters; ones that do not parse (`/post/abc`) name nothing, so they are a 404 page.
pub struct PagePath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PagePath<T> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if urlencoded_has_nul(parts.uri.path().as_bytes()) {
            return Err(WebError::not_found("There is nothing at this address."));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|_| WebError::not_found("There is nothing at this address."))
    }
}

/// A form with nothing but its CSRF token (join, leave, delete, log out).
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

/// A urlencoded form whose hidden `csrf_token` field matches the visitor's CSRF cookie. A
/// mismatch (or a request a browser marked as coming from another site) is a 403 page.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<ServiceContext> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, ctx: &ServiceContext) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = session(&mut parts, ctx).await?;
        let cross_site = cross_site(&parts.headers);
        let bytes = Bytes::from_request(Request::from_parts(parts, body), ctx)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    WebError(Error::new(hearth_core::ErrorKind::PayloadTooLarge))
                } else {
                    WebError(Error::bad_request(
                        "unreadable_form",
                        "The form could not be read.",
                    ))
                }
            })?;
        let sent = url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
        if cross_site || !csrf_token_matches(&session, sent.as_deref()) {
            return Err(csrf_refused());
        }
        if urlencoded_has_nul(&bytes) {
            return Err(WebError(Error::bad_request("unreadable_form", NUL_MESSAGE)));
        }
        serde_urlencoded::from_bytes(&bytes).map(Self).map_err(|_| {
            WebError(Error::bad_request(
                "unreadable_form",
                "The form could not be read.",
            ))
        })
    }
}

/// True when the browser marked the request as coming from another site (`Sec-Fetch-Site`).
pub fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
}

/// True when a form's `csrf_token` field (`sent`) matches the visitor's CSRF cookie.
pub fn csrf_token_matches(session: &Session, sent: Option<&str>) -> bool {
    sent.is_some_and(|token| tokens_match(token, &session.csrf))
}

/// The 403 page of a form whose CSRF token is missing or wrong, or that came from another site.
pub fn csrf_refused() -> WebError {
    WebError(Error::forbidden(
        "csrf",
        "This form has expired or did not come from this site. Go back, reload the page and \
         try again.",
    ))
}

/// The client's IP address, for the per-address rate limits of sign-in and sign-up: the peer's,
/// or the first address in `http.client_ip_header` behind a reverse proxy (as the API does).
pub struct ClientIp(pub String);

impl FromRequestParts<ServiceContext> for ClientIp {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(hearth_core::client::client_ip(&ctx.settings, parts)))
    }
}

/// The `User-Agent`, to label the session's token in the account's token list.
pub fn user_agent(headers: &HeaderMap) -> &str {
    headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
