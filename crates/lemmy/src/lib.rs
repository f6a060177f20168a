//! Lemmy 0.19's client API (v3) under `/api/v3`: the request and response shapes Lemmy apps and
//! libraries (Voyager, Thunder, Jerboa, lemmy-js-client …) speak, as a thin face over the same
//! service use cases as the JSON API and the pages. No SQL here; ids are Hearth's ids. What
//! Hearth has no notion of gets Lemmy's neutral value (docs/CLIENTS.md has the table).

pub mod auth;
pub mod error;
pub mod extract;
pub(crate) mod listing;
pub mod pictrs;
pub mod routes;
// The views' fields are Lemmy's wire fields, named and documented by Lemmy's own types
// (lemmy-js-client); a doc line per field would only repeat the name.
#[allow(missing_docs)]
pub mod views;

use axum::Router;
use axum::http::{Method, header};
use hearth_service::ServiceContext;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The v3 routes, nested under `/api/v3`, and Lemmy's picture paths under `/pictrs`, with CORS for browser-based clients: any origin, no
/// credentials (a browser app sends the jwt as a header, never a cookie of ours). Nested as a
/// service of its own, so that the instance's 404/405 answers (Hearth's error shape) stay out
/// and CORS answers every preflight under `/api/v3`.
pub fn router(ctx: &ServiceContext) -> Router<ServiceContext> {
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .max_age(std::time::Duration::from_secs(86_400));
    let v3 = Router::new()
        .merge(routes::site::routes())
        .merge(routes::account::routes())
        .merge(routes::post::routes())
        .merge(routes::comment::routes())
        .merge(routes::community::routes())
        .merge(routes::person::routes())
        .merge(routes::search::routes())
        .merge(routes::moderation::routes())
        .merge(routes::unsupported::routes())
        .merge(routes::user_settings::routes())
        .merge(routes::extras::routes())
        .merge(routes::admin::routes())
        .fallback(unknown_endpoint)
        // Lemmy (actix) answers a known path with the wrong method as an unknown one.
        .method_not_allowed_fallback(unknown_endpoint)
        .with_state(ctx.clone())
        .layer(cors.clone());
    let pictrs = pictrs::routes(ctx)
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(unknown_endpoint)
        .with_state(ctx.clone())
        .layer(cors);
    Router::new()
        .nest_service("/api/v3", v3)
        .nest_service("/pictrs", pictrs)
}

/// An endpoint Lemmy 0.19 does not have either (or a method it does not take there): Lemmy
/// answers 404.
async fn unknown_endpoint() -> error::LemmyError {
    error::LemmyError::new("not_found", "There is no such endpoint in Lemmy's v3 API.")
}
