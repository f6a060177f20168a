//! Votes in our polls, as Mastodon sends them: a `Create{Note}` whose Note has the chosen
//! option as `name`, no `content`, `inReplyTo` the poll's post, and is addressed to the poll's
//! author only (votes are private). One Note per chosen option. It is counted, never shown as a
//! comment and never relayed; our followers learn the new counts from the next
//! `Update{Question}` (`hearth_service::polls::send_changed_counts`).
//!
//! The rules are those of votes on posts (not banned, the community open to the voter:
//! `content::may_vote`) and of the poll (`polls::check_choices`: open, the option exists, one
//! choice in a single-choice poll). Our polls count a remote vote once and for good: a second
//! choice in a single-choice poll is refused (`already_voted`), the same choice again changes
//! nothing, and a replayed Note counts once (its id is kept in `poll_vote.ap_id`).

use crate::activities::Context;
use crate::ingest::{self, viewer_for};
use crate::protocol::objects::{Note, author_of};
use crate::received::{InboxError, Via};
use crate::urls::authority;
use chrono::Utc;
use hearth_core::Error;
use serde::Serialize;
use serde_json::Value;
use url::Url;

/// A vote as we send ours, shaped as Mastodon sends its own: a `Note` whose `name` is the
/// chosen option, in reply to the poll, addressed to the poll's author only, with no content.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VoteNote {
    /// `Note`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Its id.
    pub(crate) id: Url,
    /// The voter.
    pub(crate) attributed_to: Url,
    /// The poll's author.
    pub(crate) to: Vec<Url>,
    /// The chosen option.
    pub(crate) name: String,
    /// The poll.
    pub(crate) in_reply_to: Url,
}

/// Whether a created object is shaped as a poll vote: a `Note` with a `name`, an `inReplyTo`
/// and no (or empty) `content`. Whether it is one is decided by what it answers
/// ([`read_vote`]).
pub(crate) fn looks_like_vote(object: &Value) -> bool {
    let named = object
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|name| !name.trim().is_empty());
    let answers = object.get("inReplyTo").is_some_and(|v| !v.is_null());
    let wordless = match object.get("content") {
        None | Some(Value::Null) => true,
        Some(Value::String(content)) => content.trim().is_empty(),
        Some(_) => false,
    };
    object.get("type").and_then(Value::as_str) == Some("Note") && named && answers && wordless
}

/// What a vote-shaped Note turned out to be.
pub(crate) enum Reading {
    /// It does not answer a poll we hold: not a vote (the comment path judges it).
    NotAVote,
    /// A vote that is not ours to count (it reached us inside an Announce).
    Ignored,
    /// A vote in one of our polls, checked.
    Vote(Ballot),
}

/// A vote in one of our polls that passed the checks that need no lock: the voter, the option.
pub(crate) struct Ballot {
    post_id: i64,
    position: i16,
    voter_id: i64,
    /// The vote's Note, kept so that a replay counts once.
    note_id: Url,
}

/// Reads a vote-shaped Note created by `actor` (the signer): a vote in one of our polls, checked
/// for its origin (the Note is the signer's own, on the signer's server), its option and the
/// voter's right to vote in the poll's community. A vote in another server's poll is refused:
/// that server counts it.
pub(crate) async fn read_vote(
    actor: &Url,
    object: &Value,
    cx: &Context<'_>,
) -> Result<Reading, InboxError> {
    let note: Note = serde_json::from_value(object.clone())
        .map_err(|e| InboxError::unreadable(format!("The vote cannot be read: {e}")))?;
    let data = cx.data;
    let Some(post_id) = hearth_db::post::id_by_ap_id(&data.pool, note.in_reply_to.as_str()).await?
    else {
        return Ok(Reading::NotAVote);
    };
    let mut conn = data.pool.acquire().await?;
    let Some(poll) = hearth_db::poll::find(&mut conn, post_id).await? else {
        return Ok(Reading::NotAVote);
    };
    drop(conn);
    if !matches!(cx.via, Via::Direct) {
        // Votes go to the poll's author only; nobody announces them.
        return Ok(Reading::Ignored);
    }
    let post = hearth_db::post::find(&data.pool, post_id, None)
        .await?
        .ok_or_else(|| InboxError::Other(anyhow::anyhow!("post {post_id} vanished")))?;
    if !post.local {
        return Err(InboxError::refused(
            "not_our_poll",
            "Votes in this poll are counted by the server it comes from.",
        ));
    }
    if object.get("attributedTo").and_then(author_of).as_ref() != Some(actor) {
        return Err(InboxError::refused(
            "not_author",
            "A vote is cast by its own author: the Note's attributedTo must be the actor.",
        ));
    }
    if authority(&note.id).is_none() || authority(&note.id) != authority(actor) {
        return Err(InboxError::refused(
            "origin_mismatch",
            "A vote's Note must live on its voter's server.",
        ));
    }
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim();
    let position = poll
        .options
        .iter()
        .find(|option| option.name == name)
        .map(|option| option.position)
        .ok_or_else(|| {
            InboxError::Refused(Error::validation(
                "choices",
                "This poll has no option of that name.",
            ))
        })?;
    let voter = ingest::person(actor, data).await?;
    let community = hearth_db::community::find(&data.pool, post.community_id)
        .await?
        .ok_or_else(|| InboxError::Other(anyhow::anyhow!("community vanished")))?;
    hearth_service::content::may_vote(
        data,
        &viewer_for(&voter),
        &community,
        post.deleted || post.removed,
        1,
    )
    .await
    .map_err(InboxError::Refused)?;
    Ok(Reading::Vote(Ballot {
        post_id,
        position,
        voter_id: voter.row.id,
        note_id: note.id,
    }))
}

impl Ballot {
    /// Counts the vote, in the transaction the activity's receipt begins, with the poll locked
    /// so one person's votes are decided one at a time: refused when the poll has ended or a
    /// single-choice poll holds another choice of the voter's; nothing changes when it holds
    /// this one (or this Note) already.
    pub(crate) async fn count(self, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        if !hearth_db::poll::lock(&mut tx, self.post_id).await? {
            // The post lost its poll meanwhile: nothing to count.
            return Ok(());
        }
        let poll = hearth_db::poll::find(&mut tx, self.post_id)
            .await?
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("poll {} vanished", self.post_id)))?;
        hearth_service::polls::check_choices(&poll, &[self.position], Utc::now())
            .map_err(InboxError::Refused)?;
        let held: Vec<i16> = hearth_db::poll::choices_of(&mut *tx, self.voter_id, &[self.post_id])
            .await?
            .into_iter()
            .map(|(_, position)| position)
            .collect();
        if held.contains(&self.position) {
            // The same choice again (a retry under a new id): counted already.
            tx.commit().await?;
            return Ok(());
        }
        if !poll.multiple && !held.is_empty() {
            return Err(InboxError::Refused(Error::conflict(
                "already_voted",
                "You voted in this poll already; it takes one choice.",
            )));
        }
        let added = hearth_db::poll::add_vote(
            &mut tx,
            self.post_id,
            self.position,
            self.voter_id,
            Some(self.note_id.as_str()),
        )
        .await?;
        if added {
            hearth_db::poll::mark_changed(&mut tx, self.post_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_vote;
    use serde_json::json;

    #[test]
    fn a_vote_is_a_named_note_without_words() {
        let vote = json!({"type": "Note", "name": "Tea", "inReplyTo": "https://h/post/1"});
        assert!(looks_like_vote(&vote));
        let mut empty = vote.clone();
        empty["content"] = json!("  ");
        assert!(looks_like_vote(&empty), "empty content is no content");
        let mut comment = vote.clone();
        comment["content"] = json!("<p>Tea, obviously</p>");
        assert!(!looks_like_vote(&comment), "words make it a comment");
        let mut unnamed = vote.clone();
        unnamed["name"] = json!("");
        assert!(!looks_like_vote(&unnamed));
        let mut post = vote.clone();
        post["inReplyTo"] = json!(null);
        assert!(!looks_like_vote(&post), "a vote answers a poll");
        let mut page = vote;
        page["type"] = json!("Page");
        assert!(!looks_like_vote(&page));
    }
}
