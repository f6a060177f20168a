//! Communities through the API: creation, listing and search, settings, membership (open and
//! approval), moderators.

use hearth_tests::app::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create(app: &TestApp, owner: &TestUser, name: &str, extra: Value) -> Value {
    let mut body = json!({"name": name, "title": format!("All about {name}")});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, community) = app
        .post_json("/api/v1/communities", owner.auth(), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{community}");
    community
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_creator_is_the_first_member_and_moderator() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let community = create(
        &app,
        &kim,
        "Gardening",
        json!({"description": "Grow **things**. <script>alert(1)</script>", "nsfw": false}),
    )
    .await;
    assert_eq!(community["name"], "gardening");
    assert_eq!(community["counts"]["members"], 1);
    assert_eq!(community["my_membership"], "joined");
    assert_eq!(community["am_moderator"], true);
    assert_eq!(community["visibility"], "public");
    assert!(
        community["ap_id"]
            .as_str()
            .unwrap()
            .ends_with("/c/gardening")
    );
    assert_eq!(
        community["description"],
        "Grow **things**. <script>alert(1)</script>"
    );
    let html = community["description_html"].as_str().unwrap();
    assert!(
        html.contains("<strong>things</strong>") && !html.contains("<script"),
        "{html}"
    );

    let (status, mods) = app
        .get_json("/api/v1/communities/gardening/moderators", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&mods), ["kim"]);
    let (status, anonymous) = app.get_json("/api/v1/communities/Gardening", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(anonymous["my_membership"], "none");
    let host = app.settings.hostname.to_string();
    let (status, _) = app
        .get_json(&format!("/api/v1/communities/gardening@{host}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "name@our-host is a local community");
    app.stop().await;
}

#[tokio::test]
async fn bad_community_input_is_refused_and_nothing_is_stored() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    for (body, field) in [
        (json!({"name": "no", "title": "Too short a name"}), "name"),
        (json!({"name": "has space", "title": "Spaces"}), "name"),
        (json!({"name": "empty_title", "title": "   "}), "title"),
        (
            json!({"name": "long_title", "title": "x".repeat(101)}),
            "title",
        ),
        (
            json!({"name": "odd", "title": "Odd", "visibility": "secret"}),
            "visibility",
        ),
        (
            json!({"name": "big", "title": "Big", "description": "x".repeat(10_001)}),
            "description",
        ),
    ] {
        let (status, err) = app.post_json("/api/v1/communities", kim.auth(), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(err["field"], field, "{err}");
    }
    for body in [
        json!({"name": "typo", "title": "Typo", "nfsw": true}),
        json!({"name": "types", "title": 7}),
        json!(["not", "an", "object"]),
    ] {
        let (status, err) = app.post_json("/api/v1/communities", kim.auth(), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"], "invalid_body");
    }
    let (_, page) = app.get_json("/api/v1/communities", None).await;
    assert!(names(&page).is_empty(), "{page}");

    create(&app, &kim, "taken", json!({})).await;
    let (status, err) = app
        .post_json(
            "/api/v1/communities",
            kim.auth(),
            json!({"name": "TAKEN", "title": "Again"}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::CONFLICT, Some("name_taken"))
    );
    app.stop().await;
}

#[tokio::test]
async fn communities_list_by_members_newness_and_search_a_page_at_a_time() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let max = app.user("max").await;
    create(
        &app,
        &kim,
        "rust_lang",
        json!({"title": "The Rust language"}),
    )
    .await;
    create(
        &app,
        &kim,
        "gardening",
        json!({"title": "Vegetables and flowers"}),
    )
    .await;
    create(&app, &kim, "rustic_homes", json!({"title": "Old houses"})).await;
    for user in [&lee, &max] {
        app.post_json("/api/v1/communities/gardening/join", user.auth(), json!({}))
            .await;
    }
    app.post_json(
        "/api/v1/communities/rustic_homes/join",
        lee.auth(),
        json!({}),
    )
    .await;

    let (_, by_members) = app.get_json("/api/v1/communities?sort=members", None).await;
    assert_eq!(
        names(&by_members),
        ["gardening", "rustic_homes", "rust_lang"]
    );
    let (_, by_new) = app.get_json("/api/v1/communities?sort=new", None).await;
    assert_eq!(names(&by_new), ["rustic_homes", "gardening", "rust_lang"]);
    let (_, active) = app.get_json("/api/v1/communities?sort=active", None).await;
    assert_eq!(names(&active).len(), 3);
    let (_, found) = app
        .get_json("/api/v1/communities?q=rust&sort=new", None)
        .await;
    assert_eq!(
        names(&found),
        ["rustic_homes", "rust_lang"],
        "prefix search over name and title"
    );
    let (_, found) = app.get_json("/api/v1/communities?q=flowers", None).await;
    assert_eq!(names(&found), ["gardening"]);
    let (_, nothing) = app.get_json("/api/v1/communities?q=%27%3B--", None).await;
    assert!(names(&nothing).is_empty());

    // Cursor paging walks the whole list once, in order, even with a community added midway.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for round in 0.. {
        let path = match &cursor {
            Some(c) => format!("/api/v1/communities?sort=members&limit=1&cursor={c}"),
            None => "/api/v1/communities?sort=members&limit=1".to_owned(),
        };
        let (status, page) = app.get_json(&path, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(names(&page));
        if round == 0 {
            create(&app, &kim, "newcomer", json!({})).await;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["gardening", "rustic_homes", "newcomer", "rust_lang"]);

    for (query, field) in [
        ("sort=hot", "sort"),
        ("limit=0", "limit"),
        ("limit=500", "limit"),
        ("cursor=zzz", "cursor"),
    ] {
        let (status, err) = app
            .get_json(&format!("/api/v1/communities?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {err}");
        assert_eq!(err["field"], field);
    }
    let (status, err) = app.get_json("/api/v1/communities?limit=many", None).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    app.stop().await;
}

#[tokio::test]
async fn only_moderators_and_admins_change_a_community() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let root = app.admin("root").await;
    create(&app, &kim, "gardening", json!({})).await;

    let (status, updated) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/gardening",
            kim.auth(),
            Some(json!({"title": "Gardens", "description": "[x](javascript:alert(1)) *soil*", "visibility": "approval"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["title"], "Gardens");
    assert_eq!(updated["visibility"], "approval");
    let html = updated["description_html"].as_str().unwrap();
    assert!(
        html.contains("<em>soil</em>") && !html.contains("javascript"),
        "{html}"
    );

    let (status, err) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/gardening",
            lee.auth(),
            Some(json!({"title": "Mine"})),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/gardening",
            None,
            Some(json!({"title": "Mine"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, updated) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/gardening",
            root.auth(),
            Some(json!({"nsfw": true})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "admins may act on any local community"
    );
    assert_eq!(
        updated["title"], "Gardens",
        "absent fields stay as they were"
    );
    assert_eq!(updated["nsfw"], true);
    let (status, err) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/gardening",
            kim.auth(),
            Some(json!({"title": ""})),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("title"))
    );
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/nowhere",
            kim.auth(),
            Some(json!({"title": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn joining_and_leaving_keep_the_member_count_exact() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    create(&app, &kim, "gardening", json!({})).await;
    for _ in 0..2 {
        let (status, m) = app
            .post_json("/api/v1/communities/gardening/join", lee.auth(), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(m["state"], "joined");
    }
    let (_, community) = app
        .get_json("/api/v1/communities/gardening", lee.auth())
        .await;
    assert_eq!(
        community["counts"]["members"], 2,
        "joining twice counts once"
    );
    assert_eq!(community["my_membership"], "joined");
    for _ in 0..2 {
        let (status, m) = app
            .post_json("/api/v1/communities/gardening/leave", lee.auth(), json!({}))
            .await;
        assert_eq!(
            (status, m["state"].as_str()),
            (StatusCode::OK, Some("none"))
        );
    }
    let (_, community) = app.get_json("/api/v1/communities/gardening", None).await;
    assert_eq!(community["counts"]["members"], 1);
    let (status, _) = app
        .post_json("/api/v1/communities/nowhere/join", lee.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post_json(
            "/api/v1/communities/gardening@elsewhere.example/join",
            lee.auth(),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "remote communities need federation"
    );
    app.stop().await;
}

#[tokio::test]
async fn approval_communities_hold_requests_until_a_moderator_decides() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let max = app.user("max").await;
    create(
        &app,
        &kim,
        "private_garden",
        json!({"visibility": "approval"}),
    )
    .await;
    for user in [&lee, &max] {
        let (_, m) = app
            .post_json(
                "/api/v1/communities/private_garden/join",
                user.auth(),
                json!({}),
            )
            .await;
        assert_eq!(m["state"], "pending");
    }
    let (_, community) = app
        .get_json("/api/v1/communities/private_garden", lee.auth())
        .await;
    assert_eq!(
        community["counts"]["members"], 1,
        "requests are not members"
    );
    assert_eq!(community["my_membership"], "pending");

    let (status, pending) = app
        .get_json(
            "/api/v1/communities/private_garden/members?state=pending",
            kim.auth(),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let pending: Vec<&str> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["person"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(pending, ["lee", "max"]);
    let (status, err) = app
        .get_json("/api/v1/communities/private_garden/members", lee.auth())
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );
    let (status, err) = app
        .post_json(
            "/api/v1/communities/private_garden/members/max/approve",
            lee.auth(),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );

    let (status, m) = app
        .post_json(
            "/api/v1/communities/private_garden/members/lee/approve",
            kim.auth(),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, m["state"].as_str()),
        (StatusCode::OK, Some("joined"))
    );
    let (status, m) = app
        .post_json(
            "/api/v1/communities/private_garden/members/max/deny",
            kim.auth(),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, m["state"].as_str()),
        (StatusCode::OK, Some("none"))
    );
    let (status, _) = app
        .post_json(
            "/api/v1/communities/private_garden/members/max/approve",
            kim.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a denied request is gone");
    let (status, _) = app
        .post_json(
            "/api/v1/communities/private_garden/members/ghost/approve",
            kim.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, community) = app
        .get_json("/api/v1/communities/private_garden", max.auth())
        .await;
    assert_eq!(community["counts"]["members"], 2);
    assert_eq!(community["my_membership"], "none");
    let (_, joined) = app
        .get_json(
            "/api/v1/communities/private_garden/members?state=joined",
            kim.auth(),
        )
        .await;
    assert_eq!(joined["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn moderators_add_and_remove_moderators_but_never_the_last() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let max = app.user("max").await;
    create(&app, &kim, "gardening", json!({})).await;
    let path = "/api/v1/communities/gardening/moderators";

    let (status, err) = app
        .post_json(path, lee.auth(), json!({"user": "max"}))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );
    let (status, mods) = app
        .post_json(path, kim.auth(), json!({"user": "lee"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&mods), ["kim", "lee"]);
    let (status, err) = app
        .post_json(path, kim.auth(), json!({"user": "lee"}))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::CONFLICT, Some("already_moderator"))
    );
    let (status, _) = app
        .post_json(path, kim.auth(), json!({"user": "ghost"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, err) = app
        .post_json(path, kim.auth(), json!({"user": "bad name!"}))
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, _) = app
        .post_json(path, kim.auth(), json!({"person": "max"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Seniority: a moderator removes those added after them, never those before.
    let (status, err) = app
        .call(Method::DELETE, &format!("{path}/kim"), lee.auth(), None)
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("outranked"))
    );
    let (status, _) = app
        .call(Method::DELETE, &format!("{path}/max"), lee.auth(), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "max is no moderator");
    let (status, err) = app
        .call(Method::DELETE, &format!("{path}/lee"), max.auth(), None)
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );
    let (status, mods) = app
        .call(Method::DELETE, &format!("{path}/lee"), kim.auth(), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&mods), ["kim"]);
    let (status, err) = app
        .call(Method::DELETE, &format!("{path}/kim"), kim.auth(), None)
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::CONFLICT, Some("last_moderator"))
    );

    // Admins outrank everyone.
    let root = app.admin("root").await;
    app.post_json(path, kim.auth(), json!({"user": "lee"}))
        .await;
    let (status, mods) = app
        .call(Method::DELETE, &format!("{path}/kim"), root.auth(), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&mods), ["lee"]);
    let (_, mods) = app.get_json(path, None).await;
    assert_eq!(names(&mods), ["lee"]);
    app.stop().await;
}

#[tokio::test]
async fn lists_and_membership_answers_speak_of_the_viewer_and_the_canonical_name() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    create(&app, &kim, "gardening", json!({})).await;
    create(&app, &kim, "cycling", json!({})).await;
    let (_, m) = app
        .post_json("/api/v1/communities/GARDENING/join", lee.auth(), json!({}))
        .await;
    assert_eq!(m["community"], "gardening");
    let (_, page) = app
        .get_json("/api/v1/communities?sort=new", lee.auth())
        .await;
    let relation: Vec<(&str, &str, bool)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["my_membership"].as_str().unwrap(),
                c["am_moderator"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        relation,
        [("cycling", "none", false), ("gardening", "joined", false)]
    );
    let (_, page) = app
        .get_json("/api/v1/communities?sort=new", kim.auth())
        .await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["am_moderator"] == true)
    );
    app.stop().await;
}

#[tokio::test]
async fn opening_an_approval_community_admits_everyone_waiting() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    create(&app, &kim, "club", json!({"visibility": "approval"})).await;
    let (_, m) = app
        .post_json("/api/v1/communities/club/join", lee.auth(), json!({}))
        .await;
    assert_eq!(m["state"], "pending");
    let (status, club) = app
        .call(
            Method::PATCH,
            "/api/v1/communities/club",
            kim.auth(),
            Some(json!({"visibility": "public"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(club["counts"]["members"], 2);
    let (_, club) = app.get_json("/api/v1/communities/club", lee.auth()).await;
    assert_eq!(club["my_membership"], "joined");
    app.stop().await;
}

#[tokio::test]
async fn sites_that_restrict_creation_let_only_admins_create_communities() {
    let app = TestApp::spawn(&[]).await;
    let root = app.admin("root").await;
    let kim = app.user("kim").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"community_creation_admin_only": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = app
        .post_json(
            "/api/v1/communities",
            kim.auth(),
            json!({"name": "mine", "title": "Mine"}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("community_creation_restricted"))
    );
    create(&app, &root, "official", json!({})).await;
    app.stop().await;
}
