//! The anonymous page cache (`hearth_service::read_cache`): anonymous readers share one
//! rendering of the front page, community and post pages within its lifetime; writes drop it
//! at once, in every process on the database; signed-in readers and cookies are never shared.

use crate::web_pages::Visitor;
use hearth_tests::app::{TestApp, rename_unnoticed, titles, write_titled_post};
use hearth_tests::lemmy::community;
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;
use serde_json::json;
use std::time::{Duration, Instant};

/// A cache lifetime far longer than any test waits, so what changes early was dropped.
const LONG_CACHE: (&str, &str) = ("HEARTH__HTTP__ANONYMOUS_CACHE_MS", "60000");

/// Polls `path` on `app` anonymously until it shows `text` (10 s at most; pages are kept 60 s).
async fn wait_until_shown(app: &TestApp, path: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.get(path).await.text().await.unwrap();
        if page.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} did not show {text:?} within 10 s (the cache keeps pages 60 s):\n{page}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two instances with long-lived page caches on one database, as two processes would be.
async fn two_processes() -> (TestApp, TestApp) {
    let first = TestApp::spawn(&[LONG_CACHE]).await;
    let second = first.spawn_beside(&[LONG_CACHE]).await;
    (first, second)
}

#[tokio::test]
async fn anonymous_pages_are_rendered_once_within_the_cache_lifetime() {
    let app = TestApp::spawn(&[LONG_CACHE]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "bread").await;
    let id = write_titled_post(&app, &kim, "bread", "Sourdough").await;
    let (status, c) = app
        .post_json(
            "/api/v1/comments",
            kim.auth(),
            json!({"post_id": id, "body": "Sourdough"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let paths = [
        "/api/v1/posts?sort=new".to_owned(),
        "/api/v1/posts?community=bread".to_owned(),
        format!("/api/v1/posts/{id}/comments"),
        "/?sort=new".to_owned(),
        "/c/bread".to_owned(),
        format!("/post/{id}"),
    ];
    // Every notification of the writes above has been handled once pages show what a
    // notification of our own (sent after them, so read after them) made them render again.
    // The pages are cached first: then only a clear makes them show the new title, either our
    // notification or the clear the cache's listener makes when it starts listening (it opens a
    // connection of its own, which may come up after the instance answers); either way the
    // listener is up afterwards, and nothing else clears the pages within their lifetime.
    for path in &paths {
        wait_until_shown(&app, path, "Sourdough").await;
    }
    rename_unnoticed(&app, id, "Rye").await;
    let pool = app.db.pool().await;
    sqlx::query("select pg_notify('hearth_read_cache', 'all')")
        .execute(&pool)
        .await
        .unwrap();
    for path in &paths {
        wait_until_shown(&app, path, "Rye").await;
    }
    // Kept: a change nobody was told of does not show within the lifetime.
    rename_unnoticed(&app, id, "Spelt").await;
    for path in &paths {
        let page = app.get(path).await.text().await.unwrap();
        assert!(
            page.contains("Rye") && !page.contains("Spelt"),
            "{path}:\n{page}"
        );
    }
    // Signed in, the same address is read afresh.
    let (status, mine) = app.get_json("/api/v1/posts?sort=new", kim.auth()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(titles(&mine), ["Spelt"]);
    // A write through this process drops its pages at once.
    write_titled_post(&app, &kim, "bread", "Focaccia").await;
    let (_, fresh) = app.get_json("/api/v1/posts?sort=new", None).await;
    assert_eq!(titles(&fresh), ["Focaccia", "Spelt"]);
}

#[tokio::test]
async fn a_post_written_through_another_process_shows_on_cached_pages_at_once() {
    let (first, second) = two_processes().await;
    let kim = second.user("kim").await;
    community(&second, &kim, "bread").await;
    write_titled_post(&second, &kim, "bread", "Sourdough").await;
    // The first process renders its pages.
    wait_until_shown(&first, "/api/v1/posts?sort=new", "Sourdough").await;
    wait_until_shown(&first, "/?sort=new", "Sourdough").await;
    wait_until_shown(&first, "/c/bread", "Sourdough").await;
    // Cached now; written in the other process, shown here long before the page's time is up.
    let started = Instant::now();
    write_titled_post(&second, &kim, "bread", "Focaccia").await;
    wait_until_shown(&first, "/api/v1/posts?sort=new", "Focaccia").await;
    wait_until_shown(&first, "/?sort=new", "Focaccia").await;
    wait_until_shown(&first, "/c/bread", "Focaccia").await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn signed_in_readers_never_get_the_anonymous_page() {
    let app = TestApp::spawn(&[LONG_CACHE]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "bread").await;
    let id = write_titled_post(&app, &kim, "bread", "Sourdough").await;
    let (status, voted) = app
        .post_json(
            &format!("/api/v1/posts/{id}/vote"),
            kim.auth(),
            json!({"score": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{voted}");
    // Anonymous readers fill the cache first.
    let (_, anonymous) = app.get_json("/api/v1/posts?sort=new", None).await;
    assert_eq!(anonymous["items"][0]["my_vote"], 0, "{anonymous}");
    let page = app.get("/?sort=new").await.text().await.unwrap();
    assert!(!page.contains("Log out"));
    let post_page = app.get(&format!("/post/{id}")).await.text().await.unwrap();
    assert!(!post_page.contains("voted-up"));

    let (_, mine) = app.get_json("/api/v1/posts?sort=new", kim.auth()).await;
    assert_eq!(mine["items"][0]["my_vote"], 1, "{mine}");
    let mut visitor = Visitor::signed_in(&app, &kim).await;
    let front = visitor.get("/?sort=new").await;
    assert!(front.body.contains("Log out"), "{}", front.body);
    let own = visitor.get(&format!("/post/{id}")).await;
    assert!(own.body.contains("voted-up"), "{}", own.body);
}

#[tokio::test]
async fn each_anonymous_visitor_gets_their_own_csrf_token_and_cookies_are_never_shared() {
    let app = TestApp::spawn(&[LONG_CACHE]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "bread").await;
    write_titled_post(&app, &kim, "bread", "Sourdough").await;
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for _ in 0..3 {
        // A first visit: no cookies, so the page sets a CSRF cookie and its forms carry it.
        let response = client.get(format!("{}/", app.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("hearth_csrf="))
            .expect("a first visit gets a CSRF cookie");
        let token = cookie["hearth_csrf=".len()..]
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body = response.text().await.unwrap();
        assert!(body.contains(&format!("value=\"{token}\"")), "{body}");
        tokens.push((token, body));
    }
    for (i, (token, body)) in tokens.iter().enumerate() {
        for (j, (other, _)) in tokens.iter().enumerate() {
            assert!(i == j || (token != other && !body.contains(other.as_str())));
        }
    }
    // A returning visitor keeps theirs and gets no new cookie.
    let (token, _) = &tokens[0];
    let response = client
        .get(format!("{}/", app.base))
        .header("cookie", format!("hearth_csrf={token}"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get(SET_COOKIE).is_none());
    let body = response.text().await.unwrap();
    assert!(body.contains(&format!("value=\"{token}\"")));
}

#[tokio::test]
async fn anonymous_pages_show_a_renamed_site_at_once_in_the_writing_process_and_soon_in_others() {
    // Anonymous visitors' pages read the site row kept with the cached pages: a rename must
    // drop it like the pages, here (the write went through this process) and in a second
    // process on the same database (through the notification).
    let (first, second) = two_processes().await;
    let root = first.admin("root").await;
    for app in [&first, &second] {
        for path in ["/", "/login"] {
            let page = app.get(path).await.text().await.unwrap();
            assert!(!page.contains("Kitchen Table"), "{path}:\n{page}");
        }
    }
    let (status, site) = first
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"name": "Kitchen Table"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{site}");
    // The writing process: at once, on a cached page and on one never cached.
    for path in ["/", "/login"] {
        let page = first.get(path).await.text().await.unwrap();
        assert!(page.contains("Kitchen Table"), "{path}:\n{page}");
    }
    let started = Instant::now();
    wait_until_shown(&second, "/login", "Kitchen Table").await;
    wait_until_shown(&second, "/", "Kitchen Table").await;
    assert!(started.elapsed() < Duration::from_secs(10));
}
