//! The pages, one module per area. Handlers are thin: extract, call the service, map to a view,
//! render (or, after a successful POST, redirect).

pub mod accounts;
pub mod admin;
pub mod admin_media;
pub mod anonymous;
pub mod calendar;
pub mod comments;
pub mod communities;
pub mod community_moderation;
pub mod email;
pub mod events;
pub mod feeds;
pub mod front;
pub mod media;
pub mod modlog;
pub mod notifications;
pub mod posts;
pub mod reports;
pub mod saved;
pub mod search;
pub mod settings;
pub mod setup;
pub mod two_factor;
pub mod users;

use crate::middleware;
use axum::Router;
use hearth_service::ServiceContext;

/// Every page route, behind the page middleware (error pages, cookies, security headers) and,
/// inside it, the first-run gate (every page leads to `/setup` while there is no administrator).
pub fn router(ctx: &ServiceContext) -> Router<ServiceContext> {
    Router::new()
        .merge(setup::router())
        .merge(front::router())
        .merge(communities::router(ctx))
        .merge(community_moderation::router())
        .merge(posts::router(ctx))
        .merge(events::router())
        .merge(comments::router())
        .merge(reports::router())
        .merge(saved::router())
        .merge(modlog::router())
        .merge(users::router())
        .merge(accounts::router())
        .merge(email::router())
        .merge(settings::router(ctx))
        .merge(two_factor::router())
        .merge(notifications::router())
        .merge(search::router())
        .merge(feeds::router())
        .merge(calendar::router())
        .merge(admin::router())
        .merge(admin_media::router())
        .layer(axum::middleware::from_fn_with_state(
            middleware::SetupGate::new(ctx.clone()),
            middleware::first_run_setup,
        ))
        .layer(axum::middleware::from_fn(middleware::around_pages))
}
