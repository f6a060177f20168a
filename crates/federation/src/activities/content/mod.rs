//! Content: posts and comments created, edited and deleted by their authors.

pub(crate) mod create_or_update;
pub(crate) mod delete;

pub(crate) use create_or_update::CreateOrUpdate;
