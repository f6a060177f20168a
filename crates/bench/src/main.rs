//! Hearth's benchmark harness: `cargo run --release -p hearth_bench -- <scenario|all>`. Each
//! scenario starts what it needs (an embedded PostgreSQL cluster, Hearth instances, loopback
//! sinks and load generators in child processes), measures its own baseline in the same run,
//! prints one table and a `RESULT` line, and appends its figures to docs/PERFORMANCE.md.

mod children;
mod cluster;
mod crash;
mod crypto;
mod deliver;
mod fanout;
mod inbox;
mod inbox_sequential;
mod instance;
mod load;
mod machine;
mod measure;
mod media;
mod pg;
mod pg_baseline;
mod queue;
mod read;
mod report;
mod scale_out;
mod seed;
mod signed;
mod sink;
mod vote_storm;

use clap::{Parser, Subcommand};
use cluster::BenchCluster;
use report::Report;
use std::path::PathBuf;
use std::time::Instant;

/// The allocator of the `hearth` binary, so the instances measured here behave as the server does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Command-line interface of the harness.
#[derive(Debug, Parser)]
#[command(
    name = "hearth_bench",
    about = "Hearth's benchmark harness: run one scenario, or all of them."
)]
struct Cli {
    /// What to run.
    #[command(subcommand)]
    command: Command,
    /// Do not append the figures to docs/PERFORMANCE.md (trial runs).
    #[arg(long, global = true)]
    no_record: bool,
    /// The file the figures are appended to.
    #[arg(long, global = true)]
    doc: Option<PathBuf>,
    /// Enable pg_stat_statements and print the statements that took the most time in each
    /// scenario's measured phase (for finding where the time goes; not recorded).
    #[arg(long, global = true)]
    statements: bool,
}

/// The scenarios, and the hidden helper processes the harness starts itself.
#[derive(Debug, Subcommand)]
enum Command {
    /// RSA-2048 PKCS#1 v1.5 SHA-256 sign and verify rates, rsa crate and aws-lc-rs.
    Crypto,
    /// Raw sqlx figures: 2 KB JSONB inserts at 1 and 8 connections, 20-row page reads.
    #[command(name = "pg_baseline")]
    PgBaseline,
    /// Signed activities into the shared inbox over 16 connections, then their duplicates.
    Inbox(inbox::Args),
    /// 2,000 activities over one connection, as one Lemmy instance sends them.
    #[command(name = "inbox_sequential")]
    InboxSequential,
    /// One post in a community followed from 2,000 servers.
    Fanout,
    /// 100 votes in a community followed from 200 servers: 20,000 deliveries.
    #[command(name = "vote_storm")]
    VoteStorm,
    /// 50,000 deliveries through the outbox alone (no signing, no HTTP).
    Queue,
    /// 20,000 deliveries; the sender is SIGKILLed halfway and restarted.
    Crash,
    /// Front pages, a community page and a post page of a large instance, JSON and HTML.
    Read,
    /// 20 phone photos uploaded at once (memory); the upload pipeline against the image crate.
    Media,
    /// The inbox and read loads on one `hearth serve`, then on two with a `hearth worker`.
    #[command(name = "scale_out")]
    ScaleOut,
    /// Every scenario, one after another.
    All,
    /// (internal) A loopback sink process: many ports answering 202.
    #[command(hide = true)]
    Sink(sink::Args),
    /// (internal) A load generator process.
    #[command(hide = true)]
    Load(load::Args),
    /// (internal) A delivery worker process.
    #[command(hide = true)]
    Deliver(deliver::Args),
    /// (internal) The peak memory of one upload's processing, in a fresh process.
    #[command(name = "decode-peak", hide = true)]
    DecodePeak(media::PeakArgs),
    /// (internal) Uploads sent at once from a process of their own.
    #[command(name = "upload-burst", hide = true)]
    UploadBurst(media::BurstArgs),
    /// (internal) `hearth serve` or `hearth worker` of the scale_out scenario.
    #[command(name = "scale-child", hide = true)]
    ScaleChild(scale_out::ChildArgs),
}

/// Every scenario, in the order `all` runs them.
const SCENARIOS: [&str; 11] = [
    "crypto",
    "pg_baseline",
    "inbox",
    "inbox_sequential",
    "fanout",
    "vote_storm",
    "queue",
    "crash",
    "read",
    "media",
    "scale_out",
];

/// What every scenario gets: the cluster and the harness options.
pub struct Bench {
    /// The PostgreSQL cluster of this run.
    pub cluster: BenchCluster,
    /// Whether to print pg_stat_statements figures.
    pub statements: bool,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let level = match cli.command {
        Command::Sink(_)
        | Command::Load(_)
        | Command::DecodePeak(_)
        | Command::UploadBurst(_)
        | Command::ScaleChild(_) => "error",
        _ => "warn",
    };
    if let Err(e) = hearth::telemetry::init(level, std::env::var("RUST_LOG").ok()) {
        eprintln!("{e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("hearth_bench: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth_bench: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let names: Vec<&str> = match &cli.command {
        Command::Sink(args) => return sink::serve(args).await,
        Command::Load(args) => return load::serve(args).await,
        Command::Deliver(args) => return deliver::serve(args).await,
        Command::DecodePeak(args) => return media::decode_peak(args),
        Command::UploadBurst(args) => return media::upload_burst(args).await,
        Command::ScaleChild(args) => return scale_out::child(args).await,
        Command::All => SCENARIOS.to_vec(),
        Command::Crypto => vec!["crypto"],
        Command::PgBaseline => vec!["pg_baseline"],
        Command::Inbox(_) => vec!["inbox"],
        Command::InboxSequential => vec!["inbox_sequential"],
        Command::Fanout => vec!["fanout"],
        Command::VoteStorm => vec!["vote_storm"],
        Command::Queue => vec!["queue"],
        Command::Crash => vec!["crash"],
        Command::Read => vec!["read"],
        Command::Media => vec!["media"],
        Command::ScaleOut => vec!["scale_out"],
    };
    let inbox_args = match &cli.command {
        Command::Inbox(args) => args.clone(),
        _ => inbox::Args::default(),
    };
    let doc = cli.doc.clone().unwrap_or_else(report::default_doc);
    let statements = cli.statements;
    let cluster = BenchCluster::start(statements).await?;
    let bench = Bench {
        cluster,
        statements,
    };
    // The checkout the figures belong to: the one holding the doc (docs/PERFORMANCE.md).
    let repo = doc
        .parent()
        .and_then(std::path::Path::parent)
        .map_or_else(|| PathBuf::from("."), std::path::Path::to_path_buf);
    let machine = machine::describe(bench.cluster.major_version(), &repo);
    println!("{}", machine.line());
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for name in names {
        let started = Instant::now();
        println!("\n== {name} ==");
        let outcome = match name {
            "crypto" => crypto::run(&bench).await,
            "pg_baseline" => pg_baseline::run(&bench).await,
            "inbox" => inbox::run(&bench, &inbox_args).await,
            "inbox_sequential" => inbox_sequential::run(&bench).await,
            "fanout" => fanout::run(&bench).await,
            "vote_storm" => vote_storm::run(&bench).await,
            "queue" => queue::run(&bench).await,
            "crash" => crash::run(&bench).await,
            "read" => read::run(&bench).await,
            "media" => media::run(&bench).await,
            "scale_out" => scale_out::run(&bench).await,
            other => Err(anyhow::anyhow!("unknown scenario {other}")),
        };
        match outcome {
            Ok(report) => {
                let report: Report = report.took(started.elapsed());
                report.print();
                if !cli.no_record
                    && let Err(e) = report.append_to(&doc, &machine)
                {
                    eprintln!("hearth_bench: cannot record {name}: {e:#}");
                }
                results.push(report.result_line());
            }
            Err(e) => {
                eprintln!("hearth_bench: scenario {name} failed: {e:#}");
                failures.push(name);
            }
        }
    }
    if results.len() > 1 {
        println!("\n== summary ==");
        for line in &results {
            println!("{line}");
        }
    }
    let stopped = tokio::task::spawn_blocking(move || bench.cluster.stop()).await?;
    if let Err(e) = stopped {
        eprintln!("hearth_bench: stopping the cluster: {e:#}");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("failed scenarios: {}", failures.join(", ")))
    }
}
