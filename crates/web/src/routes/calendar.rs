//! iCalendar (RFC 5545) for events: a community's upcoming events as a feed to subscribe to
//! (`/c/{name}/events.ics`) and one event to add to a calendar (`/post/{id}/event.ics`).
//! Calendar programs fetch these without cookies, so they show what an anonymous visitor sees.
//!
//! Every time is written in UTC (`…Z`): calendar programs show it in their own zone, and no
//! `VTIMEZONE` has to be shipped for the organiser's zone.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hearth_core::Error;
use hearth_db::event::EventRow;
use hearth_db::post::PostRow;
use hearth_service::{ServiceContext, communities, events, posts};
use icalendar::{Calendar, Component, EventLike, EventStatus, Property};

/// The calendar routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/c/{name}/events.ics", get(community_events))
        .route("/post/{id}/event.ics", get(one_event))
}

/// The media type of iCalendar (RFC 5545, section 8.1).
const TEXT_CALENDAR: &str = "text/calendar; charset=utf-8";

/// A calendar with the properties RFC 5545 requires of every one.
fn calendar() -> Calendar {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            concat!("-//Hearth//Hearth ", env!("CARGO_PKG_VERSION"), "//EN"),
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"));
    calendar
}

/// One event post as a `VEVENT`: identified by the post's ActivityPub id (the same event from
/// any server that holds it), linked to its page here.
fn vevent(post: &PostRow, event: &EventRow, base: &str) -> icalendar::Event {
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&post.ap_id)
        // Without a METHOD, DTSTAMP is when the event's information last changed.
        .timestamp(post.edited_at.unwrap_or(post.published_at))
        .starts(event.starts_at)
        .ends(event.ends_at)
        .summary(&post.title)
        .url(&format!("{base}/post/{}", post.id));
    let mut description = post.body.trim().to_owned();
    if let Some(online) = &event.online_url {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!("Online: {online}"));
    }
    if !description.is_empty() {
        vevent.description(&description);
    }
    let place: Vec<&str> = [event.place_name.as_deref(), event.place_address.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    match (place.is_empty(), &event.online_url) {
        (false, _) => {
            vevent.location(&place.join(", "));
        }
        // An online event's place is its link, as calendar programs show it.
        (true, Some(online)) => {
            vevent.location(online);
        }
        (true, None) => {}
    }
    vevent.status(if event.cancelled {
        EventStatus::Cancelled
    } else {
        EventStatus::Confirmed
    });
    vevent.done()
}

/// The calendar as the response, or the error as plain text: calendar programs show no pages.
fn respond(result: Result<(Calendar, Option<String>), Error>) -> Response {
    match result {
        Ok((calendar, filename)) => {
            let mut response = (
                [
                    (CONTENT_TYPE, TEXT_CALENDAR),
                    (CACHE_CONTROL, "public, max-age=300"),
                ],
                calendar.to_string(),
            )
                .into_response();
            if let Some(filename) = filename
                && let Ok(value) = format!("attachment; filename=\"{filename}\"").parse()
            {
                response.headers_mut().insert(CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => {
            let status = error.kind.status();
            if status.is_server_error() {
                tracing::error!(error = ?error, "calendar failed");
            }
            (status, error.kind.message()).into_response()
        }
    }
}

/// A community's upcoming events (the next 30 days and those going on now), the list its
/// Events tab shows. A remote community's are those this server holds.
async fn community_events(State(ctx): State<ServiceContext>, Path(name): Path<String>) -> Response {
    respond(
        async {
            let community = communities::find(&ctx, &name).await?;
            let upcoming = events::upcoming(&ctx, None, &name).await?;
            let base = ctx.settings.public_base_url();
            let mut calendar = calendar();
            calendar.name(&community.title);
            for (post, view) in &upcoming {
                calendar.push(vevent(post, &view.event, &base));
            }
            Ok((calendar.done(), None))
        }
        .await,
    )
}

/// One event, to add to a calendar; a deleted or removed event is gone.
async fn one_event(State(ctx): State<ServiceContext>, Path(id): Path<String>) -> Response {
    respond(
        async {
            let id: i64 = id
                .parse()
                .map_err(|_| Error::not_found("There is no such event."))?;
            let post = posts::get(&ctx, None, id).await?;
            if post.deleted || post.removed {
                return Err(Error::not_found("This event was deleted."));
            }
            let view = events::for_posts(&ctx, None, &[post.id])
                .await?
                .remove(&post.id)
                .ok_or_else(|| Error::not_found("This post is not an event."))?;
            let base = ctx.settings.public_base_url();
            let mut calendar = calendar();
            calendar.push(vevent(&post, &view.event, &base));
            Ok((calendar.done(), Some(format!("event-{}.ics", post.id))))
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_product_id_names_hearth() {
        let text = super::calendar().done().to_string();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Hearth//Hearth "));
        assert!(text.ends_with("END:VCALENDAR\r\n"), "{text}");
    }
}
