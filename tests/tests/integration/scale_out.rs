//! Several Hearth processes on one database serve one site: two instances with the same
//! hostname share sessions, rate limits, the federation policy and content, because all of it
//! lives in PostgreSQL.

use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::db::{TestDatabase, fresh_database};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Two instances of one site (`hostname` of the first) on one database, as two `hearth serve`
/// processes behind a load balancer.
async fn two_processes(overrides: &[(&str, &str)]) -> (TestApp, TestApp) {
    let db = fresh_database().await;
    let second_db = TestDatabase {
        name: db.name.clone(),
        options: db.options.clone(),
        url: db.url.clone(),
    };
    let first = TestApp::spawn_on(db, overrides).await;
    let hostname = first.settings.hostname.to_string();
    let mut shared = overrides.to_vec();
    shared.push(("HEARTH__HOSTNAME", &hostname));
    let second = TestApp::spawn_on(second_db, &shared).await;
    (first, second)
}

#[tokio::test]
async fn two_processes_on_one_database_share_sessions_limits_policy_and_content() {
    let (a, b) = two_processes(&[("HEARTH__RATE_LIMITS__LOGIN__MAX", "4")]).await;
    assert_eq!(a.settings.hostname, b.settings.hostname);
    let root = a.admin("root").await;

    // A session made on one works on the other.
    let (status, me) = b.get_json("/api/v1/me", root.auth()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["name"], "root");

    // A post made on one shows on the other, in its feed and at its page.
    let (status, c) = a
        .post_json(
            "/api/v1/communities",
            root.auth(),
            json!({"name": "shared", "title": "Shared"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let (status, p) = a
        .post_json(
            "/api/v1/posts",
            root.auth(),
            json!({"community": "shared", "title": "Posted through A", "body": "Hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_i64().unwrap();
    let (status, seen) = b.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["title"], "Posted through A");
    let (status, feed) = b.get_json("/api/v1/posts?feed=local&sort=new", None).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(feed["items"][0]["title"], "Posted through A");

    // The login limit (4 a window per address) counts attempts made on both: root's sign-in on
    // A was the first.
    let wrong = json!({"username": "root", "password": "not the password"});
    for (app, attempt) in [(&a, 2), (&b, 3), (&a, 4)] {
        let (status, body) = app
            .post_json("/api/v1/auth/login", None, wrong.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
    }
    let right = json!({"username": "root", "password": TEST_PASSWORD});
    let (status, body) = b.post_json("/api/v1/auth/login", None, right).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "rate_limited");

    // A block made through A is enforced by B's inbox on the very next request: before it, an
    // unsigned activity from that server is refused for its missing signature; after it, for
    // the block, before any signature work.
    let activity = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://blocked.example/activities/1",
        "type": "Like",
        "actor": "https://blocked.example/u/someone",
        "object": format!("http://{}/post/{id}", b.settings.hostname),
    });
    let send = |app: &TestApp| {
        app.client
            .post(format!("{}/inbox", app.base))
            .header("content-type", "application/activity+json")
            .body(activity.to_string())
            .send()
    };
    let before = send(&b).await.unwrap();
    assert_eq!(before.status(), StatusCode::UNAUTHORIZED);
    let (status, body) = a
        .call(
            Method::PUT,
            "/api/v1/admin/federation/policy",
            root.auth(),
            Some(json!({"mode": "open", "blocked": ["blocked.example"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = send(&b).await.unwrap();
    assert_eq!(after.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = after.json().await.unwrap();
    assert_eq!(body["error"], "blocked_instance");

    b.stop().await;
    a.stop().await;
}
