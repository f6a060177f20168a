//! Events that federate: our events go out as Mobilizon-shaped `Event`s (and as a `Page` that
//! says when and where to Lemmy), RSVPs arrive as Mobilizon's `Join`/`Leave` and Friendica's
//! `Accept`/`TentativeAccept`/`Reject`, and our members' answers to other servers' events go to
//! the event's home. Checked between two Hearth instances, against the independent Fedify peer,
//! with a Mobilizon-shaped fixture, and against a hostile server with real signatures.

use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, scalar, text,
};
use crate::fedify_peer::FedifyPeer;
use chrono::{DateTime, Duration, Utc};
use hearth_db::event::Answer;
use hearth_federation::outbox::FederatedOutbox;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::events::EventInput;
use hearth_service::posts::{NewPostForm, PostChanges};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::hostile::{Evil, PUBLIC};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

/// A service context of `app` that records activities as the server's does.
async fn context(app: &TestApp) -> ServiceContext {
    app.context()
        .await
        .with_outbox(Arc::new(FederatedOutbox::new(app.settings.clone())))
}

fn viewer(user: &TestUser) -> Viewer {
    Viewer {
        person_id: user.id,
        name: user.name.clone(),
        admin: false,
        token_id: 0,
        second_factor_missing: false,
        last_write_at: None,
    }
}

/// A whole second `days` from now (the database keeps microseconds, the test compares).
fn in_days(days: i64) -> DateTime<Utc> {
    let at = Utc::now() + Duration::days(days);
    DateTime::from_timestamp(at.timestamp(), 0).expect("a time")
}

/// An event two days ahead, two hours long, in Berlin at "Hall".
fn meetup(capacity: Option<i32>) -> EventInput {
    let start = in_days(2);
    EventInput {
        starts_at: start,
        ends_at: start + Duration::hours(2),
        timezone: "Europe/Berlin".to_owned(),
        online_url: None,
        place_name: Some("Hall".to_owned()),
        place_address: Some("Main street 1, Berlin".to_owned()),
        capacity,
        needs_approval: false,
    }
}

/// `user` writes an event in `community`; answers its id and ActivityPub id.
async fn write_event(
    app: &TestApp,
    user: &TestUser,
    community: &str,
    event: EventInput,
) -> (i64, String) {
    let form = NewPostForm {
        community: community.to_owned(),
        title: "Meet-up".to_owned(),
        url: None,
        body: Some("Bring a friend.".to_owned()),
        nsfw: false,
        language: None,
        images: Vec::new(),
        event: Some(event),
        poll: None,
    };
    let post = hearth_service::posts::create(&context(app).await, &viewer(user), form)
        .await
        .expect("the event is written");
    (post.id, post.ap_id)
}

/// `(answer, approved)` of the person `person_ap_id` for the event `event_ap_id`.
async fn answer_of(app: &TestApp, event_ap_id: &str, person_ap_id: &str) -> Option<(String, bool)> {
    let pool = app.db.pool().await;
    let row: Option<(String, bool)> = sqlx::query_as(
        "select r.answer, r.approved from event_rsvp r
         join post p on p.id = r.post_id join person who on who.id = r.person_id
         where p.ap_id = $1 and who.ap_id = $2",
    )
    .bind(event_ap_id)
    .bind(person_ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// How many answers an event has on `app`.
async fn answers(app: &TestApp, event_ap_id: &str) -> i64 {
    scalar(
        app,
        "select count(*) from event_rsvp r join post p on p.id = r.post_id where p.ap_id = $1",
        event_ap_id,
    )
    .await
    .unwrap_or(0)
}

/// The fields of an event as `app` stores it.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Stored {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    timezone: String,
    place_name: Option<String>,
    place_address: Option<String>,
    online_url: Option<String>,
    capacity: Option<i32>,
    needs_approval: bool,
    cancelled: bool,
}

async fn stored(app: &TestApp, event_ap_id: &str) -> Option<Stored> {
    let pool = app.db.pool().await;
    let row = sqlx::query_as::<_, Stored>(
        "select e.starts_at, e.ends_at, e.timezone, e.place_name, e.place_address, e.online_url,
                e.capacity, e.needs_approval, e.cancelled
         from post_event e join post p on p.id = e.post_id where p.ap_id = $1",
    )
    .bind(event_ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// How many notifications of `kind` the local person `name` has.
async fn notifications(app: &TestApp, name: &str, kind: &str) -> i64 {
    let pool = app.db.pool().await;
    let n: i64 = sqlx::query_scalar(
        "select count(*) from notification n join person p on p.id = n.recipient_id
         where p.local and p.name = $1 and n.kind = $2",
    )
    .bind(name)
    .bind(kind)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    n
}

/// The acceptance line: an event on A reaches B's member as an event; the member's "going"
/// through B is counted on A; A's organiser moves it and B's member hears of it; with capacity
/// 1 a second "going" is refused as full, on both sides.
#[tokio::test]
async fn federation_events_a_member_of_another_hearth_answers_our_event() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let dave = b.user("dave").await;
    create_community(&a, &alice, "meetups", json!({})).await;
    let meetups = format!("meetups@{}", host(&a));
    for user in [&bob, &dave] {
        join(&b, user, &meetups).await;
        eventually("joined", || async {
            membership(&b, user, &meetups).await == "joined"
        })
        .await;
    }
    let input = meetup(Some(1));
    let (post_on_a, event) = write_event(&a, &alice, "meetups", input.clone()).await;
    eventually("the event reaches B", || async {
        stored(&b, &event).await.is_some()
    })
    .await;
    let on_b = stored(&b, &event).await.expect("an event on B");
    assert_eq!(
        on_b,
        Stored {
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            timezone: "Europe/Berlin".to_owned(),
            place_name: Some("Hall".to_owned()),
            place_address: Some("Main street 1, Berlin".to_owned()),
            online_url: None,
            capacity: Some(1),
            needs_approval: false,
            cancelled: false,
        }
    );
    let post_on_b = post_id(&b, &event).await.expect("the post on B");

    // Bob goes, through B: A counts him, and answers his Join (B keeps him going).
    let ctx_b = context(&b).await;
    hearth_service::events::answer(&ctx_b, &viewer(&bob), post_on_b, Some(Answer::Going))
        .await
        .expect("bob answers");
    let bob_id = format!("http://{}/u/bob", host(&b));
    eventually("A counts bob as going", || async {
        answer_of(&a, &event, &bob_id).await == Some(("going".to_owned(), true))
    })
    .await;
    let join_id = text(
        &b,
        "select r.activity_ap_id from event_rsvp r join person p on p.id = r.person_id
         where p.name = $1 and p.local",
        "bob",
    )
    .await
    .expect("B keeps the id of bob's Join");
    assert_eq!(
        text(
            &a,
            "select activity_ap_id from event_rsvp where activity_ap_id = $1",
            &join_id
        )
        .await
        .as_deref(),
        Some(join_id.as_str()),
        "A keeps the Join's id with the answer"
    );
    let accept = text(
        &a,
        "select payload->>'id' from outbox_activity
         where kind = 'Accept' and payload->'object'->>'id' = $1",
        &join_id,
    )
    .await
    .expect("A answers bob's Join with an Accept");
    eventually("A's Accept{Join} reaches B", || async {
        scalar(
            &b,
            "select count(*) from received_activity where ap_id = $1",
            &accept,
        )
        .await
            == Some(1)
    })
    .await;
    assert_eq!(
        answer_of(&b, &event, &bob_id).await,
        Some(("going".to_owned(), true))
    );

    // Dave is second: the one place is taken, B says so at once and sends nothing.
    let full =
        hearth_service::events::answer(&ctx_b, &viewer(&dave), post_on_b, Some(Answer::Going))
            .await
            .expect_err("no place left");
    assert_eq!(full.kind.code(), "event_full");
    let dave_id = format!("http://{}/u/dave", host(&b));
    assert_eq!(answer_of(&b, &event, &dave_id).await, None);
    assert_eq!(answer_of(&a, &event, &dave_id).await, None);
    assert_eq!(answers(&a, &event).await, 1);

    // Alice moves it by an hour: bob hears of it on B.
    let mut moved = input.clone();
    moved.starts_at = input.starts_at + Duration::hours(1);
    moved.ends_at = input.ends_at + Duration::hours(1);
    hearth_service::posts::edit(
        &context(&a).await,
        &viewer(&alice),
        post_on_a,
        PostChanges {
            title: None,
            url: None,
            body: None,
            nsfw: None,
            language: None,
            images: None,
            event: Some(moved.clone()),
        },
    )
    .await
    .expect("alice moves the event");
    eventually("bob is told on B", || async {
        notifications(&b, "bob", "event_changed").await == 1
    })
    .await;
    let on_b = stored(&b, &event).await.expect("the event on B");
    assert_eq!(
        (on_b.starts_at, on_b.ends_at),
        (moved.starts_at, moved.ends_at)
    );
    assert_eq!(notifications(&b, "dave", "event_changed").await, 0);
    for app in [a, b] {
        app.stop().await;
    }
}

/// The acceptance line: the Fedify peer reads our event with Fedify's vocabulary (startTime,
/// location), receives it announced as an `Event`, and answers it Mobilizon's way (`Join`,
/// `Leave`) and Friendica's (`Accept`, `TentativeAccept`, `Reject`): every answer counts, one
/// row per person. A `Join` of a full event is answered with `Reject{Join}`.
#[tokio::test]
async fn federation_events_the_fedify_peer_reads_and_answers_our_event() {
    let peer = FedifyPeer::start().await;
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let carol = app.user("carol").await;
    create_community(&app, &alice, "meetups", json!({})).await;
    peer.joins(&app, "meetups").await;
    let peer_actor = peer.actor();
    let input = meetup(None);
    let (_, event) = write_event(&app, &alice, "meetups", input.clone()).await;
    let start = input.starts_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    eventually("the peer receives the event as an Event", || {
        peer.received(|a| {
            let object = &a["object"]["object"];
            a["type"] == "Announce"
                && a["object"]["type"] == "Create"
                && object["type"] == "Event"
                && object["id"] == event.as_str()
                && object["startTime"] == start.as_str()
                && object["location"]["name"] == "Hall"
        })
    })
    .await;
    let described: Value = peer
        .client
        .get(
            reqwest::Url::parse_with_params(
                &format!("{}/object", peer.control),
                &[("id", event.as_str())],
            )
            .expect("a URL"),
        )
        .send()
        .await
        .expect("the peer's control API answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(described["type"], "Event", "{described}");
    assert_eq!(described["startTime"], start.as_str(), "{described}");
    assert_eq!(described["location"]["name"], "Hall", "{described}");
    assert_eq!(described["name"], "Meet-up");

    let steps = [
        ("Join", Some(("going", true))),
        ("TentativeAccept", Some(("interested", true))),
        ("Accept", Some(("going", true))),
        ("Reject", Some(("not_going", true))),
        ("Join", Some(("going", true))),
        ("Leave", None),
    ];
    for (kind, expected) in steps {
        let sent = peer
            .command("rsvp", json!({ "event": event, "type": kind }))
            .await;
        let id = sent["id"].as_str().expect("the RSVP's id").to_owned();
        eventually(&format!("Hearth applies the peer's {kind}"), || async {
            scalar(
                &app,
                "select count(*) from received_activity where ap_id = $1",
                &id,
            )
            .await
                == Some(1)
        })
        .await;
        assert_eq!(
            answer_of(&app, &event, &peer_actor).await,
            expected.map(|(a, ok)| (a.to_owned(), ok)),
            "after {kind}"
        );
        assert!(answers(&app, &event).await <= 1, "one row per person");
    }
    eventually("the peer's Join is accepted", || {
        peer.received(|a| a["type"] == "Accept" && a["objectType"] == "Join")
    })
    .await;

    // A full event: carol takes the one place, the peer's Join is refused.
    let (full_post, full) = write_event(&app, &alice, "meetups", meetup(Some(1))).await;
    hearth_service::events::answer(
        &context(&app).await,
        &viewer(&carol),
        full_post,
        Some(Answer::Going),
    )
    .await
    .expect("carol goes");
    peer.command("rsvp", json!({ "event": full, "type": "Join" }))
        .await;
    eventually("the peer's Join of a full event is refused", || {
        peer.received(|a| a["type"] == "Reject" && a["objectType"] == "Join")
    })
    .await;
    assert_eq!(answer_of(&app, &full, &peer_actor).await, None);
    assert_eq!(answers(&app, &full).await, 1);
    let inbox = peer.inbox().await;
    assert_eq!(inbox["unverified"], json!([]), "{inbox}");
    app.stop().await;
}

/// The Mobilizon fixture's `Event` by Evil's `org`, in `community` on `app`, starting in
/// `days`.
fn mobilizon_event(evil: &Evil, app: &TestApp, community: &str, days: i64) -> Value {
    let path = format!(
        "{}/fixtures/mobilizon/event.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("the fixture");
    let text = text
        .replace(
            "https://mobilizon.example/@devon_caledonian_society",
            &evil.url("/u/org"),
        )
        .replace("https://mobilizon.example/@emorrp1", &evil.url("/u/org"))
        .replace("https://mobilizon.example", &evil.url(""));
    let mut event: Value = serde_json::from_str(&text).expect("JSON");
    let group = format!("http://{}/c/{community}", host(app));
    event["to"] = json!([PUBLIC, group]);
    event["audience"] = json!(group);
    let start = in_days(days);
    event["startTime"] = json!(start.to_rfc3339());
    event["endTime"] = json!((start + Duration::hours(2)).to_rfc3339());
    event
}

/// An activity of `kind` from `actor` on a test server, addressed to the public.
pub(crate) fn activity(evil: &Evil, kind: &str, actor: &str, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id(kind),
        "type": kind,
        "actor": actor,
        "to": [PUBLIC],
        "object": object,
    })
}

/// A Mobilizon-shaped `Event` arriving in our community is stored as an event with its place
/// and zone, reaches a Lemmy member as a `Page` that says when and where, takes our member's
/// `Join` to its home, and tells the member when it moves and when it is cancelled; the
/// organiser's `Reject{Join}` takes the answer back.
#[tokio::test]
async fn federation_events_a_mobilizon_event_lands_and_our_answers_go_home() {
    let app = TestApp::spawn(&[]).await;
    let mobilizon = Evil::start().await;
    mobilizon.set_software("mobilizon");
    let org = mobilizon.person("org").await;
    let lemmy = Evil::start().await;
    let larry = lemmy.person("larry").await;
    let mastodon = Evil::start().await;
    mastodon.set_software("mastodon");
    let mona = mastodon.person("mona").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &alice, "dance", json!({})).await;
    let group = format!("http://{}/c/dance", host(&app));
    let follow = activity(&lemmy, "Follow", &larry, json!(group));
    let (status, body) = lemmy.send(&app, "/u/larry", follow).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let follow = activity(&mastodon, "Follow", &mona, json!(group));
    let (status, body) = mastodon.send(&app, "/u/mona", follow).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let object = mobilizon_event(&mobilizon, &app, "dance", 3);
    let id = object["id"].as_str().expect("an id").to_owned();
    let create = activity(&mobilizon, "Create", &org, object.clone());
    let (status, body) = mobilizon.send(&app, "/u/org", create).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let kept = stored(&app, &id).await.expect("stored as an event");
    assert_eq!(kept.timezone, "Europe/London");
    assert_eq!(kept.place_name.as_deref(), Some("The Kenn Centre"));
    assert_eq!(
        kept.place_address.as_deref(),
        Some("Devon Expressway, EX6 7TW Teignbridge, England, United Kingdom")
    );
    assert_eq!(kept.capacity, None, "Mobilizon's 0 is no limit");
    assert_eq!(kept.ends_at - kept.starts_at, Duration::hours(2));
    assert!(!kept.needs_approval && !kept.cancelled);

    // Larry's Lemmy gets it as a Page that says when and where.
    eventually("the Lemmy member receives the event", || async {
        !lemmy.delivered_of("Announce").is_empty()
    })
    .await;
    let announced = lemmy.delivered_of("Announce");
    let page = &announced[0]["object"]["object"];
    assert_eq!(page["type"], "Page", "{page}");
    assert_eq!(page["id"], id.as_str());
    let content = page["content"].as_str().expect("content");
    assert!(
        content.starts_with("<p><strong>When:</strong> ")
            && content.contains("(Europe/London)")
            && content.contains("<strong>Where:</strong> The Kenn Centre, Devon Expressway"),
        "{content}"
    );
    assert!(page.get("startTime").is_none(), "{page}");
    assert_eq!(announced.len(), 1, "one Announce for Lemmy: the Page");
    // Mona's Mastodon gets the boost of the Event itself (Mastodon shows events).
    eventually("the Mastodon member receives the boost", || async {
        !mastodon.delivered_of("Announce").is_empty()
    })
    .await;
    let boosted = mastodon.delivered_of("Announce");
    assert_eq!(boosted.len(), 1, "{boosted:?}");
    assert_eq!(boosted[0]["object"]["type"], "Event");
    assert_eq!(boosted[0]["object"]["id"], id.as_str());

    // Bob goes: a Join goes to the organiser on its home server.
    let post = post_id(&app, &id).await.expect("the post");
    let ctx = context(&app).await;
    hearth_service::events::answer(&ctx, &viewer(&bob), post, Some(Answer::Going))
        .await
        .expect("bob goes");
    eventually("the organiser receives bob's Join", || async {
        !mobilizon.delivered_of("Join").is_empty()
    })
    .await;
    let join_sent = mobilizon.delivered_of("Join").remove(0);
    let bob_id = format!("http://{}/u/bob", host(&app));
    assert_eq!(join_sent["actor"], bob_id.as_str());
    assert_eq!(join_sent["object"], id.as_str());

    // The organiser moves it, then cancels it (twice): bob hears once of each.
    let mut moved = object.clone();
    let new_start = in_days(4);
    moved["startTime"] = json!(new_start.to_rfc3339());
    moved["endTime"] = json!((new_start + Duration::hours(3)).to_rfc3339());
    moved["updated"] = json!(Utc::now().to_rfc3339());
    let (status, body) = mobilizon
        .send(
            &app,
            "/u/org",
            activity(&mobilizon, "Update", &org, moved.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(notifications(&app, "bob", "event_changed").await, 1);
    assert_eq!(
        stored(&app, &id).await.map(|e| e.starts_at),
        Some(new_start)
    );
    let mut cancelled = moved.clone();
    cancelled["ical:status"] = json!("CANCELLED");
    for _ in 0..2 {
        cancelled["updated"] = json!(Utc::now().to_rfc3339());
        let update = activity(&mobilizon, "Update", &org, cancelled.clone());
        let (status, body) = mobilizon.send(&app, "/u/org", update).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    assert!(stored(&app, &id).await.is_some_and(|e| e.cancelled));
    assert_eq!(notifications(&app, "bob", "event_cancelled").await, 1);
    assert_eq!(notifications(&app, "bob", "event_changed").await, 1);

    // Another server cannot decide who goes to the organiser's event: larry's Lemmy rejecting
    // bob's Join is refused and bob's answer stays.
    let forged = activity(&lemmy, "Reject", &larry, join_sent.clone());
    let forged_id = forged["id"].as_str().unwrap().to_owned();
    let (status, body) = lemmy.send(&app, "/u/larry", forged).await;
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        app.refusal_code(&forged_id).await.as_deref(),
        Some("not_organiser")
    );
    assert!(
        answer_of(&app, &id, &bob_id).await.is_some(),
        "bob's answer stays"
    );

    // The organiser refuses bob's Join: his answer is taken back.
    let reject = activity(&mobilizon, "Reject", &org, join_sent.clone());
    let (status, body) = mobilizon.send(&app, "/u/org", reject).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(answer_of(&app, &id, &bob_id).await, None);
    app.stop().await;
}

/// Hostile answers and events change nothing but what they may: an RSVP signed by one actor
/// naming another, an RSVP to an event that does not exist, a `Join` of another server's event
/// sent to us; a replayed `Join` counts once; an `Event` with an absurd capacity and length is
/// bounded, one with an impossible start is a plain post.
#[tokio::test]
async fn federation_events_hostile_answers_and_events_are_refused_or_bounded() {
    let app = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let eve = evil.person("eve").await;
    let org = evil.person("org").await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "meetups", json!({})).await;
    let (_, event) = write_event(&app, &alice, "meetups", meetup(Some(5))).await;

    // Signed by mallory, in eve's name.
    let forged = activity(&evil, "Join", &eve, json!(event));
    let (status, body) = evil.send(&app, "/u/mallory", forged).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_signature")),
        "{body}"
    );
    assert_eq!(answers(&app, &event).await, 0);

    // An event that does not exist.
    let nowhere = format!("http://{}/post/999999", host(&app));
    let (status, body) = evil
        .send(
            &app,
            "/u/mallory",
            activity(&evil, "Join", &mallory, json!(nowhere)),
        )
        .await;
    assert!(status.is_success(), "ignored: {status} {body}");
    let (status, body) = evil
        .send(
            &app,
            "/u/mallory",
            activity(&evil, "TentativeAccept", &mallory, json!(nowhere)),
        )
        .await;
    assert!(status.is_success(), "ignored: {status} {body}");
    assert_eq!(
        scalar(&app, "select count(*) from event_rsvp where $1 = $1", "").await,
        Some(0)
    );

    // A real Join counts once, replayed or repeated under a new id.
    let join_activity = activity(&evil, "Join", &mallory, json!(event));
    for _ in 0..2 {
        let (status, body) = evil.send(&app, "/u/mallory", join_activity.clone()).await;
        assert!(status.is_success(), "{status} {body}");
    }
    let mut again = join_activity.clone();
    again["id"] = json!(evil.activity_id("Join"));
    let (status, body) = evil.send(&app, "/u/mallory", again).await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        answer_of(&app, &event, &mallory).await,
        Some(("going".to_owned(), true))
    );
    assert_eq!(answers(&app, &event).await, 1);
    eventually("mallory's Join is accepted", || async {
        !evil.delivered_of("Accept").is_empty()
    })
    .await;
    let accept = evil.delivered_of("Accept").remove(0);
    assert_eq!(accept["object"]["id"], join_activity["id"]);
    assert_eq!(accept["object"]["type"], "Join");
    assert_eq!(
        accept["actor"],
        format!("http://{}/u/alice", host(&app)).as_str()
    );

    // An event that needs approval: mallory's Join waits, alice approves, the Accept names it.
    let mut restricted = meetup(None);
    restricted.needs_approval = true;
    let (restricted_post, restricted_event) =
        write_event(&app, &alice, "meetups", restricted).await;
    let asked = activity(&evil, "Join", &mallory, json!(restricted_event));
    let (status, body) = evil.send(&app, "/u/mallory", asked.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        answer_of(&app, &restricted_event, &mallory).await,
        Some(("going".to_owned(), false)),
        "waiting for the organiser"
    );
    let mallory_here = scalar(&app, "select id from person where ap_id = $1", &mallory)
        .await
        .expect("mallory is known");
    hearth_service::events::approve(
        &context(&app).await,
        &viewer(&alice),
        restricted_post,
        mallory_here,
    )
    .await
    .expect("alice approves");
    assert_eq!(
        answer_of(&app, &restricted_event, &mallory).await,
        Some(("going".to_owned(), true))
    );
    eventually("the approval reaches mallory", || async {
        evil.delivered_of("Accept")
            .iter()
            .any(|a| a["object"]["id"] == asked["id"])
    })
    .await;

    // An Event with an absurd capacity and length: bounded.
    let mut huge = mobilizon_event(&evil, &app, "meetups", 2);
    huge["id"] = json!(evil.url("/events/huge"));
    huge["maximumAttendeeCapacity"] = json!(1_000_000_000_000_i64);
    huge["participantCount"] = json!(-7);
    huge["endTime"] = json!((in_days(2) + Duration::days(4_000)).to_rfc3339());
    huge["timezone"] = json!("Nowhere/Atlantis");
    let (status, body) = evil
        .send(
            &app,
            "/u/org",
            activity(&evil, "Create", &org, huge.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let kept = stored(&app, huge["id"].as_str().unwrap())
        .await
        .expect("an event");
    assert_eq!(kept.capacity, Some(1_000_000));
    assert_eq!(kept.ends_at - kept.starts_at, Duration::days(31));
    assert_eq!(kept.timezone, "UTC");

    // A Join of that event (another server's) sent to us: not ours to count.
    let elsewhere = activity(&evil, "Join", &mallory, huge["id"].clone());
    let (status, body) = evil.send(&app, "/u/mallory", elsewhere).await;
    assert!(status.is_success(), "ignored: {status} {body}");
    assert_eq!(answers(&app, huge["id"].as_str().unwrap()).await, 0);

    // An impossible start: a plain post.
    let mut never = mobilizon_event(&evil, &app, "meetups", 2);
    never["id"] = json!(evil.url("/events/never"));
    never["startTime"] = json!("+99999-01-01T00:00:00Z");
    let (status, body) = evil
        .send(
            &app,
            "/u/org",
            activity(&evil, "Create", &org, never.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let never_id = never["id"].as_str().unwrap();
    assert!(post_id(&app, never_id).await.is_some(), "kept as a post");
    assert!(stored(&app, never_id).await.is_none(), "not an event");
    app.stop().await;
}
