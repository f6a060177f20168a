//! Lemmy's community views: `CommunityView` (with the viewer's relation and the counts) and
//! `CommunityModeratorView`, built for a whole page with a fixed number of queries.

use super::{Community, Person, SubscribedType, time};
use crate::error::LemmyResult;
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::communities::Membership;
use hearth_service::community_facts::{self, CommunityRelation};
use serde::Serialize;

/// `CommunityAggregates`.
#[derive(Debug, Clone, Serialize)]
pub struct CommunityAggregates {
    pub community_id: i64,
    pub subscribers: i64,
    pub posts: i64,
    pub comments: i64,
    pub published: String,
    pub users_active_day: i64,
    pub users_active_week: i64,
    pub users_active_month: i64,
    pub users_active_half_year: i64,
    pub subscribers_local: i64,
}

impl CommunityAggregates {
    /// The counts of a community row.
    pub fn from_row(row: &CommunityRow) -> Self {
        Self {
            community_id: row.id,
            subscribers: i64::from(row.members()),
            posts: i64::from(row.posts()),
            comments: i64::from(row.comment_count),
            published: time(row.created_at),
            users_active_day: i64::from(row.users_active_day),
            users_active_week: i64::from(row.users_active_week),
            users_active_month: i64::from(row.users_active_month),
            // Hearth counts active people over a month at most: the month's count is the
            // closest it knows.
            users_active_half_year: i64::from(row.users_active_month),
            // The members here: for another server's community these are all of this
            // instance's people; for ours it counts members from elsewhere too.
            subscribers_local: i64::from(row.member_count),
        }
    }
}

/// `CommunityView`.
#[derive(Debug, Clone, Serialize)]
pub struct CommunityView {
    pub community: Community,
    pub subscribed: SubscribedType,
    pub blocked: bool,
    pub counts: CommunityAggregates,
    pub banned_from_community: bool,
}

/// `CommunityModeratorView`.
#[derive(Debug, Clone, Serialize)]
pub struct CommunityModeratorView {
    pub community: Community,
    pub moderator: Person,
}

/// Lemmy's `SubscribedType` for a Hearth membership.
pub fn subscribed(membership: Membership) -> SubscribedType {
    match membership {
        Membership::Joined => SubscribedType::Subscribed,
        Membership::Pending => SubscribedType::Pending,
        Membership::None => SubscribedType::NotSubscribed,
    }
}

/// One view per row, in the rows' order, with the viewer's relation to each (two queries).
pub async fn community_views(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    rows: Vec<CommunityRow>,
) -> LemmyResult<Vec<CommunityView>> {
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let relations = community_facts::relations(ctx, viewer, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let relation = relations
                .iter()
                .find(|(id, _)| *id == row.id)
                .map_or(CommunityRelation::NONE, |&(_, r)| r);
            CommunityView {
                community: Community::from_row(&row),
                subscribed: subscribed(relation.membership),
                blocked: relation.blocked,
                counts: CommunityAggregates::from_row(&row),
                banned_from_community: relation.banned,
            }
        })
        .collect())
}

/// The view of one community.
pub async fn community_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    row: CommunityRow,
) -> LemmyResult<CommunityView> {
    community_views(ctx, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| hearth_core::Error::not_found("There is no such community.").into())
}

/// The moderators of these communities, each community's longest-serving first.
pub async fn moderator_views(
    ctx: &ServiceContext,
    communities: &[CommunityRow],
) -> LemmyResult<Vec<CommunityModeratorView>> {
    let ids: Vec<i64> = communities.iter().map(|c| c.id).collect();
    let pairs = community_facts::moderators_of(ctx, &ids).await?;
    let person_ids: Vec<i64> = pairs.iter().map(|&(_, p)| p).collect();
    let people = super::person::people(ctx, &person_ids).await?;
    Ok(pairs
        .into_iter()
        .filter_map(|(community_id, person_id)| {
            let community = communities.iter().find(|c| c.id == community_id)?;
            let moderator = people.get(&person_id)?.clone();
            Some(CommunityModeratorView {
                community: Community::from_row(community),
                moderator,
            })
        })
        .collect())
}

/// The communities a person moderates, as `CommunityModeratorView`s naming them.
pub async fn moderates(
    ctx: &ServiceContext,
    person: &Person,
) -> LemmyResult<Vec<CommunityModeratorView>> {
    let communities = community_facts::moderated_by(ctx, person.id).await?;
    Ok(communities
        .iter()
        .map(|c| CommunityModeratorView {
            community: Community::from_row(c),
            moderator: person.clone(),
        })
        .collect())
}
