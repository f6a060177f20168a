-- Posts, threaded comments and votes, with counts and ranks stored on the rows so that no
-- request computes them over a whole table.

-- Lemmy's hot formula: votes count logarithmically and age decays the rank with a power of
-- 1.8. `at` is passed in (never now() inside) so callers rank a batch at one instant.
create function hearth_hot_rank(score integer, published timestamptz, at timestamptz)
returns double precision language sql immutable parallel safe as $$
    select case
        when at - published > interval '7 days' then 0.0
        else 10000.0 * log(greatest(1, score + 3))
             / power(greatest(0.0, extract(epoch from (at - published)) / 3600.0) + 2.0, 1.8)
    end
$$;

-- Controversy: many votes, evenly split.
create function hearth_controversy_rank(upvotes integer, downvotes integer)
returns double precision language sql immutable parallel safe as $$
    select case
        when upvotes <= 0 or downvotes <= 0 then 0.0
        else power((upvotes + downvotes)::double precision,
                   least(upvotes, downvotes)::double precision / greatest(upvotes, downvotes))
    end
$$;

create table post (
    id bigint generated always as identity primary key,
    ap_id text not null unique,
    local boolean not null,
    community_id bigint not null references community (id) on delete cascade,
    author_id bigint not null references person (id) on delete cascade,
    title text not null,
    url text,
    body text not null default '',
    body_html text not null default '',
    nsfw boolean not null default false,
    language text,
    deleted boolean not null default false,
    removed boolean not null default false,
    score integer not null default 0,
    upvotes integer not null default 0,
    downvotes integer not null default 0,
    comment_count integer not null default 0,
    hot_rank double precision not null default 0,
    active_rank double precision not null default 0,
    controversy_rank double precision not null default 0,
    -- When the newest comment arrived (the post's own time until then): drives `active`.
    last_activity_at timestamptz not null default now(),
    published_at timestamptz not null default now(),
    edited_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    search tsvector generated always as (
        setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
    ) stored
);

-- Feeds read only visible posts, ordered by one stored key and the id as a tie-breaker, so each
-- page is an index range scan.
create index post_hot_idx on post (hot_rank desc, id desc) where not deleted and not removed;
create index post_active_idx on post (active_rank desc, id desc) where not deleted and not removed;
create index post_controversy_idx on post (controversy_rank desc, id desc) where not deleted and not removed;
create index post_top_idx on post (score desc, id desc) where not deleted and not removed;
create index post_comments_idx on post (comment_count desc, id desc) where not deleted and not removed;
create index post_published_idx on post (published_at desc, id desc) where not deleted and not removed;
create index post_community_hot_idx on post (community_id, hot_rank desc, id desc) where not deleted and not removed;
create index post_community_active_idx on post (community_id, active_rank desc, id desc) where not deleted and not removed;
create index post_community_new_idx on post (community_id, id desc) where not deleted and not removed;
create index post_community_top_idx on post (community_id, score desc, id desc) where not deleted and not removed;
create index post_community_published_idx on post (community_id, published_at desc) where not deleted and not removed;
create index post_author_idx on post (author_id, id desc);
create index post_search_idx on post using gin (search);

create table comment (
    id bigint generated always as identity primary key,
    ap_id text not null unique,
    local boolean not null,
    post_id bigint not null references post (id) on delete cascade,
    parent_id bigint references comment (id) on delete cascade,
    author_id bigint not null references person (id) on delete cascade,
    -- Ids from the top-level ancestor down to this comment: a subtree is every row whose path
    -- starts with its root's path.
    path bigint[] not null,
    depth integer generated always as (cardinality(path)) stored,
    body text not null,
    body_html text not null,
    language text,
    deleted boolean not null default false,
    removed boolean not null default false,
    score integer not null default 0,
    upvotes integer not null default 0,
    downvotes integer not null default 0,
    child_count integer not null default 0,
    hot_rank double precision not null default 0,
    controversy_rank double precision not null default 0,
    published_at timestamptz not null default now(),
    edited_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    search tsvector generated always as (to_tsvector('english', body)) stored
);

create index comment_post_idx on comment (post_id, parent_id);
create index comment_path_idx on comment using gin (path);
create index comment_author_idx on comment (author_id, id desc);
create index comment_search_idx on comment using gin (search);

create table post_vote (
    post_id bigint not null references post (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    score smallint not null check (score in (-1, 1)),
    created_at timestamptz not null default now(),
    primary key (post_id, person_id)
);

create table comment_vote (
    comment_id bigint not null references comment (id) on delete cascade,
    person_id bigint not null references person (id) on delete cascade,
    score smallint not null check (score in (-1, 1)),
    created_at timestamptz not null default now(),
    primary key (comment_id, person_id)
);

create index post_vote_person_idx on post_vote (person_id);
create index comment_vote_person_idx on comment_vote (person_id);

-- People search.
create index person_search_idx on person using gin (to_tsvector('simple', name || ' ' || coalesce(display_name, '')));
