//! The hostile-server family: Evil (`hearth_tests::hostile`), a fake ActivityPub server run by
//! an attacker, against real Hearth instances. Each test drives one attack end to end (a Group's
//! outbox that claims other servers' content or ours, an `Announce` that rewrites another
//! community's post, a junior remote moderator, an edit addressed to another community, a flood
//! of reports, a blocklist on a private address) and checks the exact rows it targets, plus the
//! counts around them, so "nothing changed" means nothing.

use crate::federation_network::{
    create_community, eventually, host, join, membership, post_id, scalar, write_comment,
    write_post,
};
use chrono::{Duration as Span, SecondsFormat, Utc};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::hostile::{Evil, PUBLIC, collection};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A post as stored: what an attacker would want to change.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PostRow {
    title: String,
    body: String,
    author: String,
    community: String,
    local: bool,
    deleted: bool,
    removed: bool,
}

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CommentRow {
    body: String,
    author: String,
    post: String,
    parent: Option<String>,
    local: bool,
    deleted: bool,
    removed: bool,
}

async fn post_row(app: &TestApp, ap_id: &str) -> Option<PostRow> {
    let pool = app.db.pool().await;
    let row: Option<(String, String, String, String, bool, bool, bool)> = sqlx::query_as(
        "select p.title, p.body, a.ap_id, c.ap_id, p.local, p.deleted, p.removed
         from post p join person a on a.id = p.author_id join community c on c.id = p.community_id
         where p.ap_id = $1",
    )
    .bind(ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row.map(
        |(title, body, author, community, local, deleted, removed)| PostRow {
            title,
            body,
            author,
            community,
            local,
            deleted,
            removed,
        },
    )
}

/// `CommentRow`'s columns, as selected.
type CommentColumns = (String, String, String, Option<String>, bool, bool, bool);

async fn comment_row(app: &TestApp, ap_id: &str) -> Option<CommentRow> {
    let pool = app.db.pool().await;
    let row: Option<CommentColumns> = sqlx::query_as(
        "select k.body, a.ap_id, p.ap_id, parent.ap_id, k.local, k.deleted, k.removed
             from comment k join person a on a.id = k.author_id join post p on p.id = k.post_id
             left join comment parent on parent.id = k.parent_id
             where k.ap_id = $1",
    )
    .bind(ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row.map(
        |(body, author, post, parent, local, deleted, removed)| CommentRow {
            body,
            author,
            post,
            parent,
            local,
            deleted,
            removed,
        },
    )
}

/// What an attack could change on an instance, by name, leaving out posts and comments whose
/// ids are on `except` (the attacker's own, legitimate, content).
async fn fingerprint(app: &TestApp, except: &Evil) -> Vec<(&'static str, i64)> {
    let pool = app.db.pool().await;
    let evil = format!("{}%", except.url("/"));
    let mut out = Vec::new();
    for (name, sql, bind) in [
        (
            "posts (not Evil's)",
            "select count(*) from post where ap_id not like $1",
            true,
        ),
        (
            "comments (not Evil's)",
            "select count(*) from comment where ap_id not like $1",
            true,
        ),
        (
            "posts by local people",
            "select count(*) from post p join person a on a.id = p.author_id where a.local",
            false,
        ),
        (
            "comments by local people",
            "select count(*) from comment k join person a on a.id = k.author_id where a.local",
            false,
        ),
        (
            "deleted or removed posts",
            "select count(*) from post where deleted or removed",
            false,
        ),
        (
            "deleted or removed comments",
            "select count(*) from comment where deleted or removed",
            false,
        ),
        (
            "post votes",
            "select coalesce(sum(score), 0)::bigint from post_vote",
            false,
        ),
        (
            "comment votes",
            "select coalesce(sum(score), 0)::bigint from comment_vote",
            false,
        ),
        (
            "memberships",
            "select count(*) from community_member",
            false,
        ),
        (
            "moderators",
            "select count(*) from community_moderator",
            false,
        ),
        (
            "community bans",
            "select count(*) from community_ban",
            false,
        ),
        ("reports", "select count(*) from report", false),
    ] {
        let query = sqlx::query_scalar::<_, i64>(sql);
        let query = if bind { query.bind(&evil) } else { query };
        out.push((name, query.fetch_one(&pool).await.unwrap()));
    }
    pool.close().await;
    out
}

/// Posts and comments stored as another server's although their ids are on the instance's own
/// host, or written in the name of one of its local people: both can only be forgeries.
async fn forged_rows(app: &TestApp) -> Vec<String> {
    let pool = app.db.pool().await;
    let own = format!("http://{}/%", host(app));
    let rows: Vec<(String,)> = sqlx::query_as(
        "select 'post ' || p.ap_id from post p join person a on a.id = p.author_id
         where not p.local and (p.ap_id like $1 or a.local)
         union all
         select 'comment ' || k.ap_id from comment k join person a on a.id = k.author_id
         where not k.local and (k.ap_id like $1 or a.local)
         order by 1",
    )
    .bind(&own)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows.into_iter().map(|(r,)| r).collect()
}

/// The stored rows of these posts and comments, by id (`None` when missing), for `compare`.
async fn rows(app: &TestApp, posts: &[&str], comments: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in posts {
        out.push((
            format!("post {id}"),
            format!("{:?}", post_row(app, id).await),
        ));
    }
    for id in comments {
        out.push((
            format!("comment {id}"),
            format!("{:?}", comment_row(app, id).await),
        ));
    }
    out
}

/// Adds a finding for each named value that differs between `before` and `after`.
fn compare<K: std::fmt::Display, V: PartialEq + std::fmt::Debug>(
    findings: &mut Vec<String>,
    what: &str,
    before: &[(K, V)],
    after: &[(K, V)],
) {
    for ((name, old), (_, new)) in before.iter().zip(after) {
        if old != new {
            findings.push(format!("{what}, {name}: was {old:?}, is {new:?}"));
        }
    }
}

/// A moment as ActivityPub writes it.
fn time(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A `Page` as Lemmy writes one.
fn page(id: &str, author: &str, community: &str, title: &str, body: &str) -> Value {
    json!({
        "type": "Page", "id": id, "attributedTo": author, "name": title,
        "content": format!("<p>{body}</p>"), "mediaType": "text/html",
        "source": {"content": body, "mediaType": "text/markdown"},
        "to": [community, PUBLIC], "cc": [], "audience": community,
        "sensitive": false, "published": time(Utc::now() - Span::minutes(5)),
    })
}

/// A `Note` (a comment) as Lemmy writes one.
fn note(id: &str, author: &str, in_reply_to: &str, community: &str, body: &str) -> Value {
    json!({
        "type": "Note", "id": id, "attributedTo": author, "inReplyTo": in_reply_to,
        "content": format!("<p>{body}</p>"), "mediaType": "text/html",
        "source": {"content": body, "mediaType": "text/markdown"},
        "to": [PUBLIC], "cc": [community], "audience": community,
        "published": time(Utc::now() - Span::minutes(4)),
    })
}

/// `Announce{Create{object}}` by `group`, as a Lemmy outbox holds it.
fn announced_create(evil: &Evil, group: &str, object: &Value) -> Value {
    json!({
        "id": evil.activity_id("Announce"), "type": "Announce", "actor": group,
        "to": [PUBLIC], "cc": [format!("{group}/followers")],
        "object": {
            "id": evil.activity_id("Create"), "type": "Create",
            "actor": object["attributedTo"], "to": [PUBLIC], "cc": [group],
            "audience": group, "object": object,
        },
    })
}

/// Resolves and joins Evil's Group `name`, has Evil accept the Follow, and waits until the
/// membership is `joined` (the first local member: the backfill starts now).
async fn join_evil_group(app: &TestApp, user: &TestUser, evil: &Evil, name: &str) {
    let reference = format!("{name}@{}", evil.authority());
    assert_eq!(join(app, user, &reference).await, "pending");
    let group = evil.url(&format!("/c/{name}"));
    eventually("Evil receives the Follow", || async {
        !evil.follows_of(&group).is_empty()
    })
    .await;
    let follow = evil.follows_of(&group).pop().unwrap();
    let (status, body) = evil.accept(app, &follow).await;
    assert_eq!(status, StatusCode::ACCEPTED, "Evil's Accept: {body}");
    eventually("the membership is joined", || async {
        membership(app, user, &reference).await == "joined"
    })
    .await;
}

/// A comment by `author` through the API: its status and answer.
async fn try_comment(
    app: &TestApp,
    author: &TestUser,
    post: i64,
    body: &str,
) -> (StatusCode, Value) {
    app.post_json(
        "/api/v1/comments",
        author.auth(),
        json!({"post_id": post, "body": body}),
    )
    .await
}

/// The ActivityPub ids of a community's moderators on `app`, in order of seniority.
pub(crate) async fn moderators(app: &TestApp, community: &str) -> Vec<String> {
    let (status, list) = app
        .get_json(&format!("/api/v1/communities/{community}/moderators"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ap_id"].as_str().unwrap().to_owned())
        .collect()
}

/// A Group's outbox (Lemmy's shape: `Announce{Create{Page}}`, with `replies` collections of
/// embedded Notes) claims other servers' posts and comments, altered, and objects with ids on
/// the joining server's own host written in its users' names. The joining server backfills
/// none of it: C's content stays C's, nothing appears in A's people's names or under A's ids,
/// and A's next comments (whose ids the forged ones were placed on) are written.
#[tokio::test]
async fn a_groups_outbox_cannot_rewrite_other_servers_content_or_forge_ours() {
    let a = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    // A's admin, in whose name Evil forges a post.
    a.admin("root").await;
    let alice = a.user("alice").await;
    let carol = c.user("carol").await;
    let a_host = host(&a).to_owned();
    let carol_id = format!("http://{}/u/carol", host(&c));
    let alice_id = format!("http://{a_host}/u/alice");
    let root_id = format!("http://{a_host}/u/root");

    // C's community `news`, joined by alice: A holds C's post and comment.
    create_community(&c, &carol, "news", json!({})).await;
    let news = format!("http://{}/c/news", host(&c));
    join(&a, &alice, &format!("news@{}", host(&c))).await;
    eventually("alice joins C's news", || async {
        membership(&a, &alice, &format!("news@{}", host(&c))).await == "joined"
    })
    .await;
    let carols_post = write_post(&c, &carol, "news", "Carol's news").await;
    let carols_post_on_c = post_id(&c, &carols_post).await.unwrap();
    let carols_comment = write_comment(&c, &carol, carols_post_on_c, None, "Carol's comment").await;
    // A's community `town`, where carol (from C) writes too, and alice.
    create_community(&a, &alice, "town", json!({})).await;
    let town = format!("http://{a_host}/c/town");
    join(&c, &carol, &format!("town@{a_host}")).await;
    let carols_town_post = write_post(&c, &carol, &format!("town@{a_host}"), "Carol in town").await;
    let carols_town_comment = write_comment(
        &c,
        &carol,
        post_id(&c, &carols_town_post).await.unwrap(),
        None,
        "Carol's town comment",
    )
    .await;
    let alices_post = write_post(&a, &alice, "town", "Alice's notice").await;
    let alices_post_id = post_id(&a, &alices_post).await.unwrap();
    eventually("A holds C's content", || async {
        comment_row(&a, &carols_comment).await.is_some()
            && comment_row(&a, &carols_town_comment).await.is_some()
    })
    .await;

    // Evil's Group `lair`, with mallory.
    let lair = evil.group("lair").await;
    let mallory = evil.person("mallory").await;
    let watched_posts = [
        carols_post.as_str(),
        carols_town_post.as_str(),
        alices_post.as_str(),
    ];
    let watched_comments = [carols_comment.as_str(), carols_town_comment.as_str()];
    let before_on_a = rows(&a, &watched_posts, &watched_comments).await;
    let before_on_c = rows(&c, &[&carols_post], &[&carols_comment]).await;
    assert_eq!(
        post_row(&a, &carols_post).await.unwrap().title,
        "Carol's news"
    );

    // The forged comments take the ids A's next five comments will get: the first five new
    // comment rows (the forged ones themselves, if stored) take the next five values of A's
    // comment sequence, and A's own next five the five after.
    let pool = a.db.pool().await;
    let last: i64 = sqlx::query_scalar(
        "select coalesce(pg_sequence_last_value(pg_get_serial_sequence('comment', 'id')::regclass), 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let forged_comments: Vec<String> = (last + 6..=last + 10)
        .map(|n| format!("http://{a_host}/comment/{n}"))
        .collect();
    let forged_post = format!("http://{a_host}/post/999999");

    // Evil's own posts: one carrying the hostile comments, one last in the outbox, one pinned.
    let carrier = evil.url("/post/1");
    let last_post = evil.url("/post/2");
    let pinned = evil.url("/post/3");
    let mut replies = vec![
        note(
            &carols_comment,
            &carol_id,
            &carols_post,
            &news,
            "Rewritten by Evil",
        ),
        note(&carols_comment, &carol_id, &carrier, &lair, "Moved by Evil"),
        note(
            &carols_town_comment,
            &carol_id,
            &carrier,
            &lair,
            "Rewritten town comment",
        ),
    ];
    for (n, id) in forged_comments.iter().enumerate() {
        replies.push(note(
            id,
            &alice_id,
            &carrier,
            &lair,
            &format!("Forged comment {n}"),
        ));
    }
    let mut carrier_page = page(
        &carrier,
        &mallory,
        &lair,
        "Evil's carrier",
        "Nothing to see",
    );
    carrier_page["replies"] = collection(&format!("{carrier}/replies"), replies);
    let items = [
        page(
            &carols_post,
            &carol_id,
            &news,
            "Hijacked in place",
            "Evil was here",
        ),
        page(
            &carols_post,
            &carol_id,
            &lair,
            "Hijacked into the lair",
            "Evil was here",
        ),
        page(
            &carols_town_post,
            &carol_id,
            &lair,
            "Town post hijacked",
            "Evil was here",
        ),
        page(
            &carols_town_post,
            &carol_id,
            &town,
            "Town post hijacked at home",
            "Evil",
        ),
        page(
            &alices_post,
            &alice_id,
            &lair,
            "Alice's post hijacked",
            "Evil was here",
        ),
        page(
            &forged_post,
            &root_id,
            &lair,
            "Forged admin post",
            "In root's name",
        ),
        carrier_page,
        page(&last_post, &mallory, &lair, "Evil's last post", "The end"),
    ];
    let outbox: Vec<Value> = items
        .iter()
        .map(|p| announced_create(&evil, &lair, p))
        .collect();
    evil.serve(
        "/c/lair/outbox",
        collection(&format!("{lair}/outbox"), outbox),
    );
    evil.serve(
        "/c/lair/featured",
        collection(
            &format!("{lair}/featured"),
            vec![
                page(&carols_post, &carol_id, &lair, "Pinned hijack", "Evil"),
                page(&pinned, &mallory, &lair, "Evil's pinned post", "Pinned"),
            ],
        ),
    );
    evil.serve_object(page(
        &pinned,
        &mallory,
        &lair,
        "Evil's pinned post",
        "Pinned",
    ));
    evil.serve_object(page(
        &last_post,
        &mallory,
        &lair,
        "Evil's last post",
        "The end",
    ));
    let before = fingerprint(&a, &evil).await;

    join_evil_group(&a, &alice, &evil, "lair").await;
    eventually(
        "the backfill ends (Evil's last and pinned posts stored)",
        || async {
            post_id(&a, &last_post).await.is_some()
                && scalar(
                    &a,
                    "select count(*) from post where ap_id = $1 and featured",
                    &pinned,
                )
                .await
                    == Some(1)
        },
    )
    .await;

    let mut findings = Vec::new();
    compare(
        &mut findings,
        "on A",
        &before_on_a,
        &rows(&a, &watched_posts, &watched_comments).await,
    );
    compare(
        &mut findings,
        "on C",
        &before_on_c,
        &rows(&c, &[&carols_post], &[&carols_comment]).await,
    );
    for forged in forged_rows(&a).await {
        findings.push(format!(
            "on A, {forged}: stored as another server's, with A's id or in A's person's name"
        ));
    }
    // alice's membership of Evil's Group is the one new row.
    let expected: Vec<(&str, i64)> = before
        .into_iter()
        .map(|(name, n)| (name, if name == "memberships" { n + 1 } else { n }))
        .collect();
    compare(
        &mut findings,
        "counts on A (Evil's own posts aside)",
        &expected,
        &fingerprint(&a, &evil).await,
    );
    // A's next five comments, on alice's own post.
    for n in 0..5 {
        let (status, body) = try_comment(&a, &alice, alices_post_id, &format!("Local {n}")).await;
        if status != StatusCode::CREATED {
            findings.push(format!("A's local comment {n}: {status} {body}"));
        }
    }
    assert!(
        findings.is_empty(),
        "what Evil's outbox changed:\n{}",
        findings.join("\n")
    );
    for app in [a, c] {
        app.stop().await;
    }
}

/// The same outbox trick for a post A does not hold yet: Evil embeds C's post with altered
/// content; A stores what C serves for it, not what Evil claims.
#[tokio::test]
async fn a_backfilled_post_of_a_third_server_is_taken_from_that_server() {
    let a = TestApp::spawn(&[]).await;
    let c = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    let carol = c.user("carol").await;
    create_community(&c, &carol, "news", json!({})).await;
    let news = format!("http://{}/c/news", host(&c));
    let carol_id = format!("http://{}/u/carol", host(&c));
    let carols_post = write_post(&c, &carol, "news", "What C says").await;
    let on_c = post_row(&c, &carols_post).await.unwrap();
    assert_eq!(post_id(&a, &carols_post).await, None, "A has never seen it");

    let lair = evil.group("lair").await;
    let mallory = evil.person("mallory").await;
    let last_post = evil.url("/post/1");
    evil.serve(
        "/c/lair/outbox",
        collection(
            &format!("{lair}/outbox"),
            vec![
                announced_create(
                    &evil,
                    &lair,
                    &page(
                        &carols_post,
                        &carol_id,
                        &news,
                        "What Evil says",
                        "Evil's words",
                    ),
                ),
                announced_create(
                    &evil,
                    &lair,
                    &page(&last_post, &mallory, &lair, "Evil's last post", "The end"),
                ),
            ],
        ),
    );
    join_evil_group(&a, &alice, &evil, "lair").await;
    eventually("the backfill reaches Evil's last post", || async {
        post_id(&a, &last_post).await.is_some()
    })
    .await;
    let held = post_row(&a, &carols_post).await;
    assert!(
        held.as_ref().is_none_or(|p| p.title != "What Evil says"),
        "A took Evil's word for C's post: {held:?}"
    );
    assert_eq!(
        held,
        Some(PostRow {
            local: false,
            ..on_c
        }),
        "A holds C's own version of C's post (fetched from C)"
    );
    for app in [a, c] {
        app.stop().await;
    }
}

/// A Group that someone on A joined announces `Update`s (and `Create`s) of a post and a comment
/// that live in a community of B, in every shape: the inner activity by the real author or by
/// an Evil person, the object addressed to B's community or to Evil's Group, bare or wrapped.
/// None of them changes B's post or comment on A.
#[tokio::test]
async fn a_group_cannot_announce_edits_of_another_communitys_content() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    let bob = b.user("bob").await;
    create_community(&b, &bob, "dogs", json!({})).await;
    let dogs_ref = format!("dogs@{}", host(&b));
    join(&a, &alice, &dogs_ref).await;
    eventually("alice joins B's dogs", || async {
        membership(&a, &alice, &dogs_ref).await == "joined"
    })
    .await;
    let dogs = format!("http://{}/c/dogs", host(&b));
    let bob_id = format!("http://{}/u/bob", host(&b));
    let bobs_post = write_post(&b, &bob, "dogs", "Dog days").await;
    let bobs_comment = write_comment(
        &b,
        &bob,
        post_id(&b, &bobs_post).await.unwrap(),
        None,
        "Woof",
    )
    .await;
    eventually("A holds bob's post and comment", || async {
        comment_row(&a, &bobs_comment).await.is_some()
    })
    .await;

    let lair = evil.group("lair").await;
    let mallory = evil.person("mallory").await;
    let evils_post = evil.url("/post/1");
    evil.serve(
        "/c/lair/outbox",
        collection(
            &format!("{lair}/outbox"),
            vec![announced_create(
                &evil,
                &lair,
                &page(&evils_post, &mallory, &lair, "Evil's post", "Hello"),
            )],
        ),
    );
    join_evil_group(&a, &alice, &evil, "lair").await;
    eventually("Evil's own post backfilled", || async {
        post_id(&a, &evils_post).await.is_some()
    })
    .await;
    let post_before = post_row(&a, &bobs_post).await.unwrap();
    let comment_before = comment_row(&a, &bobs_comment).await.unwrap();
    let post_on_b = post_row(&b, &bobs_post).await.unwrap();
    let comment_on_b = comment_row(&b, &bobs_comment).await.unwrap();
    let before = fingerprint(&a, &evil).await;

    let b_activity = |kind: &str| {
        format!(
            "http://{}/activities/{kind}/{}",
            host(&b),
            uuid::Uuid::new_v4()
        )
    };
    let wrap = |kind: &str, id: String, actor: &str, object: Value, to: &str| {
        json!({"id": id, "type": kind, "actor": actor, "to": [PUBLIC], "cc": [to],
               "audience": to, "object": object})
    };
    let edited = |mut object: Value| {
        object["updated"] = json!(time(Utc::now()));
        object
    };
    let mut findings = Vec::new();
    let variants: Vec<(&str, Value)> = vec![
        (
            "Update{Page} by bob, addressed to B's dogs",
            wrap(
                "Update",
                b_activity("update"),
                &bob_id,
                edited(page(&bobs_post, &bob_id, &dogs, "Variant 1", "Rewritten")),
                &dogs,
            ),
        ),
        (
            "Update{Page} by bob, addressed to Evil's Group",
            wrap(
                "Update",
                b_activity("update"),
                &bob_id,
                edited(page(&bobs_post, &bob_id, &lair, "Variant 2", "Rewritten")),
                &lair,
            ),
        ),
        (
            "Create{Page} by bob, addressed to Evil's Group",
            wrap(
                "Create",
                b_activity("create"),
                &bob_id,
                edited(page(&bobs_post, &bob_id, &lair, "Variant 3", "Rewritten")),
                &lair,
            ),
        ),
        (
            "Update{Page} by mallory of bob's post, addressed to Evil's Group",
            wrap(
                "Update",
                evil.activity_id("Update"),
                &mallory,
                edited(page(&bobs_post, &bob_id, &lair, "Variant 4", "Rewritten")),
                &lair,
            ),
        ),
        (
            "Update{Page} by mallory claiming bob's post as hers, addressed to Evil's Group",
            wrap(
                "Update",
                evil.activity_id("Update"),
                &mallory,
                edited(page(&bobs_post, &mallory, &lair, "Variant 5", "Rewritten")),
                &lair,
            ),
        ),
        (
            "bare Page by bob, addressed to Evil's Group",
            edited(page(&bobs_post, &bob_id, &lair, "Variant 6", "Rewritten")),
        ),
    ];
    for (what, inner) in variants {
        let announce = json!({"id": evil.activity_id("Announce"), "type": "Announce",
                              "actor": lair, "to": [PUBLIC], "cc": [format!("{lair}/followers")],
                              "object": inner});
        let was = post_row(&a, &bobs_post).await.unwrap();
        let (status, body) = evil.send(&a, "/c/lair", announce).await;
        let now = post_row(&a, &bobs_post).await.unwrap();
        if now != was {
            findings.push(format!(
                "{what}: answered {status} {body}, and the post became {now:?}"
            ));
        }
    }
    let notes: Vec<(&str, Value)> = vec![
        (
            "Update{Note} by bob, replying in B's dogs",
            wrap(
                "Update",
                b_activity("update"),
                &bob_id,
                edited(note(&bobs_comment, &bob_id, &bobs_post, &dogs, "Variant 7")),
                &dogs,
            ),
        ),
        (
            "Update{Note} by bob, replying to Evil's post",
            wrap(
                "Update",
                b_activity("update"),
                &bob_id,
                edited(note(
                    &bobs_comment,
                    &bob_id,
                    &evils_post,
                    &lair,
                    "Variant 8",
                )),
                &lair,
            ),
        ),
        (
            "Update{Note} by mallory of bob's comment, replying to Evil's post",
            wrap(
                "Update",
                evil.activity_id("Update"),
                &mallory,
                edited(note(
                    &bobs_comment,
                    &bob_id,
                    &evils_post,
                    &lair,
                    "Variant 9",
                )),
                &lair,
            ),
        ),
        (
            "bare Note by bob, replying to Evil's post",
            edited(note(
                &bobs_comment,
                &bob_id,
                &evils_post,
                &lair,
                "Variant 10",
            )),
        ),
    ];
    for (what, inner) in notes {
        let announce = json!({"id": evil.activity_id("Announce"), "type": "Announce",
                              "actor": lair, "to": [PUBLIC], "cc": [format!("{lair}/followers")],
                              "object": inner});
        let was = comment_row(&a, &bobs_comment).await.unwrap();
        let (status, body) = evil.send(&a, "/c/lair", announce).await;
        let now = comment_row(&a, &bobs_comment).await.unwrap();
        if now != was {
            findings.push(format!(
                "{what}: answered {status} {body}, and the comment became {now:?}"
            ));
        }
    }
    assert!(
        findings.is_empty(),
        "announces that changed B's content on A:\n{}",
        findings.join("\n")
    );
    assert_eq!(post_row(&a, &bobs_post).await.unwrap(), post_before);
    assert_eq!(
        comment_row(&a, &bobs_comment).await.unwrap(),
        comment_before
    );
    assert_eq!(post_row(&b, &bobs_post).await.unwrap(), post_on_b);
    assert_eq!(comment_row(&b, &bobs_comment).await.unwrap(), comment_on_b);
    assert_eq!(fingerprint(&a, &evil).await, before, "counts on A");
    // A does listen to the Group: its own new post, announced, is stored.
    let fresh = evil.url("/post/2");
    let announce = announced_create(
        &evil,
        &lair,
        &page(&fresh, &mallory, &lair, "Evil's second post", "Hello again"),
    );
    let (status, body) = evil.send(&a, "/c/lair", announce).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(post_id(&a, &fresh).await.is_some(), "the Group's own post");
    for app in [a, b] {
        app.stop().await;
    }
}

/// Sets up A's community `club` (alice, its first moderator) with Evil's mallory made a
/// moderator after her; returns A, alice, Evil, mallory's id, and the club's id.
async fn club_with_a_junior_remote_moderator() -> (TestApp, TestUser, Evil, String, String) {
    let a = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "club", json!({})).await;
    let mallory = evil.person("mallory").await;
    let (status, found) = a
        .get_json(
            &format!("/api/v1/resolve?q=@mallory@{}", evil.authority()),
            alice.auth(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "A resolves mallory: {found}");
    let (status, body) = a
        .post_json(
            "/api/v1/communities/club/moderators",
            alice.auth(),
            json!({"user": format!("mallory@{}", evil.authority())}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "alice adds mallory: {body}");
    let club = format!("http://{}/c/club", host(&a));
    let alice_id = format!("http://{}/u/alice", host(&a));
    assert_eq!(moderators(&a, "club").await, [alice_id, mallory.clone()]);
    (a, alice, evil, mallory, club)
}

/// A remote moderator added after alice sends `Remove{alice}` from the moderators collection:
/// refused (403 `outranked`, as the API refuses it), and alice still moderates.
#[tokio::test]
async fn a_junior_remote_moderator_cannot_remove_a_senior_one() {
    let (a, _alice, evil, mallory, club) = club_with_a_junior_remote_moderator().await;
    let alice_id = format!("http://{}/u/alice", host(&a));
    let before = fingerprint(&a, &evil).await;
    let remove = json!({
        "id": evil.activity_id("Remove"), "type": "Remove", "actor": mallory,
        "object": alice_id, "target": format!("{club}/moderators"),
        "to": [PUBLIC], "cc": [club], "audience": club,
    });
    let remove_id = remove["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&a, "/u/mallory", remove).await;
    assert_eq!(
        moderators(&a, "club").await,
        [alice_id, mallory],
        "alice still moderates (the Remove answered {status} {body})"
    );
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        a.refusal_code(&remove_id).await.as_deref(),
        Some("outranked")
    );
    assert_eq!(fingerprint(&a, &evil).await, before);
    a.stop().await;
}

/// The same junior moderator bans alice from the community (`Block`, with `removeData`):
/// refused with a 403, alice is not banned and her post stays.
#[tokio::test]
async fn a_junior_remote_moderator_cannot_ban_a_senior_one() {
    let (a, alice, evil, mallory, club) = club_with_a_junior_remote_moderator().await;
    let alice_id = format!("http://{}/u/alice", host(&a));
    let post = write_post(&a, &alice, "club", "House rules").await;
    let post_before = post_row(&a, &post).await.unwrap();
    let before = fingerprint(&a, &evil).await;
    let block = json!({
        "id": evil.activity_id("Block"), "type": "Block", "actor": mallory,
        "object": alice_id, "target": club, "summary": "coup", "removeData": true,
        "to": [PUBLIC], "cc": [club], "audience": club,
    });
    let block_id = block["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&a, "/u/mallory", block).await;
    let bans = scalar(
        &a,
        "select count(*) from community_ban b join person p on p.id = b.person_id
         where p.ap_id = $1",
        &alice_id,
    )
    .await;
    assert_eq!(
        bans,
        Some(0),
        "alice is not banned (the Block answered {status} {body})"
    );
    assert_eq!(
        post_row(&a, &post).await.unwrap(),
        post_before,
        "her post stays"
    );
    // Refused when applied: acknowledged, recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let code = a.refusal_code(&block_id).await;
    assert!(
        matches!(code.as_deref(), Some("outranked" | "is_moderator")),
        "{code:?}"
    );
    assert_eq!(moderators(&a, "club").await, [alice_id, mallory]);
    assert_eq!(fingerprint(&a, &evil).await, before);
    a.stop().await;
}

/// A remote moderator may step down: `Remove{herself}` is applied.
#[tokio::test]
async fn a_remote_moderator_may_remove_herself() {
    let (a, _alice, evil, mallory, club) = club_with_a_junior_remote_moderator().await;
    let alice_id = format!("http://{}/u/alice", host(&a));
    let remove = json!({
        "id": evil.activity_id("Remove"), "type": "Remove", "actor": mallory,
        "object": mallory, "target": format!("{club}/moderators"),
        "to": [PUBLIC], "cc": [club], "audience": club,
    });
    let (status, body) = evil.send(&a, "/u/mallory", remove).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(moderators(&a, "club").await, [alice_id]);
    a.stop().await;
}

/// Evil's mallory writes a post in A's `market`, is banned there, then sends `Update{Page}` of
/// it addressed to A's `plaza` (where she is not banned), in several addressings. Each is
/// refused; the post keeps its title, body and community; her comments are refused too.
#[tokio::test]
async fn an_edit_is_judged_by_the_posts_own_community_not_the_addressed_one() {
    let a = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "market", json!({})).await;
    create_community(&a, &alice, "plaza", json!({})).await;
    let market = format!("http://{}/c/market", host(&a));
    let plaza = format!("http://{}/c/plaza", host(&a));
    let mallory = evil.person("mallory").await;
    let stall = evil.url("/post/1");
    let create = json!({
        "id": evil.activity_id("Create"), "type": "Create", "actor": mallory,
        "to": [PUBLIC], "cc": [market], "audience": market,
        "object": page(&stall, &mallory, &market, "Market stall", "Fresh fish"),
    });
    let (status, body) = evil.send(&a, "/u/mallory", create).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let stored = post_row(&a, &stall).await.unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.community.as_str()),
        ("Market stall", market.as_str())
    );
    let (plaza, market) = (plaza.as_str(), market.as_str());
    let update = |title: &str, to: Vec<&str>, cc: Vec<&str>, audience: &str| {
        let mut object = page(&stall, &mallory, audience, title, "Rotten fish");
        object["to"] = json!(to);
        object["cc"] = json!(cc);
        object["updated"] = json!(time(Utc::now()));
        json!({"id": evil.activity_id("Update"), "type": "Update", "actor": mallory,
               "to": [PUBLIC], "cc": cc, "audience": audience, "object": object})
    };
    // Before the ban her edits count.
    let edit = update(
        "Market stall, restocked",
        vec![market, PUBLIC],
        vec![market],
        market,
    );
    let (status, body) = evil.send(&a, "/u/mallory", edit).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let original = post_row(&a, &stall).await.unwrap();
    assert_eq!(original.title, "Market stall, restocked");
    let (status, body) = a
        .post_json(
            "/api/v1/communities/market/bans",
            alice.auth(),
            json!({"user": format!("mallory@{}", evil.authority()), "reason": "fraud"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let before = fingerprint(&a, &evil).await;

    let variants = [
        (
            "addressed to plaza only",
            update("Edit 1", vec![plaza, PUBLIC], vec![plaza], plaza),
        ),
        (
            "audience plaza, to market and plaza",
            update("Edit 2", vec![plaza, market, PUBLIC], vec![], plaza),
        ),
        (
            "plaza in cc only",
            update("Edit 3", vec![PUBLIC], vec![plaza], plaza),
        ),
        (
            "addressed to market, where she is banned",
            update("Edit 4", vec![market, PUBLIC], vec![market], market),
        ),
    ];
    let mut findings = Vec::new();
    for (what, activity) in variants {
        let was = post_row(&a, &stall).await.unwrap();
        let id = activity["id"].as_str().unwrap().to_owned();
        let (status, body) = evil.send(&a, "/u/mallory", activity).await;
        let now = post_row(&a, &stall).await.unwrap();
        // Refused when applied: acknowledged, and the refusal recorded for admins.
        if status != StatusCode::ACCEPTED || a.refusal_code(&id).await.is_none() || now != was {
            findings.push(format!(
                "{what}: answered {status} {body}; the post is {now:?}"
            ));
        }
    }
    // A comment on her post, addressed to plaza.
    let comment = evil.url("/comment/1");
    let create = json!({
        "id": evil.activity_id("Create"), "type": "Create", "actor": mallory,
        "to": [PUBLIC], "cc": [plaza], "audience": plaza,
        "object": note(&comment, &mallory, &stall, plaza, "Still selling"),
    });
    let create_id = create["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&a, "/u/mallory", create).await;
    if status != StatusCode::ACCEPTED
        || a.refusal_code(&create_id).await.is_none()
        || comment_row(&a, &comment).await.is_some()
    {
        findings.push(format!(
            "a comment addressed to plaza: answered {status} {body}"
        ));
    }
    assert!(
        findings.is_empty(),
        "edits by a banned author that were not refused:\n{}",
        findings.join("\n")
    );
    assert_eq!(post_row(&a, &stall).await.unwrap(), original);
    assert_eq!(fingerprint(&a, &evil).await, before);
    a.stop().await;
}

/// One Evil person sends 100 Flags (each with its own id) about a post in A's community: after
/// the documented number an hour (`federation.inbox.flags`) the inbox answers 429 with
/// `Retry-After`, and no more reports than that exist.
#[tokio::test]
async fn flags_from_one_actor_are_limited() {
    let a = TestApp::spawn(&[]).await;
    // The default of `federation.inbox.flags` (`config/default.toml`): 10 an hour.
    let flags = &a.settings.federation.inbox.flags;
    assert_eq!(flags.window_secs, 3600, "the documented window is an hour");
    let limit = flags.max as usize;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "help", json!({})).await;
    let help = format!("http://{}/c/help", host(&a));
    let post = write_post(&a, &alice, "help", "Reported").await;
    let mallory = evil.person("mallory").await;
    let mut answers = Vec::new();
    for n in 0..100 {
        let flag = json!({
            "id": evil.activity_id("Flag"), "type": "Flag", "actor": mallory,
            "object": post, "to": [help], "content": format!("spam {n}"),
            "summary": format!("spam {n}"),
        });
        let (status, headers, _) = evil
            .send_with_headers(&a, "/inbox", "/u/mallory", flag)
            .await;
        answers.push((status, headers.get("retry-after").is_some()));
    }
    let reports = scalar(
        &a,
        "select count(*) from report r join person p on p.id = r.reporter_id where p.ap_id = $1",
        &mallory,
    )
    .await
    .unwrap();
    let accepted = answers
        .iter()
        .take_while(|(s, _)| *s == StatusCode::ACCEPTED)
        .count();
    assert!(
        reports <= limit as i64,
        "{reports} reports from one person; at most {limit} (answers: {answers:?})"
    );
    assert_eq!(
        accepted, limit,
        "the first {limit} are accepted: {answers:?}"
    );
    assert!(
        answers[limit..]
            .iter()
            .all(|(s, retry)| *s == StatusCode::TOO_MANY_REQUESTS && *retry),
        "after {limit}, 429 with Retry-After: {answers:?}"
    );
    a.stop().await;
}

/// An instance without `debug_local` subscribes to blocklists at loopback addresses given as IP
/// literals: it fetches none of them, and each subscription records why.
#[tokio::test]
async fn blocklist_subscriptions_never_reach_private_addresses() {
    let a = TestApp::spawn(&[("HEARTH__FEDERATION__DEBUG_LOCAL", "false")]).await;
    let lists = Evil::start().await;
    for path in ["/list.txt", "/short.txt", "/named.txt"] {
        lists.serve_text(path, "bad.example\n");
    }
    let root = a.admin("root").await;
    let urls = [
        format!("http://127.0.0.1:{}/list.txt", lists.port),
        // `127.1` is 127.0.0.1 too.
        format!("http://127.1:{}/short.txt", lists.port),
        format!("http://localhost:{}/named.txt", lists.port),
    ];
    let (status, body) = a
        .call(
            Method::PUT,
            "/api/v1/admin/federation/policy",
            root.auth(),
            Some(json!({"mode": "open", "subscriptions": urls})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let pool = a.db.pool().await;
    // The delivery workers refresh subscriptions too; this only makes it happen now.
    let _ = hearth_federation::blocklists::refresh_due(&pool, &a.settings).await;
    pool.close().await;
    eventually("every subscription was tried", || async {
        let (_, policy) = a
            .get_json("/api/v1/admin/federation/policy", root.auth())
            .await;
        policy["subscription_state"]
            .as_array()
            .is_some_and(|s| s.len() == 3 && s.iter().all(|s| !s["last_fetched_at"].is_null()))
    })
    .await;
    let (_, policy) = a
        .get_json("/api/v1/admin/federation/policy", root.auth())
        .await;
    assert_eq!(
        lists.served().len(),
        0,
        "requests that reached the loopback server: {:?}",
        lists.served()
    );
    for state in policy["subscription_state"].as_array().unwrap() {
        assert!(
            state["last_error"].is_string(),
            "an error recorded: {state}"
        );
        assert_eq!(state["domain_count"], 0, "{state}");
    }
    a.stop().await;
}

/// `/metrics` is not served on the public listener.
#[tokio::test]
async fn metrics_are_not_public() {
    let a = TestApp::spawn(&[]).await;
    let response = a.get("/metrics").await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(
        !(status == StatusCode::OK && text.contains("hearth_http_requests_total")),
        "GET /metrics on the public listener answered {status} with metrics"
    );
    assert!(
        matches!(status, StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED),
        "{status}"
    );
    a.stop().await;
}

/// A Group of 60 posts (Lemmy's outbox order, newest first, each `published` a minute after
/// the one before): the joining server backfills the newest 50, and its "New" feed lists them
/// newest first by `published`.
#[tokio::test]
async fn a_backfilled_community_lists_newest_first_by_publication() {
    let a = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    let archive = evil.group("archive").await;
    let mallory = evil.person("mallory").await;
    let start = Utc::now() - Span::hours(2);
    let items: Vec<Value> = (0..60)
        .rev()
        .map(|n| {
            let mut post = page(
                &evil.url(&format!("/post/{n}")),
                &mallory,
                &archive,
                &format!("Entry {n}"),
                "Archived",
            );
            post["published"] = json!(time(start + Span::minutes(n)));
            announced_create(&evil, &archive, &post)
        })
        .collect();
    evil.serve(
        "/c/archive/outbox",
        collection(&format!("{archive}/outbox"), items),
    );
    join_evil_group(&a, &alice, &evil, "archive").await;
    let reference = format!("archive@{}", evil.authority());
    eventually("50 posts backfilled", || async {
        scalar(
            &a,
            "select count(*) from post p join community c on c.id = p.community_id
             where c.ap_id = $1",
            &archive,
        )
        .await
            == Some(50)
    })
    .await;
    let (status, feed) = a
        .get_json(
            &format!("/api/v1/posts?community={reference}&sort=new&limit=60"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let titles: Vec<&str> = feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    let newest_first: Vec<String> = (10..60).rev().map(|n| format!("Entry {n}")).collect();
    assert_eq!(titles, newest_first, "New: the newest 50, newest first");
    a.stop().await;
}

/// A Mastodon-shaped post (a `Note` without `name` that mentions the group first) is stored
/// with the same title and body whether it comes through the inbox or through a backfill.
#[tokio::test]
async fn a_mastodon_note_reads_the_same_from_the_inbox_and_from_a_backfill() {
    let a = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    create_community(&a, &alice, "town", json!({})).await;
    let town = format!("http://{}/c/town", host(&a));
    let lair = evil.group("lair").await;
    let felix = evil.person("felix").await;
    let mastodon_note = |id: &str, group: &str, name: &str| {
        json!({
            "id": id, "type": "Note", "attributedTo": felix,
            "to": [PUBLIC], "cc": [format!("{felix}/followers"), group],
            "content": format!("<p><span class=\"h-card\"><a href=\"{group}\" class=\"u-url mention\">@<span>{name}</span></a></span> First line title</p><p>Body text</p>"),
            "tag": [{"type": "Mention", "href": group, "name": format!("@{name}")}],
            "published": time(Utc::now() - Span::minutes(1)),
        })
    };
    let through_backfill = evil.url("/users/felix/statuses/1");
    let through_inbox = evil.url("/users/felix/statuses/2");
    evil.serve(
        "/c/lair/outbox",
        collection(
            &format!("{lair}/outbox"),
            vec![announced_create(
                &evil,
                &lair,
                &mastodon_note(&through_backfill, &lair, "lair"),
            )],
        ),
    );
    let note = mastodon_note(&through_inbox, &town, "town");
    let create = json!({"id": format!("{through_inbox}/activity"), "type": "Create",
                        "actor": felix, "to": note["to"], "cc": note["cc"], "object": note});
    let (status, body) = evil.send(&a, "/u/felix", create).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    join_evil_group(&a, &alice, &evil, "lair").await;
    eventually("the backfilled note is stored", || async {
        post_id(&a, &through_backfill).await.is_some()
    })
    .await;
    let inbox = post_row(&a, &through_inbox).await.unwrap();
    let backfill = post_row(&a, &through_backfill).await.unwrap();
    let expected = ("First line title", "Body text");
    assert_eq!(
        (inbox.title.as_str(), inbox.body.as_str()),
        expected,
        "through the inbox"
    );
    assert_eq!(
        (backfill.title.as_str(), backfill.body.as_str()),
        expected,
        "through the backfill"
    );
    a.stop().await;
}

/// Evil's mallory, signing as herself, sends `Update{Person}` and `Delete{Person}` about B's bob
/// (whom A knows) and about A's own alice; and a `Delete{Person}` claiming to be bob's own,
/// signed with her key. Every one is refused: a server speaks only for its own people, and a
/// person only for themselves. Nobody's profile changes and nobody is deleted.
#[tokio::test]
async fn a_server_cannot_update_or_delete_another_servers_person() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    b.user("bob").await;
    let bob_handle = format!("bob@{}", host(&b));
    let (status, found) = a
        .get_json(&format!("/api/v1/resolve?q=@{bob_handle}"), alice.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    evil.person("mallory").await;
    let alice_id = format!("http://{}/u/alice", host(&a));
    let bob_id = format!("http://{}/u/bob", host(&b));
    let actor_json = |id: String| async move {
        let mut person: Value = reqwest::Client::new()
            .get(&id)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        person.as_object_mut().unwrap().remove("@context");
        person["name"] = json!("Defaced");
        person["summary"] = json!("<p>pwned</p>");
        person
    };
    let profile_of = |handle: String| {
        let a = &a;
        async move { a.get_json(&format!("/api/v1/users/{handle}"), None).await.1 }
    };
    let bob_before = profile_of(bob_handle.clone()).await;
    let alice_before = profile_of("alice".to_owned()).await;

    let mallory = evil.url("/u/mallory");
    for (victim, object) in [
        (&bob_id, actor_json(bob_id.clone()).await),
        (&alice_id, actor_json(alice_id.clone()).await),
    ] {
        let update = json!({
            "id": evil.activity_id("Update"), "type": "Update", "actor": mallory,
            "to": [PUBLIC], "object": object,
        });
        let update_id = update["id"].as_str().unwrap().to_owned();
        let (status, body) = evil.send(&a, "/u/mallory", update).await;
        // Refused when applied: acknowledged, recorded for admins.
        assert_eq!(status, StatusCode::ACCEPTED, "Update of {victim}: {body}");
        assert_eq!(
            a.refusal_code(&update_id).await.as_deref(),
            Some("not_own_person")
        );
        let delete = json!({
            "id": evil.activity_id("Delete"), "type": "Delete", "actor": mallory,
            "to": [PUBLIC], "object": victim, "removeData": true,
        });
        let delete_id = delete["id"].as_str().unwrap().to_owned();
        let (status, body) = evil.send(&a, "/u/mallory", delete).await;
        assert_eq!(status, StatusCode::ACCEPTED, "Delete of {victim}: {body}");
        assert_eq!(
            a.refusal_code(&delete_id).await.as_deref(),
            Some("not_own_person")
        );
    }
    // Claiming to be bob, with mallory's key: the key is not bob's server's.
    let forged = json!({
        "id": format!("{bob_id}#delete"), "type": "Delete", "actor": bob_id,
        "to": [PUBLIC], "object": bob_id, "removeData": true,
    });
    let (status, body) = evil.send(&a, "/u/mallory", forged).await;
    assert!(status.is_client_error(), "{status} {body}");

    assert_eq!(profile_of(bob_handle).await, bob_before, "bob is as he was");
    assert_eq!(
        profile_of("alice".to_owned()).await,
        alice_before,
        "alice is as she was"
    );
    let (status, _) = a.get_json("/api/v1/me", alice.auth()).await;
    assert_eq!(status, StatusCode::OK, "alice's session lives");
    let deleted = scalar(
        &a,
        "select count(*) from person where deleted and ap_id <> $1",
        &mallory,
    )
    .await;
    assert_eq!(deleted, Some(0), "nobody is deleted");
}

/// A Note sent straight to us because it mentions one of our people is read again from its own
/// server: a hostile server cannot make us store someone else's comment by naming our user
/// (forged author, or an id on another server), and its own mentioning comment, sent again and
/// again, is stored once and notifies once.
#[tokio::test]
async fn a_mention_cannot_smuggle_in_another_servers_comment_or_notify_twice() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let evil = Evil::start().await;
    let alice = a.user("alice").await;
    b.user("bob").await;
    let alice_id = format!("http://{}/u/alice", host(&a));
    let bob_id = format!("http://{}/u/bob", host(&b));
    let mallory = evil.person("mallory").await;
    let club = evil.group("club").await;
    let stall = evil.url("/post/stall");
    evil.serve_object(page(&stall, &mallory, &club, "Stall", "Fresh fish"));
    let mention = json!([{"type": "Mention", "href": alice_id, "name": "@alice"}]);
    let create = |object: &Value| {
        json!({"id": evil.activity_id("Create"), "type": "Create", "actor": mallory,
               "to": [PUBLIC], "cc": [club, alice_id], "object": object})
    };
    let notified = || async {
        let (_, list) = a.get_json("/api/v1/notifications", alice.auth()).await;
        list["items"].as_array().unwrap().len()
    };

    // Someone else's words: bob's name as author, or an id on bob's server.
    let mut forged = note(&evil.url("/comment/1"), &bob_id, &stall, &club, "@alice hi");
    forged["tag"] = mention.clone();
    let activity = create(&forged);
    let (status, body) = evil.send(&a, "/u/mallory", activity.clone()).await;
    // Refused when applied: acknowledged, and the refusal recorded for admins.
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        a.refusal_code(activity["id"].as_str().unwrap())
            .await
            .is_some()
    );
    let mut elsewhere = note(
        &format!("http://{}/comment/77", host(&b)),
        &mallory,
        &stall,
        &club,
        "@alice hi",
    );
    elsewhere["tag"] = mention.clone();
    let activity = create(&elsewhere);
    let (status, body) = evil.send(&a, "/u/mallory", activity.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(
        a.refusal_code(activity["id"].as_str().unwrap())
            .await
            .is_some()
    );
    assert_eq!(notified().await, 0);
    assert_eq!(
        comment_row(&a, elsewhere["id"].as_str().unwrap()).await,
        None
    );

    // Its own comment, in its own group, naming alice: read from Evil, stored, one notification,
    // however often it is sent.
    let mut own = note(
        &evil.url("/comment/2"),
        &mallory,
        &stall,
        &club,
        "@alice look",
    );
    own["tag"] = mention;
    evil.serve_object(own.clone());
    for _ in 0..5 {
        let (status, body) = evil.send(&a, "/u/mallory", create(&own)).await;
        assert!(status.is_success(), "{status} {body}");
    }
    assert!(comment_row(&a, own["id"].as_str().unwrap()).await.is_some());
    assert_eq!(notified().await, 1);
    for app in [a, b] {
        app.stop().await;
    }
}
