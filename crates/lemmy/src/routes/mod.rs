//! The v3 endpoints, one module per family, each with its own `routes()`.

pub mod account;
pub mod admin;
pub mod comment;
pub mod community;
pub mod extras;
pub mod moderation;
pub mod person;
pub mod post;
pub mod search;
pub mod site;
pub mod unsupported;
pub mod user_settings;
