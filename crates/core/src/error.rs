//! The one error type of Hearth: a kind that decides the HTTP status and the machine-readable
//! code clients see, plus an internal cause that is logged once and never sent to a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::fmt;

/// What went wrong, as a client may learn it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A field of the request is invalid (400 `invalid_field`); the message names the field.
    Validation {
        /// The offending field, as the client spelled it.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The request cannot be read (400), e.g. `malformed_json`.
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// Well-formed but not what the endpoint takes (422), e.g. `invalid_body`.
    Unprocessable {
        /// Machine-readable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// The body is not JSON (415 `unsupported_media_type`).
    UnsupportedMediaType,
    /// Not signed in, or the credentials are wrong (401).
    Unauthorized {
        /// `not_signed_in`, `invalid_token` or `invalid_credentials`.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// Signed in but not allowed (403), e.g. `not_moderator`.
    Forbidden {
        /// Machine-readable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// The thing asked for does not exist (404 `not_found`).
    NotFound(String),
    /// The path exists but not with this method (405 `method_not_allowed`).
    MethodNotAllowed,
    /// The request conflicts with what exists (409), e.g. `name_taken`.
    Conflict {
        /// Machine-readable code.
        code: &'static str,
        /// Human sentence.
        message: String,
    },
    /// The request body is larger than the configured cap (413).
    PayloadTooLarge,
    /// Too many requests (429); retry after this many seconds.
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is not available right now (503).
    Unavailable(String),
    /// A bug or an unexpected failure (500); details are only logged.
    Internal,
}

impl ErrorKind {
    /// The stable, machine-readable code sent as `error`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "invalid_field",
            Self::BadRequest { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. } => code,
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal => "internal_error",
        }
    }

    /// The HTTP status this kind maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } | Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The seconds a client should wait before retrying (`Retry-After`), for the kinds that
    /// have one: 429 and 503.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// The human sentence sent as `message`.
    pub fn message(&self) -> String {
        match self {
            Self::Validation { field, reason } => format!("{field}: {reason}"),
            Self::BadRequest { message, .. }
            | Self::Unprocessable { message, .. }
            | Self::Unauthorized { message, .. }
            | Self::Forbidden { message, .. }
            | Self::Conflict { message, .. } => message.clone(),
            Self::NotFound(m) | Self::Unavailable(m) => m.clone(),
            Self::UnsupportedMediaType => {
                "Send the body as JSON with `Content-Type: application/json`.".to_owned()
            }
            Self::MethodNotAllowed => "This address does not take this method.".to_owned(),
            Self::PayloadTooLarge => "The request body is too large.".to_owned(),
            Self::RateLimited { retry_after_secs } => {
                format!("Too many requests; try again in {retry_after_secs} s.")
            }
            Self::Internal => "Something went wrong on our side; it has been logged.".to_owned(),
        }
    }
}

/// Hearth's error: a kind for the client and an optional cause for the log.
pub struct Error {
    /// What the client is told.
    pub kind: ErrorKind,
    /// Why it happened, for the log only.
    pub source: Option<anyhow::Error>,
}

/// Shorthand used across the workspace.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of this kind with no further cause.
    pub fn new(kind: ErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// 400 `invalid_field`, naming the field.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation {
            field: field.into(),
            reason: reason.into(),
        })
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest {
            code,
            message: message.into(),
        })
    }

    /// 401 `not_signed_in`.
    pub fn not_signed_in() -> Self {
        Self::unauthorized("not_signed_in", "You need to sign in to do this.")
    }

    /// 401 with a code.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized {
            code,
            message: message.into(),
        })
    }

    /// 403 with a code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden {
            code,
            message: message.into(),
        })
    }

    /// 404 `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound(message.into()))
    }

    /// 409 with a code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict {
            code,
            message: message.into(),
        })
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {:?}", self.kind.code(), source),
            None => write!(f, "{}: {}", self.kind.code(), self.kind.message()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kind.message())
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the database is unavailable: long
/// enough not to hammer a restarting server, short enough that a brief outage costs little.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

/// Anything that converts into `anyhow::Error` is an internal error, with its cause kept for the
/// log, unless the cause says the database cannot be reached right now: that is 503
/// `unavailable`, which clients and other servers retry.
impl<E: Into<anyhow::Error>> From<E> for Error {
    fn from(source: E) -> Self {
        let source = source.into();
        let kind = if database_unreachable(&source) {
            ErrorKind::Unavailable(
                "The database cannot be reached right now; try again shortly.".to_owned(),
            )
        } else {
            ErrorKind::Internal
        };
        Self {
            kind,
            source: Some(source),
        }
    }
}

/// Whether `error` (or anything in its chain of causes) says the database is down or cannot be
/// reached, as opposed to a query that is wrong. Classified here, where every `?` on a sqlx
/// error becomes our error, rather than at each call site: a handler cannot forget it. This is
/// why hearth_core depends on sqlx (for its error type only; hearth_core still does no I/O).
pub fn database_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<sqlx::Error>()
            .is_some_and(sqlx_error_is_unavailability)
    })
}

fn sqlx_error_is_unavailability(error: &sqlx::Error) -> bool {
    match error {
        // No connection came free within `database.acquire_timeout_secs` (the server is down or
        // every connection is busy), or the connection broke: refused, reset, closed, no socket.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08xxx: connection exceptions. 57P01 admin_shutdown, 57P02 crash_shutdown,
            // 57P03 cannot_connect_now (starting up or shutting down), 53300
            // too_many_connections: the server is there but cannot serve us at the moment.
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut body =
            serde_json::json!({ "error": self.kind.code(), "message": self.kind.message() });
        if let ErrorKind::Validation { field, .. } = &self.kind {
            body["field"] = serde_json::Value::from(field.as_str());
        }
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(retry_after_secs) = self.kind.retry_after_secs() {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_cause_is_never_in_the_message() {
        let err: Error = anyhow::anyhow!("password=hunter2 leaked").into();
        assert_eq!(err.kind, ErrorKind::Internal);
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn validation_message_names_the_field() {
        let err = Error::validation("username", "must be 3 to 30 characters");
        assert_eq!(err.kind.code(), "invalid_field");
        assert!(err.to_string().starts_with("username:"));
    }

    #[test]
    fn an_unreachable_database_is_unavailable_and_a_bad_query_is_internal() {
        let timed_out: Error = sqlx::Error::PoolTimedOut.into();
        assert_eq!(timed_out.kind.code(), "unavailable");
        let refused: Error =
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)).into();
        assert_eq!(refused.kind.code(), "unavailable");
        // Wrapped in context, as service code does with `anyhow::Context`.
        let wrapped: Error = anyhow::Error::from(sqlx::Error::PoolTimedOut)
            .context("loading the feed")
            .into();
        assert_eq!(wrapped.kind.code(), "unavailable");
        let missing: Error = sqlx::Error::RowNotFound.into();
        assert_eq!(missing.kind, ErrorKind::Internal);
        let decode: Error = sqlx::Error::ColumnNotFound("name".to_owned()).into();
        assert_eq!(decode.kind, ErrorKind::Internal);
    }

    #[test]
    fn unavailable_responses_carry_retry_after() {
        let response: Response = Error::from(sqlx::Error::PoolTimedOut).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()["retry-after"],
            UNAVAILABLE_RETRY_AFTER_SECS.to_string().as_str()
        );
    }

    #[test]
    fn rate_limited_responses_carry_retry_after() {
        let response = Error::new(ErrorKind::RateLimited {
            retry_after_secs: 7,
        })
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()["retry-after"], "7");
    }
}
