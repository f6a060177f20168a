//! The remaining v3 endpoints: who voted (`post/like/list`, `comment/like/list`, for moderators
//! and admins), the account's data out and back in (`user/export_settings`,
//! `user/import_settings`: Hearth's own export document, which Lemmy apps only pass through),
//! finishing a password reset with Hearth's reset token (`user/password_change`), confirming an
//! address with a mailed token (`user/verify_email`), and Lemmy's errors for what
//! Hearth does not have: distinguished comments, hidden posts, blocking an instance, fetching a
//! link's metadata on request.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::page_window;
use crate::routes::account::Client;
use crate::views::{Person, SuccessResponse};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use hearth_service::ServiceContext;
use hearth_service::export::{self, AccountExport, AccountImport};
use hearth_service::vote_list::{self, Voter};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/comment/distinguish", post(distinguish_comment))
        .route("/post/like/list", get(list_post_likes))
        .route("/comment/like/list", get(list_comment_likes))
        .route("/post/hide", post(hide_post))
        .route("/post/site_metadata", get(site_metadata))
        .route("/site/block", post(block_instance))
        .route("/user/export_settings", get(export_settings))
        .route("/user/import_settings", post(import_settings))
        .route("/user/password_change", post(password_change))
        .route("/user/verify_email", post(verify_email))
}

/// `DistinguishComment`.
#[derive(Deserialize)]
struct DistinguishComment {
    #[serde(rename = "comment_id")]
    _comment_id: i64,
    #[serde(rename = "distinguished")]
    _distinguished: bool,
}

/// `POST comment/distinguish`: Hearth has no distinguished comments.
async fn distinguish_comment(
    LemmyUser(_viewer): LemmyUser,
    LemmyJson(_form): LemmyJson<DistinguishComment>,
) -> LemmyError {
    LemmyError::unsupported("couldnt_update_comment", "Distinguishing a comment")
}

/// `ListPostLikes`.
#[derive(Deserialize)]
struct ListPostLikes {
    post_id: i64,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `ListCommentLikes`.
#[derive(Deserialize)]
struct ListCommentLikes {
    comment_id: i64,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `VoteView`.
#[derive(Debug, Serialize)]
struct VoteView {
    creator: Person,
    creator_banned_from_community: bool,
    score: i64,
}

impl VoteView {
    fn from_voter(voter: &Voter) -> Self {
        Self {
            creator: Person::from_row(&voter.person, voter.site_banned),
            creator_banned_from_community: voter.banned_from_community,
            score: i64::from(voter.score),
        }
    }
}

/// `ListPostLikesResponse`.
#[derive(Debug, Serialize)]
struct ListPostLikesResponse {
    post_likes: Vec<VoteView>,
}

/// `ListCommentLikesResponse`.
#[derive(Debug, Serialize)]
struct ListCommentLikesResponse {
    comment_likes: Vec<VoteView>,
}

/// `GET post/like/list`: the votes on a post, newest first, paged by number.
async fn list_post_likes(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<ListPostLikes>,
) -> LemmyResult<Json<ListPostLikesResponse>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let voters = vote_list::post_votes(&ctx, &viewer, form.post_id, limit, offset)
        .await
        .map_err(|e| LemmyError::from(e).rename("not_a_moderator", "not_a_mod_or_admin"))?;
    Ok(Json(ListPostLikesResponse {
        post_likes: voters.iter().map(VoteView::from_voter).collect(),
    }))
}

/// `GET comment/like/list`: the votes on a comment, newest first, paged by number.
async fn list_comment_likes(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<ListCommentLikes>,
) -> LemmyResult<Json<ListCommentLikesResponse>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let voters = vote_list::comment_votes(&ctx, &viewer, form.comment_id, limit, offset)
        .await
        .map_err(|e| LemmyError::from(e).rename("not_a_moderator", "not_a_mod_or_admin"))?;
    Ok(Json(ListCommentLikesResponse {
        comment_likes: voters.iter().map(VoteView::from_voter).collect(),
    }))
}

/// `HidePost`.
#[derive(Deserialize)]
struct HidePost {
    #[serde(rename = "post_ids")]
    _post_ids: Vec<i64>,
    #[serde(rename = "hide")]
    _hide: bool,
}

/// `POST post/hide`: Hearth has no hidden posts.
async fn hide_post(
    LemmyUser(_viewer): LemmyUser,
    LemmyJson(_form): LemmyJson<HidePost>,
) -> LemmyError {
    LemmyError::unsupported("couldnt_hide_post", "Hiding posts")
}

/// `GetSiteMetadata`.
#[derive(Deserialize)]
struct GetSiteMetadata {
    url: String,
}

/// `GET post/site_metadata`: Hearth reads a link's preview in the background after the post is
/// made (through the federation layer's fetcher), and offers no fetch on request; a URL that
/// is not one is refused first, as Lemmy does.
async fn site_metadata(
    LemmyUser(_viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<GetSiteMetadata>,
) -> LemmyError {
    match url::Url::parse(form.url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            LemmyError::unsupported("couldnt_find_object", "Fetching a link's metadata")
        }
        Ok(_) => LemmyError::new("invalid_url_scheme", "Only http and https links are read."),
        Err(e) => LemmyError::new("invalid_url", format!("The url is invalid: {e}.")),
    }
}

/// `BlockInstance`.
#[derive(Deserialize)]
struct BlockInstance {
    #[serde(rename = "instance_id")]
    _instance_id: i64,
    #[serde(rename = "block")]
    _block: bool,
}

/// `POST site/block`: Hearth has no per-person instance blocks (admins block instances for
/// everyone).
async fn block_instance(
    LemmyUser(_viewer): LemmyUser,
    LemmyJson(_form): LemmyJson<BlockInstance>,
) -> LemmyError {
    LemmyError::unsupported("couldnt_update_user", "Blocking an instance for yourself")
}

/// `GET user/export_settings`: Hearth's account export (profile, preferences, posts, comments,
/// votes, memberships, blocks), which `user/import_settings` takes back.
async fn export_settings(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
) -> LemmyResult<Json<AccountExport>> {
    Ok(Json(export::export(&ctx, &viewer).await?))
}

/// `POST user/import_settings`: a Hearth account export; its memberships and blocks are made
/// again. As with Lemmy (which imports in the background), items that fail (a community that
/// cannot be found) do not fail the request; a document that is not a Hearth export does.
async fn import_settings(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(document): LemmyJson<serde_json::Value>,
) -> LemmyResult<Json<SuccessResponse>> {
    let document: AccountImport = serde_json::from_value(document).map_err(|e| {
        LemmyError::new(
            "invalid_query",
            format!("This is not a Hearth account export: {e}."),
        )
    })?;
    if document
        .format
        .as_deref()
        .is_some_and(|f| f != export::FORMAT)
    {
        return Err(LemmyError::new(
            "invalid_query",
            format!(
                "This is not a Hearth account export (`format` must be `{}`).",
                export::FORMAT
            ),
        ));
    }
    let report = export::import(&ctx, &viewer, document).await?;
    tracing::info!(
        person = viewer.person_id,
        failures = report.failed.len(),
        "settings imported through the v3 API"
    );
    Ok(Json(SuccessResponse::OK))
}

/// `PasswordChangeAfterReset`: `token` is the reset token of the link an admin made.
#[derive(Deserialize)]
struct PasswordChangeAfterReset {
    token: String,
    password: String,
    password_verify: String,
}

/// `POST user/password_change`: sets the new password with a live reset token, uses the token
/// up and ends the account's sessions.
async fn password_change(
    State(ctx): State<ServiceContext>,
    LemmyJson(form): LemmyJson<PasswordChangeAfterReset>,
) -> LemmyResult<Json<SuccessResponse>> {
    let password = SecretString::from(form.password);
    if password.expose_secret() != form.password_verify {
        return Err(LemmyError::new(
            "passwords_do_not_match",
            "The password and its repetition differ.",
        ));
    }
    hearth_service::users::reset_password(&ctx, form.token.trim(), password)
        .await
        .map_err(|e| LemmyError::from(e).rename("not_found", "token_not_found"))?;
    Ok(Json(SuccessResponse::OK))
}

/// `VerifyEmail`.
#[derive(Deserialize)]
struct VerifyEmail {
    token: String,
}

/// `POST user/verify_email`: confirms an address with the token of the mailed link (Lemmy's
/// `token_not_found` for an unknown, used or expired one); `no_email_setup` when this server
/// sends no mail, so there is nothing to verify.
async fn verify_email(
    State(ctx): State<ServiceContext>,
    client: Client,
    LemmyJson(form): LemmyJson<VerifyEmail>,
) -> LemmyResult<Json<SuccessResponse>> {
    hearth_service::mail::require_enabled(&ctx)?;
    hearth_service::mail::verify_email(&ctx, &client.ip, &form.token)
        .await
        .map_err(|e| LemmyError::from(e).rename("not_found", "token_not_found"))?;
    Ok(Json(SuccessResponse::OK))
}
