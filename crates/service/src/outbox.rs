//! What other servers must hear about a change. A use case records an [`Event`] in the
//! transaction that makes the change; the federation crate implements [`Outbox`], turning the
//! event into frozen activity JSON and delivery rows in that same transaction, so a change and
//! the news of it commit together or not at all.

use crate::ServiceContext;
use hearth_core::Result;
use sqlx::PgConnection;
use std::future::Future;
use std::pin::Pin;

/// A change other servers must learn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A local person wrote a post.
    PostCreated(i64),
    /// A local person edited a post.
    PostUpdated(i64),
    /// A local person deleted a post.
    PostDeleted(i64),
    /// A local person wrote a comment.
    CommentCreated(i64),
    /// A local person edited a comment.
    CommentUpdated(i64),
    /// A local person deleted a comment.
    CommentDeleted(i64),
    /// A local person voted on a post (`new` 0: took the vote back).
    PostVoted {
        /// The post.
        post_id: i64,
        /// The voter.
        person_id: i64,
        /// The vote before.
        old: i16,
        /// The vote now.
        new: i16,
    },
    /// A local person voted on a comment.
    CommentVoted {
        /// The comment.
        comment_id: i64,
        /// The voter.
        person_id: i64,
        /// The vote before.
        old: i16,
        /// The vote now.
        new: i16,
    },
    /// A local person asked to join a remote community (`Follow`).
    Followed {
        /// The remote community.
        community_id: i64,
        /// The local person.
        person_id: i64,
    },
    /// A local person left a remote community (`Undo{Follow}`).
    Unfollowed {
        /// The remote community.
        community_id: i64,
        /// The local person.
        person_id: i64,
    },
    /// A local community admitted a remote person (`Accept{Follow}`).
    Accepted {
        /// The local community.
        community_id: i64,
        /// The remote person.
        person_id: i64,
    },
    /// A local community turned a remote person's request down (`Reject{Follow}`).
    Rejected {
        /// The local community.
        community_id: i64,
        /// The remote person.
        person_id: i64,
    },
    /// A local moderator removed or restored a post (`Delete` with `summary`, `Undo{Delete}`).
    PostRemoved {
        /// The post.
        post_id: i64,
        /// The moderator.
        moderator_id: i64,
        /// Removed (true) or restored.
        removed: bool,
        /// Why.
        reason: String,
    },
    /// The same for a comment.
    CommentRemoved {
        /// The comment.
        comment_id: i64,
        /// The moderator.
        moderator_id: i64,
        /// Removed (true) or restored.
        removed: bool,
        /// Why.
        reason: String,
    },
    /// A local moderator locked or unlocked a post (`Lock`, `Undo{Lock}`).
    PostLocked {
        /// The post.
        post_id: i64,
        /// The moderator.
        moderator_id: i64,
        /// Locked (true) or unlocked.
        locked: bool,
    },
    /// A local moderator pinned or unpinned a post (`Add`/`Remove` on the featured collection).
    PostFeatured {
        /// The post.
        post_id: i64,
        /// The moderator.
        moderator_id: i64,
        /// Pinned (true) or unpinned.
        featured: bool,
    },
    /// A local moderator banned someone from a community (`Block`), or lifted it (`Undo{Block}`).
    Banned {
        /// The community.
        community_id: i64,
        /// The person.
        person_id: i64,
        /// The moderator.
        moderator_id: i64,
        /// Banned (true) or unbanned.
        banned: bool,
        /// Why.
        reason: String,
        /// Until when.
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        /// Their content there was removed too.
        remove_data: bool,
    },
    /// A local moderator added or removed a moderator (`Add`/`Remove` on the moderators).
    ModeratorChanged {
        /// The community.
        community_id: i64,
        /// The person added or removed.
        person_id: i64,
        /// The moderator who did it.
        moderator_id: i64,
        /// Added (true) or removed.
        added: bool,
    },
    /// A local person reported a post or comment (`Flag`).
    ReportFiled(i64),
    /// A local moderator resolved or dismissed a report (`Resolve`).
    ReportDecided {
        /// The report.
        report_id: i64,
        /// The moderator.
        moderator_id: i64,
        /// Resolved (true) or dismissed.
        resolved: bool,
    },
    /// An admin banned a local person from this instance (`Block` with the instance as target),
    /// or lifted it.
    SiteBanned {
        /// The person.
        person_id: i64,
        /// The admin.
        admin_id: i64,
        /// Banned (true) or unbanned.
        banned: bool,
        /// Why.
        reason: String,
        /// Until when.
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
        /// Their content was removed too.
        remove_data: bool,
    },
    /// A local moderator changed a community's settings or description (`Update{Group}`).
    CommunityUpdated {
        /// The community.
        community_id: i64,
        /// The moderator.
        moderator_id: i64,
    },
    /// An admin removed one of our communities, or restored it (`Delete{Group}` with the reason
    /// in `summary`, or its `Undo`, announced to the community's members).
    CommunityRemoved {
        /// The community.
        community_id: i64,
        /// The administrator.
        admin_id: i64,
        /// Removed (else restored).
        removed: bool,
        /// Why ("" when not given).
        reason: String,
    },
    /// A local person answered another server's event, changed or took back the answer
    /// (`Join`/`Leave`, or `Accept`/`TentativeAccept`/`Reject` of the event, as the event's
    /// server understands them).
    EventAnswered {
        /// The event's post.
        post_id: i64,
        /// The local person.
        person_id: i64,
        /// The answer now (`None`: taken back).
        answer: Option<hearth_db::event::Answer>,
    },
    /// The organiser of one of our events admitted or turned down a remote person's `Join`
    /// (`Accept{Join}` / `Reject{Join}`, as Mobilizon answers).
    EventAnswerDecided {
        /// The event's post.
        post_id: i64,
        /// The remote person.
        person_id: i64,
        /// Admitted (else turned down).
        accepted: bool,
    },
    /// A local person voted in another server's poll (a `Create{Note}` with the option's
    /// `name` for each choice, to the poll's author).
    PollVoted {
        /// The poll's post.
        post_id: i64,
        /// The local person.
        person_id: i64,
    },
    /// The counts of one of our polls changed (`Update{Question}` to the community's members).
    PollCountsChanged(i64),
    /// A local person changed their public profile (`Update{Person}`, to every server that
    /// knows them through a community).
    PersonUpdated(i64),
    /// A local person deleted their account (`Delete{Person}`, to the same servers).
    PersonDeleted {
        /// The person.
        person_id: i64,
        /// Their posts and comments were deleted too (`removeData`).
        remove_data: bool,
    },
    /// One of our communities relays an activity another server sent it, verbatim in an
    /// `Announce`, to its members on other servers (not back to the server it came from).
    Relayed {
        /// Our community.
        community_id: i64,
        /// The activity as received.
        activity: serde_json::Value,
        /// The authority it came from.
        skip_authority: Option<String>,
    },
    /// One of our communities relays an activity to chosen inboxes only (a report, to the
    /// community's moderators on other servers).
    RelayedTo {
        /// Our community.
        community_id: i64,
        /// The activity as received.
        activity: serde_json::Value,
        /// Where it goes.
        inboxes: Vec<String>,
    },
}

/// The future an outbox returns.
pub type RecordFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Turns events into outgoing activities inside the caller's transaction.
pub trait Outbox: Send + Sync {
    /// Records what `event` means for other servers, in `conn`'s transaction.
    fn record<'a>(&'a self, conn: &'a mut PgConnection, event: Event) -> RecordFuture<'a>;
}

/// Records `event` when this instance federates; nothing otherwise.
pub async fn record(ctx: &ServiceContext, conn: &mut PgConnection, event: Event) -> Result<()> {
    if let Some(outbox) = ctx.outbox.as_ref() {
        outbox.record(conn, event).await?;
    }
    Ok(())
}

/// The delivery queue per destination server, the busiest first (admins).
pub async fn queue(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
) -> Result<Vec<hearth_db::federation::HostQueue>> {
    crate::require_admin(viewer)?;
    Ok(hearth_db::federation::queue(&ctx.pool).await?)
}

/// The inbox queue (admins): what waits to be applied, and the latest `limit` activities
/// refused or failed when applied, newest first.
pub async fn inbox_queue(
    ctx: &ServiceContext,
    viewer: &crate::auth::Viewer,
    limit: i64,
) -> Result<(
    hearth_db::inbox_queue::Summary,
    Vec<hearth_db::inbox_queue::Refusal>,
)> {
    crate::require_admin(viewer)?;
    let summary = hearth_db::inbox_queue::summary(&ctx.pool).await?;
    let refusals = hearth_db::inbox_queue::refusals(&ctx.pool, limit.clamp(1, 200)).await?;
    Ok((summary, refusals))
}
