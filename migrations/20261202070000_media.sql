-- Pictures (issue #19): uploaded files, who uploaded them, the cache of other servers' images,
-- and the image slots of people, communities and posts.

-- One row per stored upload file, addressed by the SHA-256 of its (re-encoded) bytes: the same
-- picture uploaded twice is stored once. The store holds three objects per row: `<hash>` (the
-- re-encoded original), `<hash>.thumbnail` and `<hash>.blurred` (the placeholder shown for
-- NSFW posts).
create table media (
    hash text primary key check (hash ~ '^[0-9a-f]{64}$'),
    content_type text not null,
    byte_size bigint not null check (byte_size >= 0),
    width integer not null check (width > 0),
    height integer not null check (height > 0),
    animated boolean not null default false,
    thumbnail_type text not null,
    thumbnail_size bigint not null check (thumbnail_size >= 0),
    blurred_size bigint not null check (blurred_size >= 0),
    created_at timestamptz not null default now()
);

-- Who uploaded a file (several people may upload the same one). An upload is a use of its file
-- only while it is young (`media.unattached_grace_secs`: the time to finish writing the post);
-- after that the file lives as long as a row shows it.
create table upload (
    id bigint generated always as identity primary key,
    uploader_id bigint not null references person (id) on delete cascade,
    hash text not null references media (hash) on delete cascade,
    created_at timestamptz not null default now(),
    unique (uploader_id, hash)
);

create index upload_hash_idx on upload (hash);

-- Images of other servers shown here (avatars, icons, banners, thumbnails): fetched once,
-- resized and kept under `key` (SHA-256 of the URL), so pages never load them from their home
-- server. A cache: the least recently used are evicted past `media.remote_cache_bytes`, and
-- fetched again when shown again.
create table remote_image (
    key text primary key check (key ~ '^[0-9a-f]{64}$'),
    url text not null unique,
    state text not null default 'wanted' check (state in ('wanted', 'stored', 'failed')),
    content_type text,
    byte_size bigint not null default 0,
    width integer,
    height integer,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    error text,
    fetched_at timestamptz,
    last_used_at timestamptz not null default now()
);

create index remote_image_wanted_idx on remote_image (next_attempt_at) where state = 'wanted';
create index remote_image_lru_idx on remote_image (last_used_at) where state = 'stored';

-- Image slots. Each holds the image's public URL, as it federates: ours for uploads here
-- (`<base>/media/<hash>.<ext>`), the home server's for remote objects.
alter table person
    add column avatar_url text,
    add column banner_url text;

alter table community
    add column icon_url text,
    add column banner_url text;

-- A post's thumbnail (Lemmy's `image`: an uploaded image's thumbnail, a link preview's picture)
-- and the link preview read from the linked page's OpenGraph tags.
alter table post
    add column thumbnail_url text,
    add column preview_title text,
    add column preview_description text,
    add column preview_state text not null default 'none'
        check (preview_state in ('none', 'pending', 'done', 'failed'));

create index post_preview_pending_idx on post (id) where preview_state = 'pending';

-- The images of an image post, in order, with their alt text (Lemmy's `Image`/`Link`
-- attachments, Mastodon's `Document`/`Image` attachments).
create table post_image (
    post_id bigint not null references post (id) on delete cascade,
    position smallint not null check (position >= 0),
    url text not null,
    alt_text text,
    content_type text,
    primary key (post_id, position)
);
