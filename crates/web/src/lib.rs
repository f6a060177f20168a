//! Hearth's server-rendered web interface: HTML pages and forms that work without JavaScript
//! (every form POSTs and redirects), a little progressive-enhancement script, RSS feeds, and the
//! static assets under content-hashed names. Pages call the `hearth_service` use cases directly,
//! exactly as the JSON API does.

pub mod assets;
pub mod extract;
pub mod forms;
pub mod middleware;
pub mod page;
pub mod paging;
pub mod pictures;
pub mod routes;
pub mod session;
pub mod views;

use axum::Router;
use hearth_service::ServiceContext;

/// The web interface's routes: the pages (behind the session and security-header middleware,
/// and the first-run setup gate, which reads `ctx`'s database) and the static assets (which
/// need neither a session nor a database).
pub fn router(ctx: &ServiceContext) -> Router<ServiceContext> {
    routes::router(ctx)
        .merge(assets::router())
        .merge(routes::media::router())
}
