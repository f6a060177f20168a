//! Polls on the wire: our polls as Mastodon-shaped `Question` objects (`oneOf`/`anyOf`,
//! `endTime`, `votersCount`), and the options and counts of `Question`s from other servers.

use crate::protocol::objects::Page;
use crate::received::InboxError;
use hearth_db::poll::PollRow;

/// Makes a post's `Page` the `Question` it carries (options with counts, end, voters).
pub(crate) fn dress(_page: &mut Page, _poll: &PollRow) {
    // Being written (issue #22).
}

/// A poll as another server sent it.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedPoll;

/// The poll a received object carries, when it is a `Question` we can read.
pub(crate) fn read(_page: &Page) -> Option<ReceivedPoll> {
    // Being written (issue #22).
    None
}

/// Stores a received poll with its post, in the post's transaction.
pub(crate) async fn store(
    _conn: &mut sqlx::PgConnection,
    _post_id: i64,
    _poll: &ReceivedPoll,
) -> Result<(), InboxError> {
    Ok(())
}
