//! Notifications in the browser (headless Chromium, without JavaScript: the bell needs none):
//! someone replies to you, the bell shows 1, the page lists it, opening it lands on the reply in
//! its thread and the bell is gone.

use crate::federation_network::{create_community, new_post};
use crate::web_pages::Visitor;
use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::browser::Browser;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_reply_rings_the_bell_and_opening_it_lands_on_the_comment() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &alice, "cats", json!({"title": "Cats"})).await;
    let post = new_post(&app, &alice, "cats", "Naps").await;
    let post = post["id"].as_i64().unwrap();
    let (_, mine) = app
        .post_json(
            "/api/v1/comments",
            alice.auth(),
            json!({"post_id": post, "body": "Mine sleeps all day"}),
        )
        .await;

    let browser = Browser::start("notifications_journey", false).await;
    browser
        .run(async {
            browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;
            assert!(!browser.exists(".bell-count").await, "nothing unread yet");

            let (status, reply) = app
                .post_json(
                    "/api/v1/comments",
                    bob.auth(),
                    json!({"post_id": post, "parent_id": mine["id"], "body": "Mine too"}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{reply}");
            let reply = reply["id"].as_i64().unwrap();

            browser.reload().await;
            assert_eq!(browser.text(".bell-count").await.trim(), "1");
            browser.click("a.bell").await;
            browser
                .wait_for_path("the notifications page", |p| p == "/notifications")
                .await;
            let listed = browser.text(".notification").await;
            assert!(listed.contains("bob replied to you"), "{listed}");
            assert!(listed.contains("Mine too"), "{listed}");
            assert!(listed.contains("Naps"), "{listed}");

            browser.click(".notification a.notification-open").await;
            browser
                .wait_for_path("the reply's page", |p| p == format!("/comment/{reply}"))
                .await;
            browser
                .wait_for_text(&format!("#c{reply}"), "Mine too")
                .await;
            assert!(!browser.exists(".bell-count").await, "the bell shows 0");
            browser.goto(&format!("{}/notifications", app.base)).await;
            assert!(!browser.exists(".notification-unread").await);
        })
        .await;
    browser.close().await;

    // Anonymous visitors are sent to sign in; the mark-read forms need their CSRF token.
    let page = Visitor::new(&app).get("/notifications").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        page.location().starts_with("/login?next="),
        "{}",
        page.location()
    );
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    for path in ["/notifications/read_all", "/notifications/1/read"] {
        let page = visitor
            .post_raw(path, &[("csrf_token", "forged")], &[])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }
    app.stop().await;
}
