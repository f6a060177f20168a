//! The one error type of Hearth: a machine-readable kind that decides the HTTP status and the
//! code clients see, plus an internal cause that is logged once and never sent to a client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::fmt;

/// What went wrong, as a client may learn it. Each kind has a stable snake_case code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A field of the request is invalid; the message names the field.
    Validation {
        /// The offending field, as the client spelled it.
        field: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The request body is not the JSON the endpoint expects.
    BadRequest(String),
    /// The caller is not signed in.
    Unauthorized,
    /// The caller is signed in but may not do this.
    Forbidden(String),
    /// The thing asked for does not exist.
    NotFound(String),
    /// A unique name is already taken.
    Conflict(String),
    /// The request body is larger than the configured cap.
    PayloadTooLarge,
    /// Too many requests; retry after this many seconds.
    RateLimited {
        /// Seconds until a retry can succeed.
        retry_after_secs: u64,
    },
    /// A dependency (the database) is not available right now.
    Unavailable(String),
    /// A bug or an unexpected failure; details are only logged.
    Internal,
}

impl ErrorKind {
    /// The stable, machine-readable code sent as `error`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "invalid_field",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "not_signed_in",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Internal => "internal_error",
        }
    }

    /// The HTTP status this kind maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The human sentence sent as `message`.
    pub fn message(&self) -> String {
        match self {
            Self::Validation { field, reason } => format!("{field}: {reason}"),
            Self::BadRequest(m) | Self::Forbidden(m) | Self::NotFound(m) | Self::Conflict(m) => {
                m.clone()
            }
            Self::Unavailable(m) => m.clone(),
            Self::Unauthorized => "You need to sign in to do this.".to_owned(),
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

    /// A validation error naming the field.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation {
            field: field.into(),
            reason: reason.into(),
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

/// Anything that converts into `anyhow::Error` is an internal error, with its cause kept for the log.
impl<E: Into<anyhow::Error>> From<E> for Error {
    fn from(source: E) -> Self {
        Self {
            kind: ErrorKind::Internal,
            source: Some(source.into()),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let body = serde_json::json!({ "error": self.kind.code(), "message": self.kind.message() });
        let mut response = (status, axum::Json(body)).into_response();
        if let ErrorKind::RateLimited { retry_after_secs } = self.kind {
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
}
