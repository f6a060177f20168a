//! Reports: `Flag` (a report of a post or comment, limited per remote person) and `Resolve` (a
//! moderator's decision).

pub(crate) mod flag;
pub(crate) mod resolve;
