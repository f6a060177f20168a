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

    /// Each payload is a known way to run script or load active content through markdown.
    const PAYLOADS: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](java\nscript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "[x](vbscript:msgbox(1))",
        "<img src=x onerror=alert(1)>",
        "<a href=\"https://example.org\" onclick=\"alert(1)\">x</a>",
        "<body onload=alert(1)>",
        "<div onmouseover=\"alert(1)\">hover</div>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<svg onload=alert(1)></svg>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><script>alert(1)</script></mtext></math>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<form action=\"javascript:alert(1)\"><button>go</button></form>",
        "<style>body{background:url(javascript:alert(1))}</style>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
        "<link rel=stylesheet href=javascript:alert(1)>",
        "<base href=\"javascript:alert(1)//\">",
        "<input autofocus onfocus=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "[x](  javascript:alert(1)  )",
        "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    ];

    #[test]
    fn dangerous_markup_comes_out_harmless() {
        assert!(PAYLOADS.len() >= 20);
        for payload in PAYLOADS {
            let out = render(payload).to_lowercase();
            for bad in [
                "<script",
                "javascript:",
                "vbscript:",
                "data:",
                " on",
                "<iframe",
                "<svg",
                "<math",
                "<object",
                "<embed",
                "<form",
                "<style",
                "style=",
                "<meta",
                "<link",
                "<base",
                "<input",
                "srcdoc",
            ] {
                assert!(!out.contains(bad), "{payload} rendered as {out}");
            }
        }
    }

    #[test]
    fn safe_links_survive_with_rel_attributes() {
        let out = render("[docs](https://example.org/a?b=c)");
        assert!(out.contains(r#"href="https://example.org/a?b=c""#), "{out}");
        assert!(out.contains("nofollow"), "{out}");
    }
}
