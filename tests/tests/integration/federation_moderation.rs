//! Community moderation across three real instances: a remote moderator's removals, bans with
//! and without their content, locks and pins, moderators added and removed, refusals of
//! non-moderators locally and at the inbox, and the mod log.

use crate::federation_network::{
    comment_id, create_community, eventually, host, join, membership, post_id, private_key, scalar,
    send_signed, write_comment, write_post,
};
use hearth_tests::app::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn flag(app: &TestApp, table: &str, column: &str, ap_id: &str) -> Option<bool> {
    let pool = app.db.pool().await;
    let value: Option<bool> =
        sqlx::query_scalar(&format!("select {column} from {table} where ap_id = $1"))
            .bind(ap_id)
            .fetch_optional(&pool)
            .await
            .unwrap();
    pool.close().await;
    value
}

async fn banned(app: &TestApp, person: &str) -> bool {
    scalar(
        app,
        "select count(*) from community_ban b join person p on p.id = b.person_id where p.name = $1",
        person,
    )
    .await
        == Some(1)
}

async fn moderates(app: &TestApp, person: &str) -> bool {
    scalar(
        app,
        "select count(*) from community_moderator m join person p on p.id = m.person_id
         where p.name = $1",
        person,
    )
    .await
        == Some(1)
}

#[tokio::test]
async fn moderation_reaches_every_instance_and_strangers_are_refused() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    let bea = b.user("bea").await;
    let carol = c.user("carol").await;
    create_community(&a, &alice, "town", json!({})).await;
    let town = format!("town@{}", host(&a));
    for (app, user) in [(&b, &bob), (&b, &bea), (&c, &carol)] {
        join(app, user, &town).await;
        eventually("joined", || async {
            membership(app, user, &town).await == "joined"
        })
        .await;
    }
    let bob_ref = format!("bob@{}", host(&b));
    let bea_ref = format!("bea@{}", host(&b));

    // Alice makes bob (on B) a moderator; B learns it.
    let (status, body) = a
        .post_json(
            "/api/v1/communities/town/moderators",
            alice.auth(),
            json!({"user": bob_ref}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("B knows bob moderates", || moderates(&b, "bob")).await;

    // Carol posts; bob removes it from B; removed on A, B and C; then restored.
    let post = write_post(&c, &carol, &town, "Spam?").await;
    for app in [&a, &b] {
        eventually("the post arrives", || async {
            post_id(app, &post).await.is_some()
        })
        .await;
    }
    let on_b = post_id(&b, &post).await.unwrap();
    let (status, body) = b
        .post_json(
            &format!("/api/v1/posts/{on_b}/remove"),
            bob.auth(),
            json!({"reason": "off topic"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"], true);
    for app in [&a, &b, &c] {
        eventually("removed everywhere", || async {
            flag(app, "post", "removed", &post).await == Some(true)
        })
        .await;
    }
    let (status, _) = b
        .post_json(
            &format!("/api/v1/posts/{on_b}/restore"),
            bob.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for app in [&a, &b, &c] {
        eventually("restored everywhere", || async {
            flag(app, "post", "removed", &post).await == Some(false)
        })
        .await;
    }

    // Bea comments; a ban with remove_data removes it everywhere and refuses her next one.
    let post_on_b = post_id(&b, &post).await.unwrap();
    let beas = write_comment(&b, &bea, post_on_b, None, "first").await;
    for app in [&a, &c] {
        eventually("bea's comment arrives", || async {
            comment_id(app, &beas).await.is_some()
        })
        .await;
    }
    let (status, body) = a
        .post_json(
            "/api/v1/communities/town/bans",
            alice.auth(),
            json!({"user": bea_ref, "reason": "trolling", "remove_data": true,
                   "expires_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for app in [&a, &b, &c] {
        eventually("the ban is known", || banned(app, "bea")).await;
        eventually("her content is removed", || async {
            flag(app, "comment", "removed", &beas).await == Some(true)
        })
        .await;
    }
    let (status, body) = b
        .post_json(
            "/api/v1/comments",
            bea.auth(),
            json!({"post_id": post_on_b, "body": "again"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("banned_from_community"))
    );
    // Were B to send it anyway, A refuses it, so C never sees it.
    let bea_id = format!("http://{}/u/bea", host(&b));
    let sneaky = json!({
        "id": format!("http://{}/activities/create/sneaky", host(&b)),
        "type": "Create", "actor": bea_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"type": "Note", "id": format!("http://{}/comment/9999", host(&b)),
                   "attributedTo": bea_id, "inReplyTo": post, "content": "sneaky",
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    });
    let bea_key = private_key(&b, "bea").await;
    let (status, body) = send_signed(&a, &bea_key, &bea_id, sneaky.to_string().into()).await;
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(sneaky["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("banned_from_community")
    );
    // Unbanned, she writes again, and everyone sees it.
    let (status, _) = a
        .call(
            Method::DELETE,
            &format!("/api/v1/communities/town/bans/{bea_ref}"),
            alice.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("B learns of the unban", || async {
        !banned(&b, "bea").await
    })
    .await;
    let again = write_comment(&b, &bea, post_on_b, None, "sorry").await;
    for app in [&a, &c] {
        eventually("her new comment arrives", || async {
            comment_id(app, &again).await.is_some()
        })
        .await;
    }

    // Lock: no new comments from any instance. Pin: in the featured collection.
    let on_a = post_id(&a, &post).await.unwrap();
    for path in ["lock", "pin"] {
        let (status, body) = a
            .post_json(
                &format!("/api/v1/posts/{on_a}/{path}"),
                alice.auth(),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for app in [&b, &c] {
        eventually("the lock arrives", || async {
            flag(app, "post", "locked", &post).await == Some(true)
        })
        .await;
    }
    let post_on_c = post_id(&c, &post).await.unwrap();
    // Nobody but moderators comments on a locked post, on any of the three servers.
    let ann = a.user("ann").await;
    for (app, user, id) in [
        (&a, &ann, on_a),
        (&b, &bea, post_on_b),
        (&c, &carol, post_on_c),
    ] {
        let (status, body) = app
            .post_json(
                "/api/v1/comments",
                user.auth(),
                json!({"post_id": id, "body": "locked?"}),
            )
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("locked"))
        );
    }
    // A moderator still may (as on Lemmy), and the comment reaches the others.
    let note = write_comment(&a, &alice, on_a, None, "Locked: see the rules").await;
    eventually("the moderator's comment arrives", || async {
        comment_id(&c, &note).await.is_some()
    })
    .await;
    let featured: Value = b
        .client
        .get(format!("http://{}/c/town/featured", host(&a)))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(featured["totalItems"], 1);
    assert_eq!(featured["orderedItems"][0]["id"], post);
    eventually("B knows the pin", || async {
        flag(&b, "post", "featured", &post).await == Some(true)
    })
    .await;

    // Strangers: carol moderates nothing. Locally: 403. At A's inbox: 403 for each kind.
    let (status, body) = c
        .post_json(
            &format!("/api/v1/posts/{post_on_c}/unlock"),
            carol.auth(),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );
    let carol_id = format!("http://{}/u/carol", host(&c));
    let carol_key = private_key(&c, "carol").await;
    let community = format!("http://{}/c/town", host(&a));
    let alices_post = write_post(&a, &alice, "town", "Alice's").await;
    for (kind, object, target) in [
        ("Delete", json!(alices_post), None),
        ("Lock", json!(alices_post), None),
        ("Block", json!(bea_id), Some(json!(community))),
        (
            "Add",
            json!(carol_id),
            Some(json!(format!("{community}/moderators"))),
        ),
        (
            "Remove",
            json!(format!("http://{}/u/alice", host(&a))),
            Some(json!(format!("{community}/moderators"))),
        ),
    ] {
        let mut activity = json!({
            "id": format!("http://{}/activities/x/{}", host(&c), uuid::Uuid::new_v4()),
            "type": kind, "actor": carol_id, "object": object,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [community],
        });
        if let Some(target) = target {
            activity["target"] = target;
        }
        let (status, body) =
            send_signed(&a, &carol_key, &carol_id, activity.to_string().into()).await;
        // Refused when applied: acknowledged, and the refusal recorded for admins.
        assert_eq!(status, StatusCode::ACCEPTED, "{kind}: {body}");
        assert_eq!(
            a.refusal_code(activity["id"].as_str().unwrap())
                .await
                .as_deref(),
            Some("not_moderator"),
            "{kind}"
        );
    }
    assert_eq!(flag(&a, "post", "removed", &alices_post).await, Some(false));
    assert_eq!(flag(&a, "post", "locked", &alices_post).await, Some(false));

    // Bob stops being a moderator: his next removal is refused on B, and at A's inbox.
    let (status, body) = a
        .call(
            Method::DELETE,
            &format!("/api/v1/communities/town/moderators/{bob_ref}"),
            alice.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("B learns bob no longer moderates", || async {
        !moderates(&b, "bob").await
    })
    .await;
    eventually("alice's post reaches B", || async {
        post_id(&b, &alices_post).await.is_some()
    })
    .await;
    let alices_on_b = post_id(&b, &alices_post).await.unwrap();
    let (status, body) = b
        .post_json(
            &format!("/api/v1/posts/{alices_on_b}/remove"),
            bob.auth(),
            json!({"reason": "revenge"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_moderator"))
    );
    let bob_id = format!("http://{}/u/bob", host(&b));
    let bob_key = private_key(&b, "bob").await;
    let removal = json!({
        "id": format!("http://{}/activities/delete/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Delete", "actor": bob_id, "object": alices_post, "summary": "revenge",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [community],
    });
    let (status, body) = send_signed(&a, &bob_key, &bob_id, removal.to_string().into()).await;
    // Refused when applied: acknowledged, and the refusal recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(removal["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("not_moderator"),
        "{body}"
    );

    // The mod log lists it all, with reasons, and filters.
    let (status, log) = a
        .get_json("/api/v1/modlog?community=town&limit=100", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .rev()
        .collect();
    assert_eq!(
        actions,
        [
            "add_moderator",
            "remove_post",
            "restore_post",
            "ban",
            "unban",
            "lock_post",
            "pin_post",
            "remove_moderator"
        ]
    );
    let removal = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "remove_post")
        .unwrap();
    assert_eq!(removal["reason"], "off topic");
    assert_eq!(removal["moderator"], bob_ref.as_str());
    let (_, bans) = a
        .get_json("/api/v1/modlog?action=ban&moderator=alice", None)
        .await;
    assert_eq!(bans["items"][0]["reason"], "trolling");
    assert_eq!(bans["items"][0]["target_user"], bea_ref.as_str());
    let (status, body) = a.get_json("/api/v1/modlog?action=explode", None).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("action"))
    );
    for app in [a, b, c] {
        app.stop().await;
    }
}

/// A community's new settings reach its followers; posting restricted to moderators holds for
/// remote members too, locally on their server and at the community's inbox.
#[tokio::test]
async fn community_settings_federate_and_bind_remote_members() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "notices", json!({})).await;
    let notices = format!("notices@{}", host(&a));
    join(&b, &bob, &notices).await;
    eventually("joined", || async {
        membership(&b, &bob, &notices).await == "joined"
    })
    .await;
    let (status, body) = a
        .call(
            Method::PATCH,
            "/api/v1/communities/notices",
            alice.auth(),
            Some(
                json!({"title": "Official notices", "description": "Read *only*",
                        "posting_restricted_to_mods": true}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("B has the new settings", || async {
        let (_, c) = b
            .get_json(&format!("/api/v1/communities/{notices}"), bob.auth())
            .await;
        c["title"] == "Official notices" && c["posting_restricted_to_mods"] == true
    })
    .await;
    let (status, body) = b
        .post_json(
            "/api/v1/posts",
            bob.auth(),
            json!({"community": notices, "title": "Hello"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("posting_restricted"))
    );
    let bob_id = format!("http://{}/u/bob", host(&b));
    let community = format!("http://{}/c/notices", host(&a));
    let create = json!({
        "id": format!("http://{}/activities/create/{}", host(&b), uuid::Uuid::new_v4()),
        "type": "Create", "actor": bob_id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [community],
        "object": {"type": "Page", "id": format!("http://{}/post/4242", host(&b)),
                   "attributedTo": bob_id, "name": "Hello anyway", "audience": community,
                   "to": [community, "https://www.w3.org/ns/activitystreams#Public"]}
    });
    let key = private_key(&b, "bob").await;
    let (status, body) = send_signed(&a, &key, &bob_id, create.to_string().into()).await;
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(create["id"].as_str().unwrap())
            .await
            .as_deref(),
        Some("posting_restricted")
    );
    let (_, log) = a
        .get_json(
            "/api/v1/modlog?community=notices&action=update_community",
            None,
        )
        .await;
    assert_eq!(log["items"][0]["moderator"], "alice");
    for app in [a, b] {
        app.stop().await;
    }
}
