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
    created_at timestamptz not null default now(),
    finished_at timestamptz,
    unique (activity_id, inbox)
);
-- Workers look for due pending rows only.
create index delivery_due_idx on delivery (next_attempt_at) where state = 'pending';
create index delivery_authority_idx on delivery (authority) where state = 'pending';

-- The Follow a membership answers: an Accept or Reject embeds it.
alter table community_member add column follow_ap_id text;

-- Objects whose Delete arrived before the object itself: a late Create must not revive them.
create table tombstone (
    ap_id text primary key,
    deleted_at timestamptz not null default now()
);
