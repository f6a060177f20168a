//! Pictures as use cases: an upload (checked, re-encoded, stored once per content), deleting
//! one's upload, an admin's purge and prune, the storage figures, the rule every picture slot a
//! local person fills obeys (an upload of this server), and where a page finds an image slot's
//! picture (ours, or the cached copy of another server's: never its home).

use crate::ServiceContext;
use crate::auth::Viewer;
use crate::rate_limit::{self, Action};
use hearth_core::{Error, ErrorKind, Result};
use hearth_db::media::{MediaRow, UploadRow};
use hearth_media::{Limits, Processed, Refusal};
use std::path::Path;

/// An accepted upload, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    /// The upload's id (for deleting it).
    pub id: i64,
    /// The file's content hash.
    pub hash: String,
    /// Its public URL: what goes into a post, a profile or a community.
    pub url: String,
    /// Its thumbnail's URL.
    pub thumbnail_url: String,
    /// Media type.
    pub content_type: String,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Size in bytes.
    pub byte_size: i64,
    /// When it was uploaded.
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
}

/// The object keys of a file's three parts.
fn keys(hash: &str) -> [String; 3] {
    [
        hash.to_owned(),
        format!("{hash}.thumbnail"),
        format!("{hash}.blurred"),
    ]
}

/// `https://host/media/`: the start of every URL of a file uploaded here.
pub fn local_prefix(ctx: &ServiceContext) -> String {
    format!("{}/media/", ctx.settings.public_base_url())
}

/// The public URL of an uploaded file.
pub fn file_url(ctx: &ServiceContext, hash: &str, content_type: &str) -> String {
    format!(
        "{}{hash}.{}",
        local_prefix(ctx),
        hearth_media::pipeline::extension_of(content_type)
    )
}

/// The content hash in a URL of a file uploaded here (`<base>/media/<hash>.<ext>`), if it is one.
pub fn local_hash<'u>(ctx: &ServiceContext, url: &'u str) -> Option<&'u str> {
    let rest = url.strip_prefix(&local_prefix(ctx))?;
    let hash = rest.split(['.', '/', '?', '#']).next()?;
    (hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then_some(hash)
}

/// Where a page loads the picture of an image slot from: our own path for files uploaded here,
/// the cached copy (`/media/remote/<key>`) for other servers' pictures, so a reader's browser
/// never asks another server for anything.
pub fn image_src(ctx: &ServiceContext, url: &str) -> String {
    match local_hash(ctx, url) {
        Some(hash) => format!("/media/{hash}"),
        None => format!("/media/remote/{}", hearth_db::media::url_key(url)),
    }
}

/// Where a page loads a slot's thumbnail from (the cached copy of another server's picture is
/// already small).
pub fn thumbnail_src(ctx: &ServiceContext, url: &str) -> String {
    match local_hash(ctx, url) {
        Some(hash) => format!("/media/{hash}.thumbnail"),
        None => format!("/media/remote/{}", hearth_db::media::url_key(url)),
    }
}

/// Where a page loads a slot's blurred placeholder from (for NSFW pictures); `None` for other
/// servers' pictures, which have none (the page shows a plain box instead).
pub fn blurred_src(ctx: &ServiceContext, url: &str) -> Option<String> {
    local_hash(ctx, url).map(|hash| format!("/media/{hash}.blurred"))
}

/// Where a full-size picture is linked to: ours, the cached copy (`media.remote_full_size =
/// "proxy"`), or its home (`"link"`: the reader's browser goes there only on a click).
pub fn full_size_href(ctx: &ServiceContext, url: &str) -> String {
    if local_hash(ctx, url).is_some()
        || ctx.settings.media.remote_full_size == hearth_core::settings::RemoteFullSize::Proxy
    {
        image_src(ctx, url)
    } else {
        url.to_owned()
    }
}

/// Checks a picture URL a local person puts in an image slot (`field` names it in errors): it
/// must be a picture uploaded here. Returns the stored file. Pictures of other servers are not
/// accepted from our own people: every page would have to fetch them, and nobody here vouched
/// for them.
pub async fn uploaded_picture(
    ctx: &ServiceContext,
    url: &str,
    field: &str,
) -> Result<hearth_db::media::MediaRow> {
    let not_here =
        || Error::validation(field, "must be a picture uploaded here: POST /api/v1/media");
    let hash = local_hash(ctx, url.trim()).ok_or_else(not_here)?;
    hearth_db::media::file(&ctx.pool, hash)
        .await?
        .ok_or_else(not_here)
}

/// A picture slot's new value as a local person gives it (`None` leaves it, `Some(None)` or an
/// empty URL empties it), checked with `uploaded_picture`.
pub async fn picture_change(
    ctx: &ServiceContext,
    change: Option<Option<String>>,
    field: &str,
) -> Result<Option<Option<String>>> {
    match change {
        None => Ok(None),
        Some(Some(url)) if !url.trim().is_empty() => {
            let file = uploaded_picture(ctx, &url, field).await?;
            Ok(Some(Some(file_url(ctx, &file.hash, &file.content_type))))
        }
        Some(_) => Ok(Some(None)),
    }
}

fn limits(ctx: &ServiceContext) -> Limits {
    let media = &ctx.settings.media;
    Limits {
        max_bytes: media.max_upload_bytes,
        max_pixels: media.max_pixels,
        thumbnail_px: media.thumbnail_px,
    }
}

fn refusal(refusal: Refusal) -> Error {
    match refusal {
        Refusal::TooLarge { .. } => Error::new(ErrorKind::PayloadTooLarge),
        Refusal::TooManyPixels { .. } => Error::new(ErrorKind::Unprocessable {
            code: "image_too_large",
            message: format!("{refusal}."),
        }),
        Refusal::NotAnImage => Error::new(ErrorKind::Unprocessable {
            code: "unsupported_image",
            message: "The file is not a JPEG, PNG, WebP or GIF image (SVG is not accepted)."
                .to_owned(),
        }),
        Refusal::Corrupt(why) => Error::new(ErrorKind::Unprocessable {
            code: "unreadable_image",
            message: format!("The image could not be read: {why}."),
        }),
    }
}

fn store_failed(e: hearth_media::StoreError) -> Error {
    tracing::error!(error = %e, "media store");
    Error::new(ErrorKind::Unavailable(
        "The picture store is not available right now.".to_owned(),
    ))
}

/// Accepts an upload the HTTP layer has streamed to `file` (within `media.max_upload_bytes`):
/// checks and re-encodes it with at most `media.max_concurrent_decodes` decodes at once, stores
/// its three parts under its content hash (once, whoever uploads it again), and records it as
/// the viewer's.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn upload(ctx: &ServiceContext, viewer: &Viewer, file: &Path) -> Result<Uploaded> {
    rate_limit::check(ctx, Action::Upload, &viewer.person_id.to_string()).await?;
    let size = tokio::fs::metadata(file).await.map_err(internal)?.len();
    if size > ctx.settings.media.max_upload_bytes {
        return Err(Error::new(ErrorKind::PayloadTooLarge));
    }
    // The permit bounds the memory of decoding (width × height × 4 bytes each): the file is read
    // only once it is this upload's turn.
    let permit = ctx
        .decodes
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::new(ErrorKind::Unavailable("Shutting down.".to_owned())))?;
    let bytes = tokio::fs::read(file).await.map_err(internal)?;
    let limits = limits(ctx);
    let processed = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hearth_media::pipeline::process(bytes, &limits)
    })
    .await
    .map_err(internal)?
    .map_err(refusal)?;
    store(ctx, viewer.person_id, processed).await
}

async fn store(ctx: &ServiceContext, uploader: i64, processed: Processed) -> Result<Uploaded> {
    let Processed {
        original,
        thumbnail,
        blurred,
        animated,
    } = processed;
    let hash = hearth_media::content_hash(&original.bytes);
    let row = MediaRow {
        hash: hash.clone(),
        content_type: original.content_type.to_owned(),
        byte_size: len(&original.bytes),
        width: dimension(original.width),
        height: dimension(original.height),
        animated,
        thumbnail_type: thumbnail.content_type.to_owned(),
        thumbnail_size: len(&thumbnail.bytes),
        blurred_size: len(&blurred.bytes),
        created_at: chrono::Utc::now(),
    };
    // The rows first, the files while their transaction is open: a prune that removes this
    // hash at the same moment either commits first (then this insert makes a new row and the
    // files are written after) or waits for this commit and then sees a young upload.
    let mut tx = ctx.pool.begin().await?;
    hearth_db::media::insert_file(&mut *tx, &row).await?;
    let upload = hearth_db::media::record_upload(&mut *tx, uploader, &hash).await?;
    let [original_key, thumbnail_key, blurred_key] = keys(&hash);
    for (key, bytes) in [
        (original_key, original.bytes),
        (thumbnail_key, thumbnail.bytes),
        (blurred_key, blurred.bytes),
    ] {
        ctx.media.put(&key, bytes).await.map_err(store_failed)?;
    }
    tx.commit().await?;
    tracing::info!(hash = %hash, upload = upload.id, "picture uploaded");
    Ok(uploaded(ctx, &upload, &row))
}

fn uploaded(ctx: &ServiceContext, upload: &UploadRow, file: &MediaRow) -> Uploaded {
    Uploaded {
        id: upload.id,
        hash: file.hash.clone(),
        url: file_url(ctx, &file.hash, &file.content_type),
        thumbnail_url: format!("{}{}.thumbnail", local_prefix(ctx), file.hash),
        content_type: file.content_type.clone(),
        width: file.width,
        height: file.height,
        byte_size: file.byte_size,
        uploaded_at: upload.created_at,
    }
}

fn len(bytes: &[u8]) -> i64 {
    i64::try_from(bytes.len()).unwrap_or(i64::MAX)
}

fn dimension(px: u32) -> i32 {
    i32::try_from(px).unwrap_or(i32::MAX)
}

fn internal(e: impl std::fmt::Display) -> Error {
    tracing::error!(error = %e, "upload");
    Error::new(ErrorKind::Internal)
}

/// The viewer's uploads, newest first.
pub async fn my_uploads(ctx: &ServiceContext, viewer: &Viewer) -> Result<Vec<Uploaded>> {
    let uploads = hearth_db::media::uploads_of(&ctx.pool, viewer.person_id, 200).await?;
    let mut out = Vec::with_capacity(uploads.len());
    for upload in uploads {
        if let Some(file) = hearth_db::media::file(&ctx.pool, &upload.hash).await? {
            out.push(uploaded(ctx, &upload, &file));
        }
    }
    Ok(out)
}

/// Deletes an upload (its uploader or an admin): the uploader's own avatar, banner and post
/// images that show it are emptied, and the files are removed unless something else (another
/// person's upload of the same picture, a community's icon, a text) still shows them.
pub async fn delete_upload(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<()> {
    let upload = hearth_db::media::upload(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no upload with this id."))?;
    if upload.uploader_id != viewer.person_id && !viewer.admin {
        return Err(Error::forbidden(
            "not_uploader",
            "Only the person who uploaded a picture (or an admin) can delete it.",
        ));
    }
    if upload.uploader_id != viewer.person_id {
        crate::require_staff_second_factor(viewer)?;
    }
    let prefix = local_prefix(ctx);
    let mut tx = ctx.pool.begin().await?;
    hearth_db::media::delete_upload(&mut *tx, id).await?;
    hearth_db::media::clear_own_slots(
        &mut *tx,
        upload.uploader_id,
        &format!("{prefix}{}", upload.hash),
    )
    .await?;
    let in_use = hearth_db::media::file_in_use(&mut *tx, &upload.hash, &prefix).await?;
    if !in_use {
        remove_files(ctx, &mut tx, std::slice::from_ref(&upload.hash)).await?;
    }
    tx.commit().await?;
    tracing::info!(upload = id, hash = %upload.hash, removed = !in_use, "upload deleted");
    Ok(())
}

/// Removes file rows and then their files, inside the caller's transaction (see `store`).
async fn remove_files(
    ctx: &ServiceContext,
    tx: &mut sqlx::PgConnection,
    hashes: &[String],
) -> Result<()> {
    hearth_db::media::delete_files(&mut *tx, hashes).await?;
    for hash in hashes {
        for key in keys(hash) {
            ctx.media.delete(&key).await.map_err(store_failed)?;
        }
    }
    Ok(())
}

/// What a prune removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pruned {
    /// Files no row used any more.
    pub files: u64,
    /// Files in the store the database did not know (left by a crash between the two).
    pub orphans: u64,
    /// Cached images of other servers evicted to keep the cache within its size.
    pub evicted: u64,
}

/// Removes files nothing uses (older than `grace_secs`, by default
/// `media.unattached_grace_secs`), files the database does not know, and evicts the remote
/// image cache down to `media.remote_cache_bytes`.
pub async fn prune(ctx: &ServiceContext, grace_secs: Option<u64>) -> Result<Pruned> {
    let grace = grace_secs.unwrap_or(ctx.settings.media.unattached_grace_secs);
    let grace = i64::try_from(grace).unwrap_or(i64::MAX);
    let prefix = local_prefix(ctx);
    let mut pruned = Pruned::default();
    loop {
        let mut tx = ctx.pool.begin().await?;
        let unused = hearth_db::media::unused_files(&mut *tx, &prefix, grace, 500).await?;
        if unused.is_empty() {
            break;
        }
        remove_files(ctx, &mut tx, &unused).await?;
        tx.commit().await?;
        pruned.files += unused.len() as u64;
    }
    pruned.evicted = evict(ctx).await?;
    pruned.orphans = remove_orphans(ctx, grace).await?;
    Ok(pruned)
}

/// Evicts the least recently shown cached images past `media.remote_cache_bytes`.
pub async fn evict(ctx: &ServiceContext) -> Result<u64> {
    let max = i64::try_from(ctx.settings.media.remote_cache_bytes).unwrap_or(i64::MAX);
    let mut tx = ctx.pool.begin().await?;
    let keys = hearth_db::media::evict_remote(&mut *tx, max).await?;
    for key in &keys {
        ctx.media
            .delete(&format!("remote/{key}"))
            .await
            .map_err(store_failed)?;
    }
    tx.commit().await?;
    Ok(keys.len() as u64)
}

/// Files in the store that no row names (a crash between writing a file and committing its
/// row): removed once older than the grace, so an upload in progress is never touched.
async fn remove_orphans(ctx: &ServiceContext, grace_secs: i64) -> Result<u64> {
    let listed = ctx.media.list_with_age().await.map_err(store_failed)?;
    let mut removed = 0;
    for (key, age_secs) in listed {
        if age_secs < grace_secs {
            continue;
        }
        let known = match key.strip_prefix("remote/") {
            Some(remote_key) => hearth_db::media::remote(&ctx.pool, remote_key)
                .await?
                .is_some_and(|r| r.state == "stored"),
            None => {
                let hash = key.split('.').next().unwrap_or_default();
                hearth_db::media::file(&ctx.pool, hash).await?.is_some()
            }
        };
        if !known {
            ctx.media.delete(&key).await.map_err(store_failed)?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Purged {
    /// Image slots emptied (avatars, icons, banners, post images and thumbnails).
    pub slots: u64,
    /// Whether a file (or a cached copy) was removed.
    pub removed: bool,
}

/// Purges a picture everywhere (an admin): given its hash or a URL (ours or another server's),
/// every slot showing it is emptied and its files (or cached copy) are removed.
pub async fn purge(ctx: &ServiceContext, target: &str) -> Result<Purged> {
    let target = target.trim();
    let hash = if target.len() == 64 && target.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(target.to_ascii_lowercase())
    } else {
        local_hash(ctx, target).map(str::to_owned)
    };
    let mut tx = ctx.pool.begin().await?;
    let mut purged = Purged::default();
    match hash {
        Some(hash) => {
            let file = hearth_db::media::file(&mut *tx, &hash).await?;
            let extensions = ["jpg", "png", "gif", "webp"];
            for ext in extensions {
                purged.slots += hearth_db::media::clear_slots(
                    &mut *tx,
                    &format!("{}{hash}.{ext}", local_prefix(ctx)),
                )
                .await?;
            }
            purged.slots += hearth_db::media::clear_slots(
                &mut *tx,
                &format!("{}{hash}.thumbnail", local_prefix(ctx)),
            )
            .await?;
            if file.is_some() {
                remove_files(ctx, &mut tx, std::slice::from_ref(&hash)).await?;
                purged.removed = true;
            }
        }
        None => {
            if url::Url::parse(target).is_err() {
                return Err(Error::validation(
                    "target",
                    "must be a picture's URL or its 64-digit hash",
                ));
            }
            purged.slots = hearth_db::media::clear_slots(&mut *tx, target).await?;
            let key = hearth_db::media::url_key(target);
            purged.removed = hearth_db::media::forget_remote(&mut *tx, &key).await?;
            ctx.media
                .delete(&format!("remote/{key}"))
                .await
                .map_err(store_failed)?;
        }
    }
    tx.commit().await?;
    tracing::info!(
        target,
        slots = purged.slots,
        removed = purged.removed,
        "picture purged"
    );
    Ok(purged)
}

/// Purges a picture everywhere, as an admin asks for it (see `purge`).
pub async fn purge_as_admin(ctx: &ServiceContext, viewer: &Viewer, target: &str) -> Result<Purged> {
    crate::require_admin(viewer)?;
    purge(ctx, target).await
}

/// How much the store holds, for an admin.
pub async fn usage_for_admin(
    ctx: &ServiceContext,
    viewer: &Viewer,
) -> Result<hearth_db::media::Usage> {
    crate::require_admin(viewer)?;
    usage(ctx).await
}

/// How much the store holds.
pub async fn usage(ctx: &ServiceContext) -> Result<hearth_db::media::Usage> {
    Ok(hearth_db::media::usage(&ctx.pool).await?)
}

/// The pictures among `urls` that live on other servers (http(s), not uploads here): what the
/// cache fetches.
pub fn remote_urls<'u>(
    ctx: &ServiceContext,
    urls: impl IntoIterator<Item = &'u str>,
) -> Vec<String> {
    urls.into_iter()
        .filter(|u| local_hash(ctx, u).is_none())
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_owned)
        .collect()
}

/// Records the other servers' pictures among `urls` for the cache to fetch: called wherever a
/// remote object's image slots are stored.
pub async fn want_remote(
    ctx: &ServiceContext,
    db: &mut sqlx::PgConnection,
    urls: &[&str],
) -> Result<()> {
    let remote = remote_urls(ctx, urls.iter().copied());
    hearth_db::media::want_remote(&mut *db, &remote).await?;
    Ok(())
}

/// Writes an upload's body to a temporary file as it arrives (never all of it in memory),
/// stopping with 413 as soon as it passes `media.max_upload_bytes`. The file is removed when the
/// returned path is dropped. The HTTP layers (API and pages) call it with a multipart field.
pub async fn spool<S, E>(ctx: &ServiceContext, mut body: S) -> Result<tempfile::TempPath>
where
    S: futures_util::Stream<Item = std::result::Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let dir = ctx.settings.data_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
    let path = tempfile::Builder::new()
        .prefix("upload-")
        .tempfile_in(&dir)
        .map_err(internal)?
        .into_temp_path();
    let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
    let max = ctx.settings.media.max_upload_bytes;
    let mut written: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Error::new(ErrorKind::BadRequest {
                code: "malformed_upload",
                message: format!("The upload could not be read: {e}."),
            })
        })?;
        written += chunk.len() as u64;
        if written > max {
            return Err(Error::new(ErrorKind::PayloadTooLarge));
        }
        file.write_all(&chunk).await.map_err(internal)?;
    }
    file.flush().await.map_err(internal)?;
    if written == 0 {
        return Err(Error::validation("file", "is empty"));
    }
    Ok(path)
}
