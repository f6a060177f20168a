//! Forms that carry pictures (profile, community, post): their bodies arrive as
//! `multipart/form-data`, checked for CSRF exactly like the urlencoded forms, with the file
//! fields streamed to temporary files (never held in memory) and only after the CSRF token was
//! found valid. The handler then uploads a chosen file through `hearth_service::media::upload`
//! and stores the returned URL with its use case; a refused picture is shown next to its field.

use crate::extract::{CSRF_FIELD, cross_site, csrf_refused, csrf_token_matches};
use crate::forms::FormErrors;
use crate::page::WebError;
use crate::session::session;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use hearth_core::{Error, ErrorKind};
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use serde::de::DeserializeOwned;
use tempfile::TempPath;

/// What a form with pictures may send beyond the picture itself: its text fields and the
/// multipart framing.
const FORM_ALLOWANCE_BYTES: u64 = 64 * 1024;

/// The body limit of the routes that take a picture: `media.max_upload_bytes` and room for the
/// form's other fields. It replaces, on those routes only, the `http.max_body_bytes` limit the
/// server puts on every request.
pub fn body_limit(ctx: &ServiceContext) -> DefaultBodyLimit {
    let max = ctx
        .settings
        .media
        .max_upload_bytes
        .saturating_add(FORM_ALLOWANCE_BYTES);
    DefaultBodyLimit::max(usize::try_from(max).unwrap_or(usize::MAX))
}

/// The file fields of a submitted form: each chosen file spooled to a temporary file (removed
/// when dropped), or why it could not be (too large, empty).
#[derive(Default)]
pub struct Files(Vec<(String, Result<TempPath, Error>)>);

impl Files {
    /// Takes the file sent in the field `name`; `None` when none was chosen.
    pub fn take(&mut self, name: &str) -> Option<Result<TempPath, Error>> {
        let index = self.0.iter().position(|(field, _)| field == name)?;
        Some(self.0.swap_remove(index).1)
    }
}

/// A form that may carry pictures: `multipart/form-data` (the pages' forms with a file field)
/// or urlencoded (no picture: scripts, older pages). Either way the hidden `csrf_token` field
/// must match the visitor's CSRF cookie and the browser must not mark the request as
/// cross-site; in a multipart body the token must come before any file (as the pages' forms
/// put it first), so nothing is written to disk for a forged request.
pub struct PictureForm<T> {
    /// The text fields.
    pub form: T,
    /// The file fields.
    pub files: Files,
}

impl<T: DeserializeOwned> FromRequest<ServiceContext> for PictureForm<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, ctx: &ServiceContext) -> Result<Self, Self::Rejection> {
        let multipart = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        if !multipart {
            let crate::extract::CsrfForm(form) =
                crate::extract::CsrfForm::<T>::from_request(request, ctx).await?;
            return Ok(Self {
                form,
                files: Files::default(),
            });
        }
        let (mut parts, body) = request.into_parts();
        let session = session(&mut parts, ctx).await?;
        if cross_site(&parts.headers) {
            return Err(csrf_refused());
        }
        let mut body = Multipart::from_request(Request::from_parts(parts, body), ctx)
            .await
            .map_err(|_| unreadable())?;
        // Text fields together may be as large as a urlencoded form may be.
        let max_text = ctx.settings.http.max_body_bytes;
        let mut text_bytes = 0usize;
        let mut csrf_valid = false;
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut files = Files::default();
        loop {
            let mut field = match body.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                // After a refused file (past the upload limit) the rest of the body may be cut
                // off by the body limit: the form is shown again with what came.
                Err(_) if files.0.iter().any(|(_, f)| f.is_err()) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(WebError(Error::new(ErrorKind::PayloadTooLarge)));
                }
                Err(_) => return Err(unreadable()),
            };
            let name = field.name().unwrap_or_default().to_owned();
            if let Some(file_name) = field.file_name() {
                if !csrf_valid {
                    return Err(csrf_refused());
                }
                // A file input left empty is sent as a part with an empty file name.
                if file_name.is_empty() {
                    continue;
                }
                // A refused file (too large, empty) is left unread; the next field skips it.
                let spooled = hearth_service::media::spool(ctx, field).await;
                files.0.push((name, spooled));
                continue;
            }
            let mut value = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    WebError(Error::new(ErrorKind::PayloadTooLarge))
                } else {
                    unreadable()
                }
            })? {
                text_bytes += chunk.len();
                if text_bytes > max_text {
                    return Err(WebError(Error::new(ErrorKind::PayloadTooLarge)));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value).map_err(|_| unreadable())?;
            if name == CSRF_FIELD {
                csrf_valid = csrf_token_matches(&session, Some(&value));
                if !csrf_valid {
                    return Err(csrf_refused());
                }
                continue;
            }
            pairs.push((name, value));
        }
        if !csrf_valid {
            return Err(csrf_refused());
        }
        // The text fields read as the urlencoded form they stand for, so one input type serves
        // both encodings.
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        if hearth_core::nul::urlencoded_has_nul(encoded.as_bytes()) {
            return Err(WebError(Error::bad_request(
                "unreadable_form",
                hearth_core::nul::NUL_MESSAGE,
            )));
        }
        let form = serde_urlencoded::from_str(&encoded).map_err(|_| unreadable())?;
        Ok(Self { form, files })
    }
}

fn unreadable() -> WebError {
    WebError(Error::bad_request(
        "unreadable_form",
        "The form could not be read.",
    ))
}

/// Uploads the picture chosen in the file field `field`, if one was: its public URL, to store
/// in an image slot. Errors are the service's (see `refusal` to show them on the form).
pub async fn upload(
    ctx: &ServiceContext,
    viewer: &Viewer,
    files: &mut Files,
    field: &str,
) -> Result<Option<String>, Error> {
    let Some(spooled) = files.take(field) else {
        return Ok(None);
    };
    let path = spooled?;
    let uploaded = hearth_service::media::upload(ctx, viewer, &path).await?;
    Ok(Some(uploaded.url))
}

/// The new value of an image slot from its form: the picture chosen in the file field `field`
/// (uploaded; it wins), the slot emptied (`remove`: the "Remove it" box was ticked), or
/// unchanged (`None`).
pub async fn slot(
    ctx: &ServiceContext,
    viewer: &Viewer,
    files: &mut Files,
    field: &str,
    remove: bool,
) -> Result<Option<Option<String>>, Error> {
    Ok(match upload(ctx, viewer, files, field).await? {
        Some(url) => Some(Some(url)),
        None if remove => Some(None),
        None => None,
    })
}

/// What the file fields' hints say is accepted.
pub fn hint(ctx: &ServiceContext) -> String {
    format!(
        "A JPEG, PNG, WebP or GIF picture of at most {} MiB.",
        max_mib(ctx)
    )
}

fn max_mib(ctx: &ServiceContext) -> String {
    let mib = ctx.settings.media.max_upload_bytes as f64 / (1024.0 * 1024.0);
    let text = format!("{mib:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

/// A refused picture as the form shows it: the reason next to its file field `field`, answered
/// with the refusal's own status (413 too large, 422 not an image …). Server errors are not the
/// form's business: they become the error page.
pub fn refusal(
    ctx: &ServiceContext,
    error: Error,
    field: &str,
) -> Result<(StatusCode, FormErrors), WebError> {
    let status = error.kind.status();
    if status.is_server_error() {
        return Err(WebError(error));
    }
    let message = match &error.kind {
        ErrorKind::PayloadTooLarge => format!(
            "The picture is too large: at most {} MiB are accepted.",
            max_mib(ctx)
        ),
        ErrorKind::Validation { reason, .. } => format!("The chosen file {reason}."),
        other => other.message(),
    };
    Ok((status, FormErrors::field(field, message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_taken_by_field_name_once() {
        let mut files = Files(vec![(
            "avatar".to_owned(),
            Err(Error::new(ErrorKind::PayloadTooLarge)),
        )]);
        assert!(files.take("banner").is_none());
        assert!(matches!(files.take("avatar"), Some(Err(_))));
        assert!(files.take("avatar").is_none());
    }
}
