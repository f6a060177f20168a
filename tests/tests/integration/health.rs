//! Liveness, readiness and metrics of a running instance.

use hearth_tests::app::TestApp;
use serde_json::Value;

#[tokio::test]
async fn healthz_and_readyz_answer_json_when_the_database_is_current() {
    let app = TestApp::spawn(&[]).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(
        body["migrations"]["applied"],
        body["migrations"]["expected"]
    );
    app.stop().await;
}

#[tokio::test]
async fn readyz_is_503_when_a_migration_is_missing() {
    let app = TestApp::spawn(&[]).await;
    let pool = app.db.pool().await;
    sqlx::query(
        "delete from _sqlx_migrations where version = (select max(version) from _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["error"], "migrations_pending");
    assert!(body["message"].as_str().unwrap().contains("hearth migrate"));
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_show_the_pool() {
    let app = TestApp::spawn(&[]).await;
    app.get("/healthz").await;
    app.get("/healthz").await;
    app.get("/no/such/page").await;
    let text = app.metrics().await;
    assert!(
        text.contains(
            r#"hearth_http_requests_total{method="GET",route="/healthz",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("hearth_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains("hearth_db_pool_connections "), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_served_on_their_own_listener_and_never_on_the_public_one() {
    let app = TestApp::spawn(&[]).await;
    // Behind a reverse proxy every request reaches the public listener from loopback: whatever
    // it asks for, it gets no metrics there.
    let public = app.get("/metrics").await;
    assert_eq!(public.status(), 404);
    let body: Value = public.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let activitypub = app
        .client
        .get(format!("{}/metrics", app.base))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(activitypub.status(), 404);
    // The metrics listener serves them, and nothing else.
    let metrics = app.metrics_address.expect("a metrics listener");
    assert_ne!(metrics, app.address);
    let text = app.metrics().await;
    assert!(text.contains("hearth_db_pool_connections "), "{text}");
    let other = app
        .client
        .get(format!("http://{metrics}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    app.stop().await;

    // An empty `metrics.bind` serves none at all.
    let app = TestApp::spawn(&[("HEARTH__METRICS__BIND", "")]).await;
    assert_eq!(app.metrics_address, None);
    assert_eq!(app.get("/metrics").await.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let app = TestApp::spawn(&[]).await;
    let response = app.get("/definitely/not/here").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].is_string());
    app.stop().await;
}
