//! Who voted on a post or a comment, and which way: for the community's moderators and the
//! instance's admins only (votes are otherwise private), as Lemmy's `post/like/list` and
//! `comment/like/list` show them.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::Result;
use hearth_db::person::PersonRow;

/// One vote with its voter.
#[derive(Debug, Clone)]
pub struct Voter {
    /// The voter.
    pub person: PersonRow,
    /// Banned from this instance right now.
    pub site_banned: bool,
    /// Banned from the community the item is in.
    pub banned_from_community: bool,
    /// +1 or -1.
    pub score: i16,
}

/// A page of the votes on a post (newest first), for its community's moderators and admins.
pub async fn post_votes(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Voter>> {
    let post = crate::posts::get(ctx, Some(viewer), post_id).await?;
    may_see_votes(ctx, viewer, post.community_id).await?;
    let votes = hearth_db::vote_list::post_votes(&ctx.pool, post_id, limit, offset).await?;
    voters(ctx, post.community_id, votes).await
}

/// A page of the votes on a comment (newest first), for its community's moderators and admins.
pub async fn comment_votes(
    ctx: &ServiceContext,
    viewer: &Viewer,
    comment_id: i64,
    limit: i64,
    offset: i64,
) -> Result<Vec<Voter>> {
    let comment = crate::comments::get(ctx, Some(viewer), comment_id).await?;
    let post = crate::posts::get(ctx, Some(viewer), comment.post_id).await?;
    may_see_votes(ctx, viewer, post.community_id).await?;
    let votes = hearth_db::vote_list::comment_votes(&ctx.pool, comment_id, limit, offset).await?;
    voters(ctx, post.community_id, votes).await
}

/// Admins see every vote they hold (as Lemmy's admins do); others must moderate the community.
async fn may_see_votes(ctx: &ServiceContext, viewer: &Viewer, community_id: i64) -> Result<()> {
    if viewer.admin {
        return crate::require_staff_second_factor(viewer);
    }
    crate::can_moderate(ctx, viewer, community_id).await
}

/// The voters in full, with their bans: the content facts' batch queries, whatever the page's
/// length.
async fn voters(
    ctx: &ServiceContext,
    community_id: i64,
    votes: Vec<hearth_db::vote_list::Vote>,
) -> Result<Vec<Voter>> {
    let pairs: Vec<(i64, i64)> = votes.iter().map(|v| (community_id, v.person_id)).collect();
    let mut facts = crate::content_facts::gather(ctx, None, &pairs).await?;
    Ok(votes
        .into_iter()
        .filter_map(|vote| {
            // A voter whose row is gone (deleted since) is left out rather than invented.
            let person = facts.people.remove(&vote.person_id)?;
            Some(Voter {
                site_banned: facts.site_banned.contains(&vote.person_id),
                banned_from_community: facts.standing(community_id, vote.person_id).banned,
                score: vote.score,
                person,
            })
        })
        .collect())
}
