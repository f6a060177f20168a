//! Polls: voting. A poll is written with its post (`POST /api/v1/posts` with `poll`) and shown
//! in the post's `poll`.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath};
use crate::views::{ErrorBody, PollView};
use axum::Json;
use axum::extract::State;
use hearth_core::Result;
use hearth_service::ServiceContext;
use hearth_service::polls;
use serde::Deserialize;
use utoipa::ToSchema;

/// A vote in a poll.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollVoteRequest {
    /// The chosen options' positions (from 0): exactly one in a single-choice poll.
    #[schema(example = json!([1]))]
    pub choices: Vec<i16>,
}

/// Votes in a poll for the signed-in member. In a poll of this server a vote replaces the
/// member's earlier one until the end; in another server's poll it is sent there and final.
#[utoipa::path(put, path = "/api/v1/posts/{id}/poll/vote", tag = "polls", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    request_body = PollVoteRequest,
    responses((status = 200, body = PollView), (status = 400, body = ErrorBody, description = "invalid_field: choices"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "banned, not_member"),
        (status = 404, body = ErrorBody, description = "no such post, or it has no poll"),
        (status = 409, body = ErrorBody, description = "poll_closed, already_voted"),
        (status = 422, body = ErrorBody)))]
pub async fn vote(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PollVoteRequest>,
) -> Result<Json<PollView>> {
    Ok(Json(
        polls::vote(&ctx, &viewer, id, &body.choices).await?.into(),
    ))
}
