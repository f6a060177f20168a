//! Servers we federate with (`instance`): the software their NodeInfo names.

use sqlx::PgExecutor;

/// Software that speaks Group federation (FEP-1b12) and wants every announced activity.
pub const GROUP_AWARE: &[&str] = &[
    "lemmy",
    "mbin",
    "kbin",
    "piefed",
    "nodebb",
    "hearth",
    "friendica",
    "lotide",
    "sublinks",
    "discourse",
];

/// Microblog software: it shows a Group's Announce as a boost in home timelines, so it gets
/// top-level posts only.
pub const MICROBLOG: &[&str] = &[
    "mastodon",
    "glitch",
    "glitchsoc",
    "hometown",
    "pleroma",
    "akkoma",
    "misskey",
    "sharkey",
    "firefish",
    "iceshrimp",
    "gotosocial",
    "snac",
    "mitra",
];

/// Group-aware software that reads posts as `Page`, `Article` or `Note` only: an `Event` or a
/// `Question` from a community is dropped there (Lemmy and its family, Mbin and kbin, NodeBB,
/// Discourse), so they get such posts as a `Page` whose body says when, where and what to
/// choose.
pub const PAGE_ONLY: &[&str] = &[
    "lemmy",
    "lotide",
    "sublinks",
    "mbin",
    "kbin",
    "nodebb",
    "discourse",
];

/// The software recorded for an authority, and whether it is known at all.
pub async fn software(
    db: impl PgExecutor<'_>,
    authority: &str,
) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar!(
        "select software from instance where authority = $1",
        authority
    )
    .fetch_optional(db)
    .await
}

/// Records what an authority runs (`None` when its NodeInfo could not be read).
pub async fn record(
    db: impl PgExecutor<'_>,
    authority: &str,
    software: Option<&str>,
    version: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into instance (authority, software, version) values ($1, $2, $3)
         on conflict (authority) do update set software = excluded.software,
             version = excluded.version, fetched_at = now()",
        authority,
        software,
        version
    )
    .execute(db)
    .await?;
    Ok(())
}
