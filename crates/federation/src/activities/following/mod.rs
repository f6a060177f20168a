//! Membership between servers: `Follow` of a community (and its `Undo`), and the community's
//! answer (`Accept` or `Reject`). They are handled, never announced.

pub(crate) mod answer;
pub(crate) mod follow;

pub(crate) use answer::Answer;
pub(crate) use follow::Follow;
