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
    /// Fields that replace those of an actor's document, by the actor's path.
    actor_overrides: Mutex<HashMap<String, serde_json::Map<String, Value>>>,
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
        if let Some(overrides) = self.actor_overrides.lock().expect("lock").get(path)
            && let Some(fields) = json.as_object_mut()
        {
            fields.extend(overrides.clone());
        }
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

    /// Gives the actor at `path` a new key pair: its document shows the new public key and it
    /// signs with the new private key from now on, as a server that rotated a key does.
    pub async fn rotate_key(&self, path: &str) {
        let (public_key, private_key) = hearth_service::keys::generate()
            .await
            .expect("a key pair for Evil");
        let mut actors = self.inner.actors.lock().expect("lock");
        let actor = actors
            .get_mut(path)
            .unwrap_or_else(|| panic!("Evil has no actor at {path}"));
        actor.public_key = public_key;
        actor.private_key = private_key;
    }

    /// From now on the document of the actor at `path` has `field` set to `value` (e.g. an
    /// `inbox` that moved); `Value::Null` removes nothing, it serves `null`.
    pub fn set_actor_field(&self, path: &str, field: &str, value: Value) {
        self.inner
            .actor_overrides
            .lock()
            .expect("lock")
            .entry(path.to_owned())
            .or_default()
            .insert(field.to_owned(), value);
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
        let private_key = self.private_key(actor_path);
        let actor_id = self.url(actor_path);
        to.deliver_signed(
            &private_key,
            &actor_id,
            inbox_path,
            activity.to_string().into_bytes(),
        )
        .await
    }

    /// The private key (PEM) Evil signs as `actor_path` with, for tests that build requests
    /// by hand.
    pub fn private_key(&self, actor_path: &str) -> String {
        self.inner
            .actors
            .lock()
            .expect("lock")
            .get(actor_path)
            .unwrap_or_else(|| panic!("Evil has no actor at {actor_path}"))
            .private_key
            .clone()
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

/// How a [`RawPeer`] answers every request: the ways a peer can try to hold our workers or fill
/// our memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misbehaviour {
    /// `200` with ActivityPub headers at once, then the body one byte a second, never ending.
    Trickle,
    /// `200` with a body of this many bytes (announced in `Content-Length`), sent as fast as
    /// the client reads it.
    Huge {
        /// The body's length.
        bytes: u64,
    },
    /// `302 Found` to another path on itself, every time.
    RedirectLoop,
    /// `Content-Encoding: gzip` with a body that inflates to this many bytes of zeros (about
    /// 1/160 of that on the wire).
    GzipBomb {
        /// The size once decompressed.
        expanded: u64,
    },
}

/// One request a [`RawPeer`] read.
#[derive(Debug, Clone)]
pub struct RawRequest {
    /// The path asked for.
    pub path: String,
    /// The request's headers, names in lower case.
    pub headers: Vec<(String, String)>,
}

impl RawRequest {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct RawInner {
    authority: String,
    misbehaviour: Misbehaviour,
    requests: Mutex<Vec<RawRequest>>,
    bytes_sent: std::sync::atomic::AtomicU64,
    /// Answers that ended: sent in full, or cut off because the client went away.
    ended: std::sync::atomic::AtomicUsize,
}

/// A peer written on raw TCP, for answers a well-behaved HTTP framework would not give: it
/// misbehaves the same way on every request (see [`Misbehaviour`]), one request per connection,
/// and counts what it read and sent.
#[derive(Clone)]
pub struct RawPeer {
    /// Its port.
    pub port: u16,
    inner: Arc<RawInner>,
}

impl RawPeer {
    /// Starts the peer on a free loopback port, as `localhost:PORT`.
    pub async fn start(misbehaviour: Misbehaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the raw peer's port");
        let port = listener
            .local_addr()
            .expect("the raw peer's address")
            .port();
        let inner = Arc::new(RawInner {
            authority: format!("localhost:{port}"),
            misbehaviour,
            requests: Mutex::new(Vec::new()),
            bytes_sent: std::sync::atomic::AtomicU64::new(0),
            ended: std::sync::atomic::AtomicUsize::new(0),
        });
        let serving = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let serving = serving.clone();
                tokio::spawn(async move {
                    raw_answer(serving.clone(), stream).await;
                    serving
                        .ended
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        Self { port, inner }
    }

    /// The URL of `path` on the peer (`http://localhost:PORT/path`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.inner.authority)
    }

    /// Every request read so far.
    pub fn requests(&self) -> Vec<RawRequest> {
        self.inner.requests.lock().expect("lock").clone()
    }

    /// How many answers have ended: sent in full, or cut off because the client closed the
    /// connection (a trickle ends only so).
    pub fn answers_ended(&self) -> usize {
        self.inner.ended.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The body bytes the peer managed to hand to the kernel (sent or buffered) before the
    /// client went away.
    pub fn bytes_sent(&self) -> u64 {
        self.inner
            .bytes_sent
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}

async fn raw_answer(inner: Arc<RawInner>, mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let path = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let count = {
        let mut requests = inner.requests.lock().expect("lock");
        requests.push(RawRequest {
            path: path.clone(),
            headers,
        });
        requests.len()
    };
    let sent = |n: usize| {
        inner
            .bytes_sent
            .fetch_add(n as u64, std::sync::atomic::Ordering::SeqCst);
    };
    const JSON: &str = "Content-Type: application/activity+json\r\nConnection: close\r\n";
    match inner.misbehaviour {
        Misbehaviour::Trickle => {
            let head = format!("HTTP/1.1 200 OK\r\n{JSON}Content-Length: 1000000\r\n\r\n");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            // JSON whitespace, one byte a second, for at most ten minutes.
            for _ in 0..600 {
                if stream.write_all(b" ").await.is_err() || stream.flush().await.is_err() {
                    return;
                }
                sent(1);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
        Misbehaviour::Huge { bytes } => {
            let head = format!("HTTP/1.1 200 OK\r\n{JSON}Content-Length: {bytes}\r\n\r\n");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut left = bytes;
            while left > 0 {
                let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
                if stream.write_all(&chunk[..n]).await.is_err() {
                    return;
                }
                sent(n);
                left -= n as u64;
            }
        }
        Misbehaviour::RedirectLoop => {
            let next = format!("http://{}/loop/{count}", inner.authority);
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {next}\r\nContent-Length: 0\r\n{JSON}\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
        }
        Misbehaviour::GzipBomb { expanded } => {
            let head = format!("HTTP/1.1 200 OK\r\n{JSON}Content-Encoding: gzip\r\n\r\n");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let mut bomb = GzipBomb::new(expanded);
            while let Some(chunk) = bomb.next_chunk(64 * 1024) {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                sent(chunk.len());
            }
        }
    }
    let _ = stream.shutdown().await;
}

/// A gzip stream of zeros made on the fly: one fixed-Huffman deflate block of a literal zero
/// followed by "copy 258 bytes from 1 back" codes (13 bits for 258 bytes). The trailer's CRC is
/// left at zero: a decompressor expands everything before it can check it, which is the point.
struct GzipBomb {
    /// Copies of 258 bytes still to write.
    copies_left: u64,
    expanded: u64,
    started: bool,
    finished: bool,
    out: Vec<u8>,
    current: u8,
    bits: u8,
}

impl GzipBomb {
    fn new(expanded: u64) -> Self {
        Self {
            copies_left: expanded.saturating_sub(1) / 258,
            expanded,
            started: false,
            finished: false,
            out: Vec::new(),
            current: 0,
            bits: 0,
        }
    }

    fn bit(&mut self, bit: u32) {
        self.current |= ((bit & 1) as u8) << self.bits;
        self.bits += 1;
        if self.bits == 8 {
            self.out.push(self.current);
            self.current = 0;
            self.bits = 0;
        }
    }

    /// A Huffman code, most significant bit first (RFC 1951, 3.1.1).
    fn code(&mut self, code: u32, length: u32) {
        for i in (0..length).rev() {
            self.bit(code >> i);
        }
    }

    fn next_chunk(&mut self, size: usize) -> Option<Vec<u8>> {
        if self.finished {
            return None;
        }
        if !self.started {
            self.started = true;
            // gzip header: magic, deflate, no flags, no time, no extra flags, Unix.
            self.out
                .extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
            // BFINAL = 1, BTYPE = 01 (fixed Huffman), least significant bit first.
            self.bit(1);
            self.bit(1);
            self.bit(0);
            // The literal byte 0.
            self.code(0x30, 8);
        }
        while self.out.len() < size && self.copies_left > 0 {
            // Length 258 (symbol 285), distance 1 (distance code 0).
            self.code(0xC5, 8);
            self.code(0, 5);
            self.copies_left -= 1;
        }
        if self.copies_left == 0 {
            // End of block, then the trailer: CRC32 (left at zero) and the size mod 2^32.
            self.code(0, 7);
            if self.bits > 0 {
                self.out.push(self.current);
                self.current = 0;
                self.bits = 0;
            }
            self.out.extend_from_slice(&[0, 0, 0, 0]);
            self.out
                .extend_from_slice(&((self.expanded & 0xffff_ffff) as u32).to_le_bytes());
            self.finished = true;
        }
        Some(std::mem::take(&mut self.out))
    }
}
