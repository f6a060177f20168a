//! Raw PostgreSQL figures straight through sqlx, the baselines of the inbox, queue and read
//! scenarios: single-row inserts of a ~2 KB JSONB document under a unique key (one commit
//! each, synchronous commit on), and 20-row page reads along an index.

use crate::measure::Latencies;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// What a timed run of queries measured.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// Queries per second over all connections.
    pub per_second: f64,
    /// Their latencies.
    pub latencies: Latencies,
}

/// Creates the insert baseline's table: a bigint key, a unique text key and a JSONB document,
/// the shape of `received_activity` plus `outbox_activity`.
pub async fn create_table(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query(
        "create table if not exists bench_row (
             id bigint generated always as identity primary key,
             key text not null unique,
             payload jsonb not null,
             created_at timestamptz not null default now())",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A JSON document of about 2 KB, shaped like an announced comment.
pub fn payload() -> Value {
    let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(12);
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": "https://lemmy.example/activities/announce/5f2c0a3e-8f5b-4f4e-9d7e-2a9e1c0b7d11",
        "type": "Announce",
        "actor": "https://hearth.example/c/gardening",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": ["https://hearth.example/c/gardening/followers"],
        "object": {
            "id": "https://lemmy.example/activities/create/2b8f0d9c-1f0e-4c7e-8a43-6f1d2e3c4b5a",
            "type": "Create",
            "actor": "https://lemmy.example/u/alice",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": ["https://hearth.example/c/gardening"],
            "object": {
                "type": "Note",
                "id": "https://lemmy.example/comment/123456",
                "attributedTo": "https://lemmy.example/u/alice",
                "inReplyTo": "https://hearth.example/post/42",
                "content": format!("<p>{text}</p>"),
                "source": {"content": text, "mediaType": "text/markdown"},
                "published": "2026-12-01T12:00:00Z"
            }
        }
    })
}

/// Runs `connections` loops of single-row inserts (one commit each) for `duration`.
pub async fn insert_rate(
    pool: &PgPool,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Rate> {
    create_table(pool).await?;
    let document = payload();
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections.max(1) {
        let pool = pool.clone();
        let document = document.clone();
        tasks.spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let key = uuid::Uuid::new_v4().to_string();
                let begun = Instant::now();
                sqlx::query("insert into bench_row (key, payload) values ($1, $2)")
                    .bind(&key)
                    .bind(&document)
                    .execute(&mut *conn)
                    .await?;
                latencies.push(begun.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    collect(tasks, started).await
}

/// Runs `connections` loops of `sql` for `duration`. When `max_id` is given, `$1` is bound to
/// a random id up to it (for a page that starts anywhere).
pub async fn query_rate(
    pool: &PgPool,
    sql: &str,
    max_id: Option<i64>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<Rate> {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections.max(1) {
        let pool = pool.clone();
        let sql = sql.to_owned();
        tasks.spawn(async move {
            let mut conn = pool.acquire().await?;
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let begun = Instant::now();
                let query = sqlx::query(&sql);
                let query = match max_id {
                    Some(max) => query.bind(rand::random_range(1..=max.max(1))),
                    None => query,
                };
                let rows = query.fetch_all(&mut *conn).await?;
                anyhow::ensure!(!rows.is_empty(), "the page query returned no rows");
                latencies.push(begun.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    collect(tasks, started).await
}

async fn collect(
    mut tasks: tokio::task::JoinSet<anyhow::Result<Vec<Duration>>>,
    started: Instant,
) -> anyhow::Result<Rate> {
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let count = all.len();
    Ok(Rate {
        per_second: count as f64 / elapsed,
        latencies: Latencies::of(&mut all),
    })
}
