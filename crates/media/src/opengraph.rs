//! What a linked page says about itself: its OpenGraph (`og:`) and Twitter card tags, falling
//! back to `<title>` and the `description` meta tag, for a link post's preview.

use scraper::{Html, Selector};
use url::Url;

/// A link preview read from a page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    /// The page's title.
    pub title: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its picture, resolved against the page's URL (http and https only).
    pub image: Option<Url>,
}

const MAX_TITLE: usize = 200;
const MAX_DESCRIPTION: usize = 500;

/// Reads the preview tags of `html`, a page fetched from `page`.
pub fn parse(html: &str, page: &Url) -> Preview {
    let document = Html::parse_document(html);
    let meta = |names: &[&str]| -> Option<String> {
        names.iter().find_map(|name| {
            let selector =
                Selector::parse(&format!("meta[property=\"{name}\"], meta[name=\"{name}\"]"))
                    .ok()?;
            document
                .select(&selector)
                .filter_map(|element| element.value().attr("content"))
                .map(clean)
                .find(|content| !content.is_empty())
        })
    };
    let title = meta(&["og:title", "twitter:title"]).or_else(|| {
        let selector = Selector::parse("title").ok()?;
        document
            .select(&selector)
            .next()
            .map(|t| clean(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty())
    });
    let description = meta(&["og:description", "twitter:description", "description"]);
    let image = meta(&[
        "og:image:secure_url",
        "og:image",
        "og:image:url",
        "twitter:image",
    ])
    .and_then(|src| page.join(&src).ok())
    .filter(|url| matches!(url.scheme(), "http" | "https"));
    Preview {
        title: title.map(|t| truncate(t, MAX_TITLE)),
        description: description.map(|d| truncate(d, MAX_DESCRIPTION)),
        image,
    }
}

/// Collapses whitespace: tags often carry the page's line breaks and indentation.
fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://news.example/articles/1").unwrap()
    }

    #[test]
    fn opengraph_tags_win_and_relative_images_are_resolved() {
        let html = r#"<html><head><title>Plain title</title>
            <meta property="og:title" content="  The  story ">
            <meta property="og:description" content="What happened">
            <meta property="og:image" content="/img/cover.jpg">
            </head><body>x</body></html>"#;
        assert_eq!(
            parse(html, &page()),
            Preview {
                title: Some("The story".into()),
                description: Some("What happened".into()),
                image: Some(Url::parse("https://news.example/img/cover.jpg").unwrap()),
            }
        );
    }

    #[test]
    fn without_opengraph_the_title_and_description_tags_serve() {
        let html = r#"<title>A page</title><meta name="description" content="About it">
            <meta name="twitter:image" content="javascript:alert(1)">"#;
        let preview = parse(html, &page());
        assert_eq!(preview.title.as_deref(), Some("A page"));
        assert_eq!(preview.description.as_deref(), Some("About it"));
        assert_eq!(preview.image, None);
    }

    #[test]
    fn long_texts_are_cut() {
        let html = format!(
            "<meta property=\"og:title\" content=\"{}\">",
            "a".repeat(1000)
        );
        assert_eq!(
            parse(&html, &page()).title.unwrap().chars().count(),
            MAX_TITLE
        );
    }
}
