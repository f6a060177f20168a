//! The pages, one module per area. Handlers are thin: extract, call the service, map to a view,
//! render (or, after a successful POST, redirect).

pub mod accounts;
pub mod comments;
pub mod communities;
pub mod feeds;
pub mod front;
pub mod posts;
pub mod search;
pub mod settings;
pub mod users;

use crate::middleware;
use axum::Router;
use hearth_service::ServiceContext;

/// Every page route, behind the page middleware (error pages, cookies, security headers).
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .merge(front::router())
        .merge(communities::router())
        .merge(posts::router())
        .merge(comments::router())
        .merge(users::router())
        .merge(accounts::router())
        .merge(settings::router())
        .merge(search::router())
        .merge(feeds::router())
        .layer(axum::middleware::from_fn(middleware::around_pages))
}
