//! U+0000 in what people send: PostgreSQL's `text` cannot hold it, so a string with one would
//! fail deep in the database as a 500. Every face's request readers (the JSON API, the pages'
//! forms and queries, the Lemmy-compatible API) refuse it up front with a 4xx instead.

/// Why text with U+0000 is refused.
pub const NUL_MESSAGE: &str =
    "The request is not valid: text may not contain NUL (U+0000) characters.";

/// Whether a JSON text holds the escape `\u0000` (the only way JSON can carry U+0000): a
/// `\u0000` preceded by an even number of further backslashes, so that `\\u0000` (a
/// backslash, then the letters `u0000`) does not count.
pub fn json_has_nul(json: &[u8]) -> bool {
    json.windows(6).enumerate().any(|(at, window)| {
        window == b"\\u0000"
            && json[..at].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// Whether urlencoded text (a query string, a form body, a path) encodes U+0000 (`%00`) or
/// holds a raw NUL byte.
pub fn urlencoded_has_nul(text: &[u8]) -> bool {
    text.contains(&0) || text.windows(3).any(|w| w == b"%00")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_nul_escape_is_found_only_where_it_is_one() {
        assert!(json_has_nul(br#"{"title": "a\u0000b"}"#));
        assert!(json_has_nul(br#"["\\\u0000"]"#));
        assert!(!json_has_nul(br#"{"title": "a\\u0000b"}"#));
        assert!(!json_has_nul(br#"{"title": "a\u0001b"}"#));
        assert!(!json_has_nul(b"{}"));
    }

    #[test]
    fn urlencoded_nul_is_found_encoded_or_raw() {
        assert!(urlencoded_has_nul(b"title=a%00b"));
        assert!(urlencoded_has_nul(b"title=a\0b"));
        assert!(!urlencoded_has_nul(b"title=a%2500b"));
        assert!(!urlencoded_has_nul(b"title=100%25"));
    }
}
