-- Saved posts, saved comments and read marks (issue #20): private to each person, never
-- federated. A person's rows go with the person (purge) and with the item (a purged post or
-- comment); an account deletion, which keeps the person row as "[deleted]", clears them itself.

-- A post a person saved to read again later.
create table post_saved (
    person_id bigint not null references person (id) on delete cascade,
    post_id bigint not null references post (id) on delete cascade,
    saved_at timestamptz not null default now(),
    primary key (person_id, post_id)
);

-- "My saved posts, most recently saved first", paged by (saved_at, post_id).
create index post_saved_person_recent_idx on post_saved (person_id, saved_at desc, post_id desc);
-- The cascade from a purged post.
create index post_saved_post_idx on post_saved (post_id);

-- A comment a person saved.
create table comment_saved (
    person_id bigint not null references person (id) on delete cascade,
    comment_id bigint not null references comment (id) on delete cascade,
    saved_at timestamptz not null default now(),
    primary key (person_id, comment_id)
);

create index comment_saved_person_recent_idx
    on comment_saved (person_id, saved_at desc, comment_id desc);
create index comment_saved_comment_idx on comment_saved (comment_id);

-- A post a person has opened (or marked read): feeds and clients grey it out.
create table post_read (
    person_id bigint not null references person (id) on delete cascade,
    post_id bigint not null references post (id) on delete cascade,
    read_at timestamptz not null default now(),
    primary key (person_id, post_id)
);

create index post_read_post_idx on post_read (post_id);
