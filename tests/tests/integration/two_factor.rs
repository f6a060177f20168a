//! Two-factor sign-in (TOTP) through the JSON API and the Lemmy-compatible login: enrolling
//! (the otpauth URL and QR code, a wrong and a right confirmation code, the recovery codes),
//! signing in with a code the test computes itself from the otpauth URL with the crate's
//! generator, a missing, wrong and replayed code refused, recovery codes working once, and
//! turning it off with the password; and the site rule that requires it of admins and moderators.

use hearth_tests::app::{TEST_PASSWORD, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Seconds since the epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn login(app: &TestApp, name: &str, extra: Value) -> (StatusCode, Value) {
    let mut body = json!({"username": name, "password": TEST_PASSWORD});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post_json("/api/v1/auth/login", None, body).await
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"], code, "{body}");
}

#[tokio::test]
async fn totp_enrol_sign_in_replay_recovery_codes_and_disable() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let (status, body) = app
        .get_json("/api/v1/account/two_factor", alice.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], false, "{body}");

    // Begin: the secret, its otpauth URL and a QR code rendered as SVG.
    let (status, enrolment) = app
        .post_json("/api/v1/account/two_factor", alice.auth(), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let url = enrolment["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    let secret = enrolment["secret"].as_str().unwrap();
    assert!(url.contains(&format!("secret={secret}")), "{url}");
    let svg = enrolment["qr_svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<path"), "{svg}");
    // What an authenticator app does: read the URL, compute codes from it.
    let app_side = totp_rs::Totp::from_url(url).expect("a valid otpauth URL");
    let code_at = |time: u64| app_side.generate(time).to_string();

    // Not on yet: signing in needs no code.
    let (status, body) = login(&app, "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A wrong confirmation code is refused; one that is none of the accepted window's codes.
    let window: Vec<String> = [now() - 30, now(), now() + 30]
        .into_iter()
        .map(code_at)
        .collect();
    let wrong = (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !window.contains(c))
        .unwrap();
    let (status, body) = app
        .post_json(
            "/api/v1/account/two_factor/confirm",
            alice.auth(),
            json!({"code": wrong}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_field");
    let (_, body) = app
        .get_json("/api/v1/account/two_factor", alice.auth())
        .await;
    assert_eq!(body["enabled"], false, "{body}");
    assert_eq!(body["pending"], true, "{body}");

    // The right code turns it on and hands out ten distinct recovery codes.
    let (status, body) = app
        .post_json(
            "/api/v1/account/two_factor/confirm",
            alice.auth(),
            json!({"code": code_at(now())}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let recovery: Vec<String> = body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10, "{body}");
    let mut distinct = recovery.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "{body}");
    let (_, body) = app
        .get_json("/api/v1/account/two_factor", alice.auth())
        .await;
    assert_eq!(body["enabled"], true, "{body}");
    assert_eq!(body["recovery_codes_left"], 10, "{body}");
    // Stored hashed: no recovery code and not the secret appear in the database as text.
    let pool = app.db.pool().await;
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("select code_hash from two_factor_recovery where person_id = $1")
            .bind(alice.id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(stored.iter().all(|h| h.len() == 32), "SHA-256 digests");
    pool.close().await;

    // A second enrolment while it is on is refused.
    let (status, body) = app
        .post_json("/api/v1/account/two_factor", alice.auth(), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "two_factor_enabled");

    // Now the password alone is not enough, and no token is issued.
    let (status, body) = login(&app, "alice", json!({})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "totp_required");
    assert!(body.get("token").is_none(), "{body}");
    // The password is checked first: a wrong one says so, whatever the code.
    let (status, body) = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "alice", "password": "not the password", "totp_code": code_at(now())}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let (status, body) = login(&app, "alice", json!({"totp_code": wrong})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "totp_invalid");

    // The confirmation used the current step, so the next step's code (inside the one-step
    // drift window) signs in; the same code again, or the older one, is a replay.
    let next = code_at(now() + 30);
    let (status, body) = login(&app, "alice", json!({"totp_code": next})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, me) = app.get_json("/api/v1/me", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["name"], "alice", "{me}");
    let (status, body) = login(&app, "alice", json!({"totp_code": next})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "totp_invalid");
    let (status, body) = login(&app, "alice", json!({"totp_code": code_at(now())})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "totp_invalid");

    // A recovery code works once; typed in capitals with spaces, another one works too.
    let (status, body) = login(&app, "alice", json!({"recovery_code": recovery[0]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = login(&app, "alice", json!({"recovery_code": recovery[0]})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "totp_invalid");
    let sloppy = recovery[1].to_uppercase().replace('-', " ");
    let (status, body) = login(&app, "alice", json!({"recovery_code": sloppy})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app
        .get_json("/api/v1/account/two_factor", alice.auth())
        .await;
    assert_eq!(body["recovery_codes_left"], 8, "{body}");

    // The Lemmy-compatible login asks for the code the way Lemmy does and takes it in
    // `totp_2fa_token`.
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "alice", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "missing_totp_token", "{body}");
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "alice", "password": TEST_PASSWORD, "totp_2fa_token": recovery[2]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["jwt"].as_str().is_some(), "{body}");

    // Turning it off needs the password (or a code); then the password alone signs in again.
    let (status, body) = app
        .call(
            Method::DELETE,
            "/api/v1/account/two_factor",
            alice.auth(),
            Some(json!({})),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_field");
    let (status, body) = app
        .call(
            Method::DELETE,
            "/api/v1/account/two_factor",
            alice.auth(),
            Some(json!({"password": "not the password"})),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "invalid_field");
    let (status, body) = app
        .call(
            Method::DELETE,
            "/api/v1/account/two_factor",
            alice.auth(),
            Some(json!({"password": TEST_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = login(&app, "alice", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pool = app.db.pool().await;
    let left: i64 = sqlx::query_scalar(
        "select (select count(*) from two_factor where person_id = $1)
              + (select count(*) from two_factor_recovery where person_id = $1)",
    )
    .bind(alice.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "the secret and the recovery codes are gone");
    pool.close().await;
}

/// Begins and confirms two-factor sign-in for `token`'s account; answers the authenticator.
async fn enrol(app: &TestApp, token: Option<&str>) -> totp_rs::Totp {
    let (status, enrolment) = app
        .post_json("/api/v1/account/two_factor", token, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let app_side = totp_rs::Totp::from_url(enrolment["otpauth_url"].as_str().unwrap())
        .expect("a valid otpauth URL");
    let (status, body) = app
        .post_json(
            "/api/v1/account/two_factor/confirm",
            token,
            json!({"code": app_side.generate(now()).to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app_side
}

#[tokio::test]
async fn admins_can_require_it_of_staff_who_are_refused_staff_actions_until_they_enrol() {
    let app = TestApp::spawn(&[]).await;
    let root = app.admin("root").await;
    let other_admin = app.admin("ops").await;
    let moderator = app.user("mona").await;
    let member = app.user("mel").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            moderator.auth(),
            json!({"name": "garden", "title": "Garden"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            member.auth(),
            json!({"community": "garden", "title": "Slugs", "body": "Beer traps?"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let post_id = post["id"].as_i64().unwrap();
    let remove = format!("/api/v1/posts/{post_id}/remove");

    // Requiring it without having it would lock the asking admin out: refused.
    let require = json!({"require_staff_two_factor": true});
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(require.clone()),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "two_factor_required");
    let (_, site) = app.get_json("/api/v1/admin/site", root.auth()).await;
    assert_eq!(site["require_staff_two_factor"], false, "{site}");

    enrol(&app, root.auth()).await;
    let (status, site) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(require),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{site}");
    assert_eq!(site["require_staff_two_factor"], true, "{site}");

    // Staff without a second factor: every staff action refused with the code that says what
    // to do, before a body is looked at (an admin route with a broken body is still 403).
    let (status, body) = app.get_json("/api/v1/admin/site", other_admin.auth()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "two_factor_required");
    assert!(
        body["message"].as_str().unwrap().contains("two-factor"),
        "{body}"
    );
    let (status, body) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            other_admin.auth(),
            Some(json!({"name": 7})),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "two_factor_required");
    let (status, body) = app
        .post_json(&remove, moderator.auth(), json!({"reason": "spam"}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "two_factor_required");
    let (status, body) = app.get_json("/api/v1/reports", moderator.auth()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "two_factor_required");
    // An admin acting on a community they do not moderate is refused too, not let through as
    // a local-only removal.
    let (status, body) = app
        .post_json(&remove, other_admin.auth(), json!({"reason": "spam"}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "two_factor_required");
    let (_, fetched) = app
        .get_json(&format!("/api/v1/posts/{post_id}"), member.auth())
        .await;
    assert_eq!(fetched["removed"], false, "{fetched}");

    // Everyone else, and staff outside staff work, carry on as before.
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            moderator.auth(),
            json!({"community": "garden", "title": "Snails", "body": "Copper tape."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.get_json("/api/v1/reports", member.auth()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get_json("/api/v1/admin/site", member.auth()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_admin");

    // Once the moderator turns it on, the same token moderates again.
    enrol(&app, moderator.auth()).await;
    let (status, body) = app
        .post_json(&remove, moderator.auth(), json!({"reason": "spam"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["removed"], true, "{body}");
    let (status, body) = app.get_json("/api/v1/reports", moderator.auth()).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Lifting the requirement lets the other admin back in without a second factor.
    let (status, site) = app
        .call(
            Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"require_staff_two_factor": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{site}");
    let (status, body) = app.get_json("/api/v1/admin/site", other_admin.auth()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
