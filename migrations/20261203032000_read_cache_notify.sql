-- The anonymous page cache (hearth_service::read_cache): every serving process keeps rendered
-- feeds and post pages for a second or two, and LISTENs on `hearth_read_cache` to drop them
-- early. These triggers say, at commit, which community a write changed (its id as text), or
-- `all` for what every page shows (the site, people's names and pictures). Only columns a page
-- shows are watched: votes, counts and ranks change none of them, so they notify nothing
-- (scores may be one cache lifetime old). PostgreSQL sends one notification per distinct
-- payload per transaction, so a write touching many rows of one community costs one.

create or replace function hearth_read_cache_changed() returns trigger
language plpgsql as $$
declare
    target text;
    changed record;
begin
    if tg_op = 'DELETE' then
        changed := old;
    else
        changed := new;
    end if;
    if tg_table_name in ('post', 'community_ban', 'community_moderator') then
        target := changed.community_id::text;
        if tg_op = 'UPDATE' and tg_table_name = 'post' and old.community_id <> new.community_id then
            perform pg_notify('hearth_read_cache', old.community_id::text);
        end if;
    elsif tg_table_name = 'community' then
        target := changed.id::text;
    elsif tg_table_name in ('comment', 'post_image', 'post_event') then
        select p.community_id::text into target from post p where p.id = changed.post_id;
    end if;
    perform pg_notify('hearth_read_cache', coalesce(target, 'all'));
    return null;
end
$$;

create trigger post_read_cache after insert or delete on post
    for each row execute function hearth_read_cache_changed();
create trigger post_read_cache_update after update on post
    for each row
    when ((old.title, old.url, old.body_html, old.nsfw, old.language, old.deleted, old.removed,
           old.locked, old.featured, old.thumbnail_url, old.preview_title,
           old.preview_description, old.community_id, old.author_id, old.edited_at)
          is distinct from
          (new.title, new.url, new.body_html, new.nsfw, new.language, new.deleted, new.removed,
           new.locked, new.featured, new.thumbnail_url, new.preview_title,
           new.preview_description, new.community_id, new.author_id, new.edited_at))
    execute function hearth_read_cache_changed();

create trigger comment_read_cache after insert or delete on comment
    for each row execute function hearth_read_cache_changed();
create trigger comment_read_cache_update after update on comment
    for each row
    when ((old.body_html, old.language, old.deleted, old.removed, old.edited_at, old.parent_id)
          is distinct from
          (new.body_html, new.language, new.deleted, new.removed, new.edited_at, new.parent_id))
    execute function hearth_read_cache_changed();

create trigger post_image_read_cache after insert or update or delete on post_image
    for each row execute function hearth_read_cache_changed();
create trigger post_event_read_cache after insert or update or delete on post_event
    for each row execute function hearth_read_cache_changed();

create trigger community_read_cache after insert or delete on community
    for each row execute function hearth_read_cache_changed();
create trigger community_read_cache_update after update on community
    for each row
    when ((old.name, old.title, old.description_html, old.rules_html, old.nsfw,
           old.posting_restricted_to_mods, old.visibility, old.removed, old.icon_url,
           old.banner_url)
          is distinct from
          (new.name, new.title, new.description_html, new.rules_html, new.nsfw,
           new.posting_restricted_to_mods, new.visibility, new.removed, new.icon_url,
           new.banner_url))
    execute function hearth_read_cache_changed();

create trigger community_ban_read_cache after insert or update or delete on community_ban
    for each row execute function hearth_read_cache_changed();

create trigger person_read_cache after delete on person
    for each row execute function hearth_read_cache_changed();
create trigger person_read_cache_update after update on person
    for each row
    when ((old.name, old.display_name, old.avatar_url, old.deleted, old.site_banned)
          is distinct from
          (new.name, new.display_name, new.avatar_url, new.deleted, new.site_banned))
    execute function hearth_read_cache_changed();

create trigger site_read_cache after update on site
    for each row execute function hearth_read_cache_changed();

create trigger community_moderator_read_cache after insert or update or delete on community_moderator
    for each row execute function hearth_read_cache_changed();
