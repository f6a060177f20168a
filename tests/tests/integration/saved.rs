//! Saved posts and comments and read marks: the API (save, unsave, the saved lists, the `saved`
//! and `read` fields of views), what account deletion leaves, and the web page's buttons and
//! Saved page.

use crate::web_pages::Visitor;
use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::lemmy::{community, write_comment, write_post};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// PUT (save) or DELETE (unsave) `/api/v1/{what}/{id}/save`.
async fn save(
    app: &TestApp,
    who: Option<&str>,
    what: &str,
    id: i64,
    on: bool,
) -> (StatusCode, Value) {
    let method = if on { Method::PUT } else { Method::DELETE };
    app.call(method, &format!("/api/v1/{what}/{id}/save"), who, None)
        .await
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

/// The item of a list with this id.
fn item(page: &Value, id: i64) -> &Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["id"].as_i64() == Some(id))
        .unwrap_or_else(|| panic!("{id} in {page}"))
}

#[tokio::test]
async fn saved_posts_and_comments_are_listed_newest_first_and_shown_only_to_their_saver() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "books").await;
    let first = write_post(&app, &alice, "books", "First").await;
    let second = write_post(&app, &alice, "books", "Second").await;
    let reply = write_comment(&app, &alice, first, "A comment worth keeping").await;

    let (status, view) = save(&app, bob.auth(), "posts", first, true).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["saved"], true, "{view}");
    let (status, _) = save(&app, bob.auth(), "posts", second, true).await;
    assert_eq!(status, StatusCode::OK);
    // Saving again changes nothing: no error, and the first time still orders the list.
    let (status, view) = save(&app, bob.auth(), "posts", first, true).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let (status, view) = save(&app, bob.auth(), "comments", reply, true).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["saved"], true, "{view}");

    let (status, page) = app
        .get_json("/api/v1/account/saved/posts", bob.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page), vec![second, first], "most recently saved first");
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["saved"] == true)
    );
    assert_eq!(page["next_cursor"], Value::Null);

    // A page at a time, by the cursor.
    let (_, one) = app
        .get_json("/api/v1/account/saved/posts?limit=1", bob.auth())
        .await;
    assert_eq!(ids(&one), vec![second]);
    let cursor = one["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, two) = app
        .get_json(
            &format!("/api/v1/account/saved/posts?limit=1&cursor={cursor}"),
            bob.auth(),
        )
        .await;
    assert_eq!(ids(&two), vec![first]);
    assert_eq!(two["next_cursor"], Value::Null, "{two}");
    let (status, _) = app
        .get_json("/api/v1/account/saved/posts?cursor=nonsense", bob.auth())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, saved_comments) = app
        .get_json("/api/v1/account/saved/comments", bob.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{saved_comments}");
    assert_eq!(ids(&saved_comments), vec![reply]);
    assert_eq!(saved_comments["items"][0]["saved"], true);

    // Only bob sees his marks: on the post, in the feed and in the thread.
    let path = format!("/api/v1/posts/{first}");
    let (_, as_bob) = app.get_json(&path, bob.auth()).await;
    let (_, as_alice) = app.get_json(&path, alice.auth()).await;
    let (_, as_nobody) = app.get_json(&path, None).await;
    assert_eq!(as_bob["saved"], true, "{as_bob}");
    assert_eq!(as_alice["saved"], false, "{as_alice}");
    assert_eq!(as_nobody["saved"], false, "{as_nobody}");
    let (_, feed) = app.get_json("/api/v1/posts?sort=new", bob.auth()).await;
    assert_eq!(item(&feed, first)["saved"], true, "{feed}");
    let (_, feed) = app.get_json("/api/v1/posts?sort=new", alice.auth()).await;
    assert_eq!(item(&feed, first)["saved"], false, "{feed}");
    let thread = format!("/api/v1/posts/{first}/comments");
    let (_, bobs_thread) = app.get_json(&thread, bob.auth()).await;
    assert_eq!(item(&bobs_thread, reply)["saved"], true, "{bobs_thread}");
    let (_, alices_thread) = app.get_json(&thread, alice.auth()).await;
    assert_eq!(item(&alices_thread, reply)["saved"], false);
    let (_, shown) = app
        .get_json(&format!("/api/v1/comments/{reply}"), bob.auth())
        .await;
    assert_eq!(shown["saved"], true, "{shown}");
    // ... in the author's comment list and in search results too.
    let (_, listed) = app
        .get_json("/api/v1/users/alice/comments", bob.auth())
        .await;
    assert_eq!(item(&listed, reply)["saved"], true, "{listed}");
    let (_, listed) = app
        .get_json("/api/v1/users/alice/comments", alice.auth())
        .await;
    assert_eq!(item(&listed, reply)["saved"], false, "{listed}");
    let (_, found) = app
        .get_json("/api/v1/search?q=worth&type=comments", bob.auth())
        .await;
    assert_eq!(found["comments"][0]["id"], reply, "{found}");
    assert_eq!(found["comments"][0]["saved"], true, "{found}");
    let (_, found) = app.get_json("/api/v1/search?q=first", bob.auth()).await;
    assert_eq!(found["posts"][0]["id"], first, "{found}");
    assert_eq!(found["posts"][0]["saved"], true, "{found}");

    // What does not exist, or is asked for without a token.
    let (status, body) = save(&app, bob.auth(), "posts", 999_999, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = save(&app, bob.auth(), "comments", 999_999, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = save(&app, None, "posts", first, true).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "not_signed_in");
    let (status, _) = app.get_json("/api/v1/account/saved/posts", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A deleted post cannot be saved any more, but whoever saved it can still unsave it.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/posts/{second}"),
            alice.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = save(&app, alice.auth(), "posts", second, true).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "saving a deleted post");
    let (status, view) = save(&app, bob.auth(), "posts", second, false).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["saved"], false);

    // Unsaving takes them off the lists; unsaving twice is fine.
    let (status, view) = save(&app, bob.auth(), "posts", first, false).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["saved"], false);
    let (status, _) = save(&app, bob.auth(), "posts", first, false).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = save(&app, bob.auth(), "comments", reply, false).await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = app
        .get_json("/api/v1/account/saved/posts", bob.auth())
        .await;
    assert!(ids(&page).is_empty(), "{page}");
    let (_, page) = app
        .get_json("/api/v1/account/saved/comments", bob.auth())
        .await;
    assert!(ids(&page).is_empty(), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn read_marks_show_on_the_readers_post_views_and_a_call_takes_at_most_100_posts() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "news").await;
    let read = write_post(&app, &alice, "news", "Read me").await;
    let other = write_post(&app, &alice, "news", "Not yet").await;

    // Unknown ids are ignored.
    let (status, body) = app
        .post_json(
            "/api/v1/posts/read",
            bob.auth(),
            json!({"post_ids": [read, 999_999], "read": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, view) = app
        .get_json(&format!("/api/v1/posts/{read}"), bob.auth())
        .await;
    assert_eq!(view["read"], true, "{view}");
    let (_, view) = app
        .get_json(&format!("/api/v1/posts/{read}"), alice.auth())
        .await;
    assert_eq!(view["read"], false, "only the reader's mark: {view}");
    let (_, feed) = app.get_json("/api/v1/posts?sort=new", bob.auth()).await;
    assert_eq!(item(&feed, read)["read"], true, "{feed}");
    assert_eq!(item(&feed, other)["read"], false, "{feed}");

    let (status, _) = app
        .post_json(
            "/api/v1/posts/read",
            bob.auth(),
            json!({"post_ids": [read], "read": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, view) = app
        .get_json(&format!("/api/v1/posts/{read}"), bob.auth())
        .await;
    assert_eq!(view["read"], false, "{view}");

    let too_many: Vec<i64> = (1..=101).collect();
    let (status, body) = app
        .post_json(
            "/api/v1/posts/read",
            bob.auth(),
            json!({"post_ids": too_many, "read": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_field", "{body}");
    assert_eq!(body["field"], "post_ids", "{body}");
    let (_, view) = app
        .get_json(&format!("/api/v1/posts/{read}"), bob.auth())
        .await;
    assert_eq!(view["read"], false, "a refused call marks nothing");
    let (status, _) = app
        .post_json(
            "/api/v1/posts/read",
            None,
            json!({"post_ids": [read], "read": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn deleting_an_account_forgets_what_it_saved_and_read() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "garden").await;
    let kept = write_post(&app, &alice, "garden", "Roses").await;
    let reply = write_comment(&app, &alice, kept, "Prune in spring").await;
    assert_eq!(
        save(&app, bob.auth(), "posts", kept, true).await.0,
        StatusCode::OK
    );
    assert_eq!(
        save(&app, bob.auth(), "comments", reply, true).await.0,
        StatusCode::OK
    );
    assert_eq!(
        save(&app, alice.auth(), "posts", kept, true).await.0,
        StatusCode::OK
    );
    let (status, _) = app
        .post_json(
            "/api/v1/posts/read",
            bob.auth(),
            json!({"post_ids": [kept], "read": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let pool = app.db.pool().await;
    let count = |table: &'static str, person: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "select count(*) from {table} where person_id = $1"
            ))
            .bind(person)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(count("post_saved", bob.id).await, 1);
    assert_eq!(count("comment_saved", bob.id).await, 1);
    assert_eq!(count("post_read", bob.id).await, 1);

    let (status, body) = app
        .post_json(
            "/api/v1/account/delete",
            bob.auth(),
            json!({"password": TEST_PASSWORD, "delete_content": false}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(count("post_saved", bob.id).await, 0);
    assert_eq!(count("comment_saved", bob.id).await, 0);
    assert_eq!(count("post_read", bob.id).await, 0);
    // Someone else's saves stay.
    assert_eq!(count("post_saved", alice.id).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_member_saves_with_the_buttons_and_finds_them_on_the_saved_page() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "cooking").await;
    let soup = write_post(&app, &alice, "cooking", "Pumpkin soup").await;
    let tip = write_comment(&app, &alice, soup, "Roast the pumpkin first").await;

    let mut visitor = Visitor::signed_in(&app, &bob).await;
    let page = visitor.get(&format!("/post/{soup}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("action=\"/post/{soup}/save\"")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("action=\"/comment/{tip}/save\"")),
        "{}",
        page.body
    );
    // Opening the post marked it read.
    let (_, view) = app
        .get_json(&format!("/api/v1/posts/{soup}"), bob.auth())
        .await;
    assert_eq!(view["read"], true, "{view}");

    // Without the CSRF token the button does nothing.
    let refused = visitor
        .post_raw(&format!("/post/{soup}/save"), &[], &[])
        .await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER, "{}", refused.body);
    let (_, view) = app
        .get_json(&format!("/api/v1/posts/{soup}"), bob.auth())
        .await;
    assert_eq!(view["saved"], false, "{view}");

    let saved = visitor.post(&format!("/post/{soup}/save"), &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(
        saved.location().starts_with(&format!("/post/{soup}")),
        "{}",
        saved.location()
    );
    let saved = visitor.post(&format!("/comment/{tip}/save"), &[]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let page = visitor.get(&format!("/post/{soup}")).await;
    assert!(
        page.body
            .contains(&format!("action=\"/post/{soup}/unsave\"")),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(&format!("action=\"/comment/{tip}/unsave\"")),
        "{}",
        page.body
    );

    let list = visitor.get("/saved").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Pumpkin soup"), "{}", list.body);
    assert!(
        list.body
            .contains(&format!("action=\"/post/{soup}/unsave\"")),
        "{}",
        list.body
    );
    assert!(
        list.body.contains("href=\"/saved\""),
        "the account menu links the page"
    );
    let comments = visitor.get("/saved?view=comments").await;
    assert_eq!(comments.status, StatusCode::OK, "{}", comments.body);
    assert!(
        comments.body.contains("Roast the pumpkin first"),
        "{}",
        comments.body
    );

    // Alice saved nothing: her Saved page is empty and offers to save.
    let mut other = Visitor::signed_in(&app, &alice).await;
    let empty = other.get("/saved").await;
    assert!(!empty.body.contains("Pumpkin soup"), "{}", empty.body);
    assert!(empty.body.contains("No saved posts yet"), "{}", empty.body);

    // Unsaving from the Saved page takes it off.
    let unsaved = visitor.post(&format!("/post/{soup}/unsave"), &[]).await;
    assert_eq!(unsaved.status, StatusCode::SEE_OTHER);
    let list = visitor.get("/saved").await;
    assert!(!list.body.contains("Pumpkin soup"), "{}", list.body);

    // Anonymous visitors are sent to sign in.
    let anonymous = Visitor::new(&app).get("/saved").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(
        anonymous.location().starts_with("/login"),
        "{}",
        anonymous.location()
    );
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_lists_the_saved_routes() {
    let app = TestApp::spawn(&[]).await;
    let (status, document) = app.get_json("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for (path, method) in [
        ("/api/v1/posts/{id}/save", "put"),
        ("/api/v1/posts/{id}/save", "delete"),
        ("/api/v1/comments/{id}/save", "put"),
        ("/api/v1/comments/{id}/save", "delete"),
        ("/api/v1/posts/read", "post"),
        ("/api/v1/account/saved/posts", "get"),
        ("/api/v1/account/saved/comments", "get"),
    ] {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    assert!(
        document["components"]["schemas"]["PostView"]["properties"]["saved"].is_object(),
        "PostView.saved is documented"
    );
    app.stop().await;
}
