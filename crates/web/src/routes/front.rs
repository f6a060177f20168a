//! The front page: a feed (subscribed, local or all) in one of the sorts, a page at a time, and
//! the switchers and page links shared with the community page.

use crate::extract::PageQuery;
use crate::page::{Layout, PageResult, WebError, render};
use crate::paging::{self, PAGE_SIZE};
use crate::session::Session;
use crate::views::{Choice, PostView, Sorts, post_list};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::routing::get;
use hearth_core::Error;
use hearth_service::ServiceContext;
use hearth_service::posts::{self, Feed, FeedSort};
use hearth_service::read_cache::Shows;
use serde::Deserialize;

/// The front page's route.
pub fn router() -> Router<ServiceContext> {
    Router::new().route("/", get(front))
}

/// The sorts of post lists, as addresses name them and as people read them; `top` stands for
/// the top sorts, whose periods are listed in `TOP_PERIODS`.
pub const SORTS: [(&str, &str); 6] = [
    ("hot", "Hot"),
    ("active", "Active"),
    ("new", "New"),
    ("top", "Top"),
    ("most_comments", "Most comments"),
    ("controversial", "Controversial"),
];

/// The periods of the top sorts.
pub const TOP_PERIODS: [(&str, &str); 5] = [
    ("top_day", "Day"),
    ("top_week", "Week"),
    ("top_month", "Month"),
    ("top_year", "Year"),
    ("top_all", "All time"),
];

/// A path with a query string of the non-empty `params`.
pub fn link(path: &str, params: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in params.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(key, value);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The sort switcher of a post list at `path`; `keep` are the other parameters to keep.
pub fn sort_choices(path: &str, keep: &[(&str, &str)], current: &str) -> Sorts {
    let href = |name: &str| {
        let mut params = keep.to_vec();
        if name != "hot" {
            params.push(("sort", name));
        }
        link(path, &params)
    };
    // `top` alone means all time, as the API reads it.
    let current = if current == "top" { "top_all" } else { current };
    let top = current.starts_with("top_");
    let main = SORTS
        .iter()
        .map(|(name, label)| Choice {
            label,
            href: href(if *name == "top" { "top_day" } else { name }),
            current: *name == current || (*name == "top" && top),
        })
        .collect();
    let periods = top.then(|| {
        TOP_PERIODS
            .iter()
            .map(|(name, label)| Choice {
                label,
                href: href(name),
                current: *name == current,
            })
            .collect()
    });
    Sorts { main, periods }
}

/// Query parameters of a post list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `subscribed`, `local` or `all` (front page only).
    pub feed: Option<String>,
    /// One of `SORTS`.
    pub sort: Option<String>,
    /// Where the page starts.
    pub cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "front.html")]
struct FrontPage {
    layout: Layout,
    site_description_html: String,
    feeds: Vec<Choice>,
    sorts: Sorts,
    posts: Vec<PostView>,
    hidden_nsfw: usize,
    next_page: Option<String>,
    first_page: Option<String>,
    feed: &'static str,
}

async fn front(
    State(ctx): State<ServiceContext>,
    session: Session,
    OriginalUri(uri): OriginalUri,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    let context = &ctx;
    crate::routes::anonymous::page(&ctx, session, &uri, |session| async move {
        // The front page mixes every community.
        Ok((
            front_page(context, session, query).await?,
            Shows::Everything,
        ))
    })
    .await
}

async fn front_page(ctx: &ServiceContext, session: Session, query: ListQuery) -> PageResult {
    let (feed_name, feed) = match query.feed.as_deref().unwrap_or("all") {
        "all" => ("all", Feed::All),
        "local" => ("local", Feed::Local),
        "subscribed" => ("subscribed", Feed::Subscribed),
        _ => {
            return Err(WebError(Error::validation(
                "feed",
                "must be all, local or subscribed",
            )));
        }
    };
    let sort_name = query.sort.as_deref().unwrap_or("hot");
    let sort = FeedSort::parse(sort_name)?;
    let after = paging::decode_post(query.cursor.as_deref())?;
    let (rows, next) =
        posts::feed(ctx, session.viewer.as_ref(), feed, sort, after, PAGE_SIZE).await?;
    let (mut posts, hidden_nsfw) = post_list(ctx, rows, &session);
    crate::routes::events::mark_badges(ctx, &session, &mut posts).await?;
    let feed_param = if feed_name == "all" { "" } else { feed_name };
    let sort_param = if sort_name == "hot" { "" } else { sort_name };
    let mut feeds = Vec::new();
    if session.viewer.is_some() {
        feeds.push(("subscribed", "Subscribed"));
    }
    feeds.extend([("local", "Local"), ("all", "All")]);
    let feeds = feeds
        .into_iter()
        .map(|(name, label)| Choice {
            label,
            href: link(
                "/",
                &[
                    ("feed", if name == "all" { "" } else { name }),
                    ("sort", sort_param),
                ],
            ),
            current: name == feed_name,
        })
        .collect();
    let mut layout = Layout::new(&session, "Front page", "home");
    if feed_name != "subscribed" {
        layout = layout.with_feed(
            format!("{}: {} posts", session.site.name, feed_name),
            link(
                &format!("/feeds/{feed_name}.xml"),
                &[("sort", if sort_name == "hot" { "new" } else { sort_name })],
            ),
        );
    }
    let next_page = next.map(|c| {
        link(
            "/",
            &[
                ("feed", feed_param),
                ("sort", sort_param),
                ("cursor", &paging::encode_f64(c.key, c.id)),
            ],
        )
    });
    let first_page = after.map(|_| link("/", &[("feed", feed_param), ("sort", sort_param)]));
    render(&FrontPage {
        layout,
        site_description_html: session.site.description_html.clone(),
        feeds,
        sorts: sort_choices("/", &[("feed", feed_param)], sort_name),
        posts,
        hidden_nsfw,
        next_page,
        first_page,
        feed: feed_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_leave_out_empty_parameters_and_encode_the_rest() {
        assert_eq!(link("/", &[("feed", ""), ("sort", "")]), "/");
        assert_eq!(
            link("/c/rust", &[("sort", "new"), ("cursor", "1.5_3")]),
            "/c/rust?sort=new&cursor=1.5_3"
        );
        assert_eq!(link("/search", &[("q", "a&b c")]), "/search?q=a%26b+c");
    }

    #[test]
    fn the_default_sort_has_the_plain_address() {
        let sorts = sort_choices("/", &[], "new");
        assert_eq!(sorts.main[0].href, "/");
        assert!(sorts.main[2].current && sorts.main[2].href == "/?sort=new");
        assert!(sorts.periods.is_none());
    }

    #[test]
    fn top_sorts_show_their_periods() {
        let sorts = sort_choices("/c/rust", &[], "top_week");
        assert!(sorts.main[3].current && sorts.main[3].href == "/c/rust?sort=top_day");
        let periods = sorts.periods.unwrap();
        assert!(periods[1].current && periods[1].href == "/c/rust?sort=top_week");
        assert!(sort_choices("/", &[], "top").periods.unwrap()[4].current);
    }
}
