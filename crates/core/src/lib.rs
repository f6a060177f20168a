//! Hearth's vocabulary: validated names and ids, the one error type every layer returns, and the
//! settings struct. Nothing here does I/O, so every other crate can depend on it.

pub mod client;
pub mod error;
pub mod names;
pub mod nul;
pub mod settings;

pub use error::{Error, ErrorKind, Result};
pub use names::{ActorRef, Authority, CommunityName, UnknownName, Username};
pub use settings::Settings;
