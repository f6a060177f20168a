//! Serving our actors, objects and collections as ActivityPub JSON. These routes see only
//! requests that ask for ActivityPub media types (the server negotiates on the same URLs the
//! web pages use); every answer has `Content-Type: application/activity+json` and an `id`
//! equal to the URL asked for. Failures are `hearth_core::Error`, answered in the one error
//! shape.

use crate::FederationState;
use crate::objects::comment::ApubComment;
use crate::objects::community::ApubCommunity;
use crate::objects::instance::ApubInstance;
use crate::objects::person::ApubPerson;
use crate::objects::post::ApubPost;
use crate::protocol::collections::{CountedCollection, OrderedCollection};
use crate::protocol::objects::Tombstone;
use crate::protocol::{PUBLIC, context};
use crate::urls::Urls;
use activitypub_federation::traits::Object;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_core::{Error, Result};
use serde::Serialize;
use serde_json::{Value, json};

/// The media type of every ActivityPub answer.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// How many posts the outbox shows (as Lemmy does; a new peer backfills from it).
const OUTBOX_POSTS: i64 = 50;

/// The negotiated routes.
pub fn routes() -> Router<FederationState> {
    Router::new()
        .route("/", get(instance))
        .route("/c/{name}", get(community))
        .route("/c/{name}/outbox", get(community_outbox))
        .route("/c/{name}/followers", get(community_followers))
        .route("/c/{name}/moderators", get(community_moderators))
        .route("/c/{name}/featured", get(community_featured))
        .route("/u/{name}", get(person))
        .route("/u/{name}/outbox", get(person_outbox))
        .route("/post/{id}", get(post))
        .route("/comment/{id}", get(comment))
        .route("/post/{id}/replies", get(post_replies))
        .route("/comment/{id}/replies", get(comment_replies))
        .route("/activities/{kind}/{id}", get(activity))
}

/// A JSON-LD document with our `@context`.
pub fn activity_json<T: Serialize>(status: StatusCode, value: &T) -> Result<Response> {
    let Value::Object(mut body) = serde_json::to_value(value)? else {
        return Err(anyhow::anyhow!("an ActivityPub document is not a JSON object").into());
    };
    body.insert("@context".to_owned(), context());
    let mut response = (status, axum::Json(Value::Object(body))).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ACTIVITY_JSON),
    );
    Ok(response)
}

fn not_found(what: &str) -> Error {
    Error::not_found(format!("There is no {what} here."))
}

async fn instance(State(state): State<FederationState>) -> Result<Response> {
    let data = state.config.to_request_data();
    let json = ApubInstance::load(&data).await?.into_json(&data).await?;
    activity_json(StatusCode::OK, &json)
}

async fn local_community(
    state: &FederationState,
    name: &str,
) -> anyhow::Result<Option<ApubCommunity>> {
    let ctx = &state.ctx;
    // Collections are public reads: a read replica may serve them.
    match hearth_db::community::find_local(ctx.reader(None), name).await? {
        Some(row) => Ok(Some(ApubCommunity::new(row, ctx)?)),
        None => Ok(None),
    }
}

async fn community(
    State(state): State<FederationState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let data = state.config.to_request_data();
    let Some(community) = local_community(&state, &name).await? else {
        return Err(not_found("community with this name"));
    };
    activity_json(StatusCode::OK, &community.into_json(&data).await?)
}

/// Which part of an outbox to show.
#[derive(Debug, serde::Deserialize)]
pub struct OutboxQuery {
    /// Show the page of posts older than this post id.
    before: Option<i64>,
}

/// The outbox: the newest posts inline (what Lemmy and Mbin read), with `first`; and keyset
/// pages (`?before=<post id>`) with `next`, for peers that walk the whole history.
async fn community_outbox(
    State(state): State<FederationState>,
    Path(name): Path<String>,
    axum::extract::Query(query): axum::extract::Query<OutboxQuery>,
) -> Result<Response> {
    let data = state.config.to_request_data();
    let result = async {
        let Some(community) = local_community(&state, &name).await? else {
            return Ok(None);
        };
        let urls = Urls(&data.settings);
        let outbox = urls.community_part(&name, "outbox")?;
        let posts = hearth_db::post::feed(
            data.reader(None),
            &hearth_db::post::FeedRequest {
                scope: hearth_db::post::FeedScope::Community(community.row.id),
                sort: hearth_db::post::PostSort::New,
                since: None,
                after: query
                    .before
                    .map(|id| hearth_db::post::PostCursor { key: id as f64, id }),
                limit: OUTBOX_POSTS + 1,
                viewer: None,
            },
        )
        .await?;
        let more = posts.len() > usize::try_from(OUTBOX_POSTS)?;
        // Events and polls of the whole page in a few queries, so backfilled events stay events.
        let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
        let mut extras = {
            let mut conn = data.reader(None).acquire().await?;
            crate::objects::post::PostExtras::load_many(&mut conn, &ids).await?
        };
        let mut items = Vec::with_capacity(posts.len());
        let mut last_id = None;
        for row in posts.into_iter().take(usize::try_from(OUTBOX_POSTS)?) {
            let post_id = row.id;
            last_id = Some(post_id);
            let author = row.author_ap_id.clone();
            // The feed row already holds everything the Page needs: no query per post. (Posts of
            // remote authors are in our communities too.) So the Pages here carry no Mention
            // tags: a server reading the outbox is backfilling, and the post itself (served at
            // its id, and in the Create that delivered it) has them.
            let page = crate::objects::post::page_of(
                &row,
                &[],
                &[],
                &extras.remove(&post_id).unwrap_or_default(),
            )?;
            items.push(json!({
                "type": "Announce",
                "id": urls.activity("announce", &format!("create-post-{post_id}"))?,
                "actor": community.id(),
                "to": [PUBLIC],
                "cc": [urls.community_part(&name, "followers")?],
                "object": {
                    "type": "Create",
                    "id": urls.activity("create", &format!("post-{post_id}"))?,
                    "actor": author,
                    "to": [PUBLIC],
                    "cc": [community.id()],
                    "audience": community.id(),
                    "object": page,
                },
            }));
        }
        let next = match (more, last_id) {
            (true, Some(last)) => Some(format!("{outbox}?before={last}")),
            _ => None,
        };
        let document = match query.before {
            None => json!({
                "type": "OrderedCollection",
                "id": outbox,
                "totalItems": community.row.post_count,
                "first": format!("{outbox}?before={}", i64::MAX),
                "orderedItems": items,
            }),
            Some(before) => {
                let mut page = json!({
                    "type": "OrderedCollectionPage",
                    "id": format!("{outbox}?before={before}"),
                    "partOf": outbox,
                    "orderedItems": items,
                });
                if let Some(next) = next {
                    page["next"] = json!(next);
                }
                page
            }
        };
        Ok::<_, anyhow::Error>(Some(document))
    }
    .await;
    respond(result, "community with this name")
}

async fn community_followers(
    State(state): State<FederationState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let result = async {
        let Some(community) = local_community(&state, &name).await? else {
            return Ok(None);
        };
        let urls = Urls(&state.ctx.settings);
        Ok::<_, anyhow::Error>(Some(CountedCollection {
            kind: "Collection".to_owned(),
            id: urls.community_part(&name, "followers")?,
            total_items: i64::from(community.row.member_count),
            items: Vec::new(),
        }))
    }
    .await;
    respond(result, "community with this name")
}

async fn community_moderators(
    State(state): State<FederationState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let result = async {
        let Some(community) = local_community(&state, &name).await? else {
            return Ok(None);
        };
        let ctx = &state.ctx;
        let moderators = hearth_db::moderator::list(ctx.reader(None), community.row.id).await?;
        Ok::<_, anyhow::Error>(Some(OrderedCollection {
            kind: "OrderedCollection".to_owned(),
            id: Urls(&ctx.settings).community_part(&name, "moderators")?,
            total_items: Some(i64::try_from(moderators.len())?),
            ordered_items: moderators
                .into_iter()
                .map(|m| Value::String(m.ap_id))
                .collect(),
        }))
    }
    .await;
    respond(result, "community with this name")
}

async fn community_featured(
    State(state): State<FederationState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let result = async {
        let Some(community) = local_community(&state, &name).await? else {
            return Ok(None);
        };
        let ctx = &state.ctx;
        // Pinned posts, as Lemmy serves them: the Page objects themselves.
        let mut items = Vec::new();
        let db = ctx.reader(None);
        for id in hearth_db::moderation::featured_posts(db, community.row.id).await? {
            if let Some(post) = hearth_db::post::find(db, id, None).await? {
                let mentions = hearth_db::mention::of_post(db, id).await?;
                let images = hearth_db::media::post_images(db, id).await?;
                let mut conn = db.acquire().await?;
                let extras = crate::objects::post::PostExtras::load(&mut conn, id).await?;
                items.push(serde_json::to_value(crate::objects::post::page_of(
                    &post, &mentions, &images, &extras,
                )?)?);
            }
        }
        Ok::<_, anyhow::Error>(Some(OrderedCollection {
            kind: "OrderedCollection".to_owned(),
            id: Urls(&ctx.settings).community_part(&name, "featured")?,
            total_items: Some(i64::try_from(items.len())?),
            ordered_items: items,
        }))
    }
    .await;
    respond(result, "community with this name")
}

async fn person(
    State(state): State<FederationState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let data = state.config.to_request_data();
    let result = async {
        match hearth_db::person::local_actor(&data.pool, &name).await? {
            Some(row) => {
                Ok::<_, anyhow::Error>(Some(ApubPerson::new(row, &data)?.into_json(&data).await?))
            }
            None => Ok(None),
        }
    }
    .await;
    respond(result, "user with this name")
}

async fn person_outbox(
    State(state): State<FederationState>,
    Path(name): Path<String>,
) -> Result<Response> {
    let ctx = &state.ctx;
    let result = async {
        if hearth_db::person::local_actor(ctx.reader(None), &name)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        Ok::<_, anyhow::Error>(Some(OrderedCollection {
            kind: "OrderedCollection".to_owned(),
            id: Urls(&ctx.settings).person_part(&name, "outbox")?,
            total_items: Some(0),
            ordered_items: Vec::new(),
        }))
    }
    .await;
    respond(result, "user with this name")
}

async fn post(State(state): State<FederationState>, Path(id): Path<String>) -> Result<Response> {
    let data = state.config.to_request_data();
    let Ok(id) = id.parse::<i64>() else {
        return Err(not_found("post with this id"));
    };
    match ApubPost::load(&data, id).await? {
        Some(post) if post.row.local && post.gone() => tombstone(post.id()),
        Some(post) if post.row.local => {
            activity_json(StatusCode::OK, &post.into_json(&data).await?)
        }
        _ => Err(not_found("post with this id")),
    }
}

/// One of our public activities at its id (peers fetch an `Announce`d id they were given bare).
/// Follows, Accepts and other non-public activities are not served.
async fn activity(
    State(state): State<FederationState>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Response> {
    let Ok(url) = crate::urls::Urls(&state.ctx.settings).activity(&kind, &id) else {
        return Err(not_found("activity with this id"));
    };
    match hearth_db::federation::stored_activity(&state.ctx.pool, url.as_str()).await? {
        Some(payload) if crate::protocol::is_addressed_publicly(&payload) => {
            activity_json(StatusCode::OK, &payload)
        }
        _ => Err(not_found("activity with this id")),
    }
}

/// How many comments one page of a `replies` collection holds.
const REPLIES_PAGE: i64 = 50;

/// `?after=<comment id>`: where a page of a `replies` collection starts.
#[derive(Debug, serde::Deserialize)]
pub struct RepliesQuery {
    after: Option<i64>,
}

/// The comments of one of our posts, as a paged collection: without `?after` the collection
/// (its size and its first page), with it one page of Notes in id order, so parents come before
/// their replies. What a server that joins the community later fetches to show whole threads.
async fn post_replies(
    State(state): State<FederationState>,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<RepliesQuery>,
) -> Result<Response> {
    let result = async {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let Some(post) = hearth_db::post::find(&state.ctx.pool, id, None).await? else {
            return Ok(None);
        };
        if !post.local || post.deleted || post.removed {
            return Ok(None);
        }
        let collection = format!("{}/replies", post.ap_id);
        let Some(after) = query.after else {
            return Ok(Some(replies_collection(
                &collection,
                i64::from(post.comment_count),
            )));
        };
        let mut conn = state.ctx.pool.acquire().await?;
        let rows =
            hearth_db::comment::page_of_replies(&mut *conn, post.id, None, after, REPLIES_PAGE)
                .await?;
        Ok::<_, anyhow::Error>(Some(
            replies_page(&mut conn, &collection, after, rows).await?,
        ))
    }
    .await;
    respond(result, "post with this id")
}

/// The direct replies to one of our comments, paged as a post's `replies` are.
async fn comment_replies(
    State(state): State<FederationState>,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<RepliesQuery>,
) -> Result<Response> {
    let result = async {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let mut conn = state.ctx.pool.acquire().await?;
        let Some(comment) = hearth_db::comment::find(&mut *conn, id, None).await? else {
            return Ok(None);
        };
        if !comment.local || comment.deleted || comment.removed {
            return Ok(None);
        }
        let collection = format!("{}/replies", comment.ap_id);
        let Some(after) = query.after else {
            return Ok(Some(replies_collection(
                &collection,
                i64::from(comment.child_count),
            )));
        };
        let rows = hearth_db::comment::page_of_replies(
            &mut *conn,
            comment.post_id,
            Some(comment.id),
            after,
            REPLIES_PAGE,
        )
        .await?;
        Ok::<_, anyhow::Error>(Some(
            replies_page(&mut conn, &collection, after, rows).await?,
        ))
    }
    .await;
    respond(result, "comment with this id")
}

/// A `replies` collection without its items: its size and where its first page is.
fn replies_collection(collection: &str, total: i64) -> Value {
    json!({
        "type": "OrderedCollection",
        "id": collection,
        "totalItems": total,
        "first": format!("{collection}?after=0"),
    })
}

/// One page of a `replies` collection, with `next` while the page is full.
async fn replies_page(
    conn: &mut sqlx::PgConnection,
    collection: &str,
    after: i64,
    rows: Vec<hearth_db::comment::CommentRow>,
) -> anyhow::Result<Value> {
    let last = rows.last().map(|row| row.id);
    let full = i64::try_from(rows.len())? == REPLIES_PAGE;
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        items.push(serde_json::to_value(
            crate::objects::comment::note_of(conn, row).await?,
        )?);
    }
    let mut page = json!({
        "type": "OrderedCollectionPage",
        "id": format!("{collection}?after={after}"),
        "partOf": collection,
        "orderedItems": items,
    });
    if let (true, Some(last)) = (full, last) {
        page["next"] = json!(format!("{collection}?after={last}"));
    }
    Ok(page)
}

async fn comment(State(state): State<FederationState>, Path(id): Path<String>) -> Result<Response> {
    let data = state.config.to_request_data();
    let Ok(id) = id.parse::<i64>() else {
        return Err(not_found("comment with this id"));
    };
    match ApubComment::load(&data, id).await? {
        Some(comment) if comment.row.local && comment.gone() => tombstone(comment.id()),
        Some(comment) if comment.row.local => {
            activity_json(StatusCode::OK, &comment.into_json(&data).await?)
        }
        _ => Err(not_found("comment with this id")),
    }
}

/// Deleted objects answer 410 with a `Tombstone`, so peers delete their copies.
fn tombstone(id: &url::Url) -> Result<Response> {
    activity_json(
        StatusCode::GONE,
        &Tombstone {
            kind: "Tombstone".to_owned(),
            id: id.clone(),
        },
    )
}

/// The document a handler found, or 404 naming `what` was not.
fn respond<T: Serialize>(result: anyhow::Result<Option<T>>, what: &str) -> Result<Response> {
    match result? {
        Some(json) => activity_json(StatusCode::OK, &json),
        None => Err(not_found(what)),
    }
}

/// True when a request asks for ActivityPub JSON: `application/activity+json`, or
/// `application/ld+json` with the ActivityStreams profile.
pub fn wants_activity_json(accept: Option<&HeaderValue>) -> bool {
    let Some(accept) = accept.and_then(|a| a.to_str().ok()) else {
        return false;
    };
    accept.split(',').any(|part| {
        let part = part.trim().to_ascii_lowercase();
        part.starts_with(ACTIVITY_JSON)
            || (part.starts_with("application/ld+json")
                && part.contains("https://www.w3.org/ns/activitystreams"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_activitypub_media_types_are_recognised_and_html_is_not() {
        let yes = |v: &str| wants_activity_json(Some(&HeaderValue::from_str(v).unwrap()));
        assert!(yes("application/activity+json"));
        assert!(yes(
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#
        ));
        assert!(yes("text/html, application/activity+json;q=0.9"));
        assert!(!yes("application/ld+json"));
        assert!(!yes("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!wants_activity_json(None));
    }
}
