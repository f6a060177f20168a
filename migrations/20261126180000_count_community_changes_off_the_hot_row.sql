-- Every post and comment used to increment its community's row inside the writing transaction,
-- so all writes in one community queued for that row lock until the one before committed (75%
-- of the inbox's statement time under load). Writers now insert their change here, which
-- shares no lock, and the server folds the changes into `community` every half second.
create table community_count_change (
    id bigint generated always as identity primary key,
    community_id bigint not null references community (id) on delete cascade,
    posts integer not null default 0,
    comments integer not null default 0
);
create index community_count_change_community_idx on community_count_change (community_id);
