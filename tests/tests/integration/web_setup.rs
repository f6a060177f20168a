//! The first-run setup: an instance without an administrator leads every page to `/setup`, where
//! the code from the server's log makes the administrator and names the site; then the page is
//! gone. In Chromium with and without JavaScript, and over plain HTTP for the refusals (a wrong
//! code, the rate limit, an instance that has an administrator) and the API left alone.

use crate::web_pages::{Page, Visitor};
use hearth_tests::app::{SETUP_ADMIN, TEST_PASSWORD, TestApp};
use hearth_tests::browser::Browser;
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "a long enough password";

/// The setup form's fields, with `code`.
fn setup_fields(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("code", code.to_owned()),
        ("username", "founder".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("password_confirmation", PASSWORD.to_owned()),
        ("name", "Allotment Club".to_owned()),
        ("description", "Seeds and *soil*.".to_owned()),
        ("registration_mode", "approval".to_owned()),
    ]
}

async fn post_setup(visitor: &mut Visitor, fields: &[(&'static str, String)]) -> Page {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    visitor.post("/setup", &fields).await
}

/// The text of the first element with `class="field-error"` after `id="{field}-error"`.
fn field_error<'a>(body: &'a str, field: &str) -> Option<&'a str> {
    let start = body.find(&format!("id=\"{field}-error\">"))?;
    let rest = &body[start..];
    let text = &rest[rest.find('>')? + 1..];
    Some(&text[..text.find('<')?])
}

/// First visit to setup, the code from the log, the site name in the header, and no setup
/// afterwards, also by URL.
async fn journey(browser: &Browser, app: &TestApp) {
    let code = app
        .setup_code
        .as_deref()
        .expect("a start without admin prints a code");
    browser.goto(&format!("{}/", app.base)).await;
    browser.wait_for_path("/setup", |p| p == "/setup").await;
    browser.goto(&format!("{}/communities", app.base)).await;
    browser.wait_for_path("/setup", |p| p == "/setup").await;

    browser.fill("#code", code).await;
    browser.fill("#username", "founder").await;
    browser.fill("#password", PASSWORD).await;
    browser.fill("#password_confirmation", PASSWORD).await;
    browser.fill("#name", "Allotment Club").await;
    browser.fill("#description", "Seeds and *soil*.").await;
    browser.click("#registration_mode-closed").await;
    browser.click("main form button[type=submit]").await;

    browser.wait_for_path("the front page", |p| p == "/").await;
    browser.wait_for_text(".account-nav", "founder").await;
    browser
        .wait_for_text(".site-header .brand", "Allotment Club")
        .await;

    browser.goto(&format!("{}/communities", app.base)).await;
    browser
        .wait_for_path("/communities", |p| p == "/communities")
        .await;
    browser.goto(&format!("{}/setup", app.base)).await;
    browser.wait_for_text("main h1", "Not found").await;
    assert_eq!(browser.path().await, "/setup");

    let (_, site) = app.get_json("/api/v1/site", None).await;
    assert_eq!(site["name"], "Allotment Club", "{site}");
    assert_eq!(site["registration_mode"], "closed", "{site}");
}

#[tokio::test]
async fn a_fresh_instance_is_set_up_from_the_browser_with_javascript() {
    let app = TestApp::spawn_without_admin(&[]).await;
    let browser = Browser::start("setup_with_javascript", true).await;
    browser.run(journey(&browser, &app)).await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_fresh_instance_is_set_up_from_the_browser_without_javascript() {
    let app = TestApp::spawn_without_admin(&[]).await;
    let browser = Browser::start("setup_without_javascript", false).await;
    browser.run(journey(&browser, &app)).await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_setup_code_is_refused_next_to_its_field_and_changes_nothing() {
    let app = TestApp::spawn_without_admin(&[]).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/setup");
    let page = visitor.get("/setup").await;
    assert_eq!(page.status, StatusCode::OK);

    let page = post_setup(&mut visitor, &setup_fields("0000-1111-2222-3333")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert_eq!(
        field_error(&page.body, "code"),
        Some("Setup code is not the one the server printed in its log."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"founder\""),
        "what was typed stays"
    );
    assert!(
        !page.body.contains(PASSWORD),
        "passwords are never shown again"
    );

    let mut mismatched = setup_fields(app.setup_code.as_deref().unwrap());
    mismatched[3].1 = "another long password".to_owned();
    let page = post_setup(&mut visitor, &mismatched).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        field_error(&page.body, "password_confirmation").is_some(),
        "{}",
        page.body
    );

    // Nothing was made: still no admin, still setting up, and the right code still works.
    assert_eq!(visitor.get("/").await.location(), "/setup");
    let page = post_setup(
        &mut visitor,
        &setup_fields(app.setup_code.as_deref().unwrap()),
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/");
    let page = visitor.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("founder"), "signed in as the admin");
    app.stop().await;
}

#[tokio::test]
async fn setup_codes_are_rate_limited_like_logins() {
    let app = TestApp::spawn_without_admin(&[("HEARTH__RATE_LIMITS__LOGIN__MAX", "2")]).await;
    let mut visitor = Visitor::new(&app);
    visitor.get("/setup").await;
    for _ in 0..2 {
        let page = post_setup(&mut visitor, &setup_fields("wrong")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
    }
    // Over the limit, even the right code waits.
    let page = post_setup(
        &mut visitor,
        &setup_fields(app.setup_code.as_deref().unwrap()),
    )
    .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert_eq!(visitor.get("/").await.location(), "/setup");
    app.stop().await;
}

#[tokio::test]
async fn setup_is_refused_once_an_admin_exists() {
    // The harness makes an admin by default, as `setup.admin_*` does: no setup, no code.
    let app = TestApp::spawn(&[]).await;
    assert!(app.setup_code.is_none());
    let mut visitor = Visitor::new(&app);
    assert_eq!(visitor.get("/").await.status, StatusCode::OK);
    assert_eq!(visitor.get("/setup").await.status, StatusCode::NOT_FOUND);
    let page = post_setup(&mut visitor, &setup_fields("0000")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    app.login(SETUP_ADMIN, TEST_PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn a_finished_setup_cannot_be_replayed_with_its_code() {
    let app = TestApp::spawn_without_admin(&[]).await;
    let code = app.setup_code.clone().unwrap();
    let mut visitor = Visitor::new(&app);
    visitor.get("/setup").await;
    let page = post_setup(&mut visitor, &setup_fields(&code)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);

    let mut stranger = Visitor::new(&app);
    assert_eq!(stranger.get("/setup").await.status, StatusCode::NOT_FOUND);
    let mut fields = setup_fields(&code);
    fields[1].1 = "intruder".to_owned();
    let page = post_setup(&mut stranger, &fields).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let (status, _) = app.get_json("/api/v1/users/intruder", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A restart finds the admin: no new code.
    let db = app.stop().await;
    let again = TestApp::spawn_on(db, &[]).await;
    assert!(again.setup_code.is_none());
    again.stop().await;
}

#[tokio::test]
async fn the_api_and_health_are_unaffected_while_setup_is_pending() {
    let app = TestApp::spawn_without_admin(&[]).await;
    assert!(app.setup_code.is_some());
    let (status, site) = app.get_json("/api/v1/site", None).await;
    assert_eq!(status, StatusCode::OK, "{site}");
    let (status, _) = app.get_json("/api/v1/communities", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get_json("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    let response = app.get("/.well-known/nodeinfo").await;
    assert_eq!(response.status(), StatusCode::OK);
    // The stylesheet the setup page needs is served too.
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/setup").await;
    let css = page
        .body
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert_eq!(app.get(&css).await.status(), StatusCode::OK);
    // Signing up through the API works as before.
    let (status, body) = app
        .post_json(
            "/api/v1/accounts",
            None,
            json!({"username": "early", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}
