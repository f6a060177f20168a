//! Who is asking: the `Authorization: Bearer <token>` header resolved to a signed-in account.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hearth_core::Error;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;

/// A signed-in account; 401 `not_signed_in` without a token, 401 `invalid_token` with a bad,
/// revoked or ended one (see `sessions.*` in the settings).
pub struct AuthUser(pub Viewer);

impl FromRequestParts<ServiceContext> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = bearer(parts)? else {
            return Err(Error::not_signed_in());
        };
        hearth_service::auth::authenticate(ctx, token)
            .await?
            .map(Self)
            .ok_or_else(invalid_token)
    }
}

/// A signed-in administrator; 401 as for [`AuthUser`], 403 `not_admin` for anyone else.
///
/// Put it before any body extractor: axum runs extractors in argument order, so the caller's
/// right to use the route is decided before their body is read, and a non-admin learns
/// "forbidden" rather than what is wrong with a body they may not send at all.
pub struct AdminUser(pub Viewer);

impl FromRequestParts<ServiceContext> for AdminUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        let AuthUser(viewer) =
            <AuthUser as FromRequestParts<ServiceContext>>::from_request_parts(parts, ctx).await?;
        hearth_service::require_admin(&viewer)?;
        Ok(Self(viewer))
    }
}

/// `Option<AuthUser>`: anonymous without a token, still 401 with a bad one (a client that
/// thinks it is signed in should learn that it is not).
impl OptionalFromRequestParts<ServiceContext> for AuthUser {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Option<Self>, Self::Rejection> {
        match bearer(parts)? {
            None => Ok(None),
            Some(token) => hearth_service::auth::authenticate(ctx, token)
                .await?
                .map(|v| Some(Self(v)))
                .ok_or_else(invalid_token),
        }
    }
}

fn bearer(parts: &Parts) -> Result<Option<&str>, Error> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| invalid_token())?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(token.trim())),
        _ => Err(Error::unauthorized(
            "invalid_token",
            "Send the token as `Authorization: Bearer <token>`.",
        )),
    }
}

fn invalid_token() -> Error {
    Error::unauthorized(
        "invalid_token",
        "This token is not valid (it may have been revoked, or ended after going unused or \
         growing old); sign in again.",
    )
}
