//! Personal blocks: a blocked person's posts and comments are hidden from the blocker in every
//! feed, thread, search and profile (replies under a blocked comment go with it, as in Lemmy);
//! a blocked community leaves the feeds and searches that mix communities but keeps its own
//! page. Nobody else's view changes, and the web pages offer the same through buttons.

use crate::federation_network::{create_community, id_of, join_local, new_comment};
use crate::web_pages::Visitor;
use hearth_tests::app::{TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn write_post(app: &TestApp, author: &TestUser, community: &str, title: &str) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": community, "title": title, "body": format!("{title} zephyr")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

/// Fails unless the page's body has `needle` in it.
fn assert_shows(body: &str, needle: &str) {
    assert!(body.contains(needle), "expected {needle:?} in:\n{body}");
}

/// Fails if the page's body has `needle` in it.
fn assert_lacks(body: &str, needle: &str) {
    assert!(
        !body.contains(needle),
        "did not expect {needle:?} in:\n{body}"
    );
}

/// The ids of the items of a list or page.
fn ids(list: &Value, key: &str) -> Vec<i64> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {list}"))
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

async fn listed(app: &TestApp, path: &str, token: Option<&str>, key: &str) -> Vec<i64> {
    let (status, body) = app.get_json(path, token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    ids(&body, key)
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    app.call(method, path, token, None).await
}

#[tokio::test]
async fn a_blocked_persons_posts_and_comments_are_hidden_from_the_blocker_only() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    create_community(&app, &carol, "garden", json!({})).await;
    join_local(&app, &alice, "garden").await;
    let bobs_post = write_post(&app, &bob, "garden", "Bob writes").await;
    let carols_post = write_post(&app, &carol, "garden", "Carol writes").await;
    // Carol's thread: carol → bob → carol, and bob at the top level; carol's second top-level.
    let c1 = id_of(&new_comment(&app, &carol, carols_post, None, "first zephyr").await);
    let c2 = id_of(&new_comment(&app, &bob, carols_post, Some(c1), "bob answers zephyr").await);
    let c3 = id_of(&new_comment(&app, &carol, carols_post, Some(c2), "carol again").await);
    let c4 = id_of(&new_comment(&app, &bob, carols_post, None, "bob on top zephyr").await);
    let c5 = id_of(&new_comment(&app, &carol, carols_post, None, "carol on top").await);

    let (status, body) = call(&app, Method::POST, "/api/v1/users/bob/block", alice.auth()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // Blocking again changes nothing.
    let (status, _) = call(&app, Method::POST, "/api/v1/users/bob/block", alice.auth()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let feeds = [
        "/api/v1/posts?sort=new",
        "/api/v1/posts?sort=hot&feed=local",
        "/api/v1/posts?sort=new&feed=subscribed",
        "/api/v1/posts?community=garden&sort=new",
    ];
    for feed in feeds {
        assert_eq!(
            listed(&app, feed, alice.auth(), "items").await,
            vec![carols_post],
            "{feed}"
        );
    }
    // Everybody else still sees bob.
    for feed in &feeds[..2] {
        let all = listed(&app, feed, carol.auth(), "items").await;
        assert!(all.contains(&bobs_post), "{feed}: {all:?}");
        let all = listed(&app, feed, None, "items").await;
        assert!(all.contains(&bobs_post), "{feed}: {all:?}");
    }
    // The thread keeps its shape: bob's comments go, with the replies below them.
    let thread = format!("/api/v1/posts/{carols_post}/comments?sort=old");
    assert_eq!(
        listed(&app, &thread, alice.auth(), "items").await,
        vec![c1, c5]
    );
    assert_eq!(
        listed(&app, &thread, None, "items").await,
        vec![c1, c2, c3, c4, c5]
    );
    // Search, bob's profile.
    let posts = "/api/v1/search?q=zephyr&type=posts";
    assert_eq!(
        listed(&app, posts, alice.auth(), "posts").await,
        vec![carols_post]
    );
    assert_eq!(listed(&app, posts, None, "posts").await.len(), 2);
    let comments = "/api/v1/search?q=zephyr&type=comments";
    assert_eq!(
        listed(&app, comments, alice.auth(), "comments").await,
        vec![c1]
    );
    assert_eq!(listed(&app, comments, None, "comments").await.len(), 3);
    assert!(
        listed(&app, "/api/v1/users/bob/posts", alice.auth(), "items")
            .await
            .is_empty()
    );
    assert!(
        listed(&app, "/api/v1/users/bob/comments", alice.auth(), "items")
            .await
            .is_empty()
    );
    assert_eq!(
        listed(&app, "/api/v1/users/bob/posts", None, "items").await,
        vec![bobs_post]
    );
    // The post itself stays reachable by its link.
    let (status, _) = app
        .get_json(&format!("/api/v1/posts/{bobs_post}"), alice.auth())
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, blocks) = app.get_json("/api/v1/account/blocks", alice.auth()).await;
    assert_eq!(status, StatusCode::OK, "{blocks}");
    assert_eq!(blocks["people"].as_array().unwrap().len(), 1, "{blocks}");
    assert_eq!(blocks["people"][0]["handle"], "bob");
    assert_eq!(blocks["people"][0]["id"], bob.id);
    assert_eq!(blocks["communities"], json!([]));
    // Blocks are private: bob's and carol's lists are empty.
    let (_, theirs) = app.get_json("/api/v1/account/blocks", bob.auth()).await;
    assert_eq!(theirs["people"], json!([]), "{theirs}");

    let (status, body) = call(
        &app,
        Method::DELETE,
        "/api/v1/users/bob/block",
        alice.auth(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let all = listed(&app, "/api/v1/posts?sort=new", alice.auth(), "items").await;
    assert!(all.contains(&bobs_post), "{all:?}");
    assert_eq!(listed(&app, &thread, alice.auth(), "items").await.len(), 5);
    app.stop().await;
}

#[tokio::test]
async fn blocking_oneself_or_nobody_is_refused() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v1/users/alice/block",
        alice.auth(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "cannot_block_self");
    for nothing in [
        "/api/v1/users/nobody/block",
        "/api/v1/users/nobody@elsewhere.example/block",
        "/api/v1/communities/nowhere/block",
    ] {
        let (status, body) = call(&app, Method::POST, nothing, alice.auth()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{nothing}: {body}");
    }
    let (status, body) = call(&app, Method::POST, "/api/v1/users/alice/block", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app.get_json("/api/v1/account/blocks", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_blocked_community_leaves_mixed_feeds_and_searches_but_keeps_its_page() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    create_community(&app, &carol, "garden", json!({})).await;
    create_community(&app, &carol, "orchard", json!({})).await;
    join_local(&app, &alice, "garden").await;
    join_local(&app, &alice, "orchard").await;
    let garden_post = write_post(&app, &carol, "garden", "Roses").await;
    let orchard_post = write_post(&app, &carol, "orchard", "Apples").await;
    let (status, body) = call(
        &app,
        Method::POST,
        "/api/v1/communities/orchard/block",
        alice.auth(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for feed in [
        "/api/v1/posts?sort=new",
        "/api/v1/posts?sort=new&feed=local",
        "/api/v1/posts?sort=new&feed=subscribed",
        "/api/v1/search?q=zephyr&type=posts",
    ] {
        let key = if feed.contains("search") {
            "posts"
        } else {
            "items"
        };
        assert_eq!(
            listed(&app, feed, alice.auth(), key).await,
            vec![garden_post],
            "{feed}"
        );
        let theirs = listed(&app, feed, carol.auth(), key).await;
        assert!(theirs.contains(&orchard_post), "{feed}: {theirs:?}");
    }
    // Its own page, and a search within it, still show it; membership is untouched.
    assert_eq!(
        listed(
            &app,
            "/api/v1/posts?community=orchard",
            alice.auth(),
            "items"
        )
        .await,
        vec![orchard_post]
    );
    assert_eq!(
        listed(
            &app,
            "/api/v1/search?q=zephyr&type=posts&community=orchard",
            alice.auth(),
            "posts"
        )
        .await,
        vec![orchard_post]
    );
    let (_, orchard) = app
        .get_json("/api/v1/communities/orchard", alice.auth())
        .await;
    assert_eq!(orchard["my_membership"], "joined", "{orchard}");
    let (_, blocks) = app.get_json("/api/v1/account/blocks", alice.auth()).await;
    assert_eq!(blocks["communities"][0]["handle"], "orchard", "{blocks}");
    assert_eq!(
        blocks["communities"][0]["title"], "About orchard",
        "{blocks}"
    );
    let (status, _) = call(
        &app,
        Method::DELETE,
        "/api/v1/communities/orchard/block",
        alice.auth(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        listed(&app, "/api/v1/posts?sort=new", alice.auth(), "items").await,
        vec![orchard_post, garden_post]
    );
    app.stop().await;
}

#[tokio::test]
async fn block_buttons_on_profiles_communities_and_the_settings_page() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &bob, "garden", json!({})).await;
    let post = write_post(&app, &bob, "garden", "Bob writes").await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;

    let page = visitor.get("/u/bob").await;
    assert_shows(&page.body, "action=\"/u/bob/block\"");
    assert_shows(&page.body, "Bob writes");
    // No button to block oneself, and none for anonymous visitors.
    let own = visitor.get("/u/alice").await;
    assert_lacks(&own.body, "/block\"");
    let anonymous = Visitor::new(&app).get("/u/bob").await;
    assert_lacks(&anonymous.body, "/u/bob/block");

    let page = visitor.post("/u/bob/block", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/u/bob");
    let page = visitor.get("/u/bob").await;
    assert_shows(&page.body, "You blocked this person");
    assert_shows(&page.body, "action=\"/u/bob/unblock\"");
    assert_lacks(&page.body, "Bob writes");
    let front = visitor.get("/?sort=new").await;
    assert_lacks(&front.body, "Bob writes");
    let page = visitor.get(&format!("/post/{post}")).await;
    assert_eq!(page.status, StatusCode::OK);

    let page = visitor.get("/c/garden").await;
    assert_shows(&page.body, "action=\"/c/garden/block\"");
    let page = visitor.post("/c/garden/block", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = visitor.get("/c/garden").await;
    assert_shows(&page.body, "You blocked this community");
    assert_shows(&page.body, "action=\"/c/garden/unblock\"");

    let settings = visitor.get("/settings").await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.body);
    assert_shows(&settings.body, "action=\"/u/bob/unblock\"");
    assert_shows(&settings.body, "action=\"/c/garden/unblock\"");
    let page = visitor.post("/u/bob/unblock", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = visitor.post("/c/garden/unblock", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let settings = visitor.get("/settings").await;
    assert_shows(&settings.body, "You block nobody.");
    assert_shows(&settings.body, "You block no community.");
    let page = visitor.get("/u/bob").await;
    assert_shows(&page.body, "Bob writes");
    let (_, blocks) = app.get_json("/api/v1/account/blocks", alice.auth()).await;
    assert_eq!(blocks, json!({"people": [], "communities": []}));
    app.stop().await;
}

/// With blocks, a signed-in reader's feeds still read an index range of posts: each block is
/// one primary-key probe per post read, never a sort or a scan of every post.
#[tokio::test]
async fn feeds_with_blocks_still_read_an_index_range() {
    use hearth_db::post::{FeedRequest, FeedScope, PostSort};
    let app = TestApp::spawn(&[]).await;
    let pool = app.db.pool().await;
    for sql in [
        "insert into person (ap_id, local, name)
         select 'http://x/u/a' || g, true, 'author' || g from generate_series(1, 20) g",
        "insert into community (ap_id, local, name, title)
         select 'http://x/c/c' || g, g % 5 <> 0, 'c' || g, 'Community ' || g from generate_series(1, 50) g",
        "insert into post (ap_id, local, community_id, author_id, title, published_at, last_activity_at, score)
         select 'http://x/post/' || g, true,
                (select min(id) from community) + g % 50,
                (select min(id) from person where name like 'author%') + g % 20,
                'Post ' || g,
                now() - make_interval(secs => (g * 8.64)::double precision),
                now() - make_interval(secs => (g * 8.64)::double precision),
                (g * 7919) % 100 - 5
         from generate_series(1, 50000) g",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    hearth_db::post::refresh_ranks(&pool).await.unwrap();
    let reader = app.user("reader").await;
    // The reader blocks five authors and five communities, and has joined ten communities.
    sqlx::query(
        "insert into person_block (person_id, target_id)
         select $1, id from person where name like 'author%' order by id limit 5",
    )
    .bind(reader.id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into community_block (person_id, community_id)
         select $1, id from community order by id limit 5",
    )
    .bind(reader.id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into community_member (community_id, person_id, state)
         select id, $1, 'joined' from community order by id desc limit 10",
    )
    .bind(reader.id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("analyze").execute(&pool).await.unwrap();
    for (label, scope, sort) in [
        ("hot, all", FeedScope::All, PostSort::Hot),
        ("new, all", FeedScope::All, PostSort::New),
        ("new, local", FeedScope::Local, PostSort::New),
        (
            "new, subscribed",
            FeedScope::Subscribed(reader.id),
            PostSort::New,
        ),
    ] {
        let request = FeedRequest {
            scope,
            sort,
            since: None,
            after: None,
            limit: 21,
            viewer: Some(reader.id),
        };
        let plan = hearth_db::post::explain_feed(&pool, &request)
            .await
            .unwrap()
            .join("\n");
        assert!(
            plan.contains("Index Scan") && plan.contains("on post p"),
            "{label}: {plan}"
        );
        assert!(
            !plan.contains("Sort Key: p."),
            "{label} sorts posts:\n{plan}"
        );
        assert!(
            !plan.contains("Seq Scan on post p"),
            "{label} scans every post:\n{plan}"
        );
        let rows = hearth_db::post::feed(&pool, &request).await.unwrap();
        assert_eq!(rows.len(), 21, "{label}");
        for row in &rows {
            let blocked: bool = sqlx::query_scalar(
                "select exists (select 1 from person_block where person_id = $1 and target_id = $2)
                     or exists (select 1 from community_block where person_id = $1 and community_id = $3)",
            )
            .bind(reader.id)
            .bind(row.author_id)
            .bind(row.community_id)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(!blocked, "{label}: post {} is blocked", row.id);
        }
    }
    app.stop().await;
}
