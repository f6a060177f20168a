//! The Lemmy v3 admin endpoints: editing the site, adding and leaving admins, registration
//! applications, site bans, purges, every upload and community removal, each with its happy path
//! in Lemmy's shape and its refusals (no login, not an admin, bad input, nothing there) with
//! Lemmy's error names and statuses.

use hearth_tests::app::{SETUP_ADMIN, TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::lemmy::{
    PERSON, Shape, assert_community_view, assert_error, assert_person_view, assert_shape, get, ok,
    post, put, v3_login,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Keys of lemmy-js-client 0.19.9's types that only these tests check: (required, optional).
const SITE_VIEW: Shape = (
    &["site", "local_site", "local_site_rate_limit", "counts"],
    &[],
);
const APPLICATION_VIEW: Shape = (
    &["registration_application", "creator_local_user", "creator"],
    &["admin"],
);
const APPLICATION: Shape = (
    &["id", "local_user_id", "answer", "published"],
    &["admin_id", "deny_reason"],
);
const LOCAL_USER: Shape = (
    &[
        "id",
        "person_id",
        "show_nsfw",
        "theme",
        "default_sort_type",
        "default_listing_type",
        "interface_language",
        "show_avatars",
        "send_notifications_to_email",
        "show_scores",
        "show_bot_accounts",
        "show_read_posts",
        "email_verified",
        "accepted_application",
        "open_links_in_new_tab",
        "blur_nsfw",
        "auto_expand",
        "infinite_scroll_enabled",
        "admin",
        "post_listing_mode",
        "totp_2fa_enabled",
        "enable_keyboard_navigation",
        "enable_animated_images",
        "collapse_bot_comments",
    ],
    &["email"],
);

fn assert_application_view(view: &Value) {
    assert_shape(view, APPLICATION_VIEW, "RegistrationApplicationView");
    assert_shape(
        &view["registration_application"],
        APPLICATION,
        "RegistrationApplication",
    );
    assert_shape(&view["creator_local_user"], LOCAL_USER, "LocalUser");
    assert_shape(&view["creator"], PERSON, "Person");
    if let Some(admin) = view.get("admin") {
        assert_shape(admin, PERSON, "Person");
    }
}

/// The ids in a list of person views.
fn person_ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|view| view["person"]["id"].as_i64().expect("an id"))
        .collect()
}

/// Whether a post or comment row is removed (`table` is `post` or `comment`).
async fn removed(app: &TestApp, table: &str, id: i64) -> bool {
    let pool = app.db.pool().await;
    let value: bool = sqlx::query_scalar(&format!("select removed from {table} where id = $1"))
        .bind(id)
        .fetch_one(&pool)
        .await
        .expect("the row exists");
    pool.close().await;
    value
}

#[tokio::test]
async fn lemmy_admins_edit_the_site_and_give_and_leave_admin_rights() {
    let app = TestApp::spawn(&[]).await;
    app.admin("boss").await;
    app.user("ada").await;
    let boss = v3_login(&app, "boss").await;
    let ada = v3_login(&app, "ada").await;
    let first = v3_login(&app, SETUP_ADMIN).await;

    // PUT site: the fields Hearth keeps change, in the answer and in GET site.
    let edited = ok(put(
        &app,
        "site",
        Some(&boss),
        json!({"name": "Renamed", "sidebar": "Be kind.", "registration_mode": "RequireApplication",
               "application_question": "Why here?", "community_creation_admin_only": true,
               "enable_downvotes": false, "theme": "darkly", "taglines": ["ignored"]}),
    )
    .await);
    assert_shape(&edited, (&["site_view", "taglines"], &[]), "SiteResponse");
    assert_shape(&edited["site_view"], SITE_VIEW, "SiteView");
    assert_eq!(edited["taglines"], json!([]));
    let site = &edited["site_view"]["site"];
    assert_eq!(site["name"], "Renamed");
    assert_eq!(site["sidebar"], "Be kind.");
    let local = &edited["site_view"]["local_site"];
    assert_eq!(local["registration_mode"], "RequireApplication");
    assert_eq!(local["application_question"], "Why here?");
    assert_eq!(local["community_creation_admin_only"], true);
    assert_eq!(local["enable_downvotes"], false);
    let read = ok(get(&app, "site", None).await);
    assert_eq!(read["site_view"]["site"]["name"], "Renamed");
    assert_eq!(
        read["site_view"]["local_site"]["registration_mode"],
        "RequireApplication"
    );
    let reopened = ok(put(
        &app,
        "site",
        Some(&boss),
        json!({"registration_mode": "Open"}),
    )
    .await);
    assert_eq!(
        reopened["site_view"]["local_site"]["registration_mode"],
        "Open"
    );
    assert_eq!(reopened["site_view"]["site"]["name"], "Renamed", "kept");

    let edit = json!({"name": "Mine"});
    assert_error(
        &put(&app, "site", Some(&ada), edit.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    // Who may ask is decided before the body is read: a malformed body from a non-admin is
    // still `not_an_admin`, on every admin route.
    for (path, body) in [
        ("site", json!({"name": 7})),
        ("admin/add", json!({"person_id": "x"})),
        ("admin/purge/post", json!({})),
        ("user/ban", json!({"ban": "maybe"})),
    ] {
        let answer = if path == "site" {
            put(&app, path, Some(&ada), body).await
        } else {
            post(&app, path, Some(&ada), body).await
        };
        assert_error(&answer, StatusCode::BAD_REQUEST, "not_an_admin");
    }
    assert_error(
        &put(&app, "site", None, edit.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &put(
            &app,
            "site",
            Some(&boss),
            json!({"registration_mode": "Sometimes"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &put(&app, "site", Some(&boss), json!({"name": "  "})).await,
        StatusCode::BAD_REQUEST,
        "site_name_length_overflow",
    );

    // POST site: Hearth's site exists from the start.
    let create = json!({"name": "Another"});
    assert_error(
        &post(&app, "site", Some(&boss), create.clone()).await,
        StatusCode::BAD_REQUEST,
        "site_already_exists",
    );
    assert_error(
        &post(&app, "site", Some(&ada), create.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &post(&app, "site", None, create).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(&app, "site", Some(&boss), json!({"name": 5})).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    // admin/add: ada becomes an admin, then not.
    let added = ok(post(
        &app,
        "admin/add",
        Some(&boss),
        json!({"person_id": ada.id, "added": true}),
    )
    .await);
    let admins = added["admins"].as_array().expect("admins");
    for admin in admins {
        assert_person_view(admin);
        assert_eq!(admin["is_admin"], true);
    }
    let mut ids = person_ids(&added["admins"]);
    ids.sort_unstable();
    let mut expected = vec![first.id, boss.id, ada.id];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    let taken = ok(post(
        &app,
        "admin/add",
        Some(&boss),
        json!({"person_id": ada.id, "added": false}),
    )
    .await);
    assert!(!person_ids(&taken["admins"]).contains(&ada.id));
    let add = json!({"person_id": ada.id, "added": true});
    assert_error(
        &post(&app, "admin/add", Some(&ada), add.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &post(&app, "admin/add", None, add).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(
            &app,
            "admin/add",
            Some(&boss),
            json!({"person_id": "ada", "added": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &post(
            &app,
            "admin/add",
            Some(&boss),
            json!({"person_id": 999_999, "added": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // user/leave_admin: boss leaves; the last admin cannot.
    let left = ok(post(&app, "user/leave_admin", Some(&boss), json!({})).await);
    assert_eq!(
        left["my_user"]["local_user_view"]["local_user"]["admin"],
        false
    );
    assert_eq!(person_ids(&left["admins"]), vec![first.id]);
    assert!(left["version"].is_string());
    assert_error(
        &post(&app, "user/leave_admin", Some(&first), json!({})).await,
        StatusCode::BAD_REQUEST,
        "cannot_leave_admin",
    );
    assert_error(
        &post(&app, "user/leave_admin", Some(&boss), json!({})).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &post(&app, "user/leave_admin", None, json!({})).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
}

#[tokio::test]
async fn lemmy_admins_decide_applications_and_ban_people() {
    let app = TestApp::spawn(&[]).await;
    app.admin("boss").await;
    app.user("ada").await;
    app.user("eve").await;
    let boss = v3_login(&app, "boss").await;
    let ada = v3_login(&app, "ada").await;
    let eve = v3_login(&app, "eve").await;
    ok(put(
        &app,
        "site",
        Some(&boss),
        json!({"registration_mode": "RequireApplication", "application_question": "Why?"}),
    )
    .await);
    for (name, answer) in [("newcomer", "I like it"), ("second", "Me too")] {
        let registered = ok(post(
            &app,
            "user/register",
            None,
            json!({"username": name, "password": "a long enough password",
                   "password_verify": "a long enough password", "answer": answer}),
        )
        .await);
        assert_eq!(registered["registration_created"], true);
    }

    let count = ok(get(&app, "admin/registration_application/count", Some(&boss)).await);
    assert_eq!(count, json!({"registration_applications": 2}));
    let pending = ok(get(
        &app,
        "admin/registration_application/list?unread_only=true",
        Some(&boss),
    )
    .await);
    let views = pending["registration_applications"]
        .as_array()
        .expect("applications");
    assert_eq!(views.len(), 2);
    for view in views {
        assert_application_view(view);
        assert!(view.get("admin").is_none(), "undecided: {view}");
        assert_eq!(view["creator_local_user"]["accepted_application"], false);
    }
    // Newest first.
    assert_eq!(views[0]["creator"]["name"], "second");
    assert_eq!(views[1]["creator"]["name"], "newcomer");
    assert_eq!(views[1]["registration_application"]["answer"], "I like it");
    let newcomer_id = views[1]["creator"]["id"].as_i64().expect("id");
    let newcomer_application = views[1]["registration_application"]["id"]
        .as_i64()
        .expect("id");
    let second_application = views[0]["registration_application"]["id"]
        .as_i64()
        .expect("id");
    assert_eq!(
        views[1]["registration_application"]["local_user_id"],
        newcomer_id
    );

    let one = ok(get(
        &app,
        &format!("admin/registration_application?person_id={newcomer_id}"),
        Some(&boss),
    )
    .await);
    assert_application_view(&one["registration_application_view"]);
    assert_eq!(
        one["registration_application_view"]["registration_application"]["id"],
        newcomer_application
    );

    let approved = ok(put(
        &app,
        "admin/registration_application/approve",
        Some(&boss),
        json!({"id": newcomer_application, "approve": true}),
    )
    .await);
    let view = &approved["registration_application_view"];
    assert_application_view(view);
    assert_eq!(view["registration_application"]["admin_id"], boss.id);
    assert_eq!(view["admin"]["name"], "boss");
    assert_eq!(view["creator_local_user"]["accepted_application"], true);
    let denied = ok(put(
        &app,
        "admin/registration_application/approve",
        Some(&boss),
        json!({"id": second_application, "approve": false, "deny_reason": "Not now"}),
    )
    .await);
    let view = &denied["registration_application_view"];
    assert_eq!(view["registration_application"]["deny_reason"], "Not now");
    assert_eq!(view["creator_local_user"]["accepted_application"], false);
    let count = ok(get(&app, "admin/registration_application/count", Some(&boss)).await);
    assert_eq!(count["registration_applications"], 0);
    let pending = ok(get(
        &app,
        "admin/registration_application/list?unread_only=true",
        Some(&boss),
    )
    .await);
    assert_eq!(pending["registration_applications"], json!([]));
    let second_page = ok(get(
        &app,
        "admin/registration_application/list?page=2&limit=1",
        Some(&boss),
    )
    .await);
    let views = second_page["registration_applications"]
        .as_array()
        .expect("applications");
    assert_eq!(views.len(), 1);
    assert_eq!(views[0]["creator"]["name"], "newcomer");
    // The approved applicant can sign in now.
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "newcomer", "password": "a long enough password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for path in [
        "admin/registration_application/count",
        "admin/registration_application/list",
        &format!("admin/registration_application?person_id={newcomer_id}"),
    ] {
        assert_error(
            &get(&app, path, Some(&ada)).await,
            StatusCode::BAD_REQUEST,
            "not_an_admin",
        );
        assert_error(
            &get(&app, path, None).await,
            StatusCode::BAD_REQUEST,
            "not_logged_in",
        );
    }
    assert_error(
        &get(
            &app,
            "admin/registration_application/list?limit=0",
            Some(&boss),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &get(
            &app,
            "admin/registration_application?person_id=someone",
            Some(&boss),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &get(
            &app,
            &format!("admin/registration_application?person_id={}", ada.id),
            Some(&boss),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let decide = json!({"id": second_application, "approve": true});
    assert_error(
        &put(
            &app,
            "admin/registration_application/approve",
            Some(&ada),
            decide.clone(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &put(
            &app,
            "admin/registration_application/approve",
            None,
            decide.clone(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &put(
            &app,
            "admin/registration_application/approve",
            Some(&boss),
            json!({"id": second_application}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &put(
            &app,
            "admin/registration_application/approve",
            Some(&boss),
            json!({"id": 999_999, "approve": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Hearth decides an application once.
    assert_error(
        &put(
            &app,
            "admin/registration_application/approve",
            Some(&boss),
            decide,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_update_user",
    );

    // user/ban: eve is banned until an hour from now, listed, then unbanned.
    let expires = chrono::Utc::now().timestamp() + 3600;
    let banned = ok(post(
        &app,
        "user/ban",
        Some(&boss),
        json!({"person_id": eve.id, "ban": true, "reason": "Spam", "expires": expires}),
    )
    .await);
    assert_shape(
        &banned,
        (&["person_view", "banned"], &[]),
        "BanPersonResponse",
    );
    assert_person_view(&banned["person_view"]);
    assert_eq!(banned["banned"], true);
    assert_eq!(banned["person_view"]["person"]["banned"], true);
    let ban_expires = banned["person_view"]["person"]["ban_expires"]
        .as_str()
        .expect("ban_expires");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(ban_expires)
            .expect("a time")
            .timestamp(),
        expires
    );
    // Banned: eve can no longer sign in.
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": "eve", "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "site_ban", "{body}");
    let list = ok(get(&app, "user/banned", Some(&boss)).await);
    assert_shape(&list, (&["banned"], &[]), "BannedPersonsResponse");
    assert_eq!(person_ids(&list["banned"]), vec![eve.id]);
    assert_person_view(&list["banned"][0]);
    assert_eq!(list["banned"][0]["person"]["ban_expires"], ban_expires);
    let lifted = ok(post(
        &app,
        "user/ban",
        Some(&boss),
        json!({"person_id": eve.id, "ban": false}),
    )
    .await);
    assert_eq!(lifted["banned"], false);
    assert_eq!(lifted["person_view"]["person"]["banned"], false);
    assert!(lifted["person_view"]["person"].get("ban_expires").is_none());
    // Lifting a ban that is not there succeeds, as on Lemmy.
    ok(post(
        &app,
        "user/ban",
        Some(&boss),
        json!({"person_id": eve.id, "ban": false}),
    )
    .await);
    let list = ok(get(&app, "user/banned", Some(&boss)).await);
    assert_eq!(list["banned"], json!([]));

    let ban = json!({"person_id": eve.id, "ban": true});
    assert_error(
        &post(&app, "user/ban", Some(&ada), ban.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &post(&app, "user/ban", None, ban).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(&app, "user/ban", Some(&boss), json!({"person_id": eve.id})).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &post(
            &app,
            "user/ban",
            Some(&boss),
            json!({"person_id": eve.id, "ban": true, "expires": 1_000}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "ban_expiration_in_past",
    );
    assert_error(
        &post(
            &app,
            "user/ban",
            Some(&boss),
            json!({"person_id": 999_999, "ban": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let first = v3_login(&app, SETUP_ADMIN).await;
    assert_error(
        &post(
            &app,
            "user/ban",
            Some(&boss),
            json!({"person_id": first.id, "ban": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_higher_admin",
    );
    assert_error(
        &get(&app, "user/banned", Some(&ada)).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &get(&app, "user/banned", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
}

/// Uploads a picture at Lemmy's picture path; gives its file name.
async fn pictrs_upload(app: &TestApp, who: &TestUser) -> String {
    let boundary = "lemmy-admin-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"images[]\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&hearth_tests::pictures::gradient_png(40, 30));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .client
        .post(format!("{}/pictrs/image", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .bearer_auth(&who.token)
        .body(body)
        .send()
        .await
        .expect("upload request");
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("JSON answer");
    answer["files"][0]["file"]
        .as_str()
        .expect("a file")
        .to_owned()
}

#[tokio::test]
async fn lemmy_admins_purge_list_media_and_remove_communities() {
    let app = TestApp::spawn(&[]).await;
    app.admin("boss").await;
    app.user("ada").await;
    app.user("eve").await;
    let boss = v3_login(&app, "boss").await;
    let ada = v3_login(&app, "ada").await;
    let eve = v3_login(&app, "eve").await;
    let (status, town) = app
        .post_json(
            "/api/v1/communities",
            ada.auth(),
            json!({"name": "town", "title": "Town"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{town}");
    let town = town["id"].as_i64().expect("id");
    let (status, written) = app
        .post_json(
            "/api/v1/posts",
            ada.auth(),
            json!({"community": "town", "title": "Hello", "body": "Text."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    let post_id = written["id"].as_i64().expect("id");
    let (status, written) = app
        .post_json(
            "/api/v1/comments",
            ada.auth(),
            json!({"post_id": post_id, "body": "A reply."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{written}");
    let comment_id = written["id"].as_i64().expect("id");

    // Purging a post or a comment removes it.
    ok(post(
        &app,
        "admin/purge/post",
        Some(&boss),
        json!({"post_id": post_id, "reason": "Spam"}),
    )
    .await);
    assert!(removed(&app, "post", post_id).await);
    let purged = ok(post(
        &app,
        "admin/purge/comment",
        Some(&boss),
        json!({"comment_id": comment_id}),
    )
    .await);
    assert_eq!(purged, json!({"success": true}));
    assert!(removed(&app, "comment", comment_id).await);
    for (path, body, unknown) in [
        (
            "admin/purge/post",
            json!({"post_id": post_id}),
            json!({"post_id": 999_999}),
        ),
        (
            "admin/purge/comment",
            json!({"comment_id": comment_id}),
            json!({"comment_id": 999_999}),
        ),
        (
            "admin/purge/person",
            json!({"person_id": eve.id}),
            json!({"person_id": 999_999}),
        ),
        (
            "admin/purge/community",
            json!({"community_id": town}),
            json!({"community_id": 999_999}),
        ),
    ] {
        assert_error(
            &post(&app, path, Some(&ada), body.clone()).await,
            StatusCode::BAD_REQUEST,
            "not_an_admin",
        );
        assert_error(
            &post(&app, path, None, body).await,
            StatusCode::BAD_REQUEST,
            "not_logged_in",
        );
        assert_error(
            &post(&app, path, Some(&boss), unknown).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_error(
            &post(&app, path, Some(&boss), json!({"reason": "no id"})).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        );
    }
    // Hearth purges only people and communities of other servers.
    assert_error(
        &post(
            &app,
            "admin/purge/person",
            Some(&boss),
            json!({"person_id": eve.id}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_update_user",
    );
    assert_error(
        &post(
            &app,
            "admin/purge/community",
            Some(&boss),
            json!({"community_id": town}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_update_community",
    );

    // admin/list_all_media: everyone's uploads, newest first.
    let ada_file = pictrs_upload(&app, &ada).await;
    let eve_file = pictrs_upload(&app, &eve).await;
    let media = ok(get(&app, "admin/list_all_media", Some(&boss)).await);
    assert_shape(&media, (&["images"], &[]), "ListMediaResponse");
    let images = media["images"].as_array().expect("images");
    assert_eq!(images.len(), 2, "{media}");
    for image in images {
        assert_shape(image, (&["local_image", "person"], &[]), "LocalImageView");
        assert_shape(
            &image["local_image"],
            (
                &["pictrs_alias", "pictrs_delete_token", "published"],
                &["local_user_id"],
            ),
            "LocalImage",
        );
        assert_shape(&image["person"], PERSON, "Person");
    }
    assert_eq!(images[0]["person"]["id"], eve.id);
    assert_eq!(images[0]["local_image"]["pictrs_alias"], eve_file.as_str());
    assert_eq!(images[1]["person"]["name"], "ada");
    assert_eq!(images[1]["local_image"]["pictrs_alias"], ada_file.as_str());
    let second = ok(get(&app, "admin/list_all_media?page=2&limit=1", Some(&boss)).await);
    assert_eq!(second["images"][0]["person"]["id"], ada.id);
    assert_error(
        &get(&app, "admin/list_all_media", Some(&ada)).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &get(&app, "admin/list_all_media", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &get(&app, "admin/list_all_media?limit=500", Some(&boss)).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    // community/remove: removed, again (no change), restored.
    let remove = json!({"community_id": town, "removed": true, "reason": "Off topic"});
    let answer = ok(post(&app, "community/remove", Some(&boss), remove.clone()).await);
    assert_shape(
        &answer,
        (&["community_view", "discussion_languages"], &[]),
        "CommunityResponse",
    );
    assert_community_view(&answer["community_view"]);
    assert_eq!(answer["community_view"]["community"]["removed"], true);
    let again = ok(post(&app, "community/remove", Some(&boss), remove.clone()).await);
    assert_eq!(again["community_view"]["community"]["removed"], true);
    let restored = ok(post(
        &app,
        "community/remove",
        Some(&boss),
        json!({"community_id": town, "removed": false}),
    )
    .await);
    assert_eq!(restored["community_view"]["community"]["removed"], false);
    assert_error(
        &post(&app, "community/remove", Some(&ada), remove.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &post(&app, "community/remove", None, remove).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(
            &app,
            "community/remove",
            Some(&boss),
            json!({"community_id": town, "removed": "yes"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &post(
            &app,
            "community/remove",
            Some(&boss),
            json!({"community_id": 999_999, "removed": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // community/delete and community/transfer: Hearth has neither; its moderators hear so,
    // others that they do not moderate.
    for (path, body, unknown) in [
        (
            "community/delete",
            json!({"community_id": town, "deleted": true}),
            json!({"community_id": 999_999, "deleted": true}),
        ),
        (
            "community/transfer",
            json!({"community_id": town, "person_id": eve.id}),
            json!({"community_id": 999_999, "person_id": eve.id}),
        ),
    ] {
        assert_error(
            &post(&app, path, Some(&ada), body.clone()).await,
            StatusCode::BAD_REQUEST,
            "couldnt_update_community",
        );
        assert_error(
            &post(&app, path, Some(&eve), body.clone()).await,
            StatusCode::BAD_REQUEST,
            "not_a_moderator",
        );
        assert_error(
            &post(&app, path, None, body).await,
            StatusCode::BAD_REQUEST,
            "not_logged_in",
        );
        assert_error(
            &post(&app, path, Some(&ada), unknown).await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        assert_error(
            &post(&app, path, Some(&ada), json!({"community_id": town})).await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        );
    }

    // community/hide: Hearth has no hidden communities.
    let hide = json!({"community_id": town, "hidden": true});
    assert_error(
        &put(&app, "community/hide", Some(&boss), hide.clone()).await,
        StatusCode::BAD_REQUEST,
        "couldnt_update_community_hidden_status",
    );
    assert_error(
        &put(&app, "community/hide", Some(&ada), hide.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &put(&app, "community/hide", None, hide).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &put(
            &app,
            "community/hide",
            Some(&boss),
            json!({"community_id": 999_999, "hidden": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &put(
            &app,
            "community/hide",
            Some(&boss),
            json!({"community_id": town}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}
