//! Logging: a tracing subscriber whose filter comes from `RUST_LOG` or, failing that, `log.level`.
//! Logs go to standard error, so that what a command prints on standard output (a table, "created
//! alice") stays clean for the operator and for scripts.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `rust_log` is the `RUST_LOG` variable, which wins when set.
pub fn init(level: &str, rust_log: Option<String>) -> Result<(), String> {
    let (filter_text, key) = match rust_log.filter(|v| !v.trim().is_empty()) {
        Some(v) => (v, "RUST_LOG"),
        None => (level.to_owned(), "`log.level`"),
    };
    let filter = EnvFilter::try_new(&filter_text).map_err(|e| {
        format!("configuration error: {key} `{filter_text}` is not a valid filter: {e}")
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .map_err(|e| format!("cannot install the logger: {e}"))
}
