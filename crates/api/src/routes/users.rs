//! People's public profiles.

use crate::extract::ApiPath;
use crate::views::{ErrorBody, PersonView};
use axum::Json;
use axum::extract::State;
use hearth_core::Result;
use hearth_service::ServiceContext;

/// A person's profile (`name`, or `name@host`).
#[utoipa::path(get, path = "/api/v1/users/{user}", tag = "users",
    params(("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = PersonView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(ctx): State<ServiceContext>,
    ApiPath(user): ApiPath<String>,
) -> Result<Json<PersonView>> {
    Ok(Json(
        hearth_service::users::find(&ctx, &user, "user")
            .await?
            .into(),
    ))
}
