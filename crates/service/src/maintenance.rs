//! Periodic housekeeping the server runs in the background.

use crate::ServiceContext;
use hearth_core::Result;

/// One round of housekeeping: takes in the communities' pending post and comment count changes,
/// refreshes the time-dependent ranks of recent posts and comments and the communities'
/// activity counts, drops rate-limit windows that ended long ago, deletes sign-in tokens that
/// have ended (unused for too long, or too old), reminds people going to events that start
/// within the hour, queues the hourly mail digests that are due, and drops mail sent (or given
/// up) more than a week ago.
pub async fn run(ctx: &ServiceContext) -> Result<()> {
    hearth_db::community::fold_count_changes(&ctx.pool).await?;
    let posts = hearth_db::post::refresh_ranks(&ctx.pool).await?;
    let comments = hearth_db::comment::refresh_ranks(&ctx.pool).await?;
    let communities = hearth_db::community::refresh_activity(&ctx.pool).await?;
    let pruned = hearth_db::rate_limit::prune(&ctx.pool).await?;
    let ended_tokens = crate::auth::delete_ended_tokens(ctx).await?;
    let reminders = crate::events::remind(ctx).await?;
    let digests = crate::mail::send_digests(ctx).await?;
    let mails_pruned = crate::mail::prune(ctx).await?;
    tracing::debug!(
        posts,
        comments,
        communities,
        pruned,
        ended_tokens,
        reminders,
        digests,
        mails_pruned,
        "maintenance done"
    );
    Ok(())
}
