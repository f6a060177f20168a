-- Verified activities waiting to be applied. The inbox checks what must be answered at once
-- (envelope, policy, bans, rate limits, the signature), appends the activity here durably and
-- answers 202; workers apply the rows in receive order per object, then delete them. Rows that
-- were refused or failed when applied stay (state 'refused' / 'failed') for the admins' view
-- until pruned.
create table inbox_queue (
    id bigserial primary key,
    -- The activity's id: a replay finds it here (or in received_activity once applied).
    activity_id text not null unique,
    -- The object the activity is about (the innermost `object` id): rows sharing a key are
    -- applied one after the other, in receive order.
    ordering_key text not null,
    -- The authority of the actor, for the admins' view.
    actor_authority text not null,
    payload jsonb not null,
    received_at timestamptz not null default now(),
    state text not null default 'pending' check (state in ('pending', 'refused', 'failed')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    leased_until timestamptz,
    -- Why the row was refused or failed (or why its last attempt will be retried).
    code text,
    message text,
    settled_at timestamptz
) with (fillfactor = 70);

create index inbox_queue_due_idx on inbox_queue (id) where state = 'pending';
create index inbox_queue_ordering_idx on inbox_queue (ordering_key, id) where state = 'pending';
create index inbox_queue_settled_idx on inbox_queue (settled_at) where state <> 'pending';

-- Rate-limit counters are hit on every inbox request (and sign-in, post, vote…): as an
-- unlogged table they cost no WAL and no fsync at commit. A crash empties them, which only
-- restarts the current windows; every process still shares them (unlogged tables are not
-- copied to replicas, but limits are counted on the primary only).
alter table rate_limit_bucket set unlogged;
