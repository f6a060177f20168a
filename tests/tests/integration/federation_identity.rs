//! ActivityPub identity: what we serve (snapshots of every document type), content negotiation
//! on shared URLs, discovery, and resolving remote things between two real instances.

use hearth_tests::app::{TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

const AP: &str = "application/activity+json";

/// Fetches `path` as ActivityPub JSON; checks the media type and that `id` is the URL itself.
async fn fetch_ap(app: &TestApp, path: &str) -> Value {
    let url = format!("http://{}{path}", app.settings.hostname);
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .header("accept", AP)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(response.headers()["content-type"], AP, "{path}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["id"], url,
        "{path}: the id is the URL it was fetched from"
    );
    body
}

/// Replaces what changes between runs (the port, times, keys) so snapshots compare.
fn stable(app: &TestApp, value: &Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (key, item) in map.iter_mut() {
                    match key.as_str() {
                        "published" | "updated" if item.is_string() => *item = json!("[time]"),
                        "publicKeyPem" => *item = json!("[public key]"),
                        _ => walk(item),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let text = value
        .to_string()
        .replace(app.settings.hostname.as_str(), "hearth.test");
    let mut stable: Value = serde_json::from_str(&text).unwrap();
    walk(&mut stable);
    stable
}

async fn community(app: &TestApp, owner: &TestUser, name: &str, description: &str) {
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": name, "title": "Gardening", "description": description}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn post(app: &TestApp, author: &TestUser, body: Value) -> i64 {
    let (status, p) = app.post_json("/api/v1/posts", author.auth(), body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

async fn comment(
    app: &TestApp,
    author: &TestUser,
    post_id: i64,
    parent: Option<i64>,
    body: &str,
) -> i64 {
    let (status, c) = app
        .post_json(
            "/api/v1/comments",
            author.auth(),
            json!({"post_id": post_id, "parent_id": parent, "body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

#[tokio::test]
async fn every_document_we_serve_matches_its_snapshot() {
    let app = TestApp::spawn(&[
        ("HEARTH__SETUP__ADMIN_USERNAME", "admin"),
        ("HEARTH__SETUP__ADMIN_PASSWORD", "a long enough password"),
    ])
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "gardening", "Grow **things**.").await;
    let text = post(&app, &alice, json!({"community": "gardening", "title": "Tomatoes", "body": "They are *red*.", "language": "en"})).await;
    let link = post(
        &app,
        &bob,
        json!({"community": "gardening", "title": "A link", "url": "https://example.org/tomatoes"}),
    )
    .await;
    let top = comment(&app, &bob, text, None, "Lovely!").await;
    let nested = comment(&app, &alice, text, Some(top), "Thank you").await;

    for (name, path) in [
        ("instance", "/".to_owned()),
        ("group", "/c/gardening".to_owned()),
        ("person", "/u/alice".to_owned()),
        ("page_text", format!("/post/{text}")),
        ("page_link", format!("/post/{link}")),
        ("note_top_level", format!("/comment/{top}")),
        ("note_nested", format!("/comment/{nested}")),
        ("group_outbox", "/c/gardening/outbox".to_owned()),
        ("group_followers", "/c/gardening/followers".to_owned()),
        ("group_moderators", "/c/gardening/moderators".to_owned()),
        ("group_featured", "/c/gardening/featured".to_owned()),
        ("person_outbox", "/u/alice/outbox".to_owned()),
    ] {
        let body = fetch_ap(&app, &path).await;
        insta::assert_json_snapshot!(name, stable(&app, &body));
    }
    let host = app.settings.hostname.to_string();
    for (name, path) in [
        (
            "webfinger_group",
            format!("/.well-known/webfinger?resource=acct:gardening@{host}"),
        ),
        (
            "webfinger_person",
            format!("/.well-known/webfinger?resource=acct:alice@{host}"),
        ),
        (
            "webfinger_instance",
            format!("/.well-known/webfinger?resource=acct:{host}@{host}"),
        ),
        ("nodeinfo_links", "/.well-known/nodeinfo".to_owned()),
        ("nodeinfo_21", "/nodeinfo/2.1".to_owned()),
        ("nodeinfo_20", "/nodeinfo/2.0".to_owned()),
    ] {
        let (status, body) = app.get_json(&path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        insta::assert_json_snapshot!(name, stable(&app, &body));
    }
    app.stop().await;
}

#[tokio::test]
async fn a_user_and_a_community_of_one_name_both_answer_webfinger_group_last() {
    let app = TestApp::spawn(&[]).await;
    let twin = app.user("twin").await;
    community(&app, &twin, "twin", "").await;
    let host = app.settings.hostname.to_string();
    let (status, body) = app
        .get_json(
            &format!("/.well-known/webfinger?resource=acct:twin@{host}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> = body["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rel"] == "self")
        .map(|l| {
            l["properties"]["https://www.w3.org/ns/activitystreams#type"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(types, ["Person", "Group"]);
    let (status, by_url) = app
        .get_json(
            &format!("/.well-known/webfinger?resource=http://{host}/c/twin"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_url["subject"], format!("acct:twin@{host}"));
    app.stop().await;
}

#[tokio::test]
async fn unknown_things_and_bad_requests_get_the_right_status_and_shape() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "gardening", "").await;
    let host = app.settings.hostname.to_string();
    for path in [
        "/c/nobody",
        "/u/nobody",
        "/post/999999",
        "/comment/999999",
        "/post/abc",
        "/c/nobody/outbox",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .header("accept", AP)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{path}");
    }
    for (resource, status) in [
        ("".to_owned(), StatusCode::BAD_REQUEST),
        ("gardening".to_owned(), StatusCode::BAD_REQUEST),
        ("acct:gardening".to_owned(), StatusCode::BAD_REQUEST),
        (format!("acct:nobody@{host}"), StatusCode::NOT_FOUND),
        (
            "acct:gardening@elsewhere.example".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let (got, body) = app
            .get_json(&format!("/.well-known/webfinger?resource={resource}"), None)
            .await;
        assert_eq!(got, status, "{resource}: {body}");
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{resource}: {body}"
        );
    }
    // A browser gets the web page at the same URL, not JSON.
    let page = app
        .client
        .get(format!("{}/c/gardening", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // `application/ld+json` with the ActivityStreams profile is ActivityPub too.
    let ld = app
        .client
        .get(format!("{}/c/gardening", app.base))
        .header(
            "accept",
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ld.headers()["content-type"], AP);
    let varies_by_accept = |r: &reqwest::Response| {
        r.headers().get_all("vary").iter().any(|v| {
            v.to_str()
                .unwrap_or("")
                .to_ascii_lowercase()
                .contains("accept")
        })
    };
    assert!(varies_by_accept(&ld), "caches keep pages and JSON apart");
    assert!(varies_by_accept(&page));
    // Deleted posts answer 410 with a Tombstone.
    let p = post(
        &app,
        &alice,
        json!({"community": "gardening", "title": "Gone soon"}),
    )
    .await;
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/posts/{p}"),
        alice.auth(),
        None,
    )
    .await;
    let gone = app
        .client
        .get(format!("{}/post/{p}", app.base))
        .header("accept", AP)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::GONE);
    let body: Value = gone.json().await.unwrap();
    assert_eq!(body["type"], "Tombstone");
    app.stop().await;
}

#[tokio::test]
async fn private_addresses_are_not_resolved_unless_debug_local() {
    let app = TestApp::spawn(&[("HEARTH__FEDERATION__DEBUG_LOCAL", "false")]).await;
    let alice = app.user("alice").await;
    for q in [
        "https://127.0.0.1/c/x",
        "https://localhost/u/x",
        "http://example.org/c/x",
        "!x@localhost:8536",
        "https://[::1]/c/x",
        "https://example.org:8443/c/x",
        "@x@10.0.0.1",
    ] {
        let (status, body) = app
            .get_json(&format!("/api/v1/resolve?q={}", urlencode(q)), alice.auth())
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {body}");
        assert!(
            matches!(
                body["error"].as_str(),
                Some("address_not_allowed" | "invalid_field")
            ),
            "{q}: {body}"
        );
    }
    let (status, _) = app.get_json("/api/v1/resolve?q=!x@localhost", None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "resolving is for signed-in users"
    );
    let (status, body) = app
        .get_json("/api/v1/resolve?q=nonsense", alice.auth())
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("q"))
    );
    app.stop().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Requests A answered on routes whose label contains `route`.
async fn served_on(app: &TestApp, route: &str) -> u64 {
    let text = app.metrics().await;
    text.lines()
        .filter(|l| l.starts_with("hearth_http_requests_total{") && l.contains(route))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Requests A answered, except the metrics scrapes the test itself makes.
async fn requests_served(app: &TestApp) -> u64 {
    let text = app.metrics().await;
    text.lines()
        .filter(|l| {
            l.starts_with("hearth_http_requests_total{") && !l.contains("route=\"/metrics\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn an_instance_resolves_another_ones_community_user_and_post_and_refreshes_by_age() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[("HEARTH__FEDERATION__REFRESH_AGE_SECS", "3")]).await;
    let alice = a.user("alice").await;
    community(&a, &alice, "gardening", "Grow **things**.").await;
    let post_id = post(
        &a,
        &alice,
        json!({"community": "gardening", "title": "Tomatoes", "body": "Red."}),
    )
    .await;
    let top = comment(&a, &alice, post_id, None, "First!").await;
    let bob = b.user("bob").await;
    let a_host = a.settings.hostname.to_string();

    let (status, found) = b
        .get_json(
            &format!(
                "/api/v1/resolve?q={}",
                urlencode(&format!("!gardening@{a_host}"))
            ),
            bob.auth(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["type"], "community");
    assert_eq!(found["community"]["name"], "gardening");
    assert_eq!(found["community"]["local"], false);
    assert_eq!(
        found["community"]["description_html"],
        "<p>Grow <strong>things</strong>.</p>\n"
    );
    assert_eq!(
        found["community"]["ap_id"],
        format!("http://{a_host}/c/gardening")
    );
    let (status, shown) = b
        .get_json(&format!("/api/v1/communities/gardening@{a_host}"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "remote communities are reachable by name@host once known"
    );
    assert_eq!(shown["title"], "Gardening");
    // The first lookup backfills the community in the background; its last step reads the
    // featured collection. Counting A's requests below starts after it.
    crate::federation_network::eventually("B's backfill read A's featured posts", || async {
        served_on(&a, "featured").await > 0
    })
    .await;

    let (status, found) = b
        .get_json(
            &format!(
                "/api/v1/resolve?q={}",
                urlencode(&format!("@alice@{a_host}"))
            ),
            bob.auth(),
        )
        .await;
    assert_eq!(
        (status, found["type"].as_str()),
        (StatusCode::OK, Some("user")),
        "{found}"
    );
    assert_eq!(found["user"]["name"], "alice");
    let (status, _) = b
        .get_json(&format!("/api/v1/users/alice@{a_host}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let post_url = format!("http://{a_host}/post/{post_id}");
    let (status, found) = b
        .get_json(
            &format!("/api/v1/resolve?q={}", urlencode(&post_url)),
            bob.auth(),
        )
        .await;
    assert_eq!(
        (status, found["type"].as_str()),
        (StatusCode::OK, Some("post")),
        "{found}"
    );
    assert_eq!(found["post"]["title"], "Tomatoes");
    assert_eq!(found["post"]["body_html"], "<p>Red.</p>\n");
    assert_eq!(found["post"]["community"]["name"], "gardening");
    assert_eq!(found["post"]["local"], false);

    let comment_url = format!("http://{a_host}/comment/{top}");
    let (status, found) = b
        .get_json(
            &format!("/api/v1/resolve?q={}", urlencode(&comment_url)),
            bob.auth(),
        )
        .await;
    assert_eq!(
        (status, found["type"].as_str()),
        (StatusCode::OK, Some("comment")),
        "{found}"
    );
    assert_eq!(found["comment"]["body"], "First!");

    // Within the refresh age, B answers from its own copy.
    let before = requests_served(&a).await;
    let (status, _) = b
        .get_json(
            &format!(
                "/api/v1/resolve?q={}",
                urlencode(&format!("!gardening@{a_host}"))
            ),
            bob.auth(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        requests_served(&a).await - before,
        0,
        "no request reaches A"
    );
    // After it, one fetch refreshes the copy.
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let before = requests_served(&a).await;
    let (status, _) = b
        .get_json(
            &format!(
                "/api/v1/resolve?q={}",
                urlencode(&format!("!gardening@{a_host}"))
            ),
            bob.auth(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        requests_served(&a).await - before,
        5,
        "one refetch of the Group with its followers, outbox and moderators collections (their \
         counts and moderators) and its moderator alice (stale too); no WebFinger"
    );

    // Handles of the wrong kind find nothing: a person is never stored as a community.
    for q in [format!("!alice@{a_host}"), format!("@gardening@{a_host}")] {
        let (status, body) = b
            .get_json(&format!("/api/v1/resolve?q={}", urlencode(&q)), bob.auth())
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{q}: {body}");
    }
    let (status, missing) = b
        .get_json(
            &format!(
                "/api/v1/resolve?q={}",
                urlencode(&format!("!nobody@{a_host}"))
            ),
            bob.auth(),
        )
        .await;
    assert_eq!(
        (status, missing["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_community_outbox_shows_the_newest_fifty_and_pages_through_the_rest() {
    let app = TestApp::spawn(&[("HEARTH__RATE_LIMITS__POST__MAX", "1000")]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "busy", "").await;
    for n in 1..=55 {
        post(
            &app,
            &alice,
            json!({"community": "busy", "title": format!("Post {n}")}),
        )
        .await;
    }
    let outbox = fetch_ap(&app, "/c/busy/outbox").await;
    assert_eq!(outbox["totalItems"], 55);
    let items = outbox["orderedItems"].as_array().unwrap();
    assert_eq!(items.len(), 50);
    assert_eq!(
        items[0]["object"]["object"]["name"], "Post 55",
        "newest first"
    );
    let first = outbox["first"].as_str().unwrap().to_owned();
    let first_path = first
        .split_once(app.settings.hostname.as_str())
        .unwrap()
        .1
        .to_owned();
    let page1 = fetch_ap(&app, &first_path).await;
    assert_eq!(page1["type"], "OrderedCollectionPage");
    assert_eq!(page1["orderedItems"].as_array().unwrap().len(), 50);
    let next = page1["next"].as_str().unwrap().to_owned();
    let next_path = next
        .split_once(app.settings.hostname.as_str())
        .unwrap()
        .1
        .to_owned();
    let page2 = fetch_ap(&app, &next_path).await;
    let rest: Vec<&str> = page2["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["object"]["object"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(rest, ["Post 5", "Post 4", "Post 3", "Post 2", "Post 1"]);
    assert!(page2.get("next").is_none(), "the last page has no next");
    app.stop().await;
}
