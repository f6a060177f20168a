//! Pages shared by anonymous visitors: the front page, community pages and post pages are
//! rendered once per `http.anonymous_cache_ms` for everyone without a session
//! (`hearth_service::read_cache`). What such a page holds of its visitor is only the CSRF token
//! of its forms (votes, the login link's form), so the page is rendered with the cache's
//! placeholder there and each visitor gets it with their own token; loading the session still
//! gives a first visitor their CSRF cookie. Signed-in visitors, fragments for the enhancement
//! script, and anything but a plain 200 page without cookies of its own are never shared.

use crate::page::{PageResult, WebError};
use crate::session::Session;
use axum::body::Bytes;
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use hearth_service::ServiceContext;
use hearth_service::read_cache::{self, CachedPage, Miss, Shows};
use std::future::Future;

/// The largest page read back into the cache.
const MAX_PAGE: usize = 4 * 1024 * 1024;

/// The page at `uri` for `session`: from the cache when the visitor is anonymous, else (or on
/// a miss) from `render`, which is given the session to render with and says what the page
/// shows.
pub async fn page<F, Fut>(
    ctx: &ServiceContext,
    session: Session,
    uri: &Uri,
    render: F,
) -> PageResult
where
    F: FnOnce(Session) -> Fut,
    Fut: Future<Output = Result<(Response, Shows), WebError>>,
{
    if session.viewer.is_some() || session.fragment || !ctx.read_cache.enabled() {
        return Ok(render(session).await?.0);
    }
    let placeholder = ctx.read_cache.csrf_placeholder().to_owned();
    let mut shared = session.clone();
    shared.csrf.clone_from(&placeholder);
    let key = read_cache::key("web", uri.path(), uri.query());
    let cached = ctx
        .read_cache
        .get_or_render(key, || async {
            let (response, shows) = render(shared).await.map_err(Miss::Failed)?;
            keep(response, shows, &placeholder, &session.csrf).await
        })
        .await;
    match cached {
        Ok(page) => Ok(serve(&page, &placeholder, &session.csrf)),
        Err(Miss::Private(response)) => Ok(response),
        Err(Miss::Failed(e)) => Err(e),
    }
}

/// The page as the cache keeps it, or, when it is not one to share, the response for this
/// visitor alone (with their own CSRF token put back).
async fn keep(
    response: Response,
    shows: Shows,
    placeholder: &str,
    csrf: &str,
) -> Result<CachedPage, Miss<Response, WebError>> {
    let html = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let shared = response.status() == StatusCode::OK
        && !response.headers().contains_key(SET_COOKIE)
        && response.extensions().is_empty();
    if !html {
        return Err(Miss::Private(response));
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_PAGE)
        .await
        .map_err(|e| Miss::Failed(WebError(hearth_core::Error::from(e))))?;
    let token_at = find_all(&body, placeholder.as_bytes());
    if !shared {
        let body = fill(&body, &token_at, placeholder.len(), csrf.as_bytes());
        return Err(Miss::Private(Response::from_parts(parts, body.into())));
    }
    Ok(CachedPage {
        body,
        content_type: "text/html; charset=utf-8",
        shows,
        token_at,
    })
}

/// A kept page with the visitor's CSRF token where the placeholder stands.
fn serve(page: &CachedPage, placeholder: &str, csrf: &str) -> Response {
    let body = fill(
        &page.body,
        &page.token_at,
        placeholder.len(),
        csrf.as_bytes(),
    );
    (
        [(CONTENT_TYPE, HeaderValue::from_static(page.content_type))],
        body,
    )
        .into_response()
}

/// The offsets of every `needle` in `body` (not overlapping).
fn find_all(body: &[u8], needle: &[u8]) -> Vec<usize> {
    let Some(&first) = needle.first() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = body
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == first))
    {
        let start = at + offset;
        if body.get(start..start + needle.len()) == Some(needle) {
            found.push(start);
            at = start + needle.len();
        } else {
            at = start + 1;
        }
    }
    found
}

/// `body` with the `len` bytes at each of `offsets` (ascending) replaced by `to`: copies only,
/// no search, on every page served.
fn fill(body: &Bytes, offsets: &[usize], len: usize, to: &[u8]) -> Bytes {
    if offsets.is_empty() {
        return body.clone();
    }
    let mut out = Vec::with_capacity(body.len() + offsets.len() * to.len());
    let mut from = 0;
    for &at in offsets {
        out.extend_from_slice(&body[from..at]);
        out.extend_from_slice(to);
        from = at + len;
    }
    out.extend_from_slice(&body[from..]);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_gets_the_token() {
        let body = Bytes::from_static(b"<a>PP</a><b>PP</b>P");
        let at = find_all(&body, b"PP");
        assert_eq!(at, vec![3, 12]);
        assert_eq!(
            fill(&body, &at, 2, b"tok"),
            Bytes::from_static(b"<a>tok</a><b>tok</b>P")
        );
        assert_eq!(find_all(b"PPP", b"PP"), vec![0]);
        assert_eq!(fill(&body, &[], 2, b"tok"), body);
    }
}
