//! "Forgot your password?" in a real headless Chromium, without JavaScript, with a real SMTP
//! server: from the login page to the address form, the mail, its link, a new password, and a
//! sign-in with it.

use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::browser::Browser;
use hearth_tests::smtp::SmtpServer;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn web_forgot_password_from_the_login_page_to_a_sign_in_with_the_new_password() {
    let smtp = SmtpServer::start().await;
    let mail_settings = smtp.settings();
    let mut overrides: Vec<(&str, &str)> = mail_settings
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    overrides.push(("HEARTH__EMAIL__VERIFICATION", "off"));
    let app = TestApp::spawn(&overrides).await;
    let (status, body) = app
        .post_json(
            "/api/v1/accounts",
            None,
            json!({"username": "iris", "password": TEST_PASSWORD, "email": "iris@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let new_password = "iris picks a new password 9";

    let browser = Browser::start("web_email", false).await;
    browser
        .run(async {
            browser.goto(&format!("{}/login", app.base)).await;
            browser.click("a[href='/forgot_password']").await;
            browser
                .wait_for_text("main h1", "Forgot your password?")
                .await;
            browser.fill("#email", "iris@example.org").await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_text(
                    "main",
                    "If that address has an account, a mail is on its way",
                )
                .await;

            let mail = smtp.next_mail_to("iris@example.org").await;
            let link = mail.link_starting(&format!(
                "{}/reset_password/",
                app.settings.public_base_url()
            ));
            let path = link
                .strip_prefix(&app.settings.public_base_url())
                .unwrap()
                .to_owned();
            browser.goto(&format!("{}{path}", app.base)).await;
            browser
                .wait_for_text("main h1", "Choose a new password")
                .await;
            assert!(browser.text("main").await.contains("iris"));
            browser.fill("#password", new_password).await;
            browser.click("main form button[type=submit]").await;
            browser.wait_for_text("main h1", "Password changed").await;

            // The link is spent.
            browser.goto(&format!("{}{path}", app.base)).await;
            browser
                .wait_for_text("main", "already used or expired")
                .await;

            browser.sign_in(&app.base, "iris", new_password).await;

            // The settings show the address (and, with verification off, nothing to confirm).
            browser.goto(&format!("{}/settings", app.base)).await;
            browser.click("#email-settings-link").await;
            browser
                .wait_for_text("#email-status", "iris@example.org")
                .await;
            browser.click("#email_digest").await;
            browser.click("form[action='/settings/email'] button").await;
            browser
                .wait_for_text("main", "Your e-mail settings are saved.")
                .await;
            assert_eq!(
                browser.attr("#email_digest", "checked").await.as_deref(),
                Some("true"),
                "the digest is on"
            );
        })
        .await;
    browser.close().await;
    let (status, _) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "iris", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
}
