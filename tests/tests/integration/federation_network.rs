//! Federation between real Hearth instances in one process (`localhost:<port>`, real HTTP, real
//! signatures, `debug_local` on): membership, content both ways, the outbox surviving downtime
//! and crashes, key rotation, and a hostile sender.

use hearth_tests::app::{TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;

/// Waits (up to 30 s) until `check` holds.
pub(crate) async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn host(app: &TestApp) -> &str {
    app.settings.hostname.as_str()
}

pub(crate) async fn scalar(app: &TestApp, sql: &str, arg: &str) -> Option<i64> {
    let pool = app.db.pool().await;
    let value: Option<i64> = sqlx::query_scalar(sql)
        .bind(arg)
        .fetch_optional(&pool)
        .await
        .unwrap();
    pool.close().await;
    value
}

/// The local id of a post by ActivityPub id, if the instance holds it.
/// One text value from an instance's database (`None` when no row matches).
pub(crate) async fn text(app: &TestApp, sql: &str, arg: &str) -> Option<String> {
    let pool = app.db.pool().await;
    let value: Option<String> = sqlx::query_scalar(sql)
        .bind(arg)
        .fetch_optional(&pool)
        .await
        .unwrap();
    pool.close().await;
    value
}

pub(crate) async fn post_id(app: &TestApp, ap_id: &str) -> Option<i64> {
    scalar(app, "select id from post where ap_id = $1", ap_id).await
}

pub(crate) async fn comment_id(app: &TestApp, ap_id: &str) -> Option<i64> {
    scalar(app, "select id from comment where ap_id = $1", ap_id).await
}

/// (score, upvotes, downvotes, deleted) of a post or comment by ActivityPub id.
pub(crate) async fn state_of(
    app: &TestApp,
    table: &str,
    ap_id: &str,
) -> Option<(i32, i32, i32, bool, String)> {
    let pool = app.db.pool().await;
    let row: Option<(i32, i32, i32, bool, String)> = sqlx::query_as(&format!(
        "select score, upvotes, downvotes, deleted, body from {table} where ap_id = $1"
    ))
    .bind(ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

pub(crate) async fn create_community(app: &TestApp, owner: &TestUser, name: &str, extra: Value) {
    let mut body = json!({"name": name, "title": format!("About {name}")});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (status, c) = app
        .post_json("/api/v1/communities", owner.auth(), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
}

/// Looks a remote community up, then joins it; returns the membership state.
pub(crate) async fn join(app: &TestApp, user: &TestUser, reference: &str) -> String {
    let (status, found) = app
        .get_json(&format!("/api/v1/resolve?q=!{reference}"), user.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let (status, joined) = app
        .post_json(
            &format!("/api/v1/communities/{reference}/join"),
            user.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    joined["state"].as_str().unwrap_or_default().to_owned()
}

pub(crate) async fn membership(app: &TestApp, user: &TestUser, reference: &str) -> String {
    let (_, c) = app
        .get_json(&format!("/api/v1/communities/{reference}"), user.auth())
        .await;
    c["my_membership"].as_str().unwrap_or_default().to_owned()
}

pub(crate) async fn member_count(app: &TestApp, name: &str) -> i64 {
    scalar(
        app,
        "select member_count::bigint from community where local and name = $1",
        name,
    )
    .await
    .unwrap()
}

/// Writes a post through the API (its body: "{title}, in words"); returns the API's answer.
pub(crate) async fn new_post(
    app: &TestApp,
    author: &TestUser,
    community: &str,
    title: &str,
) -> Value {
    let (status, p) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": community, "title": title, "body": format!("{title}, in words")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p
}

pub(crate) async fn write_post(
    app: &TestApp,
    author: &TestUser,
    community: &str,
    title: &str,
) -> String {
    new_post(app, author, community, title).await["ap_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Writes a comment through the API, a reply when `parent` is given; returns the API's answer.
pub(crate) async fn new_comment(
    app: &TestApp,
    author: &TestUser,
    post: i64,
    parent: Option<i64>,
    body: &str,
) -> Value {
    let (status, c) = app
        .post_json(
            "/api/v1/comments",
            author.auth(),
            json!({"post_id": post, "parent_id": parent, "body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c
}

pub(crate) async fn write_comment(
    app: &TestApp,
    author: &TestUser,
    post: i64,
    parent: Option<i64>,
    body: &str,
) -> String {
    new_comment(app, author, post, parent, body).await["ap_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The local id in an API answer.
pub(crate) fn id_of(answer: &Value) -> i64 {
    answer["id"].as_i64().unwrap()
}

/// Joins a community of this server (no look-up first, unlike `join`).
pub(crate) async fn join_local(app: &TestApp, user: &TestUser, community: &str) {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/communities/{community}/join"),
            user.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

pub(crate) async fn vote(app: &TestApp, user: &TestUser, path: &str, score: i64) {
    let (status, v) = app
        .post_json(path, user.auth(), json!({"score": score}))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

/// Every delivery of an instance, by state.
pub(crate) async fn deliveries(app: &TestApp) -> Vec<(String, i64)> {
    let pool = app.db.pool().await;
    let counts = hearth_db::federation::counts(&pool).await.unwrap();
    pool.close().await;
    counts
}

pub(crate) async fn settled(app: &TestApp) -> bool {
    deliveries(app)
        .await
        .iter()
        .all(|(state, _)| state == "delivered")
}

/// A on one side, members on B and C: everything arrives once everywhere, and counts agree.
#[tokio::test]
async fn three_instances_share_a_community_and_agree() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let carol = c.user("carol").await;
    create_community(&a, &alice, "cats", json!({})).await;
    let cats = format!("cats@{}", host(&a));

    // Joining: pending until the community's Accept arrives.
    for (app, user) in [(&b, &bob), (&c, &carol)] {
        join(app, user, &cats).await;
        eventually("the Accept arrives", || async {
            membership(app, user, &cats).await == "joined"
        })
        .await;
    }
    assert_eq!(member_count(&a, "cats").await, 3, "alice, bob and carol");

    // A post by A's user reaches B and C.
    let post = write_post(&a, &alice, "cats", "Whiskers").await;
    for app in [&b, &c] {
        eventually("the post arrives", || async {
            post_id(app, &post).await.is_some()
        })
        .await;
    }
    // A comment by B's user goes to A, which announces it to C.
    let post_on_b = post_id(&b, &post).await.unwrap();
    let bobs = write_comment(&b, &bob, post_on_b, None, "Lovely").await;
    for app in [&a, &c] {
        eventually("bob's comment arrives", || async {
            comment_id(app, &bobs).await.is_some()
        })
        .await;
    }
    // A nested reply by C's user.
    let post_on_c = post_id(&c, &post).await.unwrap();
    let bobs_on_c = comment_id(&c, &bobs).await.unwrap();
    let carols = write_comment(&c, &carol, post_on_c, Some(bobs_on_c), "Agreed").await;
    for app in [&a, &b] {
        eventually("carol's reply arrives", || async {
            comment_id(app, &carols).await.is_some()
        })
        .await;
    }
    let parent_on_a = scalar(
        &a,
        "select parent_id from comment where ap_id = $1",
        &carols,
    )
    .await;
    assert_eq!(
        parent_on_a,
        comment_id(&a, &bobs).await,
        "the reply keeps its parent"
    );

    // Edits.
    let (status, _) = b
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/comments/{}", comment_id(&b, &bobs).await.unwrap()),
            bob.auth(),
            Some(json!({"body": "Lovely, edited"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for app in [&a, &c] {
        eventually("the edit arrives", || async {
            state_of(app, "comment", &bobs)
                .await
                .is_some_and(|s| s.4 == "Lovely, edited")
        })
        .await;
    }

    // Votes and their undoing, from all three instances.
    let post_on_a = post_id(&a, &post).await.unwrap();
    vote(&a, &alice, &format!("/api/v1/posts/{post_on_a}/vote"), 1).await;
    vote(&b, &bob, &format!("/api/v1/posts/{post_on_b}/vote"), 1).await;
    vote(&c, &carol, &format!("/api/v1/posts/{post_on_c}/vote"), -1).await;
    let bobs_on_a = comment_id(&a, &bobs).await.unwrap();
    vote(&a, &alice, &format!("/api/v1/comments/{bobs_on_a}/vote"), 1).await;
    vote(
        &c,
        &carol,
        &format!("/api/v1/comments/{bobs_on_c}/vote"),
        -1,
    )
    .await;
    vote(&c, &carol, &format!("/api/v1/comments/{bobs_on_c}/vote"), 0).await;
    for app in [&a, &b, &c] {
        eventually("post votes agree", || async {
            state_of(app, "post", &post)
                .await
                .is_some_and(|s| (s.0, s.1, s.2) == (1, 2, 1))
        })
        .await;
        eventually("comment votes agree", || async {
            state_of(app, "comment", &bobs)
                .await
                .is_some_and(|s| (s.0, s.1, s.2) == (1, 1, 0))
        })
        .await;
    }

    // A delete by its author.
    let carols_on_c = comment_id(&c, &carols).await.unwrap();
    let (status, _) = c
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/comments/{carols_on_c}"),
            carol.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for app in [&a, &b] {
        eventually("the delete arrives", || async {
            state_of(app, "comment", &carols).await.is_some_and(|s| s.3)
        })
        .await;
    }

    // Exactly once: every delivery made, each activity applied once, counts equal everywhere.
    for app in [&a, &b, &c] {
        eventually("all deliveries made", || settled(app)).await;
        let comments = scalar(
            app,
            "select count(*) from comment c join post p on p.id = c.post_id where p.ap_id = $1",
            &post,
        )
        .await;
        assert_eq!(comments, Some(2));
        let counted = scalar(
            app,
            "select comment_count::bigint from post where ap_id = $1",
            &post,
        )
        .await;
        assert_eq!(counted, Some(1), "one live comment (carol's is deleted)");
    }
    // A's announces went once to each of B and C, and never back to the sender.
    let to_b_and_c = scalar(
        &a,
        "select count(*) from delivery_history d join outbox_activity o on o.id = d.activity_id
         where o.kind = 'Announce' and d.authority = $1",
        host(&b),
    )
    .await
    .unwrap();
    // The post, carol's reply, alice's two votes, carol's two votes and her undo, carol's
    // delete: 8 for B; bob's own comment, edit and vote are not sent back to B.
    assert_eq!(to_b_and_c, 8, "announces to B");
    for app in [a, b, c] {
        app.stop().await;
    }
}

/// A user on A joins a community on B and writes there; B and C see it.
#[tokio::test]
async fn a_local_user_writes_in_a_remote_community() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let carol = c.user("carol").await;
    create_community(&b, &bob, "dogs", json!({})).await;
    let dogs = format!("dogs@{}", host(&b));
    assert_eq!(join(&a, &alice, &dogs).await, "pending");
    join(&c, &carol, &dogs).await;
    for (app, user) in [(&a, &alice), (&c, &carol)] {
        eventually("joined", || async {
            membership(app, user, &dogs).await == "joined"
        })
        .await;
    }
    let post = write_post(&a, &alice, &dogs, "Rex").await;
    for app in [&b, &c] {
        eventually("alice's post arrives", || async {
            post_id(app, &post).await.is_some()
        })
        .await;
    }
    let post_on_a = post_id(&a, &post).await.unwrap();
    let reply = write_comment(&a, &alice, post_on_a, None, "Good boy").await;
    for app in [&b, &c] {
        eventually("alice's comment arrives", || async {
            comment_id(app, &reply).await.is_some()
        })
        .await;
    }
    // What B announced back to A was applied once: still one post and one comment there.
    eventually("B's deliveries made", || settled(&b)).await;
    assert_eq!(
        scalar(&a, "select count(*) from post where title = $1", "Rex").await,
        Some(1)
    );
    // Leaving sends Undo{Follow}.
    let (status, _) = a
        .post_json(
            &format!("/api/v1/communities/{dogs}/leave"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    eventually("B forgets the member", || async {
        member_count(&b, "dogs").await == 2
    })
    .await;
    for app in [a, b, c] {
        app.stop().await;
    }
}

/// In a community that approves members, a remote Follow waits for a moderator.
#[tokio::test]
async fn an_approval_community_answers_remote_follows_when_a_moderator_decides() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let bea = b.user("bea").await;
    create_community(&a, &alice, "club", json!({"visibility": "approval"})).await;
    let club = format!("club@{}", host(&a));
    for user in [&bob, &bea] {
        assert_eq!(join(&b, user, &club).await, "pending");
    }
    // The requests reach A and stay pending.
    eventually("requests arrive", || async {
        scalar(
            &a,
            "select count(*) from community_member m join community c on c.id = m.community_id
             where c.name = $1 and m.state = 'pending'",
            "club",
        )
        .await
            == Some(2)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(membership(&b, &bob, &club).await, "pending");

    let bob_ref = format!("bob@{}", host(&b));
    let bea_ref = format!("bea@{}", host(&b));
    let (status, body) = a
        .post_json(
            &format!("/api/v1/communities/club/members/{bob_ref}/approve"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = a
        .post_json(
            &format!("/api/v1/communities/club/members/{bea_ref}/deny"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the Accept arrives", || async {
        membership(&b, &bob, &club).await == "joined"
    })
    .await;
    eventually("the Reject arrives", || async {
        membership(&b, &bea, &club).await == "none"
    })
    .await;
    assert_eq!(member_count(&a, "club").await, 2);
    for app in [a, b] {
        app.stop().await;
    }
}

/// C is down while A's community is busy; once C is back, it receives everything, once.
#[tokio::test]
async fn a_server_that_was_down_receives_everything_when_it_returns() {
    let a = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let carol = c.user("carol").await;
    create_community(&a, &alice, "news", json!({})).await;
    let news = format!("news@{}", host(&a));
    join(&c, &carol, &news).await;
    eventually("joined", || async {
        membership(&c, &carol, &news).await == "joined"
    })
    .await;

    let port = c.address.port();
    let c_db = c.stop().await;
    let first = write_post(&a, &alice, "news", "While you were out").await;
    let second = write_post(&a, &alice, "news", "Still out").await;
    eventually("A has tried and failed", || async {
        scalar(
            &a,
            "select count(*) from delivery where authority = $1 and state = 'pending' and attempts > 0",
            &format!("localhost:{port}"),
        )
        .await
            == Some(2)
    })
    .await;

    let c = TestApp::spawn_at(c_db, port, &[]).await;
    for post in [&first, &second] {
        eventually("the backlog arrives", || async {
            post_id(&c, post).await.is_some()
        })
        .await;
    }
    eventually("A's deliveries made", || settled(&a)).await;
    for app in [a, c] {
        app.stop().await;
    }
}

/// A change committed while no worker runs (a crash after commit, before sending), and rows a
/// dead worker had claimed: after a restart every delivery is made, and applied once.
#[tokio::test]
async fn a_restart_after_a_crash_loses_no_delivery() {
    let a = TestApp::spawn(&[("HEARTH__FEDERATION__DELIVERY__WORKERS", "false")]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "log", json!({})).await;
    let log = format!("log@{}", host(&a));
    join(&b, &bob, &log).await;
    // A has no workers: the Accept waits in its outbox.
    eventually("the Follow arrives", || async {
        member_count(&a, "log").await == 2
    })
    .await;
    let first = write_post(&a, &alice, "log", "Before the crash").await;
    let second = write_post(&a, &alice, "log", "Claimed by a worker that died").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        post_id(&b, &first).await,
        None,
        "nothing is sent without workers"
    );

    // A worker claims the second post's delivery and dies before sending.
    let pool = a.db.pool().await;
    let claimed = sqlx::query_scalar::<_, i64>(
        "update delivery d set leased_until = now() + interval '2 seconds', attempts = 1
         from outbox_activity o
         where o.id = d.activity_id and o.payload->'object'->'object'->>'id' = $1
         returning d.id",
    )
    .bind(&second)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(claimed.len(), 1);
    pool.close().await;

    let port = a.address.port();
    let a_db = a.stop().await;
    let a = TestApp::spawn_at(a_db, port, &[]).await;
    eventually("joined", || async {
        membership(&b, &bob, &log).await == "joined"
    })
    .await;
    for post in [&first, &second] {
        eventually("the post arrives", || async {
            post_id(&b, post).await.is_some()
        })
        .await;
    }
    eventually("every delivery made", || settled(&a)).await;
    assert_eq!(
        deliveries(&a).await,
        vec![("delivered".to_owned(), 3)],
        "the Accept and two announces, once each"
    );
    for app in [a, b] {
        app.stop().await;
    }
}

/// B's user gets a new key; A refetches it once and accepts the next activity.
#[tokio::test]
async fn a_rotated_key_is_refetched_once() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "keys", json!({})).await;
    let keys = format!("keys@{}", host(&a));
    join(&b, &bob, &keys).await;
    eventually("joined", || async {
        membership(&b, &bob, &keys).await == "joined"
    })
    .await;
    let post = write_post(&a, &alice, "keys", "Locks").await;
    eventually("post", || async { post_id(&b, &post).await.is_some() }).await;

    let (public_key, private_key) = hearth_service::keys::generate().await.unwrap();
    let pool = b.db.pool().await;
    sqlx::query("update person set public_key = $1, private_key = $2 where name = 'bob' and local")
        .bind(&public_key)
        .bind(&private_key)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let post_on_b = post_id(&b, &post).await.unwrap();
    let comment = write_comment(&b, &bob, post_on_b, None, "New key, same bob").await;
    eventually("the comment signed with the new key arrives", || async {
        comment_id(&a, &comment).await.is_some()
    })
    .await;
    let key_on_a = scalar(
        &a,
        "select 1::bigint from person where name = 'bob' and public_key = $1",
        &public_key,
    )
    .await;
    assert_eq!(key_on_a, Some(1), "A holds the new key");
    for app in [a, b] {
        app.stop().await;
    }
}

#[tokio::test]
async fn an_undo_that_overtakes_its_vote_leaves_no_vote() {
    // Other servers send a vote and its undoing in parallel; the Undo may arrive first.
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "order", json!({})).await;
    let order = format!("order@{}", host(&a));
    join(&b, &bob, &order).await;
    eventually("joined", || async {
        membership(&b, &bob, &order).await == "joined"
    })
    .await;
    let post = write_post(&a, &alice, "order", "Count me").await;
    let bob_id = format!("http://{}/u/bob", host(&b));
    let bob_key = private_key(&b, "bob").await;
    let like = json!({
        "id": format!("http://{}/activities/like/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Like", "actor": bob_id, "object": post,
    });
    let undo = json!({
        "id": format!("http://{}/activities/undo/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Undo", "actor": bob_id, "object": like,
    });
    let (status, body) = send_signed(&a, &bob_key, &bob_id, undo.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = send_signed(&a, &bob_key, &bob_id, like.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let votes = scalar(
        &a,
        "select count(*) from post_vote v join person p on p.id = v.person_id where p.ap_id = $1",
        &bob_id,
    )
    .await;
    assert_eq!(votes, Some(0), "the late vote is not applied");
    let (score, ups, _, _, _) = state_of(&a, "post", &post).await.unwrap();
    assert_eq!((score, ups), (0, 0), "the post has no votes");

    // A vote that was never undone still counts.
    let later = json!({
        "id": format!("http://{}/activities/like/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Like", "actor": bob_id, "object": post,
    });
    let (status, _) = send_signed(&a, &bob_key, &bob_id, later.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (score, ups, _, _, _) = state_of(&a, "post", &post).await.unwrap();
    assert_eq!((score, ups), (1, 1));
    for app in [a, b] {
        app.stop().await;
    }
}

#[tokio::test]
async fn a_reply_whose_parent_never_came_brings_the_parent_with_it() {
    // Mastodon addresses a reply only to its parent's author, so a community can receive a
    // reply to a comment it never saw. A fetches the missing parent from its server.
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "talk", json!({})).await;
    let talk = format!("talk@{}", host(&a));
    join(&b, &bob, &talk).await;
    eventually("joined", || async {
        membership(&b, &bob, &talk).await == "joined"
    })
    .await;
    let post = write_post(&a, &alice, "talk", "Tell me").await;
    eventually("the post reaches B", || async {
        post_id(&b, &post).await.is_some()
    })
    .await;
    let post_on_b = post_id(&b, &post).await.unwrap();
    let middle = write_comment(&b, &bob, post_on_b, None, "The middle").await;
    eventually("the middle reaches A", || async {
        comment_id(&a, &middle).await.is_some()
    })
    .await;
    // As if A had never received it.
    let pool = a.db.pool().await;
    sqlx::query("delete from comment where ap_id = $1")
        .bind(&middle)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let middle_on_b = comment_id(&b, &middle).await.unwrap();
    let reply = write_comment(&b, &bob, post_on_b, Some(middle_on_b), "The end").await;
    eventually("the reply and its parent are on A", || async {
        comment_id(&a, &reply).await.is_some()
    })
    .await;
    let parent = scalar(&a, "select parent_id from comment where ap_id = $1", &reply).await;
    assert_eq!(
        parent,
        comment_id(&a, &middle).await,
        "under the fetched parent"
    );
    assert!(parent.is_some());
    for app in [a, b] {
        app.stop().await;
    }
}

/// Signs `body` with `key` as `key_actor` and posts it to A's shared inbox.
pub(crate) async fn send_signed(
    app: &TestApp,
    key: &str,
    key_actor: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let (status, _, body) = app.deliver_signed(key, key_actor, "/inbox", body).await;
    (status, body)
}

pub(crate) async fn private_key(app: &TestApp, name: &str) -> String {
    let pool = app.db.pool().await;
    let key: String =
        sqlx::query_scalar("select private_key from person where local and name = $1")
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    key
}

/// What a hostile sender could change on A: content, votes, deletions, memberships.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let pool = app.db.pool().await;
    let mut out = Vec::new();
    for sql in [
        "select count(*) from post",
        "select count(*) from comment",
        "select count(*) from comment where deleted",
        "select coalesce(sum(score), 0)::bigint from post_vote",
        "select coalesce(sum(score), 0)::bigint from comment_vote",
        "select count(*) from community_member",
        "select count(*) from outbox_activity",
    ] {
        out.push(sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap());
    }
    pool.close().await;
    out
}

/// Each hostile request gets its documented status and changes nothing.
#[tokio::test]
async fn a_hostile_sender_changes_nothing() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let carol = c.user("carol").await;
    create_community(&a, &alice, "safe", json!({})).await;
    let safe = format!("safe@{}", host(&a));
    for (app, user) in [(&b, &bob), (&c, &carol)] {
        join(app, user, &safe).await;
        eventually("joined", || async {
            membership(app, user, &safe).await == "joined"
        })
        .await;
    }
    let post = write_post(&a, &alice, "safe", "Target").await;
    eventually("post", || async { post_id(&b, &post).await.is_some() }).await;
    let bobs = write_comment(&b, &bob, post_id(&b, &post).await.unwrap(), None, "Mine").await;
    eventually("comment", || async {
        comment_id(&a, &bobs).await.is_some()
    })
    .await;
    eventually("A settled", || settled(&a)).await;

    let bob_id = format!("http://{}/u/bob", host(&b));
    let carol_id = format!("http://{}/u/carol", host(&c));
    let community = format!("http://{}/c/safe", host(&a));
    let bob_key = private_key(&b, "bob").await;
    let carol_key = private_key(&c, "carol").await;
    let activity = |kind: &str, actor: &str, object: Value| {
        let id = format!(
            "{}/activities/{}/{}",
            actor.rsplit_once("/u/").unwrap().0,
            kind.to_lowercase(),
            uuid::Uuid::new_v4()
        );
        json!({"id": id, "type": kind, "actor": actor, "object": object,
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [community]})
    };
    let before = fingerprint(&a).await;

    // Unsigned.
    let like = activity("Like", &bob_id, json!(post));
    let response = a
        .client
        .post(format!("http://{}/inbox", host(&a)))
        .header("content-type", "application/activity+json")
        .body(like.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "signature_missing");

    // Wrongly signed: bob's activity under a key that is not bob's.
    let (stranger_key, _) = {
        let (public, private) = hearth_service::keys::generate().await.unwrap();
        (private, public)
    };
    let (status, body) = send_signed(&a, &stranger_key, &bob_id, like.to_string().into()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature"))
    );

    // Signed by a key of another server than the actor's.
    let (status, body) = send_signed(&a, &carol_key, &carol_id, like.to_string().into()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("key_mismatch"))
    );

    // Forged origin: bob creates an object that lives on C.
    let forged = activity(
        "Create",
        &bob_id,
        json!({"type": "Note", "id": format!("http://{}/comment/999", host(&c)),
               "attributedTo": bob_id, "inReplyTo": post, "content": "forged",
               "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [community]}),
    );
    let (status, body) = send_signed(&a, &bob_key, &bob_id, forged.to_string().into()).await;
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(forged["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("origin_mismatch")
    );

    // Delete by a stranger: carol deletes bob's comment. Not the author, so it could only be a
    // moderator's removal, and carol moderates nothing.
    let delete = activity("Delete", &carol_id, json!(bobs));
    let (status, body) = send_signed(&a, &carol_key, &carol_id, delete.to_string().into()).await;
    // Refused when applied: acknowledged, and the refusal recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(delete["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("not_moderator"),
        "{body}"
    );

    // 2 MiB.
    let mut huge = like.clone();
    huge["content"] = json!("x".repeat(2 * 1024 * 1024));
    let (status, body) = send_signed(&a, &bob_key, &bob_id, huge.to_string().into()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );

    // Malformed JSON.
    let (status, body) = send_signed(&a, &bob_key, &bob_id, b"{\"id\": ".to_vec()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_json"))
    );

    // Nested beyond the bound.
    let mut deep = json!("bottom");
    for _ in 0..40 {
        deep = json!({"a": deep});
    }
    let mut nested = like.clone();
    nested["extra"] = deep;
    let (status, body) = send_signed(&a, &bob_key, &bob_id, nested.to_string().into()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("too_deep"))
    );

    // An unknown type is acknowledged and ignored.
    let unknown = activity("Wave", &bob_id, json!(post));
    let (status, _) = send_signed(&a, &bob_key, &bob_id, unknown.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    assert_eq!(fingerprint(&a).await, before, "nothing changed");

    // A valid vote is applied once; the same id again, even with other content, is not.
    let (status, _) = send_signed(&a, &bob_key, &bob_id, like.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let after_like = fingerprint(&a).await;
    assert_eq!(after_like[3], before[3] + 1, "the like counts");
    let mut replay = like.clone();
    replay["type"] = json!("Dislike");
    let (status, _) = send_signed(&a, &bob_key, &bob_id, replay.to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        fingerprint(&a).await,
        after_like,
        "a replayed id is not applied again"
    );
    for app in [a, b, c] {
        app.stop().await;
    }
}

/// An `Announce` whose object is only an id is fetched from the community's server; the same
/// activity announced again, embedded, is applied once.
#[tokio::test]
async fn an_announce_of_a_bare_id_is_fetched_and_applied_once() {
    let a = TestApp::spawn(&[]).await;
    // B keeps its deliveries to itself: this test plays B's community by hand.
    let b = TestApp::spawn(&[("HEARTH__FEDERATION__DELIVERY__WORKERS", "false")]).await;
    let bob = b.user("bob").await;
    create_community(&b, &bob, "birds", json!({})).await;
    // A listens only to communities someone there joined (or asked to join).
    let alice = a.user("alice").await;
    join(&a, &alice, &format!("birds@{}", host(&b))).await;
    // B announces only to members elsewhere: wait until alice's Follow is in.
    eventually("B records alice", || async {
        member_count(&b, "birds").await == 2
    })
    .await;
    let post = write_post(&b, &bob, "birds", "Robin").await;
    let pool = b.db.pool().await;
    let (announced, key): (Value, String) = sqlx::query_as(
        "select o.payload, c.private_key from outbox_activity o
         join community c on c.ap_id = o.actor_ap_id
         where o.kind = 'Announce' and o.payload->'object'->>'type' = 'Create'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let create = announced["object"].clone();
    let create_id = create["id"].as_str().unwrap().to_owned();
    let group = format!("http://{}/c/birds", host(&b));

    // B serves the announced Create at its id, to ActivityPub clients.
    let served: Value = a
        .client
        .get(&create_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["id"], create_id);
    assert_eq!(served["object"]["id"], post);

    let announce = |object: Value| {
        json!({"id": format!("{group}/announce/{}", uuid::Uuid::new_v4()), "type": "Announce",
               "actor": group, "object": object,
               "to": ["https://www.w3.org/ns/activitystreams#Public"]})
    };
    let (status, body) = send_signed(
        &a,
        &key,
        &group,
        announce(json!(create_id)).to_string().into(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(post_id(&a, &post).await.is_some(), "fetched and stored");
    let (status, _) = send_signed(&a, &key, &group, announce(create).to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        scalar(&a, "select count(*) from post where ap_id = $1", &post).await,
        Some(1)
    );

    // The bare `Announce{Page}` Lemmy and NodeBB send: applied, and once with its Create.
    let second = write_post(&b, &bob, "birds", "Sparrow").await;
    let pool = b.db.pool().await;
    let (announced,): (Value,) = sqlx::query_as(
        "select payload from outbox_activity
         where kind = 'Announce' and payload->'object'->'object'->>'id' = $1",
    )
    .bind(&second)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let page = announced["object"]["object"].clone();
    let (status, body) = send_signed(&a, &key, &group, announce(page).to_string().into()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        post_id(&a, &second).await.is_some(),
        "the bare Page is a post"
    );
    let (status, _) = send_signed(
        &a,
        &key,
        &group,
        announce(announced["object"].clone()).to_string().into(),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        scalar(&a, "select count(*) from post where ap_id = $1", &second).await,
        Some(1)
    );
    for app in [a, b] {
        app.stop().await;
    }
}

/// Members on microblog servers (Mastodon and the like, told apart by NodeInfo) get new
/// top-level posts as `Announce{Page}` and nothing else; Group-aware servers get everything.
#[tokio::test]
async fn microblog_servers_get_only_top_level_posts() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let carol = c.user("carol").await;
    create_community(&a, &alice, "quiet", json!({})).await;
    let quiet = format!("quiet@{}", host(&a));
    for (app, user) in [(&b, &bob), (&c, &carol)] {
        join(app, user, &quiet).await;
        eventually("joined", || async {
            membership(app, user, &quiet).await == "joined"
        })
        .await;
    }
    // A read each follower server's NodeInfo when its member joined.
    let pool = a.db.pool().await;
    let software: Option<String> =
        sqlx::query_scalar("select software from instance where authority = $1")
            .bind(host(&c))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(software.as_deref(), Some("hearth"));
    // B is made to look like Mastodon.
    sqlx::query("update instance set software = 'mastodon' where authority = $1")
        .bind(host(&b))
        .execute(&pool)
        .await
        .unwrap();
    eventually("A settled", || settled(&a)).await;
    // A clean slate: queued and settled deliveries alike.
    for table in ["delivery", "delivery_done"] {
        sqlx::query(&format!("delete from {table}"))
            .execute(&pool)
            .await
            .unwrap();
    }

    let post = write_post(&a, &alice, "quiet", "For everyone").await;
    eventually("C gets the post", || async {
        post_id(&c, &post).await.is_some()
    })
    .await;
    let on_c = post_id(&c, &post).await.unwrap();
    let reply = write_comment(&c, &carol, on_c, None, "a comment").await;
    eventually("A gets the comment", || async {
        comment_id(&a, &reply).await.is_some()
    })
    .await;
    let on_a = post_id(&a, &post).await.unwrap();
    vote(&a, &alice, &format!("/api/v1/posts/{on_a}/vote"), 1).await;
    eventually("A settled", || settled(&a)).await;

    let to = |authority: String| {
        let pool = pool.clone();
        async move {
            let rows: Vec<(serde_json::Value,)> = sqlx::query_as(
                "select o.payload from delivery_history d join outbox_activity o on o.id = d.activity_id
                 where d.authority = $1 order by d.id",
            )
            .bind(authority)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows.into_iter().map(|(p,)| p).collect::<Vec<_>>()
        }
    };
    let to_b = to(host(&b).to_owned()).await;
    assert_eq!(
        to_b.len(),
        1,
        "only the post reaches the microblog: {to_b:?}"
    );
    assert_eq!(to_b[0]["type"], "Announce");
    assert_eq!(to_b[0]["object"]["type"], "Page");
    assert_eq!(to_b[0]["object"]["id"], post);
    let to_c: Vec<String> = to(host(&c).to_owned())
        .await
        .iter()
        .map(|p| {
            format!(
                "{}{{{}}}",
                p["type"].as_str().unwrap(),
                p["object"]["type"].as_str().unwrap()
            )
        })
        .collect();
    // The post and alice's vote (carol's own comment is not sent back to C).
    assert_eq!(to_c, ["Announce{Create}", "Announce{Like}"]);
    pool.close().await;
    for app in [a, b, c] {
        app.stop().await;
    }
}

/// Mastodon's shapes: a note mentioning the group becomes a post with a clean title; a reply
/// addressed only to the post's author joins the thread; a favourite is an upvote. And the bare
/// `Announce{Page}` Lemmy and NodeBB send is applied.
#[tokio::test]
async fn mastodon_members_post_reply_and_favourite() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    b.user("felix").await;
    create_community(&a, &alice, "town", json!({})).await;
    let group = format!("http://{}/c/town", host(&a));
    let felix = format!("http://{}/u/felix", host(&b));
    let key = private_key(&b, "felix").await;
    let public = "https://www.w3.org/ns/activitystreams#Public";
    let status = |n: u32| format!("http://{}/users/felix/statuses/{n}", host(&b));
    let create = |object: Value| {
        json!({"id": format!("{}/activity", object["id"].as_str().unwrap()), "type": "Create",
               "actor": felix, "to": object["to"], "cc": object["cc"], "object": object})
    };

    // A mention post: the group only in `cc` and a Mention tag.
    let note = json!({
        "id": status(1), "type": "Note", "attributedTo": felix,
        "to": [public], "cc": [format!("{felix}/followers"), group],
        "content": format!("<p><span class=\"h-card\"><a href=\"{group}\" class=\"u-url mention\">@<span>town</span></a></span> Bike lanes downtown</p><p>They are finally painted.</p>"),
        "tag": [{"type": "Mention", "href": group, "name": format!("@town@{}", host(&a))}],
    });
    let (code, body) = send_signed(&a, &key, &felix, create(note).to_string().into()).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    let pool = a.db.pool().await;
    let (title, text): (String, String) =
        sqlx::query_as("select title, body from post where ap_id = $1")
            .bind(status(1))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(title, "Bike lanes downtown");
    assert_eq!(text, "They are finally painted.");

    // A reply to alice's post, addressed to alice alone (as Mastodon does).
    let post = write_post(&a, &alice, "town", "Alice asks").await;
    let alice_id = format!("http://{}/u/alice", host(&a));
    let reply = json!({
        "id": status(2), "type": "Note", "attributedTo": felix, "inReplyTo": post,
        "to": [public], "cc": [alice_id],
        "content": format!("<p><span class=\"h-card\"><a href=\"{alice_id}\" class=\"u-url mention\">@<span>alice</span></a></span> here is my answer</p>"),
        "tag": [{"type": "Mention", "href": alice_id}],
    });
    let (code, body) = send_signed(&a, &key, &felix, create(reply).to_string().into()).await;
    assert_eq!(code, StatusCode::ACCEPTED, "{body}");
    assert!(
        comment_id(&a, &status(2)).await.is_some(),
        "the reply joined the thread"
    );

    // A favourite counts as an upvote.
    let like =
        json!({"id": format!("{}#likes/1", felix), "type": "Like", "actor": felix, "object": post});
    let (code, _) = send_signed(&a, &key, &felix, like.to_string().into()).await;
    assert_eq!(code, StatusCode::ACCEPTED);
    assert_eq!(
        state_of(&a, "post", &post).await.map(|s| (s.0, s.1)),
        Some((1, 1))
    );
    pool.close().await;
    for app in [a, b] {
        app.stop().await;
    }
}

/// The first person on B to join A's community brings its recent past along: the newest 50
/// posts and their comments, without any new activity.
#[tokio::test]
async fn joining_a_community_backfills_its_newest_posts_and_comments() {
    let a = TestApp::spawn(&[("HEARTH__RATE_LIMITS__POST__MAX", "1000")]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "archive", json!({})).await;
    let mut posts = Vec::new();
    for n in 0..60 {
        posts.push(write_post(&a, &alice, "archive", &format!("Entry {n}")).await);
    }
    // Comments (one nested, then enough for three pages of `replies`) on the newest post.
    let newest = post_id(&a, &posts[59]).await.unwrap();
    let first = write_comment(&a, &alice, newest, None, "first!").await;
    let first_id = comment_id(&a, &first).await.unwrap();
    let nested = write_comment(&a, &alice, newest, Some(first_id), "nested").await;
    let pool = a.db.pool().await;
    // Written in bulk: the API's comment rate limit is not what this test is about.
    sqlx::query(
        "insert into comment (ap_id, local, post_id, author_id, path, body, body_html)
         select 'http://' || $3 || '/comment/bulk' || g, true, $1, $2, '{}', 'Bulk ' || g,
                '<p>Bulk ' || g || '</p>'
         from generate_series(1, 118) g",
    )
    .bind(newest)
    .bind(
        scalar(&a, "select id from person where name = $1", "alice")
            .await
            .unwrap(),
    )
    .bind(host(&a))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "update comment set ap_id = 'http://' || $1 || '/comment/' || id, path = array[id]
         where ap_id like '%/comment/bulk%'",
    )
    .bind(host(&a))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("update post set comment_count = 120 where id = $1")
        .bind(newest)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    // The oldest post is pinned: beyond the newest 50, yet backfilled through `featured`.
    let oldest = post_id(&a, &posts[0]).await.unwrap();
    let (status, body) = a
        .post_json(
            &format!("/api/v1/posts/{oldest}/pin"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The replies collection is paged: 50 Notes a page, parents first, `next` until the end.
    let replies = format!("{}/replies", posts[59]);
    let fetch = |url: String| {
        let client = b.client.clone();
        async move {
            let page: Value = client
                .get(url)
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            page
        }
    };
    let collection = fetch(replies.clone()).await;
    assert_eq!(collection["totalItems"], 120);
    let mut next = collection["first"].as_str().map(str::to_owned);
    let mut seen = Vec::new();
    while let Some(url) = next {
        let page = fetch(url).await;
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert_eq!(page["partOf"], replies.as_str());
        seen.extend(
            page["orderedItems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n["id"].clone()),
        );
        next = page["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 120, "every comment once");
    assert_eq!(
        (seen[0].as_str(), seen[1].as_str()),
        (Some(first.as_str()), Some(nested.as_str()))
    );
    let first_replies = fetch(format!("{first}/replies?after=0")).await;
    assert_eq!(
        first_replies["orderedItems"][0]["id"],
        nested.as_str(),
        "a comment's replies"
    );

    join(&b, &bob, &format!("archive@{}", host(&a))).await;
    eventually("the newest 50 posts and the pinned one backfilled", || async {
        scalar(
            &b,
            "select count(*) from post p join community c on c.id = p.community_id where c.name = $1",
            "archive",
        )
        .await
            == Some(51)
    })
    .await;
    assert!(post_id(&b, &posts[59]).await.is_some(), "the newest");
    assert!(post_id(&b, &posts[10]).await.is_some(), "the 50th newest");
    assert_eq!(
        post_id(&b, &posts[9]).await,
        None,
        "only the newest 50 and the pinned one"
    );
    eventually("the thread backfilled", || async {
        comment_id(&b, &nested).await.is_some()
    })
    .await;
    let parent = scalar(
        &b,
        "select parent_id from comment where ap_id = $1",
        &nested,
    )
    .await;
    assert_eq!(parent, comment_id(&b, &first).await, "with its shape");
    eventually("every page of the thread backfilled", || async {
        scalar(
            &b,
            "select count(*) from comment where post_id = $1::bigint",
            &post_id(&b, &posts[59]).await.unwrap().to_string(),
        )
        .await
            == Some(120)
    })
    .await;
    eventually("the pinned post backfilled and pinned", || async {
        scalar(
            &b,
            "select count(*) from post where ap_id = $1 and featured",
            &posts[0],
        )
        .await
            == Some(1)
    })
    .await;
    for app in [a, b] {
        app.stop().await;
    }
}

/// What Lemmy, Mbin, NodeBB, Friendica and Mastodon send (our fixtures in their shapes, moved to
/// a test peer's address), signed and delivered to a real inbox: each lands as the right post
/// or comment.
#[tokio::test]
async fn every_dialects_posts_and_comments_land() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    b.user("bob").await;
    create_community(&a, &alice, "garden", json!({})).await;
    let group = format!("http://{}/c/garden", host(&a));
    let post = write_post(&a, &alice, "garden", "Alice's post").await;
    let bob = format!("http://{}/u/bob", host(&b));
    let peer = format!("http://{}", host(&b));
    let key = private_key(&b, "bob").await;
    let fixture = |path: &str| -> Value {
        let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        let mut text = std::fs::read_to_string(full).unwrap();
        let original: Value = serde_json::from_str(&text).unwrap();
        let author = original["attributedTo"].as_str().unwrap().to_owned();
        for community in [
            "https://lemmy.example/c/gardening",
            "https://mbin.example/m/cycling",
            "https://nodebb.example/category/5",
        ] {
            // Whole values only: Mbin's post ids begin with its community's.
            text = text.replace(&format!("\"{community}\""), &format!("\"{group}\""));
        }
        if original["inReplyTo"].is_string() {
            // Replies to Lemmy's post 42 answer alice's post here.
            text = text.replace("\"https://lemmy.example/post/42\"", &format!("\"{post}\""));
        }
        text = text.replace(&author, &bob);
        for origin in [
            "https://lemmy.example",
            "https://mbin.example",
            "https://nodebb.example",
            "https://friendica.example",
            "https://mastodon.example",
        ] {
            text = text.replace(origin, &peer);
        }
        serde_json::from_str(&text).unwrap()
    };
    let deliver = |object: Value| {
        let key = key.clone();
        let bob = bob.clone();
        let a = &a;
        async move {
            let create = json!({
                "id": format!("{}/create", object["id"].as_str().unwrap()),
                "type": "Create", "actor": bob,
                "to": object["to"], "cc": object["cc"], "object": object,
            });
            let (status, body) = send_signed(a, &key, &bob, create.to_string().into()).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        }
    };
    for (path, title) in [
        ("lemmy/page.json", "First tomatoes of the year"),
        ("mbin/page.json", "Best chain oil?"),
        ("nodebb/page.json", "Welcome to the forum"),
        ("friendica/page.json", "Friendica hello"),
    ] {
        let object = fixture(path);
        let id = object["id"].as_str().unwrap().to_owned();
        deliver(object).await;
        let pool = a.db.pool().await;
        let stored: Option<(String,)> = sqlx::query_as("select title from post where ap_id = $1")
            .bind(&id)
            .fetch_optional(&pool)
            .await
            .unwrap();
        pool.close().await;
        assert_eq!(stored.map(|s| s.0).as_deref(), Some(title), "{path}");
    }
    // Comments: Lemmy's on the post, Mastodon's addressed to the author only, Friendica's on
    // Lemmy's comment.
    for path in [
        "lemmy/note.json",
        "mastodon/note.json",
        "friendica/note.json",
    ] {
        let object = fixture(path);
        let id = object["id"].as_str().unwrap().to_owned();
        deliver(object).await;
        assert!(comment_id(&a, &id).await.is_some(), "{path} landed");
    }
    let friendica = fixture("friendica/note.json");
    let lemmy = fixture("lemmy/note.json");
    assert_eq!(
        scalar(
            &a,
            "select parent_id from comment where ap_id = $1",
            friendica["id"].as_str().unwrap()
        )
        .await,
        comment_id(&a, lemmy["id"].as_str().unwrap()).await,
        "Friendica's reply hangs under Lemmy's comment"
    );
    for app in [a, b] {
        app.stop().await;
    }
}
