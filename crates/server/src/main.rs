//! The `hearth` binary: parses the command line, loads the settings, installs logging and runs
//! the command; any failure is one line on stderr and exit code 1.

use std::process::ExitCode;

/// mimalloc returns freed memory to the system promptly; with glibc's allocator the buffers of
/// decoded pictures stayed resident after a burst of uploads (see docs/PERFORMANCE.md, Pictures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    hearth::run_main()
}
