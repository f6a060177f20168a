//! Pictures in the web interface: a member sets an avatar and writes an image post with alt text
//! in a real Chromium, sees the thumbnail in the feed and the picture on the post's page (and
//! the screenshots of docs/screenshots show them); a file that is not a picture is refused next
//! to its field; the forms with pictures keep their CSRF protection; and no page points an
//! `<img>` at another server.

use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::browser::{Browser, screenshot_dir};
use hearth_tests::pictures::{landscape, noise_png};
use reqwest::StatusCode;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Writes `bytes` to a file named `name` in `dir`, for a file input to pick.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Writes a landscape of `width` × `height` pixels to a file named `name` in `dir`, encoded as
/// the name's extension says.
fn landscape_file(dir: &Path, name: &str, width: u32, height: u32) -> PathBuf {
    let format = image::ImageFormat::from_path(name).unwrap();
    file(dir, name, &landscape(width, height, format))
}

/// Makes the community `name` owned by `owner`.
async fn community(app: &TestApp, owner: &TestUser, name: &str, title: &str) {
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": name, "title": title, "description": "Photos from the allotment."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Chooses `path` in the file input matching `css`.
async fn choose_file(browser: &Browser, css: &str, path: &Path) {
    browser
        .find(css)
        .await
        .send_keys(path.to_str().unwrap())
        .await
        .unwrap_or_else(|e| panic!("cannot choose a file in `{css}`: {e}"));
}

/// Submits the profile form of the settings page and waits until it is saved.
async fn save_profile(browser: &Browser) {
    browser
        .click("form[action='/settings/profile'] button[type=submit]")
        .await;
    browser
        .wait_for_text("p.success", "Your profile was saved.")
        .await;
}

/// Every `<img src>` of the current page, as written.
async fn image_sources(browser: &Browser) -> Vec<String> {
    let mut sources = Vec::new();
    for image in browser.find_all("img").await {
        if let Some(src) = image.attr("src").await.unwrap() {
            sources.push(src);
        }
    }
    sources
}

/// Pages load pictures from this server only, by path: never another server's URL.
async fn assert_images_are_ours(browser: &Browser) {
    for src in image_sources(browser).await {
        assert!(
            src.starts_with('/') && !src.starts_with("//"),
            "an image that is not ours: {src} on {}",
            browser.path().await
        );
    }
}

/// The status and content type a picture's path answers with.
async fn fetch(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (response.status(), content_type)
}

/// The HTML of the page at `path`, as an anonymous reader gets it.
async fn page_html(app: &TestApp, path: &str) -> String {
    app.get(path).await.text().await.unwrap()
}

/// `path` answers with a picture.
async fn assert_serves_picture(app: &TestApp, path: &str) {
    let (status, content_type) = fetch(app, path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert!(content_type.starts_with("image/"), "{path}: {content_type}");
}

/// `src` is the path of one of this server's thumbnails, and it answers with a picture.
async fn assert_serves_thumbnail(app: &TestApp, src: &str) {
    assert!(
        src.starts_with("/media/") && src.ends_with(".thumbnail"),
        "{src}"
    );
    assert_serves_picture(app, src).await;
}

#[tokio::test]
async fn a_member_sets_an_avatar_and_shares_a_picture_with_alt_text_in_the_browser() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "allotment", "Allotment Diaries").await;
    // Something else in the feed, as a living site has it.
    let bob = app.user("bob").await;
    let (status, body) = app
        .post_json("/api/v1/communities/allotment/join", bob.auth(), json!({}))
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            bob.auth(),
            json!({
                "community": "allotment",
                "title": "Which climbing beans did well for you this year?",
                "body": "Mine were slow to start after the cold May.",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let files = tempfile::tempdir().unwrap();
    let avatar = landscape_file(files.path(), "me.png", 256, 256);
    let photo = landscape_file(files.path(), "tomatoes.jpg", 1200, 800);
    let notes = file(
        files.path(),
        "notes.txt",
        b"Water the tomatoes on Tuesday.\n",
    );
    let alt = "Rows of tomato plants under a pale blue sky";
    let dir = screenshot_dir();
    let browser = Browser::start_for_screenshots("web_media").await;
    browser
        .run(async {
            browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;

            // An avatar, chosen on the settings page, appears in the header.
            browser.goto(&format!("{}/settings", app.base)).await;
            choose_file(&browser, "#avatar", &avatar).await;
            save_profile(&browser).await;
            let header_avatar = browser
                .attr(".account-menu summary img.avatar-picture", "src")
                .await
                .unwrap();
            assert_serves_thumbnail(&app, &header_avatar).await;
            // The form shows the avatar it has, with a way to remove it.
            assert!(browser.exists(".picture-current img.avatar-preview").await);
            assert!(browser.exists("#remove_avatar").await);

            // A text file is not a picture: the post form says so next to the image field,
            // keeps what was typed, and nothing is posted.
            browser
                .goto(&format!("{}/create_post?community=allotment", app.base))
                .await;
            browser.fill("#title", "My notes").await;
            choose_file(&browser, "#image", &notes).await;
            browser.fill("#alt_text", "Notes").await;
            browser.click("main form button[type=submit]").await;
            let refusal = browser
                .wait_for_text("#image-error", "not a JPEG, PNG, WebP or GIF image")
                .await;
            assert!(refusal.contains("SVG is not accepted"), "{refusal}");
            assert_eq!(
                browser.attr("#image", "aria-invalid").await.as_deref(),
                Some("true")
            );
            assert!(
                browser
                    .text(".error-summary")
                    .await
                    .contains("not a JPEG, PNG, WebP or GIF image")
            );
            assert_eq!(
                browser
                    .find("#title")
                    .await
                    .prop("value")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("My notes")
            );
            browser
                .screenshot(&dir.join("post-form-refused-file.png"))
                .await;

            // A picture needs its alt text: without one the form comes back with the picture
            // kept, so only the description is missing.
            browser.fill("#title", "First tomatoes of the year").await;
            browser.fill("#alt_text", "").await;
            choose_file(&browser, "#image", &photo).await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_text("#alt_text-error", "Alt text is needed with a picture")
                .await;
            assert!(browser.exists(".picture-current img.picture-preview").await);
            browser.fill("#alt_text", alt).await;
            browser
                .fill("#body", "Planted in April, picked this morning.")
                .await;
            browser.click("main form button[type=submit]").await;
            let path = browser
                .wait_for_path("a post's page", |p| p.starts_with("/post/"))
                .await;
            let post_id: i64 = path.trim_start_matches("/post/").parse().unwrap();

            // The post's page shows the picture full size, with its alt text as the image's
            // alt and, on request, as text.
            let image = browser.find("figure.post-image img").await;
            assert_eq!(image.attr("alt").await.unwrap().as_deref(), Some(alt));
            let src = image.attr("src").await.unwrap().unwrap();
            assert!(src.starts_with("/media/"), "{src}");
            assert_eq!(image.attr("width").await.unwrap().as_deref(), Some("1200"));
            assert_eq!(image.attr("height").await.unwrap().as_deref(), Some("800"));
            let (status, content_type) = fetch(&app, &src).await;
            assert_eq!(
                (status, content_type.as_str()),
                (StatusCode::OK, "image/jpeg")
            );
            browser
                .click("figure.post-image details.alt-text summary")
                .await;
            browser
                .wait_for_text("figure.post-image details.alt-text p", alt)
                .await;
            browser
                .wait_for_text(".post-head .author-link", "alice")
                .await;
            assert!(
                browser
                    .exists(".post-head .author-link img.avatar-img")
                    .await
            );
            assert_images_are_ours(&browser).await;
            browser.screenshot(&dir.join("post-image.png")).await;

            // The feed shows its thumbnail and the author's avatar.
            browser.goto(&format!("{}/c/allotment", app.base)).await;
            let thumbnail = browser
                .attr(&format!("#p{post_id} .post-thumbnail img"), "src")
                .await
                .unwrap();
            assert_serves_thumbnail(&app, &thumbnail).await;
            assert!(
                browser
                    .exists(&format!("#p{post_id} .author-link img.avatar-img"))
                    .await
            );
            assert_images_are_ours(&browser).await;
            browser.goto(&format!("{}/", app.base)).await;
            browser
                .find(&format!("#p{post_id} .post-thumbnail img"))
                .await;
            browser.screenshot(&dir.join("feed-image-post.png")).await;

            // The profile shows the avatar.
            browser.goto(&format!("{}/u/alice", app.base)).await;
            browser.find(".profile-head img.profile-avatar").await;
            browser
                .find(&format!("#p{post_id} .post-thumbnail img"))
                .await;
            assert_images_are_ours(&browser).await;
            browser.screenshot(&dir.join("profile-avatar.png")).await;

            // Removing the avatar empties it everywhere.
            browser.goto(&format!("{}/settings", app.base)).await;
            browser.click("#remove_avatar").await;
            save_profile(&browser).await;
            assert!(!browser.exists(".account-menu summary img").await);
            assert!(browser.exists(".account-menu summary .avatar").await);
        })
        .await;
    eprintln!("screenshots in {}", dir.display());
    browser.close().await;
    let posts: i64 = sqlx::query_scalar("select count(*) from post")
        .fetch_one(&app.db.pool().await)
        .await
        .unwrap();
    assert_eq!(posts, 2, "the refused forms posted nothing");
    app.stop().await;
}

#[tokio::test]
async fn a_community_gets_an_icon_and_a_banner_from_its_form() {
    let app = TestApp::spawn(&[]).await;
    let files = tempfile::tempdir().unwrap();
    let icon = landscape_file(files.path(), "icon.png", 128, 128);
    let banner = landscape_file(files.path(), "banner.jpg", 1200, 300);
    app.user("rosa").await;
    let browser = Browser::start("web_media_community", false).await;
    browser
        .run(async {
            browser.sign_in(&app.base, "rosa", TEST_PASSWORD).await;
            browser
                .goto(&format!("{}/create_community", app.base))
                .await;
            browser.fill("#name", "orchard").await;
            browser.fill("#title", "The Orchard").await;
            choose_file(&browser, "#icon", &icon).await;
            choose_file(&browser, "#banner", &banner).await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_path("the community's page", |p| p == "/c/orchard")
                .await;
            let icon_src = browser
                .attr(".community-head img.community-icon", "src")
                .await
                .unwrap();
            let banner_src = browser
                .attr(".community-head img.banner", "src")
                .await
                .unwrap();
            for src in [&icon_src, &banner_src] {
                assert!(src.starts_with("/media/"), "{src}");
                assert_eq!(fetch(&app, src).await.0, StatusCode::OK);
            }
            assert_images_are_ours(&browser).await;

            // The edit form shows both; removing the banner keeps the icon.
            browser.goto(&format!("{}/c/orchard/edit", app.base)).await;
            assert!(browser.exists(".picture-current img.avatar-preview").await);
            browser.click("#remove_banner").await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_path("the community's page", |p| p == "/c/orchard")
                .await;
            assert!(browser.exists(".community-head img.community-icon").await);
            assert!(!browser.exists(".community-head img.banner").await);

            // The directory shows the icon next to the name.
            browser.goto(&format!("{}/communities", app.base)).await;
            browser.find(".community-card h2 img.avatar-img").await;
        })
        .await;
    browser.close().await;
    app.stop().await;
}

// ---- The forms with pictures, as a script would post them ------------------------------------

const BOUNDARY: &str = "web-media-test-boundary-b2c4e6";

/// One part of a multipart body.
enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match part {
            Part::Text(name, value) => {
                body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, filename, bytes) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// A browser's session of `user`: the session cookie holds a token, as signing in makes one,
/// and the CSRF cookie a token of our choosing.
struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    fn of(user: &TestUser) -> Self {
        let csrf = "c5".repeat(32);
        Self {
            cookie: format!("hearth_session={}; hearth_csrf={csrf}", user.token),
            csrf,
        }
    }
}

/// Posts a multipart body to `path` with the session's cookies and extra `headers`.
async fn post_multipart(
    app: &TestApp,
    session: &Session,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> (StatusCode, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client
        .post(format!("{}{path}", app.base))
        .header("cookie", &session.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

async fn uploads(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from upload")
        .fetch_one(&app.db.pool().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn forms_with_pictures_refuse_forged_requests_before_storing_anything() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let session = Session::of(&alice);
    let png = landscape(64, 64, image::ImageFormat::Png);
    let wrong = "0".repeat(64);
    let forged = [
        // No token at all.
        (
            multipart(&[
                Part::Text("display_name", "Mallory"),
                Part::File("avatar", "a.png", &png),
            ]),
            Vec::new(),
        ),
        // A wrong token.
        (
            multipart(&[
                Part::Text("csrf_token", &wrong),
                Part::File("avatar", "a.png", &png),
            ]),
            Vec::new(),
        ),
        // The right token, but only after the file: the file would have been read first.
        (
            multipart(&[
                Part::File("avatar", "a.png", &png),
                Part::Text("csrf_token", &session.csrf),
            ]),
            Vec::new(),
        ),
        // The right token from a page of another site.
        (
            multipart(&[
                Part::Text("csrf_token", &session.csrf),
                Part::File("avatar", "a.png", &png),
            ]),
            vec![("sec-fetch-site", "cross-site")],
        ),
    ];
    for (i, (body, headers)) in forged.into_iter().enumerate() {
        let (status, page) =
            post_multipart(&app, &session, "/settings/profile", body, &headers).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "forged request {i}: {page}");
        assert!(
            page.contains("did not come from this site"),
            "forged request {i}: {page}"
        );
    }
    assert_eq!(uploads(&app).await, 0, "a forged form stored a picture");

    // The same form, sent properly, saves the profile with its avatar.
    let body = multipart(&[
        Part::Text("csrf_token", &session.csrf),
        Part::Text("display_name", "Alice"),
        Part::Text("bio", ""),
        Part::File("avatar", "a.png", &png),
        Part::File("banner", "", b""),
    ]);
    let (status, page) = post_multipart(&app, &session, "/settings/profile", body, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(uploads(&app).await, 1);
    let (status, me) = app.get_json("/api/v1/users/alice", None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Alice");
    let avatar = me["avatar_url"].as_str().unwrap_or_default();
    assert!(
        avatar.starts_with(&format!("{}/media/", app.settings.public_base_url())),
        "{me}"
    );
    assert!(me["banner_url"].is_null(), "{me}");
    app.stop().await;
}

#[tokio::test]
async fn a_picture_larger_than_the_upload_limit_is_refused_next_to_its_field() {
    // A small limit, so that the test need not send megabytes; the form's body limit follows it.
    let app = TestApp::spawn(&[("HEARTH__MEDIA__MAX_UPLOAD_BYTES", "20000")]).await;
    let alice = app.user("alice").await;
    let session = Session::of(&alice);
    // Past the limit, yet well within the form's body limit (the limit and 64 KiB).
    let big = noise_png(100, 100);
    assert!((20_001..60_000).contains(&big.len()), "{} bytes", big.len());
    let body = multipart(&[
        Part::Text("csrf_token", &session.csrf),
        Part::Text("display_name", "Alice"),
        Part::File("avatar", "big.png", &big),
        Part::Text("bio", "Still here after the file."),
    ]);
    let (status, page) = post_multipart(&app, &session, "/settings/profile", body, &[]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert!(page.contains("id=\"avatar-error\""), "{page}");
    assert!(page.contains("The picture is too large"), "{page}");
    assert!(page.contains("Still here after the file."), "{page}");
    assert_eq!(uploads(&app).await, 0);
    app.stop().await;

    // Within the limit, but larger than a JSON request may be, the route takes it: the 1 MiB
    // limit of other requests does not apply to pictures.
    let app = TestApp::spawn(&[("HEARTH__HTTP__MAX_BODY_BYTES", "4096")]).await;
    let bob = app.user("bob").await;
    let session = Session::of(&bob);
    let png = noise_png(64, 64);
    assert!(png.len() > 4096, "{} bytes", png.len());
    let body = multipart(&[
        Part::Text("csrf_token", &session.csrf),
        Part::File("avatar", "b.png", &png),
    ]);
    let (status, page) = post_multipart(&app, &session, "/settings/profile", body, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(uploads(&app).await, 1);
    app.stop().await;
}

/// Every `src` of an `<img>` in `html`.
fn img_sources(html: &str) -> Vec<String> {
    html.split("<img")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            let start = tag.find(" src=\"")? + " src=\"".len();
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_owned())
        })
        .collect()
}

/// `POST /api/v1/media` with `bytes` as the `file` field (declared as any file, as a form
/// sends it): the upload's JSON.
async fn api_upload(app: &TestApp, user: &TestUser, bytes: &[u8]) -> serde_json::Value {
    let (status, uploaded) =
        crate::media::upload(app, user, "picture.png", "application/octet-stream", bytes).await;
    assert!(status.is_success(), "{status} {uploaded}");
    uploaded
}

#[tokio::test]
async fn pages_show_other_servers_pictures_from_the_cache_never_from_their_home() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "allotment", "Allotment Diaries").await;
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            alice.auth(),
            json!({"community": "allotment", "title": "Seen elsewhere", "body": "Look."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let post_id = post["id"].as_i64().unwrap();
    let (status, comment) = app
        .post_json(
            "/api/v1/comments",
            alice.auth(),
            json!({"post_id": post_id, "body": "And a comment."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{comment}");
    // The image slots as a remote object's would be stored: their home servers' URLs.
    let elsewhere = "https://pictures.elsewhere.example";
    let pool = app.db.pool().await;
    for statement in [
        format!(
            "update person set avatar_url = '{elsewhere}/avatar.png', banner_url = '{elsewhere}/banner.jpg' where name = 'alice'"
        ),
        format!(
            "update community set icon_url = '{elsewhere}/icon.png', banner_url = '{elsewhere}/cbanner.jpg'"
        ),
        format!("update post set thumbnail_url = '{elsewhere}/thumb.jpg'"),
        format!(
            "insert into post_image (post_id, position, url, alt_text) values ({post_id}, 0, '{elsewhere}/full.jpg', 'A remote picture')"
        ),
    ] {
        sqlx::query(&statement).execute(&pool).await.unwrap();
    }
    let visitor = reqwest::Client::new();
    let signed_in = Session::of(&alice);
    let mut seen = Vec::new();
    for path in [
        "/".to_owned(),
        "/c/allotment".to_owned(),
        format!("/post/{post_id}"),
        "/u/alice".to_owned(),
        "/communities".to_owned(),
        "/settings".to_owned(),
        format!("/post/{post_id}/edit"),
    ] {
        let mut request = visitor.get(format!("{}{path}", app.base));
        if path.contains("settings") || path.contains("edit") || path == "/" {
            request = request.header("cookie", &signed_in.cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.unwrap();
        for src in img_sources(&html) {
            assert!(
                src.starts_with('/') && !src.starts_with("//"),
                "{path} loads an image from elsewhere: {src}"
            );
            seen.push(src);
        }
    }
    for url in [
        "avatar.png",
        "banner.jpg",
        "icon.png",
        "cbanner.jpg",
        "thumb.jpg",
        "full.jpg",
    ] {
        let cached = format!(
            "/media/remote/{}",
            hearth_db::media::url_key(&format!("{elsewhere}/{url}"))
        );
        assert!(seen.contains(&cached), "{url} is not shown from the cache");
    }
    // The full-size picture is a link to its home (`media.remote_full_size = "link"`): a click
    // goes there, a page view does not.
    let html = page_html(&app, &format!("/post/{post_id}")).await;
    assert!(
        html.contains(&format!("href=\"{elsewhere}/full.jpg\"")),
        "{html}"
    );
    assert!(html.contains("alt=\"A remote picture\""), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn an_nsfw_picture_shows_blurred_until_the_reader_asks_for_it() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "allotment", "Allotment Diaries").await;
    let uploaded = api_upload(&app, &alice, &landscape(320, 240, image::ImageFormat::Png)).await;
    let hash = uploaded["hash"].as_str().unwrap().to_owned();
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            alice.auth(),
            json!({
                "community": "allotment",
                "title": "Slug damage, close up",
                "nsfw": true,
                "images": [{"url": uploaded["url"], "alt_text": "A half-eaten lettuce"}],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let post_id = post["id"].as_i64().unwrap();

    // A reader who has not asked for NSFW posts sees the blurred placeholder; the picture
    // itself waits inside the closed gate.
    let html = page_html(&app, &format!("/post/{post_id}")).await;
    let gate = html
        .find("<details class=\"nsfw-gate\">")
        .expect("the NSFW gate");
    let placeholder = html
        .find(&format!("src=\"/media/{hash}.blurred\""))
        .expect("the blurred placeholder");
    let picture_at = html
        .find(&format!("src=\"/media/{hash}\""))
        .expect("the picture");
    assert!(gate < placeholder && placeholder < picture_at, "{html}");
    assert!(html.contains("alt=\"A half-eaten lettuce\""), "{html}");
    assert_serves_picture(&app, &format!("/media/{hash}.blurred")).await;

    // A reader who shows NSFW posts gets the thumbnail in the feed and no gate.
    let session = Session::of(&alice);
    let saved = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/settings/preferences", app.base))
        .header("cookie", &session.cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "csrf_token={}&show_nsfw=on&theme=system",
            session.csrf
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = |path: String| {
        let cookie = session.cookie.clone();
        let base = app.base.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{base}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let feed = page("/c/allotment".to_owned()).await;
    assert!(
        feed.contains(&format!("src=\"/media/{hash}.thumbnail\"")),
        "{feed}"
    );
    let html = page(format!("/post/{post_id}")).await;
    assert!(!html.contains("nsfw-gate"), "{html}");
    assert!(!html.contains(".blurred"), "{html}");
    app.stop().await;
}
