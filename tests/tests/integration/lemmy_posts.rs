//! The Lemmy v3 post and comment endpoints (`/api/v3/post*`, `/api/v3/comment*`): each one's
//! happy path with its fields in Lemmy's exact shape, and its refusals (no login, bad input,
//! nothing there) with Lemmy's error names.

use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::lemmy::{Shape, assert_error, assert_shape, community, v3};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The keys of `PostView`, `Post`, `PostAggregates`, `CommentView`, `Comment` and
/// `CommentAggregates` as lemmy-js-client 0.19.9 declares them: (required, optional).
const POST_VIEW: Shape = (
    &[
        "post",
        "creator",
        "community",
        "creator_banned_from_community",
        "banned_from_community",
        "creator_is_moderator",
        "creator_is_admin",
        "counts",
        "subscribed",
        "saved",
        "read",
        "hidden",
        "creator_blocked",
        "unread_comments",
    ],
    &["image_details", "my_vote"],
);
const POST: Shape = (
    &[
        "id",
        "name",
        "creator_id",
        "community_id",
        "removed",
        "locked",
        "published",
        "deleted",
        "nsfw",
        "ap_id",
        "local",
        "language_id",
        "featured_community",
        "featured_local",
    ],
    &[
        "url",
        "body",
        "updated",
        "embed_title",
        "embed_description",
        "thumbnail_url",
        "embed_video_url",
        "url_content_type",
        "alt_text",
    ],
);
const POST_COUNTS: Shape = (
    &[
        "post_id",
        "comments",
        "score",
        "upvotes",
        "downvotes",
        "published",
        "newest_comment_time",
    ],
    &[],
);
const COMMENT_VIEW: Shape = (
    &[
        "comment",
        "creator",
        "post",
        "community",
        "counts",
        "creator_banned_from_community",
        "banned_from_community",
        "creator_is_moderator",
        "creator_is_admin",
        "subscribed",
        "saved",
        "creator_blocked",
    ],
    &["my_vote"],
);
const COMMENT: Shape = (
    &[
        "id",
        "creator_id",
        "post_id",
        "content",
        "removed",
        "published",
        "deleted",
        "ap_id",
        "local",
        "path",
        "distinguished",
        "language_id",
    ],
    &["updated"],
);
const COMMENT_COUNTS: Shape = (
    &[
        "comment_id",
        "score",
        "upvotes",
        "downvotes",
        "published",
        "child_count",
    ],
    &[],
);

fn assert_post_view(view: &Value) {
    assert_shape(view, POST_VIEW, "PostView");
    assert_shape(&view["post"], POST, "Post");
    assert_shape(&view["counts"], POST_COUNTS, "PostAggregates");
    assert!(view["creator"]["published"].is_string(), "{view}");
    assert!(view["creator"]["banned"].is_boolean(), "{view}");
    assert!(view["community"]["instance_id"].is_number(), "{view}");
}

fn assert_comment_view(view: &Value) {
    assert_shape(view, COMMENT_VIEW, "CommentView");
    assert_shape(&view["comment"], COMMENT, "Comment");
    assert_shape(&view["counts"], COMMENT_COUNTS, "CommentAggregates");
    assert_shape(&view["post"], POST, "Post");
}

async fn create_post(app: &TestApp, who: &TestUser, community_id: i64, name: &str) -> Value {
    let answer = v3(
        app,
        Method::POST,
        "post",
        Some(who),
        json!({"name": name, "community_id": community_id, "body": "Some *text*."}),
    )
    .await;
    assert_eq!(answer.0, StatusCode::OK, "{}", answer.1);
    answer.1["post_view"].clone()
}

fn post_ids(list: &Value) -> Vec<i64> {
    list["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["post"]["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn lemmy_posts_are_written_read_and_listed_in_lemmys_shape() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cats = community(&app, &alice, "cats").await;

    // Writing: the view, and the refusals.
    let first = create_post(&app, &alice, cats, "First").await;
    assert_post_view(&first);
    assert_eq!(first["post"]["name"], "First");
    assert_eq!(first["post"]["body"], "Some *text*.");
    assert_eq!(first["post"]["community_id"], cats);
    assert_eq!(first["post"]["creator_id"], alice.id);
    assert_eq!(first["post"]["language_id"], 0);
    assert_eq!(first["creator"]["name"], "alice");
    assert_eq!(first["community"]["name"], "cats");
    assert_eq!(first["creator_is_moderator"], true);
    assert_eq!(first["subscribed"], "Subscribed");
    assert_eq!(first["hidden"], false);
    let first_id = first["post"]["id"].as_i64().unwrap();
    let form = json!({"name": "x", "community_id": cats});
    assert_error(
        &v3(&app, Method::POST, "post", None, form.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post",
            Some(&bob),
            json!({"name": "   ", "community_id": cats}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_post_title",
    );
    assert_error(
        &v3(&app, Method::POST, "post", Some(&bob), json!({"name": "x"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post",
            Some(&bob),
            json!({"name": "x", "community_id": cats, "honeypot": "bot"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "honeypot_failed",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post",
            Some(&bob),
            json!({"name": "x", "community_id": 999_999}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Reading one: with its community, moderators; read marks follow.
    let (status, got) = v3(
        &app,
        Method::GET,
        &format!("post?id={first_id}"),
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_post_view(&got["post_view"]);
    assert_eq!(got["post_view"]["subscribed"], "NotSubscribed");
    // One post's view gives a signed-in reader who did not vote 0, as Lemmy's does.
    assert_eq!(got["post_view"]["my_vote"], 0, "{got}");
    assert_eq!(got["community_view"]["community"]["id"], cats);
    assert_eq!(got["moderators"][0]["moderator"]["name"], "alice");
    assert_eq!(got["cross_posts"], json!([]));
    let anonymous = app
        .get_json(&format!("/api/v3/post?id={first_id}"), None)
        .await;
    assert_eq!(anonymous.0, StatusCode::OK, "{}", anonymous.1);
    assert_eq!(anonymous.1["post_view"]["read"], false);
    assert!(
        anonymous.1["post_view"].get("my_vote").is_none(),
        "{}",
        anonymous.1
    );
    assert_error(
        &v3(&app, Method::GET, "post?id=999999", None, Value::Null).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &v3(&app, Method::GET, "post?id=abc", None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(&app, Method::GET, "post", None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "no_id_given",
    );

    // Listing: newest first, by cursor and by page alike.
    let second = create_post(&app, &alice, cats, "Second").await["post"]["id"]
        .as_i64()
        .unwrap();
    let third = create_post(&app, &bob, cats, "Third").await["post"]["id"]
        .as_i64()
        .unwrap();
    let (status, page1) = v3(
        &app,
        Method::GET,
        "post/list?type_=All&sort=New&limit=2",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page1}");
    assert_eq!(post_ids(&page1), vec![third, second]);
    // Lists leave the vote out where there is none.
    assert!(page1["posts"][1].get("my_vote").is_none(), "{page1}");
    for view in page1["posts"].as_array().unwrap() {
        assert_post_view(view);
    }
    let cursor = page1["next_page"].as_str().unwrap();
    let (_, by_cursor) = v3(
        &app,
        Method::GET,
        &format!("post/list?type_=All&sort=New&limit=2&page_cursor={cursor}"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&by_cursor), vec![first_id]);
    assert!(by_cursor.get("next_page").is_none(), "{by_cursor}");
    let (_, by_page) = v3(
        &app,
        Method::GET,
        "post/list?type_=All&sort=New&limit=2&page=2",
        None,
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&by_page), vec![first_id]);
    let (_, by_community) = v3(
        &app,
        Method::GET,
        &format!("post/list?community_id={cats}&sort=TopAll&limit=50"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&by_community).len(), 3, "{by_community}");
    let (_, by_name) = v3(
        &app,
        Method::GET,
        "post/list?community_name=cats&sort=Hot",
        None,
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&by_name).len(), 3, "{by_name}");
    assert_error(
        &v3(&app, Method::GET, "post/list?limit=0", None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?sort=Sideways",
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?page_cursor=nonsense",
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?type_=Subscribed",
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?community_id=999999",
            None,
            Value::Null,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (_, subscribed) = v3(
        &app,
        Method::GET,
        "post/list?type_=Subscribed&sort=New",
        Some(&alice),
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&subscribed), vec![third, second, first_id]);
    // Oldest first, and the moderator's view, are read by date, paged alike.
    let (status, old_page) = v3(
        &app,
        Method::GET,
        "post/list?type_=Local&sort=Old&limit=2",
        None,
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{old_page}");
    assert_eq!(post_ids(&old_page), vec![first_id, second]);
    let cursor = old_page["next_page"].as_str().unwrap();
    let (_, old_rest) = v3(
        &app,
        Method::GET,
        &format!("post/list?type_=Local&sort=Old&limit=2&page_cursor={cursor}"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&old_rest), vec![third]);
    let (_, old_by_page) = v3(
        &app,
        Method::GET,
        &format!("post/list?community_id={cats}&sort=Old&limit=2&page=2"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&old_by_page), vec![third]);
    let (status, moderated) = v3(
        &app,
        Method::GET,
        "post/list?type_=ModeratorView&sort=Hot",
        Some(&alice),
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moderated}");
    assert_eq!(post_ids(&moderated), vec![third, second, first_id]);
    let (_, not_moderated) = v3(
        &app,
        Method::GET,
        "post/list?type_=ModeratorView",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&not_moderated), Vec::<i64>::new());
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?type_=ModeratorView",
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            &format!("post/list?sort=Old&page_cursor={cursor}x"),
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    // Editing: the author only.
    let edit = json!({"post_id": first_id, "name": "First, edited", "body": "New text."});
    assert_error(
        &v3(&app, Method::PUT, "post", None, edit.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(&app, Method::PUT, "post", Some(&bob), edit.clone()).await,
        StatusCode::BAD_REQUEST,
        "no_post_edit_allowed",
    );
    assert_error(
        &v3(
            &app,
            Method::PUT,
            "post",
            Some(&alice),
            json!({"post_id": 999_999, "name": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &v3(
            &app,
            Method::PUT,
            "post",
            Some(&alice),
            json!({"name": "x"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    let (status, edited) = v3(&app, Method::PUT, "post", Some(&alice), edit).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["post_view"]["post"]["name"], "First, edited");
    assert_eq!(edited["post_view"]["post"]["body"], "New text.");
    assert!(
        edited["post_view"]["post"]["updated"].is_string(),
        "{edited}"
    );
}

#[tokio::test]
async fn lemmy_post_votes_saves_read_marks_reports_and_deletion() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cats = community(&app, &alice, "cats").await;
    let post = create_post(&app, &alice, cats, "Vote on me").await["post"]["id"]
        .as_i64()
        .unwrap();

    // Votes.
    let like = json!({"post_id": post, "score": 1});
    assert_error(
        &v3(&app, Method::POST, "post/like", None, like.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/like",
            Some(&bob),
            json!({"post_id": post, "score": 5}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_vote_value",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/like",
            Some(&bob),
            json!({"post_id": 999_999, "score": 1}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, liked) = v3(&app, Method::POST, "post/like", Some(&bob), like).await;
    assert_eq!(status, StatusCode::OK, "{liked}");
    assert_post_view(&liked["post_view"]);
    assert_eq!(liked["post_view"]["my_vote"], 1);
    let up = liked["post_view"]["counts"]["upvotes"].as_i64().unwrap();
    assert!(up >= 1, "{liked}");
    let (_, unvoted) = v3(
        &app,
        Method::POST,
        "post/like",
        Some(&bob),
        json!({"post_id": post, "score": 0}),
    )
    .await;
    assert_eq!(unvoted["post_view"]["my_vote"], 0, "{unvoted}");
    assert_eq!(unvoted["post_view"]["counts"]["upvotes"], up - 1);
    // Lists of what one voted on.
    v3(
        &app,
        Method::POST,
        "post/like",
        Some(&bob),
        json!({"post_id": post, "score": -1}),
    )
    .await;
    let (_, disliked) = v3(
        &app,
        Method::GET,
        "post/list?disliked_only=true",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&disliked), vec![post]);
    let (_, liked_list) = v3(
        &app,
        Method::GET,
        "post/list?liked_only=true",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&liked_list), Vec::<i64>::new());
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?liked_only=true&disliked_only=true",
            Some(&bob),
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "contradicting_filters",
    );

    // Saving.
    let save = json!({"post_id": post, "save": true});
    assert_error(
        &v3(&app, Method::PUT, "post/save", None, save.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::PUT,
            "post/save",
            Some(&bob),
            json!({"post_id": 999_999, "save": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &v3(
            &app,
            Method::PUT,
            "post/save",
            Some(&bob),
            json!({"post_id": post}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    let (status, saved) = v3(&app, Method::PUT, "post/save", Some(&bob), save).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["post_view"]["saved"], true);
    let (_, saved_list) = v3(
        &app,
        Method::GET,
        "post/list?saved_only=true",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&saved_list), vec![post]);
    assert_error(
        &v3(
            &app,
            Method::GET,
            "post/list?saved_only=true",
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );

    // Read marks.
    let read = json!({"post_ids": [post], "read": true});
    assert_error(
        &v3(&app, Method::POST, "post/mark_as_read", None, read.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/mark_as_read",
            Some(&bob),
            json!({"read": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "no_id_given",
    );
    let (status, ok) = v3(&app, Method::POST, "post/mark_as_read", Some(&bob), read).await;
    assert_eq!((status, ok), (StatusCode::OK, json!({"success": true})));
    let (_, list) = v3(
        &app,
        Method::GET,
        "post/list?type_=All",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(list["posts"][0]["read"], true, "{list}");
    let (_, unread_only) = v3(
        &app,
        Method::GET,
        "post/list?type_=All&show_read=false",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(post_ids(&unread_only), Vec::<i64>::new());

    // Reports.
    let report = json!({"post_id": post, "reason": "Spam"});
    assert_error(
        &v3(&app, Method::POST, "post/report", None, report.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/report",
            Some(&bob),
            json!({"post_id": post, "reason": " "}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "report_reason_required",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/report",
            Some(&bob),
            json!({"post_id": 999_999, "reason": "Spam"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, filed) = v3(&app, Method::POST, "post/report", Some(&bob), report).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    let view = &filed["post_report_view"];
    assert_eq!(view["post_report"]["reason"], "Spam");
    assert_eq!(view["post_report"]["creator_id"], bob.id);
    assert_eq!(view["post_report"]["original_post_name"], "Vote on me");
    assert_eq!(view["post_report"]["resolved"], false);
    assert_eq!(view["creator"]["name"], "bob");
    assert_eq!(view["post_creator"]["name"], "alice");

    // Deleting: the author only; no undo.
    let delete = json!({"post_id": post, "deleted": true});
    assert_error(
        &v3(&app, Method::POST, "post/delete", None, delete.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/delete",
            Some(&bob),
            delete.clone(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "no_post_edit_allowed",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/delete",
            Some(&alice),
            json!({"post_id": 999_999, "deleted": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, deleted) = v3(&app, Method::POST, "post/delete", Some(&alice), delete).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["post_view"]["post"]["deleted"], true);
    assert!(
        deleted["post_view"]["post"].get("body").is_none(),
        "{deleted}"
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "post/delete",
            Some(&alice),
            json!({"post_id": post, "deleted": false}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_update_post",
    );
}

#[tokio::test]
async fn lemmy_comments_are_written_threaded_voted_saved_reported_and_deleted() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let cats = community(&app, &alice, "cats").await;
    let post = create_post(&app, &alice, cats, "Talk").await["post"]["id"]
        .as_i64()
        .unwrap();

    // Writing.
    let form = json!({"post_id": post, "content": "Hello"});
    assert_error(
        &v3(&app, Method::POST, "comment", None, form.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment",
            Some(&bob),
            json!({"post_id": post, "content": ""}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_body_field",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment",
            Some(&bob),
            json!({"content": "x"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment",
            Some(&bob),
            json!({"post_id": 999_999, "content": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, top) = v3(&app, Method::POST, "comment", Some(&bob), form).await;
    assert_eq!(status, StatusCode::OK, "{top}");
    assert_eq!(top["recipient_ids"], json!([]));
    let top = &top["comment_view"];
    assert_comment_view(top);
    let top_id = top["comment"]["id"].as_i64().unwrap();
    assert_eq!(top["comment"]["content"], "Hello");
    assert_eq!(top["comment"]["path"], format!("0.{top_id}"));
    assert_eq!(top["comment"]["post_id"], post);
    assert_eq!(top["post"]["id"], post);
    assert_eq!(top["community"]["id"], cats);
    assert_eq!(top["creator"]["name"], "bob");
    assert_eq!(top["creator_is_moderator"], false);
    let (status, reply) = v3(
        &app,
        Method::POST,
        "comment",
        Some(&alice),
        json!({"post_id": post, "parent_id": top_id, "content": "Hi back"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let reply_id = reply["comment_view"]["comment"]["id"].as_i64().unwrap();
    assert_eq!(
        reply["comment_view"]["comment"]["path"],
        format!("0.{top_id}.{reply_id}")
    );
    assert_eq!(reply["comment_view"]["creator_is_moderator"], true);

    // Reading one, and the post by a comment.
    let (status, one) = v3(
        &app,
        Method::GET,
        &format!("comment?id={reply_id}"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_comment_view(&one["comment_view"]);
    assert_eq!(one["comment_view"]["comment"]["content"], "Hi back");
    assert_error(
        &v3(&app, Method::GET, "comment?id=999999", None, Value::Null).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &v3(&app, Method::GET, "comment", None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    let (_, by_comment) = v3(
        &app,
        Method::GET,
        &format!("post?comment_id={reply_id}"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(by_comment["post_view"]["post"]["id"], post);
    assert_eq!(by_comment["post_view"]["counts"]["comments"], 2);

    // Threads.
    let ids = |list: &Value| -> Vec<i64> {
        list["comments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["comment"]["id"].as_i64().unwrap())
            .collect()
    };
    let (status, thread) = v3(
        &app,
        Method::GET,
        &format!("comment/list?post_id={post}&max_depth=8&sort=Hot&type_=All"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{thread}");
    assert_eq!(ids(&thread), vec![top_id, reply_id]);
    for view in thread["comments"].as_array().unwrap() {
        assert_comment_view(view);
    }
    let (_, subtree) = v3(
        &app,
        Method::GET,
        &format!("comment/list?parent_id={top_id}&max_depth=8"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(ids(&subtree), vec![top_id, reply_id]);
    let (_, paged) = v3(
        &app,
        Method::GET,
        &format!("comment/list?post_id={post}&limit=1&page=2&sort=Old"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(ids(&paged), vec![reply_id]);
    assert_error(
        &v3(
            &app,
            Method::GET,
            "comment/list?post_id=999999",
            None,
            Value::Null,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &v3(
            &app,
            Method::GET,
            &format!("comment/list?post_id={post}&sort=Sideways"),
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &v3(&app, Method::GET, "comment/list", None, Value::Null).await,
        StatusCode::BAD_REQUEST,
        "couldnt_get_comments",
    );

    // Editing: the author only.
    let edit = json!({"comment_id": top_id, "content": "Hello, edited"});
    assert_error(
        &v3(&app, Method::PUT, "comment", None, edit.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(&app, Method::PUT, "comment", Some(&alice), edit.clone()).await,
        StatusCode::BAD_REQUEST,
        "no_comment_edit_allowed",
    );
    assert_error(
        &v3(
            &app,
            Method::PUT,
            "comment",
            Some(&bob),
            json!({"comment_id": 999_999, "content": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, edited) = v3(&app, Method::PUT, "comment", Some(&bob), edit).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        edited["comment_view"]["comment"]["content"],
        "Hello, edited"
    );
    assert!(
        edited["comment_view"]["comment"]["updated"].is_string(),
        "{edited}"
    );

    // Votes.
    let like = json!({"comment_id": reply_id, "score": 1});
    assert_error(
        &v3(&app, Method::POST, "comment/like", None, like.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/like",
            Some(&bob),
            json!({"comment_id": reply_id, "score": 2}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_vote_value",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/like",
            Some(&bob),
            json!({"comment_id": 999_999, "score": 1}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, liked) = v3(&app, Method::POST, "comment/like", Some(&bob), like).await;
    assert_eq!(status, StatusCode::OK, "{liked}");
    assert_eq!(liked["comment_view"]["my_vote"], 1);
    assert!(liked["comment_view"]["counts"]["upvotes"].as_i64().unwrap() >= 1);

    // Saving.
    let save = json!({"comment_id": reply_id, "save": true});
    assert_error(
        &v3(&app, Method::PUT, "comment/save", None, save.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::PUT,
            "comment/save",
            Some(&bob),
            json!({"comment_id": 999_999, "save": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, saved) = v3(&app, Method::PUT, "comment/save", Some(&bob), save).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["comment_view"]["saved"], true);
    let (_, saved_list) = v3(
        &app,
        Method::GET,
        "comment/list?saved_only=true",
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(ids(&saved_list), vec![reply_id]);
    assert_eq!(saved_list["comments"][0]["saved"], true);

    // Reports.
    let report = json!({"comment_id": reply_id, "reason": "Rude"});
    assert_error(
        &v3(&app, Method::POST, "comment/report", None, report.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/report",
            Some(&bob),
            json!({"comment_id": reply_id, "reason": ""}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "report_reason_required",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/report",
            Some(&bob),
            json!({"comment_id": 999_999, "reason": "Rude"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, filed) = v3(&app, Method::POST, "comment/report", Some(&bob), report).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    let view = &filed["comment_report_view"];
    assert_eq!(view["comment_report"]["reason"], "Rude");
    assert_eq!(view["comment_report"]["original_comment_text"], "Hi back");
    assert_eq!(view["creator"]["name"], "bob");
    assert_eq!(view["comment_creator"]["name"], "alice");

    // Deleting: the author only; the thread keeps its place.
    let delete = json!({"comment_id": top_id, "deleted": true});
    assert_error(
        &v3(&app, Method::POST, "comment/delete", None, delete.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/delete",
            Some(&alice),
            delete.clone(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "no_comment_edit_allowed",
    );
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/delete",
            Some(&bob),
            json!({"comment_id": 999_999, "deleted": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, deleted) = v3(&app, Method::POST, "comment/delete", Some(&bob), delete).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["comment_view"]["comment"]["deleted"], true);
    assert_eq!(deleted["comment_view"]["comment"]["content"], "");
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment/delete",
            Some(&bob),
            json!({"comment_id": top_id, "deleted": false}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_update_comment",
    );

    // Unread comments: all of them until the reader opens the post, then the newer ones.
    let path = format!("post?id={post}");
    let (_, before) = v3(&app, Method::GET, &path, None, Value::Null).await;
    assert_eq!(before["post_view"]["unread_comments"], 1, "{before}");
    let (_, opened) = v3(&app, Method::GET, &path, Some(&bob), Value::Null).await;
    assert_eq!(opened["post_view"]["read"], false, "{opened}");
    let (status, _) = v3(
        &app,
        Method::POST,
        "comment",
        Some(&alice),
        json!({"post_id": post, "content": "Later"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = v3(&app, Method::GET, &path, Some(&bob), Value::Null).await;
    assert_eq!(again["post_view"]["read"], true, "{again}");
    assert_eq!(again["post_view"]["unread_comments"], 1, "{again}");
    assert_eq!(again["post_view"]["counts"]["comments"], 2, "{again}");
}

#[tokio::test]
async fn lemmy_views_tell_bans_moderators_admins_blocks_and_votes_lists() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let root = app.admin("root").await;
    let cats = community(&app, &alice, "cats").await;
    let by_bob = create_post(&app, &bob, cats, "Bob's").await["post"]["id"]
        .as_i64()
        .unwrap();
    let by_root = create_post(&app, &root, cats, "Root's").await;
    assert_eq!(by_root["creator_is_admin"], true);
    assert_eq!(by_root["creator_is_moderator"], false);
    let (status, comment) = v3(
        &app,
        Method::POST,
        "comment",
        Some(&bob),
        json!({"post_id": by_bob, "content": "Mine"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{comment}");
    let comment_id = comment["comment_view"]["comment"]["id"].as_i64().unwrap();

    // Carol blocks bob: his things say so (the item itself is still readable by id).
    let (status, _) = app
        .call(Method::POST, "/api/v1/users/bob/block", carol.auth(), None)
        .await;
    assert!(status.is_success(), "{status}");
    let (_, seen) = v3(
        &app,
        Method::GET,
        &format!("post?id={by_bob}"),
        Some(&carol),
        Value::Null,
    )
    .await;
    assert_eq!(seen["post_view"]["creator_blocked"], true, "{seen}");
    let (_, seen) = v3(
        &app,
        Method::GET,
        &format!("comment?id={comment_id}"),
        Some(&carol),
        Value::Null,
    )
    .await;
    assert_eq!(seen["comment_view"]["creator_blocked"], true, "{seen}");

    // Alice, the moderator, bans bob from cats: everyone sees the ban on his post, and bob
    // sees himself banned.
    let (status, body) = app
        .post_json(
            "/api/v1/communities/cats/bans",
            alice.auth(),
            json!({"user": "bob", "reason": "Enough."}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (_, seen) = v3(
        &app,
        Method::GET,
        &format!("post?id={by_bob}"),
        None,
        Value::Null,
    )
    .await;
    assert_eq!(
        seen["post_view"]["creator_banned_from_community"], true,
        "{seen}"
    );
    assert_eq!(seen["post_view"]["banned_from_community"], false, "{seen}");
    let (_, own) = v3(
        &app,
        Method::GET,
        &format!("comment?id={comment_id}"),
        Some(&bob),
        Value::Null,
    )
    .await;
    assert_eq!(own["comment_view"]["banned_from_community"], true, "{own}");
    assert_eq!(
        own["comment_view"]["creator_banned_from_community"], true,
        "{own}"
    );
    // And he cannot write there any more.
    assert_error(
        &v3(
            &app,
            Method::POST,
            "comment",
            Some(&bob),
            json!({"post_id": by_bob, "content": "Still here"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "banned_from_community",
    );

    // The comments one voted on.
    let (status, _) = v3(
        &app,
        Method::POST,
        "comment/like",
        Some(&carol),
        json!({"comment_id": comment_id, "score": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, liked) = v3(
        &app,
        Method::GET,
        "comment/list?liked_only=true",
        Some(&carol),
        Value::Null,
    )
    .await;
    assert_eq!(liked["comments"][0]["comment"]["id"], comment_id, "{liked}");
    assert_eq!(liked["comments"][0]["my_vote"], 1, "{liked}");
    let (_, disliked) = v3(
        &app,
        Method::GET,
        "comment/list?disliked_only=true",
        Some(&carol),
        Value::Null,
    )
    .await;
    assert_eq!(disliked["comments"], json!([]), "{disliked}");
    assert_error(
        &v3(
            &app,
            Method::GET,
            "comment/list?liked_only=true",
            None,
            Value::Null,
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
}
