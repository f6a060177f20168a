//! Pictures: uploading one (multipart, with its own size limit), listing and deleting one's
//! uploads, and the admin's storage figures and purge.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath};
use crate::views::ErrorBody;
use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use hearth_core::{Error, ErrorKind, Result};
use hearth_service::ServiceContext;
use hearth_service::media::{self, Uploaded};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An uploaded picture.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    /// The upload's id (to delete it).
    pub id: i64,
    /// The file's SHA-256: the same picture uploaded again has the same hash and URL.
    pub hash: String,
    /// Its URL: what goes into a post's `images`, a profile's `avatar_url` or a community's
    /// `icon_url`.
    pub url: String,
    /// Its thumbnail (at most `media.thumbnail_px` on its longest side).
    pub thumbnail_url: String,
    /// Its media type after re-encoding (`image/jpeg`, `image/png` or `image/gif`).
    pub content_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Size in bytes.
    pub byte_size: i64,
}

impl From<Uploaded> for UploadView {
    fn from(u: Uploaded) -> Self {
        Self {
            id: u.id,
            hash: u.hash,
            url: u.url,
            thumbnail_url: u.thumbnail_url,
            content_type: u.content_type,
            width: u.width,
            height: u.height,
            byte_size: u.byte_size,
        }
    }
}

/// The multipart form of an upload (documentation only: the handler streams it).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The picture: JPEG, PNG, WebP or GIF (animations are kept), at most `media.max_upload_bytes`
    /// (10 MiB by default) and `media.max_pixels`.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

/// Uploads a picture (`multipart/form-data`, field `file`). It is decoded and encoded again, so
/// EXIF and GPS metadata never leave the server; a thumbnail and a blurred placeholder are made.
/// The 1 MiB limit of JSON requests does not apply; `media.max_upload_bytes` does.
#[utoipa::path(post, path = "/api/v1/media", tag = "media", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = UploadView),
        (status = 400, body = ErrorBody, description = "no `file` field, or not multipart"),
        (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody, description = "larger than media.max_upload_bytes"),
        (status = 422, body = ErrorBody,
            description = "unsupported_image, image_too_large (pixels) or unreadable_image"),
        (status = 429, body = ErrorBody)))]
pub async fn upload(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    multipart: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<UploadView>)> {
    let mut multipart = multipart.map_err(|e| {
        Error::new(ErrorKind::BadRequest {
            code: "not_multipart",
            message: format!("Send the picture as multipart/form-data with a `file` field: {e}."),
        })
    })?;
    loop {
        let field = multipart.next_field().await.map_err(malformed)?;
        let Some(field) = field else {
            return Err(Error::validation("file", "is missing"));
        };
        if field.name() == Some("file") {
            let path = media::spool(&ctx, field).await?;
            let uploaded = media::upload(&ctx, &viewer, &path).await?;
            return Ok((StatusCode::CREATED, Json(uploaded.into())));
        }
        // Other fields are skipped unread (their bytes still count against the upload limit
        // through `spool` of nothing: they are discarded as they stream).
        drop(field);
    }
}

fn malformed(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return Error::new(ErrorKind::PayloadTooLarge);
    }
    Error::new(ErrorKind::BadRequest {
        code: "malformed_upload",
        message: format!("The upload could not be read: {e}."),
    })
}

/// Your uploads, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/media", tag = "media", security(("bearer" = [])),
    responses((status = 200, body = Vec<UploadView>), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<Vec<UploadView>>> {
    let uploads = media::my_uploads(&ctx, &viewer).await?;
    Ok(Json(uploads.into_iter().map(UploadView::from).collect()))
}

/// Deletes one of your uploads (admins: anyone's). Your avatar, banner and post images that
/// show it lose it; the files are removed unless something else still shows the same picture.
#[utoipa::path(delete, path = "/api/v1/media/{id}", tag = "media", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The upload")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_uploader"),
        (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode> {
    media::delete_upload(&ctx, &viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the picture store holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaUsageView {
    /// `fs` or `s3`.
    pub storage: String,
    /// Distinct uploaded files.
    pub files: i64,
    /// Their bytes (originals, thumbnails and placeholders).
    pub file_bytes: i64,
    /// Uploads (the same file uploaded by two people counts twice).
    pub uploads: i64,
    /// Cached images of other servers.
    pub remote_images: i64,
    /// Their bytes.
    pub remote_bytes: i64,
    /// The cache's limit (`media.remote_cache_bytes`).
    pub remote_cache_limit: u64,
}

/// Storage used by pictures (admins).
#[utoipa::path(get, path = "/api/v1/admin/media", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = MediaUsageView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn usage(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
) -> Result<Json<MediaUsageView>> {
    let usage = media::usage_for_admin(&ctx, &viewer).await?;
    Ok(Json(MediaUsageView {
        storage: ctx.media.kind().to_owned(),
        files: usage.files,
        file_bytes: usage.file_bytes,
        uploads: usage.uploads,
        remote_images: usage.remote_images,
        remote_bytes: usage.remote_bytes,
        remote_cache_limit: ctx.settings.media.remote_cache_bytes,
    }))
}

/// What to purge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurgeRequest {
    /// A picture's URL (ours or another server's) or its 64-digit hash.
    pub target: String,
}

/// What a purge did.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurgeView {
    /// Image slots emptied (avatars, icons, banners, post images and thumbnails).
    pub slots_cleared: u64,
    /// Whether a stored file or cached copy was removed.
    pub removed: bool,
}

/// Purges a picture everywhere (admins): every avatar, icon, banner and post image showing it
/// is emptied and its files (or the cached copy of another server's picture) are removed.
#[utoipa::path(post, path = "/api/v1/admin/media/purge", tag = "admin", security(("bearer" = [])),
    request_body = PurgeRequest,
    responses((status = 200, body = PurgeView), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not_admin")))]
pub async fn purge(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    body: Result<ApiJson<PurgeRequest>>,
) -> Result<Json<PurgeView>> {
    // Who may ask is decided before what they sent: a member learns nothing from a bad body.
    hearth_service::require_admin(&viewer)?;
    let ApiJson(request) = body?;
    let purged = media::purge_as_admin(&ctx, &viewer, &request.target).await?;
    Ok(Json(PurgeView {
        slots_cleared: purged.slots,
        removed: purged.removed,
    }))
}
