//! The `read` scenario: an instance with 200,000 posts in 50 communities, 800,000 votes and a
//! post with 200 comments (seeded in bulk SQL, ranks computed as Hearth computes them). The JSON
//! front page (`hot`, `new`, `top`), a community page and the post page with its comments, and
//! the same pages as HTML, are read over 16 keep-alive connections from a load generator in its
//! own process; so are the JSON front and community pages of a signed-in reader who has voted
//! on some of their posts. The baseline is the raw 20-row page along the hot index at 16
//! connections, measured in the same run.

use crate::Bench;
use crate::instance::Instance;
use crate::load::{self, Mode, RequestSpec, Summary};
use crate::measure::{CpuMeter, CpuUse};
use crate::pg;
use crate::report::{Outcome, Report, Table, ms, rate, ratio, thousands};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Posts.
const POSTS: i64 = 200_000;
/// Communities.
const COMMUNITIES: i64 = 50;
/// People who vote and write.
const PEOPLE: i64 = 1_000;
/// Comments on the post page.
const COMMENTS: i64 = 200;
/// The signed-in reader of the signed-in rows.
const READER: &str = "benchreader";
/// Concurrent connections.
const CONNECTIONS: usize = 16;
/// Measured time per page.
const MEASURE: Duration = Duration::from_millis(1500);
/// Warm-up per page.
const WARMUP: Duration = Duration::from_millis(250);
/// The raw page the ratios are taken against.
const RAW_PAGE: &str = "select id, ap_id, title, url, body, body_html, score, upvotes, downvotes,
        comment_count, hot_rank, published_at, community_id, author_id
    from post where not deleted and not removed order by hot_rank desc, id desc limit 20";

/// The secondary indexes of `table` (name, definition), to drop before a bulk load and build
/// again after it, exactly as the migrations made them.
async fn secondary_indexes(
    conn: &mut sqlx::PgConnection,
    table: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "select i.relname::text, pg_get_indexdef(x.indexrelid)
         from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
         where t.relname = $1 and not x.indisprimary and not x.indisunique",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?)
}

/// Seeds the instance's database in bulk (secondary indexes dropped during the load and built
/// again after it, foreign-key triggers off for the session: the rows are valid by
/// construction); returns the post with the comments.
async fn seed(pool: &PgPool, base: &str) -> anyhow::Result<i64> {
    let mut conn = pool.acquire().await?;
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await?;
    sqlx::query("set maintenance_work_mem = '256MB'")
        .execute(&mut *conn)
        .await?;
    sqlx::query("set synchronous_commit = off")
        .execute(&mut *conn)
        .await?;
    let mut dropped = Vec::new();
    for table in ["post", "post_vote"] {
        for (name, definition) in secondary_indexes(&mut conn, table).await? {
            sqlx::query(&format!("drop index \"{name}\""))
                .execute(&mut *conn)
                .await?;
            dropped.push(definition);
        }
    }
    let post = load(&mut conn, base).await?;
    for definition in dropped {
        sqlx::query(&definition).execute(&mut *conn).await?;
    }
    sqlx::query("reset session_replication_role")
        .execute(&mut *conn)
        .await?;
    // The seeded people and communities share the instance actor's key pair: without keys,
    // every instance started on this database (the cache-off one) would first make 1,050 RSA
    // keys one after another (`keys::backfill`), minutes of CPU before it serves.
    for table in ["person", "community"] {
        sqlx::query(&format!(
            "update {table} set public_key = s.public_key, private_key = s.private_key
             from site s where {table}.local and {table}.private_key is null"
        ))
        .execute(&mut *conn)
        .await?;
    }
    for table in ["person", "community", "post", "post_vote", "comment"] {
        sqlx::query(&format!("vacuum analyze {table}"))
            .execute(&mut *conn)
            .await?;
    }
    Ok(post)
}

/// The bulk load itself.
async fn load(conn: &mut sqlx::PgConnection, base: &str) -> anyhow::Result<i64> {
    let first_person: i64 = sqlx::query_scalar(
        "with made as (
             insert into person (ap_id, local, name)
             select $1 || '/u/reader' || g, true, 'reader' || g from generate_series(1, $2::bigint) g
             returning id)
         select min(id) from made",
    )
    .bind(base)
    .bind(PEOPLE)
    .fetch_one(&mut *conn)
    .await?;
    let first_community: i64 = sqlx::query_scalar(
        "with made as (
             insert into community (ap_id, local, name, title, member_count)
             select $1 || '/c/c' || g, true, 'c' || g, 'Community ' || g, 100
             from generate_series(1, $2::bigint) g
             returning id)
         select min(id) from made",
    )
    .bind(base)
    .bind(COMMUNITIES)
    .fetch_one(&mut *conn)
    .await?;
    // Votes per post: (g·37 mod 9), at most 8, one in five of them down; published over the
    // last week, three seconds apart. Counts and ranks are stored as votes would leave them.
    sqlx::query(
        "insert into post (id, ap_id, local, community_id, author_id, title, body, body_html,
                           published_at, last_activity_at, created_at, score, upvotes, downvotes,
                           hot_rank, active_rank, controversy_rank)
         overriding system value
         select g, $1 || '/post/' || g, true, $2 + g % $3, $4 + g % $5,
                'Post ' || g || ' about ' || (array['gardening', 'cats', 'rust', 'bicycles', 'bread'])[1 + g % 5],
                'Body of post ' || g || ', a line of text.', '<p>Body of post ' || g || ', a line of text.</p>',
                t.published, t.published, t.published, v.n - 2 * v.down, v.n - v.down, v.down,
                hearth_hot_rank(v.n - 2 * v.down, t.published, now()),
                hearth_hot_rank(v.n - 2 * v.down, t.published, now()),
                hearth_controversy_rank(v.n - v.down, v.down)
         from generate_series(1, $6::bigint) g
         cross join lateral (select now() - ($6 - g) * interval '3 seconds' as published) t
         -- n votes; vote k is down when (g + k) mod 5 = 0, i.e. k = f, f + 5, … below n.
         cross join lateral (select least((g * 37) % 9, 8)::int as n, ((5 - g % 5) % 5)::int as f) c
         cross join lateral (
             select c.n, case when c.n > c.f then (c.n - 1 - c.f) / 5 + 1 else 0 end as down) v",
    )
    .bind(base)
    .bind(first_community)
    .bind(COMMUNITIES)
    .bind(first_person)
    .bind(PEOPLE)
    .bind(POSTS)
    .execute(&mut *conn)
    .await?;
    sqlx::query("select setval(pg_get_serial_sequence('post', 'id'), $1)")
        .bind(POSTS)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into post_vote (post_id, person_id, score)
         select g, $1 + (g * 7 + k * 131) % $2, case when (g + k) % 5 = 0 then -1 else 1 end
         from generate_series(1, $3::bigint) g cross join generate_series(0, 7) k
         where k < (g * 37) % 9",
    )
    .bind(first_person)
    .bind(PEOPLE)
    .bind(POSTS)
    .execute(&mut *conn)
    .await?;
    // The post page: a recent post with 50 top-level comments, each with three replies.
    let post = POSTS - 10;
    sqlx::query(
        "insert into comment (id, ap_id, local, post_id, parent_id, author_id, path, body, body_html,
                              published_at, hot_rank, child_count)
         overriding system value
         select i, $1 || '/comment/' || i, true, $2,
                case when i <= 50 then null else (i - 51) / 3 + 1 end,
                $3 + i % $4,
                case when i <= 50 then array[i] else array[(i - 51) / 3 + 1, i] end,
                'Comment ' || i || ' with a sentence or two of text in it.',
                '<p>Comment ' || i || ' with a sentence or two of text in it.</p>',
                now() - (200 - i) * interval '1 minute',
                hearth_hot_rank(0, now() - (200 - i) * interval '1 minute', now()),
                case when i <= 50 then 3 else 0 end
         from generate_series(1::bigint, $5::bigint) i",
    )
    .bind(base)
    .bind(post)
    .bind(first_person)
    .bind(PEOPLE)
    .bind(COMMENTS)
    .execute(&mut *conn)
    .await?;
    sqlx::query("select setval(pg_get_serial_sequence('comment', 'id'), $1)")
        .bind(COMMENTS)
        .execute(&mut *conn)
        .await?;
    sqlx::query("update post set comment_count = $2 where id = $1")
        .bind(post)
        .bind(i32::try_from(COMMENTS)?)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "update community c set post_count = p.n
         from (select community_id, count(*)::int as n from post group by community_id) p
         where p.community_id = c.id",
    )
    .execute(&mut *conn)
    .await?;
    Ok(post)
}

/// One page to read.
struct Page {
    name: &'static str,
    html: bool,
    /// Read with the signed-in reader's token (JSON pages).
    signed_in: bool,
    path: String,
    /// The minimum ratio to the raw page, when the issue sets one.
    goal: Option<f64>,
}

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let started = Instant::now();
    let db = bench.cluster.database("bench_read").await?;
    // With an administrator: without one every page is a redirect to the first-run setup
    // page, which is what the HTML rows measured before 2026-12-03.
    let instance = Instance::spawn(
        &db,
        20,
        &[
            ("HEARTH__SETUP__ADMIN_USERNAME", "benchadmin".to_owned()),
            (
                "HEARTH__SETUP__ADMIN_PASSWORD",
                "bench-admin-password".to_owned(),
            ),
        ],
    )
    .await?;
    let pool = db.pool(CONNECTIONS as u32).await?;
    let post = seed(&pool, &instance.public_base()).await?;
    let token = signed_in_reader(&instance, &pool).await?;
    let seeded = started.elapsed();
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from post), (select count(*) from post_vote),
                (select count(*) from comment where post_id = $1)",
    )
    .bind(post)
    .fetch_one(&pool)
    .await?;

    // Warm the raw page too, then measure it at the same concurrency.
    pg::query_rate(&pool, RAW_PAGE, None, CONNECTIONS, WARMUP).await?;
    let raw = pg::query_rate(&pool, RAW_PAGE, None, CONNECTIONS, MEASURE).await?;

    let pages = [
        Page {
            name: "front page, hot",
            html: false,
            signed_in: false,
            path: "/api/v1/posts?sort=hot".into(),
            goal: Some(0.25),
        },
        Page {
            name: "front page, new",
            html: false,
            signed_in: false,
            path: "/api/v1/posts?sort=new".into(),
            goal: Some(0.25),
        },
        Page {
            name: "front page, top",
            html: false,
            signed_in: false,
            path: "/api/v1/posts?sort=top".into(),
            goal: Some(0.25),
        },
        Page {
            name: "community page (c7, hot)",
            html: false,
            signed_in: false,
            path: "/api/v1/posts?community=c7&sort=hot".into(),
            goal: None,
        },
        Page {
            name: "post page: 200 comments",
            html: false,
            signed_in: false,
            path: format!("/api/v1/posts/{post}/comments"),
            goal: None,
        },
        Page {
            name: "front page, hot, signed in",
            html: false,
            signed_in: true,
            path: "/api/v1/posts?sort=hot".into(),
            goal: None,
        },
        Page {
            name: "community page (c7, hot), signed in",
            html: false,
            signed_in: true,
            path: "/api/v1/posts?community=c7&sort=hot".into(),
            goal: None,
        },
        Page {
            name: "front page, hot",
            html: true,
            signed_in: false,
            path: "/".into(),
            goal: Some(0.15),
        },
        Page {
            name: "front page, new",
            html: true,
            signed_in: false,
            path: "/?sort=new".into(),
            goal: Some(0.15),
        },
        Page {
            name: "front page, top",
            html: true,
            signed_in: false,
            path: "/?sort=top_all".into(),
            goal: Some(0.15),
        },
        Page {
            name: "community page (c7, hot)",
            html: true,
            signed_in: false,
            path: "/c/c7".into(),
            goal: None,
        },
        Page {
            name: "post page: 200 comments",
            html: true,
            signed_in: false,
            path: format!("/post/{post}"),
            goal: None,
        },
    ];
    let mut results = measure(bench, &instance.base, &pages, &token, "").await?;
    // The same pages rendered for every request (`http.anonymous_cache_ms = 0`), for the
    // cache's share of the figures above.
    let uncached = Instance::spawn(
        &db,
        20,
        &[("HEARTH__HTTP__ANONYMOUS_CACHE_MS", "0".to_owned())],
    )
    .await?;
    results.extend(measure(bench, &uncached.base, &pages, &token, " (cache off)").await?);
    if bench.statements {
        // A community page as every signed-in reader gets it (rendered per request): the
        // statements behind its rows, after the measurement above has prepared them on every
        // pooled connection.
        for (what, path) in [
            (
                "the JSON community page without the cache",
                "/api/v1/posts?community=c7&sort=hot",
            ),
            ("the HTML community page without the cache", "/c/c7"),
        ] {
            db.reset_statements(&pool).await;
            let request = RequestSpec::get(format!("{}{path}", uncached.base));
            let one = load::run(
                bench.cluster.scratch(),
                &[request],
                CONNECTIONS,
                Mode::For {
                    warmup: Duration::ZERO,
                    measure: Duration::from_secs(1),
                },
            )
            .await?;
            db.print_statements(&pool, &format!("{what}, per request"), one.completed as f64)
                .await;
        }
    }
    uncached.stop().await?;
    if bench.statements {
        for (what, token) in [
            ("the JSON hot front page, per request", None),
            (
                "the JSON hot front page signed in, per request",
                Some(token.as_str()),
            ),
        ] {
            db.reset_statements(&pool).await;
            let hot = request(format!("{}/api/v1/posts?sort=hot", instance.base), token);
            let one = load::run(
                bench.cluster.scratch(),
                &[hot],
                CONNECTIONS,
                Mode::For {
                    warmup: Duration::ZERO,
                    measure: Duration::from_secs(1),
                },
            )
            .await?;
            db.print_statements(&pool, what, one.completed as f64).await;
        }
    }
    pool.close().await;
    instance.stop().await?;
    report(&raw, &results, &counts, seeded)
}

/// A signed-in reader who has voted on a third of the newest 6,000 posts (the front pages) and
/// of community c7's, and blocks nobody; returns their API token.
async fn signed_in_reader(instance: &Instance, pool: &PgPool) -> anyhow::Result<String> {
    let user = instance.user(READER, false).await?;
    let person: i64 = sqlx::query_scalar("select id from person where local and name = $1")
        .bind(READER)
        .fetch_one(pool)
        .await?;
    // Written directly, as the seed's votes are: the counts are not what this reader reads.
    sqlx::query(
        "insert into post_vote (post_id, person_id, score)
         select id, $1, case when id % 2 = 0 then 1 else -1 end from post
         where id % 3 = 0
           and (id > $2 - 6000 or community_id = (select id from community where local and name = 'c7'))",
    )
    .bind(person)
    .bind(POSTS)
    .execute(pool)
    .await?;
    sqlx::query("vacuum analyze post_vote")
        .execute(pool)
        .await?;
    Ok(user.token)
}

/// A GET of `url`, with `token` as the bearer when given.
fn request(url: String, token: Option<&str>) -> RequestSpec {
    let mut request = RequestSpec::get(url);
    if let Some(token) = token {
        request
            .headers
            .push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    request
}

/// Reads each page at `base` over `CONNECTIONS` connections (the signed-in ones with `token`);
/// `suffix` marks the rows.
async fn measure<'p>(
    bench: &Bench,
    base: &str,
    pages: &'p [Page],
    token: &str,
    suffix: &'static str,
) -> anyhow::Result<Vec<(&'p Page, &'static str, Summary, CpuUse)>> {
    let data_dir = bench.cluster.data_dir();
    let mut results = Vec::new();
    for page in pages {
        let request = request(
            format!("{base}{}", page.path),
            page.signed_in.then_some(token),
        );
        let meter = CpuMeter::start(&data_dir);
        let summary = load::run(
            bench.cluster.scratch(),
            &[request],
            CONNECTIONS,
            Mode::For {
                warmup: WARMUP,
                measure: MEASURE,
            },
        )
        .await?;
        anyhow::ensure!(
            summary.failed() == 0 && summary.ok() > 0,
            "{} ({}): {} failed; first: {}",
            page.name,
            page.path,
            summary.failed(),
            summary.first_failure.as_deref().unwrap_or("?")
        );
        results.push((page, suffix, summary, meter.stop(&data_dir)));
    }
    Ok(results)
}

/// The scenario's table and outcome.
fn report(
    raw: &pg::Rate,
    results: &[(&Page, &'static str, Summary, CpuUse)],
    counts: &(i64, i64, i64),
    seeded: Duration,
) -> anyhow::Result<Report> {
    let mut table = Table::new(&[
        "page",
        "format",
        "requests/s",
        "p50",
        "p99",
        "ratio to raw page",
        "goal",
        "met",
        "CPU per request: Hearth / PostgreSQL / client",
    ]);
    table.row(vec![
        "raw 20-row page (sqlx, hot index)".into(),
        "rows".into(),
        rate(raw.per_second),
        ms(raw.latencies.p50),
        ms(raw.latencies.p99),
        "1.00".into(),
        String::new(),
        String::new(),
        String::new(),
    ]);
    let mut met = true;
    let mut front_hot_json = 0.0;
    let window = (WARMUP + MEASURE).as_secs_f64();
    for (page, suffix, summary, cpu) in results {
        // Everything sent (warm-up included) over the whole run of the load generator.
        let requests = (summary.ok_rate() * window).max(1.0);
        let per = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1e6 / requests);
        let r = summary.ok_rate() / raw.per_second.max(1e-9);
        let (goal, ok) = match page.goal {
            // The goals are for the instance as it runs by default (cache on).
            _ if !suffix.is_empty() => (String::new(), None),
            Some(goal) if !page.html => {
                let ok = r >= goal && summary.p99() < Duration::from_millis(5);
                (format!("≥ {goal:.2}, p99 < 5 ms"), Some(ok))
            }
            Some(goal) => (format!("≥ {goal:.2}"), Some(r >= goal)),
            None => (String::new(), None),
        };
        if let Some(ok) = ok {
            met &= ok;
        }
        if !page.html
            && !page.signed_in
            && page.path == "/api/v1/posts?sort=hot"
            && suffix.is_empty()
        {
            front_hot_json = summary.ok_rate();
        }
        table.row(vec![
            format!("{}{suffix}", page.name),
            if page.html { "HTML" } else { "JSON" }.into(),
            rate(summary.ok_rate()),
            ms(summary.p50()),
            ms(summary.p99()),
            ratio(r),
            goal,
            ok.map_or(String::new(), |ok| if ok { "yes" } else { "no" }.into()),
            format!(
                "{} / {} / {} µs",
                per(cpu.own),
                per(cpu.postgres),
                per(summary.client_cpu())
            ),
        ]);
    }
    let outcome = Outcome {
        scenario: "read",
        value: front_hot_json.round(),
        unit: "requests/s",
        baseline: raw.per_second.round(),
        goal: 0.25,
        met,
    };
    Ok(Report::new(
        format!(
            "Reads of a large instance over {CONNECTIONS} keep-alive connections (anonymous, and two JSON pages signed in), JSON API and HTML pages."
        ),
        table,
        outcome,
    )
    .note(format!(
        "Data: {} posts in {COMMUNITIES} communities, {} votes, {} comments on the post page (50 top-level, 3 replies each); seeded in {:.1} s.",
        thousands(counts.0 as f64),
        thousands(counts.1 as f64),
        counts.2,
        seeded.as_secs_f64()
    ))
    .note(format!(
        "Each page: {} ms warm-up, then {} ms measured; the load generator runs in its own process on the same {} cores. The RESULT value is the JSON hot front page; `met` covers every front-page goal.",
        WARMUP.as_millis(),
        MEASURE.as_millis(),
        crate::machine::cores()
    )))
}
