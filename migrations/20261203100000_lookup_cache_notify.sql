-- The lookup cache (hearth_service::lookups): each process keeps copies of people (by
-- ActivityPub id) and communities (by id, for write paths) that applying received activities
-- reads again and again, and LISTENs on `hearth_lookups` to drop a copy when its row changes.
-- These triggers say, at commit, which row changed: `person:<id>` or `community:<id>`. Only the
-- columns the copies carry are watched; a community's counts are not (write paths never show
-- them, and they change with every post and comment).

create or replace function hearth_lookups_changed() returns trigger
language plpgsql as $$
begin
    perform pg_notify('hearth_lookups', tg_table_name || ':' || old.id::text);
    return null;
end
$$;

create trigger person_lookups after delete on person
    for each row execute function hearth_lookups_changed();
create trigger person_lookups_update after update on person
    for each row
    when ((old.ap_id, old.local, old.name, old.display_name, old.bio, old.bio_html, old.host,
           old.public_key, old.private_key, old.inbox_url, old.shared_inbox_url,
           old.last_refreshed_at, old.created_at, old.updated_at, old.deleted, old.avatar_url,
           old.banner_url)
          is distinct from
          (new.ap_id, new.local, new.name, new.display_name, new.bio, new.bio_html, new.host,
           new.public_key, new.private_key, new.inbox_url, new.shared_inbox_url,
           new.last_refreshed_at, new.created_at, new.updated_at, new.deleted, new.avatar_url,
           new.banner_url))
    execute function hearth_lookups_changed();

create trigger community_lookups after delete on community
    for each row execute function hearth_lookups_changed();
create trigger community_lookups_update after update on community
    for each row
    when ((old.ap_id, old.local, old.name, old.title, old.description, old.description_html,
           old.rules, old.rules_html, old.nsfw, old.posting_restricted_to_mods, old.visibility,
           old.created_at, old.updated_at, old.host, old.public_key, old.private_key,
           old.inbox_url, old.shared_inbox_url, old.followers_url, old.last_refreshed_at,
           old.removed, old.icon_url, old.banner_url)
          is distinct from
          (new.ap_id, new.local, new.name, new.title, new.description, new.description_html,
           new.rules, new.rules_html, new.nsfw, new.posting_restricted_to_mods, new.visibility,
           new.created_at, new.updated_at, new.host, new.public_key, new.private_key,
           new.inbox_url, new.shared_inbox_url, new.followers_url, new.last_refreshed_at,
           new.removed, new.icon_url, new.banner_url))
    execute function hearth_lookups_changed();
