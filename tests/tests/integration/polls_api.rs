//! Polls through the JSON API: writing one (and the refusals), voting and changing a vote,
//! single and multiple choice, who sees the results when, and the end of voting.

use chrono::{Duration, Utc};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::lemmy::community;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Writes a post with a poll; answers status and body.
async fn try_poll(app: &TestApp, author: &TestUser, poll: Value) -> (StatusCode, Value) {
    app.post_json(
        "/api/v1/posts",
        author.auth(),
        json!({"community": "tea", "title": "What shall we drink?", "poll": poll}),
    )
    .await
}

/// Writes a poll ending in a day with these options and settings; gives the post's id.
async fn write_poll(app: &TestApp, author: &TestUser, options: &[&str], extra: Value) -> i64 {
    let mut poll =
        json!({"options": options, "ends_at": (Utc::now() + Duration::days(1)).to_rfc3339()});
    if let (Some(poll), Some(extra)) = (poll.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            poll.insert(key.clone(), value.clone());
        }
    }
    let (status, post) = try_poll(app, author, poll).await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post["id"].as_i64().unwrap()
}

async fn vote(app: &TestApp, who: &TestUser, post: i64, choices: Value) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/v1/posts/{post}/poll/vote"),
        who.auth(),
        Some(json!({"choices": choices})),
    )
    .await
}

/// The poll as `who` sees it on the post.
async fn poll_of(app: &TestApp, who: Option<&TestUser>, post: i64) -> Value {
    let (status, view) = app
        .get_json(
            &format!("/api/v1/posts/{post}"),
            who.and_then(TestUser::auth),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view["poll"].clone()
}

/// The options' votes (`null` where hidden).
fn votes(poll: &Value) -> Vec<Value> {
    poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["votes"].clone())
        .collect()
}

async fn setup() -> (TestApp, TestUser, TestUser, TestUser) {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    community(&app, &alice, "tea").await;
    (app, alice, bob, carol)
}

#[tokio::test]
async fn polls_are_written_with_two_to_twenty_different_options_and_a_sensible_end() {
    let (app, alice, _, _) = setup().await;
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    let (status, post) = try_poll(
        &app,
        &alice,
        json!({"options": [" Tea ", "Coffee", "Water"], "ends_at": tomorrow}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let poll = &post["poll"];
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["closed"], false);
    assert_eq!(poll["results_after_end"], false);
    assert_eq!(post["event"], Value::Null);
    let options: Vec<(i64, &str)> = poll["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["position"].as_i64().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    assert_eq!(options, vec![(0, "Tea"), (1, "Coffee"), (2, "Water")]);
    assert_eq!(poll["my_choices"], json!([]));

    let twenty_one: Vec<String> = (1..=21).map(|i| format!("Option {i}")).collect();
    let cases = [
        (json!({"options": ["Tea"], "ends_at": tomorrow}), "options"),
        (
            json!({"options": twenty_one, "ends_at": tomorrow}),
            "options",
        ),
        (
            json!({"options": ["Tea", "tea"], "ends_at": tomorrow}),
            "options",
        ),
        (
            json!({"options": ["Tea", "x".repeat(201)], "ends_at": tomorrow}),
            "options",
        ),
        (
            json!({"options": ["Tea", "Coffee"],
                   "ends_at": (Utc::now() + Duration::minutes(1)).to_rfc3339()}),
            "ends_at",
        ),
        (
            json!({"options": ["Tea", "Coffee"],
                   "ends_at": (Utc::now() - Duration::days(1)).to_rfc3339()}),
            "ends_at",
        ),
    ];
    for (poll, field) in cases {
        let (status, body) = try_poll(&app, &alice, poll).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert_eq!(body["error"], "invalid_field", "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    // Twenty is fine.
    let twenty: Vec<String> = (1..=20).map(|i| format!("Option {i}")).collect();
    let (status, post) = try_poll(
        &app,
        &alice,
        json!({"options": twenty, "ends_at": tomorrow}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    assert_eq!(post["poll"]["options"].as_array().unwrap().len(), 20);
    app.stop().await;
}

#[tokio::test]
async fn a_single_choice_vote_is_counted_changed_and_checked() {
    let (app, alice, bob, carol) = setup().await;
    let id = write_poll(&app, &alice, &["Tea", "Coffee", "Water"], json!({})).await;

    let (status, poll) = vote(&app, &bob, id, json!([0])).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(poll["my_choices"], json!([0]));
    assert_eq!(poll["results_visible"], true);
    assert_eq!(votes(&poll), vec![json!(1), json!(0), json!(0)]);
    assert_eq!(poll["voters"], 1);

    // Changing the vote moves it.
    let (status, poll) = vote(&app, &bob, id, json!([1])).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(poll["my_choices"], json!([1]));
    assert_eq!(votes(&poll), vec![json!(0), json!(1), json!(0)]);
    assert_eq!(poll["voters"], 1);
    let (_, poll) = vote(&app, &carol, id, json!([1])).await;
    assert_eq!(votes(&poll), vec![json!(0), json!(2), json!(0)]);
    assert_eq!(poll["voters"], 2);

    // Two choices in a single-choice poll, an option that does not exist, none at all.
    for choices in [json!([0, 2]), json!([7]), json!([])] {
        let (status, body) = vote(&app, &bob, id, choices.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{choices}: {body}");
        assert_eq!(body["field"], "choices", "{body}");
    }
    // Bob's vote stands.
    assert_eq!(
        poll_of(&app, Some(&bob), id).await["my_choices"],
        json!([1])
    );
    // A post without a poll takes no votes.
    let (_, plain) = app
        .post_json(
            "/api/v1/posts",
            alice.auth(),
            json!({"community": "tea", "title": "No poll here"}),
        )
        .await;
    let (status, _) = vote(&app, &bob, plain["id"].as_i64().unwrap(), json!([0])).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_multiple_choice_vote_counts_each_choice_and_the_voter_once() {
    let (app, alice, bob, carol) = setup().await;
    let id = write_poll(
        &app,
        &alice,
        &["Monday", "Tuesday", "Wednesday"],
        json!({"multiple": true}),
    )
    .await;
    let (status, poll) = vote(&app, &bob, id, json!([0, 2])).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(poll["multiple"], true);
    assert_eq!(poll["my_choices"], json!([0, 2]));
    let (_, poll) = vote(&app, &carol, id, json!([2])).await;
    assert_eq!(votes(&poll), vec![json!(1), json!(0), json!(2)]);
    assert_eq!(poll["voters"], 2);
    let (status, body) = vote(&app, &carol, id, json!([1, 1])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn results_are_shown_to_voters_or_only_after_the_end_as_the_author_chose() {
    let (app, alice, bob, carol) = setup().await;

    // Shown once you voted: Carol, who has not, sees no counts; the author always does.
    let open = write_poll(&app, &alice, &["Tea", "Coffee"], json!({})).await;
    vote(&app, &bob, open, json!([0])).await;
    let seen = poll_of(&app, Some(&carol), open).await;
    assert_eq!(seen["results_visible"], false);
    assert_eq!(seen["voters"], Value::Null);
    assert_eq!(votes(&seen), vec![Value::Null, Value::Null]);
    assert_eq!(
        votes(&poll_of(&app, None, open).await),
        vec![Value::Null, Value::Null]
    );
    let seen = poll_of(&app, Some(&alice), open).await;
    assert_eq!(votes(&seen), vec![json!(1), json!(0)]);
    let seen = poll_of(&app, Some(&bob), open).await;
    assert_eq!(seen["results_visible"], true);
    assert_eq!(seen["voters"], 1);

    // Hidden until the end: not even voters see them; the author does.
    let secret = write_poll(
        &app,
        &alice,
        &["Tea", "Coffee"],
        json!({"results_after_end": true}),
    )
    .await;
    let (status, poll) = vote(&app, &bob, secret, json!([1])).await;
    assert_eq!(status, StatusCode::OK, "{poll}");
    assert_eq!(poll["results_after_end"], true);
    assert_eq!(poll["results_visible"], false);
    assert_eq!(poll["my_choices"], json!([1]));
    assert_eq!(votes(&poll), vec![Value::Null, Value::Null]);
    assert_eq!(poll["voters"], Value::Null);
    let seen = poll_of(&app, Some(&alice), secret).await;
    assert_eq!(votes(&seen), vec![json!(0), json!(1)]);

    // Once it ended, everyone sees the results and nobody votes any more.
    let pool = app.db.pool().await;
    sqlx::query("update post_poll set ends_at = now() - interval '1 second' where post_id = $1")
        .bind(secret)
        .execute(&pool)
        .await
        .unwrap();
    for who in [Some(&carol), Some(&bob), None] {
        let seen = poll_of(&app, who, secret).await;
        assert_eq!(seen["closed"], true);
        assert_eq!(seen["results_visible"], true);
        assert_eq!(votes(&seen), vec![json!(0), json!(1)]);
        assert_eq!(seen["voters"], 1);
    }
    for who in [&carol, &bob] {
        let (status, body) = vote(&app, who, secret, json!([0])).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"], "poll_closed");
    }
    assert_eq!(
        votes(&poll_of(&app, None, secret).await),
        vec![json!(0), json!(1)]
    );
    app.stop().await;
}
