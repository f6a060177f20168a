//! Hearth's use cases. Each one owns its transaction, speaks in domain types and returns
//! `hearth_core::Error`; the API, the web pages and federation all call these.

pub mod accounts;
pub mod constraint;
pub mod context;
pub mod password;
pub mod setup;

pub use context::ServiceContext;
