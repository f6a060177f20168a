//! Where the tests' Python tools live: the virtualenv scripts/test installs from
//! tests/peers/python/requirements.txt (schemathesis, aiosmtpd).

use std::path::PathBuf;

/// The virtualenv's `bin` directory.
pub fn venv_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/python/.venv/bin")
}

/// The virtualenv's Python interpreter, or a panic that says how to get it: the tests that need
/// it fail loudly rather than skip.
pub fn python() -> PathBuf {
    let python = venv_bin().join("python");
    assert!(
        python.exists(),
        "{} is missing: run the tests with scripts/test, which installs tests/peers/python/requirements.txt",
        python.display()
    );
    python
}
