//! Hearth's server-rendered web interface: pages, forms and static assets. The web issue fills
//! it; for now it only owns its namespace.

use axum::Router;
use hearth_service::ServiceContext;

/// The web interface's routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
}
