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
pub mod read_cache;
pub mod telemetry;

pub use app::Application;

/// What the `hearth` binary does: parses the command line, loads the settings, installs logging
/// and runs the command; any failure is one line on stderr and exit code 1. (The test package
/// builds a binary of its own on it, so tests can run real `hearth` processes.)
pub fn run_main() -> std::process::ExitCode {
    use clap::Parser;
    let cli = cli::Cli::parse();
    let settings = match config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Err(e) = telemetry::init(&settings.log.level, std::env::var("RUST_LOG").ok()) {
        return fail(e);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(cli::run(cli, settings)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(error: impl std::fmt::Display) -> std::process::ExitCode {
    // `{:#}` prints an anyhow error's whole chain of causes on the one line.
    eprintln!("hearth: {error:#}");
    std::process::ExitCode::FAILURE
}
