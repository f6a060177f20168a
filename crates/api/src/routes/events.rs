//! Events: answering one (going, interested, not going), cancelling it, who answered and the
//! organiser's approval, and a community's upcoming events. An event is written and edited as
//! a post (`POST /api/v1/posts` and `PATCH /api/v1/posts/{id}` with `event`).

use crate::auth::AuthUser;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::views::{ErrorBody, EventView, PersonSummary, PostView};
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use hearth_core::{Error, Result};
use hearth_db::event::{Answer, Attendee};
use hearth_service::ServiceContext;
use hearth_service::events;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An answer to an event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RsvpRequest {
    /// `going`, `interested`, `not_going`, or `null` to take the answer back.
    #[schema(example = "going")]
    pub answer: Option<String>,
}

/// Reads an answer's name (`going`, `interested`, `not_going`).
fn answer(name: &str, field: &str) -> Result<Answer> {
    name.parse::<Answer>()
        .map_err(|_| Error::validation(field, "must be going, interested or not_going"))
}

/// Answers an event for the signed-in member: `going` counts against the capacity (and waits
/// for the organiser when the event needs approval), `null` takes the answer back. An answer to
/// another server's event is sent there.
#[utoipa::path(put, path = "/api/v1/posts/{id}/rsvp", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's post id")),
    request_body = RsvpRequest,
    responses((status = 200, body = EventView), (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "banned, not_member"),
        (status = 404, body = ErrorBody, description = "no such post, or it is not an event"),
        (status = 409, body = ErrorBody, description = "event_full, event_cancelled, event_ended"),
        (status = 422, body = ErrorBody)))]
pub async fn rsvp(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RsvpRequest>,
) -> Result<Json<EventView>> {
    let answer = body
        .answer
        .as_deref()
        .map(|name| answer(name, "answer"))
        .transpose()?;
    let event = events::answer(&ctx, &viewer, id, answer).await?;
    Ok(Json(EventView::new(event, Utc::now())))
}

/// Cancels an event (its organiser, or a moderator of its community): everyone who answered is
/// notified, and no more answers are taken.
#[utoipa::path(post, path = "/api/v1/posts/{id}/event/cancel", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's post id")),
    responses((status = 200, body = EventView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_organiser"),
        (status = 404, body = ErrorBody, description = "no such post, or it is not an event")))]
pub async fn cancel(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<EventView>> {
    let event = events::cancel(&ctx, &viewer, id).await?;
    Ok(Json(EventView::new(event, Utc::now())))
}

/// Which answers to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttendeesQuery {
    /// `going` (default), `interested` or `not_going`.
    pub answer: Option<String>,
}

/// One person who answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeeView {
    /// The person.
    pub person: PersonSummary,
    /// False while their `going` waits for the organiser.
    pub approved: bool,
}

impl From<Attendee> for AttendeeView {
    fn from(a: Attendee) -> Self {
        Self {
            person: PersonSummary {
                id: a.person_id,
                name: a.name,
                display_name: a.display_name,
                local: a.host.is_none(),
                ap_id: a.ap_id,
                // Deleted accounts are left out of the list.
                deleted: false,
                avatar_url: a.avatar_url,
            },
            approved: a.approved,
        }
    }
}

/// The people who gave one answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeesView {
    /// In the order they answered (at most 500).
    pub attendees: Vec<AttendeeView>,
}

/// Who answered an event one way, in the order they answered: for members of its community,
/// its moderators, the organiser and admins (who goes is not public).
#[utoipa::path(get, path = "/api/v1/posts/{id}/event/attendees", tag = "events", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's post id"), AttendeesQuery),
    responses((status = 200, body = AttendeesView), (status = 400, body = ErrorBody, description = "invalid_field"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "not_member"),
        (status = 404, body = ErrorBody, description = "no such post, or it is not an event")))]
pub async fn attendees(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<AttendeesQuery>,
) -> Result<Json<AttendeesView>> {
    let which = answer(query.answer.as_deref().unwrap_or("going"), "answer")?;
    let rows = events::attendees(&ctx, &viewer, id, which).await?;
    Ok(Json(AttendeesView {
        attendees: rows.into_iter().map(Into::into).collect(),
    }))
}

/// The organiser approves a `going` that waits (events that need approval).
#[utoipa::path(post, path = "/api/v1/posts/{id}/event/attendees/{person_id}/approve", tag = "events",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The event's post id"),
        ("person_id" = i64, Path, description = "The waiting person's id")),
    responses((status = 200, body = EventView), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "not_organiser"),
        (status = 404, body = ErrorBody, description = "not an event, or nobody with this id waits"),
        (status = 409, body = ErrorBody, description = "event_full")))]
pub async fn approve(
    State(ctx): State<ServiceContext>,
    AuthUser(viewer): AuthUser,
    ApiPath((id, person_id)): ApiPath<(i64, i64)>,
) -> Result<Json<EventView>> {
    let event = events::approve(&ctx, &viewer, id, person_id).await?;
    Ok(Json(EventView::new(event, Utc::now())))
}

/// A community's upcoming events.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpcomingView {
    /// The event posts, soonest first, each with its `event`.
    pub posts: Vec<PostView>,
}

/// A community's events of the next 30 days and those going on now, soonest first (at most
/// 200). Also as iCalendar: `/c/{name}/events.ics`.
#[utoipa::path(get, path = "/api/v1/communities/{name}/events", tag = "events",
    params(("name" = String, Path, description = "`name` or `name@host`")),
    responses((status = 200, body = UpcomingView), (status = 404, body = ErrorBody)))]
pub async fn upcoming(
    State(ctx): State<ServiceContext>,
    viewer: Option<AuthUser>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<UpcomingView>> {
    let viewer = viewer.map(|AuthUser(v)| v);
    let now = Utc::now();
    let mut posts: Vec<PostView> = events::upcoming(&ctx, viewer.as_ref(), &name)
        .await?
        .into_iter()
        .map(|(row, event)| PostView {
            event: Some(EventView::new(event, now)),
            ..PostView::from(row)
        })
        .collect();
    // The events came with the posts; only the saved and read marks are missing.
    super::completion::mark_posts(&ctx, viewer.as_ref(), &mut posts).await?;
    Ok(Json(UpcomingView { posts }))
}
