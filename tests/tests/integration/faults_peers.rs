//! Peers that misbehave while Hearth fetches from them (here through `/api/v1/resolve`, the
//! same library fetch that loads actors for the inbox and parents of replies): one byte a
//! second, a 50 MiB body, a redirect loop, and gzip that would inflate to gigabytes. Each costs
//! bounded time and memory on our side, and the request fails with a clear answer.

use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::hostile::{Misbehaviour, RawPeer};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

const MIB: u64 = 1024 * 1024;
/// The fetch timeout of federation's HTTP client (`hearth_federation::config`).
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// A bound, not a benchmark: twice the timeout plus slack for a loaded test machine.
const BOUND: Duration = Duration::from_secs(25);

/// This process's resident memory. nextest runs each test in a process of its own, and the
/// instance runs in-process, so growth here is the instance's.
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib * 1024
}

/// Asks the instance to resolve `url`; answers the status, the body and how long it took.
async fn resolve(app: &TestApp, user: &TestUser, url: &str) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let (status, body) = app
        .get_json(&format!("/api/v1/resolve?q={url}"), user.auth())
        .await;
    (status, body, started.elapsed())
}

/// The fetch failed and the client was told so plainly: 404 `not_found` naming the address.
fn assert_refused_plainly(status: StatusCode, body: &Value, url: &str) {
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"], "not_found", "{body}");
    assert!(
        body["message"].as_str().unwrap_or_default().contains(url),
        "{body}"
    );
}

#[tokio::test]
async fn a_peer_answering_one_byte_a_second_is_given_up_at_the_timeout() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let peer = RawPeer::start(Misbehaviour::Trickle).await;
    let url = peer.url("/objects/slow");
    let (status, body, took) = resolve(&app, &kim, &url).await;
    assert_refused_plainly(status, &body, &url);
    assert!(
        took >= FETCH_TIMEOUT.saturating_sub(Duration::from_secs(1)),
        "the peer was read for {took:?}: did the trickle start?"
    );
    assert!(took < BOUND, "the fetch took {took:?}");
    assert_eq!(peer.requests().len(), 1, "asked once");
    app.stop().await;
}

#[tokio::test]
async fn a_fifty_mebibyte_answer_is_cut_at_the_body_cap_without_buffering_it() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let peer = RawPeer::start(Misbehaviour::Huge { bytes: 50 * MIB }).await;
    let url = peer.url("/objects/huge");
    let before = resident_bytes();
    let (status, body, took) = resolve(&app, &kim, &url).await;
    let grown = resident_bytes().saturating_sub(before);
    assert_refused_plainly(status, &body, &url);
    assert!(took < BOUND, "the fetch took {took:?}");
    // Read up to the 1 MiB cap, then the connection closes: what the peer got rid of is that
    // plus socket buffers, far from 50 MiB.
    let sent = peer.bytes_sent();
    assert!(sent < 25 * MIB, "the peer sent {} MiB", sent / MIB);
    assert!(grown < 30 * MIB, "resident memory grew {} MiB", grown / MIB);
    app.stop().await;
}

#[tokio::test]
async fn a_redirect_loop_stops_after_a_bounded_number_of_hops() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let peer = RawPeer::start(Misbehaviour::RedirectLoop).await;
    let url = peer.url("/objects/loop");
    let (status, body, took) = resolve(&app, &kim, &url).await;
    assert_refused_plainly(status, &body, &url);
    assert!(took < BOUND, "the fetch took {took:?}");
    let hops = peer.requests().len();
    // The library follows one redirect and reads the second answer as the document.
    assert!(
        (1..=3).contains(&hops),
        "{hops} requests: {:?}",
        peer.requests()
    );
    app.stop().await;
}

#[tokio::test]
async fn gzip_that_would_inflate_to_gigabytes_is_never_inflated() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let peer = RawPeer::start(Misbehaviour::GzipBomb {
        expanded: 4 * 1024 * MIB,
    })
    .await;
    let url = peer.url("/objects/bomb");
    let before = resident_bytes();
    let (status, body, took) = resolve(&app, &kim, &url).await;
    let grown = resident_bytes().saturating_sub(before);
    assert_refused_plainly(status, &body, &url);
    assert!(took < BOUND, "the fetch took {took:?}");
    // We do not ask for compressed answers (reqwest is built without its decompression
    // features), so an answer compressed anyway is read as the bytes it is, under the 1 MiB
    // cap, and fails to parse.
    for request in peer.requests() {
        let accepted = request.header("accept-encoding").unwrap_or_default();
        assert!(
            !accepted.contains("gzip") && !accepted.contains("br") && !accepted.contains("zstd"),
            "we asked for a compressed answer: {accepted}"
        );
    }
    let sent = peer.bytes_sent();
    assert!(sent < 25 * MIB, "the peer sent {} MiB", sent / MIB);
    assert!(grown < 30 * MIB, "resident memory grew {} MiB", grown / MIB);
    app.stop().await;
}

/// A post in a fresh community linking to `url`, whose preview the background fetcher makes.
async fn link_post(app: &TestApp, author: &TestUser, url: &str) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            author.auth(),
            serde_json::json!({"name": "links", "title": "Links"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            serde_json::json!({"community": "links", "title": "Look", "url": url}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post["id"].as_i64().unwrap()
}

/// Waits (up to `BOUND`) until `check` holds; answers how long that took.
async fn within_bound(what: &str, check: impl Fn() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < BOUND, "not within {BOUND:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn link_previews_from_misbehaving_peers_are_bounded_too() {
    // The link-preview fetcher has a client of its own (`media.fetch_timeout_secs`, 512 KiB of
    // a page, three redirects): the same peers, the same bounds.
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;

    let slow = RawPeer::start(Misbehaviour::Trickle).await;
    link_post(&app, &kim, &slow.url("/page")).await;
    // The trickle ends only when our side hangs up.
    within_bound("the slow page is given up", || slow.answers_ended() == 1).await;

    let huge = RawPeer::start(Misbehaviour::Huge { bytes: 50 * MIB }).await;
    let before = resident_bytes();
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            serde_json::json!({"community": "links", "title": "Big", "url": huge.url("/page")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    within_bound("the huge page is cut off", || huge.answers_ended() == 1).await;
    let grown = resident_bytes().saturating_sub(before);
    let sent = huge.bytes_sent();
    assert!(sent < 25 * MIB, "the peer sent {} MiB", sent / MIB);
    assert!(grown < 30 * MIB, "resident memory grew {} MiB", grown / MIB);
    for request in huge.requests().iter().chain(slow.requests().iter()) {
        let accepted = request.header("accept-encoding").unwrap_or_default();
        assert!(!accepted.contains("gzip"), "asked for gzip: {accepted}");
    }

    let looping = RawPeer::start(Misbehaviour::RedirectLoop).await;
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            serde_json::json!({"community": "links", "title": "Loop", "url": looping.url("/page")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The first request and three redirects, then the fetcher gives up.
    within_bound("four hops", || looping.answers_ended() == 4).await;
    // Nothing more comes: give a fifth hop the time it would take.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(looping.requests().len(), 4, "{:?}", looping.requests());
    app.stop().await;
}
