//! Moderation in the browser and over plain HTTP: the tools on posts and comments (remove with a
//! reason, lock, pin, "Ban author"), reports filed from their form and decided from the queue,
//! the public mod log, refusals (403 for members, sign-in for anonymous visitors, CSRF), and a
//! moderator on another server removing a post from its page there.

use crate::federation_network::{
    create_community, eventually, host, id_of, join, join_local, membership, new_comment, new_post,
    post_id, scalar, write_post,
};
use crate::web_pages::Visitor;
use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::browser::{Browser, screenshot_dir};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The reports the moderator's API sees, as JSON.
async fn reports(app: &TestApp, moderator: &TestUser, status: &str) -> Vec<Value> {
    let (code, page) = app
        .get_json(
            &format!("/api/v1/reports?status={status}"),
            moderator.auth(),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Alice moderates `town`; bob and carol are members; bob wrote a post and a comment, carol a
/// post (carol herself plays no further part).
struct Town {
    app: TestApp,
    alice: TestUser,
    bob: TestUser,
    bob_post: i64,
    bob_comment: i64,
    carol_post: i64,
}

async fn town() -> Town {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    create_community(&app, &alice, "town", json!({})).await;
    join_local(&app, &bob, "town").await;
    join_local(&app, &carol, "town").await;
    let bob_post = id_of(&new_post(&app, &bob, "town", "Cheap watches").await);
    let bob_comment = id_of(&new_comment(&app, &bob, bob_post, None, "You are all fools").await);
    let carol_post = id_of(&new_post(&app, &carol, "town", "Buy my stuff").await);
    Town {
        app,
        alice,
        bob,
        bob_post,
        bob_comment,
        carol_post,
    }
}

#[tokio::test]
async fn a_moderator_removes_bans_and_decides_a_report_in_the_browser() {
    let Town {
        app,
        alice,
        bob,
        bob_post,
        bob_comment,
        carol_post,
        ..
    } = town().await;

    // A member reports carol's post with the form; the notice confirms it.
    let mut bob_web = Visitor::signed_in(&app, &bob).await;
    let form = bob_web.get(&format!("/post/{carol_post}/report")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"reason\""), "{}", form.body);
    let sent = bob_web
        .post(
            &format!("/post/{carol_post}/report"),
            &[("reason", "Advertising")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("Report sent"), "{}", sent.body);
    assert_eq!(reports(&app, &alice, "pending").await.len(), 1);

    let browser = Browser::start("moderation_journey", false).await;
    browser
        .run(async {
            browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;

            // Remove bob's comment with a reason, from the post's page.
            browser.goto(&format!("{}/post/{bob_post}", app.base)).await;
            assert!(browser.exists("#mod-tools").await, "the tools show");
            let comment = format!("#c{bob_comment}");
            browser
                .click(&format!(
                    "{comment} .comment-actions details.confirm summary"
                ))
                .await;
            browser
                .fill(&format!("#remove-reason-c{bob_comment}"), "Insults")
                .await;
            browser
                .click(&format!(
                    "form[action='/comment/{bob_comment}/remove'] button[type=submit]"
                ))
                .await;
            browser
                .wait_for_text(&comment, "removed by a moderator")
                .await;
            let shown = browser.text(&comment).await;
            assert!(shown.contains("Reason: Insults"), "{shown}");
            browser
                .screenshot(&screenshot_dir().join("moderator-post.png"))
                .await;

            // Ban its author, with their content, from the "Ban author" link.
            browser
                .click(&format!("{comment} a[href^='/c/town/bans/new?user=bob']"))
                .await;
            browser
                .wait_for_path("the ban form", |p| p.starts_with("/c/town/bans/new"))
                .await;
            assert_eq!(browser.attr("#user", "value").await.as_deref(), Some("bob"));
            browser.fill("#reason", "Spam and insults").await;
            browser.click("#remove_data").await;
            browser
                .click("form[action$='/bans'] button[type=submit]")
                .await;
            browser
                .wait_for_path("the bans page", |p| p == "/c/town/bans")
                .await;

            // Bob's post is gone for everyone.
            browser.goto(&format!("{}/post/{bob_post}", app.base)).await;
            browser
                .wait_for_text(".post-full", "removed by a moderator")
                .await;

            // The mod log shows both.
            browser.goto(&format!("{}/modlog", app.base)).await;
            let log = browser.text("#modlog").await;
            assert!(log.contains("removed a comment"), "{log}");
            assert!(log.contains("Insults"), "{log}");
            assert!(log.contains("banned bob"), "{log}");
            assert!(log.contains("Spam and insults"), "{log}");
            browser
                .screenshot(&screenshot_dir().join("modlog.png"))
                .await;

            // The report waits in the queue (the header's badge says 1) with the post inline;
            // resolving it closes it.
            browser.goto(&format!("{}/reports", app.base)).await;
            assert_eq!(
                browser
                    .attr("[data-open-reports]", "data-open-reports")
                    .await
                    .as_deref(),
                Some("1")
            );
            let queue = browser.text("#reports").await;
            assert!(queue.contains("Advertising"), "{queue}");
            assert!(queue.contains("Buy my stuff, in words"), "{queue}");
            assert!(queue.contains("bob"), "{queue}");
            browser
                .screenshot(&screenshot_dir().join("reports-queue.png"))
                .await;
            let report = reports(&app, &alice, "pending").await[0]["id"]
                .as_i64()
                .unwrap();
            browser
                .fill(&format!("#resolve-note-{report}"), "Told carol")
                .await;
            browser
                .click(&format!(
                    "form[action='/reports/{report}/resolve'] button[type=submit]"
                ))
                .await;
            browser.wait_for_text("main", "No open reports").await;
            browser
                .goto(&format!("{}/reports?status=resolved", app.base))
                .await;
            let resolved = browser.text("#reports").await;
            assert!(resolved.contains("Told carol"), "{resolved}");
        })
        .await;
    browser.close().await;

    let resolved = reports(&app, &alice, "resolved").await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["resolution_note"], "Told carol");
    assert_eq!(resolved[0]["resolved_by"], "alice");
    // Bob's comment and post are removed; the public page says so without the reason.
    let mut anonymous = Visitor::new(&app);
    let page = anonymous.get(&format!("/post/{bob_post}")).await;
    assert!(page.body.contains("This post was removed by a moderator."));
    assert!(!page.body.contains("Insults"), "{}", page.body);
    assert!(!page.body.contains("id=\"mod-tools\""));
    app.stop().await;
}

#[tokio::test]
async fn moderator_tools_show_only_to_moderators_and_refuse_everyone_else() {
    let Town {
        app,
        alice,
        bob,
        bob_post,
        bob_comment,
        carol_post,
        ..
    } = town().await;
    let mut alice_web = Visitor::signed_in(&app, &alice).await;
    let mut bob_web = Visitor::signed_in(&app, &bob).await;
    let mut anonymous = Visitor::new(&app);
    anonymous.get("/").await;

    // The tools show to the moderator only; "Report" to everyone signed in.
    let page = alice_web.get(&format!("/post/{bob_post}")).await;
    assert!(page.body.contains("id=\"mod-tools\""), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("/comment/{bob_comment}/remove"))
    );
    assert!(page.body.contains("/c/town/bans/new?user=bob"));
    let page = bob_web.get(&format!("/post/{carol_post}")).await;
    assert!(!page.body.contains("id=\"mod-tools\""));
    assert!(!page.body.contains("/remove\""));
    assert!(!page.body.contains("/bans/new"));
    assert!(page.body.contains(&format!("/post/{carol_post}/report")));
    let page = anonymous.get(&format!("/post/{carol_post}")).await;
    assert!(!page.body.contains("/report\""));

    let reason = [("reason", "because")];
    let moderator_forms = [
        format!("/post/{carol_post}/remove"),
        format!("/post/{carol_post}/restore"),
        format!("/post/{carol_post}/lock"),
        format!("/post/{carol_post}/unlock"),
        format!("/post/{carol_post}/pin"),
        format!("/post/{carol_post}/unpin"),
        format!("/comment/{bob_comment}/remove"),
        format!("/comment/{bob_comment}/restore"),
    ];
    // A member is refused (403); nothing changed.
    for path in &moderator_forms {
        let page = bob_web.post(path, &reason).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    let untouched = "select count(*) from post p join comment c on c.post_id = p.id
                     where c.id = $1::bigint and not (p.removed or p.locked or p.featured or c.removed)";
    assert_eq!(
        scalar(&app, untouched, &bob_comment.to_string()).await,
        Some(1),
        "nothing changed"
    );

    // Reports: the form needs sign-in; a member has no queue and decides nothing.
    for path in [
        format!("/post/{carol_post}/report"),
        format!("/comment/{bob_comment}/report"),
        "/reports".to_owned(),
    ] {
        let page = anonymous.get(&path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().starts_with("/login?next="), "{path}");
    }
    let page = bob_web.get("/reports").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let empty = bob_web
        .post(
            &format!("/comment/{bob_comment}/report"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("id=\"reason-error\""), "{}", empty.body);
    let filed = bob_web
        .post(&format!("/post/{carol_post}/report"), &[("reason", "Spam")])
        .await;
    assert_eq!(filed.status, StatusCode::OK, "{}", filed.body);
    let report = reports(&app, &alice, "pending").await[0]["id"]
        .as_i64()
        .unwrap();
    for path in [
        format!("/reports/{report}/resolve"),
        format!("/reports/{report}/dismiss"),
    ] {
        let page = bob_web.post(&path, &[("note", "mine")]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
    }

    // Anonymous visitors are sent to sign in, from every form.
    let mut all_forms = moderator_forms.to_vec();
    all_forms.extend([
        format!("/post/{carol_post}/report"),
        format!("/comment/{bob_comment}/report"),
        format!("/reports/{report}/resolve"),
        format!("/reports/{report}/dismiss"),
    ]);
    for path in &all_forms {
        let page = anonymous.post(path, &reason).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().starts_with("/login"), "{path}");
    }
    // Every form refuses a missing or forged CSRF token, even from the moderator.
    for path in &all_forms {
        let page = alice_web.post_raw(path, &[("reason", "x")], &[]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} without a token");
        let page = alice_web
            .post_raw(path, &[("csrf_token", "forged"), ("reason", "x")], &[])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} forged");
    }
    assert_eq!(reports(&app, &alice, "pending").await.len(), 1);

    // The moderator's queue lists it; a note too long is refused next to its field.
    let queue = alice_web.get("/reports").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Spam") && queue.body.contains("Buy my stuff"));
    let long = "x".repeat(1001);
    let page = alice_web
        .post(&format!("/reports/{report}/dismiss"), &[("note", &long)])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("id=\"note-error\""), "{}", page.body);
    let page = alice_web
        .post(&format!("/reports/{report}/dismiss"), &[("note", "Fine")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let dismissed = reports(&app, &alice, "dismissed").await;
    assert_eq!(dismissed[0]["resolution_note"], "Fine");

    // Lock, pin and remove from the post page; a reason too long is refused next to its field.
    for (path, sql) in [
        (
            "lock",
            "select count(*) from post where id = $1::bigint and locked",
        ),
        (
            "pin",
            "select count(*) from post where id = $1::bigint and featured",
        ),
    ] {
        let page = alice_web
            .post(&format!("/post/{carol_post}/{path}"), &[])
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
        assert_eq!(page.location(), format!("/post/{carol_post}"));
        assert_eq!(
            scalar(&app, sql, &carol_post.to_string()).await,
            Some(1),
            "{path}"
        );
    }
    let page = alice_web.get(&format!("/post/{carol_post}")).await;
    assert!(page.body.contains(&format!("/post/{carol_post}/unlock")));
    assert!(page.body.contains(&format!("/post/{carol_post}/unpin")));
    let page = alice_web
        .post(&format!("/post/{carol_post}/remove"), &[("reason", &long)])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("id=\"reason-error\""), "{}", page.body);
    let page = alice_web
        .post(&format!("/post/{carol_post}/remove"), &[("reason", "Ads")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = alice_web.get(&format!("/post/{carol_post}")).await;
    assert!(
        page.body
            .contains("Reason: <span class=\"removal-reason\">Ads")
    );
    assert!(page.body.contains(&format!("/post/{carol_post}/restore")));
    let page = bob_web.get(&format!("/post/{carol_post}")).await;
    assert!(page.body.contains("This post was removed by a moderator."));
    assert!(!page.body.contains("removal-reason"));

    // The mod log is public, and filters by action and moderator.
    let log = anonymous.get("/modlog?action=lock_post").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(
        log.body.contains("modlog-action\">locked a post"),
        "{}",
        log.body
    );
    assert!(!log.body.contains("modlog-action\">pinned a post"));
    let log = anonymous
        .get("/modlog?moderator=alice&community=town")
        .await;
    assert!(
        log.body.contains("modlog-action\">pinned a post"),
        "{}",
        log.body
    );
    assert!(log.body.contains("Reason: Ads"), "{}", log.body);
    let log = anonymous.get("/modlog?action=nonsense").await;
    assert_eq!(log.status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn a_moderator_on_another_server_removes_a_post_from_its_page_there() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let dave = a.user("dave").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "town", json!({})).await;
    join_local(&a, &dave, "town").await;
    let town = format!("town@{}", host(&a));
    join(&b, &bob, &town).await;
    eventually("bob joined", || async {
        membership(&b, &bob, &town).await == "joined"
    })
    .await;
    let (status, body) = a
        .post_json(
            "/api/v1/communities/town/moderators",
            alice.auth(),
            json!({"user": format!("bob@{}", host(&b))}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("B knows bob moderates", || async {
        scalar(
            &b,
            "select count(*) from community_moderator m join person p on p.id = m.person_id
             where p.local and p.name = $1",
            "bob",
        )
        .await
            == Some(1)
    })
    .await;
    let post = write_post(&a, &dave, "town", "Off topic").await;
    eventually("the post reaches B", || async {
        post_id(&b, &post).await.is_some()
    })
    .await;
    let on_b = post_id(&b, &post).await.unwrap();

    let mut bob_web = Visitor::signed_in(&b, &bob).await;
    let page = bob_web.get(&format!("/post/{on_b}")).await;
    assert!(page.body.contains("id=\"mod-tools\""), "{}", page.body);
    let page = bob_web
        .post(&format!("/post/{on_b}/remove"), &[("reason", "Not here")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eventually("removed on A", || async {
        scalar(
            &a,
            "select count(*) from post where ap_id = $1 and removed",
            &post,
        )
        .await
            == Some(1)
    })
    .await;
    let on_a = post_id(&a, &post).await.unwrap();
    let page = Visitor::new(&a).get(&format!("/post/{on_a}")).await;
    assert!(
        page.body.contains("This post was removed by a moderator."),
        "{}",
        page.body
    );
    let mut alice_web = Visitor::signed_in(&a, &alice).await;
    let page = alice_web.get(&format!("/post/{on_a}")).await;
    assert!(page.body.contains("Not here"), "{}", page.body);
    b.stop().await;
    a.stop().await;
}
