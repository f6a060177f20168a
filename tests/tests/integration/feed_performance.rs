//! The `hot` front page on 100,000 posts reads an index range, not a sort over every row.
//! The plan asserted here is the plan of the exact query the feed runs (`explain_feed` builds
//! it with the same code). Its timing is printed, never asserted: see docs/PERFORMANCE.md.

use hearth_db::post::{FeedRequest, FeedScope, PostSort};
use hearth_tests::app::TestApp;

async fn seed(pool: &sqlx::PgPool, posts: i64) -> (i64, i64) {
    let author: i64 = sqlx::query_scalar(
        "insert into person (ap_id, local, name) values ('http://x/u/seed', true, 'seed') returning id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into community (ap_id, local, name, title)
         select 'http://x/c/c' || g, g % 5 <> 0, 'c' || g, 'Community ' || g from generate_series(1, 50) g",
    )
    .execute(pool)
    .await
    .unwrap();
    // Posts spread over ten days with scores from -5 to 94, in 50 communities.
    sqlx::query(
        "insert into post (ap_id, local, community_id, author_id, title, published_at, last_activity_at, score, upvotes)
         select 'http://x/post/' || g, true, (select min(id) from community) + g % 50, $1, 'Post ' || g,
                now() - make_interval(secs => (g * 8.64)::double precision),
                now() - make_interval(secs => (g * 8.64)::double precision),
                (g * 7919) % 100 - 5, greatest((g * 7919) % 100 - 5, 0)
         from generate_series(1, $2) g",
    )
    .bind(author)
    .bind(posts)
    .execute(pool)
    .await
    .unwrap();
    // 100 voters with 20,000 votes, so the viewer's-vote join meets realistic statistics.
    sqlx::query(
        "insert into person (ap_id, local, name) select 'http://x/u/v' || g, true, 'voter' || g
         from generate_series(1, 100) g",
    )
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into post_vote (post_id, person_id, score)
         select p.id, v.id, 1 from (select id from post order by id limit 200) p
         cross join (select id from person where name like 'voter%') v",
    )
    .execute(pool)
    .await
    .unwrap();
    hearth_db::post::refresh_ranks(pool).await.unwrap();
    sqlx::query("analyze").execute(pool).await.unwrap();
    let community: i64 = sqlx::query_scalar("select min(id) from community")
        .fetch_one(pool)
        .await
        .unwrap();
    (author, community)
}

fn execution_ms(plan: &[String]) -> f64 {
    plan.iter()
        .find_map(|l| l.strip_prefix("Execution Time: "))
        .and_then(|t| t.trim_end_matches(" ms").parse().ok())
        .expect("EXPLAIN ANALYZE reports the execution time")
}

#[tokio::test]
async fn the_hot_front_page_of_100k_posts_is_an_index_range_scan() {
    let app = TestApp::spawn(&[]).await;
    let pool = app.db.pool().await;
    let (author, community) = seed(&pool, 100_000).await;
    for (label, scope, sort) in [
        ("hot, all", FeedScope::All, PostSort::Hot),
        ("hot, local", FeedScope::Local, PostSort::Hot),
        (
            "hot, one community",
            FeedScope::Community(community),
            PostSort::Hot,
        ),
        (
            "hot, one community, pinned posts apart",
            FeedScope::CommunityUnpinned(community),
            PostSort::Hot,
        ),
        ("new, all", FeedScope::All, PostSort::New),
        ("top all time, all", FeedScope::All, PostSort::Top),
        ("active, all", FeedScope::All, PostSort::Active),
    ] {
        let request = FeedRequest {
            scope,
            sort,
            since: None,
            after: None,
            limit: 21,
            viewer: Some(author),
        };
        // The first run warms the cache; the second is the one reported.
        hearth_db::post::explain_feed(&pool, &request)
            .await
            .unwrap();
        let plan = hearth_db::post::explain_feed(&pool, &request)
            .await
            .unwrap();
        let text = plan.join("\n");
        println!("-- {label}\n{text}\n");
        assert!(
            text.contains("Index Scan") && text.contains("on post p"),
            "{label}: {text}"
        );
        assert!(
            !text.contains("Sort Key: p."),
            "{label} sorts posts instead of reading an index:\n{text}"
        );
        assert!(
            !text.contains("Seq Scan on post p"),
            "{label} scans the whole table:\n{text}"
        );
        let rows_read: Vec<u64> = plan
            .iter()
            .filter(|l| l.contains("on post p"))
            .filter_map(|l| {
                l.split("rows=")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert!(
            rows_read.iter().all(|&r| r < 1_000),
            "{label} read too many post rows: {rows_read:?}"
        );
        println!("{label}: {:.3} ms", execution_ms(&plan));
    }
    // The feed itself returns the best-ranked posts.
    let (_, page) = app.get_json("/api/v1/posts?sort=hot&limit=5", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    app.stop().await;
}

/// Asserts that `plan` reads posts with an index scan of `index`, sorts no posts and reads
/// fewer than 1,000 post rows; with `cursor`, that the cursor bounds the index range.
fn assert_new_feed_plan(label: &str, plan: &[String], index: &str, cursor: bool) {
    let text = plan.join("\n");
    println!("-- {label}\n{text}\n");
    let scan = plan
        .iter()
        .position(|l| l.contains("on post p "))
        .unwrap_or_else(|| panic!("{label} reads no posts:\n{text}"));
    assert!(
        plan[scan].contains(&format!("Index Scan using {index} on post p ")),
        "{label} does not read {index}:\n{text}"
    );
    assert!(
        !text.contains("Sort Key: p."),
        "{label} sorts posts instead of reading an index:\n{text}"
    );
    let rows: u64 = plan[scan]
        .split("rows=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|r| r.parse().ok())
        .unwrap_or_else(|| panic!("{label}: no row count in {}", plan[scan]));
    assert!(rows < 1_000, "{label} read {rows} post rows:\n{text}");
    if cursor {
        // The cursor must be where the index range starts, not a filter over what it reads.
        let condition = plan[scan + 1..]
            .iter()
            .take_while(|l| !l.contains("->"))
            .find(|l| l.contains("Index Cond:"))
            .unwrap_or_else(|| panic!("{label} has no index condition:\n{text}"));
        assert!(
            condition.contains("ROW(published_at, id) < ROW("),
            "{label} does not start the index range at the cursor:\n{text}"
        );
    }
    println!("{label}: {:.3} ms", execution_ms(plan));
}

#[tokio::test]
async fn the_new_feed_of_100k_posts_reads_an_index_range_in_every_scope() {
    let app = TestApp::spawn(&[]).await;
    let pool = app.db.pool().await;
    let (author, community) = seed(&pool, 100_000).await;
    // A second author with one post in forty, and a viewer in three communities.
    let other: i64 = sqlx::query_scalar(
        "insert into person (ap_id, local, name) values ('http://x/u/other', true, 'other') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query("update post set author_id = $1 where id % 40 = 0")
        .bind(other)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into community_member (community_id, person_id, state)
         select id, $1, 'joined' from community order by id limit 3",
    )
    .bind(author)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("analyze").execute(&pool).await.unwrap();
    for (label, scope, index) in [
        ("new, all", FeedScope::All, "post_published_idx"),
        ("new, local", FeedScope::Local, "post_published_idx"),
        (
            "new, one community",
            FeedScope::Community(community),
            "post_community_published_idx",
        ),
        (
            "new, one community, pinned posts apart",
            FeedScope::CommunityUnpinned(community),
            "post_community_published_idx",
        ),
        (
            "new, one author",
            FeedScope::Author(other),
            "post_author_published_idx",
        ),
        (
            "new, subscribed",
            FeedScope::Subscribed(author),
            "post_published_idx",
        ),
    ] {
        let mut request = FeedRequest {
            scope,
            sort: PostSort::New,
            since: None,
            after: None,
            limit: 21,
            viewer: Some(author),
        };
        // Deep in the feed: the cursor after a full page of 1,000 posts.
        let deep = hearth_db::post::feed(
            &pool,
            &FeedRequest {
                limit: 1_000,
                ..request
            },
        )
        .await
        .unwrap();
        let last = deep.last().unwrap();
        let cursor = hearth_db::post::PostCursor {
            key: PostSort::New.key_of(last),
            id: last.id,
        };
        for after in [None, Some(cursor)] {
            request.after = after;
            let label = if after.is_some() {
                format!("{label}, after 1,000")
            } else {
                label.to_owned()
            };
            // The first run warms the cache; the second is the one reported.
            hearth_db::post::explain_feed(&pool, &request)
                .await
                .unwrap();
            let plan = hearth_db::post::explain_feed(&pool, &request)
                .await
                .unwrap();
            assert_new_feed_plan(&label, &plan, index, after.is_some());
            // The page is the newest posts after the cursor.
            let rows = hearth_db::post::feed(&pool, &request).await.unwrap();
            assert_eq!(rows.len(), 21, "{label}");
            let keys: Vec<_> = rows.iter().map(|r| (r.published_at, r.id)).collect();
            assert!(keys.is_sorted_by(|a, b| a > b), "{label}: {keys:?}");
            if let Some(c) = after {
                assert!(keys[0] < (last.published_at, c.id), "{label}");
            }
        }
    }
    app.stop().await;
}
