-- Secrets of this instance that are not keys of an actor: for now the key that signs the JWTs
-- handed out by the Lemmy-compatible API's login. Made once, on first use, and never shown.
create table secret (
    name text primary key,
    value bytea not null
);
