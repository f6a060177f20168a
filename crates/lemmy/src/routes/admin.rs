//! The v3 admin endpoints: editing the site, adding and leaving admins, registration
//! applications, site bans, purges, every upload, and removing communities. Each goes through the
//! use case the JSON API uses, so the same checks, logs and federation apply. What Hearth has no
//! notion of (hidden communities, transfers, a moderator deleting a community) answers Lemmy's
//! error for the action, and purging a post or comment removes it (Hearth purges only remote
//! people and communities).

use crate::auth::{LemmyAdmin, LemmyUser};
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::page_window;
use crate::routes::community::reference_of as community_reference;
use crate::routes::person::reference_of as person_reference;
use crate::routes::site::{GetSiteResponse, LocalUser, SiteView, local_user, site_response};
use crate::views::community::{CommunityView, community_view};
use crate::views::media::{ListMedia, ListMediaResponse, LocalImageView};
use crate::views::person::{PersonView, person_view, person_views};
use crate::views::{Person, SuccessResponse, time};
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hearth_core::settings::RegistrationMode as HearthRegistrationMode;
use hearth_db::person::PersonRow;
use hearth_service::ServiceContext;
use hearth_service::admin_views::{self, ApplicationEntry};
use hearth_service::auth::Viewer;
use hearth_service::community_facts;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/site", post(create_site).put(edit_site))
        .route("/admin/add", post(add_admin))
        .route("/user/leave_admin", post(leave_admin))
        .route(
            "/admin/registration_application/count",
            get(application_count),
        )
        .route(
            "/admin/registration_application/list",
            get(list_applications),
        )
        .route("/admin/registration_application", get(get_application))
        .route(
            "/admin/registration_application/approve",
            put(approve_application),
        )
        .route("/user/ban", post(ban_person))
        .route("/user/banned", get(banned_people))
        .route("/admin/purge/person", post(purge_person))
        .route("/admin/purge/community", post(purge_community))
        .route("/admin/purge/post", post(purge_post))
        .route("/admin/purge/comment", post(purge_comment))
        .route("/admin/list_all_media", get(list_all_media))
        .route("/community/remove", post(remove_community))
        .route("/community/delete", post(delete_community))
        .route("/community/hide", put(hide_community))
        .route("/community/transfer", post(transfer_community))
}

/// `SiteResponse`.
#[derive(Serialize)]
struct SiteResponse {
    site_view: SiteView,
    taglines: Vec<serde_json::Value>,
}

/// `CreateSite` (only what is needed to tell a well-formed request).
#[derive(Deserialize)]
struct CreateSite {
    #[allow(dead_code)]
    name: String,
}

/// `POST /site`: Hearth's site is made when the first admin is, so it always exists.
async fn create_site(
    LemmyAdmin(_admin): LemmyAdmin,
    LemmyJson(_form): LemmyJson<CreateSite>,
) -> LemmyResult<Json<SiteResponse>> {
    Err(LemmyError::new(
        "site_already_exists",
        "This server is already set up; change it with `PUT /site`.",
    ))
}

/// Lemmy's `RegistrationMode`.
#[derive(Debug, Clone, Copy, Deserialize)]
enum RegistrationMode {
    Closed,
    RequireApplication,
    Open,
}

/// `EditSite`: the fields Hearth keeps; the others (icons, themes, rate limits, federation
/// lists, taglines…) are accepted and ignored, as Hearth takes them from its configuration.
#[derive(Deserialize)]
struct EditSite {
    name: Option<String>,
    sidebar: Option<String>,
    description: Option<String>,
    enable_downvotes: Option<bool>,
    community_creation_admin_only: Option<bool>,
    application_question: Option<String>,
    registration_mode: Option<RegistrationMode>,
}

/// `PUT /site`. Hearth's site has one long text (its description); Lemmy's `sidebar` goes
/// there, or its short `description` when no sidebar is sent.
async fn edit_site(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<EditSite>,
) -> LemmyResult<Json<SiteResponse>> {
    let update = hearth_service::site::SiteUpdate {
        name: form.name,
        description: form.sidebar.or(form.description),
        rules: None,
        registration_mode: form.registration_mode.map(|mode| match mode {
            RegistrationMode::Closed => HearthRegistrationMode::Closed,
            RegistrationMode::RequireApplication => HearthRegistrationMode::Approval,
            RegistrationMode::Open => HearthRegistrationMode::Open,
        }),
        application_question: form.application_question,
        community_creation_admin_only: form.community_creation_admin_only,
        downvotes_enabled: form.enable_downvotes,
        // Lemmy's site form has no such switch; it is set in Hearth's own API and pages.
        require_staff_two_factor: None,
    };
    hearth_service::site::update(&ctx, &viewer, update)
        .await
        .map_err(|e| {
            LemmyError::from(e).rename("invalid_post_title", "site_name_length_overflow")
        })?;
    let overview = hearth_service::overview::site(&ctx).await?;
    Ok(Json(SiteResponse {
        site_view: crate::routes::site::site_view(&ctx, &overview),
        taglines: Vec::new(),
    }))
}

/// `AddAdmin`.
#[derive(Deserialize)]
struct AddAdmin {
    person_id: i64,
    added: bool,
}

/// `AddAdminResponse`.
#[derive(Serialize)]
struct AddAdminResponse {
    admins: Vec<PersonView>,
}

/// `POST /admin/add`: gives or takes admin rights (local accounts; the last admin stays).
async fn add_admin(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<AddAdmin>,
) -> LemmyResult<Json<AddAdminResponse>> {
    let person = community_facts::person(&ctx, form.person_id).await?;
    if !person.local {
        return Err(LemmyError::new(
            "couldnt_find_local_user",
            "Only accounts of this server can be administrators.",
        ));
    }
    let reference = person_reference(&ctx, &person);
    hearth_service::users::set_admin(&ctx, &viewer, &reference, form.added).await?;
    let overview = hearth_service::overview::site(&ctx).await?;
    let admins = overview.admins.into_iter().map(|(row, _)| row).collect();
    Ok(Json(AddAdminResponse {
        admins: person_views(&ctx, admins).await?,
    }))
}

/// `POST /user/leave_admin`: the viewer gives up their rights, unless they are the last admin.
async fn leave_admin(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
) -> LemmyResult<Json<GetSiteResponse>> {
    hearth_service::users::set_admin(&ctx, &viewer, &viewer.name, false)
        .await
        .map_err(|e| LemmyError::from(e).rename("no_admins", "cannot_leave_admin"))?;
    let former = Viewer {
        admin: false,
        ..viewer
    };
    Ok(Json(site_response(&ctx, Some(&former)).await?))
}

/// `GetUnreadRegistrationApplicationCountResponse`.
#[derive(Serialize)]
struct ApplicationCountResponse {
    registration_applications: i64,
}

/// `GET /admin/registration_application/count`: the applications waiting for a decision.
async fn application_count(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
) -> LemmyResult<Json<ApplicationCountResponse>> {
    Ok(Json(ApplicationCountResponse {
        registration_applications: admin_views::pending_application_count(&ctx, &viewer).await?,
    }))
}

/// `RegistrationApplication`.
#[derive(Serialize)]
struct RegistrationApplication {
    id: i64,
    local_user_id: i64,
    answer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deny_reason: Option<String>,
    published: String,
}

/// `RegistrationApplicationView`.
#[derive(Serialize)]
struct RegistrationApplicationView {
    registration_application: RegistrationApplication,
    creator_local_user: LocalUser,
    creator: Person,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin: Option<Person>,
}

/// The views of these applications, in their order (two queries for the people).
async fn application_views(
    ctx: &ServiceContext,
    entries: Vec<ApplicationEntry>,
) -> LemmyResult<Vec<RegistrationApplicationView>> {
    let mut ids: Vec<i64> = entries
        .iter()
        .flat_map(|e| std::iter::once(e.person_id).chain(e.decided_by))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let rows: HashMap<i64, PersonRow> = community_facts::people(ctx, &ids)
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect();
    let banned: HashSet<i64> = community_facts::site_banned_among(ctx, &ids)
        .await?
        .into_iter()
        .collect();
    let person = |id: i64| rows.get(&id).map(|row| (row, banned.contains(&id)));
    Ok(entries
        .into_iter()
        .filter_map(|entry| {
            let (creator, creator_banned) = person(entry.person_id)?;
            Some(RegistrationApplicationView {
                registration_application: RegistrationApplication {
                    id: entry.id,
                    local_user_id: entry.person_id,
                    answer: entry.answer,
                    admin_id: entry.decided_by,
                    deny_reason: entry.deny_reason.filter(|r| !r.is_empty()),
                    published: time(entry.created_at),
                },
                creator_local_user: local_user(
                    entry.person_id,
                    entry.email,
                    creator.admin,
                    entry.status == "approved",
                ),
                creator: Person::from_row(creator, creator_banned),
                admin: entry
                    .decided_by
                    .and_then(person)
                    .map(|(row, banned)| Person::from_row(row, banned)),
            })
        })
        .collect())
}

/// `ListRegistrationApplications`.
#[derive(Deserialize)]
struct ListRegistrationApplications {
    unread_only: Option<bool>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `ListRegistrationApplicationsResponse`.
#[derive(Serialize)]
struct ListRegistrationApplicationsResponse {
    registration_applications: Vec<RegistrationApplicationView>,
}

/// `GET /admin/registration_application/list`: newest first; `unread_only` keeps the pending.
async fn list_applications(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyQuery(form): LemmyQuery<ListRegistrationApplications>,
) -> LemmyResult<Json<ListRegistrationApplicationsResponse>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let pending_only = form.unread_only.unwrap_or(false);
    let entries = admin_views::applications(&ctx, &viewer, pending_only, limit, offset).await?;
    Ok(Json(ListRegistrationApplicationsResponse {
        registration_applications: application_views(&ctx, entries).await?,
    }))
}

/// `RegistrationApplicationResponse`.
#[derive(Serialize)]
struct RegistrationApplicationResponse {
    registration_application_view: RegistrationApplicationView,
}

/// The response for one application.
async fn application_response(
    ctx: &ServiceContext,
    entry: ApplicationEntry,
) -> LemmyResult<Json<RegistrationApplicationResponse>> {
    let registration_application_view = application_views(ctx, vec![entry])
        .await?
        .pop()
        .ok_or_else(|| hearth_core::Error::not_found("The applicant's account is gone."))?;
    Ok(Json(RegistrationApplicationResponse {
        registration_application_view,
    }))
}

/// `GetRegistrationApplication`.
#[derive(Deserialize)]
struct GetRegistrationApplication {
    person_id: i64,
}

/// `GET /admin/registration_application`: the applicant's latest application.
async fn get_application(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyQuery(form): LemmyQuery<GetRegistrationApplication>,
) -> LemmyResult<Json<RegistrationApplicationResponse>> {
    let entry = admin_views::application_of(&ctx, &viewer, form.person_id).await?;
    application_response(&ctx, entry).await
}

/// `ApproveRegistrationApplication`.
#[derive(Deserialize)]
struct ApproveRegistrationApplication {
    id: i64,
    approve: bool,
    deny_reason: Option<String>,
}

/// `PUT /admin/registration_application/approve`: approves or denies a pending application
/// (Hearth decides an application once; deciding it again is refused).
async fn approve_application(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<ApproveRegistrationApplication>,
) -> LemmyResult<Json<RegistrationApplicationResponse>> {
    let decided = if form.approve {
        hearth_service::applications::approve(&ctx, &viewer, form.id).await
    } else {
        hearth_service::applications::deny(&ctx, &viewer, form.id, form.deny_reason.as_deref())
            .await
    };
    decided.map_err(|e| {
        LemmyError::from(e)
            .rename("couldnt_resolve_report", "couldnt_update_user")
            .rename("report_reason_required", "invalid_query")
    })?;
    let entry = admin_views::application(&ctx, &viewer, form.id).await?;
    application_response(&ctx, entry).await
}

/// `BanPerson`.
#[derive(Deserialize)]
struct BanPerson {
    person_id: i64,
    ban: bool,
    remove_data: Option<bool>,
    reason: Option<String>,
    /// Unix seconds.
    expires: Option<i64>,
}

/// `BanPersonResponse`.
#[derive(Serialize)]
struct BanPersonResponse {
    person_view: PersonView,
    banned: bool,
}

/// `POST /user/ban`: bans a person from the instance or lifts the ban (lifting a ban that is
/// not there succeeds, as on Lemmy).
async fn ban_person(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<BanPerson>,
) -> LemmyResult<Json<BanPersonResponse>> {
    let expires_at = match form.expires {
        None => None,
        Some(secs) => Some(DateTime::<Utc>::from_timestamp(secs, 0).ok_or_else(|| {
            LemmyError::new("invalid_unix_time", "`expires` is not a valid time.")
        })?),
    };
    if form.ban && expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(LemmyError::new(
            "ban_expiration_in_past",
            "`expires` must be in the future.",
        ));
    }
    let person = community_facts::person(&ctx, form.person_id).await?;
    let reference = person_reference(&ctx, &person);
    if form.ban {
        let ban = hearth_service::admin::SiteBanForm {
            user: reference,
            reason: form.reason,
            expires_at,
            remove_data: form.remove_data.unwrap_or(false),
        };
        hearth_service::admin::ban(&ctx, &viewer, ban)
            .await
            .map_err(|e| LemmyError::from(e).rename("cant_block_admin", "not_higher_admin"))?;
    } else if !community_facts::site_banned_among(&ctx, &[person.id])
        .await?
        .is_empty()
    {
        hearth_service::admin::unban(&ctx, &viewer, &reference).await?;
    }
    let mut person_view = person_view(&ctx, person).await?;
    if form.ban {
        person_view.person.ban_expires = expires_at.map(time);
    }
    Ok(Json(BanPersonResponse {
        person_view,
        banned: form.ban,
    }))
}

/// `BannedPersonsResponse`.
#[derive(Serialize)]
struct BannedPersonsResponse {
    banned: Vec<PersonView>,
}

/// `GET /user/banned`: everyone banned from the instance now, with when their ban ends.
async fn banned_people(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
) -> LemmyResult<Json<BannedPersonsResponse>> {
    let bans = hearth_service::admin::bans(&ctx, &viewer).await?;
    let expiries: HashMap<i64, Option<DateTime<Utc>>> =
        bans.iter().map(|ban| (ban.id, ban.expires_at)).collect();
    let ids: Vec<i64> = bans.iter().map(|ban| ban.id).collect();
    let rows = community_facts::people(&ctx, &ids).await?;
    let mut banned = person_views(&ctx, rows).await?;
    for view in &mut banned {
        view.person.ban_expires = expiries.get(&view.person.id).copied().flatten().map(time);
    }
    Ok(Json(BannedPersonsResponse { banned }))
}

/// `PurgePerson`.
#[derive(Deserialize)]
struct PurgePerson {
    person_id: i64,
    #[allow(dead_code)]
    reason: Option<String>,
}

/// `POST /admin/purge/person`: removes a remote person and all they wrote. Local accounts are
/// banned (with `remove_data`) instead; purging one is refused.
async fn purge_person(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<PurgePerson>,
) -> LemmyResult<Json<SuccessResponse>> {
    let person = community_facts::person(&ctx, form.person_id).await?;
    if person.local {
        return Err(LemmyError::new(
            "couldnt_update_user",
            "Only people of other servers can be purged here; ban local accounts with \
             `remove_data` instead.",
        ));
    }
    let reference = person_reference(&ctx, &person);
    hearth_service::admin::purge_person(&ctx, &viewer, &reference).await?;
    Ok(Json(SuccessResponse::OK))
}

/// `PurgeCommunity`.
#[derive(Deserialize)]
struct PurgeCommunity {
    community_id: i64,
    #[allow(dead_code)]
    reason: Option<String>,
}

/// `POST /admin/purge/community`: removes a remote community and everything of it. Local
/// communities are removed (`community/remove`) instead; purging one is refused.
async fn purge_community(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<PurgeCommunity>,
) -> LemmyResult<Json<SuccessResponse>> {
    let community = community_facts::community(&ctx, form.community_id).await?;
    if community.local {
        return Err(LemmyError::new(
            "couldnt_update_community",
            "Only communities of other servers can be purged here; remove local ones with \
             `community/remove` instead.",
        ));
    }
    let reference = community_reference(&ctx, &community);
    hearth_service::admin::purge_community(&ctx, &viewer, &reference).await?;
    Ok(Json(SuccessResponse::OK))
}

/// `PurgePost`.
#[derive(Deserialize)]
struct PurgePost {
    post_id: i64,
    reason: Option<String>,
}

/// `POST /admin/purge/post`: Hearth does not erase single posts; the admin's removal (logged,
/// federated, restorable) is what it does instead.
async fn purge_post(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<PurgePost>,
) -> LemmyResult<Json<SuccessResponse>> {
    hearth_service::moderation::remove_post(
        &ctx,
        &viewer,
        form.post_id,
        true,
        form.reason.as_deref(),
    )
    .await?;
    Ok(Json(SuccessResponse::OK))
}

/// `PurgeComment`.
#[derive(Deserialize)]
struct PurgeComment {
    comment_id: i64,
    reason: Option<String>,
}

/// `POST /admin/purge/comment`: removes the comment, as `purge/post` does for posts.
async fn purge_comment(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<PurgeComment>,
) -> LemmyResult<Json<SuccessResponse>> {
    hearth_service::moderation::remove_comment(
        &ctx,
        &viewer,
        form.comment_id,
        true,
        form.reason.as_deref(),
    )
    .await?;
    Ok(Json(SuccessResponse::OK))
}

/// `GET /admin/list_all_media`: every upload of the instance, newest first.
async fn list_all_media(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyQuery(form): LemmyQuery<ListMedia>,
) -> LemmyResult<Json<ListMediaResponse>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let uploads = admin_views::uploads(&ctx, &viewer, limit, offset).await?;
    let uploader_ids: Vec<i64> = uploads.iter().map(|u| u.uploader_id).collect();
    let people = crate::views::person::people(&ctx, &uploader_ids).await?;
    Ok(Json(ListMediaResponse {
        images: uploads
            .into_iter()
            .filter_map(|upload| {
                let person = people.get(&upload.uploader_id)?.clone();
                let url = hearth_service::media::file_url(&ctx, &upload.hash, &upload.content_type);
                Some(LocalImageView::new(
                    person,
                    upload.id,
                    &url,
                    upload.created_at,
                ))
            })
            .collect(),
    }))
}

/// `CommunityResponse`.
#[derive(Serialize)]
struct CommunityResponse {
    community_view: CommunityView,
    discussion_languages: Vec<i32>,
}

/// `RemoveCommunity`.
#[derive(Deserialize)]
struct RemoveCommunity {
    community_id: i64,
    removed: bool,
    reason: Option<String>,
}

/// `POST /community/remove`: removes or restores a local community (asking for the state it
/// already has succeeds, as on Lemmy).
async fn remove_community(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(viewer): LemmyAdmin,
    LemmyJson(form): LemmyJson<RemoveCommunity>,
) -> LemmyResult<Json<CommunityResponse>> {
    let community = community_facts::community(&ctx, form.community_id).await?;
    if !community.local {
        return Err(LemmyError::new(
            "couldnt_update_community",
            "Only communities of this server can be removed; purge remote ones instead.",
        ));
    }
    let reference = community_reference(&ctx, &community);
    if form.removed && !community.removed {
        hearth_service::admin::remove_community(&ctx, &viewer, &reference, form.reason.as_deref())
            .await
            .map_err(|e| LemmyError::from(e).rename("report_reason_required", "invalid_query"))?;
    } else if !form.removed && community.removed {
        hearth_service::admin::restore_community(&ctx, &viewer, &reference).await?;
    }
    let row = community_facts::community(&ctx, community.id).await?;
    Ok(Json(CommunityResponse {
        community_view: community_view(&ctx, Some(&viewer), row).await?,
        discussion_languages: Vec::new(),
    }))
}

/// `DeleteCommunity`.
#[derive(Deserialize)]
struct DeleteCommunity {
    community_id: i64,
    #[allow(dead_code)]
    deleted: bool,
}

/// `POST /community/delete`: Hearth has no deletion of a community by its moderators (admins
/// remove communities instead); its moderators get Lemmy's `couldnt_update_community`.
async fn delete_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<DeleteCommunity>,
) -> LemmyResult<Json<CommunityResponse>> {
    let community = community_facts::community(&ctx, form.community_id).await?;
    let reference = community_reference(&ctx, &community);
    hearth_service::moderators::authorize(&ctx, &viewer, &reference).await?;
    Err(LemmyError::unsupported(
        "couldnt_update_community",
        "Deleting a community (an administrator can remove it with `community/remove`)",
    ))
}

/// `HideCommunity`.
#[derive(Deserialize)]
struct HideCommunity {
    community_id: i64,
    #[allow(dead_code)]
    hidden: bool,
    #[allow(dead_code)]
    reason: Option<String>,
}

/// `PUT /community/hide`: Hearth has no hidden communities.
async fn hide_community(
    State(ctx): State<ServiceContext>,
    LemmyAdmin(_admin): LemmyAdmin,
    LemmyJson(form): LemmyJson<HideCommunity>,
) -> LemmyResult<Json<SuccessResponse>> {
    community_facts::community(&ctx, form.community_id).await?;
    Err(LemmyError::unsupported(
        "couldnt_update_community_hidden_status",
        "Hiding a community",
    ))
}

/// `TransferCommunity`.
#[derive(Deserialize)]
struct TransferCommunity {
    community_id: i64,
    person_id: i64,
}

/// `POST /community/transfer`: Hearth's moderators have no ranking to hand over.
async fn transfer_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<TransferCommunity>,
) -> LemmyResult<Json<CommunityResponse>> {
    let community = community_facts::community(&ctx, form.community_id).await?;
    community_facts::person(&ctx, form.person_id).await?;
    let reference = community_reference(&ctx, &community);
    hearth_service::moderators::authorize(&ctx, &viewer, &reference).await?;
    Err(LemmyError::unsupported(
        "couldnt_update_community",
        "Transferring a community (add moderators with `community/mod`)",
    ))
}
