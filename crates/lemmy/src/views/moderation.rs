//! Lemmy's report views (`PostReportView`, `CommentReportView`) and mod log views, built for a
//! whole page with a fixed number of queries. Hearth's reports are `pending`, `resolved` or
//! `dismissed`; Lemmy's `resolved` is true for both decided states.

use super::comment::{Comment, CommentAggregates, CommentView, comment_views};
use super::person::people;
use super::post::{Post, PostAggregates, PostView, post_views};
use super::{Community, Person, SubscribedType, time};
use crate::error::LemmyResult;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::community_facts::{self, ModLogEntry, ReportEntry};
use serde::Serialize;
use std::collections::HashMap;

/// `PostReport`.
#[derive(Debug, Clone, Serialize)]
pub struct PostReport {
    pub id: i64,
    pub creator_id: i64,
    pub post_id: i64,
    pub original_post_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_post_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_post_body: Option<String>,
    pub reason: String,
    pub resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver_id: Option<i64>,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
}

/// `PostReportView`: the post's view with the report, its filer (`creator`) and resolver.
#[derive(Debug, Clone, Serialize)]
pub struct PostReportView {
    pub post_report: PostReport,
    pub post: Post,
    pub community: Community,
    pub creator: Person,
    pub post_creator: Person,
    pub creator_banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub subscribed: SubscribedType,
    pub saved: bool,
    pub read: bool,
    pub hidden: bool,
    pub creator_blocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_vote: Option<i16>,
    pub unread_comments: i64,
    pub counts: PostAggregates,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver: Option<Person>,
}

/// `CommentReport`.
#[derive(Debug, Clone, Serialize)]
pub struct CommentReport {
    pub id: i64,
    pub creator_id: i64,
    pub comment_id: i64,
    pub original_comment_text: String,
    pub reason: String,
    pub resolved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver_id: Option<i64>,
    pub published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
}

/// `CommentReportView`.
#[derive(Debug, Clone, Serialize)]
pub struct CommentReportView {
    pub comment_report: CommentReport,
    pub comment: Comment,
    pub post: Post,
    pub community: Community,
    pub creator: Person,
    pub comment_creator: Person,
    pub counts: CommentAggregates,
    pub creator_banned_from_community: bool,
    pub creator_is_moderator: bool,
    pub creator_is_admin: bool,
    pub creator_blocked: bool,
    pub subscribed: SubscribedType,
    pub saved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_vote: Option<i16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolver: Option<Person>,
}

/// The filers and resolvers of these reports, by id.
async fn report_people(
    ctx: &ServiceContext,
    reports: &[ReportEntry],
) -> LemmyResult<HashMap<i64, Person>> {
    let ids: Vec<i64> = reports
        .iter()
        .flat_map(|r| [Some(r.reporter_id), r.resolved_by])
        .flatten()
        .collect();
    people(ctx, &ids).await
}

/// The views of post reports, in the reports' order (a report whose post is gone is left out).
pub async fn post_report_views(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reports: Vec<ReportEntry>,
) -> LemmyResult<Vec<PostReportView>> {
    let mut post_ids: Vec<i64> = reports.iter().map(|r| r.post_id).collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let rows = hearth_service::content_facts::posts_by_ids(ctx, Some(viewer), &post_ids).await?;
    let rows: Vec<_> = post_ids
        .iter()
        .filter_map(|id| rows.get(id).cloned())
        .collect();
    let views: Vec<PostView> = post_views(ctx, Some(viewer), rows).await?;
    let people = report_people(ctx, &reports).await?;
    Ok(reports
        .into_iter()
        .filter_map(|r| {
            let view = views.iter().find(|v| v.post.id == r.post_id)?.clone();
            let creator = people.get(&r.reporter_id)?.clone();
            let resolver = r.resolved_by.and_then(|id| people.get(&id).cloned());
            Some(PostReportView {
                post_report: PostReport {
                    id: r.id,
                    creator_id: r.reporter_id,
                    post_id: r.post_id,
                    // Hearth keeps the report, not a copy of the post as it was: the post as it
                    // is now.
                    original_post_name: view.post.name.clone(),
                    original_post_url: view.post.url.clone(),
                    original_post_body: view.post.body.clone(),
                    reason: r.reason,
                    resolved: r.status != "pending",
                    resolver_id: r.resolved_by,
                    published: time(r.created_at),
                    updated: r.resolved_at.map(time),
                },
                creator,
                post_creator: view.creator,
                post: view.post,
                community: view.community,
                creator_banned_from_community: view.creator_banned_from_community,
                creator_is_moderator: view.creator_is_moderator,
                creator_is_admin: view.creator_is_admin,
                subscribed: view.subscribed,
                saved: view.saved,
                read: view.read,
                hidden: view.hidden,
                creator_blocked: view.creator_blocked,
                my_vote: view.my_vote,
                unread_comments: view.unread_comments,
                counts: view.counts,
                resolver,
            })
        })
        .collect())
}

/// The views of comment reports, in the reports' order (a report whose comment is gone is left
/// out).
pub async fn comment_report_views(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reports: Vec<ReportEntry>,
) -> LemmyResult<Vec<CommentReportView>> {
    let mut comment_ids: Vec<i64> = reports.iter().filter_map(|r| r.comment_id).collect();
    comment_ids.sort_unstable();
    comment_ids.dedup();
    let rows = community_facts::comments_by_ids(ctx, Some(viewer), &comment_ids).await?;
    let views: Vec<CommentView> = comment_views(ctx, Some(viewer), rows).await?;
    let people = report_people(ctx, &reports).await?;
    Ok(reports
        .into_iter()
        .filter_map(|r| {
            let comment_id = r.comment_id?;
            let view = views.iter().find(|v| v.comment.id == comment_id)?.clone();
            let creator = people.get(&r.reporter_id)?.clone();
            let resolver = r.resolved_by.and_then(|id| people.get(&id).cloned());
            Some(CommentReportView {
                comment_report: CommentReport {
                    id: r.id,
                    creator_id: r.reporter_id,
                    comment_id,
                    original_comment_text: view.comment.content.clone(),
                    reason: r.reason,
                    resolved: r.status != "pending",
                    resolver_id: r.resolved_by,
                    published: time(r.created_at),
                    updated: r.resolved_at.map(time),
                },
                comment_creator: view.creator,
                creator,
                comment: view.comment,
                post: view.post,
                community: view.community,
                counts: view.counts,
                creator_banned_from_community: view.creator_banned_from_community,
                creator_is_moderator: view.creator_is_moderator,
                creator_is_admin: view.creator_is_admin,
                creator_blocked: view.creator_blocked,
                subscribed: view.subscribed,
                saved: view.saved,
                my_vote: view.my_vote,
                resolver,
            })
        })
        .collect())
}

/// `ModRemovePost`.
#[derive(Debug, Clone, Serialize)]
pub struct ModRemovePost {
    pub id: i64,
    pub mod_person_id: i64,
    pub post_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub removed: bool,
    pub when_: String,
}

/// `ModRemovePostView`.
#[derive(Debug, Clone, Serialize)]
pub struct ModRemovePostView {
    pub mod_remove_post: ModRemovePost,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Person>,
    pub post: Post,
    pub community: Community,
}

/// `ModLockPost`.
#[derive(Debug, Clone, Serialize)]
pub struct ModLockPost {
    pub id: i64,
    pub mod_person_id: i64,
    pub post_id: i64,
    pub locked: bool,
    pub when_: String,
}

/// `ModLockPostView`.
#[derive(Debug, Clone, Serialize)]
pub struct ModLockPostView {
    pub mod_lock_post: ModLockPost,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Person>,
    pub post: Post,
    pub community: Community,
}

/// `ModFeaturePost`.
#[derive(Debug, Clone, Serialize)]
pub struct ModFeaturePost {
    pub id: i64,
    pub mod_person_id: i64,
    pub post_id: i64,
    pub featured: bool,
    pub when_: String,
    pub is_featured_community: bool,
}

/// `ModFeaturePostView`.
#[derive(Debug, Clone, Serialize)]
pub struct ModFeaturePostView {
    pub mod_feature_post: ModFeaturePost,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Person>,
    pub post: Post,
    pub community: Community,
}

/// `ModRemoveComment`.
#[derive(Debug, Clone, Serialize)]
pub struct ModRemoveComment {
    pub id: i64,
    pub mod_person_id: i64,
    pub comment_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub removed: bool,
    pub when_: String,
}

/// `ModRemoveCommentView`.
#[derive(Debug, Clone, Serialize)]
pub struct ModRemoveCommentView {
    pub mod_remove_comment: ModRemoveComment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Person>,
    pub comment: Comment,
    pub commenter: Person,
    pub post: Post,
    pub community: Community,
}

/// `ModBanFromCommunity`.
#[derive(Debug, Clone, Serialize)]
pub struct ModBanFromCommunity {
    pub id: i64,
    pub mod_person_id: i64,
    pub other_person_id: i64,
    pub community_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub banned: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub when_: String,
}

/// `ModBanFromCommunityView`.
#[derive(Debug, Clone, Serialize)]
pub struct ModBanFromCommunityView {
    pub mod_ban_from_community: ModBanFromCommunity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Person>,
    pub community: Community,
    pub banned_person: Person,
}

/// `ModAddCommunity`.
#[derive(Debug, Clone, Serialize)]
pub struct ModAddCommunity {
    pub id: i64,
    pub mod_person_id: i64,
    pub other_person_id: i64,
    pub community_id: i64,
    pub removed: bool,
    pub when_: String,
}

/// `ModAddCommunityView`.
#[derive(Debug, Clone, Serialize)]
pub struct ModAddCommunityView {
    pub mod_add_community: ModAddCommunity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderator: Option<Person>,
    pub community: Community,
    pub modded_person: Person,
}

/// `GetModlogResponse`: the arrays Hearth's mod log fills, and empty ones for what Hearth does
/// not log there (site bans and admins, community removals and transfers, purges, hiding).
#[derive(Debug, Default, Serialize)]
pub struct GetModlogResponse {
    pub removed_posts: Vec<ModRemovePostView>,
    pub locked_posts: Vec<ModLockPostView>,
    pub featured_posts: Vec<ModFeaturePostView>,
    pub removed_comments: Vec<ModRemoveCommentView>,
    pub removed_communities: Vec<()>,
    pub banned_from_community: Vec<ModBanFromCommunityView>,
    pub banned: Vec<()>,
    pub added_to_community: Vec<ModAddCommunityView>,
    pub transferred_to_community: Vec<()>,
    pub added: Vec<()>,
    pub admin_purged_persons: Vec<()>,
    pub admin_purged_communities: Vec<()>,
    pub admin_purged_posts: Vec<()>,
    pub admin_purged_comments: Vec<()>,
    pub hidden_communities: Vec<()>,
}

/// The mod log entries as Lemmy's arrays, newest first in each (an entry whose post, comment or
/// person is gone is left out; `update_community` has no Lemmy counterpart). A moderator
/// unknown here has `mod_person_id` 0 and no `moderator`.
pub async fn mod_log_views(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    entries: Vec<ModLogEntry>,
) -> LemmyResult<GetModlogResponse> {
    let mut person_ids: Vec<i64> = entries
        .iter()
        .flat_map(|e| [e.moderator_id, e.target_person_id])
        .flatten()
        .collect();
    let mut community_ids: Vec<i64> = entries.iter().map(|e| e.community_id).collect();
    community_ids.sort_unstable();
    community_ids.dedup();
    let mut post_ids: Vec<i64> = entries.iter().filter_map(|e| e.target_post_id).collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let comment_ids: Vec<i64> = entries.iter().filter_map(|e| e.target_comment_id).collect();
    let comments = community_facts::comments_by_ids(ctx, viewer, &comment_ids).await?;
    person_ids.extend(comments.iter().map(|c| c.author_id));
    let people = people(ctx, &person_ids).await?;
    let communities: HashMap<i64, Community> = community_facts::communities(ctx, &community_ids)
        .await?
        .iter()
        .map(|c| (c.id, Community::from_row(c)))
        .collect();
    let posts: HashMap<i64, Post> =
        hearth_service::content_facts::posts_by_ids(ctx, viewer, &post_ids)
            .await?
            .values()
            .map(|p| (p.id, Post::from_row(p)))
            .collect();
    let mut response = GetModlogResponse::default();
    for e in entries {
        let Some(community) = communities.get(&e.community_id).cloned() else {
            continue;
        };
        let moderator = e.moderator_id.and_then(|id| people.get(&id).cloned());
        let mod_person_id = e.moderator_id.unwrap_or(0);
        let when_ = time(e.created_at);
        let reason = Some(e.reason.clone()).filter(|r| !r.is_empty());
        let post = e.target_post_id.and_then(|id| posts.get(&id).cloned());
        let target = e.target_person_id.and_then(|id| people.get(&id).cloned());
        match e.action.as_str() {
            action @ ("remove_post" | "restore_post") => {
                let Some(post) = post else { continue };
                response.removed_posts.push(ModRemovePostView {
                    mod_remove_post: ModRemovePost {
                        id: e.id,
                        mod_person_id,
                        post_id: post.id,
                        reason,
                        removed: action == "remove_post",
                        when_,
                    },
                    moderator,
                    post,
                    community,
                });
            }
            action @ ("lock_post" | "unlock_post") => {
                let Some(post) = post else { continue };
                response.locked_posts.push(ModLockPostView {
                    mod_lock_post: ModLockPost {
                        id: e.id,
                        mod_person_id,
                        post_id: post.id,
                        locked: action == "lock_post",
                        when_,
                    },
                    moderator,
                    post,
                    community,
                });
            }
            action @ ("pin_post" | "unpin_post") => {
                let Some(post) = post else { continue };
                response.featured_posts.push(ModFeaturePostView {
                    mod_feature_post: ModFeaturePost {
                        id: e.id,
                        mod_person_id,
                        post_id: post.id,
                        featured: action == "pin_post",
                        when_,
                        is_featured_community: true,
                    },
                    moderator,
                    post,
                    community,
                });
            }
            action @ ("remove_comment" | "restore_comment") => {
                let Some(comment) = e
                    .target_comment_id
                    .and_then(|id| comments.iter().find(|c| c.id == id))
                else {
                    continue;
                };
                let (Some(post), Some(commenter)) = (post, people.get(&comment.author_id)) else {
                    continue;
                };
                response.removed_comments.push(ModRemoveCommentView {
                    mod_remove_comment: ModRemoveComment {
                        id: e.id,
                        mod_person_id,
                        comment_id: comment.id,
                        reason,
                        removed: action == "remove_comment",
                        when_,
                    },
                    moderator,
                    comment: Comment::from_row(comment),
                    commenter: commenter.clone(),
                    post,
                    community,
                });
            }
            action @ ("ban" | "unban") => {
                let Some(banned_person) = target else {
                    continue;
                };
                response
                    .banned_from_community
                    .push(ModBanFromCommunityView {
                        mod_ban_from_community: ModBanFromCommunity {
                            id: e.id,
                            mod_person_id,
                            other_person_id: banned_person.id,
                            community_id: community.id,
                            reason,
                            banned: action == "ban",
                            expires: e.expires_at.map(time),
                            when_,
                        },
                        moderator,
                        community,
                        banned_person,
                    });
            }
            action @ ("add_moderator" | "remove_moderator") => {
                let Some(modded_person) = target else {
                    continue;
                };
                response.added_to_community.push(ModAddCommunityView {
                    mod_add_community: ModAddCommunity {
                        id: e.id,
                        mod_person_id,
                        other_person_id: modded_person.id,
                        community_id: community.id,
                        removed: action == "remove_moderator",
                        when_,
                    },
                    moderator,
                    community,
                    modded_person,
                });
            }
            _ => {}
        }
    }
    Ok(response)
}
