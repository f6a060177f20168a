//! The inbox (shared `/inbox`, `/c/{name}/inbox`, `/u/{name}/inbox`): reads the body itself
//! (1 MiB cap, 413 beyond), refuses blocked servers, banned people and unsigned requests or keys
//! of another authority before any fetch, acknowledges replays without work, verifies the
//! signature and `Digest` as the library would (`inbox_signature`; refetching a rotated key once
//! per actor per ten minutes),
//! counts the sender's server (and a reporter) against their limits, then appends the verified
//! activity to the inbox queue durably and answers 202; `inbox_apply` applies it. Statuses: 202
//! accepted (queued) or a replay, 400 unreadable, 401 unverifiable, 403 not allowed, 413 too
//! large, 429 too many (with `Retry-After`), 503 a server it depends on is unreachable or the
//! queue is full (retry). What is found wrong only when applying is recorded for admins.
use crate::FederationState;
use crate::objects::actor::ApubActor;
use crate::received::{InboxError, id_of};
use crate::urls::authority;
use activitypub_federation::config::Data;
use activitypub_federation::fetch::object_id::ObjectId;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::post;
use hearth_core::{Error, ErrorKind};
use hearth_db::inbox_queue::NewEntry;
use hearth_service::ServiceContext;
use hearth_service::rate_limit::{self, Action};
use serde_json::Value;
use url::Url;

/// The largest activity accepted, in bytes.
pub const MAX_ACTIVITY_BYTES: usize = 1024 * 1024;
/// How deep an activity's JSON may nest.
pub const MAX_DEPTH: usize = 32;
/// The longest array an activity may hold.
pub const MAX_ARRAY: usize = 1000;
/// Seconds between key refetches of one actor after a failed signature.
const KEY_REFETCH_WINDOW_SECS: i32 = 600;

/// The inbox routes.
pub fn routes() -> Router<FederationState> {
    Router::new()
        .route("/inbox", post(inbox))
        .route("/c/{name}/inbox", post(inbox))
        .route("/u/{name}/inbox", post(inbox))
}

async fn inbox(
    State(state): State<FederationState>,
    request: Request,
) -> Result<StatusCode, Error> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_ACTIVITY_BYTES)
        .await
        .map_err(|_| Error::new(ErrorKind::PayloadTooLarge))?;
    let envelope = Envelope::read(&body)?;
    // 0. Blocked servers, banned people and closed accounts are refused before any signature
    // work.
    let actor_authority = authority(&envelope.actor).unwrap_or_default();
    if !hearth_service::policy::allows(&state.ctx, &actor_authority).await? {
        return Err(Error::forbidden(
            "blocked_instance",
            "This instance does not federate with your server.",
        ));
    }
    let gate = hearth_db::inbox_queue::gate(
        &state.ctx.pool,
        envelope.actor.as_str(),
        envelope.id.as_str(),
    )
    .await?;
    if gate.banned {
        return Err(Error::forbidden(
            "banned",
            "This account is banned from this instance.",
        ));
    }
    if gate.deleted {
        return Err(Error::forbidden(
            "deleted_account",
            "This account was deleted; this instance takes nothing more from it.",
        ));
    }
    // 1. Unsigned, or signed with a key of another server: refused before any fetch.
    let key_owner = signature_key_owner(&parts)?;
    if authority(&key_owner) != authority(&envelope.actor) {
        return Err(Error::unauthorized(
            "key_mismatch",
            "The signature's keyId belongs to another server than the activity's actor.",
        ));
    }
    if authority(&envelope.id) != authority(&envelope.actor) {
        return Err(Error::forbidden(
            "origin_mismatch",
            "The activity's id and its actor live on different servers.",
        ));
    }
    // 2. A replay (applied, or queued) is acknowledged without work.
    if gate.seen {
        return Ok(StatusCode::ACCEPTED);
    }
    // 3. Too much waiting to be applied: the sender retries later.
    state.backlog.check(&state.ctx).await?;
    // 4. Verified (signature, digest, the actor's key), then counted against the rate limits.
    let data = state.config.to_request_data();
    match verify(&parts, &body, &envelope, &data).await {
        Err(e) if e.is_bad_signature() && may_refetch_key(&state.ctx, &envelope.actor).await => {
            // The key may have been rotated: fetch the actor once more and try again.
            tracing::info!(actor = %envelope.actor, "signature failed; refetching the actor's key");
            ObjectId::<ApubActor>::from(envelope.actor.clone())
                .dereference_forced(&data)
                .await
                .map_err(InboxError::from)
                .map_err(InboxError::into_error)?;
            verify(&parts, &body, &envelope, &data)
                .await
                .map_err(InboxError::into_error)?;
        }
        result => result.map_err(InboxError::into_error)?,
    }
    // 5. Stored durably, then acknowledged; the applying workers take it from here.
    state
        .appender
        .append(NewEntry {
            ordering_key: ordering_key(&envelope.value).unwrap_or_else(|| envelope.id.to_string()),
            activity_id: envelope.id.to_string(),
            actor_authority,
            payload: envelope.value,
        })
        .await?;
    state.backlog.appended();
    Ok(StatusCode::ACCEPTED)
}

/// Verifies the request (`inbox_signature`), then counts it against the rate limits: a server
/// sends at most `federation.inbox.per_instance` activities a window, and a person
/// `federation.inbox.flags` reports (429 with `Retry-After` beyond; each report reaches
/// moderators here and on other servers). The activity itself is applied later, from the queue.
async fn verify(
    parts: &Parts,
    body: &[u8],
    envelope: &Envelope,
    data: &Data<ServiceContext>,
) -> Result<(), InboxError> {
    crate::inbox_signature::verify(parts, body, &envelope.id, &envelope.actor, data).await?;
    let server = authority(&envelope.actor).unwrap_or_default();
    rate_limit::check(data, Action::RemoteActivity, &server).await?;
    if envelope.value.get("type").and_then(Value::as_str) == Some("Flag") {
        rate_limit::check(data, Action::RemoteFlag, envelope.actor.as_str()).await?;
    }
    Ok(())
}

/// What the activity is about, for applying in receive order: the id of the innermost `object`
/// (a Note's id inside Create or Announce{Create}, the post a Like or Undo{Like} is about, the
/// Group a Follow is for). Activities about one object are applied one after the other.
pub fn ordering_key(activity: &Value) -> Option<String> {
    let mut current = activity;
    for _ in 0..4 {
        match current.get("object") {
            Some(inner @ Value::Object(map)) if map.contains_key("object") => current = inner,
            Some(inner) => return id_of(Some(inner)).map(|u| u.to_string()),
            None => return None,
        }
    }
    id_of(current.get("object")).map(|u| u.to_string())
}

/// At most one forced key refetch per actor per ten minutes, across processes.
async fn may_refetch_key(ctx: &ServiceContext, actor: &Url) -> bool {
    let key = format!("key-refetch:{actor}");
    match hearth_db::rate_limit::hit(&ctx.pool, &key, KEY_REFETCH_WINDOW_SECS).await {
        Ok(hit) => hit.count == 1,
        Err(_) => false,
    }
}

/// The actor a request's `Signature` names in its `keyId` (the URL before `#`).
fn signature_key_owner(parts: &Parts) -> Result<Url, Error> {
    let unsigned = || {
        Error::unauthorized(
            "signature_missing",
            "Activities must carry an HTTP signature with a keyId.",
        )
    };
    let header = parts
        .headers
        .get("signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsigned)?;
    let key_id = header
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(name, _)| name.trim() == "keyId")
        .map(|(_, value)| value.trim().trim_matches('"'))
        .ok_or_else(unsigned)?;
    let mut url = Url::parse(key_id).map_err(|_| unsigned())?;
    url.set_fragment(None);
    Ok(url)
}

/// What the inbox reads before verifying: the activity's id, type and actor, from JSON whose
/// nesting and arrays are bounded.
#[derive(Debug)]
struct Envelope {
    id: Url,
    actor: Url,
    /// The whole activity, as queued.
    value: Value,
}

impl Envelope {
    fn read(body: &[u8]) -> Result<Self, Error> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Error::bad_request("malformed_json", format!("The body is not JSON: {e}"))
        })?;
        check_shape(&value, 0)?;
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok())
            .ok_or_else(|| Error::bad_request("malformed_activity", "The activity has no id."))?;
        let actor = id_of(value.get("actor")).ok_or_else(|| {
            Error::bad_request("malformed_activity", "The activity has no actor.")
        })?;
        Ok(Self { id, actor, value })
    }
}

fn check_shape(value: &Value, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::bad_request(
            "too_deep",
            format!("The activity nests deeper than {MAX_DEPTH} levels."),
        ));
    }
    match value {
        Value::Array(items) => {
            if items.len() > MAX_ARRAY {
                return Err(Error::bad_request(
                    "too_long",
                    format!("The activity holds an array longer than {MAX_ARRAY}."),
                ));
            }
            items.iter().try_for_each(|v| check_shape(v, depth + 1))
        }
        Value::Object(map) => map.values().try_for_each(|v| check_shape(v, depth + 1)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "inbox_proptests.rs"]
mod proptests;
