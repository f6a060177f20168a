//! Helpers shared by the integration tests of the Lemmy-compatible v3 API: calls in its shape,
//! its success and error answers, sign-in through `user/login`, setup through the JSON API, and
//! the keys of the lemmy-js-client 0.19.9 types that more than one test file checks.

use crate::app::{TEST_PASSWORD, TestApp, TestUser};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Keys of a lemmy-js-client 0.19.9 type: (required, optional).
pub type Shape = (&'static [&'static str], &'static [&'static str]);

/// The keys of `CommunityView`.
pub const COMMUNITY_VIEW: Shape = (
    &[
        "community",
        "subscribed",
        "blocked",
        "counts",
        "banned_from_community",
    ],
    &[],
);
/// The keys of `Community`.
pub const COMMUNITY: Shape = (
    &[
        "id",
        "name",
        "title",
        "removed",
        "published",
        "deleted",
        "nsfw",
        "actor_id",
        "local",
        "hidden",
        "posting_restricted_to_mods",
        "instance_id",
        "visibility",
    ],
    &["description", "updated", "icon", "banner"],
);
/// The keys of `CommunityAggregates`.
pub const COMMUNITY_COUNTS: Shape = (
    &[
        "community_id",
        "subscribers",
        "posts",
        "comments",
        "published",
        "users_active_day",
        "users_active_week",
        "users_active_month",
        "users_active_half_year",
        "subscribers_local",
    ],
    &[],
);
/// The keys of `PersonView`.
pub const PERSON_VIEW: Shape = (&["person", "counts", "is_admin"], &[]);
/// The keys of `Person`.
pub const PERSON: Shape = (
    &[
        "id",
        "name",
        "banned",
        "published",
        "actor_id",
        "local",
        "deleted",
        "bot_account",
        "instance_id",
    ],
    &[
        "display_name",
        "avatar",
        "updated",
        "bio",
        "banner",
        "matrix_user_id",
        "ban_expires",
    ],
);
/// The keys of `PersonAggregates`.
pub const PERSON_COUNTS: Shape = (&["person_id", "post_count", "comment_count"], &[]);

/// Asserts that `value` is an object with every required key, and no key but those and the
/// optional ones (Lemmy leaves out empty optionals rather than sending null).
pub fn assert_shape(value: &Value, (required, optional): Shape, what: &str) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is an object: {value}"));
    for key in required {
        assert!(object.contains_key(*key), "{what} lacks {key}: {value}");
    }
    for (key, field) in object {
        assert!(
            required.contains(&key.as_str()) || optional.contains(&key.as_str()),
            "{what} has a key Lemmy does not: {key}"
        );
        assert!(
            !field.is_null(),
            "{what}.{key} is null rather than left out"
        );
    }
}

/// Asserts a `CommunityView` with its `Community` and `CommunityAggregates`.
pub fn assert_community_view(view: &Value) {
    assert_shape(view, COMMUNITY_VIEW, "CommunityView");
    assert_shape(&view["community"], COMMUNITY, "Community");
    assert_shape(&view["counts"], COMMUNITY_COUNTS, "CommunityAggregates");
}

/// Asserts a `PersonView` with its `Person` and `PersonAggregates`.
pub fn assert_person_view(view: &Value) {
    assert_shape(view, PERSON_VIEW, "PersonView");
    assert_shape(&view["person"], PERSON, "Person");
    assert_shape(&view["counts"], PERSON_COUNTS, "PersonAggregates");
}

/// A v3 call; `GET` forms go in the query string (`path` carries it), so `body` is not sent.
pub async fn v3(
    app: &TestApp,
    method: Method,
    path: &str,
    who: Option<&TestUser>,
    body: Value,
) -> (StatusCode, Value) {
    let token = who.map(|u| u.token.as_str());
    let body = (method != Method::GET).then_some(body);
    app.call(method, &format!("/api/v3/{path}"), token, body)
        .await
}

/// A v3 `GET` (its form in `path`'s query string).
pub async fn get(app: &TestApp, path: &str, who: Option<&TestUser>) -> (StatusCode, Value) {
    v3(app, Method::GET, path, who, Value::Null).await
}

/// A v3 `POST` with a JSON form.
pub async fn post(
    app: &TestApp,
    path: &str,
    who: Option<&TestUser>,
    body: Value,
) -> (StatusCode, Value) {
    v3(app, Method::POST, path, who, body).await
}

/// A v3 `PUT` with a JSON form.
pub async fn put(
    app: &TestApp,
    path: &str,
    who: Option<&TestUser>,
    body: Value,
) -> (StatusCode, Value) {
    v3(app, Method::PUT, path, who, body).await
}

/// Asserts a success and gives its body.
pub fn ok(answer: (StatusCode, Value)) -> Value {
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    answer.1
}

/// Asserts a Lemmy error: its status and `error` name, and a message (every Lemmy error has one).
pub fn assert_error(answer: &(StatusCode, Value), status: StatusCode, name: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], name, "{}", answer.1);
    assert!(answer.1["message"].is_string(), "{}", answer.1);
}

/// Signs `name` in through v3 (`user/login`, with the test password) and gives the jwt; a
/// sign-in neither registers nor sends a verification mail.
pub async fn v3_jwt(app: &TestApp, name: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/v3/user/login",
            None,
            json!({"username_or_email": name, "password": TEST_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "v3 login of {name}: {body}");
    assert_eq!(body["registration_created"], json!(false));
    assert_eq!(body["verify_email_sent"], json!(false));
    body["jwt"].as_str().expect("a jwt").to_owned()
}

/// Signs `name` in through v3 and gives them with the jwt as their token (their id read back
/// from `site`, as apps learn it).
pub async fn v3_login(app: &TestApp, name: &str) -> TestUser {
    let jwt = v3_jwt(app, name).await;
    let (_, site) = app
        .call(Method::GET, "/api/v3/site", Some(&jwt), None)
        .await;
    let person = &site["my_user"]["local_user_view"]["person"];
    TestUser {
        id: person["id"].as_i64().expect("my person id"),
        name: name.to_owned(),
        token: jwt,
    }
}

/// Makes a community `name` owned by `owner` through the JSON API and gives its id.
pub async fn community(app: &TestApp, owner: &TestUser, name: &str) -> i64 {
    let (status, c) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": name, "title": format!("About {name}")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_i64().expect("a community id")
}

/// Writes a post in `community` through the JSON API and gives its id.
pub async fn write_post(app: &TestApp, author: &TestUser, community: &str, title: &str) -> i64 {
    let (status, p) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": community, "title": title, "body": "Some text."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().expect("a post id")
}

/// Writes a comment on a post through the JSON API and gives its id.
pub async fn write_comment(app: &TestApp, author: &TestUser, post_id: i64, body: &str) -> i64 {
    let (status, c) = app
        .post_json(
            "/api/v1/comments",
            author.auth(),
            json!({"post_id": post_id, "body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    c["id"].as_i64().expect("a comment id")
}
