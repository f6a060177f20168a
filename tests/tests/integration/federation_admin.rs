//! Reports that reach moderators on every server, site bans, defederation (blocklists,
//! allowlists, subscribed lists), and the admin routes' guard.

use crate::federation_network::{
    comment_id, create_community, eventually, host, join, membership, post_id, scalar, send_signed,
    write_comment, write_post,
};
use hearth_tests::app::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

async fn reports(app: &TestApp, token: Option<&str>) -> Vec<Value> {
    let (status, page) = app.get_json("/api/v1/reports?limit=100", token).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

async fn add_moderator(a: &TestApp, token: Option<&str>, community: &str, user: &str) {
    let (status, body) = a
        .post_json(
            &format!("/api/v1/communities/{community}/moderators"),
            token,
            json!({"user": user}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_report_reaches_the_communitys_moderators_wherever_they_are() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let carol = c.user("carol").await;
    create_community(&a, &alice, "help", json!({})).await;
    let help = format!("help@{}", host(&a));
    for (app, user) in [(&b, &bob), (&c, &carol)] {
        join(app, user, &help).await;
        eventually("joined", || async {
            membership(app, user, &help).await == "joined"
        })
        .await;
    }
    add_moderator(&a, alice.auth(), "help", &format!("bob@{}", host(&b))).await;
    let post = write_post(&a, &alice, "help", "Questionable").await;
    eventually("the post reaches C", || async {
        post_id(&c, &post).await.is_some()
    })
    .await;

    // Carol (on C) reports it; A's moderator and B's moderator both see it.
    let (status, filed) = c
        .post_json(
            "/api/v1/reports",
            carol.auth(),
            json!({"post_id": post_id(&c, &post).await.unwrap(), "reason": "looks like spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    eventually("alice sees the report", || async {
        reports(&a, alice.auth()).await.len() == 1
    })
    .await;
    let on_a = reports(&a, alice.auth()).await.remove(0);
    assert_eq!(on_a["reason"], "looks like spam");
    assert_eq!(on_a["reporter"], format!("carol@{}", host(&c)));
    assert_eq!(on_a["status"], "pending");
    eventually("bob (on B) sees the report", || async {
        reports(&b, bob.auth()).await.len() == 1
    })
    .await;
    // Someone who moderates nothing sees none.
    let nobody = c.user("nobody").await;
    assert!(reports(&c, nobody.auth()).await.is_empty());

    // Alice resolves it; bob sees that.
    let id = on_a["id"].as_i64().unwrap();
    let (status, decided) = a
        .post_json(
            &format!("/api/v1/reports/{id}/resolve"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "resolved");
    assert_eq!(decided["resolved_by"], "alice");
    eventually("bob sees the decision", || async {
        reports(&b, bob.auth()).await[0]["status"] == "resolved"
    })
    .await;
    let (status, body) = c
        .post_json(
            &format!("/api/v1/reports/{id}/dismiss"),
            nobody.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status.as_u16() / 100, 4, "{body}");

    // A Mastodon-shaped Flag: from C's instance actor, naming the account and the status.
    let pool = c.db.pool().await;
    let key: String = sqlx::query_scalar("select private_key from site")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    let instance = format!("http://{}/", host(&c));
    let flag = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{}/{}", host(&c), uuid::Uuid::new_v4()),
        "type": "Flag",
        "actor": instance,
        "content": "Forwarded from another server",
        "object": [format!("http://{}/u/alice", host(&a)), post],
    });
    let (status, body) = send_signed(&a, &key, &instance, flag.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let all = reports(&a, alice.auth()).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["reason"], "Forwarded from another server");
    assert_eq!(all[0]["post_id"], on_a["post_id"]);
    for app in [a, b, c] {
        app.stop().await;
    }
}

#[tokio::test]
async fn a_site_ban_stops_logins_tokens_and_remote_deliveries_until_lifted() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let root = a.admin("root").await;
    let dave = a.user("dave").await;
    let bob = b.user("bob").await;
    create_community(&a, &root, "lobby", json!({})).await;
    let lobby = format!("lobby@{}", host(&a));
    join(&b, &bob, &lobby).await;
    eventually("joined", || async {
        membership(&b, &bob, &lobby).await == "joined"
    })
    .await;
    let post = write_post(&a, &root, "lobby", "Welcome").await;
    eventually("post", || async { post_id(&b, &post).await.is_some() }).await;
    let post_on_b = post_id(&b, &post).await.unwrap();

    let bob_ref = format!("bob@{}", host(&b));
    for user in ["dave", bob_ref.as_str()] {
        let (status, body) = a
            .post_json(
                "/api/v1/admin/bans",
                root.auth(),
                json!({"user": user, "reason": "abuse"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    // Dave can neither sign in nor use his token.
    let (status, body) = a
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "dave", "password": hearth_tests::app::TEST_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("banned"))
    );
    assert!(body["message"].as_str().unwrap().contains("abuse"));
    let (status, body) = a.get_json("/api/v1/me", dave.auth()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("banned"))
    );
    // Bob's comment is refused at A's inbox: B records the refusal, A never stores it.
    let refused = write_comment(&b, &bob, post_on_b, None, "let me in").await;
    eventually("B's delivery is refused", || async {
        scalar(
            &b,
            "select count(*) from delivery_history where state = 'failed' and last_status = 403 and $1 <> ''",
            "x",
        )
        .await
            == Some(1)
    })
    .await;
    assert_eq!(comment_id(&a, &refused).await, None);

    // Lifted: both work again, the old token included.
    for user in ["dave", bob_ref.as_str()] {
        let (status, _) = a
            .call(
                Method::DELETE,
                &format!("/api/v1/admin/bans/{user}"),
                root.auth(),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let (status, _) = a.get_json("/api/v1/me", dave.auth()).await;
    assert_eq!(status, StatusCode::OK);
    a.login("dave", hearth_tests::app::TEST_PASSWORD).await;
    let welcome = write_comment(&b, &bob, post_on_b, None, "thanks").await;
    eventually("bob's comment arrives", || async {
        comment_id(&a, &welcome).await.is_some()
    })
    .await;
    for app in [a, b] {
        app.stop().await;
    }
}

async fn put_policy(a: &TestApp, token: Option<&str>, policy: Value) {
    let (status, body) = a
        .call(
            Method::PUT,
            "/api/v1/admin/federation/policy",
            token,
            Some(policy),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Every process (and each delivery worker) reloads the policy within a second.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
}

/// A served blocklist whose text the test changes.
async fn blocklist_server(text: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/blocklist.csv",
        axum::routing::get(move || {
            let text = text.clone();
            async move { text.lock().unwrap().clone() }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}/blocklist.csv")
}

#[tokio::test]
async fn defederation_works_both_ways_and_follows_subscribed_lists() {
    let fast = [
        ("HEARTH__FEDERATION__DELIVERY__PRUNE_INTERVAL_SECS", "1"),
        ("HEARTH__FEDERATION__BLOCKLIST_REFRESH_SECS", "1"),
    ];
    let a = TestApp::spawn(&fast).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let root = a.admin("root").await;
    let bob = b.user("bob").await;
    let carol = c.user("carol").await;
    create_community(&a, &root, "square", json!({})).await;
    let square = format!("square@{}", host(&a));
    for (app, user) in [(&b, &bob), (&c, &carol)] {
        join(app, user, &square).await;
        eventually("joined", || async {
            membership(app, user, &square).await == "joined"
        })
        .await;
    }
    let first = write_post(&a, &root, "square", "Before").await;
    for app in [&b, &c] {
        eventually("the first post arrives", || async {
            post_id(app, &first).await.is_some()
        })
        .await;
    }
    let on_b = post_id(&b, &first).await.unwrap();
    let on_c = post_id(&c, &first).await.unwrap();

    // B blocked: its deliveries get 403, and A sends it nothing (dropped and counted).
    put_policy(
        &a,
        root.auth(),
        json!({"mode": "open", "blocked": [host(&b)]}),
    )
    .await;
    let during = write_post(&a, &root, "square", "While B is blocked").await;
    eventually("C gets the post", || async {
        post_id(&c, &during).await.is_some()
    })
    .await;
    eventually("A drops the delivery to B", || async {
        scalar(
            &a,
            "select count(*) from delivery where state = 'dropped' and authority = $1",
            host(&b),
        )
        .await
            == Some(1)
    })
    .await;
    assert_eq!(post_id(&b, &during).await, None);
    let from_b = write_comment(&b, &bob, on_b, None, "hello?").await;
    eventually("B's delivery refused", || async {
        scalar(
            &b,
            "select count(*) from delivery_history where state = 'failed' and last_status = 403 and authority = $1",
            host(&a),
        )
        .await
            == Some(1)
    })
    .await;
    assert_eq!(comment_id(&a, &from_b).await, None);

    // Allowlist: only C is listed, so B stays out and C gets through.
    put_policy(
        &a,
        root.auth(),
        json!({"mode": "allowlist", "allowed": [host(&c)]}),
    )
    .await;
    let from_c = write_comment(&c, &carol, on_c, None, "listed").await;
    eventually("C's comment arrives", || async {
        comment_id(&a, &from_c).await.is_some()
    })
    .await;
    let refused = write_comment(&b, &bob, on_b, None, "still out").await;
    eventually("B refused again", || async {
        scalar(
            &b,
            "select count(*) from delivery_history where state = 'failed' and last_status = 403 and authority = $1",
            host(&a),
        )
        .await
            == Some(2)
    })
    .await;
    assert_eq!(comment_id(&a, &refused).await, None);

    // Open again, nothing blocked: B's next comment and A's next post flow.
    put_policy(&a, root.auth(), json!({"mode": "open"})).await;
    let back = write_comment(&b, &bob, on_b, None, "back").await;
    eventually("B's comment arrives", || async {
        comment_id(&a, &back).await.is_some()
    })
    .await;
    let after = write_post(&a, &root, "square", "After").await;
    eventually("B gets the post", || async {
        post_id(&b, &after).await.is_some()
    })
    .await;

    // A subscribed list (Mastodon's CSV) blocks B; when the list drops B, B is back.
    let text = Arc::new(Mutex::new(format!(
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n{},suspend,false,false,spam,false\n",
        host(&b)
    )));
    let url = blocklist_server(text.clone()).await;
    put_policy(
        &a,
        root.auth(),
        json!({"mode": "open", "subscriptions": [url]}),
    )
    .await;
    eventually("the list is fetched", || async {
        let (_, p) = a
            .get_json("/api/v1/admin/federation/policy", root.auth())
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        p["subscription_state"][0]["domain_count"] == 1
    })
    .await;
    let blocked = write_post(&a, &root, "square", "Listed away").await;
    // The third: C's comment, announced while only C was allowed, was not sent to B either.
    eventually("dropped for B", || async {
        scalar(
            &a,
            "select count(*) from delivery where state = 'dropped' and authority = $1",
            host(&b),
        )
        .await
            == Some(3)
    })
    .await;
    assert_eq!(post_id(&b, &blocked).await, None);
    *text.lock().unwrap() = "# nothing blocked any more\n".to_owned();
    eventually("the list is refreshed", || async {
        let (_, p) = a
            .get_json("/api/v1/admin/federation/policy", root.auth())
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        p["subscription_state"][0]["domain_count"] == 0
    })
    .await;
    let last = write_post(&a, &root, "square", "Welcome back").await;
    eventually("B gets posts again", || async {
        post_id(&b, &last).await.is_some()
    })
    .await;
    for app in [a, b, c] {
        app.stop().await;
    }
}

/// Every admin route, read from the OpenAPI document: 401 without a token, 403 for a normal
/// user (with a body the route would accept from an admin).
#[tokio::test]
async fn every_admin_route_refuses_anonymous_callers_and_normal_users() {
    let app = TestApp::spawn(&[]).await;
    let user = app.user("plain").await;
    let (_, document) = app.get_json("/api/v1/openapi.json", None).await;
    let mut walked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let concrete = path
                .replace("{id}", "1")
                .replace("{user}", "someone")
                .replace("{name}", "somewhere@elsewhere.example");
            let body = match (method, path.as_str()) {
                ("put", "/api/v1/admin/federation/policy") => Some(json!({"mode": "open"})),
                ("post", "/api/v1/admin/bans") => Some(json!({"user": "someone"})),
                ("post" | "put" | "patch", _) => Some(json!({})),
                _ => None,
            };
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body_seen) = app
                .call(method.clone(), &concrete, None, body.clone())
                .await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path}: {body_seen}"
            );
            let (status, body_seen) = app.call(method.clone(), &concrete, user.auth(), body).await;
            assert_eq!(
                (status, body_seen["error"].as_str()),
                (StatusCode::FORBIDDEN, Some("not_admin")),
                "{method} {path}"
            );
            walked += 1;
        }
    }
    assert!(walked >= 12, "only {walked} admin routes found");
    app.stop().await;
}
