-- The instance's own settings (one row) and people: local accounts and, later, remote actors.

create table site (
    -- Exactly one row: the primary key can only be true.
    id boolean primary key default true check (id),
    name text not null default 'Hearth',
    description text not null default '',
    registration_mode text not null check (registration_mode in ('open', 'approval', 'closed')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Anyone who can act here: a local account's public side, or (later) a remote actor.
create table person (
    id bigint generated always as identity primary key,
    ap_id text not null unique,
    local boolean not null,
    -- preferredUsername; lowercase for local people.
    name text not null,
    display_name text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- Local names are unique case-insensitively.
create unique index person_local_name_key on person (lower(name)) where local;

-- The private side of a local account.
create table local_account (
    person_id bigint primary key references person (id) on delete cascade,
    password_hash text not null,
    email text,
    admin boolean not null default false,
    -- False while an application waits for an admin in approval mode.
    approved boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create index local_account_admin_idx on local_account (person_id) where admin;
