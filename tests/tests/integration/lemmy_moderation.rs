//! The Lemmy v3 API across two real instances: a remote community found by `name@host` and
//! followed (`Pending` until its server accepts), and moderator actions taken through v3 reaching
//! the other instance as those of the JSON API do.

use crate::federation_network::{eventually, host, post_id, scalar, write_post};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::lemmy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A v3 call by `who` that must succeed; gives its body (the harness's call, with the path named
/// when it fails, as these steps are many).
async fn v3(
    app: &TestApp,
    method: Method,
    path: &str,
    who: &TestUser,
    body: Option<Value>,
) -> Value {
    let (status, answer) =
        lemmy::v3(app, method, path, Some(who), body.unwrap_or(Value::Null)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    answer
}

async fn post_flag(app: &TestApp, column: &str, ap_id: &str) -> Option<i64> {
    scalar(
        app,
        &format!("select {column}::int::bigint from post where ap_id = $1"),
        ap_id,
    )
    .await
}

#[tokio::test]
async fn lemmy_follows_and_moderator_actions_reach_the_other_instance() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let (status, body) = a
        .post_json(
            "/api/v1/communities",
            alice.auth(),
            json!({"name": "town", "title": "Town"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let town = format!("town@{}", host(&a));

    // Bob finds the remote community by name@host (fetched for him) and follows it.
    let found = v3(
        &b,
        Method::GET,
        &format!("community?name={town}"),
        &bob,
        None,
    )
    .await;
    let view = &found["community_view"];
    assert_eq!(view["community"]["local"], false);
    assert_eq!(view["community"]["name"], "town");
    assert_eq!(view["subscribed"], "NotSubscribed");
    let id_on_b = view["community"]["id"].as_i64().unwrap();
    let resolved = v3(
        &b,
        Method::GET,
        &format!("resolve_object?q=!{town}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(resolved["community"]["community"]["id"], id_on_b);
    let followed = v3(
        &b,
        Method::POST,
        "community/follow",
        &bob,
        Some(json!({"community_id": id_on_b, "follow": true})),
    )
    .await;
    assert_eq!(followed["community_view"]["subscribed"], "Pending");
    eventually("the follow is accepted", || async {
        let (_, read) = b
            .get_json(&format!("/api/v3/community?id={id_on_b}"), bob.auth())
            .await;
        read["community_view"]["subscribed"] == "Subscribed"
    })
    .await;

    // People of the other instance are found by name@host too.
    let alice_ref = format!("alice@{}", host(&a));
    let details = v3(
        &b,
        Method::GET,
        &format!("user?username={alice_ref}"),
        &bob,
        None,
    )
    .await;
    assert_eq!(details["person_view"]["person"]["name"], "alice");
    assert_eq!(details["person_view"]["person"]["local"], false);

    // Bob posts there; alice removes and locks it through v3 on A; B learns both.
    let post = write_post(&b, &bob, &town, "Hello town").await;
    eventually("the post reaches A", || async {
        post_id(&a, &post).await.is_some()
    })
    .await;
    let on_a = post_id(&a, &post).await.unwrap();
    let locked = v3(
        &a,
        Method::POST,
        "post/lock",
        &alice,
        Some(json!({"post_id": on_a, "locked": true})),
    )
    .await;
    assert_eq!(locked["post_view"]["post"]["locked"], true);
    let removed = v3(
        &a,
        Method::POST,
        "post/remove",
        &alice,
        Some(json!({"post_id": on_a, "removed": true, "reason": "Off topic"})),
    )
    .await;
    assert_eq!(removed["post_view"]["post"]["removed"], true);
    eventually("B holds the post locked", || async {
        post_flag(&b, "locked", &post).await == Some(1)
    })
    .await;
    eventually("B holds the post removed", || async {
        post_flag(&b, "removed", &post).await == Some(1)
    })
    .await;

    // A ban through v3 reaches B too, and B's v3 answers show it.
    let bob_on_a = scalar(
        &a,
        "select id from person where name = $1 and not local",
        "bob",
    )
    .await
    .unwrap();
    let banned = v3(
        &a,
        Method::POST,
        "community/ban_user",
        &alice,
        Some(
            json!({"community_id": view_id(&a, &alice).await, "person_id": bob_on_a,
                    "ban": true, "reason": "Spam"}),
        ),
    )
    .await;
    assert_eq!(banned["banned"], true);
    eventually("B learns of the ban", || async {
        let (_, read) = b
            .get_json(&format!("/api/v3/community?id={id_on_b}"), bob.auth())
            .await;
        read["community_view"]["banned_from_community"] == true
    })
    .await;
}

/// The id on A of its community `town`.
async fn view_id(a: &TestApp, alice: &TestUser) -> i64 {
    v3(a, Method::GET, "community?name=town", alice, None).await["community_view"]["community"]
        ["id"]
        .as_i64()
        .unwrap()
}
