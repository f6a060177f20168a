//! Two-factor sign-in in a real headless Chromium, without JavaScript: turn it on in the
//! settings (the QR code shown inline, the key, a first code, the recovery codes once), log out,
//! and sign in again, where the login page asks for the code after the password.

use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::browser::Browser;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn web_two_factor_enable_in_settings_and_sign_in_with_a_code() {
    let app = TestApp::spawn(&[]).await;
    app.user("alice").await;
    let browser = Browser::start("web_two_factor", false).await;
    browser
        .run(async {
            browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;
            browser.goto(&format!("{}/settings", app.base)).await;
            browser.click("#two-factor-link").await;
            browser
                .wait_for_text("main h2", "Two-factor sign-in is off")
                .await;
            browser
                .click("form[action='/settings/two_factor/begin'] button")
                .await;
            browser
                .wait_for_text("main h2", "Add this account to your authenticator app")
                .await;
            assert!(
                browser.exists("#two-factor-qr svg path").await,
                "the QR code is inline SVG"
            );
            let secret = browser.text("#two-factor-secret").await;
            let bytes = totp_rs::Secret::try_from_base32(secret.trim())
                .expect("the key is base32")
                .as_bytes()
                .to_vec();
            let totp = totp_rs::Builder::new()
                .with_secret(bytes)
                .build()
                .expect("a TOTP from the shown key");
            browser
                .fill("#code", &totp.generate(now()).to_string())
                .await;
            browser
                .click("form[action='/settings/two_factor/confirm'] button")
                .await;
            let codes = browser.wait_for_text("#recovery-codes", "-").await;
            assert_eq!(
                codes.lines().filter(|l| !l.trim().is_empty()).count(),
                10,
                "{codes}"
            );
            assert!(browser.text("#two-factor-status").await.contains("10"));

            // Reloading does not show the recovery codes again.
            browser
                .goto(&format!("{}/settings/two_factor", app.base))
                .await;
            assert!(!browser.exists("#recovery-codes").await);

            browser.click(".account-menu summary").await;
            browser
                .click("form[action='/logout'] button[type=submit]")
                .await;
            browser.wait_for_text(".site-header", "Log in").await;

            // The password alone: the page asks for the code.
            browser.goto(&format!("{}/login", app.base)).await;
            browser.fill("#username", "alice").await;
            browser.fill("#password", TEST_PASSWORD).await;
            browser.click("main form button[type=submit]").await;
            browser.wait_for_text("main", "two-factor").await;
            assert!(browser.exists("#code").await, "the code field is shown");
            assert!(!browser.exists(".account-menu").await, "not signed in");

            // The password and the next step's code (the first one was spent confirming).
            browser.fill("#password", TEST_PASSWORD).await;
            browser
                .fill("#code", &totp.generate(now() + 30).to_string())
                .await;
            browser.click("main form button[type=submit]").await;
            browser.wait_for_text(".account-nav", "alice").await;
        })
        .await;
    browser.close().await;
}
