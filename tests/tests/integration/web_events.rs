//! Events and polls in a real Chromium (#22): an organiser writes an event with the post form
//! (a place, tomorrow 19:00 in Europe/Berlin), a member answers Going and sees the count and the
//! event on the community's Events tab; the organiser writes a poll with three options, the
//! member votes and sees the results. The same journey runs with and without JavaScript, each
//! step checked on the page and in the database; the JavaScript run saves the screenshots of
//! the event page and of the poll's results (see `screenshot_dir`).

use chrono::{Duration, NaiveDate, Utc};
use hearth_tests::app::{TEST_PASSWORD, TestApp, TestUser};
use hearth_tests::browser::{Browser, screenshot_dir};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

const EVENT_TITLE: &str = "Winter repair café";
const POLL_TITLE: &str = "What do we bring to the repair café?";

/// Tomorrow's date in Berlin, where the event takes place.
fn tomorrow_in_berlin() -> NaiveDate {
    hearth_service::events::in_zone(Utc::now(), "Europe/Berlin").date_naive() + Duration::days(1)
}

/// Makes the community `meetups` of `owner`, with `members` in it.
async fn community(app: &TestApp, owner: &TestUser, members: &[&TestUser]) {
    let (status, body) = app
        .post_json(
            "/api/v1/communities",
            owner.auth(),
            json!({"name": "meetups", "title": "Neighbourhood Meetups"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for member in members {
        let (status, body) = app
            .post_json("/api/v1/communities/meetups/join", member.auth(), json!({}))
            .await;
        assert!(status.is_success(), "{body}");
    }
}

/// Signs the browser out (its cookies go) and `name` in.
async fn sign_in_as(browser: &Browser, app: &TestApp, name: &str) {
    browser
        .client()
        .delete_all_cookies()
        .await
        .expect("forget the session");
    browser.sign_in(&app.base, name, TEST_PASSWORD).await;
}

/// Types a date into a date field the way a person does in an en-US Chromium (month, day,
/// year); a form sends it as `YYYY-MM-DD` whatever the locale shows.
async fn type_date(browser: &Browser, css: &str, date: NaiveDate) {
    let field = browser.find(css).await;
    field
        .send_keys(&date.format("%m%d%Y").to_string())
        .await
        .unwrap_or_else(|e| panic!("cannot type a date into `{css}`: {e}"));
}

/// Types a full hour (0–23) into a time field as an en-US Chromium takes it (hours, minutes,
/// AM or PM).
async fn type_hour(browser: &Browser, css: &str, hour: u32) {
    let field = browser.find(css).await;
    let twelve = if hour.is_multiple_of(12) {
        12
    } else {
        hour % 12
    };
    let half = if hour < 12 { "A" } else { "P" };
    field
        .send_keys(&format!("{twelve:02}00{half}"))
        .await
        .unwrap_or_else(|e| panic!("cannot type a time into `{css}`: {e}"));
}

/// The id of the post whose page the browser shows.
async fn post_id_of_page(browser: &Browser) -> i64 {
    let path = browser
        .wait_for_path("a post's page", |p| {
            p.strip_prefix("/post/")
                .is_some_and(|rest| rest.parse::<i64>().is_ok())
        })
        .await;
    path.trim_start_matches("/post/").parse().unwrap()
}

async fn journey(browser: &Browser, app: &TestApp, javascript: bool) {
    let pool: PgPool = app.db.pool().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    community(app, &alice, &[&bob]).await;
    let day = tomorrow_in_berlin();

    // The organiser writes the event; a wrong end first comes back next to its field.
    browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;
    browser
        .goto(&format!("{}/create_post?community=meetups", app.base))
        .await;
    browser.fill("#title", EVENT_TITLE).await;
    browser
        .fill("#body", "Bring a broken lamp, leave with a working one.")
        .await;
    browser.click("#event-section > summary").await;
    type_date(browser, "#starts_at", day).await;
    type_hour(browser, "#starts_at_time", 19).await;
    type_hour(browser, "#ends_at_time", 18).await;
    browser
        .find("#timezone")
        .await
        .select_by_value("Europe/Berlin")
        .await
        .expect("choose the time zone");
    browser.fill("#place_name", "Community Hall").await;
    browser
        .fill("#place_address", "Lindenstraße 5, Berlin")
        .await;
    browser.click("main form.form button[type=submit]").await;
    browser
        .wait_for_text("#ends_at-error", "cannot end before it starts")
        .await;
    // What was typed stays, the section open.
    assert_eq!(
        browser.attr("#place_name", "value").await.as_deref(),
        Some("Community Hall")
    );
    assert_eq!(
        browser.attr("#starts_at", "value").await.as_deref(),
        Some(day.format("%Y-%m-%d").to_string().as_str())
    );
    browser.fill("#ends_at_time", "").await;
    type_hour(browser, "#ends_at_time", 21).await;
    browser.click("main form.form button[type=submit]").await;
    let event_id = post_id_of_page(browser).await;
    let when = browser.text(".event-when").await;
    assert!(
        when.contains("19:00–21:00 (Europe/Berlin)"),
        "the time in the event's zone: {when}"
    );
    assert!(
        when.contains(&day.format("%-d %b %Y").to_string()),
        "{when}"
    );
    assert_eq!(browser.text(".event-place-name").await, "Community Hall");
    assert_eq!(
        browser.text(".event-address").await,
        "Lindenstraße 5, Berlin"
    );
    assert!(browser.text(".badge-event").await.starts_with("Event · "));
    let expected_start = hearth_service::events::local_to_utc(
        day.and_hms_opt(19, 0, 0).unwrap(),
        "Europe/Berlin",
        "starts_at",
    )
    .unwrap();
    let (starts_at, ends_at, timezone, place): (
        chrono::DateTime<Utc>,
        chrono::DateTime<Utc>,
        String,
        Option<String>,
    ) = sqlx::query_as(
        "select starts_at, ends_at, timezone, place_name from post_event where post_id = $1",
    )
    .bind(event_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(starts_at, expected_start, "stored in UTC");
    assert_eq!(ends_at - starts_at, Duration::hours(2));
    assert_eq!(timezone, "Europe/Berlin");
    assert_eq!(place.as_deref(), Some("Community Hall"));
    // The organiser may cancel; nobody answered yet.
    assert!(browser.exists("form[action$='/cancel_event']").await);
    assert!(browser.text(".event-going").await.contains("0 going"));

    // The member answers Going and sees the count.
    sign_in_as(browser, app, "bob").await;
    browser.goto(&format!("{}/post/{event_id}", app.base)).await;
    assert!(!browser.exists("form[action$='/cancel_event']").await);
    browser.click("button[name=answer][value=going]").await;
    browser.wait_for_text(".event-mine", "Going").await;
    assert!(browser.text(".event-going").await.contains("1 going"));
    assert!(browser.text(".event-people").await.contains("bob"));
    let answer: String = sqlx::query_scalar(
        "select answer from event_rsvp where post_id = $1 and person_id = $2 and approved",
    )
    .bind(event_id)
    .bind(bob.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(answer, "going");
    if javascript {
        // A reader in another zone than the event's also sees their own time.
        let zone = browser
            .client()
            .execute(
                "return Intl.DateTimeFormat().resolvedOptions().timeZone",
                vec![],
            )
            .await
            .expect("the browser's time zone");
        if zone.as_str() != Some("Europe/Berlin") {
            let local = browser.text(".event-when-local").await;
            assert!(local.contains("your time"), "{local}");
        }
        // The page from its top, as people arrive at it.
        browser.goto(&format!("{}/post/{event_id}", app.base)).await;
        browser
            .screenshot(&screenshot_dir().join("event.png"))
            .await;
    }

    // The Events tab lists it with its place and count.
    browser.goto(&format!("{}/c/meetups", app.base)).await;
    assert!(browser.text(".badge-event").await.starts_with("Event · "));
    browser.click("#events-tab").await;
    browser
        .wait_for_text(".event-item-title", EVENT_TITLE)
        .await;
    let item = browser.text(".event-item").await;
    assert!(item.contains("Community Hall"), "{item}");
    assert!(item.contains("1 going"), "{item}");
    assert!(item.contains("You: Going"), "{item}");
    assert_eq!(
        browser.attr("a.calendar-feed", "href").await.as_deref(),
        Some("/c/meetups/events.ics")
    );

    // The organiser writes a poll with three options.
    sign_in_as(browser, app, "alice").await;
    browser
        .goto(&format!("{}/create_post?community=meetups", app.base))
        .await;
    browser.fill("#title", POLL_TITLE).await;
    browser.click("#poll-section > summary").await;
    browser.fill("#options", "Tools\nSpare parts\nCake").await;
    browser
        .find("#poll_duration")
        .await
        .select_by_value("259200")
        .await
        .expect("choose the poll's length");
    browser.click("main form.form button[type=submit]").await;
    let poll_id = post_id_of_page(browser).await;
    assert_eq!(
        browser.find_all(".poll-form input[type=radio]").await.len(),
        3
    );
    // Its organiser sees the (empty) results.
    assert!(
        browser
            .text(".poll-voters")
            .await
            .contains("0 people voted")
    );
    let (options, ends_in): (i64, f64) = sqlx::query_as(
        "select (select count(*) from poll_option o where o.post_id = p.post_id),
                extract(epoch from p.ends_at - now())::float8
         from post_poll p where p.post_id = $1",
    )
    .bind(poll_id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(options, 3);
    assert!(
        (3.0 * 86_400.0 - 600.0..=3.0 * 86_400.0).contains(&ends_in),
        "ends in three days: {ends_in}"
    );

    // The member votes and then sees the results; before, they do not.
    sign_in_as(browser, app, "bob").await;
    browser.goto(&format!("{}/post/{poll_id}", app.base)).await;
    assert!(!browser.exists(".poll-results").await);
    browser.click("label[for=choice-1]").await;
    browser.click(".poll-form button[type=submit]").await;
    browser.wait_for_text(".poll-results", "Spare parts").await;
    let results = browser.text(".poll-results").await;
    assert!(results.contains("1 vote · 100%"), "{results}");
    assert!(results.contains("(your choice)"), "{results}");
    assert_eq!(browser.find_all(".poll-result").await.len(), 3);
    assert_eq!(browser.text(".poll-voters").await, "1 person voted");
    assert_eq!(
        browser
            .attr(".poll-result-chosen meter", "value")
            .await
            .as_deref(),
        Some("100")
    );
    let positions: Vec<i16> =
        sqlx::query_scalar("select position from poll_vote where post_id = $1 and person_id = $2")
            .bind(poll_id)
            .bind(bob.id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(positions, [1]);
    if javascript {
        browser.goto(&format!("{}/post/{poll_id}", app.base)).await;
        browser
            .screenshot(&screenshot_dir().join("poll-results.png"))
            .await;
    }
}

#[tokio::test]
async fn web_events_an_event_and_a_poll_from_the_form_to_the_answers_with_javascript() {
    let app = TestApp::spawn(&[]).await;
    let browser = Browser::start_for_screenshots("web_events_with_javascript").await;
    browser.run(journey(&browser, &app, true)).await;
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn web_events_the_same_journey_works_without_javascript() {
    let app = TestApp::spawn(&[]).await;
    let browser = Browser::start("web_events_without_javascript", false).await;
    browser.run(journey(&browser, &app, false)).await;
    browser.close().await;
    app.stop().await;
}

/// The organiser writes an event for one person; a member who answers after the last place
/// went is told it is full (a notice on the page, nothing stored); the organiser moves it on
/// the edit form and the person going is told, then cancels it.
#[tokio::test]
async fn web_events_a_full_event_refuses_with_a_notice_and_its_organiser_moves_and_cancels_it() {
    let app = TestApp::spawn(&[]).await;
    let browser = Browser::start("web_events_full_and_cancelled", false).await;
    browser
        .run(async {
            let pool: PgPool = app.db.pool().await;
            let alice = app.user("alice").await;
            let bob = app.user("bob").await;
            let carol = app.user("carol").await;
            community(&app, &alice, &[&bob, &carol]).await;
            let day = tomorrow_in_berlin();

            browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;
            browser
                .goto(&format!("{}/create_post?community=meetups", app.base))
                .await;
            browser.fill("#title", "Bike repair, one at a time").await;
            browser.click("#event-section > summary").await;
            type_date(&browser, "#starts_at", day).await;
            type_hour(&browser, "#starts_at_time", 10).await;
            type_hour(&browser, "#ends_at_time", 12).await;
            browser
                .find("#timezone")
                .await
                .select_by_value("Europe/Berlin")
                .await
                .expect("choose the time zone");
            browser
                .fill("#online_url", "https://meet.example/bikes")
                .await;
            browser.fill("#capacity", "1").await;
            browser.click("main form.form button[type=submit]").await;
            let id = post_id_of_page(&browser).await;
            assert_eq!(browser.text(".event-places").await, "1 place left");
            assert_eq!(
                browser.attr("a.event-online", "href").await.as_deref(),
                Some("https://meet.example/bikes")
            );

            // Carol opens the page; Bob takes the last place meanwhile.
            sign_in_as(&browser, &app, "carol").await;
            browser.goto(&format!("{}/post/{id}", app.base)).await;
            let ctx = app.context().await;
            let bob_viewer = hearth_service::auth::authenticate(&ctx, &bob.token)
                .await
                .unwrap()
                .unwrap();
            hearth_service::events::answer(
                &ctx,
                &bob_viewer,
                id,
                Some(hearth_db::event::Answer::Going),
            )
            .await
            .unwrap();
            browser.click("button[name=answer][value=going]").await;
            browser.wait_for_text("#notice", "This event is full").await;
            assert_eq!(browser.text(".event-places").await, "No places left");
            assert!(browser.exists(".badge-full").await);
            assert!(!browser.exists("button[name=answer][value=going]").await);
            let carols: i64 = sqlx::query_scalar(
                "select count(*) from event_rsvp where post_id = $1 and person_id = $2",
            )
            .bind(id)
            .bind(carol.id)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(carols, 0, "a refused answer is not stored");
            // Interested is still open.
            browser.click("button[name=answer][value=interested]").await;
            browser.wait_for_text(".event-mine", "Interested").await;

            // The organiser moves it an hour later on the edit form.
            sign_in_as(&browser, &app, "alice").await;
            browser.goto(&format!("{}/post/{id}/edit", app.base)).await;
            assert_eq!(
                browser.attr("#starts_at_time", "value").await.as_deref(),
                Some("10:00")
            );
            assert_eq!(
                browser.attr("#capacity", "value").await.as_deref(),
                Some("1")
            );
            browser.fill("#starts_at_time", "").await;
            type_hour(&browser, "#starts_at_time", 11).await;
            browser.fill("#ends_at_time", "").await;
            type_hour(&browser, "#ends_at_time", 13).await;
            browser.click("main form.form button[type=submit]").await;
            browser
                .wait_for_text(".event-when", "11:00–13:00 (Europe/Berlin)")
                .await;
            let changed: i64 = sqlx::query_scalar(
                "select count(*) from notification
                 where recipient_id = $1 and kind = 'event_changed' and post_id = $2",
            )
            .bind(bob.id)
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(changed, 1, "the person going hears of the new time");

            // Then cancels it.
            browser.click("#cancel-event > summary").await;
            browser
                .click("form[action$='/cancel_event'] button[type=submit]")
                .await;
            browser
                .wait_for_text(".event-cancelled-banner", "Cancelled")
                .await;
            assert!(!browser.exists("button[name=answer]").await);
            let cancelled: bool =
                sqlx::query_scalar("select cancelled from post_event where post_id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert!(cancelled);

            // Bob's notifications lead to the event.
            sign_in_as(&browser, &app, "bob").await;
            browser.goto(&format!("{}/notifications", app.base)).await;
            let list = browser.text("main").await;
            assert!(list.contains("was cancelled"), "{list}");
            assert!(list.contains("The time of an event"), "{list}");
            browser.click("a.notification-open").await;
            browser
                .wait_for_path("the event's page", |p| p == format!("/post/{id}"))
                .await;
        })
        .await;
    browser.close().await;
    app.stop().await;
}

/// An event whose organiser approves who goes: a member's Going waits (and says so), the
/// organiser sees them waiting and approves them, and then they count as going.
#[tokio::test]
async fn web_events_the_organiser_approves_who_goes() {
    let app = TestApp::spawn(&[]).await;
    let browser = Browser::start("web_events_approval", false).await;
    browser
        .run(async {
            let pool: PgPool = app.db.pool().await;
            let alice = app.user("alice").await;
            let bob = app.user("bob").await;
            community(&app, &alice, &[&bob]).await;
            let day = tomorrow_in_berlin();

            browser.sign_in(&app.base, "alice", TEST_PASSWORD).await;
            browser
                .goto(&format!("{}/create_post?community=meetups", app.base))
                .await;
            browser.fill("#title", "Workshop: sharpening tools").await;
            browser.click("#event-section > summary").await;
            type_date(&browser, "#starts_at", day).await;
            type_hour(&browser, "#starts_at_time", 14).await;
            type_hour(&browser, "#ends_at_time", 16).await;
            browser.fill("#place_name", "The shed").await;
            browser.click("#needs_approval").await;
            browser.click("main form.form button[type=submit]").await;
            let id = post_id_of_page(&browser).await;
            assert!(
                browser
                    .text(".event-counts")
                    .await
                    .contains("The organiser approves who goes")
            );
            // Without a zone chosen, the form's times are UTC.
            assert!(
                browser
                    .text(".event-when")
                    .await
                    .contains("14:00–16:00 (UTC)")
            );

            sign_in_as(&browser, &app, "bob").await;
            browser.goto(&format!("{}/post/{id}", app.base)).await;
            browser.click("button[name=answer][value=going]").await;
            browser
                .wait_for_text(".event-mine", "waiting for the organiser's approval")
                .await;
            assert!(browser.text(".event-going").await.contains("0 going"));
            assert!(
                !browser.exists(".event-waiting").await,
                "only the organiser approves"
            );

            sign_in_as(&browser, &app, "alice").await;
            browser.goto(&format!("{}/post/{id}", app.base)).await;
            assert!(browser.text(".event-waiting").await.contains("bob"));
            browser
                .click(&format!(
                    "form[action='/post/{id}/approve/{}'] button[type=submit]",
                    bob.id
                ))
                .await;
            browser.wait_for_text(".event-going", "1 going").await;
            assert!(!browser.exists(".event-waiting").await);
            assert!(browser.text(".event-people").await.contains("bob"));
            let approved: bool = sqlx::query_scalar(
                "select approved from event_rsvp where post_id = $1 and person_id = $2",
            )
            .bind(id)
            .bind(bob.id)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert!(approved);
        })
        .await;
    browser.close().await;
    app.stop().await;
}
