//! What software another server runs, from its NodeInfo (`/.well-known/nodeinfo`, then the
//! 2.x document it links), fetched the first time one of its people joins a community here and
//! kept: delivery sends microblogs only top-level posts.

use crate::urls::authority;
use serde_json::Value;
use std::time::Duration;
use url::Url;

/// The largest NodeInfo document read.
const MAX_BYTES: usize = 256 * 1024;

/// Makes sure the software of `actor`'s server is recorded; a failure records it as unknown
/// (treated as Group-aware), so a server is asked once.
pub async fn ensure_known(ctx: &hearth_service::ServiceContext, actor: &Url) -> anyhow::Result<()> {
    let Some(host) = authority(actor) else {
        return Ok(());
    };
    if hearth_db::instance::software(&ctx.pool, &host)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let (software, version) = match fetch(&ctx.settings, actor).await {
        Ok(found) => found,
        Err(e) => {
            tracing::info!(host = %host, error = %e, "cannot read NodeInfo; treating the server as Group-aware");
            (None, None)
        }
    };
    hearth_db::instance::record(&ctx.pool, &host, software.as_deref(), version.as_deref()).await?;
    Ok(())
}

async fn get_json(client: &reqwest::Client, url: &Url, debug_local: bool) -> anyhow::Result<Value> {
    crate::urls::check_fetchable(url, debug_local)
        .map_err(|refused| anyhow::anyhow!("refusing to fetch {url}: {refused}"))?;
    let mut response = client
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await?
        .error_for_status()?;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        anyhow::ensure!(body.len() <= MAX_BYTES, "{url} is too large");
    }
    Ok(serde_json::from_slice(&body)?)
}

async fn fetch(
    settings: &hearth_core::Settings,
    actor: &Url,
) -> anyhow::Result<(Option<String>, Option<String>)> {
    let client = crate::http_client(settings, Duration::from_secs(10))?;
    let mut well_known = actor.clone();
    well_known.set_path("/.well-known/nodeinfo");
    well_known.set_query(None);
    well_known.set_fragment(None);
    let debug_local = settings.federation.debug_local;
    let links = get_json(&client, &well_known, debug_local).await?;
    let href = links["links"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| {
            l["rel"]
                .as_str()
                .is_some_and(|r| r.contains("nodeinfo.diaspora.software/ns/schema/2"))
        })
        .filter_map(|l| l["href"].as_str())
        .filter_map(|h| Url::parse(h).ok())
        // The document must live on the same server.
        .find(|u| authority(u) == authority(actor))
        .ok_or_else(|| anyhow::anyhow!("no NodeInfo 2.x link"))?;
    let document = get_json(&client, &href, debug_local).await?;
    let name = document["software"]["name"]
        .as_str()
        .map(|n| n.trim().to_ascii_lowercase());
    let version = document["software"]["version"].as_str().map(str::to_owned);
    Ok((name, version))
}
