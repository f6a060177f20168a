//! Fetching from elsewhere for pictures: a link post's preview read from the linked page's
//! OpenGraph tags (and its picture kept here), other servers' images cached and served from here,
//! a cache that evicts the least recently shown, an admin's purge of another server's picture,
//! and no fetch at all of a private address when `federation.debug_local` is off.

use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::pictures::gradient_png;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A stand-in for the rest of the web: an article page with OpenGraph tags and its cover picture
/// (a 1,600×1,200 PNG), counting the requests it gets.
struct Website {
    base: String,
    hits: Arc<AtomicUsize>,
}

async fn website() -> Website {
    use axum::routing::get;
    let hits = Arc::new(AtomicUsize::new(0));
    let cover = gradient_png(1600, 1200);
    let counted = hits.clone();
    let router = axum::Router::new()
        .route(
            "/article",
            get(|| async {
                axum::response::Html(
                    r#"<!doctype html><html><head><title>Plain</title>
                    <meta property="og:title" content="Lanterns over the harbour">
                    <meta property="og:description" content="The festival, in pictures.">
                    <meta property="og:image" content="/cover.png">
                    </head><body>…</body></html>"#,
                )
            }),
        )
        .route(
            "/cover.png",
            get(move || {
                let cover = cover.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "image/png")], cover) }
            }),
        )
        .route(
            "/moved.png",
            get(|| async { axum::response::Redirect::temporary("/cover.png") }),
        )
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    next.run(request).await
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Website { base, hits }
}

async fn community_and_member(app: &TestApp) -> TestUser {
    let owner = app.user("lamp").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": "harbour", "title": "Harbour"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    owner
}

async fn link_post(app: &TestApp, author: &TestUser, url: &str) -> i64 {
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": "harbour", "title": "Festival", "url": url}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post["id"].as_i64().unwrap()
}

/// Polls `check` every 100 ms for up to 20 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn preview_state(
    app: &TestApp,
    post: i64,
) -> (String, Option<String>, Option<String>, Option<String>) {
    sqlx::query_as(
        "select preview_state, preview_title, preview_description, thumbnail_url from post where id = $1",
    )
    .bind(post)
    .fetch_one(&app.db.pool().await)
    .await
    .unwrap()
}

async fn remote_state(app: &TestApp, url: &str) -> Option<String> {
    sqlx::query_scalar("select state from remote_image where url = $1")
        .bind(url)
        .fetch_optional(&app.db.pool().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_link_post_gets_a_preview_and_its_picture_is_kept_and_served_here() {
    let site = website().await;
    let app = TestApp::spawn(&[]).await;
    let author = community_and_member(&app).await;
    let article = format!("{}/article", site.base);
    let post = link_post(&app, &author, &article).await;

    let (title, description, thumbnail) = eventually("the preview", || async {
        let (state, title, description, thumbnail) = preview_state(&app, post).await;
        (state == "done").then_some((title, description, thumbnail))
    })
    .await;
    assert_eq!(title.as_deref(), Some("Lanterns over the harbour"));
    assert_eq!(description.as_deref(), Some("The festival, in pictures."));
    let cover = format!("{}/cover.png", site.base);
    assert_eq!(thumbnail.as_deref(), Some(cover.as_str()));

    // The picture is fetched once, resized and served from here.
    eventually("the cover in the cache", || async {
        (remote_state(&app, &cover).await.as_deref() == Some("stored")).then_some(())
    })
    .await;
    let key = hearth_db::media::url_key(&cover);
    let served = app.get(&format!("/media/remote/{key}")).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let bytes = served.bytes().await.unwrap();
    let (width, height) = hearth_media::pipeline::dimensions(&bytes).unwrap();
    assert_eq!(
        (width, height),
        (1280, 960),
        "resized to media.remote_max_px"
    );
    let hits = site.hits.load(Ordering::SeqCst);
    assert_eq!(hits, 2, "the page and the picture, each once");

    // The API shows the preview.
    let (status, view) = app.get_json(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        view["preview"]["title"], "Lanterns over the harbour",
        "{view}"
    );
    assert_eq!(view["thumbnail_url"], Value::String(cover.clone()));
    // Pages never make a reader's browser fetch from the linked site.
    let page = app
        .get(&format!("/post/{post}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains(&format!("src=\"{}", site.base)),
        "the post page loads a picture from elsewhere"
    );
}

#[tokio::test]
async fn without_debug_local_a_private_address_is_never_fetched_and_the_post_is_kept() {
    let site = website().await;
    // Ids stay http:// only with debug_local; this instance never federates, but its fetcher
    // still runs (federation is on) and must refuse the loopback address.
    let app = TestApp::spawn(&[("HEARTH__FEDERATION__DEBUG_LOCAL", "false")]).await;
    let author = community_and_member(&app).await;
    let post = link_post(&app, &author, &format!("{}/article", site.base)).await;
    let state = eventually("the preview attempt", || async {
        let (state, ..) = preview_state(&app, post).await;
        (state != "pending").then_some(state)
    })
    .await;
    assert_eq!(state, "failed");
    let (title, ..) = {
        let (_, title, description, thumbnail) = preview_state(&app, post).await;
        (title, description, thumbnail)
    };
    assert_eq!(title, None);
    assert_eq!(
        site.hits.load(Ordering::SeqCst),
        0,
        "no request reached the private address"
    );
    let (status, view) = app.get_json(&format!("/api/v1/posts/{post}"), None).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["title"], "Festival");
}

async fn want(app: &TestApp, urls: &[String]) {
    hearth_db::media::want_remote(&app.db.pool().await, urls)
        .await
        .unwrap();
}

#[tokio::test]
async fn the_image_cache_evicts_the_least_recently_shown_and_fetches_them_again() {
    let site = website().await;
    // Both URLs serve the same cover, so both copies have the size the pipeline gives it here;
    // the cache has room for one and a half.
    let copy = hearth_media::pipeline::resized(gradient_png(1600, 1200), 640, 50_000_000).unwrap();
    let room = (copy.bytes.len() * 3 / 2).to_string();
    let app = TestApp::spawn(&[
        ("HEARTH__MEDIA__REMOTE_CACHE_BYTES", room.as_str()),
        ("HEARTH__MEDIA__REMOTE_MAX_PX", "640"),
    ])
    .await;
    let first = format!("{}/cover.png", site.base);
    let second = format!("{}/cover.png?second", site.base);
    want(&app, std::slice::from_ref(&first)).await;
    eventually("the first image", || async {
        (remote_state(&app, &first).await.as_deref() == Some("stored")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    want(&app, std::slice::from_ref(&second)).await;
    eventually("the second image", || async {
        (remote_state(&app, &second).await.as_deref() == Some("stored")).then_some(())
    })
    .await;
    let ctx = app.context().await;
    let evicted = hearth_service::media::evict(&ctx).await.unwrap();
    assert_eq!(evicted, 1);
    assert_ne!(
        remote_state(&app, &first).await.as_deref(),
        Some("stored"),
        "the older one goes"
    );
    assert_eq!(remote_state(&app, &second).await.as_deref(), Some("stored"));
    let first_key = hearth_db::media::url_key(&first);
    assert!(
        ctx.media
            .read(&format!("remote/{first_key}"))
            .await
            .unwrap()
            .is_none()
    );

    // Shown again, it is fetched again.
    let gone = app.get(&format!("/media/remote/{first_key}")).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(gone.headers()["cache-control"], "no-store");
    eventually("the first image again", || async {
        (remote_state(&app, &first).await.as_deref() == Some("stored")).then_some(())
    })
    .await;
    assert_eq!(
        app.get(&format!("/media/remote/{first_key}"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn redirects_are_followed_and_an_admin_purges_another_servers_picture() {
    let site = website().await;
    let app = TestApp::spawn(&[]).await;
    let admin = app.admin("keeper").await;
    let moved = format!("{}/moved.png", site.base);
    want(&app, std::slice::from_ref(&moved)).await;
    eventually("the redirected image", || async {
        (remote_state(&app, &moved).await.as_deref() == Some("stored")).then_some(())
    })
    .await;
    let (status, usage) = app.get_json("/api/v1/admin/media", admin.auth()).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    assert_eq!(usage["remote_images"], 1);
    // The admin's pictures page says the same, and its purge form explains a bad target.
    let mut web = crate::web_pages::Visitor::signed_in(&app, &admin).await;
    let page = web.get("/admin/media").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("1 cached"), "{}", page.body);
    let page = web
        .post("/admin/media/purge", &[("target", "not a picture")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("id=\"target-error\""), "{}", page.body);

    let someone = app.user("someone").await;
    let (status, refused) = app
        .post_json(
            "/api/v1/admin/media/purge",
            someone.auth(),
            json!({"target": moved}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(refused["error"], "not_admin");

    let (status, purged) = app
        .post_json(
            "/api/v1/admin/media/purge",
            admin.auth(),
            json!({"target": moved}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{purged}");
    assert_eq!(purged["removed"], true);
    assert_eq!(remote_state(&app, &moved).await, None);
    let key = hearth_db::media::url_key(&moved);
    assert_eq!(
        app.get(&format!("/media/remote/{key}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let ctx = app.context().await;
    assert!(
        ctx.media
            .read(&format!("remote/{key}"))
            .await
            .unwrap()
            .is_none()
    );

    let (status, bad) = app
        .post_json(
            "/api/v1/admin/media/purge",
            admin.auth(),
            json!({"target": "not a url"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
}
