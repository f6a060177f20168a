//! Lemmy's picture paths, which apps call directly (Lemmy proxies them to pict-rs): upload at
//! `POST /pictrs/image` (multipart field `images[]`), the file at `/pictrs/image/<file>` and
//! deletion at `/pictrs/image/delete/<token>/<file>`. Hearth stores pictures itself, so these
//! are the same uploads as `POST /api/v1/media` (re-encoded, metadata stripped, rate limited),
//! and a `/pictrs/image/` URL an app puts into a post is read as the `/media/` URL it stands for.

use crate::auth::LemmyUser;
use crate::error::LemmyError;
use axum::Json;
use axum::Router;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use hearth_core::error::ErrorKind;
use hearth_service::ServiceContext;
use hearth_service::media;
use serde::Serialize;

/// The picture routes, relative to `/pictrs` (nested there by the crate's router).
pub fn routes(ctx: &ServiceContext) -> Router<ServiceContext> {
    // The whole multipart body may be a little larger than the picture it carries.
    let body_limit = usize::try_from(ctx.settings.media.max_upload_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    Router::new()
        .route(
            "/image",
            axum::routing::post(upload).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/image/{file}", get(file))
        .route("/image/delete/{token}/{file}", get(delete))
}

/// The `/media/` URL an app's `/pictrs/image/<file>` URL stands for; other URLs unchanged.
pub fn media_url(ctx: &ServiceContext, url: &str) -> String {
    let pictrs = format!("{}/pictrs/image/", ctx.settings.public_base_url());
    match url.strip_prefix(&pictrs) {
        Some(file) if !file.starts_with("delete/") => format!("{}{file}", media::local_prefix(ctx)),
        _ => url.to_owned(),
    }
}

/// pict-rs's answer, which lemmy-js-client reads: `msg` is `ok` or what went wrong.
#[derive(Serialize)]
struct UploadResponse {
    msg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Vec<ImageFile>>,
}

#[derive(Serialize)]
struct ImageFile {
    file: String,
    delete_token: String,
}

/// A refusal in pict-rs's shape, with Lemmy's error name as `msg` (and as `error`, for clients
/// that read Lemmy's shape).
fn refused(error: LemmyError) -> Response {
    let status = if error.name == "too_many_items" {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        error.status
    };
    let body = serde_json::json!({
        "msg": error.name,
        "error": error.name,
        "message": error.message,
    });
    (status, Json(body)).into_response()
}

async fn upload(
    State(ctx): State<ServiceContext>,
    viewer: Result<LemmyUser, LemmyError>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let LemmyUser(viewer) = match viewer {
        Ok(viewer) => viewer,
        Err(e) => return refused(e),
    };
    let mut multipart = match multipart {
        Ok(multipart) => multipart,
        Err(e) => {
            return refused(LemmyError::new(
                "invalid_query",
                format!("Send the picture as multipart/form-data in `images[]`: {e}."),
            ));
        }
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => {
                return refused(LemmyError::new(
                    "invalid_query",
                    "The upload has no `images[]` field.",
                ));
            }
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return refused(hearth_core::Error::new(ErrorKind::PayloadTooLarge).into());
            }
            Err(e) => {
                return refused(LemmyError::new(
                    "invalid_query",
                    format!("The upload could not be read: {e}."),
                ));
            }
        };
        // pict-rs takes `images[]`; some clients send `images` or `file`.
        if matches!(field.name(), Some("images[]" | "images" | "file")) {
            let stored = async {
                let path = media::spool(&ctx, field).await?;
                media::upload(&ctx, &viewer, &path).await
            }
            .await;
            return match stored {
                Ok(uploaded) => {
                    let file = uploaded
                        .url
                        .rsplit('/')
                        .next()
                        .unwrap_or(&uploaded.hash)
                        .to_owned();
                    Json(UploadResponse {
                        msg: "ok".to_owned(),
                        files: Some(vec![ImageFile {
                            file,
                            delete_token: uploaded.id.to_string(),
                        }]),
                    })
                    .into_response()
                }
                Err(e) => refused(e.into()),
            };
        }
    }
}

/// The file, where Hearth serves it (`/media/<file>`; `?thumbnail=…` asks for the thumbnail).
async fn file(
    State(ctx): State<ServiceContext>,
    Path(file): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    // The file is what `/media/<file>` serves: the one rule of what names an upload here.
    let media_url = format!("{}{file}", media::local_prefix(&ctx));
    let Some(hash) = media::local_hash(&ctx, &media_url) else {
        return LemmyError::new("not_found", "There is no such picture.").into_response();
    };
    let thumbnail = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("thumbnail=")));
    let target = if thumbnail {
        format!("/media/{hash}.thumbnail")
    } else {
        format!("/media/{file}")
    };
    Redirect::permanent(&target).into_response()
}

/// Deletes an upload: the token is the upload's id, and only its uploader (or an admin) may use
/// it, signed in.
async fn delete(
    State(ctx): State<ServiceContext>,
    viewer: Result<LemmyUser, LemmyError>,
    Path((token, _file)): Path<(String, String)>,
) -> Response {
    let LemmyUser(viewer) = match viewer {
        Ok(viewer) => viewer,
        Err(e) => return e.into_response(),
    };
    let Ok(id) = token.parse::<i64>() else {
        return LemmyError::new("not_found", "There is no upload with this token.").into_response();
    };
    match media::delete_upload(&ctx, &viewer, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => LemmyError::from(e).into_response(),
    }
}
