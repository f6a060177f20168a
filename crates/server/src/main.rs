//! The `hearth` binary: parses the command line, loads the settings, installs logging and runs
//! the command; any failure is one line on stderr and exit code 1.

use clap::Parser;
use hearth::cli::{self, Cli};
use std::process::ExitCode;

/// mimalloc returns freed memory to the system promptly; with glibc's allocator the buffers of
/// decoded pictures stayed resident after a burst of uploads (see docs/PERFORMANCE.md, Pictures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match hearth::config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    if let Err(e) = hearth::telemetry::init(&settings.log.level, std::env::var("RUST_LOG").ok()) {
        return fail(e);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(cli::run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(error: impl std::fmt::Display) -> ExitCode {
    // `{:#}` prints an anyhow error's whole chain of causes on the one line.
    eprintln!("hearth: {error:#}");
    ExitCode::FAILURE
}
