//! Subscribed blocklists: each URL (a plain list of domains, or Mastodon's CSV export) is
//! fetched when new and again every `federation.blocklist_refresh_secs`, and its domains
//! replace the ones it gave before. A list that cannot be fetched keeps its old entries.

use hearth_core::Settings;
use sqlx::PgPool;
use std::time::Duration;
use url::Url;

/// The largest blocklist read.
const MAX_LIST_BYTES: usize = 4 * 1024 * 1024;

/// Fetches every subscription that is due; returns how many were refreshed.
pub async fn refresh_due(pool: &PgPool, settings: &Settings) -> anyhow::Result<usize> {
    let due = hearth_db::policy::due_subscriptions(
        pool,
        settings.federation.blocklist_refresh_secs as f64,
    )
    .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let client = crate::http_client(settings, Duration::from_secs(30))?;
    let mut refreshed = 0;
    for url in due {
        match fetch(&client, &url, settings.federation.debug_local).await {
            Ok(domains) => {
                let mut tx = pool.begin().await?;
                hearth_db::policy::store_subscription(&mut tx, &url, &domains).await?;
                tx.commit().await?;
                tracing::info!(url = %url, domains = domains.len(), "blocklist refreshed");
                refreshed += 1;
            }
            Err(e) => {
                tracing::warn!(url = %url, error = %e, "cannot fetch a blocklist; keeping its entries");
                hearth_db::policy::subscription_failed(pool, &url, &format!("{e:#}")).await?;
            }
        }
    }
    Ok(refreshed)
}

/// Fetches one list; a URL that may not be fetched (an internal address without
/// `federation.debug_local`) is an error recorded on the subscription, and no request is made.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    debug_local: bool,
) -> anyhow::Result<Vec<String>> {
    let url = Url::parse(url)?;
    crate::urls::check_fetchable(&url, debug_local)
        .map_err(|refused| anyhow::anyhow!("refusing to fetch {url}: {refused}"))?;
    let mut response = client.get(url).send().await?.error_for_status()?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        anyhow::ensure!(
            body.len() <= MAX_LIST_BYTES,
            "the list is larger than 4 MiB"
        );
    }
    Ok(hearth_service::policy::parse_blocklist(
        &String::from_utf8_lossy(&body),
    ))
}
