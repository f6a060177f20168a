//! The Lemmy-compatible API's front door: `GET /api/v3/site` as apps read it at start-up,
//! `user/login` (a real JWT, accepted as a bearer and as the `jwt` cookie, one session with the
//! JSON API's), `user/register`, `user/logout`, errors in Lemmy's shape, CORS for browser
//! clients, and `/api/v3` announced in NodeInfo.

use base64::Engine;
use hearth_tests::app::{TEST_PASSWORD, TestApp};
use hearth_tests::lemmy::v3_jwt;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The claims of a JWT (its middle part), decoded without checking the signature, as apps do.
fn claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWT has three parts: {jwt}");
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[0])
        .expect("base64url header");
    let header: Value = serde_json::from_slice(&header).expect("JSON header");
    assert_eq!(header["alg"], json!("HS256"));
    assert_eq!(header["typ"], json!("JWT"));
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .expect("base64url payload");
    serde_json::from_slice(&payload).expect("JSON claims")
}

#[tokio::test]
async fn an_app_reads_the_site_signs_in_with_a_jwt_and_signs_out() {
    let app = TestApp::spawn(&[]).await;
    let member = app.user("ada").await;

    // Anonymous: the site, Lemmy's version, no my_user, optional fields left out.
    let (status, site) = app.get_json("/api/v3/site", None).await;
    assert_eq!(status, StatusCode::OK, "{site}");
    assert!(
        site["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("0.19.")),
        "{site}"
    );
    assert!(site.get("my_user").is_none(), "no my_user anonymously");
    let view = &site["site_view"];
    assert_eq!(view["site"]["name"], json!("Hearth"));
    assert_eq!(
        view["site"]["actor_id"],
        json!(format!("http://{}/", app.settings.hostname))
    );
    assert!(
        view["site"].get("icon").is_none(),
        "empty optionals are absent, not null"
    );
    assert_eq!(view["local_site"]["registration_mode"], json!("Open"));
    assert_eq!(view["local_site"]["site_setup"], json!(true));
    assert_eq!(view["counts"]["users"], json!(2), "the setup admin and ada");
    let admins = site["admins"].as_array().expect("admins");
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0]["is_admin"], json!(true));
    assert_eq!(site["all_languages"][0]["code"], json!("und"));

    // Login by name and by email address; the jwt is a JWT with sub and iss.
    let jwt = v3_jwt(&app, "ada").await;
    let claims = claims(&jwt);
    assert_eq!(claims["sub"], json!(member.id.to_string()));
    assert_eq!(claims["iss"], json!(app.settings.hostname.to_string()));
    assert!(claims["iat"].as_i64().is_some());

    // Signed in: my_user with the account.
    let (status, site) = app.get_json("/api/v3/site", Some(&jwt)).await;
    assert_eq!(status, StatusCode::OK, "{site}");
    let me = &site["my_user"]["local_user_view"];
    assert_eq!(me["person"]["name"], json!("ada"));
    assert_eq!(me["local_user"]["person_id"], json!(member.id));
    assert_eq!(me["local_user"]["admin"], json!(false));
    assert_eq!(site["my_user"]["follows"], json!([]));

    // The same session in the jwt cookie (Lemmy's web client) and in the JSON API.
    let response = app
        .client
        .get(format!("{}/api/v3/site", app.base))
        .header("cookie", format!("theme=dark; jwt={jwt}"))
        .send()
        .await
        .expect("request");
    let site: Value = response.json().await.expect("JSON");
    assert_eq!(
        site["my_user"]["local_user_view"]["person"]["name"],
        json!("ada")
    );
    let (status, me) = app.get_json("/api/v1/me", Some(&jwt)).await;
    assert_eq!(status, StatusCode::OK, "the JSON API takes the jwt: {me}");
    let (_, tokens) = app.get_json("/api/v1/auth/tokens", Some(&jwt)).await;
    assert!(
        tokens.to_string().contains("Lemmy API"),
        "the v3 session is listed with the others: {tokens}"
    );

    // Logout ends that session only.
    let (status, body) = app
        .post_json("/api/v3/user/logout", Some(&jwt), json!({}))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let (status, site) = app.get_json("/api/v3/site", Some(&jwt)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        site.get("my_user").is_none(),
        "a stale jwt reads as anonymous"
    );
    let (status, body) = app
        .post_json("/api/v3/user/logout", Some(&jwt), json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], json!("not_logged_in"));
    let (status, _) = app.get_json("/api/v1/me", Some(&member.token)).await;
    assert_eq!(status, StatusCode::OK, "the other session still works");
}

#[tokio::test]
async fn login_and_register_answer_in_lemmys_error_shape() {
    let app = TestApp::spawn(&[]).await;
    app.user("ada").await;

    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "ada", "password": "not the password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], json!("incorrect_login"));
    assert!(body["message"].is_string());

    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "ada"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], json!("invalid_query"));

    let response = app
        .client
        .post(format!("{}/api/v3/user/login", app.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON error");
    assert_eq!(body["error"], json!("invalid_query"));

    // Register: open mode signs the new account in at once.
    let (status, body) = app
        .post_json(
            "/api/v3/user/register",
            None,
            json!({"username": "grace", "password": "a long enough password",
                   "password_verify": "a long enough password", "email": "grace@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["jwt"].is_string());
    assert_eq!(body["registration_created"], json!(false));
    // ... and can then sign in by email address.
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "GRACE@example.com", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "login by email: {body}");

    for (form, error) in [
        (
            json!({"username": "grace", "password": "a long enough password",
                   "password_verify": "a long enough password"}),
            "user_already_exists",
        ),
        (
            json!({"username": "linus", "password": "a long enough password",
                   "password_verify": "another long password"}),
            "passwords_do_not_match",
        ),
        (
            json!({"username": "bot", "password": "a long enough password",
                   "password_verify": "a long enough password", "honeypot": "gotcha"}),
            "honeypot_failed",
        ),
        (
            json!({"username": "no spaces allowed", "password": "a long enough password",
                   "password_verify": "a long enough password"}),
            "invalid_name",
        ),
    ] {
        let (status, body) = app.post_json("/api/v3/user/register", None, form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"], json!(error), "{body}");
    }

    // An endpoint Lemmy does not have, or a method it does not take there: 404 in the same
    // shape.
    let (status, body) = app.get_json("/api/v3/no/such/endpoint", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], json!("not_found"));
    let (status, body) = app.get_json("/api/v3/user/login", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], json!("not_found"));
}

#[tokio::test]
async fn too_many_logins_from_one_address_answer_429_as_lemmy_does() {
    let app = TestApp::spawn(&[("HEARTH__RATE_LIMITS__LOGIN__MAX", "2")]).await;
    app.user("ada").await;
    // `user` signed in once through the JSON API: one more is allowed, then the limit holds for
    // both faces alike.
    let wrong = json!({"username_or_email": "ada", "password": "wrong"});
    let (status, _) = app
        .post_json("/api/v3/user/login", None, wrong.clone())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.post_json("/api/v3/user/login", None, wrong).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], json!("rate_limit_error"));
}

#[tokio::test]
async fn registration_that_needs_approval_gives_no_jwt_until_an_admin_approves() {
    let app = TestApp::spawn(&[]).await;
    let admin = app.admin("boss").await;
    let (status, _) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/site",
            admin.auth(),
            Some(json!({"registration_mode": "approval", "application_question": "Why?"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, site) = app.get_json("/api/v3/site", None).await;
    assert_eq!(
        site["site_view"]["local_site"]["registration_mode"],
        json!("RequireApplication")
    );
    assert_eq!(
        site["site_view"]["local_site"]["application_question"],
        json!("Why?")
    );
    let (status, body) = app
        .post_json(
            "/api/v3/user/register",
            None,
            json!({"username": "newcomer", "password": "a long enough password",
                   "password_verify": "a long enough password", "answer": "I like it here"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("jwt").is_none(), "no jwt while pending: {body}");
    assert_eq!(body["registration_created"], json!(true));
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "newcomer", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], json!("registration_application_is_pending"));
}

#[tokio::test]
async fn browser_clients_on_other_origins_may_call_the_api_without_credentials() {
    let app = TestApp::spawn(&[]).await;
    let response = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v3/post/list", app.base),
        )
        .header("origin", "https://some-lemmy-client.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("preflight");
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(
        headers["access-control-allow-headers"]
            .to_str()
            .expect("text")
            .to_ascii_lowercase()
            .contains("authorization")
    );
    assert!(headers.get("access-control-allow-credentials").is_none());
    let response = app
        .client
        .get(format!("{}/api/v3/site", app.base))
        .header("origin", "https://some-lemmy-client.example")
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    // The JSON API and the pages are not opened to other origins by this.
    let response = app
        .client
        .get(format!("{}/api/v1/communities", app.base))
        .header("origin", "https://some-lemmy-client.example")
        .send()
        .await
        .expect("request");
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn nodeinfo_names_the_lemmy_compatible_api() {
    let app = TestApp::spawn(&[]).await;
    let (status, info) = app.get_json("/nodeinfo/2.1", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        info["software"]["name"],
        json!("hearth"),
        "Hearth's own name stays"
    );
    let apis = info["metadata"]["apis"].as_array().expect("apis");
    let lemmy = apis
        .iter()
        .find(|api| api["name"] == json!("lemmy"))
        .expect("the Lemmy API is listed");
    assert_eq!(lemmy["path"], json!("/api/v3"));
    let (_, site) = app.get_json("/api/v3/site", None).await;
    assert_eq!(lemmy["version"], site["version"]);
}

/// Uploads `bytes` at Lemmy's picture path as lemmy-js-client does (field `images[]`).
async fn pictrs_upload(app: &TestApp, jwt: Option<&str>, bytes: Vec<u8>) -> (StatusCode, Value) {
    let boundary = "lemmy-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"images[]\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = app
        .client
        .post(format!("{}/pictrs/image", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(jwt) = jwt {
        request = request.bearer_auth(jwt);
    }
    let response = request.send().await.expect("upload request");
    let status = response.status();
    (status, response.json().await.expect("JSON answer"))
}

#[tokio::test]
async fn apps_upload_pictures_at_lemmys_path_and_post_them() {
    let app = TestApp::spawn(&[]).await;
    app.user("ada").await;
    app.user("eve").await;
    let jwt = v3_jwt(&app, "ada").await;
    let eve = v3_jwt(&app, "eve").await;

    let (status, body) =
        pictrs_upload(&app, None, hearth_tests::pictures::gradient_png(40, 30)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["msg"], json!("not_logged_in"));

    let (status, body) = pictrs_upload(&app, Some(&jwt), b"not a picture".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["msg"], json!("not_an_image_type"));

    let (status, body) = pictrs_upload(
        &app,
        Some(&jwt),
        hearth_tests::pictures::gradient_png(40, 30),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["msg"], json!("ok"));
    let file = body["files"][0]["file"].as_str().expect("file").to_owned();
    let token = body["files"][0]["delete_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(file.ends_with(".png"), "{file}");

    // The URL the client builds from the answer leads to the stored picture.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = no_redirects
        .get(format!("{}/pictrs/image/{file}", app.base))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        response.headers()["location"],
        format!("/media/{file}").as_str()
    );
    let response = app.get(&format!("/pictrs/image/{file}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let response = no_redirects
        .get(format!("{}/pictrs/image/{file}?thumbnail=256", app.base))
        .send()
        .await
        .expect("request");
    let hash = file.trim_end_matches(".png");
    assert_eq!(
        response.headers()["location"],
        format!("/media/{hash}.thumbnail").as_str()
    );
    let response = app.get("/pictrs/image/not-a-hash.png").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A post whose link is that URL is an image post of that picture, with the alt text.
    let (status, community) = app
        .post_json(
            "/api/v1/communities",
            Some(&jwt),
            json!({"name": "pictures", "title": "Pictures"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{community}");
    let (status, created) = app
        .post_json(
            "/api/v3/post",
            Some(&jwt),
            json!({"name": "A gradient", "community_id": community["id"],
                   "url": format!("http://{}/pictrs/image/{file}", app.settings.hostname),
                   "alt_text": "A grey gradient, dark to light"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let post_id = created["post_view"]["post"]["id"]
        .as_i64()
        .expect("post id");
    let (_, post) = app
        .get_json(&format!("/api/v1/posts/{post_id}"), None)
        .await;
    let media_url = format!("http://{}/media/{file}", app.settings.hostname);
    assert_eq!(post["url"], json!(media_url), "{post}");
    assert_eq!(post["images"][0]["url"], json!(media_url), "{post}");
    assert_eq!(
        post["images"][0]["alt_text"],
        json!("A grey gradient, dark to light")
    );

    // It is ada's upload in the JSON API too.
    let (_, mine) = app.get_json("/api/v1/media", Some(&jwt)).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");

    // Only the uploader deletes it with its token.
    let delete = format!("{}/pictrs/image/delete/{token}/{file}", app.base);
    let response = app
        .client
        .get(&delete)
        .bearer_auth(&eve)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["error"],
        json!("not_a_mod_or_admin"),
        "eve is not the uploader: {body}"
    );
    let response = app.client.get(&delete).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "anonymous");
    let response = app
        .client
        .get(&delete)
        .bearer_auth(&jwt)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, mine) = app.get_json("/api/v1/media", Some(&jwt)).await;
    assert_eq!(mine, json!([]));
    let (_, post) = app
        .get_json(&format!("/api/v1/posts/{post_id}"), None)
        .await;
    assert_eq!(
        post["images"],
        json!([]),
        "the deleted upload left the post: {post}"
    );
}

#[tokio::test]
async fn apps_change_the_profile_the_password_and_delete_the_account() {
    let app = TestApp::spawn(&[]).await;
    let ada = app.user("ada").await;
    let jwt = v3_jwt(&app, "ada").await;

    // An avatar uploaded at Lemmy's path and set by its /pictrs/image/ URL, as apps do.
    let (_, uploaded) = pictrs_upload(
        &app,
        Some(&jwt),
        hearth_tests::pictures::gradient_png(64, 64),
    )
    .await;
    let file = uploaded["files"][0]["file"]
        .as_str()
        .expect("file")
        .to_owned();
    let host = app.settings.hostname.to_string();
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/save_user_settings",
            Some(&jwt),
            Some(json!({"display_name": "Ada L.", "bio": "Counts things.",
                        "avatar": format!("http://{host}/pictrs/image/{file}"),
                        "show_nsfw": false, "theme": "darkly",
                        "bot_account": false, "discussion_languages": [0]})),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let (_, site) = app.get_json("/api/v3/site", Some(&jwt)).await;
    let person = &site["my_user"]["local_user_view"]["person"];
    assert_eq!(person["display_name"], json!("Ada L."));
    assert_eq!(person["bio"], json!("Counts things."));
    assert_eq!(
        person["avatar"],
        json!(format!("http://{host}/media/{file}"))
    );
    let (_, me) = app.get_json("/api/v1/me", Some(&jwt)).await;
    assert_eq!(me["display_name"], json!("Ada L."), "{me}");
    // A picture that is not an upload of this server is refused; nothing changes.
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/save_user_settings",
            Some(&jwt),
            Some(json!({"avatar": "https://elsewhere.example/cat.png"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, site) = app.get_json("/api/v3/site", Some(&jwt)).await;
    assert_eq!(
        site["my_user"]["local_user_view"]["person"]["avatar"],
        json!(format!("http://{host}/media/{file}"))
    );
    // An empty string removes it.
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/save_user_settings",
            Some(&jwt),
            Some(json!({"avatar": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, site) = app.get_json("/api/v3/site", Some(&jwt)).await;
    assert!(
        site["my_user"]["local_user_view"]["person"]
            .get("avatar")
            .is_none()
    );
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/save_user_settings",
            None,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("not_logged_in"))
    );

    let (status, media) = app.get_json("/api/v3/account/list_media", Some(&jwt)).await;
    assert_eq!(status, StatusCode::OK, "{media}");
    assert_eq!(
        media["images"][0]["local_image"]["pictrs_alias"],
        json!(file)
    );
    assert_eq!(media["images"][0]["person"]["name"], json!("ada"));

    // Password: a wrong old one is refused; the right one ends every other session and gives
    // a new jwt.
    let change = |old: &str| {
        json!({"old_password": old, "new_password": "a brand new password",
               "new_password_verify": "a brand new password"})
    };
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/change_password",
            Some(&jwt),
            Some(change("wrong")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], json!("incorrect_login"));
    let (status, body) = app
        .call(
            reqwest::Method::PUT,
            "/api/v3/user/change_password",
            Some(&jwt),
            Some(change(TEST_PASSWORD)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fresh = body["jwt"].as_str().expect("a new jwt").to_owned();
    assert_eq!(claims(&fresh)["sub"], json!(ada.id.to_string()));
    let (_, site) = app.get_json("/api/v3/site", Some(&jwt)).await;
    assert!(site.get("my_user").is_none(), "the old jwt ended");
    let (status, _) = app.get_json("/api/v1/me", Some(&ada.token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the JSON API token ended too"
    );
    let (_, site) = app.get_json("/api/v3/site", Some(&fresh)).await;
    assert_eq!(
        site["my_user"]["local_user_view"]["person"]["name"],
        json!("ada")
    );

    let (status, body) = app
        .post_json(
            "/api/v3/user/password_reset",
            None,
            json!({"email": "ada@example.com"}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::BAD_REQUEST, &json!("no_email_setup"))
    );

    // Deleting the account needs the password.
    let (status, body) = app
        .post_json(
            "/api/v3/user/delete_account",
            Some(&fresh),
            json!({"password": "wrong", "delete_content": true}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], json!("incorrect_login"));
    let (status, body) = app
        .post_json(
            "/api/v3/user/delete_account",
            Some(&fresh),
            json!({"password": "a brand new password", "delete_content": true}),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({"success": true})));
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "ada", "password": "a brand new password"}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &json!("incorrect_login"))
    );
}
