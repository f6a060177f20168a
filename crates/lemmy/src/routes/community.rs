//! The v3 `community` endpoints: reading one community and listing them, following and
//! blocking, creating and editing. Following a community of another server answers `Pending`
//! until its server accepts, as on Lemmy.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::{ListingType, SortType, community_order, page_window};
use crate::views::community::{
    CommunityModeratorView, CommunityView, community_view, community_views, moderator_views,
};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::community_facts::{self, CommunityScope};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route(
            "/community",
            get(get_community)
                .post(create_community)
                .put(edit_community),
        )
        .route("/community/list", get(list_communities))
        .route("/community/follow", post(follow_community))
        .route("/community/block", post(block_community))
}

/// The reference (`name` or `name@host`) the use cases take for a community known by id.
pub(crate) fn reference_of(ctx: &ServiceContext, community: &CommunityRow) -> String {
    community_facts::reference(ctx, &community.name, community.local, &community.ap_id)
}

/// `GetCommunity`.
#[derive(Debug, Deserialize)]
struct GetCommunity {
    id: Option<i64>,
    name: Option<String>,
}

/// `GetCommunityResponse` (without `site`, which Lemmy sends only to its own web client).
#[derive(Debug, Serialize)]
struct GetCommunityResponse {
    community_view: CommunityView,
    moderators: Vec<CommunityModeratorView>,
    discussion_languages: Vec<i32>,
}

/// `CommunityResponse`.
#[derive(Debug, Serialize)]
struct CommunityResponse {
    community_view: CommunityView,
    discussion_languages: Vec<i32>,
}

/// Finds a community by id, or by `name` / `name@host`; a signed-in viewer's unknown
/// `name@host` is fetched from its server, as Lemmy does.
async fn find(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    id: Option<i64>,
    name: Option<&str>,
) -> LemmyResult<CommunityRow> {
    match (id, name) {
        (Some(id), _) => Ok(community_facts::community(ctx, id).await?),
        (None, Some(name)) => match hearth_service::communities::find(ctx, name).await {
            Ok(row) => Ok(row),
            Err(e) if e.kind.code() == "not_found" && name.contains('@') => {
                let Some(viewer) = viewer else {
                    return Err(e.into());
                };
                let query = format!("!{}", name.trim_start_matches('!'));
                match hearth_service::resolve::resolve(ctx, viewer, &query).await? {
                    hearth_service::resolve::Resolved::Community(id) => {
                        Ok(community_facts::community(ctx, id).await?)
                    }
                    _ => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        },
        (None, None) => Err(LemmyError::new(
            "no_id_given",
            "Give the community's `id` or `name`.",
        )),
    }
}

/// `GET /community`.
async fn get_community(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetCommunity>,
) -> LemmyResult<Json<GetCommunityResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let row = find(&ctx, viewer, form.id, form.name.as_deref()).await?;
    let moderators = moderator_views(&ctx, std::slice::from_ref(&row)).await?;
    Ok(Json(GetCommunityResponse {
        community_view: community_view(&ctx, viewer, row).await?,
        moderators,
        discussion_languages: Vec::new(),
    }))
}

/// `ListCommunities`.
#[derive(Debug, Deserialize)]
struct ListCommunities {
    type_: Option<ListingType>,
    sort: Option<SortType>,
    show_nsfw: Option<bool>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `ListCommunitiesResponse`.
#[derive(Debug, Serialize)]
struct ListCommunitiesResponse {
    communities: Vec<CommunityView>,
}

/// `GET /community/list`.
async fn list_communities(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<ListCommunities>,
) -> LemmyResult<Json<ListCommunitiesResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let (limit, offset) = page_window(form.page, form.limit)?;
    let scope = match (form.type_.unwrap_or(ListingType::All), viewer) {
        (ListingType::All, _) => CommunityScope::All,
        (ListingType::Local, _) => CommunityScope::Local,
        (ListingType::Subscribed, Some(v)) => CommunityScope::MemberOf(v.person_id),
        (ListingType::ModeratorView, Some(v)) => CommunityScope::ModeratedBy(v.person_id),
        (ListingType::Subscribed | ListingType::ModeratorView, None) => {
            return Err(LemmyError::not_logged_in());
        }
    };
    let order = community_order(form.sort.unwrap_or(SortType::TopAll));
    let rows = community_facts::list(
        &ctx,
        scope,
        order,
        form.show_nsfw.unwrap_or(false),
        limit,
        offset,
    )
    .await?;
    Ok(Json(ListCommunitiesResponse {
        communities: community_views(&ctx, viewer, rows).await?,
    }))
}

/// `FollowCommunity`.
#[derive(Debug, Deserialize)]
struct FollowCommunity {
    community_id: i64,
    follow: bool,
}

/// `POST /community/follow`: joins or leaves; a community of another server stays `Pending`
/// until it accepts.
async fn follow_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<FollowCommunity>,
) -> LemmyResult<Json<CommunityResponse>> {
    let row = community_facts::community(&ctx, form.community_id).await?;
    let reference = reference_of(&ctx, &row);
    if form.follow {
        hearth_service::membership::join(&ctx, &viewer, &reference).await?;
    } else {
        hearth_service::membership::leave(&ctx, &viewer, &reference).await?;
    }
    let row = community_facts::community(&ctx, row.id).await?;
    Ok(Json(CommunityResponse {
        community_view: community_view(&ctx, Some(&viewer), row).await?,
        discussion_languages: Vec::new(),
    }))
}

/// `BlockCommunity`.
#[derive(Debug, Deserialize)]
struct BlockCommunity {
    community_id: i64,
    block: bool,
}

/// `BlockCommunityResponse`.
#[derive(Debug, Serialize)]
struct BlockCommunityResponse {
    community_view: CommunityView,
    blocked: bool,
}

/// `POST /community/block`.
async fn block_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<BlockCommunity>,
) -> LemmyResult<Json<BlockCommunityResponse>> {
    let row = community_facts::community(&ctx, form.community_id).await?;
    let reference = reference_of(&ctx, &row);
    if form.block {
        hearth_service::blocks::block_community(&ctx, &viewer, &reference).await?;
    } else {
        hearth_service::blocks::unblock_community(&ctx, &viewer, &reference).await?;
    }
    Ok(Json(BlockCommunityResponse {
        community_view: community_view(&ctx, Some(&viewer), row).await?,
        blocked: form.block,
    }))
}

/// Lemmy's `CommunityVisibility` in a form.
#[derive(Debug, Clone, Copy, Deserialize)]
enum CommunityVisibilityForm {
    Public,
    LocalOnly,
}

/// Refuses `LocalOnly`, which Hearth has no notion of.
fn check_visibility(visibility: Option<CommunityVisibilityForm>) -> LemmyResult<()> {
    match visibility {
        None | Some(CommunityVisibilityForm::Public) => Ok(()),
        Some(CommunityVisibilityForm::LocalOnly) => Err(LemmyError::unsupported(
            "invalid_community",
            "A community readable only by local people",
        )),
    }
}

/// `CreateCommunity`.
#[derive(Debug, Deserialize)]
struct CreateCommunity {
    name: String,
    title: String,
    description: Option<String>,
    icon: Option<String>,
    banner: Option<String>,
    nsfw: Option<bool>,
    posting_restricted_to_mods: Option<bool>,
    visibility: Option<CommunityVisibilityForm>,
}

/// `POST /community`.
async fn create_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<CreateCommunity>,
) -> LemmyResult<Json<CommunityResponse>> {
    check_visibility(form.visibility)?;
    let created = hearth_service::communities::create(
        &ctx,
        &viewer,
        hearth_service::communities::NewCommunityForm {
            name: form.name,
            title: form.title,
            description: form.description,
            nsfw: form.nsfw.unwrap_or(false),
            posting_restricted_to_mods: form.posting_restricted_to_mods.unwrap_or(false),
            visibility: hearth_service::communities::Visibility::Public,
            icon_url: form.icon.map(Some),
            banner_url: form.banner.map(Some),
        },
    )
    .await
    .map_err(|e| {
        LemmyError::from(e)
            .rename("user_already_exists", "community_already_exists")
            .rename("invalid_post_title", "invalid_name")
    })?;
    Ok(Json(CommunityResponse {
        community_view: community_view(&ctx, Some(&viewer), created.community).await?,
        discussion_languages: Vec::new(),
    }))
}

/// `EditCommunity`.
#[derive(Debug, Deserialize)]
struct EditCommunity {
    community_id: i64,
    title: Option<String>,
    description: Option<String>,
    icon: Option<String>,
    banner: Option<String>,
    nsfw: Option<bool>,
    posting_restricted_to_mods: Option<bool>,
    visibility: Option<CommunityVisibilityForm>,
}

/// `PUT /community`. An empty `icon` or `banner` removes it, as Lemmy's clients send it.
async fn edit_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<EditCommunity>,
) -> LemmyResult<Json<CommunityResponse>> {
    check_visibility(form.visibility)?;
    let row = community_facts::community(&ctx, form.community_id).await?;
    let picture = |raw: Option<String>| raw.map(|url| Some(url).filter(|u| !u.is_empty()));
    let update = hearth_service::communities::CommunityUpdate {
        title: form.title,
        description: form.description,
        nsfw: form.nsfw,
        posting_restricted_to_mods: form.posting_restricted_to_mods,
        icon_url: picture(form.icon),
        banner_url: picture(form.banner),
        ..Default::default()
    };
    let updated =
        hearth_service::communities::update(&ctx, &viewer, &reference_of(&ctx, &row), update)
            .await
            .map_err(|e| LemmyError::from(e).rename("unknown", "couldnt_update_community"))?;
    Ok(Json(CommunityResponse {
        community_view: community_view(&ctx, Some(&viewer), updated.community).await?,
        discussion_languages: Vec::new(),
    }))
}
