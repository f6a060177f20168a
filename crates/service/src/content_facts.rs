//! What views of many posts or comments at once need besides the rows themselves (the Lemmy
//! client API shows, beside each item, its author in full, its community, the author's standing
//! there and the viewer's relation to both): gathered for a whole page with a fixed number of
//! queries, however many items it holds.

use crate::ServiceContext;
use crate::auth::Viewer;
use crate::community_facts::CommunityRelation;
use hearth_core::Result;
use hearth_db::comment::CommentRow;
use hearth_db::community::CommunityRow;
pub use hearth_db::content_facts::DatedScope;
use hearth_db::content_facts::PostActivity;
use hearth_db::person::PersonRow;
use hearth_db::post::PostRow;
use std::collections::{HashMap, HashSet};

/// An author's standing in the community an item was written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Standing {
    /// Banned from the community.
    pub banned: bool,
    /// One of its moderators.
    pub moderator: bool,
}

/// Everything around a page of items, keyed by id.
#[derive(Debug, Default)]
pub struct ContentFacts {
    /// The authors, in full.
    pub people: HashMap<i64, PersonRow>,
    /// The authors banned from this instance right now.
    pub site_banned: HashSet<i64>,
    /// The communities, in full.
    pub communities: HashMap<i64, CommunityRow>,
    /// Each (community, author) pair's standing.
    pub standing: HashMap<(i64, i64), Standing>,
    /// The viewer's relation to each community (none for anonymous readers).
    pub viewer_relations: HashMap<i64, CommunityRelation>,
    /// The authors the viewer blocks.
    pub blocked_people: HashSet<i64>,
}

impl ContentFacts {
    /// The viewer's relation to `community` (none for anonymous readers).
    pub fn relation(&self, community: i64) -> CommunityRelation {
        self.viewer_relations
            .get(&community)
            .copied()
            .unwrap_or(CommunityRelation::NONE)
    }

    /// The standing of `author` in `community` (none known: neither banned nor moderator).
    pub fn standing(&self, community: i64, author: i64) -> Standing {
        self.standing
            .get(&(community, author))
            .copied()
            .unwrap_or_default()
    }
}

/// Gathers the facts around items given as (community id, author id) pairs: six queries
/// (four for an anonymous reader), whatever the number of items.
pub async fn gather(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    items: &[(i64, i64)],
) -> Result<ContentFacts> {
    if items.is_empty() {
        return Ok(ContentFacts::default());
    }
    let (community_ids, person_ids): (Vec<i64>, Vec<i64>) = items.iter().copied().unzip();
    let distinct = |ids: &[i64]| {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let communities = distinct(&community_ids);
    let people = distinct(&person_ids);
    let mut facts = ContentFacts {
        people: hearth_db::person::find_many(&ctx.pool, &people)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect(),
        site_banned: hearth_db::person::site_banned_among(&ctx.pool, &people)
            .await?
            .into_iter()
            .collect(),
        communities: hearth_db::community::find_many(&ctx.pool, &communities)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect(),
        standing: hearth_db::content_facts::author_standing(&ctx.pool, &community_ids, &person_ids)
            .await?
            .into_iter()
            .map(|s| {
                let standing = Standing {
                    banned: s.banned,
                    moderator: s.moderator,
                };
                ((s.community_id, s.person_id), standing)
            })
            .collect(),
        ..ContentFacts::default()
    };
    if let Some(viewer) = viewer {
        facts.viewer_relations = crate::community_facts::relations(ctx, Some(viewer), &communities)
            .await?
            .into_iter()
            .collect();
        facts.blocked_people =
            hearth_db::content_facts::blocked_among(&ctx.pool, viewer.person_id, &people)
                .await?
                .into_iter()
                .collect();
    }
    Ok(facts)
}

/// When each post last had a comment and how many of its comments the viewer has not seen
/// (all of them for an anonymous reader, as Lemmy counts). One query.
pub async fn post_activity(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    post_ids: &[i64],
) -> Result<HashMap<i64, PostActivity>> {
    if post_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(
        hearth_db::content_facts::post_activity(&ctx.pool, viewer.map(|v| v.person_id), post_ids)
            .await?
            .into_iter()
            .map(|a| (a.post_id, a))
            .collect(),
    )
}

/// Posts by id as the viewer sees them, keyed by id (the posts of a page of comments). One query.
pub async fn posts_by_ids(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    ids: &[i64],
) -> Result<HashMap<i64, PostRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(
        hearth_db::content_facts::posts_by_ids(&ctx.pool, ids, viewer.map(|v| v.person_id))
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect(),
    )
}

/// One page of the live posts the viewer upvoted (`score` 1) or downvoted (-1), newest post
/// first, after the post id `before`, and the id the next page starts before.
pub async fn voted_posts(
    ctx: &ServiceContext,
    viewer: &Viewer,
    score: i16,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<i64>)> {
    let mut rows = hearth_db::content_facts::voted_posts(
        &ctx.pool,
        viewer.person_id,
        score,
        before,
        limit + 1,
    )
    .await?;
    let next = crate::paging::cut(&mut rows, limit).map(|last| last.id);
    Ok((rows, next))
}

/// One page of the live comments the viewer upvoted (`score` 1) or downvoted (-1), newest
/// first, after the comment id `before`, and the id the next page starts before.
pub async fn voted_comments(
    ctx: &ServiceContext,
    viewer: &Viewer,
    score: i16,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<CommentRow>, Option<i64>)> {
    let mut rows = hearth_db::content_facts::voted_comments(
        &ctx.pool,
        viewer.person_id,
        score,
        before,
        limit + 1,
    )
    .await?;
    let next = crate::paging::cut(&mut rows, limit).map(|last| last.id);
    Ok((rows, next))
}

/// Where a by-date listing's page starts: the previous page's last post.
pub type DatedCursor = (chrono::DateTime<chrono::Utc>, i64);

/// One page of live posts by publication time, newest or oldest first (the orders the ranked
/// feeds lack: oldest first, and the moderator's view of their communities), and where the
/// next page starts.
pub async fn posts_by_date(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    scope: DatedScope,
    oldest_first: bool,
    after: Option<DatedCursor>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<DatedCursor>)> {
    let mut rows = hearth_db::content_facts::posts_by_date(
        &ctx.pool,
        scope,
        oldest_first,
        after,
        limit + 1,
        viewer.map(|v| v.person_id),
    )
    .await?;
    let next = crate::paging::cut(&mut rows, limit).map(|last| (last.published_at, last.id));
    Ok((rows, next))
}
