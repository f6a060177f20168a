//! Received votes applied many at a time. The votes among one claim of the inbox queue are
//! read, judged and written together: what they are about, where their voters stand and their
//! receipts take one statement each for the whole batch, and the votes and counts four per kind
//! of target (`post::vote_many`, `comment::vote_many`), all in one transaction. One by one, a
//! vote costs about ten statements; a batch of thirty costs about fifteen.
//!
//! Only votes sent straight to us are batched (a `Like`, a `Dislike`, or the `Undo` of one):
//! an announced vote may need its content fetched first, and goes the single way
//! (`incoming::dispatch`). The rules are the single way's (`content::may_vote_standing`,
//! `Context::scope`, the receipt that applies each activity once), and so are the outcomes: a
//! vote refused here is refused there with the same code.

use super::Vote;
use crate::activities::{Context, Target, Undo, read};
use crate::ingest::{self, viewer_for};
use crate::received::{InboxError, Receipt, Via, id_of};
use crate::urls::authority;
use activitypub_federation::config::{Data, FederationConfig};
use hearth_db::comment::CommentRow;
use hearth_db::community::CommunityRow;
use hearth_db::post::{PostRow, VoteChange};
use hearth_service::ServiceContext;
use serde_json::Value;
use std::collections::HashMap;
use url::Url;

/// Whether a queued activity is a vote this module applies: a `Like` or `Dislike`, or the
/// `Undo` of one embedded in it.
pub(crate) fn batchable(raw: &Value) -> bool {
    let is_vote = |v: &Value| {
        matches!(
            v.get("type").and_then(Value::as_str),
            Some("Like" | "Dislike")
        )
    };
    is_vote(raw)
        || (raw.get("type").and_then(Value::as_str) == Some("Undo")
            && raw
                .get("object")
                .is_some_and(|o| o.is_object() && is_vote(o)))
}

/// A vote as read: who, on what, which score (0 for an Undo), and the vote an Undo takes back.
struct Read {
    id: Url,
    actor: Url,
    object: Url,
    score: i16,
    undone: Option<Url>,
}

/// A vote that passed its checks, ready to write.
struct Judged<'a> {
    /// Its place in the batch.
    index: usize,
    read: Read,
    raw: &'a Value,
    target: TargetId,
    voter_id: i64,
    community: CommunityRow,
    announce: bool,
}

/// What a judged vote is on.
#[derive(Clone, Copy)]
enum TargetId {
    Post(i64),
    Comment(i64),
}

/// Applies the received votes `raws` (each `batchable`) as one batch; the outcome of each, in
/// order, as the single way would give it.
pub(crate) async fn apply(
    config: &FederationConfig<ServiceContext>,
    raws: &[&Value],
) -> Vec<Result<(), InboxError>> {
    let data = config.to_request_data();
    let mut outcomes: Vec<Option<Result<(), InboxError>>> = raws.iter().map(|_| None).collect();
    let mut reads = Vec::new();
    for (index, raw) in raws.iter().enumerate() {
        match read_vote(raw) {
            Ok(read) => reads.push((index, read)),
            Err(e) => outcomes[index] = Some(Err(e)),
        }
    }
    let mut judged = Vec::new();
    match judge(config, &data, raws, reads, &mut outcomes).await {
        Ok(ready) => judged = ready,
        Err(e) => {
            // A read failed for the whole batch (the database is away): every vote not yet
            // decided is tried again later.
            let message = e.to_string();
            for outcome in outcomes.iter_mut().filter(|o| o.is_none()) {
                *outcome = Some(Err(InboxError::Other(anyhow::anyhow!("{message}"))));
            }
        }
    }
    for (index, outcome) in write_all(&data, judged).await {
        outcomes[index] = Some(outcome);
    }
    outcomes.into_iter().map(|o| o.unwrap_or(Ok(()))).collect()
}

/// Reads one vote, or answers as the single way does for one it cannot read.
fn read_vote(raw: &Value) -> Result<Read, InboxError> {
    if raw.get("type").and_then(Value::as_str) == Some("Undo") {
        // Asked before reading, as `incoming::undo` asks it.
        if id_of(raw.pointer("/object/actor")) != id_of(raw.get("actor")) {
            return Err(InboxError::refused(
                "not_actor",
                "Only the actor of an activity may undo it.",
            ));
        }
        let undo: Undo<Vote> = read(raw)?;
        return Ok(Read {
            id: undo.id,
            actor: undo.actor,
            object: undo.object.object,
            score: 0,
            undone: Some(undo.object.id),
        });
    }
    let vote: Vote = read(raw)?;
    Ok(Read {
        id: vote.id,
        actor: vote.actor,
        object: vote.object,
        score: vote.kind.score(),
        undone: None,
    })
}

/// Checks every vote as `Vote::check` does, reading their targets and their voters' standing
/// once for the batch. Votes refused or not ours to apply get their outcome in `outcomes`; the
/// rest come back judged. An error is a failed read of the whole batch.
async fn judge<'a>(
    config: &FederationConfig<ServiceContext>,
    data: &Data<ServiceContext>,
    raws: &[&'a Value],
    reads: Vec<(usize, Read)>,
    outcomes: &mut [Option<Result<(), InboxError>>],
) -> Result<Vec<Judged<'a>>, InboxError> {
    let targets = targets(data, &reads).await?;
    let mut scoped = Vec::new();
    for (index, read) in reads {
        // Sent straight to us about something we do not hold: nothing to apply (the single
        // way fetches only for announced votes).
        let Some(target) = targets.get(read.object.as_str()) else {
            outcomes[index] = Some(Ok(()));
            continue;
        };
        let community = match target.community(data).await {
            Ok(c) => c,
            Err(e) => {
                outcomes[index] = Some(Err(e));
                continue;
            }
        };
        let cx = context(data, &read.id, raws[index]);
        let announce = match cx.scope(&community) {
            Ok(Some(announce)) => announce,
            Ok(None) => {
                outcomes[index] = Some(Ok(()));
                continue;
            }
            Err(e) => {
                outcomes[index] = Some(Err(e));
                continue;
            }
        };
        scoped.push((index, read, target, community, announce));
    }
    // The voters, looked up side by side (a stale one is fetched from its server), each with a
    // fetch budget of its own as each vote has alone.
    let voters = futures_util::future::join_all(scoped.iter().map(|(_, read, ..)| async {
        ingest::person(&read.actor, &config.to_request_data()).await
    }))
    .await;
    let mut candidates = Vec::new();
    for ((index, read, target, community, announce), voter) in scoped.into_iter().zip(voters) {
        match voter {
            Ok(voter) => candidates.push((index, read, target, community, announce, voter)),
            Err(e) => outcomes[index] = Some(Err(e)),
        }
    }
    let pairs: Vec<(i64, i64)> = candidates
        .iter()
        .filter(|(_, read, _, _, announce, _)| *announce && read.score != 0)
        .map(|(_, _, _, community, _, voter)| (community.id, voter.row.id))
        .collect();
    let standings = if pairs.is_empty() {
        Vec::new()
    } else {
        hearth_db::moderation::standings(&data.pool, &pairs).await?
    };
    let standing_of: HashMap<(i64, i64), _> = pairs.into_iter().zip(standings).collect();
    let downvotes_enabled = if candidates.iter().any(|c| c.1.score < 0) {
        hearth_db::site::get(&data.pool).await?.downvotes_enabled
    } else {
        true
    };
    let mut judged = Vec::new();
    for (index, read, target, community, announce, voter) in candidates {
        if announce && read.score != 0 {
            let Some(standing) = standing_of.get(&(community.id, voter.row.id)) else {
                outcomes[index] = Some(Err(InboxError::Other(anyhow::anyhow!(
                    "no standing was read for {} in community {}",
                    read.actor,
                    community.id
                ))));
                continue;
            };
            let verdict = hearth_service::content::may_vote_standing(
                data,
                &viewer_for(&voter),
                &community,
                target.gone(),
                read.score,
                standing,
                downvotes_enabled,
            )
            .await;
            if let Err(e) = verdict {
                outcomes[index] = Some(Err(InboxError::Refused(e)));
                continue;
            }
        }
        judged.push(Judged {
            index,
            raw: raws[index],
            target: match target {
                Target::Post(p) => TargetId::Post(p.id),
                Target::Comment(c, _) => TargetId::Comment(c.id),
            },
            read,
            voter_id: voter.row.id,
            community,
            announce,
        });
    }
    Ok(judged)
}

/// The posts and comments the votes are about, by ActivityPub id: three statements for the
/// batch (posts, comments, the comments' posts) where `Target::find` takes one or two a vote.
async fn targets(
    data: &Data<ServiceContext>,
    reads: &[(usize, Read)],
) -> Result<HashMap<String, Target>, InboxError> {
    let mut ids: Vec<String> = reads.iter().map(|(_, r)| r.object.to_string()).collect();
    ids.sort();
    ids.dedup();
    let mut found = HashMap::new();
    if ids.is_empty() {
        return Ok(found);
    }
    let posts: Vec<PostRow> = hearth_db::post::find_by_ap_ids(&data.pool, &ids, None).await?;
    let rest: Vec<String> = ids
        .into_iter()
        .filter(|id| !posts.iter().any(|p| &p.ap_id == id))
        .collect();
    let mut posts_by_id: HashMap<i64, PostRow> = posts.into_iter().map(|p| (p.id, p)).collect();
    let comments: Vec<CommentRow> = if rest.is_empty() {
        Vec::new()
    } else {
        hearth_db::comment::find_by_ap_ids(&data.pool, &rest, None).await?
    };
    let mut missing: Vec<i64> = comments
        .iter()
        .map(|c| c.post_id)
        .filter(|id| !posts_by_id.contains_key(id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        for post in hearth_db::post::find_many(&data.pool, &missing, None).await? {
            posts_by_id.insert(post.id, post);
        }
    }
    for comment in comments {
        if let Some(post) = posts_by_id.get(&comment.post_id) {
            let post = post.clone();
            found.insert(
                comment.ap_id.clone(),
                Target::Comment(Box::new(comment), post),
            );
        }
    }
    for post in posts_by_id.into_values() {
        found.insert(post.ap_id.clone(), Target::Post(post));
    }
    Ok(found)
}

/// The context the single way applies a vote in.
fn context<'a>(data: &'a Data<ServiceContext>, id: &Url, raw: &'a Value) -> Context<'a> {
    Context {
        data,
        via: Via::Direct,
        receipt: Receipt::of(id),
        raw,
    }
}

/// Writes the judged votes in one transaction. When it fails, each vote is written alone, so
/// one bad vote does not hold back the others. That covers a voter twice on one target too
/// (which one claim cannot hold: both would share the target's ordering key), and deadlocks:
/// batches lock their targets in one order (comments, then posts, each by id), but a writer
/// that locks many rows in another order (a ban that removes a person's posts and comments,
/// the rank refresh) can meet a batch in a cycle, which PostgreSQL breaks by failing one side.
async fn write_all(
    data: &Data<ServiceContext>,
    judged: Vec<Judged<'_>>,
) -> Vec<(usize, Result<(), InboxError>)> {
    if judged.is_empty() {
        return Vec::new();
    }
    match write(data, &judged).await {
        Ok(()) => judged.iter().map(|v| (v.index, Ok(()))).collect(),
        Err(_) if judged.len() > 1 => {
            let mut outcomes = Vec::with_capacity(judged.len());
            for vote in &judged {
                let outcome = write(data, std::slice::from_ref(vote)).await;
                outcomes.push((vote.index, outcome));
            }
            outcomes
        }
        Err(e) => vec![(judged[0].index, Err(e))],
    }
}

/// Writes votes with no voter twice on one target, in one transaction: their receipts (a
/// duplicate, already applied or being applied, is skipped), the votes an Undo takes back
/// marked received (so one arriving late is not applied), the votes and counts, and the
/// relays to the communities' members elsewhere.
async fn write(data: &Data<ServiceContext>, votes: &[Judged<'_>]) -> Result<(), InboxError> {
    let mut tx = data.pool.begin().await?;
    let ids: Vec<String> = votes.iter().map(|v| v.read.id.to_string()).collect();
    let fresh = hearth_db::federation::mark_received_many(&mut *tx, &ids).await?;
    let votes: Vec<&Judged> = votes
        .iter()
        .filter(|v| fresh.iter().any(|id| id == v.read.id.as_str()))
        .collect();
    // Senders may send a vote and its undoing at once, and the Undo may arrive first.
    let undone: Vec<String> = votes
        .iter()
        .filter_map(|v| v.read.undone.as_ref().map(|u| (u, &v.read.actor)))
        .filter(|(undone, actor)| authority(undone) == authority(actor))
        .map(|(undone, _)| undone.to_string())
        .collect();
    if !undone.is_empty() {
        hearth_db::federation::mark_received_many(&mut *tx, &undone).await?;
    }
    let changes = |want: fn(TargetId) -> Option<i64>| -> Vec<VoteChange> {
        votes
            .iter()
            .filter_map(|v| {
                want(v.target).map(|target_id| VoteChange {
                    target_id,
                    person_id: v.voter_id,
                    score: v.read.score,
                })
            })
            .collect()
    };
    // Comments before posts, the order a reply's transaction takes them in (its parent
    // comment's count, then its post's), so the two cannot deadlock.
    let on_comments = changes(|t| match t {
        TargetId::Comment(id) => Some(id),
        TargetId::Post(_) => None,
    });
    if !on_comments.is_empty() {
        hearth_db::comment::vote_many(&mut tx, &on_comments).await?;
    }
    let on_posts = changes(|t| match t {
        TargetId::Post(id) => Some(id),
        TargetId::Comment(_) => None,
    });
    if !on_posts.is_empty() {
        hearth_db::post::vote_many(&mut tx, &on_posts).await?;
    }
    // Whether a community has members elsewhere is asked once per community and sending
    // server (`outbox::record` would ask it for every vote).
    let mut heard: HashMap<(i64, Option<String>), bool> = HashMap::new();
    for vote in votes.iter().filter(|v| v.announce) {
        let skip = authority(&vote.read.actor);
        let key = (vote.community.id, skip.clone());
        let elsewhere = match heard.get(&key) {
            Some(known) => *known,
            None => {
                let known = hearth_db::federation::has_remote_members(
                    &mut *tx,
                    vote.community.id,
                    skip.as_deref(),
                )
                .await?;
                heard.insert(key, known);
                known
            }
        };
        if elsewhere {
            context(data, &vote.read.id, vote.raw)
                .relay(&mut tx, &vote.community, &vote.read.actor, true)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
