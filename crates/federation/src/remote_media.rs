//! Fetching pictures and pages from elsewhere, in the background: other servers' images shown
//! here (avatars, icons, banners, post images and thumbnails) are fetched once, resized and kept
//! in the store, so readers' browsers never ask another server for anything; and link posts
//! written here get a preview (title, description, picture) from the linked page's OpenGraph
//! tags. Both go through the same SSRF-safe client and URL rule as every other fetch, with a
//! time and size limit; both queues live in PostgreSQL, so nothing is lost across a restart.

use crate::urls::check_fetchable;
use futures_util::StreamExt;
use hearth_db::media::{PendingPreview, RemoteImageRow};
use hearth_service::ServiceContext;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use url::Url;

/// Images fetched at once.
const CONCURRENCY: usize = 4;
/// Attempts before an image counts as failed (it is asked for again when shown a day later).
const ATTEMPTS: i32 = 3;
/// The most of a linked page read for its preview: the tags are in its head.
const MAX_PAGE_BYTES: usize = 512 * 1024;
/// Redirects followed, each checked like the first URL.
const MAX_REDIRECTS: usize = 3;

/// What a fetch does with an answer longer than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Oversize {
    /// Keep what fits: a page's head is all a preview needs.
    Truncate,
    /// Refuse it: a picture must be whole.
    Refuse,
}

/// Runs both queues until `stop`, woken by `pg_notify` when there is work and every few seconds
/// in any case; evicts the image cache down to its size once a minute.
pub async fn run(ctx: ServiceContext, stop: CancellationToken) {
    let timeout = Duration::from_secs(ctx.settings.media.fetch_timeout_secs);
    let client = match crate::http_client(&ctx.settings, timeout) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the media fetch client; no remote images");
            return;
        }
    };
    let mut listener = listen(&ctx).await;
    let mut poll = tokio::time::interval(Duration::from_secs(5));
    let mut evict = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = poll.tick() => {
                // A LISTEN connection lost with the database (an outage, a restart) is opened
                // again once the database answers; until then the poll does the work.
                if listener.is_none() {
                    listener = listen(&ctx).await;
                }
            }
            _ = evict.tick() => {
                if let Err(e) = hearth_service::media::evict(&ctx).await {
                    tracing::warn!(error = %e, "cannot evict cached images");
                }
            }
            notified = async {
                match listener.as_mut() {
                    Some(l) => l.recv().await.map(|_| ()),
                    None => std::future::pending().await,
                }
            } => {
                if notified.is_err() {
                    listener = None;
                }
            }
        }
        // Drain what is waiting before sleeping again.
        loop {
            let images = fetch_wanted_images(&ctx, &client).await;
            let previews = make_previews(&ctx, &client).await;
            if images + previews == 0 || stop.is_cancelled() {
                break;
            }
        }
    }
}

async fn listen(ctx: &ServiceContext) -> Option<hearth_db::listener::Listener> {
    hearth_db::listener::listen(&ctx.pool, &["hearth_remote_image", "hearth_link_preview"])
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "cannot LISTEN; media fetches poll only"))
        .ok()
}

/// Fetches a batch of wanted images; returns how many it took.
async fn fetch_wanted_images(ctx: &ServiceContext, client: &reqwest::Client) -> usize {
    let lease = i64::try_from(ctx.settings.media.fetch_timeout_secs * 3).unwrap_or(60);
    let wanted = match hearth_db::media::claim_wanted(&ctx.pool, 16, lease).await {
        Ok(wanted) => wanted,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the image queue");
            return 0;
        }
    };
    let taken = wanted.len();
    futures_util::stream::iter(wanted)
        .for_each_concurrent(CONCURRENCY, |image| async move {
            cache_image(ctx, client, image).await;
        })
        .await;
    taken
}

async fn cache_image(ctx: &ServiceContext, client: &reqwest::Client, image: RemoteImageRow) {
    let outcome = async {
        let max_bytes = usize::try_from(ctx.settings.media.max_upload_bytes).unwrap_or(usize::MAX);
        let (bytes, _) = fetch(ctx, client, &image.url, max_bytes, Oversize::Refuse).await?;
        let permit = ctx.decodes.clone().acquire_owned().await?;
        let max_px = ctx.settings.media.remote_max_px;
        let max_pixels = ctx.settings.media.max_pixels;
        let resized = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            hearth_media::pipeline::resized(bytes, max_px, max_pixels)
        })
        .await??;
        ctx.media
            .put(&format!("remote/{}", image.key), resized.bytes.clone())
            .await?;
        hearth_db::media::remote_stored(
            &ctx.pool,
            &image.key,
            resized.content_type,
            i64::try_from(resized.bytes.len()).unwrap_or(i64::MAX),
            i32::try_from(resized.width).unwrap_or(i32::MAX),
            i32::try_from(resized.height).unwrap_or(i32::MAX),
        )
        .await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(e) = outcome {
        let last = image.attempts >= ATTEMPTS;
        // A minute, then five; after the last attempt a day, when a view asks for it again.
        let retry = if last {
            86_400
        } else {
            60 * i64::from(image.attempts.max(1)).pow(2)
        };
        tracing::info!(url = %image.url, error = %format!("{e:#}"), final_attempt = last, "cannot cache a remote image");
        if let Err(e) =
            hearth_db::media::remote_failed(&ctx.pool, &image.key, &format!("{e:#}"), retry, last)
                .await
        {
            tracing::warn!(error = %e, "cannot record a failed image fetch");
        }
    }
}

/// Makes previews for a batch of link posts; returns how many it took.
async fn make_previews(ctx: &ServiceContext, client: &reqwest::Client) -> usize {
    let pending = match hearth_db::media::claim_previews(&ctx.pool, 8).await {
        Ok(pending) => pending,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the preview queue");
            return 0;
        }
    };
    let taken = pending.len();
    futures_util::stream::iter(pending)
        .for_each_concurrent(CONCURRENCY, |post| async move {
            if let Err(e) = preview(ctx, client, &post).await {
                // Claiming marked it failed already: one try per link.
                tracing::info!(post = post.post_id, url = %post.url, error = %format!("{e:#}"), "no link preview");
            }
        })
        .await;
    taken
}

async fn preview(
    ctx: &ServiceContext,
    client: &reqwest::Client,
    post: &PendingPreview,
) -> anyhow::Result<()> {
    let (body, final_url) =
        fetch(ctx, client, &post.url, MAX_PAGE_BYTES, Oversize::Truncate).await?;
    let html = String::from_utf8_lossy(&body);
    let found = hearth_media::opengraph::parse(&html, &final_url);
    let debug_local = ctx.settings.federation.debug_local;
    let image = found
        .image
        .as_ref()
        .filter(|u| u.as_str().len() <= 2000 && check_fetchable(u, debug_local).is_ok())
        .map(Url::as_str);
    let mut tx = ctx.pool.begin().await?;
    hearth_db::media::set_preview(
        &mut *tx,
        post.post_id,
        found.title.as_deref(),
        found.description.as_deref(),
        image,
    )
    .await?;
    if let Some(image) = image {
        hearth_service::media::want_remote(ctx, &mut tx, &[image])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    tx.commit().await?;
    tracing::debug!(post = post.post_id, "link preview made");
    Ok(())
}

/// GETs `url` (following a few redirects, each checked like the first) and reads at most
/// `max_bytes` of a successful answer, cutting or refusing a longer one as `oversize` says;
/// returns the body and the URL it finally came from.
async fn fetch(
    ctx: &ServiceContext,
    client: &reqwest::Client,
    url: &str,
    max_bytes: usize,
    oversize: Oversize,
) -> anyhow::Result<(Vec<u8>, Url)> {
    let debug_local = ctx.settings.federation.debug_local;
    let mut url = Url::parse(url)?;
    for _ in 0..=MAX_REDIRECTS {
        check_fetchable(&url, debug_local)
            .map_err(|refused| anyhow::anyhow!("refusing to fetch {url}: {refused}"))?;
        let response = client.get(url.clone()).send().await?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .ok_or_else(|| anyhow::anyhow!("a redirect without a location"))?;
            url = url.join(location)?;
            continue;
        }
        let mut response = response.error_for_status()?;
        if oversize == Oversize::Refuse
            && response
                .content_length()
                .is_some_and(|n| n > max_bytes as u64)
        {
            anyhow::bail!("larger than {max_bytes} bytes");
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > max_bytes {
                if oversize == Oversize::Truncate {
                    body.extend_from_slice(&chunk[..max_bytes - body.len()]);
                    break;
                }
                anyhow::bail!("larger than {max_bytes} bytes");
            }
            body.extend_from_slice(&chunk);
        }
        return Ok((body, url));
    }
    anyhow::bail!("more than {MAX_REDIRECTS} redirects")
}
