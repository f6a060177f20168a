//! A community's moderation pages over plain HTTP (settings with rules, moderators, members and
//! join requests, bans), who may use them, and remote things shown as remote: their host, a
//! link to their original server, and a join that waits for the remote community's Accept.

use crate::federation_network::{
    create_community, eventually, host, join, membership, text, write_comment, write_post,
};
use crate::web_pages::{Page, Visitor};
use hearth_tests::app::{TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::json;

fn assert_has(page: &Page, needle: &str) {
    assert!(
        page.body.contains(needle),
        "expected {needle:?} in the page ({}):\n{}",
        page.status,
        page.body
    );
}

fn assert_lacks(page: &Page, needle: &str) {
    assert!(
        !page.body.contains(needle),
        "did not expect {needle:?} in the page ({}):\n{}",
        page.status,
        page.body
    );
}

/// The field error shown next to `field` (the paragraph the form templates put there).
fn field_error<'a>(page: &'a Page, field: &str) -> &'a str {
    let marker = format!("id=\"{field}-error\">");
    let start = page
        .body
        .find(&marker)
        .unwrap_or_else(|| panic!("no error next to {field}:\n{}", page.body))
        + marker.len();
    let end = page.body[start..].find("</p>").unwrap() + start;
    &page.body[start..end]
}

async fn api_community(app: &TestApp, owner: &TestUser, name: &str, extra: serde_json::Value) {
    create_community(app, owner, name, extra).await;
}

async fn api_join(app: &TestApp, user: &TestUser, name: &str) -> String {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/communities/{name}/join"),
            user.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["state"].as_str().unwrap().to_owned()
}

/// Every moderation page and form: its moderator gets in, a member gets 403, an anonymous
/// visitor is sent to sign in, and a form without its CSRF token is refused.
#[tokio::test]
async fn moderation_pages_are_for_moderators_only_and_forms_need_their_token() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    api_community(&app, &alice, "tea", json!({"visibility": "approval"})).await;
    api_join(&app, &bob, "tea").await;

    let mut moderator = Visitor::signed_in(&app, &alice).await;
    let mut member = Visitor::signed_in(&app, &bob).await;
    let mut anonymous = Visitor::new(&app);
    anonymous.get("/").await;

    let pages = [
        "/c/tea/edit",
        "/c/tea/moderators",
        "/c/tea/members",
        "/c/tea/members?state=joined",
        "/c/tea/bans",
        "/c/tea/bans/new?user=bob",
    ];
    for path in pages {
        let page = moderator.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        let page = member.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        assert!(
            page.location().starts_with("/login?next="),
            "{path}: {}",
            page.location()
        );
    }
    // The community page links to them for its moderators only.
    let page = moderator.get("/c/tea").await;
    for link in [
        "href=\"/c/tea/edit\"",
        "href=\"/c/tea/moderators\"",
        "href=\"/c/tea/members\"",
        "href=\"/c/tea/bans\"",
    ] {
        assert_has(&page, link);
    }
    let page = member.get("/c/tea").await;
    for link in [
        "/c/tea/moderators",
        "/c/tea/members",
        "/c/tea/bans",
        "/c/tea/edit",
    ] {
        assert_lacks(&page, link);
    }

    let forms: [(&str, &[(&str, &str)]); 7] = [
        ("/c/tea/edit", &[("title", "Tea"), ("visibility", "public")]),
        ("/c/tea/moderators", &[("user", "bob")]),
        ("/c/tea/moderators/alice/remove", &[]),
        ("/c/tea/members/bob/approve", &[]),
        ("/c/tea/members/bob/deny", &[]),
        ("/c/tea/bans", &[("user", "bob"), ("reason", "spam")]),
        ("/c/tea/bans/bob/lift", &[]),
    ];
    for (path, fields) in forms {
        let page = member.post(path, fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        let page = moderator.post_raw(path, fields, &[]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} without CSRF");
        let page = anonymous.post_raw(path, fields, &[]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path} anonymous");
        assert!(page.location().starts_with("/login?next="), "{path}");
    }
    // Nothing of that happened.
    assert_eq!(
        membership(&app, &bob, "tea").await,
        "pending",
        "the refused approvals and denials changed nothing"
    );
    let page = moderator.get("/c/tea/moderators").await;
    assert_lacks(&page, "href=\"/u/bob\"");
    app.stop().await;
}

/// Moderators are listed by seniority, added by name (an unknown name is an error next to the
/// field), and removed under the API's seniority rule, whose refusal the page shows.
#[tokio::test]
async fn moderators_are_added_by_name_and_removed_by_seniority() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.user("carol").await;
    api_community(&app, &alice, "tea", json!({})).await;
    let mut alice_web = Visitor::signed_in(&app, &alice).await;
    alice_web.get("/c/tea/moderators").await;

    let page = alice_web
        .post("/c/tea/moderators", &[("user", "nobody")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        field_error(&page, "user").contains("nobody"),
        "{}",
        page.body
    );
    assert_has(&page, "value=\"nobody\"");
    let page = alice_web.post("/c/tea/moderators", &[("user", "")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    field_error(&page, "user");

    for name in ["bob", "carol"] {
        let page = alice_web.post("/c/tea/moderators", &[("user", name)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(page.location(), "/c/tea/moderators");
    }
    let page = alice_web
        .post("/c/tea/moderators", &[("user", "bob")])
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    field_error(&page, "user");

    let page = alice_web.get("/c/tea/moderators").await;
    let (a, b, c) = (
        page.body.find("href=\"/u/alice\"").unwrap(),
        page.body.find("href=\"/u/bob\"").unwrap(),
        page.body.find("href=\"/u/carol\"").unwrap(),
    );
    assert!(a < b && b < c, "longest-serving first:\n{}", page.body);

    // Bob may not remove alice, who came before him; the page says why.
    let mut bob_web = Visitor::signed_in(&app, &bob).await;
    bob_web.get("/c/tea/moderators").await;
    let page = bob_web.post("/c/tea/moderators/alice/remove", &[]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_has(&page, "became a moderator before you did");
    assert_has(&page, "Add a moderator");
    // He may remove carol, who came after him.
    let page = bob_web.post("/c/tea/moderators/carol/remove", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, mods) = app
        .get_json("/api/v1/communities/tea/moderators", None)
        .await;
    let names: Vec<&str> = mods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    app.stop().await;
}

/// Pending join requests are listed and approved or denied from the members page.
#[tokio::test]
async fn join_requests_are_approved_and_denied_from_the_members_page() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    api_community(&app, &alice, "tea", json!({"visibility": "approval"})).await;
    for user in [&bob, &carol] {
        assert_eq!(api_join(&app, user, "tea").await, "pending");
    }
    let mut alice_web = Visitor::signed_in(&app, &alice).await;
    let page = alice_web.get("/c/tea/members").await;
    assert_has(&page, "action=\"/c/tea/members/bob/approve\"");
    assert_has(&page, "action=\"/c/tea/members/carol/deny\"");

    let page = alice_web.post("/c/tea/members/bob/approve", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = alice_web.post("/c/tea/members/carol/deny", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(membership(&app, &bob, "tea").await, "joined");
    assert_eq!(membership(&app, &carol, "tea").await, "none");

    let page = alice_web.get("/c/tea/members").await;
    assert_has(&page, "No one is waiting to join.");
    let page = alice_web.get("/c/tea/members?state=joined").await;
    assert_has(&page, "href=\"/u/bob\"");
    assert_lacks(&page, "href=\"/u/carol\"");
    let page = alice_web.get("/c/tea/members?state=everyone").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    app.stop().await;
}

/// The ban form bans with a reason, an expiry and the removal of the person's content; the bans
/// page lists the ban and lifts it; mistakes are shown next to their field.
#[tokio::test]
async fn bans_are_given_from_the_form_listed_and_lifted() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    api_community(&app, &alice, "tea", json!({})).await;
    api_join(&app, &bob, "tea").await;
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            bob.auth(),
            json!({"community": "tea", "title": "Buy cheap pills"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let post_id = post["id"].as_i64().unwrap();

    let mut alice_web = Visitor::signed_in(&app, &alice).await;
    let page = alice_web.get("/c/tea/bans/new?user=bob").await;
    assert_has(&page, "value=\"bob\"");
    assert_has(&page, "type=\"datetime-local\"");

    let page = alice_web
        .post(
            "/c/tea/bans",
            &[("user", "bob"), ("reason", "spam"), ("expires_at", "soon")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page, "expires_at").contains("date and time"));
    assert_has(&page, ">spam</textarea>");
    let page = alice_web
        .post(
            "/c/tea/bans",
            &[("user", "bob"), ("expires_at", "2001-01-01T00:00")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page, "expires_at").contains("future"));
    let page = alice_web
        .post("/c/tea/bans", &[("user", "nobody"), ("reason", "spam")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(field_error(&page, "user").contains("nobody"));
    let page = alice_web.post("/c/tea/bans", &[("user", "alice")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    field_error(&page, "user");

    let page = alice_web
        .post(
            "/c/tea/bans",
            &[
                ("user", "bob"),
                ("reason", "Selling pills"),
                ("expires_at", "2099-05-06T07:08"),
                ("remove_data", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/c/tea/bans");
    let page = alice_web.get("/c/tea/bans").await;
    assert_has(&page, "href=\"/u/bob\"");
    assert_has(&page, "Selling pills");
    assert_has(&page, "until 2099-05-06 07:08 UTC");
    // Removing their data removed the post.
    let (_, post) = app
        .get_json(&format!("/api/v1/posts/{post_id}"), alice.auth())
        .await;
    assert_eq!(post["removed"], json!(true), "{post}");
    // Bob cannot post there any more.
    let (status, _) = app
        .post_json(
            "/api/v1/posts",
            bob.auth(),
            json!({"community": "tea", "title": "Again"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let page = alice_web.post("/c/tea/bans/bob/lift", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = alice_web.get("/c/tea/bans").await;
    assert_has(&page, "No one is banned.");
    let page = alice_web.post("/c/tea/bans/bob/lift", &[]).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The settings page saves the rules (shown on the community page) with the other settings,
/// and shows mistakes next to their field.
#[tokio::test]
async fn the_settings_page_saves_rules_and_options() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    api_community(&app, &alice, "tea", json!({})).await;
    let mut alice_web = Visitor::signed_in(&app, &alice).await;
    let page = alice_web.get("/c/tea/edit").await;
    assert_has(&page, "name=\"rules\"");

    let page = alice_web
        .post(
            "/c/tea/edit",
            &[
                ("title", ""),
                ("description", "About tea"),
                ("rules", "Be kind"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    field_error(&page, "title");
    assert_has(&page, ">Be kind</textarea>");
    let long_rules = "x".repeat(10_001);
    let page = alice_web
        .post(
            "/c/tea/edit",
            &[
                ("title", "Tea"),
                ("rules", &long_rules),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(field_error(&page, "rules").contains("10000"));

    let page = alice_web
        .post(
            "/c/tea/edit",
            &[
                ("title", "Tea drinkers"),
                ("description", "About tea"),
                ("rules", "1. **No coffee** talk"),
                ("visibility", "approval"),
                ("posting_restricted_to_mods", "on"),
                ("nsfw", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = alice_web.get("/c/tea").await;
    assert_has(&page, "<strong>No coffee</strong>");
    assert_has(&page, "Moderators approve new members");
    assert_has(&page, "Only moderators post here");
    let page = alice_web.get("/c/tea/edit").await;
    assert_has(&page, ">1. **No coffee** talk</textarea>");
    let (_, c) = app.get_json("/api/v1/communities/tea", None).await;
    assert_eq!(
        (
            &c["nsfw"],
            &c["visibility"],
            &c["posting_restricted_to_mods"]
        ),
        (&json!(true), &json!("approval"), &json!(true)),
        "{c}"
    );
    assert_eq!(c["rules"], "1. **No coffee** talk");
    assert!(
        c["rules_html"]
            .as_str()
            .unwrap()
            .contains("<strong>No coffee</strong>")
    );
    // The API changes them too.
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/communities/tea",
            alice.auth(),
            Some(json!({"rules": "Only green tea"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = alice_web.get("/c/tea").await;
    assert_has(&page, "Only green tea");
    app.stop().await;
}

/// Rules edited on A's settings page reach B, whose copy shows them in its description.
#[tokio::test]
async fn rules_edited_on_the_page_reach_other_servers_in_the_description() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "tea", json!({"description": "All about tea"})).await;
    let tea = format!("tea@{}", host(&a));
    join(&b, &bob, &tea).await;
    eventually("joined", || async {
        membership(&b, &bob, &tea).await == "joined"
    })
    .await;

    let mut alice_web = Visitor::signed_in(&a, &alice).await;
    alice_web.get("/c/tea/edit").await;
    let page = alice_web
        .post(
            "/c/tea/edit",
            &[
                ("title", "About tea"),
                ("description", "All about tea"),
                ("rules", "No coffee, ever"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eventually("B's copy shows the rules", || async {
        text(
            &b,
            "select description from community where not local and name = $1",
            "tea",
        )
        .await
        .is_some_and(|d| d.contains("All about tea") && d.contains("No coffee, ever"))
    })
    .await;
    let mut bob_web = Visitor::signed_in(&b, &bob).await;
    let page = bob_web.get(&format!("/c/{tea}")).await;
    assert_has(&page, "No coffee, ever");
    // A keeps the rules apart from the description.
    let (_, c) = a.get_json("/api/v1/communities/tea", None).await;
    assert_eq!(c["description"], json!("All about tea"), "{c}");
    for app in [a, b] {
        app.stop().await;
    }
}

/// Joining a remote community from its page shows "pending" until its Accept arrives (here a
/// moderator approves the request on A's members page), then "Leave". Remote communities,
/// people, posts and comments show their host and link to their original server.
#[tokio::test]
async fn a_remote_join_waits_for_the_accept_and_remote_things_link_home() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "club", json!({"visibility": "approval"})).await;
    let club = format!("club@{}", host(&a));
    // B learns of the community (as a search would).
    let (status, found) = b
        .get_json(&format!("/api/v1/resolve?q=!{club}"), bob.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");

    let mut bob_web = Visitor::signed_in(&b, &bob).await;
    let page = bob_web.get(&format!("/c/{club}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_has(
        &page,
        &format!("href=\"{}/c/club\"", a.settings.public_base_url()),
    );
    assert_has(&page, "View on original server");
    assert_has(
        &page,
        &format!(
            "badge-remote\" title=\"This community lives on {}\"",
            host(&a)
        ),
    );
    let page = bob_web.post(&format!("/c/{club}/join"), &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = bob_web.get(&format!("/c/{club}")).await;
    assert_has(
        &page,
        &format!("Pending: waiting for {} to accept", host(&a)),
    );
    assert_eq!(membership(&b, &bob, &club).await, "pending");

    // Alice approves bob@B on A's members page.
    let bob_ref = format!("bob@{}", host(&b));
    let mut alice_web = Visitor::signed_in(&a, &alice).await;
    eventually("the request reaches A", || async {
        requested(&a, &alice, "bob").await
    })
    .await;
    let page = alice_web.get("/c/club/members").await;
    assert_has(&page, &format!("href=\"/u/{bob_ref}\""));
    let page = alice_web
        .post(&format!("/c/club/members/{bob_ref}/approve"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    eventually("the Accept arrives", || async {
        membership(&b, &bob, &club).await == "joined"
    })
    .await;
    let page = bob_web.get(&format!("/c/{club}")).await;
    assert_lacks(&page, "Pending: waiting");
    assert_has(&page, &format!("action=\"/c/{club}/leave\""));

    // A post and a comment written on A, seen on B.
    let post_ap = write_post(&a, &alice, "club", "Welcome").await;
    eventually("the post reaches B", || async {
        crate::federation_network::post_id(&b, &post_ap)
            .await
            .is_some()
    })
    .await;
    let post_on_a = crate::federation_network::post_id(&a, &post_ap)
        .await
        .unwrap();
    let comment_ap = write_comment(&a, &alice, post_on_a, None, "Hello all").await;
    eventually("the comment reaches B", || async {
        crate::federation_network::comment_id(&b, &comment_ap)
            .await
            .is_some()
    })
    .await;
    let post_on_b = crate::federation_network::post_id(&b, &post_ap)
        .await
        .unwrap();
    let comment_on_b = crate::federation_network::comment_id(&b, &comment_ap)
        .await
        .unwrap();
    let alice_ref = format!("alice@{}", host(&a));
    let page = bob_web.get(&format!("/post/{post_on_b}")).await;
    assert_has(&page, &format!("href=\"{post_ap}\""));
    assert_has(&page, "View on original server");
    assert_has(&page, &format!(">{alice_ref}</a>"));
    assert_has(&page, &format!("c/{club}"));
    let page = bob_web.get(&format!("/comment/{comment_on_b}")).await;
    assert_has(&page, &format!("href=\"{comment_ap}\""));
    let page = bob_web.get(&format!("/u/{alice_ref}")).await;
    assert_has(
        &page,
        &format!("href=\"{}/u/alice\"", a.settings.public_base_url()),
    );
    assert_has(
        &page,
        &format!(
            "badge-remote\" title=\"This account lives on {}\"",
            host(&a)
        ),
    );
    // Local things have no such link.
    let mut local_web = Visitor::signed_in(&a, &alice).await;
    let page = local_web.get(&format!("/post/{post_on_a}")).await;
    assert_lacks(&page, "View on original server");
    for app in [a, b] {
        app.stop().await;
    }
}

/// Whether the club's pending requests include a remote person named `name`.
async fn requested(app: &TestApp, moderator: &TestUser, name: &str) -> bool {
    let (_, pending) = app
        .get_json(
            "/api/v1/communities/club/members?state=pending",
            moderator.auth(),
        )
        .await;
    pending["items"]
        .as_array()
        .is_some_and(|items| items.iter().any(|m| m["person"]["name"] == json!(name)))
}
