//! The PostgreSQL cluster of one harness run: Hearth's own embedded cluster (the code
//! `hearth serve` uses), durable (fsync and synchronous commit on, as in production), in a
//! throwaway directory under /tmp that the `postgres` user can reach. Each scenario gets a
//! fresh, migrated database in it.

use hearth_db::embedded::{ClusterOptions, EmbeddedCluster, WhenInUse};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The running cluster.
pub struct BenchCluster {
    cluster: Option<EmbeddedCluster>,
    root: PathBuf,
    statements: bool,
}

impl BenchCluster {
    fn options(root: &Path) -> ClusterOptions {
        ClusterOptions {
            dir: root.join("postgres"),
            bin_dirs: Vec::new(),
            run_as: "postgres".to_owned(),
            durable: true,
            path_env: std::env::var_os("PATH"),
        }
    }

    /// Initialises and starts a durable cluster in /tmp/hearth-bench-<pid>. With `statements`,
    /// pg_stat_statements is preloaded (one restart).
    pub async fn start(statements: bool) -> anyhow::Result<Self> {
        let root = PathBuf::from(format!("/tmp/hearth-bench-{}", std::process::id()));
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        std::fs::create_dir_all(&root)?;
        // PostgreSQL runs as `postgres` when we are root: it must be able to enter the directory.
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755))?;
        let started = Self::start_in(&root, statements).await;
        if started.is_err() {
            // A cluster that did start was stopped when its handle dropped; leave nothing.
            let _ = std::fs::remove_dir_all(&root);
        }
        started
    }

    async fn start_in(root: &Path, statements: bool) -> anyhow::Result<Self> {
        let options = Self::options(root);
        let start = {
            let options = options.clone();
            move || EmbeddedCluster::start(&options, WhenInUse::Refuse)
        };
        let mut cluster = tokio::task::spawn_blocking(start.clone()).await??;
        if statements {
            let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await?;
            sqlx::query("alter system set shared_preload_libraries = 'pg_stat_statements'")
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            tokio::task::spawn_blocking(move || cluster.stop()).await??;
            cluster = tokio::task::spawn_blocking(start).await??;
            // Planning time too: the library is loaded now, so its settings exist.
            let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await?;
            sqlx::query("alter system set pg_stat_statements.track_planning = on")
                .execute(&mut conn)
                .await?;
            sqlx::query("select pg_reload_conf()")
                .execute(&mut conn)
                .await?;
            conn.close().await?;
        }
        Ok(Self {
            cluster: Some(cluster),
            root: root.to_path_buf(),
            statements,
        })
    }

    fn cluster(&self) -> anyhow::Result<&EmbeddedCluster> {
        self.cluster
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the cluster is stopped"))
    }

    /// The PostgreSQL major version.
    pub fn major_version(&self) -> u32 {
        self.cluster
            .as_ref()
            .map_or(0, EmbeddedCluster::major_version)
    }

    /// PGDATA (for the postmaster's pid, to measure the cluster's CPU).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("postgres")
    }

    /// A directory for the run's scratch files.
    pub fn scratch(&self) -> &Path {
        &self.root
    }

    /// Creates a fresh database `name` (dropping one left by an earlier scenario) and migrates it.
    pub async fn database(&self, name: &str) -> anyhow::Result<BenchDb> {
        let cluster = self.cluster()?;
        let mut conn = PgConnection::connect_with(&cluster.connect_options("postgres")).await?;
        sqlx::query(&format!("drop database if exists \"{name}\" with (force)"))
            .execute(&mut conn)
            .await?;
        sqlx::query(&format!("create database \"{name}\""))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let db = BenchDb {
            options: cluster.connect_options(name),
            url: cluster.url(name),
            statements: self.statements,
        };
        let pool = db.pool(2).await?;
        hearth_db::migrations::run(&pool).await?;
        if self.statements {
            sqlx::query("create extension if not exists pg_stat_statements")
                .execute(&pool)
                .await?;
        }
        pool.close().await;
        Ok(db)
    }

    /// Stops the cluster and removes its directory.
    pub fn stop(mut self) -> anyhow::Result<()> {
        if let Some(cluster) = self.cluster.take() {
            cluster.stop()?;
        }
        std::fs::remove_dir_all(&self.root)?;
        Ok(())
    }
}

impl Drop for BenchCluster {
    fn drop(&mut self) {
        if let Some(cluster) = self.cluster.take() {
            let _ = cluster.stop();
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// One scenario's database.
#[derive(Clone)]
pub struct BenchDb {
    /// How to connect.
    pub options: PgConnectOptions,
    /// The same as a URL, for child processes.
    pub url: String,
    statements: bool,
}

impl BenchDb {
    /// A pool of at most `max` connections.
    pub async fn pool(&self, max: u32) -> anyhow::Result<PgPool> {
        Ok(hearth_db::connect(self.options.clone(), max).await?)
    }

    /// The same database, every connection opened with a run-time parameter set (an
    /// experiment's variant).
    pub fn with_parameter(&self, name: &str, value: &str) -> Self {
        Self {
            options: self.options.clone().options([(name, value)]),
            url: self.url.clone(),
            statements: self.statements,
        }
    }

    /// Forgets pg_stat_statements' figures so far (when enabled).
    pub async fn reset_statements(&self, pool: &PgPool) {
        if self.statements {
            let _ = sqlx::query("select pg_stat_statements_reset()")
                .execute(pool)
                .await;
        }
    }

    /// Prints the statements that took the most time since the last reset (when enabled), per
    /// `per` units of work (e.g. per activity).
    pub async fn print_statements(&self, pool: &PgPool, what: &str, per: f64) {
        if !self.statements {
            return;
        }
        let rows: Result<Vec<(String, i64, f64, f64)>, _> = sqlx::query_as(
            "select regexp_replace(query, '\\s+', ' ', 'g'), calls, total_exec_time, total_plan_time
             from pg_stat_statements s join pg_database d on d.oid = s.dbid
             where d.datname = current_database()
             order by total_exec_time desc limit 25",
        )
        .fetch_all(pool)
        .await;
        match rows {
            Ok(rows) => {
                let total: f64 = rows.iter().map(|r| r.2).sum();
                let planning: f64 = rows.iter().map(|r| r.3).sum();
                println!(
                    "\npg_stat_statements, top statements of {what} ({total:.1} ms executing and {planning:.1} ms planning in these):"
                );
                for (query, calls, time, plan) in rows {
                    let short: String = query.chars().take(140).collect();
                    println!(
                        "  {:>9.1} ms exec {:>8.1} ms plan {:>8} calls {:>6.3} calls/unit {:>7.1} µs exec/unit {:>7.1} µs plan/unit  {short}",
                        time,
                        plan,
                        calls,
                        calls as f64 / per.max(1.0),
                        time * 1000.0 / per.max(1.0),
                        plan * 1000.0 / per.max(1.0)
                    );
                }
            }
            Err(e) => println!("pg_stat_statements unavailable: {e}"),
        }
    }
}
