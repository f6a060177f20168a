//! People speaking about themselves across servers: a profile edit (`Update{Person}`) and a
//! deleted account (`Delete{Person}`, keeping or removing what they wrote), both ways between
//! two real instances; the communities a deleted last moderator leaves behind; and the shapes
//! Lemmy and Mastodon send, from a server of our own making (Evil).

use crate::federation_network::{
    create_community, eventually, host, join, member_count, membership, post_id, scalar, state_of,
    text, write_comment, write_post,
};
use crate::web_pages::Visitor;
use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::hostile::{Evil, PUBLIC};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Two instances that know each other's people through communities: dave's `kitchen` on B,
/// which A's alice joined; carol's `garden` on A, which alice and B's bob joined.
struct Pair {
    a: TestApp,
    b: TestApp,
    alice: TestUser,
    bob: TestUser,
    /// `kitchen@B`.
    kitchen: String,
    /// `garden@A`.
    garden: String,
}

async fn pair() -> Pair {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    let dave = b.user("dave").await;
    create_community(&b, &dave, "kitchen", json!({})).await;
    create_community(&a, &carol, "garden", json!({})).await;
    let kitchen = format!("kitchen@{}", host(&b));
    let garden = format!("garden@{}", host(&a));
    let (status, joined) = a
        .post_json("/api/v1/communities/garden/join", alice.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{joined}");
    for (app, user, community) in [(&a, &alice, &kitchen), (&b, &bob, &garden)] {
        join(app, user, community).await;
        eventually("the Accept arrives", || async {
            membership(app, user, community).await == "joined"
        })
        .await;
    }
    Pair {
        a,
        b,
        alice,
        bob,
        kitchen,
        garden,
    }
}

/// A person's profile as `app` shows it (`name` or `name@host`).
async fn profile(app: &TestApp, user: &str) -> Value {
    let (status, person) = app.get_json(&format!("/api/v1/users/{user}"), None).await;
    assert_eq!(status, StatusCode::OK, "{person}");
    person
}

async fn edit_profile(app: &TestApp, user: &TestUser, display_name: &str, bio: &str) {
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/me/profile",
            user.auth(),
            Some(json!({"display_name": display_name, "bio": bio})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

async fn delete_account(app: &TestApp, user: &TestUser, delete_content: bool) {
    let (status, body) = app
        .post_json(
            "/api/v1/account/delete",
            user.auth(),
            json!({"password": TEST_PASSWORD, "delete_content": delete_content}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
}

/// A post as `app` shows it, by its ActivityPub id.
async fn post_view(app: &TestApp, ap_id: &str) -> Value {
    let id = post_id(app, ap_id).await.expect("the post is here");
    let (status, post) = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{post}");
    post
}

/// What a deleted account leaves on its own server: no way in, and its name stays taken.
async fn assert_gone_at_home(app: &TestApp, user: &TestUser) {
    let (status, me) = app.get_json("/api/v1/me", user.auth()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token ended: {me}"
    );
    let (status, login) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": user.name, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no sign-in: {login}");
    let (status, again) = app
        .post_json(
            "/api/v1/accounts",
            None,
            json!({"username": user.name, "password": "a brand new password"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["error"], "name_taken");
}

/// alice (A) changes her profile: B, where she is a member of `kitchen` and where bob shares
/// `garden` with her, shows it; then bob (B) changes his and A shows it. Each server is sent the
/// Update once, however many ways it knows the person.
#[tokio::test]
async fn a_profile_edit_reaches_the_servers_that_know_the_person_both_ways() {
    let Pair {
        a, b, alice, bob, ..
    } = pair().await;
    let alice_on_b = format!("alice@{}", host(&a));
    let bob_on_a = format!("bob@{}", host(&b));

    edit_profile(&a, &alice, "Alice of A", "I grow *tomatoes*.").await;
    eventually("B shows alice's new profile", || async {
        profile(&b, &alice_on_b).await["display_name"] == "Alice of A"
    })
    .await;
    let shown = profile(&b, &alice_on_b).await;
    assert_eq!(shown["bio"], "I grow *tomatoes*.");
    assert!(
        shown["bio_html"]
            .as_str()
            .unwrap()
            .contains("<em>tomatoes</em>"),
        "{shown}"
    );
    let updates = scalar(
        &a,
        "select count(*) from delivery_history d join outbox_activity o on o.id = d.activity_id
         where o.kind = 'Update' and o.actor_ap_id = $1",
        &format!("http://{}/u/alice", host(&a)),
    )
    .await;
    assert_eq!(updates, Some(1), "one delivery to B's shared inbox");

    edit_profile(&b, &bob, "Bob of B", "").await;
    eventually("A shows bob's new profile", || async {
        profile(&a, &bob_on_a).await["display_name"] == "Bob of B"
    })
    .await;

    // Clearing the display name clears it elsewhere too.
    edit_profile(&a, &alice, "", "").await;
    eventually("B clears alice's display name", || async {
        profile(&b, &alice_on_b).await["display_name"].is_null()
    })
    .await;
    assert_eq!(profile(&b, &alice_on_b).await["bio"], "");
}

/// alice (A) deletes her account keeping what she wrote: a wrong password first changes
/// nothing; then her tokens end, her name stays taken, and B shows her as deleted, her post in
/// `kitchen` still there under "[deleted]", and her membership gone.
#[tokio::test]
async fn deleting_an_account_and_keeping_its_content_federates() {
    let Pair {
        a,
        b,
        alice,
        kitchen,
        ..
    } = pair().await;
    let alice_on_b = format!("alice@{}", host(&a));
    let soup = write_post(&a, &alice, &kitchen, "Soup").await;
    eventually("alice's post reaches B", || async {
        post_id(&b, &soup).await.is_some()
    })
    .await;
    assert_eq!(member_count(&b, "kitchen").await, 2, "dave and alice");

    let (status, refused) = a
        .post_json(
            "/api/v1/account/delete",
            alice.auth(),
            json!({"password": "not the password", "delete_content": false}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"], "wrong_password");
    let (status, _) = a.get_json("/api/v1/me", alice.auth()).await;
    assert_eq!(status, StatusCode::OK, "a wrong password deletes nothing");

    delete_account(&a, &alice, false).await;
    assert_gone_at_home(&a, &alice).await;
    let at_home = post_view(&a, &soup).await;
    assert_eq!(at_home["deleted"], false);
    assert_eq!(at_home["author"]["deleted"], true);
    assert_eq!(at_home["author"]["display_name"], "[deleted]");

    eventually("B shows alice deleted", || async {
        profile(&b, &alice_on_b).await["deleted"] == true
    })
    .await;
    assert_eq!(profile(&b, &alice_on_b).await["display_name"], "[deleted]");
    let on_b = post_view(&b, &soup).await;
    assert_eq!(on_b["deleted"], false, "kept: {on_b}");
    assert_eq!(on_b["body"], "Soup, in words");
    assert_eq!(on_b["author"]["deleted"], true);
    assert_eq!(on_b["author"]["display_name"], "[deleted]");
    assert_eq!(member_count(&b, "kitchen").await, 1, "alice left");
    let deletes = scalar(
        &a,
        "select count(*) from delivery_history d join outbox_activity o on o.id = d.activity_id
         where o.kind = 'Delete' and o.actor_ap_id = $1",
        &format!("http://{}/u/alice", host(&a)),
    )
    .await;
    assert_eq!(deletes, Some(1), "one Delete{{Person}} to B");
    let page = b
        .get(&format!("/post/{}", post_id(&b, &soup).await.unwrap()))
        .await;
    let html = page.text().await.unwrap();
    assert!(html.contains("[deleted]"), "the page names no author");
}

/// bob (B) deletes his account with his content: his post and comment in A's `garden` are
/// deleted and blanked on A and at home, A shows him deleted, and he left `garden`.
#[tokio::test]
async fn deleting_an_account_with_its_content_federates() {
    let Pair {
        a,
        b,
        alice,
        bob,
        garden,
        ..
    } = pair().await;
    let bob_on_a = format!("bob@{}", host(&b));
    let compost = write_post(&b, &bob, &garden, "Compost").await;
    eventually("bob's post reaches A", || async {
        post_id(&a, &compost).await.is_some()
    })
    .await;
    let on_b = post_id(&b, &compost).await.unwrap();
    let remark = write_comment(&b, &bob, on_b, None, "Turn it weekly").await;
    eventually("bob's comment reaches A", || async {
        scalar(&a, "select id from comment where ap_id = $1", &remark)
            .await
            .is_some()
    })
    .await;
    // alice answers: her reply stays whatever becomes of bob's content.
    let on_a = post_id(&a, &compost).await.unwrap();
    let reply = write_comment(&a, &alice, on_a, None, "Will do").await;
    assert_eq!(member_count(&a, "garden").await, 3, "carol, alice and bob");

    delete_account(&b, &bob, true).await;
    assert_gone_at_home(&b, &bob).await;
    for (app, what) in [(&b, "at home"), (&a, "on A")] {
        eventually(&format!("bob's post is deleted {what}"), || async {
            state_of(app, "post", &compost)
                .await
                .is_some_and(|s| s.3 && s.4.is_empty())
        })
        .await;
        eventually(&format!("bob's comment is deleted {what}"), || async {
            state_of(app, "comment", &remark)
                .await
                .is_some_and(|s| s.3 && s.4.is_empty())
        })
        .await;
    }
    assert_eq!(profile(&a, &bob_on_a).await["deleted"], true);
    let reply_state = state_of(&a, "comment", &reply).await.unwrap();
    assert!(!reply_state.3, "alice's reply stays");
    assert_eq!(member_count(&a, "garden").await, 2, "bob left");
    let post = post_view(&a, &compost).await;
    assert_eq!(post["deleted"], true);
    assert_eq!(post["author"]["display_name"], "[deleted]");

    // A late activity signed by bob's old key is refused: A takes nothing more from him.
    let bob_id = format!("http://{}/u/bob", host(&b));
    let key = crate::federation_network::private_key(&b, "bob").await;
    let late = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("http://{}/activities/like/late", host(&b)),
        "type": "Like",
        "actor": bob_id,
        "object": compost,
    });
    let (status, answer) = crate::federation_network::send_signed(
        &a,
        &key,
        &bob_id,
        serde_json::to_vec(&late).unwrap(),
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"], "deleted_account");
}

/// alice is the only moderator of `orchard` and one of two of `grove`: when she deletes her
/// account the admin moderates `orchard` (the mod log says why), and `grove` keeps carol.
#[tokio::test]
async fn the_last_moderators_communities_pass_to_the_admins() {
    let a = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let carol = a.user("carol").await;
    create_community(&a, &alice, "orchard", json!({})).await;
    create_community(&a, &alice, "grove", json!({})).await;
    let (status, added) = a
        .post_json(
            "/api/v1/communities/grove/moderators",
            alice.auth(),
            json!({"user": "carol"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{added}");

    delete_account(&a, &alice, false).await;

    let names = |list: Value| -> Vec<String> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, orchard) = a
        .get_json("/api/v1/communities/orchard/moderators", None)
        .await;
    assert_eq!(names(orchard), ["site_admin"]);
    let (_, grove) = a
        .get_json("/api/v1/communities/grove/moderators", None)
        .await;
    assert_eq!(names(grove), [carol.name.as_str()]);
    let (status, log) = a
        .get_json(
            "/api/v1/modlog?community=orchard&action=add_moderator",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entries = log["items"].as_array().unwrap();
    let handover = entries
        .iter()
        .find(|e| e["target_user"] == "site_admin")
        .unwrap_or_else(|| panic!("no hand-over entry: {log}"));
    assert_eq!(handover["moderator"], "site_admin");
    assert!(
        handover["reason"]
            .as_str()
            .unwrap()
            .contains("deleted their account"),
        "{handover}"
    );
    let (_, grove_log) = a
        .get_json("/api/v1/modlog?community=grove&action=add_moderator", None)
        .await;
    assert!(
        grove_log["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["target_user"] != "site_admin"),
        "grove still has carol: {grove_log}"
    );
}

/// Evil's mallory, as Mastodon and Lemmy send them: an `Update{Person}` of herself (her bio
/// with a script, which is sanitised away) and a `Delete{Person}` of herself with `removeData`,
/// which deletes her post in A's community.
#[tokio::test]
async fn updates_and_deletions_in_mastodon_and_lemmy_shapes_are_taken() {
    let a = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "market", json!({})).await;
    let market = format!("http://{}/c/market", host(&a));
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let stall = evil.url("/post/1");
    let create = json!({
        "id": evil.activity_id("Create"), "type": "Create", "actor": mallory,
        "to": [PUBLIC], "cc": [market], "audience": market,
        "object": {
            "type": "Page", "id": stall, "attributedTo": mallory, "name": "Market stall",
            "content": "<p>Fresh fish</p>", "mediaType": "text/html",
            "source": {"content": "Fresh fish", "mediaType": "text/markdown"},
            "to": [market, PUBLIC], "cc": [], "audience": market,
        },
    });
    let (status, body) = evil.send(&a, "/u/mallory", create).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // Mastodon: the whole actor, with its own fields, as the object.
    let mut actor: Value = reqwest::Client::new()
        .get(&mallory)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    actor["name"] = json!("Mallory the Fishmonger");
    actor["summary"] = json!("<p>Fish <script>alert(1)</script>daily</p>");
    actor["url"] = json!(evil.url("/@mallory"));
    actor["manuallyApprovesFollowers"] = json!(false);
    actor["discoverable"] = json!(true);
    actor["attachment"] = json!([]);
    actor.as_object_mut().unwrap().remove("@context");
    let update = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": format!("{mallory}#updates/1764640000"),
        "type": "Update", "actor": mallory, "to": [PUBLIC], "object": actor,
    });
    let (status, body) = evil.send(&a, "/u/mallory", update).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let shown = profile(&a, &format!("mallory@{}", evil.authority())).await;
    assert_eq!(shown["display_name"], "Mallory the Fishmonger");
    let bio = shown["bio_html"].as_str().unwrap();
    assert!(bio.contains("Fish") && !bio.contains("script"), "{bio}");

    // Lemmy: the person's id as the object, `removeData`.
    let delete = json!({
        "id": evil.activity_id("Delete"), "type": "Delete", "actor": mallory,
        "to": [PUBLIC], "object": mallory, "removeData": true,
    });
    let (status, body) = evil.send(&a, "/u/mallory", delete).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deleted = text(
        &a,
        "select deleted::text from person where ap_id = $1",
        &mallory,
    )
    .await;
    assert_eq!(deleted.as_deref(), Some("true"));
    let stall_state = state_of(&a, "post", &stall).await.unwrap();
    assert!(stall_state.3 && stall_state.4.is_empty(), "{stall_state:?}");

    // A deleted person does not come back through a later Update: the inbox takes nothing
    // more from a deleted account.
    let mut again = actor.clone();
    again["name"] = json!("Mallory returns");
    let update = json!({
        "id": format!("{mallory}#updates/1764650000"),
        "type": "Update", "actor": mallory, "to": [PUBLIC], "object": again,
    });
    let (status, body) = evil.send(&a, "/u/mallory", update).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "deleted_account");
    let shown = profile(&a, &format!("mallory@{}", evil.authority())).await;
    assert_eq!(shown["deleted"], true);
    assert_eq!(shown["display_name"], "[deleted]");
}

/// The settings page's form: a wrong password or no choice is shown on a page with the form
/// again; the right one deletes the account, signs the browser out, and the post stays with its
/// author shown as "[deleted]".
#[tokio::test]
async fn the_settings_page_deletes_the_account_after_the_password() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "art", json!({})).await;
    let sketch = write_post(&app, &alice, "art", "Sketch").await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;

    let settings = visitor.get("/settings").await;
    assert!(
        settings.body.contains("action=\"/settings/delete\"")
            && settings.body.contains("name=\"content\" value=\"remove\""),
        "{}",
        settings.body
    );
    let page = visitor
        .post(
            "/settings/delete",
            &[("password", "not the password"), ("content", "remove")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(
        page.body.contains(
            "<p class=\"field-error\" id=\"password-error\">The password is not this account"
        ),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"remove\" checked"),
        "the choice is kept"
    );
    let page = visitor
        .post("/settings/delete", &[("password", TEST_PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    let (status, _) = app.get_json("/api/v1/me", alice.auth()).await;
    assert_eq!(status, StatusCode::OK, "nothing deleted yet");

    let page = visitor
        .post(
            "/settings/delete",
            &[("password", TEST_PASSWORD), ("content", "keep")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/");
    let settings = visitor.get("/settings").await;
    assert_eq!(settings.status, StatusCode::SEE_OTHER, "signed out");
    assert_gone_at_home(&app, &alice).await;
    let id = post_id(&app, &sketch).await.unwrap();
    let post = visitor.get(&format!("/post/{id}")).await;
    assert!(
        post.body.contains("[deleted]") && post.body.contains("Sketch, in words"),
        "{}",
        post.body
    );
}
