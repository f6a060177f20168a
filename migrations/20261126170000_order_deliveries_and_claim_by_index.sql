-- Deliveries about the same thing reach an inbox in the order they were queued, and workers
-- claim due rows along an index instead of reading every pending row.

-- What orders deliveries: activities with the same key (a vote and its undoing, a post and its
-- edits) are sent to one inbox one after another, oldest first. Null: no order needed.
alter table delivery add column ordering_key text;
create index delivery_ordering_idx on delivery (inbox, ordering_key, id)
    where state = 'pending' and ordering_key is not null;

-- The claim walks each host's due rows in (next_attempt_at, id) order and finds the hosts by
-- skipping along this index, so the id belongs in it.
drop index delivery_host_due_idx;
create index delivery_host_due_idx on delivery (authority, next_attempt_at, id) where state = 'pending';

-- A claim writes only columns no index covers (lease, attempts, time); room on each page lets
-- PostgreSQL update those rows in place (HOT), without new index entries.
alter table delivery set (fillfactor = 70);
