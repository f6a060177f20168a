//! The `fanout` scenario: one post in a community followed from 2,000 distinct servers (sink
//! ports answering 202 without verifying, in their own process). Measures deliveries/s from the
//! commit to the last delivery, CPU per delivery (Hearth and PostgreSQL) and peak memory,
//! against aws-lc-rs's signing rate on all cores, measured first.

use crate::Bench;
use crate::crypto;
use crate::instance::Instance;
use crate::machine::cores;
use crate::measure::{self, CpuMeter, unix_micros};
use crate::report::{Outcome, Report, Table, mib, rate, ratio, thousands};
use crate::seed::{self, RemotePerson};
use crate::sink::SinkProcess;
use std::time::{Duration, Instant};

/// Following servers.
const SERVERS: usize = 2_000;

/// What a storm of deliveries measured (shared with `vote_storm`).
pub struct Drained {
    /// From the start mark to the last arrival at the sink.
    pub to_last: Duration,
    /// To the first arrival.
    pub to_first: Duration,
    /// Until every row was recorded delivered in the database.
    pub to_recorded: Duration,
    /// CPU over the whole phase.
    pub cpu: measure::CpuUse,
    /// (time since the start mark, deliveries seen by the sink, RSS of this process), sampled
    /// every 50 ms while waiting.
    pub samples: Vec<(Duration, u64, u64)>,
}

/// Watches a storm of deliveries from its start mark until it is over.
pub struct Watch<'a> {
    /// The sink receiving them.
    pub sink: &'a SinkProcess,
    /// A pool on the sender's database.
    pub pool: &'a sqlx::PgPool,
    /// PGDATA, for the cluster's CPU.
    pub data_dir: &'a std::path::Path,
    /// Deliveries expected.
    pub expected: u64,
    /// The start mark, as the sink reports times (µs since the epoch).
    pub start_us: u64,
    /// The start mark.
    pub started: Instant,
    /// CPU from the start mark.
    pub meter: CpuMeter,
}

impl Watch<'_> {
    /// Marks the start now.
    pub fn start<'a>(
        sink: &'a SinkProcess,
        pool: &'a sqlx::PgPool,
        data_dir: &'a std::path::Path,
        expected: u64,
    ) -> Watch<'a> {
        Watch {
            sink,
            pool,
            data_dir,
            expected,
            start_us: unix_micros(),
            started: Instant::now(),
            meter: CpuMeter::start(data_dir),
        }
    }

    /// Waits until the sink saw every delivery and the database recorded them all.
    pub async fn wait(&self, within: Duration) -> anyhow::Result<Drained> {
        let mut samples = Vec::new();
        let stats = loop {
            let stats = self.sink.stats().await?;
            samples.push((self.started.elapsed(), stats.posts, measure::rss()));
            if stats.posts >= self.expected {
                break stats;
            }
            anyhow::ensure!(
                self.started.elapsed() < within,
                "the sinks received {} of {} deliveries within {within:?}",
                stats.posts,
                self.expected
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        loop {
            let (pending, delivered, other) = seed::delivery_states(self.pool).await?;
            anyhow::ensure!(other == 0, "{other} deliveries failed");
            if pending == 0 && delivered >= i64::try_from(self.expected).unwrap_or(i64::MAX) {
                break;
            }
            anyhow::ensure!(
                self.started.elapsed() < within,
                "{pending} deliveries still pending after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let to_recorded = self.started.elapsed();
        let cpu = self.meter.stop(self.data_dir);
        Ok(Drained {
            to_last: Duration::from_micros(stats.last_us.saturating_sub(self.start_us)),
            to_first: Duration::from_micros(stats.first_us.saturating_sub(self.start_us)),
            to_recorded,
            cpu,
            samples,
        })
    }
}

/// The delivery settings of the storm scenarios: the defaults (concurrency included, so the
/// figures are what an instance does out of the box), with a larger pool.
pub fn delivery_settings() -> Vec<(&'static str, String)> {
    vec![("HEARTH__DATABASE__MAX_CONNECTIONS", "20".to_owned())]
}

/// The delivery settings an instance ran with, for the report's note.
pub fn delivery_note(instance: &Instance) -> String {
    let delivery = &instance.settings.federation.delivery;
    format!(
        "Delivery settings: concurrency {}, per_host_concurrency {}, pool {} connections",
        delivery.concurrency,
        delivery.per_host_concurrency,
        instance.settings.database.max_connections
    )
}

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let data_dir = bench.cluster.data_dir();
    let (per_core, baseline) = crypto::sign_baseline(Duration::from_secs(1)).await?;
    let sink = SinkProcess::start(SERVERS, false).await?;
    let db = bench.cluster.database("bench_fanout").await?;
    let instance = Instance::spawn(&db, 20, &delivery_settings()).await?;
    let settings_note = delivery_note(&instance);
    let pool = db.pool(2).await?;
    let author = instance.user("author", false).await?;
    let community = instance.community(&author, "fanout").await?;
    let people: Vec<RemotePerson> = (0..SERVERS)
        .map(|i| RemotePerson::on(&sink.authority(i), "follower", "unused"))
        .collect();
    let ids = seed::remote_people(&pool, &people).await?;
    seed::join(&pool, community, &ids).await?;

    db.reset_statements(&pool).await;
    let rss_before = measure::rss();
    measure::reset_peak_rss();
    let watch = Watch::start(&sink, &pool, &data_dir, SERVERS as u64);
    instance
        .post(&author, "fanout", "One post, 2,000 servers")
        .await?;
    let committed = watch.started.elapsed();
    let drained = watch.wait(Duration::from_secs(50)).await?;
    let peak = measure::peak_rss();
    db.print_statements(&pool, "fan-out, per delivery", SERVERS as f64)
        .await;
    let fetches = sink.stats().await?.gets;
    pool.close().await;
    instance.stop().await?;
    sink.stop().await?;

    // From the commit (the post request's answer bounds it) to the last arrival.
    let window = drained
        .to_last
        .saturating_sub(committed)
        .max(Duration::from_micros(1));
    let value = SERVERS as f64 / window.as_secs_f64();
    let goal = 0.5;
    let met = value >= goal * baseline;
    let per_delivery = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6 / SERVERS as f64);
    let mut table = Table::new(&["measurement", "figure"]);
    table.row(vec![
        "deliveries (one per server)".into(),
        thousands(SERVERS as f64),
    ]);
    table.row(vec![
        "commit → last delivery".into(),
        format!("{:.0} ms", window.as_secs_f64() * 1000.0),
    ]);
    table.row(vec!["deliveries/s".into(), rate(value)]);
    table.row(vec![
        format!("baseline: aws-lc-rs signatures/s, 1 core × {}", cores()),
        format!("{} (1 core: {})", rate(baseline), rate(per_core)),
    ]);
    table.row(vec![
        "ratio (goal ≥ 0.50)".into(),
        ratio(value / baseline.max(1e-9)),
    ]);
    table.row(vec![
        "post request (commit inside) / first delivery after start".into(),
        format!(
            "{:.0} ms / {:.0} ms",
            committed.as_secs_f64() * 1000.0,
            drained.to_first.as_secs_f64() * 1000.0
        ),
    ]);
    table.row(vec![
        "all recorded delivered after start".into(),
        format!("{:.0} ms", drained.to_recorded.as_secs_f64() * 1000.0),
    ]);
    table.row(vec![
        "Hearth CPU per delivery".into(),
        per_delivery(drained.cpu.own),
    ]);
    table.row(vec![
        "PostgreSQL CPU per delivery".into(),
        per_delivery(drained.cpu.postgres),
    ]);
    table.row(vec![
        "cores busy (Hearth + PostgreSQL) over the phase".into(),
        format!(
            "{:.2} + {:.2}",
            drained.cpu.own.as_secs_f64() / drained.cpu.wall.as_secs_f64(),
            drained.cpu.postgres.as_secs_f64() / drained.cpu.wall.as_secs_f64()
        ),
    ]);
    table.row(vec![
        "peak memory (RSS) / before the post".into(),
        format!("{} / {}", mib(peak), mib(rss_before)),
    ]);
    let outcome = Outcome {
        scenario: "fanout",
        value: value.round(),
        unit: "deliveries/s",
        baseline: baseline.round(),
        goal,
        met,
    };
    Ok(Report::new(
        "Fan-out: one post in a community followed from 2,000 servers (sink ports in another process).",
        table,
        outcome,
    )
    .note(format!(
        "{settings_note}; every server is a new TCP connection; fetches seen by the sinks: {fetches}."
    ))
    .note("Memory is the harness process, which runs the Hearth instance and little else here."))
}
