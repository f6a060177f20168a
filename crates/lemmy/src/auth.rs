//! Who is asking: the jwt from `user/login`, sent as `Authorization: Bearer <jwt>` (what
//! lemmy-js-client and the apps send) or as the `jwt` cookie (what Lemmy's own web client sets),
//! resolved to a Hearth session. Plain Hearth API tokens are accepted too: it is one session.

use crate::error::LemmyError;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;

/// A signed-in account; `not_logged_in` without a token or with one that is unknown, revoked
/// or ended.
pub struct LemmyUser(pub Viewer);

impl FromRequestParts<ServiceContext> for LemmyUser {
    type Rejection = LemmyError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        let Some(token) = presented_token(parts) else {
            return Err(LemmyError::not_logged_in());
        };
        hearth_service::auth::authenticate(ctx, &token)
            .await?
            .map(Self)
            .ok_or_else(LemmyError::not_logged_in)
    }
}

/// A signed-in administrator: Lemmy's `not_an_admin` otherwise, decided before the body is read
/// (as Lemmy does), so a non-admin learns nothing about which ids exist and gets no body errors
/// for a request they may not make at all.
pub struct LemmyAdmin(pub Viewer);

impl FromRequestParts<ServiceContext> for LemmyAdmin {
    type Rejection = LemmyError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Self, Self::Rejection> {
        let LemmyUser(viewer) =
            <LemmyUser as FromRequestParts<ServiceContext>>::from_request_parts(parts, ctx).await?;
        if !viewer.admin {
            return Err(LemmyError::new(
                "not_an_admin",
                "Only administrators may do this.",
            ));
        }
        hearth_service::require_staff_second_factor(&viewer)?;
        Ok(Self(viewer))
    }
}

/// `Option<LemmyUser>`: anonymous without a token. A token that is no longer valid is treated as
/// none, as Lemmy does for reads, so an app with a stale login still shows the front page.
impl OptionalFromRequestParts<ServiceContext> for LemmyUser {
    type Rejection = LemmyError;

    async fn from_request_parts(
        parts: &mut Parts,
        ctx: &ServiceContext,
    ) -> Result<Option<Self>, Self::Rejection> {
        match presented_token(parts) {
            None => Ok(None),
            Some(token) => Ok(hearth_service::auth::authenticate(ctx, &token)
                .await?
                .map(Self)),
        }
    }
}

/// The token of a request: the bearer header first, then the `jwt` cookie.
pub fn presented_token(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(AUTHORIZATION)
        && let Ok(value) = value.to_str()
        && let Some((scheme, token)) = value.split_once(' ')
        && scheme.eq_ignore_ascii_case("bearer")
        && !token.trim().is_empty()
    {
        return Some(token.trim().to_owned());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| cookie.trim().split_once('='))
        .find(|(name, _)| *name == "jwt")
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}
