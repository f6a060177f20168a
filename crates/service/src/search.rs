//! Search: posts and comments by full text (English stemming, best match first), communities
//! and people by name (prefixes match); or an overview of all of them at once (the web page's
//! default): the best few communities and people, then posts.

use crate::auth::Viewer;
use crate::communities::{self, CommunityDetails};
use crate::{ServiceContext, paging};
use hearth_core::{Error, Result};
use hearth_db::comment::CommentRow;
use hearth_db::community::{CommunitySort, Cursor};
use hearth_db::person::PersonRow;
use hearth_db::post::{PostCursor, PostRow};

/// What to search for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchKind {
    /// Posts, by title and body.
    Posts,
    /// Comments, by body.
    Comments,
    /// Communities, by name and title.
    Communities,
    /// People, by name and display name.
    Users,
}

impl SearchKind {
    /// Parses `posts`, `comments`, `communities` or `users`.
    pub fn parse(raw: &str) -> Result<Self> {
        Ok(match raw {
            "posts" => Self::Posts,
            "comments" => Self::Comments,
            "communities" => Self::Communities,
            "users" => Self::Users,
            _ => {
                return Err(Error::validation(
                    "type",
                    "must be posts, comments, communities or users",
                ));
            }
        })
    }
}

/// What a search found.
#[derive(Debug)]
pub enum SearchResults {
    /// Posts.
    Posts(Vec<PostRow>),
    /// Comments.
    Comments(Vec<CommentRow>),
    /// Communities.
    Communities(Vec<CommunityDetails>),
    /// People.
    Users(Vec<PersonRow>),
}

/// Where the next page starts: a sort key and an id.
pub type SearchCursor = (f64, i64);

/// A query trimmed, or refused when it is empty or longer than 200 characters.
fn checked(query: &str) -> Result<&str> {
    let query = query.trim();
    if query.is_empty() || query.chars().count() > 200 {
        return Err(Error::validation("q", "must be 1 to 200 characters long"));
    }
    Ok(query)
}

/// Searches; `community` narrows posts and comments to one community.
pub async fn search(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    query: &str,
    kind: SearchKind,
    community: Option<&str>,
    after: Option<SearchCursor>,
    limit: i64,
) -> Result<(SearchResults, Option<SearchCursor>)> {
    let query = checked(query)?;
    let viewer_id = viewer.map(|v| v.person_id);
    let community_id = match community {
        Some(c) => Some(communities::find(ctx, c).await?.id),
        None => None,
    };
    Ok(match kind {
        SearchKind::Posts => {
            let (rows, next) = posts(ctx, viewer_id, query, community_id, after, limit).await?;
            (SearchResults::Posts(rows), next)
        }
        SearchKind::Comments => {
            let mut rows = hearth_db::comment::search(
                &ctx.pool,
                query,
                community_id,
                after,
                limit + 1,
                viewer_id,
            )
            .await?;
            let next = paging::cut(&mut rows, limit).map(|(rank, row)| (*rank, row.id));
            (
                SearchResults::Comments(rows.into_iter().map(|(_, r)| r).collect()),
                next,
            )
        }
        SearchKind::Communities => {
            let (rows, next) = communities_named(ctx, viewer, query, after, limit).await?;
            (SearchResults::Communities(rows), next)
        }
        SearchKind::Users => {
            let (rows, next) = people_named(ctx, query, after, limit).await?;
            (SearchResults::Users(rows), next)
        }
    })
}

/// Posts by full text, best match first.
async fn posts(
    ctx: &ServiceContext,
    viewer_id: Option<i64>,
    query: &str,
    community_id: Option<i64>,
    after: Option<SearchCursor>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<SearchCursor>)> {
    let after = after.map(|(key, id)| PostCursor { key, id });
    // Search has no viewer here for read-your-writes: it may be a replica's lag behind.
    let mut rows = ctx
        .read(None, |db| async move {
            hearth_db::post::search(&db, query, community_id, after, limit + 1, viewer_id).await
        })
        .await?;
    let next = paging::cut(&mut rows, limit).map(|(rank, row)| (*rank, row.id));
    Ok((rows.into_iter().map(|(_, r)| r).collect(), next))
}

/// Communities by name and title, most members first.
async fn communities_named(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    query: &str,
    after: Option<SearchCursor>,
    limit: i64,
) -> Result<(Vec<CommunityDetails>, Option<SearchCursor>)> {
    let after = after.map(|(key, id)| Cursor {
        key: key as i64,
        id,
    });
    let (rows, next) = communities::list(
        ctx,
        viewer,
        CommunitySort::Members,
        Some(query),
        after,
        limit,
    )
    .await?;
    Ok((rows, next.map(|c| (c.key as f64, c.id))))
}

/// People by name and display name.
async fn people_named(
    ctx: &ServiceContext,
    query: &str,
    after: Option<SearchCursor>,
    limit: i64,
) -> Result<(Vec<PersonRow>, Option<SearchCursor>)> {
    let Some(text) = hearth_db::community::text_query(query) else {
        return Ok((Vec::new(), None));
    };
    let after = after.map(|(_, id)| id);
    let text = &text;
    let mut rows = ctx
        .read(None, |db| async move {
            hearth_db::person::search(&db, text, after, limit + 1).await
        })
        .await?;
    let next = paging::cut(&mut rows, limit).map(|row| (row.id as f64, row.id));
    Ok((rows, next))
}

/// What searching every kind at once found: the best few communities and people (names are
/// what people look for first: "garden" should find the Gardening community), then a page of
/// posts.
#[derive(Debug)]
pub struct Overview {
    /// Communities whose name or title matches, most members first.
    pub communities: Vec<CommunityDetails>,
    /// Whether more communities match than are shown.
    pub more_communities: bool,
    /// People whose name matches.
    pub people: Vec<PersonRow>,
    /// Whether more people match than are shown.
    pub more_people: bool,
    /// Posts, best match first.
    pub posts: Vec<PostRow>,
    /// Where the next page of posts starts (a `SearchKind::Posts` search).
    pub next_posts: Option<SearchCursor>,
}

/// How many communities, and how many people, an overview shows.
pub const OVERVIEW_ACTORS: i64 = 5;

/// Searches communities, people and posts at once (the web search page's default).
#[tracing::instrument(skip_all)]
pub async fn overview(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    query: &str,
    posts_limit: i64,
) -> Result<Overview> {
    let query = checked(query)?;
    let (communities, next_community) =
        communities_named(ctx, viewer, query, None, OVERVIEW_ACTORS).await?;
    let (people, next_person) = people_named(ctx, query, None, OVERVIEW_ACTORS).await?;
    let viewer_id = viewer.map(|v| v.person_id);
    let (posts, next_posts) = posts(ctx, viewer_id, query, None, None, posts_limit).await?;
    Ok(Overview {
        communities,
        more_communities: next_community.is_some(),
        people,
        more_people: next_person.is_some(),
        posts,
        next_posts,
    })
}
