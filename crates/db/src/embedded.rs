//! Hearth's private PostgreSQL cluster: found, initialised, started and stopped by Hearth itself
//! when no database URL is configured, so `hearth serve` and the test suite need nothing running
//! beforehand. The cluster listens only on a Unix socket inside its own directory (no TCP) with
//! trust authentication, and runs as an unprivileged system user when Hearth runs as root,
//! because PostgreSQL refuses to run as root.

use nix::unistd::{Gid, Uid, User};
use sqlx::postgres::PgConnectOptions;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The database superuser initdb creates; only reachable through the private socket.
pub const SUPERUSER: &str = "hearth";
/// The port number names the socket file (`.s.PGSQL.5432`); nothing listens on TCP.
const PORT: u16 = 5432;
/// The longest Unix socket path the kernel accepts (sun_path is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// How to find and run the cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The cluster directory (PGDATA), e.g. `<data_dir>/postgres`.
    pub dir: PathBuf,
    /// Directories to search for the binaries; empty means PATH, then `/usr/lib/postgresql/*/bin`.
    pub bin_dirs: Vec<PathBuf>,
    /// The system user to run PostgreSQL as when Hearth runs as root.
    pub run_as: String,
    /// False for throwaway test clusters: fsync and full-page writes off.
    pub durable: bool,
    /// The PATH to search when `bin_dirs` is empty (passed in, never read from a global).
    pub path_env: Option<OsString>,
}

/// What to do when another Hearth process already runs this cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenInUse {
    /// Refuse: this process must own the cluster (`hearth serve`).
    Refuse,
    /// Connect to the running cluster without owning it (one-shot CLI commands).
    Share,
}

/// Why the cluster could not be used. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No initdb/pg_ctl/postgres anywhere we looked.
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found in {searched}; install them with `apt-get install postgresql`, or set database.url (HEARTH__DATABASE__URL) to use an existing PostgreSQL server"
    )]
    NoBinaries {
        /// The places searched, for the message.
        searched: String,
    },
    /// The cluster needs a PostgreSQL version that is not installed.
    #[error(
        "the cluster in {dir} was made by PostgreSQL {needed}, but only PostgreSQL {found} is installed; install the package postgresql-{needed}, or upgrade the cluster with pg_upgrade"
    )]
    VersionMissing {
        /// The cluster directory.
        dir: String,
        /// Its major version (PG_VERSION).
        needed: u32,
        /// The installed major versions.
        found: String,
    },
    /// Hearth runs as root and the configured system user does not exist.
    #[error(
        "Hearth runs as root and PostgreSQL refuses to, but the system user `{user}` to run it as does not exist; install the postgresql package (it creates `postgres`) or set database.run_as"
    )]
    NoSuchUser {
        /// The configured user name.
        user: String,
    },
    /// A parent directory of the cluster blocks the unprivileged user.
    #[error(
        "the PostgreSQL user `{user}` cannot enter {blocked}, a parent of the cluster directory; set data_dir to a directory it can reach, e.g. data_dir = \"/var/lib/hearth\" (or HEARTH__DATA_DIR=/var/lib/hearth)"
    )]
    NotTraversable {
        /// The user PostgreSQL runs as.
        user: String,
        /// The first directory it cannot enter.
        blocked: String,
    },
    /// The existing cluster directory belongs to somebody else.
    #[error(
        "the cluster directory {dir} belongs to uid {actual}, but PostgreSQL would run as `{user}` (uid {expected}); fix its owner (chown -R) or set database.run_as"
    )]
    WrongOwner {
        /// The cluster directory.
        dir: String,
        /// The user PostgreSQL runs as.
        user: String,
        /// That user's uid.
        expected: u32,
        /// The directory's owner.
        actual: u32,
    },
    /// Another Hearth process holds the cluster.
    #[error(
        "another Hearth process is already running the database in {dir}; stop it first, or use a different data_dir"
    )]
    InUse {
        /// The cluster directory.
        dir: String,
    },
    /// The socket path would exceed what the kernel accepts.
    #[error(
        "the cluster directory {dir} is too long a path for PostgreSQL's Unix socket (at most {max} bytes with the socket name); choose a shorter data_dir"
    )]
    PathTooLong {
        /// The cluster directory.
        dir: String,
        /// The limit.
        max: usize,
    },
    /// A PostgreSQL program failed.
    #[error("{what} failed: {detail}")]
    Command {
        /// What was attempted.
        what: String,
        /// The last meaningful line it printed, and where its log is.
        detail: String,
    },
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was attempted.
        context: String,
        /// The I/O error.
        source: io::Error,
    },
}

fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> ClusterError {
    let context = context.into();
    move |source| ClusterError::Io { context, source }
}

/// One installation of the PostgreSQL server programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The directory holding initdb, pg_ctl and postgres (symlinks resolved).
    pub dir: PathBuf,
    /// The major version, e.g. 15.
    pub major: u32,
}

/// Finds every PostgreSQL installation in the search path, newest first.
pub fn find_binaries(options: &ClusterOptions) -> Vec<Binaries> {
    let mut found: Vec<Binaries> = Vec::new();
    for dir in search_dirs(options) {
        let initdb = dir.join("initdb");
        let Ok(real) = fs::canonicalize(&initdb) else {
            continue;
        };
        let Some(real_dir) = real.parent().map(Path::to_path_buf) else {
            continue;
        };
        if found.iter().any(|b| b.dir == real_dir) {
            continue;
        }
        let complete = ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|p| is_executable(&real_dir.join(p)));
        if !complete {
            continue;
        }
        if let Some(major) = major_version(&real_dir) {
            found.push(Binaries {
                dir: real_dir,
                major,
            });
        }
    }
    found.sort_by_key(|b| std::cmp::Reverse(b.major));
    found
}

fn search_dirs(options: &ClusterOptions) -> Vec<PathBuf> {
    if !options.bin_dirs.is_empty() {
        return options.bin_dirs.clone();
    }
    let mut dirs: Vec<PathBuf> = options
        .path_env
        .as_ref()
        .map(|p| std::env::split_paths(p).collect())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    debian.sort();
    dirs.extend(debian);
    dirs
}

fn describe_search(options: &ClusterOptions) -> String {
    if options.bin_dirs.is_empty() {
        "PATH and /usr/lib/postgresql/*/bin".to_owned()
    } else {
        options
            .bin_dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Reads the major version from `postgres --version` ("postgres (PostgreSQL) 15.18 (Debian …)").
fn major_version(bin_dir: &Path) -> Option<u32> {
    let out = Command::new(bin_dir.join("postgres"))
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split(')').nth(1)?.split_whitespace().next()?;
    version.split('.').next()?.parse().ok()
}

/// The system user PostgreSQL runs as, when it is not Hearth's own.
#[derive(Debug, Clone)]
struct Owner {
    name: String,
    uid: Uid,
    gid: Gid,
}

fn owner_for(options: &ClusterOptions) -> Result<Option<Owner>, ClusterError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = User::from_name(&options.run_as)
        .ok()
        .flatten()
        .ok_or_else(|| ClusterError::NoSuchUser {
            user: options.run_as.clone(),
        })?;
    Ok(Some(Owner {
        name: options.run_as.clone(),
        uid: user.uid,
        gid: user.gid,
    }))
}

/// Checks that `owner` may enter every existing ancestor of `dir`. The child process drops all
/// supplementary groups, so only the owner's primary group counts.
fn check_traversable(dir: &Path, owner: &Owner) -> Result<(), ClusterError> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.mode();
        let bit = if meta.uid() == owner.uid.as_raw() {
            0o100
        } else if meta.gid() == owner.gid.as_raw() {
            0o010
        } else {
            0o001
        };
        if mode & bit == 0 {
            return Err(ClusterError::NotTraversable {
                user: owner.name.clone(),
                blocked: ancestor.display().to_string(),
            });
        }
    }
    Ok(())
}

/// True when `dir` holds a cluster (`PG_VERSION`, written by initdb). A directory this user may
/// not read (it belongs to the user PostgreSQL runs as) counts as one: `start` says what is
/// wrong with it, where "no cluster here" would mislead.
pub fn cluster_exists(dir: &Path) -> bool {
    match fs::metadata(dir.join("PG_VERSION")) {
        Ok(_) => true,
        Err(e) => e.kind() == io::ErrorKind::PermissionDenied,
    }
}

/// A running cluster. Dropping one that this process started stops it.
#[derive(Debug)]
pub struct EmbeddedCluster {
    dir: PathBuf,
    binaries: Binaries,
    owner: Option<Owner>,
    /// True when this process started the cluster and must stop it.
    owns_cluster: bool,
    /// Held for as long as this process owns the cluster.
    _lock: Option<File>,
}

impl EmbeddedCluster {
    /// Initialises the cluster if needed, starts it and waits until it accepts connections.
    /// Blocking: call it from `spawn_blocking` in async code.
    pub fn start(options: &ClusterOptions, when_in_use: WhenInUse) -> Result<Self, ClusterError> {
        let dir = absolute(&options.dir)?;
        let socket_len = dir.as_os_str().len() + format!("/.s.PGSQL.{PORT}").len();
        if socket_len > MAX_SOCKET_PATH {
            return Err(ClusterError::PathTooLong {
                dir: dir.display().to_string(),
                max: MAX_SOCKET_PATH,
            });
        }
        let owner = owner_for(options)?;
        if let Some(owner) = &owner {
            check_traversable(&dir, owner)?;
        }
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent)
                .map_err(io_err(format!("cannot create {}", parent.display())))?;
        }
        let lock_path = dir.with_extension("lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(format!("cannot open {}", lock_path.display())))?;
        let binaries_of = |options: &ClusterOptions| select_binaries(options, &dir);
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                if when_in_use == WhenInUse::Share && dir.join("postmaster.pid").exists() {
                    return Ok(Self {
                        binaries: binaries_of(options)?,
                        dir,
                        owner,
                        owns_cluster: false,
                        _lock: None,
                    });
                }
                return Err(ClusterError::InUse {
                    dir: dir.display().to_string(),
                });
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(io_err(format!("cannot lock {}", lock_path.display()))(e));
            }
        }
        let binaries = binaries_of(options)?;
        let mut cluster = Self {
            dir,
            binaries,
            owner,
            owns_cluster: false,
            _lock: Some(lock),
        };
        if !cluster.dir.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        cluster.write_settings(options.durable)?;
        cluster.clear_stale_pid()?;
        cluster.pg_ctl_start()?;
        cluster.owns_cluster = true;
        Ok(cluster)
    }

    /// The cluster directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The PostgreSQL major version the cluster runs.
    pub fn major_version(&self) -> u32 {
        self.binaries.major
    }

    /// Connection options for `database` over the private socket.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.dir)
            .port(PORT)
            .username(SUPERUSER)
            .database(database)
    }

    /// The same as a URL, for tools and child processes (`DATABASE_URL`).
    pub fn url(&self, database: &str) -> String {
        let mut url = format!("postgres://{SUPERUSER}@localhost:{PORT}/{database}");
        url.push_str("?host=");
        url.push_str(&percent_encode_path(&self.dir));
        url
    }

    /// Creates `name` unless it exists.
    pub async fn ensure_database(&self, name: &str) -> sqlx::Result<()> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect_with(&self.connect_options("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            let quoted = format!("\"{}\"", name.replace('"', "\"\""));
            sqlx::query(&format!("create database {quoted}"))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await
    }

    /// Stops the cluster if this process started it; waits until it is down.
    pub fn stop(mut self) -> Result<(), ClusterError> {
        self.stop_now()
    }

    /// Leaves the cluster running after this handle is gone (the test wrapper stops it later).
    pub fn leave_running(mut self) {
        self.owns_cluster = false;
    }

    /// Stops a cluster started earlier by another process (the test wrapper's `stop`).
    pub fn stop_dir(options: &ClusterOptions) -> Result<(), ClusterError> {
        let dir = absolute(&options.dir)?;
        if !dir.join("postmaster.pid").exists() {
            return Ok(());
        }
        let cluster = Self {
            binaries: select_binaries(options, &dir)?,
            owner: owner_for(options)?,
            dir,
            owns_cluster: true,
            _lock: None,
        };
        cluster.stop()
    }

    fn stop_now(&mut self) -> Result<(), ClusterError> {
        if !self.owns_cluster {
            return Ok(());
        }
        self.owns_cluster = false;
        let out = self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "60", "-s"])?;
        // "is server running?" means it is already down: nothing to stop.
        if !out.status.success() && self.dir.join("postmaster.pid").exists() {
            return Err(self.failure("stopping PostgreSQL", &out));
        }
        tracing::info!(dir = %self.dir.display(), "embedded PostgreSQL stopped");
        Ok(())
    }

    fn initdb(&self) -> Result<(), ClusterError> {
        let created = !self.dir.exists();
        fs::create_dir_all(&self.dir)
            .map_err(io_err(format!("cannot create {}", self.dir.display())))?;
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
            .map_err(io_err(format!("cannot restrict {}", self.dir.display())))?;
        self.chown(&self.dir)?;
        tracing::info!(dir = %self.dir.display(), version = self.binaries.major, "initialising the embedded PostgreSQL cluster");
        let dir = self.dir.display().to_string();
        let out = self.run(
            "initdb",
            &[
                "-D",
                &dir,
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=reject",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-instructions",
            ],
        )?;
        if !out.status.success() {
            if created {
                // A half-made cluster would block every later start; the next try starts clean.
                let _ = fs::remove_dir_all(&self.dir);
            }
            return Err(self.failure("initdb", &out));
        }
        Ok(())
    }

    /// Writes `hearth.conf` (included from postgresql.conf) with what Hearth needs: no TCP, the
    /// socket in the cluster directory and only for its owner.
    fn write_settings(&self, durable: bool) -> Result<(), ClusterError> {
        let socket_dir = self.dir.display().to_string().replace('\'', "''");
        let mut conf = format!(
            "# Written by Hearth at every start; put your own settings in postgresql.conf.\n\
             listen_addresses = ''\n\
             port = {PORT}\n\
             unix_socket_directories = '{socket_dir}'\n\
             unix_socket_permissions = 0700\n\
             max_connections = 200\n"
        );
        if !durable {
            conf.push_str("fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n");
        }
        let conf_path = self.dir.join("hearth.conf");
        write_file(&conf_path, &conf)?;
        self.chown(&conf_path)?;
        let main_conf = self.dir.join("postgresql.conf");
        let current = fs::read_to_string(&main_conf)
            .map_err(io_err(format!("cannot read {}", main_conf.display())))?;
        let include = "include_if_exists = 'hearth.conf'";
        if !current.contains(include) {
            let mut file = File::options()
                .append(true)
                .open(&main_conf)
                .map_err(io_err(format!("cannot open {}", main_conf.display())))?;
            writeln!(
                file,
                "\n# Hearth's settings (written at every start).\n{include}"
            )
            .map_err(io_err(format!("cannot write {}", main_conf.display())))?;
        }
        Ok(())
    }

    /// A `postmaster.pid` left by a crash: if its process is gone (or is not a PostgreSQL of this
    /// cluster) the file is stale and removed; if an orphaned server of this cluster still runs
    /// (Hearth was killed, PostgreSQL was not), it is stopped so we start clean. We hold the lock,
    /// so no other Hearth process owns it.
    fn clear_stale_pid(&self) -> Result<(), ClusterError> {
        let pid_file = self.dir.join("postmaster.pid");
        let Ok(contents) = fs::read_to_string(&pid_file) else {
            return Ok(());
        };
        let pid: Option<i32> = contents.lines().next().and_then(|l| l.trim().parse().ok());
        let ours = pid.is_some_and(|pid| {
            let proc_dir = PathBuf::from(format!("/proc/{pid}"));
            let comm = fs::read_to_string(proc_dir.join("comm")).unwrap_or_default();
            let cwd = fs::read_link(proc_dir.join("cwd")).ok();
            comm.trim() == "postgres" && cwd.as_deref() == Some(self.dir.as_path())
        });
        if ours {
            tracing::warn!(
                pid,
                "an orphaned PostgreSQL of this cluster is running; restarting it"
            );
            let out = self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "60", "-s"])?;
            if !out.status.success() {
                return Err(self.failure("stopping the orphaned PostgreSQL", &out));
            }
        } else {
            tracing::warn!(file = %pid_file.display(), "removing a stale postmaster.pid");
            fs::remove_file(&pid_file)
                .map_err(io_err(format!("cannot remove {}", pid_file.display())))?;
        }
        Ok(())
    }

    fn pg_ctl_start(&self) -> Result<(), ClusterError> {
        let log = self.log_path().display().to_string();
        let out = self.pg_ctl(&["start", "-l", &log, "-w", "-t", "60", "-s"])?;
        if !out.status.success() {
            return Err(self.failure("starting PostgreSQL", &out));
        }
        tracing::info!(dir = %self.dir.display(), version = self.binaries.major, "embedded PostgreSQL started");
        Ok(())
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<Output, ClusterError> {
        let dir = self.dir.display().to_string();
        let mut all = vec!["-D", dir.as_str()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// Runs a PostgreSQL program as the cluster's owner, in its own process group so that a
    /// Ctrl-C meant for Hearth does not reach PostgreSQL: Hearth stops it in order instead.
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, ClusterError> {
        let mut cmd = Command::new(self.binaries.dir.join(program));
        cmd.args(args)
            .current_dir("/")
            .process_group(0)
            .stdin(std::process::Stdio::null());
        if let Some(owner) = &self.owner {
            cmd.uid(owner.uid.as_raw()).gid(owner.gid.as_raw());
        }
        cmd.output()
            .map_err(io_err(format!("cannot run {program}")))
    }

    fn chown(&self, path: &Path) -> Result<(), ClusterError> {
        if let Some(owner) = &self.owner {
            std::os::unix::fs::chown(path, Some(owner.uid.as_raw()), Some(owner.gid.as_raw()))
                .map_err(io_err(format!("cannot chown {}", path.display())))?;
        }
        Ok(())
    }

    /// One line for a failed program: its last complaint, and the log to read for more.
    fn failure(&self, what: &str, out: &Output) -> ClusterError {
        let printed = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let log = fs::read_to_string(self.log_path()).unwrap_or_default();
        let last = |text: &str| {
            text.lines()
                .rev()
                .find(|l| l.contains("FATAL") || l.contains("ERROR"))
                .or_else(|| text.lines().rev().find(|l| !l.trim().is_empty()))
                .map(|l| l.trim().to_owned())
        };
        let detail = last(&log)
            .filter(|_| what.contains("PostgreSQL"))
            .or_else(|| last(&printed))
            .unwrap_or_else(|| format!("exit status {}", out.status));
        ClusterError::Command {
            what: what.to_owned(),
            detail: format!("{detail} (log: {})", self.log_path().display()),
        }
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop_now() {
            tracing::error!(error = %e, "could not stop the embedded PostgreSQL");
        }
    }
}

fn select_binaries(options: &ClusterOptions, dir: &Path) -> Result<Binaries, ClusterError> {
    let installed = find_binaries(options);
    let needed: Option<u32> = fs::read_to_string(dir.join("PG_VERSION"))
        .ok()
        .and_then(|v| v.trim().parse().ok());
    match needed {
        Some(needed) => installed
            .iter()
            .find(|b| b.major == needed)
            .cloned()
            .ok_or_else(|| {
                if installed.is_empty() {
                    ClusterError::NoBinaries {
                        searched: describe_search(options),
                    }
                } else {
                    ClusterError::VersionMissing {
                        dir: dir.display().to_string(),
                        needed,
                        found: installed
                            .iter()
                            .map(|b| b.major.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                }
            }),
        None => installed
            .into_iter()
            .next()
            .ok_or_else(|| ClusterError::NoBinaries {
                searched: describe_search(options),
            }),
    }
}

fn absolute(path: &Path) -> Result<PathBuf, ClusterError> {
    std::path::absolute(path).map_err(io_err(format!("cannot resolve {}", path.display())))
}

fn write_file(path: &Path, contents: &str) -> Result<(), ClusterError> {
    fs::write(path, contents).map_err(io_err(format!("cannot write {}", path.display())))
}

fn percent_encode_path(path: &Path) -> String {
    let mut out = String::new();
    for byte in path.as_os_str().as_encoded_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(*byte))
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(bin_dirs: Vec<PathBuf>) -> ClusterOptions {
        ClusterOptions {
            dir: PathBuf::from("/nonexistent/hearth/postgres"),
            bin_dirs,
            run_as: "postgres".to_owned(),
            durable: true,
            path_env: None,
        }
    }

    #[test]
    fn an_empty_search_path_names_the_package_to_install() {
        let empty = tempfile_dir();
        let err =
            select_binaries(&options(vec![empty.clone()]), Path::new("/nonexistent")).unwrap_err();
        let line = err.to_string();
        assert!(line.contains("apt-get install postgresql"), "{line}");
        assert!(line.contains("database.url"), "{line}");
        assert!(!line.contains('\n'));
        let _ = fs::remove_dir_all(empty);
    }

    #[test]
    fn socket_paths_are_url_encoded() {
        assert_eq!(
            percent_encode_path(Path::new("/tmp/a b/pg")),
            "%2Ftmp%2Fa%20b%2Fpg"
        );
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hearth-empty-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
