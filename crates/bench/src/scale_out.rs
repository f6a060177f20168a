//! The `scale_out` scenario: Hearth on more than one process. The same inbox load (pre-signed
//! comments and likes, as in `inbox`) and read load (front page, post page, comment tree) go
//! first to one `hearth serve` process alone, then split across two `hearth serve` processes
//! with a `hearth worker` beside them, all on one database and with one hostname. The processes
//! are real: the harness re-executes itself (`scale-child`), which runs `hearth::cli::run` with
//! `serve` or `worker`, the code of the `hearth` binary. Correctness: every activity applied
//! exactly once (comments, votes and received ids counted, waiting with a deadline, since the
//! inbox answers 202 before applying).

use crate::Bench;
use crate::children::Helper;
use crate::load::{self, Mode, RequestSpec, Summary};
use crate::report::{Outcome, Report, Table, ms, rate, ratio, thousands};
use crate::signed::InboxWorld;
use std::time::{Duration, Instant};

/// Distinct activities per phase.
const ACTIVITIES: usize = 2_000;
/// Concurrent connections of each load.
const CONNECTIONS: usize = 16;
/// Each process's pool.
const POOL: u32 = 10;

/// Arguments of the hidden `scale-child` helper.
#[derive(Debug, Clone, clap::Args)]
pub struct ChildArgs {
    /// `serve` or `worker`.
    #[arg(long)]
    role: String,
    /// The port a `serve` process listens on.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Settings, `HEARTH__KEY=value`, repeated.
    #[arg(long = "set")]
    set: Vec<String>,
}

/// The helper: `hearth serve` or `hearth worker` with the given settings; says `ready` once it
/// serves (or, for a worker, once started), and exits when its stdin closes.
pub async fn child(args: &ChildArgs) -> anyhow::Result<()> {
    let overrides: Vec<(&str, String)> = args
        .set
        .iter()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    let settings = crate::instance::settings(args.port, &overrides)?;
    let command = match args.role.as_str() {
        "serve" => hearth::cli::Command::Serve,
        "worker" => hearth::cli::Command::Worker,
        other => anyhow::bail!("unknown role {other}"),
    };
    let cli = hearth::cli::Cli {
        config: None,
        command,
    };
    // Not spawned: the command's future is not `Send`; it runs in this task beside the rest.
    let running = hearth::cli::run(cli, settings);
    tokio::pin!(running);
    let serve = args.role == "serve";
    let port = args.port;
    let announce = async move {
        if serve {
            let client = reqwest::Client::new();
            let url = format!("http://127.0.0.1:{port}/readyz");
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if client
                    .get(&url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
                {
                    break;
                }
                anyhow::ensure!(Instant::now() < deadline, "serve did not get ready");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        println!("ready");
        crate::children::stdin_closed().await;
        Ok(())
    };
    tokio::select! {
        ended = &mut running => {
            ended?;
            anyhow::bail!("`{}` stopped on its own", args.role)
        }
        announced = announce => announced?,
    }
    // Nothing in flight matters now (the parent has counted): end without the shutdown grace.
    std::process::exit(0)
}

/// A free loopback port (bound, then released for the child to bind).
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Starts a `serve` (on a free port, answered) or `worker` process of the site.
async fn process(role: &str, common: &[String]) -> anyhow::Result<(Helper, u16)> {
    let port = if role == "serve" { free_port()? } else { 0 };
    let mut args = vec![
        "scale-child".to_owned(),
        "--role".to_owned(),
        role.to_owned(),
        "--port".to_owned(),
        port.to_string(),
    ];
    for kv in common {
        args.push("--set".to_owned());
        args.push(kv.clone());
    }
    let (helper, _) = Helper::start(&args, Duration::from_secs(60)).await?;
    Ok((helper, port))
}

/// The same request sent to the process on `port`, with the site's `Host` kept (signatures
/// cover it, as a load balancer passing `Host` through keeps it).
fn to_process(request: &RequestSpec, port: u16, host: &str) -> RequestSpec {
    let mut copy = request.clone();
    if let Ok(mut url) = url::Url::parse(&copy.url) {
        let _ = url.set_host(Some("127.0.0.1"));
        let _ = url.set_port(Some(port));
        copy.url = url.to_string();
    }
    copy.headers.push(("host".to_owned(), host.to_owned()));
    copy
}

/// Reads spread over the pages: front page, post pages, comment trees.
fn reads(posts: &[i64], port: u16) -> Vec<RequestSpec> {
    let base = format!("http://127.0.0.1:{port}");
    let mut out = vec![RequestSpec::get(format!("{base}/api/v1/posts?sort=hot"))];
    for id in posts.iter().take(20) {
        out.push(RequestSpec::get(format!("{base}/api/v1/posts/{id}")));
        out.push(RequestSpec::get(format!(
            "{base}/api/v1/posts/{id}/comments"
        )));
    }
    out
}

/// Waits until `world` counts `expected` more (comments, votes, ids) than `before`; answers
/// how long after `since` that was.
async fn applied(
    world: &InboxWorld,
    before: (i64, i64, i64),
    expected: (i64, i64, i64),
    since: Instant,
) -> anyhow::Result<Duration> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let now = world.applied().await?;
        let got = (now.0 - before.0, now.1 - before.1, now.2 - before.2);
        if got == expected {
            return Ok(since.elapsed());
        }
        anyhow::ensure!(
            got.0 <= expected.0 && got.1 <= expected.1 && got.2 <= expected.2,
            "applied more than sent: {got:?} of {expected:?}"
        );
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {got:?} of {expected:?} applied after two minutes"
        );
        // Three counts over whole tables: often enough for the figure, seldom enough not to
        // take the cores the appliers are measured on.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

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

/// What one phase measured.
struct Phase {
    accepted: Summary,
    applied_in: Duration,
    reads: Summary,
}

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let scratch = bench.cluster.scratch();
    // The harness's own instance only sets the site up: it applies and delivers nothing.
    let world = InboxWorld::build_with(
        bench,
        "bench_scale_out",
        4,
        100,
        &[
            (
                "HEARTH__FEDERATION__INBOX__APPLY_WORKERS",
                "false".to_owned(),
            ),
            ("HEARTH__FEDERATION__DELIVERY__WORKERS", "false".to_owned()),
        ],
    )
    .await?;
    let host = world.instance.settings.hostname.to_string();
    let common = vec![
        format!("HEARTH__HOSTNAME={host}"),
        format!("HEARTH__DATABASE__URL={}", world.db.url),
        format!("HEARTH__DATABASE__MAX_CONNECTIONS={POOL}"),
        "HEARTH__FEDERATION__INBOX__PER_INSTANCE__MAX=100000000".to_owned(),
        // Every read must reach the database: two processes' caches would not compare.
        "HEARTH__HTTP__ANONYMOUS_CACHE_MS=0".to_owned(),
    ];
    let post_ids: Vec<i64> = world
        .posts
        .iter()
        .filter_map(|url| url.rsplit('/').next()?.parse().ok())
        .collect();
    let signed = world
        .sign(
            (0..2 * ACTIVITIES)
                .map(|n| world.activity(n, "s"))
                .collect(),
        )
        .await?;
    let (single_load, split_load) = signed.split_at(ACTIVITIES);
    let expected = (
        (ACTIVITIES / 2) as i64,
        (ACTIVITIES - ACTIVITIES / 2) as i64,
        ACTIVITIES as i64,
    );
    let read_mode = Mode::For {
        warmup: Duration::from_millis(300),
        measure: Duration::from_secs(2),
    };

    // One `hearth serve` alone.
    let (first, first_port) = process("serve", &common).await?;
    let single = {
        let requests: Vec<RequestSpec> = single_load
            .iter()
            .map(|r| to_process(r, first_port, &host))
            .collect();
        let before = world.applied().await?;
        let started = Instant::now();
        let accepted = load::run(scratch, &requests, CONNECTIONS, Mode::Once).await?;
        check(&accepted, "single process: activities")?;
        let applied_in = applied(&world, before, expected, started).await?;
        let reads = load::run(
            scratch,
            &reads(&post_ids, first_port),
            CONNECTIONS,
            read_mode,
        )
        .await?;
        check(&reads, "single process: reads")?;
        Phase {
            accepted,
            applied_in,
            reads,
        }
    };

    // Two `hearth serve` and a `hearth worker`, the loads split between the servers.
    let (second, second_port) = process("serve", &common).await?;
    let (worker, _) = process("worker", &common).await?;
    let split = {
        let requests: Vec<RequestSpec> = split_load
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let port = if i % 2 == 0 { first_port } else { second_port };
                to_process(r, port, &host)
            })
            .collect();
        let before = world.applied().await?;
        let started = Instant::now();
        let accepted = load::run(scratch, &requests, CONNECTIONS, Mode::Once).await?;
        check(&accepted, "two processes: activities")?;
        let applied_in = applied(&world, before, expected, started).await?;
        let mut read_requests = reads(&post_ids, first_port);
        read_requests.extend(reads(&post_ids, second_port));
        let reads = load::run(scratch, &read_requests, CONNECTIONS, read_mode).await?;
        check(&reads, "two processes: reads")?;
        Phase {
            accepted,
            applied_in,
            reads,
        }
    };
    // Nothing more arrives later (no activity applied twice by two appliers).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let total = world.applied().await?;
    let failed_rows: i64 =
        sqlx::query_scalar("select count(*) from inbox_queue where state in ('refused', 'failed')")
            .fetch_one(&world.pool)
            .await
            .unwrap_or(-1);
    for helper in [worker, second, first] {
        helper.kill().await?;
    }

    let applied_rate = |p: &Phase| ACTIVITIES as f64 / p.applied_in.as_secs_f64().max(1e-9);
    let inbox_ratio = split.accepted.ok_rate() / single.accepted.ok_rate().max(1e-9);
    let applied_ratio = applied_rate(&split) / applied_rate(&single).max(1e-9);
    let read_ratio = split.reads.ok_rate() / single.reads.ok_rate().max(1e-9);
    let mut table = Table::new(&["measurement", "one process", "two + worker", "ratio"]);
    table.row(vec![
        format!(
            "inbox accepted/s ({} activities, {CONNECTIONS} connections)",
            thousands(ACTIVITIES as f64)
        ),
        rate(single.accepted.ok_rate()),
        rate(split.accepted.ok_rate()),
        ratio(inbox_ratio),
    ]);
    table.row(vec![
        "inbox accepted p50 / p99".into(),
        format!(
            "{} / {}",
            ms(single.accepted.p50()),
            ms(single.accepted.p99())
        ),
        format!(
            "{} / {}",
            ms(split.accepted.p50()),
            ms(split.accepted.p99())
        ),
        String::new(),
    ]);
    table.row(vec![
        "applied/s (first request → all counted)".into(),
        rate(applied_rate(&single)),
        rate(applied_rate(&split)),
        ratio(applied_ratio),
    ]);
    table.row(vec![
        "reads/s (front page, post pages, comment trees)".into(),
        rate(single.reads.ok_rate()),
        rate(split.reads.ok_rate()),
        ratio(read_ratio),
    ]);
    table.row(vec![
        "reads p50 / p99".into(),
        format!("{} / {}", ms(single.reads.p50()), ms(single.reads.p99())),
        format!("{} / {}", ms(split.reads.p50()), ms(split.reads.p99())),
        String::new(),
    ]);
    table.row(vec![
        "applied once: comments, votes, ids (both phases); queue rows refused or failed".into(),
        format!("{}, {}, {}; {failed_rows}", total.0, total.1, total.2),
        format!(
            "{} comments, {} votes, {} ids; 0",
            2 * expected.0,
            2 * expected.1,
            2 * expected.2
        ),
        String::new(),
    ]);
    let correct = failed_rows == 0 && total == (2 * expected.0, 2 * expected.1, 2 * expected.2);
    world.stop().await?;
    let outcome = Outcome {
        scenario: "scale_out",
        value: split.accepted.ok_rate().round(),
        unit: "activities/s",
        baseline: single.accepted.ok_rate().round(),
        // More processes on the same cores cannot beat one by much; the goal is that they do
        // not lose (the ratio is what a second machine would add to).
        goal: 0.9,
        met: correct && inbox_ratio >= 0.9,
    };
    Ok(Report::new(
        "Scale-out: the same inbox and read loads on one `hearth serve`, then split across two `hearth serve` processes with a `hearth worker`, one database, one hostname.",
        table,
        outcome,
    )
    .note(format!(
        "Processes are the harness re-executed as `hearth serve`/`hearth worker` (hearth::cli::run), each with a pool of {POOL}; the activities' Host stays the site's while they are sent to either process, as behind a load balancer. The counts are waited for after the 202s (applying is asynchronous). On a {}-core machine every process shares the same cores as PostgreSQL and the load generator, so the ratio shows the cost or gain of coordination, not what a second machine adds.",
        crate::machine::cores()
    )))
}
