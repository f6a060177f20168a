-- Notifications, mentions, personal blocks, and deleted accounts.

-- What a person should learn about: one row per recipient and cause. `cause` names the change
-- that made it (e.g. `reply:comment:42`, `mod:17` for mod log entry 17), so a replayed or
-- re-announced activity finds its row already there and adds nothing.
create table notification (
    id bigint generated always as identity primary key,
    recipient_id bigint not null references person (id) on delete cascade,
    kind text not null check (kind in (
        'reply', 'mention',
        'post_removed', 'post_restored', 'comment_removed', 'comment_restored',
        'post_locked', 'post_unlocked', 'banned', 'unbanned',
        'report_resolved', 'report_dismissed',
        'join_approved', 'join_denied',
        'application_approved', 'application_denied')),
    cause text not null,
    -- Who caused it, when known (the replier, the moderator).
    actor_id bigint references person (id) on delete set null,
    community_id bigint references community (id) on delete cascade,
    post_id bigint references post (id) on delete cascade,
    comment_id bigint references comment (id) on delete cascade,
    reason text not null default '',
    expires_at timestamptz,
    read boolean not null default false,
    created_at timestamptz not null default now(),
    unique (recipient_id, cause)
);
create index notification_recipient_idx on notification (recipient_id, id desc);
create index notification_unread_idx on notification (recipient_id, id desc) where not read;

-- People a post or comment mentions (`@name`, `@name@host`, or a received `Mention` tag).
create table post_mention (
    post_id bigint not null references post (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    primary key (post_id, person_id)
);
create table comment_mention (
    comment_id bigint not null references comment (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    primary key (comment_id, person_id)
);

-- Private blocks (never federated): a person hides another person, or a community.
create table person_block (
    person_id bigint not null references person (id) on delete cascade,
    target_id bigint not null references person (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (person_id, target_id),
    check (person_id <> target_id)
);
create table community_block (
    person_id bigint not null references person (id) on delete cascade,
    community_id bigint not null references community (id) on delete cascade,
    created_at timestamptz not null default now(),
    primary key (person_id, community_id)
);

-- A deleted account keeps its row (its name stays taken, its content may stay with the author
-- shown as deleted); `deleted_at` says when.
alter table person
    add column deleted boolean not null default false,
    add column deleted_at timestamptz;
