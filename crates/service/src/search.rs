//! Search: posts and comments by full text (English stemming, best match first), communities
//! and people by name (prefixes match).

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
    let query = query.trim();
    if query.is_empty() || query.chars().count() > 200 {
        return Err(Error::validation("q", "must be 1 to 200 characters long"));
    }
    let viewer_id = viewer.map(|v| v.person_id);
    let community_id = match community {
        Some(c) => Some(communities::find(ctx, c).await?.id),
        None => None,
    };
    Ok(match kind {
        SearchKind::Posts => {
            let after = after.map(|(key, id)| PostCursor { key, id });
            let mut rows = hearth_db::post::search(
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
                SearchResults::Posts(rows.into_iter().map(|(_, r)| r).collect()),
                next,
            )
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
            (
                SearchResults::Communities(rows),
                next.map(|c| (c.key as f64, c.id)),
            )
        }
        SearchKind::Users => {
            let Some(text) = hearth_db::community::text_query(query) else {
                return Ok((SearchResults::Users(Vec::new()), None));
            };
            let after = after.map(|(_, id)| id);
            let mut rows = hearth_db::person::search(&ctx.pool, &text, after, limit + 1).await?;
            let next = paging::cut(&mut rows, limit).map(|row| (row.id as f64, row.id));
            (SearchResults::Users(rows), next)
        }
    })
}
