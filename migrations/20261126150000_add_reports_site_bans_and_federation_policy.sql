-- Reports, site bans, and the federation policy (block and allow lists, subscriptions).

create table report (
    id bigint generated always as identity primary key,
    -- The Flag's id: ours for reports filed here, the sender's for reports from elsewhere.
    ap_id text not null unique,
    -- Who reported (an instance actor when a server reports anonymously: null here).
    reporter_id bigint references person (id) on delete set null,
    community_id bigint not null references community (id) on delete cascade,
    post_id bigint references post (id) on delete cascade,
    comment_id bigint references comment (id) on delete cascade,
    reason text not null default '',
    status text not null default 'pending' check (status in ('pending', 'resolved', 'dismissed')),
    resolved_by bigint references person (id) on delete set null,
    resolved_at timestamptz,
    created_at timestamptz not null default now(),
    check (post_id is not null or comment_id is not null)
);
create index report_community_idx on report (community_id, id desc);

-- Site bans: a banned local account cannot sign in or use its tokens; a banned remote
-- person's activities are refused at the inbox.
alter table person
    add column site_banned boolean not null default false,
    add column site_ban_reason text,
    add column site_ban_expires_at timestamptz,
    -- Who banned: `local` (our admins) or the authority of the person's home server (a ban it
    -- told us about). A home server's Undo lifts only its own ban, never ours.
    add column site_ban_source text;

-- One row: the policy mode. `open` federates with everyone not blocked; `allowlist` only with
-- the allowed.
create table federation_policy (
    id boolean primary key default true check (id),
    mode text not null default 'open' check (mode in ('open', 'allowlist')),
    -- Bumped on every change, so processes reload their cached copy.
    version bigint not null default 1
);
insert into federation_policy (id) values (true);

-- Domains (or authorities with a port) blocked or allowed, locally or by a subscription.
create table federation_domain (
    domain text not null,
    list text not null check (list in ('blocked', 'allowed')),
    -- Null for entries an admin made here; else the subscription's URL.
    source text,
    created_at timestamptz not null default now()
);
create unique index federation_domain_key on federation_domain (domain, list, coalesce(source, ''));

create table blocklist_subscription (
    url text primary key,
    last_fetched_at timestamptz,
    last_error text,
    domain_count integer not null default 0,
    created_at timestamptz not null default now()
);

-- Deliveries to a blocked server are dropped (kept and counted until pruned).
alter table delivery drop constraint delivery_state_check;
alter table delivery add constraint delivery_state_check
    check (state in ('pending', 'delivered', 'failed', 'dead', 'dropped'));
