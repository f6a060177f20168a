//! Backfill: when the first person here joins a remote community, its newest posts (from its
//! outbox, up to `federation.backfill_posts`), its pinned posts (its `featured` collection) and
//! the posts' comments (from each post's `replies` collection, paged or not, when the server
//! offers one) are fetched, so the community does not look empty until new activity arrives.
//! Runs beside the request that learnt of the membership. The same happens once per community
//! when someone here first looks a remote community up (`first_lookup`), as Lemmy does, so it
//! shows its newest posts before anyone joins.
//!
//! What a collection holds is a claim of the server that served it: every item passes the gate
//! (`ApubPost::judge`, `ApubComment::judge`) as read from that server, so an item whose id lives
//! on another server is fetched from its own server instead (and stored as that server says),
//! one on our own host is refused, and the community's server places nothing outside it.

use crate::ingest::{Teller, Verdict};
use crate::objects::comment::ApubComment;
use crate::objects::post::ApubPost;
use crate::protocol::objects::{Note, Page};
use crate::urls::authority;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use serde_json::Value;
use url::Url;

/// Pages of one collection followed at most (a hostile `next` chain ends here).
const MOST_PAGES: usize = 20;

/// Comments taken from one post's `replies` at most.
const MOST_COMMENTS: usize = 500;

/// A document and the authority of the server that served it (the library checks that a
/// fetched document's id is the URL asked for, so this is where it really came from).
struct Served {
    document: Value,
    by: String,
}

async fn fetch(url: &Url, data: &Data<ServiceContext>) -> anyhow::Result<Served> {
    let document = fetch_object_http::<ServiceContext, Value>(url, data)
        .await?
        .object;
    let by = authority(url).ok_or_else(|| anyhow::anyhow!("{url} has no host"))?;
    Ok(Served { document, by })
}

/// The items of a collection, up to `most`, each with the server that served it: inline
/// `orderedItems`/`items`, else those of its pages (`first`, then each page's `next`, on the
/// server that served the collection only).
async fn items(
    collection: Served,
    most: usize,
    data: &Data<ServiceContext>,
) -> anyhow::Result<Vec<Served>> {
    let inline = |page: &Served| -> Vec<Served> {
        page.document
            .get("orderedItems")
            .or_else(|| page.document.get("items"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|item| Served {
                document: item.clone(),
                by: page.by.clone(),
            })
            .collect()
    };
    let mut found = inline(&collection);
    if !found.is_empty() {
        found.truncate(most);
        return Ok(found);
    }
    let home = collection.by.clone();
    let mut next = collection
        .document
        .get("first")
        .cloned()
        .map(|first| Served {
            document: first,
            by: home.clone(),
        });
    for _ in 0..MOST_PAGES {
        let page = match next.take() {
            Some(
                page @ Served {
                    document: Value::Object(_),
                    ..
                },
            ) => page,
            Some(Served {
                document: Value::String(url),
                ..
            }) => {
                let url = Url::parse(&url)?;
                if authority(&url).as_deref() != Some(home.as_str()) {
                    break;
                }
                fetch(&url, data).await?
            }
            _ => break,
        };
        found.extend(inline(&page));
        if found.len() >= most {
            break;
        }
        next = page.document.get("next").cloned().map(|document| Served {
            document,
            by: page.by.clone(),
        });
    }
    found.truncate(most);
    Ok(found)
}

/// Starts, in the background and with a fresh fetch budget, the backfill of a remote community
/// someone here looked up, the first time only (claimed in the database, so once across
/// processes too).
pub async fn first_lookup(data: &Data<ServiceContext>, community: &CommunityRow) {
    if community.local {
        return;
    }
    match hearth_db::community::claim_backfill(&data.pool, community.id).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!(community = %community.ap_id, error = %e, "could not claim a backfill");
            return;
        }
    }
    let data = data.reset_request_count();
    let ap_id = community.ap_id.clone();
    tokio::spawn(async move {
        if let Err(e) = self::community(&data, &ap_id).await {
            tracing::warn!(community = %ap_id, error = ?e, "backfill failed");
        }
    });
}

/// Fetches a remote community's newest posts and their comments.
pub async fn community(data: &Data<ServiceContext>, community_ap_id: &str) -> anyhow::Result<()> {
    let Some(community) = hearth_db::community::find_by_ap_id(&data.pool, community_ap_id).await?
    else {
        return Ok(());
    };
    let group = fetch(&Url::parse(community_ap_id)?, data).await?;
    let Some(outbox) = group.document.get("outbox").and_then(Value::as_str) else {
        return Ok(());
    };
    let outbox = fetch(&Url::parse(outbox)?, data).await?;
    let limit = data.settings.federation.backfill_posts;
    let mut stored = 0;
    for item in items(outbox, limit, data).await? {
        // Each post may fetch its author and its thread: a fresh fetch budget per post.
        let data = &data.reset_request_count();
        // `Announce{Create{Page}}` (Lemmy, Hearth), `Create{Page}`, or the Page itself.
        let document = &item.document;
        let page = match document["type"].as_str() {
            Some("Announce") if document["object"]["type"] == "Create" => {
                document["object"]["object"].clone()
            }
            Some("Announce" | "Create") => document["object"].clone(),
            _ => document.clone(),
        };
        if !page.is_object() {
            continue;
        }
        let replies = page.get("replies").cloned();
        let Ok(parsed) = serde_json::from_value::<Page>(page) else {
            continue;
        };
        let id = parsed.id.clone();
        let teller = Teller::Collection {
            community: &community,
            served_by: &item.by,
        };
        match store_post(parsed, teller, data).await {
            Ok(true) => stored += 1,
            Ok(false) => continue,
            Err(e) => {
                tracing::debug!(post = %id, error = %e, "backfill skipped a post");
                continue;
            }
        }
        if let Some(replies) = replies {
            let replies = Served {
                document: replies,
                by: item.by.clone(),
            };
            if let Err(e) = comments(replies, &community, data).await {
                tracing::debug!(post = %id, error = %e, "backfill skipped comments");
            }
        }
    }
    let pinned = match group.document.get("featured").and_then(Value::as_str) {
        Some(featured) => match featured_posts(featured, &community, data).await {
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

/// Stores a post through the gate; true when the community now holds it.
async fn store_post(
    page: Page,
    teller: Teller<'_>,
    data: &Data<ServiceContext>,
) -> anyhow::Result<bool> {
    match ApubPost::judge(page, teller, data).await? {
        Verdict::Write(write) => {
            let mut tx = data.pool.begin().await?;
            write.store(&mut tx).await?;
            tx.commit().await?;
            Ok(true)
        }
        Verdict::Keep(_) => Ok(true),
        Verdict::Ignore | Verdict::NeedsParent(_) => Ok(false),
    }
}

/// Stores a comment through the gate.
async fn store_comment(
    note: Note,
    teller: Teller<'_>,
    data: &Data<ServiceContext>,
) -> anyhow::Result<()> {
    if let Verdict::Write(write) = ApubComment::judge(note, teller, data).await? {
        let mut tx = data.pool.begin().await?;
        write.store(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Stores the posts of a community's `featured` collection (objects or ids, each fetched from
/// its own server) and marks them pinned; returns how many.
async fn featured_posts(
    featured: &str,
    community: &CommunityRow,
    data: &Data<ServiceContext>,
) -> anyhow::Result<usize> {
    let collection = fetch(&Url::parse(featured)?, data).await?;
    let mut pinned = 0;
    for item in items(collection, MOST_PAGES, data).await? {
        let data = &data.reset_request_count();
        let Some(id) = item
            .document
            .as_str()
            .or_else(|| item.document["id"].as_str())
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
        // Only the community's own remote posts: a collection cannot pin someone else's.
        if post.row.community_id == community.id && !post.row.local {
            hearth_db::moderation::set_featured(&data.pool, post.row.id, true).await?;
            pinned += 1;
        }
    }
    Ok(pinned)
}

async fn comments(
    replies: Served,
    community: &CommunityRow,
    data: &Data<ServiceContext>,
) -> anyhow::Result<()> {
    let collection = match &replies.document {
        Value::String(url) => fetch(&Url::parse(url)?, data).await?,
        _ => replies,
    };
    for item in items(collection, MOST_COMMENTS, data).await? {
        if let Some(id) = item.document.as_str().and_then(|id| Url::parse(id).ok()) {
            // Only an id (Mastodon's and Fedify's shape): fetched from its own server, with its
            // parents.
            if let Err(e) = ObjectId::<ApubComment>::from(id.clone())
                .dereference(data)
                .await
            {
                tracing::debug!(comment = %id, error = %e, "backfill skipped a comment");
            }
            continue;
        }
        let Ok(note) = serde_json::from_value::<Note>(item.document) else {
            continue;
        };
        let id = note.id.clone();
        let teller = Teller::Collection {
            community,
            served_by: &item.by,
        };
        if let Err(e) = store_comment(note, teller, data).await {
            tracing::debug!(comment = %id, error = %e, "backfill skipped a comment");
        }
    }
    Ok(())
}
