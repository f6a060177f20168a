//! The `hearth` binary as an operator meets it: help, configuration mistakes, commands run where
//! there is no database, the embedded cluster's whole life across commands, an external
//! database, and clean output (logs on stderr only, no PostgreSQL notices). Each test runs the
//! real binary as a child process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking; helpers outside #[test] fns count too"
)]

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use sqlx::Connection;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const HEARTH: &str = env!("CARGO_BIN_EXE_hearth");

/// `hearth` with a clean `HEARTH__` environment, logging quietly.
fn hearth(data_dir: &Path) -> Command {
    let mut cmd = Command::new(HEARTH);
    for (key, _) in std::env::vars() {
        if key.starts_with("HEARTH__") {
            cmd.env_remove(key);
        }
    }
    cmd.env("HEARTH__DATA_DIR", data_dir)
        // Servers of tests running at once must not share the default metrics port.
        .env("HEARTH__METRICS__BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    cmd
}

fn traversable_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asserts a failed start: exit code 1 and exactly one line on stderr containing each needle.
fn assert_one_line_failure(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got: {stderr}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "`{needle}` missing from: {}",
            lines[0]
        );
    }
}

async fn wait_ready(port: u16, child: &mut Child) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("hearth exited early with {status}");
        }
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status() == 200
        {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["status"], "ready");
            return;
        }
        assert!(Instant::now() < deadline, "hearth never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn terminate(mut child: Child, signal: Signal) {
    kill(Pid::from_raw(i32::try_from(child.id()).unwrap()), signal).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                status.success(),
                "hearth exited with {status} after {signal:?}"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "hearth did not stop after {signal:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `hearth serve`, logging at info: standard output goes to `<log>.out`, standard error (the
/// log) to `<log>.err`.
fn serve(data_dir: &Path, port: u16, log: &Path) -> Child {
    hearth(data_dir)
        .arg("serve")
        .env("HEARTH__BIND", format!("127.0.0.1:{port}"))
        .env("HEARTH__HOSTNAME", format!("localhost:{port}"))
        .env("RUST_LOG", "info")
        .stdout(std::fs::File::create(log.with_extension("out")).unwrap())
        .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
        .spawn()
        .unwrap()
}

/// Asserts that a server's output, written by [`serve`], is what an operator should see: the
/// log on stderr (it logged its start), nothing on stdout, and no noise from PostgreSQL.
fn assert_clean_server_output(log: &Path) {
    let out = std::fs::read_to_string(log.with_extension("out")).unwrap();
    let err = std::fs::read_to_string(log.with_extension("err")).unwrap();
    assert!(out.is_empty(), "logs go to stderr, not stdout: {out}");
    assert!(err.contains("Hearth is listening"), "{err}");
    assert!(!err.contains("_sqlx_migrations"), "{err}");
    assert!(!err.contains("terminating connection"), "{err}");
}

/// Asserts a command's output is clean: no log line on stdout, no PostgreSQL notice anywhere.
fn assert_clean_command_output(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for level in [" TRACE ", " DEBUG ", " INFO ", " WARN ", " ERROR "] {
        assert!(!stdout.contains(level), "a log line on stdout: {stdout}");
    }
    assert!(!stderr.contains("_sqlx_migrations"), "{stderr}");
}

fn create_user(data_dir: &Path, name: &str, password: &str) -> Output {
    create_user_with(data_dir, name, password, &[])
}

/// `hearth admin create-user NAME --admin` with `extra` arguments, logging at info.
fn create_user_with(data_dir: &Path, name: &str, password: &str, extra: &[&str]) -> Output {
    let mut child = hearth(data_dir)
        .args(["admin", "create-user", name, "--admin"])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

fn cluster_running(data_dir: &Path) -> bool {
    data_dir.join("postgres/postmaster.pid").exists()
}

#[test]
fn help_lists_every_command() {
    let out = Command::new(HEARTH).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for command in ["serve", "worker", "migrate", "admin", "--config"] {
        assert!(text.contains(command), "{command} missing from: {text}");
    }
    let out = Command::new(HEARTH)
        .args(["admin", "create-user", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--admin") && text.contains("standard input"),
        "{text}"
    );
}

#[test]
fn configuration_mistakes_stop_start_up_naming_the_key() {
    let tmp = traversable_tempdir();
    let out = hearth(tmp.path())
        .arg("serve")
        .env("HEARTH__DATABSE__URL", "x")
        .output()
        .unwrap();
    assert_one_line_failure(&out, &["databse", "HEARTH__DATABSE__URL"]);

    let out = hearth(tmp.path())
        .arg("serve")
        .env("HEARTH__BIND", "everywhere")
        .output()
        .unwrap();
    assert_one_line_failure(&out, &["`bind`"]);

    let file = tmp.path().join("hearth.toml");
    std::fs::write(
        &file,
        "hostname = \"hearth.example\"\n[federation]\ndebug_locale = true\n",
    )
    .unwrap();
    let out = hearth(tmp.path())
        .arg("serve")
        .arg("--config")
        .arg(&file)
        .output()
        .unwrap();
    assert_one_line_failure(&out, &["federation.debug_locale", "hearth.toml"]);
    assert!(
        !cluster_running(tmp.path()),
        "nothing starts on a configuration error"
    );
}

#[test]
fn missing_postgresql_binaries_stop_start_up_naming_the_package() {
    let tmp = traversable_tempdir();
    let empty = tmp.path().join("no-binaries-here");
    std::fs::create_dir(&empty).unwrap();
    let out = hearth(&tmp.path().join("data"))
        .arg("serve")
        .env(
            "HEARTH__DATABASE__POSTGRES_BIN_DIRS",
            format!("[\"{}\"]", empty.display()),
        )
        .output()
        .unwrap();
    assert_one_line_failure(&out, &["apt-get install postgresql", "database.url"]);
}

#[test]
fn a_data_dir_the_postgres_user_cannot_reach_stops_start_up() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("not root: the traversal check applies only when Hearth runs as root");
        return;
    }
    let tmp = traversable_tempdir();
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = hearth(&home.join("data")).arg("serve").output().unwrap();
    assert_one_line_failure(&out, &[&home.display().to_string(), "/var/lib/hearth"]);
}

/// Run in a folder with no configuration, where `./data` (the default `data_dir`) does not
/// exist, a command must not start a new, empty instance there: it names the directory it
/// looked for and how to point it at the right one.
#[test]
fn commands_run_where_there_is_no_data_directory_say_so_and_create_nothing() {
    let tmp = traversable_tempdir();
    let expected = tmp.path().canonicalize().unwrap().join("data");
    for (args, remedy) in [
        (&["admin", "applications"][..], "--init"),
        (&["admin", "create-user", "alice", "--admin"][..], "--init"),
        (&["admin", "queue"][..], "--init"),
        (&["migrate"][..], "--init"),
        (&["worker"][..], "hearth serve"),
    ] {
        let mut cmd = Command::new(HEARTH);
        for (key, _) in std::env::vars() {
            if key.starts_with("HEARTH__") {
                cmd.env_remove(key);
            }
        }
        let out = cmd
            .args(args)
            .env_remove("RUST_LOG")
            .current_dir(tmp.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_one_line_failure(
            &out,
            &[
                &format!("no Hearth data directory at {}", expected.display()),
                "--config",
                "HEARTH__DATA_DIR",
                remedy,
            ],
        );
        assert!(out.stdout.is_empty(), "{args:?}");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }
}

#[tokio::test]
async fn the_embedded_cluster_lives_and_stops_with_hearth_and_keeps_its_data() {
    let tmp = traversable_tempdir();
    let data = tmp.path().join("data");
    let log = tmp.path().join("serve");

    // Before the first start there is no database: an admin command says so and creates none…
    let out = create_user(&data, "alice", "a long enough password");
    assert_one_line_failure(&out, &[&data.display().to_string(), "--init"]);
    assert!(!data.exists(), "nothing is created without --init");

    // … unless given --init: then it makes the cluster, starts it, and stops it again. Its
    // output is the result alone; the log (info here) goes to stderr.
    let out = create_user_with(&data, "alice", "a long enough password", &["--init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "created alice (administrator)\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("embedded PostgreSQL started"));
    assert!(!cluster_running(&data));

    // Once it exists, admin commands use it without --init, and migrations already applied
    // make no noise.
    let out = hearth(&data)
        .args(["admin", "applications"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).trim()
        ),
        (Some(0), "no applications are waiting"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("embedded PostgreSQL started"));
    assert_clean_command_output(&out);

    let port = free_port();
    let mut child = serve(&data, port, &log);
    wait_ready(port, &mut child).await;
    assert!(cluster_running(&data));

    // While the server runs, a CLI command shares its cluster; the data from before is there.
    let out = create_user(&data, "alice", "a long enough password");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));
    let out = hearth(&data).arg("migrate").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A second server on the same data refuses, naming the reason.
    let second = hearth(&data)
        .arg("serve")
        .env("HEARTH__BIND", format!("127.0.0.1:{}", free_port()))
        .output()
        .unwrap();
    assert_one_line_failure(&second, &["another Hearth process"]);

    terminate(child, Signal::SIGINT);
    assert!(!cluster_running(&data), "the cluster stops with Hearth");
    assert_clean_server_output(&log);

    // Started again, it reuses the cluster and the data in it.
    let port = free_port();
    let mut child = serve(&data, port, &log);
    wait_ready(port, &mut child).await;
    let out = create_user(&data, "alice", "a long enough password");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));
    assert_clean_command_output(&out);
    terminate(child, Signal::SIGTERM);
    assert!(!cluster_running(&data));
    assert_clean_server_output(&log);
}

#[tokio::test]
async fn a_database_url_is_used_and_no_cluster_is_started() {
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL is not set: run the tests with scripts/test");
    let name = format!("hearth_cli_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("create database \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));

    let tmp = traversable_tempdir();
    let data = tmp.path().join("data");
    let port = free_port();
    let mut child = hearth(&data)
        .arg("serve")
        .env("HEARTH__DATABASE__URL", url.as_str())
        .env("HEARTH__BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_ready(port, &mut child).await;
    assert!(
        !data.join("postgres").exists(),
        "no cluster is made when database.url is set"
    );
    terminate(child, Signal::SIGTERM);

    // Hearth migrated the database it was given.
    let mut conn = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        applied,
        i64::try_from(hearth_db::MIGRATOR.iter().count()).unwrap()
    );
    conn.close().await.unwrap();
}

/// `hearth worker` runs beside the database and stops cleanly on a signal; `hearth admin queue`
/// prints the queue per destination server.
#[tokio::test]
async fn the_worker_and_the_queue_commands_work_on_a_shared_database() {
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL is not set: run the tests with scripts/test");
    let name = format!("hearth_cli_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("create database \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    let tmp = traversable_tempdir();
    let data = tmp.path().join("data");

    // A worker refuses an unmigrated database, naming the fix.
    let out = hearth(&data)
        .arg("worker")
        .env("HEARTH__DATABASE__URL", url.as_str())
        .output()
        .unwrap();
    assert_one_line_failure(&out, &["hearth migrate"]);
    let out = hearth(&data)
        .arg("migrate")
        .env("HEARTH__DATABASE__URL", url.as_str())
        .output()
        .unwrap();
    assert!(out.status.success());

    // One delivery waiting for a server, not yet due.
    let mut conn = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    sqlx::query(
        "with a as (insert into outbox_activity (ap_id, actor_ap_id, kind, payload)
                    values ('https://here.example/activities/like/1', 'https://here.example/u/a', 'Like', '{}')
                    returning id)
         insert into delivery (activity_id, inbox, authority, next_attempt_at, last_error)
         select id, 'https://far.example/inbox', 'far.example', now() + interval '1 hour', 'HTTP 502: Bad Gateway' from a",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let out = hearth(&data)
        .args(["admin", "queue"])
        .env("HEARTH__DATABASE__URL", url.as_str())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    let line = table
        .lines()
        .find(|l| l.starts_with("far.example"))
        .unwrap_or_else(|| panic!("{table}"));
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(columns[1], "1", "one pending: {table}");
    assert!(line.contains("HTTP 502"), "{table}");
    let mut lines = table.lines().rev();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("inbox: 0 waiting to be applied"),
        "the inbox queue's line comes last: {table}"
    );
    assert!(lines.next().unwrap().starts_with("TOTAL"), "{table}");

    let worker = hearth(&data)
        .arg("worker")
        .env("HEARTH__DATABASE__URL", url.as_str())
        .env("HEARTH__HOSTNAME", "here.example")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    terminate(worker, Signal::SIGTERM);
}

/// The administrative commands an operator runs against the database: blocking domains,
/// banning, admin rights, applications.
#[tokio::test]
async fn admin_commands_block_ban_and_grant_from_the_command_line() {
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL is not set: run the tests with scripts/test");
    let name = format!("hearth_cli_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
    sqlx::query(&format!("create database \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    let tmp = traversable_tempdir();
    let data = tmp.path().join("data");
    let run = |args: &[&str]| {
        let out = hearth(&data)
            .args(args)
            .env("HEARTH__DATABASE__URL", url.as_str())
            .env("RUST_LOG", "info")
            .output()
            .unwrap();
        assert_clean_command_output(&out);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Without an administrator, the commands say how to make one.
    let (code, _, err) = run(&["admin", "block", "spam.example"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("create-user --admin"), "{err}");

    for (user, admin) in [("root", true), ("member", false)] {
        let mut child = hearth(&data)
            .args(["admin", "create-user", user])
            .args(admin.then_some("--admin"))
            .env("HEARTH__DATABASE__URL", url.as_str())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "correct horse battery staple").unwrap();
        assert!(child.wait_with_output().unwrap().status.success());
    }
    let (code, out, err) = run(&["admin", "block", "Spam.Example"]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), "blocked spam.example"),
        "{err}"
    );
    let (code, out, _) = run(&["admin", "unblock", "spam.example"]);
    assert_eq!((code, out.trim()), (Some(0), "unblocked spam.example"));
    let (code, _, err) = run(&["admin", "block", "not a domain"]);
    assert_eq!(code, Some(1), "{err}");

    let (code, out, err) = run(&["admin", "ban", "member", "--reason", "spam"]);
    assert_eq!((code, out.trim()), (Some(0), "banned member"), "{err}");
    let mut conn = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    let banned: bool = sqlx::query_scalar("select site_banned from person where name = 'member'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(banned);
    let (code, _, _) = run(&["admin", "unban", "member"]);
    assert_eq!(code, Some(0));

    let (code, out, _) = run(&["admin", "make-admin", "member"]);
    assert_eq!((code, out.trim()), (Some(0), "member is an administrator"));
    let (code, _, _) = run(&["admin", "unmake-admin", "member"]);
    assert_eq!(code, Some(0));
    let (code, _, err) = run(&["admin", "unmake-admin", "root"]);
    assert_eq!(code, Some(1), "the last administrator stays: {err}");
    let is_admin: bool = sqlx::query_scalar(
        "select a.admin from local_account a join person p on p.id = a.person_id where p.name = 'member'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!is_admin);

    // Applications waiting are listed under a header row, and decided by id.
    let id: i64 = sqlx::query_scalar(
        "insert into registration_application (person_id, answer)
         select id, 'I grow tomatoes,
         and beans' from person where name = 'member' returning id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let (code, out, err) = run(&["admin", "applications"]);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["ID", "NAME", "APPLIED", "ANSWER"], "{out}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(row[..2], [id.to_string().as_str(), "member"], "{out}");
    assert!(lines[1].ends_with("I grow tomatoes, and beans"), "{out}");
    let (code, out, _) = run(&["admin", "approve", &id.to_string()]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), format!("approved application {id}").as_str())
    );
    let (code, out, _) = run(&["admin", "applications"]);
    assert_eq!((code, out.trim()), (Some(0), "no applications are waiting"));

    // Pictures: the storage figures, and a prune that removes an unused file (its row and its
    // three objects) and a file the database never knew, and nothing else.
    let media = data.join("media");
    let unused = "a".repeat(64);
    let unknown = "b".repeat(64);
    std::fs::create_dir_all(&media).unwrap();
    for key in [
        unused.clone(),
        format!("{unused}.thumbnail"),
        format!("{unused}.blurred"),
        unknown.clone(),
    ] {
        std::fs::write(media.join(key), b"x").unwrap();
    }
    let mut conn = sqlx::PgConnection::connect(url.as_str()).await.unwrap();
    sqlx::query(
        "insert into media (hash, content_type, byte_size, width, height, thumbnail_type,
                            thumbnail_size, blurred_size, created_at)
         values ($1, 'image/jpeg', 1, 1, 1, 'image/jpeg', 1, 1, now() - interval '2 days')",
    )
    .bind(&unused)
    .execute(&mut conn)
    .await
    .unwrap();
    let (code, out, err) = run(&["admin", "media", "usage"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("storage: fs"), "{out}");
    assert!(
        out.contains("uploads: 1 files (3 bytes with thumbnails)"),
        "{out}"
    );
    let (code, out, err) = run(&["admin", "media", "prune", "--grace-secs", "0"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out.trim(),
        "removed 1 unused files and 1 unknown ones; evicted 0 cached images"
    );
    let left: Vec<_> = std::fs::read_dir(&media).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
    let rows: i64 = sqlx::query_scalar("select count(*) from media")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(rows, 0);
    conn.close().await.unwrap();
    let (code, _, err) = run(&["admin", "media", "purge", "not a picture"]);
    assert_eq!(code, Some(1), "{err}");
}
