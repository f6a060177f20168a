//! Signed-in readers' feed pages made from the anonymous rows (`hearth_service::posts`, rows
//! kept in `hearth_service::read_cache`): the front page and community pages a signed-in
//! reader gets are exactly those their own reading gives (compared with a second process on
//! the same database with the cache off), their own votes show at once and their blocks take
//! rows out at once, from whichever process, and a page a block took rows from is still full.

use hearth_tests::app::{TestApp, TestUser, rename_unnoticed, titles, write_titled_post};
use hearth_tests::lemmy::community;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A cache lifetime far longer than any test waits, so nothing here is fresh by expiry.
const LONG_CACHE: (&str, &str) = ("HEARTH__HTTP__ANONYMOUS_CACHE_MS", "60000");
/// The cache off: every page is read afresh, as before the cache.
const NO_CACHE: (&str, &str) = ("HEARTH__HTTP__ANONYMOUS_CACHE_MS", "0");

async fn vote(app: &TestApp, voter: &TestUser, post: i64, score: i16) {
    let (status, v) = app
        .post_json(
            &format!("/api/v1/posts/{post}/vote"),
            voter.auth(),
            json!({ "score": score }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
}

async fn act(app: &TestApp, who: &TestUser, path: &str) {
    let (status, body) = app.call(Method::POST, path, who.auth(), None).await;
    assert!(status.is_success(), "{path}: {status} {body}");
}

/// A page as `who` reads it (the JSON text, with `app`'s own authority written as `as_host`'s
/// so that two processes' pages compare).
async fn page(app: &TestApp, who: &TestUser, path: &str, as_host: &TestApp) -> Value {
    let (status, body) = app.get_json(path, who.auth()).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    let text = body.to_string().replace(
        &app.settings.hostname.to_string(),
        &as_host.settings.hostname.to_string(),
    );
    serde_json::from_str(&text).unwrap()
}

fn vote_of(page: &Value, title: &str) -> (i64, i64) {
    let post = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == title)
        .unwrap_or_else(|| panic!("{title} not in {page}"));
    (
        post["my_vote"].as_i64().unwrap(),
        post["counts"]["score"].as_i64().unwrap(),
    )
}

/// Every page of `path` (`limit` set by the caller), following `next_cursor`, as `who` reads
/// them on `app`.
async fn all_pages(app: &TestApp, who: &TestUser, path: &str, as_host: &TestApp) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = path.to_owned();
    loop {
        let one = page(app, who, &next, as_host).await;
        let cursor = one["next_cursor"].as_str().map(str::to_owned);
        pages.push(one);
        match cursor {
            Some(cursor) => next = format!("{path}&cursor={cursor}"),
            None => return pages,
        }
        assert!(pages.len() < 20, "{path} does not end");
    }
}

/// Asserts that `who` reads the same pages of `path` from the cached process (twice: the rows
/// read for the cache, then the rows kept) as from the process without the cache.
async fn assert_same_pages(cached: &TestApp, uncached: &TestApp, who: &TestUser, path: &str) {
    let expected = all_pages(uncached, who, path, cached).await;
    for round in ["read", "kept"] {
        let got = all_pages(cached, who, path, cached).await;
        assert_eq!(got, expected, "{path} ({round} rows)");
    }
}

/// Kim moderates `bread` and `cheese` and pins a post in `bread`; Bob and Carol write four posts
/// in each; Lee reads.
struct Scene {
    kim: TestUser,
    carol: TestUser,
    lee: TestUser,
}

async fn scene(app: &TestApp) -> Scene {
    let kim = app.user("kim").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let lee = app.user("lee").await;
    community(app, &kim, "bread").await;
    community(app, &kim, "cheese").await;
    let pinned = write_titled_post(app, &kim, "bread", "Kim's bread rules").await;
    act(app, &kim, &format!("/api/v1/posts/{pinned}/pin")).await;
    for i in 1..=4 {
        write_titled_post(app, &bob, "bread", &format!("Bob's bread {i}")).await;
        write_titled_post(app, &carol, "bread", &format!("Carol's bread {i}")).await;
        write_titled_post(app, &bob, "cheese", &format!("Bob's cheese {i}")).await;
        write_titled_post(app, &carol, "cheese", &format!("Carol's cheese {i}")).await;
    }
    Scene { kim, carol, lee }
}

const PAGES: [&str; 9] = [
    "/api/v1/posts?sort=new&limit=20",
    "/api/v1/posts?sort=hot&limit=20",
    "/api/v1/posts?sort=top_all&limit=20",
    "/api/v1/posts?sort=new&limit=5",
    "/api/v1/posts?feed=local&sort=controversial&limit=4",
    "/api/v1/posts?community=bread&sort=new&limit=20",
    "/api/v1/posts?community=bread&sort=new&limit=3",
    "/api/v1/posts?community=cheese&sort=top_all&limit=3",
    "/api/v1/posts?community=bread&sort=hot&limit=4",
];

#[tokio::test]
async fn signed_in_pages_from_the_kept_rows_equal_the_signed_in_reader_s_own_reading() {
    let cached = TestApp::spawn(&[LONG_CACHE]).await;
    let uncached = cached.spawn_beside(&[NO_CACHE]).await;
    let s = scene(&cached).await;
    let (_, newest) = cached
        .get_json("/api/v1/posts?sort=new&limit=20", None)
        .await;
    let id_of = |title: &str| -> i64 {
        newest["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    vote(&cached, &s.lee, id_of("Bob's bread 2"), 1).await;
    vote(&cached, &s.lee, id_of("Carol's cheese 3"), -1).await;
    vote(&cached, &s.lee, id_of("Kim's bread rules"), 1).await;
    vote(&cached, &s.kim, id_of("Carol's cheese 3"), 1).await;
    vote(&cached, &s.carol, id_of("Bob's bread 1"), 1).await;

    for path in PAGES {
        for who in [&s.lee, &s.kim] {
            assert_same_pages(&cached, &uncached, who, path).await;
        }
    }
    let mine = page(&cached, &s.lee, PAGES[0], &cached).await;
    assert_eq!(vote_of(&mine, "Bob's bread 2"), (1, 1), "{mine}");
    assert_eq!(vote_of(&mine, "Carol's cheese 3"), (-1, 0), "{mine}");
    let bread = page(&cached, &s.lee, PAGES[5], &cached).await;
    assert_eq!(
        titles(&bread)[0],
        "Kim's bread rules",
        "pinned first: {bread}"
    );
    assert_eq!(vote_of(&bread, "Kim's bread rules"), (1, 1), "{bread}");

    // The rows are the kept ones: a change nobody was told of shows only without the cache,
    // while each reader's own votes are still their own.
    rename_unnoticed(&cached, id_of("Bob's bread 2"), "Renamed unnoticed").await;
    for who in [&s.lee, &s.carol] {
        let kept = page(&cached, who, PAGES[0], &cached).await;
        assert!(
            titles(&kept).contains(&"Bob's bread 2".to_owned()),
            "{kept}"
        );
        let own = page(&uncached, who, PAGES[0], &cached).await;
        assert!(
            titles(&own).contains(&"Renamed unnoticed".to_owned()),
            "{own}"
        );
        let expected = if who.id == s.lee.id { 1 } else { 0 };
        assert_eq!(vote_of(&kept, "Bob's bread 2"), (expected, 1), "{kept}");
    }
}

#[tokio::test]
async fn a_signed_in_reader_s_vote_shows_at_once_through_either_process() {
    let first = TestApp::spawn(&[LONG_CACHE]).await;
    let second = first.spawn_beside(&[LONG_CACHE]).await;
    let s = scene(&first).await;
    let front = "/api/v1/posts?sort=new&limit=20";
    let bread = "/api/v1/posts?community=bread&sort=new&limit=20";
    for path in [front, bread] {
        for app in [&first, &second] {
            let before = page(app, &s.lee, path, app).await;
            assert_eq!(vote_of(&before, "Carol's bread 3"), (0, 0), "{before}");
        }
    }
    let (_, newest) = first.get_json(front, None).await;
    let id = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Carol's bread 3")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    // Through this process: its kept rows are dropped, so the score is new too.
    vote(&first, &s.lee, id, 1).await;
    for path in [front, bread] {
        let after = page(&first, &s.lee, path, &first).await;
        assert_eq!(
            vote_of(&after, "Carol's bread 3"),
            (1, 1),
            "{path}: {after}"
        );
    }
    // Read in the other process, whose rows nothing dropped: the vote is the reader's own and
    // shows at once there too (the score, like every count on a kept page, may be up to one
    // lifetime old).
    vote(&first, &s.lee, id, -1).await;
    for path in [front, bread] {
        let after = page(&second, &s.lee, path, &second).await;
        assert_eq!(vote_of(&after, "Carol's bread 3").0, -1, "{path}: {after}");
    }
    // The web pages show it as well.
    let mut visitor = crate::web_pages::Visitor::signed_in(&first, &s.lee).await;
    vote(&first, &s.lee, id, 1).await;
    for path in ["/?sort=new", "/c/bread?sort=new"] {
        let shown = visitor.get(path).await;
        assert!(shown.body.contains("voted-up"), "{path}:\n{}", shown.body);
    }
}

#[tokio::test]
async fn what_a_signed_in_reader_blocks_leaves_their_pages_at_once_through_either_process() {
    let first = TestApp::spawn(&[LONG_CACHE]).await;
    let second = first.spawn_beside(&[LONG_CACHE]).await;
    let uncached = first.spawn_beside(&[NO_CACHE]).await;
    let s = scene(&first).await;
    let front = "/api/v1/posts?sort=new&limit=50";
    let bread = "/api/v1/posts?community=bread&sort=new&limit=50";
    let cheese = "/api/v1/posts?community=cheese&sort=new&limit=50";
    // Both processes keep the rows, Bob's among them.
    for app in [&first, &second] {
        for path in [front, bread, cheese] {
            let seen = page(app, &s.lee, path, app).await;
            assert!(
                titles(&seen).iter().any(|t| t.starts_with("Bob's")),
                "{seen}"
            );
        }
    }
    // Blocked through the other process: nothing tells this one, whose rows still have Bob's.
    act(&second, &s.lee, "/api/v1/users/bob/block").await;
    for app in [&first, &second] {
        for path in [front, bread, cheese] {
            let seen = page(app, &s.lee, path, app).await;
            assert!(
                titles(&seen).iter().all(|t| !t.starts_with("Bob's")),
                "{path}: {seen}"
            );
            assert_eq!(seen, page(&uncached, &s.lee, path, app).await, "{path}");
        }
        // Nobody else's pages change.
        let carols = page(app, &s.carol, front, app).await;
        assert!(
            titles(&carols).iter().any(|t| t.starts_with("Bob's")),
            "{carols}"
        );
    }
    // A blocked community leaves the front page, not its own page.
    act(&first, &s.lee, "/api/v1/communities/cheese/block").await;
    for app in [&second, &first] {
        let seen = page(app, &s.lee, front, app).await;
        assert!(
            titles(&seen).iter().all(|t| !t.contains("cheese")),
            "{seen}"
        );
        assert_eq!(seen, page(&uncached, &s.lee, front, app).await);
        let own_page = page(app, &s.lee, cheese, app).await;
        assert_eq!(
            titles(&own_page),
            [
                "Carol's cheese 4",
                "Carol's cheese 3",
                "Carol's cheese 2",
                "Carol's cheese 1"
            ],
            "{own_page}"
        );
    }
    // Kim's view is as it was.
    let kims = page(&first, &s.kim, cheese, &first).await;
    assert_eq!(titles(&kims).len(), 8, "{kims}");
}

#[tokio::test]
async fn a_page_that_blocks_took_rows_from_is_still_full_and_pages_on_as_before() {
    let cached = TestApp::spawn(&[LONG_CACHE]).await;
    let uncached = cached.spawn_beside(&[NO_CACHE]).await;
    let s = scene(&cached).await;
    let paths = [
        "/api/v1/posts?sort=new&limit=3",
        "/api/v1/posts?feed=local&sort=hot&limit=4",
        "/api/v1/posts?community=bread&sort=new&limit=3",
        "/api/v1/posts?community=cheese&sort=new&limit=2",
    ];
    // The rows are kept with Bob's posts in them (anonymous readers and Lee read them).
    for path in paths {
        let anonymous = cached.get_json(path, None).await.1;
        assert!(
            titles(&anonymous).iter().any(|t| t.starts_with("Bob's")),
            "{anonymous}"
        );
        page(&cached, &s.lee, path, &cached).await;
    }
    act(&uncached, &s.lee, "/api/v1/users/bob/block").await;
    for path in paths {
        let pages = all_pages(&cached, &s.lee, path, &cached).await;
        let limit: usize = path.rsplit('=').next().unwrap().parse().unwrap();
        let shown: Vec<String> = pages.iter().flat_map(titles).collect();
        assert!(
            shown.iter().all(|t| !t.starts_with("Bob's")),
            "{path}: {shown:?}"
        );
        // Every page but the last is full (a community's first page has its pinned post on top).
        for one in &pages[..pages.len() - 1] {
            assert!(titles(one).len() >= limit, "{path}: {one}");
        }
        assert_eq!(
            pages,
            all_pages(&uncached, &s.lee, path, &cached).await,
            "{path}"
        );
    }
    let front: Vec<String> = all_pages(&cached, &s.lee, paths[0], &cached)
        .await
        .iter()
        .flat_map(titles)
        .collect();
    assert_eq!(
        front.len(),
        9,
        "Kim's pinned post and Carol's eight: {front:?}"
    );
}
