//! The load generator, a helper process so that it does not run on the measured server's
//! threads: N keep-alive connections (one client each) send prepared requests, either each
//! request once (split round-robin over the connections, in order) or cycling through them for
//! a fixed time after a warm-up, and report counts, statuses and latency percentiles.

use crate::children;
use crate::measure::Latencies;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Arguments of the hidden `load` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// JSON lines of requests.
    #[arg(long)]
    input: PathBuf,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 1)]
    connections: usize,
    /// 0: send each request once; otherwise cycle for this long after the warm-up.
    #[arg(long, default_value_t = 0)]
    duration_ms: u64,
    /// Warm-up before the measured time (cycling mode).
    #[arg(long, default_value_t = 0)]
    warmup_ms: u64,
}

/// One prepared request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestSpec {
    /// `GET` or `POST`.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Extra headers.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    #[serde(default)]
    pub body: Option<String>,
}

impl RequestSpec {
    /// A plain GET.
    pub fn get(url: String) -> Self {
        Self {
            method: "GET".to_owned(),
            url,
            headers: Vec::new(),
            body: None,
        }
    }
}

/// How the requests are sent.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Each request once.
    Once,
    /// Cycling for `measure` after `warmup`.
    For {
        /// Not measured.
        warmup: Duration,
        /// Measured.
        measure: Duration,
    },
}

/// What a load run measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Requests answered (any status) in the measured time.
    pub completed: u64,
    /// The measured time in seconds.
    pub elapsed_s: f64,
    /// Responses by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that got no response.
    pub errors: u64,
    /// The first failure (transport error, or a non-2xx status with the body's start).
    pub first_failure: Option<String>,
    /// Latency percentiles in microseconds.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Largest.
    pub max_us: u64,
    /// Mean.
    pub mean_us: u64,
    /// CPU the load generator itself used while sending (µs).
    pub client_cpu_us: u64,
}

impl Summary {
    /// Completed requests per second.
    pub fn rate(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.completed as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Responses with a 2xx status.
    pub fn ok(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| (200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    /// 2xx responses per second.
    pub fn ok_rate(&self) -> f64 {
        if self.elapsed_s > 0.0 {
            self.ok() as f64 / self.elapsed_s
        } else {
            0.0
        }
    }

    /// Responses of other statuses and transport errors.
    pub fn failed(&self) -> u64 {
        self.completed - self.ok() + self.errors
    }

    /// Median latency.
    pub fn p50(&self) -> Duration {
        Duration::from_micros(self.p50_us)
    }

    /// 99th percentile latency.
    pub fn p99(&self) -> Duration {
        Duration::from_micros(self.p99_us)
    }

    /// The load generator's CPU time.
    pub fn client_cpu(&self) -> Duration {
        Duration::from_micros(self.client_cpu_us)
    }
}

/// Runs a load helper over `requests` with `connections` connections and returns its figures.
pub async fn run(
    scratch: &Path,
    requests: &[RequestSpec],
    connections: usize,
    mode: Mode,
) -> anyhow::Result<Summary> {
    let path = scratch.join(format!("load-{}.jsonl", uuid::Uuid::new_v4().simple()));
    {
        let file = std::fs::File::create(&path)?;
        let mut out = std::io::BufWriter::new(file);
        for request in requests {
            serde_json::to_writer(&mut out, request)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
    }
    let (duration_ms, warmup_ms) = match mode {
        Mode::Once => (0, 0),
        Mode::For { warmup, measure } => (
            u64::try_from(measure.as_millis())
                .unwrap_or(u64::MAX)
                .max(1),
            u64::try_from(warmup.as_millis()).unwrap_or(u64::MAX),
        ),
    };
    let args = vec![
        "load".to_owned(),
        "--input".to_owned(),
        path.display().to_string(),
        "--connections".to_owned(),
        connections.to_string(),
        "--duration-ms".to_owned(),
        duration_ms.to_string(),
        "--warmup-ms".to_owned(),
        warmup_ms.to_string(),
    ];
    let line = children::run(&args, Duration::from_secs(600)).await;
    let _ = std::fs::remove_file(&path);
    let line = line?;
    serde_json::from_str(&line)
        .map_err(|e| anyhow::anyhow!("the load generator said `{line}`: {e}"))
}

/// One response as a connection saw it.
struct Sample {
    started: Instant,
    finished: Instant,
    status: Option<u16>,
    failure: Option<String>,
}

/// The helper process: sends, then prints one JSON line of figures.
pub async fn serve(args: &Args) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.input)?;
    let mut requests = Vec::new();
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        if !line.trim().is_empty() {
            requests.push(serde_json::from_str::<RequestSpec>(&line)?);
        }
    }
    let requests = Arc::new(requests);
    let connections = args.connections.max(1);
    let cycling = args.duration_ms > 0;
    let cpu_before = crate::measure::own_cpu();
    let started = Instant::now();
    let warm_until = started + Duration::from_millis(args.warmup_ms);
    let deadline = warm_until + Duration::from_millis(args.duration_ms);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..connections {
        let requests = requests.clone();
        tasks.spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()?;
            let mut samples = Vec::new();
            let mut index = worker;
            loop {
                if requests.is_empty() {
                    break;
                }
                if cycling {
                    if Instant::now() >= deadline {
                        break;
                    }
                    index %= requests.len();
                } else if index >= requests.len() {
                    break;
                }
                let spec = &requests[index];
                index += connections;
                let sample = send(&client, spec).await;
                samples.push(sample);
            }
            Ok::<_, anyhow::Error>(samples)
        });
    }
    let mut samples = Vec::new();
    while let Some(done) = tasks.join_next().await {
        samples.extend(done??);
    }
    let summary = if cycling {
        let measured: Vec<Sample> = samples
            .into_iter()
            .filter(|s| s.started >= warm_until && s.finished <= deadline)
            .collect();
        summarise(measured, deadline.saturating_duration_since(warm_until))
    } else {
        let end = samples.iter().map(|s| s.finished).max().unwrap_or(started);
        summarise(samples, end.saturating_duration_since(started))
    };
    let mut summary = summary;
    summary.client_cpu_us = u64::try_from(
        crate::measure::own_cpu()
            .saturating_sub(cpu_before)
            .as_micros(),
    )
    .unwrap_or(u64::MAX);
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

async fn send(client: &reqwest::Client, spec: &RequestSpec) -> Sample {
    let started = Instant::now();
    let method = if spec.method.eq_ignore_ascii_case("POST") {
        reqwest::Method::POST
    } else {
        reqwest::Method::GET
    };
    let mut request = client.request(method, &spec.url);
    for (name, value) in &spec.headers {
        request = request.header(name, value);
    }
    if let Some(body) = &spec.body {
        request = request.body(body.clone());
    }
    let (status, failure) = match request.send().await {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(body) if !status.is_success() => (
                    Some(status.as_u16()),
                    Some(format!(
                        "{} {}: HTTP {status}: {}",
                        spec.method,
                        spec.url,
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )),
                ),
                Ok(_) => (Some(status.as_u16()), None),
                Err(e) => (None, Some(format!("{} {}: {e}", spec.method, spec.url))),
            }
        }
        Err(e) => (None, Some(format!("{} {}: {e}", spec.method, spec.url))),
    };
    Sample {
        started,
        finished: Instant::now(),
        status,
        failure,
    }
}

fn summarise(samples: Vec<Sample>, elapsed: Duration) -> Summary {
    let mut summary = Summary {
        elapsed_s: elapsed.as_secs_f64(),
        ..Summary::default()
    };
    let mut latencies = Vec::with_capacity(samples.len());
    for sample in samples {
        match sample.status {
            Some(status) => {
                summary.completed += 1;
                *summary.statuses.entry(status).or_default() += 1;
                latencies.push(sample.finished.saturating_duration_since(sample.started));
            }
            None => summary.errors += 1,
        }
        if summary.first_failure.is_none() {
            summary.first_failure = sample.failure;
        }
    }
    let stats = Latencies::of(&mut latencies);
    let us = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
    summary.p50_us = us(stats.p50);
    summary.p90_us = us(stats.p90);
    summary.p99_us = us(stats.p99);
    summary.max_us = us(stats.max);
    summary.mean_us = us(stats.mean);
    summary
}
