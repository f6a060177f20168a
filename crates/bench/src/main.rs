//! Hearth's benchmark harness. The performance issue adds its scenarios; until then it says so.

fn main() {
    eprintln!("hearth_bench: no scenarios yet (see the performance issue)");
}
