//! The inbox acknowledges a verified activity once it is durably queued and applies it after:
//! a worker killed between the acknowledgement and the applying loses nothing and applies
//! nothing twice; refusals found only when applying are recorded and shown to admins;
//! activities about one object are applied in the order they arrived; a full queue answers 503.

use crate::federation_network::{create_community, eventually, host, scalar, write_post};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::hostile::{Evil, PUBLIC};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};

/// Settings of an instance whose `hearth serve` leaves applying to worker processes.
const NO_APPLYING: (&str, &str) = ("HEARTH__FEDERATION__INBOX__APPLY_WORKERS", "false");

/// A Lemmy-shaped `Create{Note}` by `author`, replying to `post` in `community`.
fn create_comment(evil: &Evil, author: &str, post: &str, community: &str, n: usize) -> Value {
    let note = evil.url(&format!("/comment/{}", uuid::Uuid::new_v4()));
    json!({
        "id": evil.activity_id("Create"), "type": "Create", "actor": author,
        "to": [PUBLIC], "cc": [community], "audience": community,
        "object": {
            "type": "Note", "id": note, "attributedTo": author, "inReplyTo": post,
            "content": format!("<p>comment {n}</p>"), "mediaType": "text/html",
            "to": [PUBLIC], "cc": [community], "audience": community,
        },
    })
}

/// A real `hearth worker` process on `app`'s database, applying one activity at a time, with
/// a two-second lease so that a successor takes over a killed one's rows quickly.
fn start_worker(app: &TestApp, data_dir: &std::path::Path) -> Child {
    start_worker_with(
        app,
        data_dir,
        &[
            ("HEARTH__FEDERATION__INBOX__APPLY_CONCURRENCY", "1"),
            ("HEARTH__FEDERATION__INBOX__APPLY_BATCH", "1"),
            ("HEARTH__FEDERATION__INBOX__APPLY_LEASE_SECS", "2"),
        ],
    )
}

/// A real `hearth worker` process on `app`'s database, with these settings.
fn start_worker_with(
    app: &TestApp,
    data_dir: &std::path::Path,
    settings: &[(&str, &str)],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hearth-process"))
        .arg("worker")
        .env("HEARTH__HOSTNAME", host(app))
        .env("HEARTH__DATABASE__URL", &app.db.url)
        .env("HEARTH__DATA_DIR", data_dir)
        .env("HEARTH__FEDERATION__DEBUG_LOCAL", "true")
        .env("HEARTH__LOG__LEVEL", "warn")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the hearth worker starts")
}

/// Runs a `hearth worker` with one slot and claims of the default size until nothing waits
/// in `app`'s queue, then stops it.
async fn settle_with_one_slot(app: &TestApp) {
    let data_dir = tempfile::tempdir().unwrap();
    let mut worker = start_worker_with(
        app,
        data_dir.path(),
        &[("HEARTH__FEDERATION__INBOX__APPLY_CONCURRENCY", "1")],
    );
    eventually("the queue settles", || async {
        count(
            app,
            "select count(*) from inbox_queue where state = 'pending'",
        )
        .await
            == 0
    })
    .await;
    worker.kill().unwrap();
    worker.wait().unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let pool = app.db.pool().await;
    let n: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// Alice's community `town` on `a` with one post; answers the community's and the post's ids.
async fn town_with_a_post(a: &TestApp, alice: &TestUser) -> (String, String) {
    create_community(a, alice, "town", json!({})).await;
    let post = write_post(a, alice, "town", "Square").await;
    (format!("http://{}/c/town", host(a)), post)
}

#[tokio::test]
async fn a_worker_killed_between_acknowledging_and_applying_loses_nothing_and_applies_nothing_twice()
 {
    let a = TestApp::spawn(&[NO_APPLYING]).await;
    let alice = a.user("alice").await;
    let (town, post) = town_with_a_post(&a, &alice).await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;

    // Every activity is acknowledged; nothing is applied yet (no process applies).
    const SENT: usize = 150;
    let mut ids = Vec::new();
    for n in 0..SENT {
        let activity = create_comment(&evil, &mallory, &post, &town, n);
        ids.push(activity["id"].as_str().unwrap().to_owned());
        let (status, body) = evil.send(&a, "/u/mallory", activity).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    assert_eq!(
        count(
            &a,
            "select count(*) from inbox_queue where state = 'pending'"
        )
        .await,
        SENT as i64
    );
    assert_eq!(count(&a, "select count(*) from comment").await, 0);

    // A worker starts applying and is killed (SIGKILL) part way.
    let data_dir = tempfile::tempdir().unwrap();
    let mut worker = start_worker(&a, data_dir.path());
    eventually("the worker applies some", || async {
        count(&a, "select count(*) from comment").await >= 10
    })
    .await;
    worker.kill().expect("kill the worker");
    worker.wait().unwrap();
    let applied_before = count(&a, "select count(*) from comment").await;
    assert!(
        applied_before < SENT as i64,
        "the worker was killed before it applied everything ({applied_before} of {SENT})"
    );

    // Replays of what was acknowledged are acknowledged again without a second copy.
    for id in ids.iter().take(5) {
        let pool = a.db.pool().await;
        let payload: Value =
            sqlx::query_scalar("select payload from inbox_queue where activity_id = $1")
                .bind(id)
                .fetch_optional(&pool)
                .await
                .unwrap()
                .unwrap_or_else(|| json!({"id": id}));
        pool.close().await;
        if payload.get("type").is_some() {
            let (status, _) = evil.send(&a, "/u/mallory", payload).await;
            assert_eq!(status, StatusCode::ACCEPTED);
        }
    }

    // Its successor takes over, also the rows the dead one held, and applies each once.
    let mut successor = start_worker(&a, data_dir.path());
    eventually("every acknowledged activity is applied", || async {
        count(&a, "select count(*) from inbox_queue").await == 0
    })
    .await;
    successor.kill().unwrap();
    successor.wait().unwrap();
    assert_eq!(count(&a, "select count(*) from comment").await, SENT as i64);
    assert_eq!(
        count(
            &a,
            "select count(distinct ap_id) from comment where ap_id like 'http://%/comment/%'"
        )
        .await,
        SENT as i64
    );
    let pool = a.db.pool().await;
    let received: i64 =
        sqlx::query_scalar("select count(*) from received_activity where ap_id = any($1)")
            .bind(&ids)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(received, SENT as i64);
    // The post's comment count is exact: nothing was counted twice.
    assert_eq!(
        scalar(
            &a,
            "select comment_count::bigint from post where ap_id = $1",
            &post
        )
        .await,
        Some(SENT as i64)
    );
}

/// A refusal the inbox finds only when applying (a `Lock` by someone who moderates nothing)
/// is acknowledged, changes nothing, and is recorded with its reason where admins look: the
/// admin API's inbox view and `/metrics`; other people may not look.
#[tokio::test]
async fn a_refusal_found_when_applying_is_recorded_and_shown_to_admins() {
    let a = TestApp::spawn(&[]).await;
    let root = a.admin("root").await;
    let alice = a.user("alice").await;
    let (town, post) = town_with_a_post(&a, &alice).await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let lock = json!({
        "id": evil.activity_id("Lock"), "type": "Lock", "actor": mallory,
        "object": post, "to": [PUBLIC], "cc": [town], "audience": town,
    });
    let lock_id = lock["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&a, "/u/mallory", lock).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let refusal = a
        .inbox_refusal(&lock_id)
        .await
        .expect("the refusal is recorded");
    assert_eq!(refusal.state, "refused");
    assert_eq!(refusal.code.as_deref(), Some("not_moderator"));
    assert_eq!(
        scalar(
            &a,
            "select locked::int::int8 from post where ap_id = $1",
            &post
        )
        .await,
        Some(0),
        "the post is not locked"
    );

    let (status, view) = a
        .get_json("/api/v1/admin/federation/inbox", root.auth())
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["pending"], 0);
    assert_eq!(view["refused"], 1);
    let latest = &view["latest"][0];
    assert_eq!(latest["activity_id"], lock_id);
    assert_eq!(latest["kind"], "Lock");
    assert_eq!(latest["code"], "not_moderator");
    assert_eq!(latest["actor_authority"], evil.authority());
    assert!(latest["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, body) = a
        .get_json("/api/v1/admin/federation/inbox?limit=many", root.auth())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = a
        .get_json("/api/v1/admin/federation/inbox", alice.auth())
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_admin"))
    );
    let metrics = a.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("hearth_inbox_activities_total{outcome=\"refused\"} 1")),
        "{metrics}"
    );
    assert!(metrics.lines().any(|l| l == "hearth_inbox_queue_pending 0"));

    // A replay of the refused activity is acknowledged without being applied again.
    let (status, _) = evil
        .send(
            &a,
            "/u/mallory",
            json!({
                "id": lock_id, "type": "Lock", "actor": mallory,
                "object": post, "to": [PUBLIC], "cc": [town],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        count(
            &a,
            "select count(*) from inbox_queue where state = 'refused'"
        )
        .await,
        1
    );
}

/// Activities about one object are applied in the order they arrived, also when they wait in
/// the queue together: a post, two edits of it and a vote end as the last edit says.
#[tokio::test]
async fn activities_about_one_post_are_applied_in_the_order_they_arrived() {
    let a = TestApp::spawn(&[NO_APPLYING]).await;
    let alice = a.user("alice").await;
    let (town, _) = town_with_a_post(&a, &alice).await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let page_id = evil.url(&format!("/post/{}", uuid::Uuid::new_v4()));
    let page = |title: &str| {
        json!({
            "type": "Page", "id": page_id, "attributedTo": mallory, "name": title,
            "content": format!("<p>{title}</p>"), "mediaType": "text/html",
            "to": [town, PUBLIC], "cc": [], "audience": town,
        })
    };
    for (kind, title) in [
        ("Create", "first"),
        ("Update", "second"),
        ("Update", "third"),
    ] {
        let activity = json!({
            "id": evil.activity_id(kind), "type": kind, "actor": mallory,
            "to": [PUBLIC], "cc": [town], "audience": town, "object": page(title),
        });
        let (status, body) = evil.send(&a, "/u/mallory", activity).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let like = json!({
        "id": evil.activity_id("Like"), "type": "Like", "actor": mallory,
        "object": page_id, "audience": town,
    });
    let (status, _) = evil.send(&a, "/u/mallory", like).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        count(
            &a,
            "select count(*) from inbox_queue where state = 'pending' and ordering_key like '%/post/%'"
        )
        .await,
        4,
        "all four wait, under the post's key"
    );

    let data_dir = tempfile::tempdir().unwrap();
    let mut worker = start_worker(&a, data_dir.path());
    eventually("the queue drains", || async {
        count(&a, "select count(*) from inbox_queue").await == 0
    })
    .await;
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert_eq!(
        crate::federation_network::text(&a, "select title from post where ap_id = $1", &page_id)
            .await
            .as_deref(),
        Some("third")
    );
    assert_eq!(
        scalar(
            &a,
            "select score::int8 from post where ap_id = $1",
            &page_id
        )
        .await,
        Some(1)
    );
}

/// With `max_pending` activities waiting, the inbox answers 503 with `Retry-After` (senders
/// retry) instead of queueing more; replays are still acknowledged.
#[tokio::test]
async fn a_full_queue_answers_503_with_retry_after() {
    let a = TestApp::spawn(&[NO_APPLYING, ("HEARTH__FEDERATION__INBOX__MAX_PENDING", "3")]).await;
    let alice = a.user("alice").await;
    let (town, post) = town_with_a_post(&a, &alice).await;
    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let mut first = None;
    for n in 0..3 {
        let activity = create_comment(&evil, &mallory, &post, &town, n);
        first.get_or_insert(activity.clone());
        let (status, body) = evil.send(&a, "/u/mallory", activity).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let (status, headers, body) = evil
        .send_with_headers(
            &a,
            "/inbox",
            "/u/mallory",
            create_comment(&evil, &mallory, &post, &town, 4),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    assert!(headers.get("retry-after").is_some());
    let (status, _) = evil.send(&a, "/u/mallory", first.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "a replay is still acknowledged"
    );
}

/// Votes that wait in the queue together are applied together, in one batch, with the
/// outcomes each would have alone: counts exact, a banned voter and a downvote where downvotes
/// are off refused with their codes, an Undo by someone else refused, an Undo applied after the
/// vote it takes back, a vote on something we do not hold ignored, comments' votes counted on
/// the comment.
#[tokio::test]
async fn votes_waiting_together_are_applied_in_one_batch_with_the_outcomes_each_has_alone() {
    let a = TestApp::spawn(&[NO_APPLYING]).await;
    let root = a.admin("root").await;
    let alice = a.user("alice").await;
    let (town, first) = town_with_a_post(&a, &alice).await;
    let second = write_post(&a, &alice, "town", "Market").await;
    let first_id = crate::federation_network::post_id(&a, &first)
        .await
        .unwrap();
    let reply =
        crate::federation_network::write_comment(&a, &alice, first_id, None, "Welcome").await;
    let (status, body) = a
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"downvotes_enabled": false})),
        )
        .await;
    assert!(status.is_success(), "{body}");

    let evil = Evil::start().await;
    let mallory = evil.person("mallory").await;
    let trudy = evil.person("trudy").await;
    let eve = evil.person("eve").await;
    let vote = |kind: &str, actor: &str, object: &str| {
        json!({
            "id": evil.activity_id(kind), "type": kind, "actor": actor,
            "object": object, "audience": town,
        })
    };
    let trudys_like = vote("Like", &trudy, &first);
    let eves_like = vote("Like", &eve, &second);
    let trudys_dislike = vote("Dislike", &trudy, &second);
    let unknown = evil.url(&format!("/post/{}", uuid::Uuid::new_v4()));
    // Each claim takes the oldest waiting activity of each object: the first claim Mallory's
    // like of the first post, Eve's of the second, Mallory's of the reply and Trudy's of the
    // unknown post; the second Trudy's like, her dislike and the forged Undo below; the third
    // Trudy's Undo and Mallory's like of the second post. Every claim is a batch.
    let sent = [
        ("mallory", vote("Like", &mallory, &first)),
        ("trudy", trudys_like.clone()),
        ("eve", eves_like.clone()),
        ("trudy", trudys_dislike.clone()),
        ("mallory", vote("Like", &mallory, &second)),
        ("mallory", vote("Like", &mallory, &reply)),
        ("trudy", vote("Like", &trudy, &unknown)),
        (
            "trudy",
            json!({"id": evil.activity_id("Undo"), "type": "Undo", "actor": trudy,
                   "object": trudys_like, "audience": town}),
        ),
    ];
    for (who, activity) in &sent {
        let (status, body) = evil.send(&a, &format!("/u/{who}"), activity.clone()).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    // Mallory takes back a like of Trudy's: not hers to undo.
    let forged_undo = json!({
        "id": evil.activity_id("Undo"), "type": "Undo", "actor": mallory,
        "object": vote("Like", &trudy, &reply), "audience": town,
    });
    let forged_id = forged_undo["id"].as_str().unwrap().to_owned();
    let (status, body) = evil.send(&a, "/u/mallory", forged_undo).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // Eve is banned from the community after her vote was acknowledged, before it is applied.
    let (status, body) = a
        .post_json(
            "/api/v1/communities/town/bans",
            alice.auth(),
            json!({"user": format!("eve@{}", evil.authority()), "reason": "spam"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        count(
            &a,
            "select count(*) from inbox_queue where state = 'pending'"
        )
        .await,
        9
    );

    settle_with_one_slot(&a).await;

    let counts = |ap_id: String| {
        let a = &a;
        async move {
            let pool = a.db.pool().await;
            let row: (i64, i64, i64) = sqlx::query_as(
                "select score::int8, upvotes::int8, downvotes::int8 from post where ap_id = $1
                 union all
                 select score::int8, upvotes::int8, downvotes::int8 from comment where ap_id = $1",
            )
            .bind(&ap_id)
            .fetch_one(&pool)
            .await
            .unwrap();
            pool.close().await;
            row
        }
    };
    assert_eq!(
        counts(first.clone()).await,
        (1, 1, 0),
        "Mallory's like only"
    );
    assert_eq!(counts(second.clone()).await, (1, 1, 0), "no downvote");
    assert_eq!(counts(reply.clone()).await, (1, 1, 0), "the comment's like");
    assert_eq!(
        count(&a, "select count(*) from post_vote").await,
        2,
        "Mallory's two likes of posts"
    );
    assert_eq!(count(&a, "select count(*) from comment_vote").await, 1);
    for (activity, code) in [
        (&eves_like, "banned_from_community"),
        (&trudys_dislike, "downvotes_disabled"),
    ] {
        let id = activity["id"].as_str().unwrap();
        assert_eq!(a.refusal_code(id).await.as_deref(), Some(code), "{id}");
    }
    assert_eq!(
        a.refusal_code(&forged_id).await.as_deref(),
        Some("not_actor")
    );
    assert_eq!(
        count(
            &a,
            "select count(*) from inbox_queue where state = 'refused'"
        )
        .await,
        3,
        "nothing else refused"
    );
    assert_eq!(
        count(&a, "select count(*) from inbox_queue").await,
        3,
        "the applied and ignored rows are gone"
    );
    // The votes of one claim were written in one transaction: their receipts share its time.
    let received_at = |n: usize| {
        let id = sent[n].1["id"].as_str().unwrap().to_owned();
        let a = &a;
        async move {
            let pool = a.db.pool().await;
            let at: chrono::DateTime<chrono::Utc> =
                sqlx::query_scalar("select received_at from received_activity where ap_id = $1")
                    .bind(&id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            at
        }
    };
    let (first_claim, third_claim) = (received_at(0).await, received_at(7).await);
    assert_eq!(
        received_at(5).await,
        first_claim,
        "Mallory's likes of the first post and the reply"
    );
    assert_eq!(
        received_at(4).await,
        third_claim,
        "Trudy's Undo and Mallory's like of the second post"
    );
    assert_ne!(first_claim, third_claim);
    // A replay of an applied vote changes nothing.
    let (status, _) = evil.send(&a, "/u/mallory", sent[0].1.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(counts(first).await, (1, 1, 0));
}

/// The batch's writes (`post::vote_many`, `comment::vote_many`) count several voters on one
/// target exactly, say what each vote replaced, and skip targets that do not exist.
#[tokio::test]
async fn votes_written_together_count_several_voters_on_one_target_exactly() {
    use hearth_db::post::VoteChange;
    let a = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let (_, first) = town_with_a_post(&a, &alice).await;
    let second = write_post(&a, &alice, "town", "Market").await;
    let first = crate::federation_network::post_id(&a, &first)
        .await
        .unwrap();
    let second = crate::federation_network::post_id(&a, &second)
        .await
        .unwrap();
    let reply = crate::federation_network::new_comment(&a, &alice, first, None, "Hi").await;
    let reply = crate::federation_network::id_of(&reply);
    let change = |target_id, person: &TestUser, score| VoteChange {
        target_id,
        person_id: person.id,
        score,
    };
    let pool = a.db.pool().await;
    let counts = |table: &'static str, id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, i64, i64)>(&format!(
                "select score::int8, upvotes::int8, downvotes::int8 from {table} where id = $1"
            ))
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };

    let mut tx = pool.begin().await.unwrap();
    let replaced = hearth_db::post::vote_many(
        &mut tx,
        &[
            change(first, &alice, 1),
            change(first, &bob, -1),
            change(second, &alice, 1),
            change(i64::MAX, &alice, 1),
        ],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(replaced, vec![Some(0), Some(0), Some(0), None]);
    assert_eq!(counts("post", first).await, (0, 1, 1));
    assert_eq!(counts("post", second).await, (1, 1, 0));

    let mut tx = pool.begin().await.unwrap();
    let replaced = hearth_db::post::vote_many(
        &mut tx,
        &[change(first, &alice, -1), change(first, &bob, 0)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(replaced, vec![Some(1), Some(-1)]);
    assert_eq!(counts("post", first).await, (-1, 0, 1));
    assert_eq!(
        count(&a, "select count(*) from post_vote").await,
        2,
        "Alice's two votes; Bob's cleared"
    );

    let mut tx = pool.begin().await.unwrap();
    let replaced =
        hearth_db::comment::vote_many(&mut tx, &[change(reply, &alice, 1), change(reply, &bob, 1)])
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(replaced, vec![Some(0), Some(0)]);
    assert_eq!(counts("comment", reply).await, (2, 2, 0));
    pool.close().await;
}
