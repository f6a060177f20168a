//! Property tests of markdown rendering, mention finding and the sanitiser: no text makes them
//! panic, what they produce carries no script, and every mention found was written in the text.
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

/// Text dense in markdown and HTML syntax, mentions and links, so that generated inputs reach
/// the renderer's corners rather than being plain prose.
fn markdownish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 ]{0,8}",
            Just("\n".to_owned()),
            Just("\n\n".to_owned()),
            "[*_#>`~|\\[\\]()!:.-]{1,3}",
            "@[a-zA-Z0-9_]{1,8}(@[a-z0-9.:-]{1,12})?",
            Just("](https://example.org/x)".to_owned()),
            Just("![alt](https://pics.example/p.png)".to_owned()),
            Just("<script>alert(1)</script>".to_owned()),
            Just("<img src=x onerror=alert(1)>".to_owned()),
            Just("<a href=\"javascript:alert(1)\">x</a>".to_owned()),
            Just("```\n".to_owned()),
            Just("&amp;&lt;&#x3c;".to_owned()),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// No tag of `html` is a script, has an event handler or links to `javascript:` (the same words
/// escaped as text, `&lt;script&gt;` in a code block, are harmless and allowed).
fn assert_no_script(html: &str) -> std::result::Result<(), TestCaseError> {
    let lower = html.to_ascii_lowercase();
    for tag in lower
        .split('<')
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
    {
        prop_assert!(!tag.starts_with("script"), "{html}");
        let handler = tag.match_indices(" on").any(|(at, _)| {
            let name_end = tag[at + 1..].trim_start_matches(|c: char| c.is_ascii_alphabetic());
            name_end.starts_with('=')
        });
        prop_assert!(!handler, "{html}");
        prop_assert!(!tag.contains("javascript:"), "{html}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn no_text_makes_rendering_or_mentions_panic(text in any::<String>()) {
        let _ = render(&text);
        let _ = mentions(&text);
        let _ = sanitize_html(&text);
    }

    #[test]
    fn rendered_markdown_carries_no_script(text in markdownish()) {
        assert_no_script(&render(&text))?;
        assert_no_script(&render_with_mentions(
            &text,
            |h| Some(format!("https://here.example/u/{}", h.name)),
            Some("https://here.example/media/"),
        ))?;
        assert_no_script(&sanitize_html(&text))?;
    }

    #[test]
    fn every_mention_found_was_written_in_the_text(text in markdownish()) {
        let lower = text.to_lowercase();
        let found = mentions(&text);
        for handle in &found {
            prop_assert!(lower.contains(&handle.written().to_lowercase()), "{:?} in {text}", handle);
        }
        // Each once.
        let unique: std::collections::HashSet<&Handle> = found.iter().collect();
        prop_assert_eq!(unique.len(), found.len());
    }
}
