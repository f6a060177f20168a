//! Sessions end: a token unused for the idle lifetime, or older than the absolute lifetime, is
//! refused by the API (401 `invalid_token`) and signs a browser out; housekeeping deletes it;
//! "sign out everywhere" ends them all, from the API and from the settings page.

use crate::web_pages::Visitor;
use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Signs `user` in once more through the API; returns the new token.
async fn login(app: &TestApp, user: &TestUser) -> String {
    let (status, body) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": user.name, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// The id of the token most recently issued to `user`.
async fn newest_token_id(app: &TestApp, token: &str) -> i64 {
    let (status, list) = app.get_json("/api/v1/auth/tokens", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"][0]["id"].as_i64().unwrap()
}

/// Runs SQL against the instance's database.
async fn execute(app: &TestApp, sql: &str, id: i64) {
    let pool = app.db.pool().await;
    sqlx::query(sql).bind(id).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn token_rows(app: &TestApp, person_id: i64) -> i64 {
    let pool = app.db.pool().await;
    let count: i64 = sqlx::query_scalar("select count(*) from auth_token where person_id = $1")
        .bind(person_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    count
}

fn assert_invalid_token(status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_token", "{body}");
}

#[tokio::test]
async fn idle_and_old_tokens_are_refused_and_housekeeping_deletes_them() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let idle = alice.token.clone();
    let idle_id = newest_token_id(&app, &idle).await;
    let old = login(&app, &alice).await;
    let old_id = newest_token_id(&app, &old).await;
    let fresh = login(&app, &alice).await;
    // Unused for 31 days (the idle lifetime is 30), and signed in 366 days ago while used just
    // now (the absolute lifetime is 365).
    execute(
        &app,
        "update auth_token set last_used_at = now() - interval '31 days' where id = $1",
        idle_id,
    )
    .await;
    execute(
        &app,
        "update auth_token set created_at = now() - interval '366 days' where id = $1",
        old_id,
    )
    .await;
    for token in [&idle, &old] {
        let (status, body) = app.get_json("/api/v1/me", Some(token)).await;
        assert_invalid_token(status, &body);
        // Optional-auth endpoints refuse it too: the client should learn it is signed out.
        let (status, body) = app.get_json("/api/v1/posts", Some(token)).await;
        assert_invalid_token(status, &body);
    }
    let (status, me) = app.get_json("/api/v1/me", Some(&fresh)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    // The list shows live tokens only.
    let (_, list) = app.get_json("/api/v1/auth/tokens", Some(&fresh)).await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "{list}");
    assert!(!ids.contains(&idle_id) && !ids.contains(&old_id), "{list}");
    // The rows stay until housekeeping runs, which deletes the ended ones only.
    assert_eq!(token_rows(&app, alice.id).await, 3);
    let ctx = hearth_service::ServiceContext::new(app.db.pool().await, app.settings.clone());
    hearth_service::maintenance::run(&ctx).await.unwrap();
    assert_eq!(token_rows(&app, alice.id).await, 1);
    let (status, _) = app.get_json("/api/v1/me", Some(&fresh)).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

/// A token stored for an account after it was deleted (a sign-in whose password check raced the
/// deletion) is refused like an ended one.
#[tokio::test]
async fn a_deleted_accounts_token_is_refused() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    execute(
        &app,
        "update person set deleted = true, deleted_at = now() where id = $1",
        alice.id,
    )
    .await;
    let (status, body) = app.get_json("/api/v1/me", alice.auth()).await;
    assert_invalid_token(status, &body);
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn the_lifetimes_come_from_the_settings() {
    let app = TestApp::spawn(&[
        ("HEARTH__SESSIONS__IDLE_LIFETIME_SECS", "120"),
        ("HEARTH__SESSIONS__ABSOLUTE_LIFETIME_SECS", "600"),
    ])
    .await;
    let alice = app.user("alice").await;
    let id = newest_token_id(&app, &alice.token).await;
    // Used a minute ago: still alive under a two-minute idle lifetime.
    execute(
        &app,
        "update auth_token set last_used_at = now() - interval '1 minute' where id = $1",
        id,
    )
    .await;
    let (status, body) = app.get_json("/api/v1/me", alice.auth()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    execute(
        &app,
        "update auth_token set last_used_at = now() - interval '3 minutes' where id = $1",
        id,
    )
    .await;
    let (status, body) = app.get_json("/api/v1/me", alice.auth()).await;
    assert_invalid_token(status, &body);
    // Eleven minutes after sign-in, even a token in use has ended.
    let token = login(&app, &alice).await;
    let id = newest_token_id(&app, &token).await;
    execute(
        &app,
        "update auth_token set created_at = now() - interval '11 minutes' where id = $1",
        id,
    )
    .await;
    let (status, body) = app.get_json("/api/v1/me", Some(&token)).await;
    assert_invalid_token(status, &body);
    app.stop().await;
}

#[test]
fn lifetimes_out_of_range_are_refused_at_start() {
    let load = |pairs: &[(&str, &str)]| {
        hearth::config::load(
            None,
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    };
    let defaults = load(&[]).unwrap();
    assert_eq!(defaults.sessions.idle_lifetime_secs, 30 * 24 * 3600);
    assert_eq!(defaults.sessions.absolute_lifetime_secs, 365 * 24 * 3600);
    for (pairs, key) in [
        (
            vec![("HEARTH__SESSIONS__IDLE_LIFETIME_SECS", "10")],
            "sessions.idle_lifetime_secs",
        ),
        (
            vec![("HEARTH__SESSIONS__ABSOLUTE_LIFETIME_SECS", "999999999999")],
            "sessions.absolute_lifetime_secs",
        ),
        (
            vec![
                ("HEARTH__SESSIONS__IDLE_LIFETIME_SECS", "7200"),
                ("HEARTH__SESSIONS__ABSOLUTE_LIFETIME_SECS", "3600"),
            ],
            "sessions.idle_lifetime_secs",
        ),
    ] {
        let error = load(&pairs).unwrap_err().to_string();
        assert!(error.contains(key), "{pairs:?}: {error}");
    }
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_token() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let second = login(&app, &alice).await;
    let (status, body) = app
        .post_json("/api/v1/auth/tokens/revoke_all", Some(&second), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for token in [alice.token.as_str(), second.as_str()] {
        let (status, body) = app.get_json("/api/v1/me", Some(token)).await;
        assert_invalid_token(status, &body);
    }
    assert_eq!(token_rows(&app, alice.id).await, 0);
    // Nobody else is signed out.
    let (status, _) = app.get_json("/api/v1/me", bob.auth()).await;
    assert_eq!(status, StatusCode::OK);
    // Without a token there is nobody to sign out.
    let (status, body) = app
        .post_json("/api/v1/auth/tokens/revoke_all", None, json!({}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "not_signed_in");
    app.stop().await;
}

#[tokio::test]
async fn an_ended_web_session_leads_to_the_sign_in_page() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    let page = visitor.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    execute(
        &app,
        "update auth_token set last_used_at = now() - interval '40 days' where person_id = $1",
        alice.id,
    )
    .await;
    let page = visitor.get("/settings").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/login?next=%2Fsettings");
    // Pages that need no account show the visitor signed out.
    let page = visitor.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"/login"), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn the_settings_page_lists_sessions_and_ends_one_or_all() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let api_token_id = newest_token_id(&app, &alice.token).await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    let page = visitor.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Both sessions, the page's own one marked, each with a button that ends it.
    assert!(page.body.contains("This session"), "{}", page.body);
    assert_eq!(
        page.body.matches("/settings/sessions/").count(),
        3,
        "{}",
        page.body
    );
    let end_api = format!("/settings/sessions/{api_token_id}/end");
    assert!(page.body.contains(&end_api), "{}", page.body);
    assert!(page.body.contains("Sign out everywhere"), "{}", page.body);
    // Ending the other session leaves this one signed in.
    let page = visitor.post(&end_api, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/settings?saved=session");
    let (status, body) = app.get_json("/api/v1/me", alice.auth()).await;
    assert_invalid_token(status, &body);
    let page = visitor.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&end_api), "{}", page.body);
    // A form without its CSRF token ends nothing.
    let second = login(&app, &alice).await;
    let forged = app
        .client
        .post(format!("{}/settings/sessions/end_all", app.base))
        .header(
            "cookie",
            format!("hearth_session={second}; hearth_csrf={}", "a".repeat(64)),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let (status, _) = app.get_json("/api/v1/me", Some(&second)).await;
    assert_eq!(status, StatusCode::OK);
    // Signing out everywhere ends the API token and this browser's session.
    let page = visitor.post("/settings/sessions/end_all", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/login");
    let (status, body) = app.get_json("/api/v1/me", Some(&second)).await;
    assert_invalid_token(status, &body);
    let page = visitor.get("/settings").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(token_rows(&app, alice.id).await, 0);
    app.stop().await;
}
