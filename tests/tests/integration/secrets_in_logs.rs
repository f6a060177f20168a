//! Secrets never reach the log: everything two instances log at TRACE level during a full
//! journey (sign-up, sign-in, bearer and Lemmy tokens, a password change, federation signed with
//! private keys, an admin's password reset link, a mailed verification link and a password reset
//! asked for by mail) is captured and searched for every secret used.

use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, write_post,
};
use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::smtp::SmtpServer;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tracing_subscriber::layer::SubscriberExt;

/// Everything written by the capturing subscriber.
#[derive(Clone, Default)]
struct CapturedLog(Arc<Mutex<Vec<u8>>>);

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The private keys (PEM) of every local actor of an instance.
async fn private_keys(app: &TestApp) -> Vec<String> {
    let pool = app.db.pool().await;
    let mut keys: Vec<String> = Vec::new();
    for sql in [
        "select private_key from person where local and private_key is not null",
        "select private_key from community where local and private_key is not null",
        "select private_key from site where private_key is not null",
    ] {
        let found: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        keys.extend(found);
    }
    pool.close().await;
    keys
}

// `tokio::test` runs everything (both instances, their workers, the client) on this one thread,
// so the thread's default subscriber sees every event either instance logs.
#[tokio::test]
async fn no_password_token_key_or_reset_link_appears_in_a_trace_level_log() {
    let log = CapturedLog::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::TRACE)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer.clone()),
        );
    let _capture = tracing::subscriber::set_default(subscriber);

    // `a` mails through a real SMTP server: the mailed links are secrets too.
    let smtp_password = "smtp secret password 5";
    let smtp = SmtpServer::start_with_auth("hearth-mailer", smtp_password).await;
    let mail_settings = smtp.settings();
    let mail_overrides: Vec<(&str, &str)> = mail_settings
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let a = TestApp::spawn(&mail_overrides).await;
    let b = TestApp::spawn(&[]).await;
    let mut secrets: Vec<(&str, String)> =
        vec![("the setup admin's password", TEST_PASSWORD.into())];

    // Sign up, sign in (a wrong password first), use the token.
    let first_password = "first secret password 1";
    let (status, body) = a
        .post_json(
            "/api/v1/accounts",
            None,
            json!({"username": "dana", "password": first_password, "email": "dana@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let wrong_password = "a mistyped secret password";
    let (status, _) = a
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "dana", "password": wrong_password}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let token = a.login("dana", first_password).await;
    let (status, me) = a.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");

    // The Lemmy API: a JWT sign-in, its use, and a password change.
    let (status, body) = a
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "dana", "password": first_password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let jwt = body["jwt"].as_str().unwrap().to_owned();
    let (status, site) = a.get_json("/api/v3/site", Some(&jwt)).await;
    assert_eq!(status, StatusCode::OK, "{site}");
    assert_eq!(site["my_user"]["local_user_view"]["person"]["name"], "dana");
    let second_password = "second secret password 2";
    let (status, body) = a
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/change_password",
            Some(&jwt),
            Some(json!({
                "new_password": second_password,
                "new_password_verify": second_password,
                "old_password": first_password,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let changed_jwt = body["jwt"].as_str().unwrap().to_owned();
    let second_token = a.login("dana", second_password).await;

    // Federation: a join and a post, each activity signed with an actor's private key.
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&a, &alice, "cats", json!({})).await;
    let cats = format!("cats@{}", host(&a));
    join(&b, &bob, &cats).await;
    eventually("the Accept arrives", || async {
        membership(&b, &bob, &cats).await == "joined"
    })
    .await;
    let post_ap_id = write_post(&a, &alice, "cats", "Whiskers").await;
    eventually("the post arrives", || async {
        post_id(&b, &post_ap_id).await.is_some()
    })
    .await;

    // An admin's password reset link: made, opened, used.
    let ctx = a.context().await;
    let admin_token = a.login(hearth_tests::app::SETUP_ADMIN, TEST_PASSWORD).await;
    let admin = hearth_service::auth::authenticate(&ctx, &admin_token)
        .await
        .unwrap()
        .unwrap();
    let reset = hearth_service::users::create_password_reset(&ctx, &admin, "dana")
        .await
        .unwrap();
    let reset_token = reset.expose_secret().to_owned();
    let opened = a.get(&format!("/reset_password/{reset_token}")).await;
    assert_eq!(opened.status(), StatusCode::OK);
    let third_password = "third secret password 3";
    hearth_service::users::reset_password(&ctx, &reset_token, SecretString::from(third_password))
        .await
        .unwrap();
    let third_token = a.login("dana", third_password).await;

    // Mailed links: the address verification sent at sign-up, and a reset asked for by mail,
    // each opened and used.
    let public = a.settings.public_base_url();
    let verification = smtp.next_mail_to("dana@example.org").await;
    let verify_link = verification.link_starting(&format!("{public}/verify-email/"));
    let opened = a.get(verify_link.strip_prefix(&public).unwrap()).await;
    assert_eq!(opened.status(), StatusCode::OK);
    let (status, body) = a
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "dana@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let reset_mail = smtp.next_mail_to("dana@example.org").await;
    let mailed_link = reset_mail.link_starting(&format!("{public}/reset_password/"));
    let mailed_token = mailed_link.rsplit('/').next().unwrap().to_owned();
    let opened = a.get(mailed_link.strip_prefix(&public).unwrap()).await;
    assert_eq!(opened.status(), StatusCode::OK);
    let fourth_password = "fourth secret password 4";
    let (status, body) = a
        .post_json(
            "/api/v1/account/password_reset/confirm",
            None,
            json!({"token": mailed_token, "password": fourth_password}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let fourth_token = a.login("dana", fourth_password).await;

    secrets.extend([
        ("the first password", first_password.to_owned()),
        ("a mistyped password", wrong_password.to_owned()),
        ("the second password", second_password.to_owned()),
        ("the third password", third_password.to_owned()),
        ("a bearer token", token),
        ("a bearer token", second_token),
        ("a bearer token", third_token),
        ("a bearer token", admin_token),
        ("a bearer token", alice.token.clone()),
        ("a bearer token", bob.token.clone()),
        ("a Lemmy jwt", jwt),
        ("a Lemmy jwt", changed_jwt),
        ("a password reset token", reset_token),
        ("the fourth password", fourth_password.to_owned()),
        ("the SMTP password", smtp_password.to_owned()),
        ("a bearer token", fourth_token),
        ("a mailed password reset token", mailed_token),
        (
            "a mailed verification token",
            verify_link.rsplit('/').next().unwrap().to_owned(),
        ),
    ]);
    for key in private_keys(&a)
        .await
        .into_iter()
        .chain(private_keys(&b).await)
    {
        for line in key
            .lines()
            .filter(|l| !l.starts_with("-----") && l.len() >= 16)
        {
            secrets.push(("a line of a private key", line.to_owned()));
        }
    }
    let captured = log.text();
    // The capture works: requests of the journey are in it.
    assert!(
        captured.contains("/api/v1/auth/login"),
        "nothing was captured"
    );
    assert!(captured.contains("TRACE") || captured.contains("DEBUG"));
    // The link was opened and logged, as its route rather than as a link that works.
    assert!(captured.contains("GET /reset_password/{token} 200"));
    for (what, secret) in &secrets {
        assert!(!secret.is_empty());
        if let Some(at) = captured.find(secret.as_str()) {
            let start = captured[..at].rfind('\n').map_or(0, |n| n + 1);
            let end = captured[at..].find('\n').map_or(captured.len(), |n| at + n);
            panic!("{what} appears in the log: {}", &captured[start..end]);
        }
    }
}
