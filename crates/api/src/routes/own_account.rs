//! The signed-in account changing itself: its public profile, and its deletion.

use crate::auth::AuthUser;
use crate::extract::ApiJson;
use crate::views::ErrorBody;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::account_deletion::{self, AccountDeletion};
use hearth_service::settings::{self, ProfileUpdate};
use secrecy::SecretString;
use serde::Deserialize;
use utoipa::ToSchema;

/// A new public profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// Shown instead of the username (at most 100 characters); empty or absent clears it.
    pub display_name: Option<String>,
    /// The bio as markdown (at most 5,000 characters); empty or absent clears it.
    #[serde(default)]
    pub bio: String,
    /// The avatar: a picture uploaded here (`POST /api/v1/media`); `null` removes it, absent
    /// leaves it as it is.
    #[serde(default, deserialize_with = "crate::routes::posts::present")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
    /// The banner, likewise.
    #[serde(default, deserialize_with = "crate::routes::posts::present")]
    #[schema(value_type = Option<String>)]
    pub banner_url: Option<Option<String>>,
}

/// Replaces the signed-in account's display name and bio, and sets or removes its avatar and
/// banner when given; other servers that know the person get the new profile
/// (`Update{Person}`).
#[utoipa::path(put, path = "/api/v1/me/profile", tag = "accounts", security(("bearer" = [])),
    request_body = ProfileRequest,
    responses(
        (status = 204),
        (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "invalid_body"),
    ))]
pub async fn update_profile(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<ProfileRequest>,
) -> Result<StatusCode> {
    let update = ProfileUpdate {
        display_name: body.display_name,
        bio: body.bio,
        avatar_url: body.avatar_url,
        banner_url: body.banner_url,
    };
    settings::update_profile(&ctx, &viewer, update).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deleting the account: the password again, and what becomes of what it wrote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's password.
    pub password: String,
    /// `true`: posts and comments are deleted and blanked; `false`: they stay, the author shown
    /// as "[deleted]".
    pub delete_content: bool,
}

/// Deletes the signed-in account. The name stays taken; every token ends at once; the
/// account's memberships and moderator seats end (a community left without moderators passes
/// to the site's admins); other servers that know the person hear it (`Delete{Person}`).
#[utoipa::path(post, path = "/api/v1/account/delete", tag = "accounts", security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "wrong_password"),
        (status = 409, body = ErrorBody, description = "last_admin"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn delete_account(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<DeleteAccountRequest>,
) -> Result<StatusCode> {
    let deletion = AccountDeletion {
        password: SecretString::from(body.password),
        delete_content: body.delete_content,
    };
    account_deletion::delete_account(&ctx, &viewer, deletion).await?;
    Ok(StatusCode::NO_CONTENT)
}
