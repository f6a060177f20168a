//! Hearth's pictures, apart from the database: where files are kept (`store`), what an upload
//! becomes before it is kept (`pipeline`), and what a linked page says about itself
//! (`opengraph`). Nothing here knows of people, posts or SQL.

pub mod opengraph;
pub mod pipeline;
pub mod store;

pub use pipeline::{Encoded, Limits, Processed, Refusal};
pub use store::{MediaStore, StoreError};

/// The SHA-256 of `bytes` as 64 lower-case hex digits: the name a file is stored under.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(bytes))
}
