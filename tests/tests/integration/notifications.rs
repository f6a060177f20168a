//! Notifications: replies and mentions across two instances (each once, replays included),
//! mentions reaching a server that follows nothing, moderators' decisions with their reason and
//! expiry, join answers, reports, marking read, and blocks hiding them.

use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, write_comment, write_post,
};
use hearth_tests::app::{TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The user's notifications (newest first), as the API lists them.
async fn notifications(app: &TestApp, user: &TestUser, query: &str) -> Vec<Value> {
    let (status, page) = app
        .get_json(&format!("/api/v1/notifications{query}"), user.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn unread(app: &TestApp, user: &TestUser) -> i64 {
    let (status, count) = app
        .get_json("/api/v1/notifications/unread_count", user.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{count}");
    count["unread"].as_i64().unwrap()
}

fn kinds(list: &[Value]) -> Vec<&str> {
    list.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

/// The local id of the comment with this ActivityPub id.
async fn comment_local_id(app: &TestApp, ap_id: &str) -> i64 {
    crate::federation_network::comment_id(app, ap_id)
        .await
        .expect("the comment is here")
}

/// B's user answers A's user's comment and mentions her in a community nobody on A follows: A's
/// user has a reply and a mention, each once even when B's community announces the reply again;
/// reading changes the count.
#[tokio::test]
async fn a_reply_and_a_mention_from_another_server_notify_once_each() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&b, &bob, "garden", json!({})).await;
    create_community(&b, &bob, "attic", json!({})).await;
    let garden = format!("garden@{}", host(&b));
    join(&a, &alice, &garden).await;
    eventually("B accepts alice into garden", || async {
        membership(&a, &alice, &garden).await == "joined"
    })
    .await;

    // Alice comments on bob's post in garden, from A.
    let post = write_post(&b, &bob, "garden", "Tomatoes").await;
    eventually("the post reaches A", || async {
        post_id(&a, &post).await.is_some()
    })
    .await;
    let post_on_a = post_id(&a, &post).await.unwrap();
    let alices = write_comment(&a, &alice, post_on_a, None, "Mine are still green").await;
    eventually("alice's comment reaches B", || async {
        crate::federation_network::comment_id(&b, &alices)
            .await
            .is_some()
    })
    .await;
    let alices_on_b = crate::federation_network::comment_id(&b, &alices).await;
    let post_on_b = post_id(&b, &post).await.unwrap();

    // Bob answers it on B; B's community announces the reply to A.
    let reply = write_comment(&b, &bob, post_on_b, alices_on_b, "Give them a week").await;
    eventually("the reply reaches A", || async {
        crate::federation_network::comment_id(&a, &reply)
            .await
            .is_some()
    })
    .await;
    let told = notifications(&a, &alice, "").await;
    assert_eq!(kinds(&told), ["reply"], "{told:?}");
    eventually("alice is told of the reply", || async {
        kinds(&notifications(&a, &alice, "").await) == ["reply"]
    })
    .await;
    let listed = notifications(&a, &alice, "").await;
    assert_eq!(
        listed[0]["actor"],
        format!("bob@{}", host(&b)),
        "{listed:?}"
    );
    assert_eq!(listed[0]["post_title"], "Tomatoes");
    assert_eq!(
        listed[0]["comment_id"].as_i64(),
        Some(comment_local_id(&a, &reply).await)
    );
    assert!(
        listed[0]["comment_html"]
            .as_str()
            .unwrap()
            .contains("Give them a week")
    );

    // In attic, which nobody on A follows, bob mentions alice: B delivers to A because of the
    // mention, and A fetches the thread to show it.
    let attic_post = write_post(&b, &bob, "attic", "Old boxes").await;
    let attic_post_on_b = post_id(&b, &attic_post).await.unwrap();
    let mention = write_comment(
        &b,
        &bob,
        attic_post_on_b,
        None,
        &format!("@alice@{} what is in these?", host(&a)),
    )
    .await;
    let (_, stored) = b
        .get_json(
            &format!("/api/v1/comments/{}", comment_local_id(&b, &mention).await),
            None,
        )
        .await;
    assert!(
        stored["body_html"]
            .as_str()
            .unwrap()
            .contains(&format!(r#"href="http://{}/u/alice""#, host(&a))),
        "the mention is a link to alice: {stored}"
    );
    eventually("alice is told of the mention", || async {
        kinds(&notifications(&a, &alice, "").await) == ["mention", "reply"]
    })
    .await;
    assert_eq!(
        membership(&a, &alice, &format!("attic@{}", host(&b))).await,
        "none",
        "alice is not a member of attic"
    );
    assert_eq!(unread(&a, &alice).await, 2);

    // B's community announces the reply again, verbatim and as a new Announce: nothing new.
    let pool = b.db.pool().await;
    let announce: Value = sqlx::query_scalar(
        "select payload from outbox_activity
         where kind = 'Announce' and payload->'object'->'object'->>'id' = $1",
    )
    .bind(&reply)
    .fetch_one(&pool)
    .await
    .unwrap();
    let key: String =
        sqlx::query_scalar("select private_key from community where local and name = 'garden'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    let group = format!("http://{}/c/garden", host(&b));
    let mut again = announce.clone();
    again["id"] = json!(format!("{group}/activities/announce/replayed"));
    for body in [announce, again] {
        let (status, _, answer) = a
            .deliver_signed(&key, &group, "/inbox", serde_json::to_vec(&body).unwrap())
            .await;
        assert!(status.is_success(), "{status}: {answer}");
    }
    assert_eq!(
        kinds(&notifications(&a, &alice, "").await),
        ["mention", "reply"]
    );
    assert_eq!(unread(&a, &alice).await, 2);

    // Reading: one, then all.
    let first = notifications(&a, &alice, "").await[0]["id"]
        .as_i64()
        .unwrap();
    let (status, after) = a
        .post_json(
            &format!("/api/v1/notifications/{first}/read"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["unread"], 1);
    assert_eq!(
        kinds(&notifications(&a, &alice, "?unread=true").await),
        ["reply"]
    );
    let (status, marked) = a
        .post_json("/api/v1/notifications/read_all", alice.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{marked}");
    assert_eq!(marked["marked"], 1);
    assert_eq!(unread(&a, &alice).await, 0);
    assert_eq!(notifications(&a, &alice, "").await.len(), 2, "still listed");

    // Bob cannot read or mark alice's notifications; bad filters are refused.
    let (status, _) = b.get_json("/api/v1/notifications", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, err) = a
        .get_json("/api/v1/notifications?kind=party", alice.auth())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let carol = a.user("carol").await;
    let (status, _) = a
        .post_json(
            &format!("/api/v1/notifications/{first}/read"),
            carol.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not carol's");
    for app in [a, b] {
        app.stop().await;
    }
}

/// Moderators' decisions reach the person they concern, with the reason and a ban's expiry; a
/// person's own actions tell them nothing; a decided report and an approved join request are
/// news too.
#[tokio::test]
async fn moderators_decisions_reports_and_join_answers_notify_the_person_concerned() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    create_community(&app, &alice, "cats", json!({})).await;
    let post = write_post(&app, &carol, "cats", "Loud cat").await;
    let post = post_id(&app, &post).await.unwrap();

    // Alice answers her own thread... no: carol comments on her own post: no notification.
    write_comment(&app, &carol, post, None, "bump").await;
    assert!(notifications(&app, &carol, "").await.is_empty());

    // Dave reports the post; alice resolves it.
    let (status, report) = app
        .post_json(
            "/api/v1/reports",
            dave.auth(),
            json!({"post_id": post, "reason": "too loud"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");
    let (status, removed) = app
        .post_json(
            &format!("/api/v1/posts/{post}/remove"),
            alice.auth(),
            json!({"reason": "No shouting"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    let (status, resolved) = app
        .post_json(
            &format!("/api/v1/reports/{}/resolve", report["id"]),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    let dave_heard = notifications(&app, &dave, "").await;
    assert_eq!(kinds(&dave_heard), ["report_resolved"]);
    assert_eq!(dave_heard[0]["post_id"].as_i64(), Some(post));

    let until = "2031-01-02T03:04:05Z";
    let (status, ban) = app
        .post_json(
            "/api/v1/communities/cats/bans",
            alice.auth(),
            json!({"user": "carol", "reason": "Repeated shouting", "expires_at": until}),
        )
        .await;
    assert!(status.is_success(), "{status}: {ban}");
    let heard = notifications(&app, &carol, "").await;
    assert_eq!(kinds(&heard), ["banned", "post_removed"], "{heard:?}");
    assert_eq!(heard[1]["reason"], "No shouting");
    assert_eq!(heard[1]["actor"], "alice");
    assert_eq!(heard[1]["post_id"].as_i64(), Some(post));
    assert_eq!(heard[0]["reason"], "Repeated shouting");
    assert_eq!(heard[0]["expires_at"], until);
    assert_eq!(heard[0]["community"], "cats");
    let (status, only) = app
        .get_json("/api/v1/notifications?kind=banned", carol.auth())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    assert!(
        notifications(&app, &alice, "").await.is_empty(),
        "alice's own actions tell her nothing"
    );

    // A community that approves members: dave asks, alice admits him.
    create_community(&app, &alice, "vault", json!({"visibility": "approval"})).await;
    let (status, asked) = app
        .post_json("/api/v1/communities/vault/join", dave.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(asked["state"], "pending");
    let (status, approved) = app
        .post_json(
            "/api/v1/communities/vault/members/dave/approve",
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    let heard = notifications(&app, &dave, "").await;
    assert_eq!(kinds(&heard), ["join_approved", "report_resolved"]);
    assert_eq!(heard[0]["community"], "vault");
    app.stop().await;
}

/// Someone you block does not show up in your notifications (nor in the count), and their
/// notifications come back when you unblock them.
#[tokio::test]
async fn blocking_someone_hides_their_notifications() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    create_community(&app, &alice, "cats", json!({})).await;
    let post = write_post(&app, &alice, "cats", "Naps").await;
    let post = post_id(&app, &post).await.unwrap();
    write_comment(&app, &bob, post, None, "Long ones").await;
    write_comment(&app, &carol, post, None, "Short ones, @alice").await;
    let heard = notifications(&app, &alice, "").await;
    assert_eq!(heard.len(), 2, "{heard:?}");
    assert_eq!(unread(&app, &alice).await, 2);

    let (status, blocked) = app
        .post_json("/api/v1/users/bob/block", alice.auth(), json!({}))
        .await;
    assert!(status.is_success(), "{status}: {blocked}");
    let heard = notifications(&app, &alice, "").await;
    assert_eq!(heard.len(), 1);
    assert_eq!(heard[0]["actor"], "carol");
    assert_eq!(unread(&app, &alice).await, 1);

    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/users/bob/block",
            alice.auth(),
            None,
        )
        .await;
    assert!(status.is_success());
    assert_eq!(notifications(&app, &alice, "").await.len(), 2);

    // What carol deletes is not shown again in alice's notification of it.
    let carols = notifications(&app, &alice, "").await[0].clone();
    assert_eq!(carols["actor"], "carol");
    assert!(
        carols["comment_html"]
            .as_str()
            .unwrap()
            .contains("Short ones")
    );
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/comments/{}", carols["comment_id"]),
            carol.auth(),
            None,
        )
        .await;
    assert!(status.is_success());
    let carols = notifications(&app, &alice, "").await[0].clone();
    assert_eq!(carols["comment_html"], Value::Null, "{carols}");
    app.stop().await;
}

/// A moderator on the community's own server removes a post written from another server, and
/// bans its author until a date: the author hears of both at home, with the reason and expiry.
#[tokio::test]
async fn a_remote_moderators_decisions_reach_the_author_at_home() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&b, &bob, "garden", json!({})).await;
    let garden = format!("garden@{}", host(&b));
    join(&a, &alice, &garden).await;
    eventually("B accepts alice into garden", || async {
        membership(&a, &alice, &garden).await == "joined"
    })
    .await;
    let post = write_post(&a, &alice, &garden, "Weeds for sale").await;
    eventually("the post reaches B", || async {
        post_id(&b, &post).await.is_some()
    })
    .await;
    let on_b = post_id(&b, &post).await.unwrap();
    let (status, removed) = b
        .post_json(
            &format!("/api/v1/posts/{on_b}/remove"),
            bob.auth(),
            json!({"reason": "No selling"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    let until = "2031-05-06T07:08:09Z";
    let (status, ban) = b
        .post_json(
            "/api/v1/communities/garden/bans",
            bob.auth(),
            json!({"user": format!("alice@{}", host(&a)), "reason": "Spam", "expires_at": until}),
        )
        .await;
    assert!(status.is_success(), "{status}: {ban}");
    // The removal and the ban are delivered independently (each in its own order), so they
    // may arrive either way round.
    eventually("alice hears of the removal and the ban", || async {
        let mut heard = kinds(&notifications(&a, &alice, "").await)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        heard.sort();
        heard == ["banned", "post_removed"]
    })
    .await;
    let heard = notifications(&a, &alice, "").await;
    let of_kind = |kind: &str| {
        heard
            .iter()
            .find(|n| n["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {kind} in {heard:?}"))
    };
    let removal = of_kind("post_removed");
    assert_eq!(removal["reason"], "No selling");
    assert_eq!(removal["post_id"].as_i64(), post_id(&a, &post).await);
    assert_eq!(removal["actor"], format!("bob@{}", host(&b)));
    let ban = of_kind("banned");
    assert_eq!(ban["reason"], "Spam");
    assert_eq!(ban["expires_at"], until);
    assert_eq!(ban["community"], garden);
    for app in [a, b] {
        app.stop().await;
    }
}
