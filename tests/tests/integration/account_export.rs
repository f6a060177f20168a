//! A person's data out and back in: the export names everything by ActivityPub id and
//! `name@host`; importing it into an account on another server joins the same communities
//! (remote ones through a real Follow and Accept) and makes the same blocks.

use crate::federation_network::{
    create_community, eventually, host, join, membership, write_comment, write_post,
};
use crate::web_pages::Visitor;
use hearth_tests::app::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn an_export_imported_on_another_server_joins_and_blocks_the_same() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let (host_a, host_b) = (host(&a).to_owned(), host(&b).to_owned());
    let alice = a.user("alice").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    let _troll = b.user("troll").await;
    // On A: meadow (alice joins) and spam (alice blocks). On B: forest (alice joins from A).
    create_community(&a, &carol, "meadow", json!({})).await;
    create_community(&a, &carol, "spam", json!({})).await;
    create_community(&b, &bob, "forest", json!({})).await;
    let (status, body) = a
        .post_json("/api/v1/communities/meadow/join", alice.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let forest = format!("forest@{host_b}");
    join(&a, &alice, &forest).await;
    eventually("B accepts alice", || async {
        membership(&a, &alice, &forest).await == "joined"
    })
    .await;
    // Alice blocks troll on B (looked up first) and spam here.
    let troll = format!("troll@{host_b}");
    let (status, body) = a
        .get_json(&format!("/api/v1/resolve?q=@{troll}"), alice.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a
        .post_json(
            &format!("/api/v1/users/{troll}/block"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = a
        .post_json("/api/v1/communities/spam/block", alice.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Something to show in the export: a post, a comment on it, a vote.
    let post = write_post(&a, &alice, "meadow", "Buttercups").await;
    let (_, found) = a.get_json("/api/v1/posts?community=meadow", None).await;
    let post_id = found["items"][0]["id"].as_i64().unwrap();
    let comment = write_comment(&a, &alice, post_id, None, "So yellow").await;
    let carols = write_post(&a, &carol, "meadow", "Daisies").await;
    let (_, found) = a
        .get_json("/api/v1/posts?community=meadow&sort=new", None)
        .await;
    let carols_id = found["items"][0]["id"].as_i64().unwrap();
    let (status, body) = a
        .post_json(
            &format!("/api/v1/posts/{carols_id}/vote"),
            alice.auth(),
            json!({"score": -1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, export) = a.get_json("/api/v1/account/export", alice.auth()).await;
    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["format"], "hearth-account-export");
    assert_eq!(export["version"], 1);
    assert_eq!(export["profile"]["name"], "alice");
    assert_eq!(export["profile"]["handle"], format!("alice@{host_a}"));
    assert_eq!(export["preferences"]["theme"], "system");
    assert_eq!(export["posts"].as_array().unwrap().len(), 1, "{export}");
    assert_eq!(export["posts"][0]["ap_id"], post);
    assert_eq!(export["posts"][0]["title"], "Buttercups");
    assert_eq!(
        export["posts"][0]["community"],
        format!("http://{host_a}/c/meadow")
    );
    assert_eq!(export["comments"][0]["ap_id"], comment);
    assert_eq!(export["comments"][0]["post"], post);
    assert_eq!(export["comments"][0]["body"], "So yellow");
    // Alice's vote on carol's post, by the post's ActivityPub id (plus any on her own).
    let votes = export["votes"].as_array().unwrap();
    let on_carols: Vec<&Value> = votes.iter().filter(|v| v["object"] == carols).collect();
    assert_eq!(on_carols.len(), 1, "{export}");
    assert_eq!(on_carols[0]["score"], -1);
    assert_eq!(on_carols[0]["kind"], "post");
    assert!(
        votes
            .iter()
            .all(|v| v["object"] == carols || v["object"] == post || v["object"] == comment),
        "{export}"
    );
    let memberships: Vec<&str> = export["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["community"].as_str().unwrap())
        .collect();
    assert_eq!(
        memberships,
        vec![format!("meadow@{host_a}"), forest.clone()],
        "{export}"
    );
    assert_eq!(export["memberships"][1]["state"], "joined");
    assert_eq!(
        export["memberships"][1]["ap_id"],
        format!("http://{host_b}/c/forest")
    );
    assert_eq!(export["blocks"]["people"][0]["handle"], troll);
    assert_eq!(
        export["blocks"]["people"][0]["ap_id"],
        format!("http://{host_b}/u/troll")
    );
    assert_eq!(
        export["blocks"]["communities"][0]["handle"],
        format!("spam@{host_a}")
    );

    // A fresh account on B imports it: forest is local there, meadow and spam are A's.
    let alice_on_b = b.user("alice2").await;
    let mut document = export.clone();
    document["memberships"]
        .as_array_mut()
        .unwrap()
        .push(json!({"community": format!("nowhere@{host_a}"), "ap_id": "x", "state": "joined"}));
    let (status, report) = b
        .post_json("/api/v1/account/import", alice_on_b.auth(), document)
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["memberships"], 2, "{report}");
    assert_eq!(report["people_blocked"], 1, "{report}");
    assert_eq!(report["communities_blocked"], 1, "{report}");
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(failed[0]["kind"], "membership");
    assert_eq!(failed[0]["item"], format!("nowhere@{host_a}"));
    assert!(failed[0]["error"].is_string() && failed[0]["message"].is_string());

    assert_eq!(membership(&b, &alice_on_b, "forest").await, "joined");
    let meadow = format!("meadow@{host_a}");
    eventually("A accepts alice2's Follow of meadow", || async {
        membership(&b, &alice_on_b, &meadow).await == "joined"
    })
    .await;
    let (_, meadow_on_a) = a.get_json("/api/v1/communities/meadow", None).await;
    assert_eq!(meadow_on_a["counts"]["members"], 3, "{meadow_on_a}");
    let (status, blocks) = b
        .get_json("/api/v1/account/blocks", alice_on_b.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{blocks}");
    assert_eq!(blocks["people"][0]["handle"], "troll", "{blocks}");
    assert_eq!(
        blocks["communities"][0]["handle"],
        format!("spam@{host_a}"),
        "{blocks}"
    );

    // Importing the same again changes nothing and fails nothing.
    let (status, again) = b
        .post_json("/api/v1/account/import", alice_on_b.auth(), export.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["failed"], json!([]), "{again}");
    let (_, blocks_again) = b
        .get_json("/api/v1/account/blocks", alice_on_b.auth())
        .await;
    assert_eq!(blocks_again["people"].as_array().unwrap().len(), 1);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn imports_that_are_not_exports_or_too_big_are_refused() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let (status, body) = app
        .post_json(
            "/api/v1/account/import",
            alice.auth(),
            json!({"format": "something-else", "memberships": []}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "unknown_format");
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"community": format!("c{i}")}))
        .collect();
    let (status, body) = app
        .post_json(
            "/api/v1/account/import",
            alice.auth(),
            json!({"memberships": many}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "too_many_items");
    let (status, body) = app
        .post_json(
            "/api/v1/account/import",
            alice.auth(),
            json!({"memberships": [{"nope": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid_body");
    // Nothing at all was imported.
    let (_, blocks) = app.get_json("/api/v1/account/blocks", alice.auth()).await;
    assert_eq!(blocks, json!({"people": [], "communities": []}));
    let (status, body) = app
        .post_json("/api/v1/account/import", None, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app.get_json("/api/v1/account/export", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_settings_page_downloads_the_export() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            alice.auth(),
            json!({"name": "meadow", "title": "Meadow"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The session cookie carries a token like the API's.
    let cookie = format!("hearth_session={}", alice.token);
    let settings = app
        .client
        .get(format!("{}/settings", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), StatusCode::OK);
    assert!(
        settings
            .text()
            .await
            .unwrap()
            .contains("href=\"/settings/export\"")
    );
    let response = app
        .client
        .get(format!("{}/settings/export", app.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"hearth-alice.json\""
    );
    let document: Value = response.json().await.unwrap();
    assert_eq!(document["format"], "hearth-account-export");
    assert_eq!(
        document["memberships"][0]["community"],
        format!("meadow@{}", app.settings.hostname.as_str())
    );
    // Signed out, the download leads to the sign-in page.
    let response = app
        .client
        .get(format!("{}/settings/export", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        response.url().path().starts_with("/login"),
        "{}",
        response.url()
    );
    app.stop().await;
}

#[tokio::test]
async fn the_settings_page_imports_a_pasted_export() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let _carol = app.user("carol").await;
    create_community(&app, &alice, "meadow", json!({})).await;
    let (status, body) = app
        .post_json("/api/v1/users/carol/block", alice.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, export) = app.get_json("/api/v1/account/export", alice.auth()).await;

    let mut visitor = Visitor::signed_in(&app, &bob).await;
    let settings = visitor.get("/settings").await;
    assert!(
        settings.body.contains("action=\"/settings/import\""),
        "{}",
        settings.body
    );
    let page = visitor
        .post("/settings/import", &[("document", "not json")])
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(
        page.body.contains("This is not an account export"),
        "{}",
        page.body
    );
    let page = visitor
        .post("/settings/import", &[("document", &export.to_string())])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("Communities joined or asked to join: 1")
            && page.body.contains("People blocked: 1"),
        "{}",
        page.body
    );
    assert_eq!(membership(&app, &bob, "meadow").await, "joined");
    let (_, blocks) = app.get_json("/api/v1/account/blocks", bob.auth()).await;
    assert_eq!(blocks["people"][0]["handle"], "carol", "{blocks}");
    app.stop().await;
}

/// One import looks up at most 100 unknown communities and people on other servers; the rest
/// fail with `lookup_limit` instead of keeping the request (and other servers) busy.
#[tokio::test]
async fn an_import_looks_up_at_most_a_hundred_unknown_things_elsewhere() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    // Nothing listens on port 9 of this machine: every lookup fails at once.
    let memberships: Vec<Value> = (0..101)
        .map(|i| json!({"community": format!("c{i}@localhost:9")}))
        .collect();
    let (status, report) = app
        .post_json(
            "/api/v1/account/import",
            alice.auth(),
            json!({"memberships": memberships}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 101, "{report}");
    let over: Vec<&Value> = failed
        .iter()
        .filter(|f| f["error"] == "lookup_limit")
        .collect();
    assert_eq!(over.len(), 1, "only the 101st is over the budget: {report}");
    assert_eq!(over[0]["item"], "c100@localhost:9");
    assert_eq!(report["memberships"], 0);
    app.stop().await;
}
