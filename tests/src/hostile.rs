//! Evil: a hostile ActivityPub server for tests. It runs on a loopback port under the authority
//! `localhost:PORT` (ids `http://localhost:PORT/...`), serves `Person` and `Group` actors with
//! real RSA keys, WebFinger and NodeInfo (as "lemmy"), and any JSON document the test puts at
//! any path (so a Group's outbox, featured and replies collections, and the objects in them, can
//! claim anything). It accepts every POST to an inbox (202) and keeps it, signs and sends
//! activities as any of its actors, and records every request it serves, so a test can show
//! that something was never fetched.

use crate::app::TestApp;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use reqwest::StatusCode as ClientStatus;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// The ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

const CONTEXT: [&str; 2] = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/v1",
];

/// One request Evil served.
#[derive(Debug, Clone)]
pub struct Served {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path with its query, as asked.
    pub path: String,
    /// The status Evil answered.
    pub status: u16,
}

/// An activity POSTed to one of Evil's inboxes.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The inbox path (`/inbox`, `/c/name/inbox`, `/u/name/inbox`).
    pub inbox: String,
    /// The activity.
    pub activity: Value,
}

/// One of Evil's actors.
#[derive(Debug, Clone)]
struct Actor {
    kind: &'static str,
    name: String,
    public_key: String,
    private_key: String,
}

/// A document Evil serves.
#[derive(Debug, Clone)]
enum Document {
    Json(Value),
    Text(String),
}

#[derive(Default)]
struct Inner {
    authority: String,
    software: Mutex<String>,
    actors: Mutex<HashMap<String, Actor>>,
    documents: Mutex<HashMap<String, Document>>,
    served: Mutex<Vec<Served>>,
    delivered: Mutex<Vec<Delivered>>,
}

impl Inner {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.authority)
    }

    fn actor_json(&self, path: &str, actor: &Actor) -> Value {
        let id = self.url(path);
        let mut json = json!({
            "@context": CONTEXT,
            "type": actor.kind,
            "id": id,
            "preferredUsername": actor.name,
            "name": actor.name,
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "endpoints": {"sharedInbox": self.url("/inbox")},
            "publicKey": {
                "id": format!("{id}#main-key"),
                "owner": id,
                "publicKeyPem": actor.public_key,
            },
            "published": "2026-01-01T00:00:00Z",
        });
        if actor.kind == "Group" {
            json["followers"] = json!(format!("{id}/followers"));
            json["featured"] = json!(format!("{id}/featured"));
            json["attributedTo"] = json!(format!("{id}/moderators"));
            json["summary"] = json!("<p>A perfectly normal community.</p>");
            json["sensitive"] = json!(false);
            json["postingRestrictedToMods"] = json!(false);
            json["manuallyApprovesFollowers"] = json!(false);
            json["discoverable"] = json!(true);
        }
        json
    }
}

/// A running hostile server.
#[derive(Clone)]
pub struct Evil {
    /// Its port.
    pub port: u16,
    inner: Arc<Inner>,
}

impl Evil {
    /// Starts Evil on a free loopback port; its NodeInfo says it runs Lemmy.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind Evil's port");
        let port = listener.local_addr().expect("Evil's address").port();
        let inner = Arc::new(Inner {
            authority: format!("localhost:{port}"),
            software: Mutex::new("lemmy".to_owned()),
            ..Inner::default()
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { port, inner }
    }

    /// Its authority, `localhost:PORT`.
    pub fn authority(&self) -> String {
        self.inner.authority.clone()
    }

    /// The URL of `path` on Evil (`http://localhost:PORT/path`).
    pub fn url(&self, path: &str) -> String {
        self.inner.url(path)
    }

    /// What its NodeInfo names as its software from now on.
    pub fn set_software(&self, name: &str) {
        *self.inner.software.lock().expect("lock") = name.to_owned();
    }

    /// Makes a `Person` at `/u/{name}` with a fresh key pair; returns its id.
    pub async fn person(&self, name: &str) -> String {
        self.actor("Person", &format!("/u/{name}"), name).await
    }

    /// Makes a `Group` at `/c/{name}` with a fresh key pair, an empty outbox and featured
    /// collection, followers and a moderators collection; returns its id.
    pub async fn group(&self, name: &str) -> String {
        let id = self.actor("Group", &format!("/c/{name}"), name).await;
        self.serve(
            &format!("/c/{name}/outbox"),
            collection(&format!("{id}/outbox"), vec![]),
        );
        self.serve(
            &format!("/c/{name}/featured"),
            collection(&format!("{id}/featured"), vec![]),
        );
        self.serve(
            &format!("/c/{name}/followers"),
            json!({"@context": CONTEXT, "type": "Collection", "id": format!("{id}/followers"),
                   "totalItems": 1}),
        );
        self.serve(
            &format!("/c/{name}/moderators"),
            collection(&format!("{id}/moderators"), vec![]),
        );
        id
    }

    async fn actor(&self, kind: &'static str, path: &str, name: &str) -> String {
        let (public_key, private_key) = hearth_service::keys::generate()
            .await
            .expect("a key pair for Evil");
        let actor = Actor {
            kind,
            name: name.to_owned(),
            public_key,
            private_key,
        };
        self.inner
            .actors
            .lock()
            .expect("lock")
            .insert(path.to_owned(), actor);
        if kind == "Person" {
            let id = self.url(path);
            self.serve(
                &format!("{path}/outbox"),
                collection(&format!("{id}/outbox"), vec![]),
            );
        }
        self.url(path)
    }

    /// Serves `document` at `path` (which may carry a query, `/c/g/outbox?page=1`) as
    /// `application/activity+json`, replacing what was there.
    pub fn serve(&self, path: &str, document: Value) {
        self.inner
            .documents
            .lock()
            .expect("lock")
            .insert(path.to_owned(), Document::Json(document));
    }

    /// Serves `object` at the path of its own `id`, which must be on Evil.
    pub fn serve_object(&self, object: Value) {
        let id = object["id"].as_str().expect("the object has an id");
        let prefix = self.url("");
        let path = id
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("{id} is not on Evil ({prefix})"))
            .to_owned();
        self.serve(&path, object);
    }

    /// Serves `text` as `text/plain` at `path`.
    pub fn serve_text(&self, path: &str, text: &str) {
        self.inner
            .documents
            .lock()
            .expect("lock")
            .insert(path.to_owned(), Document::Text(text.to_owned()));
    }

    /// Every request served so far, in order.
    pub fn served(&self) -> Vec<Served> {
        self.inner.served.lock().expect("lock").clone()
    }

    /// How many requests (any method) asked for `path` (exactly, query included).
    pub fn requests_for(&self, path: &str) -> usize {
        self.served().iter().filter(|s| s.path == path).count()
    }

    /// Every activity delivered to one of Evil's inboxes, in order.
    pub fn delivered(&self) -> Vec<Delivered> {
        self.inner.delivered.lock().expect("lock").clone()
    }

    /// The activities of type `kind` delivered to Evil, in order.
    pub fn delivered_of(&self, kind: &str) -> Vec<Value> {
        self.delivered()
            .into_iter()
            .map(|d| d.activity)
            .filter(|a| a["type"] == kind)
            .collect()
    }

    /// The `Follow`s Evil received for the actor `object` (an id on Evil).
    pub fn follows_of(&self, object: &str) -> Vec<Value> {
        self.delivered_of("Follow")
            .into_iter()
            .filter(|f| f["object"] == object)
            .collect()
    }

    /// A fresh activity id on Evil, `http://localhost:PORT/activities/{kind}/{uuid}`.
    pub fn activity_id(&self, kind: &str) -> String {
        self.url(&format!(
            "/activities/{}/{}",
            kind.to_ascii_lowercase(),
            uuid::Uuid::new_v4()
        ))
    }

    /// Signs `activity` as Evil's actor at `actor_path` (`/u/mallory`, `/c/group`) and POSTs it
    /// to `to`'s shared inbox; returns the status and the JSON answer (`Null` when empty).
    pub async fn send(
        &self,
        to: &TestApp,
        actor_path: &str,
        activity: Value,
    ) -> (ClientStatus, Value) {
        self.send_to(to, "/inbox", actor_path, activity).await
    }

    /// The same, to one of `to`'s inboxes by path (`/inbox`, `/c/name/inbox`, …); also answers
    /// the response headers.
    pub async fn send_to(
        &self,
        to: &TestApp,
        inbox_path: &str,
        actor_path: &str,
        activity: Value,
    ) -> (ClientStatus, Value) {
        let (status, _, body) = self
            .send_with_headers(to, inbox_path, actor_path, activity)
            .await;
        (status, body)
    }

    /// Sends as `send_to` does and answers the status, the response headers and the JSON.
    pub async fn send_with_headers(
        &self,
        to: &TestApp,
        inbox_path: &str,
        actor_path: &str,
        activity: Value,
    ) -> (ClientStatus, reqwest::header::HeaderMap, Value) {
        let private_key = self
            .inner
            .actors
            .lock()
            .expect("lock")
            .get(actor_path)
            .unwrap_or_else(|| panic!("Evil has no actor at {actor_path}"))
            .private_key
            .clone();
        let actor_id = self.url(actor_path);
        to.deliver_signed(
            &private_key,
            &actor_id,
            inbox_path,
            activity.to_string().into_bytes(),
        )
        .await
    }

    /// Answers `follow` (as Hearth sent it to one of Evil's Groups) with a signed `Accept`
    /// from that Group, delivered to `to`'s shared inbox.
    pub async fn accept(&self, to: &TestApp, follow: &Value) -> (ClientStatus, Value) {
        let group = follow["object"].as_str().expect("the Follow names a Group");
        let path = group
            .strip_prefix(&self.url(""))
            .unwrap_or_else(|| panic!("{group} is not on Evil"))
            .to_owned();
        let accept = json!({
            "@context": CONTEXT,
            "id": self.activity_id("Accept"),
            "type": "Accept",
            "actor": group,
            "to": [follow["actor"]],
            "object": follow,
        });
        self.send(to, &path, accept).await
    }
}

/// An `OrderedCollection` with its items inline.
pub fn collection(id: &str, items: Vec<Value>) -> Value {
    json!({
        "@context": CONTEXT,
        "type": "OrderedCollection",
        "id": id,
        "totalItems": items.len(),
        "orderedItems": items,
    })
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let response = if method == Method::POST {
        receive(&inner, uri.path(), &body)
    } else if method == Method::GET {
        get(&inner, uri.path(), &path)
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    };
    inner.served.lock().expect("lock").push(Served {
        method: method.to_string(),
        path,
        status: response.status().as_u16(),
    });
    response
}

fn receive(inner: &Inner, path: &str, body: &[u8]) -> Response {
    if !(path == "/inbox" || path.ends_with("/inbox")) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let activity = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    inner.delivered.lock().expect("lock").push(Delivered {
        inbox: path.to_owned(),
        activity,
    });
    StatusCode::ACCEPTED.into_response()
}

fn activity_json(value: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/activity+json")],
        value.to_string(),
    )
        .into_response()
}

fn get(inner: &Inner, path: &str, path_and_query: &str) -> Response {
    match path {
        "/.well-known/webfinger" => return webfinger(inner, path_and_query),
        "/.well-known/nodeinfo" => {
            return axum::Json(json!({"links": [{
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": inner.url("/nodeinfo/2.1"),
            }]}))
            .into_response();
        }
        "/nodeinfo/2.1" => {
            let software = inner.software.lock().expect("lock").clone();
            return axum::Json(json!({
                "version": "2.1",
                "software": {"name": software, "version": "0.19.5"},
                "protocols": ["activitypub"],
                "services": {"inbound": [], "outbound": []},
                "openRegistrations": true,
                "usage": {"users": {"total": 3, "activeMonth": 3, "activeHalfyear": 3},
                          "localPosts": 0, "localComments": 0},
                "metadata": {},
            }))
            .into_response();
        }
        _ => {}
    }
    if let Some(actor) = inner.actors.lock().expect("lock").get(path).cloned() {
        return activity_json(inner.actor_json(path, &actor));
    }
    let documents = inner.documents.lock().expect("lock");
    match documents
        .get(path_and_query)
        .or_else(|| documents.get(path))
        .cloned()
    {
        Some(Document::Json(value)) => activity_json(value),
        Some(Document::Text(text)) => {
            ([(header::CONTENT_TYPE, "text/plain")], text).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": "not_found"})),
        )
            .into_response(),
    }
}

fn webfinger(inner: &Inner, path_and_query: &str) -> Response {
    let resource = path_and_query
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .find_map(|pair| pair.strip_prefix("resource="))
        .map(|r| {
            r.replace("%3A", ":")
                .replace("%3a", ":")
                .replace("%40", "@")
        })
        .unwrap_or_default();
    let Some((name, host)) = resource
        .strip_prefix("acct:")
        .and_then(|acct| acct.split_once('@'))
    else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if host != inner.authority {
        return StatusCode::NOT_FOUND.into_response();
    }
    let actors = inner.actors.lock().expect("lock");
    let mut links: Vec<Value> = ["/u/", "/c/"]
        .iter()
        .filter_map(|prefix| {
            let path = format!("{prefix}{name}");
            actors.get(&path).map(|a| {
                json!({
                    "rel": "self",
                    "type": "application/activity+json",
                    "href": inner.url(&path),
                    "properties": {"https://www.w3.org/ns/activitystreams#type": a.kind},
                })
            })
        })
        .collect();
    if links.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    // The Group last, as Mastodon reads the last link.
    links.sort_by_key(|l| l["properties"]["https://www.w3.org/ns/activitystreams#type"] == "Group");
    (
        [(header::CONTENT_TYPE, "application/jrd+json")],
        json!({"subject": resource, "links": links}).to_string(),
    )
        .into_response()
}
