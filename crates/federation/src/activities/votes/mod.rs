//! Votes: `Like` (up) and `Dislike` (down) of a post or comment, and their `Undo`. A vote may
//! overtake the content it is about when a community announces it (the content is fetched); an
//! `Undo` may overtake its vote from senders that do not order deliveries (the undone vote's id
//! is then marked received, so a late vote is not applied).

pub(crate) mod batch;

use crate::activities::{Addressing, Context, Received, Target, Undo, new_id};
use crate::ingest::{self, viewer_for};
use crate::objects::comment::ApubComment;
use crate::objects::post::ApubPost;
use crate::protocol::context;
use crate::received::{InboxError, Via, deserialize_id};
use crate::urls::authority;
use activitypub_federation::fetch::object_id::ObjectId;
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Like` or `Dislike`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Vote {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// Up or down.
    #[serde(rename = "type")]
    pub(crate) kind: VoteKind,
    /// The voter.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The post or comment.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
}

/// The type of a [`Vote`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum VoteKind {
    /// Up: 1.
    Like,
    /// Down: -1.
    Dislike,
}

impl VoteKind {
    /// The vote a score is (1 or above up, below down).
    pub(crate) fn of(score: i16) -> Self {
        if score > 0 { Self::Like } else { Self::Dislike }
    }

    fn score(self) -> i16 {
        match self {
            Self::Like => 1,
            Self::Dislike => -1,
        }
    }
}

impl Vote {
    /// Our person's vote on `object` in `community`.
    pub(crate) fn new(
        settings: &Settings,
        voter: &Url,
        community: &CommunityRow,
        object: &str,
        kind: VoteKind,
    ) -> anyhow::Result<Self> {
        let name = match kind {
            VoteKind::Like => "like",
            VoteKind::Dislike => "dislike",
        };
        Ok(Self {
            context: context(),
            id: new_id(settings, name)?,
            kind,
            actor: voter.clone(),
            addressing: Addressing::community(community),
            object: Url::parse(object)?,
        })
    }

    /// What the vote is about, its community, and the voter, checked for `score` (0: taking
    /// a vote back, always allowed).
    async fn check(&self, score: i16, cx: &Context<'_>) -> Result<Option<Voting>, InboxError> {
        let target = match Target::find(self.object.as_str(), cx.data).await? {
            Some(target) => target,
            None if matches!(cx.via, Via::Direct) => return Ok(None),
            None => {
                // Announced votes may overtake the content they are about.
                if ObjectId::<ApubPost>::from(self.object.clone())
                    .dereference(cx.data)
                    .await
                    .is_err()
                {
                    ObjectId::<ApubComment>::from(self.object.clone())
                        .dereference(cx.data)
                        .await?;
                }
                Target::find(self.object.as_str(), cx.data)
                    .await?
                    .ok_or_else(|| InboxError::Other(anyhow::anyhow!("{} vanished", self.object)))?
            }
        };
        let community = target.community(cx.data).await?;
        let Some(announce) = cx.scope(&community)? else {
            return Ok(None);
        };
        let voter = ingest::person(&self.actor, cx.data).await?;
        if announce {
            hearth_service::content::may_vote(
                cx.data,
                &viewer_for(&voter),
                &community,
                target.gone(),
                score,
            )
            .await
            .map_err(InboxError::Refused)?;
        }
        Ok(Some(Voting {
            target,
            community,
            voter_id: voter.row.id,
            announce,
        }))
    }
}

/// A vote (or its undoing) that passed its checks.
pub(crate) struct Voting {
    target: Target,
    community: CommunityRow,
    voter_id: i64,
    announce: bool,
}

impl Voting {
    /// Applies `score` (0: the vote taken back; `undone` the id of the vote undone).
    async fn apply(
        self,
        score: i16,
        actor: &Url,
        undone: Option<&Url>,
        cx: &Context<'_>,
    ) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        if let Some(undone) = undone.filter(|id| authority(id) == authority(actor)) {
            // Senders may send a vote and its undoing at once, and the Undo may arrive first.
            // The undone vote counts as received from now on, so if it comes late it is not
            // applied.
            hearth_db::federation::mark_received(&mut *tx, undone.as_str()).await?;
        }
        match &self.target {
            Target::Post(post) => {
                hearth_db::post::vote(&mut tx, post.id, self.voter_id, score).await?;
            }
            Target::Comment(comment, _) => {
                hearth_db::comment::vote(&mut tx, comment.id, self.voter_id, score).await?;
            }
        }
        cx.relay(&mut tx, &self.community, actor, self.announce)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Received for Vote {
    type Checked = Voting;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Voting>, InboxError> {
        self.check(self.kind.score(), cx).await
    }

    async fn receive(self, voting: Voting, cx: &Context<'_>) -> Result<(), InboxError> {
        voting.apply(self.kind.score(), &self.actor, None, cx).await
    }
}

#[async_trait::async_trait]
impl Received for Undo<Vote> {
    type Checked = Voting;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Voting>, InboxError> {
        self.object.check(0, cx).await
    }

    async fn receive(self, voting: Voting, cx: &Context<'_>) -> Result<(), InboxError> {
        voting
            .apply(0, &self.actor, Some(&self.object.id), cx)
            .await
    }
}
