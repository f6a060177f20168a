//! The API agrees with itself: what a `GET` returns, the matching `PUT` accepts back; and who
//! may call a route is decided before what they sent is read.

use hearth_tests::app::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_federation_policy_get_returns_is_accepted_back_by_put() {
    let app = TestApp::spawn(&[]).await;
    let admin = app.admin("root").await;
    let path = "/api/v1/admin/federation/policy";
    let (status, set) = app
        .call(
            Method::PUT,
            path,
            admin.auth(),
            Some(json!({"mode": "open", "blocked": ["bad.example"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");

    let (status, mut fetched) = app.get_json(path, admin.auth()).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert!(fetched.get("subscription_state").is_some(), "{fetched}");
    // Edited and sent back as it came, read-only `subscription_state` included.
    fetched["blocked"] = json!(["bad.example", "worse.example"]);
    let (status, put) = app
        .call(Method::PUT, path, admin.auth(), Some(fetched.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_eq!(put["blocked"], json!(["bad.example", "worse.example"]));
    assert_eq!(put["mode"], "open");

    // A field GET never returns is still refused.
    fetched["colour"] = json!("red");
    let (status, refused) = app
        .call(Method::PUT, path, admin.auth(), Some(fetched))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
}

#[tokio::test]
async fn a_member_gets_403_on_an_admin_route_whatever_body_they_send() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    let admin_routes = [
        (Method::PUT, "/api/v1/admin/federation/policy"),
        (Method::PATCH, "/api/v1/admin/site"),
        (Method::POST, "/api/v1/admin/bans"),
        (Method::POST, "/api/v1/admin/applications/1/deny"),
        (Method::POST, "/api/v1/admin/communities/nowhere/remove"),
        (Method::POST, "/api/v1/admin/media/purge"),
    ];
    for (method, path) in admin_routes {
        for body in [
            json!({"unknown_field": true}),
            json!([1, 2, 3]),
            json!("text"),
        ] {
            let (status, answer) = app
                .call(method.clone(), path, kim.auth(), Some(body.clone()))
                .await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} with {body}: {answer}"
            );
            assert_eq!(answer["error"], "not_admin", "{method} {path}: {answer}");
        }
        // Unparseable JSON too.
        let answer = app
            .client
            .request(method.clone(), format!("{}{path}", app.base))
            .bearer_auth(&kim.token)
            .header("content-type", "application/json")
            .body("{\"broken\":")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    // Without a token it is still 401, not 403 or 422.
    let (status, answer) = app
        .call(
            Method::PUT,
            "/api/v1/admin/federation/policy",
            None,
            Some(json!({"unknown_field": true})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
}
