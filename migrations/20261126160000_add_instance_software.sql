-- What software each server we federate with runs (from its NodeInfo), fetched once and kept:
-- Group-aware servers get every announced activity; microblogs (Mastodon and the like) only
-- top-level posts, so their home timelines are not flooded with comments and votes.
create table instance (
    authority text primary key,
    software text,
    version text,
    fetched_at timestamptz not null default now()
);
