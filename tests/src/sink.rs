//! A test sink: a loopback HTTP server standing in for another server's inbox. It answers as
//! told (accept, delay, fail, ask to retry later), records what it accepted, and measures how
//! many requests it had in flight at once. Each sink has its own port, so its own authority.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// How a sink answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 202 at once.
    Accept,
    /// 202 after a pause.
    Slow(Duration),
    /// This status, at once.
    Fail(u16),
    /// This status with `Retry-After: <value>`.
    RetryAfter(u16, String),
}

/// One request the sink saw.
#[derive(Debug, Clone)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// The activity's id.
    pub id: String,
    /// The status the sink answered.
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    behaviour: Mutex<Option<Behaviour>>,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    /// Requests answered in one `RetryAfter` run before switching to accept.
    retry_first: Mutex<usize>,
}

/// A running sink.
#[derive(Clone)]
pub struct Sink {
    /// Its port.
    pub port: u16,
    inner: Arc<Inner>,
}

impl Sink {
    /// Starts a sink that answers as `behaviour`.
    pub async fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a sink");
        let port = listener.local_addr().expect("sink address").port();
        let inner = Arc::new(Inner::default());
        *inner.behaviour.lock().expect("lock") = Some(behaviour);
        let app = Router::new()
            .route("/inbox", post(receive))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { port, inner }
    }

    /// Its inbox URL, on `localhost` (the authority the outbox sees).
    pub fn inbox(&self) -> String {
        format!("http://localhost:{}/inbox", self.port)
    }

    /// Its authority.
    pub fn authority(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Answers as `behaviour` from now on.
    pub fn behave(&self, behaviour: Behaviour) {
        *self.inner.behaviour.lock().expect("lock") = Some(behaviour);
    }

    /// After `n` requests answered with `RetryAfter`, accept.
    pub fn accept_after(&self, n: usize) {
        *self.inner.retry_first.lock().expect("lock") = n;
    }

    /// Every request seen, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().expect("lock").clone()
    }

    /// How many times each activity id was accepted (2xx).
    pub fn accepted(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for s in self.seen().into_iter().filter(|s| s.status < 300) {
            *counts.entry(s.id).or_default() += 1;
        }
        counts
    }

    /// The most requests it had in flight at once.
    pub fn peak_in_flight(&self) -> usize {
        self.inner.peak.load(Ordering::SeqCst)
    }
}

async fn receive(State(inner): State<Arc<Inner>>, _headers: HeaderMap, body: Bytes) -> Response {
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.peak.fetch_max(now, Ordering::SeqCst);
    let at = Instant::now();
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let behaviour = inner
        .behaviour
        .lock()
        .expect("lock")
        .clone()
        .unwrap_or(Behaviour::Accept);
    let response = match behaviour {
        Behaviour::Accept => StatusCode::ACCEPTED.into_response(),
        Behaviour::Slow(pause) => {
            tokio::time::sleep(pause).await;
            StatusCode::ACCEPTED.into_response()
        }
        Behaviour::Fail(status) => StatusCode::from_u16(status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Behaviour::RetryAfter(status, value) => {
            let mut left = inner.retry_first.lock().expect("lock");
            if *left == 0 {
                StatusCode::ACCEPTED.into_response()
            } else {
                *left -= 1;
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
                (status, [("retry-after", value)]).into_response()
            }
        }
    };
    inner.seen.lock().expect("lock").push(Seen {
        at,
        id,
        status: response.status().as_u16(),
    });
    inner.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}
