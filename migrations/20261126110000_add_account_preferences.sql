-- What each local account chooses for itself on the settings page: whether posts marked NSFW are
-- shown, and the colour theme of the web pages ('system' follows the browser's preference).

alter table local_account
    add column show_nsfw boolean not null default false,
    add column theme text not null default 'system' check (theme in ('system', 'light', 'dark'));
