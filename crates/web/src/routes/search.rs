//! Search: posts, comments, communities and people. A query that is a handle (`!name@host` for
//! a community, `@name@host` for a person) or an object URL opens that page: known here already,
//! or looked up on its server for a signed-in viewer.

use crate::extract::PageQuery;
use crate::page::{Layout, PageResult, render, see_other};
use crate::paging::{self, PAGE_SIZE};
use crate::routes::front::link;
use crate::routes::users::{CommentInList, comments_in_list};
use crate::session::Session;
use crate::views::{self, ActorView, Choice, CommunityView, PostView, post_list};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use hearth_service::ServiceContext;
use hearth_service::resolve::{self, Resolved};
use hearth_service::search::{self, SearchKind, SearchResults};
use hearth_service::{communities, users};
use serde::Deserialize;

/// The search route.
pub fn router() -> Router<ServiceContext> {
    Router::new().route("/search", get(search_page))
}

/// The tabs: `all` (the default) shows the best few communities and people, then posts.
const KINDS: [(&str, &str); 5] = [
    ("all", "All"),
    ("posts", "Posts"),
    ("comments", "Comments"),
    ("communities", "Communities"),
    ("users", "People"),
];

#[derive(Debug, Deserialize)]
struct SearchQuery {
    q: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    kind: String,
    kinds: Vec<Choice>,
    searched: bool,
    posts: Vec<PostView>,
    hidden_nsfw: usize,
    comments: Vec<CommentInList>,
    communities: Vec<CommunityView>,
    people: Vec<ActorView>,
    next_page: Option<String>,
    /// Search results have no "first page" link (only the pager's "next").
    first_page: Option<String>,
    /// On the "All" tab: links to all the matching communities, and people, when more match
    /// than are shown.
    more_communities: Option<String>,
    more_people: Option<String>,
}

impl SearchPage {
    fn nothing_found(&self) -> bool {
        self.searched
            && self.posts.is_empty()
            && self.comments.is_empty()
            && self.communities.is_empty()
            && self.people.is_empty()
    }
}

/// The page a handle or URL names: known here already, or (for a signed-in viewer) looked up
/// on its server, stored and then shown like a local one.
async fn handle_target(
    ctx: &ServiceContext,
    session: &Session,
    query: &str,
    may_fetch: bool,
) -> Option<String> {
    let is_handle = !query.contains(char::is_whitespace);
    if let Some(rest) = query.strip_prefix('!').filter(|_| is_handle)
        && let Ok(community) = communities::find(ctx, rest).await
    {
        return Some(community_path(&community));
    }
    if let Some(rest) = query.strip_prefix('@').filter(|_| is_handle)
        && let Ok(person) = users::find(ctx, rest, "q").await
    {
        return Some(person_path(&person.name, person.local, &person.ap_id));
    }
    let remote_looking = may_fetch
        && is_handle
        && (query.starts_with("https://")
            || query.starts_with("http://")
            || (query.starts_with(['!', '@']) && query.contains('@')));
    let viewer = session.viewer.as_ref().filter(|_| remote_looking)?;
    match resolve::resolve(ctx, viewer, query).await.ok()? {
        Resolved::Community(id) => {
            let community = hearth_db::community::find(&ctx.pool, id).await.ok()??;
            Some(community_path(&community))
        }
        Resolved::Person(id) => {
            let person = hearth_db::person::find(&ctx.pool, id).await.ok()??;
            Some(person_path(&person.name, person.local, &person.ap_id))
        }
        Resolved::Post(id) => Some(format!("/post/{id}")),
        Resolved::Comment(id) => Some(format!("/comment/{id}")),
    }
}

/// A community's page, as every other page links to it.
fn community_path(community: &hearth_db::community::CommunityRow) -> String {
    views::community(
        &community.name,
        &community.title,
        community.local,
        &community.ap_id,
    )
    .href
}

/// A person's page, as every other page links to it.
fn person_path(name: &str, local: bool, ap_id: &str) -> String {
    views::person(name, None, local, ap_id).href
}

async fn search_page(
    State(ctx): State<ServiceContext>,
    session: Session,
    headers: axum::http::HeaderMap,
    PageQuery(query): PageQuery<SearchQuery>,
) -> PageResult {
    let text = query.q.as_deref().unwrap_or("").trim().to_owned();
    let kind_name = query.kind.as_deref().unwrap_or("all").to_owned();
    // `None`: all kinds.
    let kind = match kind_name.as_str() {
        "all" => None,
        other => Some(SearchKind::parse(other)?),
    };
    // A link from another site must not make this server fetch on the visitor's account.
    let from_elsewhere = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    if let Some(target) = handle_target(&ctx, &session, &text, !from_elsewhere).await {
        return Ok(see_other(&target));
    }
    let kinds = KINDS
        .iter()
        .map(|(name, label)| Choice {
            label,
            href: link("/search", &[("q", &text), ("type", name)]),
            current: *name == kind_name,
        })
        .collect();
    let mut page = SearchPage {
        layout: Layout::new(
            &session,
            if text.is_empty() {
                "Search".to_owned()
            } else {
                format!("Search: {text}")
            },
            "search",
        ),
        query: text.clone(),
        kind: kind_name.clone(),
        kinds,
        searched: !text.is_empty(),
        posts: Vec::new(),
        hidden_nsfw: 0,
        comments: Vec::new(),
        communities: Vec::new(),
        people: Vec::new(),
        next_page: None,
        first_page: None,
        more_communities: None,
        more_people: None,
    };
    if text.is_empty() {
        return render(&page);
    }
    let viewer = session.viewer.as_ref();
    let Some(kind) = kind else {
        let found = search::overview(&ctx, viewer, &text, PAGE_SIZE).await?;
        page.communities = found
            .communities
            .into_iter()
            .map(|d| CommunityView::new(&ctx, d))
            .collect();
        page.people = found
            .people
            .iter()
            .map(|p| views::person(&p.name, p.display_name.as_deref(), p.local, &p.ap_id))
            .collect();
        (page.posts, page.hidden_nsfw) = post_list(&ctx, found.posts, &session);
        crate::routes::events::mark_badges(&ctx, &session, &mut page.posts).await?;
        page.more_communities = found
            .more_communities
            .then(|| link("/search", &[("q", &text), ("type", "communities")]));
        page.more_people = found
            .more_people
            .then(|| link("/search", &[("q", &text), ("type", "users")]));
        // Further pages are pages of posts.
        page.next_page = found.next_posts.map(|(key, id)| {
            link(
                "/search",
                &[
                    ("q", &text),
                    ("type", "posts"),
                    ("cursor", &paging::encode_f64(key, id)),
                ],
            )
        });
        return render(&page);
    };
    let after = paging::decode_f64(query.cursor.as_deref())?;
    let (results, next) = search::search(&ctx, viewer, &text, kind, None, after, PAGE_SIZE).await?;
    page.next_page = next.map(|(key, id)| {
        link(
            "/search",
            &[
                ("q", &text),
                ("type", &kind_name),
                ("cursor", &paging::encode_f64(key, id)),
            ],
        )
    });
    match results {
        SearchResults::Posts(rows) => {
            (page.posts, page.hidden_nsfw) = post_list(&ctx, rows, &session);
            crate::routes::events::mark_badges(&ctx, &session, &mut page.posts).await?;
        }
        SearchResults::Comments(rows) => {
            page.comments = comments_in_list(&ctx, &session, rows).await?;
        }
        SearchResults::Communities(rows) => {
            page.communities = rows
                .into_iter()
                .map(|d| CommunityView::new(&ctx, d))
                .collect();
        }
        SearchResults::Users(rows) => {
            page.people = rows
                .iter()
                .map(|p| views::person(&p.name, p.display_name.as_deref(), p.local, &p.ap_id))
                .collect();
        }
    }
    render(&page)
}
