//! Request extractors whose failures answer in Lemmy's error shape: a query string (GET) and a
//! JSON body (POST/PUT) that cannot be read (or that holds U+0000) become `invalid_query` with
//! the reason.

use crate::error::LemmyError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use hearth_core::nul::{NUL_MESSAGE, json_has_nul, urlencoded_has_nul};
use serde::de::DeserializeOwned;

/// The query string of a GET, as lemmy-js-client sends its forms.
pub struct LemmyQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for LemmyQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = LemmyError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        if urlencoded_has_nul(query.as_bytes()) {
            return Err(LemmyError::new("invalid_query", NUL_MESSAGE));
        }
        serde_urlencoded::from_str(query)
            .map(Self)
            .map_err(|e| LemmyError::new("invalid_query", format!("The query is invalid: {e}.")))
    }
}

/// A JSON body of a POST or PUT.
pub struct LemmyJson<T>(pub T);

impl<T, S> FromRequest<S> for LemmyJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = LemmyError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| {
                LemmyError::new("invalid_query", format!("The body cannot be read: {e}."))
            })?;
        // Lemmy reads a body whatever its content type says; so do we.
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        if json_has_nul(body) {
            return Err(LemmyError::new("invalid_query", NUL_MESSAGE));
        }
        serde_json::from_slice(body)
            .map(Self)
            .map_err(|e| LemmyError::new("invalid_query", format!("The body is invalid: {e}.")))
    }
}
