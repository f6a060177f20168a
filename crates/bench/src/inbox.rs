//! The `inbox` scenario: pre-signed comments and likes from 200 remote actors whose keys are
//! stored, posted to the shared inbox over 16 keep-alive connections with synchronous commit,
//! then 10% of them again as replays. Measures accepted activities/s with p50/p99, duplicates/s,
//! CPU per activity, and checks that replays are answered without a signature verification
//! (a replay with a broken signature is still acknowledged; a new one is refused).

use crate::Bench;
use crate::load::{self, Mode, RequestSpec, Summary};
use crate::measure::CpuMeter;
use crate::pg;
use crate::report::{Outcome, Report, Table, ms, rate, ratio, thousands};
use crate::signed::{InboxWorld, with_bad_signature};
use std::time::{Duration, Instant};

/// Arguments of the `inbox` scenario.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Args {
    /// Distinct activities to send (default: as many as fit in the 60 s budget, at most 30,000).
    #[arg(long)]
    pub activities: Option<usize>,
}

/// The figure.
const TARGET: usize = 30_000;
/// Concurrent keep-alive connections.
const CONNECTIONS: usize = 16;
/// Activities sent (and not counted) to warm up and calibrate.
const WARMUP: usize = 600;
/// What the scenario may take, setup included.
const BUDGET: Duration = Duration::from_secs(57);

fn check(summary: &Summary, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        summary.failed() == 0,
        "{what}: {} of {} requests failed; first: {}",
        summary.failed(),
        summary.completed + summary.errors,
        summary.first_failure.as_deref().unwrap_or("?")
    );
    Ok(())
}

/// The scenario.
pub async fn run(bench: &Bench, args: &Args) -> anyhow::Result<Report> {
    let started = Instant::now();
    let scratch = bench.cluster.scratch();
    let data_dir = bench.cluster.data_dir();
    let world = InboxWorld::build(bench, "bench_inbox", 20, 100).await?;
    let setup = started.elapsed();

    // The baseline, on the same database and machine, right before.
    let baseline_pool = world.db.pool(8).await?;
    let baseline = pg::insert_rate(&baseline_pool, 8, Duration::from_secs(2)).await?;
    baseline_pool.close().await;

    // Warm-up and calibration: signing rate and inbox rate on this machine now.
    let signing = Instant::now();
    let warm = world
        .sign((0..WARMUP).map(|n| world.activity(n, "b")).collect())
        .await?;
    let sign_rate = WARMUP as f64 / signing.elapsed().as_secs_f64();
    let calibration = load::run(scratch, &warm, CONNECTIONS, Mode::Once).await?;
    check(&calibration, "warm-up")?;
    world.drained(Duration::from_secs(60)).await?;

    let count = match args.activities {
        Some(n) => n,
        None => {
            let left = BUDGET.saturating_sub(started.elapsed()).as_secs_f64() - 4.0;
            // Sign, send, then send a tenth again (replays are several times cheaper).
            let per_activity = 1.0 / sign_rate
                + 1.0 / calibration.rate().max(1.0)
                + 0.1 / (3.0 * calibration.rate().max(1.0));
            let fit = (left.max(1.0) / per_activity) as usize;
            TARGET.min(fit / 1000 * 1000).max(1000)
        }
    };
    let signing = Instant::now();
    let requests = world
        .sign(
            (WARMUP..WARMUP + count)
                .map(|n| world.activity(n, "b"))
                .collect(),
        )
        .await?;
    let signing = signing.elapsed();
    let replays: Vec<RequestSpec> = requests.iter().step_by(10).cloned().collect();

    let before = world.applied().await?;
    world.db.reset_statements(&world.pool).await;
    // CPU is counted until every accepted activity is applied, not only acknowledged.
    let meter = CpuMeter::start(&data_dir);
    let sending = Instant::now();
    let accepted = load::run(scratch, &requests, CONNECTIONS, Mode::Once).await?;
    let drain = world.drained(Duration::from_secs(120)).await?;
    let applied_in = sending.elapsed();
    let cpu = meter.stop(&data_dir);
    world
        .db
        .print_statements(&world.pool, "inbox, per accepted activity", count as f64)
        .await;
    check(&accepted, "activities")?;
    let after = world.applied().await?;

    let meter = CpuMeter::start(&data_dir);
    let duplicates = load::run(scratch, &replays, CONNECTIONS, Mode::Once).await?;
    let dup_cpu = meter.stop(&data_dir);
    check(&duplicates, "replays")?;
    world.drained(Duration::from_secs(60)).await?;
    let after_replays = world.applied().await?;

    let fetches_measuring = world.sink.stats().await?.gets;
    // Replays with a broken signature must still be acknowledged (nothing is verified), and a
    // new activity with one refused (verification is on).
    let broken: Vec<RequestSpec> = replays.iter().take(100).map(with_bad_signature).collect();
    let broken_replays = load::run(scratch, &broken, 4, Mode::Once).await?;
    let fresh = world
        .sign(vec![world.activity(WARMUP + count, "b")])
        .await?;
    let fresh_broken: Vec<RequestSpec> = fresh.iter().map(with_bad_signature).collect();
    let refused = load::run(scratch, &fresh_broken, 1, Mode::Once).await?;
    let after_probes = world.sink.stats().await?;
    let fetches = format!(
        "{} while measuring, {} after the broken-signature probes (a failed signature makes Hearth refetch the actor's key once{})",
        fetches_measuring,
        after_probes.gets,
        after_probes
            .first_get
            .map_or(String::new(), |g| format!("; first: {g}"))
    );

    let rate_accepted = accepted.ok_rate();
    let p99 = accepted.p99();
    let replays_ok = broken_replays.ok() == broken.len() as u64
        && refused.statuses.get(&401).copied().unwrap_or(0) == 1;
    let applied_ok = after.2 - before.2 == count as i64 && after_replays == after;
    let value = rate_accepted;
    let goal_ratio = 0.5;
    let ratio_ok = value >= goal_ratio * baseline.per_second;
    let p99_ok = p99 < Duration::from_millis(10);
    let met = ratio_ok && p99_ok && replays_ok && applied_ok;

    let per = |d: Duration, n: u64| format!("{:.0} µs", d.as_secs_f64() * 1e6 / n.max(1) as f64);
    let yes = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let mut table = Table::new(&["measurement", "figure", "goal", "met"]);
    let scaled = if count < TARGET {
        format!(
            " (scaled down from {} to fit 60 s)",
            thousands(TARGET as f64)
        )
    } else {
        String::new()
    };
    table.row(vec![
        "distinct activities sent".into(),
        format!("{}{scaled}", thousands(count as f64)),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        format!("accepted/s ({CONNECTIONS} connections)"),
        rate(rate_accepted),
        format!("≥ 0.5 × {}", rate(baseline.per_second)),
        yes(ratio_ok),
    ]);
    table.row(vec![
        "ratio to raw 8-connection insert rate".into(),
        ratio(value / baseline.per_second.max(1e-9)),
        "≥ 0.50".into(),
        yes(ratio_ok),
    ]);
    table.row(vec![
        "accepted p50 / p99".into(),
        format!("{} / {}", ms(accepted.p50()), ms(p99)),
        "p99 < 10 ms".into(),
        yes(p99_ok),
    ]);
    table.row(vec![
        "applied/s (first request → queue empty)".into(),
        rate(count as f64 / applied_in.as_secs_f64().max(1e-9)),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "queue drained after the last acknowledgement".into(),
        ms(drain),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "duplicates/s (10% replayed)".into(),
        rate(duplicates.ok_rate()),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "duplicates p50 / p99".into(),
        format!("{} / {}", ms(duplicates.p50()), ms(duplicates.p99())),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "replays with a broken signature acknowledged; new one refused".into(),
        format!(
            "{} of {}; {}",
            broken_replays.ok(),
            broken.len(),
            refused
                .statuses
                .keys()
                .next()
                .map_or("no answer".to_owned(), |s| format!("HTTP {s}"))
        ),
        "all; HTTP 401".into(),
        yes(replays_ok),
    ]);
    table.row(vec![
        "Hearth CPU per activity / per duplicate".into(),
        format!(
            "{} / {}",
            per(cpu.own, count as u64),
            per(dup_cpu.own, replays.len() as u64)
        ),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "PostgreSQL CPU per activity / per duplicate".into(),
        format!(
            "{} / {}",
            per(cpu.postgres, count as u64),
            per(dup_cpu.postgres, replays.len() as u64)
        ),
        String::new(),
        String::new(),
    ]);
    table.row(vec![
        "applied: comments, votes, ids recorded (replays add none)".into(),
        format!(
            "{}, {}, {}",
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2
        ),
        format!("{} ids", thousands(count as f64)),
        yes(applied_ok),
    ]);
    table.row(vec![
        "raw insert baseline (8 connections, same run)".into(),
        rate(baseline.per_second),
        String::new(),
        String::new(),
    ]);
    world.stop().await?;
    let outcome = Outcome {
        scenario: "inbox",
        value: value.round(),
        unit: "activities/s",
        baseline: baseline.per_second.round(),
        goal: goal_ratio,
        met,
    };
    Ok(Report::new(
        format!(
            "Shared inbox: pre-signed Create{{Note}} and Like from 200 remote actors (keys stored), {CONNECTIONS} keep-alive connections, synchronous commit."
        ),
        table,
        outcome,
    )
    .note(format!(
        "Half comments (top-level, on 100 posts), half likes (each actor–post pair once); 4 distinct RSA keys among the 200 actors; actor fetches seen by the actors' server: {fetches}."
    ))
    .note(format!(
        "Instance pool: 20 connections; load generator in its own process; setup {:.1} s, signing {} activities took {:.1} s ({} /s) before measuring; {} warm-up activities not counted.",
        setup.as_secs_f64(),
        thousands(count as f64),
        signing.as_secs_f64(),
        thousands(sign_rate),
        WARMUP
    ))
    .note(format!(
        "The inbox answers 202 once an activity is verified and durably queued; applying follows in worker tasks of the same process. CPU over the accepted phase until the queue was empty ({:.1} s wall): Hearth {:.1} s, PostgreSQL {:.1} s, of {} cores.",
        cpu.wall.as_secs_f64(),
        cpu.own.as_secs_f64(),
        cpu.postgres.as_secs_f64(),
        crate::machine::cores()
    )))
}
