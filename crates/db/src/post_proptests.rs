//! Property tests of the `New` feed's cursor key: any key a client makes up names a time
//! PostgreSQL accepts, and the key of any post's time reads back to that very microsecond.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see CONTRIBUTING.md ("Property tests").

use super::*;
use proptest::prelude::*;

/// Bounded cases for the suite; `PROPTEST_CASES` raises them for a longer local run.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_cursor_key_names_a_time_within_postgresql_range(key in any::<f64>()) {
        let time = cursor_time(key);
        prop_assert!((1..=9999).contains(&chrono::Datelike::year(&time)));
    }

    #[test]
    fn the_key_of_a_publication_time_reads_back_to_the_microsecond(
        // 1970 to 2100, the range `time_key` promises to hold exactly.
        micros in 0i64..4_102_444_800_000_000,
    ) {
        let time = DateTime::from_timestamp_micros(micros).unwrap();
        prop_assert_eq!(cursor_time(time_key(time)), time);
    }
}
