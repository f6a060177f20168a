//! The Lemmy v3 community, person, search, moderation and unsupported endpoints: each one's
//! happy path with its fields in Lemmy's shape, and its refusals (no login, bad input, nothing
//! there) with Lemmy's error names and statuses.

use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::lemmy::{
    PERSON, Shape, assert_community_view, assert_error, assert_person_view, assert_shape,
    community, get, ok, post, put, write_comment, write_post,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Keys of lemmy-js-client 0.19.9's types that only these tests check: (required, optional).
const COMMENT_REPLY_VIEW: Shape = (
    &[
        "comment_reply",
        "comment",
        "creator",
        "post",
        "community",
        "recipient",
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
const NOTIFIED: Shape = (
    &["id", "recipient_id", "comment_id", "read", "published"],
    &[],
);
const MODLOG: Shape = (
    &[
        "removed_posts",
        "locked_posts",
        "featured_posts",
        "removed_comments",
        "removed_communities",
        "banned_from_community",
        "banned",
        "added_to_community",
        "transferred_to_community",
        "added",
        "admin_purged_persons",
        "admin_purged_communities",
        "admin_purged_posts",
        "admin_purged_comments",
        "hidden_communities",
    ],
    &[],
);
const POST_REPORT_VIEW: Shape = (
    &[
        "post_report",
        "post",
        "community",
        "creator",
        "post_creator",
        "creator_banned_from_community",
        "creator_is_moderator",
        "creator_is_admin",
        "subscribed",
        "saved",
        "read",
        "hidden",
        "creator_blocked",
        "unread_comments",
        "counts",
    ],
    &["my_vote", "resolver"],
);
const POST_REPORT: Shape = (
    &[
        "id",
        "creator_id",
        "post_id",
        "original_post_name",
        "reason",
        "resolved",
        "published",
    ],
    &[
        "original_post_url",
        "original_post_body",
        "resolver_id",
        "updated",
    ],
);
const COMMENT_REPORT_VIEW: Shape = (
    &[
        "comment_report",
        "comment",
        "post",
        "community",
        "creator",
        "comment_creator",
        "counts",
        "creator_banned_from_community",
        "creator_is_moderator",
        "creator_is_admin",
        "creator_blocked",
        "subscribed",
        "saved",
    ],
    &["my_vote", "resolver"],
);

fn ids(list: &Value, path: &[&str]) -> Vec<i64> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|item| {
            let mut v = item;
            for key in path {
                v = &v[*key];
            }
            v.as_i64()
                .unwrap_or_else(|| panic!("an id at {path:?}: {item}"))
        })
        .collect()
}

#[tokio::test]
async fn lemmy_communities_are_read_listed_followed_blocked_created_and_edited() {
    let app = TestApp::spawn(&[]).await;
    let owner = app.user("owner").await;
    let kim = app.user("kim").await;

    // Creating answers the community with its creator subscribed.
    let created = ok(post(
        &app,
        "community",
        Some(&owner),
        json!({"name": "gardening", "title": "Gardening", "description": "Plants."}),
    )
    .await);
    assert_community_view(&created["community_view"]);
    assert_eq!(created["discussion_languages"], json!([]));
    let view = &created["community_view"];
    assert_eq!(view["subscribed"], "Subscribed");
    assert_eq!(view["community"]["name"], "gardening");
    assert_eq!(view["community"]["description"], "Plants.");
    assert_eq!(view["community"]["local"], true);
    assert_eq!(view["counts"]["subscribers"], 1);
    let id = view["community"]["id"].as_i64().unwrap();
    assert_error(
        &post(
            &app,
            "community",
            Some(&kim),
            json!({"name": "gardening", "title": "Again"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "community_already_exists",
    );
    assert_error(
        &post(&app, "community", None, json!({"name": "x", "title": "X"})).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    let other = community(&app, &kim, "cooking").await;

    // Reading by id or name, anonymously: its moderators, no relation.
    let read = ok(get(&app, &format!("community?id={id}"), None).await);
    assert_community_view(&read["community_view"]);
    assert_eq!(read["community_view"]["subscribed"], "NotSubscribed");
    assert_eq!(
        ids(&read["moderators"], &["moderator", "id"]),
        vec![owner.id]
    );
    assert_shape(
        &read["moderators"][0]["moderator"],
        PERSON,
        "CommunityModeratorView.moderator",
    );
    assert!(read.get("site").is_none(), "{read}");
    let by_name = ok(get(&app, "community?name=gardening", Some(&owner)).await);
    assert_eq!(by_name["community_view"]["community"]["id"], id);
    assert_eq!(by_name["community_view"]["subscribed"], "Subscribed");
    assert_error(
        &get(&app, "community", None).await,
        StatusCode::BAD_REQUEST,
        "no_id_given",
    );
    assert_error(
        &get(&app, "community?id=999999", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &get(&app, "community?id=abc", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    // Following and unfollowing.
    let followed = ok(post(
        &app,
        "community/follow",
        Some(&kim),
        json!({"community_id": id, "follow": true}),
    )
    .await);
    assert_community_view(&followed["community_view"]);
    assert_eq!(followed["community_view"]["subscribed"], "Subscribed");
    assert_eq!(followed["community_view"]["counts"]["subscribers"], 2);
    assert_error(
        &post(
            &app,
            "community/follow",
            None,
            json!({"community_id": id, "follow": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(
            &app,
            "community/follow",
            Some(&kim),
            json!({"community_id": 999999, "follow": true}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &post(
            &app,
            "community/follow",
            Some(&kim),
            json!({"community_id": id}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    // Lists: all, the viewer's, local; with Lemmy's paging and sorts.
    let all = ok(get(&app, "community/list?sort=New", None).await);
    assert_eq!(
        ids(&all["communities"], &["community", "id"]),
        vec![other, id]
    );
    assert_community_view(&all["communities"][0]);
    let old = ok(get(&app, "community/list?sort=Old&limit=1&page=2", None).await);
    assert_eq!(ids(&old["communities"], &["community", "id"]), vec![other]);
    let mine = ok(get(&app, "community/list?type_=Subscribed", Some(&kim)).await);
    let mut mine = ids(&mine["communities"], &["community", "id"]);
    mine.sort_unstable();
    assert_eq!(mine, vec![id, other]);
    let moderated = ok(get(&app, "community/list?type_=ModeratorView", Some(&owner)).await);
    assert_eq!(
        ids(&moderated["communities"], &["community", "id"]),
        vec![id]
    );
    assert_error(
        &get(&app, "community/list?type_=Subscribed", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &get(&app, "community/list?limit=51", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &get(&app, "community/list?sort=Sideways", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    let left = ok(post(
        &app,
        "community/follow",
        Some(&kim),
        json!({"community_id": id, "follow": false}),
    )
    .await);
    assert_eq!(left["community_view"]["subscribed"], "NotSubscribed");
    assert_eq!(left["community_view"]["counts"]["subscribers"], 1);

    // Blocking.
    let blocked = ok(post(
        &app,
        "community/block",
        Some(&kim),
        json!({"community_id": id, "block": true}),
    )
    .await);
    assert_eq!(blocked["blocked"], true);
    assert_eq!(blocked["community_view"]["blocked"], true);
    let again = ok(get(&app, &format!("community?id={id}"), Some(&kim)).await);
    assert_eq!(again["community_view"]["blocked"], true);
    let unblocked = ok(post(
        &app,
        "community/block",
        Some(&kim),
        json!({"community_id": id, "block": false}),
    )
    .await);
    assert_eq!(unblocked["community_view"]["blocked"], false);
    assert_error(
        &post(
            &app,
            "community/block",
            None,
            json!({"community_id": id, "block": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );

    // Editing: its moderators only.
    let edited = ok(put(
        &app,
        "community",
        Some(&owner),
        json!({"community_id": id, "title": "Gardening together", "nsfw": false}),
    )
    .await);
    assert_eq!(
        edited["community_view"]["community"]["title"],
        "Gardening together"
    );
    assert_error(
        &put(
            &app,
            "community",
            Some(&kim),
            json!({"community_id": id, "title": "Mine now"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_a_moderator",
    );
    assert_error(
        &put(
            &app,
            "community",
            Some(&owner),
            json!({"community_id": 999999, "title": "Nothing"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}

#[tokio::test]
async fn lemmy_person_details_replies_mentions_unread_counts_and_blocks() {
    let app = TestApp::spawn(&[]).await;
    let owner = app.user("owner").await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let community_id = community(&app, &owner, "birds").await;
    let kims_post = write_post(&app, &kim, "birds", "Robins").await;
    let lees_post = write_post(&app, &lee, "birds", "Wrens").await;
    let reply = write_comment(&app, &lee, kims_post, "Lovely robins.").await;
    let mention = write_comment(&app, &lee, lees_post, "What do you think, @kim?").await;

    // Details: the person, their posts and comments, what they moderate.
    let details = ok(get(&app, "user?username=kim", None).await);
    assert_person_view(&details["person_view"]);
    assert_eq!(details["person_view"]["person"]["id"], kim.id);
    assert_eq!(details["person_view"]["counts"]["post_count"], 1);
    assert_eq!(details["person_view"]["is_admin"], false);
    assert_eq!(ids(&details["posts"], &["post", "id"]), vec![kims_post]);
    assert_eq!(details["comments"], json!([]));
    assert_eq!(details["moderates"], json!([]));
    let lees = ok(get(&app, &format!("user?person_id={}", lee.id), None).await);
    assert_eq!(lees["person_view"]["counts"]["comment_count"], 2);
    let mut comments = ids(&lees["comments"], &["comment", "id"]);
    comments.sort_unstable();
    assert_eq!(comments, vec![reply, mention]);
    let owners = ok(get(&app, "user?username=owner", None).await);
    assert_eq!(
        ids(&owners["moderates"], &["community", "id"]),
        vec![community_id]
    );
    let second = ok(get(&app, "user?username=kim&page=2&limit=1", None).await);
    assert_eq!(second["posts"], json!([]));
    let elsewhere = ok(get(&app, "user?username=kim&community_id=999999", None).await);
    assert_eq!(elsewhere["posts"], json!([]));
    assert_error(
        &get(&app, "user", None).await,
        StatusCode::BAD_REQUEST,
        "no_id_given",
    );
    assert_error(
        &get(&app, "user?person_id=999999", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &get(&app, "user?username=nobody", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &get(&app, "user?person_id=1&limit=0", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    // Unread counts, replies and mentions (ids are the notifications').
    let unread = ok(get(&app, "user/unread_count", Some(&kim)).await);
    assert_eq!(
        unread,
        json!({"replies": 1, "mentions": 1, "private_messages": 0})
    );
    assert_error(
        &get(&app, "user/unread_count", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    let replies = ok(get(&app, "user/replies?unread_only=true", Some(&kim)).await);
    let first = &replies["replies"][0];
    assert_shape(first, COMMENT_REPLY_VIEW, "CommentReplyView");
    assert_shape(&first["comment_reply"], NOTIFIED, "CommentReply");
    assert_eq!(replies["replies"].as_array().unwrap().len(), 1);
    assert_eq!(first["comment"]["id"], reply);
    assert_eq!(first["comment_reply"]["comment_id"], reply);
    assert_eq!(first["comment_reply"]["recipient_id"], kim.id);
    assert_eq!(first["comment_reply"]["read"], false);
    assert_eq!(first["recipient"]["id"], kim.id);
    assert_eq!(first["creator"]["id"], lee.id);
    let reply_id = first["comment_reply"]["id"].as_i64().unwrap();
    assert_eq!(
        ok(get(&app, "user/replies?page=2", Some(&kim)).await)["replies"],
        json!([])
    );
    assert_error(
        &get(&app, "user/replies", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &get(&app, "user/replies?sort=Sideways", Some(&kim)).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );

    let marked = ok(post(
        &app,
        "comment/mark_as_read",
        Some(&kim),
        json!({"comment_reply_id": reply_id, "read": true}),
    )
    .await);
    assert_eq!(marked["comment_reply_view"]["comment_reply"]["read"], true);
    assert_eq!(
        marked["comment_reply_view"]["comment_reply"]["id"],
        reply_id
    );
    assert_error(
        &post(
            &app,
            "comment/mark_as_read",
            Some(&lee),
            json!({"comment_reply_id": reply_id, "read": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_find_comment_reply",
    );
    assert_eq!(
        ok(get(&app, "user/replies?unread_only=true", Some(&kim)).await)["replies"],
        json!([])
    );

    let mentions = ok(get(&app, "user/mention", Some(&kim)).await);
    let first = &mentions["mentions"][0];
    assert_shape(&first["person_mention"], NOTIFIED, "PersonMention");
    assert_eq!(first["comment"]["id"], mention);
    assert_eq!(first["recipient"]["id"], kim.id);
    let mention_id = first["person_mention"]["id"].as_i64().unwrap();
    let marked = ok(post(
        &app,
        "user/mention/mark_as_read",
        Some(&kim),
        json!({"person_mention_id": mention_id, "read": true}),
    )
    .await);
    assert_eq!(
        marked["person_mention_view"]["person_mention"]["read"],
        true
    );
    assert_error(
        &post(
            &app,
            "user/mention/mark_as_read",
            Some(&kim),
            json!({"person_mention_id": 999999, "read": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_find_person_mention",
    );
    assert_eq!(
        ok(get(&app, "user/unread_count", Some(&kim)).await),
        json!({"replies": 0, "mentions": 0, "private_messages": 0})
    );

    // Marking everything read.
    write_comment(&app, &lee, kims_post, "And another thing.").await;
    assert_eq!(
        ok(get(&app, "user/unread_count", Some(&kim)).await)["replies"],
        1
    );
    assert_eq!(
        ok(post(&app, "user/mark_all_as_read", Some(&kim), json!({})).await),
        json!({"replies": []})
    );
    assert_eq!(
        ok(get(&app, "user/unread_count", Some(&kim)).await)["replies"],
        0
    );

    // Blocking people.
    let blocked = ok(post(
        &app,
        "user/block",
        Some(&kim),
        json!({"person_id": lee.id, "block": true}),
    )
    .await);
    assert_person_view(&blocked["person_view"]);
    assert_eq!(blocked["blocked"], true);
    assert_eq!(blocked["person_view"]["person"]["id"], lee.id);
    let unblocked = ok(post(
        &app,
        "user/block",
        Some(&kim),
        json!({"person_id": lee.id, "block": false}),
    )
    .await);
    assert_eq!(unblocked["blocked"], false);
    assert_error(
        &post(
            &app,
            "user/block",
            Some(&kim),
            json!({"person_id": kim.id, "block": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "cant_block_yourself",
    );
    let admin = app.admin("boss").await;
    assert_error(
        &post(
            &app,
            "user/block",
            Some(&kim),
            json!({"person_id": admin.id, "block": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "cant_block_admin",
    );
    assert_error(
        &post(
            &app,
            "user/block",
            None,
            json!({"person_id": lee.id, "block": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
}

#[tokio::test]
async fn lemmy_search_finds_each_kind_and_resolve_object_finds_one_thing() {
    let app = TestApp::spawn(&[]).await;
    let owner = app.user("owner").await;
    let gardener = app.user("gardener").await;
    let community_id = community(&app, &owner, "garden").await;
    let post_id = write_post(&app, &owner, "garden", "Garden tomatoes").await;
    let comment_id = write_comment(&app, &gardener, post_id, "My garden has tomatoes too.").await;

    let all = ok(get(&app, "search?q=garden", None).await);
    assert_eq!(all["type_"], "All");
    assert_eq!(
        ids(&all["communities"], &["community", "id"]),
        vec![community_id]
    );
    assert_eq!(ids(&all["posts"], &["post", "id"]), vec![post_id]);
    assert_eq!(ids(&all["comments"], &["comment", "id"]), vec![comment_id]);
    assert_eq!(ids(&all["users"], &["person", "id"]), vec![gardener.id]);
    assert_community_view(&all["communities"][0]);
    assert_person_view(&all["users"][0]);

    let posts = ok(get(&app, "search?q=tomatoes&type_=Posts", Some(&owner)).await);
    assert_eq!(posts["type_"], "Posts");
    assert_eq!(ids(&posts["posts"], &["post", "id"]), vec![post_id]);
    assert_eq!(posts["comments"], json!([]));
    let by_creator = ok(get(
        &app,
        &format!("search?q=tomatoes&type_=Comments&creator_id={}", owner.id),
        None,
    )
    .await);
    assert_eq!(by_creator["comments"], json!([]));
    let in_community = ok(get(
        &app,
        &format!("search?q=tomatoes&community_id={community_id}"),
        None,
    )
    .await);
    assert_eq!(ids(&in_community["posts"], &["post", "id"]), vec![post_id]);
    assert_eq!(in_community["communities"], json!([]));
    let later = ok(get(&app, "search?q=garden&type_=Posts&page=2", None).await);
    assert_eq!(later["posts"], json!([]));
    assert_error(
        &get(&app, "search?q=garden&type_=Everything", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &get(&app, "search", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &get(&app, "search?q=garden&community_id=999999", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // resolve_object: one field set; signed-in only; nothing found is Lemmy's error.
    let host = app.settings.hostname.as_str().to_owned();
    let resolved = ok(get(
        &app,
        &format!("resolve_object?q=!garden@{host}"),
        Some(&owner),
    )
    .await);
    let object = resolved.as_object().unwrap();
    assert_eq!(
        object.keys().collect::<Vec<_>>(),
        vec!["community"],
        "{resolved}"
    );
    assert_community_view(&resolved["community"]);
    assert_eq!(resolved["community"]["community"]["id"], community_id);
    let person = ok(get(
        &app,
        &format!("resolve_object?q=@gardener@{host}"),
        Some(&owner),
    )
    .await);
    assert_eq!(person["person"]["person"]["id"], gardener.id);
    assert!(person.get("community").is_none(), "{person}");
    assert_error(
        &get(&app, &format!("resolve_object?q=!garden@{host}"), None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    let missing = get(
        &app,
        &format!("resolve_object?q=!nowhere@{host}"),
        Some(&owner),
    )
    .await;
    assert_eq!(missing.1["error"], "couldnt_find_object", "{}", missing.1);
    assert_error(
        &get(&app, "resolve_object", Some(&owner)).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}

#[tokio::test]
async fn lemmy_moderators_act_read_the_modlog_and_decide_reports() {
    let app = TestApp::spawn(&[]).await;
    let owner = app.user("owner").await;
    let kim = app.user("kim").await;
    let lee = app.user("lee").await;
    let community_id = community(&app, &owner, "birds").await;
    let post_id = write_post(&app, &kim, "birds", "Robins").await;
    let comment_id = write_comment(&app, &lee, post_id, "Rude words.").await;

    // Reports, filed by others, listed and counted for the community's moderators.
    ok(post(
        &app,
        "post/report",
        Some(&lee),
        json!({"post_id": post_id, "reason": "Off topic"}),
    )
    .await);
    ok(post(
        &app,
        "comment/report",
        Some(&kim),
        json!({"comment_id": comment_id, "reason": "Rude"}),
    )
    .await);
    assert_eq!(
        ok(get(&app, "user/report_count", Some(&owner)).await),
        json!({"comment_reports": 1, "post_reports": 1})
    );
    assert_eq!(
        ok(get(
            &app,
            &format!("user/report_count?community_id={community_id}"),
            Some(&kim)
        )
        .await),
        json!({"community_id": community_id, "comment_reports": 0, "post_reports": 0})
    );
    let posts = ok(get(&app, "post/report/list?unresolved_only=true", Some(&owner)).await);
    let report = &posts["post_reports"][0];
    assert_shape(report, POST_REPORT_VIEW, "PostReportView");
    assert_shape(&report["post_report"], POST_REPORT, "PostReport");
    assert_eq!(report["post_report"]["reason"], "Off topic");
    assert_eq!(report["post_report"]["resolved"], false);
    assert_eq!(report["creator"]["id"], lee.id);
    assert_eq!(report["post_creator"]["id"], kim.id);
    assert_eq!(report["post"]["id"], post_id);
    let post_report_id = report["post_report"]["id"].as_i64().unwrap();
    assert_eq!(
        ok(get(&app, "post/report/list", Some(&lee)).await)["post_reports"],
        json!([])
    );
    let comments = ok(get(&app, "comment/report/list", Some(&owner)).await);
    let report = &comments["comment_reports"][0];
    assert_shape(report, COMMENT_REPORT_VIEW, "CommentReportView");
    assert_eq!(
        report["comment_report"]["original_comment_text"],
        "Rude words."
    );
    assert_eq!(report["comment_creator"]["id"], lee.id);
    let comment_report_id = report["comment_report"]["id"].as_i64().unwrap();
    assert_error(
        &get(&app, "post/report/list", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );

    assert_error(
        &put(
            &app,
            "post/report/resolve",
            Some(&lee),
            json!({"report_id": post_report_id, "resolved": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_find_post_report",
    );
    assert_error(
        &put(
            &app,
            "post/report/resolve",
            Some(&owner),
            json!({"report_id": comment_report_id, "resolved": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_find_post_report",
    );
    let resolved = ok(put(
        &app,
        "post/report/resolve",
        Some(&owner),
        json!({"report_id": post_report_id, "resolved": true}),
    )
    .await);
    let decided = &resolved["post_report_view"];
    assert_eq!(decided["post_report"]["resolved"], true);
    assert_eq!(decided["post_report"]["resolver_id"], owner.id);
    assert_eq!(decided["resolver"]["id"], owner.id);
    let dismissed = ok(put(
        &app,
        "comment/report/resolve",
        Some(&owner),
        json!({"report_id": comment_report_id, "resolved": false}),
    )
    .await);
    assert_eq!(
        dismissed["comment_report_view"]["comment_report"]["resolved"],
        true
    );
    assert_eq!(
        ok(get(&app, "user/report_count", Some(&owner)).await),
        json!({"comment_reports": 0, "post_reports": 0})
    );

    // Moderator actions: refused to others, applied for the community's moderators.
    let remove = json!({"post_id": post_id, "removed": true, "reason": "Spam"});
    assert_error(
        &post(&app, "post/remove", Some(&kim), remove.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_a_moderator",
    );
    assert_error(
        &post(&app, "post/remove", None, remove.clone()).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(
            &app,
            "post/remove",
            Some(&owner),
            json!({"post_id": 999999, "removed": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_find_post",
    );
    let locked = ok(post(
        &app,
        "post/lock",
        Some(&owner),
        json!({"post_id": post_id, "locked": true}),
    )
    .await);
    assert_eq!(locked["post_view"]["post"]["locked"], true);
    let featured = ok(post(
        &app,
        "post/feature",
        Some(&owner),
        json!({"post_id": post_id, "featured": true, "feature_type": "Community"}),
    )
    .await);
    assert_eq!(featured["post_view"]["post"]["featured_community"], true);
    assert_error(
        &post(
            &app,
            "post/feature",
            Some(&owner),
            json!({"post_id": post_id, "featured": true, "feature_type": "Local"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    assert_error(
        &post(
            &app,
            "post/feature",
            Some(&owner),
            json!({"post_id": post_id, "featured": true, "feature_type": "Sideways"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    let removed = ok(post(&app, "post/remove", Some(&owner), remove).await);
    assert_eq!(removed["post_view"]["post"]["removed"], true);
    let removed = ok(post(
        &app,
        "comment/remove",
        Some(&owner),
        json!({"comment_id": comment_id, "removed": true, "reason": "Rude"}),
    )
    .await);
    assert_eq!(removed["comment_view"]["comment"]["removed"], true);
    assert_eq!(removed["recipient_ids"], json!([]));

    // Bans: a time in the past is refused; unbanning twice is fine.
    let ban = |ban: bool, expires: Option<i64>| {
        json!({"community_id": community_id, "person_id": lee.id, "ban": ban,
               "reason": "Rudeness", "expires": expires})
    };
    assert_error(
        &post(
            &app,
            "community/ban_user",
            Some(&owner),
            ban(true, Some(1000)),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "ban_expiration_in_past",
    );
    assert_error(
        &post(&app, "community/ban_user", Some(&kim), ban(true, None)).await,
        StatusCode::BAD_REQUEST,
        "not_a_moderator",
    );
    let banned = ok(post(&app, "community/ban_user", Some(&owner), ban(true, None)).await);
    assert_eq!(banned["banned"], true);
    assert_eq!(banned["person_view"]["person"]["id"], lee.id);
    let seen = ok(get(&app, &format!("community?id={community_id}"), Some(&lee)).await);
    assert_eq!(seen["community_view"]["banned_from_community"], true);
    let unbanned = ok(post(&app, "community/ban_user", Some(&owner), ban(false, None)).await);
    assert_eq!(unbanned["banned"], false);
    ok(post(&app, "community/ban_user", Some(&owner), ban(false, None)).await);

    // Moderators.
    let added = ok(post(
        &app,
        "community/mod",
        Some(&owner),
        json!({"community_id": community_id, "person_id": kim.id, "added": true}),
    )
    .await);
    assert_eq!(
        ids(&added["moderators"], &["moderator", "id"]),
        vec![owner.id, kim.id]
    );
    assert_error(
        &post(
            &app,
            "community/mod",
            Some(&owner),
            json!({"community_id": community_id, "person_id": kim.id, "added": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "community_moderator_already_exists",
    );
    assert_error(
        &post(
            &app,
            "community/mod",
            Some(&lee),
            json!({"community_id": community_id, "person_id": lee.id, "added": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_a_moderator",
    );

    // The mod log, public, in Lemmy's arrays.
    let log = ok(get(&app, "modlog?limit=50", None).await);
    assert_shape(&log, MODLOG, "GetModlogResponse");
    let removed_posts = &log["removed_posts"];
    assert_eq!(removed_posts.as_array().unwrap().len(), 1, "{log}");
    assert_eq!(removed_posts[0]["mod_remove_post"]["reason"], "Spam");
    assert_eq!(removed_posts[0]["mod_remove_post"]["removed"], true);
    assert_eq!(
        removed_posts[0]["mod_remove_post"]["mod_person_id"],
        owner.id
    );
    assert_eq!(removed_posts[0]["moderator"]["id"], owner.id);
    assert_eq!(removed_posts[0]["post"]["id"], post_id);
    assert_eq!(log["locked_posts"][0]["mod_lock_post"]["locked"], true);
    assert_eq!(
        log["featured_posts"][0]["mod_feature_post"]["is_featured_community"],
        true
    );
    assert_eq!(log["removed_comments"][0]["commenter"]["id"], lee.id);
    assert_eq!(log["removed_comments"][0]["comment"]["id"], comment_id);
    let bans: Vec<bool> = log["banned_from_community"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["mod_ban_from_community"]["banned"].as_bool().unwrap())
        .collect();
    assert_eq!(bans, vec![false, true], "newest first: {log}");
    assert_eq!(log["added_to_community"][0]["modded_person"]["id"], kim.id);
    assert_eq!(log["banned"], json!([]));
    assert_eq!(log["removed_communities"], json!([]));
    let locks = ok(get(&app, "modlog?type_=ModLockPost", None).await);
    assert_eq!(locks["locked_posts"].as_array().unwrap().len(), 1);
    assert_eq!(locks["removed_posts"], json!([]));
    let purges = ok(get(&app, "modlog?type_=AdminPurgePost", None).await);
    assert_eq!(purges["locked_posts"], json!([]));
    let of_lee = ok(get(&app, &format!("modlog?other_person_id={}", lee.id), None).await);
    assert_eq!(of_lee["locked_posts"], json!([]));
    assert_eq!(of_lee["banned_from_community"].as_array().unwrap().len(), 2);
    assert_error(
        &get(&app, "modlog?type_=Everything", None).await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
}

#[tokio::test]
async fn lemmy_features_hearth_lacks_answer_as_lemmy_does_when_they_are_off() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;

    assert_eq!(
        ok(get(&app, "user/validate_auth", Some(&kim)).await),
        json!({"success": true})
    );
    assert_error(
        &get(&app, "user/validate_auth", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    let stale = TestUser {
        token: "not-a-token".to_owned(),
        ..kim.clone()
    };
    assert_error(
        &get(&app, "user/validate_auth", Some(&stale)).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_eq!(ok(get(&app, "user/get_captcha", None).await), json!({}));
    assert_eq!(
        ok(get(&app, "private_message/list?unread_only=true", Some(&kim)).await),
        json!({"private_messages": []})
    );
    assert_error(
        &get(&app, "private_message/list", None).await,
        StatusCode::BAD_REQUEST,
        "not_logged_in",
    );
    assert_error(
        &post(
            &app,
            "private_message",
            Some(&kim),
            json!({"content": "Hi", "recipient_id": kim.id}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "couldnt_create_private_message",
    );
    assert_error(
        &post(&app, "user/totp/generate", Some(&kim), json!({})).await,
        StatusCode::BAD_REQUEST,
        "couldnt_generate_totp",
    );
    assert_error(
        &post(
            &app,
            "custom_emoji",
            Some(&kim),
            json!({"category": "x", "shortcode": "x"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "not_an_admin",
    );
    let logins = ok(get(&app, "user/list_logins", Some(&kim)).await);
    let logins = logins.as_array().unwrap();
    assert!(!logins.is_empty());
    assert_eq!(logins[0]["user_id"], kim.id);
    assert!(logins[0]["published"].is_string());
    let instances = ok(get(&app, "federated_instances", None).await);
    let lists = &instances["federated_instances"];
    for list in ["linked", "allowed", "blocked"] {
        assert!(lists[list].is_array(), "{instances}");
    }
}
