//! The private PostgreSQL cluster: lifecycle, ownership when root, and its failure messages.

use hearth_db::embedded::{ClusterError, ClusterOptions, EmbeddedCluster, WhenInUse};
use sqlx::Connection;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A temp directory the unprivileged PostgreSQL user can enter (tempfile makes them 0700).
pub(crate) fn traversable_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// A throwaway cluster in `dir/postgres`, run as `postgres` when we are root, without fsync.
pub(crate) fn options(dir: &Path) -> ClusterOptions {
    ClusterOptions {
        dir: dir.join("postgres"),
        bin_dirs: Vec::new(),
        run_as: "postgres".to_owned(),
        durable: false,
        path_env: std::env::var_os("PATH"),
    }
}

async fn start(options: &ClusterOptions, when: WhenInUse) -> Result<EmbeddedCluster, ClusterError> {
    let options = options.clone();
    tokio::task::spawn_blocking(move || EmbeddedCluster::start(&options, when))
        .await
        .unwrap()
}

async fn stop(cluster: EmbeddedCluster) {
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap()
        .unwrap();
}

async fn connect(cluster: &EmbeddedCluster, db: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect_with(&cluster.connect_options(db))
        .await
        .unwrap()
}

fn postmaster_pid(dir: &Path) -> Option<i32> {
    std::fs::read_to_string(dir.join("postmaster.pid"))
        .ok()?
        .lines()
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Running (not a zombie waiting for init to reap it).
fn process_alive(pid: i32) -> bool {
    let status =
        std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/status"))).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("State:"))
        .is_some_and(|state| !state.contains('Z') && !state.contains('X'))
}

/// Polls until the process has exited, with a deadline: exit follows `pg_ctl stop` closely
/// but not atomically.
async fn exited(pid: i32) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn embedded_cluster_starts_keeps_data_across_restarts_and_stops() {
    let tmp = traversable_tempdir();
    let opts = options(tmp.path());

    let cluster = start(&opts, WhenInUse::Refuse).await.unwrap();
    cluster.ensure_database("kept").await.unwrap();
    let mut conn = connect(&cluster, "kept").await;
    sqlx::query("create table note (body text)")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("insert into note values ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let pid = postmaster_pid(&opts.dir).expect("a running cluster has a postmaster.pid");
    assert!(process_alive(pid));
    stop(cluster).await;
    assert!(exited(pid).await, "the postmaster is gone after stop");
    assert!(postmaster_pid(&opts.dir).is_none());

    let cluster = start(&opts, WhenInUse::Refuse).await.unwrap();
    cluster.ensure_database("kept").await.unwrap();
    let mut conn = connect(&cluster, "kept").await;
    let body: String = sqlx::query_scalar("select body from note")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(body, "still here");
    conn.close().await.unwrap();
    stop(cluster).await;
}

#[tokio::test]
async fn embedded_cluster_runs_as_the_configured_user_when_hearth_is_root() {
    let tmp = traversable_tempdir();
    let opts = options(tmp.path());
    let cluster = start(&opts, WhenInUse::Refuse).await.unwrap();
    let pid = postmaster_pid(&opts.dir).unwrap();
    let process_uid = std::fs::metadata(format!("/proc/{pid}")).unwrap().uid();
    let dir_uid = std::fs::metadata(&opts.dir).unwrap().uid();
    let expected = if nix::unistd::geteuid().is_root() {
        nix::unistd::User::from_name("postgres")
            .unwrap()
            .unwrap()
            .uid
            .as_raw()
    } else {
        nix::unistd::geteuid().as_raw()
    };
    assert_ne!(process_uid, 0, "PostgreSQL never runs as root");
    assert_eq!(process_uid, expected);
    assert_eq!(dir_uid, expected);
    assert_eq!(std::fs::metadata(&opts.dir).unwrap().mode() & 0o777, 0o700);
    stop(cluster).await;
}

#[tokio::test]
async fn a_second_process_cannot_take_a_running_cluster_but_may_share_it() {
    let tmp = traversable_tempdir();
    let opts = options(tmp.path());
    let owner = start(&opts, WhenInUse::Refuse).await.unwrap();
    // A lock taken through another open file description conflicts even within one process.
    let refused = start(&opts, WhenInUse::Refuse).await.unwrap_err();
    assert!(matches!(refused, ClusterError::InUse { .. }), "{refused}");
    assert!(refused.to_string().contains("another Hearth process"));
    let shared = start(&opts, WhenInUse::Share).await.unwrap();
    let mut conn = connect(&shared, "postgres").await;
    sqlx::query("select 1").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    stop(shared).await;
    assert!(
        postmaster_pid(&opts.dir).is_some(),
        "a sharer never stops the owner's cluster"
    );
    stop(owner).await;
}

#[tokio::test]
async fn a_stale_postmaster_pid_from_a_crash_is_cleared() {
    let tmp = traversable_tempdir();
    let opts = options(tmp.path());
    stop(start(&opts, WhenInUse::Refuse).await.unwrap()).await;
    // PID 1 is alive but is not this cluster's postmaster: PostgreSQL alone would refuse to start.
    std::fs::write(opts.dir.join("postmaster.pid"), "1\n/nowhere\n").unwrap();
    let cluster = start(&opts, WhenInUse::Refuse).await.unwrap();
    assert_ne!(postmaster_pid(&opts.dir), Some(1));
    stop(cluster).await;
}

#[tokio::test]
async fn an_orphaned_server_left_by_a_killed_hearth_is_restarted() {
    let tmp = traversable_tempdir();
    let opts = options(tmp.path());
    start(&opts, WhenInUse::Refuse)
        .await
        .unwrap()
        .leave_running();
    let orphan = postmaster_pid(&opts.dir).unwrap();
    let cluster = start(&opts, WhenInUse::Refuse).await.unwrap();
    let fresh = postmaster_pid(&opts.dir).unwrap();
    assert_ne!(orphan, fresh);
    assert!(exited(orphan).await);
    stop(cluster).await;
}

#[tokio::test]
async fn missing_binaries_name_the_package_to_install() {
    let tmp = traversable_tempdir();
    let empty = tmp.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let mut opts = options(tmp.path());
    opts.bin_dirs = vec![empty];
    let err = start(&opts, WhenInUse::Refuse).await.unwrap_err();
    assert!(matches!(err, ClusterError::NoBinaries { .. }), "{err}");
    let line = err.to_string();
    assert!(
        line.contains("apt-get install postgresql") && line.contains("database.url"),
        "{line}"
    );
}

#[tokio::test]
async fn a_cluster_made_by_a_missing_version_names_the_package_and_pg_upgrade() {
    let tmp = traversable_tempdir();
    let opts = options(tmp.path());
    std::fs::create_dir_all(&opts.dir).unwrap();
    std::fs::write(opts.dir.join("PG_VERSION"), "9\n").unwrap();
    let err = start(&opts, WhenInUse::Refuse).await.unwrap_err();
    let line = err.to_string();
    assert!(
        line.contains("postgresql-9") && line.contains("pg_upgrade"),
        "{line}"
    );
}

#[tokio::test]
async fn a_parent_the_postgres_user_cannot_enter_is_named() {
    if !nix::unistd::geteuid().is_root() {
        // Only root hands the cluster to another user; as anyone else the check does not apply.
        eprintln!("not root: the traversal check applies only when Hearth runs as root");
        return;
    }
    let tmp = traversable_tempdir();
    let private = tmp.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let opts = options(&private.join("data"));
    let err = start(&opts, WhenInUse::Refuse).await.unwrap_err();
    assert!(matches!(err, ClusterError::NotTraversable { .. }), "{err}");
    let line = err.to_string();
    assert!(line.contains(&private.display().to_string()), "{line}");
    assert!(line.contains("/var/lib/hearth"), "{line}");
}
