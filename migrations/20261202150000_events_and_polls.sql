-- Events and polls: a post can be an event (a time, a place, RSVPs) or carry a poll. Both live
-- beside the post row, keyed by its id, so feeds, votes, comments and moderation treat them as
-- the posts they are.

-- An event. Times are stored in UTC; `timezone` is the organiser's IANA zone, which the
-- event's own page and its calendar entry name.
create table post_event (
    post_id bigint primary key references post (id) on delete cascade,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    timezone text not null default 'UTC',
    online_url text,
    place_name text,
    place_address text,
    -- How many may be going; no limit when null.
    capacity integer check (capacity is null or capacity > 0),
    -- Whether an organiser approves who goes (Mobilizon's `joinMode: restricted`).
    needs_approval boolean not null default false,
    cancelled boolean not null default false,
    -- A remote event: how many its home server says are going.
    remote_going integer,
    check (ends_at >= starts_at)
);
create index post_event_upcoming_idx on post_event (starts_at) where not cancelled;

-- Who answered an event, and how. `approved` is false while a `going` waits for the organiser
-- of an event that needs approval. `activity_ap_id` is the RSVP activity received from (or
-- sent for) the person, so a later `Leave` or `Undo` finds it.
create table event_rsvp (
    post_id bigint not null references post_event (post_id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    answer text not null check (answer in ('going', 'interested', 'not_going')),
    approved boolean not null default true,
    activity_ap_id text,
    -- The reminder an hour before the start was written (once, whatever restarts happen).
    reminded boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (post_id, person_id)
);
create index event_rsvp_person_idx on event_rsvp (person_id);

-- A poll on a post. `remote_voters` and each option's `remote_votes` are a remote poll's counts
-- as its home server last sent them; a local poll counts its `poll_vote` rows.
create table post_poll (
    post_id bigint primary key references post (id) on delete cascade,
    multiple boolean not null default false,
    ends_at timestamptz not null,
    -- The organiser's choice: results only after the end (otherwise to those who voted).
    results_after_end boolean not null default false,
    remote_voters integer,
    -- A local poll: when its counts last changed, and when followers were last sent them
    -- (`Update{Question}`, at most once a minute).
    counts_changed_at timestamptz,
    counts_sent_at timestamptz
);
create index post_poll_unsent_idx on post_poll (counts_changed_at)
    where counts_changed_at is not null;

create table poll_option (
    post_id bigint not null references post_poll (post_id) on delete cascade,
    position smallint not null check (position >= 0 and position < 20),
    name text not null,
    remote_votes integer not null default 0,
    primary key (post_id, position),
    unique (post_id, name)
);

-- One row per voter and chosen option. Votes are private: never listed, only counted.
-- `ap_id` is the vote's `Note` (received, or the one sent for a local member).
create table poll_vote (
    post_id bigint not null,
    position smallint not null,
    person_id bigint not null references person (id) on delete cascade,
    ap_id text unique,
    created_at timestamptz not null default now(),
    primary key (post_id, person_id, position),
    foreign key (post_id, position) references poll_option (post_id, position) on delete cascade
);

-- What people going to an event learn: it was cancelled, its time changed, it starts soon.
alter table notification drop constraint notification_kind_check;
alter table notification add constraint notification_kind_check check (kind in (
    'reply', 'mention',
    'post_removed', 'post_restored', 'comment_removed', 'comment_restored',
    'post_locked', 'post_unlocked', 'banned', 'unbanned',
    'report_resolved', 'report_dismissed',
    'join_approved', 'join_denied',
    'application_approved', 'application_denied',
    'event_cancelled', 'event_changed', 'event_reminder'));
