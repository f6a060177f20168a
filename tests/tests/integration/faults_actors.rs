//! Remote actors whose documents change under us, by the rules in docs/FEDERATION.md: a rotated
//! key is picked up by one refetch, a signature that still fails after it is 401 and refetches
//! nothing more for a while; an inbox that moves on its own server gets the next delivery, and
//! an actor document claiming an inbox on another server is refused (an actor's id, inbox and
//! key owner share one authority), so nothing is ever sent there.

use crate::federation_network::{create_community, eventually, host, scalar, write_post};
use hearth_tests::app::{TestApp, activity_json};
use hearth_tests::hostile::Evil;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `actor` (on Evil) follows our community `name`; waits until our Accept reached Evil.
async fn follow(app: &TestApp, evil: &Evil, actor_path: &str, name: &str) {
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id("Follow"),
        "type": "Follow",
        "actor": evil.url(actor_path),
        "object": format!("http://{}/c/{name}", host(app)),
    });
    let (status, body) = evil.send(app, actor_path, follow.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    eventually("our Accept reaches Evil", || async {
        evil.delivered_of("Accept")
            .iter()
            .any(|a| a["object"]["id"] == follow["id"])
    })
    .await;
}

/// A `Like` of `post` by `actor` on Evil.
fn like(evil: &Evil, actor_path: &str, post: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": evil.activity_id("Like"),
        "type": "Like",
        "actor": evil.url(actor_path),
        "object": post,
    })
}

async fn votes_of(app: &TestApp, actor: &str) -> i64 {
    scalar(
        app,
        "select count(*) from post_vote v join person p on p.id = v.person_id where p.ap_id = $1",
        actor,
    )
    .await
    .unwrap_or(0)
}

/// The inbox and shared inbox we hold for a remote person.
async fn stored_inboxes(app: &TestApp, actor: &str) -> (Option<String>, Option<String>) {
    let pool = app.db.pool().await;
    let row: (Option<String>, Option<String>) =
        sqlx::query_as("select inbox_url, shared_inbox_url from person where ap_id = $1")
            .bind(actor)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    row
}

/// The inbox paths on Evil that got an `Announce` of `post`.
fn announced_at(evil: &Evil, post: &str) -> Vec<String> {
    evil.delivered()
        .into_iter()
        // The post is inside the announced Create, by id or embedded.
        .filter(|d| d.activity["type"] == "Announce" && d.activity.to_string().contains(post))
        .map(|d| d.inbox)
        .collect()
}

#[tokio::test]
async fn a_rotated_key_is_refetched_once_and_a_key_nobody_publishes_is_refused() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "keys", json!({})).await;
    let post = write_post(&app, &alice, "keys", "Locks").await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let eve = evil.person("eve").await;
    follow(&app, &evil, "/u/mallory", "keys").await;
    follow(&app, &evil, "/u/eve", "keys").await;

    // Mallory's server rotates her key: the first activity signed with the new key makes us
    // fetch her document once, and it is accepted.
    evil.rotate_key("/u/mallory").await;
    let fetched = evil.requests_for("/u/mallory");
    let (status, body) = evil
        .send(&app, "/u/mallory", like(&evil, "/u/mallory", &post))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(evil.requests_for("/u/mallory"), fetched + 1, "one refetch");
    assert_eq!(
        votes_of(&app, &mallory).await,
        1,
        "the like signed with the new key"
    );

    // Eve signs with a key her server does not publish: we fetch her document once, the
    // signature still fails, 401; the next one within ten minutes fetches nothing.
    let (_, forged_key) = hearth_service::keys::generate().await.unwrap();
    let fetched = evil.requests_for("/u/eve");
    for attempt in 0..2 {
        let activity = like(&evil, "/u/eve", &post);
        let (status, _, body) = app
            .deliver_signed(
                &forged_key,
                &eve,
                "/inbox",
                activity.to_string().into_bytes(),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
        assert_eq!(body["error"], "invalid_signature", "{body}");
        assert_eq!(
            evil.requests_for("/u/eve"),
            fetched + 1,
            "attempt {attempt}"
        );
    }
    assert_eq!(votes_of(&app, &eve).await, 0);
    app.stop().await;
}

#[tokio::test]
async fn an_inbox_moved_on_its_server_gets_the_next_delivery_and_one_on_another_server_is_refused()
{
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "moves", json!({})).await;
    let evil = Evil::start().await;
    let elsewhere = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let trudy = evil.person("trudy").await;
    follow(&app, &evil, "/u/mallory", "moves").await;
    follow(&app, &evil, "/u/trudy", "moves").await;
    let first = write_post(&app, &alice, "moves", "First").await;
    eventually("the first post reaches the shared inbox", || async {
        announced_at(&evil, &first) == vec!["/inbox".to_owned()]
    })
    .await;

    // Mallory's server moves its inboxes to other paths and says so (Update{Person}, the
    // whole actor embedded): the next post goes there.
    evil.set_actor_field(
        "/u/mallory",
        "inbox",
        json!(evil.url("/u/mallory/moved/inbox")),
    );
    evil.set_actor_field(
        "/u/mallory",
        "endpoints",
        json!({"sharedInbox": evil.url("/moved/inbox")}),
    );
    let update = |object: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": evil.activity_id("Update"),
            "type": "Update",
            "actor": mallory,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": object,
        })
    };
    let moved = activity_json(&mallory).await;
    let (status, body) = evil.send(&app, "/u/mallory", update(moved)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        stored_inboxes(&app, &mallory).await,
        (
            Some(evil.url("/u/mallory/moved/inbox")),
            Some(evil.url("/moved/inbox"))
        )
    );

    // Then it claims inboxes on another server: refused, whether it says so in an Update or
    // we find it when a rotated key makes us fetch the actor again.
    evil.set_actor_field(
        "/u/mallory",
        "inbox",
        json!(elsewhere.url("/u/mallory/inbox")),
    );
    let foreign = activity_json(&mallory).await;
    let claim = update(foreign);
    let claim_id = claim["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&app, "/u/mallory", claim).await;
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        app.refusal_code(&claim_id).await.is_some(),
        "an actor with an inbox on another server is refused when applied"
    );
    evil.set_actor_field("/u/trudy", "inbox", json!(elsewhere.url("/u/trudy/inbox")));
    evil.rotate_key("/u/trudy").await;
    let fetched = evil.requests_for("/u/trudy");
    let (status, body) = evil
        .send(&app, "/u/trudy", like(&evil, "/u/trudy", &first))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "refetched with an inbox on another server: {body}"
    );
    assert_eq!(body["error"], "actor_unverifiable", "{body}");
    assert_eq!(evil.requests_for("/u/trudy"), fetched + 1, "one refetch");
    assert_eq!(votes_of(&app, &trudy).await, 0);
    assert_eq!(
        stored_inboxes(&app, &trudy).await,
        (Some(evil.url("/u/trudy/inbox")), Some(evil.url("/inbox"))),
        "trudy's inboxes are what they were"
    );
    assert_eq!(
        stored_inboxes(&app, &mallory).await.0,
        Some(evil.url("/u/mallory/moved/inbox")),
        "mallory's inbox stays where her own server moved it"
    );

    // A person we never met whose document claims an inbox elsewhere is refused the same way.
    let oscar = evil.person("oscar").await;
    evil.set_actor_field("/u/oscar", "inbox", json!(elsewhere.url("/u/oscar/inbox")));
    let (status, body) = evil
        .send(&app, "/u/oscar", like(&evil, "/u/oscar", &first))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "actor_unverifiable", "{body}");
    assert_eq!(votes_of(&app, &oscar).await, 0);

    // The next post goes to mallory's moved shared inbox (trudy's, unchanged, is Evil's
    // /inbox), and the other server never hears from us.
    let second = write_post(&app, &alice, "moves", "Second").await;
    eventually("the second post reaches both shared inboxes", || async {
        let mut at = announced_at(&evil, &second);
        at.sort();
        at == vec!["/inbox".to_owned(), "/moved/inbox".to_owned()]
    })
    .await;
    assert!(
        elsewhere.served().is_empty() && elsewhere.delivered().is_empty(),
        "the other server was contacted: {:?}",
        elsewhere.served()
    );
    app.stop().await;
}
