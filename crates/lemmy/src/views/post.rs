//! `PostView` and its parts, built for a whole page of posts at once: the rows, then a fixed
//! number of batch lookups (authors, communities, standing, the viewer's relations, saved and
//! read marks, comment activity), whatever the number of posts.

use super::community::subscribed;
use super::{Community, Person, SubscribedType, time};
use crate::error::LemmyResult;
use hearth_db::post::PostRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::content_facts::{self, ContentFacts};
use serde::Serialize;

/// Lemmy's language id for "undetermined": Hearth keeps language tags, not Lemmy's numbered
/// list, and `GET site` offers only this one.
pub const UNDETERMINED_LANGUAGE: i32 = 0;

/// `Post`.
#[derive(Debug, Clone, Serialize)]
pub struct Post {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub creator_id: i64,
    pub community_id: i64,
    pub removed: bool,
    pub locked: bool,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    pub deleted: bool,
    pub nsfw: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    pub ap_id: String,
    pub local: bool,
    pub language_id: i32,
    pub featured_community: bool,
    pub featured_local: bool,
}

impl Post {
    /// From a post row. A deleted or removed post keeps its title and flags; its link, body
    /// and preview are left out, as Hearth's other faces blank them.
    pub fn from_row(row: &PostRow) -> Self {
        let gone = row.deleted || row.removed;
        let shown = |value: &Option<String>| value.clone().filter(|_| !gone);
        Self {
            id: row.id,
            name: row.title.clone(),
            url: shown(&row.url),
            body: Some(row.body.clone()).filter(|b| !b.is_empty() && !gone),
            creator_id: row.author_id,
            community_id: row.community_id,
            removed: row.removed,
            locked: row.locked,
            published: time(row.published_at),
            updated: row.edited_at.map(time),
            deleted: row.deleted,
            nsfw: row.nsfw,
            embed_title: shown(&row.preview_title),
            embed_description: shown(&row.preview_description),
            thumbnail_url: shown(&row.thumbnail_url),
            ap_id: row.ap_id.clone(),
            local: row.local,
            language_id: UNDETERMINED_LANGUAGE,
            // Hearth pins posts in their community only; it has no instance-wide pins.
            featured_community: row.featured,
            featured_local: false,
        }
    }
}

/// `PostAggregates`.
#[derive(Debug, Clone, Serialize)]
pub struct PostAggregates {
    pub post_id: i64,
    pub comments: i64,
    pub score: i64,
    pub upvotes: i64,
    pub downvotes: i64,
    pub published: String,
    pub newest_comment_time: String,
}

/// `PostView`.
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    pub post: Post,
    pub creator: Person,
    pub community: Community,
    pub creator_banned_from_community: bool,
    pub banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub counts: PostAggregates,
    pub subscribed: SubscribedType,
    pub saved: bool,
    pub read: bool,
    pub hidden: bool,
    pub creator_blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_vote: Option<i16>,
    pub unread_comments: i64,
}

/// The viewer's vote as Lemmy lists it: present only for a signed-in viewer who voted (Lemmy
/// reads it from the vote row, which taking a vote back deletes). A single item's view gives a
/// signed-in viewer 0 instead of nothing (`single_item_vote`).
pub fn my_vote(viewer: Option<&Viewer>, vote: i16) -> Option<i16> {
    viewer.and(Some(vote)).filter(|v| *v != 0)
}

/// The vote of a single item's view: Lemmy reads one post or comment with 0 for a signed-in
/// viewer who did not vote, "to tell it from other people's votes", and lists them without.
pub fn single_item_vote(viewer: Option<&Viewer>, listed: Option<i16>) -> Option<i16> {
    listed.or(viewer.map(|_| 0))
}

/// The creator of an item as a full `Person`; a row missing from the batch (never expected: the
/// row was just read with its author) falls back to what the item row carries.
pub(crate) fn creator(
    facts: &ContentFacts,
    id: i64,
    fallback: impl FnOnce() -> hearth_db::person::PersonRow,
) -> (Person, bool) {
    let banned = facts.site_banned.contains(&id);
    match facts.people.get(&id) {
        Some(row) => (Person::from_row(row, banned), row.admin),
        None => (Person::from_row(&fallback(), banned), false),
    }
}

/// The author of a post as a person row, from the post row alone.
fn author_of(row: &PostRow) -> hearth_db::person::PersonRow {
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

/// The community of an item as Lemmy's `Community`; a row missing from the batch falls back to
/// what the post row carries.
pub(crate) fn community_of(facts: &ContentFacts, row: &PostRow) -> Community {
    match facts.communities.get(&row.community_id) {
        Some(community) => Community::from_row(community),
        None => Community {
            id: row.community_id,
            name: row.community_name.clone(),
            title: row.community_title.clone(),
            description: None,
            removed: false,
            published: time(row.published_at),
            updated: None,
            deleted: false,
            nsfw: false,
            actor_id: row.community_ap_id.clone(),
            local: row.community_local,
            icon: row.community_icon_url.clone(),
            banner: None,
            hidden: false,
            posting_restricted_to_mods: false,
            instance_id: super::instance_id(&super::authority_of(&row.community_ap_id)),
            visibility: super::CommunityVisibility::Public,
        },
    }
}

/// `PostView`s for a page of posts, in the rows' order, with a fixed number of queries (at most
/// eight) whatever the number of rows.
pub async fn post_views(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    rows: Vec<PostRow>,
) -> LemmyResult<Vec<PostView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let items: Vec<(i64, i64)> = rows.iter().map(|r| (r.community_id, r.author_id)).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let facts = content_facts::gather(ctx, viewer, &items).await?;
    let activity = content_facts::post_activity(ctx, viewer, &ids).await?;
    let marks = match viewer {
        Some(v) => hearth_service::saved::post_marks(ctx, v.person_id, &ids).await?,
        None => hearth_service::saved::PostMarks::default(),
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let (creator, creator_is_admin) = creator(&facts, row.author_id, || author_of(&row));
            let standing = facts.standing(row.community_id, row.author_id);
            let relation = facts.relation(row.community_id);
            let (newest_comment_time, unread_comments) = match activity.get(&row.id) {
                Some(a) => (a.last_activity_at, a.unread_comments),
                None => (row.published_at, i64::from(row.comment_count)),
            };
            PostView {
                post: Post::from_row(&row),
                community: community_of(&facts, &row),
                creator,
                creator_banned_from_community: standing.banned,
                banned_from_community: relation.banned,
                creator_is_moderator: standing.moderator,
                creator_is_admin,
                counts: PostAggregates {
                    post_id: row.id,
                    comments: i64::from(row.comment_count),
                    score: i64::from(row.score),
                    upvotes: i64::from(row.upvotes),
                    downvotes: i64::from(row.downvotes),
                    published: time(row.published_at),
                    newest_comment_time: time(newest_comment_time),
                },
                subscribed: subscribed(relation.membership),
                saved: marks.saved.contains(&row.id),
                read: marks.read.contains(&row.id),
                // Hearth has no hidden posts.
                hidden: false,
                creator_blocked: facts.blocked_people.contains(&row.author_id),
                my_vote: my_vote(viewer, row.my_vote),
                unread_comments,
            }
        })
        .collect())
}

/// One post's view, as Lemmy answers for a single post (`my_vote` 0 rather than absent for a
/// signed-in viewer who did not vote).
pub async fn post_view(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    row: PostRow,
) -> LemmyResult<PostView> {
    let mut view = post_views(ctx, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(|| crate::error::LemmyError::new("not_found", "There is no such post."))?;
    view.my_vote = single_item_vote(viewer, view.my_vote);
    Ok(view)
}
