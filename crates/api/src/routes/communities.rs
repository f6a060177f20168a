//! Communities, membership and moderators.

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging;
use crate::views::{
    CommunityView, ErrorBody, List, MemberView, MembershipView, Page, PersonSummary,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hearth_core::{Error, Result};
use hearth_db::community::CommunitySort;
use hearth_db::membership::MemberState;
use hearth_service::ServiceContext;
use hearth_service::communities::{self, CommunityUpdate, NewCommunityForm, Visibility};
use hearth_service::membership::{self, MembershipChange};
use hearth_service::moderators;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// A new community.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunityRequest {
    /// 3–30 characters of a-z, 0-9 and _; unique on this instance.
    pub name: String,
    /// 1–100 characters.
    pub title: String,
    /// Markdown, at most 10,000 characters.
    pub description: Option<String>,
    /// Not safe for work.
    #[serde(default)]
    pub nsfw: bool,
    /// Only moderators may post.
    #[serde(default)]
    pub posting_restricted_to_mods: bool,
    /// `public` (default) or `approval`.
    pub visibility: Option<String>,
    /// The icon: a picture uploaded here (`POST /api/v1/media`).
    pub icon_url: Option<String>,
    /// The banner: a picture uploaded here.
    pub banner_url: Option<String>,
}

/// Creates a community; the creator becomes its first member and moderator.
#[utoipa::path(post, path = "/api/v1/communities", tag = "communities", security(("bearer" = [])),
    request_body = CreateCommunityRequest,
    responses(
        (status = 201, body = CommunityView),
        (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "community_creation_restricted"),
        (status = 409, body = ErrorBody, description = "name_taken"),
        (status = 422, body = ErrorBody, description = "invalid_body"),
    ))]
pub async fn create(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiJson(body): ApiJson<CreateCommunityRequest>,
) -> Result<(StatusCode, Json<CommunityView>)> {
    let visibility = body
        .visibility
        .as_deref()
        .map(communities::parse_visibility)
        .transpose()?;
    let details = communities::create(
        &ctx,
        &viewer,
        NewCommunityForm {
            name: body.name,
            title: body.title,
            description: body.description,
            nsfw: body.nsfw,
            posting_restricted_to_mods: body.posting_restricted_to_mods,
            visibility: visibility.unwrap_or(Visibility::Public),
            icon_url: Some(body.icon_url),
            banner_url: Some(body.banner_url),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(details.into())))
}

/// Filters and paging of the community list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListCommunitiesQuery {
    /// `members` (default), `new` or `active`.
    pub sort: Option<String>,
    /// Words to find in names and titles (prefixes match).
    pub q: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Lists communities, sorted and searchable, a page at a time.
#[utoipa::path(get, path = "/api/v1/communities", tag = "communities", params(ListCommunitiesQuery),
    responses((status = 200, body = Page<CommunityView>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiQuery(query): ApiQuery<ListCommunitiesQuery>,
) -> Result<Json<Page<CommunityView>>> {
    let sort = match query.sort.as_deref() {
        None | Some("members") => CommunitySort::Members,
        Some("new") => CommunitySort::New,
        Some("active") => CommunitySort::Active,
        Some(_) => {
            return Err(Error::validation(
                "sort",
                "must be `members`, `new` or `active`",
            ));
        }
    };
    let limit = paging::limit(query.limit)?;
    let after = paging::decode(query.cursor.as_deref())?;
    let viewer = viewer.map(|AuthUser(v)| v);
    let (rows, next) = communities::list(
        &ctx,
        viewer.as_ref(),
        sort,
        query.q.as_deref(),
        after,
        limit,
    )
    .await?;
    Ok(Json(Page {
        items: rows.into_iter().map(Into::into).collect(),
        next_cursor: next.map(paging::encode),
    }))
}

/// Shows a community (`name`, or `name@host`).
#[utoipa::path(get, path = "/api/v1/communities/{name}", tag = "communities",
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = CommunityView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<CommunityView>> {
    let community = communities::find(&ctx, &name).await?;
    let viewer = viewer.map(|AuthUser(v)| v);
    Ok(Json(
        communities::details(&ctx, viewer.as_ref(), community)
            .await?
            .into(),
    ))
}

/// Changes to a community; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommunityRequest {
    /// 1–100 characters.
    pub title: Option<String>,
    /// Markdown, at most 10,000 characters.
    pub description: Option<String>,
    /// The community's rules: markdown, at most 10,000 characters; federated after the
    /// description in the Group's `summary`.
    pub rules: Option<String>,
    /// Not safe for work.
    pub nsfw: Option<bool>,
    /// Only moderators may post.
    pub posting_restricted_to_mods: Option<bool>,
    /// `public` or `approval`.
    pub visibility: Option<String>,
    /// A new icon (a picture uploaded here, `POST /api/v1/media`); `null` removes it.
    #[serde(default, deserialize_with = "crate::routes::posts::present")]
    #[schema(value_type = Option<String>)]
    pub icon_url: Option<Option<String>>,
    /// A new banner (a picture uploaded here); `null` removes it.
    #[serde(default, deserialize_with = "crate::routes::posts::present")]
    #[schema(value_type = Option<String>)]
    pub banner_url: Option<Option<String>>,
}

/// Updates a community (its moderators and this instance's admins).
#[utoipa::path(patch, path = "/api/v1/communities/{name}", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")),
    request_body = UpdateCommunityRequest,
    responses(
        (status = 200, body = CommunityView),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
pub async fn update(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateCommunityRequest>,
) -> Result<Json<CommunityView>> {
    let visibility = body
        .visibility
        .as_deref()
        .map(communities::parse_visibility)
        .transpose()?;
    let details = communities::update(
        &ctx,
        &viewer,
        &name,
        CommunityUpdate {
            title: body.title,
            description: body.description,
            rules: body.rules,
            nsfw: body.nsfw,
            posting_restricted_to_mods: body.posting_restricted_to_mods,
            visibility,
            icon_url: body.icon_url,
            banner_url: body.banner_url,
        },
    )
    .await?;
    Ok(Json(details.into()))
}

fn membership_view(change: MembershipChange) -> Json<MembershipView> {
    Json(MembershipView {
        community: change.community,
        state: change.state.as_str().to_owned(),
    })
}

/// Joins a community (`state: joined`), or asks to join one that approves members (`pending`).
#[utoipa::path(post, path = "/api/v1/communities/{name}/join", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = MembershipView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "community_removed"), (status = 404, body = ErrorBody)))]
pub async fn join(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<MembershipView>> {
    Ok(membership_view(
        membership::join(&ctx, &viewer, &name).await?,
    ))
}

/// Leaves a community, or withdraws a pending request.
#[utoipa::path(post, path = "/api/v1/communities/{name}/leave", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = MembershipView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn leave(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<MembershipView>> {
    Ok(membership_view(
        membership::leave(&ctx, &viewer, &name).await?,
    ))
}

/// Filters of the member list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// `pending` (default) or `joined`.
    pub state: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Lists pending join requests or members (moderators and admins).
#[utoipa::path(get, path = "/api/v1/communities/{name}/members", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`"), MembersQuery),
    responses((status = 200, body = Page<MemberView>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn members(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiQuery(query): ApiQuery<MembersQuery>,
) -> Result<Json<Page<MemberView>>> {
    let state = match query.state.as_deref() {
        None => MemberState::Pending,
        Some(raw) => raw
            .parse()
            .map_err(|_| Error::validation("state", "must be `pending` or `joined`"))?,
    };
    let limit = paging::limit(query.limit)?;
    let after = paging::decode_id(query.cursor.as_deref())?;
    let rows = membership::list(&ctx, &viewer, &name, state, after, limit + 1).await?;
    Ok(Json(paging::page_by_id(
        rows,
        limit,
        |r| r.person_id,
        MemberView::from,
    )))
}

/// Approves a pending join request.
#[utoipa::path(post, path = "/api/v1/communities/{name}/members/{user}/approve", tag = "communities",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`"), ("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = MembershipView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn approve_member(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath((name, user)): ApiPath<(String, String)>,
) -> Result<Json<MembershipView>> {
    Ok(membership_view(
        membership::approve(&ctx, &viewer, &name, &user).await?,
    ))
}

/// Denies a pending join request.
#[utoipa::path(post, path = "/api/v1/communities/{name}/members/{user}/deny", tag = "communities",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`"), ("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = MembershipView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody)))]
pub async fn deny_member(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath((name, user)): ApiPath<(String, String)>,
) -> Result<Json<MembershipView>> {
    Ok(membership_view(
        membership::deny(&ctx, &viewer, &name, &user).await?,
    ))
}

fn moderator_list(rows: Vec<hearth_db::moderator::ModeratorRow>) -> Json<List<PersonSummary>> {
    Json(List {
        items: rows.into_iter().map(Into::into).collect(),
    })
}

/// Lists a community's moderators.
#[utoipa::path(get, path = "/api/v1/communities/{name}/moderators", tag = "communities",
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = List<PersonSummary>), (status = 404, body = ErrorBody)))]
pub async fn list_moderators(
    State(ctx): State<ServiceContext>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<List<PersonSummary>>> {
    Ok(moderator_list(moderators::list(&ctx, &name).await?))
}

/// A person to make a moderator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddModeratorRequest {
    /// `name` or `name@host`.
    pub user: String,
}

/// Adds a moderator (moderators and admins); returns the new list.
#[utoipa::path(post, path = "/api/v1/communities/{name}/moderators", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")),
    request_body = AddModeratorRequest,
    responses((status = 200, body = List<PersonSummary>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "already_moderator")))]
pub async fn add_moderator(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<AddModeratorRequest>,
) -> Result<Json<List<PersonSummary>>> {
    Ok(moderator_list(
        moderators::add(&ctx, &viewer, &name, &body.user).await?,
    ))
}

/// Removes a moderator (moderators and admins). Moderators may remove themselves and those added
/// after them (403 `outranked` otherwise); the last one cannot be removed.
#[utoipa::path(delete, path = "/api/v1/communities/{name}/moderators/{user}", tag = "communities",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`"), ("user" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = List<PersonSummary>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_moderator"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "last_moderator")))]
pub async fn remove_moderator(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath((name, user)): ApiPath<(String, String)>,
) -> Result<Json<List<PersonSummary>>> {
    Ok(moderator_list(
        moderators::remove(&ctx, &viewer, &name, &user).await?,
    ))
}

/// Blocks a community for the signed-in account: its posts leave the account's `all`, `local`
/// and `subscribed` feeds and its searches; the community's own page still shows them. Private,
/// never sent to other servers; membership is left as it is.
#[utoipa::path(post, path = "/api/v1/communities/{name}/block", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn block(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode> {
    hearth_service::blocks::block_community(&ctx, &viewer, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a block of a community back.
#[utoipa::path(delete, path = "/api/v1/communities/{name}/block", tag = "communities", security(("bearer" = [])),
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unblock(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode> {
    hearth_service::blocks::unblock_community(&ctx, &viewer, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}
