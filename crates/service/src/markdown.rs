//! Markdown as people write it, rendered to HTML that is safe to show: pulldown-cmark renders
//! (raw HTML in the source is passed through as text-level HTML, then) ammonia keeps only a safe
//! allowlist of tags, attributes and URL schemes. Only the `*_html` fields are ever shown.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream, html};
use std::collections::HashSet;
use std::sync::OnceLock;

/// The sanitiser. Pictures are shown only from `local_media` (this server's uploads, e.g.
/// `https://hearth.example/media/`): any other `<img>` loses its `src`, so a page never makes a
/// reader's browser fetch from another server (which would tell it who reads what).
fn sanitizer(local_media: Option<&str>) -> ammonia::Builder<'static> {
    let local_media = local_media.map(str::to_owned);
    let mut builder = ammonia::Builder::default();
    // http, https and mailto only: no javascript:, data:, vbscript: or relative tricks.
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .add_tags(["del", "sup", "sub", "details", "summary"])
        .attribute_filter(move |element, attribute, value| {
            let local = local_media
                .as_deref()
                .is_some_and(|prefix| value.starts_with(prefix));
            match (element, attribute) {
                ("img", "src") if !local => None,
                _ => Some(value.into()),
            }
        });
    builder
}

/// The sanitiser without any picture of ours allowed (texts from other servers).
fn foreign_sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| sanitizer(None))
}

/// Renders markdown to sanitised HTML. Pictures become links to them (pictures of this server
/// are kept by `render_local`).
pub fn render(markdown: &str) -> String {
    render_with_mentions(markdown, |_| None, None)
}

/// A person named in text as `@name` or `@name@host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle {
    /// The name, as written.
    pub name: String,
    /// The host, lowercased, when one was written.
    pub host: Option<String>,
}

impl Handle {
    /// `@name` or `@name@host`.
    pub fn written(&self) -> String {
        match &self.host {
            Some(host) => format!("@{}@{host}", self.name),
            None => format!("@{}", self.name),
        }
    }
}

/// The handles a text mentions, each once, in the order they first appear. Code, links and
/// e-mail addresses are not mentions.
pub fn mentions(markdown: &str) -> Vec<Handle> {
    let mut found: Vec<Handle> = Vec::new();
    for_each_plain_text(markdown, |text| {
        for (_, handle) in scan_handles(text) {
            if !found.contains(&handle) {
                found.push(handle);
            }
        }
    });
    found
}

/// Renders markdown to sanitised HTML, turning each mention `link` knows (it answers the
/// person's URL) into a link to that person; the others stay text. Pictures whose URL starts
/// with `local_media` (this server's uploads) are shown; any other picture becomes a link to it,
/// with its alt text.
pub fn render_with_mentions(
    markdown: &str,
    link: impl Fn(&Handle) -> Option<String>,
    local_media: Option<&str>,
) -> String {
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut outside = Outside::default();
    // For each open picture: whether it became a link (so its end becomes the link's end).
    let mut pictures: Vec<bool> = Vec::new();
    for event in TextMergeStream::new(Parser::new_ext(markdown, options())) {
        outside.track(&event);
        match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let local = local_media.is_some_and(|prefix| dest_url.starts_with(prefix));
                pictures.push(!local);
                events.push(Event::Start(if local {
                    Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }
                } else {
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }
                }));
            }
            Event::End(TagEnd::Image) => {
                let became_link = pictures.pop().unwrap_or(false);
                events.push(Event::End(if became_link {
                    TagEnd::Link
                } else {
                    TagEnd::Image
                }));
            }
            Event::Text(text) if outside.plain() => {
                let mut rest = 0;
                for (range, handle) in scan_handles(&text) {
                    let Some(href) = link(&handle) else { continue };
                    if range.start > rest {
                        events.push(Event::Text(text[rest..range.start].to_owned().into()));
                    }
                    events.push(Event::Start(Tag::Link {
                        link_type: LinkType::Inline,
                        dest_url: href.into(),
                        title: "".into(),
                        id: "".into(),
                    }));
                    events.push(Event::Text(text[range.clone()].to_owned().into()));
                    events.push(Event::End(TagEnd::Link));
                    rest = range.end;
                }
                if rest == 0 {
                    events.push(Event::Text(text));
                } else if rest < text.len() {
                    events.push(Event::Text(text[rest..].to_owned().into()));
                }
            }
            other => events.push(other),
        }
    }
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, events.into_iter());
    match local_media {
        None => foreign_sanitizer().clean(&unsafe_html).to_string(),
        Some(_) => sanitizer(local_media).clean(&unsafe_html).to_string(),
    }
}

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS
}

/// Where in a document the parser is: inside code blocks, links or images text is not prose.
#[derive(Default)]
struct Outside {
    code: usize,
    link: usize,
}

impl Outside {
    fn track(&mut self, event: &Event<'_>) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => self.code += 1,
            Event::End(TagEnd::CodeBlock) => self.code = self.code.saturating_sub(1),
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => self.link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => self.link = self.link.saturating_sub(1),
            _ => {}
        }
    }

    fn plain(&self) -> bool {
        self.code == 0 && self.link == 0
    }
}

/// Calls `f` with each run of prose text (not code, not link text).
fn for_each_plain_text(markdown: &str, mut f: impl FnMut(&str)) {
    let mut outside = Outside::default();
    for event in TextMergeStream::new(Parser::new_ext(markdown, options())) {
        outside.track(&event);
        if let Event::Text(text) = &event
            && outside.plain()
        {
            f(text);
        }
    }
}

/// The handles in a run of text with their byte ranges. A handle starts with `@` at the start
/// or after a character that cannot be part of a word, address or URL; its name is letters,
/// digits and `_`; its host (optional) letters, digits, `.` and `-`, with an optional `:port`.
fn scan_handles(text: &str) -> Vec<(std::ops::Range<usize>, Handle)> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let is_host = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' {
            i += 1;
            continue;
        }
        let start = i;
        let after_word = start > 0 && {
            let before = text[..start].chars().next_back().unwrap_or(' ');
            before.is_alphanumeric() || matches!(before, '_' | '@' | '.' | '/' | ':' | '-' | '+')
        };
        let name_end = (start + 1..bytes.len())
            .find(|&j| !is_name(bytes[j]))
            .unwrap_or(bytes.len());
        if after_word || name_end == start + 1 || name_end - start - 1 > 100 {
            i = name_end.max(start + 1);
            continue;
        }
        let mut end = name_end;
        let mut host = None;
        if end < bytes.len() && bytes[end] == b'@' {
            let host_start = end + 1;
            let mut host_end = (host_start..bytes.len())
                .find(|&j| !is_host(bytes[j]))
                .unwrap_or(bytes.len());
            // A sentence's full stop or a dash after the handle is not part of the host.
            while host_end > host_start && matches!(bytes[host_end - 1], b'.' | b'-') {
                host_end -= 1;
            }
            if host_end > host_start && bytes[host_start].is_ascii_alphanumeric() {
                let mut with_port = host_end;
                if with_port + 1 < bytes.len() && bytes[with_port] == b':' {
                    let digits_end = (with_port + 1..bytes.len())
                        .find(|&j| !bytes[j].is_ascii_digit())
                        .unwrap_or(bytes.len());
                    if digits_end > with_port + 1 && digits_end - with_port <= 6 {
                        with_port = digits_end;
                    }
                }
                host = Some(text[host_start..with_port].to_ascii_lowercase());
                end = with_port;
            }
        }
        found.push((
            start..end,
            Handle {
                name: text[start + 1..name_end].to_owned(),
                host,
            },
        ));
        i = end;
    }
    found
}

/// Sanitises HTML that arrived as HTML (from another server).
pub fn sanitize_html(html: &str) -> String {
    foreign_sanitizer().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle(name: &str, host: Option<&str>) -> Handle {
        Handle {
            name: name.to_owned(),
            host: host.map(str::to_owned),
        }
    }

    #[test]
    fn mentions_are_found_in_prose_only() {
        let text = "Hi @alice and @Bob@Example.org. Mail me: carol@example.org, \
                    see `@dave` or [@erin](https://x.example) and @frank@127.0.0.1:8080!\n\n\
                    ```\n@gina\n```\n@alice again";
        assert_eq!(
            mentions(text),
            vec![
                handle("alice", None),
                handle("Bob", Some("example.org")),
                handle("frank", Some("127.0.0.1:8080")),
            ]
        );
        assert!(mentions("email@host.example @ alone, @@twice").is_empty());
    }

    #[test]
    fn known_mentions_become_links_and_unknown_ones_stay_text() {
        let html = render_with_mentions(
            "hello @alice and @nobody@else.example",
            |h| (h.name == "alice").then(|| "https://here.example/u/alice".to_owned()),
            None,
        );
        assert!(
            html.contains(r#"<a href="https://here.example/u/alice" rel="nofollow noopener noreferrer ugc">@alice</a>"#),
            "{html}"
        );
        assert!(html.contains("and @nobody@else.example</p>"), "{html}");
    }

    #[test]
    fn only_pictures_of_this_server_are_shown_others_become_links() {
        let ours = "https://here.example/media/";
        let text = "![a lantern](https://here.example/media/abc.jpg) \
                    ![a tracker](https://elsewhere.example/pixel.png) \
                    <img src=\"https://elsewhere.example/raw.png\" alt=\"raw\">";
        let html = render_with_mentions(text, |_| None, Some(ours));
        assert!(
            html.contains(r#"<img src="https://here.example/media/abc.jpg" alt="a lantern">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="https://elsewhere.example/pixel.png" rel="nofollow noopener noreferrer ugc">a tracker</a>"#),
            "{html}"
        );
        assert!(!html.contains("src=\"https://elsewhere.example"), "{html}");
        // Without a server of its own (texts from elsewhere), every picture is a link.
        let foreign = render(text);
        assert!(!foreign.contains("<img src="), "{foreign}");
        assert!(!sanitize_html(r#"<p><img src="https://t.example/x.png"></p>"#).contains("src="));
    }

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

#[cfg(test)]
#[path = "markdown_proptests.rs"]
mod proptests;
