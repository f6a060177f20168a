//! Pictures (`media`, `upload`, `remote_image`, `post_image` and the image slots of people,
//! communities and posts): which files exist, who uploaded them, which are still shown, and the
//! cache of other servers' images. The files themselves live in `hearth_media::MediaStore`.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A stored upload file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRow {
    /// SHA-256 of the stored bytes.
    pub hash: String,
    /// Media type of the original.
    pub content_type: String,
    /// Size of the original in bytes.
    pub byte_size: i64,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// Whether it moves.
    pub animated: bool,
    /// Media type of the thumbnail.
    pub thumbnail_type: String,
    /// Size of the thumbnail in bytes.
    pub thumbnail_size: i64,
    /// Size of the blurred placeholder in bytes.
    pub blurred_size: i64,
    /// When it was first stored.
    pub created_at: DateTime<Utc>,
}

/// Records a stored file; false when it was already there (the same picture uploaded again).
pub async fn insert_file(db: impl PgExecutor<'_>, file: &MediaRow) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into media (hash, content_type, byte_size, width, height, animated,
                            thumbnail_type, thumbnail_size, blurred_size)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (hash) do nothing",
        file.hash,
        file.content_type,
        file.byte_size,
        file.width,
        file.height,
        file.animated,
        file.thumbnail_type,
        file.thumbnail_size,
        file.blurred_size,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One stored file.
pub async fn file(db: impl PgExecutor<'_>, hash: &str) -> sqlx::Result<Option<MediaRow>> {
    sqlx::query_as!(
        MediaRow,
        "select hash, content_type, byte_size, width, height, animated, thumbnail_type,
                thumbnail_size, blurred_size, created_at
         from media where hash = $1",
        hash
    )
    .fetch_optional(db)
    .await
}

/// One person's upload of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// The upload's id.
    pub id: i64,
    /// Who uploaded it.
    pub uploader_id: i64,
    /// The file.
    pub hash: String,
    /// When (the last time this person uploaded this file).
    pub created_at: DateTime<Utc>,
}

/// Records that `uploader_id` uploaded the file `hash` (again: the time is renewed).
pub async fn record_upload(
    db: impl PgExecutor<'_>,
    uploader_id: i64,
    hash: &str,
) -> sqlx::Result<UploadRow> {
    sqlx::query_as!(
        UploadRow,
        "insert into upload (uploader_id, hash) values ($1, $2)
         on conflict (uploader_id, hash) do update set created_at = now()
         returning id, uploader_id, hash, created_at",
        uploader_id,
        hash
    )
    .fetch_one(db)
    .await
}

/// One upload.
pub async fn upload(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<UploadRow>> {
    sqlx::query_as!(
        UploadRow,
        "select id, uploader_id, hash, created_at from upload where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// A person's uploads, newest first.
pub async fn uploads_of(
    db: impl PgExecutor<'_>,
    uploader_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<UploadRow>> {
    sqlx::query_as!(
        UploadRow,
        "select id, uploader_id, hash, created_at from upload where uploader_id = $1
         order by created_at desc, id desc limit $2",
        uploader_id,
        limit
    )
    .fetch_all(db)
    .await
}

/// Forgets one upload (the file stays while something else uses it).
pub async fn delete_upload(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!("delete from upload where id = $1", id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Empties every image slot that shows `url`, of anyone: what purging a picture does to the
/// rows. Returns how many slots were emptied.
pub async fn clear_slots(db: impl PgExecutor<'_>, url: &str) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "with people as (
             update person set
                 avatar_url = case when avatar_url = $1 then null else avatar_url end,
                 banner_url = case when banner_url = $1 then null else banner_url end
             where avatar_url = $1 or banner_url = $1 returning 1
         ), communities as (
             update community set
                 icon_url = case when icon_url = $1 then null else icon_url end,
                 banner_url = case when banner_url = $1 then null else banner_url end
             where icon_url = $1 or banner_url = $1 returning 1
         ), posts as (
             update post set
                 url = case when url = $1 then null else url end,
                 thumbnail_url = case when thumbnail_url = $1 then null else thumbnail_url end
             where url = $1 or thumbnail_url = $1 returning 1
         ), images as (
             delete from post_image where url = $1 returning 1
         )
         select (select count(*) from people) + (select count(*) from communities)
              + (select count(*) from posts) + (select count(*) from images) as \"n!\"",
        url
    )
    .fetch_one(db)
    .await?;
    Ok(u64::try_from(done.n).unwrap_or(0))
}

/// Empties the slots of one person's own rows (their avatar and banner, their posts' images)
/// that show a picture whose URL starts with `url_prefix`: what deleting one's upload does.
pub async fn clear_own_slots(
    db: impl PgExecutor<'_>,
    person_id: i64,
    url_prefix: &str,
) -> sqlx::Result<()> {
    let pattern = format!("{}%", like_escape(url_prefix));
    sqlx::query!(
        "with people as (
             update person set
                 avatar_url = case when avatar_url like $2 then null else avatar_url end,
                 banner_url = case when banner_url like $2 then null else banner_url end
             where id = $1 and (avatar_url like $2 or banner_url like $2) returning 1
         ), posts as (
             update post set
                 url = case when url like $2 then null else url end,
                 thumbnail_url = case when thumbnail_url like $2 then null else thumbnail_url end
             where author_id = $1 and (url like $2 or thumbnail_url like $2) returning 1
         ), images as (
             delete from post_image where url like $2
                 and post_id in (select id from post where author_id = $1) returning 1
         )
         select (select count(*) from people) + (select count(*) from posts)
              + (select count(*) from images) as n",
        person_id,
        pattern
    )
    .fetch_one(db)
    .await?;
    Ok(())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Files nothing uses: no image slot of a live row and no post or comment text shows them
/// (`/media/<hash>` in a URL under `local_media_prefix`, e.g. `https://hearth.example/media/`),
/// and no upload of them is younger than `grace_secs`. Deleted posts do not count. One pass over
/// each table, so it is meant for the occasional prune, not for every request.
pub async fn unused_files(
    db: impl PgExecutor<'_>,
    local_media_prefix: &str,
    grace_secs: i64,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    let pattern = format!("{}%", like_escape(local_media_prefix));
    sqlx::query_scalar!(
        r#"with slot (url) as (
               select avatar_url from person where avatar_url like $1
               union all select banner_url from person where banner_url like $1
               union all select icon_url from community where icon_url like $1
               union all select banner_url from community where banner_url like $1
               union all select url from post where url like $1 and not deleted
               union all select thumbnail_url from post where thumbnail_url like $1 and not deleted
               union all select i.url from post_image i join post p on p.id = i.post_id
                   where i.url like $1 and not p.deleted
           ), used (hash) as (
               select substring(url from '/media/([0-9a-f]{64})') from slot
               union
               select (regexp_matches(body, '/media/([0-9a-f]{64})', 'g'))[1]
                   from post where body like '%/media/%' and not deleted
               union
               select (regexp_matches(body, '/media/([0-9a-f]{64})', 'g'))[1]
                   from comment where body like '%/media/%' and not deleted
               union
               select hash from upload
                   where created_at > now() - make_interval(secs => $2::bigint::double precision)
           )
           select m.hash as "hash!" from media m
           where m.created_at <= now() - make_interval(secs => $2::bigint::double precision)
             and not exists (select 1 from used where used.hash = m.hash)
           order by m.created_at
           limit $3"#,
        pattern,
        grace_secs,
        limit
    )
    .fetch_all(db)
    .await
}

/// Whether anything but `except_upload` still uses the file `hash` (another upload of it, a
/// slot, a text): deleting an upload removes the file only when nothing does.
pub async fn file_in_use(
    db: impl PgExecutor<'_>,
    hash: &str,
    local_media_prefix: &str,
) -> sqlx::Result<bool> {
    let url = format!("{}{}%", like_escape(local_media_prefix), hash);
    let text = format!("%/media/{hash}%");
    sqlx::query_scalar!(
        r#"select exists (select 1 from upload where hash = $1)
               or exists (select 1 from person where avatar_url like $2 or banner_url like $2)
               or exists (select 1 from community where icon_url like $2 or banner_url like $2)
               or exists (select 1 from post where (url like $2 or thumbnail_url like $2
                                                    or body like $3) and not deleted)
               or exists (select 1 from post_image i join post p on p.id = i.post_id
                          where i.url like $2 and not p.deleted)
               or exists (select 1 from comment where body like $3 and not deleted) as "used!""#,
        hash,
        url,
        text
    )
    .fetch_one(db)
    .await
}

/// Removes the rows of files (their uploads go with them); the caller removes the files.
pub async fn delete_files(db: impl PgExecutor<'_>, hashes: &[String]) -> sqlx::Result<u64> {
    let done = sqlx::query!("delete from media where hash = any($1)", hashes)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// How much the store holds, as the database knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Upload files.
    pub files: i64,
    /// Their bytes (originals, thumbnails and placeholders).
    pub file_bytes: i64,
    /// Uploads (one file may have several).
    pub uploads: i64,
    /// Cached images of other servers.
    pub remote_images: i64,
    /// Their bytes.
    pub remote_bytes: i64,
}

/// How much the store holds.
pub async fn usage(db: impl PgExecutor<'_>) -> sqlx::Result<Usage> {
    let row = sqlx::query!(
        r#"select (select count(*) from media) as "files!",
                  (select coalesce(sum(byte_size + thumbnail_size + blurred_size), 0)::bigint
                     from media) as "file_bytes!",
                  (select count(*) from upload) as "uploads!",
                  (select count(*) from remote_image where state = 'stored') as "remote_images!",
                  (select coalesce(sum(byte_size), 0)::bigint from remote_image
                     where state = 'stored') as "remote_bytes!""#
    )
    .fetch_one(db)
    .await?;
    Ok(Usage {
        files: row.files,
        file_bytes: row.file_bytes,
        uploads: row.uploads,
        remote_images: row.remote_images,
        remote_bytes: row.remote_bytes,
    })
}

/// One image of another server, as the cache knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteImageRow {
    /// SHA-256 of the URL: the key it is stored and served under.
    pub key: String,
    /// Where it lives.
    pub url: String,
    /// `wanted`, `stored` or `failed`.
    pub state: String,
    /// Media type of the stored copy.
    pub content_type: Option<String>,
    /// Size of the stored copy.
    pub byte_size: i64,
    /// Fetch attempts so far.
    pub attempts: i32,
    /// When it was last shown.
    pub last_used_at: DateTime<Utc>,
}

/// Asks for other servers' images to be fetched into the cache (those already known are left
/// as they are), and wakes the fetcher at commit. Call it wherever such a URL is stored in an
/// image slot.
pub async fn want_remote(db: impl PgExecutor<'_>, urls: &[String]) -> sqlx::Result<()> {
    if urls.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = urls.iter().map(|u| url_key(u)).collect();
    sqlx::query!(
        "with added as (
             insert into remote_image (key, url)
             select * from unnest($1::text[], $2::text[])
             on conflict do nothing
             returning 1
         )
         select pg_notify('hearth_remote_image', '') from (select 1) one
         where exists (select 1 from added)",
        &keys,
        urls
    )
    .fetch_all(db)
    .await?;
    Ok(())
}

/// The key a remote image is stored under: the SHA-256 of its URL.
pub fn url_key(url: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(url.as_bytes()))
}

/// One cached image of another server, by key.
pub async fn remote(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<Option<RemoteImageRow>> {
    sqlx::query_as!(
        RemoteImageRow,
        "select key, url, state, content_type, byte_size, attempts, last_used_at
         from remote_image where key = $1",
        key
    )
    .fetch_optional(db)
    .await
}

/// Notes that a cached image was shown (at most once an hour per image, so serving it stays a
/// read), and asks again for one that was evicted or failed long ago.
pub async fn remote_shown(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "with shown as (
             update remote_image set
                 last_used_at = now(),
                 state = case when state = 'failed' and next_attempt_at <= now()
                              then 'wanted' else state end
             where key = $1
               and (last_used_at < now() - interval '1 hour'
                    or (state = 'failed' and next_attempt_at <= now()))
             returning state
         )
         select pg_notify('hearth_remote_image', '') from shown where state = 'wanted'",
        key
    )
    .fetch_all(db)
    .await?;
    Ok(())
}

/// Takes up to `limit` wanted images for fetching: each is pushed `lease_secs` into the future
/// first, so another process (or a crash) does not fetch it twice at once.
pub async fn claim_wanted(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_secs: i64,
) -> sqlx::Result<Vec<RemoteImageRow>> {
    sqlx::query_as!(
        RemoteImageRow,
        "update remote_image set
             attempts = attempts + 1,
             next_attempt_at = now() + make_interval(secs => $2::bigint::double precision)
         where key in (
             select key from remote_image
             where state = 'wanted' and next_attempt_at <= now()
             order by next_attempt_at
             limit $1
             for update skip locked
         )
         returning key, url, state, content_type, byte_size, attempts, last_used_at",
        limit,
        lease_secs
    )
    .fetch_all(db)
    .await
}

/// Records a fetched and stored image.
pub async fn remote_stored(
    db: impl PgExecutor<'_>,
    key: &str,
    content_type: &str,
    byte_size: i64,
    width: i32,
    height: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update remote_image set state = 'stored', content_type = $2, byte_size = $3,
             width = $4, height = $5, error = null, fetched_at = now(), last_used_at = now()
         where key = $1",
        key,
        content_type,
        byte_size,
        width,
        height
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed fetch: tried again after `retry_secs` while attempts remain, else `failed`
/// (asked again when shown a day later).
pub async fn remote_failed(
    db: impl PgExecutor<'_>,
    key: &str,
    error: &str,
    retry_secs: i64,
    final_failure: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update remote_image set
             state = case when $4 then 'failed' else 'wanted' end,
             error = $2,
             next_attempt_at = now() + make_interval(secs => $3::bigint::double precision)
         where key = $1",
        key,
        error,
        retry_secs,
        final_failure
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Evicts the least recently shown cached images until the stored ones take at most
/// `max_bytes`; returns the keys whose files the caller removes. An evicted image is fetched
/// again when it is shown again.
pub async fn evict_remote(db: impl PgExecutor<'_>, max_bytes: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"with ranked as (
               select key, sum(byte_size) over (order by last_used_at desc, key) as running
               from remote_image where state = 'stored'
           )
           update remote_image r set state = 'failed', byte_size = 0, content_type = null,
               error = 'evicted', next_attempt_at = now(), attempts = 0
           from ranked
           where r.key = ranked.key and ranked.running > $1::bigint
           returning r.key as "key!""#,
        max_bytes
    )
    .fetch_all(db)
    .await
}

/// Forgets a cached image altogether (an admin purged it); returns whether there was one.
pub async fn forget_remote(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!("delete from remote_image where key = $1", key)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A link post waiting for its preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPreview {
    /// The post.
    pub post_id: i64,
    /// Its link.
    pub url: String,
}

/// Takes up to `limit` posts whose preview is pending (each once: the state moves on before
/// the page is fetched, so a crash loses a preview, never repeats one forever).
pub async fn claim_previews(
    db: impl PgExecutor<'_>,
    limit: i64,
) -> sqlx::Result<Vec<PendingPreview>> {
    sqlx::query_as!(
        PendingPreview,
        r#"update post set preview_state = 'failed'
           where id in (select id from post where preview_state = 'pending'
                        order by id limit $1 for update skip locked)
           returning id as post_id, url as "url!""#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Stores a link preview read from the post's linked page. The thumbnail is set only when the
/// post has none (an author's or the home server's own thumbnail wins).
pub async fn set_preview(
    db: impl PgExecutor<'_>,
    post_id: i64,
    title: Option<&str>,
    description: Option<&str>,
    thumbnail_url: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update post set preview_state = 'done', preview_title = $2, preview_description = $3,
             thumbnail_url = coalesce(thumbnail_url, $4)
         where id = $1",
        post_id,
        title,
        description,
        thumbnail_url
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One image of a post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostImage {
    /// Where it lives (ours for uploads here).
    pub url: String,
    /// Its alt text.
    pub alt_text: Option<String>,
    /// Its media type, when known.
    pub content_type: Option<String>,
}

/// Replaces the images of a post.
pub async fn set_post_images(
    db: &mut sqlx::PgConnection,
    post_id: i64,
    images: &[PostImage],
) -> sqlx::Result<()> {
    let urls: Vec<String> = images.iter().map(|i| i.url.clone()).collect();
    let alts: Vec<Option<String>> = images.iter().map(|i| i.alt_text.clone()).collect();
    let types: Vec<Option<String>> = images.iter().map(|i| i.content_type.clone()).collect();
    sqlx::query!("delete from post_image where post_id = $1", post_id)
        .execute(&mut *db)
        .await?;
    sqlx::query!(
        "insert into post_image (post_id, position, url, alt_text, content_type)
         select $1, (n - 1)::smallint, url, alt, kind
         from unnest($2::text[], $3::text[], $4::text[]) with ordinality as i(url, alt, kind, n)",
        post_id,
        &urls,
        &alts as &[Option<String>],
        &types as &[Option<String>]
    )
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The images of a post, in order.
pub async fn post_images(db: impl PgExecutor<'_>, post_id: i64) -> sqlx::Result<Vec<PostImage>> {
    sqlx::query_as!(
        PostImage,
        "select url, alt_text, content_type from post_image where post_id = $1 order by position",
        post_id
    )
    .fetch_all(db)
    .await
}
