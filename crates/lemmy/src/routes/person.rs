//! The v3 `user` endpoints about people: a person's details with their posts and comments, the
//! viewer's replies and mentions (Hearth's reply and mention notifications about comments: a
//! `CommentReply`'s and a `PersonMention`'s id is the notification's id), unread counts, marking
//! read, and blocking people.

use crate::auth::LemmyUser;
use crate::error::{LemmyError, LemmyResult};
use crate::extract::{LemmyJson, LemmyQuery};
use crate::listing::{CommentSortType, MAX_WALKED_PAGES, SortType, feed_sort, page_window};
use crate::views::Person;
use crate::views::comment::{CommentView, comment_views};
use crate::views::community::{CommunityModeratorView, moderates};
use crate::views::person::{PersonView, person_view};
use crate::views::post::{PostView, post_views};
use crate::views::time;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use hearth_db::notification::{NotificationFilter, NotificationKind, NotificationRow};
use hearth_db::person::PersonRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::community_facts;
use serde::{Deserialize, Serialize};

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new()
        .route("/user", get(person_details))
        .route("/user/replies", get(replies))
        .route("/user/mention", get(mentions))
        .route("/user/unread_count", get(unread_count))
        .route("/user/mark_all_as_read", post(mark_all_as_read))
        .route("/comment/mark_as_read", post(mark_reply_read))
        .route("/user/mention/mark_as_read", post(mark_mention_read))
        .route("/user/block", post(block_person))
}

/// The reference (`name` or `name@host`) the use cases take for a person known by id.
pub(crate) fn reference_of(ctx: &ServiceContext, person: &PersonRow) -> String {
    community_facts::reference(ctx, &person.name, person.local, &person.ap_id)
}

/// `GetPersonDetails`.
#[derive(Debug, Deserialize)]
struct GetPersonDetails {
    person_id: Option<i64>,
    username: Option<String>,
    sort: Option<SortType>,
    page: Option<i64>,
    limit: Option<i64>,
    community_id: Option<i64>,
    saved_only: Option<bool>,
}

/// `GetPersonDetailsResponse` (without `site`).
#[derive(Debug, Serialize)]
struct GetPersonDetailsResponse {
    person_view: PersonView,
    comments: Vec<CommentView>,
    posts: Vec<PostView>,
    moderates: Vec<CommunityModeratorView>,
}

/// `GET /user`: a person with one page of their posts and comments (their saved ones, for
/// `saved_only` on one's own page) and the communities they moderate. Comments are newest
/// first whatever the sort; `community_id` keeps the page's items of that community.
async fn person_details(
    State(ctx): State<ServiceContext>,
    user: Option<LemmyUser>,
    LemmyQuery(form): LemmyQuery<GetPersonDetails>,
) -> LemmyResult<Json<GetPersonDetailsResponse>> {
    let viewer = user.as_ref().map(|u| &u.0);
    let (limit, offset) = page_window(form.page, form.limit)?;
    let row = match (form.person_id, form.username.as_deref()) {
        (Some(id), _) => community_facts::person(&ctx, id).await?,
        (None, Some(name)) => find_by_name(&ctx, viewer, name).await?,
        (None, None) => {
            return Err(LemmyError::new(
                "no_id_given",
                "Give the person's `person_id` or `username`.",
            ));
        }
    };
    let pages_before = offset / limit;
    let saved_only = form.saved_only.unwrap_or(false);
    let (mut posts, comments) = if pages_before >= MAX_WALKED_PAGES {
        (Vec::new(), Vec::new())
    } else if saved_only {
        let viewer = viewer.ok_or_else(LemmyError::not_logged_in)?;
        if viewer.person_id != row.id {
            // Saved items are private: another person's list is empty, as on Lemmy.
            (Vec::new(), Vec::new())
        } else {
            saved_page(&ctx, viewer, pages_before, limit).await?
        }
    } else {
        authored_page(&ctx, viewer, &row, form.sort, pages_before, limit).await?
    };
    let mut comments = comment_views(&ctx, viewer, comments).await?;
    if let Some(community_id) = form.community_id {
        posts.retain(|p| p.community_id == community_id);
        comments.retain(|c| c.community.id == community_id);
    }
    let person_view = person_view(&ctx, row).await?;
    let moderates = moderates(&ctx, &person_view.person).await?;
    Ok(Json(GetPersonDetailsResponse {
        comments,
        posts: post_views(&ctx, viewer, posts).await?,
        moderates,
        person_view,
    }))
}

/// Finds a person by `name` or `name@host`; a signed-in viewer's unknown `name@host` is
/// fetched from its server, as Lemmy does.
async fn find_by_name(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    name: &str,
) -> LemmyResult<PersonRow> {
    match hearth_service::users::find(ctx, name, "username").await {
        Ok(row) => Ok(row),
        Err(e) if e.kind.code() == "not_found" && name.contains('@') => {
            let Some(viewer) = viewer else {
                return Err(e.into());
            };
            let query = format!("@{}", name.trim_start_matches('@'));
            match hearth_service::resolve::resolve(ctx, viewer, &query).await? {
                hearth_service::resolve::Resolved::Person(id) => {
                    Ok(community_facts::person(ctx, id).await?)
                }
                _ => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

type PostsAndComments = (
    Vec<hearth_db::post::PostRow>,
    Vec<hearth_db::comment::CommentRow>,
);

/// Page `pages_before + 1` of a person's posts (in `sort`) and comments (newest first).
async fn authored_page(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    person: &PersonRow,
    sort: Option<SortType>,
    pages_before: i64,
    limit: i64,
) -> LemmyResult<PostsAndComments> {
    let reference = reference_of(ctx, person);
    // Hearth lists a person's posts newest first or ranked, never oldest first.
    let sort = feed_sort(sort.unwrap_or(SortType::New)).ok_or_else(|| {
        LemmyError::unsupported("couldnt_get_posts", "Listing posts oldest first")
    })?;
    let feed = hearth_service::posts::Feed::Author(reference.clone());
    let mut post_cursor = None;
    let mut comment_cursor = None;
    let mut page = 0;
    loop {
        let (posts, next_post) = if page == 0 || post_cursor.is_some() {
            hearth_service::posts::feed(ctx, viewer, feed.clone(), sort, post_cursor, limit).await?
        } else {
            (Vec::new(), None)
        };
        let comments = if page == 0 || comment_cursor.is_some() {
            hearth_service::comments::by_author(ctx, viewer, &reference, comment_cursor, limit)
                .await?
        } else {
            Vec::new()
        };
        if page == pages_before {
            return Ok((posts, comments));
        }
        post_cursor = next_post;
        comment_cursor = (comments.len() as i64 == limit)
            .then(|| comments.last().map(|c| c.id))
            .flatten();
        if post_cursor.is_none() && comment_cursor.is_none() {
            return Ok((Vec::new(), Vec::new()));
        }
        page += 1;
    }
}

/// Page `pages_before + 1` of the viewer's saved posts and comments, most recently saved first.
async fn saved_page(
    ctx: &ServiceContext,
    viewer: &Viewer,
    pages_before: i64,
    limit: i64,
) -> LemmyResult<PostsAndComments> {
    let mut post_cursor = None;
    let mut comment_cursor = None;
    let mut page = 0;
    loop {
        let (posts, next_post) = if page == 0 || post_cursor.is_some() {
            hearth_service::saved::saved_posts(ctx, viewer, post_cursor, limit).await?
        } else {
            (Vec::new(), None)
        };
        let (comments, next_comment) = if page == 0 || comment_cursor.is_some() {
            hearth_service::saved::saved_comments(ctx, viewer, comment_cursor, limit).await?
        } else {
            (Vec::new(), None)
        };
        if page == pages_before {
            return Ok((posts, comments));
        }
        post_cursor = next_post;
        comment_cursor = next_comment;
        if post_cursor.is_none() && comment_cursor.is_none() {
            return Ok((Vec::new(), Vec::new()));
        }
        page += 1;
    }
}

/// `GetReplies` and `GetPersonMentions`.
#[derive(Debug, Deserialize)]
struct GetNotified {
    // Hearth lists notifications newest first; the sort is read (so a bad one is refused) and
    // otherwise not applied.
    #[allow(dead_code)]
    sort: Option<CommentSortType>,
    page: Option<i64>,
    limit: Option<i64>,
    unread_only: Option<bool>,
}

/// `CommentReply` and `PersonMention` (the same fields).
#[derive(Debug, Clone, Serialize)]
struct NotifiedComment {
    id: i64,
    recipient_id: i64,
    comment_id: i64,
    read: bool,
    published: String,
}

/// `CommentReplyView`: a `CommentView` with the reply and its recipient.
#[derive(Debug, Clone, Serialize)]
struct CommentReplyView {
    comment_reply: NotifiedComment,
    recipient: Person,
    #[serde(flatten)]
    view: CommentView,
}

/// `PersonMentionView`: a `CommentView` with the mention and its recipient.
#[derive(Debug, Clone, Serialize)]
struct PersonMentionView {
    person_mention: NotifiedComment,
    recipient: Person,
    #[serde(flatten)]
    view: CommentView,
}

/// `GetRepliesResponse`.
#[derive(Debug, Serialize)]
struct GetRepliesResponse {
    replies: Vec<CommentReplyView>,
}

/// `GetPersonMentionsResponse`.
#[derive(Debug, Serialize)]
struct GetPersonMentionsResponse {
    mentions: Vec<PersonMentionView>,
}

/// One page of the viewer's notifications of `kind` about comments, with the comments' views.
async fn notified(
    ctx: &ServiceContext,
    viewer: &Viewer,
    kind: NotificationKind,
    form: &GetNotified,
) -> LemmyResult<Vec<(NotifiedComment, Person, CommentView)>> {
    let (limit, offset) = page_window(form.page, form.limit)?;
    let pages_before = offset / limit;
    if pages_before >= MAX_WALKED_PAGES {
        return Ok(Vec::new());
    }
    let mut filter = NotificationFilter {
        unread_only: form.unread_only.unwrap_or(false),
        kind: Some(kind),
        before: None,
    };
    let mut page = 0;
    let rows = loop {
        let rows = hearth_service::notifications::list(ctx, viewer, filter, limit).await?;
        if page == pages_before {
            break rows;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == limit => filter.before = Some(last.id),
            // Fewer pages than asked for.
            _ => break Vec::new(),
        }
        page += 1;
    };
    views_of_notifications(ctx, viewer, rows).await
}

/// The views of notifications about comments (a mention in a post has no comment and is left
/// out: Lemmy's mentions are of comments).
async fn views_of_notifications(
    ctx: &ServiceContext,
    viewer: &Viewer,
    rows: Vec<NotificationRow>,
) -> LemmyResult<Vec<(NotifiedComment, Person, CommentView)>> {
    let comment_ids: Vec<i64> = rows.iter().filter_map(|n| n.comment_id).collect();
    let comments = community_facts::comments_by_ids(ctx, Some(viewer), &comment_ids).await?;
    let views = comment_views(ctx, Some(viewer), comments).await?;
    let recipient = crate::views::person::people(ctx, &[viewer.person_id])
        .await?
        .remove(&viewer.person_id)
        .ok_or_else(LemmyError::not_logged_in)?;
    Ok(rows
        .into_iter()
        .filter_map(|n| {
            let comment_id = n.comment_id?;
            let view = views.iter().find(|v| v.comment.id == comment_id)?.clone();
            let notified = NotifiedComment {
                id: n.id,
                recipient_id: viewer.person_id,
                comment_id,
                read: n.read,
                published: time(n.created_at),
            };
            Some((notified, recipient.clone(), view))
        })
        .collect())
}

/// `GET /user/replies`.
async fn replies(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<GetNotified>,
) -> LemmyResult<Json<GetRepliesResponse>> {
    let replies = notified(&ctx, &viewer, NotificationKind::Reply, &form)
        .await?
        .into_iter()
        .map(|(comment_reply, recipient, view)| CommentReplyView {
            comment_reply,
            recipient,
            view,
        })
        .collect();
    Ok(Json(GetRepliesResponse { replies }))
}

/// `GET /user/mention`.
async fn mentions(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyQuery(form): LemmyQuery<GetNotified>,
) -> LemmyResult<Json<GetPersonMentionsResponse>> {
    let mentions = notified(&ctx, &viewer, NotificationKind::Mention, &form)
        .await?
        .into_iter()
        .map(|(person_mention, recipient, view)| PersonMentionView {
            person_mention,
            recipient,
            view,
        })
        .collect();
    Ok(Json(GetPersonMentionsResponse { mentions }))
}

/// `GetUnreadCountResponse`.
#[derive(Debug, Serialize)]
struct GetUnreadCountResponse {
    replies: i64,
    mentions: i64,
    private_messages: i64,
}

/// `GET /user/unread_count`: unread replies and mentions about comments (Hearth has no
/// private messages: 0).
async fn unread_count(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
) -> LemmyResult<Json<GetUnreadCountResponse>> {
    let (replies, mentions) = community_facts::unread_replies_and_mentions(&ctx, &viewer).await?;
    Ok(Json(GetUnreadCountResponse {
        replies,
        mentions,
        private_messages: 0,
    }))
}

/// `POST /user/mark_all_as_read`: every notification read; answers an empty
/// `GetRepliesResponse`, as Lemmy does.
async fn mark_all_as_read(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
) -> LemmyResult<Json<GetRepliesResponse>> {
    hearth_service::notifications::mark_all_read(&ctx, &viewer).await?;
    Ok(Json(GetRepliesResponse {
        replies: Vec::new(),
    }))
}

/// The viewer's notification `id` of `kind` about a comment, after marking it `read`.
async fn mark_one(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    kind: NotificationKind,
    read: bool,
    missing: &'static str,
) -> LemmyResult<(NotifiedComment, Person, CommentView)> {
    let gone = || LemmyError::new(missing, "You have no such notification.");
    let filter = NotificationFilter {
        unread_only: false,
        kind: Some(kind),
        before: id.checked_add(1),
    };
    let row = hearth_service::notifications::list(ctx, viewer, filter, 1)
        .await?
        .pop()
        .filter(|n| n.id == id && n.comment_id.is_some())
        .ok_or_else(gone)?;
    hearth_service::notifications::mark(ctx, viewer, id, read).await?;
    let row = NotificationRow { read, ..row };
    views_of_notifications(ctx, viewer, vec![row])
        .await?
        .pop()
        .ok_or_else(gone)
}

/// `MarkCommentReplyAsRead`.
#[derive(Debug, Deserialize)]
struct MarkCommentReplyAsRead {
    comment_reply_id: i64,
    read: bool,
}

/// `CommentReplyResponse`.
#[derive(Debug, Serialize)]
struct CommentReplyResponse {
    comment_reply_view: CommentReplyView,
}

/// `POST /comment/mark_as_read`.
async fn mark_reply_read(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<MarkCommentReplyAsRead>,
) -> LemmyResult<Json<CommentReplyResponse>> {
    let (comment_reply, recipient, view) = mark_one(
        &ctx,
        &viewer,
        form.comment_reply_id,
        NotificationKind::Reply,
        form.read,
        "couldnt_find_comment_reply",
    )
    .await?;
    Ok(Json(CommentReplyResponse {
        comment_reply_view: CommentReplyView {
            comment_reply,
            recipient,
            view,
        },
    }))
}

/// `MarkPersonMentionAsRead`.
#[derive(Debug, Deserialize)]
struct MarkPersonMentionAsRead {
    person_mention_id: i64,
    read: bool,
}

/// `PersonMentionResponse`.
#[derive(Debug, Serialize)]
struct PersonMentionResponse {
    person_mention_view: PersonMentionView,
}

/// `POST /user/mention/mark_as_read`.
async fn mark_mention_read(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<MarkPersonMentionAsRead>,
) -> LemmyResult<Json<PersonMentionResponse>> {
    let (person_mention, recipient, view) = mark_one(
        &ctx,
        &viewer,
        form.person_mention_id,
        NotificationKind::Mention,
        form.read,
        "couldnt_find_person_mention",
    )
    .await?;
    Ok(Json(PersonMentionResponse {
        person_mention_view: PersonMentionView {
            person_mention,
            recipient,
            view,
        },
    }))
}

/// `BlockPerson`.
#[derive(Debug, Deserialize)]
struct BlockPerson {
    person_id: i64,
    block: bool,
}

/// `BlockPersonResponse`.
#[derive(Debug, Serialize)]
struct BlockPersonResponse {
    person_view: PersonView,
    blocked: bool,
}

/// `POST /user/block`. Lemmy refuses to block an admin; so does this.
async fn block_person(
    State(ctx): State<ServiceContext>,
    LemmyUser(viewer): LemmyUser,
    LemmyJson(form): LemmyJson<BlockPerson>,
) -> LemmyResult<Json<BlockPersonResponse>> {
    let target = community_facts::person(&ctx, form.person_id).await?;
    let reference = reference_of(&ctx, &target);
    if form.block {
        if target.id == viewer.person_id {
            return Err(LemmyError::new(
                "cant_block_yourself",
                "You cannot block yourself.",
            ));
        }
        if target.admin {
            return Err(LemmyError::new(
                "cant_block_admin",
                "Administrators of this instance cannot be blocked.",
            ));
        }
        hearth_service::blocks::block_person(&ctx, &viewer, &reference).await?;
    } else {
        hearth_service::blocks::unblock_person(&ctx, &viewer, &reference).await?;
    }
    Ok(Json(BlockPersonResponse {
        person_view: person_view(&ctx, target).await?,
        blocked: form.block,
    }))
}
