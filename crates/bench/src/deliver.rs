//! The hidden `deliver` subcommand: a process that does nothing but run Hearth's delivery
//! workers (`delivery::run`) against a database, as `hearth worker` does, so the crash scenario
//! can SIGKILL it mid-flight and start another.

use crate::children::stdin_closed;
use crate::instance;
use hearth_federation::delivery::{self, DeliveryMetrics};
use sqlx::postgres::PgConnectOptions;
use std::str::FromStr;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Arguments of the hidden `deliver` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// The database URL.
    #[arg(long)]
    url: String,
    /// `HEARTH__…=value` settings.
    #[arg(long = "set")]
    set: Vec<String>,
}

/// The settings overrides of a worker, as `--set` arguments.
pub fn set_args(overrides: &[(&str, String)]) -> Vec<String> {
    overrides
        .iter()
        .flat_map(|(k, v)| ["--set".to_owned(), format!("{k}={v}")])
        .collect()
}

/// Runs the workers until stdin closes (or the process is killed).
pub async fn serve(args: &Args) -> anyhow::Result<()> {
    let overrides: Vec<(&str, String)> = args
        .set
        .iter()
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    let settings = Arc::new(instance::settings(9, &overrides)?);
    let options = PgConnectOptions::from_str(&args.url)?;
    let pool = hearth_db::connect(options, settings.database.max_connections).await?;
    let stop = CancellationToken::new();
    let workers = tokio::spawn(delivery::run(
        pool.clone(),
        settings,
        DeliveryMetrics::default(),
        stop.clone(),
    ));
    println!("ready {}", std::process::id());
    stdin_closed().await;
    stop.cancel();
    workers.await?;
    pool.close().await;
    Ok(())
}
