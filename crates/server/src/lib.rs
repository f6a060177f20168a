//! The Hearth server as a library: configuration loading, telemetry, opening the database
//! (external or embedded), router assembly and the commands the binary runs. Tests start the
//! same `Application` the binary does.

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod database;
pub mod health;
pub mod metrics;
pub mod telemetry;

pub use app::Application;
