//! `CommentView` and its parts, built for a whole page of comments at once: the rows, their
//! posts in one query, then the same batch lookups as posts, whatever the number of comments.

use super::community::subscribed;
use super::post::{Post, UNDETERMINED_LANGUAGE, community_of, creator, my_vote, single_item_vote};
use super::{Community, Person, SubscribedType, time};
use crate::error::{LemmyError, LemmyResult};
use hearth_db::comment::CommentRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::content_facts;
use serde::Serialize;

/// `Comment`.
#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub id: i64,
    pub creator_id: i64,
    pub post_id: i64,
    pub content: String,
    pub removed: bool,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub deleted: bool,
    pub ap_id: String,
    pub local: bool,
    pub path: String,
    pub distinguished: bool,
    pub language_id: i32,
}

impl Comment {
    /// From a comment row. A deleted or removed comment keeps its place in the thread with an
    /// empty text, as Hearth's other faces show it.
    pub fn from_row(row: &CommentRow) -> Self {
        let gone = row.deleted || row.removed;
        Self {
            id: row.id,
            creator_id: row.author_id,
            post_id: row.post_id,
            content: if gone {
                String::new()
            } else {
                row.body.clone()
            },
            removed: row.removed,
            published: time(row.published_at),
            updated: row.edited_at.map(time),
            deleted: row.deleted,
            ap_id: row.ap_id.clone(),
            local: row.local,
            path: lemmy_path(&row.path),
            // Hearth has no distinguished (moderator-speaking) comments.
            distinguished: false,
            language_id: UNDETERMINED_LANGUAGE,
        }
    }
}

/// A comment's path as Lemmy writes it: `0.` then the ids from the top-level ancestor down to
/// the comment itself, dot-separated (clients build the tree from it).
pub fn lemmy_path(ids: &[i64]) -> String {
    let mut path = String::from("0");
    for id in ids {
        path.push('.');
        path.push_str(&id.to_string());
    }
    path
}

/// `CommentAggregates`.
#[derive(Debug, Clone, Serialize)]
pub struct CommentAggregates {
    pub comment_id: i64,
    pub score: i64,
    pub upvotes: i64,
    pub downvotes: i64,
    pub published: String,
    pub child_count: i64,
}

/// `CommentView`.
#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    pub comment: Comment,
    pub creator: Person,
    pub post: Post,
    pub community: Community,
    pub counts: CommentAggregates,
    pub creator_banned_from_community: bool,
    pub banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub subscribed: SubscribedType,
    pub saved: bool,
    pub creator_blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_vote: Option<i16>,
}

/// The author of a comment as a person row, from the comment row alone.
fn author_of(row: &CommentRow) -> hearth_db::person::PersonRow {
    hearth_db::person::PersonRow {
        id: row.author_id,
        ap_id: row.author_ap_id.clone(),
        local: row.author_local,
        name: row.author_name.clone(),
        display_name: row.author_display_name.clone(),
        bio: String::new(),
        bio_html: String::new(),
        admin: false,
        created_at: row.published_at,
        deleted: row.author_deleted,
        avatar_url: row.author_avatar_url.clone(),
        banner_url: None,
    }
}

/// `CommentView`s for a page of comments, in the rows' order, with a fixed number of queries
/// (at most eight) whatever the number of rows. A comment whose post is gone from the database
/// (purged between the two reads) is left out.
pub async fn comment_views(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    rows: Vec<CommentRow>,
) -> LemmyResult<Vec<CommentView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut post_ids: Vec<i64> = rows.iter().map(|r| r.post_id).collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let posts = content_facts::posts_by_ids(ctx, viewer, &post_ids).await?;
    let items: Vec<(i64, i64)> = rows
        .iter()
        .filter_map(|r| posts.get(&r.post_id).map(|p| (p.community_id, r.author_id)))
        .collect();
    let facts = content_facts::gather(ctx, viewer, &items).await?;
    let saved = match viewer {
        Some(v) => {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            hearth_service::saved::saved_comment_ids(ctx, v.person_id, &ids).await?
        }
        None => Default::default(),
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let post = posts.get(&row.post_id)?;
            let (creator, creator_is_admin) = creator(&facts, row.author_id, || author_of(&row));
            let standing = facts.standing(post.community_id, row.author_id);
            let relation = facts.relation(post.community_id);
            Some(CommentView {
                comment: Comment::from_row(&row),
                creator,
                post: Post::from_row(post),
                community: community_of(&facts, post),
                counts: CommentAggregates {
                    comment_id: row.id,
                    score: i64::from(row.score),
                    upvotes: i64::from(row.upvotes),
                    downvotes: i64::from(row.downvotes),
                    published: time(row.published_at),
                    child_count: i64::from(row.child_count),
                },
                creator_banned_from_community: standing.banned,
                banned_from_community: relation.banned,
                creator_is_moderator: standing.moderator,
                creator_is_admin,
                subscribed: subscribed(relation.membership),
                saved: saved.contains(&row.id),
                creator_blocked: facts.blocked_people.contains(&row.author_id),
                my_vote: my_vote(viewer, row.my_vote),
            })
        })
        .collect())
}

/// One comment's view, as Lemmy answers for a single comment (`my_vote` 0 rather than absent
/// for a signed-in viewer who did not vote); `not_found` when its post is gone.
pub async fn comment_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    row: CommentRow,
) -> LemmyResult<CommentView> {
    let mut view = comment_views(ctx, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| LemmyError::new("not_found", "The comment's post is gone."))?;
    view.my_vote = single_item_vote(viewer, view.my_vote);
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_as_lemmy_writes_them() {
        assert_eq!(lemmy_path(&[7]), "0.7");
        assert_eq!(lemmy_path(&[7, 12, 40]), "0.7.12.40");
    }
}
