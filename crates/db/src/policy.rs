//! The federation policy: its mode, the blocked and allowed domains (local entries and those of
//! subscribed blocklists), and the subscriptions.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// The stored policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredPolicy {
    /// `open` or `allowlist`.
    pub mode: String,
    /// Bumped on every change.
    pub version: i64,
    /// Blocked domains, with the subscription they come from (`None`: entered here).
    pub blocked: Vec<(String, Option<String>)>,
    /// Allowed domains (entered here).
    pub allowed: Vec<String>,
}

/// The policy's version (cheap: processes poll it to know when to reload).
pub async fn version(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!("select version from federation_policy")
        .fetch_one(db)
        .await
}

/// The whole policy.
pub async fn load(conn: &mut PgConnection) -> sqlx::Result<StoredPolicy> {
    let head = sqlx::query!("select mode, version from federation_policy")
        .fetch_one(&mut *conn)
        .await?;
    let rows = sqlx::query!("select domain, list, source from federation_domain order by domain")
        .fetch_all(&mut *conn)
        .await?;
    let mut policy = StoredPolicy {
        mode: head.mode,
        version: head.version,
        ..StoredPolicy::default()
    };
    for row in rows {
        if row.list == "blocked" {
            policy.blocked.push((row.domain, row.source));
        } else {
            policy.allowed.push(row.domain);
        }
    }
    Ok(policy)
}

/// Replaces the mode and the local entries (subscription entries stay), bumping the version.
pub async fn replace_local(
    conn: &mut PgConnection,
    mode: &str,
    blocked: &[String],
    allowed: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "update federation_policy set mode = $1, version = version + 1",
        mode
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("delete from federation_domain where source is null")
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "insert into federation_domain (domain, list)
         select d, 'blocked' from unnest($1::text[]) as d
         union select d, 'allowed' from unnest($2::text[]) as d
         on conflict do nothing",
        blocked,
        allowed
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Adds or removes one local entry, bumping the version; true when something changed.
pub async fn set_local_entry(
    conn: &mut PgConnection,
    domain: &str,
    list: &str,
    present: bool,
) -> sqlx::Result<bool> {
    let changed = if present {
        sqlx::query!(
            "insert into federation_domain (domain, list) values ($1, $2) on conflict do nothing",
            domain,
            list
        )
        .execute(&mut *conn)
        .await?
        .rows_affected()
    } else {
        sqlx::query!(
            "delete from federation_domain where domain = $1 and list = $2 and source is null",
            domain,
            list
        )
        .execute(&mut *conn)
        .await?
        .rows_affected()
    };
    if changed > 0 {
        bump(conn).await?;
    }
    Ok(changed > 0)
}

async fn bump(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("update federation_policy set version = version + 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A blocklist subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Where the list is.
    pub url: String,
    /// When it was last fetched.
    pub last_fetched_at: Option<DateTime<Utc>>,
    /// Why the last fetch failed.
    pub last_error: Option<String>,
    /// Domains it blocks.
    pub domain_count: i32,
}

/// The subscriptions.
pub async fn subscriptions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as!(
        Subscription,
        "select url, last_fetched_at, last_error, domain_count from blocklist_subscription order by url"
    )
    .fetch_all(db)
    .await
}

/// Replaces the set of subscriptions (entries of dropped ones go too), bumping the version.
pub async fn replace_subscriptions(conn: &mut PgConnection, urls: &[String]) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from blocklist_subscription where not (url = any($1))",
        urls
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "delete from federation_domain where source is not null and not (source = any($1))",
        urls
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into blocklist_subscription (url) select unnest($1::text[]) on conflict do nothing",
        urls
    )
    .execute(&mut *conn)
    .await?;
    bump(conn).await
}

/// Subscriptions not fetched for `max_age_secs` (or never).
pub async fn due_subscriptions(
    db: impl PgExecutor<'_>,
    max_age_secs: f64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "select url from blocklist_subscription
         where last_fetched_at is null or last_fetched_at < now() - make_interval(secs => $1)",
        max_age_secs
    )
    .fetch_all(db)
    .await
}

/// Replaces a subscription's entries with a freshly fetched list, bumping the version.
pub async fn store_subscription(
    conn: &mut PgConnection,
    url: &str,
    domains: &[String],
) -> sqlx::Result<()> {
    sqlx::query!("delete from federation_domain where source = $1", url)
        .execute(&mut *conn)
        .await?;
    sqlx::query!(
        "insert into federation_domain (domain, list, source)
         select distinct d, 'blocked', $1 from unnest($2::text[]) as d
         on conflict do nothing",
        url,
        domains
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update blocklist_subscription set last_fetched_at = now(), last_error = null,
                domain_count = $2
         where url = $1",
        url,
        i32::try_from(domains.len()).unwrap_or(i32::MAX)
    )
    .execute(&mut *conn)
    .await?;
    bump(conn).await
}

/// Records a failed fetch (the entries already held stay in force).
pub async fn subscription_failed(
    db: impl PgExecutor<'_>,
    url: &str,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update blocklist_subscription set last_fetched_at = now(), last_error = $2 where url = $1",
        url,
        error
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Drops the pending deliveries to authorities the policy refuses: they are kept, marked
/// `dropped`, and counted.
pub async fn drop_deliveries(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "update delivery set state = 'dropped', finished_at = now(), leased_until = null,
                last_error = 'the destination is blocked by this instance''s federation policy'
         where id = any($1) and state = 'pending'",
        ids
    )
    .execute(db)
    .await?
    .rows_affected())
}
