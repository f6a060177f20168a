-- Two-factor sign-in (TOTP, RFC 6238). One row per account that began enrolling: the shared
-- secret (never shown again after enrolment, never logged), when enrolment was confirmed (null
-- while it waits for the first code), and the last time step a code was accepted for, so one code
-- cannot sign in twice (RFC 6238 section 5.2).
create table two_factor (
    person_id bigint primary key references person (id) on delete cascade,
    secret bytea not null,
    enabled_at timestamptz,
    last_used_step bigint,
    created_at timestamptz not null default now()
);

-- Recovery codes, shown once at enrolment: only their SHA-256 is stored, each works once.
create table two_factor_recovery (
    person_id bigint not null references person (id) on delete cascade,
    code_hash bytea not null,
    used_at timestamptz,
    primary key (person_id, code_hash)
);
