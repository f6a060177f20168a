//! Start-up overviews for clients: the site with its figures and admins, and a signed-in
//! account with the communities it joined, moderates and blocked and the people it blocked. The
//! Lemmy-compatible API's `GET site` is made of these; a fixed number of queries each.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Error, Result};
use hearth_db::community::CommunityRow;
use hearth_db::person::{PersonRow, UsageCounts};
use hearth_db::site::SiteRow;
use std::collections::HashSet;

/// The site, its figures and its administrators.
#[derive(Debug, Clone)]
pub struct SiteOverview {
    /// The settings.
    pub site: SiteRow,
    /// Local accounts, active people, local posts and comments.
    pub usage: UsageCounts,
    /// Local communities not removed.
    pub communities: i64,
    /// Local people who posted or commented in the last day.
    pub active_day: i64,
    /// … in the last week.
    pub active_week: i64,
    /// The administrators, by id, with how many posts and comments each wrote.
    pub admins: Vec<(PersonRow, Authored)>,
    /// When the site was set up.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The instance actor's public key (PEM), once made.
    pub public_key: Option<String>,
}

/// The site overview.
pub async fn site(ctx: &ServiceContext) -> Result<SiteOverview> {
    let site = hearth_db::site::get(&ctx.pool).await?;
    let usage = hearth_db::person::usage(&ctx.pool).await?;
    let communities = hearth_db::overview::local_community_count(&ctx.pool).await?;
    let admin_ids = hearth_db::person::active_admins(&ctx.pool).await?;
    let mut people = hearth_db::person::find_many(&ctx.pool, &admin_ids).await?;
    people.sort_by_key(|p| p.id);
    let counts = authored(ctx, &admin_ids).await?;
    let admins = people
        .into_iter()
        .map(|p| {
            let written = counts.get(&p.id).copied().unwrap_or_default();
            (p, written)
        })
        .collect();
    let (created_at, public_key) = hearth_db::overview::site_origin(&ctx.pool).await?;
    let (active_day, active_week) = hearth_db::overview::recently_active(&ctx.pool).await?;
    Ok(SiteOverview {
        active_day,
        active_week,
        created_at,
        public_key,
        site,
        usage,
        communities,
        admins,
    })
}

/// How much a person wrote (not deleted).
#[derive(Debug, Clone, Copy, Default)]
pub struct Authored {
    /// Posts.
    pub posts: i64,
    /// Comments.
    pub comments: i64,
}

/// How much each of these people wrote, by person id.
pub async fn authored(
    ctx: &ServiceContext,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Authored>> {
    let rows = hearth_db::overview::authored_counts(&ctx.pool, ids).await?;
    Ok(rows
        .into_iter()
        .map(|(id, posts, comments)| (id, Authored { posts, comments }))
        .collect())
}

/// A signed-in account at start-up.
#[derive(Debug, Clone)]
pub struct AccountOverview {
    /// The account's person.
    pub person: PersonRow,
    /// Its email address, if it gave one.
    pub email: Option<String>,
    /// Communities it joined.
    pub joined: Vec<CommunityRow>,
    /// Communities it moderates.
    pub moderated: Vec<CommunityRow>,
    /// Communities it blocked.
    pub blocked_communities: Vec<CommunityRow>,
    /// People it blocked.
    pub blocked_people: Vec<PersonRow>,
    /// Posts it wrote (not deleted).
    pub post_count: i64,
    /// Comments it wrote (not deleted).
    pub comment_count: i64,
}

/// The viewer's overview.
pub async fn account(ctx: &ServiceContext, viewer: &Viewer) -> Result<AccountOverview> {
    let (person, email) = crate::users::me(ctx, viewer).await?;
    let ids = hearth_db::overview::of(&ctx.pool, viewer.person_id).await?;
    let community_ids: Vec<i64> = ids
        .joined
        .iter()
        .chain(&ids.moderated)
        .chain(&ids.blocked_communities)
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let communities = hearth_db::community::find_many(&ctx.pool, &community_ids).await?;
    let pick = |wanted: &[i64]| -> Vec<CommunityRow> {
        let wanted: HashSet<i64> = wanted.iter().copied().collect();
        let mut rows: Vec<CommunityRow> = communities
            .iter()
            .filter(|c| wanted.contains(&c.id))
            .cloned()
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    };
    let mut blocked_people = hearth_db::person::find_many(&ctx.pool, &ids.blocked_people).await?;
    blocked_people.sort_by(|a, b| a.name.cmp(&b.name));
    if person.deleted {
        return Err(Error::not_found("This account no longer exists."));
    }
    Ok(AccountOverview {
        joined: pick(&ids.joined),
        moderated: pick(&ids.moderated),
        blocked_communities: pick(&ids.blocked_communities),
        blocked_people,
        post_count: ids.post_count,
        comment_count: ids.comment_count,
        person,
        email,
    })
}
