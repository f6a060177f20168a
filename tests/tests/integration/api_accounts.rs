//! Accounts through the API: registration in every mode, sign-in and out, tokens, applications.

use hearth_tests::app::{TEST_PASSWORD, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn signup(name: &str) -> Value {
    json!({"username": name, "password": "a long enough password"})
}

#[tokio::test]
async fn an_open_instance_registers_signs_in_and_shows_the_account() {
    let app = TestApp::spawn(&[]).await;
    let (status, body) = app
        .post_json(
            "/api/v1/accounts",
            None,
            json!({"username": "Alice_1", "password": "a long enough password",
                   "email": "alice@example.org", "display_name": "Alice"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "alice_1");
    assert_eq!(body["status"], "active");
    assert!(body["id"].is_i64());

    let token = app.login("ALICE_1", "a long enough password").await;
    let (status, me) = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "alice_1");
    assert_eq!(me["display_name"], "Alice");
    assert_eq!(me["email"], "alice@example.org");
    assert_eq!(me["admin"], false, "registering never makes an admin");
    assert!(me["ap_id"].as_str().unwrap().ends_with("/u/alice_1"));

    let (status, profile) = app.get_json("/api/v1/users/alice_1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["name"], "alice_1");
    assert!(
        profile.get("email").is_none(),
        "profiles never show email addresses"
    );
    app.stop().await;
}

#[tokio::test]
async fn registration_errors_name_the_field_and_store_nothing() {
    let app = TestApp::spawn(&[]).await;
    for (body, field) in [
        (
            json!({"username": "ab", "password": "a long enough password"}),
            "username",
        ),
        (
            json!({"username": "bad-name", "password": "a long enough password"}),
            "username",
        ),
        (
            json!({"username": "carol", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "carol", "password": "a long enough password", "email": "nope"}),
            "email",
        ),
        (
            json!({"username": "carol", "password": "a long enough password", "display_name": "x".repeat(101)}),
            "display_name",
        ),
    ] {
        let (status, err) = app.post_json("/api/v1/accounts", None, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        assert_eq!(err["error"], "invalid_field");
        assert_eq!(err["field"], field);
        assert!(err["message"].as_str().unwrap().starts_with(field), "{err}");
    }
    for body in [
        json!({"username": "carol", "password": "a long enough password", "admin": true}),
        json!({"username": 5, "password": "a long enough password"}),
        json!({"password": "a long enough password"}),
    ] {
        let (status, err) = app.post_json("/api/v1/accounts", None, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"], "invalid_body");
    }
    let (status, _) = app.get_json("/api/v1/users/carol", None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "failed sign-ups store nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn taken_names_and_emails_are_conflicts() {
    let app = TestApp::spawn(&[]).await;
    let mut first = signup("dana");
    first["email"] = json!("dana@example.org");
    assert_eq!(
        app.post_json("/api/v1/accounts", None, first).await.0,
        StatusCode::CREATED
    );
    let (status, err) = app
        .post_json("/api/v1/accounts", None, signup("DANA"))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"], "name_taken");
    let mut other = signup("dana2");
    other["email"] = json!("DANA@example.org");
    let (status, err) = app.post_json("/api/v1/accounts", None, other).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"], "email_taken");
    app.stop().await;
}

#[tokio::test]
async fn a_closed_instance_refuses_sign_ups() {
    let app = TestApp::spawn(&[("HEARTH__REGISTRATION", "closed")]).await;
    let (status, err) = app
        .post_json("/api/v1/accounts", None, signup("erin"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"], "registration_closed");
    app.stop().await;
}

#[tokio::test]
async fn approval_mode_holds_accounts_until_an_admin_decides() {
    let app = TestApp::spawn(&[("HEARTH__REGISTRATION", "approval")]).await;
    let admin = app.admin("admin").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            admin.auth(),
            Some(json!({"application_question": "Why do you want to join?"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, err) = app
        .post_json("/api/v1/accounts", None, signup("frank"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["field"], "application_answer");

    for name in ["frank", "grace"] {
        let mut body = signup(name);
        body["application_answer"] = json!(format!("{name} likes gardening"));
        let (status, created) = app.post_json("/api/v1/accounts", None, body).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(created["status"], "pending");
    }
    let (status, err) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "frank", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"], "application_pending");

    let (status, page) = app
        .get_json("/api/v1/admin/applications", admin.auth())
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "frank");
    assert_eq!(items[0]["answer"], "frank likes gardening");
    let frank = items[0]["id"].as_i64().unwrap();
    let grace = items[1]["id"].as_i64().unwrap();

    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/applications/{frank}/approve"),
            admin.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.login("frank", "a long enough password").await;
    let (status, err) = app
        .post_json(
            &format!("/api/v1/admin/applications/{frank}/approve"),
            admin.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["error"], "already_decided");

    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/applications/{grace}/deny"),
            admin.auth(),
            json!({"reason": "We are a gardening forum for members only"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The reason is optional: a bare POST denies too.
    let mut body = signup("hank");
    body["application_answer"] = json!("no reason");
    app.post_json("/api/v1/accounts", None, body).await;
    let (_, page) = app
        .get_json("/api/v1/admin/applications", admin.auth())
        .await;
    let hank = page["items"][0]["id"].as_i64().unwrap();
    let (status, decided) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/applications/{hank}/deny"),
            admin.auth(),
            None,
        )
        .await;
    assert_eq!(
        (status, decided["status"].as_str()),
        (StatusCode::OK, Some("denied"))
    );
    let (status, err) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "grace", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"], "application_denied");
    assert!(err["message"].as_str().unwrap().contains("members only"));

    let (status, page) = app
        .get_json("/api/v1/admin/applications?status=all", admin.auth())
        .await;
    assert_eq!(status, StatusCode::OK);
    let statuses: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["approved", "denied", "denied"]);
    let (status, _) = app
        .post_json(
            "/api/v1/admin/applications/999999/approve",
            admin.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, err) = app
        .get_json("/api/v1/admin/applications?status=maybe", admin.auth())
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let app = TestApp::spawn(&[]).await;
    app.user("henry").await;
    let wrong = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "henry", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "nobody", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.1["error"], "invalid_credentials");
    app.stop().await;
}

#[tokio::test]
async fn tokens_are_listed_revoked_and_logout_ends_the_session() {
    let app = TestApp::spawn(&[]).await;
    let ivy = app.user("ivy").await;
    let second = app.login("ivy", TEST_PASSWORD).await;
    let (status, list) = app.get_json("/api/v1/auth/tokens", ivy.auth()).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        list["items"][0].get("token").is_none(),
        "tokens are never shown again"
    );

    // Revoking the second token by id ends it; the first still works.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/tokens/{}", ids[0]),
            ivy.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = app.get_json("/api/v1/me", Some(&second)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/auth/tokens/999999",
            ivy.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = app
        .post_json("/api/v1/auth/logout", ivy.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.get_json("/api/v1/me", ivy.auth()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn anonymous_and_garbage_credentials_are_401() {
    let app = TestApp::spawn(&[]).await;
    let (status, err) = app.get_json("/api/v1/me", None).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("not_signed_in"))
    );
    let (status, err) = app.get_json("/api/v1/me", Some("not-a-token")).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token"))
    );
    let response = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    for (method, path) in [
        (Method::POST, "/api/v1/auth/logout"),
        (Method::GET, "/api/v1/auth/tokens"),
        (Method::POST, "/api/v1/communities"),
        (Method::POST, "/api/v1/communities/any/join"),
        (Method::GET, "/api/v1/admin/applications"),
        (Method::PATCH, "/api/v1/admin/site"),
    ] {
        let (status, err) = app.call(method.clone(), path, None, Some(json!({}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {err}");
        assert_eq!(err["error"], "not_signed_in");
    }
    app.stop().await;
}

#[tokio::test]
async fn sign_ups_and_logins_are_rate_limited_per_address_with_retry_after() {
    let app = TestApp::spawn(&[
        ("HEARTH__RATE_LIMITS__REGISTER__MAX", "2"),
        ("HEARTH__RATE_LIMITS__LOGIN__MAX", "3"),
    ])
    .await;
    for name in ["jack", "jill"] {
        assert_eq!(
            app.post_json("/api/v1/accounts", None, signup(name))
                .await
                .0,
            StatusCode::CREATED
        );
    }
    let response = app
        .client
        .post(format!("{}/api/v1/accounts", app.base))
        .json(&signup("joan"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    let (status, _) = app.get_json("/api/v1/users/joan", None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a limited request changes nothing"
    );

    let creds = json!({"username": "jack", "password": "a long enough password"});
    for _ in 0..3 {
        assert_eq!(
            app.post_json("/api/v1/auth/login", None, creds.clone())
                .await
                .0,
            StatusCode::OK
        );
    }
    let (status, err) = app.post_json("/api/v1/auth/login", None, creds).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    app.stop().await;
}

#[tokio::test]
async fn behind_a_proxy_the_address_the_proxy_added_is_limited_not_the_ones_clients_send() {
    let app = TestApp::spawn(&[
        ("HEARTH__HTTP__CLIENT_IP_HEADER", "X-Forwarded-For"),
        ("HEARTH__RATE_LIMITS__LOGIN__MAX", "2"),
    ])
    .await;
    let creds = json!({"username": "nobody", "password": "not the password"});
    let mut statuses = Vec::new();
    for n in 0..3 {
        let response = app
            .client
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("X-Forwarded-For", format!("10.0.0.{n}, 203.0.113.7"))
            .json(&creds)
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "forged leading entries do not buy new attempts"
    );
    app.stop().await;
}
