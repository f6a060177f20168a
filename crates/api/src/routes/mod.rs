//! The API's handlers, one module per resource; each is thin: extract, call the service, map to
//! a view.

pub mod accounts;
pub mod admin;
pub mod comments;
pub mod communities;
pub mod completion;
pub mod email;
pub mod events;
pub mod media;
pub mod moderation;
pub mod notifications;
pub mod own_account;
pub mod polls;
pub mod posts;
pub mod reports;
pub mod resolve;
pub mod saved;
pub mod search;
pub mod two_factor;
pub mod users;
