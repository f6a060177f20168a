-- What ActivityPub needs of actors and objects: key pairs, inboxes, the instance an actor
-- lives on, and when a remote copy was last fetched.

alter table person
    add column host text,
    add column public_key text,
    add column private_key text,
    add column inbox_url text,
    add column shared_inbox_url text,
    add column last_refreshed_at timestamptz not null default now();

alter table community
    add column host text,
    add column public_key text,
    add column private_key text,
    add column inbox_url text,
    add column shared_inbox_url text,
    add column followers_url text,
    add column last_refreshed_at timestamptz not null default now();

-- Remote actors are told apart by name and instance; local ones keep their own unique index.
create unique index person_remote_name_key on person (lower(name), host) where not local;
create unique index community_remote_name_key on community (lower(name), host) where not local;

-- The instance actor (the Application at the site root) signs fetches.
alter table site
    add column public_key text,
    add column private_key text;

-- Remote objects are refreshed when stale.
alter table post add column last_refreshed_at timestamptz not null default now();
alter table comment add column last_refreshed_at timestamptz not null default now();
