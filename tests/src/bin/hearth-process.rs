//! The `hearth` binary, built inside the test package so that integration tests can run real
//! `hearth` processes (`hearth worker`, a second `hearth serve`) by `CARGO_BIN_EXE_hearth-process`
//! and kill them: the same `hearth::run_main` the shipped binary runs.

fn main() -> std::process::ExitCode {
    hearth::run_main()
}
