//! The lookup cache (`hearth_service::lookups`): copies of people and communities are kept only
//! while the process hears of their changes, and a change written by anyone on the database
//! (here the test's own connection, standing for another process) drops the copy.

use hearth_db::community::{RemoteCommunity, Visibility};
use hearth_db::person::RemotePerson;
use hearth_service::ServiceContext;
use hearth_tests::app::test_settings;
use hearth_tests::db::fresh_database;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a notification may take to come round before the test gives up.
const NOTICE: Duration = Duration::from_secs(10);

async fn seed(pool: &sqlx::PgPool) -> (String, i64) {
    let person = hearth_db::person::upsert_remote(
        pool,
        &RemotePerson {
            ap_id: "https://far.example/u/zoe",
            host: "far.example",
            name: "zoe",
            display_name: Some("Zoe"),
            bio: "",
            bio_html: "",
            public_key: "first key",
            inbox_url: "https://far.example/u/zoe/inbox",
            shared_inbox_url: None,
            avatar_url: None,
            banner_url: None,
        },
    )
    .await
    .unwrap();
    let community = hearth_db::community::upsert_remote(
        pool,
        &RemoteCommunity {
            ap_id: "https://far.example/c/tea",
            host: "far.example",
            name: "tea",
            title: "Tea",
            description: "",
            description_html: "",
            nsfw: false,
            posting_restricted_to_mods: false,
            visibility: Visibility::Public,
            public_key: "community key",
            inbox_url: "https://far.example/c/tea/inbox",
            shared_inbox_url: None,
            followers_url: None,
            icon_url: None,
            banner_url: None,
        },
    )
    .await
    .unwrap();
    (person.ap_id, community.id)
}

/// Polls `check` until it holds or [`NOTICE`] has passed.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < NOTICE, "{what}: not within {NOTICE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn copies_are_kept_while_listening_and_dropped_when_their_rows_change_anywhere() {
    let db = fresh_database().await;
    let pool = db.pool().await;
    let ctx = ServiceContext::new(pool.clone(), Arc::new(test_settings(8080, &[])));
    let (zoe, tea) = seed(&pool).await;
    let lookups = ctx.lookups.clone();
    let title = |l: Arc<hearth_service::lookups::Lookups>, pool: sqlx::PgPool| async move {
        l.community_for_write(&pool, tea)
            .await
            .unwrap()
            .unwrap()
            .title
            .clone()
    };
    let key = |l: Arc<hearth_service::lookups::Lookups>, pool: sqlx::PgPool, zoe: String| async move {
        l.actor_by_ap_id(&pool, &zoe)
            .await
            .unwrap()
            .unwrap()
            .public_key
            .clone()
            .unwrap()
    };

    // Not listening: nothing is kept, every lookup reads the row as it is.
    assert!(!lookups.enabled());
    assert_eq!(title(lookups.clone(), pool.clone()).await, "Tea");
    sqlx::query("update community set title = 'Green tea' where id = $1")
        .bind(tea)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(title(lookups.clone(), pool.clone()).await, "Green tea");

    let stop = CancellationToken::new();
    let listening = tokio::spawn(hearth_service::lookups::listen(
        ctx.clone(),
        stop.clone().cancelled_owned(),
    ));
    eventually("the listener connects", || {
        let l = lookups.clone();
        async move { l.enabled() }
    })
    .await;

    // Listening: a lookup is kept. A community's counts are not watched, so changing one
    // proves the copy is what is served (write paths never show counts).
    assert_eq!(title(lookups.clone(), pool.clone()).await, "Green tea");
    assert_eq!(
        key(lookups.clone(), pool.clone(), zoe.clone()).await,
        "first key"
    );
    sqlx::query("update community set member_count = 41 where id = $1")
        .bind(tea)
        .execute(&pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let kept = lookups
        .community_for_write(&pool, tea)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.member_count, 0, "the copy is served, not the row");

    // A watched change, written outside this process's code: the copy goes.
    sqlx::query("update community set title = 'Oolong' where id = $1")
        .bind(tea)
        .execute(&pool)
        .await
        .unwrap();
    eventually("the renamed community is read again", || {
        let read = title(lookups.clone(), pool.clone());
        async move { read.await == "Oolong" }
    })
    .await;
    let fresh = lookups
        .community_for_write(&pool, tea)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fresh.member_count, 41, "read again, the row came with it");

    // A person's new key (a rotation stored by another process) is read at once after.
    sqlx::query("update person set public_key = 'second key' where ap_id = $1")
        .bind(&zoe)
        .execute(&pool)
        .await
        .unwrap();
    eventually("the rotated key is read again", || {
        let read = key(lookups.clone(), pool.clone(), zoe.clone());
        async move { read.await == "second key" }
    })
    .await;
    // A deleted person is gone from the copies too.
    sqlx::query("delete from person where ap_id = $1")
        .bind(&zoe)
        .execute(&pool)
        .await
        .unwrap();
    eventually("the deleted person is no longer found", || {
        let (l, pool, zoe) = (lookups.clone(), pool.clone(), zoe.clone());
        async move { l.actor_by_ap_id(&pool, &zoe).await.unwrap().is_none() }
    })
    .await;

    // This process's own write of a person is read back at once, before any notification.
    let (zoe, _) = seed(&pool).await;
    assert_eq!(
        key(lookups.clone(), pool.clone(), zoe.clone()).await,
        "first key"
    );
    let id = lookups
        .actor_by_ap_id(&pool, &zoe)
        .await
        .unwrap()
        .unwrap()
        .id;
    sqlx::query("update person set display_name = 'Zoë' where id = $1")
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    lookups.forget_person(id);
    let read = lookups.actor_by_ap_id(&pool, &zoe).await.unwrap().unwrap();
    assert_eq!(read.display_name.as_deref(), Some("Zoë"));

    // Stopped: nothing is kept any more.
    stop.cancel();
    listening.await.unwrap();
    assert!(!lookups.enabled());
    sqlx::query("update community set member_count = 7 where id = $1")
        .bind(tea)
        .execute(&pool)
        .await
        .unwrap();
    let read = lookups
        .community_for_write(&pool, tea)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.member_count, 7);
}
