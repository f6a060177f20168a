-- A remote community as its own server counts it: the `totalItems` of its followers and outbox
-- collections, refreshed with the Group (null until known; clamped to 0..=1e9 when stored), so a
-- community nobody here has joined yet does not look empty. And when its newest posts were first
-- fetched because someone here looked it up, so that happens once per community.
alter table community
    add column home_member_count int,
    add column home_post_count int,
    add column backfill_started_at timestamptz;
