//! What our polls send: local people's votes in other servers' polls, and our polls' new
//! counts to their community's members.

use hearth_core::Settings;
use hearth_service::outbox::Event;
use sqlx::PgConnection;

/// Records the activity of a poll's `Event` (see `outbox::Event::PollVoted` and
/// `PollCountsChanged`).
pub(super) async fn record(
    _conn: &mut PgConnection,
    _settings: &Settings,
    _event: Event,
) -> anyhow::Result<()> {
    // Being written (issue #22): votes and counts are not federated yet.
    Ok(())
}
