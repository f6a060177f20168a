//! What our events send: answers of local people to other servers' events, and our organisers'
//! answers to remote people's `Join`s.

use hearth_core::Settings;
use hearth_service::outbox::Event;
use sqlx::PgConnection;

/// Records the activity of an event's `Event` (see `outbox::Event::EventAnswered` and
/// `EventAnswerDecided`).
pub(super) async fn record(
    _conn: &mut PgConnection,
    _settings: &Settings,
    _event: Event,
) -> anyhow::Result<()> {
    // Being written (issue #22): RSVPs are not federated yet.
    Ok(())
}
