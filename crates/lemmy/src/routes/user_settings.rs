//! The signed-in account's own settings as Lemmy apps change them: `PUT user/save_user_settings`
//! (profile, avatar and banner, the preferences Hearth has), `PUT user/change_password` (a new
//! jwt; every other session ends), `POST user/delete_account`, `POST user/password_reset` (a reset
//! link by mail, or Lemmy's `no_email_setup` when this server sends none) and `GET account/list_media`.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::pictrs;
use crate::routes::account::Client;
use crate::views::media::{ListMedia, ListMediaResponse, LocalImageView};
use crate::views::{Person, SuccessResponse};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use hearth_service::ServiceContext;
use hearth_service::auth::TokenKind;
use hearth_service::settings::{self, ProfileUpdate};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/user/save_user_settings", put(save_user_settings))
        .route("/user/change_password", put(change_password))
        .route("/user/delete_account", post(delete_account))
        .route("/user/password_reset", post(password_reset))
        .route("/account/list_media", get(list_media))
}

/// `SaveUserSettings`: every field optional; absent means unchanged. The fields Hearth has no
/// notion of (bot account, languages, display preferences of Lemmy's web client) are accepted and
/// ignored, as their values are presentation choices of the app.
#[derive(Deserialize)]
struct SaveUserSettings {
    show_nsfw: Option<bool>,
    theme: Option<String>,
    avatar: Option<String>,
    banner: Option<String>,
    display_name: Option<String>,
    email: Option<String>,
    bio: Option<String>,
}

async fn save_user_settings(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<SaveUserSettings>,
) -> LemmyResult<Json<SuccessResponse>> {
    let current = settings::get(&ctx, &viewer).await?;
    if let Some(email) = form
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (_, stored) = hearth_service::users::me(&ctx, &viewer).await?;
        if !stored.is_some_and(|s| s.eq_ignore_ascii_case(email)) {
            return Err(LemmyError::new(
                "couldnt_update_user",
                "Changing the email address is not supported by this server yet.",
            ));
        }
    }
    // Lemmy: an empty string removes a picture; a URL (often `/pictrs/image/…` from an upload
    // just made) sets it.
    let picture = |value: Option<String>| -> Option<Option<String>> {
        value.map(|url| {
            let url = url.trim();
            (!url.is_empty()).then(|| pictrs::media_url(&ctx, url))
        })
    };
    let profile_changed = form.display_name.is_some()
        || form.bio.is_some()
        || form.avatar.is_some()
        || form.banner.is_some();
    if profile_changed {
        settings::update_profile(
            &ctx,
            &viewer,
            ProfileUpdate {
                display_name: form.display_name.or(current.display_name),
                bio: form.bio.unwrap_or(current.bio),
                avatar_url: picture(form.avatar),
                banner_url: picture(form.banner),
            },
        )
        .await
        .map_err(|e| LemmyError::from(e).rename("unknown", "couldnt_update_user"))?;
    }
    let mut preferences = current.preferences;
    if let Some(show_nsfw) = form.show_nsfw {
        preferences.show_nsfw = show_nsfw;
    }
    // Lemmy's theme names are its web client's stylesheets; the ones Hearth has are kept.
    if let Some(theme) = form.theme.as_deref() {
        let known = match theme {
            "browser" => Some("system"),
            "darkly" | "darkly-red" | "darkly-pureblack" | "dark" => Some("dark"),
            "litely" | "litely-red" | "light" => Some("light"),
            "system" => Some("system"),
            _ => None,
        };
        if let Some(name) = known {
            preferences.theme = settings::Theme::parse(name)?;
        }
    }
    if preferences != current.preferences {
        settings::update_preferences(&ctx, &viewer, preferences).await?;
    }
    Ok(Json(SuccessResponse::OK))
}

/// `ChangePassword`.
#[derive(Deserialize)]
struct ChangePassword {
    new_password: String,
    new_password_verify: String,
    old_password: String,
}

/// `LoginResponse`, as `change_password` answers.
#[derive(Serialize)]
struct LoginResponse {
    jwt: String,
    registration_created: bool,
    verify_email_sent: bool,
}

async fn change_password(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    headers: HeaderMap,
    LemmyJson(form): LemmyJson<ChangePassword>,
) -> LemmyResult<Json<LoginResponse>> {
    if form.new_password != form.new_password_verify {
        return Err(LemmyError::new(
            "passwords_do_not_match",
            "The two new passwords differ.",
        ));
    }
    let fresh = settings::change_password(
        &ctx,
        &viewer,
        SecretString::from(form.old_password),
        SecretString::from(form.new_password),
        &format!("Lemmy API: {}", hearth_core::client::user_agent(&headers)),
        TokenKind::Jwt,
    )
    .await
    .map_err(|e| {
        let wrong_old = matches!(
            &e.kind,
            hearth_core::error::ErrorKind::Validation { field, .. } if field == "current_password"
        );
        if wrong_old {
            LemmyError::new("incorrect_login", e.kind.message())
        } else {
            LemmyError::from(e)
        }
    })?;
    Ok(Json(LoginResponse {
        jwt: fresh.token.expose_secret().to_owned(),
        registration_created: false,
        verify_email_sent: false,
    }))
}

/// `DeleteAccount`.
#[derive(Deserialize)]
struct DeleteAccount {
    password: String,
    delete_content: bool,
}

async fn delete_account(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<DeleteAccount>,
) -> LemmyResult<Json<SuccessResponse>> {
    hearth_service::account_deletion::delete_account(
        &ctx,
        &viewer,
        hearth_service::account_deletion::AccountDeletion {
            password: SecretString::from(form.password),
            delete_content: form.delete_content,
        },
    )
    .await
    .map_err(|e| LemmyError::from(e).rename("unknown", "incorrect_login"))?;
    Ok(Json(SuccessResponse::OK))
}

/// `PasswordReset`: a reset link by mail, with the JSON API's rules (the same answer whether or
/// not the address has an account, counted with sign-in attempts); Lemmy's `no_email_setup` when
/// this server sends no mail (an admin makes reset links then).
#[derive(Deserialize)]
struct PasswordReset {
    email: String,
}

async fn password_reset(
    State(ctx): State<ServiceContext>,
    client: Client,
    LemmyJson(form): LemmyJson<PasswordReset>,
) -> LemmyResult<Json<SuccessResponse>> {
    hearth_service::mail::request_password_reset(&ctx, &client.ip, &form.email).await?;
    Ok(Json(SuccessResponse::OK))
}

async fn list_media(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<ListMedia>,
) -> LemmyResult<Json<ListMediaResponse>> {
    let limit = form.limit.unwrap_or(10).clamp(1, 50);
    let page = form.page.unwrap_or(1).max(1);
    let (person, _) = hearth_service::users::me(&ctx, &viewer).await?;
    let me = Person::from_row(&person, false);
    let uploads = hearth_service::media::my_uploads(&ctx, &viewer).await?;
    let skip = usize::try_from((page - 1) * limit).unwrap_or(usize::MAX);
    let take = usize::try_from(limit).unwrap_or(50);
    Ok(Json(ListMediaResponse {
        images: uploads
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|upload| {
                LocalImageView::new(me.clone(), upload.id, &upload.url, upload.uploaded_at)
            })
            .collect(),
    }))
}
