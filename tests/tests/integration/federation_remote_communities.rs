//! A remote community seen before anyone here joins it: its own server's member and post counts
//! (its followers and outbox `totalItems`), its moderators (its moderators collection) and its
//! newest posts (backfilled on the first lookup), and what a hostile Group's claims come to.

use crate::federation_hostile::moderators;
use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, write_post,
};
use hearth_tests::app::TestApp;
use hearth_tests::hostile::{Evil, collection};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `GET /api/v1/communities/{reference}` as `token` sees it.
async fn community(app: &TestApp, reference: &str, token: Option<&str>) -> Value {
    let (status, c) = app
        .get_json(&format!("/api/v1/communities/{reference}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{c}");
    c
}

/// A's `garden` has two members (alice, who made it and moderates it, and carol, both on A) and
/// three posts. Bob on B looks it up without joining: B shows 2 members, 3 posts and alice as
/// moderator (API and page), and the three posts arrive. When bob joins, both sides say 3.
///
/// A's followers collection counts every joined member, local and remote (`member_count`), so
/// its `totalItems` is the community's whole membership as its home sees it: that is the count
/// B shows.
#[tokio::test]
async fn b_shows_a_communitys_counts_moderators_and_posts_before_anyone_on_b_joins() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "garden", json!({})).await;
    let (status, joined) = a
        .post_json("/api/v1/communities/garden/join", carol.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    let mut posts = Vec::new();
    for title in ["Tomatoes", "Compost", "Seed swap"] {
        posts.push(write_post(&a, &alice, "garden", title).await);
    }
    let home = community(&a, "garden", None).await;
    assert_eq!(
        (&home["counts"]["members"], &home["counts"]["posts"]),
        (&json!(2), &json!(3))
    );

    let reference = format!("garden@{}", host(&a));
    let (status, found) = b
        .get_json(&format!("/api/v1/resolve?q=!{reference}"), bob.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let seen = community(&b, &reference, bob.auth()).await;
    assert_eq!(seen["my_membership"], "none", "{seen}");
    assert_eq!(seen["counts"]["members"], 2, "{seen}");
    assert_eq!(seen["counts"]["posts"], 3, "{seen}");
    let alice_id = format!("http://{}/u/alice", host(&a));
    assert_eq!(moderators(&b, &reference).await, [alice_id]);

    // The newest posts arrive in the background, through the gate, without a join.
    eventually("A's three posts are on B", || async {
        for post in &posts {
            if post_id(&b, post).await.is_none() {
                return false;
            }
        }
        true
    })
    .await;
    let (status, listed) = b
        .get_json(
            &format!("/api/v1/posts?community={reference}&sort=new"),
            bob.auth(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );

    // The page says the same: counts, and alice in the Moderators card.
    let page = b
        .get(&format!("/c/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("2 members"), "{page}");
    assert!(page.contains("3 posts"), "{page}");
    assert!(page.contains(&format!("alice@{}", host(&a))), "{page}");
    assert!(!page.contains("No posts here yet"), "{page}");

    // A join counts on both sides (B adds its member to the home count it holds).
    join(&b, &bob, &reference).await;
    eventually("A accepts bob", || async {
        membership(&b, &bob, &reference).await == "joined"
    })
    .await;
    eventually("A counts bob", || async {
        community(&a, "garden", None).await["counts"]["members"] == 3
    })
    .await;
    eventually("B counts 3 members too", || async {
        community(&b, &reference, bob.auth()).await["counts"]["members"] == 3
    })
    .await;
    a.stop().await;
    b.stop().await;
}

/// A hostile Group claims absurd counts (a negative member count, a post count beyond 10^9) and
/// lists more moderators than are read: the counts are clamped, at most 20 moderators are
/// stored, and nothing fails.
#[tokio::test]
async fn a_group_claiming_absurd_counts_and_moderators_is_clamped() {
    let a = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    let group = evil.group("swamp").await;
    evil.serve(
        "/c/swamp/followers",
        json!({"type": "Collection", "id": format!("{group}/followers"), "totalItems": -5}),
    );
    evil.serve(
        "/c/swamp/outbox",
        json!({"type": "OrderedCollection", "id": format!("{group}/outbox"),
               "totalItems": 1_000_000_000_000_000_i64, "orderedItems": []}),
    );
    let mut listed = Vec::new();
    for n in 0..22 {
        listed.push(json!(evil.person(&format!("mod{n}")).await));
    }
    evil.serve(
        "/c/swamp/moderators",
        collection(&format!("{group}/moderators"), listed.clone()),
    );
    let reference = format!("swamp@{}", evil.authority());
    let (status, found) = a
        .get_json(&format!("/api/v1/resolve?q=!{reference}"), alice.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let seen = community(&a, &reference, alice.auth()).await;
    assert_eq!(seen["counts"]["members"], 0, "{seen}");
    assert_eq!(seen["counts"]["posts"], 1_000_000_000, "{seen}");
    let moderators = moderators(&a, &reference).await;
    let first: Vec<String> = listed[..20]
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(moderators, first, "the first 20, in the collection's order");
    let page = a.get(&format!("/c/{reference}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    a.stop().await;
}
