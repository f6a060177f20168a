//! Property tests of what the inbox reads before any verification: the `Signature` header's
//! `keyId`, and the envelope (id and actor) of a body, bounded in nesting and length. No input
//! makes them panic; a well-formed header gives back the key's owner.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see CONTRIBUTING.md ("Property tests").

use super::*;
use axum::body::Body;
use axum::http::HeaderValue;
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

/// A request's parts with `signature` set to `value`.
fn parts_with_signature(value: HeaderValue) -> Parts {
    let mut request = Request::new(Body::empty());
    request.headers_mut().insert("signature", value);
    request.into_parts().0
}

/// Header text dense in the syntax of draft-cavage signatures.
fn signature_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("keyId".to_owned()),
            Just("algorithm".to_owned()),
            Just("headers".to_owned()),
            Just("signature".to_owned()),
            Just("=".to_owned()),
            Just(",".to_owned()),
            Just("\"".to_owned()),
            Just(" ".to_owned()),
            Just("https://a.example/u/kim#main-key".to_owned()),
            "[ -~]{0,12}",
        ],
        0..16,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_signature_header_makes_the_key_owner_parser_panic(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(value) = HeaderValue::from_bytes(&raw) {
            let _ = signature_key_owner(&parts_with_signature(value));
        }
    }

    #[test]
    fn signature_like_headers_give_an_owner_or_signature_missing(raw in signature_like()) {
        if let Ok(value) = HeaderValue::from_str(&raw) {
            match signature_key_owner(&parts_with_signature(value)) {
                Ok(owner) => prop_assert!(owner.fragment().is_none()),
                Err(e) => prop_assert_eq!(e.kind.code(), "signature_missing"),
            }
        }
    }

    #[test]
    fn a_well_formed_signature_names_its_key_owner(
        host in "[a-z]{1,10}\\.example",
        path in "(/[a-z0-9]{1,8}){1,3}",
        extra in prop::collection::vec(("[a-zA-Z]{1,9}", "[a-zA-Z0-9+/=() -]{0,20}"), 0..3),
        first in any::<bool>(),
    ) {
        let owner = format!("https://{host}{path}");
        let key = format!("keyId=\"{owner}#main-key\"");
        let others: Vec<String> = extra
            .iter()
            .filter(|(name, _)| name != "keyId")
            .map(|(name, value)| format!("{name}=\"{value}\""))
            .collect();
        let header = if first {
            std::iter::once(key).chain(others).collect::<Vec<_>>().join(",")
        } else {
            others.into_iter().chain(std::iter::once(key)).collect::<Vec<_>>().join(", ")
        };
        let parsed = signature_key_owner(&parts_with_signature(HeaderValue::from_str(&header).unwrap())).unwrap();
        prop_assert_eq!(parsed.as_str(), owner.as_str());
    }

    #[test]
    fn no_body_makes_the_envelope_reader_panic(body in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = Envelope::read(&body);
    }

    #[test]
    fn deeply_nested_or_long_bodies_are_refused_not_crashed(depth in 0usize..200, width in 0usize..3000) {
        let nested = format!(
            "{{\"id\":\"https://a.example/1\",\"actor\":\"https://a.example/u/kim\",\"object\":{}1{}}}",
            "[".repeat(depth),
            "]".repeat(depth),
        );
        let long = format!(
            "{{\"id\":\"https://a.example/1\",\"actor\":\"https://a.example/u/kim\",\"to\":[{}]}}",
            vec!["1"; width].join(","),
        );
        for body in [nested, long] {
            match Envelope::read(body.as_bytes()) {
                Ok(envelope) => prop_assert_eq!(envelope.id.as_str(), "https://a.example/1"),
                Err(e) => prop_assert!(["too_deep", "too_long", "malformed_json"].contains(&e.kind.code())),
            }
        }
    }
}
