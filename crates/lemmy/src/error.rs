//! Errors in Lemmy's shape: `{"error": "<Lemmy's snake_case name>", "message": "…"}`, with
//! Lemmy 0.19's statuses (401 for a wrong login, 404 for something missing, 429 when rate
//! limited, 400 for the rest) — apps compare the `error` name, so Hearth's error codes are
//! translated to the Lemmy name that means the same thing.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hearth_core::error::ErrorKind;

/// An error of the v3 API.
#[derive(Debug)]
pub struct LemmyError {
    /// Lemmy's error name (`LemmyErrorType` in snake case).
    pub name: &'static str,
    /// A human sentence (Hearth's own message), sent as `message`.
    pub message: String,
    /// The HTTP status.
    pub status: StatusCode,
    /// Seconds to wait, for 429.
    retry_after_secs: Option<u64>,
}

/// What v3 handlers return.
pub type LemmyResult<T> = Result<T, LemmyError>;

impl LemmyError {
    /// An error with Lemmy's name and the status Lemmy gives it.
    pub fn new(name: &'static str, message: impl Into<String>) -> Self {
        let status = match name {
            "incorrect_login" => StatusCode::UNAUTHORIZED,
            "not_found" => StatusCode::NOT_FOUND,
            "rate_limit_error" => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            name,
            message: message.into(),
            status,
            retry_after_secs: None,
        }
    }

    /// `not_logged_in`: the endpoint needs a signed-in account.
    pub fn not_logged_in() -> Self {
        Self::new(
            "not_logged_in",
            "Sign in first: send the jwt from user/login as `Authorization: Bearer <jwt>`.",
        )
    }

    /// A feature Hearth does not have, answered as Lemmy answers a disabled one.
    pub fn unsupported(name: &'static str, what: &str) -> Self {
        Self::new(
            name,
            format!("{what} is not supported by this server (Hearth)."),
        )
    }

    /// Renames the error when it has Hearth's meaning `code` (e.g. a `name_taken` that is
    /// `community_already_exists` for this endpoint).
    pub fn rename(mut self, from: &'static str, to: &'static str) -> Self {
        if self.name == from {
            let message = std::mem::take(&mut self.message);
            let retry = self.retry_after_secs;
            self = Self::new(to, message);
            self.retry_after_secs = retry;
        }
        self
    }
}

impl From<hearth_core::Error> for LemmyError {
    fn from(error: hearth_core::Error) -> Self {
        let message = error.kind.message();
        let name = lemmy_name(&error.kind);
        match &error.kind {
            ErrorKind::RateLimited { retry_after_secs } => Self {
                retry_after_secs: Some(*retry_after_secs),
                ..Self::new(name, message)
            },
            ErrorKind::Internal | ErrorKind::Unavailable(_) => {
                let status = error.kind.status();
                // Log the cause as the JSON API does; the client gets Lemmy's `unknown`.
                tracing::error!(error = ?error, "v3 request failed");
                Self {
                    status,
                    // 503 while the database is away: apps may retry after this long.
                    retry_after_secs: error.kind.retry_after_secs(),
                    ..Self::new(name, message)
                }
            }
            _ => Self::new(name, message),
        }
    }
}

/// The Lemmy name of a Hearth error.
fn lemmy_name(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Validation { field, .. } => match field.as_str() {
            "title" | "name" => "invalid_post_title",
            "body" | "content" => "invalid_body_field",
            "url" => "invalid_url",
            "username" => "invalid_name",
            "display_name" => "invalid_display_name",
            "password" => "invalid_password",
            "email" => "email_required",
            "bio" => "bio_length_overflow",
            "reason" => "report_reason_required",
            "alt_text" => "alt_text_length_overflow",
            _ => "invalid_query",
        },
        ErrorKind::NotFound(_) => "not_found",
        ErrorKind::RateLimited { .. } => "rate_limit_error",
        ErrorKind::Internal | ErrorKind::Unavailable(_) => "unknown",
        ErrorKind::PayloadTooLarge => "too_many_items",
        ErrorKind::MethodNotAllowed | ErrorKind::UnsupportedMediaType => "invalid_query",
        _ => match kind.code() {
            "not_signed_in" | "invalid_token" => "not_logged_in",
            "invalid_credentials" | "wrong_password" => "incorrect_login",
            "totp_required" => "missing_totp_token",
            "totp_invalid" => "incorrect_totp_token",
            "banned" => "site_ban",
            "banned_from_community" => "banned_from_community",
            "account_not_approved" | "application_pending" => "registration_application_is_pending",
            "application_denied" => "registration_denied",
            "registration_closed" => "registration_closed",
            "email_not_verified" => "email_not_verified",
            "email_disabled" => "no_email_setup",
            "two_factor_required" => "two_factor_required",
            "name_taken" => "user_already_exists",
            "email_taken" => "email_already_exists",
            "not_moderator" | "outranked" => "not_a_moderator",
            "not_admin" => "not_an_admin",
            "locked" => "locked",
            "deleted" => "deleted",
            "community_removed" => "cannot_create_post_or_comment_in_deleted_or_removed_community",
            "downvotes_disabled" => "downvotes_are_disabled",
            "posting_restricted" => "only_mods_can_post_in_community",
            "community_creation_restricted" => "only_admins_can_create_communities",
            "federation_disabled" => "federation_disabled",
            "cannot_block_self" => "cant_block_yourself",
            "is_admin" => "cant_block_admin",
            "not_author" => "no_post_edit_allowed",
            "too_many_items" => "too_many_items",
            "not_uploader" => "not_a_mod_or_admin",
            "unsupported_image" | "unreadable_image" | "malformed_upload" => "not_an_image_type",
            "image_too_large" => "pictrs_response_error",
            "already_moderator" => "community_moderator_already_exists",
            "already_decided" => "couldnt_resolve_report",
            "duplicate" => "couldnt_create_report",
            "not_member" => "community_has_no_followers",
            "last_admin" => "no_admins",
            "last_moderator" => "not_top_mod",
            "invalid_query" | "malformed_json" | "unreadable_body" | "invalid_path" => {
                "invalid_query"
            }
            _ => "unknown",
        },
    }
}

impl IntoResponse for LemmyError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.name, "message": self.message });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hearth_codes_become_lemmy_names_with_lemmys_statuses() {
        let wrong = LemmyError::from(hearth_core::Error::unauthorized(
            "invalid_credentials",
            "Wrong username or password.",
        ));
        assert_eq!(
            (wrong.name, wrong.status),
            ("incorrect_login", StatusCode::UNAUTHORIZED)
        );
        let missing = LemmyError::from(hearth_core::Error::not_found("No such post."));
        assert_eq!(
            (missing.name, missing.status),
            ("not_found", StatusCode::NOT_FOUND)
        );
        let anonymous = LemmyError::from(hearth_core::Error::not_signed_in());
        assert_eq!(
            (anonymous.name, anonymous.status),
            ("not_logged_in", StatusCode::BAD_REQUEST)
        );
        let title = LemmyError::from(hearth_core::Error::validation("title", "is empty"));
        assert_eq!(title.name, "invalid_post_title");
        let taken = LemmyError::from(hearth_core::Error::conflict("name_taken", "Taken."))
            .rename("user_already_exists", "community_already_exists");
        assert_eq!(taken.name, "community_already_exists");
    }
}
