//! People's profiles: who they are, and what they posted and commented, newest first.

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::page::{Layout, PageResult, WebError, back, render};
use crate::paging::{self, PAGE_SIZE};
use crate::routes::front::link;
use crate::session::Session;
use crate::views::{self, ActorView, Choice, CommentView, PostView, TimeView, post_list};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use chrono::Utc;
use hearth_core::Error;
use hearth_db::comment::CommentRow;
use hearth_service::ServiceContext;
use hearth_service::posts::{self, Feed, FeedSort};
use hearth_service::{comments, users};
use serde::Deserialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

/// The profile route.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/u/{name}", get(show))
        .route("/u/{name}/block", post(block))
        .route("/u/{name}/unblock", post(unblock))
}

/// Blocks the person for the signed-in visitor, then back to where the button was.
async fn block(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    hearth_service::blocks::block_person(&ctx, &user.viewer, &name).await?;
    Ok(back(&headers, &format!("/u/{name}")))
}

/// Takes the signed-in visitor's block of the person back.
async fn unblock(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    hearth_service::blocks::unblock_person(&ctx, &user.viewer, &name).await?;
    Ok(back(&headers, &format!("/u/{name}")))
}

#[derive(Debug, Deserialize)]
struct ProfileQuery {
    view: Option<String>,
    cursor: Option<String>,
}

/// A comment in a list outside its thread (a profile, search results), with its post.
pub struct CommentInList {
    /// The comment.
    pub comment: CommentView,
    /// Its post's title.
    pub post_title: String,
    /// Its post's page.
    pub post_href: String,
}

/// Adds to each comment the title of its post: one lookup per distinct post of the list (at
/// most a page's worth).
pub async fn comments_in_list(
    ctx: &ServiceContext,
    session: &Session,
    rows: Vec<CommentRow>,
) -> Result<Vec<CommentInList>, WebError> {
    let mut titles: HashMap<i64, String> = HashMap::new();
    for row in &rows {
        if let Entry::Vacant(slot) = titles.entry(row.post_id) {
            let post = posts::get(ctx, session.viewer.as_ref(), row.post_id).await?;
            slot.insert(post.title);
        }
    }
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|row| {
            let post_id = row.post_id;
            CommentInList {
                comment: CommentView::new(ctx, row, None, session, now),
                post_title: titles.get(&post_id).cloned().unwrap_or_default(),
                post_href: format!("/post/{post_id}"),
            }
        })
        .collect())
}

#[derive(Template)]
#[template(path = "user.html")]
struct ProfilePage {
    layout: Layout,
    person: ActorView,
    /// Where the page loads the person's banner from.
    banner: Option<String>,
    bio_html: String,
    admin: bool,
    joined: TimeView,
    tabs: Vec<Choice>,
    showing_comments: bool,
    /// The signed-in visitor blocks this person (their content is hidden from them).
    blocked: bool,
    posts: Vec<PostView>,
    hidden_nsfw: usize,
    comments: Vec<CommentInList>,
    next_page: Option<String>,
    first_page: Option<String>,
}

async fn show(
    State(ctx): State<ServiceContext>,
    session: Session,
    PagePath(name): PagePath<String>,
    PageQuery(query): PageQuery<ProfileQuery>,
) -> PageResult {
    let row = users::find(&ctx, &name, "user").await?;
    let mut person = views::person(
        &row.name,
        row.display_name.as_deref(),
        row.local,
        &row.ap_id,
    );
    let mut banner = None;
    if row.deleted {
        views::DELETED_PERSON.clone_into(&mut person.label);
    } else {
        person = person.with_avatar(&ctx, row.avatar_url.as_deref());
        banner = row
            .banner_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| hearth_service::media::image_src(&ctx, u));
    }
    let showing_comments = match query.view.as_deref() {
        None | Some("posts") => false,
        Some("comments") => true,
        Some(_) => {
            return Err(WebError(Error::validation(
                "view",
                "must be posts or comments",
            )));
        }
    };
    let viewer = session.viewer.as_ref();
    let blocked = hearth_service::blocks::blocks_person(&ctx, viewer, row.id).await?;
    let path = person.href.clone();
    let view_param = if showing_comments { "comments" } else { "" };
    let (mut posts, mut hidden_nsfw, mut comments_in_list) = (Vec::new(), 0, Vec::new());
    let next_cursor = if showing_comments {
        let after = paging::decode_id(query.cursor.as_deref())?;
        let mut rows =
            comments::by_author(&ctx, viewer, &person.handle, after, PAGE_SIZE + 1).await?;
        let next = hearth_service::paging::cut(&mut rows, PAGE_SIZE).map(|r| r.id.to_string());
        comments_in_list = self::comments_in_list(&ctx, &session, rows).await?;
        next
    } else {
        let after = paging::decode_post(query.cursor.as_deref())?;
        let (rows, next) = posts::feed(
            &ctx,
            viewer,
            Feed::Author(person.handle.clone()),
            FeedSort::New,
            after,
            PAGE_SIZE,
        )
        .await?;
        (posts, hidden_nsfw) = post_list(&ctx, rows, &session);
        crate::routes::events::mark_badges(&ctx, &session, &mut posts).await?;
        next.map(|c| paging::encode_f64(c.key, c.id))
    };
    let tabs = vec![
        Choice {
            label: "Posts",
            href: path.clone(),
            current: !showing_comments,
        },
        Choice {
            label: "Comments",
            href: link(&path, &[("view", "comments")]),
            current: showing_comments,
        },
    ];
    let layout = Layout::new(&session, person.label.clone(), "profile").with_feed(
        format!("Posts by {}", person.handle),
        format!("/feeds/u/{}.xml", person.handle),
    );
    let layout = if person.local {
        layout.with_activity(person.href.clone())
    } else {
        layout
    };
    render(&ProfilePage {
        layout,
        next_page: next_cursor
            .map(|cursor| link(&path, &[("view", view_param), ("cursor", &cursor)])),
        first_page: query
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|_| link(&path, &[("view", view_param)])),
        person,
        banner,
        bio_html: row.bio_html,
        admin: row.admin,
        joined: views::time(row.created_at, Utc::now()),
        tabs,
        showing_comments,
        blocked,
        posts,
        hidden_nsfw,
        comments: comments_in_list,
    })
}
