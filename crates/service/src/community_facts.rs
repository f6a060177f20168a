//! Facts about many communities, people, mod log entries and reports at once, by id, for faces
//! that show them whole (the Lemmy client API): a fixed number of queries per page, whatever its
//! length. Reading only; every change goes through the use case that owns it.

use crate::ServiceContext;
use crate::auth::Viewer;
use crate::communities::Membership;
use hearth_core::{Error, Result};
use hearth_db::community::CommunityRow;
use hearth_db::person::PersonRow;

pub use hearth_db::community_facts::{
    KnownInstance, ModLogEntry, ModLogFilter, PersonCounts, ReportEntry, ReportFilter,
};

/// The viewer's relation to one community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommunityRelation {
    /// Member, pending or neither.
    pub membership: Membership,
    /// The viewer blocks it.
    pub blocked: bool,
    /// The viewer is banned from it.
    pub banned: bool,
}

impl CommunityRelation {
    /// An anonymous visitor's relation: none.
    pub const NONE: Self = Self {
        membership: Membership::None,
        blocked: false,
        banned: false,
    };
}

/// The viewer's relation to each of these communities, as (community id, relation); anonymous
/// visitors have none.
pub async fn relations(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    community_ids: &[i64],
) -> Result<Vec<(i64, CommunityRelation)>> {
    let Some(viewer) = viewer else {
        return Ok(community_ids
            .iter()
            .map(|&id| (id, CommunityRelation::NONE))
            .collect());
    };
    let rows =
        hearth_db::community_facts::relations(&ctx.pool, viewer.person_id, community_ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let membership = match r.member_state.as_deref() {
                Some("joined") => Membership::Joined,
                Some("pending") => Membership::Pending,
                _ => Membership::None,
            };
            let relation = CommunityRelation {
                membership,
                blocked: r.blocked,
                banned: r.banned,
            };
            (r.community_id, relation)
        })
        .collect())
}

/// A community by id; 404 when there is none (removed ones too, for their moderators' tools).
pub async fn community(ctx: &ServiceContext, id: i64) -> Result<CommunityRow> {
    hearth_db::community::find(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no community with this id."))
}

/// Communities by id (missing ids are left out).
pub async fn communities(ctx: &ServiceContext, ids: &[i64]) -> Result<Vec<CommunityRow>> {
    Ok(hearth_db::community::find_many(&ctx.pool, ids).await?)
}

/// A person by id; 404 when there is none.
pub async fn person(ctx: &ServiceContext, id: i64) -> Result<PersonRow> {
    hearth_db::person::find(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no person with this id."))
}

/// People by id (missing ids are left out).
pub async fn people(ctx: &ServiceContext, ids: &[i64]) -> Result<Vec<PersonRow>> {
    Ok(hearth_db::person::find_many(&ctx.pool, ids).await?)
}

/// Post and comment counts and the site ban of each of these people.
pub async fn person_counts(ctx: &ServiceContext, ids: &[i64]) -> Result<Vec<PersonCounts>> {
    Ok(hearth_db::community_facts::person_counts(&ctx.pool, ids).await?)
}

/// The communities a person moderates, longest-served first.
pub async fn moderated_by(ctx: &ServiceContext, person_id: i64) -> Result<Vec<CommunityRow>> {
    let ids = hearth_db::community_facts::moderated_by(&ctx.pool, person_id).await?;
    let mut rows = communities(ctx, &ids).await?;
    rows.sort_by_key(|c| ids.iter().position(|&id| id == c.id));
    Ok(rows)
}

/// The moderators of each of these communities, as (community id, person id), longest-serving
/// first within each.
pub async fn moderators_of(ctx: &ServiceContext, community_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    Ok(hearth_db::community_facts::moderators_of(&ctx.pool, community_ids).await?)
}

/// The public mod log with ids, newest first.
pub async fn mod_log(
    ctx: &ServiceContext,
    filter: &ModLogFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ModLogEntry>> {
    Ok(hearth_db::community_facts::mod_log(&ctx.pool, filter, limit, offset).await?)
}

/// Reports for the viewer to act on, with ids: of the communities they moderate (admins: all),
/// as `reports::list` shows them.
pub async fn reports(
    ctx: &ServiceContext,
    viewer: &Viewer,
    filter: ReportFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReportEntry>> {
    crate::require_staff_second_factor_anywhere(ctx, viewer).await?;
    let filter = ReportFilter {
        moderator_id: (!viewer.admin).then_some(viewer.person_id),
        ..filter
    };
    Ok(hearth_db::community_facts::reports(&ctx.pool, filter, limit, offset).await?)
}

/// Pending (post, comment) reports waiting for the viewer, optionally in one community.
pub async fn pending_report_counts(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community_id: Option<i64>,
) -> Result<(i64, i64)> {
    let moderator = (!viewer.admin).then_some(viewer.person_id);
    Ok(
        hearth_db::community_facts::pending_report_counts(&ctx.pool, moderator, community_id)
            .await?,
    )
}

/// The viewer's unread (replies, mentions) about comments.
pub async fn unread_replies_and_mentions(
    ctx: &ServiceContext,
    viewer: &Viewer,
) -> Result<(i64, i64)> {
    Ok(
        hearth_db::community_facts::unread_replies_and_mentions(&ctx.pool, viewer.person_id)
            .await?,
    )
}

/// The servers this instance has met (at most 1,000).
pub async fn known_instances(ctx: &ServiceContext) -> Result<Vec<KnownInstance>> {
    Ok(hearth_db::community_facts::known_instances(&ctx.pool, 1000).await?)
}

/// How the use cases that take a `name` or `name@host` find a community or person known by
/// id: the name, with the host for those of other servers.
pub fn reference(ctx: &ServiceContext, name: &str, local: bool, ap_id: &str) -> String {
    crate::blocks::full_handle(name, local, ap_id, &ctx.settings.hostname)
}

/// Which of these people are banned from this instance right now.
pub async fn site_banned_among(ctx: &ServiceContext, ids: &[i64]) -> Result<Vec<i64>> {
    Ok(hearth_db::person::site_banned_among(&ctx.pool, ids).await?)
}

pub use hearth_db::community_facts::{CommunityOrder, CommunityScope};

/// One page of communities by offset, in `order` (for clients that page by number).
pub async fn list(
    ctx: &ServiceContext,
    scope: CommunityScope,
    order: CommunityOrder,
    nsfw: bool,
    limit: i64,
    offset: i64,
) -> Result<Vec<CommunityRow>> {
    let ids =
        hearth_db::community_facts::list_ids(&ctx.pool, scope, order, nsfw, limit, offset).await?;
    let mut rows = communities(ctx, &ids).await?;
    rows.sort_by_key(|c| ids.iter().position(|&id| id == c.id));
    Ok(rows)
}

/// Comments by id as the viewer sees them, in the order of `ids` (missing ones left out).
pub async fn comments_by_ids(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    ids: &[i64],
) -> Result<Vec<hearth_db::comment::CommentRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows =
        hearth_db::community_facts::comments_by_ids(&ctx.pool, ids, viewer.map(|v| v.person_id))
            .await?;
    rows.sort_by_key(|c| ids.iter().position(|&id| id == c.id));
    Ok(rows)
}
