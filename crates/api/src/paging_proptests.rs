//! Property tests of the cursors clients send back: no text makes a decoder panic, and every
//! cursor the server gives out decodes to what it encoded.
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
    fn no_text_makes_a_cursor_decoder_panic(raw in any::<String>()) {
        let _ = decode(Some(&raw));
        let _ = decode_f64(Some(&raw));
        let _ = decode_id(Some(&raw));
    }

    #[test]
    fn cursor_like_text_decodes_or_is_refused_as_a_cursor(raw in "-?[0-9eE.+_inf-]{0,30}") {
        for outcome in [decode(Some(&raw)).err(), decode_f64(Some(&raw)).err(), decode_id(Some(&raw)).err()]
            .into_iter()
            .flatten()
        {
            prop_assert_eq!(outcome.kind.code(), "invalid_field");
        }
    }

    #[test]
    fn a_sorted_list_cursor_decodes_to_what_it_encoded(key in any::<i64>(), id in any::<i64>()) {
        let decoded = decode(Some(&encode(Cursor { key, id }))).unwrap().unwrap();
        prop_assert_eq!((decoded.key, decoded.id), (key, id));
    }

    #[test]
    fn a_rank_cursor_decodes_to_the_very_same_float(key in any::<f64>().prop_filter("finite", |k| k.is_finite()), id in any::<i64>()) {
        let (decoded_key, decoded_id) = decode_f64(Some(&encode_f64(key, id))).unwrap().unwrap();
        prop_assert_eq!(decoded_key.to_bits(), key.to_bits());
        prop_assert_eq!(decoded_id, id);
    }

    #[test]
    fn an_id_cursor_decodes_to_its_id(id in any::<i64>()) {
        prop_assert_eq!(decode_id(Some(&id.to_string())).unwrap(), Some(id));
    }
}
