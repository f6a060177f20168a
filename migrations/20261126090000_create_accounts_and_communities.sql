-- Accounts (applications, tokens), communities, membership and moderators; site settings admins
-- change at runtime; and the fixed-window counters behind rate limits.

alter table site
    add column description_html text not null default '',
    add column rules text not null default '',
    add column rules_html text not null default '',
    add column application_question text not null default '',
    add column community_creation_admin_only boolean not null default false,
    add column downvotes_enabled boolean not null default true;

alter table person
    add column bio text not null default '',
    add column bio_html text not null default '';

create unique index local_account_email_key on local_account (lower(email)) where email is not null;

-- A sign-up waiting for (or decided by) an admin in approval mode.
create table registration_application (
    id bigint generated always as identity primary key,
    person_id bigint not null unique references person (id) on delete cascade,
    answer text not null default '',
    status text not null default 'pending' check (status in ('pending', 'approved', 'denied')),
    decided_by bigint references person (id) on delete set null,
    deny_reason text,
    decided_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create index registration_application_status_idx on registration_application (status, id);

-- Bearer tokens: only a SHA-256 of the token is stored.
create table auth_token (
    id bigint generated always as identity primary key,
    person_id bigint not null references person (id) on delete cascade,
    token_hash bytea not null unique,
    label text not null default '',
    created_at timestamptz not null default now(),
    last_used_at timestamptz not null default now()
);

create index auth_token_person_idx on auth_token (person_id, id);

create table community (
    id bigint generated always as identity primary key,
    ap_id text not null unique,
    local boolean not null,
    name text not null,
    title text not null,
    description text not null default '',
    description_html text not null default '',
    nsfw boolean not null default false,
    posting_restricted_to_mods boolean not null default false,
    visibility text not null default 'public' check (visibility in ('public', 'approval')),
    -- Counts kept on the row, updated in the transaction that changes them.
    member_count integer not null default 0 check (member_count >= 0),
    post_count integer not null default 0,
    comment_count integer not null default 0,
    -- Distinct active people, refreshed by a background job once content exists.
    users_active_day integer not null default 0,
    users_active_week integer not null default 0,
    users_active_month integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create unique index community_local_name_key on community (lower(name)) where local;
create index community_members_idx on community (member_count desc, id desc);
create index community_active_idx on community (users_active_week desc, id desc);
create index community_search_idx on community using gin (to_tsvector('simple', name || ' ' || title));

create table community_member (
    community_id bigint not null references community (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    state text not null check (state in ('pending', 'joined')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (community_id, person_id)
);

create index community_member_person_idx on community_member (person_id);
create index community_member_pending_idx on community_member (community_id, created_at) where state = 'pending';

create table community_moderator (
    community_id bigint not null references community (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (community_id, person_id)
);

create index community_moderator_person_idx on community_moderator (person_id);

-- Fixed-window request counters, shared by every Hearth process on this database.
create table rate_limit_bucket (
    key text not null,
    window_start timestamptz not null,
    count integer not null,
    primary key (key, window_start)
);
