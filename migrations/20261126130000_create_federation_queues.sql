-- Federation state: activities received (replays are acknowledged, not applied again), the
-- outbox (every activity we send, frozen as JSON in the transaction that made the change), one
-- delivery row per (activity, inbox), and tombstones for objects deleted before we knew them.

create table received_activity (
    ap_id text primary key,
    received_at timestamptz not null default now()
);
create index received_activity_received_at_idx on received_activity (received_at);

create table outbox_activity (
    id bigint generated always as identity primary key,
    ap_id text not null unique,
    -- The local actor whose key signs the deliveries (a person or a community).
    actor_ap_id text not null,
    kind text not null,
    payload jsonb not null,
    created_at timestamptz not null default now()
);

-- Activities a community announced are served at their own ids.
create index outbox_activity_announced_idx on outbox_activity ((payload->'object'->>'id'))
    where kind = 'Announce';

create table delivery (
    id bigint generated always as identity primary key,
    activity_id bigint not null references outbox_activity (id) on delete cascade,
    inbox text not null,
    -- The inbox's authority (host, plus port when present): the unit of per-host limits.
    authority text not null,
    state text not null default 'pending' check (state in ('pending', 'delivered', 'failed', 'dead')),
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    -- Set while a worker holds the row; an expired lease makes the row claimable again.
    leased_until timestamptz,
    last_status integer,
    last_error text,
    last_attempt_at timestamptz,
    created_at timestamptz not null default now(),
    finished_at timestamptz,
    unique (activity_id, inbox)
);
-- Workers take due pending rows host by host, oldest first.
create index delivery_host_due_idx on delivery (authority, next_attempt_at) where state = 'pending';
-- Pruning and the queue view look at finished rows by time.
create index delivery_finished_idx on delivery (finished_at) where state <> 'pending';

-- The health of each destination authority. A host whose deliveries keep failing is marked
-- down: its rows wait, and one probe at growing intervals checks whether it is back.
create table delivery_host (
    authority text primary key,
    state text not null default 'up' check (state in ('up', 'down')),
    -- When the current run of failures began (null while deliveries succeed).
    failing_since timestamptz,
    down_since timestamptz,
    next_probe_at timestamptz,
    probe_interval_ms bigint,
    last_error text,
    last_failure_at timestamptz,
    last_success_at timestamptz
);

-- The Follow a membership answers: an Accept or Reject embeds it.
alter table community_member add column follow_ap_id text;

-- Objects whose Delete arrived before the object itself: a late Create must not revive them.
create table tombstone (
    ap_id text primary key,
    deleted_at timestamptz not null default now()
);
