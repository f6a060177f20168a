//! The web pages over plain HTTP, as a browser without JavaScript uses them: status codes,
//! security headers, cookies, CSRF, forms that POST and redirect, static assets and RSS feeds.

use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::json;
use std::collections::BTreeMap;

/// A browser without JavaScript: keeps cookies, follows no redirects (tests look at them), and
/// sends the CSRF token with every form unless told not to.
pub(crate) struct Visitor {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

/// A response, read.
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    fn assert_contains(&self, needle: &str) {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in the page ({}):\n{}",
            self.status,
            self.body
        );
    }
}

impl Visitor {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    /// A visitor signed in through the login form.
    pub(crate) async fn signed_in(app: &TestApp, user: &TestUser) -> Self {
        let mut visitor = Self::new(app);
        visitor.get("/login").await;
        let page = visitor
            .post(
                "/login",
                &[("username", &user.name), ("password", TEST_PASSWORD)],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        visitor
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn csrf(&self) -> String {
        self.cookies
            .get("hearth_csrf")
            .cloned()
            .expect("a CSRF cookie (GET a page first)")
    }

    async fn read(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let headers = response.headers().clone();
        for cookie in headers.get_all(SET_COOKIE) {
            let cookie = cookie.to_str().unwrap();
            let (pair, attributes) = cookie.split_once(';').unwrap_or((cookie, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(response).await
    }

    /// Posts a form with the CSRF token.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf();
        let mut all = vec![("csrf_token", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, &[]).await
    }

    /// Posts exactly these fields, with extra headers.
    pub(crate) async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.read(response).await
    }
}

async fn community(app: &TestApp, owner: &TestUser, name: &str) {
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": name, "title": format!("All about {name}"), "description": "A *friendly* place."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn post(app: &TestApp, author: &TestUser, community: &str, title: &str, nsfw: bool) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": community, "title": title, "body": "Some **bold** words & <script>alert(1)</script>", "nsfw": nsfw}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

async fn comment(app: &TestApp, author: &TestUser, post_id: i64, parent: Option<i64>) -> i64 {
    let (status, body) = app
        .post_json(
            "/api/v1/comments",
            author.auth(),
            json!({"post_id": post_id, "parent_id": parent, "body": format!("A reply below {parent:?}")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn unknown_communities_posts_and_people_get_a_friendly_404_page() {
    let app = TestApp::spawn(&[]).await;
    let mut visitor = Visitor::new(&app);
    for path in [
        "/c/nowhere",
        "/post/987654",
        "/post/not-a-number",
        "/comment/987654",
        "/u/nobody",
        "/c/nowhere/edit",
    ] {
        let page = visitor.get(path).await;
        if path.ends_with("/edit") {
            // Editing needs a sign-in first.
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
            assert!(page.location().starts_with("/login?next="), "{path}");
            continue;
        }
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            page.header("content-type").starts_with("text/html"),
            "{path}"
        );
        page.assert_contains("<h1>Not found</h1>");
        page.assert_contains("href=\"/\"");
    }
    app.stop().await;
}

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy_and_security_headers() {
    let app = TestApp::spawn(&[]).await;
    let mut visitor = Visitor::new(&app);
    for path in ["/", "/communities", "/login", "/c/missing"] {
        let page = visitor.get(path).await;
        let csp = page.header("content-security-policy");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("form-action 'self'"), "{path}: {csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(page.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(page.header("referrer-policy"), "same-origin", "{path}");
        assert!(page.header("cache-control").contains("private"), "{path}");
        // Nothing inline that the policy would have to allow.
        assert!(
            !page.body.contains("<script>") && !page.body.contains(" style="),
            "{path}"
        );
        assert!(!page.body.contains(" onclick="), "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn user_html_is_shown_sanitised_and_everything_else_escaped() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "safety").await;
    let (status, body) = app
        .post_json(
            "/api/v1/posts",
            alice.auth(),
            json!({"community": "safety", "title": "<img src=x onerror=alert(1)> title", "body": "Hi <script>alert(2)</script> **there**"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    let page = Visitor::new(&app).get(&format!("/post/{id}")).await;
    page.assert_contains("&#60;img src=x onerror=alert(1)&#62; title");
    page.assert_contains("<strong>there</strong>");
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn static_assets_have_content_hashed_names_and_are_cached_forever() {
    let app = TestApp::spawn(&[]).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/").await;
    let asset = |prefix: &str| {
        let start = page
            .body
            .find(prefix)
            .unwrap_or_else(|| panic!("{prefix} linked"));
        let end = page.body[start..].find('"').unwrap() + start;
        page.body[start..end].to_owned()
    };
    for (path, content_type) in [
        (asset("/static/style."), "text/css"),
        (asset("/static/app."), "text/javascript"),
        (asset("/static/icon."), "image/svg+xml"),
    ] {
        let hash = path.split('.').nth(1).unwrap();
        assert_eq!(hash.len(), 16, "{path}");
        let file = visitor.get(&path).await;
        assert_eq!(file.status, StatusCode::OK, "{path}");
        assert!(
            file.header("content-type").starts_with(content_type),
            "{path}"
        );
        assert_eq!(
            file.header("cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(file.header("x-content-type-options"), "nosniff");
        // A stale name is not served from the long-lived cache.
        let stale = visitor.get(&path.replace(hash, "0000000000000000")).await;
        assert_eq!(stale.status, StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn rss_feeds_are_well_formed_and_list_the_posts() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "birds").await;
    post(&app, &alice, "birds", "Robins & wrens at dawn", false).await;
    post(&app, &alice, "birds", "A \"heron\" <on> the pond", false).await;
    post(&app, &alice, "birds", "Not for work", true).await;
    let mut visitor = Visitor::new(&app);
    for (page_path, feed_path) in [
        ("/", "/feeds/all.xml?sort=new"),
        ("/c/birds", "/feeds/c/birds.xml"),
        ("/u/alice", "/feeds/u/alice.xml"),
    ] {
        let page = visitor.get(page_path).await;
        page.assert_contains("<link rel=\"alternate\" type=\"application/rss+xml\"");
        page.assert_contains(&format!("href=\"{}\"", feed_path.replace('&', "&amp;")));
        let feed = visitor.get(feed_path).await;
        assert_eq!(feed.status, StatusCode::OK, "{feed_path}: {}", feed.body);
        assert!(
            feed.header("content-type")
                .starts_with("application/rss+xml"),
            "{feed_path}"
        );
        let doc = roxmltree::Document::parse(&feed.body)
            .unwrap_or_else(|e| panic!("{feed_path} is not well-formed XML: {e}\n{}", feed.body));
        let rss = doc.root_element();
        assert_eq!(rss.tag_name().name(), "rss");
        assert_eq!(rss.attribute("version"), Some("2.0"));
        let channel = rss.children().find(|n| n.has_tag_name("channel")).unwrap();
        let titles: Vec<&str> = channel
            .children()
            .filter(|n| n.has_tag_name("item"))
            .map(|item| {
                for required in ["link", "guid", "pubDate", "description"] {
                    assert!(
                        item.children().any(|n| n.has_tag_name(required)),
                        "{feed_path}: an item without <{required}>"
                    );
                }
                item.children()
                    .find(|n| n.has_tag_name("title"))
                    .and_then(|n| n.text())
                    .unwrap()
            })
            .collect();
        assert_eq!(
            titles,
            ["A \"heron\" <on> the pond", "Robins & wrens at dawn"],
            "{feed_path}: newest first, NSFW left out"
        );
    }
    assert_eq!(
        visitor.get("/feeds/c/nothing.xml").await.status,
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn signing_up_out_and_in_works_with_plain_forms() {
    let app = TestApp::spawn(&[]).await;
    let mut visitor = Visitor::new(&app);
    let form = visitor.get("/signup").await;
    form.assert_contains("name=\"csrf_token\"");
    let csrf_cookie = form
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("hearth_csrf="))
        .expect("a CSRF cookie");
    assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Lax"));
    assert!(!csrf_cookie.contains("Secure"), "plain http in tests");

    let page = visitor
        .post(
            "/signup",
            &[
                ("username", "Maria"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/");
    let session = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("hearth_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"));
    let rotated = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("hearth_csrf="))
        .expect("a new CSRF token at sign-in");
    assert_ne!(rotated, csrf_cookie);
    let home = visitor.get("/").await;
    home.assert_contains("href=\"/u/maria\"");
    home.assert_contains("Log out");
    let old_session = visitor.cookies["hearth_session"].clone();

    let page = visitor.post("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(!visitor.cookies.contains_key("hearth_session"));
    assert!(!visitor.get("/").await.body.contains("Log out"));
    // The token is revoked, not only forgotten by this browser.
    visitor
        .cookies
        .insert("hearth_session".to_owned(), old_session);
    let page = visitor.get("/").await;
    assert!(!page.body.contains("Log out"));
    assert!(
        page.set_cookies()
            .iter()
            .any(|c| c.starts_with("hearth_session=;")),
        "a stale session cookie is removed"
    );

    let page = visitor
        .post(
            "/login",
            &[("username", "maria"), ("password", "not the password")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    page.assert_contains("Wrong username or password.");
    page.assert_contains("value=\"maria\"");

    visitor
        .get("/login?next=/settings")
        .await
        .assert_contains("value=\"/settings\"");
    let page = visitor
        .post(
            "/login",
            &[
                ("username", "maria"),
                ("password", "a long enough password"),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/settings");
    // Redirects never leave the site.
    let page = visitor
        .post(
            "/login",
            &[
                ("username", "maria"),
                ("password", "a long enough password"),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location(), "/");
    app.stop().await;
}

#[tokio::test]
async fn sign_up_in_approval_mode_asks_the_application_question() {
    let app = TestApp::spawn(&[]).await;
    let admin = app.admin("root").await;
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/site",
            admin.auth(),
            Some(json!({"registration_mode": "approval", "application_question": "Why do you want to join?"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut visitor = Visitor::new(&app);
    visitor
        .get("/signup")
        .await
        .assert_contains("Why do you want to join?");
    let page = visitor
        .post(
            "/signup",
            &[
                ("username", "newbie"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("id=\"application_answer-error\"");
    page.assert_contains("value=\"newbie\"");
    let page = visitor
        .post(
            "/signup",
            &[
                ("username", "newbie"),
                ("password", "a long enough password"),
                ("application_answer", "I like birds."),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("waits for an administrator");
    assert!(!visitor.cookies.contains_key("hearth_session"));
    app.stop().await;
}

#[tokio::test]
async fn forms_posted_without_their_csrf_token_are_refused() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    let fields = [("name", "sneaky"), ("title", "Sneaky")];
    let missing = visitor.post_raw("/create_community", &fields, &[]).await;
    let wrong = visitor
        .post_raw(
            "/create_community",
            &[
                ("csrf_token", &"0".repeat(64)),
                ("name", "sneaky"),
                ("title", "x"),
            ],
            &[],
        )
        .await;
    let csrf = visitor.csrf();
    let cross_site = visitor
        .post_raw(
            "/create_community",
            &[("csrf_token", &csrf), ("name", "sneaky"), ("title", "x")],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    for page in [&missing, &wrong, &cross_site] {
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.header("content-type").starts_with("text/html"));
        page.assert_contains("This form has expired or did not come from this site.");
    }
    assert_eq!(
        visitor.get("/c/sneaky").await.status,
        StatusCode::NOT_FOUND,
        "nothing was created"
    );
    // Signing in is protected too (login CSRF), and a fresh visitor has no token yet.
    let mut stranger = Visitor::new(&app);
    let page = stranger
        .post_raw(
            "/login",
            &[("username", "alice"), ("password", TEST_PASSWORD)],
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!stranger.cookies.contains_key("hearth_session"));
    app.stop().await;
}

#[tokio::test]
async fn community_post_comment_and_vote_forms_redirect_after_posting() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let mut alice_web = Visitor::signed_in(&app, &alice).await;

    let page = alice_web
        .post(
            "/create_community",
            &[
                ("name", "Knitting"),
                ("title", "Knitting circle"),
                ("description", "Yarn *everywhere*."),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/c/knitting");
    let page = alice_web.get("/c/knitting").await;
    page.assert_contains("Knitting circle");
    page.assert_contains("<em>everywhere</em>");
    page.assert_contains("!knitting@localhost:");
    page.assert_contains("1 member");
    // `name@host` with our own host is the same community.
    let host = app.settings.hostname.to_string();
    let page = alice_web.get(&format!("/c/knitting@{host}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Knitting circle");

    let page = alice_web
        .post(
            "/create_post",
            &[
                ("community", "knitting"),
                ("title", "My first scarf"),
                ("url", "https://www.example.org/scarf"),
                ("body", "It is **long**."),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let post_path = page.location().to_owned();
    let post_id: i64 = post_path.trim_start_matches("/post/").parse().unwrap();

    let page = alice_web
        .post(
            &format!("/post/{post_id}/comment"),
            &[("body", "First comment"), ("parent_id", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (path, anchor) = page.location().split_once("#c").unwrap();
    assert_eq!(path, post_path);
    let first: i64 = anchor.parse().unwrap();

    let mut bob_web = Visitor::signed_in(&app, &bob).await;
    let page = bob_web
        .post(
            &format!("/post/{post_id}/comment"),
            &[("body", "A reply"), ("parent_id", &first.to_string())],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location().starts_with(&format!("/comment/{first}#c")));

    // A vote comes back to the page it was cast on, at the post.
    let referer = format!("{}/c/knitting?sort=new", app.base);
    let page = bob_web
        .post_raw(
            &format!("/post/{post_id}/vote"),
            &[("csrf_token", &bob_web.csrf()), ("score", "1")],
            &[("referer", &referer)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), format!("/c/knitting?sort=new#p{post_id}"));
    let page = bob_web
        .post(&format!("/comment/{first}/vote"), &[("score", "1")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let page = bob_web.post("/c/knitting/join", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let page = bob_web.get(&post_path).await;
    page.assert_contains("My first scarf");
    page.assert_contains("example.org");
    page.assert_contains("<strong>long</strong>");
    page.assert_contains("First comment");
    page.assert_contains("A reply");
    page.assert_contains("2 comments");
    page.assert_contains("2 members");
    // The post's and the first comment's score: bob's votes, pressed.
    assert_eq!(page.body.matches("aria-pressed=\"true\"").count(), 2);
    assert!(
        page.body.contains("Score: </span>1</span>"),
        "{}",
        page.body
    );
    // The reply is nested in the first comment.
    let first_at = page.body.find(&format!("id=\"c{first}\"")).unwrap();
    let reply_at = page.body.find("A reply").unwrap();
    assert!(reply_at > first_at);

    let page = bob_web.post("/c/knitting/leave", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    bob_web.get("/c/knitting").await.assert_contains("1 member");

    // Only the author edits and deletes.
    let page = bob_web.get(&format!("/post/{post_id}/edit")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = alice_web
        .post(
            &format!("/post/{post_id}/edit"),
            &[
                ("community", "knitting"),
                ("title", "My first scarf, finished"),
                ("url", ""),
                ("body", "Done."),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    alice_web
        .get(&post_path)
        .await
        .assert_contains("My first scarf, finished");
    let page = alice_web
        .post(
            &format!("/comment/{first}/edit"),
            &[("body", "Edited comment")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = alice_web
        .post(&format!("/comment/{first}/delete"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let page = alice_web.get(&post_path).await;
    page.assert_contains("deleted by its author");
    page.assert_contains("A reply");
    let page = alice_web
        .post(&format!("/post/{post_id}/delete"), &[])
        .await;
    assert_eq!(page.location(), "/c/knitting");
    alice_web
        .get(&post_path)
        .await
        .assert_contains("This post was deleted.");
    app.stop().await;
}

#[tokio::test]
async fn invalid_input_is_shown_next_to_its_field_with_the_input_kept() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "tea").await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;

    let page = visitor
        .post(
            "/create_post",
            &[
                ("community", "tea"),
                ("title", "  "),
                ("body", "Oolong is my favourite."),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains(
        "<p class=\"field-error\" id=\"title-error\">Title must be 1 to 200 characters long.</p>",
    );
    page.assert_contains("aria-invalid=\"true\" aria-describedby=\"title-error\"");
    page.assert_contains("Oolong is my favourite.");
    page.assert_contains("role=\"alert\"");

    let page = visitor
        .post(
            "/create_post",
            &[("community", "coffee"), ("title", "Espresso")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("id=\"community-error\"");
    // The service writes names as code (`coffee`); a page shows no markdown syntax.
    page.assert_contains("There is no community “coffee” here.");
    page.assert_contains("value=\"Espresso\"");

    let page = visitor
        .post(
            "/create_post",
            &[("community", "tea"), ("title", "Link"), ("url", "ftp://x")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("Link must be an http or https link.");

    let page = visitor
        .post(
            "/create_community",
            &[("name", "tea"), ("title", "Tea again")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    page.assert_contains("id=\"name-error\"");
    page.assert_contains("A community named “tea” exists already.");

    let mut stranger = Visitor::new(&app);
    stranger.get("/signup").await;
    let page = stranger
        .post("/signup", &[("username", "ab"), ("password", "short")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("Username must be 3 to 30 characters long.");
    page.assert_contains("value=\"ab\"");
    assert!(
        !page.body.contains("value=\"short\""),
        "passwords are never echoed"
    );
    let page = stranger
        .post(
            "/signup",
            &[
                ("username", "alice"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    page.assert_contains("id=\"username-error\"");

    let post_id = post(&app, &alice, "tea", "Green or black?", false).await;
    let page = visitor
        .post(
            &format!("/post/{post_id}/comment"),
            &[("body", "   "), ("parent_id", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("Your comment must not be empty.");
    page.assert_contains("Green or black?");
    app.stop().await;
}

#[tokio::test]
async fn settings_change_the_profile_preferences_and_password() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "art").await;
    post(&app, &alice, "art", "A tasteful nude", true).await;
    post(&app, &alice, "art", "A landscape", false).await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;

    let page = visitor.get("/settings").await;
    page.assert_contains("id=\"theme-system\" name=\"theme\" value=\"system\" checked");
    let front = visitor.get("/").await;
    front.assert_contains("A landscape");
    assert!(!front.body.contains("A tasteful nude"));
    front.assert_contains("1 post marked NSFW is hidden.");
    assert!(front.body.contains("<html lang=\"en\">"), "no theme forced");

    let page = visitor
        .post(
            "/settings/profile",
            &[("display_name", "Alice A."), ("bio", "I paint *clouds*.")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(page.location(), "/settings?saved=profile");
    visitor
        .get("/settings?saved=profile")
        .await
        .assert_contains("Your profile was saved.");
    let profile = visitor.get("/u/alice").await;
    profile.assert_contains("<h1>Alice A.");
    profile.assert_contains("<em>clouds</em>");

    let page = visitor
        .post(
            "/settings/profile",
            &[("display_name", &"x".repeat(101)), ("bio", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("Display name must be at most 100 characters.");

    let page = visitor
        .post(
            "/settings/preferences",
            &[("theme", "dark"), ("show_nsfw", "on")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let front = visitor.get("/").await;
    assert!(
        front
            .body
            .contains("<html lang=\"en\" data-theme=\"dark\">")
    );
    front.assert_contains("A tasteful nude");
    let page = visitor
        .post("/settings/preferences", &[("theme", "neon")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    let page = visitor
        .post(
            "/settings/password",
            &[
                ("current_password", "wrong password"),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("Current password is not your current password.");
    let page = visitor
        .post(
            "/settings/password",
            &[
                ("current_password", TEST_PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a different password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("The repeated password does not match the new password.");
    let page = visitor
        .post(
            "/settings/password",
            &[
                ("current_password", TEST_PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // The visitor carries on with a fresh session; every old token of the account is revoked
    // (a thief holding the old session cookie is signed out too).
    visitor.get("/settings").await.assert_contains("Log out");
    let (status, _) = app.get_json("/api/v1/me", alice.auth()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let token = app.login("alice", "a brand new password").await;
    assert!(!token.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn session_cookies_are_secure_when_the_site_is_served_over_https() {
    let app = TestApp::spawn(&[("HEARTH__FEDERATION__DEBUG_LOCAL", "false")]).await;
    let page = Visitor::new(&app).get("/login").await;
    let cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-hearth_csrf="))
        .expect("a __Host- CSRF cookie over https");
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"));
    assert!(cookie.contains("Path=/") && !cookie.contains("Domain"));
    app.stop().await;
}

#[tokio::test]
async fn the_enhancement_script_gets_html_fragments() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "frogs").await;
    let post_id = post(&app, &alice, "frogs", "Ribbit", false).await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    let csrf = visitor.csrf();
    let fragment = [("x-hearth-fragment", "1")];

    let page = visitor
        .post_raw(
            &format!("/post/{post_id}/vote"),
            &[("csrf_token", &csrf), ("score", "1")],
            &fragment,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.starts_with("<form class=\"vote voted-up\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<html"));

    let page = visitor
        .post_raw(
            &format!("/post/{post_id}/comment"),
            &[("csrf_token", &csrf), ("body", "Croak"), ("parent_id", "")],
            &fragment,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .trim_start()
            .starts_with("<li class=\"comment comment-mine\""),
        "{}",
        page.body
    );
    page.assert_contains("<p>Croak</p>");

    let page = visitor
        .post_raw(
            &format!("/post/{post_id}/comment"),
            &[("csrf_token", &csrf), ("body", ""), ("parent_id", "")],
            &fragment,
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        page.body,
        "<p class=\"form-error\" role=\"alert\">Your comment must not be empty.</p>"
    );

    let page = visitor
        .post_raw(
            "/post/987654/vote",
            &[("csrf_token", &csrf), ("score", "1")],
            &fragment,
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body.starts_with("<p class=\"form-error\""),
        "{}",
        page.body
    );
    app.stop().await;
}

#[tokio::test]
async fn search_finds_content_and_opens_community_handles() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "astronomy").await;
    post(&app, &alice, "astronomy", "Saturn's rings tonight", false).await;
    let mut visitor = Visitor::new(&app);
    let host = app.settings.hostname.to_string();
    let page = visitor.get(&format!("/search?q=!astronomy@{host}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/c/astronomy");
    let page = visitor.get("/search?q=%40alice").await;
    assert_eq!(page.location(), "/u/alice");
    let page = visitor.get("/search?q=rings").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("Saturn&#39;s rings tonight");
    let page = visitor.get("/search?q=astro&type=communities").await;
    page.assert_contains("All about astronomy");
    let page = visitor.get("/search?q=ali&type=users").await;
    page.assert_contains("href=\"/u/alice\"");
    let page = visitor.get("/search?q=nothing+like+this").await;
    page.assert_contains("Nothing found");
    app.stop().await;
}

#[tokio::test]
async fn deep_threads_link_to_the_replies_they_do_not_show() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "chains").await;
    let post_id = post(&app, &alice, "chains", "A long chain", false).await;
    let mut parent = None;
    let mut ids = Vec::new();
    for _ in 0..8 {
        let id = comment(&app, &alice, post_id, parent).await;
        ids.push(id);
        parent = Some(id);
    }
    let mut visitor = Visitor::new(&app);
    let page = visitor.get(&format!("/post/{post_id}")).await;
    // The post's page shows six levels; the sixth links to the rest.
    for id in &ids[..6] {
        page.assert_contains(&format!("id=\"c{id}\""));
    }
    assert!(!page.body.contains(&format!("id=\"c{}\"", ids[6])));
    page.assert_contains(&format!("<a href=\"/comment/{}\">1 more reply</a>", ids[5]));
    // Every comment is collapsible without JavaScript.
    assert_eq!(
        page.body
            .matches("<details open class=\"comment-details\">")
            .count(),
        6
    );

    let page = visitor.get(&format!("/comment/{}", ids[5])).await;
    assert_eq!(page.status, StatusCode::OK);
    for id in &ids[5..] {
        page.assert_contains(&format!("id=\"c{id}\""));
    }
    page.assert_contains(&format!("href=\"/comment/{}#c{}\"", ids[4], ids[5]));
    page.assert_contains("A long chain");
    app.stop().await;
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_sign_in_and_back() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "owls").await;
    let mut visitor = Visitor::new(&app);
    for path in [
        "/create_post?community=owls",
        "/settings",
        "/create_community",
        "/?feed=subscribed",
    ] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}");
        let next = url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>();
        assert_eq!(page.location(), format!("/login?next={next}"), "{path}");
    }
    let page = visitor
        .post_raw(
            "/c/owls/join",
            &[("csrf_token", &visitor.csrf())],
            &[("referer", &format!("{}/c/owls", app.base))],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/login?next=%2Fc%2Fowls");
    app.stop().await;
}

#[tokio::test]
async fn searching_a_remote_handle_or_url_looks_it_up_and_opens_its_page() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    community(&a, &alice, "astronomy").await;
    let post_on_a = post(&a, &alice, "astronomy", "Saturn tonight", false).await;
    let bob = b.user("bob").await;
    let a_host = a.settings.hostname.to_string();
    let mut visitor = Visitor::signed_in(&b, &bob).await;

    let page = visitor.get(&format!("/search?q=!astronomy@{a_host}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), format!("/c/astronomy@{a_host}"));
    let location = page.location().to_owned();
    let page = visitor.get(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&format!("!astronomy@{a_host}"));

    let page = visitor.get(&format!("/search?q=%40alice@{a_host}")).await;
    assert_eq!(page.location(), format!("/u/alice@{a_host}"));

    let url = format!(
        "http%3A%2F%2F{}%2Fpost%2F{post_on_a}",
        a_host.replace(':', "%3A")
    );
    let page = visitor.get(&format!("/search?q={url}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.location().starts_with("/post/"), "{}", page.location());
    let location = page.location().to_owned();
    visitor
        .get(&location)
        .await
        .assert_contains("Saturn tonight");

    // Anonymous visitors do not make this server fetch anything: they get plain search.
    let mut anonymous = Visitor::new(&b);
    let page = anonymous.get("/search?q=!nowhere@elsewhere.example").await;
    assert_eq!(page.status, StatusCode::OK);

    // Local actor pages announce their ActivityPub JSON.
    let mut on_a = Visitor::new(&a);
    on_a.get("/c/astronomy").await.assert_contains(
        r#"<link rel="alternate" type="application/activity+json" href="/c/astronomy">"#,
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_new_tab_lists_backfilled_posts_by_publication_time_page_after_page() {
    let app = TestApp::spawn(&[]).await;
    let kim = app.user("kim").await;
    community(&app, &kim, "history").await;
    post(&app, &kim, "history", "Written here now", false).await;
    let pool = app.db.pool().await;
    let community_id: i64 = sqlx::query_scalar("select id from community where name = 'history'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let author: i64 = sqlx::query_scalar(
        "insert into person (ap_id, local, name, host)
         values ('https://old.example/u/ann', false, 'ann', 'old.example') returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // A backfill stores the newest first: 30 posts, an hour apart, ids rising as times fall.
    let mut conn = pool.acquire().await.unwrap();
    for n in 1..=30 {
        let ap_id = format!("https://old.example/post/{n}");
        let title = format!("Backfilled {n:02}");
        let new = hearth_db::post::NewPost {
            ap_id: Some(&ap_id),
            local: false,
            community_id,
            author_id: author,
            title: &title,
            url: None,
            body: "",
            body_html: "",
            nsfw: false,
            language: None,
        };
        let published = chrono::Utc::now() - chrono::Duration::hours(n);
        hearth_db::post::upsert_remote(&mut conn, &new, published, None)
            .await
            .unwrap()
            .unwrap();
    }
    drop(conn);
    let mut newest_first = vec!["Written here now".to_owned()];
    newest_first.extend((1..=30).map(|n| format!("Backfilled {n:02}")));

    let titles = |page: &Page| -> Vec<String> {
        page.body
            .split(r#"class="post-card-title"><a href=""#)
            .skip(1)
            .filter_map(|card| card.split_once("\">")?.1.split_once("</a>"))
            .map(|(title, _)| title.to_owned())
            .collect()
    };
    let next_page = |page: &Page| -> Option<String> {
        let (before, _) = page.body.split_once(r#"" rel="next""#)?;
        let href = before.rsplit_once("href=\"")?.1;
        Some(href.replace("&#38;", "&").replace("&amp;", "&"))
    };
    let mut visitor = Visitor::new(&app);
    for start in ["/c/history?sort=new", "/?feed=all&sort=new"] {
        let mut seen = Vec::new();
        let mut path = Some(start.to_owned());
        while let Some(at) = path.take() {
            let page = visitor.get(&at).await;
            assert_eq!(page.status, StatusCode::OK, "{at}: {}", page.body);
            let listed = titles(&page);
            assert!(!listed.is_empty(), "{at} lists no posts:\n{}", page.body);
            seen.extend(listed);
            path = next_page(&page);
            assert!(seen.len() <= newest_first.len(), "{start}: {seen:?}");
        }
        assert_eq!(seen, newest_first, "{start}");
    }
    app.stop().await;
}

// ---- First impressions (issue 24: items 5, 6 and 8) -------------------------------------------

/// A moderator's action on a post through the API (`pin`, `lock`, …).
async fn moderate(app: &TestApp, moderator: &TestUser, post_id: i64, action: &str) {
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/posts/{post_id}/{action}"),
            moderator.auth(),
            None,
        )
        .await;
    assert!(status.is_success(), "{action}: {status} {body}");
}

/// Where `needle` first appears in the page (panics when it does not).
fn position(page: &Page, needle: &str) -> usize {
    page.body
        .find(needle)
        .unwrap_or_else(|| panic!("expected {needle:?} in the page:\n{}", page.body))
}

#[tokio::test]
async fn locked_and_pinned_posts_are_marked_and_a_locked_post_offers_no_comment_box() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "owls").await;
    let rules = post(&app, &alice, "owls", "House rules", false).await;
    let chat = post(&app, &alice, "owls", "Open chat", false).await;
    moderate(&app, &alice, rules, "pin").await;
    moderate(&app, &alice, rules, "lock").await;

    // Marked in lists and on the post's own page.
    let mut bobs = Visitor::signed_in(&app, &bob).await;
    let page = bobs.get("/c/owls").await;
    let card = &page.body[position(&page, &format!("id=\"p{rules}\""))..];
    let card = &card[..card.find("</article>").unwrap()];
    assert!(
        card.contains(">Pinned</span>") && card.contains(">Locked</span>"),
        "{card}"
    );
    let card = &page.body[position(&page, &format!("id=\"p{chat}\""))..];
    let card = &card[..card.find("</article>").unwrap()];
    assert!(
        !card.contains(">Pinned</span>") && !card.contains(">Locked</span>"),
        "{card}"
    );

    // Someone who does not moderate gets a note instead of the comment box, and no reply links.
    comment(&app, &alice, rules, None).await;
    let page = bobs.get(&format!("/post/{rules}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(">Pinned</span>");
    page.assert_contains(">Locked</span>");
    page.assert_contains("This post is locked: no new comments.");
    assert!(!page.body.contains("id=\"comment-body\""), "{}", page.body);
    assert!(!page.body.contains("class=\"action reply-link\""));
    assert!(!page.body.contains("id=\"reply-template\""));
    // The rule is the service's: a comment sent anyway is still refused.
    let refused = bobs
        .post(&format!("/post/{rules}/comment"), &[("body", "Me too")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // Signed out: the note, not an invitation to log in and comment.
    let page = Visitor::new(&app).get(&format!("/post/{rules}")).await;
    page.assert_contains("This post is locked: no new comments.");
    assert!(!page.body.contains("to join the conversation"));
    // An open post keeps its box.
    let page = bobs.get(&format!("/post/{chat}")).await;
    page.assert_contains("id=\"comment-body\"");
    assert!(!page.body.contains("This post is locked"));

    // The community's moderator still answers, and so does an admin (a local community).
    for moderator in [alice, app.admin("root").await] {
        let mut visitor = Visitor::signed_in(&app, &moderator).await;
        let page = visitor.get(&format!("/post/{rules}")).await;
        page.assert_contains("id=\"comment-body\"");
        page.assert_contains("class=\"action reply-link\"");
        page.assert_contains("except from moderators like you");
    }
    app.stop().await;
}

#[tokio::test]
async fn pinned_posts_come_first_in_their_community_on_the_first_page_only() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "owls").await;
    community(&app, &alice, "bats").await;
    let oldest = post(&app, &alice, "owls", "Oldest and pinned", false).await;
    let middle = post(&app, &alice, "owls", "In the middle", false).await;
    let newest = post(&app, &alice, "owls", "Newest of all", false).await;
    post(&app, &alice, "bats", "Elsewhere", false).await;
    moderate(&app, &alice, oldest, "pin").await;

    // The web page, sorted by new: the pinned post first, then the others, each once.
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/c/owls?sort=new").await;
    let order: Vec<usize> = [oldest, newest, middle]
        .iter()
        .map(|id| position(&page, &format!("id=\"p{id}\"")))
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{order:?}");
    assert_eq!(page.body.matches(&format!("id=\"p{oldest}\"")).count(), 1);

    // The API's community listing, a post a page: pinned first, then paged without it.
    let ids = |v: &serde_json::Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    };
    let (status, first) = app
        .get_json("/api/v1/posts?community=owls&sort=new&limit=1", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(ids(&first), vec![oldest, newest], "{first}");
    assert_eq!(first["items"][0]["featured"], json!(true));
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let (_, second) = app
        .get_json(
            &format!("/api/v1/posts?community=owls&sort=new&limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(ids(&second), vec![middle], "{second}");
    assert!(second["next_cursor"].is_null(), "{second}");
    // Hot as well (the default sort).
    let (_, hot) = app.get_json("/api/v1/posts?community=owls", None).await;
    assert_eq!(ids(&hot)[0], oldest, "{hot}");
    assert_eq!(ids(&hot).len(), 3, "{hot}");
    // Other feeds are not reordered by a community's pin.
    let (_, all) = app.get_json("/api/v1/posts?sort=new", None).await;
    assert_ne!(ids(&all)[0], oldest, "{all}");
    app.stop().await;
}

#[tokio::test]
async fn search_looks_at_every_kind_by_default_with_communities_and_people_first() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    app.user("gardener").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            alice.auth(),
            json!({"name": "gardening", "title": "Gardening"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    community(&app, &alice, "owls").await;
    post(&app, &alice, "owls", "A garden for owls", false).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/search?q=garden").await;
    assert_eq!(page.status, StatusCode::OK);
    let community_at = position(&page, "href=\"/c/gardening\"");
    let person_at = position(&page, "href=\"/u/gardener\"");
    let post_at = position(&page, "A garden for owls");
    assert!(community_at < person_at && person_at < post_at);
    page.assert_contains("<a href=\"/search?q=garden&#38;type=all\" aria-current=\"true\">All</a>");
    page.assert_contains("name=\"type\" value=\"all\"");
    // A single kind is still one tab away.
    let page = visitor.get("/search?q=garden&type=posts").await;
    page.assert_contains("A garden for owls");
    assert!(!page.body.contains("href=\"/c/gardening\""));
    app.stop().await;
}

#[tokio::test]
async fn messages_on_pages_show_no_markdown_syntax() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "tea").await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    // No community chosen: said in the form's words.
    let page = visitor
        .post("/create_post", &[("community", ""), ("title", "Oolong")])
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("id=\"community-error\"");
    page.assert_contains("Community is missing");
    // A typed community that is no handle: the service's message, without its backticks.
    let long = "x".repeat(101);
    let page = visitor
        .post(
            "/create_post",
            &[("community_other", &long), ("title", "Oolong")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    page.assert_contains("Community must be “name” or “name@host”.");
    page.assert_contains(&format!("value=\"{long}\""));
    assert!(!page.body.contains('`'), "{}", page.body);
    // One that does not exist.
    let page = visitor
        .post(
            "/create_post",
            &[("community_other", "tea party"), ("title", "Oolong")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    page.assert_contains("There is no community “tea party” here.");
    assert!(!page.body.contains('`'), "{}", page.body);
    // Error pages too.
    let page = visitor.get("/c/nowhere@").await;
    assert!(page.status.is_client_error());
    assert!(!page.body.contains('`'), "{}", page.body);
    app.stop().await;
}

#[tokio::test]
async fn the_post_form_offers_the_communities_one_joined() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(&app, &alice, "tea").await;
    community(&app, &alice, "coffee").await;
    let mut bobs = Visitor::signed_in(&app, &bob).await;
    let page = bobs.get("/create_post").await;
    page.assert_contains("<select id=\"community\" name=\"community\"");
    page.assert_contains("You have not joined a community yet");
    page.assert_contains("id=\"community_other\"");
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            "/api/v1/communities/tea/join",
            bob.auth(),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let page = bobs.get("/create_post").await;
    page.assert_contains("<option value=\"tea\">All about tea (tea)</option>");
    let picker = &page.body[position(&page, "<select id=\"community\"")..];
    let picker = &picker[..picker.find("</select>").unwrap()];
    assert!(!picker.contains("coffee"), "{picker}");
    // A community's "New post" link chooses it.
    let page = bobs.get("/create_post?community=tea").await;
    page.assert_contains("<option value=\"tea\" selected>");
    // Picked, or typed (the typed one wins).
    let page = bobs
        .post("/create_post", &[("community", "tea"), ("title", "Picked")])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = bobs
        .post(
            "/create_post",
            &[
                ("community", "tea"),
                ("community_other", "coffee"),
                ("title", "Typed"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, coffee) = app.get_json("/api/v1/posts?community=coffee", None).await;
    assert_eq!(coffee["items"][0]["title"], json!("Typed"));
    app.stop().await;
}

#[tokio::test]
async fn the_footer_names_the_site_only_when_it_has_a_name_of_its_own() {
    let app = TestApp::spawn(&[]).await;
    let mut visitor = Visitor::new(&app);
    let page = visitor.get("/").await;
    page.assert_contains("This site runs on Hearth, a federated community server.");
    assert!(!page.body.contains("Hearth runs on Hearth"));
    let root = app.admin("root").await;
    let response = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/site",
            root.auth(),
            Some(json!({"name": "Owl Club"})),
        )
        .await;
    assert!(response.0.is_success(), "{response:?}");
    let page = visitor.get("/").await;
    page.assert_contains("Owl Club runs on Hearth, a federated community server.");
    app.stop().await;
}

#[tokio::test]
async fn the_comment_form_previews_the_comment_without_sending_it() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "tea").await;
    let post_id = post(&app, &alice, "tea", "Green or black?", false).await;
    let mut visitor = Visitor::signed_in(&app, &alice).await;
    let page = visitor.get(&format!("/post/{post_id}")).await;
    page.assert_contains("name=\"preview\" value=\"1\"");
    let page = visitor
        .post(
            &format!("/post/{post_id}/comment"),
            &[
                ("body", "Both, **obviously**."),
                ("parent_id", ""),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let preview_at = position(&page, "class=\"comment-preview\"");
    let form_at = position(&page, "<textarea id=\"body\"");
    assert!(preview_at < form_at);
    page.assert_contains("<strong>obviously</strong>");
    page.assert_contains(">Both, **obviously**.</textarea>");
    let (_, thread) = app
        .get_json(&format!("/api/v1/posts/{post_id}/comments"), None)
        .await;
    assert_eq!(thread["items"].as_array().unwrap().len(), 0, "{thread}");
    // Sent from the preview, it is written.
    let page = visitor
        .post(
            &format!("/post/{post_id}/comment"),
            &[("body", "Both, **obviously**."), ("parent_id", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, thread) = app
        .get_json(&format!("/api/v1/posts/{post_id}/comments"), None)
        .await;
    assert_eq!(thread["items"].as_array().unwrap().len(), 1, "{thread}");
    app.stop().await;
}
