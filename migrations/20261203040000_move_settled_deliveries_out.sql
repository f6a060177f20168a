-- Deliveries that got their answer (delivered, or refused for good) leave `delivery` in the
-- batch statement that settles them, and are kept in `delivery_done` until retention prunes
-- them. Settling used to change `state` in place: a non-HOT update, so every settled row wrote a
-- whole new version and an entry in each of three btree indexes (the key, the wide
-- `(activity_id, inbox)` key and the finished index). A delete writes no index entry, and the log
-- has no btree at all (a BRIN range index on time, for pruning), so `delivery` holds only what
-- is pending, plus the few dead and dropped rows.
--
-- Safe on a live database with a backlog: rows in flight are settled by id whichever code
-- settles them, rows already finished stay in `delivery` until pruned as before, and every
-- reader of finished deliveries reads `delivery_history`, which covers both tables (a row is in
-- exactly one of them). A delivered row no longer holds its `(activity_id, inbox)` key, so the
-- same activity queued again for an inbox would be sent again; every activity we store has a
-- fresh id, and receivers drop repeats by id.

create table delivery_done (
    -- The `delivery` row's id (the log is append-only and never looked up by it).
    id bigint not null,
    activity_id bigint not null,
    inbox text not null,
    authority text not null,
    ordering_key text,
    state text not null check (state in ('delivered', 'failed')),
    attempts integer not null,
    last_status integer,
    last_error text,
    last_attempt_at timestamptz,
    created_at timestamptz not null,
    finished_at timestamptz not null default now()
);
-- Pruning deletes by age; rows arrive in time order, so a range index is enough and costs
-- nothing per insert.
create index delivery_done_finished_idx on delivery_done using brin (finished_at);

-- Every delivery, queued or finished: what the queue view, the counts and the tests read.
create view delivery_history as
    select id, activity_id, inbox, authority, ordering_key, state, attempts, leased_until,
           last_status, last_error, last_attempt_at, created_at, finished_at
    from delivery
    union all
    select id, activity_id, inbox, authority, ordering_key, state, attempts, null::timestamptz,
           last_status, last_error, last_attempt_at, created_at, finished_at
    from delivery_done;
