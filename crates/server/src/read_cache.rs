//! The one hook the HTTP layer gives the anonymous page cache (`hearth_service::read_cache`):
//! when a request that may write (anything but GET, HEAD and OPTIONS) has been answered, this
//! process's cached pages are stale, so that whoever wrote through it reads the change at once.
//! Other processes hear of the write through the database's notification.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use hearth_service::read_cache::ReadCache;
use std::sync::Arc;

/// Marks the cache stale after every request that may have written.
pub async fn note_writes(
    State(cache): State<Arc<ReadCache>>,
    request: Request,
    next: Next,
) -> Response {
    let reads = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    if !reads {
        cache.local_write_done();
    }
    response
}
