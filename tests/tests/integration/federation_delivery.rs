//! The outbox under load and trouble, against loopback sinks standing in for other servers:
//! per-host concurrency, slow and failing hosts, `Retry-After`, down hosts and probes, several
//! workers on one queue, pruning, and the queue view.

use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::sink::{Behaviour, Sink};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

async fn eventually<F, Fut>(what: &str, secs: u64, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Queues `n` activities by `sender` to `inbox` directly in the outbox; returns their ids.
async fn enqueue(app: &TestApp, sender: &TestUser, inbox: &str, n: usize) -> Vec<String> {
    enqueue_ordered(app, sender, inbox, n, None).await
}

/// As [`enqueue`], every delivery with the ordering key `key`.
async fn enqueue_ordered(
    app: &TestApp,
    sender: &TestUser,
    inbox: &str,
    n: usize,
    key: Option<&str>,
) -> Vec<String> {
    let pool = app.db.pool().await;
    let actor = format!("http://{}/u/{}", app.settings.hostname, sender.name);
    let authority = url::Url::parse(inbox).unwrap();
    let authority = format!(
        "{}:{}",
        authority.host_str().unwrap(),
        authority.port().unwrap()
    );
    let mut ids = Vec::new();
    let mut tx = pool.begin().await.unwrap();
    for _ in 0..n {
        let id = format!("{actor}/test/{}", uuid::Uuid::new_v4());
        let payload =
            json!({"id": id, "type": "Create", "actor": actor, "object": {"type": "Note"}});
        let row = hearth_db::federation::insert_activity(&mut tx, &id, &actor, "Create", &payload)
            .await
            .unwrap();
        hearth_db::federation::add_delivery(&mut *tx, row, inbox, &authority, key)
            .await
            .unwrap();
        ids.push(id);
    }
    sqlx::query("select pg_notify('hearth_outbox', '')")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    pool.close().await;
    ids
}

fn delivered_all(sink: &Sink, ids: &[String]) -> bool {
    let accepted = sink.accepted();
    ids.iter().all(|id| accepted.contains_key(id))
}

fn exactly_once(sink: &Sink, ids: &[String]) {
    let accepted = sink.accepted();
    for id in ids {
        assert_eq!(accepted.get(id), Some(&1), "{id} accepted once");
    }
}

async fn host_state(app: &TestApp, authority: &str) -> Option<String> {
    let pool = app.db.pool().await;
    let state = sqlx::query_scalar("select state from delivery_host where authority = $1")
        .bind(authority)
        .fetch_optional(&pool)
        .await
        .unwrap();
    pool.close().await;
    state
}

/// The admin queue view's hosts, by authority.
fn hosts_by_authority(queue: &serde_json::Value) -> HashMap<String, serde_json::Value> {
    queue["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["authority"].as_str().unwrap().to_owned(), h.clone()))
        .collect()
}

#[tokio::test]
async fn many_activities_to_one_host_go_out_in_parallel_up_to_the_bound() {
    let app = TestApp::spawn(&[
        ("HEARTH__FEDERATION__DELIVERY__PER_HOST_CONCURRENCY", "8"),
        ("HEARTH__FEDERATION__DELIVERY__CONCURRENCY", "32"),
    ])
    .await;
    let alice = app.user("alice").await;
    let sink = Sink::start(Behaviour::Slow(Duration::from_millis(50))).await;
    let ids = enqueue(&app, &alice, &sink.inbox(), 200).await;
    eventually("200 deliveries", 60, || async {
        delivered_all(&sink, &ids)
    })
    .await;
    exactly_once(&sink, &ids);
    assert_eq!(
        sink.peak_in_flight(),
        8,
        "never more than the per-host bound in flight, and the bound used"
    );
    app.stop().await;
}

#[tokio::test]
async fn deliveries_with_one_ordering_key_arrive_one_after_another_in_order() {
    let app = TestApp::spawn(&[
        ("HEARTH__FEDERATION__DELIVERY__PER_HOST_CONCURRENCY", "8"),
        ("HEARTH__FEDERATION__DELIVERY__CONCURRENCY", "32"),
    ])
    .await;
    let alice = app.user("alice").await;
    let pause = Duration::from_millis(40);
    let sink = Sink::start(Behaviour::RetryAfter(503, "1".to_owned())).await;
    // The first delivery is asked to come back in a second: the rest of its key waits for it.
    sink.accept_after(1);
    let ordered = enqueue_ordered(&app, &alice, &sink.inbox(), 6, Some("vote x")).await;
    eventually("the first attempt", 30, || async {
        !sink.seen().is_empty()
    })
    .await;
    sink.behave(Behaviour::Slow(pause));
    let unordered = enqueue(&app, &alice, &sink.inbox(), 24).await;
    eventually("every delivery", 60, || async {
        delivered_all(&sink, &ordered) && delivered_all(&sink, &unordered)
    })
    .await;
    exactly_once(&sink, &ordered);
    exactly_once(&sink, &unordered);
    let mut seen = sink.seen();
    seen.sort_by_key(|s| s.at);
    let arrivals: Vec<&hearth_tests::sink::Seen> = seen
        .iter()
        .filter(|s| ordered.contains(&s.id) && s.status < 300)
        .collect();
    let order: Vec<&String> = arrivals.iter().map(|s| &s.id).collect();
    assert_eq!(
        order,
        ordered.iter().collect::<Vec<_>>(),
        "queue order kept"
    );
    for pair in arrivals.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= pause,
            "each waited for the one before it to be answered"
        );
    }
    assert!(
        sink.peak_in_flight() > 1,
        "deliveries without a key (or with other keys) still go in parallel"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_slow_host_and_a_failing_host_do_not_hold_up_a_third() {
    let app = TestApp::spawn(&[
        ("HEARTH__FEDERATION__DELIVERY__PER_HOST_CONCURRENCY", "4"),
        ("HEARTH__FEDERATION__DELIVERY__CONCURRENCY", "16"),
    ])
    .await;
    let alice = app.user("alice").await;
    let slow = Sink::start(Behaviour::Slow(Duration::from_secs(5))).await;
    let failing = Sink::start(Behaviour::Fail(500)).await;
    let fast = Sink::start(Behaviour::Accept).await;
    let started = Instant::now();
    let slow_ids = enqueue(&app, &alice, &slow.inbox(), 8).await;
    enqueue(&app, &alice, &failing.inbox(), 20).await;
    let fast_ids = enqueue(&app, &alice, &fast.inbox(), 20).await;
    eventually("the fast host's deliveries", 30, || async {
        delivered_all(&fast, &fast_ids)
    })
    .await;
    let fast_done = started.elapsed();
    // All of the fast host's activities arrived before the slow host answered even once.
    assert!(
        fast_done < Duration::from_secs(5),
        "the fast host waited {fast_done:?}"
    );
    assert!(slow.accepted().is_empty() || fast_done < Duration::from_secs(5));
    // The slow one still gets everything, four at a time.
    eventually("the slow host's deliveries", 60, || async {
        delivered_all(&slow, &slow_ids)
    })
    .await;
    assert_eq!(slow.peak_in_flight(), 4);
    app.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let sink = Sink::start(Behaviour::RetryAfter(429, "2".to_owned())).await;
    sink.accept_after(1);
    let ids = enqueue(&app, &alice, &sink.inbox(), 1).await;
    eventually("delivered after the wait", 30, || async {
        delivered_all(&sink, &ids)
    })
    .await;
    let seen = sink.seen();
    assert_eq!(seen.len(), 2, "one 429, then the delivery");
    assert_eq!(seen[0].status, 429);
    let waited = seen[1].at - seen[0].at;
    assert!(
        waited >= Duration::from_secs(2),
        "retried after {waited:?}, before the 2 s asked for"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_down_host_is_probed_and_gets_its_backlog_when_it_returns() {
    let app = TestApp::spawn(&[
        ("HEARTH__FEDERATION__DELIVERY__DOWN_AFTER_SECS", "1"),
        ("HEARTH__FEDERATION__DELIVERY__PROBE_BASE_MS", "400"),
        ("HEARTH__FEDERATION__DELIVERY__PROBE_MAX_SECS", "1"),
    ])
    .await;
    let alice = app.user("alice").await;
    let sink = Sink::start(Behaviour::Fail(503)).await;
    let ids = enqueue(&app, &alice, &sink.inbox(), 30).await;
    eventually("the host is marked down", 30, || async {
        host_state(&app, &sink.authority()).await.as_deref() == Some("down")
    })
    .await;
    // While down, only probes reach it: about one a second, not thirty rows retried.
    let before = sink.seen().len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = sink.seen().len() - before;
    assert!(
        (1..=5).contains(&during),
        "{during} requests reached a down host in 3 s"
    );
    // It recovers: a probe finds it up and the backlog drains.
    sink.behave(Behaviour::Accept);
    eventually("the backlog arrives", 30, || async {
        delivered_all(&sink, &ids)
    })
    .await;
    exactly_once(&sink, &ids);
    assert_eq!(
        host_state(&app, &sink.authority()).await.as_deref(),
        Some("up")
    );
    app.stop().await;
}

#[tokio::test]
async fn two_worker_pools_on_one_outbox_deliver_each_row_once() {
    let app = TestApp::spawn(&[("HEARTH__FEDERATION__DELIVERY__WORKERS", "false")]).await;
    let alice = app.user("alice").await;
    let sink = Sink::start(Behaviour::Accept).await;
    let ids = enqueue(&app, &alice, &sink.inbox(), 1000).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let mut workers = Vec::new();
    for _ in 0..2 {
        // Each pool has its own connections, as a separate process would.
        let pool = app.db.pool().await;
        workers.push(tokio::spawn(hearth_federation::delivery::run(
            pool,
            app.settings.clone(),
            hearth_federation::delivery::DeliveryMetrics::default(),
            stop.clone(),
        )));
    }
    eventually("1,000 deliveries", 120, || async {
        delivered_all(&sink, &ids)
    })
    .await;
    stop.cancel();
    for worker in workers {
        worker.await.unwrap();
    }
    exactly_once(&sink, &ids);
    assert_eq!(sink.seen().len(), 1000, "no request sent twice");
    app.stop().await;
}

#[tokio::test]
async fn pruning_removes_old_rows_and_keeps_recent_ones() {
    let app = TestApp::spawn(&[("HEARTH__FEDERATION__DELIVERY__WORKERS", "false")]).await;
    let alice = app.user("alice").await;
    let ids = enqueue(&app, &alice, "http://localhost:9/inbox", 6).await;
    let pool = app.db.pool().await;
    for (i, id) in ["old-1", "old-2", "old-3", "new-1"].iter().enumerate() {
        let age = if i < 3 { "8 days" } else { "1 day" };
        sqlx::query(&format!(
            "insert into received_activity (ap_id, received_at) values ($1, now() - interval '{age}')"
        ))
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    }
    // Two old delivered, one old dead, one recent delivered, two still pending (one old).
    let states = [
        ("delivered", Some("8 days")),
        ("delivered", Some("8 days")),
        ("dead", Some("9 days")),
        ("delivered", Some("1 hour")),
        ("pending", None),
        ("pending", None),
    ];
    for (id, (state, finished)) in ids.iter().zip(states) {
        let finished =
            finished.map_or("null".to_owned(), |age| format!("now() - interval '{age}'"));
        sqlx::query(&format!(
            "update delivery d set state = $2, finished_at = {finished}, created_at = now() - interval '10 days'
             from outbox_activity o where o.id = d.activity_id and o.ap_id = $1"
        ))
        .bind(id)
        .bind(state)
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("update outbox_activity set created_at = now() - interval '10 days'")
        .execute(&pool)
        .await
        .unwrap();
    let week = 7.0 * 24.0 * 3600.0;
    let (received, deliveries, activities) =
        hearth_db::federation::prune(&pool, week, 2).await.unwrap();
    assert_eq!((received, deliveries, activities), (3, 3, 3));
    let left: Vec<String> = sqlx::query_scalar("select ap_id from received_activity")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, vec!["new-1".to_owned()]);
    let states: Vec<String> = sqlx::query_scalar("select state from delivery order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(states, vec!["delivered", "pending", "pending"]);
    pool.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_queue_view_shows_each_host_to_admins() {
    let app = TestApp::spawn(&[]).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let failing = Sink::start(Behaviour::Fail(500)).await;
    let fine = Sink::start(Behaviour::Accept).await;
    enqueue(&app, &alice, &failing.inbox(), 3).await;
    let ok = enqueue(&app, &alice, &fine.inbox(), 2).await;
    eventually("attempts made", 30, || async {
        failing.seen().len() >= 3 && delivered_all(&fine, &ok)
    })
    .await;
    let (status, _) = app
        .get_json("/api/v1/admin/federation/queue", alice.auth())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, queue) = app
        .get_json("/api/v1/admin/federation/queue", admin.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let hosts = hosts_by_authority(&queue);
    let bad = &hosts[&failing.authority()];
    assert_eq!(bad["pending"], 3);
    assert_eq!(bad["state"], "up");
    assert!(bad["failures_last_hour"].as_i64().unwrap() >= 1);
    assert!(bad["oldest_pending_secs"].as_f64().is_some());
    assert!(bad["last_error"].as_str().unwrap().contains("500"), "{bad}");
    let good = &hosts[&fine.authority()];
    assert_eq!(
        (
            good["pending"].as_i64(),
            good["delivered_last_hour"].as_i64()
        ),
        (Some(0), Some(2))
    );
    assert_eq!(queue["totals"]["pending"], 3);
    assert_eq!(queue["totals"]["delivered_last_hour"], 2);
    // The CLI prints the same figures as a table.
    let pool = app.db.pool().await;
    let rows = hearth_db::federation::queue(&pool).await.unwrap();
    pool.close().await;
    let table = hearth::cli::queue_table(&rows);
    let line = table
        .lines()
        .find(|l| l.starts_with(&failing.authority()))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("HTTP 500"), "{table}");
    assert!(
        table.lines().last().unwrap().starts_with("TOTAL"),
        "{table}"
    );
    // And /metrics counts them.
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("hearth_delivery_queue_pending 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hearth_delivery_attempts_total{outcome=\"delivered\"} 2"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn settled_rows_leave_the_queue_table_and_the_queue_view_still_counts_them() {
    let app = TestApp::spawn(&[]).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let fine = Sink::start(Behaviour::Accept).await;
    let refusing = Sink::start(Behaviour::Fail(403)).await;
    let ok = enqueue(&app, &alice, &fine.inbox(), 3).await;
    enqueue(&app, &alice, &refusing.inbox(), 2).await;
    let pool = app.db.pool().await;
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    eventually("every row settled", 30, || async {
        count("select count(*) from delivery_done").await == 5
    })
    .await;
    exactly_once(&fine, &ok);
    assert_eq!(refusing.seen().len(), 2, "a refusal is final");
    // Nothing settled is left in the queue table itself.
    assert_eq!(count("select count(*) from delivery").await, 0);
    assert_eq!(
        hearth_db::federation::counts(&pool).await.unwrap(),
        vec![("delivered".to_owned(), 3), ("failed".to_owned(), 2)]
    );
    // The admin view, the CLI's table and /metrics read the same figures as before.
    let (status, queue) = app
        .get_json("/api/v1/admin/federation/queue", admin.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let hosts = hosts_by_authority(&queue);
    let good = &hosts[&fine.authority()];
    assert_eq!(
        (
            good["pending"].as_i64(),
            good["delivered_last_hour"].as_i64(),
            good["failures_last_hour"].as_i64()
        ),
        (Some(0), Some(3), Some(0))
    );
    let bad = &hosts[&refusing.authority()];
    assert_eq!(
        (
            bad["pending"].as_i64(),
            bad["delivered_last_hour"].as_i64(),
            bad["failures_last_hour"].as_i64()
        ),
        (Some(0), Some(0), Some(2))
    );
    assert!(bad["last_error"].as_str().unwrap().contains("403"), "{bad}");
    assert_eq!(queue["totals"]["delivered_last_hour"], 3);
    assert_eq!(queue["totals"]["failures_last_hour"], 2);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("hearth_delivery_queue_pending 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("hearth_delivery_attempts_total{outcome=\"delivered\"} 3"),
        "{metrics}"
    );
    // Settled rows are kept for the retention period, then pruned from the log.
    sqlx::query(
        "update delivery_done set finished_at = now() - interval '8 days'
         where authority = $1",
    )
    .bind(refusing.authority())
    .execute(&pool)
    .await
    .unwrap();
    let week = 7.0 * 24.0 * 3600.0;
    let (_, deliveries, _) = hearth_db::federation::prune(&pool, week, 1).await.unwrap();
    assert_eq!(deliveries, 2);
    assert_eq!(
        hearth_db::federation::counts(&pool).await.unwrap(),
        vec![("delivered".to_owned(), 3)]
    );
    pool.close().await;
    app.stop().await;
}
