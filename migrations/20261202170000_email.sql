-- E-mail (issue #23): the outgoing mail queue, address verification and notification digests.

-- Mail waiting to be sent, written in the transaction of what causes it and sent by a worker,
-- so no request waits for an SMTP server. A sent mail's bodies are blanked (a reset link is a
-- secret that need not outlive its delivery); one that keeps failing is given up (`failed_at`).
create table mail_outbox (
    id bigint generated always as identity primary key,
    recipient text not null,
    subject text not null,
    text_body text not null,
    html_body text not null,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    sent_at timestamptz,
    failed_at timestamptz,
    created_at timestamptz not null default now()
);

create index mail_outbox_due_idx on mail_outbox (next_attempt_at)
    where sent_at is null and failed_at is null;

-- One-time links that confirm an address: only the token's SHA-256 digest is kept, with the
-- address it confirms (a link for an address the account no longer has confirms nothing).
create table email_verification (
    id bigint generated always as identity primary key,
    person_id bigint not null references person (id) on delete cascade,
    email text not null,
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz
);

create index email_verification_person_idx on email_verification (person_id);

-- When the current address was confirmed (null: not confirmed); whether the person wants the
-- hourly digest of unread replies and mentions, and when the last one was sent.
alter table local_account
    add column email_verified_at timestamptz,
    add column email_digest boolean not null default false,
    add column last_digest_at timestamptz;
