//! The test harness shared by Hearth's integration tests: a fresh database per test, cloned from
//! a migrated template in the run's throwaway cluster, and Hearth instances on port 0.

#![expect(
    clippy::expect_used,
    reason = "the harness fails the test that uses it by panicking, with a message"
)]

pub mod app;
pub mod browser;
pub mod db;
pub mod hostile;
pub mod lemmy;
pub mod pictures;
pub mod python;
pub mod s3;
pub mod sink;
pub mod smtp;
