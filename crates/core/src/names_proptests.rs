//! Property tests of the name parsers (usernames, community names, authorities, `name@host`
//! references): no input makes them panic, and what they accept formats and parses back.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default); see CONTRIBUTING.md ("Property tests") for the
//! longer local run.

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

/// A host name of one to four labels, maybe with a port.
fn authority_text() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-z][a-z0-9-]{0,10}[a-z0-9]", 1..4),
        prop::option::of(1u16..),
    )
        .prop_map(|(labels, port)| {
            let host = labels.join(".");
            match port {
                Some(port) => format!("{host}:{port}"),
                None => host,
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_text_makes_the_name_parsers_panic(raw in any::<String>()) {
        let _ = Username::parse(&raw, "name");
        let _ = CommunityName::parse(&raw, "name");
        let _ = Authority::parse(&raw);
        let _ = ActorRef::parse(&raw, "name");
        let _ = authority_of(&raw);
    }

    #[test]
    fn handle_like_text_never_makes_actor_ref_panic(raw in "[!@]?[a-zA-Z0-9_.:@-]{0,40}") {
        if let Ok(reference) = ActorRef::parse(&raw, "name") {
            prop_assert!(!reference.name.is_empty());
            if let Some(host) = reference.host {
                prop_assert!(Authority::parse(&host).is_ok());
            }
        }
    }

    #[test]
    fn a_valid_username_formats_and_parses_back(name in "[a-zA-Z0-9_]{3,30}", pad in " {0,2}") {
        let parsed = Username::parse(&format!("{pad}{name}{pad}"), "name").unwrap();
        prop_assert_eq!(parsed.as_str(), name.to_ascii_lowercase());
        let again = Username::parse(&parsed.to_string(), "name").unwrap();
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn a_valid_authority_formats_and_parses_back(raw in authority_text()) {
        let parsed = Authority::parse(&raw).unwrap();
        prop_assert_eq!(parsed.as_str(), raw.as_str());
        prop_assert_eq!(Authority::parse(&parsed.to_string()).unwrap(), parsed.clone());
        // As a `name@host` reference, and as the authority of a URL on that host.
        let reference = ActorRef::parse(&format!("@kim@{raw}"), "name").unwrap();
        prop_assert_eq!(reference.name.as_str(), "kim");
        prop_assert_eq!(reference.host.as_deref(), Some(raw.as_str()));
        prop_assert_eq!(reference.local_name(&parsed), Some("kim"));
        prop_assert_eq!(authority_of(&format!("https://{raw}/u/kim")), Some(raw));
    }
}
