//! The iCalendar feeds (RFC 5545): a community's upcoming events and one event, read back with
//! an independent parser (the `ical` crate, not the crate that writes them).

use chrono::{Duration, Utc};
use hearth_tests::app::{TestApp, TestUser};
use hearth_tests::lemmy::{community, write_post};
use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Fetches an `.ics` URL: checks the media type, gives the Content-Disposition header and the
/// calendars the parser read.
async fn fetch(app: &TestApp, path: &str) -> (Option<String>, Vec<IcalCalendar>) {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let headers = response.headers().clone();
    assert_eq!(
        headers["content-type"].to_str().unwrap(),
        "text/calendar; charset=utf-8"
    );
    let disposition = headers
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    assert!(text.contains("\r\n"), "lines end in CRLF: {text}");
    let calendars: Vec<IcalCalendar> = ical::IcalParser::new(text.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{path} does not parse: {e}\n{text}"));
    (disposition, calendars)
}

/// A property's value with RFC 5545's text escapes undone (`\,` `\;` `\n` `\\`).
fn value(event: &IcalEvent, name: &str) -> Option<String> {
    let raw = event
        .properties
        .iter()
        .find(|p| p.name == name)?
        .value
        .clone()?;
    let mut text = String::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n' | 'N') => text.push('\n'),
                Some(other) => text.push(other),
                None => {}
            },
            (c, false) => text.push(c),
        }
    }
    Some(text)
}

async fn write_event(
    app: &TestApp,
    author: &TestUser,
    title: &str,
    event: serde_json::Value,
) -> i64 {
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": "readers", "title": title,
                   "body": "Bring a book; tea is served.", "event": event}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    post["id"].as_i64().unwrap()
}

/// A post's ActivityPub id.
async fn ap_id(app: &TestApp, id: i64) -> String {
    let (_, post) = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    post["ap_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn one_event_is_a_calendar_with_its_utc_times_place_and_cancellation() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "readers").await;
    // 19:00 in Berlin in winter (UTC+1) is 18:00 UTC.
    let id = write_event(
        &app,
        &alice,
        "Reading night",
        json!({"starts_at": "2030-01-15T19:00:00+01:00", "ends_at": "2030-01-15T21:30:00+01:00",
               "timezone": "Europe/Berlin", "place_name": "The library",
               "place_address": "1 Main Street, Springfield"}),
    )
    .await;
    let (_, post) = app.get_json(&format!("/api/v1/posts/{id}"), None).await;
    let ap_id = post["ap_id"].as_str().unwrap().to_owned();

    let path = format!("/post/{id}/event.ics");
    let (disposition, calendars) = fetch(&app, &path).await;
    let disposition = disposition.expect("a Content-Disposition");
    assert!(
        disposition.contains(&format!("filename=\"event-{id}.ics\"")),
        "{disposition}"
    );
    assert_eq!(calendars.len(), 1);
    let calendar = &calendars[0];
    assert!(
        calendar
            .properties
            .iter()
            .any(|p| p.name == "VERSION" && p.value.as_deref() == Some("2.0"))
    );
    assert!(calendar.properties.iter().any(|p| p.name == "PRODID"));
    assert_eq!(calendar.events.len(), 1);
    let event = &calendar.events[0];
    assert_eq!(value(event, "UID").as_deref(), Some(ap_id.as_str()));
    assert_eq!(value(event, "DTSTART").as_deref(), Some("20300115T180000Z"));
    assert_eq!(value(event, "DTEND").as_deref(), Some("20300115T203000Z"));
    assert_eq!(value(event, "SUMMARY").as_deref(), Some("Reading night"));
    assert_eq!(
        value(event, "DESCRIPTION").as_deref(),
        Some("Bring a book; tea is served.")
    );
    assert_eq!(
        value(event, "LOCATION").as_deref(),
        Some("The library, 1 Main Street, Springfield")
    );
    assert_eq!(
        value(event, "URL"),
        Some(format!("{}/post/{id}", app.settings.public_base_url()))
    );
    assert!(value(event, "DTSTAMP").is_some_and(|t| t.ends_with('Z')));
    assert_eq!(value(event, "STATUS").as_deref(), Some("CONFIRMED"));

    let (status, body) = app
        .post_json(
            &format!("/api/v1/posts/{id}/event/cancel"),
            alice.auth(),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, calendars) = fetch(&app, &path).await;
    assert_eq!(
        value(&calendars[0].events[0], "STATUS").as_deref(),
        Some("CANCELLED")
    );

    // Deleted, it is gone; a post that is no event has no calendar, nor does a post that
    // does not exist.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/posts/{id}"),
            alice.auth(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
    let plain = write_post(&app, &alice, "readers", "Just words").await;
    assert_eq!(
        app.get(&format!("/post/{plain}/event.ics")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/post/999999/event.ics").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[tokio::test]
async fn a_communitys_feed_holds_its_upcoming_events_in_utc() {
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    community(&app, &alice, "readers").await;
    let start = (Utc::now() + Duration::days(3)).with_nanosecond_zero();
    let first = write_event(
        &app,
        &alice,
        "Reading night",
        json!({"starts_at": start.to_rfc3339(),
               "ends_at": (start + Duration::hours(2)).to_rfc3339(),
               "online_url": "https://meet.example/readers"}),
    )
    .await;
    let second = write_event(
        &app,
        &alice,
        "Book swap",
        json!({"starts_at": (start + Duration::days(1)).to_rfc3339(),
               "ends_at": (start + Duration::days(1) + Duration::hours(1)).to_rfc3339(),
               "place_name": "The park"}),
    )
    .await;
    // Too far ahead for the feed.
    write_event(
        &app,
        &alice,
        "Next season",
        json!({"starts_at": (start + Duration::days(60)).to_rfc3339(),
               "ends_at": (start + Duration::days(60) + Duration::hours(1)).to_rfc3339()}),
    )
    .await;

    let (disposition, calendars) = fetch(&app, "/c/readers/events.ics").await;
    assert_eq!(disposition, None, "a feed to subscribe to, not a download");
    assert_eq!(calendars.len(), 1);
    let events = &calendars[0].events;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(value(&events[0], "UID"), Some(ap_id(&app, first).await));
    assert_eq!(value(&events[1], "UID"), Some(ap_id(&app, second).await));
    assert_eq!(
        value(&events[0], "DTSTART"),
        Some(start.format("%Y%m%dT%H%M%SZ").to_string())
    );
    assert_eq!(
        value(&events[0], "DTEND"),
        Some(
            (start + Duration::hours(2))
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        )
    );
    assert_eq!(
        value(&events[0], "SUMMARY").as_deref(),
        Some("Reading night")
    );
    // An online event's place is its link.
    assert_eq!(
        value(&events[0], "LOCATION").as_deref(),
        Some("https://meet.example/readers")
    );
    assert_eq!(value(&events[1], "LOCATION").as_deref(), Some("The park"));
    assert!(
        calendars[0]
            .properties
            .iter()
            .any(|p| p.name == "X-WR-CALNAME" && p.value.as_deref() == Some("About readers"))
    );

    assert_eq!(
        app.get("/c/nowhere/events.ics").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

/// Whole seconds, as iCalendar times have them.
trait WholeSeconds {
    fn with_nanosecond_zero(self) -> Self;
}

impl WholeSeconds for chrono::DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap()
    }
}
