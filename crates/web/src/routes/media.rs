//! Serving pictures: uploads (`/media/<hash>[.<ext>]`, `.thumbnail`, `.blurred`) and the cached
//! copies of other servers' images (`/media/remote/<key>`). Only the three image types we encode
//! are ever stored, and every answer says so firmly: the stored type, `nosniff`, and a policy
//! that lets nothing run even if a browser were talked into rendering the file as a document.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use hearth_service::ServiceContext;

/// The picture routes. They sit outside the page middleware: a file is not a page.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/media/remote/{key}", get(remote))
        .route("/media/{file}", get(upload))
}

/// Which part of an upload a file name asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Original,
    Thumbnail,
    Blurred,
}

/// `<hash>`, `<hash>.<ext>`, `<hash>.thumbnail[.<ext>]` or `<hash>.blurred[.<ext>]`.
fn parse(file: &str) -> Option<(&str, Part)> {
    let mut pieces = file.split('.');
    let hash = pieces.next()?;
    if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let part = match pieces.next() {
        None | Some("jpg" | "png" | "gif" | "webp") => Part::Original,
        Some("thumbnail") => Part::Thumbnail,
        Some("blurred") => Part::Blurred,
        Some(_) => return None,
    };
    // At most an extension after the part.
    match (pieces.next(), pieces.next()) {
        (None | Some("jpg" | "png" | "gif" | "webp"), None) => Some((hash, part)),
        _ => None,
    }
}

async fn upload(
    State(ctx): State<ServiceContext>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((hash, part)) = parse(&file) else {
        return not_found();
    };
    let row = match hearth_db::media::file(&ctx.pool, hash).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(),
        Err(e) => return failed(&e),
    };
    let (key, content_type) = match part {
        Part::Original => (hash.to_owned(), row.content_type),
        Part::Thumbnail => (format!("{hash}.thumbnail"), row.thumbnail_type),
        Part::Blurred => (format!("{hash}.blurred"), "image/jpeg".to_owned()),
    };
    // Content-addressed: the name is the content, so the tag never changes.
    let etag = format!("\"{key}\"");
    if headers
        .get(IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(ETAG, header(&etag))]).into_response();
    }
    stream(
        &ctx,
        &key,
        &content_type,
        "public, max-age=31536000, immutable",
        Some(&etag),
    )
    .await
}

async fn remote(State(ctx): State<ServiceContext>, Path(key): Path<String>) -> Response {
    if key.len() != 64 || !key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return not_found();
    }
    let row = match hearth_db::media::remote(&ctx.pool, &key).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(),
        Err(e) => return failed(&e),
    };
    // Noting the view keeps it in the cache (and asks again for one that was evicted).
    if let Err(e) = hearth_db::media::remote_shown(&ctx.pool, &key).await {
        tracing::warn!(error = %e, "noting a shown remote image");
    }
    match (row.state.as_str(), row.content_type) {
        ("stored", Some(content_type)) => {
            // A day: the copy may be evicted, and the picture behind the URL may change.
            stream(
                &ctx,
                &format!("remote/{key}"),
                &content_type,
                "public, max-age=86400",
                None,
            )
            .await
        }
        _ => (
            StatusCode::NOT_FOUND,
            [
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
        )
            .into_response(),
    }
}

async fn stream(
    ctx: &ServiceContext,
    key: &str,
    content_type: &str,
    cache: &'static str,
    etag: Option<&str>,
) -> Response {
    // Only the types we encode are served as themselves; anything else (there should be none) is
    // a download.
    let (content_type, disposition) = match content_type {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" => (content_type, "inline"),
        _ => ("application/octet-stream", "attachment"),
    };
    let file = match ctx.media.get(key).await {
        Ok(Some(file)) => file,
        Ok(None) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, key, "reading a picture");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "The picture store is not available.",
            )
                .into_response();
        }
    };
    let mut response = Response::new(Body::from_stream(
        file.body.map(|chunk| chunk.map_err(std::io::Error::other)),
    ));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, header(content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(file.size));
    headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static(disposition));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Some(etag) = etag {
        headers.insert(ETAG, header(etag));
    }
    response
}

fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))],
        "No such picture.",
    )
        .into_response()
}

fn failed(e: &sqlx::Error) -> Response {
    tracing::error!(error = %e, "looking up a picture");
    (StatusCode::SERVICE_UNAVAILABLE, "Try again in a moment.").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn file_names_name_a_part_of_an_upload() {
        assert_eq!(parse(HASH), Some((HASH, Part::Original)));
        assert_eq!(parse(&format!("{HASH}.jpg")), Some((HASH, Part::Original)));
        assert_eq!(
            parse(&format!("{HASH}.thumbnail")),
            Some((HASH, Part::Thumbnail))
        );
        assert_eq!(
            parse(&format!("{HASH}.thumbnail.jpg")),
            Some((HASH, Part::Thumbnail))
        );
        assert_eq!(
            parse(&format!("{HASH}.blurred")),
            Some((HASH, Part::Blurred))
        );
        assert_eq!(parse(&format!("{HASH}.svg")), None);
        assert_eq!(parse(&format!("{HASH}.jpg.html")), None);
        assert_eq!(parse("../../etc/passwd"), None);
        assert_eq!(parse(&HASH.to_uppercase()), None);
    }
}
