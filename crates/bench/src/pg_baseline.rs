//! The `pg_baseline` scenario: what PostgreSQL itself does on this machine, straight through
//! sqlx with no Hearth code: unique-key single-row inserts of a ~2 KB JSONB document (one
//! durable commit each) at 1 and 8 connections, and 20-row pages read along the primary key at
//! 1 and 16 connections. The inbox and read goals are ratios of these.

use crate::Bench;
use crate::measure::{CpuMeter, CpuUse};
use crate::pg::{self, Rate};
use crate::report::{Outcome, Report, Table, ms, rate, thousands};
use std::time::Duration;

fn row(table: &mut Table, what: &str, connections: usize, figures: &Rate, cpu: &CpuUse) {
    let count = figures.per_second * cpu.wall.as_secs_f64();
    let per = |d: Duration| format!("{:.0} µs", d.as_secs_f64() * 1e6 / count.max(1.0));
    table.row(vec![
        what.to_owned(),
        connections.to_string(),
        rate(figures.per_second),
        ms(figures.latencies.p50),
        ms(figures.latencies.p99),
        format!("{} / {}", per(cpu.own), per(cpu.postgres)),
    ]);
}

/// Measures `f` with the CPU it used.
async fn with_cpu<F, T>(data_dir: &std::path::Path, f: F) -> anyhow::Result<(T, CpuUse)>
where
    F: std::future::Future<Output = anyhow::Result<T>>,
{
    let meter = CpuMeter::start(data_dir);
    let out = f.await?;
    Ok((out, meter.stop(data_dir)))
}

/// The scenario.
pub async fn run(bench: &Bench) -> anyhow::Result<Report> {
    let data_dir = bench.cluster.data_dir();
    let db = bench.cluster.database("bench_pg_baseline").await?;
    let pool = db.pool(16).await?;
    let seconds = Duration::from_secs(3);
    let (one, one_cpu) = with_cpu(&data_dir, pg::insert_rate(&pool, 1, seconds)).await?;
    let (eight, eight_cpu) = with_cpu(&data_dir, pg::insert_rate(&pool, 8, seconds)).await?;
    let rows: i64 = sqlx::query_scalar("select count(*) from bench_row")
        .fetch_one(&pool)
        .await?;
    sqlx::query("vacuum analyze bench_row")
        .execute(&pool)
        .await?;
    let page = "select id, key, payload from bench_row where id <= $1 order by id desc limit 20";
    let two = Duration::from_secs(2);
    let (read_one, read_one_cpu) =
        with_cpu(&data_dir, pg::query_rate(&pool, page, Some(rows), 1, two)).await?;
    let (read_many, read_many_cpu) =
        with_cpu(&data_dir, pg::query_rate(&pool, page, Some(rows), 16, two)).await?;
    let mut table = Table::new(&[
        "measurement",
        "connections",
        "rate",
        "p50",
        "p99",
        "CPU per query: client / PostgreSQL",
    ]);
    let insert = "insert 2 KB JSONB row (commit each)";
    row(&mut table, insert, 1, &one, &one_cpu);
    row(&mut table, insert, 8, &eight, &eight_cpu);
    let read = "read 20-row page by index";
    row(&mut table, read, 1, &read_one, &read_one_cpu);
    row(&mut table, read, 16, &read_many, &read_many_cpu);
    pool.close().await;
    let outcome = Outcome {
        scenario: "pg_baseline",
        value: eight.per_second.round(),
        unit: "inserts/s",
        baseline: one.per_second.round(),
        goal: 1.0,
        met: eight.per_second >= one.per_second,
    };
    Ok(Report::new(
        "Raw PostgreSQL through sqlx: durable single-row inserts and 20-row index pages.",
        table,
        outcome,
    )
    .note(format!(
        "Durable cluster (fsync on, synchronous_commit on); {} rows in the table when the pages were read.",
        thousands(rows as f64)
    ))
    .note("The RESULT value is the 8-connection insert rate, its baseline the 1-connection rate; goal: concurrency does not lower throughput (group commit)."))
}
