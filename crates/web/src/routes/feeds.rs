//! RSS 2.0 feeds of the front page (`/feeds/all.xml`, `/feeds/local.xml`), of each community
//! (`/feeds/c/{name}.xml`) and of each person (`/feeds/u/{name}.xml`). Feeds are read by
//! programs without cookies, so they show what an anonymous visitor sees and may be cached.

use crate::extract::PageQuery;
use crate::paging::PAGE_SIZE;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_core::Error;
use hearth_db::post::PostRow;
use hearth_service::ServiceContext;
use hearth_service::posts::{self, Feed, FeedSort};
use hearth_service::{communities, users};
use serde::Deserialize;

/// The feed routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/feeds/{file}", get(front_feed))
        .route("/feeds/c/{file}", get(community_feed))
        .route("/feeds/u/{file}", get(person_feed))
}

#[derive(Debug, Deserialize)]
struct FeedQuery {
    sort: Option<String>,
}

/// One `<item>`.
struct Item {
    title: String,
    link: String,
    guid: String,
    pub_date: String,
    author: String,
    category: String,
    description: String,
}

#[derive(Template)]
#[template(path = "feed.xml")]
struct RssFeed {
    title: String,
    link: String,
    self_link: String,
    description: String,
    items: Vec<Item>,
}

/// Drops the characters XML 1.0 cannot carry at all (most C0 controls); escaping handles the
/// rest when the template is rendered.
fn xml_safe(text: &str) -> String {
    text.chars()
        .filter(|c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .collect()
}

fn item(row: PostRow, base: &str) -> Item {
    let link = format!("{base}/post/{}", row.id);
    let mut description = String::new();
    if let Some(url) = &row.url {
        let href = xml_safe(url).replace('&', "&amp;").replace('"', "&quot;");
        description.push_str(&format!("<p><a href=\"{href}\">{href}</a></p>"));
    }
    description.push_str(&row.body_html);
    let author = match (row.author_local, crate::views::authority(&row.author_ap_id)) {
        _ if row.author_deleted => crate::views::DELETED_PERSON.to_owned(),
        (false, Some(host)) => format!("{}@{host}", row.author_name),
        _ => row.author_name,
    };
    Item {
        title: xml_safe(&row.title),
        guid: xml_safe(&row.ap_id),
        pub_date: row.published_at.to_rfc2822(),
        author: xml_safe(&author),
        category: xml_safe(&row.community_name),
        description: xml_safe(&description),
        link,
    }
}

/// Renders a feed of `rows`, or a plain-text error: feed readers show neither pages nor styles.
fn respond(result: Result<RssFeed, Error>) -> Response {
    let feed = match result {
        Ok(feed) => feed,
        Err(error) => {
            let status = error.kind.status();
            if status.is_server_error() {
                tracing::error!(error = ?error, "feed failed");
            }
            return (status, error.kind.message()).into_response();
        }
    };
    match feed.render() {
        Ok(xml) => (
            [
                (CONTENT_TYPE, "application/rss+xml; charset=utf-8"),
                (CACHE_CONTROL, "public, max-age=300"),
            ],
            xml,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "feed failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `name.xml` → `name`.
fn stem(file: &str) -> Result<&str, Error> {
    file.strip_suffix(".xml")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::not_found("Feeds end in .xml."))
}

/// Posts of a feed, as an anonymous visitor sees them (NSFW posts left out).
async fn rows(ctx: &ServiceContext, feed: Feed, sort: FeedSort) -> Result<Vec<PostRow>, Error> {
    let (rows, _) = posts::feed(ctx, None, feed, sort, None, PAGE_SIZE).await?;
    Ok(rows.into_iter().filter(|r| !r.nsfw).collect())
}

fn sort(query: &FeedQuery) -> Result<FeedSort, Error> {
    FeedSort::parse(query.sort.as_deref().unwrap_or("new"))
}

async fn front_feed(
    State(ctx): State<ServiceContext>,
    Path(file): Path<String>,
    PageQuery(query): PageQuery<FeedQuery>,
) -> Response {
    respond(
        async {
            let (feed, label) = match stem(&file)? {
                "all" => (Feed::All, "All posts"),
                "local" => (Feed::Local, "Local posts"),
                _ => return Err(Error::not_found("There is no such feed.")),
            };
            let site = hearth_service::site::get(&ctx).await?;
            let base = ctx.settings.public_base_url();
            let items = rows(&ctx, feed, sort(&query)?).await?;
            Ok(RssFeed {
                title: xml_safe(&format!("{}: {label}", site.name)),
                link: format!("{base}/"),
                self_link: format!("{base}/feeds/{file}"),
                description: xml_safe(&format!("{label} on {}", site.name)),
                items: items.into_iter().map(|r| item(r, &base)).collect(),
            })
        }
        .await,
    )
}

async fn community_feed(
    State(ctx): State<ServiceContext>,
    Path(file): Path<String>,
    PageQuery(query): PageQuery<FeedQuery>,
) -> Response {
    respond(
        async {
            let community = communities::find(&ctx, stem(&file)?).await?;
            let base = ctx.settings.public_base_url();
            let items = rows(&ctx, Feed::Community(community.name.clone()), sort(&query)?).await?;
            Ok(RssFeed {
                title: xml_safe(&community.title),
                link: format!("{base}/c/{}", community.name),
                self_link: format!("{base}/feeds/c/{file}"),
                description: xml_safe(if community.description.trim().is_empty() {
                    &community.title
                } else {
                    &community.description
                }),
                items: items.into_iter().map(|r| item(r, &base)).collect(),
            })
        }
        .await,
    )
}

async fn person_feed(State(ctx): State<ServiceContext>, Path(file): Path<String>) -> Response {
    respond(
        async {
            let person = users::find(&ctx, stem(&file)?, "user").await?;
            let base = ctx.settings.public_base_url();
            let items = rows(&ctx, Feed::Author(person.name.clone()), FeedSort::New).await?;
            let name = person.display_name.as_deref().unwrap_or(&person.name);
            Ok(RssFeed {
                title: xml_safe(&format!("Posts by {name}")),
                link: format!("{base}/u/{}", person.name),
                self_link: format!("{base}/feeds/u/{file}"),
                description: xml_safe(&format!("What {name} posted")),
                items: items.into_iter().map(|r| item(r, &base)).collect(),
            })
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        assert_eq!(xml_safe("a\u{1}b\u{8}c\td\u{FFFE}"), "abc\td");
        assert_eq!(xml_safe("<&>"), "<&>");
    }

    #[test]
    fn feed_files_end_in_xml() {
        assert_eq!(stem("rust.xml").unwrap(), "rust");
        assert!(stem("rust").is_err() && stem(".xml").is_err());
    }
}
