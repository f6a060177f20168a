//! A moderator locks a post (`Lock`: no new comments) or unlocks it (`Undo{Lock}`).

use super::{Standing, standing};
use crate::activities::{Addressing, Context, Received, Target, Undo, new_id};
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id};
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use hearth_db::moderation::{ModAction, NewModLogEntry};
use hearth_db::post::PostRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Lock` of a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Lock {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Lock`.
    #[serde(rename = "type")]
    kind: LockKind,
    /// The moderator.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The post.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
}

/// The type of a [`Lock`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum LockKind {
    /// `Lock`.
    Lock,
}

impl Lock {
    /// Our moderator's lock of `post` in `community`.
    pub(crate) fn new(
        settings: &Settings,
        moderator: &Url,
        community: &CommunityRow,
        post: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "lock")?,
            kind: LockKind::Lock,
            actor: moderator.clone(),
            addressing: Addressing::community(community),
            object: Url::parse(post)?,
        })
    }

    /// The post, its community, and the actor's standing there.
    async fn check(&self, cx: &Context<'_>) -> Result<Option<Locking>, InboxError> {
        let Some(Target::Post(post)) = Target::find(self.object.as_str(), cx.data).await? else {
            return Ok(None);
        };
        let community = Target::Post(post.clone()).community(cx.data).await?;
        Ok(standing(&self.actor, &community, cx)
            .await?
            .map(|standing| Locking {
                post,
                community,
                standing,
            }))
    }
}

/// A lock (or unlock) that passed its checks.
pub(crate) struct Locking {
    post: PostRow,
    community: CommunityRow,
    standing: Standing,
}

impl Locking {
    async fn apply(self, locked: bool, actor: &Url, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        if hearth_db::moderation::set_locked(&mut *tx, self.post.id, locked).await? {
            let action = if locked {
                ModAction::LockPost
            } else {
                ModAction::UnlockPost
            };
            let entry = NewModLogEntry {
                moderator_id: self.standing.moderator_id,
                target_post_id: Some(self.post.id),
                ..NewModLogEntry::new(self.community.id, action)
            };
            hearth_db::moderation::log(&mut *tx, &entry).await?;
            cx.relay(&mut tx, &self.community, actor, self.standing.announce)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl Received for Lock {
    type Checked = Locking;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Locking>, InboxError> {
        self.check(cx).await
    }

    async fn receive(self, locking: Locking, cx: &Context<'_>) -> Result<(), InboxError> {
        locking.apply(true, &self.actor, cx).await
    }
}

#[async_trait::async_trait]
impl Received for Undo<Lock> {
    type Checked = Locking;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Locking>, InboxError> {
        self.object.check(cx).await
    }

    async fn receive(self, locking: Locking, cx: &Context<'_>) -> Result<(), InboxError> {
        locking.apply(false, &self.actor, cx).await
    }
}
