//! Events on the wire: our event posts as Mobilizon-shaped `Event` objects, and the fields of
//! `Event`s from other servers (Mobilizon, Gancio, PieFed, Friendica) read into `post_event`.

use crate::protocol::objects::Page;
use crate::received::InboxError;
use hearth_db::event::EventRow;

/// Makes a post's `Page` the `Event` it is (type, times, place, capacity, join mode, status).
pub(crate) fn dress(_page: &mut Page, _event: &EventRow) {
    // Being written (issue #22).
}

/// An event's fields as another server sent them.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedEvent;

/// The event a received object describes, when it is one we can read (an `Event` with a start).
pub(crate) fn read(_page: &Page) -> Option<ReceivedEvent> {
    // Being written (issue #22).
    None
}

/// Stores a received event's fields with its post, in the post's transaction.
pub(crate) async fn store(
    _conn: &mut sqlx::PgConnection,
    _post_id: i64,
    _event: &ReceivedEvent,
) -> Result<(), InboxError> {
    Ok(())
}
