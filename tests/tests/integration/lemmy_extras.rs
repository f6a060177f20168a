//! The remaining v3 endpoints: who voted (moderators and admins only), the account's data out
//! and back in, finishing a password reset by token, and Lemmy's errors for what Hearth does
//! not have.

use hearth_tests::app::TestApp;
use hearth_tests::lemmy::{assert_error, community, ok, v3};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The sorted keys of a JSON object.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn lemmy_vote_lists_are_for_moderators_and_admins() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let admin = app.admin("root").await;
    let cats = community(&app, &alice, "cats").await;
    for member in [&bob, &carol] {
        ok(v3(
            &app,
            Method::POST,
            "community/follow",
            Some(member),
            json!({"community_id": cats, "follow": true}),
        )
        .await);
    }
    let post = ok(v3(
        &app,
        Method::POST,
        "post",
        Some(&alice),
        json!({"name": "Whiskers", "community_id": cats}),
    )
    .await);
    let post_id = post["post_view"]["post"]["id"].as_i64().unwrap();
    let comment = ok(v3(
        &app,
        Method::POST,
        "comment",
        Some(&bob),
        json!({"content": "Lovely.", "post_id": post_id}),
    )
    .await);
    let comment_id = comment["comment_view"]["comment"]["id"].as_i64().unwrap();
    for (who, score) in [(&bob, 1), (&carol, -1)] {
        ok(v3(
            &app,
            Method::POST,
            "post/like",
            Some(who),
            json!({"post_id": post_id, "score": score}),
        )
        .await);
    }
    ok(v3(
        &app,
        Method::POST,
        "comment/like",
        Some(&carol),
        json!({"comment_id": comment_id, "score": 1}),
    )
    .await);

    // The moderator sees who voted which way, newest first, in `VoteView`s.
    let likes = ok(v3(
        &app,
        Method::GET,
        &format!("post/like/list?post_id={post_id}"),
        Some(&alice),
        Value::Null,
    )
    .await);
    assert_eq!(keys(&likes), ["post_likes"]);
    let votes = likes["post_likes"].as_array().unwrap();
    let seen: Vec<(&str, i64)> = votes
        .iter()
        .map(|v| {
            (
                v["creator"]["name"].as_str().unwrap(),
                v["score"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(seen, [("carol", -1), ("bob", 1)], "{likes}");
    assert_eq!(
        keys(&votes[0]),
        ["creator", "creator_banned_from_community", "score"]
    );
    assert_eq!(votes[0]["creator_banned_from_community"], false);
    assert_eq!(votes[0]["creator"]["id"], carol.id);
    // Paged by number.
    let second = ok(v3(
        &app,
        Method::GET,
        &format!("post/like/list?post_id={post_id}&page=2&limit=1"),
        Some(&alice),
        Value::Null,
    )
    .await);
    assert_eq!(second["post_likes"][0]["creator"]["name"], "bob");

    // So does an admin, for comments too.
    let comment_likes = ok(v3(
        &app,
        Method::GET,
        &format!("comment/like/list?comment_id={comment_id}"),
        Some(&admin),
        Value::Null,
    )
    .await);
    assert_eq!(keys(&comment_likes), ["comment_likes"]);
    assert_eq!(
        comment_likes["comment_likes"][0]["creator"]["name"],
        "carol"
    );
    assert_eq!(comment_likes["comment_likes"][0]["score"], 1);

    // Others may not; without a token, with a bad id, or for nothing there, Lemmy's errors.
    let path = format!("post/like/list?post_id={post_id}");
    assert_error(
        &v3(&app, Method::GET, &path, Some(&bob), Value::Null).await,
        StatusCode::BAD_REQUEST,
        "not_a_mod_or_admin",
    );
    assert_error(
        &v3(&app, Method::GET, &path, None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            "comment/like/list?comment_id=x",
            Some(&alice),
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/like/list?post_id=999999",
            Some(&alice),
            Value::Null,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn lemmy_settings_export_imports_back_and_a_reset_token_sets_a_password() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let admin = app.admin("root").await;
    let cats = community(&app, &alice, "cats").await;
    ok(v3(
        &app,
        Method::POST,
        "community/follow",
        Some(&bob),
        json!({"community_id": cats, "follow": true}),
    )
    .await);

    // Bob's export is Hearth's document; Carol imports it and belongs to cats too.
    let export = ok(v3(
        &app,
        Method::GET,
        "user/export_settings",
        Some(&bob),
        Value::Null,
    )
    .await);
    assert_eq!(export["format"], "hearth-account-export");
    assert_eq!(export["profile"]["name"], "bob");
    let imported = ok(v3(
        &app,
        Method::POST,
        "user/import_settings",
        Some(&carol),
        export.clone(),
    )
    .await);
    assert_eq!(imported, json!({"success": true}));
    let seen = ok(v3(
        &app,
        Method::GET,
        &format!("community?id={cats}"),
        Some(&carol),
        Value::Null,
    )
    .await);
    assert_eq!(seen["community_view"]["subscribed"], "Subscribed", "{seen}");
    assert_error(
        &v3(
            &app,
            Method::POST,
            "user/import_settings",
            Some(&carol),
            json!({"format": "lemmy"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(&app, Method::GET, "user/export_settings", None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );

    // A reset token an admin made sets Bob's password once.
    let ctx = app.context().await;
    let viewer = hearth_service::auth::authenticate(&ctx, &admin.token)
        .await
        .unwrap()
        .unwrap();
    let token = hearth_service::users::create_password_reset(&ctx, &viewer, "bob")
        .await
        .unwrap();
    let token = secrecy::ExposeSecret::expose_secret(&token).to_owned();
    let change = |password_verify: &str| json!({"token": token, "password": "a new secret 123", "password_verify": password_verify});
    assert_error(
        &v3(
            &app,
            Method::POST,
            "user/password_change",
            None,
            change("something else"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "passwords_do_not_match",
    );
    let changed = ok(v3(
        &app,
        Method::POST,
        "user/password_change",
        None,
        change("a new secret 123"),
    )
    .await);
    assert_eq!(changed, json!({"success": true}));
    let login = ok(v3(
        &app,
        Method::POST,
        "user/login",
        None,
        json!({"username_or_email": "bob", "password": "a new secret 123"}),
    )
    .await);
    assert!(login["jwt"].is_string(), "{login}");
    assert_error(
        &v3(
            &app,
            Method::POST,
            "user/password_change",
            None,
            change("a new secret 123"),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "token_not_found",
    );
}

#[tokio::test]
async fn lemmy_features_hearth_lacks_answer_lemmys_errors() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    for (method, path, body, name) in [
        (
            Method::POST,
            "comment/distinguish",
            json!({"comment_id": 1, "distinguished": true}),
            "couldnt_update_comment",
        ),
        (
            Method::POST,
            "post/hide",
            json!({"post_ids": [1], "hide": true}),
            "couldnt_hide_post",
        ),
        (
            Method::POST,
            "site/block",
            json!({"instance_id": 1, "block": true}),
            "couldnt_update_user",
        ),
        (
            Method::POST,
            "user/verify_email",
            json!({"token": "abc"}),
            "no_email_setup",
        ),
        (
            Method::GET,
            "post/site_metadata?url=https%3A%2F%2Fexample.com%2F",
            Value::Null,
            "couldnt_find_object",
        ),
        (
            Method::GET,
            "post/site_metadata?url=not%20a%20url",
            Value::Null,
            "invalid_url",
        ),
        (
            Method::GET,
            "post/site_metadata?url=ftp%3A%2F%2Fexample.com%2F",
            Value::Null,
            "invalid_url_scheme",
        ),
    ] {
        let answer = v3(&app, method, path, Some(&alice), body).await;
        assert_error(&answer, StatusCode::BAD_REQUEST, name);
    }
}
