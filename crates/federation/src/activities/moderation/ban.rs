//! Community bans: a `Block` whose `target` is the community, and its `Undo`. A `Block` whose
//! target is a server's instance actor is a site ban (`site::block`; `incoming` tells them
//! apart). Moderators cannot be
//! banned (`hearth_service::moderation::may_ban`), whoever asks.

use super::{Standing, expiry, reason, standing};
use crate::activities::{Addressing, Context, Received, Undo, new_id};
use crate::ingest;
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id, deserialize_optional_id};
use chrono::{DateTime, Utc};
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use hearth_db::moderation::{ModAction, NewModLogEntry};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Block`: a community ban (target the community) or a site ban (target an instance).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Block {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Block`.
    #[serde(rename = "type")]
    kind: BlockKind,
    /// The moderator or admin.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The person banned.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// The community, or the instance actor. Absent: a person blocking another (Mastodon).
    #[serde(default, deserialize_with = "deserialize_optional_id")]
    pub(crate) target: Option<Url>,
    /// Also remove what they wrote there.
    #[serde(default)]
    pub(crate) remove_data: Option<bool>,
    /// The reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
    /// Until when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) end_time: Option<DateTime<Utc>>,
    /// Until when, as Lemmy 0.19 says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<DateTime<Utc>>,
}

/// The type of a [`Block`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum BlockKind {
    /// `Block`.
    Block,
}

/// What a ban says, however it is sent.
#[derive(Debug, Clone)]
pub(crate) struct BanTerms {
    /// The reason (empty without one).
    pub(crate) reason: String,
    /// Until when; `None` until lifted.
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// Also remove what they wrote.
    pub(crate) remove_data: bool,
}

impl Block {
    /// Our `Block` of `person` from `target` (a community, or our instance actor) by `actor`.
    pub(crate) fn new(
        settings: &Settings,
        actor: &Url,
        person: &str,
        target: &Url,
        addressing: Addressing,
        terms: &BanTerms,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "block")?,
            kind: BlockKind::Block,
            actor: actor.clone(),
            addressing,
            object: Url::parse(person)?,
            target: Some(target.clone()),
            remove_data: Some(terms.remove_data),
            summary: (!terms.reason.is_empty()).then(|| terms.reason.clone()),
            // Lemmy 0.19 reads `expires`, others `endTime`: both are sent.
            end_time: terms.expires_at,
            expires: terms.expires_at,
        })
    }

    /// What the ban says.
    pub(crate) fn terms(&self) -> BanTerms {
        BanTerms {
            reason: reason(self.summary.as_deref()),
            expires_at: expiry(self.end_time, self.expires),
            remove_data: self.remove_data.unwrap_or(false),
        }
    }

    /// The community banned from, when `target` is one we hold (else it is a site ban).
    pub(crate) async fn community(
        &self,
        cx: &Context<'_>,
    ) -> Result<Option<CommunityRow>, InboxError> {
        match &self.target {
            Some(target) => {
                Ok(hearth_db::community::find_by_ap_id(&cx.data.pool, target.as_str()).await?)
            }
            None => Ok(None),
        }
    }

    /// The community, the person, and the actor's standing there.
    async fn check(&self, banned: bool, cx: &Context<'_>) -> Result<Option<Banning>, InboxError> {
        let Some(community) = self.community(cx).await? else {
            return Ok(None);
        };
        let Some(standing) = standing(&self.actor, &community, cx).await? else {
            return Ok(None);
        };
        let member = ingest::person(&self.object, cx.data).await?;
        if banned && community.local {
            hearth_service::moderation::may_ban(cx.data, community.id, member.row.id)
                .await
                .map_err(InboxError::Refused)?;
        }
        Ok(Some(Banning {
            community,
            person_id: member.row.id,
            standing,
            terms: self.terms(),
        }))
    }
}

/// A ban (or unban) that passed its checks.
pub(crate) struct Banning {
    community: CommunityRow,
    person_id: i64,
    standing: Standing,
    terms: BanTerms,
}

impl Banning {
    async fn apply(self, banned: bool, actor: &Url, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let (community, person) = (self.community.id, self.person_id);
        let changed = if banned {
            hearth_db::moderation::ban(
                &mut *tx,
                community,
                person,
                &self.terms.reason,
                self.terms.expires_at,
                self.standing.moderator_id,
            )
            .await?;
            if self.terms.remove_data {
                hearth_db::moderation::remove_person_content(&mut tx, community, person).await?;
            }
            true
        } else {
            hearth_db::moderation::unban(&mut *tx, community, person).await?
        };
        if changed {
            let action = if banned {
                ModAction::Ban
            } else {
                ModAction::Unban
            };
            let entry = NewModLogEntry {
                moderator_id: self.standing.moderator_id,
                target_person_id: Some(person),
                reason: &self.terms.reason,
                expires_at: self.terms.expires_at,
                ..NewModLogEntry::new(community, action)
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
impl Received for Block {
    type Checked = Banning;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Banning>, InboxError> {
        self.check(true, cx).await
    }

    async fn receive(self, banning: Banning, cx: &Context<'_>) -> Result<(), InboxError> {
        banning.apply(true, &self.actor, cx).await
    }
}

#[async_trait::async_trait]
impl Received for Undo<Block> {
    type Checked = Banning;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Banning>, InboxError> {
        self.object.check(false, cx).await
    }

    async fn receive(self, banning: Banning, cx: &Context<'_>) -> Result<(), InboxError> {
        banning.apply(false, &self.actor, cx).await
    }
}
