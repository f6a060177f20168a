//! Polls that federate: our polls go out as Mastodon-shaped `Question`s and take votes as
//! Mastodon sends them (`Create{Note{name, inReplyTo}}`, counted, never comments), new counts go
//! out as `Update{Question}`; other servers' `Question`s arrive as polls our members vote in, the
//! vote going to the poll's home as a `Note` with `name`. Checked against the independent Fedify
//! peer, a Mastodon-shaped fixture sent by a hostile server with real signatures, hostile votes
//! and Questions, and two Hearth instances.

use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, scalar,
};
use crate::fedify_peer::FedifyPeer;
use chrono::{Duration, Utc};
use hearth_federation::outbox::FederatedOutbox;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::polls::PollInput;
use hearth_service::posts::NewPostForm;
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

/// `user` writes a single-choice poll in `community` (open a day); answers its id and ActivityPub
/// id.
async fn write_poll(
    app: &TestApp,
    user: &TestUser,
    community: &str,
    options: &[&str],
) -> (i64, String) {
    write_poll_of(app, user, community, options, false).await
}

/// The same, single or multiple choice.
async fn write_poll_of(
    app: &TestApp,
    user: &TestUser,
    community: &str,
    options: &[&str],
    multiple: bool,
) -> (i64, String) {
    let ctx = context(app).await;
    let form = NewPostForm {
        community: community.to_owned(),
        title: "Tea or coffee?".to_owned(),
        url: None,
        body: Some("For the meeting.".to_owned()),
        nsfw: false,
        language: None,
        images: Vec::new(),
        event: None,
        poll: Some(PollInput {
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            multiple,
            ends_at: Utc::now() + Duration::days(1),
            results_after_end: false,
        }),
    };
    let post = hearth_service::posts::create(&ctx, &viewer(user), form)
        .await
        .expect("the poll is written");
    (post.id, post.ap_id)
}

/// The votes of each option of a post's poll, in order, and its voters, as its author sees them.
async fn counts(app: &TestApp, viewer: &Viewer, post_id: i64) -> (Vec<i64>, i64) {
    let view = hearth_service::polls::get(&context(app).await, Some(viewer), post_id)
        .await
        .expect("the post has a poll");
    (
        view.poll.options.iter().map(|o| o.votes).collect(),
        view.poll.voters,
    )
}

async fn vote_rows(app: &TestApp, post_id: i64) -> i64 {
    scalar(
        app,
        "select count(*) from poll_vote where post_id = $1::text::bigint",
        &post_id.to_string(),
    )
    .await
    .unwrap_or(0)
}

async fn comments_on(app: &TestApp, post_id: i64) -> i64 {
    scalar(
        app,
        "select count(*) from comment where post_id = $1::text::bigint",
        &post_id.to_string(),
    )
    .await
    .unwrap_or(0)
}

/// Whether a described activity (the peer's) is an `Update` of `question` (maybe inside an
/// Announce) whose options have `expected` votes.
fn is_update_with(activity: &Value, question: &str, expected: &[(&str, i64)], voters: i64) -> bool {
    let update = if activity["type"] == "Announce" {
        &activity["object"]
    } else {
        activity
    };
    let object = &update["object"];
    update["type"] == "Update"
        && object["type"] == "Question"
        && object["id"] == question
        && object["voters"] == voters
        && object["options"].as_array().is_some_and(|options| {
            options.len() == expected.len()
                && options
                    .iter()
                    .zip(expected)
                    .all(|(o, (name, count))| o["name"] == *name && o["count"] == *count)
        })
}

/// The acceptance line: the Fedify peer votes in a Hearth poll as Mastodon does; the vote is
/// counted and no comment appears; a second vote in the single-choice poll is refused; the peer
/// receives `Update{Question}` with the new count and reads our Question with Fedify.
#[tokio::test]
async fn federation_polls_fedify_peer_votes_and_hears_the_new_count() {
    let peer = FedifyPeer::start().await;
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "cats", json!({})).await;
    peer.joins(&app, "cats").await;

    let (post, question) = write_poll(&app, &alice, "cats", &["Tea", "Coffee"]).await;
    eventually("the peer receives the poll as a Question", || {
        peer.received(|a| {
            let object = &a["object"]["object"];
            a["type"] == "Announce"
                && object["type"] == "Question"
                && object["id"] == question.as_str()
                && object["options"]
                    == json!([{"name": "Tea", "count": 0},
                                               {"name": "Coffee", "count": 0}])
        })
    })
    .await;

    // Fedify reads the Question at its id (before any vote: Fedify caches what it fetched).
    let mut lookup = url::Url::parse(&format!("{}/object", peer.control)).expect("a URL");
    lookup.query_pairs_mut().append_pair("id", &question);
    let described: Value = peer
        .client
        .get(lookup)
        .send()
        .await
        .expect("the peer's control API answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(described["type"], "Question", "{described}");
    assert_eq!(
        described["options"],
        json!([{"name": "Tea", "count": 0}, {"name": "Coffee", "count": 0}]),
        "{described}"
    );
    assert_eq!(described["multiple"], false);
    assert_eq!(described["voters"], 0);
    let voted = peer
        .command("vote", json!({ "question": question, "choices": ["Tea"] }))
        .await;
    let note = voted["ids"][0]
        .as_str()
        .expect("the vote's Note")
        .to_owned();
    eventually("Hearth counts the peer's vote", || async {
        scalar(
            &app,
            "select count(*) from poll_vote where ap_id = $1",
            &note,
        )
        .await
            == Some(1)
    })
    .await;
    let alices = viewer(&alice);
    assert_eq!(counts(&app, &alices, post).await, (vec![1, 0], 1));
    assert_eq!(comments_on(&app, post).await, 0, "a vote is not a comment");

    // A second choice in the single-choice poll: refused, the count stays.
    let again = peer
        .client
        .post(format!("{}/vote", peer.control))
        .json(&json!({ "question": question, "choices": ["Coffee"] }))
        .send()
        .await
        .expect("the peer's control API answers");
    // The inbox acknowledges it (202) and refuses it when applying: recorded for admins.
    assert!(again.status().is_success(), "{}", again.status());
    app.wait_for_inbox().await;
    let pool = app.db.pool().await;
    let refused: i64 = sqlx::query_scalar(
        "select count(*) from inbox_queue where state = 'refused' and code = 'already_voted'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(refused, 1, "the second vote is recorded as refused");
    assert_eq!(vote_rows(&app, post).await, 1, "one vote only");
    assert_eq!(counts(&app, &alices, post).await, (vec![1, 0], 1));
    assert_eq!(comments_on(&app, post).await, 0);

    // The new count goes out (the maintenance loop does this within ten seconds; the test
    // forces it rather than wait).
    let _ = hearth_service::polls::send_changed_counts(&context(&app).await).await;
    eventually(
        "the peer receives Update{Question} with the new count",
        || peer.received(|a| is_update_with(a, &question, &[("Tea", 1), ("Coffee", 0)], 1)),
    )
    .await;

    // Our own JSON at the Question's id carries the new count too (Fedify caches what it
    // fetched, so it is read here directly).
    let served = hearth_tests::app::activity_json(&question).await;
    assert_eq!(served["type"], "Question", "{served}");
    assert_eq!(served["oneOf"][0]["replies"]["totalItems"], 1, "{served}");
    assert_eq!(served["votersCount"], 1, "{served}");
    let inbox = peer.inbox().await;
    assert_eq!(inbox["unverified"], json!([]), "{inbox}");
    app.stop().await;
}

/// The Mastodon fixture's `Question`, moved onto Evil (`sam`) and into `community` on `app`,
/// open for a day.
fn mastodon_question(evil: &Evil, app: &TestApp, community: &str) -> Value {
    let path = format!(
        "{}/fixtures/mastodon/question.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("the fixture");
    let text = text
        .replace("https://mastodon.example/users/sam", &evil.url("/u/sam"))
        .replace("https://mastodon.example", &evil.url(""))
        .replace(
            "https://hearth.example/c/garden",
            &format!("http://{}/c/{community}", host(app)),
        )
        .replace(
            "@garden@hearth.example",
            &format!("@{community}@{}", host(app)),
        );
    let mut question: Value = serde_json::from_str(&text).expect("JSON");
    question["endTime"] = json!((Utc::now() + Duration::days(1)).to_rfc3339());
    question
}

fn create_of(evil: &Evil, object: &Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id("Create"),
        "type": "Create",
        "actor": object["attributedTo"],
        "to": object["to"],
        "cc": object["cc"],
        "object": object,
    })
}

/// The acceptance line: a Mastodon-shaped `Question` arriving in a community is shown as a poll
/// with its options and counts; a local member votes and the vote goes to its origin as a
/// `Create{Note}` with `name`; voting again is refused. An `Update{Question}` with new counts
/// only (no newer `updated`, as Mastodon sends them) refreshes them. A member on Lemmy, which
/// reads no `Question`, gets the poll as a `Page` that lists the options and where to vote.
#[tokio::test]
async fn federation_polls_a_mastodon_question_is_a_poll_our_members_vote_in() {
    let app = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    evil.set_software("mastodon");
    let sam = evil.person("sam").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &alice, "garden", json!({})).await;
    let lemmy = Evil::start().await;
    lemmy.set_software("lemmy");
    let larry = lemmy.person("larry").await;
    let group = format!("http://{}/c/garden", host(&app));
    let follow = crate::federation_events::activity(&lemmy, "Follow", &larry, json!(group));
    let (status, body) = lemmy.send(&app, "/u/larry", follow).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let question = mastodon_question(&evil, &app, "garden");
    let id = question["id"].as_str().expect("an id").to_owned();
    let (status, body) = evil.send(&app, "/u/sam", create_of(&evil, &question)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let post = post_id(&app, &id).await.expect("the Question is a post");
    let bobs = viewer(&bob);
    let view = hearth_service::polls::get(&context(&app).await, Some(&bobs), post)
        .await
        .expect("shown as a poll");
    let names: Vec<&str> = view.poll.options.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Runner beans", "Broad beans"]);
    assert!(view.poll.remote && !view.poll.multiple);
    assert_eq!(counts(&app, &bobs, post).await, (vec![3, 2], 5));
    let title = scalar(
        &app,
        "select count(*) from post where ap_id = $1 and title = 'Which beans next spring?'",
        &id,
    )
    .await;
    assert_eq!(title, Some(1), "Mastodon's first line is the title");

    // Larry's Lemmy gets the poll as a Page: its options, and where to vote.
    eventually("the Lemmy member receives the poll", || async {
        !lemmy.delivered_of("Announce").is_empty()
    })
    .await;
    let announced = lemmy.delivered_of("Announce");
    assert_eq!(announced.len(), 1, "one Announce for Lemmy: the Page");
    let page = &announced[0]["object"]["object"];
    assert_eq!(page["type"], "Page", "{page}");
    assert_eq!(page["id"], id.as_str());
    assert!(page.get("oneOf").is_none(), "{page}");
    let content = page["content"].as_str().expect("content");
    assert!(
        content.contains("<li>Runner beans</li>")
            && content.contains("<li>Broad beans</li>")
            && content.contains("Vote on the web"),
        "{content}"
    );

    // Bob votes: counted at once here, and sent to sam as Mastodon takes votes.
    let ctx = context(&app).await;
    hearth_service::polls::vote(&ctx, &bobs, post, &[1])
        .await
        .expect("bob votes");
    assert_eq!(counts(&app, &bobs, post).await, (vec![3, 3], 6));
    let bob_id = format!("http://{}/u/bob", host(&app));
    eventually("sam's server receives bob's vote", || async {
        !evil.delivered_of("Create").is_empty()
    })
    .await;
    let sent = evil.delivered();
    let create = sent
        .iter()
        .find(|d| d.activity["type"] == "Create")
        .expect("a Create");
    assert_eq!(create.inbox, "/u/sam/inbox", "to the poll's author only");
    let note = &create.activity["object"];
    assert_eq!(create.activity["actor"], bob_id.as_str());
    assert_eq!(create.activity["to"], json!([sam]));
    assert!(create.activity.get("cc").is_none(), "{}", create.activity);
    assert_eq!(note["type"], "Note");
    assert_eq!(note["name"], "Broad beans");
    assert_eq!(note["inReplyTo"], id.as_str());
    assert_eq!(note["attributedTo"], bob_id.as_str());
    assert_eq!(note["to"], json!([sam]));
    assert!(note.get("content").is_none(), "a vote has no words: {note}");
    let kept = scalar(
        &app,
        "select count(*) from poll_vote where ap_id = $1",
        note["id"].as_str().expect("the Note's id"),
    )
    .await;
    assert_eq!(kept, Some(1), "the Note's id is kept with the vote");

    let again = hearth_service::polls::vote(&ctx, &bobs, post, &[0])
        .await
        .expect_err("one vote in another server's poll");
    assert_eq!(again.kind.code(), "already_voted");
    assert_eq!(counts(&app, &bobs, post).await, (vec![3, 3], 6));

    // Mastodon's count update: the same Question, new counts, no `updated`.
    let mut counted = question.clone();
    counted["oneOf"][0]["replies"]["totalItems"] = json!(10);
    counted["oneOf"][1]["replies"]["totalItems"] = json!(4);
    counted["votersCount"] = json!(14);
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id("Update"),
        "type": "Update",
        "actor": sam,
        "to": [PUBLIC],
        "object": counted,
    });
    let (status, body) = evil.send(&app, "/u/sam", update).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(counts(&app, &bobs, post).await, (vec![10, 4], 14));
    app.stop().await;
}

/// A vote Note from Evil: `name` the option, in reply to `question`, attributed to `author`.
fn vote_of(evil: &Evil, actor: &str, author: &str, question: &str, name: &str) -> Value {
    let note = evil.url(&format!("/votes/{}", uuid::Uuid::new_v4()));
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id("Create"),
        "type": "Create",
        "actor": actor,
        "to": [],
        "object": {
            "type": "Note",
            "id": note,
            "attributedTo": author,
            "name": name,
            "inReplyTo": question,
        },
    })
}

/// Hostile votes and Questions change nothing but what they may: a vote attributed to someone
/// other than its signer, a vote in another server's poll sent to us, a vote for no option, a
/// vote after the end; a replayed vote counts once; a Question with 500 options and forged
/// counts is bounded.
#[tokio::test]
async fn federation_polls_hostile_votes_and_questions_are_refused_or_bounded() {
    let app = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let eve = evil.person("eve").await;
    evil.person("sam").await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "cats", json!({})).await;
    create_community(&app, &alice, "garden", json!({})).await;
    let (post, question) = write_poll(&app, &alice, "cats", &["Tea", "Coffee"]).await;
    let alices = viewer(&alice);
    let alice_inbox = "/u/alice/inbox";

    // Signed by mallory, attributed to eve.
    // (Refusals found when applying are acknowledged and recorded for admins.)
    let forged = vote_of(&evil, &mallory, &eve, &question, "Tea");
    let forged_id = forged["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send_to(&app, alice_inbox, "/u/mallory", forged).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        app.refusal_code(&forged_id).await.as_deref(),
        Some("not_author")
    );
    // No such option.
    let nonsense = vote_of(&evil, &mallory, &mallory, &question, "Milk");
    let nonsense_id = nonsense["id"].as_str().unwrap().to_owned();
    let (status, body) = evil
        .send_to(&app, alice_inbox, "/u/mallory", nonsense)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let refusal = app.inbox_refusal(&nonsense_id).await.expect("refused");
    assert_eq!(refusal.code.as_deref(), Some("invalid_field"));
    assert!(refusal.message.unwrap_or_default().starts_with("choices"));
    assert_eq!(vote_rows(&app, post).await, 0);

    // A real vote counts; the same Note again under a new Create counts once.
    let vote = vote_of(&evil, &mallory, &mallory, &question, "Tea");
    let (status, body) = evil
        .send_to(&app, alice_inbox, "/u/mallory", vote.clone())
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut replay = vote.clone();
    replay["id"] = json!(evil.activity_id("Create"));
    let (status, body) = evil.send(&app, "/u/mallory", replay).await;
    assert!(status.is_success(), "a repeat is no error: {status} {body}");
    assert_eq!(counts(&app, &alices, post).await, (vec![1, 0], 1));
    assert_eq!(comments_on(&app, post).await, 0);

    // Another choice in the single-choice poll: refused.
    let second = vote_of(&evil, &mallory, &mallory, &question, "Coffee");
    let second_id = second["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&app, "/u/mallory", second).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        app.refusal_code(&second_id).await.as_deref(),
        Some("already_voted")
    );

    // In a multiple-choice poll one person's Notes for two options count as one voter.
    let (several, several_id) =
        write_poll_of(&app, &alice, "cats", &["Mon", "Tue", "Wed"], true).await;
    for day in ["Mon", "Wed"] {
        let vote = vote_of(&evil, &mallory, &mallory, &several_id, day);
        let (status, body) = evil.send(&app, "/u/mallory", vote).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    assert_eq!(counts(&app, &alices, several).await, (vec![1, 0, 1], 1));
    let told = scalar(
        &app,
        "select count(*) from notification where recipient_id = $1::text::bigint",
        &alice.id.to_string(),
    )
    .await;
    assert_eq!(told, Some(0), "votes notify no one");

    // After the end: refused.
    let pool = app.db.pool().await;
    sqlx::query("update post_poll set ends_at = now() - interval '1 minute' where post_id = $1")
        .bind(post)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let late = vote_of(&evil, &eve, &eve, &question, "Coffee");
    let late_id = late["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&app, "/u/eve", late).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        app.refusal_code(&late_id).await.as_deref(),
        Some("poll_closed")
    );
    assert_eq!(counts(&app, &alices, post).await, (vec![1, 0], 1));

    // A Question with 500 options and forged counts: kept bounded.
    let mut huge = mastodon_question(&evil, &app, "garden");
    let options: Vec<Value> = (0..500)
        .map(|i| {
            let votes = match i {
                0 => json!(-5),
                1 => json!(1_000_000_000_000_i64),
                _ => json!(1),
            };
            json!({"type": "Note", "name": format!("Bean {i}"),
                   "replies": {"type": "Collection", "totalItems": votes}})
        })
        .collect();
    huge["oneOf"] = json!(options);
    huge["votersCount"] = json!(-3);
    let huge_id = huge["id"].as_str().unwrap().to_owned();
    let posts_before = scalar(&app, "select count(*) from post where $1 = $1", "").await;
    let (status, body) = evil.send(&app, "/u/sam", create_of(&evil, &huge)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let remote = post_id(&app, &huge_id).await.expect("stored as a post");
    let (votes, voters) = counts(&app, &alices, remote).await;
    assert_eq!(votes.len(), 20, "at most twenty options");
    assert_eq!(votes[0], 0, "a negative count is 0");
    assert_eq!(votes[1], 10_000_000, "a huge count is capped");
    assert_eq!(voters, 0);
    assert_eq!(
        scalar(&app, "select count(*) from post where $1 = $1", "").await,
        posts_before.map(|n| n + 1),
        "one post, nothing else"
    );

    // A vote in that poll, another server's, sent to our inbox: not ours to count.
    let elsewhere = vote_of(&evil, &mallory, &mallory, &huge_id, "Bean 2");
    let elsewhere_id = elsewhere["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&app, "/u/mallory", elsewhere).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        app.refusal_code(&elsewhere_id).await.as_deref(),
        Some("not_our_poll")
    );
    assert_eq!(vote_rows(&app, remote).await, 0);
    assert_eq!(comments_on(&app, remote).await, 0);
    app.stop().await;
}

/// Two Hearth instances: a poll on A reaches B's member as a poll; the member votes through B,
/// A counts it, the member cannot vote again, and A's new counts reach B.
#[tokio::test]
async fn federation_polls_a_member_of_another_hearth_votes_in_our_poll() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "cats", json!({})).await;
    let cats = format!("cats@{}", host(&a));
    join(&b, &bob, &cats).await;
    eventually("bob joined", || async {
        membership(&b, &bob, &cats).await == "joined"
    })
    .await;
    let (post_on_a, question) = write_poll(&a, &alice, "cats", &["Tea", "Coffee"]).await;
    eventually("the poll reaches B", || async {
        scalar(
            &b,
            "select count(*) from post_poll l join post p on p.id = l.post_id where p.ap_id = $1",
            &question,
        )
        .await
            == Some(1)
    })
    .await;
    let post_on_b = post_id(&b, &question).await.unwrap();
    let bobs = viewer(&bob);
    let ctx_b = context(&b).await;
    let view = hearth_service::polls::get(&ctx_b, Some(&bobs), post_on_b)
        .await
        .expect("a poll on B");
    assert!(view.poll.remote);
    assert_eq!(
        view.poll
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["Tea", "Coffee"]
    );

    hearth_service::polls::vote(&ctx_b, &bobs, post_on_b, &[0])
        .await
        .expect("bob votes through B");
    let bob_id = format!("http://{}/u/bob", host(&b));
    eventually("A counts bob's vote", || async {
        scalar(
            &a,
            "select count(*) from poll_vote v join person p on p.id = v.person_id
             where p.ap_id = $1",
            &bob_id,
        )
        .await
            == Some(1)
    })
    .await;
    let alices = viewer(&alice);
    assert_eq!(counts(&a, &alices, post_on_a).await, (vec![1, 0], 1));
    assert_eq!(comments_on(&a, post_on_a).await, 0);
    let again = hearth_service::polls::vote(&ctx_b, &bobs, post_on_b, &[1])
        .await
        .expect_err("bob voted already");
    assert_eq!(again.kind.code(), "already_voted");

    // Carol votes on A; A's counts reach B.
    hearth_service::polls::vote(&context(&a).await, &viewer(&carol), post_on_a, &[1])
        .await
        .expect("carol votes");
    assert_eq!(counts(&a, &alices, post_on_a).await, (vec![1, 1], 2));
    // The maintenance loop may have sent bob's count already, and then holds the next one for
    // a minute: the test forgets that send so that the forced one goes now.
    let pool = a.db.pool().await;
    sqlx::query("update post_poll set counts_sent_at = null where post_id = $1")
        .bind(post_on_a)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let _ = hearth_service::polls::send_changed_counts(&context(&a).await).await;
    eventually("B shows A's counts", || async {
        counts(&b, &bobs, post_on_b).await == (vec![1, 1], 2)
    })
    .await;
    assert_eq!(vote_rows(&a, post_on_a).await, 2);
    for app in [a, b] {
        app.stop().await;
    }
}
