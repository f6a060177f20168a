//! The `vote_storm` scenario: 100 votes in a community followed from 200 servers, each vote
//! announced to every server: 20,000 deliveries queued within a second or so. Measures
//! deliveries/s and the memory of the sending process while the backlog drains, which must stay
//! flat (rows wait in the database, not in memory).

use crate::Bench;
use crate::crypto;
use crate::fanout::{Watch, delivery_note, delivery_settings};
use crate::instance::Instance;
use crate::machine::cores;
use crate::measure;
use crate::report::{Outcome, Report, Table, mib, rate, ratio, thousands};
use crate::seed::{self, RemotePerson};
use crate::sink::SinkProcess;
use std::time::Duration;

/// Following servers.
const SERVERS: usize = 200;
/// Votes (on as many posts).
const VOTES: usize = 100;
/// Growth of resident memory over the storm that still counts as flat.
const FLAT_BYTES: u64 = 64 * 1024 * 1024;

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let data_dir = bench.cluster.data_dir();
    let (per_core, baseline) = crypto::sign_baseline(Duration::from_secs(1)).await?;
    let sink = SinkProcess::start(SERVERS, false).await?;
    let db = bench.cluster.database("bench_vote_storm").await?;
    let instance = Instance::spawn(&db, 20, &delivery_settings()).await?;
    let settings_note = delivery_note(&instance);
    let pool = db.pool(2).await?;
    let author = instance.user("author", false).await?;
    let voter = instance.user("voter", false).await?;
    let community = instance.community(&author, "storm").await?;
    // The posts exist before anyone follows: only the votes are delivered.
    let mut posts = Vec::with_capacity(VOTES);
    for i in 0..VOTES {
        posts.push(
            instance
                .post(&author, "storm", &format!("Post {i}"))
                .await?,
        );
    }
    let people: Vec<RemotePerson> = (0..SERVERS)
        .map(|i| RemotePerson::on(&sink.authority(i), "follower", "unused"))
        .collect();
    let ids = seed::remote_people(&pool, &people).await?;
    seed::join(&pool, community, &ids).await?;
    let expected = (SERVERS * VOTES) as u64;

    db.reset_statements(&pool).await;
    let rss_before = measure::rss();
    measure::reset_peak_rss();
    let watch = Watch::start(&sink, &pool, &data_dir, expected);
    for post in &posts {
        instance.vote(&voter, *post, 1).await?;
    }
    let voted = watch.started.elapsed();
    let drained = watch.wait(Duration::from_secs(90)).await?;
    let peak = measure::peak_rss();
    db.print_statements(&pool, "vote storm, per delivery", expected as f64)
        .await;
    pool.close().await;
    instance.stop().await?;
    sink.stop().await?;

    let window = drained.to_last.max(Duration::from_micros(1));
    let value = expected as f64 / window.as_secs_f64();
    let goal = 0.5;
    let growth = peak.saturating_sub(rss_before);
    let flat = growth < FLAT_BYTES;
    let met = value >= goal * baseline && flat;
    // Memory as the backlog shrinks: the sample nearest each quarter of the deliveries.
    let by_backlog: Vec<String> = [0.0, 0.25, 0.5, 0.75, 1.0]
        .iter()
        .filter_map(|q| {
            let target = (expected as f64 * q) as u64;
            drained
                .samples
                .iter()
                .find(|(_, seen, _)| *seen >= target)
                .map(|(_, seen, rss)| {
                    format!(
                        "{} queued: {}",
                        thousands((expected - seen) as f64),
                        mib(*rss)
                    )
                })
        })
        .collect();
    let per_delivery = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6 / expected as f64);
    let mut table = Table::new(&["measurement", "figure"]);
    table.row(vec![
        "deliveries (100 votes × 200 servers)".into(),
        thousands(expected as f64),
    ]);
    table.row(vec![
        "100 votes submitted after".into(),
        format!("{:.0} ms", voted.as_secs_f64() * 1000.0),
    ]);
    table.row(vec![
        "first vote → last delivery".into(),
        format!("{:.0} ms", window.as_secs_f64() * 1000.0),
    ]);
    table.row(vec!["deliveries/s".into(), rate(value)]);
    table.row(vec![
        format!("baseline: aws-lc-rs signatures/s, 1 core × {}", cores()),
        format!("{} (1 core: {})", rate(baseline), rate(per_core)),
    ]);
    table.row(vec![
        "ratio (goal ≥ 0.50, as fan-out)".into(),
        ratio(value / baseline.max(1e-9)),
    ]);
    table.row(vec![
        "Hearth / PostgreSQL CPU per delivery".into(),
        format!(
            "{} / {}",
            per_delivery(drained.cpu.own),
            per_delivery(drained.cpu.postgres)
        ),
    ]);
    table.row(vec![
        "RSS before / peak / growth".into(),
        format!("{} / {} / {}", mib(rss_before), mib(peak), mib(growth)),
    ]);
    table.row(vec![
        "RSS as the backlog drains".into(),
        by_backlog.join("; "),
    ]);
    table.row(vec![
        "memory flat (growth < 64 MiB)".into(),
        if flat { "yes" } else { "no" }.into(),
    ]);
    let outcome = Outcome {
        scenario: "vote_storm",
        value: value.round(),
        unit: "deliveries/s",
        baseline: baseline.round(),
        goal,
        met,
    };
    Ok(Report::new(
        "Vote storm: 100 votes in a community followed from 200 servers (20,000 deliveries).",
        table,
        outcome,
    )
    .note(format!("{settings_note}. Votes go through the API one after another; each commits a Like and its Announce with 200 delivery rows."))
    .note("The issue gives no rate goal here; the harness uses the fan-out goal (0.5 × aws-lc-rs signatures/s × cores) and flat memory."))
}
