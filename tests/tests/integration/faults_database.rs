//! The database goes away under load: an instance on a PostgreSQL cluster of its own (never the
//! shared test cluster) keeps answering while the cluster is stopped for 20 s — 503
//! `unavailable` with `Retry-After` from the JSON API, the pages, the Lemmy API, the inbox and
//! readiness, never a 500, liveness still 200 — and once the cluster is back it reads, writes
//! and delivers to other servers again without a restart.

use crate::embedded_cluster::{options, traversable_tempdir};
use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, private_key, write_post,
};
use hearth_db::embedded::{ClusterOptions, EmbeddedCluster, WhenInUse};
use hearth_tests::app::TestApp;
use hearth_tests::db::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long PostgreSQL stays down.
const OUTAGE: Duration = Duration::from_secs(20);
/// How soon after PostgreSQL is back reads and writes must work again.
const RECOVERY: Duration = Duration::from_secs(15);

async fn start_cluster(options: &ClusterOptions) -> EmbeddedCluster {
    let options = options.clone();
    tokio::task::spawn_blocking(move || EmbeddedCluster::start(&options, WhenInUse::Refuse))
        .await
        .unwrap()
        .expect("the private cluster starts")
}

/// `pg_ctl stop -m fast`: connections are cut, the server goes down.
async fn stop_cluster(cluster: EmbeddedCluster) {
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .unwrap()
        .expect("the private cluster stops");
}

/// One answer seen by the load.
#[derive(Debug, Clone)]
struct Seen {
    what: &'static str,
    status: u16,
    retry_after: Option<String>,
    error_code: Option<String>,
}

impl Seen {
    async fn of(what: &'static str, response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let error_code = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned));
        Self {
            what,
            status,
            retry_after,
            error_code,
        }
    }
}

/// Readers and a writer through every face, until `done`; every answer is kept.
fn load(
    app: &TestApp,
    token: &str,
    community: &str,
    done: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    // A request that hangs fails the test instead of hanging it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = app.base.clone();
    let requests: Vec<(&'static str, reqwest::RequestBuilder)> = vec![
        (
            "api read",
            client
                .get(format!("{base}/api/v1/communities/{community}"))
                .bearer_auth(token),
        ),
        (
            "api feed",
            client.get(format!("{base}/api/v1/posts?community={community}")),
        ),
        (
            "page",
            client
                .get(format!("{base}/c/{community}"))
                .header("accept", "text/html"),
        ),
        ("lemmy", client.get(format!("{base}/api/v3/post/list"))),
        ("readyz", client.get(format!("{base}/readyz"))),
        ("healthz", client.get(format!("{base}/healthz"))),
        (
            "api write",
            client
                .post(format!("{base}/api/v1/posts"))
                .bearer_auth(token)
                .json(&json!({"community": community, "title": "Still here?", "body": "Load."})),
        ),
    ];
    requests
        .into_iter()
        .map(|(what, request)| {
            let (done, seen) = (done.clone(), seen.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    let response = request
                        .try_clone()
                        .unwrap()
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("{what}: the instance stopped answering: {e}"));
                    let answer = Seen::of(what, response).await;
                    seen.lock().unwrap().push(answer);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
            })
        })
        .collect()
}

#[tokio::test]
async fn postgres_stopped_for_twenty_seconds_gives_503s_then_everything_recovers_without_a_restart()
{
    let tmp = traversable_tempdir();
    let options = options(tmp.path());
    let cluster = start_cluster(&options).await;
    cluster.ensure_database("hearth").await.unwrap();
    let db = TestDatabase {
        name: "hearth".to_owned(),
        options: cluster.connect_options("hearth"),
        url: cluster.url("hearth"),
    };
    let a = TestApp::spawn_on(db, &[("HEARTH__RATE_LIMITS__POST__MAX", "100000")]).await;
    // A second instance on the shared cluster, whose member follows A's community: the
    // deliveries after the outage go to it.
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "outage", json!({})).await;
    let outage = format!("outage@{}", host(&a));
    join(&b, &bob, &outage).await;
    eventually("bob has joined", || async {
        membership(&b, &bob, &outage).await == "joined"
    })
    .await;
    let bob_key = private_key(&b, "bob").await;
    let bob_id = format!("http://{}/u/bob", host(&b));
    let before = write_post(&a, &alice, "outage", "Before").await;

    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let workers = load(&a, &alice.token, "outage", done.clone(), seen.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;

    stop_cluster(cluster).await;
    let stopped = Instant::now();
    // Another server delivers meanwhile: 503 tells it to retry later (a 4xx would make it drop
    // the activity).
    let like = json!({
        "id": format!("http://{}/activities/like/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Like", "actor": bob_id, "object": before,
    });
    let (status, headers, body) = a
        .deliver_signed(&bob_key, &bob_id, "/inbox", like.to_string().into_bytes())
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "the inbox: {body}");
    assert_eq!(body["error"], "unavailable", "{body}");
    assert!(headers.contains_key("retry-after"), "{headers:?}");
    let remaining = OUTAGE.saturating_sub(stopped.elapsed());
    // The outage itself, not a wait for something to happen.
    tokio::time::sleep(remaining).await;
    let during: Vec<Seen> = seen.lock().unwrap().clone();

    let cluster = start_cluster(&options).await;
    let restarted = Instant::now();
    let mut recovered = None;
    while restarted.elapsed() < RECOVERY {
        let (read, _) = a.get_json("/api/v1/communities/outage", alice.auth()).await;
        let (write, _) = a
            .post_json(
                "/api/v1/posts",
                alice.auth(),
                json!({"community": "outage", "title": "Back", "body": "After the outage."}),
            )
            .await;
        if read == StatusCode::OK && write == StatusCode::CREATED {
            recovered = Some(restarted.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let recovered = recovered.unwrap_or_else(|| {
        panic!("reads and writes did not work within {RECOVERY:?} of the database's return")
    });
    // Let the load see the recovered instance for a moment, then stop it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    done.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("a load worker");
    }
    let all: Vec<Seen> = seen.lock().unwrap().clone();
    let mut tally = std::collections::BTreeMap::<(&str, u16), usize>::new();
    for answer in &all {
        *tally.entry((answer.what, answer.status)).or_default() += 1;
    }
    eprintln!("answers by face and status: {tally:?}");

    // Never a 500, or anything but success and 503 with Retry-After; liveness never failed.
    for answer in &all {
        let fine = answer.status < 300 || (answer.status == 503 && answer.retry_after.is_some());
        assert!(fine, "unexpected answer: {answer:?}");
        if answer.what == "healthz" {
            assert_eq!(answer.status, 200, "liveness failed: {answer:?}");
        }
    }
    // Every face met the outage and said so.
    for what in [
        "api read",
        "api feed",
        "page",
        "lemmy",
        "readyz",
        "api write",
    ] {
        let unavailable: Vec<&Seen> = during
            .iter()
            .filter(|s| s.what == what && s.status == 503)
            .collect();
        assert!(
            !unavailable.is_empty(),
            "{what} never answered 503 while the database was down: {during:?}"
        );
        if what.starts_with("api") {
            assert!(
                unavailable
                    .iter()
                    .all(|s| s.error_code.as_deref() == Some("unavailable")),
                "{unavailable:?}"
            );
        }
    }
    // Every face works again, on the same process.
    let last_of = |what: &str| all.iter().rev().find(|s| s.what == what).cloned();
    for what in [
        "api read",
        "api feed",
        "page",
        "lemmy",
        "readyz",
        "api write",
    ] {
        let last = last_of(what).unwrap();
        assert!(last.status < 300, "{what} did not recover: {last:?}");
    }

    // Delivery to other servers resumes: a post made after the outage reaches B.
    let after = write_post(&a, &alice, "outage", "After").await;
    eventually("the post made after the outage reaches B", || async {
        post_id(&b, &after).await.is_some()
    })
    .await;
    // And B's retried Like is taken now.
    let (status, _, body) = a
        .deliver_signed(&bob_key, &bob_id, "/inbox", like.to_string().into_bytes())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "the retried Like: {body}");
    eprintln!("recovered {recovered:?} after PostgreSQL came back");

    for app in [a, b] {
        app.stop().await;
    }
    stop_cluster(cluster).await;
}
