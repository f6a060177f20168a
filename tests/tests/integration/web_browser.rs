//! The web interface in a real headless Chromium: a newcomer's whole journey with and without
//! JavaScript, form errors as people see them, and the screenshots of docs/screenshots.
//! A failing test leaves a screenshot and the page's HTML behind (see `Browser::run`).

use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::browser::{Browser, BrowserOptions, screenshot_dir};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

async fn sign_up(browser: &Browser, app: &TestApp, name: &str) {
    browser.goto(&format!("{}/signup", app.base)).await;
    browser.fill("#username", name).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("main form button[type=submit]").await;
    browser.wait_for_text(".account-nav", name).await;
}

/// The score shown by the vote widget matching `css`.
async fn score(browser: &Browser, css: &str) -> i64 {
    let text = browser.text(&format!("{css} .score")).await;
    text.split_whitespace()
        .last()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no score in {text:?}"))
}

async fn wait_for_score(browser: &Browser, css: &str, expected: i64) {
    browser
        .wait_for(
            &format!("the score of `{css}` to be {expected}"),
            || async {
                let text = browser
                    .find_all(&format!("{css} .score"))
                    .await
                    .into_iter()
                    .next()?
                    .text()
                    .await
                    .ok()?;
                let value: i64 = text.split_whitespace().last()?.parse().ok()?;
                (value == expected).then_some(())
            },
        )
        .await;
}

/// Sign up, start a community, post, comment, reply and vote; then reload and check that the
/// scores and the thread are what they should be.
async fn journey(browser: &Browser, app: &TestApp) {
    let javascript = browser.options().javascript;
    sign_up(browser, app, "maria").await;
    assert_eq!(browser.scripts_ran().await, javascript);

    browser.click(".sidebar a[href='/create_community']").await;
    browser.fill("#name", "gardening").await;
    browser.fill("#title", "Gardening").await;
    browser
        .fill("#description", "Dirt under our *fingernails*.")
        .await;
    browser.click("main form button[type=submit]").await;
    browser
        .wait_for_path("/c/gardening", |p| p == "/c/gardening")
        .await;
    browser
        .wait_for_text(".sidebar .prose", "fingernails")
        .await;
    browser.wait_for_text(".community-head", "1 member").await;

    browser
        .click(".community-head-actions a[href^='/create_post']")
        .await;
    browser
        .wait_for_path("the post form", |p| p.starts_with("/create_post"))
        .await;
    // The community picker (a select) has the community chosen.
    assert_eq!(
        browser
            .find("#community")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("gardening")
    );
    browser.fill("#title", "Tomatoes in November?").await;
    browser.fill("#body", "Mine are *still* ripening.").await;
    browser.click("main form button[type=submit]").await;
    let post_path = browser
        .wait_for_path("a post's page", |p| p.starts_with("/post/"))
        .await;
    browser.wait_for_text("h1", "Tomatoes in November?").await;

    browser.fill("#comment-body", "Cover them at night.").await;
    browser
        .click(".comments > form.comment-form button[type=submit]")
        .await;
    browser
        .wait_for_text("#thread", "Cover them at night.")
        .await;
    let first = browser
        .attr("#thread > li.comment", "id")
        .await
        .expect("the comment's id");

    browser.click(&format!("#{first} .reply-link")).await;
    if javascript {
        // The reply form opens in place.
        let textarea = format!("#{first} .reply-form textarea");
        browser.fill(&textarea, "Good idea, thanks!").await;
        browser
            .click(&format!("#{first} .reply-form button[type=submit]"))
            .await;
        assert_eq!(browser.path().await, post_path, "no page load");
    } else {
        browser
            .wait_for_path("the reply page", |p| p.ends_with("/reply"))
            .await;
        browser.fill("#body", "Good idea, thanks!").await;
        browser.click("main form button[type=submit]").await;
        browser
            .wait_for_path("the comment's page", |p| p.starts_with("/comment/"))
            .await;
        browser
            .wait_for_text(&format!("#{first} .replies"), "Good idea, thanks!")
            .await;
        browser.goto(&format!("{}{post_path}", app.base)).await;
    }
    browser
        .wait_for_text(&format!("#{first} .replies"), "Good idea, thanks!")
        .await;
    let reply = browser
        .attr(&format!("#{first} .replies > li.comment"), "id")
        .await
        .expect("the reply's id");

    assert_eq!(score(browser, ".post-actions").await, 0);
    browser.click(".post-actions .vote-up").await;
    wait_for_score(browser, ".post-actions", 1).await;
    let reply_actions = format!("#{reply} > details > .comment-actions");
    browser.click(&format!("{reply_actions} .vote-up")).await;
    wait_for_score(browser, &reply_actions, 1).await;
    // Taking a vote back and voting down.
    let first_actions = format!("#{first} > details > .comment-actions");
    browser.click(&format!("{first_actions} .vote-down")).await;
    wait_for_score(browser, &first_actions, -1).await;
    browser.click(&format!("{first_actions} .vote-down")).await;
    wait_for_score(browser, &first_actions, 0).await;

    browser.goto(&format!("{}{post_path}", app.base)).await;
    browser.reload().await;
    browser.wait_for_text("h1", "Tomatoes in November?").await;
    assert_eq!(score(browser, ".post-actions").await, 1);
    assert_eq!(score(browser, &reply_actions).await, 1);
    assert_eq!(score(browser, &first_actions).await, 0);
    assert_eq!(
        browser
            .attr(".post-actions .vote-up", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    assert!(
        browser
            .exists(&format!("#thread > #{first} .replies > #{reply}"))
            .await,
        "the reply is nested under the comment"
    );
    assert!(browser.text(".post-actions").await.contains("2 comments"));
    assert!(browser.text(".post-body").await.contains("still"));

    // Collapsing a comment hides its replies, without JavaScript too.
    browser
        .click(&format!("#{first} > details > summary"))
        .await;
    browser
        .wait_for("the thread to collapse", || async {
            let reply = browser
                .find_all(&format!("#{reply}"))
                .await
                .into_iter()
                .next()?;
            (!reply.is_displayed().await.ok()?).then_some(())
        })
        .await;
}

#[tokio::test]
async fn a_newcomer_signs_up_posts_comments_replies_and_votes_with_javascript() {
    let app = TestApp::spawn(&[]).await;
    let browser = Browser::start("journey_with_javascript", true).await;
    browser.run(journey(&browser, &app)).await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_same_journey_works_without_javascript() {
    let app = TestApp::spawn(&[]).await;
    let browser = Browser::start("journey_without_javascript", false).await;
    browser.run(journey(&browser, &app)).await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn forms_show_the_services_messages_next_to_the_fields() {
    let app = TestApp::spawn(&[]).await;
    let owner = app.user("owner").await;
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": "tea", "title": "Tea"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let browser = Browser::start("form_errors", true).await;
    browser
        .run(async {
            browser.goto(&format!("{}/signup", app.base)).await;
            browser.fill("#username", "ab").await;
            browser.fill("#password", "short").await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_text(
                    "#username-error",
                    "Username must be 3 to 30 characters long.",
                )
                .await;
            assert_eq!(
                browser.attr("#username", "value").await.as_deref(),
                Some("ab")
            );
            assert_eq!(
                browser.attr("#username", "aria-invalid").await.as_deref(),
                Some("true")
            );
            assert!(
                browser
                    .text(".error-summary")
                    .await
                    .contains("There is a problem")
            );
            // The summary links to the field.
            browser.click(".error-summary a[href='#username']").await;

            sign_up(&browser, &app, "maria").await;
            browser
                .goto(&format!("{}/create_post?community=tea", app.base))
                .await;
            browser.fill("#body", "Keep what I typed, please.").await;
            browser.click("main form button[type=submit]").await;
            browser
                .wait_for_text("#title-error", "Title must be 1 to 200 characters long.")
                .await;
            let body = browser.find("#body").await;
            assert_eq!(
                body.prop("value").await.unwrap().as_deref(),
                Some("Keep what I typed, please.")
            );
            assert_eq!(
                browser
                    .find("#community")
                    .await
                    .prop("value")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("tea")
            );
        })
        .await;
    browser.close().await;
    app.stop().await;
}

// ---- Screenshots -------------------------------------------------------------------------------

async fn api(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let (status, value) = app.post_json(path, user.auth(), body).await;
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

/// Realistic content: a few communities, posts with threads and scores, spread over the last
/// days. Returns the id of the post with the liveliest thread.
async fn seed(app: &TestApp) -> i64 {
    let admin = app.admin("admin").await;
    let (status, body) = app
        .call(
            reqwest::Method::PATCH,
            "/api/v1/admin/site",
            admin.auth(),
            Some(json!({
                "name": "Ember Commons",
                "description": "A friendly corner of the fediverse for **makers**, cooks and tinkerers. Be kind; stay curious."
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let chen = app.user("chen_wei").await;
    let dana = app.user("dana").await;
    let eli = app.user("eli").await;
    for (owner, name, title, description) in [
        (
            &alice,
            "woodworking",
            "Woodworking",
            "Joinery, finishes, shop tours and questions of every size.\n\n**Rules:** be kind, show your work, credit the designs you build from.",
        ),
        (
            &bob,
            "sourdough",
            "Sourdough & Slow Bread",
            "Starters, crumb shots and the long ferment.",
        ),
        (
            &chen,
            "rust",
            "Rust Programming",
            "Everything about the Rust language and its ecosystem.",
        ),
        (
            &dana,
            "cycling",
            "Everyday Cycling",
            "Commuting, touring, repairs and the joy of two wheels.",
        ),
    ] {
        api(
            app,
            owner,
            "/api/v1/communities",
            json!({"name": name, "title": title, "description": description}),
        )
        .await;
    }
    for user in [&bob, &chen, &dana, &eli] {
        api(app, user, "/api/v1/communities/woodworking/join", json!({})).await;
    }
    for user in [&alice, &eli] {
        api(app, user, "/api/v1/communities/sourdough/join", json!({})).await;
        api(app, user, "/api/v1/communities/cycling/join", json!({})).await;
    }
    let post = |user: &TestUser, community: &str, title: &str, url: Option<&str>, body: &str| {
        let mut value = json!({"community": community, "title": title, "body": body});
        if let Some(url) = url {
            value["url"] = Value::from(url);
        }
        let user = user.clone();
        async move {
            api(app, &user, "/api/v1/posts", value).await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let dovetail = post(&alice, "woodworking", "Finally finished my first hand-cut dovetail box", None,
        "Took three weekends and a lot of patience. Walnut sides, maple bottom, finished with **boiled linseed oil** and paste wax.\n\nThe gaps on the back corner bug me, but I'm calling it done. What would you do differently next time?").await;
    let async_post = post(
        &chen,
        "rust",
        "What's new in the async ecosystem this year",
        Some("https://blog.rust-lang.org/2026/01/15/async-update.html"),
        "A good overview of where async Rust stands, and what is still missing.",
    )
    .await;
    let crumb = post(
        &bob,
        "sourdough",
        "Crumb shot: 80% hydration country loaf",
        None,
        "Open crumb, finally. 18 hours of cold retard and a very hot Dutch oven.",
    )
    .await;
    let plane = post(
        &dana,
        "woodworking",
        "Which hand plane should I buy first?",
        None,
        "Budget is around 150. A No. 4 smoother or a low-angle jack?",
    )
    .await;
    let commute = post(
        &dana,
        "cycling",
        "Winter commuting: what actually keeps your hands warm?",
        None,
        "Lobster mitts, bar mitts, or just accept the pain?",
    )
    .await;
    let starter = post(
        &eli,
        "sourdough",
        "My starter smells like nail polish remover. Is it dead?",
        None,
        "It has been in the fridge for a month.",
    )
    .await;
    let comment = |user: &TestUser, post_id: i64, parent: Option<i64>, body: &str| {
        let value = json!({"post_id": post_id, "parent_id": parent, "body": body});
        let user = user.clone();
        async move {
            api(app, &user, "/api/v1/comments", value).await["id"]
                .as_i64()
                .unwrap()
        }
    };
    let c1 = comment(
        &bob,
        dovetail,
        None,
        "That looks lovely. The walnut grain really pops with the oil finish.",
    )
    .await;
    let c2 = comment(
        &alice,
        dovetail,
        Some(c1),
        "Thanks! I was worried the oil would darken it too much, but it settled after a week.",
    )
    .await;
    comment(
        &chen,
        dovetail,
        Some(c2),
        "It keeps darkening a little for months. Embrace the patina.",
    )
    .await;
    let c4 = comment(&dana, dovetail, None, "For the gaps: a sliver of the same wood, glued in and pared flush, hides them nearly perfectly.\n\n> measure twice, cut once\n\nstill applies though.").await;
    comment(
        &alice,
        dovetail,
        Some(c4),
        "Great tip, I'll try that on the next one.",
    )
    .await;
    comment(
        &eli,
        dovetail,
        None,
        "What saw are you using? Western or Japanese pull saw?",
    )
    .await;
    comment(
        &eli,
        starter,
        None,
        "That's hooch: it is hungry, not dead. Feed it twice and it will bounce back.",
    )
    .await;
    comment(
        &bob,
        crumb,
        None,
        "Thanks all! Recipe in the comments of last week's post.",
    )
    .await;
    comment(&alice, commute, None, "Bar mitts changed my life.").await;
    for (post_id, voters) in [
        (dovetail, vec![&bob, &chen, &dana, &eli]),
        (async_post, vec![&alice, &dana, &eli]),
        (crumb, vec![&alice, &eli]),
        (commute, vec![&alice]),
        (plane, vec![&alice, &bob]),
    ] {
        for voter in voters {
            api(
                app,
                voter,
                &format!("/api/v1/posts/{post_id}/vote"),
                json!({"score": 1}),
            )
            .await;
        }
    }
    for voter in [&alice, &chen, &dana] {
        api(
            app,
            voter,
            &format!("/api/v1/comments/{c1}/vote"),
            json!({"score": 1}),
        )
        .await;
    }
    api(
        app,
        &alice,
        &format!("/api/v1/comments/{c4}/vote"),
        json!({"score": 1}),
    )
    .await;
    api(
        app,
        &bob,
        &format!("/api/v1/comments/{c4}/vote"),
        json!({"score": 1}),
    )
    .await;
    // Spread the posts and comments over the last days, as a living site has them.
    let pool = app.db.pool().await;
    sqlx::query("update community set created_at = now() - make_interval(days => (id * 37)::int)")
        .execute(&pool)
        .await
        .unwrap();
    for (post_id, hours) in [
        (dovetail, 5),
        (async_post, 9),
        (crumb, 14),
        (plane, 26),
        (commute, 50),
        (starter, 2),
    ] {
        sqlx::query(
            "update post set published_at = now() - make_interval(hours => $2) where id = $1",
        )
        .bind(post_id)
        .bind(hours)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "update comment c set published_at = least(now() - interval '4 minutes',
                 p.published_at + make_interval(mins => ((c.id % 7 + 1) * 17)::int))
             from post p where p.id = c.post_id and c.post_id = $1",
        )
        .bind(post_id)
        .execute(&pool)
        .await
        .unwrap();
    }
    dovetail
}

#[tokio::test]
async fn the_main_pages_render_in_light_and_dark_themes() {
    let app = TestApp::spawn(&[]).await;
    let post_id = seed(&app).await;
    let dir = screenshot_dir();
    let browser = Browser::start_with(
        "screenshots",
        BrowserOptions {
            javascript: true,
            width: 1280,
            height: 1000,
        },
    )
    .await;
    browser
        .run(async {
            browser.sign_in(&app.base, "eli", TEST_PASSWORD).await;
            let mut backgrounds = Vec::new();
            for theme in ["light", "dark"] {
                browser.goto(&format!("{}/settings", app.base)).await;
                browser.click(&format!("#theme-{theme}")).await;
                browser
                    .click("form[action='/settings/preferences'] button[type=submit]")
                    .await;
                browser
                    .wait_for_text("p.success", "Your preferences were saved.")
                    .await;
                assert_eq!(
                    browser.attr("html", "data-theme").await.as_deref(),
                    Some(theme)
                );
                for (name, path) in [
                    ("front", "/".to_owned()),
                    ("community", "/c/woodworking".to_owned()),
                    ("post", format!("/post/{post_id}")),
                ] {
                    browser.goto(&format!("{}{path}", app.base)).await;
                    browser.find("main h1").await;
                    browser.screenshot(&dir.join(format!("{name}-{theme}.png"))).await;
                }
                let body = browser.find("body").await;
                backgrounds.push(body.css_value("background-color").await.unwrap());
            }
            assert_ne!(backgrounds[0], backgrounds[1], "the themes differ");

            // A phone-sized window: nothing overflows sideways.
            browser.client().set_window_size(390, 844).await.unwrap();
            browser.goto(&format!("{}/post/{post_id}", app.base)).await;
            browser.find("main h1").await;
            let overflow = browser
                .client()
                .execute(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(overflow.as_i64(), Some(0), "the page scrolls sideways on a phone");
            browser.screenshot(&dir.join("post-mobile-dark.png")).await;
        })
        .await;
    eprintln!("screenshots in {}", dir.display());
    browser.close().await;
    app.stop().await;
}

/// A command of chromedriver's DevTools passthrough (`goog/cdp/execute`).
#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for DevTools {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

#[tokio::test]
async fn no_main_page_scrolls_sideways_on_a_phone() {
    let app = TestApp::spawn(&[]).await;
    let post_id = seed(&app).await;
    let browser = Browser::start_with(
        "phone_width",
        BrowserOptions {
            javascript: true,
            width: 390,
            height: 844,
        },
    )
    .await;
    browser
        .run(async {
            // Headless Chromium keeps a window at least 500 px wide: a phone's screen (390 CSS
            // px, as an iPhone 12 to 14) is emulated instead.
            browser
                .client()
                .issue_cmd(DevTools {
                    cmd: "Emulation.setDeviceMetricsOverride",
                    params: json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
                })
                .await
                .unwrap();
            let pages = [
                "/".to_owned(),
                "/c/woodworking".to_owned(),
                format!("/post/{post_id}"),
                "/search?q=wood".to_owned(),
                "/search?q=wood&type=users".to_owned(),
                "/communities".to_owned(),
            ];
            for signed_in in [false, true] {
                if signed_in {
                    browser.sign_in(&app.base, "eli", TEST_PASSWORD).await;
                }
                let mut all = pages.to_vec();
                if signed_in {
                    all.extend(
                        ["/create_post", "/u/eli", "/settings", "/notifications"]
                            .map(str::to_owned),
                    );
                }
                for path in all {
                    browser.goto(&format!("{}{path}", app.base)).await;
                    browser.find("main").await;
                    let widths = browser
                        .client()
                        .execute(
                            "return [document.documentElement.scrollWidth, window.innerWidth];",
                            vec![],
                        )
                        .await
                        .unwrap();
                    let scroll = widths[0].as_i64().unwrap();
                    let inner = widths[1].as_i64().unwrap();
                    // With a phone's viewport, content too wide for the screen widens the layout
                    // viewport (the page is zoomed out) as well as the document.
                    assert!(
                        scroll <= 390 && inner <= 390,
                        "{path} (signed in: {signed_in}) is {scroll} px wide in a {inner} px window; the screen is 390 px"
                    );
                }
            }
            // The search tabs are all there, if need be scrolled inside their own box.
            browser.goto(&format!("{}/search?q=wood", app.base)).await;
            assert!(browser.exists(".segmented a[href*='type=users']").await);
        })
        .await;
    browser.close().await;
    app.stop().await;
}
