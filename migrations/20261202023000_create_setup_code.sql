-- The one-time codes that open the first-run setup page (`/setup`) while no administrator
-- exists. Only the SHA-256 of each code is kept, so any Hearth process on this database can
-- check a code another one printed. Every start that finds no administrator adds its own code;
-- creating the administrator through the setup page removes them all.
create table setup_code (
    code_hash bytea primary key,
    created_at timestamptz not null default now()
);
