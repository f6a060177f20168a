//! Request extractors that turn every bad input into Hearth's error shape instead of axum's
//! plain-text rejections: JSON bodies, query strings, paths, the client's IP address.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use hearth_core::nul::{NUL_MESSAGE, json_has_nul, urlencoded_has_nul};
use hearth_core::{Error, ErrorKind};
use hearth_service::ServiceContext;
use serde::de::DeserializeOwned;

/// A JSON body. Malformed JSON is 400 `malformed_json`; JSON of the wrong shape (wrong types,
/// unknown or missing fields, text with U+0000) is 422 `invalid_body` naming the field; a body
/// over the cap is 413; one that is not JSON (by its `Content-Type`) is 415.
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(Error::new(ErrorKind::UnsupportedMediaType));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Error::new(ErrorKind::PayloadTooLarge)
                } else {
                    Error::bad_request("unreadable_body", clean(&rejection.body_text()))
                }
            })?;
        // PostgreSQL's text cannot hold U+0000, so a string with one would fail deep in the
        // database (a 500); it is refused here, for every endpoint at once.
        if json_has_nul(&bytes) {
            return Err(Error::new(ErrorKind::Unprocessable {
                code: "invalid_body",
                message: NUL_MESSAGE.to_owned(),
            }));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// `Content-Type: application/json`, or another JSON type (`application/…+json`), as axum's
/// `Json` accepts them.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// `Option<ApiJson<T>>`: no body at all (no `Content-Type`, nothing sent) is `None`, so that
/// endpoints whose fields are all optional accept a bare POST.
impl<T, S> axum::extract::OptionalFromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers();
        let empty = !headers.contains_key(axum::http::header::CONTENT_TYPE)
            && headers
                .get(axum::http::header::CONTENT_LENGTH)
                .is_none_or(|len| len == "0");
        if empty {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::JsonDataError(e) => Error::new(ErrorKind::Unprocessable {
            code: "invalid_body",
            message: clean(&e.body_text()),
        }),
        JsonRejection::JsonSyntaxError(e) => {
            Error::bad_request("malformed_json", clean(&e.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => Error::new(ErrorKind::UnsupportedMediaType),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Error::new(ErrorKind::PayloadTooLarge)
        }
        other => Error::bad_request("unreadable_body", clean(&other.body_text())),
    }
}

/// Drops axum's generic prefix, keeping serde's description (which names the field).
fn clean(text: &str) -> String {
    let text = text
        .trim_start_matches("Failed to deserialize the JSON body into the target type: ")
        .trim_start_matches("Failed to parse the request body as JSON: ")
        .trim_start_matches("Failed to deserialize query string: ");
    format!("The request is not valid: {text}")
}

/// A query string; a malformed one (or one with `%00`) is 400 `invalid_query`.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts
            .uri
            .query()
            .is_some_and(|q| urlencoded_has_nul(q.as_bytes()))
        {
            return Err(Error::bad_request("invalid_query", NUL_MESSAGE));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| Error::bad_request("invalid_query", clean(&e.body_text())))
    }
}

/// Path parameters; ones that do not parse (an id that is not a number, a `%00`) are 400
/// `invalid_path`.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if urlencoded_has_nul(parts.uri.path().as_bytes()) {
            return Err(Error::bad_request("invalid_path", NUL_MESSAGE));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| Error::bad_request("invalid_path", e.body_text()))
    }
}

/// The client's IP address: the peer's, or the first address in the header named by
/// `http.client_ip_header` when Hearth runs behind a reverse proxy.
pub struct ClientIp(pub String);

impl FromRequestParts<ServiceContext> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(hearth_core::client::client_ip(&ctx.settings, parts)))
    }
}

/// The client's `User-Agent`, to label tokens in the token list.
pub fn user_agent(headers: &axum::http::HeaderMap) -> String {
    hearth_core::client::user_agent(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types_are_told_from_others() {
        let with = |value: &str| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(
                axum::http::header::CONTENT_TYPE,
                value.parse().expect("a header value"),
            );
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/activity+json"));
        assert!(!with("text/json"));
        assert!(!with("text/plain"));
        assert!(!is_json(&axum::http::HeaderMap::new()));
    }
}
