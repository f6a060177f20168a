-- When a person last wrote (any changing request), so that every process sends their reads to
-- the primary for a few seconds after, rather than to a read replica that may not have it yet.
alter table local_account add column last_write_at timestamptz;
