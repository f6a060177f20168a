//! Backfill: when the first person here joins a remote community, its newest posts (from its
//! outbox, up to `federation.backfill_posts`) and their comments (from each post's `replies`
//! collection, when the server offers one) are fetched, so the community does not look empty
//! until new activity arrives. Runs beside the request that learnt of the membership.

use crate::objects::comment::ApubComment;
use crate::objects::post::ApubPost;
use crate::protocol::objects::{Note, Page};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::traits::Object;
use hearth_service::ServiceContext;
use serde_json::Value;
use url::Url;

/// The items of a collection: inline `orderedItems`/`items`, else those of its `first` page.
async fn items(collection: Value, data: &Data<ServiceContext>) -> anyhow::Result<Vec<Value>> {
    let inline = |c: &Value| {
        c.get("orderedItems")
            .or_else(|| c.get("items"))
            .and_then(Value::as_array)
            .cloned()
    };
    if let Some(found) = inline(&collection).filter(|i| !i.is_empty()) {
        return Ok(found);
    }
    match collection.get("first") {
        Some(Value::Object(page)) => Ok(inline(&Value::Object(page.clone())).unwrap_or_default()),
        Some(Value::String(url)) => {
            let page = fetch_object_http::<ServiceContext, Value>(&Url::parse(url)?, data)
                .await?
                .object;
            Ok(inline(&page).unwrap_or_default())
        }
        _ => Ok(Vec::new()),
    }
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
    for item in items(outbox, data).await?.into_iter().take(limit) {
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
    tracing::info!(community = %community_ap_id, posts = stored, "community backfilled");
    Ok(())
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
    for item in items(collection, data).await? {
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
