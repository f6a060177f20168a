-- "New" lists posts by when they were published (a remote post's `published`), not by when this
-- server stored them: a backfill stores a community's newest posts first. The feed orders by
-- (published_at desc, id desc) and pages with `(published_at, id) < (…)`, so each scope needs
-- an index with exactly those columns after its own. All posts: `post_published_idx` has them.

-- One community: the id joins the publication time.
drop index post_community_published_idx;
create index post_community_published_idx on post (community_id, published_at desc, id desc) where not deleted and not removed;

-- One author's posts (`post_author_idx` stays: moderation reads an author's removed posts too).
create index post_author_published_idx on post (author_id, published_at desc, id desc) where not deleted and not removed;

-- Nothing lists a community's posts by id any more.
drop index post_community_new_idx;
