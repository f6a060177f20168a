//! The administrators' pages: in the browser (switching registration to approval and approving a
//! newcomer; blocking a server), and over plain HTTP (who may see them, CSRF, site bans, the
//! people list, ending sessions and one-time password reset links).

use crate::web_pages::Visitor;
use hearth_tests::app::{SETUP_ADMIN, TEST_PASSWORD, TestApp};
use hearth_tests::browser::Browser;
use reqwest::StatusCode;
use serde_json::json;

/// Every admin page.
const ADMIN_PAGES: [&str; 9] = [
    "/admin",
    "/admin/media",
    "/admin/site",
    "/admin/applications",
    "/admin/bans",
    "/admin/federation",
    "/admin/people",
    "/admin/purge/community/cats",
    "/admin/purge/user/bob",
];

/// Every admin form, with fields that would pass if the CSRF token and the rights were there.
const ADMIN_FORMS: [(&str, &[(&str, &str)]); 16] = [
    (
        "/admin/media/purge",
        &[("target", "https://elsewhere.example/picture.png")],
    ),
    (
        "/admin/site",
        &[("name", "Elsewhere"), ("registration_mode", "closed")],
    ),
    ("/admin/applications/1/approve", &[]),
    ("/admin/applications/1/deny", &[("reason", "No")]),
    ("/admin/bans", &[("user", "bob"), ("reason", "Spam")]),
    ("/admin/bans/bob/lift", &[]),
    (
        "/admin/federation",
        &[("mode", "open"), ("blocked", "bad.example")],
    ),
    ("/admin/purge/community/cats", &[]),
    ("/admin/purge/user/bob", &[]),
    ("/admin/people/bob/admin", &[]),
    ("/admin/people/bob/unadmin", &[]),
    ("/admin/people/bob/end_sessions", &[]),
    ("/admin/people/bob/reset_password", &[]),
    ("/admin/communities/cats/remove", &[("reason", "Off topic")]),
    ("/admin/communities/cats/restore", &[]),
    (
        "/reset_password/0000",
        &[("password", "a new long password")],
    ),
];

async fn sign_out(browser: &Browser) {
    browser.click(".account-menu summary").await;
    browser
        .click("form[action='/logout'] button[type=submit]")
        .await;
    browser.wait_for_text(".site-header", "Log in").await;
}

#[tokio::test]
async fn an_admin_switches_to_approval_and_approves_a_newcomer_in_the_browser() {
    let app = TestApp::spawn(&[]).await;
    app.admin("boss").await;
    let browser = Browser::start("admin_approval_journey", false).await;
    browser
        .run(async {
            browser.sign_in(&app.base, "boss", TEST_PASSWORD).await;
            // The Admin link is in the account menu.
            browser.click(".account-menu summary").await;
            browser.click(".account-menu a[href='/admin']").await;
            browser
                .wait_for_path("the overview", |p| p == "/admin")
                .await;
            browser.click("main a[href='/admin/site']").await;
            browser
                .wait_for_path("the site settings", |p| p == "/admin/site")
                .await;
            browser.click("#registration_mode-approval").await;
            browser
                .fill("#application_question", "Which cat is yours?")
                .await;
            browser.click("main form button[type=submit]").await;
            browser.wait_for_text("main", "Saved.").await;
            sign_out(&browser).await;

            // The newcomer applies on the sign-up page, which now asks the question.
            browser.goto(&format!("{}/signup", app.base)).await;
            browser.wait_for_text("main", "Which cat is yours?").await;
            browser.fill("#username", "newcomer").await;
            browser.fill("#password", "a long enough password").await;
            browser
                .fill("#application_answer", "The ginger one, Biscuit")
                .await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_text("main", "waits for an administrator's approval")
                .await;

            // The admin sees the application and approves it.
            browser.sign_in(&app.base, "boss", TEST_PASSWORD).await;
            browser.goto(&format!("{}/admin", app.base)).await;
            assert_eq!(browser.text("#count-applications").await.trim(), "1");
            browser.click("main a[href='/admin/applications']").await;
            browser
                .wait_for_text(".admin-item", "The ginger one, Biscuit")
                .await;
            browser
                .click(".admin-item form[action$='/approve'] button[type=submit]")
                .await;
            browser
                .wait_for_text("main", "No applications are waiting.")
                .await;
            let decided = browser.text("main").await;
            assert!(decided.contains("newcomer"), "{decided}");
            assert!(decided.contains("approved"), "{decided}");
            sign_out(&browser).await;

            // The newcomer signs in.
            browser
                .sign_in(&app.base, "newcomer", "a long enough password")
                .await;
        })
        .await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn an_admin_blocks_a_server_on_the_federation_page_in_the_browser() {
    let app = TestApp::spawn(&[]).await;
    let boss = app.admin("boss").await;
    let browser = Browser::start("admin_federation_journey", false).await;
    browser
        .run(async {
            browser.sign_in(&app.base, "boss", TEST_PASSWORD).await;
            browser
                .goto(&format!("{}/admin/federation", app.base))
                .await;
            browser
                .wait_for_text("main", "No server is blocked here.")
                .await;
            browser.fill("#blocked", "spam.example\nBad.Example.").await;
            browser.click("main form button[type=submit]").await;
            browser.wait_for_text("main", "Policy saved").await;
            let listed = browser.text(".blocked-hosts").await;
            assert!(listed.contains("spam.example"), "{listed}");
            assert!(listed.contains("bad.example"), "{listed}");
            assert!(browser.exists("#queue-heading").await, "the queue shows");
        })
        .await;
    browser.close().await;
    // The API sees the same policy.
    let (status, policy) = app
        .get_json("/api/v1/admin/federation/policy", boss.auth())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(policy["mode"], "open");
    assert_eq!(policy["blocked"], json!(["bad.example", "spam.example"]));
    app.stop().await;
}

#[tokio::test]
async fn admin_pages_refuse_members_and_send_anonymous_visitors_to_sign_in() {
    let app = TestApp::spawn(&[]).await;
    let member = app.user("member").await;
    app.user("bob").await;
    let mut anonymous = Visitor::new(&app);
    anonymous.get("/").await;
    let mut web = Visitor::signed_in(&app, &member).await;
    for path in ADMIN_PAGES {
        let page = web.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        assert!(
            page.body.contains("Only administrators may do this."),
            "{path}: {}",
            page.body
        );
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            page.location().starts_with("/login?next=%2Fadmin"),
            "{path}: {}",
            page.location()
        );
    }
    for (path, fields) in ADMIN_FORMS.iter().filter(|(p, _)| p.starts_with("/admin")) {
        let page = web.post(path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        let page = anonymous.post(path, fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(page.location().starts_with("/login"), "{path}");
    }
    // Nothing changed: bob is neither an admin nor banned, the site keeps its name.
    let (_, site) = app.get_json("/api/v1/site", None).await;
    assert_ne!(site["name"], "Elsewhere");
    let bob = app.login("bob", TEST_PASSWORD).await;
    let (status, me) = app.get_json("/api/v1/me", Some(&bob)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["admin"], false, "{me}");
    // Members see no Admin link.
    let front = web.get("/").await;
    assert!(!front.body.contains("href=\"/admin\""));
    app.stop().await;
}

#[tokio::test]
async fn admin_forms_refuse_a_missing_csrf_token() {
    let app = TestApp::spawn(&[]).await;
    let boss = app.admin("boss").await;
    app.user("bob").await;
    let mut web = Visitor::signed_in(&app, &boss).await;
    for (path, fields) in ADMIN_FORMS {
        let page = web.post_raw(path, fields, &[]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        assert!(page.body.contains("did not come from this site"), "{path}");
    }
    let (_, site) = app.get_json("/api/v1/site", None).await;
    assert_ne!(site["name"], "Elsewhere");
    app.stop().await;
}

#[tokio::test]
async fn site_settings_and_bans_work_with_errors_next_to_their_fields() {
    let app = TestApp::spawn(&[]).await;
    let boss = app.admin("boss").await;
    let bob = app.user("bob").await;
    let mut web = Visitor::signed_in(&app, &boss).await;

    // Site settings: a bad name is refused next to its field, a good form is saved.
    let page = web.get("/admin/site").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(
            "id=\"registration_mode-open\" name=\"registration_mode\" value=\"open\" checked"
        ),
        "{}",
        page.body
    );
    let page = web
        .post(
            "/admin/site",
            &[("name", "  "), ("registration_mode", "open")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("id=\"name-error\""), "{}", page.body);
    let page = web
        .post(
            "/admin/site",
            &[
                ("name", "Cat Town"),
                ("description", "All about *cats*"),
                ("registration_mode", "closed"),
                ("application_question", ""),
                ("downvotes_enabled", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/admin/site?saved=1");
    let (_, site) = app.get_json("/api/v1/admin/site", boss.auth()).await;
    assert_eq!(site["name"], "Cat Town", "{site}");
    assert_eq!(site["registration_mode"], "closed", "{site}");
    assert_eq!(site["downvotes_enabled"], true, "{site}");
    assert_eq!(site["community_creation_admin_only"], false, "{site}");

    // Bans: an unknown person is refused next to the field; bob is banned, listed, lifted.
    let page = web
        .post("/admin/bans", &[("user", "nobody"), ("reason", "x")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("id=\"user-error\""), "{}", page.body);
    let page = web
        .post(
            "/admin/bans",
            &[("user", "bob"), ("expires_at", "yesterday-ish")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("id=\"expires_at-error\""),
        "{}",
        page.body
    );
    let page = web
        .post(
            "/admin/bans",
            &[
                ("user", "bob"),
                ("reason", "Spam everywhere"),
                ("expires_at", "2099-01-01T12:00"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let list = web.get("/admin/bans").await;
    assert!(list.body.contains("id=\"ban-bob\""), "{}", list.body);
    assert!(list.body.contains("Spam everywhere"));
    assert!(list.body.contains("until 2099-01-01 12:00 UTC"));
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_ne!(
        status,
        StatusCode::OK,
        "a banned account's token is refused"
    );
    let page = web.post("/admin/bans/bob/lift", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let list = web.get("/admin/bans").await;
    assert!(!list.body.contains("id=\"ban-bob\""), "{}", list.body);
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(status, StatusCode::OK);

    // A local community cannot be purged: the confirmation page says why.
    let (status, _) = app
        .post_json(
            "/api/v1/communities",
            bob.auth(),
            json!({"name": "cats", "title": "Cats"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let page = web.get("/admin/purge/community/cats").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Only communities of other servers"));
    let page = web.get("/admin/purge/user/bob").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn the_people_page_grants_admin_and_ends_sessions() {
    let app = TestApp::spawn(&[]).await;
    let boss = app.admin("boss").await;
    let bob = app.user("bob").await;
    app.user("carol").await;
    let mut web = Visitor::signed_in(&app, &boss).await;
    let mut bob_web = Visitor::signed_in(&app, &bob).await;

    let page = web.get("/admin/people?q=bo").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"person-bob\""), "{}", page.body);
    assert!(page.body.contains("id=\"person-boss\""));
    assert!(!page.body.contains("id=\"person-carol\""));

    let page = web.post("/admin/people/bob/admin", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let (_, me) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(me["admin"], true, "{me}");
    let page = web.post("/admin/people/bob/unadmin", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let (_, me) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(me["admin"], false, "{me}");

    // Ending bob's sessions ends his API token and his web session.
    assert_eq!(bob_web.get("/settings").await.status, StatusCode::OK);
    let page = web.post("/admin/people/bob/end_sessions", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = web.get(page.location()).await;
    assert!(page.body.contains("signed out everywhere"), "{}", page.body);
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let page = bob_web.get("/settings").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "signed out");
    // The admin's own session is untouched.
    let (status, _) = app.get_json("/api/v1/me", boss.auth()).await;
    assert_eq!(status, StatusCode::OK);

    // The last administrator keeps the rights: the page says why.
    let page = web
        .post(&format!("/admin/people/{SETUP_ADMIN}/unadmin"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = web.post("/admin/people/boss/unadmin", &[]).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.body
            .contains("The instance needs at least one administrator."),
        "{}",
        page.body
    );
    let (_, me) = app.get_json("/api/v1/me", boss.auth()).await;
    assert_eq!(me["admin"], true, "{me}");
    app.stop().await;
}

#[tokio::test]
async fn a_password_reset_link_works_once() {
    let app = TestApp::spawn(&[]).await;
    let boss = app.admin("boss").await;
    let bob = app.user("bob").await;
    let mut web = Visitor::signed_in(&app, &boss).await;

    let page = web.post("/admin/people/bob/reset_password", &[]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let marker = "/reset_password/";
    let start = page.body.find(marker).expect("the link is shown") + marker.len();
    let token: String = page.body[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "{}", page.body);
    let path = format!("/reset_password/{token}");

    let mut anonymous = Visitor::new(&app);
    let form = anonymous.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("bob"), "{}", form.body);
    let short = anonymous.post(&path, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(
        short.body.contains("id=\"password-error\""),
        "{}",
        short.body
    );
    // Bob is still signed in until the new password is set.
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(status, StatusCode::OK);

    let done = anonymous
        .post(&path, &[("password", "a brand new password")])
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Password changed"));
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "every session ended");
    app.login("bob", "a brand new password").await;
    let (status, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "bob", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");

    // The link works once.
    assert_eq!(anonymous.get(&path).await.status, StatusCode::NOT_FOUND);
    let again = anonymous
        .post(&path, &[("password", "yet another password")])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    app.login("bob", "a brand new password").await;
    // An unknown link is a 404 too.
    let page = anonymous
        .get(&format!("/reset_password/{}", "0".repeat(64)))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn an_admin_removes_and_restores_a_local_community() {
    let app = TestApp::spawn(&[]).await;
    let boss = app.admin("boss").await;
    let bob = app.user("bob").await;
    for name in ["cats", "dogs"] {
        let (status, body) = app
            .post_json(
                "/api/v1/communities",
                bob.auth(),
                json!({"name": name, "title": format!("All about {name}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            bob.auth(),
            json!({"community": "cats", "title": "Whiskers"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let whiskers = post["id"].as_i64().unwrap();
    let mut web = Visitor::signed_in(&app, &boss).await;

    // The overview's two steps: the name (a GET form), then the reason.
    let page = web.get("/admin?remove=nothing").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("id=\"remove-error\""), "{}", page.body);
    let page = web.get("/admin?remove=cats").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("action=\"/admin/communities/cats/remove\""),
        "{}",
        page.body
    );
    let long = "x".repeat(1001);
    let page = web
        .post("/admin/communities/cats/remove", &[("reason", &long)])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("id=\"reason-error\""), "{}", page.body);
    let page = web
        .post("/admin/communities/cats/remove", &[("reason", "Off topic")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = web.get("/admin").await;
    assert!(page.body.contains("id=\"removed-cats\""), "{}", page.body);
    assert!(page.body.contains("Reason: Off topic"));
    // Removed: gone from the directory, the feeds and search; its page says why; it takes no
    // posts, comments, votes or members.
    let (_, listed) = app.get_json("/api/v1/communities", None).await;
    assert!(!listed.to_string().contains("\"cats\""), "{listed}");
    let (_, feed) = app.get_json("/api/v1/posts", None).await;
    assert!(!feed.to_string().contains("Whiskers"), "{feed}");
    let (_, found) = app.get_json("/api/v1/search?q=whiskers", None).await;
    assert!(!found.to_string().contains("Whiskers"), "{found}");
    let page = web.get("/c/cats").await;
    assert!(
        page.body
            .contains("An administrator removed this community: Off topic"),
        "{}",
        page.body
    );
    let (status, refused) = app
        .post_json(
            "/api/v1/posts",
            bob.auth(),
            json!({"community": "cats", "title": "Still here?"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"], "community_removed");
    let (status, refused) = app
        .post_json(
            "/api/v1/comments",
            bob.auth(),
            json!({"post_id": whiskers, "body": "hello?"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let newcomer = app.user("newcomer").await;
    let (status, refused) = app
        .post_json("/api/v1/communities/cats/join", newcomer.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"], "community_removed");
    let again = web
        .post("/admin/communities/cats/remove", &[("reason", "Twice")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let page = web.post("/admin/communities/cats/restore", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/c/cats");
    let (_, feed) = app.get_json("/api/v1/posts", None).await;
    assert!(feed.to_string().contains("Whiskers"), "restored: {feed}");
    let page = web.get("/admin").await;
    assert!(!page.body.contains("id=\"removed-cats\""), "{}", page.body);

    // The API does the same, for admins only.
    let (status, body) = app
        .post_json(
            "/api/v1/admin/communities/dogs/remove",
            bob.auth(),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/admin/communities/dogs/remove",
            boss.auth(),
            json!({"reason": "Spam ring"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"name": "dogs", "removed": true}));
    let page = web.get("/admin").await;
    assert!(page.body.contains("Reason: Spam ring"), "{}", page.body);
    let (status, body) = app
        .post_json(
            "/api/v1/admin/communities/dogs/restore",
            boss.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"], false);
    let (status, body) = app
        .post_json(
            "/api/v1/admin/communities/dogs/restore",
            boss.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "not_removed", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn removing_a_community_reaches_the_servers_of_its_members() {
    use crate::federation_network::{
        create_community, eventually, host, join, membership, private_key, send_signed, text,
    };
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let boss = a.admin("boss").await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "town", json!({})).await;
    let town = format!("town@{}", host(&a));
    join(&b, &bob, &town).await;
    eventually("joined", || async {
        membership(&b, &bob, &town).await == "joined"
    })
    .await;
    let removed_reason =
        "select coalesce(removed_reason, '') from community where removed and name = $1";

    // A stranger's server cannot remove it on B.
    let c = TestApp::spawn(&[]).await;
    c.user("carol").await;
    let carol_id = format!("http://{}/u/carol", host(&c));
    let carol_key = private_key(&c, "carol").await;
    let group = format!("http://{}/c/town", host(&a));
    let sneaky = json!({
        "id": format!("http://{}/activities/x/{}", host(&c), uuid::Uuid::new_v4()),
        "type": "Delete", "actor": carol_id, "object": group, "summary": "Mine now",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [group],
    });
    let (status, body) = send_signed(&b, &carol_key, &carol_id, sneaky.to_string().into()).await;
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        b.refusal_code(sneaky["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("not_community_server"),
        "{body}"
    );
    assert_eq!(text(&b, removed_reason, "town").await, None);
    c.stop().await;

    let mut web = Visitor::signed_in(&a, &boss).await;
    let page = web
        .post("/admin/communities/town/remove", &[("reason", "Spam ring")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eventually("B marks the community removed", || async {
        text(&b, removed_reason, "town").await.as_deref() == Some("Spam ring")
    })
    .await;
    // Removed, it takes no new members from other servers either.
    b.user("dan").await;
    let dan_id = format!("http://{}/u/dan", host(&b));
    let dan_key = private_key(&b, "dan").await;
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{}/activities/follow/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Follow", "actor": dan_id, "object": group,
    });
    let (status, body) = send_signed(&a, &dan_key, &dan_id, follow.to_string().into()).await;
    // Refused when applied: acknowledged, and the refusal recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(follow["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("community_removed"),
        "{body}"
    );

    // A's federation page shows B in its delivery queue table.
    let page = web.get("/admin/federation").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("<th scope=\"row\">{}</th>", host(&b))),
        "{}",
        page.body
    );
    assert!(page.body.contains("badge-up"), "{}", page.body);

    let page = web.post("/admin/communities/town/restore", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eventually("B restores it", || async {
        text(&b, removed_reason, "town").await.is_none()
    })
    .await;

    // B's admin purges the remote community after a confirmation page, linked from its page
    // for admins only.
    let b_admin = b.admin("bee").await;
    let mut b_web = Visitor::signed_in(&b, &b_admin).await;
    let purge_link = format!("href=\"/admin/purge/community/{town}\"");
    let page = b_web.get(&format!("/c/{town}")).await;
    assert!(page.body.contains(&purge_link), "{}", page.body);
    let page = Visitor::signed_in(&b, &bob)
        .await
        .get(&format!("/c/{town}"))
        .await;
    assert!(!page.body.contains(&purge_link), "not for members");
    let confirm = b_web.get(&format!("/admin/purge/community/{town}")).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains(&format!("Purge {town}")),
        "{}",
        confirm.body
    );
    assert!(
        confirm
            .body
            .contains(&format!("action=\"/admin/purge/community/{town}\"")),
        "{}",
        confirm.body
    );
    let page = b_web
        .post(&format!("/admin/purge/community/{town}"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let held = "select name from community where name = $1";
    assert_eq!(text(&b, held, "town").await, None, "purged on B");
    assert!(text(&a, held, "town").await.is_some(), "still on A");
    a.stop().await;
    b.stop().await;
}

/// The federation page at a glance when a member's server is down: the server is marked down,
/// with its backlog and last error (and the screenshot the README shows).
#[tokio::test]
async fn the_federation_page_shows_a_server_that_is_down() {
    // A server counts as down after failing for a second here (ten minutes by default), and
    // retries come quickly.
    let a = TestApp::spawn(&[
        ("HEARTH__FEDERATION__DELIVERY__DOWN_AFTER_SECS", "1"),
        ("HEARTH__FEDERATION__DELIVERY__BACKOFF_BASE_MS", "200"),
    ])
    .await;
    let b = TestApp::spawn(&[]).await;
    let boss = a.admin("boss").await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    crate::federation_network::create_community(&a, &alice, "cats", json!({})).await;
    let cats = format!("cats@{}", crate::federation_network::host(&a));
    crate::federation_network::join(&b, &bob, &cats).await;
    crate::federation_network::eventually("bob is a member of cats", || async {
        crate::federation_network::member_count(&a, "cats").await == 2
    })
    .await;
    let b_host = crate::federation_network::host(&b).to_owned();
    b.stop().await;
    for title in ["Whiskers", "Naps", "Boxes"] {
        crate::federation_network::write_post(&a, &alice, "cats", title).await;
    }
    crate::federation_network::eventually("A finds B down", || async {
        let (_, queue) = a
            .get_json("/api/v1/admin/federation/queue", boss.auth())
            .await;
        queue["totals"]["hosts_down"] == 1
    })
    .await;
    let browser = Browser::start_with(
        "admin_federation_down",
        hearth_tests::browser::BrowserOptions {
            javascript: true,
            width: 1280,
            height: 900,
        },
    )
    .await;
    browser
        .run(async {
            browser.sign_in(&a.base, "boss", TEST_PASSWORD).await;
            browser.goto(&format!("{}/admin/federation", a.base)).await;
            browser.wait_for_text("main", &b_host).await;
            let queue = browser.text("main").await;
            assert!(queue.contains("down"), "{queue}");
            browser
                .screenshot(&hearth_tests::browser::screenshot_dir().join("federation-queue.png"))
                .await;
        })
        .await;
    browser.close().await;
    a.stop().await;
}
