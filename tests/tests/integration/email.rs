//! E-mail through a real SMTP server (aiosmtpd, started by the test): address verification,
//! password reset by mail, registration decisions, admin notices of applications and reports,
//! and the hourly digest. Every mail is read as it arrived: subject, plain-text and HTML parts,
//! the site's name in each.

use crate::federation_network::{create_community, join_local, new_comment};
use crate::web_pages::Visitor;
use hearth_tests::app::{TEST_PASSWORD, TestApp, write_titled_post};
use hearth_tests::smtp::{ReceivedMail, SmtpServer};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// Starts an instance that mails through `smtp`, with more settings.
async fn spawn_with_mail(smtp: &SmtpServer, overrides: &[(&str, &str)]) -> TestApp {
    let mail = smtp.settings();
    let mut all: Vec<(&str, &str)> = mail.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(overrides);
    TestApp::spawn(&all).await
}

async fn site_name(app: &TestApp) -> String {
    let pool = app.db.pool().await;
    let name = hearth_db::site::get(&pool).await.unwrap().name;
    pool.close().await;
    name
}

/// Fails unless the mail is a multipart text + HTML mail with the site's name in the subject
/// and both bodies.
fn assert_well_formed(mail: &ReceivedMail, site: &str) {
    assert_eq!(mail.content_type, "multipart/alternative", "{mail:?}");
    assert!(mail.subject.contains(site), "subject: {}", mail.subject);
    assert!(mail.text().contains(site), "text: {}", mail.text());
    assert!(mail.html().contains(site), "html: {}", mail.html());
    assert!(
        mail.from.contains("hearth@localhost"),
        "from: {}",
        mail.from
    );
}

/// The path of a link of this instance (links carry its public URL, `http://localhost:PORT`).
fn path_of(app: &TestApp, link: &str) -> String {
    let public = app.settings.public_base_url();
    link.strip_prefix(&public)
        .unwrap_or_else(|| panic!("{link} is not a link of {public}"))
        .to_owned()
}

async fn sign_up(
    app: &TestApp,
    name: &str,
    email: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut body = json!({"username": name, "password": TEST_PASSWORD});
    if let Some(email) = email {
        body["email"] = json!(email);
    }
    app.post_json("/api/v1/accounts", None, body).await
}

async fn try_login(app: &TestApp, name: &str, password: &str) -> (StatusCode, serde_json::Value) {
    app.post_json(
        "/api/v1/auth/login",
        None,
        json!({"username": name, "password": password}),
    )
    .await
}

/// Gives an account an address directly (accounts made by the harness have none).
async fn set_email(app: &TestApp, person_id: i64, email: &str) {
    let pool = app.db.pool().await;
    sqlx::query("update local_account set email = $2 where person_id = $1")
        .bind(person_id)
        .bind(email)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn required_verification_refuses_sign_in_until_the_mailed_link_is_opened() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "required")]).await;
    let site = site_name(&app).await;

    let (status, body) = sign_up(&app, "dana", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "email");

    let (status, body) = sign_up(&app, "dana", Some("Dana@Example.org")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = try_login(&app, "dana", TEST_PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "email_not_verified");
    // The Lemmy API's sign-in follows the same rule.
    let (status, _) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "dana", "password": TEST_PASSWORD}),
        )
        .await;
    assert!(status.is_client_error(), "Lemmy login answered {status}");

    let mail = smtp.next_mail_to("Dana@Example.org").await;
    assert_well_formed(&mail, &site);
    assert!(mail.text().contains("dana"), "{}", mail.text());
    let link = mail.link_starting(&format!("{}/verify-email/", app.settings.public_base_url()));
    assert!(
        mail.html().contains(&link),
        "the HTML part has the link too"
    );

    let page = app.get(&path_of(&app, &link)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Address confirmed"));

    let token = app.login("dana", TEST_PASSWORD).await;
    let (status, me) = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["email_verified"], true);
    let (status, settings) = app.get_json("/api/v1/account/email", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["email_verified"], true);
    assert_eq!(settings["mail_enabled"], true);

    // The link works once.
    let again = app.get(&path_of(&app, &link)).await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let token_part = link.rsplit('/').next().unwrap();
    let (status, body) = app
        .post_json(
            "/api/v1/account/email/verify",
            None,
            json!({"token": token_part}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A second account asks for a new link (the first mail was lost) and confirms with it.
    let (status, _) = sign_up(&app, "eli", Some("eli@example.org")).await;
    assert_eq!(status, StatusCode::CREATED);
    let first = smtp.next_mail_to("eli@example.org").await;
    let (status, body) = app
        .post_json(
            "/api/v1/account/email/verification",
            None,
            json!({"email": "eli@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let second = smtp.next_mail_to("eli@example.org").await;
    let prefix = format!("{}/verify-email/", app.settings.public_base_url());
    let new_token = second.link_starting(&prefix);
    assert_ne!(first.link_starting(&prefix), new_token);
    let (status, body) = app
        .post_json(
            "/api/v1/account/email/verify",
            None,
            json!({"token": new_token.rsplit('/').next().unwrap()}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    app.login("eli", TEST_PASSWORD).await;
}

#[tokio::test]
async fn a_mailed_reset_link_sets_a_new_password_once_and_unknown_addresses_get_no_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "off")]).await;
    let site = site_name(&app).await;
    let (status, _) = sign_up(&app, "erin", Some("erin@example.org")).await;
    assert_eq!(status, StatusCode::CREATED);
    let old_session = app.login("erin", TEST_PASSWORD).await;

    let (known_status, known_body) = app
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "ERIN@example.org"}),
        )
        .await;
    assert_eq!(known_status, StatusCode::ACCEPTED, "{known_body}");
    let mail = smtp.next_mail_to("erin@example.org").await;
    assert_well_formed(&mail, &site);
    assert!(mail.text().contains("erin"));
    let link = mail.link_starting(&format!(
        "{}/reset_password/",
        app.settings.public_base_url()
    ));
    let token = link.rsplit('/').next().unwrap().to_owned();

    // The reset page opens, for the right account.
    let page = app.get(&path_of(&app, &link)).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("erin"));

    let new_password = "a brand new password 7";
    let (status, body) = app
        .post_json(
            "/api/v1/account/password_reset/confirm",
            None,
            json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = try_login(&app, "erin", TEST_PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password: {body}");
    app.login("erin", new_password).await;
    let (status, _) = app.get_json("/api/v1/me", Some(&old_session)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "old sessions ended");

    // The link is spent, through the API and the page alike.
    let (status, body) = app
        .post_json(
            "/api/v1/account/password_reset/confirm",
            None,
            json!({"token": token, "password": "yet another password 8"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let page = app.get(&path_of(&app, &link)).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    app.login("erin", new_password).await;

    // An unknown address: the same answer, and no mail.
    let (status, body) = app
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!(status, known_status);
    assert_eq!(body, known_body);
    assert!(
        smtp.wait_for("nobody@example.org", Duration::from_secs(3))
            .await
            .is_none(),
        "no mail to an unknown address"
    );
}

#[tokio::test]
async fn without_smtp_password_reset_by_mail_says_mail_is_off() {
    let app = TestApp::spawn(&[]).await;
    let (status, body) = app
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "someone@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "email_disabled");
    let login = app.get("/login").await.text().await.unwrap();
    assert!(!login.contains("/forgot_password"), "no link to a dead end");
    let pool = app.db.pool().await;
    let queued: i64 = sqlx::query_scalar("select count(*) from mail_outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn applicants_hear_the_decision_and_admins_hear_of_applications_by_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(
        &smtp,
        &[
            ("HEARTH__REGISTRATION", "approval"),
            ("HEARTH__EMAIL__VERIFICATION", "off"),
        ],
    )
    .await;
    let site = site_name(&app).await;
    let admin = app.admin("boss").await;
    set_email(&app, admin.id, "boss@example.org").await;

    for name in ["fern", "gus"] {
        let (status, body) = app
            .post_json(
                "/api/v1/accounts",
                None,
                json!({
                    "username": name,
                    "password": TEST_PASSWORD,
                    "email": format!("{name}@example.org"),
                    "application_answer": format!("{name} grows <b>tomatoes</b>"),
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let notice = smtp.next_mail_to("boss@example.org").await;
        assert_well_formed(&notice, &site);
        assert!(notice.subject.contains(name), "{}", notice.subject);
        assert!(
            notice
                .text()
                .contains(&format!("{name} grows <b>tomatoes</b>"))
        );
        assert!(
            notice.html().contains("tomatoes") && !notice.html().contains("<b>tomatoes"),
            "what applicants type is escaped in HTML: {}",
            notice.html()
        );
    }

    let (status, page) = app
        .get_json("/api/v1/admin/applications", admin.auth())
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = page["items"].as_array().unwrap();
    let id_of = |name: &str| {
        items
            .iter()
            .find(|i| i["name"] == name)
            .and_then(|i| i["id"].as_i64())
            .unwrap()
    };
    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/applications/{}/approve", id_of("fern")),
            admin.auth(),
            json!({}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let approved = smtp.next_mail_to("fern@example.org").await;
    assert_well_formed(&approved, &site);
    assert!(
        approved.subject.contains("approved"),
        "{}",
        approved.subject
    );

    let (status, body) = app
        .post_json(
            &format!("/api/v1/admin/applications/{}/deny", id_of("gus")),
            admin.auth(),
            json!({"reason": "We only take gardeners of roses."}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let denied = smtp.next_mail_to("gus@example.org").await;
    assert_well_formed(&denied, &site);
    assert!(denied.text().contains("We only take gardeners of roses."));
}

#[tokio::test]
async fn admins_get_a_mail_for_each_new_report() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "off")]).await;
    let site = site_name(&app).await;
    let admin = app.admin("boss").await;
    set_email(&app, admin.id, "boss@example.org").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &alice, "garden", json!({})).await;
    join_local(&app, &bob, "garden").await;
    let post = write_titled_post(&app, &alice, "garden", "Selling cheap watches").await;

    let (status, body) = app
        .post_json(
            "/api/v1/reports",
            bob.auth(),
            json!({"post_id": post, "reason": "This is spam."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let notice = smtp.next_mail_to("boss@example.org").await;
    assert_well_formed(&notice, &site);
    assert!(notice.subject.contains("bob"), "{}", notice.subject);
    assert!(notice.text().contains("This is spam."));
    assert!(notice.text().contains("Selling cheap watches"));
}

#[tokio::test]
async fn the_digest_lists_new_replies_at_most_once_an_hour() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "off")]).await;
    let site = site_name(&app).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &alice, "garden", json!({})).await;
    join_local(&app, &bob, "garden").await;
    let post = write_titled_post(&app, &alice, "garden", "My roses").await;

    // Off by default; turning it on needs an address.
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/account/email",
            alice.auth(),
            Some(json!({"email_digest": true})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    set_email(&app, alice.id, "alice@example.org").await;
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/account/email",
            alice.auth(),
            Some(json!({"email_digest": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email_digest"], true);

    let ctx = app.context().await;
    assert_eq!(
        hearth_service::mail::send_digests(&ctx).await.unwrap(),
        0,
        "nothing new, nothing sent"
    );
    new_comment(&app, &bob, post, None, "Lovely colours").await;
    assert_eq!(hearth_service::mail::send_digests(&ctx).await.unwrap(), 1);
    let digest = smtp.next_mail_to("alice@example.org").await;
    assert_well_formed(&digest, &site);
    assert!(digest.text().contains("bob replied"), "{}", digest.text());
    assert!(digest.text().contains("My roses"));

    // Another reply within the hour waits.
    new_comment(&app, &bob, post, None, "And the scent!").await;
    assert_eq!(hearth_service::mail::send_digests(&ctx).await.unwrap(), 0);
    // Through the maintenance round too (what the server runs).
    hearth_service::maintenance::run(&ctx).await.unwrap();
    assert!(
        smtp.wait_for("alice@example.org", Duration::from_secs(2))
            .await
            .is_none(),
        "at most one digest an hour"
    );

    // An hour later (everything so far moved 61 minutes into the past): only the reply that is
    // new since the last digest.
    for sql in [
        "update local_account set last_digest_at = last_digest_at - interval '61 minutes'
         where person_id = $1",
        "update notification set created_at = created_at - interval '61 minutes'
         where recipient_id = $1",
    ] {
        sqlx::query(sql)
            .bind(alice.id)
            .execute(&ctx.pool)
            .await
            .unwrap();
    }
    hearth_service::maintenance::run(&ctx).await.unwrap();
    let second = smtp.next_mail_to("alice@example.org").await;
    assert!(second.subject.contains("1 new"), "{}", second.subject);
    assert_eq!(second.text().matches("bob replied").count(), 1);
    assert_eq!(hearth_service::mail::send_digests(&ctx).await.unwrap(), 0);
}

#[tokio::test]
async fn the_openapi_document_lists_the_mail_operations_with_their_statuses() {
    let app = TestApp::spawn(&[]).await;
    let (status, document) = app.get_json("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for (path, method, statuses) in [
        (
            "/api/v1/account/password_reset",
            "post",
            &["202", "400", "409", "429"][..],
        ),
        (
            "/api/v1/account/password_reset/confirm",
            "post",
            &["204", "400", "404"][..],
        ),
        ("/api/v1/account/email/verify", "post", &["204", "404"][..]),
        (
            "/api/v1/account/email/verification",
            "post",
            &["202", "409"][..],
        ),
        ("/api/v1/account/email", "get", &["200", "401"][..]),
        ("/api/v1/account/email", "put", &["200", "400", "409"][..]),
    ] {
        let responses = &document["paths"][path][method]["responses"];
        for code in statuses {
            assert!(
                responses.get(*code).is_some(),
                "{method} {path} documents {code}: {responses}"
            );
        }
    }
    assert!(
        document["components"]["schemas"]["MeView"]["properties"]
            .get("email_verified")
            .is_some()
    );
}

#[tokio::test]
async fn a_new_address_is_unconfirmed_until_its_mailed_link_is_opened() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[]).await;
    let joan = app.user("joan").await;
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/account/email",
            joan.auth(),
            Some(json!({"email": "joan@example.org"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["email"], "joan@example.org");
    assert_eq!(body["email_verified"], false);
    let mail = smtp.next_mail_to("joan@example.org").await;
    let link = mail.link_starting(&format!("{}/verify-email/", app.settings.public_base_url()));
    assert_eq!(
        app.get(&path_of(&app, &link)).await.status(),
        StatusCode::OK
    );
    let (_, body) = app.get_json("/api/v1/account/email", joan.auth()).await;
    assert_eq!(body["email_verified"], true);

    // Another account cannot take the address.
    let kim = app.user("kim").await;
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/v1/account/email",
            kim.auth(),
            Some(json!({"email": "JOAN@example.org"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "email_taken");
}

#[tokio::test]
async fn web_sign_up_with_required_verification_asks_for_the_mailed_link_first() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "required")]).await;
    let mut visitor = Visitor::new(&app);
    let form = visitor.get("/signup").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains("<label for=\"email\">Email address</label>")
    );
    assert!(
        !form
            .body
            .contains("Email address <span class=\"optional\">"),
        "the address is not optional"
    );
    let page = visitor
        .post(
            "/signup",
            &[
                ("username", "lena"),
                ("password", TEST_PASSWORD),
                ("email", "lena@example.org"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Check your mail"), "{}", page.body);

    // The login page refuses until the link is opened, then signs in.
    let refused = visitor
        .post(
            "/login",
            &[("username", "lena"), ("password", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("Confirm your email address"));
    let mail = smtp.next_mail_to("lena@example.org").await;
    let link = mail.link_starting(&format!("{}/verify-email/", app.settings.public_base_url()));
    assert_eq!(
        visitor.get(&path_of(&app, &link)).await.status,
        StatusCode::OK
    );
    let signed_in = visitor
        .post(
            "/login",
            &[("username", "lena"), ("password", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
}

#[tokio::test]
async fn sent_mail_keeps_no_body_and_is_pruned_after_a_week() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "off")]).await;
    let (status, _) = sign_up(&app, "mona", Some("mona@example.org")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "mona@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    smtp.next_mail_to("mona@example.org").await;
    let ctx = app.context().await;
    // The sender marks it sent right after the server accepted it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let (text, html): (String, String) = loop {
        let row: Option<(String, String)> = sqlx::query_as(
            "select text_body, html_body from mail_outbox where sent_at is not null",
        )
        .fetch_optional(&ctx.pool)
        .await
        .unwrap();
        if let Some(row) = row {
            break row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the mail is marked sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (text.as_str(), html.as_str()),
        ("", ""),
        "the link is not kept"
    );

    assert_eq!(hearth_service::mail::prune(&ctx).await.unwrap(), 0);
    sqlx::query("update mail_outbox set sent_at = now() - interval '8 days'")
        .execute(&ctx.pool)
        .await
        .unwrap();
    assert_eq!(hearth_service::mail::prune(&ctx).await.unwrap(), 1);
}

#[tokio::test]
async fn the_smtp_password_is_sent_to_the_server_and_redacted_in_debug_output() {
    let smtp = SmtpServer::start_with_auth("mailer", "smtp secret 6").await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "off")]).await;
    let settings = format!("{:?}", app.settings);
    assert!(settings.contains("smtp_host"), "{settings}");
    assert!(!settings.contains("smtp secret 6"), "{settings}");
    // The server takes the mail only with the right credentials.
    let (status, _) = sign_up(&app, "nora", Some("nora@example.org")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "nora@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    smtp.next_mail_to("nora@example.org").await;

    // With a wrong password the server refuses it: nothing arrives.
    let mut wrong: Vec<(&str, String)> = smtp.settings();
    for (key, value) in &mut wrong {
        if *key == "HEARTH__EMAIL__PASSWORD" {
            *value = "not the password".to_owned();
        }
    }
    let mut overrides: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    overrides.push(("HEARTH__EMAIL__VERIFICATION", "off"));
    let refused = TestApp::spawn(&overrides).await;
    let (status, _) = sign_up(&refused, "olga", Some("olga@example.org")).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = refused
        .post_json(
            "/api/v1/account/password_reset",
            None,
            json!({"email": "olga@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(
        smtp.wait_for("olga@example.org", Duration::from_secs(3))
            .await
            .is_none(),
        "a wrong SMTP password delivers nothing"
    );
}

#[tokio::test]
async fn lemmy_apps_sign_up_confirm_the_address_and_reset_a_password_by_mail() {
    let smtp = SmtpServer::start().await;
    let app = spawn_with_mail(&smtp, &[("HEARTH__EMAIL__VERIFICATION", "required")]).await;

    // Register as a Lemmy app does: the mail goes out, and (verification being required) no
    // jwt comes back until the address is confirmed, as Lemmy answers.
    let (status, body) = app
        .post_json(
            "/api/v3/user/register",
            None,
            json!({"username": "lou", "password": TEST_PASSWORD,
                   "password_verify": TEST_PASSWORD, "email": "lou@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["verify_email_sent"], true, "{body}");
    assert!(body.get("jwt").is_none_or(|j| j.is_null()), "{body}");
    let login = json!({"username_or_email": "lou", "password": TEST_PASSWORD});
    let (status, body) = app
        .post_json("/api/v3/user/login", None, login.clone())
        .await;
    assert!(status.is_client_error(), "{body}");
    assert_eq!(body["error"], "email_not_verified", "{body}");

    let mail = smtp.next_mail_to("lou@example.org").await;
    let link = mail.link_starting(&format!("{}/verify-email/", app.settings.public_base_url()));
    let token = link.rsplit('/').next().unwrap().to_owned();
    let (status, body) = app
        .post_json(
            "/api/v3/user/verify_email",
            None,
            json!({"token": "not-a-token"}),
        )
        .await;
    assert_eq!(body["error"], "token_not_found", "{status} {body}");
    let (status, body) = app
        .post_json("/api/v3/user/verify_email", None, json!({"token": token}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true, "{body}");
    let (status, body) = app.post_json("/api/v3/user/login", None, login).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A reset by mail from the app's "forgot password", finished with Lemmy's password_change.
    let (status, body) = app
        .post_json(
            "/api/v3/user/password_reset",
            None,
            json!({"email": "lou@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mail = smtp.next_mail_to("lou@example.org").await;
    let link = mail.link_starting(&format!(
        "{}/reset_password/",
        app.settings.public_base_url()
    ));
    let token = link.rsplit('/').next().unwrap().to_owned();
    let new_password = "lou's new password 9";
    let (status, body) = app
        .post_json(
            "/api/v3/user/password_change",
            None,
            json!({"token": token, "password": new_password, "password_verify": new_password}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = try_login(&app, "lou", TEST_PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password");
    app.login("lou", new_password).await;
    // An unknown address gets the same answer and no mail.
    let (status, body) = app
        .post_json(
            "/api/v3/user/password_reset",
            None,
            json!({"email": "nobody@example.org"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true, "{body}");
    assert!(
        smtp.wait_for("nobody@example.org", Duration::from_secs(2))
            .await
            .is_none()
    );
}
