//! Hearth's JSON client API under `/api/v1`: handlers, auth extractors, views and the OpenAPI
//! document. The accounts issue fills it; for now it only owns its namespace.

use axum::Router;
use hearth_service::ServiceContext;

/// The API's routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
}
