//! Loopback sinks standing in for other servers' inboxes: one helper process listens on many
//! ports (each port is its own authority, `localhost:PORT`), answers every POST with 202
//! without verifying anything, and reports on a control port how many it received, when the
//! first and last arrived, and (when tracking) how often each activity reached each port.

use crate::children::{Helper, stdin_closed};
use crate::measure::unix_micros;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::routing::{any, get};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Arguments of the hidden `sink` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// How many ports to listen on.
    #[arg(long, default_value_t = 1)]
    ports: usize,
    /// Count arrivals per (port, activity id), for the crash scenario.
    #[arg(long)]
    track: bool,
}

/// What the sink has seen.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SinkStats {
    /// POSTs answered.
    pub posts: u64,
    /// Other requests (fetches) seen.
    pub gets: u64,
    /// When the first POST arrived (µs since the epoch; 0 before any).
    pub first_us: u64,
    /// When the latest POST arrived.
    pub last_us: u64,
    /// The path of the first other request, if any.
    pub first_get: Option<String>,
}

#[derive(Default)]
struct Shared {
    posts: AtomicU64,
    gets: AtomicU64,
    first_us: AtomicU64,
    last_us: AtomicU64,
    track: bool,
    counts: Mutex<HashMap<String, u32>>,
    first_get: Mutex<Option<String>>,
}

impl Shared {
    fn stats(&self) -> SinkStats {
        SinkStats {
            posts: self.posts.load(Ordering::SeqCst),
            gets: self.gets.load(Ordering::SeqCst),
            first_us: self.first_us.load(Ordering::SeqCst),
            last_us: self.last_us.load(Ordering::SeqCst),
            first_get: self.first_get.lock().ok().and_then(|g| g.clone()),
        }
    }
}

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

#[derive(Serialize, Deserialize)]
struct Ready {
    control: u16,
    ports: Vec<u16>,
}

async fn receive(
    State((shared, port)): State<(Arc<Shared>, u16)>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> StatusCode {
    if method != Method::POST {
        shared.gets.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut first) = shared.first_get.lock() {
            first.get_or_insert_with(|| format!("{method} {uri}"));
        }
        return StatusCode::NOT_FOUND;
    }
    if shared.track
        && let Ok(activity) = serde_json::from_slice::<IdOnly>(&body)
        && let Ok(mut counts) = shared.counts.lock()
    {
        *counts.entry(format!("{port} {}", activity.id)).or_default() += 1;
    }
    let now = unix_micros();
    let _ = shared
        .first_us
        .compare_exchange(0, now, Ordering::SeqCst, Ordering::SeqCst);
    shared.last_us.fetch_max(now, Ordering::SeqCst);
    shared.posts.fetch_add(1, Ordering::SeqCst);
    StatusCode::ACCEPTED
}

async fn stats(State(shared): State<Arc<Shared>>) -> axum::Json<SinkStats> {
    axum::Json(shared.stats())
}

async fn counts(State(shared): State<Arc<Shared>>) -> axum::Json<HashMap<String, u32>> {
    axum::Json(shared.counts.lock().map(|c| c.clone()).unwrap_or_default())
}

/// The helper process: listens, says where on stdout, serves until stdin closes.
pub async fn serve(args: &Args) -> anyhow::Result<()> {
    let shared = Arc::new(Shared {
        track: args.track,
        ..Shared::default()
    });
    let mut ports = Vec::with_capacity(args.ports);
    for _ in 0..args.ports {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| {
            anyhow::anyhow!(
                "cannot open sink port {} of {} ({e}); raise the open-file limit (ulimit -n)",
                ports.len() + 1,
                args.ports
            )
        })?;
        let port = listener.local_addr()?.port();
        ports.push(port);
        let app = Router::new()
            .fallback(any(receive))
            .with_state((shared.clone(), port));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    let control = TcpListener::bind("127.0.0.1:0").await?;
    let control_port = control.local_addr()?.port();
    let app = Router::new()
        .route("/stats", get(stats))
        .route("/counts", get(counts))
        .with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(control, app).await;
    });
    println!(
        "{}",
        serde_json::to_string(&Ready {
            control: control_port,
            ports
        })?
    );
    stdin_closed().await;
    Ok(())
}

/// A running sink process, seen from the harness.
pub struct SinkProcess {
    helper: Helper,
    /// The ports it listens on.
    pub ports: Vec<u16>,
    control: u16,
    client: reqwest::Client,
}

impl SinkProcess {
    /// Starts a sink on `ports` ports; `track` counts arrivals per port and activity.
    pub async fn start(ports: usize, track: bool) -> anyhow::Result<Self> {
        let mut args = vec!["sink".to_owned(), "--ports".to_owned(), ports.to_string()];
        if track {
            args.push("--track".to_owned());
        }
        let (helper, line) = Helper::start(&args, Duration::from_secs(30)).await?;
        let ready: Ready = serde_json::from_str(&line)
            .map_err(|e| anyhow::anyhow!("the sink said `{line}`: {e}"))?;
        Ok(Self {
            helper,
            ports: ready.ports,
            control: ready.control,
            client: reqwest::Client::new(),
        })
    }

    /// The authority of port `i` (`localhost:PORT`).
    pub fn authority(&self, i: usize) -> String {
        format!("localhost:{}", self.ports[i % self.ports.len()])
    }

    /// What it has seen so far.
    pub async fn stats(&self) -> anyhow::Result<SinkStats> {
        Ok(self
            .client
            .get(format!("http://127.0.0.1:{}/stats", self.control))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Arrivals per `"<port> <activity id>"` (tracking sinks).
    pub async fn counts(&self) -> anyhow::Result<HashMap<String, u32>> {
        Ok(self
            .client
            .get(format!("http://127.0.0.1:{}/counts", self.control))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Waits until at least `posts` POSTs arrived, polling every 20 ms, for at most `within`.
    pub async fn wait_for(&self, posts: u64, within: Duration) -> anyhow::Result<SinkStats> {
        let deadline = Instant::now() + within;
        loop {
            let stats = self.stats().await?;
            if stats.posts >= posts {
                return Ok(stats);
            }
            if Instant::now() > deadline {
                return Err(anyhow::anyhow!(
                    "the sink received {} of {posts} deliveries within {within:?}",
                    stats.posts
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the sink.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.helper.finish(Duration::from_secs(5)).await?;
        Ok(())
    }
}
