-- Community moderation: locked and pinned posts, community bans, and the public mod log.

alter table post
    add column locked boolean not null default false,
    add column featured boolean not null default false;
create index post_featured_idx on post (community_id) where featured;

create table community_ban (
    community_id bigint not null references community (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    reason text not null default '',
    -- Null: until lifted.
    expires_at timestamptz,
    banned_by bigint references person (id) on delete set null,
    created_at timestamptz not null default now(),
    primary key (community_id, person_id)
);

create table mod_log (
    id bigint generated always as identity primary key,
    community_id bigint not null references community (id) on delete cascade,
    -- Who acted (null when the moderator is unknown here, e.g. a community's own actor).
    moderator_id bigint references person (id) on delete set null,
    action text not null check (action in (
        'remove_post', 'restore_post', 'remove_comment', 'restore_comment',
        'lock_post', 'unlock_post', 'pin_post', 'unpin_post',
        'ban', 'unban', 'add_moderator', 'remove_moderator', 'update_community')),
    target_person_id bigint references person (id) on delete set null,
    target_post_id bigint references post (id) on delete set null,
    target_comment_id bigint references comment (id) on delete set null,
    reason text not null default '',
    expires_at timestamptz,
    created_at timestamptz not null default now()
);
create index mod_log_community_idx on mod_log (community_id, id desc);
create index mod_log_moderator_idx on mod_log (moderator_id, id desc);
