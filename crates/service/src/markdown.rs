//! Markdown as people write it, rendered to HTML that is safe to show: pulldown-cmark renders
//! (raw HTML in the source is passed through as text-level HTML, then) ammonia keeps only a safe
//! allowlist of tags, attributes and URL schemes. Only the `*_html` fields are ever shown.

use pulldown_cmark::{Options, Parser, html};
use std::collections::HashSet;
use std::sync::OnceLock;

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        // http, https and mailto only: no javascript:, data:, vbscript: or relative tricks.
        builder
            .url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("nofollow noopener noreferrer ugc"))
            .add_tags(["del", "sup", "sub", "details", "summary"]);
        builder
    })
}

/// Renders markdown to sanitised HTML.
pub fn render(markdown: &str) -> String {
    let options =
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    sanitizer().clean(&unsafe_html).to_string()
}

/// Sanitises HTML that arrived as HTML (from another server).
pub fn sanitize_html(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html() {
        assert_eq!(
            render("**hi** _there_"),
            "<p><strong>hi</strong> <em>there</em></p>\n"
        );
        assert!(render("[x](https://example.org)").contains(r#"href="https://example.org""#));
    }

    #[test]
    fn dangerous_markup_is_removed() {
        for payload in [
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<img src=x onerror=alert(1)>",
            "<iframe src=https://evil.example></iframe>",
            "<svg onload=alert(1)></svg>",
            "<a href=\"vbscript:msgbox(1)\">x</a>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
        ] {
            let out = render(payload).to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "data:",
                "onerror",
                "onload",
                "<iframe",
                "<svg",
                "vbscript",
                "style=",
            ] {
                assert!(!out.contains(bad), "{payload} rendered as {out}");
            }
        }
    }
}
