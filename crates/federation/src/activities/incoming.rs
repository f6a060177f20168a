//! Any activity received, read by its `type` (and an `Undo` by its object's) into its typed
//! shape, verified and applied; an `Announce` of a remote community is unwrapped and what it
//! carries applied on that community's word. Types we do not handle are acknowledged and
//! ignored.

use super::moderation::ban::Block;
use super::site::block::SiteBan;
use super::{
    Context, Undo, announce, apply, content, events, following, moderation, people, read, reports,
    votes,
};
use crate::received::{InboxError, Via, id_of};
use serde_json::Value;

/// Reads an activity by its `type` (and an Undo by its object's), then applies it.
pub(crate) async fn dispatch(cx: &Context<'_>) -> Result<(), InboxError> {
    let raw = cx.raw;
    let kind = raw.get("type").and_then(Value::as_str).unwrap_or("");
    let direct = matches!(cx.via, Via::Direct);
    match kind {
        "Follow" if direct => apply(read::<following::Follow>(raw)?, cx).await,
        // An Accept or Reject answers a Follow, one of our people's Join of an event, or (from
        // Friendica) is itself an answer to an event.
        "Accept" | "Reject" if direct => match events::answered(raw, cx).await? {
            events::Answered::Follow => apply(read::<following::Answer>(raw)?, cx).await,
            events::Answered::Join => apply(read::<events::decision::JoinDecision>(raw)?, cx).await,
            events::Answered::Event => apply(read::<events::rsvp::Rsvp>(raw)?, cx).await,
        },
        "TentativeAccept" if direct => apply(read::<events::rsvp::Rsvp>(raw)?, cx).await,
        "Join" | "Leave" if direct => apply(read::<events::join::Join>(raw)?, cx).await,
        "Announce" if direct => {
            let Some(carried) = read::<announce::Announce>(raw)?.carried(cx).await? else {
                return Ok(());
            };
            let inner = Context {
                data: cx.data,
                via: Via::Announced(Box::new(carried.community)),
                receipt: cx.receipt.with(&carried.id),
                raw: &carried.activity,
            };
            Box::pin(dispatch(&inner)).await
        }
        "Update" if raw.pointer("/object/type") == Some(&Value::from("Group")) => {
            apply(read::<moderation::update_group::UpdateGroup>(raw)?, cx).await
        }
        "Update"
            if raw
                .pointer("/object/type")
                .and_then(Value::as_str)
                .is_some_and(people::is_person_kind) =>
        {
            apply(read::<people::update::UpdatePerson>(raw)?, cx).await
        }
        "Create" | "Update" => apply(read::<content::CreateOrUpdate>(raw)?, cx).await,
        "Delete" if people::delete::DeletePerson::is_about_person(raw, cx).await? => {
            apply(read::<people::delete::DeletePerson>(raw)?, cx).await
        }
        "Delete" if moderation::delete_group::DeleteGroup::is_about_group(raw, cx).await? => {
            apply(read::<moderation::delete_group::DeleteGroup>(raw)?, cx).await
        }
        "Delete" => apply(read::<content::delete::Delete>(raw)?, cx).await,
        "Lock" => apply(read::<moderation::lock::Lock>(raw)?, cx).await,
        "Add" | "Remove" => apply(read::<moderation::collection::CollectionChange>(raw)?, cx).await,
        "Block" => block(read(raw)?, cx).await,
        "Flag" => apply(read::<reports::flag::Flag>(raw)?, cx).await,
        "Resolve" => apply(read::<reports::resolve::Resolve>(raw)?, cx).await,
        "Like" | "Dislike" => apply(read::<votes::Vote>(raw)?, cx).await,
        "Undo" => undo(cx).await,
        other => {
            tracing::debug!(kind = other, "activity type not handled; ignored");
            Ok(())
        }
    }
}

/// An `Undo`, read by what it undoes. One that only names the activity is ignored: we keep no
/// ids of others' votes or follows.
async fn undo(cx: &Context<'_>) -> Result<(), InboxError> {
    let raw = cx.raw;
    let Some(inner) = raw.get("object").filter(|o| o.is_object()) else {
        return Ok(());
    };
    if id_of(inner.get("actor")) != id_of(raw.get("actor")) {
        return Err(InboxError::refused(
            "not_actor",
            "Only the actor of an activity may undo it.",
        ));
    }
    match inner.get("type").and_then(Value::as_str) {
        Some("Like" | "Dislike") => apply(read::<Undo<votes::Vote>>(raw)?, cx).await,
        Some("Follow") if matches!(cx.via, Via::Direct) => {
            apply(read::<Undo<following::Follow>>(raw)?, cx).await
        }
        Some("Join") if matches!(cx.via, Via::Direct) => {
            apply(read::<Undo<events::join::Join>>(raw)?, cx).await
        }
        Some("Accept" | "TentativeAccept" | "Reject")
            if matches!(cx.via, Via::Direct)
                && matches!(events::answered(inner, cx).await?, events::Answered::Event) =>
        {
            apply(read::<Undo<events::rsvp::Rsvp>>(raw)?, cx).await
        }
        Some("Delete")
            if moderation::delete_group::DeleteGroup::is_about_group(inner, cx).await? =>
        {
            apply(
                read::<Undo<moderation::delete_group::DeleteGroup>>(raw)?,
                cx,
            )
            .await
        }
        Some("Delete") => apply(read::<Undo<content::delete::Delete>>(raw)?, cx).await,
        Some("Lock") => apply(read::<Undo<moderation::lock::Lock>>(raw)?, cx).await,
        Some("Block") => unblock(read(raw)?, cx).await,
        _ => Ok(()),
    }
}

/// A `Block`: a community ban when its target is a community we hold, else a site ban. One
/// without a target is a person blocking another (Mastodon): nothing for us to apply.
async fn block(block: Block, cx: &Context<'_>) -> Result<(), InboxError> {
    if block.target.is_none() {
        return Ok(());
    }
    match block.community(cx).await? {
        Some(_) => apply(block, cx).await,
        None => apply(SiteBan(block), cx).await,
    }
}

/// An `Undo{Block}`: the end of a community ban, or of a site ban.
async fn unblock(undo: Undo<Block>, cx: &Context<'_>) -> Result<(), InboxError> {
    if undo.object.target.is_none() {
        return Ok(());
    }
    match undo.object.community(cx).await? {
        Some(_) => apply(undo, cx).await,
        None => {
            let Undo {
                context,
                id,
                kind,
                actor,
                object,
                addressing,
            } = undo;
            let undo = Undo {
                context,
                id,
                kind,
                actor,
                object: SiteBan(object),
                addressing,
            };
            apply(undo, cx).await
        }
    }
}
