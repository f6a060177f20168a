-- Moderators see why a post or comment was removed, read from its newest removal in the mod log.
create index mod_log_target_post_idx on mod_log (target_post_id, id desc)
    where target_post_id is not null;
create index mod_log_target_comment_idx on mod_log (target_comment_id, id desc)
    where target_comment_id is not null;
