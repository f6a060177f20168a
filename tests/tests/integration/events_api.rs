//! Events through the JSON API: writing one (and the refusals), answering it, the capacity,
//! the news of a new time and of a cancellation, who is going, approval, reminders, and a
//! community's upcoming events.

use chrono::{DateTime, Duration, Utc};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::lemmy::{community, write_post};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// RFC 3339 in UTC, as clients send times.
fn at(time: DateTime<Utc>) -> String {
    time.to_rfc3339()
}

/// An event body starting `starts_in` from now and lasting two hours, with `extra` fields.
fn event(starts_in: Duration, extra: Value) -> Value {
    let start = Utc::now() + starts_in;
    let mut event = json!({
        "starts_at": at(start),
        "ends_at": at(start + Duration::hours(2)),
        "timezone": "Europe/Berlin",
        "place_name": "The library",
        "place_address": "1 Main Street",
    });
    if let (Some(event), Some(extra)) = (event.as_object_mut(), extra.as_object()) {
        for (key, value) in extra {
            event.insert(key.clone(), value.clone());
        }
    }
    event
}

/// Writes an event post; answers status and body.
async fn try_event(
    app: &TestApp,
    author: &TestUser,
    community: &str,
    event: Value,
) -> (StatusCode, Value) {
    app.post_json(
        "/api/v1/posts",
        author.auth(),
        json!({"community": community, "title": "Reading night", "body": "Bring a book.",
               "event": event}),
    )
    .await
}

/// Writes an event post and gives its id.
async fn write_event(app: &TestApp, author: &TestUser, community: &str, event: Value) -> i64 {
    let (status, post) = try_event(app, author, community, event).await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post["id"].as_i64().unwrap()
}

async fn join(app: &TestApp, who: &TestUser, community: &str) {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/communities/{community}/join"),
            who.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// `PUT /api/v1/posts/{id}/rsvp`.
async fn rsvp(app: &TestApp, who: &TestUser, post: i64, answer: Value) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/v1/posts/{post}/rsvp"),
        who.auth(),
        Some(json!({"answer": answer})),
    )
    .await
}

/// The kinds of `who`'s notifications of one kind.
async fn notifications(app: &TestApp, who: &TestUser, kind: &str) -> Vec<Value> {
    let (status, page) = app
        .get_json(&format!("/api/v1/notifications?kind={kind}"), who.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn counts(event: &Value) -> (i64, i64, i64, i64) {
    let c = &event["counts"];
    (
        c["going"].as_i64().unwrap(),
        c["interested"].as_i64().unwrap(),
        c["not_going"].as_i64().unwrap(),
        c["pending"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn an_event_is_written_shown_and_answered_going_interested_not_going_and_taken_back() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "readers").await;
    join(&app, &bob, "readers").await;

    // A Berlin winter evening: 19:00 local is 18:00 UTC.
    let (status, post) = try_event(
        &app,
        &alice,
        "readers",
        json!({"starts_at": "2030-01-15T19:00:00+01:00", "ends_at": "2030-01-15T21:00:00+01:00",
               "timezone": "Europe/Berlin", "place_name": "The library",
               "place_address": "1 Main Street", "capacity": 10}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let id = post["id"].as_i64().unwrap();
    let e = &post["event"];
    assert_eq!(e["starts_at"], "2030-01-15T18:00:00Z", "{e}");
    assert_eq!(e["ends_at"], "2030-01-15T20:00:00Z", "{e}");
    assert_eq!(e["timezone"], "Europe/Berlin");
    assert_eq!(
        e["place"],
        json!({"name": "The library", "address": "1 Main Street"})
    );
    assert_eq!(e["capacity"], 10);
    assert_eq!(e["places_left"], 10);
    assert_eq!(e["cancelled"], false);
    assert_eq!(e["ended"], false);
    assert_eq!(e["needs_approval"], false);
    assert_eq!(e["my_answer"], Value::Null);
    assert_eq!(counts(e), (0, 0, 0, 0));
    assert_eq!(post["poll"], Value::Null);

    // A post that is no event has neither.
    let plain = write_post(&app, &alice, "readers", "Just words").await;
    let (_, page) = app
        .get_json("/api/v1/posts?community=readers&sort=new", bob.auth())
        .await;
    let items = page["items"].as_array().unwrap();
    let shown = |wanted: i64| items.iter().find(|p| p["id"] == wanted).unwrap().clone();
    assert_eq!(shown(plain)["event"], Value::Null);
    assert_eq!(shown(plain)["poll"], Value::Null);
    assert_eq!(shown(id)["event"]["starts_at"], "2030-01-15T18:00:00Z");
    let (status, body) = rsvp(&app, &bob, plain, json!("going")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Going, interested, not going, and taken back: one answer at a time.
    let (status, e) = rsvp(&app, &bob, id, json!("going")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["my_answer"], "going");
    assert_eq!(e["my_answer_approved"], true);
    assert_eq!(counts(&e), (1, 0, 0, 0));
    assert_eq!(e["places_left"], 9);
    let (_, e) = rsvp(&app, &bob, id, json!("interested")).await;
    assert_eq!(e["my_answer"], "interested");
    assert_eq!(counts(&e), (0, 1, 0, 0));
    let (_, e) = rsvp(&app, &bob, id, json!("not_going")).await;
    assert_eq!(counts(&e), (0, 0, 1, 0));
    let (status, body) = rsvp(&app, &bob, id, json!("maybe")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "answer");
    let (_, e) = rsvp(&app, &alice, id, json!("going")).await;
    assert_eq!(counts(&e), (1, 0, 1, 0));
    let (status, e) = rsvp(&app, &bob, id, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["my_answer"], Value::Null);
    assert_eq!(e["my_answer_approved"], Value::Null);
    assert_eq!(counts(&e), (1, 0, 0, 0));

    // The post's own view shows the viewer's answer; an anonymous reader sees the counts only.
    let (_, shown) = app
        .get_json(&format!("/api/v1/posts/{id}"), alice.auth())
        .await;
    assert_eq!(shown["event"]["my_answer"], "going");
    let (_, anonymous) = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(anonymous["event"]["my_answer"], Value::Null);
    assert_eq!(anonymous["event"]["counts"]["going"], 1);
    app.stop().await;
}

#[tokio::test]
async fn events_are_refused_with_the_field_at_fault() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "readers").await;
    let start = Utc::now() + Duration::days(2);

    let cases = [
        (
            json!({"starts_at": at(start), "ends_at": at(start - Duration::hours(1))}),
            "ends_at",
        ),
        (
            json!({"starts_at": at(start), "ends_at": at(start + Duration::hours(1)),
                   "timezone": "Mars/Olympus_Mons"}),
            "timezone",
        ),
        (
            json!({"starts_at": at(start), "ends_at": at(start + Duration::hours(1)),
                   "capacity": 0}),
            "capacity",
        ),
        (
            json!({"starts_at": at(start), "ends_at": at(start + Duration::hours(1)),
                   "online_url": "javascript:alert(1)"}),
            "online_url",
        ),
    ];
    for (event, field) in cases {
        let (status, body) = try_event(&app, &alice, "readers", event).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
        assert_eq!(body["error"], "invalid_field", "{body}");
        assert_eq!(body["field"], field, "{body}");
    }

    // An event does not carry a poll as well.
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            alice.auth(),
            json!({"community": "readers", "title": "Both",
                   "event": {"starts_at": at(start), "ends_at": at(start + Duration::hours(1))},
                   "poll": {"options": ["Yes", "No"], "ends_at": at(start)}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "poll", "{body}");

    // A time that is not a time is a body of the wrong shape.
    let (status, body) = try_event(
        &app,
        &alice,
        "readers",
        json!({"starts_at": "tomorrow evening", "ends_at": at(start)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "invalid_body", "{body}");

    // None of them was written.
    let (_, page) = app
        .get_json("/api/v1/posts?community=readers", alice.auth())
        .await;
    assert_eq!(page["items"], json!([]), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn a_full_event_refuses_the_next_going_until_a_place_is_freed() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    community(&app, &alice, "readers").await;
    join(&app, &bob, "readers").await;
    join(&app, &carol, "readers").await;
    let id = write_event(
        &app,
        &alice,
        "readers",
        event(Duration::days(3), json!({"capacity": 1})),
    )
    .await;

    let (status, e) = rsvp(&app, &bob, id, json!("going")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["places_left"], 0);
    let (status, body) = rsvp(&app, &carol, id, json!("going")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "event_full", "{body}");
    // Carol may still be interested; Bob keeps his place (answering going again changes
    // nothing).
    let (status, e) = rsvp(&app, &carol, id, json!("interested")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    let (status, e) = rsvp(&app, &bob, id, json!("going")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["my_answer"], "going");
    assert_eq!(counts(&e), (1, 1, 0, 0));

    // Bob turning to interested frees the place, and Carol takes it.
    let (_, e) = rsvp(&app, &bob, id, json!("interested")).await;
    assert_eq!(e["places_left"], 1);
    let (status, e) = rsvp(&app, &carol, id, json!("going")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(counts(&e), (1, 1, 0, 0));
    assert_eq!(e["places_left"], 0);
    app.stop().await;
}

#[tokio::test]
async fn a_new_time_tells_people_going_once_and_a_cancellation_tells_everyone_who_answered() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    community(&app, &alice, "readers").await;
    for who in [&bob, &carol, &dave] {
        join(&app, who, "readers").await;
    }
    let id = write_event(&app, &alice, "readers", event(Duration::days(3), json!({}))).await;
    rsvp(&app, &bob, id, json!("going")).await;
    rsvp(&app, &carol, id, json!("interested")).await;
    rsvp(&app, &dave, id, json!("not_going")).await;

    // Moved a day later: Bob (going) and Carol (interested) hear of it, Dave does not.
    let later = event(Duration::days(4), json!({}));
    let (status, post) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/posts/{id}"),
            alice.auth(),
            Some(json!({"event": later})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert_eq!(
        DateTime::parse_from_rfc3339(post["event"]["starts_at"].as_str().unwrap())
            .unwrap()
            .timestamp(),
        DateTime::parse_from_rfc3339(later["starts_at"].as_str().unwrap())
            .unwrap()
            .timestamp()
    );
    let changed = notifications(&app, &bob, "event_changed").await;
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(changed[0]["post_id"], id);
    assert_eq!(notifications(&app, &carol, "event_changed").await.len(), 1);
    assert!(notifications(&app, &dave, "event_changed").await.is_empty());
    assert!(
        notifications(&app, &alice, "event_changed")
            .await
            .is_empty()
    );

    // The same time again, with a new place: no second notification.
    let mut same = later.clone();
    same["place_name"] = json!("The other library");
    let (status, post) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/posts/{id}"),
            alice.auth(),
            Some(json!({"event": same})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{post}");
    assert_eq!(post["event"]["place"]["name"], "The other library");
    assert_eq!(notifications(&app, &bob, "event_changed").await.len(), 1);

    // Only the organiser (or a moderator) cancels.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/posts/{id}/event/cancel"),
            bob.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "not_organiser");
    let (status, e) = app
        .post_json(
            &format!("/api/v1/posts/{id}/event/cancel"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["cancelled"], true);
    for who in [&bob, &carol, &dave] {
        let cancelled = notifications(&app, who, "event_cancelled").await;
        assert_eq!(cancelled.len(), 1, "{}: {cancelled:?}", who.name);
        assert_eq!(cancelled[0]["post_id"], id);
    }
    assert!(
        notifications(&app, &alice, "event_cancelled")
            .await
            .is_empty()
    );

    // No answers after a cancellation.
    let (status, body) = rsvp(&app, &dave, id, json!("going")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "event_cancelled");
    app.stop().await;
}

#[tokio::test]
async fn members_see_who_is_going_and_a_going_waits_for_the_organisers_approval() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let outsider = app.user("outsider").await;
    community(&app, &alice, "readers").await;
    join(&app, &bob, "readers").await;
    let id = write_event(
        &app,
        &alice,
        "readers",
        event(
            Duration::days(3),
            json!({"needs_approval": true, "capacity": 5}),
        ),
    )
    .await;

    // Bob's going waits; the organiser's own does not.
    let (status, e) = rsvp(&app, &bob, id, json!("going")).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(e["my_answer"], "going");
    assert_eq!(e["my_answer_approved"], false);
    assert_eq!(counts(&e), (0, 0, 0, 1));
    let (_, e) = rsvp(&app, &alice, id, json!("going")).await;
    assert_eq!(e["my_answer_approved"], true);
    assert_eq!(counts(&e), (1, 0, 0, 1));

    // Members see the list; someone who is not a member does not.
    let path = format!("/api/v1/posts/{id}/event/attendees?answer=going");
    let (status, list) = app.get_json(&path, bob.auth()).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let people: Vec<(String, bool)> = list["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["person"]["name"].as_str().unwrap().to_owned(),
                a["approved"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        people,
        vec![("bob".to_owned(), false), ("alice".to_owned(), true)]
    );
    let (status, body) = app.get_json(&path, outsider.auth()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "not_member");
    let (status, _) = app.get_json(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Only the organiser approves.
    let approve = format!("/api/v1/posts/{id}/event/attendees/{}/approve", bob.id);
    let (status, body) = app.post_json(&approve, bob.auth(), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "not_organiser");
    let (status, e) = app.post_json(&approve, alice.auth(), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{e}");
    assert_eq!(counts(&e), (2, 0, 0, 0));
    let (_, shown) = app
        .get_json(&format!("/api/v1/posts/{id}"), bob.auth())
        .await;
    assert_eq!(shown["event"]["my_answer_approved"], true);
    // Nobody else waits.
    let (status, _) = app.post_json(&approve, alice.auth(), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn people_going_are_reminded_once_shortly_before_the_start() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    community(&app, &alice, "readers").await;
    join(&app, &bob, "readers").await;
    join(&app, &carol, "readers").await;
    let soon = write_event(
        &app,
        &alice,
        "readers",
        event(Duration::minutes(30), json!({})),
    )
    .await;
    let tomorrow = write_event(&app, &alice, "readers", event(Duration::days(1), json!({}))).await;
    for id in [soon, tomorrow] {
        rsvp(&app, &bob, id, json!("going")).await;
        rsvp(&app, &carol, id, json!("interested")).await;
    }

    let ctx = app.context().await;
    hearth_service::maintenance::run(&ctx).await.unwrap();
    // A second round (another process, or after a restart) reminds no one again.
    hearth_service::maintenance::run(&ctx).await.unwrap();

    let reminders = notifications(&app, &bob, "event_reminder").await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    assert_eq!(reminders[0]["post_id"], soon);
    assert!(
        notifications(&app, &carol, "event_reminder")
            .await
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn a_communitys_upcoming_events_are_listed_soonest_first() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "readers").await;
    let later = write_event(
        &app,
        &alice,
        "readers",
        event(Duration::days(10), json!({})),
    )
    .await;
    let sooner = write_event(&app, &alice, "readers", event(Duration::days(2), json!({}))).await;
    // Beyond the next 30 days, and not an event at all: not listed.
    write_event(
        &app,
        &alice,
        "readers",
        event(Duration::days(40), json!({})),
    )
    .await;
    write_post(&app, &alice, "readers", "Just words").await;
    let (status, gone) = app
        .call(
            Method::DELETE,
            &format!(
                "/api/v1/posts/{}",
                write_event(&app, &alice, "readers", event(Duration::days(5), json!({}))).await
            ),
            alice.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");

    let (status, list) = app
        .get_json("/api/v1/communities/readers/events", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<i64> = list["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![sooner, later]);
    assert!(list["posts"][0]["event"]["starts_at"].is_string());
    let (status, _) = app
        .get_json("/api/v1/communities/nowhere/events", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}
