//! `Delete` of a post or comment by its author, and its `Undo`. A `Delete` with a `summary`
//! (the reason, maybe empty: that is how Lemmy tells a removal from a deletion), or by anyone
//! but the author, is a moderator's removal (`moderation::remove`). A Delete that arrives
//! before its object leaves a tombstone, but only when the object's own server sends it.

use crate::activities::moderation::remove::Removal;
use crate::activities::{Addressing, Context, Received, Target, Undo, new_id};
use crate::protocol::context;
use crate::received::{InboxError, Via, deserialize_id};
use crate::urls::same_authority;
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Delete`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Delete {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Delete`.
    #[serde(rename = "type")]
    kind: DeleteKind,
    /// The author, or a moderator.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// What is deleted.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// A moderator's reason: present (maybe empty) on a removal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
}

/// The type of a [`Delete`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum DeleteKind {
    /// `Delete`.
    Delete,
}

impl Delete {
    /// Our author's deletion (`summary: None`) or a moderator's removal (`Some(reason)`) of
    /// `object` in `community`.
    pub(crate) fn new(
        settings: &Settings,
        actor: &Url,
        community: &CommunityRow,
        object: &str,
        summary: Option<String>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "delete")?,
            kind: DeleteKind::Delete,
            actor: actor.clone(),
            addressing: Addressing::community(community),
            object: Url::parse(object)?,
            summary,
        })
    }

    /// A deletion by the author herself, not a moderator's removal.
    fn by_author(&self, target: &Target) -> bool {
        target.author() == self.actor.as_str() && self.summary.is_none()
    }
}

/// What a deletion (or its undoing) was found to be.
pub(crate) enum Deletion {
    /// The object has not reached us: remember it is deleted.
    Tombstone,
    /// Its author deletes it (or takes that back); announced when `announce`.
    ByAuthor {
        target: Target,
        community: CommunityRow,
        announce: bool,
    },
    /// A moderator's removal or restoration.
    Removal(Removal),
}

#[async_trait::async_trait]
impl Received for Delete {
    type Checked = Deletion;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Deletion>, InboxError> {
        let Some(target) = Target::find(self.object.as_str(), cx.data).await? else {
            // Deleted before it reached us: a late Create must not bring it back. Only the
            // object's own server, signing itself, may say so (inside an Announce the inner
            // actor is only as good as the announcer's word).
            let own = matches!(cx.via, Via::Direct) && same_authority(&self.object, &self.actor);
            return Ok(own.then_some(Deletion::Tombstone));
        };
        let community = target.community(cx.data).await?;
        if !self.by_author(&target) {
            let reason = self.summary.clone().unwrap_or_default();
            return Ok(
                Removal::verify(&self.actor, target, community, true, reason, cx)
                    .await?
                    .map(Deletion::Removal),
            );
        }
        Ok(cx.scope(&community)?.map(|announce| Deletion::ByAuthor {
            target,
            community,
            announce,
        }))
    }

    async fn receive(self, deletion: Deletion, cx: &Context<'_>) -> Result<(), InboxError> {
        deletion.apply(true, &self.object, &self.actor, cx).await
    }
}

#[async_trait::async_trait]
impl Received for Undo<Delete> {
    type Checked = Deletion;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Deletion>, InboxError> {
        let Some(target) = Target::find(self.object.object.as_str(), cx.data).await? else {
            return Ok(None);
        };
        let community = target.community(cx.data).await?;
        if self.object.by_author(&target) {
            return Ok(cx.scope(&community)?.map(|announce| Deletion::ByAuthor {
                target,
                community,
                announce,
            }));
        }
        let reason = self.object.summary.clone().unwrap_or_default();
        Ok(
            Removal::verify(&self.actor, target, community, false, reason, cx)
                .await?
                .map(Deletion::Removal),
        )
    }

    async fn receive(self, deletion: Deletion, cx: &Context<'_>) -> Result<(), InboxError> {
        deletion
            .apply(false, &self.object.object, &self.actor, cx)
            .await
    }
}

impl Deletion {
    /// Deletes (`deleted`) or restores `object`, as found by `verify`.
    async fn apply(
        self,
        deleted: bool,
        object: &Url,
        actor: &Url,
        cx: &Context<'_>,
    ) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        match self {
            Deletion::Tombstone => {
                hearth_db::federation::add_tombstone(&mut *tx, object.as_str()).await?;
            }
            Deletion::ByAuthor {
                target,
                community,
                announce,
            } => {
                let changed = match (&target, deleted) {
                    (Target::Post(post), true) => {
                        hearth_db::post::mark_deleted(&mut *tx, post.id).await?
                    }
                    (Target::Post(post), false) => {
                        hearth_db::post::mark_undeleted(&mut *tx, post.id).await?
                    }
                    (Target::Comment(comment, _), true) => {
                        hearth_db::comment::mark_deleted(&mut *tx, comment.id).await?
                    }
                    (Target::Comment(comment, _), false) => {
                        hearth_db::comment::mark_undeleted(&mut *tx, comment.id).await?
                    }
                };
                if deleted {
                    hearth_db::federation::add_tombstone(&mut *tx, object.as_str()).await?;
                } else {
                    hearth_db::federation::remove_tombstone(&mut *tx, target.ap_id()).await?;
                }
                // A repeated Delete changes nothing and is not announced again.
                cx.relay(&mut tx, &community, actor, announce && changed)
                    .await?;
            }
            Deletion::Removal(removal) => removal.apply(&mut tx, actor, cx).await?,
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Our moderator's removal of `object` (a `Delete` whose `summary`, empty without a reason, is
/// what tells Lemmy a removal from a deletion), or its undoing.
pub(crate) fn removal(
    settings: &Settings,
    moderator: &Url,
    community: &CommunityRow,
    object: &str,
    reason: &str,
    removed: bool,
) -> anyhow::Result<Value> {
    let delete = Delete::new(
        settings,
        moderator,
        community,
        object,
        Some(reason.to_owned()),
    )?;
    Ok(if removed {
        serde_json::to_value(delete)?
    } else {
        let mut inner = delete;
        inner.context = Value::Null;
        serde_json::to_value(Undo::of(
            settings,
            moderator,
            inner,
            Addressing::community(community),
        )?)?
    })
}
