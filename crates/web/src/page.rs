//! What every page shares: the layout's data, rendering a template into a response, redirects
//! after a POST, and the friendly error pages (rendered by the page middleware, which knows who
//! is looking).

use crate::assets::{self, AssetUrls};
use crate::session::Session;
use askama::Template;
use axum::http::header::{HOST, LOCATION, REFERER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hearth_core::settings::RegistrationMode;
use hearth_core::{Error, ErrorKind};

/// The data of the page layout (`base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    /// The page's own title (the site's name is added after it).
    pub title: String,
    /// The instance's name.
    pub site_name: String,
    /// The signed-in account's name.
    pub viewer: Option<String>,
    /// Where the header loads the signed-in account's avatar from.
    pub viewer_avatar: Option<String>,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// `system`, `light` or `dark`.
    pub theme: &'static str,
    /// The static assets.
    pub assets: &'static AssetUrls,
    /// The navigation entry this page belongs to (`home`, `communities`, …), for `aria-current`.
    pub nav: &'static str,
    /// An RSS feed of the page's content.
    pub feed: Option<FeedLink>,
    /// Where the ActivityPub JSON of the page's actor is (the same URL, asked for as JSON).
    pub activity: Option<String>,
    /// Whether the site takes sign-ups.
    pub can_sign_up: bool,
    /// Whether downvotes are accepted.
    pub downvotes: bool,
    /// The signed-in account's unread notifications.
    pub unread: i64,
    /// Whether the signed-in account administers the instance (the Admin link).
    pub admin: bool,
    /// Whether they moderate a community or administer (the Moderation link).
    pub moderator: bool,
    /// Reports waiting for them (the Moderation link's badge).
    pub open_reports: i64,
}

/// An RSS feed announced with `<link rel="alternate">`.
#[derive(Debug, Clone)]
pub struct FeedLink {
    /// The feed's title.
    pub title: String,
    /// Its path.
    pub href: String,
}

impl Layout {
    /// The layout of a page titled `title`, under the navigation entry `nav`.
    pub fn new(session: &Session, title: impl Into<String>, nav: &'static str) -> Self {
        Self {
            title: title.into(),
            site_name: session.site.name.clone(),
            viewer: session.viewer_name().map(str::to_owned),
            viewer_avatar: session.avatar.clone(),
            csrf: session.csrf.clone(),
            theme: session.preferences.theme.as_str(),
            assets: assets::urls(),
            nav,
            feed: None,
            activity: None,
            can_sign_up: session.site.registration_mode != RegistrationMode::Closed,
            downvotes: session.site.downvotes_enabled,
            unread: session.header.unread_notifications,
            admin: session.viewer.as_ref().is_some_and(|v| v.admin),
            moderator: session.header.moderates || session.viewer.as_ref().is_some_and(|v| v.admin),
            open_reports: session.header.open_reports,
        }
    }

    /// Announces an RSS feed of the page.
    pub fn with_feed(mut self, title: impl Into<String>, href: impl Into<String>) -> Self {
        self.feed = Some(FeedLink {
            title: title.into(),
            href: href.into(),
        });
        self
    }

    /// Announces the ActivityPub JSON of a local actor's page (`<link rel="alternate">`), so
    /// that tools and servers given the page's address find the actor.
    pub fn with_activity(mut self, href: impl Into<String>) -> Self {
        self.activity = Some(href.into());
        self
    }

    /// The footer's line: the site's own name runs on Hearth, or, while the site has no name
    /// of its own (the default is "Hearth"), "This site" does.
    pub fn runs_on(&self) -> String {
        let name = self.site_name.trim();
        if name.is_empty() || name.eq_ignore_ascii_case("hearth") {
            "This site runs on Hearth".to_owned()
        } else {
            format!("{name} runs on Hearth")
        }
    }

    /// True when someone is signed in.
    pub fn signed_in(&self) -> bool {
        self.viewer.is_some()
    }

    /// The first letter of the signed-in account's name, for its avatar.
    pub fn viewer_initial(&self) -> String {
        self.viewer
            .as_deref()
            .and_then(|name| name.chars().next())
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default()
    }

    /// True when the signed-in account is called `name`.
    pub fn is_viewer(&self, name: &str) -> bool {
        self.viewer.as_deref() == Some(name)
    }
}

/// A page handler's error: rendered as an HTML page with the error's status.
#[derive(Debug)]
pub struct WebError(pub Error);

impl WebError {
    /// 404 with a message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self(Error::not_found(message))
    }
}

impl From<Error> for WebError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl From<askama::Error> for WebError {
    fn from(error: askama::Error) -> Self {
        Self(Error::from(error))
    }
}

/// Marks a response whose body the page middleware replaces with an error page.
#[derive(Debug, Clone)]
pub struct ErrorPage(pub ErrorKind);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.0.kind.status();
        if status.is_server_error() {
            // Logged once, here; the page says only that something went wrong.
            tracing::error!(error = ?self.0, "page failed");
        }
        let mut response = status.into_response();
        // 429, and 503 while the database is away: the page says when to come back.
        if let Some(retry_after_secs) = self.0.kind.retry_after_secs() {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs),
            );
        }
        response.extensions_mut().insert(ErrorPage(self.0.kind));
        response
    }
}

/// A handler's result.
pub type PageResult = Result<Response, WebError>;

/// Renders a template as a 200 page.
pub fn render(template: &impl Template) -> PageResult {
    Ok(Html(template.render()?).into_response())
}

/// Renders a template with another status (a form shown again with its errors).
pub fn render_status(status: StatusCode, template: &impl Template) -> PageResult {
    Ok((status, Html(template.render()?)).into_response())
}

/// `303 See Other` to a path of ours: the redirect after a successful POST.
pub fn see_other(location: &str) -> Response {
    let value = HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(LOCATION, value)]).into_response()
}

/// `303 See Other` back to the page of this site a form was posted from (its `Referer`), else
/// to `fallback`: where a button's action (join, block…) returns the visitor.
pub fn back(headers: &HeaderMap, fallback: &str) -> Response {
    let location = same_site_referer(headers);
    see_other(location.as_deref().unwrap_or(fallback))
}

/// Where a button on an item (a vote, a save) sends the visitor back to: the page it came from,
/// at that item.
pub fn back_to(headers: &HeaderMap, fallback: String, anchor: &str) -> String {
    let page = same_site_referer(headers)
        .map(|p| p.split('#').next().unwrap_or("/").to_owned())
        .unwrap_or(fallback);
    format!("{page}#{anchor}")
}

/// The path (and query) of the page a form was posted from, when the `Referer` is a page of
/// this site: where a vote or a join sends the visitor back to.
pub fn same_site_referer(headers: &HeaderMap) -> Option<String> {
    let referer = url::Url::parse(headers.get(REFERER)?.to_str().ok()?).ok()?;
    let host = headers.get(HOST)?.to_str().ok()?;
    let authority = match referer.port() {
        Some(port) => format!("{}:{port}", referer.host_str()?),
        None => referer.host_str()?.to_owned(),
    };
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    let mut path = referer.path().to_owned();
    if let Some(query) = referer.query() {
        path.push('?');
        path.push_str(query);
    }
    // Same checks as `next`: a path like `//evil.example` must never become a redirect.
    Some(local_path(Some(&path)))
}

/// A `next` parameter made safe to redirect to: a path of this site, never another origin
/// (`//evil.example`, `/\evil.example`, `https://…`).
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Percent-encodes a query string value.
pub fn encode_query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    layout: Layout,
    status: u16,
    heading: &'static str,
    message: String,
    signed_in_hint: bool,
}

#[derive(Template)]
#[template(
    source = r#"<p class="form-error" role="alert">{{ message }}</p>"#,
    ext = "html"
)]
struct ErrorFragment {
    message: String,
}

/// An error message as a fragment, for the enhancement script to show next to its form.
pub fn error_fragment(status: StatusCode, message: &str) -> Response {
    let message = plain(message);
    match (ErrorFragment { message }).render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

/// The error page (or fragment) for an error kind.
pub fn render_error(session: &Session, kind: &ErrorKind) -> Response {
    let status = kind.status();
    let message = match kind {
        ErrorKind::Validation { field, reason } => format!("{}: {reason}.", humanize(field)),
        other => other.message(),
    };
    let message = plain(&message);
    let rendered = if session.fragment {
        ErrorFragment { message }.render()
    } else {
        let heading = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::UNAUTHORIZED => "Please sign in",
            StatusCode::TOO_MANY_REQUESTS => "Slow down a little",
            StatusCode::CONFLICT => "That clashes with something",
            StatusCode::SERVICE_UNAVAILABLE => "Back in a moment",
            s if s.is_server_error() => "Something went wrong",
            _ => "That did not work",
        };
        ErrorTemplate {
            layout: Layout::new(session, heading, ""),
            status: status.as_u16(),
            heading,
            message,
            signed_in_hint: status == StatusCode::UNAUTHORIZED && session.viewer.is_none(),
        }
        .render()
    };
    match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, kind.message()).into_response()
        }
    }
}

/// A message as a page shows it: without markdown syntax. Service messages are written for
/// the API's readers and mark names and syntax as code (`` `name@host` ``); on a page the
/// backticks would show as they are, so a code span becomes a quotation (“name@host”) and a
/// stray backtick goes.
pub fn plain(message: &str) -> String {
    if !message.contains('`') {
        return message.to_owned();
    }
    let mut out = String::with_capacity(message.len() + 8);
    let mut rest = message;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('`') {
            Some(end) => {
                out.push('“');
                out.push_str(&after[..end]);
                out.push('”');
                rest = &after[end + 1..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

/// A field name as people read it: `display_name` → `Display name`.
pub fn humanize(field: &str) -> String {
    let spaced = field.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(humanize("display_name"), "Display name");
        assert_eq!(humanize("url"), "Url");
        assert_eq!(humanize(""), "");
    }

    #[test]
    fn messages_lose_their_markdown() {
        assert_eq!(
            plain("Community must be `name` or `name@host`."),
            "Community must be “name” or “name@host”."
        );
        assert_eq!(plain("A stray ` goes."), "A stray  goes.");
        assert_eq!(plain("Nothing to do."), "Nothing to do.");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode_query_value("/post/1?a=b&c"),
            "%2Fpost%2F1%3Fa%3Db%26c"
        );
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(local_path(Some("/post/1?sort=new")), "/post/1?sort=new");
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn referers_of_other_sites_are_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:8000"));
        headers.insert(
            REFERER,
            HeaderValue::from_static("http://127.0.0.1:8000/c/rust?sort=new"),
        );
        assert_eq!(
            same_site_referer(&headers).as_deref(),
            Some("/c/rust?sort=new")
        );
        headers.insert(
            REFERER,
            HeaderValue::from_static("http://evil.example/c/rust"),
        );
        assert_eq!(same_site_referer(&headers), None);
    }
}
