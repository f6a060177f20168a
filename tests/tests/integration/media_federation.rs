//! Pictures in the data path: the rules for the pictures a local person puts in a post, a
//! profile or a community (uploads of this server only); image posts, avatars and community
//! icons between two real instances (`Page` attachments with alt text, `Update{Group}`,
//! `Update{Person}`, and the receiving server keeping its own copy); the shapes Lemmy, Mastodon
//! and Mbin send (fixtures under tests/fixtures/, moved onto Evil); and a hostile server that
//! tries to set someone else's avatar or slip in `javascript:` and `data:` pictures.

use crate::federation_network::{create_community, eventually, host, join, post_id, scalar, text};
use hearth_tests::app::{TestApp, TestUser, activity_json};
use hearth_tests::hostile::{Evil, PUBLIC};
use hearth_tests::pictures::tinted_png;
use hearth_tests::s3::Storage;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Uploads a PNG of one colour through `POST /api/v1/media`; answers the upload's JSON.
async fn upload(app: &TestApp, user: &TestUser, rgb: [u8; 3]) -> Value {
    let (status, uploaded) =
        crate::media::upload(app, user, "picture.png", "image/png", &tinted_png(rgb)).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    uploaded
}

fn url_of(uploaded: &Value) -> String {
    uploaded["url"].as_str().expect("an upload URL").to_owned()
}

/// A post as `app`'s API shows one post (with its pictures).
async fn post_view(app: &TestApp, id: i64) -> Value {
    let (status, post) = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{post}");
    post
}

/// The pictures of a post view as (url, alt text).
fn pictures(post: &Value) -> Vec<(String, Option<String>)> {
    post["images"]
        .as_array()
        .expect("a list of images")
        .iter()
        .map(|i| {
            (
                i["url"].as_str().unwrap().to_owned(),
                i["alt_text"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Whether `app` registered `url` for its cache of other servers' pictures.
async fn wanted(app: &TestApp, url: &str) -> bool {
    scalar(app, "select count(*) from remote_image where url = $1", url).await == Some(1)
}

/// Waits until `app`'s API shows `url` as the `field` of what `path` answers, then checks that
/// `app` registered that other server's picture for its cache.
async fn shows_remote_picture(app: &TestApp, what: &str, path: &str, field: &str, url: &str) {
    eventually(what, || async {
        let (_, shown) = app.get_json(path, None).await;
        shown[field] == url
    })
    .await;
    assert!(wanted(app, url).await);
}

async fn put_profile(app: &TestApp, user: &TestUser, body: Value) -> (StatusCode, Value) {
    app.call(Method::PUT, "/api/v1/me/profile", user.auth(), Some(body))
        .await
}

async fn patch(app: &TestApp, user: &TestUser, path: &str, body: Value) -> (StatusCode, Value) {
    app.call(Method::PATCH, path, user.auth(), Some(body)).await
}

fn assert_invalid(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_field", "{body}");
    assert_eq!(body["field"], field, "{body}");
}

/// The link-preview columns of a post.
async fn preview_of(app: &TestApp, id: i64) -> (String, Option<String>, Option<String>) {
    let pool = app.db.pool().await;
    let row = sqlx::query_as(
        "select preview_state, preview_title, thumbnail_url from post where id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// A local person's pictures must be uploads of this server: another server's picture, too
/// many pictures or too long an alt text are refused, naming the field; a link to one of our
/// uploads makes an image post; pictures are removed with `null`; and a link post waits for its
/// preview, which a new link starts again.
#[tokio::test]
async fn a_local_persons_pictures_must_be_uploads_of_this_server() {
    let app = TestApp::spawn_with_storage(Storage::Fs, &[]).await;
    let kim = app.user("kim").await;
    create_community(&app, &kim, "birds", json!({})).await;
    let red = url_of(&upload(&app, &kim, [220, 30, 30]).await);
    let blue = url_of(&upload(&app, &kim, [30, 30, 220]).await);
    let elsewhere = "https://elsewhere.example/media/kingfisher.png";

    // Posts.
    let post = |body: Value| {
        let mut full = json!({"community": "birds", "title": "Birds"});
        full.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        app.post_json("/api/v1/posts", kim.auth(), full)
    };
    let (status, body) = post(json!({"images": [{"url": elsewhere}]})).await;
    assert_invalid(status, &body, "images");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("must be a picture uploaded here: POST /api/v1/media"),
        "{body}"
    );
    let eleven: Vec<Value> = (0..11).map(|_| json!({"url": red})).collect();
    let (status, body) = post(json!({"images": eleven})).await;
    assert_invalid(status, &body, "images");
    let (status, body) =
        post(json!({"images": [{"url": red, "alt_text": "a".repeat(1_501)}]})).await;
    assert_invalid(status, &body, "images");
    let (status, body) = post(json!({"url": blue, "images": [{"url": red}]})).await;
    assert_invalid(status, &body, "url");
    assert_eq!(
        scalar(&app, "select count(*) from post where title = $1", "Birds").await,
        Some(0),
        "nothing was written"
    );

    let (status, made) = post(json!({"images": [
        {"url": red, "alt_text": "A red square"}, {"url": blue, "alt_text": "  "}]}))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["url"], red.as_str());
    let hash = red
        .rsplit('/')
        .next()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        made["thumbnail_url"],
        format!("{}/media/{hash}.thumbnail", app.settings.public_base_url())
    );
    assert_eq!(
        pictures(&made),
        vec![
            (red.clone(), Some("A red square".to_owned())),
            (blue.clone(), None)
        ],
        "blank alt text is none"
    );
    assert_eq!(made["preview"], Value::Null);
    let id = made["id"].as_i64().unwrap();
    assert_eq!(pictures(&post_view(&app, id).await), pictures(&made));

    // Editing: the pictures replaced, then removed with the link they made.
    let (status, edited) = patch(
        &app,
        &kim,
        &format!("/api/v1/posts/{id}"),
        json!({"images": [{"url": blue, "alt_text": "A blue square"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["url"], blue.as_str());
    assert_eq!(
        pictures(&edited),
        vec![(blue.clone(), Some("A blue square".to_owned()))]
    );
    let (status, edited) = patch(
        &app,
        &kim,
        &format!("/api/v1/posts/{id}"),
        json!({"images": [{"url": elsewhere}]}),
    )
    .await;
    assert_invalid(status, &edited, "images");
    let (status, edited) = patch(
        &app,
        &kim,
        &format!("/api/v1/posts/{id}"),
        json!({"images": []}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (&edited["url"], &edited["thumbnail_url"], pictures(&edited)),
        (&Value::Null, &Value::Null, vec![])
    );

    // A link to one of our uploads is an image post of that picture.
    let (status, linked) = post(json!({"url": red})).await;
    assert_eq!(status, StatusCode::CREATED, "{linked}");
    assert_eq!(pictures(&linked), vec![(red.clone(), None)]);
    assert!(!linked["thumbnail_url"].is_null(), "{linked}");

    // A link post waits for its preview (the fetcher may have taken it already).
    let (status, link) = post(json!({"url": "http://127.0.0.1:9/story"})).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let link_id = link["id"].as_i64().unwrap();
    assert_ne!(preview_of(&app, link_id).await.0, "none");
    assert_eq!(pictures(&link), vec![]);
    // The link leads nowhere: the background fetcher gives up on it at once.
    eventually("the fetcher took the link", || async {
        preview_of(&app, link_id).await.0 != "pending"
    })
    .await;
    {
        let pool = app.db.pool().await;
        sqlx::query(
            "update post set preview_state = 'done', preview_title = 'Old story',
                 thumbnail_url = 'http://127.0.0.1:9/old.png' where id = $1",
        )
        .bind(link_id)
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    // The same link again keeps the preview; a new link starts a new one.
    let (status, same) = patch(
        &app,
        &kim,
        &format!("/api/v1/posts/{link_id}"),
        json!({"url": "http://127.0.0.1:9/story", "title": "Birds again"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(same["preview"]["title"], "Old story", "{same}");
    let (status, moved) = patch(
        &app,
        &kim,
        &format!("/api/v1/posts/{link_id}"),
        json!({"url": "http://127.0.0.1:9/other-story"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (state, title, thumbnail) = preview_of(&app, link_id).await;
    assert_ne!(state, "done");
    assert_eq!((title, thumbnail), (None, None), "the old preview is gone");

    // Profiles.
    let (status, body) = put_profile(&app, &kim, json!({"avatar_url": elsewhere})).await;
    assert_invalid(status, &body, "avatar_url");
    let (status, body) = put_profile(
        &app,
        &kim,
        json!({"bio": "Birder", "avatar_url": red, "banner_url": blue}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, person) = app.get_json("/api/v1/users/kim", None).await;
    assert_eq!(
        (&person["avatar_url"], &person["banner_url"]),
        (&json!(red), &json!(blue))
    );
    // Left out: kept; null: removed.
    let (status, body) = put_profile(&app, &kim, json!({"banner_url": null})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, person) = app.get_json("/api/v1/users/kim", None).await;
    assert_eq!(
        (&person["avatar_url"], &person["banner_url"]),
        (&json!(red), &Value::Null)
    );
    let (_, linked) = app
        .get_json(&format!("/api/v1/posts/{}", linked["id"]), None)
        .await;
    assert_eq!(linked["author"]["avatar_url"], red.as_str(), "{linked}");

    // Communities.
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            kim.auth(),
            json!({"name": "ponds", "title": "Ponds", "icon_url": elsewhere}),
        )
        .await;
    assert_invalid(status, &body, "icon_url");
    let (status, ponds) = app
        .post_json(
            "/api/v1/communities",
            kim.auth(),
            json!({"name": "ponds", "title": "Ponds", "icon_url": red, "banner_url": blue}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ponds}");
    assert_eq!(
        (&ponds["icon_url"], &ponds["banner_url"]),
        (&json!(red), &json!(blue))
    );
    let (status, body) = patch(
        &app,
        &kim,
        "/api/v1/communities/ponds",
        json!({"banner_url": elsewhere}),
    )
    .await;
    assert_invalid(status, &body, "banner_url");
    let (status, ponds) = patch(
        &app,
        &kim,
        "/api/v1/communities/ponds",
        json!({"icon_url": blue, "banner_url": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ponds}");
    assert_eq!(
        (&ponds["icon_url"], &ponds["banner_url"]),
        (&json!(blue), &Value::Null)
    );
    app.stop().await;
}

/// carol on A posts two pictures with alt text in `photos`, which bob of B joined: B shows the
/// post with both pictures and their alt text, and keeps its own copy of the thumbnail (B's page
/// loads nothing from A). Then carol gives `photos` an icon (`Update{Group}`) and herself an
/// avatar (`Update{Person}`), and B shows both.
#[tokio::test]
async fn an_image_post_a_community_icon_and_an_avatar_on_a_reach_b() {
    let a = TestApp::spawn_with_storage(Storage::Fs, &[]).await;
    let b = TestApp::spawn_with_storage(Storage::Fs, &[]).await;
    let carol = a.user("carol").await;
    let bob = b.user("bob").await;
    create_community(&a, &carol, "photos", json!({})).await;
    let photos = format!("photos@{}", host(&a));
    join(&b, &bob, &photos).await;
    eventually("bob's membership is accepted", || async {
        crate::federation_network::membership(&b, &bob, &photos).await == "joined"
    })
    .await;

    let red_upload = upload(&a, &carol, [220, 30, 30]).await;
    let red = url_of(&red_upload);
    let blue = url_of(&upload(&a, &carol, [30, 30, 220]).await);
    let (status, made) = a
        .post_json(
            "/api/v1/posts",
            carol.auth(),
            json!({"community": "photos", "title": "Two squares", "body": "Primary colours.",
                   "images": [{"url": red, "alt_text": "A red square"},
                              {"url": blue, "alt_text": "A blue square"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let ap_id = made["ap_id"].as_str().unwrap().to_owned();
    let thumbnail = made["thumbnail_url"].as_str().unwrap().to_owned();

    // The Page as Lemmy sends one: the first picture as the `Link`, the others as `Image`s,
    // alt text as `name`, the thumbnail as `image`.
    let page = activity_json(&ap_id).await;
    assert_eq!(
        page["attachment"],
        json!([
            {"type": "Link", "href": red, "mediaType": red_upload["content_type"],
             "name": "A red square"},
            {"type": "Image", "url": blue, "name": "A blue square"},
        ]),
        "{page}"
    );
    assert_eq!(page["image"], json!({"type": "Image", "url": thumbnail}));

    eventually("B holds carol's post", || async {
        post_id(&b, &ap_id).await.is_some()
    })
    .await;
    let on_b = post_view(&b, post_id(&b, &ap_id).await.unwrap()).await;
    assert_eq!(
        pictures(&on_b),
        vec![
            (red.clone(), Some("A red square".to_owned())),
            (blue.clone(), Some("A blue square".to_owned())),
        ]
    );
    assert_eq!(on_b["url"], red.as_str());
    assert_eq!(on_b["thumbnail_url"], thumbnail.as_str());
    for url in [&thumbnail, &red, &blue] {
        assert!(wanted(&b, url).await, "B keeps a copy of {url}");
    }
    eventually("B stores its copy of the thumbnail", || async {
        text(
            &b,
            "select state from remote_image where url = $1",
            &thumbnail,
        )
        .await
        .as_deref()
            == Some("stored")
    })
    .await;
    let page = b
        .get(&format!("/post/{}", on_b["id"]))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains(&format!("src=\"{}", a.base))
            && !page.contains(&format!("src=\"http://{}", host(&a))),
        "B's page loads nothing from A: {page}"
    );
    assert!(
        page.contains(&format!(
            "/media/remote/{}",
            hearth_db::media::url_key(&red)
        )),
        "B's page shows the picture from its own copy: {page}"
    );

    // A new community icon: Update{Group}.
    let icon = url_of(&upload(&a, &carol, [30, 180, 30]).await);
    let (status, body) = patch(
        &a,
        &carol,
        "/api/v1/communities/photos",
        json!({"icon_url": icon}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    shows_remote_picture(
        &b,
        "B shows the community's new icon",
        &format!("/api/v1/communities/{photos}"),
        "icon_url",
        &icon,
    )
    .await;

    // A new avatar: Update{Person}.
    let avatar = url_of(&upload(&a, &carol, [200, 200, 30]).await);
    let (status, body) = put_profile(
        &a,
        &carol,
        json!({"display_name": "Carol", "avatar_url": avatar}),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let carol_on_b = format!("carol@{}", host(&a));
    shows_remote_picture(
        &b,
        "B shows carol's new avatar",
        &format!("/api/v1/users/{carol_on_b}"),
        "avatar_url",
        &avatar,
    )
    .await;
    let on_b = post_view(&b, on_b["id"].as_i64().unwrap()).await;
    assert_eq!(on_b["author"]["avatar_url"], avatar.as_str());
    assert_eq!(on_b["community"]["icon_url"], icon.as_str());
    for app in [a, b] {
        app.stop().await;
    }
}

/// A fixture of another server moved onto Evil and into A's community `photos`.
fn moved_fixture(path: &str, evil: &Evil, photos: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    let moved = text
        .replace("https://hearth.example/c/photos", photos)
        .replace("https://mastodon.example/users/sam", &evil.url("/u/sam"))
        .replace("https://lemmy.example", &evil.url(""))
        .replace("https://mastodon.example", &evil.url(""))
        .replace("https://mbin.example", &evil.url(""));
    serde_json::from_str(&moved).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The post `app` stored for `object`, as its API shows it.
async fn stored(app: &TestApp, object: &Value) -> Value {
    let id = object["id"].as_str().unwrap();
    post_view(app, post_id(app, id).await.expect("the post is stored")).await
}

/// The author's `Create` of `object`, as Evil's person at `actor_path` sends it.
fn create(evil: &Evil, object: &Value) -> Value {
    json!({
        "id": evil.activity_id("Create"), "type": "Create",
        "actor": object["attributedTo"], "to": object["to"], "cc": object["cc"],
        "object": object,
    })
}

/// A Lemmy image post (a `Link` to the picture and the same picture as `image`), a Mastodon note
/// with two pictures and their alt texts (`Document`s), and an Mbin entry with a picture
/// (`Image` with `name`), each sent into A's `photos`: each is stored with its pictures, in
/// order, with their alt text, its thumbnail, and its pictures registered for A's cache.
#[tokio::test]
async fn lemmy_mastodon_and_mbin_image_posts_land_with_their_pictures_and_alt_text() {
    let a = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "photos", json!({})).await;
    let photos = format!("http://{}/c/photos", host(&a));
    let evil = Evil::start().await;
    for name in ["picard", "sam", "lee"] {
        evil.person(name).await;
    }

    let lemmy = moved_fixture("lemmy/page_image.json", &evil, &photos);
    let mastodon = moved_fixture("mastodon/note_images.json", &evil, &photos);
    let mbin = moved_fixture("mbin/page_image.json", &evil, &photos);
    for (object, actor) in [
        (&lemmy, "/u/picard"),
        (&mastodon, "/u/sam"),
        (&mbin, "/u/lee"),
    ] {
        let (status, body) = evil.send(&a, actor, create(&evil, object)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{actor}: {body}");
    }

    let picture = evil.url("/pictrs/image/5b8f3c1e-2d4a-4f6b-9c7e-1a2b3c4d5e6f.jpeg");
    let post = stored(&a, &lemmy).await;
    assert_eq!(post["title"], "Morning fog over the harbour");
    assert_eq!(pictures(&post), vec![(picture.clone(), None)]);
    assert_eq!(
        (&post["url"], &post["thumbnail_url"]),
        (&json!(picture), &json!(picture))
    );

    let post = stored(&a, &mastodon).await;
    assert_eq!(post["title"], "Two kingfishers on the old weir");
    let first = evil.url(
        "/system/media_attachments/files/113/500/000/000/000/001/original/4c1d2e3f4a5b6c7d.jpg",
    );
    let second = evil.url(
        "/system/media_attachments/files/113/500/000/000/000/002/original/8e9f0a1b2c3d4e5f.jpg",
    );
    assert_eq!(
        pictures(&post),
        vec![
            (
                first.clone(),
                Some("A kingfisher perched on a mossy branch above the water".to_owned())
            ),
            (
                second.clone(),
                Some("The second kingfisher diving, a blur of blue".to_owned())
            ),
        ]
    );
    assert_eq!(
        post["thumbnail_url"],
        first.as_str(),
        "the first is the thumbnail"
    );
    assert_eq!(post["url"], first.as_str());

    let post = stored(&a, &mbin).await;
    let frost = evil.url("/media/a3/f1/a3f1c2d4e5b6a7c8.jpg");
    assert_eq!(
        pictures(&post),
        vec![(
            frost.clone(),
            Some("Feathery ice crystals spreading across a pane of glass".to_owned())
        )]
    );
    assert_eq!(post["thumbnail_url"], frost.as_str());

    for url in [&picture, &first, &second, &frost] {
        assert!(wanted(&a, url).await, "{url} is registered for the cache");
    }
    a.stop().await;
}

/// Evil's mallory sends an `Update{Person}` setting the avatar of alice (a person of A) and of
/// victor (a person of another server, whom A knows): both are refused and neither changes. Her
/// own avatar as a `javascript:` URL and banner as a `data:` URL are dropped (a real one is
/// taken), and her post whose pictures are `javascript:` and `data:` URLs is stored without
/// them. Nothing of that is registered for fetching.
#[tokio::test]
async fn a_hostile_server_sets_no_one_elses_avatar_and_no_script_pictures() {
    let a = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "photos", json!({})).await;
    let photos = format!("http://{}/c/photos", host(&a));
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let other = Evil::start().await;
    let victor = other.person("victor").await;
    // A learns victor from a post of his.
    let hello = other.url("/post/1");
    let (status, body) = other
        .send(
            &a,
            "/u/victor",
            json!({
                "id": other.activity_id("Create"), "type": "Create", "actor": victor,
                "to": [photos, PUBLIC], "audience": photos,
                "object": {"type": "Page", "id": hello, "attributedTo": victor, "name": "Hello",
                           "to": [photos, PUBLIC], "audience": photos},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let alice_id = format!("http://{}/u/alice", host(&a));
    let avatars = || async {
        let pool = a.db.pool().await;
        let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "select ap_id, avatar_url, banner_url from person where ap_id = any($1) order by ap_id",
        )
        .bind(vec![alice_id.clone(), victor.clone()])
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    };
    let before = avatars().await;
    assert_eq!(before.len(), 2, "A knows both");

    let fetched = |id: String| async move {
        let mut actor = activity_json(&id).await;
        actor.as_object_mut().unwrap().remove("@context");
        actor
    };
    let lure = evil.url("/pictures/mallory.png");
    for target in [alice_id.clone(), victor.clone()] {
        let mut person = fetched(target.clone()).await;
        person["icon"] = json!({"type": "Image", "url": lure});
        let update = json!({
            "id": evil.activity_id("Update"), "type": "Update", "actor": mallory,
            "to": [PUBLIC], "object": person,
        });
        let update_id = update["id"].as_str().unwrap().to_owned();
        let (status, body) = evil.send(&a, "/u/mallory", update).await;
        // Refused when applied: acknowledged, recorded for admins.
        assert_eq!(status, StatusCode::ACCEPTED, "{target}: {body}");
        assert_eq!(
            a.refusal_code(&update_id).await.as_deref(),
            Some("not_own_person")
        );
    }
    assert_eq!(avatars().await, before, "nobody's pictures changed");

    // Her own profile, with pictures that are scripts and inline data: dropped.
    let mut herself = fetched(mallory.clone()).await;
    herself["icon"] = json!({"type": "Image", "url": "javascript:alert(document.cookie)"});
    herself["image"] = json!({"type": "Image", "url": "data:image/png;base64,iVBORw0KGgo="});
    let update = json!({
        "id": evil.activity_id("Update"), "type": "Update", "actor": mallory,
        "to": [PUBLIC], "object": herself,
    });
    let (status, body) = evil.send(&a, "/u/mallory", update).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let pictures_of_mallory = || async {
        let pool = a.db.pool().await;
        let row: (Option<String>, Option<String>) =
            sqlx::query_as("select avatar_url, banner_url from person where ap_id = $1")
                .bind(&mallory)
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        row
    };
    assert_eq!(pictures_of_mallory().await, (None, None));
    // A real picture is taken (so the refusals above were not a path that takes nothing).
    herself["icon"] = json!({"type": "Image", "url": lure});
    herself["name"] = json!("Mallory");
    let update = json!({
        "id": evil.activity_id("Update"), "type": "Update", "actor": mallory,
        "to": [PUBLIC], "object": herself,
    });
    let (status, body) = evil.send(&a, "/u/mallory", update).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(pictures_of_mallory().await, (Some(lure.clone()), None));
    assert!(wanted(&a, &lure).await);

    // A post whose pictures are scripts and inline data.
    let trap = evil.url("/post/trap");
    let create = json!({
        "id": evil.activity_id("Create"), "type": "Create", "actor": mallory,
        "to": [photos, PUBLIC], "audience": photos,
        "object": {
            "type": "Page", "id": trap, "attributedTo": mallory, "name": "Cute cats",
            "content": "<p>Look!</p>", "mediaType": "text/html",
            "to": [photos, PUBLIC], "audience": photos,
            "attachment": [
                {"type": "Link", "href": "javascript:alert(1)", "mediaType": "image/png"},
                {"type": "Image", "url": "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=", "name": "cat"},
                {"type": "Document", "url": "javascript:alert(2)", "mediaType": "image/jpeg"},
                {"type": "Image", "url": {"not": "a url"}},
            ],
            "image": {"type": "Image", "url": "data:image/png;base64,iVBORw0KGgo="},
        },
    });
    let (status, body) = evil.send(&a, "/u/mallory", create).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let post = post_view(&a, post_id(&a, &trap).await.expect("the post is kept")).await;
    assert_eq!(post["title"], "Cute cats");
    assert_eq!(
        (&post["url"], &post["thumbnail_url"], pictures(&post)),
        (&Value::Null, &Value::Null, vec![])
    );
    assert_eq!(
        scalar(
            &a,
            "select count(*) from remote_image where url !~ $1",
            "^https?://",
        )
        .await,
        Some(0),
        "only http(s) pictures are ever fetched"
    );
    a.stop().await;
}
