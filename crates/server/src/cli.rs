//! The command line: `hearth serve`, `hearth migrate` and `hearth admin …`, each a thin layer over
//! the library. Every failure ends as one line on stderr and a non-zero exit code.

use crate::app::{Application, shutdown_signal};
use crate::database::{Database, IfMissing};
use clap::{Args, Parser, Subcommand};
use hearth_core::{Settings, Username};
use hearth_db::embedded::WhenInUse;
use hearth_service::ServiceContext;
use secrecy::SecretString;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

/// Hearth: a federated community server (ActivityPub Groups, FEP-1b12).
#[derive(Debug, Parser)]
#[command(name = "hearth", version, about, long_about = None)]
pub struct Cli {
    /// A TOML file whose keys override the defaults (see config/default.toml for every key).
    /// Environment variables HEARTH__SECTION__KEY override both.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Hearth's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server. Without database.url, Hearth starts its own PostgreSQL cluster in
    /// <data_dir>/postgres (creating it on the first start) and stops it on exit (SIGINT/SIGTERM).
    Serve,
    /// Deliver activities to other servers, and nothing else (no HTTP). Run as many as needed
    /// beside `hearth serve` on the same database; set `federation.delivery.workers = false` on
    /// the servers to leave all sending to them.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate(InitArg),
    /// Administer the instance from the command line.
    Admin(Admin),
}

/// `--init`: create the embedded cluster when `<data_dir>/postgres` has none.
#[derive(Debug, Args)]
pub struct InitArg {
    /// Create Hearth's database in <data_dir> if there is none yet. Without it, a command finds
    /// no database where it looks and stops, rather than starting a new, empty instance there.
    #[arg(long, global = true)]
    pub init: bool,
}

/// `hearth admin …`: the command, and whether it may create the database.
#[derive(Debug, Args)]
pub struct Admin {
    /// Whether to create the database when there is none.
    #[command(flatten)]
    pub init: InitArg,
    /// The administrative command.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// Administrative commands; they work whether or not the server is running, on its database
/// (`database.url`, or the embedded cluster in <data_dir>).
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a local account. The password is read from a prompt, or from the first line of
    /// standard input when it is not a terminal.
    CreateUser(CreateUser),
    /// Show the delivery queue per destination server.
    Queue,
    /// Ban someone from this instance (`name` or `name@host`).
    Ban(BanArgs),
    /// Lift a ban from this instance.
    Unban(UserArg),
    /// Stop federating with a domain (and its subdomains).
    Block(DomainArg),
    /// Federate with a blocked domain again.
    Unblock(DomainArg),
    /// List registration applications waiting for a decision.
    Applications,
    /// Approve a registration application by id.
    Approve(ApplicationArg),
    /// Deny a registration application by id.
    Deny(DenyArgs),
    /// Make a local account an administrator.
    MakeAdmin(UserArg),
    /// Take administrator rights from a local account.
    UnmakeAdmin(UserArg),
    /// Pictures: storage used, pruning unused files, purging one picture everywhere.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Back up the database (a consistent pg_dump, beside a running server) and the picture
    /// directory into DIR, which must be empty or not exist; a manifest.json is written last.
    Backup(BackupDir),
    /// Restore a backup made by `hearth admin backup`: into a data directory with no database
    /// yet (the embedded cluster is created for it), or into the empty database at database.url.
    Restore(BackupDir),
}

/// The directory of `hearth admin backup` and `hearth admin restore`.
#[derive(Debug, Args)]
pub struct BackupDir {
    /// The backup directory.
    pub dir: PathBuf,
}

/// `hearth admin media …`
#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Show the storage pictures use.
    Usage,
    /// Remove files no post, profile or community shows any more (and uploads nobody used within
    /// `media.unattached_grace_secs`), files the database does not know, and evict the cache of
    /// other servers' images down to `media.remote_cache_bytes`.
    Prune(PruneArgs),
    /// Remove a picture everywhere: every avatar, icon, banner and post image showing it, and
    /// its files (or the cached copy of another server's picture).
    Purge(PurgeArg),
}

/// Arguments of `hearth admin media prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Keep unused uploads younger than this many seconds (default: media.unattached_grace_secs).
    #[arg(long)]
    pub grace_secs: Option<u64>,
}

/// Arguments of `hearth admin media purge`.
#[derive(Debug, Args)]
pub struct PurgeArg {
    /// The picture's URL (ours or another server's) or its 64-digit hash.
    pub target: String,
}

/// A user: `name` for local accounts, `name@host` for remote people.
#[derive(Debug, Args)]
pub struct UserArg {
    /// `name` or `name@host`.
    pub user: String,
}

/// Arguments of `hearth admin ban`.
#[derive(Debug, Args)]
pub struct BanArgs {
    /// `name` or `name@host`.
    pub user: String,
    /// Why.
    #[arg(long)]
    pub reason: Option<String>,
    /// When the ban ends (RFC 3339, e.g. 2027-01-01T00:00:00Z); until lifted when absent.
    #[arg(long)]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Also remove everything they wrote.
    #[arg(long)]
    pub remove_data: bool,
}

/// A domain: `example.org` (subdomains included) or `host:port`.
#[derive(Debug, Args)]
pub struct DomainArg {
    /// The domain.
    pub domain: String,
}

/// A registration application.
#[derive(Debug, Args)]
pub struct ApplicationArg {
    /// The application's id (see `hearth admin applications`).
    pub id: i64,
}

/// Arguments of `hearth admin deny`.
#[derive(Debug, Args)]
pub struct DenyArgs {
    /// The application's id.
    pub id: i64,
    /// Why; the applicant sees it when signing in.
    #[arg(long)]
    pub reason: Option<String>,
}

/// Arguments of `hearth admin create-user`.
#[derive(Debug, Args)]
pub struct CreateUser {
    /// The username: 3 to 30 characters of a-z, 0-9 and _.
    pub name: String,
    /// Make the account an administrator of this instance.
    #[arg(long)]
    pub admin: bool,
}

/// What a one-shot command does when it finds no database: create it with `--init`, else stop.
fn if_missing(init: &InitArg) -> IfMissing {
    if init.init {
        IfMissing::Create
    } else {
        IfMissing::Fail {
            remedy: "or add --init to create one",
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate(init) => {
            let db = Database::open(&settings, WhenInUse::Share, if_missing(&init)).await?;
            let result = hearth_db::migrations::run(&db.pool).await;
            let status = hearth_db::migrations::status(&db.pool).await;
            db.close().await?;
            result?;
            let status = status?;
            println!(
                "migrations applied: {} of {}",
                status.applied, status.expected
            );
            Ok(())
        }
        Command::Admin(admin) => {
            let missing = if_missing(&admin.init);
            match admin.command {
                AdminCommand::CreateUser(args) => create_user(settings, missing, args).await,
                AdminCommand::Queue => queue(settings, missing).await,
                AdminCommand::Backup(args) => {
                    let manifest = crate::backup::backup(&settings, &args.dir).await?;
                    println!(
                        "backed up schema {} and {} files to {}",
                        manifest.schema.unwrap_or(0),
                        manifest.files.len(),
                        args.dir.display()
                    );
                    Ok(())
                }
                AdminCommand::Restore(args) => {
                    let manifest = crate::backup::restore(&settings, &args.dir).await?;
                    println!(
                        "restored the backup of {} (schema {}); start Hearth with `hearth serve`",
                        manifest.created_at.format("%Y-%m-%d %H:%M UTC"),
                        manifest.schema.unwrap_or(0)
                    );
                    Ok(())
                }
                command => administer(settings, missing, command).await,
            }
        }
        Command::Worker => worker(settings).await,
    }
}

async fn worker(settings: Arc<Settings>) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.federation.enabled,
        "federation is off (`federation.enabled = false`): there is nothing to deliver or apply"
    );
    let missing = IfMissing::Fail {
        remedy: "or run `hearth serve` with this data directory first",
    };
    let db = Database::open(&settings, WhenInUse::Share, missing).await?;
    let status = hearth_db::migrations::status(&db.pool).await;
    let result = async {
        hearth_db::migrations::check_not_newer(&db.pool).await?;
        let status = status?;
        anyhow::ensure!(
            status.applied == status.expected,
            "the database is not migrated ({} of {} migrations): run `hearth migrate` or start `hearth serve` first",
            status.applied,
            status.expected
        );
        let stop = tokio_util::sync::CancellationToken::new();
        let workers = tokio::spawn(hearth_federation::delivery::run(
            db.pool.clone(),
            settings.clone(),
            hearth_federation::delivery::DeliveryMetrics::default(),
            stop.clone(),
        ));
        // Applying received activities may relay them and fetch what they refer to: it needs
        // the outbox and the federation configuration `hearth serve` builds.
        let ctx = hearth_service::ServiceContext::new(db.pool.clone(), settings.clone()).with_outbox(
            std::sync::Arc::new(hearth_federation::outbox::FederatedOutbox::new(settings.clone())),
        );
        // The people and communities applying looks up are kept while their changes are heard.
        let lookups = tokio::spawn(hearth_service::lookups::listen(
            ctx.clone(),
            stop.clone().cancelled_owned(),
        ));
        // An instance `hearth serve` never provisioned (no instance keys yet) has received
        // nothing to apply: this worker then only delivers.
        let applying = match hearth_federation::config(ctx).await {
            Ok(config) => Some(tokio::spawn(hearth_federation::inbox_apply::run(
                config,
                hearth_federation::inbox_apply::ApplyMetrics::default(),
                stop.clone(),
            ))),
            Err(e) => {
                tracing::warn!(error = %e, "not applying received activities: start `hearth serve` once first");
                None
            }
        };
        tracing::info!("Hearth worker delivering and applying received activities");
        shutdown_signal().await;
        stop.cancel();
        workers.await?;
        if let Some(applying) = applying {
            applying.await?;
        }
        lookups.await?;
        Ok(())
    }
    .await;
    db.close().await?;
    result?;
    tracing::info!("Hearth worker stopped");
    Ok(())
}

/// The administrative commands that act as an administrator of this instance.
async fn administer(
    settings: Arc<Settings>,
    missing: IfMissing,
    command: AdminCommand,
) -> anyhow::Result<()> {
    let db = Database::open(&settings, WhenInUse::Share, missing).await?;
    let result = async {
        hearth_db::migrations::run(&db.pool).await?;
        let mut ctx = ServiceContext::new(db.pool.clone(), settings.clone());
        if settings.federation.enabled {
            ctx = ctx.with_outbox(Arc::new(hearth_federation::outbox::FederatedOutbox::new(
                settings.clone(),
            )));
        }
        let (person_id, name) = hearth_db::person::first_admin(&db.pool)
            .await?
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "there is no administrator yet: create one with `hearth admin create-user --admin NAME`"
                )
            })?;
        // The command line acts as the oldest administrator (who signs what is federated).
        let admin = hearth_service::auth::Viewer {
            person_id,
            name,
            admin: true,
            token_id: 0,
            // Whoever runs the command line has the machine; no second factor is asked.
            second_factor_missing: false,
            // The command line reads from the primary.
            last_write_at: None,
        };
        run_admin(&ctx, &admin, command).await
    }
    .await;
    db.close().await?;
    result
}

async fn run_admin(
    ctx: &ServiceContext,
    admin: &hearth_service::auth::Viewer,
    command: AdminCommand,
) -> anyhow::Result<()> {
    match command {
        AdminCommand::Ban(args) => {
            let form = hearth_service::admin::SiteBanForm {
                user: args.user.clone(),
                reason: args.reason,
                expires_at: args.expires_at,
                remove_data: args.remove_data,
            };
            hearth_service::admin::ban(ctx, admin, form)
                .await
                .map_err(for_operator)?;
            println!("banned {}", args.user);
        }
        AdminCommand::Unban(args) => {
            hearth_service::admin::unban(ctx, admin, &args.user)
                .await
                .map_err(for_operator)?;
            println!("unbanned {}", args.user);
        }
        AdminCommand::Block(args) => {
            let (domain, changed) = hearth_service::policy::block_domain(ctx, &args.domain, true)
                .await
                .map_err(for_operator)?;
            println!(
                "{} {}",
                if changed {
                    "blocked"
                } else {
                    "already blocked:"
                },
                domain
            );
        }
        AdminCommand::Unblock(args) => {
            let (domain, changed) = hearth_service::policy::block_domain(ctx, &args.domain, false)
                .await
                .map_err(for_operator)?;
            println!(
                "{} {}",
                if changed {
                    "unblocked"
                } else {
                    "was not blocked here:"
                },
                domain
            );
        }
        AdminCommand::Applications => {
            let rows = hearth_service::applications::list(ctx, admin, Some("pending"), None, 1000)
                .await
                .map_err(for_operator)?;
            if rows.is_empty() {
                println!("no applications are waiting");
            } else {
                print!("{}", applications_table(&rows));
            }
        }
        AdminCommand::Approve(args) => {
            hearth_service::applications::approve(ctx, admin, args.id)
                .await
                .map_err(for_operator)?;
            println!("approved application {}", args.id);
        }
        AdminCommand::Deny(args) => {
            hearth_service::applications::deny(ctx, admin, args.id, args.reason.as_deref())
                .await
                .map_err(for_operator)?;
            println!("denied application {}", args.id);
        }
        AdminCommand::MakeAdmin(args) => {
            hearth_service::users::set_admin(ctx, admin, &args.user, true)
                .await
                .map_err(for_operator)?;
            println!("{} is an administrator", args.user);
        }
        AdminCommand::UnmakeAdmin(args) => {
            hearth_service::users::set_admin(ctx, admin, &args.user, false)
                .await
                .map_err(for_operator)?;
            println!("{} is no longer an administrator", args.user);
        }
        AdminCommand::Media(MediaCommand::Usage) => {
            let usage = hearth_service::media::usage(ctx)
                .await
                .map_err(for_operator)?;
            println!("storage: {}", ctx.media.kind());
            println!(
                "uploads: {} files ({} bytes with thumbnails), {} uploads",
                usage.files, usage.file_bytes, usage.uploads
            );
            println!(
                "other servers' images: {} cached ({} bytes of at most {})",
                usage.remote_images, usage.remote_bytes, ctx.settings.media.remote_cache_bytes
            );
        }
        AdminCommand::Media(MediaCommand::Prune(args)) => {
            let pruned = hearth_service::media::prune(ctx, args.grace_secs)
                .await
                .map_err(for_operator)?;
            println!(
                "removed {} unused files and {} unknown ones; evicted {} cached images",
                pruned.files, pruned.orphans, pruned.evicted
            );
        }
        AdminCommand::Media(MediaCommand::Purge(args)) => {
            let purged = hearth_service::media::purge(ctx, &args.target)
                .await
                .map_err(for_operator)?;
            println!(
                "emptied {} image slots; {}",
                purged.slots,
                if purged.removed {
                    "the files are removed"
                } else {
                    "no stored file had this name"
                }
            );
        }
        AdminCommand::CreateUser(_)
        | AdminCommand::Queue
        | AdminCommand::Backup(_)
        | AdminCommand::Restore(_) => {}
    }
    Ok(())
}

async fn queue(settings: Arc<Settings>, missing: IfMissing) -> anyhow::Result<()> {
    let db = Database::open(&settings, WhenInUse::Share, missing).await?;
    let rows = hearth_db::federation::queue(&db.pool).await;
    let inbox = hearth_db::inbox_queue::summary(&db.pool).await;
    db.close().await?;
    print!("{}", queue_table(&rows?));
    print!("{}", inbox_line(&inbox?));
    Ok(())
}

/// The inbox queue in one line: what waits to be applied and what was refused when applied.
pub fn inbox_line(summary: &hearth_db::inbox_queue::Summary) -> String {
    let oldest = summary
        .oldest_pending_secs
        .map_or_else(|| "-".to_owned(), |s| format!("{s:.0}s"));
    format!(
        "inbox: {} waiting to be applied (oldest {oldest}, {} retrying), {} refused and {} failed when applied (GET /api/v1/admin/federation/inbox lists them)\n",
        summary.pending, summary.retrying, summary.refused, summary.failed
    )
}

/// Pending registration applications as a text table, under a header row.
pub fn applications_table(rows: &[hearth_db::application::ApplicationRow]) -> String {
    use std::fmt::Write;
    let id_width = rows
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(0)
        .max(2);
    let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(4);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>id_width$}  {:<name_width$}  {:<16}  ANSWER",
        "ID", "NAME", "APPLIED"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:>id_width$}  {:<name_width$}  {:<16}  {}",
            r.id,
            r.name,
            r.created_at.format("%Y-%m-%d %H:%M"),
            r.answer.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    out
}

/// The queue as a text table: one line per destination server, then the totals.
pub fn queue_table(rows: &[hearth_db::federation::HostQueue]) -> String {
    use std::fmt::Write;
    let age = |secs: Option<f64>| match secs {
        None => "-".to_owned(),
        Some(s) if s < 120.0 => format!("{s:.0}s"),
        Some(s) if s < 7200.0 => format!("{:.0}m", s / 60.0),
        Some(s) => format!("{:.1}h", s / 3600.0),
    };
    let width = rows
        .iter()
        .map(|r| r.authority.len())
        .max()
        .unwrap_or(4)
        .max(5);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>8}  {:>7}  {:>9}  {:>9}  {:>9}  {:>6}  {:<5}  {:<20}  LAST ERROR",
        "HOST",
        "PENDING",
        "OLDEST",
        "IN FLIGHT",
        "SENT/1H",
        "FAILED/1H",
        "DEAD",
        "STATE",
        "NEXT PROBE"
    );
    let (mut pending, mut flight, mut sent, mut failed, mut dead, mut down) = (0, 0, 0, 0, 0, 0);
    let mut oldest: Option<f64> = None;
    for r in rows {
        pending += r.pending;
        flight += r.in_flight;
        sent += r.delivered_last_hour;
        failed += r.failures_last_hour;
        dead += r.dead;
        down += i64::from(r.state == "down");
        oldest = match (oldest, r.oldest_pending_secs) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let state = match r.down_since {
            Some(since) if r.state == "down" => {
                format!("down since {}", since.format("%Y-%m-%d %H:%M"))
            }
            _ => r.state.clone(),
        };
        let probe = r
            .next_probe_at
            .map(|p| p.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".to_owned());
        let error: String = r
            .last_error
            .as_deref()
            .unwrap_or("-")
            .chars()
            .take(60)
            .collect();
        let _ = writeln!(
            out,
            "{:<width$}  {:>8}  {:>7}  {:>9}  {:>9}  {:>9}  {:>6}  {:<5}  {:<20}  {}",
            r.authority,
            r.pending,
            age(r.oldest_pending_secs),
            r.in_flight,
            r.delivered_last_hour,
            r.failures_last_hour,
            r.dead,
            state,
            probe,
            error.replace('\n', " ")
        );
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:>8}  {:>7}  {:>9}  {:>9}  {:>9}  {:>6}  {} down",
        "TOTAL",
        pending,
        age(oldest),
        flight,
        sent,
        failed,
        dead,
        down
    );
    out
}

async fn serve(settings: Arc<Settings>) -> anyhow::Result<()> {
    let db = Database::open(&settings, WhenInUse::Refuse, IfMissing::Create).await?;
    let result = async {
        let app = Application::build(settings.clone(), db.pool.clone()).await?;
        tracing::info!(
            address = %app.local_addr()?,
            hostname = %settings.hostname,
            "Hearth is listening"
        );
        match app.metrics_addr()? {
            Some(address) => tracing::info!(address = %address, "metrics are served at /metrics"),
            None => tracing::info!("metrics are off (`metrics.bind` is empty)"),
        }
        app.run_until(shutdown_signal()).await
    }
    .await;
    let closed = db.close().await;
    result?;
    closed?;
    tracing::info!("Hearth stopped");
    Ok(())
}

async fn create_user(
    settings: Arc<Settings>,
    missing: IfMissing,
    args: CreateUser,
) -> anyhow::Result<()> {
    let name = Username::parse(&args.name, "NAME").map_err(for_operator)?;
    crate::database::check_exists(&settings, missing)?;
    let password = read_password()?;
    let db = Database::open(&settings, WhenInUse::Share, missing).await?;
    let result = async {
        hearth_db::migrations::run(&db.pool).await?;
        let ctx = ServiceContext::new(db.pool.clone(), settings.clone());
        hearth_service::accounts::create_local(&ctx, &name, password, args.admin)
            .await
            .map_err(for_operator)
    }
    .await;
    db.close().await?;
    let created = result?;
    println!(
        "created {}{}",
        created.name,
        if created.admin {
            " (administrator)"
        } else {
            ""
        }
    );
    Ok(())
}

/// An operator at a terminal may see the internal cause a client never does.
fn for_operator(error: hearth_core::Error) -> anyhow::Error {
    let message = error.kind.message();
    match error.source {
        Some(source) => source.context(message),
        None => anyhow::anyhow!(message),
    }
}

fn read_password() -> anyhow::Result<SecretString> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat the password: ")?;
        anyhow::ensure!(first == second, "the two passwords differ");
        Ok(SecretString::from(first))
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        anyhow::ensure!(!password.is_empty(), "no password on standard input");
        Ok(SecretString::from(password))
    }
}
