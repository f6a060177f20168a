//! What every endpoint shares: the error shape for unreadable bodies, the body cap, the site
//! settings, and the OpenAPI document that lists every route.

use hearth_tests::app::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn unreadable_bodies_get_the_error_shape_not_a_500() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let url = format!("{}/api/v1/communities", app.base);

    let malformed = app
        .client
        .post(&url)
        .bearer_auth(&kim.token)
        .header("content-type", "application/json")
        .body("{\"name\": \"broken\",")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["error"], "malformed_json");
    assert!(body["message"].is_string());

    let not_json = app
        .client
        .post(&url)
        .bearer_auth(&kim.token)
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = not_json.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_media_type");

    let huge = format!(
        "{{\"name\": \"big\", \"title\": \"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let too_large = app
        .client
        .post(&url)
        .bearer_auth(&kim.token)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = too_large.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");

    let (status, err) = app
        .call(
            Method::DELETE,
            "/api/v1/auth/tokens/not-a-number",
            kim.auth(),
            None,
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_path"))
    );

    let (status, err) = app
        .call(Method::DELETE, "/api/v1/communities", kim.auth(), None)
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );

    let (_, page) = app.get_json("/api/v1/communities", None).await;
    assert_eq!(
        page["items"],
        json!([]),
        "nothing was stored by any of these"
    );
    app.stop().await;
}

#[tokio::test]
async fn admins_read_and_change_site_settings_and_others_cannot() {
    let app = TestApp::spawn(&[]).await;
    let root = app.admin("root").await;
    let kim = app.user("kim").await;
    let (status, site) = app.get_json("/api/v1/admin/site", root.auth()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(site["registration_mode"], "open");
    let (status, site) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"name": "Allotment", "rules": "1. Be *kind*", "registration_mode": "closed", "downvotes_enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{site}");
    assert_eq!(site["name"], "Allotment");
    assert_eq!(
        site["rules_html"],
        "<ol>\n<li>Be <em>kind</em></li>\n</ol>\n"
    );
    assert_eq!(site["downvotes_enabled"], false);
    let (_, public) = app.get_json("/api/v1/site", None).await;
    assert_eq!(public["registration_mode"], "closed");

    let (status, err) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"registration_mode": "sometimes"})),
        )
        .await;
    assert_eq!(
        (status, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("registration_mode"))
    );
    let (status, err) = app.get_json("/api/v1/admin/site", kim.auth()).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_admin"))
    );
    let (status, err) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            kim.auth(),
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_admin"))
    );
    let (status, _) = app.get_json("/api/v1/admin/applications", kim.auth()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post_json(
            "/api/v1/admin/applications/1/approve",
            kim.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .post_json("/api/v1/admin/applications/1/deny", kim.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, public) = app.get_json("/api/v1/site", None).await;
    assert_eq!(
        public["name"], "Allotment",
        "refused changes change nothing"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_valid_3_1_and_lists_every_route() {
    let app = TestApp::spawn(&[]).await;
    let response = app.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("the document parses as OpenAPI 3.1");
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let paths = spec.paths.expect("paths");
    let expected: &[(&str, &[&str])] = &[
        ("/api/v1/accounts", &["post"]),
        ("/api/v1/me", &["get"]),
        ("/api/v1/me/profile", &["put"]),
        ("/api/v1/account/delete", &["post"]),
        ("/api/v1/account/blocks", &["get"]),
        ("/api/v1/account/export", &["get"]),
        ("/api/v1/account/import", &["post"]),
        ("/api/v1/auth/tokens/revoke_all", &["post"]),
        ("/api/v1/users/{user}/block", &["post", "delete"]),
        ("/api/v1/communities/{name}/block", &["post", "delete"]),
        ("/api/v1/notifications", &["get"]),
        ("/api/v1/notifications/unread_count", &["get"]),
        ("/api/v1/notifications/{id}/read", &["post"]),
        ("/api/v1/notifications/{id}/unread", &["post"]),
        ("/api/v1/notifications/read_all", &["post"]),
        ("/api/v1/auth/login", &["post"]),
        ("/api/v1/auth/logout", &["post"]),
        ("/api/v1/auth/tokens", &["get"]),
        ("/api/v1/auth/tokens/{id}", &["delete"]),
        ("/api/v1/communities", &["get", "post"]),
        ("/api/v1/communities/{name}", &["get", "patch"]),
        ("/api/v1/communities/{name}/join", &["post"]),
        ("/api/v1/communities/{name}/leave", &["post"]),
        ("/api/v1/communities/{name}/members", &["get"]),
        (
            "/api/v1/communities/{name}/members/{user}/approve",
            &["post"],
        ),
        ("/api/v1/communities/{name}/members/{user}/deny", &["post"]),
        ("/api/v1/communities/{name}/moderators", &["get", "post"]),
        ("/api/v1/communities/{name}/moderators/{user}", &["delete"]),
        ("/api/v1/users/{user}", &["get"]),
        ("/api/v1/users/{user}/posts", &["get"]),
        ("/api/v1/users/{user}/comments", &["get"]),
        ("/api/v1/posts", &["get", "post"]),
        ("/api/v1/posts/{id}", &["get", "patch", "delete"]),
        ("/api/v1/posts/{id}/vote", &["post"]),
        ("/api/v1/posts/{id}/comments", &["get"]),
        ("/api/v1/comments", &["post"]),
        ("/api/v1/comments/{id}", &["get", "patch", "delete"]),
        ("/api/v1/comments/{id}/vote", &["post"]),
        ("/api/v1/search", &["get"]),
        ("/api/v1/resolve", &["get"]),
        ("/api/v1/site", &["get"]),
        ("/api/v1/admin/applications", &["get"]),
        ("/api/v1/admin/applications/{id}/approve", &["post"]),
        ("/api/v1/admin/applications/{id}/deny", &["post"]),
        ("/api/v1/admin/site", &["get", "patch"]),
        ("/api/v1/admin/federation/queue", &["get"]),
        ("/api/v1/admin/federation/inbox", &["get"]),
        ("/api/v1/media", &["get", "post"]),
        ("/api/v1/media/{id}", &["delete"]),
        ("/api/v1/admin/media", &["get"]),
        ("/api/v1/admin/media/purge", &["post"]),
        ("/api/v1/posts/{id}/remove", &["post"]),
        ("/api/v1/posts/{id}/restore", &["post"]),
        ("/api/v1/posts/{id}/lock", &["post"]),
        ("/api/v1/posts/{id}/unlock", &["post"]),
        ("/api/v1/posts/{id}/pin", &["post"]),
        ("/api/v1/posts/{id}/unpin", &["post"]),
        ("/api/v1/comments/{id}/remove", &["post"]),
        ("/api/v1/comments/{id}/restore", &["post"]),
        ("/api/v1/communities/{name}/bans", &["post"]),
        ("/api/v1/communities/{name}/bans/{user}", &["delete"]),
        ("/api/v1/modlog", &["get"]),
        ("/api/v1/admin/federation/policy", &["get", "put"]),
        ("/api/v1/admin/bans", &["post"]),
        ("/api/v1/admin/bans/{user}", &["delete"]),
        ("/api/v1/admin/purge/communities/{name}", &["delete"]),
        ("/api/v1/admin/purge/users/{user}", &["delete"]),
        ("/api/v1/admin/communities/{name}/remove", &["post"]),
        ("/api/v1/admin/communities/{name}/restore", &["post"]),
        ("/api/v1/reports", &["get", "post"]),
        ("/api/v1/reports/{id}/resolve", &["post"]),
        ("/api/v1/reports/{id}/dismiss", &["post"]),
        ("/api/v1/posts/{id}/save", &["put", "delete"]),
        ("/api/v1/comments/{id}/save", &["put", "delete"]),
        ("/api/v1/posts/read", &["post"]),
        ("/api/v1/account/saved/posts", &["get"]),
        ("/api/v1/account/saved/comments", &["get"]),
        ("/api/v1/account/two_factor", &["get", "post", "delete"]),
        ("/api/v1/account/two_factor/confirm", &["post"]),
        ("/api/v1/account/password_reset", &["post"]),
        ("/api/v1/account/password_reset/confirm", &["post"]),
        ("/api/v1/account/email/verify", &["post"]),
        ("/api/v1/account/email/verification", &["post"]),
        ("/api/v1/account/email", &["get", "put"]),
        ("/api/v1/posts/{id}/rsvp", &["put"]),
        ("/api/v1/posts/{id}/event/cancel", &["post"]),
        ("/api/v1/posts/{id}/event/attendees", &["get"]),
        (
            "/api/v1/posts/{id}/event/attendees/{person_id}/approve",
            &["post"],
        ),
        ("/api/v1/communities/{name}/events", &["get"]),
        ("/api/v1/posts/{id}/poll/vote", &["put"]),
    ];
    let raw: Value = serde_json::from_str(&text).unwrap();
    for (path, methods) in expected {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from the document"));
        for method in *methods {
            let operation = match *method {
                "get" => item.get.as_ref(),
                "post" => item.post.as_ref(),
                "patch" => item.patch.as_ref(),
                "delete" => item.delete.as_ref(),
                "put" => item.put.as_ref(),
                _ => None,
            };
            let operation = operation.unwrap_or_else(|| panic!("{method} {path} missing"));
            assert!(
                operation.responses.as_ref().is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    assert_eq!(
        paths.len(),
        expected.len(),
        "every documented path is expected and vice versa"
    );
    assert!(raw["components"]["schemas"]["ErrorBody"].is_object());
    assert_eq!(
        raw["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    app.stop().await;
}
