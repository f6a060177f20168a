//! Backfill: when the first person here joins a remote community, its newest posts (from its
//! outbox, up to `federation.backfill_posts`), its pinned posts (its `featured` collection) and
//! the posts' comments (from each post's `replies` collection, paged or not, when the server
//! offers one) are fetched, so the community does not look empty until new activity arrives.
//! Runs beside the request that learnt of the membership.

use crate::objects::comment::ApubComment;
use crate::objects::post::ApubPost;
use crate::protocol::objects::{Note, Page};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use hearth_service::ServiceContext;
use serde_json::Value;
use url::Url;

/// Pages of one collection followed at most (a hostile `next` chain ends here).
const MOST_PAGES: usize = 20;

/// Comments taken from one post's `replies` at most.
const MOST_COMMENTS: usize = 500;

/// The items of a collection, up to `most`: inline `orderedItems`/`items`, else those of its
/// pages (`first`, then each page's `next`, on the collection's own server only).
async fn items(
    collection: Value,
    most: usize,
    data: &Data<ServiceContext>,
) -> anyhow::Result<Vec<Value>> {
    let inline = |c: &Value| {
        c.get("orderedItems")
            .or_else(|| c.get("items"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut found = inline(&collection);
    if !found.is_empty() {
        found.truncate(most);
        return Ok(found);
    }
    let home = collection["id"]
        .as_str()
        .and_then(|id| Url::parse(id).ok())
        .and_then(|id| crate::urls::authority(&id));
    let mut next = collection.get("first").cloned();
    for _ in 0..MOST_PAGES {
        let page = match next.take() {
            Some(page @ Value::Object(_)) => page,
            Some(Value::String(url)) => {
                let url = Url::parse(&url)?;
                if crate::urls::authority(&url) != home {
                    break;
                }
                fetch_object_http::<ServiceContext, Value>(&url, data)
                    .await?
                    .object
            }
            _ => break,
        };
        found.extend(inline(&page));
        if found.len() >= most {
            break;
        }
        next = page.get("next").cloned();
    }
    found.truncate(most);
    Ok(found)
}

/// Fetches a remote community's newest posts and their comments.
pub async fn community(data: &Data<ServiceContext>, community_ap_id: &str) -> anyhow::Result<()> {
    let group = fetch_object_http::<ServiceContext, Value>(&Url::parse(community_ap_id)?, data)
        .await?
        .object;
    let Some(outbox) = group.get("outbox").and_then(Value::as_str) else {
        return Ok(());
    };
    let outbox = fetch_object_http::<ServiceContext, Value>(&Url::parse(outbox)?, data)
        .await?
        .object;
    let limit = data.settings.federation.backfill_posts;
    let mut stored = 0;
    for item in items(outbox, limit, data).await? {
        // Each post may fetch its author and its thread: a fresh fetch budget per post.
        let data = &data.reset_request_count();
        // `Announce{Create{Page}}` (Lemmy, Hearth), `Create{Page}`, or the Page itself.
        let page = match item["type"].as_str() {
            Some("Announce") if item["object"]["type"] == "Create" => {
                item["object"]["object"].clone()
            }
            Some("Announce" | "Create") => item["object"].clone(),
            _ => item,
        };
        if !page.is_object() {
            continue;
        }
        let replies = page.get("replies").cloned();
        let Ok(parsed) = serde_json::from_value::<Page>(page) else {
            continue;
        };
        let id = parsed.id.clone();
        if ApubPost::verify(&parsed, &id, data).await.is_err() {
            continue;
        }
        if let Err(e) = ApubPost::from_json(parsed, data).await {
            tracing::debug!(post = %id, error = %e, "backfill skipped a post");
            continue;
        }
        stored += 1;
        if let Some(replies) = replies
            && let Err(e) = comments(replies, data).await
        {
            tracing::debug!(post = %id, error = %e, "backfill skipped comments");
        }
    }
    let pinned = match group.get("featured").and_then(Value::as_str) {
        Some(featured) => match featured_posts(featured, community_ap_id, data).await {
            Ok(pinned) => pinned,
            Err(e) => {
                tracing::debug!(community = %community_ap_id, error = %e, "backfill skipped the pins");
                0
            }
        },
        None => 0,
    };
    tracing::info!(community = %community_ap_id, posts = stored, pinned, "community backfilled");
    Ok(())
}

/// Stores the posts of a community's `featured` collection (objects or ids) and marks them
/// pinned; returns how many.
async fn featured_posts(
    featured: &str,
    community_ap_id: &str,
    data: &Data<ServiceContext>,
) -> anyhow::Result<usize> {
    let collection = fetch_object_http::<ServiceContext, Value>(&Url::parse(featured)?, data)
        .await?
        .object;
    let mut pinned = 0;
    for item in items(collection, MOST_PAGES, data).await? {
        let data = &data.reset_request_count();
        let Some(id) = item
            .as_str()
            .or_else(|| item["id"].as_str())
            .and_then(|id| Url::parse(id).ok())
        else {
            continue;
        };
        let post = match ObjectId::<ApubPost>::from(id).dereference(data).await {
            Ok(post) => post,
            Err(e) => {
                tracing::debug!(error = %e, "backfill skipped a pinned post");
                continue;
            }
        };
        // Only the community's own posts: a collection cannot pin someone else's.
        let community = hearth_db::community::find(&data.pool, post.row.community_id).await?;
        if community.is_some_and(|c| c.ap_id == community_ap_id) {
            hearth_db::moderation::set_featured(&data.pool, post.row.id, true).await?;
            pinned += 1;
        }
    }
    Ok(pinned)
}

async fn comments(replies: Value, data: &Data<ServiceContext>) -> anyhow::Result<()> {
    let collection = match replies {
        Value::String(url) => {
            fetch_object_http::<ServiceContext, Value>(&Url::parse(&url)?, data)
                .await?
                .object
        }
        other => other,
    };
    for item in items(collection, MOST_COMMENTS, data).await? {
        if let Some(id) = item.as_str().and_then(|id| Url::parse(id).ok()) {
            // Only an id (Mastodon's and Fedify's shape): fetched, with its parents.
            if let Err(e) = ObjectId::<ApubComment>::from(id.clone())
                .dereference(data)
                .await
            {
                tracing::debug!(comment = %id, error = %e, "backfill skipped a comment");
            }
            continue;
        }
        let Ok(note) = serde_json::from_value::<Note>(item) else {
            continue;
        };
        let id = note.id.clone();
        if ApubComment::verify(&note, &id, data).await.is_ok()
            && let Err(e) = ApubComment::from_json(note, data).await
        {
            tracing::debug!(comment = %id, error = %e, "backfill skipped a comment");
        }
    }
    Ok(())
}
