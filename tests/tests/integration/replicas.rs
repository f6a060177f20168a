//! Read replicas against a real streaming standby: a private primary and a standby made from its
//! base backup (`pg_basebackup -R`), each in a directory and on a socket of its own (not the
//! shared test cluster), and Hearth instances with `database.url` on the primary and
//! `database.replica_urls` on the standby.

use crate::embedded_cluster::{options, traversable_tempdir};
use hearth_db::embedded::{ClusterOptions, EmbeddedCluster, WhenInUse};
use hearth_tests::app::{TestApp, TestUser, titles};
use hearth_tests::db::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

const DATABASE: &str = "hearth";

/// A primary and its streaming standby, removed when dropped.
struct StreamingPair {
    primary: EmbeddedCluster,
    standby: Option<EmbeddedCluster>,
    _primary_dir: tempfile::TempDir,
    _standby_dir: tempfile::TempDir,
}

async fn start(options: &ClusterOptions) -> EmbeddedCluster {
    let options = options.clone();
    tokio::task::spawn_blocking(move || EmbeddedCluster::start(&options, WhenInUse::Refuse))
        .await
        .unwrap()
        .expect("the cluster starts")
}

impl StreamingPair {
    /// Starts a primary (PostgreSQL's default `wal_level = replica`; the embedded cluster trusts
    /// replication connections on its socket), takes a base backup with `-R` (standby.signal and
    /// `primary_conninfo`) and starts the standby from it.
    async fn start() -> Self {
        let primary_dir = traversable_tempdir();
        let primary_options = options(primary_dir.path());
        let primary = start(&primary_options).await;
        primary.ensure_database(DATABASE).await.unwrap();
        let standby_dir = traversable_tempdir();
        let standby_options = options(standby_dir.path());
        let target = standby_options.dir.clone();
        std::fs::create_dir(&target).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).unwrap();
        let root = nix::unistd::geteuid().is_root();
        if root {
            let postgres = nix::unistd::User::from_name("postgres").unwrap().unwrap();
            nix::unistd::chown(&target, Some(postgres.uid), Some(postgres.gid)).unwrap();
        }
        let binaries = hearth_db::embedded::find_binaries(&primary_options)
            .into_iter()
            .find(|b| b.major == primary.major_version())
            .expect("the primary's binaries");
        let basebackup = binaries.dir.join("pg_basebackup");
        let mut command = if root {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&basebackup);
            c
        } else {
            std::process::Command::new(&basebackup)
        };
        command
            .arg("-D")
            .arg(&target)
            .args([
                "-R", "-X", "stream", "-c", "fast", "-U", "hearth", "-p", "5432", "-h",
            ])
            .arg(primary.dir())
            .current_dir("/");
        let out = tokio::task::spawn_blocking(move || command.output())
            .await
            .unwrap()
            .expect("pg_basebackup runs");
        assert!(
            out.status.success(),
            "pg_basebackup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(target.join("standby.signal").exists());
        // The primary's socket lives in its data directory, so the copy holds its lock file.
        for leftover in [".s.PGSQL.5432.lock", ".s.PGSQL.5432"] {
            let _ = std::fs::remove_file(target.join(leftover));
        }
        // Hearth's start rewrites hearth.conf (copied from the primary) with the standby's own
        // socket directory, and starts it as a hot standby.
        let standby = start(&standby_options).await;
        Self {
            primary,
            standby: Some(standby),
            _primary_dir: primary_dir,
            _standby_dir: standby_dir,
        }
    }

    fn primary_database(&self) -> TestDatabase {
        TestDatabase {
            name: DATABASE.to_owned(),
            options: self.primary.connect_options(DATABASE),
            url: self.primary.url(DATABASE),
        }
    }

    fn standby(&self) -> &EmbeddedCluster {
        self.standby.as_ref().expect("the standby runs")
    }

    async fn on_primary(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect_with(&self.primary.connect_options(DATABASE))
            .await
            .unwrap()
    }

    async fn on_standby(&self) -> sqlx::PgConnection {
        sqlx::PgConnection::connect_with(&self.standby().connect_options(DATABASE))
            .await
            .unwrap()
    }

    /// Waits until the standby has replayed everything the primary has written so far.
    async fn caught_up(&self) {
        let mut primary = self.on_primary().await;
        let target: String = sqlx::query_scalar("select pg_current_wal_lsn()::text")
            .fetch_one(&mut primary)
            .await
            .unwrap();
        let mut standby = self.on_standby().await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let done: bool =
                sqlx::query_scalar("select pg_last_wal_replay_lsn() >= $1::text::pg_lsn")
                    .bind(&target)
                    .fetch_one(&mut standby)
                    .await
                    .unwrap();
            if done {
                return;
            }
            assert!(Instant::now() < deadline, "the standby did not catch up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop_standby(&mut self) {
        let standby = self.standby.take().expect("the standby runs");
        tokio::task::spawn_blocking(move || standby.stop())
            .await
            .unwrap()
            .unwrap();
    }
}

impl Drop for StreamingPair {
    fn drop(&mut self) {
        // EmbeddedCluster's own Drop stops what this process started; the standby first.
        self.standby.take();
    }
}

/// An instance on the pair: the primary as its database, the standby as its one replica.
async fn instance(pair: &StreamingPair, max_lag_ms: &str, read_your_writes_secs: &str) -> TestApp {
    let primary_url = pair.primary.url(DATABASE);
    let replicas = format!("[\"{}\"]", pair.standby().url(DATABASE));
    TestApp::spawn_on(
        pair.primary_database(),
        &[
            ("HEARTH__DATABASE__URL", &primary_url),
            ("HEARTH__DATABASE__REPLICA_URLS", &replicas),
            ("HEARTH__DATABASE__REPLICA_MAX_LAG_MS", max_lag_ms),
            (
                "HEARTH__DATABASE__READ_YOUR_WRITES_SECS",
                read_your_writes_secs,
            ),
            // Every anonymous read below must reach the database, not a page cached a moment ago.
            ("HEARTH__HTTP__ANONYMOUS_CACHE_MS", "0"),
        ],
    )
    .await
}

async fn post(app: &TestApp, author: &TestUser, title: &str) -> i64 {
    let (status, p) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": "replicated", "title": title, "body": "Read me anywhere."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

/// Polls `read` until it answers `want`, or fails after `secs` seconds naming the last answer.
async fn until<F, Fut>(secs: u64, what: &str, want: &str, mut read: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got = read().await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: still {got:?}, want {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn anonymous_title(app: &TestApp, id: i64) -> String {
    let (status, body) = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["title"].as_str().unwrap().to_owned()
}

async fn anonymous_feed_first(app: &TestApp) -> String {
    let (status, body) = app
        .get_json("/api/v1/posts?feed=local&sort=new", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    titles(&body).first().cloned().unwrap_or_default()
}

#[tokio::test]
async fn reads_go_to_a_streaming_replica_writers_read_their_writes_and_a_lagging_or_stopped_replica_is_skipped()
 {
    let mut pair = StreamingPair::start().await;
    // `patient` keeps reading a replica up to ten minutes behind; `strict` leaves it at half a
    // second. Both serve the same database, as two processes of one site would.
    let patient = instance(&pair, "600000", "602").await;
    let strict = instance(&pair, "500", "3").await;
    let alice = patient.user("alice").await;
    let (status, c) = patient
        .post_json(
            "/api/v1/communities",
            alice.auth(),
            json!({"name": "replicated", "title": "Replicated"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let first = post(&patient, &alice, "Written on the primary").await;
    pair.caught_up().await;

    // (a) Reads come from the standby. Replay is paused there and the post changed on the
    // primary only: the old title exists nowhere but on the standby, so an instance that shows
    // it read it there.
    let mut standby = pair.on_standby().await;
    sqlx::query("select pg_wal_replay_pause()")
        .execute(&mut standby)
        .await
        .unwrap();
    let mut primary = pair.on_primary().await;
    sqlx::query("update post set title = 'Changed on the primary only' where id = $1")
        .bind(first)
        .execute(&mut primary)
        .await
        .unwrap();
    until(
        20,
        "the patient instance's post page",
        "Written on the primary",
        || anonymous_title(&patient, first),
    )
    .await;
    until(
        5,
        "the patient instance's feed",
        "Written on the primary",
        || anonymous_feed_first(&patient),
    )
    .await;
    let (status, thread) = patient
        .get_json(&format!("/api/v1/posts/{first}/comments"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{thread}");

    // (b) Read-your-writes: alice writes while the standby is paused, and reads it at once,
    // although anonymous readers of the same instance (served by the standby) do not see it.
    let second = post(&patient, &alice, "Alice's second post").await;
    let (status, body) = patient
        .get_json(&format!("/api/v1/posts/{second}"), alice.auth())
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the writer reads her post at once: {body}"
    );
    assert_eq!(body["title"], "Alice's second post");
    let (status, _) = patient
        .get_json(&format!("/api/v1/posts/{second}"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an anonymous reader is served by the paused standby"
    );
    // Her next read on the other instance (a load balancer may send it anywhere) sees it too.
    let (status, body) = strict
        .get_json(&format!("/api/v1/posts/{second}"), alice.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // (d) The same standby, now seconds behind, is skipped by the instance that allows half a
    // second: its readers get the primary's title, while the patient one still reads the
    // standby.
    until(
        10,
        "the strict instance's post page",
        "Changed on the primary only",
        || anonymous_title(&strict, first),
    )
    .await;
    until(
        5,
        "the strict instance's feed",
        "Alice's second post",
        || anonymous_feed_first(&strict),
    )
    .await;
    assert_eq!(
        anonymous_title(&patient, first).await,
        "Written on the primary"
    );

    // Replay resumes: the standby catches up and both read it again.
    sqlx::query("select pg_wal_replay_resume()")
        .execute(&mut standby)
        .await
        .unwrap();
    standby.close().await.unwrap();
    pair.caught_up().await;
    until(
        10,
        "the patient instance after catching up",
        "Changed on the primary only",
        || anonymous_title(&patient, first),
    )
    .await;

    // (c) The standby stops: every read goes on, from the primary, without a single error
    // (reads that meet the stopped standby before the next check are run on the primary).
    pair.stop_standby().await;
    sqlx::query("update post set title = 'After the standby stopped' where id = $1")
        .bind(first)
        .execute(&mut primary)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut reads = 0;
    while Instant::now() < deadline {
        for app in [&patient, &strict] {
            assert_eq!(
                anonymous_title(app, first).await,
                "After the standby stopped"
            );
            assert_eq!(anonymous_feed_first(app).await, "Alice's second post");
            reads += 2;
        }
    }
    assert!(reads > 10, "only {reads} reads in three seconds");
    primary.close().await.unwrap();
    strict.stop().await;
    patient.stop().await;
}
