//! The v3 moderation endpoints: the mod log, moderators' actions on posts, comments and people
//! (through the same use cases as the JSON API, so they are logged and federated the same way),
//! and reports. A report Hearth dismissed reads as `resolved` (Lemmy knows only open and
//! resolved); resolving with `resolved: false` dismisses.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::page_window;
use crate::routes::community::reference_of as community_reference;
use crate::routes::person::reference_of as person_reference;
use crate::views::comment::{CommentView, comment_view};
use crate::views::community::{CommunityModeratorView, moderator_views};
use crate::views::moderation::{
    CommentReportView, GetModlogResponse, PostReportView, comment_report_views, mod_log_views,
    post_report_views,
};
use crate::views::person::{PersonView, person_view};
use crate::views::post::{PostView, post_views};
use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::community_facts::{self, ModLogFilter, ReportFilter};
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/modlog", get(modlog))
        .route("/post/remove", post(remove_post))
        .route("/post/lock", post(lock_post))
        .route("/post/feature", post(feature_post))
        .route("/comment/remove", post(remove_comment))
        .route("/community/ban_user", post(ban_from_community))
        .route("/community/mod", post(add_mod_to_community))
        .route("/post/report/list", get(list_post_reports))
        .route("/post/report/resolve", put(resolve_post_report))
        .route("/comment/report/list", get(list_comment_reports))
        .route("/comment/report/resolve", put(resolve_comment_report))
        .route("/user/report_count", get(report_count))
}

/// Lemmy's `ModlogActionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum ModlogActionType {
    All,
    ModRemovePost,
    ModLockPost,
    ModFeaturePost,
    ModRemoveComment,
    ModRemoveCommunity,
    ModBanFromCommunity,
    ModAddCommunity,
    ModTransferCommunity,
    ModAdd,
    ModBan,
    ModHideCommunity,
    AdminPurgePerson,
    AdminPurgeCommunity,
    AdminPurgePost,
    AdminPurgeComment,
}

/// The stored mod log actions of a Lemmy action type (none: Hearth logs no such action there).
fn stored_actions(kind: ModlogActionType) -> Vec<&'static str> {
    match kind {
        ModlogActionType::All => vec![
            "remove_post",
            "restore_post",
            "lock_post",
            "unlock_post",
            "pin_post",
            "unpin_post",
            "remove_comment",
            "restore_comment",
            "ban",
            "unban",
            "add_moderator",
            "remove_moderator",
        ],
        ModlogActionType::ModRemovePost => vec!["remove_post", "restore_post"],
        ModlogActionType::ModLockPost => vec!["lock_post", "unlock_post"],
        ModlogActionType::ModFeaturePost => vec!["pin_post", "unpin_post"],
        ModlogActionType::ModRemoveComment => vec!["remove_comment", "restore_comment"],
        ModlogActionType::ModBanFromCommunity => vec!["ban", "unban"],
        ModlogActionType::ModAddCommunity => vec!["add_moderator", "remove_moderator"],
        ModlogActionType::ModRemoveCommunity
        | ModlogActionType::ModTransferCommunity
        | ModlogActionType::ModAdd
        | ModlogActionType::ModBan
        | ModlogActionType::ModHideCommunity
        | ModlogActionType::AdminPurgePerson
        | ModlogActionType::AdminPurgeCommunity
        | ModlogActionType::AdminPurgePost
        | ModlogActionType::AdminPurgeComment => Vec::new(),
    }
}

/// `GetModlog`.
#[derive(Debug, Deserialize)]
struct GetModlog {
    mod_person_id: Option<i64>,
    community_id: Option<i64>,
    page: Option<i64>,
    limit: Option<i64>,
    type_: Option<ModlogActionType>,
    other_person_id: Option<i64>,
    post_id: Option<i64>,
    comment_id: Option<i64>,
}

/// `GET /modlog`: public, as Lemmy's; one page of the entries (over all arrays at once).
async fn modlog(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetModlog>,
) -> LemmyResult<Json<GetModlogResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let (limit, offset) = page_window(form.page, form.limit)?;
    let actions = stored_actions(form.type_.unwrap_or(ModlogActionType::All));
    if actions.is_empty() {
        return Ok(Json(GetModlogResponse::default()));
    }
    let filter = ModLogFilter {
        community_id: form.community_id,
        moderator_id: form.mod_person_id,
        target_person_id: form.other_person_id,
        target_post_id: form.post_id,
        target_comment_id: form.comment_id,
        actions,
    };
    let entries = community_facts::mod_log(&ctx, &filter, limit, offset).await?;
    Ok(Json(mod_log_views(&ctx, viewer, entries).await?))
}

/// `PostResponse`.
#[derive(Debug, Serialize)]
struct PostResponse {
    post_view: PostView,
}

/// The view of a post a moderator just changed.
async fn post_response(
    ctx: &ServiceContext,
    viewer: &Viewer,
    row: hearth_db::post::PostRow,
) -> LemmyResult<Json<PostResponse>> {
    let post_view = post_views(ctx, Some(viewer), vec![row])
        .await?
        .pop()
        .ok_or_else(|| LemmyError::new("couldnt_find_post", "The post is gone."))?;
    Ok(Json(PostResponse { post_view }))
}

/// Lemmy's name for a post or comment that is not there.
fn missing(error: hearth_core::Error, name: &'static str) -> LemmyError {
    LemmyError::from(error).rename("not_found", name)
}

/// `RemovePost`.
#[derive(Debug, Deserialize)]
struct RemovePost {
    post_id: i64,
    removed: bool,
    reason: Option<String>,
}

/// `POST /post/remove`.
async fn remove_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<RemovePost>,
) -> LemmyResult<Json<PostResponse>> {
    let row = hearth_service::moderation::remove_post(
        &ctx,
        &viewer,
        form.post_id,
        form.removed,
        form.reason.as_deref(),
    )
    .await
    .map_err(|e| missing(e, "couldnt_find_post"))?;
    post_response(&ctx, &viewer, row).await
}

/// `LockPost`.
#[derive(Debug, Deserialize)]
struct LockPost {
    post_id: i64,
    locked: bool,
}

/// `POST /post/lock`.
async fn lock_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<LockPost>,
) -> LemmyResult<Json<PostResponse>> {
    let row = hearth_service::moderation::lock_post(&ctx, &viewer, form.post_id, form.locked)
        .await
        .map_err(|e| missing(e, "couldnt_find_post"))?;
    post_response(&ctx, &viewer, row).await
}

/// Lemmy's `PostFeatureType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum PostFeatureType {
    Local,
    Community,
}

/// `FeaturePost`.
#[derive(Debug, Deserialize)]
struct FeaturePost {
    post_id: i64,
    featured: bool,
    feature_type: PostFeatureType,
}

/// `POST /post/feature`: pins to the community (`Community`); Hearth has no instance-wide pins
/// (`Local`).
async fn feature_post(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<FeaturePost>,
) -> LemmyResult<Json<PostResponse>> {
    if form.feature_type == PostFeatureType::Local {
        if !viewer.admin {
            return Err(LemmyError::new(
                "not_an_admin",
                "Only administrators may pin posts to the front page.",
            ));
        }
        hearth_service::require_staff_second_factor(&viewer)?;
        return Err(LemmyError::unsupported(
            "couldnt_update_post",
            "Pinning a post to the instance's front page",
        ));
    }
    let row = hearth_service::moderation::pin_post(&ctx, &viewer, form.post_id, form.featured)
        .await
        .map_err(|e| missing(e, "couldnt_find_post"))?;
    post_response(&ctx, &viewer, row).await
}

/// `RemoveComment`.
#[derive(Debug, Deserialize)]
struct RemoveComment {
    comment_id: i64,
    removed: bool,
    reason: Option<String>,
}

/// `CommentResponse`.
#[derive(Debug, Serialize)]
struct CommentResponse {
    comment_view: CommentView,
    recipient_ids: Vec<i64>,
}

/// `POST /comment/remove`.
async fn remove_comment(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<RemoveComment>,
) -> LemmyResult<Json<CommentResponse>> {
    let row = hearth_service::moderation::remove_comment(
        &ctx,
        &viewer,
        form.comment_id,
        form.removed,
        form.reason.as_deref(),
    )
    .await
    .map_err(|e| missing(e, "couldnt_find_comment"))?;
    Ok(Json(CommentResponse {
        comment_view: comment_view(&ctx, Some(&viewer), row).await?,
        recipient_ids: Vec::new(),
    }))
}

/// `BanFromCommunity`.
#[derive(Debug, Deserialize)]
struct BanFromCommunity {
    community_id: i64,
    person_id: i64,
    ban: bool,
    remove_data: Option<bool>,
    reason: Option<String>,
    /// Unix seconds.
    expires: Option<i64>,
}

/// `BanFromCommunityResponse`.
#[derive(Debug, Serialize)]
struct BanFromCommunityResponse {
    person_view: PersonView,
    banned: bool,
}

/// `POST /community/ban_user`. Unbanning someone not banned succeeds, as on Lemmy.
async fn ban_from_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<BanFromCommunity>,
) -> LemmyResult<Json<BanFromCommunityResponse>> {
    let community = community_facts::community(&ctx, form.community_id).await?;
    let person = community_facts::person(&ctx, form.person_id).await?;
    let reference = community_reference(&ctx, &community);
    let user = person_reference(&ctx, &person);
    if form.ban {
        let expires_at = match form.expires {
            None => None,
            Some(secs) => {
                let at = DateTime::<Utc>::from_timestamp(secs, 0).ok_or_else(|| {
                    LemmyError::new("invalid_unix_time", "`expires` is not a time.")
                })?;
                if at <= Utc::now() {
                    return Err(LemmyError::new(
                        "ban_expiration_in_past",
                        "`expires` must be in the future.",
                    ));
                }
                Some(at)
            }
        };
        let ban = hearth_service::moderation::BanForm {
            user,
            reason: form.reason,
            expires_at,
            remove_data: form.remove_data.unwrap_or(false),
        };
        hearth_service::moderation::ban(&ctx, &viewer, &reference, ban)
            .await
            .map_err(|e| {
                if e.kind.code() == "is_moderator" {
                    LemmyError::new("not_higher_mod", e.kind.message())
                } else {
                    e.into()
                }
            })?;
    } else {
        match hearth_service::moderation::unban(&ctx, &viewer, &reference, &user).await {
            Ok(()) => {}
            Err(e) if e.kind.code() == "not_found" => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Json(BanFromCommunityResponse {
        person_view: person_view(&ctx, person).await?,
        banned: form.ban,
    }))
}

/// `AddModToCommunity`.
#[derive(Debug, Deserialize)]
struct AddModToCommunity {
    community_id: i64,
    person_id: i64,
    added: bool,
}

/// `AddModToCommunityResponse`.
#[derive(Debug, Serialize)]
struct AddModToCommunityResponse {
    moderators: Vec<CommunityModeratorView>,
}

/// `POST /community/mod`: adds or removes a moderator (Lemmy's seniority rule holds).
async fn add_mod_to_community(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<AddModToCommunity>,
) -> LemmyResult<Json<AddModToCommunityResponse>> {
    let community = community_facts::community(&ctx, form.community_id).await?;
    let person = community_facts::person(&ctx, form.person_id).await?;
    let reference = community_reference(&ctx, &community);
    let user = person_reference(&ctx, &person);
    if form.added {
        hearth_service::moderators::add(&ctx, &viewer, &reference, &user).await?;
    } else {
        hearth_service::moderators::remove(&ctx, &viewer, &reference, &user).await?;
    }
    Ok(Json(AddModToCommunityResponse {
        moderators: moderator_views(&ctx, std::slice::from_ref(&community)).await?,
    }))
}

/// `ListPostReports` and `ListCommentReports`.
#[derive(Debug, Deserialize)]
struct ListReports {
    page: Option<i64>,
    limit: Option<i64>,
    unresolved_only: Option<bool>,
    community_id: Option<i64>,
    post_id: Option<i64>,
    comment_id: Option<i64>,
}

impl ListReports {
    fn filter(&self, comments: bool) -> ReportFilter {
        ReportFilter {
            moderator_id: None,
            comments,
            community_id: self.community_id,
            post_id: self.post_id,
            comment_id: self.comment_id.filter(|_| comments),
            pending_only: self.unresolved_only.unwrap_or(false),
            report_id: None,
        }
    }
}

/// `ListPostReportsResponse`.
#[derive(Debug, Serialize)]
struct ListPostReportsResponse {
    post_reports: Vec<PostReportView>,
}

/// `GET /post/report/list`: the reports of the communities the viewer moderates (admins: all).
async fn list_post_reports(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<ListReports>,
) -> LemmyResult<Json<ListPostReportsResponse>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let reports =
        community_facts::reports(&ctx, &viewer, form.filter(false), limit, offset).await?;
    Ok(Json(ListPostReportsResponse {
        post_reports: post_report_views(&ctx, &viewer, reports).await?,
    }))
}

/// `ListCommentReportsResponse`.
#[derive(Debug, Serialize)]
struct ListCommentReportsResponse {
    comment_reports: Vec<CommentReportView>,
}

/// `GET /comment/report/list`.
async fn list_comment_reports(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<ListReports>,
) -> LemmyResult<Json<ListCommentReportsResponse>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let reports = community_facts::reports(&ctx, &viewer, form.filter(true), limit, offset).await?;
    Ok(Json(ListCommentReportsResponse {
        comment_reports: comment_report_views(&ctx, &viewer, reports).await?,
    }))
}

/// `ResolvePostReport` and `ResolveCommentReport`.
#[derive(Debug, Deserialize)]
struct ResolveReport {
    report_id: i64,
    resolved: bool,
}

/// Decides a report of the kind asked for, among those the viewer may see; `missing` when there
/// is no such report for them.
async fn decide(
    ctx: &ServiceContext,
    viewer: &Viewer,
    form: &ResolveReport,
    comments: bool,
    missing: &'static str,
) -> LemmyResult<hearth_service::community_facts::ReportEntry> {
    let filter = ReportFilter {
        comments,
        report_id: Some(form.report_id),
        ..ReportFilter::default()
    };
    let gone = || LemmyError::new(missing, "There is no such report for you to decide.");
    community_facts::reports(ctx, viewer, filter, 1, 0)
        .await?
        .pop()
        .ok_or_else(gone)?;
    hearth_service::reports::decide(ctx, viewer, form.report_id, form.resolved, None)
        .await
        .map_err(|e| LemmyError::from(e).rename("not_found", missing))?;
    community_facts::reports(ctx, viewer, filter, 1, 0)
        .await?
        .pop()
        .ok_or_else(gone)
}

/// `PostReportResponse`.
#[derive(Debug, Serialize)]
struct PostReportResponse {
    post_report_view: PostReportView,
}

/// `PUT /post/report/resolve`.
async fn resolve_post_report(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<ResolveReport>,
) -> LemmyResult<Json<PostReportResponse>> {
    let missing = "couldnt_find_post_report";
    let report = decide(&ctx, &viewer, &form, false, missing).await?;
    let post_report_view = post_report_views(&ctx, &viewer, vec![report])
        .await?
        .pop()
        .ok_or_else(|| LemmyError::new(missing, "The reported post is gone."))?;
    Ok(Json(PostReportResponse { post_report_view }))
}

/// `CommentReportResponse`.
#[derive(Debug, Serialize)]
struct CommentReportResponse {
    comment_report_view: CommentReportView,
}

/// `PUT /comment/report/resolve`.
async fn resolve_comment_report(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<ResolveReport>,
) -> LemmyResult<Json<CommentReportResponse>> {
    let missing = "couldnt_find_comment_report";
    let report = decide(&ctx, &viewer, &form, true, missing).await?;
    let comment_report_view = comment_report_views(&ctx, &viewer, vec![report])
        .await?
        .pop()
        .ok_or_else(|| LemmyError::new(missing, "The reported comment is gone."))?;
    Ok(Json(CommentReportResponse {
        comment_report_view,
    }))
}

/// `GetReportCount`.
#[derive(Debug, Deserialize)]
struct GetReportCount {
    community_id: Option<i64>,
}

/// `GetReportCountResponse` (Hearth has no private message reports: left out, as Lemmy does for
/// everyone but admins).
#[derive(Debug, Serialize)]
struct GetReportCountResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    community_id: Option<i64>,
    comment_reports: i64,
    post_reports: i64,
}

/// `GET /user/report_count`: pending reports waiting for the viewer.
async fn report_count(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<GetReportCount>,
) -> LemmyResult<Json<GetReportCountResponse>> {
    let (post_reports, comment_reports) =
        community_facts::pending_report_counts(&ctx, &viewer, form.community_id).await?;
    Ok(Json(GetReportCountResponse {
        community_id: form.community_id,
        comment_reports,
        post_reports,
    }))
}
