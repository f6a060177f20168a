-- What the moderator who decided a report wrote about it (the web queue's "note"); empty when
-- they wrote nothing, and for decisions that arrive from other servers.
alter table report add column resolution_note text not null default '';
