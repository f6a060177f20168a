//! The page header as each kind of visitor sees it: the bell for the signed in, the Reports link
//! with the count of open reports for moderators and admins only, the Admin link for admins only,
//! and the public mod log in the footer for everyone.

use crate::federation_network::{create_community, new_post};
use crate::web_pages::Visitor;
use hearth_tests::app::TestApp;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn moderator_and_admin_links_appear_only_for_those_who_may_use_them() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let root = app.admin("root").await;
    create_community(&app, &alice, "cats", json!({"title": "Cats"})).await;
    let post = new_post(&app, &alice, "cats", "Naps").await;
    let (status, report) = app
        .post_json(
            "/api/v1/reports",
            bob.auth(),
            json!({"post_id": post["id"], "reason": "off topic"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{report}");

    let anonymous = Visitor::new(&app).get("/").await;
    assert!(
        anonymous.body.contains(r#"href="/modlog""#),
        "the mod log is public"
    );
    assert!(!anonymous.body.contains(r#"href="/notifications""#));
    assert!(!anonymous.body.contains(r#"href="/reports""#));

    let member = Visitor::signed_in(&app, &bob).await.get("/").await;
    assert!(member.body.contains(r#"href="/notifications""#), "the bell");
    assert!(
        !member.body.contains(r#"href="/reports""#),
        "no moderation link"
    );
    assert!(!member.body.contains(r#"href="/admin""#), "no admin link");

    let moderator = Visitor::signed_in(&app, &alice).await.get("/").await;
    assert!(moderator.body.contains(r#"href="/reports""#));
    assert!(
        moderator.body.contains(r#"data-open-reports="1""#),
        "one open report"
    );
    assert!(!moderator.body.contains(r#"href="/admin""#));

    let admin = Visitor::signed_in(&app, &root).await.get("/").await;
    assert!(admin.body.contains(r#"href="/admin""#));
    assert!(
        admin.body.contains(r#"data-open-reports="1""#),
        "admins see every report"
    );

    let (status, _) = app
        .post_json(
            &format!("/api/v1/reports/{}/dismiss", report["id"]),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let moderator = Visitor::signed_in(&app, &alice).await.get("/").await;
    assert!(
        moderator.body.contains(r#"href="/reports""#),
        "still a moderator"
    );
    assert!(
        !moderator.body.contains("data-open-reports"),
        "nothing open"
    );
    app.stop().await;
}
