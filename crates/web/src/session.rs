//! Who is looking at a page. The session cookie holds a token issued by
//! `hearth_service::auth::login` (so the web and the API share one token store and one way to
//! revoke), resolved per request with `hearth_service::auth::authenticate` by the first
//! extractor that asks for the `Session`; the session left in the request's `SessionSlot` lets
//! the page middleware (`crate::middleware`) render error pages with the visitor's context and
//! set the cookies that loading it decided on.
//!
//! CSRF is a double submit: a random `csrf` cookie (HttpOnly, SameSite=Lax) whose value every
//! form repeats in a hidden `csrf_token` field; `extract::CsrfForm` (and, for the forms that
//! carry pictures, `pictures::PictureForm`) refuses a POST whose two values differ, and one a
//! browser marks as cross-site. Over https both cookies are `Secure` and carry the `__Host-`
//! prefix, which stops a sibling subdomain from planting its own CSRF cookie; signing in also
//! replaces the CSRF token.
//!
//! A session ends when its token does (unused for `sessions.idle_lifetime_secs`, or older than
//! `sessions.absolute_lifetime_secs`): `authenticate` no longer knows it, so the visitor is
//! anonymous again, the stale cookie is cleared, and pages that need an account lead to the
//! sign-in page. The cookies live as long as the absolute lifetime, the longest a session can.

use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use hearth_core::Error;
use hearth_core::settings::RegistrationMode;
use hearth_db::header::HeaderCounts;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use hearth_service::settings::Preferences;
use rand::RngCore;
use std::sync::{Arc, Mutex};

/// The header the enhancement script sends when it wants a fragment of HTML, not a page.
pub const FRAGMENT_HEADER: &str = "x-hearth-fragment";

/// How long a browser keeps the cookies when no settings say (the fallback session's).
const DEFAULT_COOKIE_MAX_AGE_SECS: i64 = 365 * 24 * 3600;

/// What the page layout needs to know of the site; read once per request.
#[derive(Debug, Clone)]
pub struct SiteFacts {
    /// The instance's name.
    pub name: String,
    /// Its description, rendered and sanitised.
    pub description_html: String,
    /// Who may sign up.
    pub registration_mode: RegistrationMode,
    /// Asked of applicants in approval mode.
    pub application_question: String,
    /// Whether downvotes are accepted (the pages hide the button when not).
    pub downvotes_enabled: bool,
}

/// The visitor of one request.
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in account, if any.
    pub viewer: Option<Viewer>,
    /// The account's preferences; the defaults for anonymous visitors.
    pub preferences: Preferences,
    /// The signed-in account's header numbers: unread notifications (the bell), whether they
    /// moderate, open reports (the moderation badge).
    pub header: HeaderCounts,
    /// Where the header loads the signed-in account's avatar from, when they have one.
    pub avatar: Option<String>,
    /// The CSRF token every form of the page carries.
    pub csrf: String,
    /// The site.
    pub site: SiteFacts,
    /// Whether the site is served over https (cookies are `Secure` then).
    pub secure: bool,
    /// Whether the enhancement script asked for a fragment rather than a page.
    pub fragment: bool,
    /// How long the browser keeps the cookies: the absolute lifetime of a session.
    pub cookie_max_age_secs: i64,
}

impl Session {
    /// The signed-in account's name.
    pub fn viewer_name(&self) -> Option<&str> {
        self.viewer.as_ref().map(|v| v.name.as_str())
    }

    /// True when the signed-in account is this person.
    pub fn is(&self, person_id: i64) -> bool {
        self.viewer
            .as_ref()
            .is_some_and(|v| v.person_id == person_id)
    }

    /// The names of the two cookies.
    pub fn cookie_names(&self) -> CookieNames {
        CookieNames::new(self.secure)
    }

    /// A `Set-Cookie` value that stores a session token.
    pub fn session_cookie(&self, token: &str) -> HeaderValue {
        cookie(
            self.cookie_names().session,
            token,
            Some(self.cookie_max_age_secs),
            self.secure,
        )
    }

    /// A `Set-Cookie` value with a fresh CSRF token (given out again at sign-in, so that a token
    /// known before cannot be used after).
    pub fn fresh_csrf_cookie(&self) -> HeaderValue {
        cookie(
            self.cookie_names().csrf,
            &random_token(),
            Some(self.cookie_max_age_secs),
            self.secure,
        )
    }

    /// A `Set-Cookie` value that removes the session cookie.
    pub fn clear_session_cookie(&self) -> HeaderValue {
        cookie(self.cookie_names().session, "", Some(0), self.secure)
    }
}

/// The cookie names, with the `__Host-` prefix over https.
#[derive(Debug, Clone, Copy)]
pub struct CookieNames {
    /// The session token.
    pub session: &'static str,
    /// The CSRF token.
    pub csrf: &'static str,
}

impl CookieNames {
    /// The names for a site served over https (`secure`) or plain http.
    pub fn new(secure: bool) -> Self {
        if secure {
            Self {
                session: "__Host-hearth_session",
                csrf: "__Host-hearth_csrf",
            }
        } else {
            Self {
                session: "hearth_session",
                csrf: "hearth_csrf",
            }
        }
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, for the whole site; `Secure` over https.
fn cookie(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        text.push_str("; Secure");
    }
    // Names are constants and values are hex tokens, so this cannot fail; an empty value is
    // the harmless fallback.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of the cookie `name` in the request's `Cookie` headers.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// 256 random bits as hex: CSRF tokens.
fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_token(value: &str) -> bool {
    value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// What loading the session decided about cookies, for the page middleware to set.
#[derive(Clone)]
pub(crate) struct CookieChanges {
    /// A CSRF cookie to set, when the browser had none.
    pub(crate) new_csrf: Option<HeaderValue>,
    /// The session cookie named a token that no longer works.
    pub(crate) stale_session: bool,
}

async fn load(
    ctx: &ServiceContext,
    headers: &HeaderMap,
    fragment: bool,
) -> Result<(Session, CookieChanges), Error> {
    let secure = ctx.settings.public_scheme() == "https";
    let names = CookieNames::new(secure);
    // Settings keep the lifetime below ten years, far inside an i64.
    let cookie_max_age_secs =
        i64::try_from(ctx.settings.sessions.absolute_lifetime_secs).unwrap_or(i64::MAX);
    let (viewer, stale_session) = match read_cookie(headers, names.session) {
        Some(token) if !token.is_empty() => {
            match hearth_service::auth::authenticate(ctx, token).await? {
                Some(viewer) => (Some(viewer), false),
                None => (None, true),
            }
        }
        _ => (None, false),
    };
    let (preferences, header) = match &viewer {
        Some(v) => (
            hearth_service::settings::preferences(ctx, v).await?,
            hearth_service::notifications::header(ctx, v).await?,
        ),
        None => (Preferences::default(), HeaderCounts::default()),
    };
    // Read with the header's numbers, in the same query.
    let avatar = header
        .avatar_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .map(|u| hearth_service::media::thumbnail_src(ctx, u));
    // Anonymous visitors get the copy kept with the anonymous pages: a cached page is then
    // served without a statement (the site row was the one a cache hit still read).
    let site = match &viewer {
        Some(_) => std::sync::Arc::new(hearth_service::site::get(ctx).await?),
        None => hearth_service::site::for_anonymous_pages(ctx).await?,
    };
    let (csrf, new_csrf) = match read_cookie(headers, names.csrf).filter(|t| is_token(t)) {
        Some(token) => (token.to_owned(), None),
        None => {
            let token = random_token();
            // As long-lived as the session, so forms in tabs restored after a browser restart
            // still carry a valid token.
            let header = cookie(names.csrf, &token, Some(cookie_max_age_secs), secure);
            (token, Some(header))
        }
    };
    let session = Session {
        viewer,
        preferences,
        header,
        avatar,
        csrf,
        site: SiteFacts {
            name: site.name.clone(),
            description_html: site.description_html.clone(),
            registration_mode: site.registration_mode,
            application_question: site.application_question.clone(),
            downvotes_enabled: site.downvotes_enabled,
        },
        secure,
        fragment,
        cookie_max_age_secs,
    };
    Ok((
        session,
        CookieChanges {
            new_csrf,
            stale_session,
        },
    ))
}

/// The session when none was loaded (loading failed because the database is down, or the route
/// never asked for one): anonymous, so that an error page still renders.
pub(crate) fn fallback_session(fragment: bool) -> Session {
    Session {
        viewer: None,
        preferences: Preferences::default(),
        header: HeaderCounts::default(),
        avatar: None,
        csrf: String::new(),
        site: SiteFacts {
            name: "Hearth".to_owned(),
            description_html: String::new(),
            registration_mode: RegistrationMode::Closed,
            application_question: String::new(),
            downvotes_enabled: true,
        },
        secure: false,
        fragment,
        cookie_max_age_secs: DEFAULT_COOKIE_MAX_AGE_SECS,
    }
}

/// Where the session loaded during a request is left for the page middleware, which puts the
/// slot into the request and needs the session after the handler has run (for error pages and
/// cookies). Sessions are loaded by the first extractor that asks (see `session`), because the
/// middleware itself has no access to the router's state.
#[derive(Clone, Default)]
pub(crate) struct SessionSlot(Arc<Mutex<Option<(Session, CookieChanges)>>>);

impl SessionSlot {
    fn fill(&self, session: Session, changes: CookieChanges) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((session, changes));
        }
    }

    /// The session loaded during the request, if any was.
    pub(crate) fn take(&self) -> Option<(Session, CookieChanges)> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// The visitor of this request: loaded on first use, then cached in the request.
pub async fn session(parts: &mut Parts, ctx: &ServiceContext) -> Result<Session, Error> {
    if let Some(session) = parts.extensions.get::<Session>() {
        return Ok(session.clone());
    }
    let fragment = parts.headers.contains_key(FRAGMENT_HEADER);
    let (session, changes) = load(ctx, &parts.headers, fragment).await?;
    parts.extensions.insert(session.clone());
    if let Some(slot) = parts.extensions.get::<SessionSlot>() {
        slot.fill(session.clone(), changes);
    }
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_every_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; hearth_csrf=abc"));
        headers.append(COOKIE, HeaderValue::from_static("hearth_session=def"));
        assert_eq!(read_cookie(&headers, "hearth_csrf"), Some("abc"));
        assert_eq!(read_cookie(&headers, "hearth_session"), Some("def"));
        assert_eq!(read_cookie(&headers, "hearth"), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_over_https() {
        let plain = cookie("hearth_csrf", "x", None, false);
        assert_eq!(plain, "hearth_csrf=x; Path=/; HttpOnly; SameSite=Lax");
        let secure = cookie("__Host-hearth_session", "y", Some(60), true);
        assert_eq!(
            secure,
            "__Host-hearth_session=y; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
    }

    #[test]
    fn tokens_compare_by_value() {
        let token = random_token();
        assert!(is_token(&token));
        assert!(tokens_match(&token, &token.clone()));
        assert!(!tokens_match(&token, &random_token()));
        assert!(!tokens_match(&token, &token[1..]));
    }
}
