//! Posts, comments, votes, feeds and search through the API.

use hearth_tests::app::{TestApp, TestUser, titles};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn community(app: &TestApp, owner: &TestUser, name: &str, extra: Value) {
    let mut body = json!({"name": name, "title": format!("About {name}")});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, c) = app
        .post_json("/api/v1/communities", owner.auth(), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
}

async fn post(app: &TestApp, author: &TestUser, community: &str, title: &str, body: &str) -> Value {
    let (status, p) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": community, "title": title, "body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p
}

async fn comment(
    app: &TestApp,
    author: &TestUser,
    post_id: i64,
    parent: Option<i64>,
    body: &str,
) -> Value {
    let (status, c) = app
        .post_json(
            "/api/v1/comments",
            author.auth(),
            json!({"post_id": post_id, "parent_id": parent, "body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_post_is_written_read_edited_and_deleted_by_its_author() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(&app, &kim, "gardening", json!({})).await;
    let (status, created) = app
        .post_json(
            "/api/v1/posts",
            lee.auth(),
            json!({"community": "gardening", "title": "  Tomatoes in May  ",
                   "url": "https://www.example.org/tomatoes", "body": "Plant them **deep**.",
                   "language": "en", "nsfw": false}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["title"], "Tomatoes in May");
    assert_eq!(created["url_domain"], "example.org");
    assert_eq!(
        created["body_html"],
        "<p>Plant them <strong>deep</strong>.</p>\n"
    );
    assert_eq!(created["community"]["name"], "gardening");
    assert_eq!(created["author"]["name"], "lee");
    assert_eq!(created["counts"]["score"], 0);
    assert_eq!(created["my_vote"], 0);
    assert!(
        created["ap_id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/post/{}", id(&created)))
    );
    let post_id = id(&created);

    let (status, edited) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/posts/{post_id}"),
            lee.auth(),
            Some(json!({"body": "Plant them *deeper*.", "url": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["title"], "Tomatoes in May");
    assert_eq!(edited["url"], Value::Null);
    assert!(edited["edited_at"].is_string());
    let (status, err) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/posts/{post_id}"),
            kim.auth(),
            Some(json!({"title": "Mine"})),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_author"))
    );
    let (status, err) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/posts/{post_id}"),
            kim.auth(),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_author"))
    );

    comment(&app, &kim, post_id, None, "Good advice").await;
    let (status, deleted) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/posts/{post_id}"),
            lee.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["body"], "");
    let (status, shown) = app
        .get_json(&format!("/api/v1/posts/{post_id}"), None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a deleted post's thread stays readable"
    );
    assert_eq!(shown["deleted"], true);
    let (_, thread) = app
        .get_json(&format!("/api/v1/posts/{post_id}/comments"), None)
        .await;
    assert_eq!(thread["items"].as_array().unwrap().len(), 1);
    let (_, feed) = app.get_json("/api/v1/posts?sort=new", None).await;
    assert!(titles(&feed).is_empty(), "deleted posts leave the feeds");
    let (status, _) = app.get_json("/api/v1/posts/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn bad_post_input_names_the_field_and_stores_nothing() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "gardening", json!({})).await;
    for (body, field) in [
        (json!({"community": "gardening", "title": ""}), "title"),
        (
            json!({"community": "gardening", "title": "x".repeat(201)}),
            "title",
        ),
        (
            json!({"community": "gardening", "title": "Link", "url": "javascript:alert(1)"}),
            "url",
        ),
        (
            json!({"community": "gardening", "title": "Link", "url": "ftp://example.org/x"}),
            "url",
        ),
        (
            json!({"community": "gardening", "title": "Link", "url": format!("https://e.org/{}", "a".repeat(2000))}),
            "url",
        ),
        (
            json!({"community": "gardening", "title": "Body", "body": "x".repeat(50_001)}),
            "body",
        ),
        (
            json!({"community": "gardening", "title": "Lang", "language": "english please"}),
            "language",
        ),
    ] {
        let (status, err) = app.post_json("/api/v1/posts", kim.auth(), body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(err["field"], field);
    }
    let (status, _) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            json!({"community": "nowhere", "title": "Hello"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            json!({"community": "gardening", "title": "Hi", "sticky": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .post_json(
            "/api/v1/posts",
            None,
            json!({"community": "gardening", "title": "Hi"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, feed) = app.get_json("/api/v1/posts?sort=new", None).await;
    assert!(titles(&feed).is_empty());
    let (_, c) = app.get_json("/api/v1/communities/gardening", None).await;
    assert_eq!(c["counts"]["posts"], 0);
    app.stop().await;
}

#[tokio::test]
async fn restricted_and_approval_communities_limit_who_writes() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(
        &app,
        &kim,
        "announcements",
        json!({"posting_restricted_to_mods": true}),
    )
    .await;
    community(&app, &kim, "club", json!({"visibility": "approval"})).await;
    let (status, err) = app
        .post_json(
            "/api/v1/posts",
            lee.auth(),
            json!({"community": "announcements", "title": "Hi"}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("posting_restricted"))
    );
    let news = post(&app, &kim, "announcements", "News", "").await;
    comment(&app, &lee, id(&news), None, "Members may still comment").await;

    let (status, err) = app
        .post_json(
            "/api/v1/posts",
            lee.auth(),
            json!({"community": "club", "title": "Hi"}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_member"))
    );
    app.post_json("/api/v1/communities/club/join", lee.auth(), json!({}))
        .await;
    app.post_json(
        "/api/v1/communities/club/members/lee/approve",
        kim.auth(),
        json!({}),
    )
    .await;
    post(&app, &lee, "club", "Now I may", "").await;
    app.stop().await;
}

#[tokio::test]
async fn threads_nest_load_in_display_order_and_keep_replies_of_deleted_comments() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(&app, &kim, "gardening", json!({})).await;
    let p = id(&post(&app, &kim, "gardening", "Thread", "").await);
    let a = id(&comment(&app, &kim, p, None, "A").await);
    let b = id(&comment(&app, &lee, p, None, "B").await);
    let a1 = id(&comment(&app, &lee, p, Some(a), "A1").await);
    let a2 = id(&comment(&app, &kim, p, Some(a), "A2").await);
    let a1x = id(&comment(&app, &kim, p, Some(a1), "A1x").await);
    // B gets the best score, so `top` puts it first; A2 beats A1.
    app.post_json(
        &format!("/api/v1/comments/{b}/vote"),
        lee.auth(),
        json!({"score": 1}),
    )
    .await;
    app.post_json(
        &format!("/api/v1/comments/{a2}/vote"),
        lee.auth(),
        json!({"score": 1}),
    )
    .await;

    let bodies = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, old) = app
        .get_json(&format!("/api/v1/posts/{p}/comments?sort=old"), None)
        .await;
    assert_eq!(bodies(&old), ["A", "A1", "A1x", "A2", "B"]);
    let (_, top) = app
        .get_json(&format!("/api/v1/posts/{p}/comments?sort=top"), None)
        .await;
    assert_eq!(bodies(&top), ["B", "A", "A2", "A1", "A1x"]);
    let (_, new) = app
        .get_json(&format!("/api/v1/posts/{p}/comments?sort=new"), None)
        .await;
    assert_eq!(bodies(&new), ["B", "A", "A2", "A1", "A1x"]);
    let (_, shallow) = app
        .get_json(
            &format!("/api/v1/posts/{p}/comments?sort=old&max_depth=1"),
            None,
        )
        .await;
    assert_eq!(bodies(&shallow), ["A", "B"]);
    assert_eq!(
        shallow["items"][0]["child_count"], 2,
        "clients learn there is more to load"
    );
    let (_, more) = app
        .get_json(
            &format!("/api/v1/posts/{p}/comments?sort=old&parent_id={a}"),
            None,
        )
        .await;
    assert_eq!(bodies(&more), ["A1", "A1x", "A2"]);
    let (_, cut) = app
        .get_json(
            &format!("/api/v1/posts/{p}/comments?sort=old&limit=2"),
            None,
        )
        .await;
    assert_eq!(
        bodies(&cut),
        ["A", "A1"],
        "the limit cuts in display order: no orphans"
    );
    let (_, c) = app.get_json(&format!("/api/v1/comments/{a1x}"), None).await;
    assert_eq!(c["path"], json!([a, a1, a1x]));
    assert_eq!(c["depth"], 3);

    let (status, deleted) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/comments/{a1}"),
            lee.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (deleted["deleted"].as_bool(), deleted["body"].as_str()),
        (Some(true), Some(""))
    );
    let (_, after) = app
        .get_json(&format!("/api/v1/posts/{p}/comments?sort=old"), None)
        .await;
    let items = after["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "the deleted comment stays as a placeholder");
    assert_eq!(items[1]["deleted"], true);
    assert_eq!(items[2]["body"], "A1x", "its reply stays visible");

    for (query, field) in [
        ("sort=best", "sort"),
        ("max_depth=0", "max_depth"),
        ("limit=501", "limit"),
        ("parent_id=999999", "parent_id"),
    ] {
        let (status, err) = app
            .get_json(&format!("/api/v1/posts/{p}/comments?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {err}");
        assert_eq!(err["field"], field);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_twenty_deep_thread_loads_whole_in_one_query() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "deep", json!({})).await;
    let p = id(&post(&app, &kim, "deep", "Deep", "").await);
    let mut parent = None;
    for level in 1..=20 {
        parent = Some(id(&comment(
            &app,
            &kim,
            p,
            parent,
            &format!("level {level}"),
        )
        .await));
    }
    // One statement: the tree is a single recursive query.
    let pool = app.db.pool().await;
    let rows = hearth_db::comment::tree(
        &pool,
        p,
        None,
        hearth_db::comment::CommentSort::Old,
        100,
        500,
        None,
    )
    .await
    .unwrap();
    let depths: Vec<i32> = rows.iter().map(|c| c.depth).collect();
    assert_eq!(depths, (1..=20).collect::<Vec<_>>());
    let (_, thread) = app
        .get_json(&format!("/api/v1/posts/{p}/comments?max_depth=20"), None)
        .await;
    assert_eq!(thread["items"].as_array().unwrap().len(), 20);
    assert_eq!(thread["items"][19]["body"], "level 20");
    app.stop().await;
}

#[tokio::test]
async fn bad_comment_input_is_refused() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "gardening", json!({})).await;
    let p1 = id(&post(&app, &kim, "gardening", "One", "").await);
    let p2 = id(&post(&app, &kim, "gardening", "Two", "").await);
    let c2 = id(&comment(&app, &kim, p2, None, "on two").await);
    for (body, status, field) in [
        (
            json!({"post_id": p1, "body": "   "}),
            StatusCode::BAD_REQUEST,
            Some("body"),
        ),
        (
            json!({"post_id": p1, "body": "x".repeat(10_001)}),
            StatusCode::BAD_REQUEST,
            Some("body"),
        ),
        (
            json!({"post_id": p1, "parent_id": c2, "body": "wrong post"}),
            StatusCode::BAD_REQUEST,
            Some("parent_id"),
        ),
        (
            json!({"post_id": p1, "parent_id": 999999, "body": "no parent"}),
            StatusCode::BAD_REQUEST,
            Some("parent_id"),
        ),
        (
            json!({"post_id": 999999, "body": "no post"}),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            json!({"post_id": "one", "body": "types"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
    ] {
        let (got, err) = app.post_json("/api/v1/comments", kim.auth(), body).await;
        assert_eq!(got, status, "{err}");
        assert_eq!(err["field"].as_str(), field, "{err}");
    }
    let (status, err) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/comments/{c2}"),
            kim.auth(),
            Some(json!({"body": ""})),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body"))
    );
    let (status, edited) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/comments/{c2}"),
            kim.auth(),
            Some(json!({"body": "on *two*"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(edited["body_html"], "<p>on <em>two</em></p>\n");
    let lee = app.user("lee").await;
    let (status, err) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/comments/{c2}"),
            lee.auth(),
            Some(json!({"body": "mine"})),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_author"))
    );
    let (_, p) = app.get_json(&format!("/api/v1/posts/{p1}"), None).await;
    assert_eq!(p["comment_count"], 0, "refused comments are not counted");
    app.stop().await;
}

#[tokio::test]
async fn votes_count_once_per_person_and_come_back_as_my_vote() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(&app, &kim, "gardening", json!({})).await;
    let p = id(&post(&app, &kim, "gardening", "Vote", "").await);
    let path = format!("/api/v1/posts/{p}/vote");
    let (_, v) = app.post_json(&path, lee.auth(), json!({"score": 1})).await;
    assert_eq!(
        (v["counts"]["score"].as_i64(), v["my_vote"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, v) = app.post_json(&path, lee.auth(), json!({"score": 1})).await;
    assert_eq!(v["counts"]["upvotes"], 1, "voting twice counts once");
    let (_, v) = app.post_json(&path, lee.auth(), json!({"score": -1})).await;
    assert_eq!(
        (
            v["counts"]["score"].as_i64(),
            v["counts"]["upvotes"].as_i64(),
            v["counts"]["downvotes"].as_i64()
        ),
        (Some(-1), Some(0), Some(1))
    );
    let (_, v) = app.post_json(&path, kim.auth(), json!({"score": 1})).await;
    assert_eq!(v["counts"]["score"], 0);
    assert_eq!(v["my_vote"], 1);
    let (_, seen_by_lee) = app
        .get_json(&format!("/api/v1/posts/{p}"), lee.auth())
        .await;
    assert_eq!(seen_by_lee["my_vote"], -1);
    let (_, v) = app.post_json(&path, lee.auth(), json!({"score": 0})).await;
    assert_eq!(
        (
            v["counts"]["score"].as_i64(),
            v["counts"]["downvotes"].as_i64(),
            v["my_vote"].as_i64()
        ),
        (Some(1), Some(0), Some(0))
    );

    let (status, err) = app.post_json(&path, lee.auth(), json!({"score": 2})).await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("score"))
    );
    let (status, _) = app
        .post_json(&path, lee.auth(), json!({"score": "up"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post_json(&path, None, json!({"score": 1})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post_json("/api/v1/posts/999999/vote", lee.auth(), json!({"score": 1}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let c = id(&comment(&app, &kim, p, None, "vote on me").await);
    let (status, v) = app
        .post_json(
            &format!("/api/v1/comments/{c}/vote"),
            lee.auth(),
            json!({"score": -1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (v["counts"]["score"].as_i64(), v["my_vote"].as_i64()),
        (Some(-1), Some(-1))
    );

    let root = app.admin("root").await;
    app.call(
        Method::PATCH,
        "/api/v1/admin/site",
        root.auth(),
        Some(json!({"downvotes_enabled": false})),
    )
    .await;
    let (status, err) = app.post_json(&path, lee.auth(), json!({"score": -1})).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("downvotes_disabled"))
    );
    let (status, err) = app
        .post_json(
            &format!("/api/v1/comments/{c}/vote"),
            kim.auth(),
            json!({"score": -1}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("downvotes_disabled"))
    );
    app.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_voters_leave_exact_counts() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "busy", json!({})).await;
    let p = id(&post(&app, &kim, "busy", "Vote storm", "").await);
    let mut voters = Vec::new();
    for n in 0..50 {
        voters.push(app.user(&format!("voter_{n}")).await);
    }
    let url = format!("{}/api/v1/posts/{p}/vote", app.base);
    let mut votes = tokio::task::JoinSet::new();
    for (n, voter) in voters.into_iter().enumerate() {
        let (client, url) = (app.client.clone(), url.clone());
        let score = if n % 5 == 0 { -1 } else { 1 };
        votes.spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(voter.token)
                .json(&json!({"score": score}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        });
    }
    while let Some(done) = votes.join_next().await {
        done.unwrap();
    }
    let (_, v) = app.get_json(&format!("/api/v1/posts/{p}"), None).await;
    assert_eq!(v["counts"]["upvotes"], 40);
    assert_eq!(v["counts"]["downvotes"], 10);
    assert_eq!(v["counts"]["score"], 30);
    let pool = app.db.pool().await;
    let stored: i64 = sqlx::query_scalar("select count(*) from post_vote where post_id = $1")
        .bind(p)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 50);
    app.stop().await;
}

#[tokio::test]
async fn feeds_sort_scope_and_page_posts() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(&app, &kim, "gardening", json!({})).await;
    community(&app, &kim, "cycling", json!({})).await;
    let quiet = id(&post(&app, &kim, "gardening", "Quiet", "").await);
    let loved = id(&post(&app, &kim, "cycling", "Loved", "").await);
    let talked = id(&post(&app, &kim, "gardening", "Talked about", "").await);
    for voter in ["voter_1", "voter_2", "voter_3"] {
        let v = app.user(voter).await;
        app.post_json(
            &format!("/api/v1/posts/{loved}/vote"),
            v.auth(),
            json!({"score": 1}),
        )
        .await;
    }
    let fighter = app.user("fighter").await;
    app.post_json(
        &format!("/api/v1/posts/{talked}/vote"),
        fighter.auth(),
        json!({"score": -1}),
    )
    .await;
    app.post_json(
        &format!("/api/v1/posts/{talked}/vote"),
        lee.auth(),
        json!({"score": 1}),
    )
    .await;
    comment(&app, &lee, talked, None, "one").await;
    comment(&app, &lee, talked, None, "two").await;
    let _ = quiet;

    let feed = |q: &str| format!("/api/v1/posts?{q}");
    let (_, new) = app.get_json(&feed("sort=new"), None).await;
    assert_eq!(titles(&new), ["Talked about", "Loved", "Quiet"]);
    let (_, top) = app.get_json(&feed("sort=top_day"), None).await;
    assert_eq!(titles(&top)[0], "Loved");
    let (_, hot) = app.get_json(&feed("sort=hot"), None).await;
    assert_eq!(titles(&hot)[0], "Loved");
    let (_, most) = app.get_json(&feed("sort=most_comments"), None).await;
    assert_eq!(titles(&most)[0], "Talked about");
    let (_, contro) = app.get_json(&feed("sort=controversial"), None).await;
    assert_eq!(titles(&contro)[0], "Talked about");
    let (_, active) = app.get_json(&feed("sort=active"), None).await;
    assert_eq!(titles(&active).len(), 3);
    let (_, gardening) = app
        .get_json(&feed("community=gardening&sort=new"), None)
        .await;
    assert_eq!(titles(&gardening), ["Talked about", "Quiet"]);
    let (_, local) = app.get_json(&feed("feed=local&sort=new"), None).await;
    assert_eq!(titles(&local).len(), 3);

    app.post_json("/api/v1/communities/cycling/join", lee.auth(), json!({}))
        .await;
    let (status, subscribed) = app
        .get_json(&feed("feed=subscribed&sort=new"), lee.auth())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(titles(&subscribed), ["Loved"]);
    let (status, err) = app.get_json(&feed("feed=subscribed"), None).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("not_signed_in"))
    );

    // Pages stay stable when a post arrives between them.
    let (_, first) = app.get_json(&feed("sort=new&limit=2"), None).await;
    assert_eq!(titles(&first), ["Talked about", "Loved"]);
    post(&app, &kim, "gardening", "Latecomer", "").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get_json(&feed(&format!("sort=new&limit=2&cursor={cursor}")), None)
        .await;
    assert_eq!(titles(&second), ["Quiet"]);
    assert_eq!(second["next_cursor"], Value::Null);
    let (_, hot_first) = app.get_json(&feed("sort=hot&limit=1"), None).await;
    let cursor = hot_first["next_cursor"].as_str().unwrap();
    let (status, hot_rest) = app
        .get_json(&feed(&format!("sort=hot&limit=10&cursor={cursor}")), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        titles(&hot_rest).len(),
        3,
        "hot pages continue below the first"
    );

    for (q, field) in [
        ("sort=best", "sort"),
        ("feed=friends", "feed"),
        ("cursor=abc", "cursor"),
        ("limit=0", "limit"),
    ] {
        let (status, err) = app.get_json(&feed(q), None).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{q}"
        );
    }
    let (status, _) = app.get_json(&feed("community=nowhere"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, lee_comments) = app.get_json("/api/v1/users/lee/comments", None).await;
    assert_eq!(lee_comments["items"].as_array().unwrap().len(), 2);
    let (_, kim_posts) = app.get_json("/api/v1/users/kim/posts?limit=2", None).await;
    assert_eq!(titles(&kim_posts), ["Latecomer", "Talked about"]);
    assert!(kim_posts["next_cursor"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn search_finds_posts_by_stemmed_words_best_first_and_other_kinds_by_name() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(
        &app,
        &kim,
        "gardening",
        json!({"title": "Gardens and allotments"}),
    )
    .await;
    community(&app, &kim, "cycling", json!({})).await;
    post(
        &app,
        &kim,
        "gardening",
        "Gardening for beginners",
        "Start with gardens of herbs.",
    )
    .await;
    post(
        &app,
        &kim,
        "cycling",
        "Bike repair",
        "My garden shed holds the bikes.",
    )
    .await;
    post(
        &app,
        &kim,
        "cycling",
        "Routes",
        "Nothing about plants here.",
    )
    .await;
    let p = id(&post(&app, &kim, "gardening", "Soil", "").await);
    comment(&app, &kim, p, None, "Composting improves gardens").await;

    let (status, found) = app.get_json("/api/v1/search?q=gardens", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found["type"], "posts");
    let found_titles: Vec<&str> = found["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        found_titles,
        ["Gardening for beginners", "Bike repair"],
        "title matches rank first; stems match"
    );
    let (_, narrowed) = app
        .get_json("/api/v1/search?q=garden&community=cycling", None)
        .await;
    assert_eq!(narrowed["posts"].as_array().unwrap().len(), 1);
    let (_, comments) = app
        .get_json("/api/v1/search?q=garden&type=comments", None)
        .await;
    assert_eq!(
        comments["comments"][0]["body"],
        "Composting improves gardens"
    );
    let (_, communities) = app
        .get_json("/api/v1/search?q=allot&type=communities", None)
        .await;
    assert_eq!(communities["communities"][0]["name"], "gardening");
    let (_, users) = app.get_json("/api/v1/search?q=ki&type=users", None).await;
    assert_eq!(users["users"][0]["name"], "kim");
    let (_, paged) = app.get_json("/api/v1/search?q=garden&limit=1", None).await;
    let cursor = paged["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = app
        .get_json(
            &format!("/api/v1/search?q=garden&limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["posts"][0]["title"], "Bike repair");

    for (q, field) in [
        ("", "q"),
        ("q=", "q"),
        ("q=x&type=everything", "type"),
        ("q=x&cursor=zz", "cursor"),
    ] {
        let (status, err) = app.get_json(&format!("/api/v1/search?{q}"), None).await;
        assert_eq!(
            (status, err["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{q}"
        );
    }
    let (status, _) = app
        .get_json("/api/v1/search?q=%22unclosed%20-%20or", None)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "web-search syntax never breaks the query"
    );
    app.stop().await;
}

#[tokio::test]
async fn posts_and_comments_are_rate_limited_per_account() {
    let app = TestApp::spawn(&[
        ("HEARTH__RATE_LIMITS__POST__MAX", "2"),
        ("HEARTH__RATE_LIMITS__COMMENT__MAX", "1"),
        ("HEARTH__RATE_LIMITS__VOTE__MAX", "1"),
    ])
    .await;
    let kim = app.user("kim").await;
    community(&app, &kim, "gardening", json!({})).await;
    let p = id(&post(&app, &kim, "gardening", "One", "").await);
    post(&app, &kim, "gardening", "Two", "").await;
    let (status, _) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            json!({"community": "gardening", "title": "Three"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    comment(&app, &kim, p, None, "first").await;
    let (status, _) = app
        .post_json(
            "/api/v1/comments",
            kim.auth(),
            json!({"post_id": p, "body": "second"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    app.post_json(
        &format!("/api/v1/posts/{p}/vote"),
        kim.auth(),
        json!({"score": 1}),
    )
    .await;
    let (status, _) = app
        .post_json(
            &format!("/api/v1/posts/{p}/vote"),
            kim.auth(),
            json!({"score": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let lee = app.user("lee").await;
    let (status, _) = app
        .post_json(
            "/api/v1/posts",
            lee.auth(),
            json!({"community": "gardening", "title": "Lee's"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "limits are per account");
    app.stop().await;
}

#[tokio::test]
async fn hostile_markdown_in_posts_and_comments_comes_out_harmless() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "gardening", json!({})).await;
    let payloads = [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "<img src=x onerror=alert(1)>",
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)></svg>",
    ];
    for payload in payloads {
        let p = post(&app, &kim, "gardening", "Hostile", payload).await;
        let c = comment(&app, &kim, id(&p), None, payload).await;
        for html in [
            p["body_html"].as_str().unwrap(),
            c["body_html"].as_str().unwrap(),
        ] {
            let lower = html.to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "data:",
                "onerror",
                "onload",
                "<iframe",
                "<svg",
            ] {
                assert!(!lower.contains(bad), "{payload} became {html}");
            }
        }
        assert_eq!(
            p["body"], payload,
            "the markdown as written is kept, only the HTML is cleaned"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn deleting_lowers_counts_and_a_vote_on_deleted_content_can_still_be_taken_back() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(&app, &kim, "gardening", json!({})).await;
    let p = id(&post(&app, &kim, "gardening", "Short-lived", "").await);
    let c = id(&comment(&app, &lee, p, None, "about to go").await);
    app.post_json(
        &format!("/api/v1/posts/{p}/vote"),
        lee.auth(),
        json!({"score": 1}),
    )
    .await;
    app.call(
        Method::DELETE,
        &format!("/api/v1/comments/{c}"),
        lee.auth(),
        None,
    )
    .await;
    let (_, shown) = app.get_json(&format!("/api/v1/posts/{p}"), None).await;
    assert_eq!(shown["comment_count"], 0);
    app.call(
        Method::DELETE,
        &format!("/api/v1/posts/{p}"),
        kim.auth(),
        None,
    )
    .await;
    let (_, gardening) = app.get_json("/api/v1/communities/gardening", None).await;
    assert_eq!(
        (
            gardening["counts"]["posts"].as_i64(),
            gardening["counts"]["comments"].as_i64()
        ),
        (Some(0), Some(0))
    );
    let (status, err) = app
        .post_json(
            &format!("/api/v1/posts/{p}/vote"),
            lee.auth(),
            json!({"score": -1}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("deleted"))
    );
    let (status, cleared) = app
        .post_json(
            &format!("/api/v1/posts/{p}/vote"),
            lee.auth(),
            json!({"score": 0}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{cleared}");
    assert_eq!(cleared["counts"]["score"], 0);
    app.stop().await;
}

#[tokio::test]
async fn outsiders_cannot_vote_in_approval_communities_and_pending_accounts_stay_hidden() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    community(&app, &kim, "club", json!({"visibility": "approval"})).await;
    let p = id(&post(&app, &kim, "club", "Members only", "").await);
    let (status, err) = app
        .post_json(
            &format!("/api/v1/posts/{p}/vote"),
            lee.auth(),
            json!({"score": 1}),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_member"))
    );

    let root = app.admin("root").await;
    app.call(
        Method::PATCH,
        "/api/v1/admin/site",
        root.auth(),
        Some(json!({"registration_mode": "approval"})),
    )
    .await;
    let (status, _) = app
        .post_json("/api/v1/accounts", None, json!({"username": "spammer", "password": "a long enough password", "display_name": "Cheap watches"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, found) = app
        .get_json("/api/v1/search?q=watches&type=users", None)
        .await;
    assert_eq!(
        found["users"],
        json!([]),
        "unapproved accounts are not public"
    );
    let (status, _) = app.get_json("/api/v1/users/spammer", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn posts_in_an_nsfw_community_are_nsfw_whatever_their_own_flag() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "after_dark", json!({"nsfw": true})).await;
    let p = post(&app, &kim, "after_dark", "Unflagged", "").await;
    assert_eq!(p["nsfw"], true);
    let (_, feed) = app.get_json("/api/v1/posts?sort=new", None).await;
    assert_eq!(feed["items"][0]["nsfw"], true);
    app.stop().await;
}

#[tokio::test]
async fn new_lists_posts_by_publication_time_when_older_posts_arrive_later() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "history", json!({})).await;
    post(&app, &kim, "history", "Written here now", "").await;
    let pool = app.db.pool().await;
    let community_id: i64 = sqlx::query_scalar("select id from community where name = 'history'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let author: i64 = sqlx::query_scalar(
        "insert into person (ap_id, local, name, host)
         values ('https://old.example/u/ann', false, 'ann', 'old.example') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // A backfill stores the newest posts first, so ids rise as publication times fall; two
    // were published in the same microsecond, and the later-stored one lists first.
    let base = chrono::Utc::now() - chrono::Duration::microseconds(3_600_000_123);
    let hours_ago = |h: i64| base - chrono::Duration::hours(h);
    let backfill = [
        ("An hour ago", hours_ago(0)),
        ("Two hours ago", hours_ago(1)),
        ("Three hours ago, first", hours_ago(2)),
        ("Three hours ago, second", hours_ago(2)),
        ("Four hours ago", hours_ago(3)),
        ("Five hours ago", hours_ago(4)),
    ];
    let mut conn = pool.acquire().await.unwrap();
    let mut ids = std::collections::HashMap::new();
    for (n, (title, published)) in backfill.iter().enumerate() {
        let ap_id = format!("https://old.example/post/{n}");
        let new = hearth_db::post::NewPost {
            ap_id: Some(&ap_id),
            local: false,
            community_id,
            author_id: author,
            title,
            url: None,
            body: "",
            body_html: "",
            nsfw: false,
            language: None,
        };
        let id = hearth_db::post::upsert_remote(&mut conn, &new, *published, None)
            .await
            .unwrap()
            .unwrap();
        ids.insert(*title, id);
    }
    drop(conn);
    let newest_first = [
        "Written here now",
        "An hour ago",
        "Two hours ago",
        "Three hours ago, second",
        "Three hours ago, first",
        "Four hours ago",
        "Five hours ago",
    ];

    for scope in ["feed=all", "feed=local", "community=history"] {
        let (status, whole) = app
            .get_json(&format!("/api/v1/posts?{scope}&sort=new"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{whole}");
        assert_eq!(titles(&whole), newest_first, "{scope}");
        // Pages of two: every post once, in order, across the tie and every boundary.
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
            let (status, page) = app
                .get_json(
                    &format!("/api/v1/posts?{scope}&sort=new&limit=2{after}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            paged.extend(titles(&page));
            cursor = page["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(paged, newest_first, "{scope}, paged");
    }

    // A cursor whose post is still here pages on from that post, whatever its key says: the
    // community outbox's `?before=<post id>` carries nothing else.
    let tied = ids["Three hours ago, second"];
    let (_, rest) = app
        .get_json(
            &format!("/api/v1/posts?sort=new&cursor={tied}_{tied}"),
            None,
        )
        .await;
    assert_eq!(
        titles(&rest),
        ["Three hours ago, first", "Four hours ago", "Five hours ago"]
    );
    let outbox_titles = |outbox: &Value| -> Vec<String> {
        outbox["orderedItems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["object"]["object"]["name"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("", &newest_first[..]),
        (&format!("?before={tied}")[..], &newest_first[4..]),
    ] {
        let response = app
            .client
            .get(format!("{}/c/history/outbox{query}", app.base))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "outbox{query}");
        let outbox: Value = response.json().await.unwrap();
        assert_eq!(outbox_titles(&outbox), expected, "outbox{query}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_community_listing_is_one_page_of_pinned_then_sorted_posts_and_unknown_names_are_404() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "orchards", json!({})).await;
    community(&app, &kim, "empty", json!({})).await;
    let feed = |q: &str| format!("/api/v1/posts?{q}");

    // Unknown names keep their 404 and its code, local or remote; a known community without
    // posts is an empty page, not a 404.
    for name in ["nowhere", "nowhere@elsewhere.example"] {
        let (status, err) = app
            .get_json(&feed(&format!("community={name}")), None)
            .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{name}: {err}"
        );
    }
    let (status, empty) = app.get_json(&feed("community=empty"), kim.auth()).await;
    assert_eq!(status, StatusCode::OK, "{empty}");
    assert_eq!(titles(&empty), Vec::<String>::new());
    assert_eq!(empty["next_cursor"], Value::Null);

    let mut ids = Vec::new();
    for title in ["One", "Two", "Three", "Four", "Five"] {
        let p = post(&app, &kim, "orchards", title, "").await;
        ids.push(p["id"].as_i64().unwrap());
    }
    // Pinned: "Two" first, then "Four" (newer pins first by publication: Four, Two).
    for id in [ids[1], ids[3]] {
        let (status, p) = app
            .post_json(&format!("/api/v1/posts/{id}/pin"), kim.auth(), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
    }
    // The first page: the pinned posts, then `limit` of the others; names are
    // case-insensitive as everywhere.
    let (status, first) = app
        .get_json(&feed("community=Orchards&sort=new&limit=2"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(titles(&first), ["Four", "Two", "Five", "Three"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get_json(
            &feed(&format!(
                "community=orchards&sort=new&limit=2&cursor={cursor}"
            )),
            None,
        )
        .await;
    assert_eq!(titles(&second), ["One"], "no pinned post twice");
    assert_eq!(second["next_cursor"], Value::Null);
    // Signed in, with the viewer's own vote on a pinned and an unpinned post.
    for id in [ids[1], ids[4]] {
        let (status, v) = app
            .post_json(
                &format!("/api/v1/posts/{id}/vote"),
                kim.auth(),
                json!({"score": 1}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
    }
    let (_, mine) = app
        .get_json(&feed("community=orchards&sort=new&limit=2"), kim.auth())
        .await;
    assert_eq!(titles(&mine), ["Four", "Two", "Five", "Three"]);
    let votes: Vec<i64> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["my_vote"].as_i64().unwrap())
        .collect();
    assert_eq!(votes, [0, 1, 1, 0]);
    app.stop().await;
}
