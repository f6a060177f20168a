//! The `crash` scenario: 20,000 deliveries (100 announces to 200 servers) sent by a separate
//! worker process, which is SIGKILLed when half have arrived and then started again. The sinks
//! count arrivals per (server, activity): every delivery must arrive (lost = 0); those in flight
//! at the kill may arrive twice (delivery is at least once), and are counted.

use crate::Bench;
use crate::children::Helper;
use crate::deliver::set_args;
use crate::instance;
use crate::report::{Outcome, Report, Table, rate, thousands};
use crate::seed::{self, RemotePerson};
use crate::sink::SinkProcess;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Destination servers.
const SERVERS: usize = 200;
/// Activities, each to every server.
const ACTIVITIES: usize = 100;
/// Deliveries in flight in the worker (as in the storm scenarios).
const CONCURRENCY: usize = 64;
/// The lease of claimed rows: how long a dead worker's rows wait before another takes them.
const LEASE_SECS: u64 = 3;

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let sink = SinkProcess::start(SERVERS, true).await?;
    let db = bench.cluster.database("bench_crash").await?;
    let pool = db.pool(4).await?;
    let settings = instance::settings(9, &[])?;
    let base = settings.public_base_url();
    let (public, private) = hearth_service::keys::generate()
        .await
        .map_err(|e| anyhow::anyhow!("key generation: {e}"))?;
    let community = seed::local_community(&pool, &base, "crash", Some((&public, &private))).await?;
    let people: Vec<RemotePerson> = (0..SERVERS)
        .map(|i| RemotePerson::on(&sink.authority(i), "follower", "unused"))
        .collect();
    let ids = seed::remote_people(&pool, &people).await?;
    seed::join(&pool, community.id, &ids).await?;
    for n in 0..ACTIVITIES {
        let activity = serde_json::json!({
            "id": format!("{base}/activities/like/crash-{n}"),
            "type": "Like",
            "actor": format!("{base}/u/someone"),
            "object": format!("{base}/post/{n}"),
            "audience": community.ap_id,
        });
        let mut tx = pool.begin().await?;
        hearth_federation::outbox::announce(&mut tx, &settings, activity, &community, None).await?;
        tx.commit().await?;
    }
    let expected = (SERVERS * ACTIVITIES) as u64;
    let (pending, _, _) = seed::delivery_states(&pool).await?;
    anyhow::ensure!(pending == expected as i64, "{pending} rows queued");

    let overrides = [
        (
            "HEARTH__FEDERATION__DELIVERY__CONCURRENCY",
            CONCURRENCY.to_string(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__LEASE_SECS",
            LEASE_SECS.to_string(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__POLL_INTERVAL_MS",
            "100".to_owned(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__BACKOFF_BASE_MS",
            "100".to_owned(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__BACKOFF_MAX_SECS",
            "1".to_owned(),
        ),
    ];
    let mut args = vec!["deliver".to_owned(), "--url".to_owned(), db.url.clone()];
    args.extend(set_args(&overrides));

    let started = Instant::now();
    let (first, _) = Helper::start(&args, Duration::from_secs(30)).await?;
    sink.wait_for(expected / 2, Duration::from_secs(40)).await?;
    first.kill().await?;
    let killed_after = started.elapsed();
    let at_kill = sink.stats().await?.posts;
    let (_, recorded_at_kill, _) = seed::delivery_states(&pool).await?;

    let restarted = Instant::now();
    let (second, _) = Helper::start(&args, Duration::from_secs(30)).await?;
    loop {
        let (pending, _, _) = seed::delivery_states(&pool).await?;
        if pending == 0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "{pending} deliveries still pending after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let finished_after = restarted.elapsed();
    second.finish(Duration::from_secs(10)).await?;
    // The sink has answered everything the database recorded.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let counts = sink.counts().await?;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select d.inbox, a.ap_id, d.state from delivery_history d join outbox_activity a on a.id = d.activity_id",
    )
    .fetch_all(&pool)
    .await?;
    let mut once = 0u64;
    let mut lost = 0u64;
    let mut duplicates = 0u64;
    let mut twice_or_more = 0u64;
    let mut not_delivered_rows = 0u64;
    let mut wanted: HashMap<String, ()> = HashMap::with_capacity(rows.len());
    for (inbox, activity, state) in &rows {
        if state != "delivered" {
            not_delivered_rows += 1;
        }
        let port = url::Url::parse(inbox)?
            .port()
            .ok_or_else(|| anyhow::anyhow!("{inbox} has no port"))?;
        let key = format!("{port} {activity}");
        match counts.get(&key).copied().unwrap_or(0) {
            0 => lost += 1,
            1 => once += 1,
            n => {
                twice_or_more += 1;
                duplicates += u64::from(n - 1);
            }
        }
        wanted.insert(key, ());
    }
    let strays = counts.keys().filter(|k| !wanted.contains_key(*k)).count();
    pool.close().await;
    sink.stop().await?;

    let met = lost == 0 && not_delivered_rows == 0 && rows.len() as u64 == expected;
    let mut table = Table::new(&["measurement", "figure"]);
    table.row(vec![
        "deliveries (100 announces × 200 servers)".into(),
        thousands(expected as f64),
    ]);
    table.row(vec![
        "SIGKILL after / arrivals by then / recorded delivered by then".into(),
        format!(
            "{:.1} s / {} / {}",
            killed_after.as_secs_f64(),
            thousands(at_kill as f64),
            thousands(recorded_at_kill as f64)
        ),
    ]);
    table.row(vec![
        "restart → all recorded delivered".into(),
        format!(
            "{:.1} s (lease {LEASE_SECS} s)",
            finished_after.as_secs_f64()
        ),
    ]);
    table.row(vec![
        "delivered exactly once".into(),
        thousands(once as f64),
    ]);
    table.row(vec!["lost (goal: 0)".into(), thousands(lost as f64)]);
    table.row(vec![
        "duplicates (extra arrivals) / deliveries that arrived twice or more".into(),
        format!(
            "{} / {}",
            thousands(duplicates as f64),
            thousands(twice_or_more as f64)
        ),
    ]);
    table.row(vec![
        "rows not in state delivered / arrivals nobody queued".into(),
        format!("{not_delivered_rows} / {strays}"),
    ]);
    table.row(vec![
        "first worker's rate until the kill".into(),
        rate(at_kill as f64 / killed_after.as_secs_f64().max(1e-9)),
    ]);
    let outcome = Outcome {
        scenario: "crash",
        value: lost as f64,
        unit: "lost",
        baseline: expected as f64,
        goal: 0.0,
        met,
    };
    Ok(Report::new(
        "Crash: a delivery worker process SIGKILLed halfway through 20,000 deliveries, then restarted.",
        table,
        outcome,
    )
    .note(format!(
        "Worker settings: concurrency {CONCURRENCY}, per_host_concurrency 8, lease {LEASE_SECS} s, poll 100 ms; rows the killed worker had claimed wait for their lease, then the new worker sends them again."
    ))
    .note("The RESULT value is the number of deliveries lost; its baseline the number queued; goal 0 lost."))
}
