//! Events on the wire: our event posts as Mobilizon-shaped `Event` objects, and the fields of
//! `Event`s from other servers (Mobilizon, Gancio, PieFed, Friendica) read into `post_event`.
//!
//! What another server says about its event is a claim: times that do not parse make the
//! object a plain post, an end before the start is the start, a zone that is not a real IANA
//! zone is UTC, texts are cut and counts bounded, so no sender can make an event last for
//! ever, hold a billion places or carry a novel as its address.

use crate::protocol::OneOrMany;
use crate::protocol::objects::{Attachment, Page, Place};
use crate::received::InboxError;
use chrono::Datelike;
use hearth_db::event::{EventFields, EventRow};
use hearth_service::events::{MAX_CAPACITY, MAX_LENGTH, MAX_PLACE};
use serde_json::{Value, json};
use url::Url;

/// The `name` of the `Link` attachment that carries an event's online link (as Mobilizon names
/// the link of an online event).
pub(crate) const ONLINE_LINK_NAME: &str = "Website";

/// Makes a post's `Page` the `Event` it is (type, times, place, capacity, join mode, status).
pub(crate) fn dress(page: &mut Page, event: &EventRow) {
    page.kind = "Event".to_owned();
    page.start_time = Some(event.starts_at);
    page.end_time = Some(event.ends_at);
    page.timezone = Some(event.timezone.clone());
    if event.place_name.is_some() || event.place_address.is_some() {
        page.location = Some(Place {
            kind: "Place".to_owned(),
            name: event.place_name.clone(),
            address: event
                .place_address
                .as_ref()
                .map(|line| json!({"type": "PostalAddress", "streetAddress": line})),
        });
    }
    let online = event.online_url.as_deref().and_then(|u| Url::parse(u).ok());
    page.is_online = Some(online.is_some());
    if let Some(href) = online {
        let mut attachments = page
            .attachment
            .take()
            .map(OneOrMany::into_vec)
            .unwrap_or_default();
        attachments.push(Attachment::Link {
            href,
            media_type: Some("text/html".to_owned()),
            name: Some(ONLINE_LINK_NAME.to_owned()),
        });
        page.attachment = Some(OneOrMany::Many(attachments));
    }
    page.join_mode = Some(
        if event.needs_approval {
            "restricted"
        } else {
            "free"
        }
        .to_owned(),
    );
    page.anonymous_participation_enabled = Some(false);
    page.maximum_attendee_capacity = event.capacity.map(i64::from);
    page.remaining_attendee_capacity = event
        .capacity
        .map(|capacity| (i64::from(capacity) - event.going_total()).max(0));
    page.participant_count = Some(event.going_total());
    page.ical_status = Some(
        if event.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        }
        .to_owned(),
    );
}

/// An event's fields as another server sent them, already bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivedEvent {
    /// Times, zone, place, link, capacity, approval.
    pub(crate) fields: EventFields,
    /// `ical:status: CANCELLED`.
    pub(crate) cancelled: bool,
    /// How many its home server says are going.
    pub(crate) going: Option<i32>,
}

/// The earliest and latest years an event may start in: anything else is not a date anybody
/// meets on (and would not fit the database).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// The event a received object describes, when it is one we can read: an `Event` (or another
/// post type, not a `Question`) with a start in a sane year.
pub(crate) fn read(page: &Page) -> Option<ReceivedEvent> {
    if page.kind == "Question" {
        return None;
    }
    let starts_at = page.start_time.filter(|t| YEARS.contains(&t.year()))?;
    let ends_at = page
        .end_time
        .filter(|end| *end >= starts_at)
        .map_or(starts_at, |end| end.min(starts_at + MAX_LENGTH));
    let timezone = page
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|zone| hearth_service::events::time_zone(zone).is_ok())
        .unwrap_or("UTC")
        .to_owned();
    let place_name = page
        .location
        .as_ref()
        .and_then(|place| place.name.as_deref())
        .and_then(bounded);
    let place_address = page
        .location
        .as_ref()
        .and_then(|place| place.address.as_ref())
        .and_then(address_line);
    let capacity = page
        .maximum_attendee_capacity
        .filter(|c| *c > 0)
        .map(|c| c.min(i64::from(MAX_CAPACITY)))
        .and_then(|c| i32::try_from(c).ok());
    let going = page
        .participant_count
        .map(|n| n.clamp(0, i64::from(MAX_CAPACITY)))
        .and_then(|n| i32::try_from(n).ok());
    Some(ReceivedEvent {
        fields: EventFields {
            starts_at,
            ends_at,
            timezone,
            online_url: online_link(page),
            place_name,
            place_address,
            capacity,
            needs_approval: page.join_mode.as_deref() == Some("restricted"),
        },
        cancelled: page
            .ical_status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")),
        going,
    })
}

/// A text cut to what we keep of a place, `None` when blank.
fn bounded(text: &str) -> Option<String> {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    (!trimmed.is_empty()).then(|| trimmed.chars().take(MAX_PLACE).collect())
}

/// An address as one line: a string as it is, a `PostalAddress` joined from its parts
/// (street, postal code and locality, region, country).
fn address_line(address: &Value) -> Option<String> {
    match address {
        Value::String(line) => bounded(line),
        Value::Object(parts) => {
            let part = |key: &str| {
                parts
                    .get(key)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            let town = [part("postalCode"), part("addressLocality")]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let line = [
                part("streetAddress"),
                (!town.is_empty()).then_some(town.as_str()),
                part("addressRegion"),
                part("addressCountry"),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            bounded(&line)
        }
        _ => None,
    }
}

/// The online link: the `Link` attachment named like Mobilizon's ("Website"), else, for an
/// event that says it is online, its first `Link` that is not a picture.
fn online_link(page: &Page) -> Option<String> {
    let links: Vec<(Url, Option<String>, Option<String>)> = page
        .attachment
        .clone()
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| match a {
            Attachment::Link {
                href,
                name,
                media_type,
            } => Some((href, name, media_type)),
            _ => None,
        })
        .filter(|(href, _, _)| matches!(href.scheme(), "http" | "https"))
        .collect();
    let named = links.iter().find(|(_, name, _)| {
        name.as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(ONLINE_LINK_NAME))
    });
    let chosen = named.or_else(|| {
        if page.is_online != Some(true) {
            return None;
        }
        links
            .iter()
            .find(|(_, _, media)| !media.as_deref().is_some_and(|m| m.starts_with("image/")))
    });
    chosen
        .map(|(href, _, _)| href.to_string())
        .filter(|href| href.len() <= 2_000)
}

/// Stores a received event's fields with its post, in the post's transaction. People here who
/// answered an event we held hear when its time changes, and once when it is cancelled.
pub(crate) async fn store(
    conn: &mut sqlx::PgConnection,
    post_id: i64,
    event: &ReceivedEvent,
) -> Result<(), InboxError> {
    let held = hearth_db::event::lock(conn, post_id).await?;
    hearth_db::event::upsert(
        &mut *conn,
        post_id,
        &event.fields,
        Some(event.cancelled),
        event.going,
    )
    .await?;
    if let Some(held) = held {
        hearth_service::events::notify_time_change(conn, &held, &event.fields, None).await?;
        if event.cancelled && !held.cancelled {
            hearth_service::events::notify_cancelled(conn, post_id).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mobilizon() -> Page {
        let raw = include_str!("../../../../tests/fixtures/mobilizon/event.json");
        serde_json::from_str(raw).expect("the fixture is a Page")
    }

    #[test]
    fn a_mobilizon_event_is_read_with_its_place_and_zone() {
        let event = read(&mobilizon()).expect("an event");
        assert_eq!(event.fields.timezone, "Europe/London");
        assert_eq!(event.fields.place_name.as_deref(), Some("The Kenn Centre"));
        assert_eq!(
            event.fields.place_address.as_deref(),
            Some("Devon Expressway, EX6 7TW Teignbridge, England, United Kingdom")
        );
        assert_eq!(event.fields.capacity, None, "0 is no limit");
        assert!(!event.fields.needs_approval);
        assert!(!event.cancelled);
        assert_eq!(
            event.fields.ends_at - event.fields.starts_at,
            chrono::Duration::hours(2)
        );
    }

    #[test]
    fn lies_are_bounded() {
        let mut page = mobilizon();
        page.end_time = page.start_time.map(|s| s - chrono::Duration::hours(5));
        page.timezone = Some("Mars/Olympus".to_owned());
        page.maximum_attendee_capacity = Some(i64::MAX);
        page.participant_count = Some(-4);
        page.location = Some(Place {
            kind: "Place".to_owned(),
            name: Some("x".repeat(5_000)),
            address: Some(Value::from(7)),
        });
        let event = read(&page).expect("still an event");
        assert_eq!(event.fields.ends_at, event.fields.starts_at);
        assert_eq!(event.fields.timezone, "UTC");
        assert_eq!(event.fields.capacity, Some(MAX_CAPACITY));
        assert_eq!(event.going, Some(0));
        assert_eq!(
            event.fields.place_name.map(|n| n.chars().count()),
            Some(MAX_PLACE)
        );
        assert_eq!(event.fields.place_address, None);
        page.end_time = page.start_time.map(|s| s + chrono::Duration::days(4_000));
        let event = read(&page).expect("still an event");
        assert_eq!(event.fields.ends_at - event.fields.starts_at, MAX_LENGTH);
        page.start_time = None;
        assert_eq!(read(&page), None, "no start: a plain post");
    }

    #[test]
    fn our_event_reads_back_the_same() {
        let mut page = mobilizon();
        page.attachment = None;
        let row = EventRow {
            post_id: 1,
            starts_at: "2026-12-24T18:00:00Z".parse().expect("time"),
            ends_at: "2026-12-24T20:30:00Z".parse().expect("time"),
            timezone: "Europe/Berlin".to_owned(),
            online_url: Some("https://meet.example/room".to_owned()),
            place_name: Some("Hall".to_owned()),
            place_address: Some("Main street 1, Berlin".to_owned()),
            capacity: Some(30),
            needs_approval: true,
            cancelled: true,
            remote_going: None,
            going: 3,
            interested: 0,
            not_going: 0,
            pending: 0,
        };
        dress(&mut page, &row);
        let sent: Page =
            serde_json::from_value(serde_json::to_value(&page).expect("json")).expect("reads back");
        assert_eq!(sent.kind, "Event");
        assert_eq!(sent.remaining_attendee_capacity, Some(27));
        let event = read(&sent).expect("an event");
        assert_eq!(event.fields, row.fields());
        assert!(event.cancelled);
        assert_eq!(event.going, Some(3));
    }
}
