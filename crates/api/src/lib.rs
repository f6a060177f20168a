//! Hearth's JSON client API under `/api/v1`: handlers, auth extractors, views and the OpenAPI
//! document, which is generated from the same route list that builds the router, so the two
//! cannot drift apart.

pub mod auth;
pub mod common_responses;
pub mod extract;
pub mod paging;
pub mod routes;
pub mod views;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use hearth_service::ServiceContext;
use routes::{
    accounts, admin, comments, communities, email, events, media, moderation, notifications,
    own_account, polls, posts, reports, resolve, saved, search, two_factor, users,
};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        description = "The client API of Hearth, a federated community server. Errors are always \
                       `{\"error\": \"<code>\", \"message\": \"…\"}`; write endpoints need \
                       `Authorization: Bearer <token>` from `POST /api/v1/auth/login`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "accounts", description = "Registration, sign-in, the signed-in account"),
        (name = "communities", description = "Communities, membership, moderators"),
        (name = "users", description = "Profiles and what people wrote"),
        (name = "posts", description = "Posts, votes on them, feeds"),
        (name = "events", description = "Event posts: answers, cancelling, attendees, upcoming"),
        (name = "polls", description = "Polls on posts: voting"),
        (name = "comments", description = "Threaded comments and votes on them"),
        (name = "notifications", description = "Your replies, mentions and other news"),
        (name = "media", description = "Picture uploads"),
        (name = "search", description = "Full-text search"),
        (name = "site", description = "The instance"),
        (name = "admin", description = "Instance administration (admins only)"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API's routes and its OpenAPI document at `/api/v1/openapi.json`.
pub fn router() -> Router<ServiceContext> {
    let (router, mut openapi) = routes().split_for_parts();
    common_responses::add_to(&mut openapi);
    let document = Arc::new(openapi);
    router.route(
        "/api/v1/openapi.json",
        get(move || {
            let document = document.clone();
            async move { Json(document.as_ref().clone()) }
        }),
    )
}

/// The OpenAPI document `/api/v1/openapi.json` serves.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, mut openapi) = routes().split_for_parts();
    common_responses::add_to(&mut openapi);
    openapi
}

/// Every route with its part of the OpenAPI document.
fn routes() -> OpenApiRouter<ServiceContext> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::login))
        .routes(routes!(accounts::logout))
        .routes(routes!(accounts::tokens))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::revoke_all_tokens))
        .routes(routes!(accounts::list_blocks))
        .routes(routes!(accounts::export))
        .routes(routes!(accounts::import))
        .routes(routes!(users::block, users::unblock))
        .routes(routes!(communities::block, communities::unblock))
        .routes(routes!(own_account::update_profile))
        .routes(routes!(own_account::delete_account))
        .routes(routes!(
            two_factor::status,
            two_factor::begin,
            two_factor::disable
        ))
        .routes(routes!(two_factor::confirm))
        .routes(routes!(email::request_password_reset))
        .routes(routes!(email::confirm_password_reset))
        .routes(routes!(email::verify_email))
        .routes(routes!(email::resend_verification))
        .routes(routes!(email::show, email::update))
        .routes(routes!(communities::create, communities::list))
        .routes(routes!(communities::show, communities::update))
        .routes(routes!(communities::join))
        .routes(routes!(communities::leave))
        .routes(routes!(communities::members))
        .routes(routes!(communities::approve_member))
        .routes(routes!(communities::deny_member))
        .routes(routes!(
            communities::list_moderators,
            communities::add_moderator
        ))
        .routes(routes!(communities::remove_moderator))
        .routes(routes!(users::show))
        .routes(routes!(users::posts))
        .routes(routes!(users::comments))
        .routes(routes!(posts::create, posts::list))
        .routes(routes!(posts::show, posts::update, posts::delete))
        .routes(routes!(posts::vote))
        .routes(routes!(posts::thread))
        .routes(routes!(events::rsvp))
        .routes(routes!(events::cancel))
        .routes(routes!(events::attendees))
        .routes(routes!(events::approve))
        .routes(routes!(events::upcoming))
        .routes(routes!(polls::vote))
        .routes(routes!(comments::create))
        .routes(routes!(comments::show, comments::update, comments::delete))
        .routes(routes!(comments::vote))
        .routes(routes!(saved::save_post, saved::unsave_post))
        .routes(routes!(saved::save_comment, saved::unsave_comment))
        .routes(routes!(saved::mark_read))
        .routes(routes!(saved::saved_posts))
        .routes(routes!(saved::saved_comments))
        .routes(routes!(moderation::remove_post))
        .routes(routes!(moderation::restore_post))
        .routes(routes!(moderation::lock_post))
        .routes(routes!(moderation::unlock_post))
        .routes(routes!(moderation::pin_post))
        .routes(routes!(moderation::unpin_post))
        .routes(routes!(moderation::remove_comment))
        .routes(routes!(moderation::restore_comment))
        .routes(routes!(moderation::ban))
        .routes(routes!(moderation::unban))
        .routes(routes!(moderation::modlog))
        .routes(routes!(search::search))
        .routes(routes!(resolve::resolve))
        .routes(routes!(admin::public_site))
        .routes(routes!(admin::list_applications))
        .routes(routes!(admin::federation_queue))
        .routes(routes!(admin::federation_inbox))
        .routes(routes!(admin::get_policy, admin::put_policy))
        .routes(routes!(admin::ban))
        .routes(routes!(admin::unban))
        .routes(routes!(admin::purge_community))
        .routes(routes!(admin::purge_user))
        .routes(routes!(admin::remove_community))
        .routes(routes!(admin::restore_community))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::mark_unread))
        .routes(routes!(notifications::mark_all_read))
        .routes(routes!(reports::create, reports::list))
        .routes(routes!(reports::resolve))
        .routes(routes!(reports::dismiss))
        .routes(routes!(admin::approve_application))
        .routes(routes!(admin::deny_application))
        .routes(routes!(admin::get_site, admin::update_site))
        .routes(routes!(media::mine))
        .routes(routes!(media::delete))
        .routes(routes!(media::usage))
        .routes(routes!(media::purge))
        // Uploads stream to a temporary file and stop at `media.max_upload_bytes` themselves, so
        // the JSON requests' body limit does not apply to them.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(media::upload))
                .layer(DefaultBodyLimit::disable()),
        )
}
