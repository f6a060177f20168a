//! Opens the database a process uses: the server at `database.url`, or Hearth's own cluster in
//! `<data_dir>/postgres`, which this module starts and, on `close`, stops.

use hearth_core::Settings;
use hearth_db::embedded::{ClusterOptions, EmbeddedCluster, WhenInUse};
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use std::path::Path;
use std::str::FromStr;

/// The database name inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "hearth";

/// What to do when there is no embedded cluster in `<data_dir>/postgres` yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    /// Make one: `hearth serve`, and the commands given `--init`.
    Create,
    /// Stop with a message naming the directory looked in and `remedy`, creating nothing: a
    /// command run from the wrong folder must not start a new, empty instance there.
    Fail {
        /// What the operator can do, e.g. "or add --init to create one".
        remedy: &'static str,
    },
}

/// A connection pool and, when Hearth runs its own cluster, that cluster.
pub struct Database {
    /// The pool every component shares.
    pub pool: PgPool,
    cluster: Option<EmbeddedCluster>,
}

impl Database {
    /// Connects to `database.url`, or starts the embedded cluster and connects to it.
    pub async fn open(
        settings: &Settings,
        when_in_use: WhenInUse,
        if_missing: IfMissing,
    ) -> anyhow::Result<Self> {
        let max = settings.database.max_connections;
        let acquire_timeout =
            std::time::Duration::from_secs(settings.database.acquire_timeout_secs);
        if let Some(url) = &settings.database.url {
            let options = PgConnectOptions::from_str(url.expose_secret()).map_err(|e| {
                anyhow::anyhow!(
                    "configuration error: `database.url` is not a valid PostgreSQL URL: {e}"
                )
            })?;
            let pool = hearth_db::connect_with_timeout(options, max, acquire_timeout)
                .await
                .map_err(|e| {
                    anyhow::anyhow!("cannot connect to the database at database.url: {e}")
                })?;
            return Ok(Self {
                pool,
                cluster: None,
            });
        }
        check_exists(settings, if_missing)?;
        let options = cluster_options(settings);
        let cluster =
            tokio::task::spawn_blocking(move || EmbeddedCluster::start(&options, when_in_use))
                .await??;
        cluster
            .ensure_database(EMBEDDED_DATABASE)
            .await
            .map_err(|e| {
                anyhow::anyhow!("cannot create the database in the embedded cluster: {e}")
            })?;
        let pool = hearth_db::connect_with_timeout(
            cluster.connect_options(EMBEDDED_DATABASE),
            max,
            acquire_timeout,
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the embedded cluster: {e}"))?;
        Ok(Self {
            pool,
            cluster: Some(cluster),
        })
    }

    /// The embedded cluster, when Hearth runs its own (for `pg_dump` and `pg_restore`).
    pub fn cluster(&self) -> Option<&EmbeddedCluster> {
        self.cluster.as_ref()
    }

    /// Closes the pool, then stops the embedded cluster if this process started it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
        }
        Ok(())
    }
}

/// Under `IfMissing::Fail`, fails naming the directories unless there is a database to open:
/// `database.url`, or the embedded cluster. [`Database::open`] checks it before anything is
/// started or written (the cluster's start makes its directory and lock file); a command that
/// prompts first checks it before prompting.
pub fn check_exists(settings: &Settings, if_missing: IfMissing) -> anyhow::Result<()> {
    let IfMissing::Fail { remedy } = if_missing else {
        return Ok(());
    };
    let cluster_dir = settings.data_dir.join("postgres");
    if settings.database.url.is_some() || hearth_db::embedded::cluster_exists(&cluster_dir) {
        return Ok(());
    }
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let data_dir = absolute(&settings.data_dir);
    if data_dir.is_dir() {
        anyhow::bail!(
            "no Hearth database in the data directory {} (there is no cluster in {}); pass --config, set HEARTH__DATA_DIR, {remedy}",
            data_dir.display(),
            absolute(&cluster_dir).display()
        );
    }
    anyhow::bail!(
        "no Hearth data directory at {}; pass --config, set HEARTH__DATA_DIR, {remedy}",
        data_dir.display()
    )
}

/// Where and how the embedded cluster runs, from the settings.
pub fn cluster_options(settings: &Settings) -> ClusterOptions {
    ClusterOptions {
        dir: settings.data_dir.join("postgres"),
        bin_dirs: settings.database.postgres_bin_dirs.clone(),
        run_as: settings.database.run_as.clone(),
        durable: true,
        path_env: std::env::var_os("PATH"),
    }
}
