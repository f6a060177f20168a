//! Site administration between servers: instance-wide bans.

pub(crate) mod block;
