//! Joining and leaving communities, and moderators deciding join requests in communities that
//! approve their members.

use crate::auth::Viewer;
pub use crate::communities::Membership;
use crate::communities::find;
use crate::outbox::{self, Event};
use crate::{ServiceContext, can_moderate, notifications, users};
use hearth_core::{Error, Result};
use hearth_db::community::Visibility;
use hearth_db::membership::{MemberRow, MemberState};

/// A membership after a change, with the community's canonical name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipChange {
    /// The community's name as stored.
    pub community: String,
    /// The membership now.
    pub state: Membership,
}

/// Joins a community, or asks to when it approves its members. Joining again changes nothing.
#[tracing::instrument(skip_all, fields(community = %reference, person = viewer.person_id))]
pub async fn join(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<MembershipChange> {
    let community = find(ctx, reference).await?;
    crate::content::refuse_removed(ctx, &community).await?;
    // A remote community decides: the membership waits for its Accept.
    let state = if community.visibility == Visibility::Approval || !community.local {
        MemberState::Pending
    } else {
        MemberState::Joined
    };
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::membership::insert(&mut *tx, community.id, viewer.person_id, state).await? {
        let existing =
            hearth_db::membership::state(&mut *tx, community.id, viewer.person_id).await?;
        if existing == Some(MemberState::Pending) && !community.local {
            // Still waiting: ask again, in case the first Follow or its answer was lost.
            let event = Event::Followed {
                community_id: community.id,
                person_id: viewer.person_id,
            };
            outbox::record(ctx, &mut tx, event).await?;
            tx.commit().await?;
        }
        return Ok(change(community.name, existing.into()));
    }
    if state == MemberState::Joined {
        hearth_db::community::add_members(&mut *tx, community.id, 1).await?;
    }
    if !community.local {
        let event = Event::Followed {
            community_id: community.id,
            person_id: viewer.person_id,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(change(community.name, Some(state).into()))
}

/// Leaves a community, or withdraws a join request.
#[tracing::instrument(skip_all, fields(community = %reference, person = viewer.person_id))]
pub async fn leave(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<MembershipChange> {
    let community = find(ctx, reference).await?;
    let mut tx = ctx.pool.begin().await?;
    let was = hearth_db::membership::delete(&mut *tx, community.id, viewer.person_id).await?;
    if was == Some(MemberState::Joined) {
        hearth_db::community::add_members(&mut *tx, community.id, -1).await?;
    }
    if was.is_some() && !community.local {
        let event = Event::Unfollowed {
            community_id: community.id,
            person_id: viewer.person_id,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(change(community.name, Membership::None))
}

fn change(community: String, state: Membership) -> MembershipChange {
    MembershipChange { community, state }
}

/// Approves a pending join request (moderators and admins).
#[tracing::instrument(skip_all, fields(community = %reference, member = %member))]
pub async fn approve(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    member: &str,
) -> Result<MembershipChange> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    let person = users::find(ctx, member, "user").await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::membership::approve(&mut *tx, community.id, person.id).await? {
        return Err(no_request(&person.name));
    }
    hearth_db::community::add_members(&mut *tx, community.id, 1).await?;
    notifications::join_answered(
        &mut tx,
        community.id,
        person.id,
        true,
        Some(viewer.person_id),
    )
    .await?;
    if !person.local {
        let event = Event::Accepted {
            community_id: community.id,
            person_id: person.id,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(change(community.name, Membership::Joined))
}

/// Denies a pending join request (moderators and admins).
#[tracing::instrument(skip_all, fields(community = %reference, member = %member))]
pub async fn deny(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    member: &str,
) -> Result<MembershipChange> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    let person = users::find(ctx, member, "user").await?;
    // Only a pending request is removed, in one statement: an approval that lands first wins.
    // The Reject embeds the Follow it answers, so read that before the row goes.
    let mut tx = ctx.pool.begin().await?;
    if !person.local {
        let event = Event::Rejected {
            community_id: community.id,
            person_id: person.id,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    if hearth_db::membership::delete_pending(&mut *tx, community.id, person.id).await? {
        notifications::join_answered(
            &mut tx,
            community.id,
            person.id,
            false,
            Some(viewer.person_id),
        )
        .await?;
        tx.commit().await?;
        Ok(change(community.name, Membership::None))
    } else {
        Err(no_request(&person.name))
    }
}

/// Members or pending requests, for the community's moderators and admins.
pub async fn list(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    state: MemberState,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<MemberRow>> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    Ok(hearth_db::membership::list(&ctx.pool, community.id, state, after, limit).await?)
}

fn no_request(name: &str) -> Error {
    Error::not_found(format!(
        "`{name}` has no pending request to join this community."
    ))
}
