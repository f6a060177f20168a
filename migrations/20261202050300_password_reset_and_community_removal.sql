-- Admin tools of issue #18: password reset links and removed communities.

-- One-time password reset links that an administrator creates for a person (issue #18): only
-- the token's SHA-256 digest is kept; a link works once (`used_at`) and within its hour.
create table password_reset (
    id bigint generated always as identity primary key,
    person_id bigint not null references person (id) on delete cascade,
    token_hash bytea not null unique,
    created_by bigint references person (id) on delete set null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz
);

create index password_reset_person_idx on password_reset (person_id);

-- Local communities an administrator removed (issue #18): hidden, with the reason shown on their
-- page, and restorable (so nothing is deleted).
alter table community
    add column removed boolean not null default false,
    add column removed_reason text,
    add column removed_at timestamptz;
