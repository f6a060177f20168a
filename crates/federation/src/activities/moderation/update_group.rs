//! `Update{Group}`: a remote community's new settings, announced by it or sent by itself, are
//! taken from the Group JSON; one of our communities changed by a remote moderator takes the
//! title, description and flags.

use super::{Standing, standing};
use crate::activities::{Addressing, Context, Received, new_id};
use crate::objects::community::ApubCommunity;
use crate::protocol::actors::Group;
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id};
use activitypub_federation::traits::Object;
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use hearth_db::moderation::{ModAction, NewModLogEntry};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Update` whose object is a `Group`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateGroup {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Update`.
    #[serde(rename = "type")]
    kind: UpdateKind,
    /// A moderator, or the community itself.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The community as it is now.
    pub(crate) object: Group,
}

/// The type of an [`UpdateGroup`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum UpdateKind {
    /// `Update`.
    Update,
}

impl UpdateGroup {
    /// Our moderator's `Update` of our `community`, whose Group is `group`.
    pub(crate) fn new(
        settings: &Settings,
        moderator: &Url,
        community: &CommunityRow,
        group: Group,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "update")?,
            kind: UpdateKind::Update,
            actor: moderator.clone(),
            addressing: Addressing::community(community),
            object: group,
        })
    }
}

/// What an `Update{Group}` was found to be.
pub(crate) enum Checked {
    /// A change by a moderator (or announced by the community), logged and maybe announced.
    Moderated(Box<CommunityRow>, Standing),
    /// A remote community telling us itself, not announced: it is its own authority.
    Itself,
}

#[async_trait::async_trait]
impl Received for UpdateGroup {
    type Checked = Checked;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Checked>, InboxError> {
        let Some(community) =
            hearth_db::community::find_by_ap_id(&cx.data.pool, self.object.id.as_str()).await?
        else {
            return Ok(None);
        };
        match standing(&self.actor, &community, cx).await? {
            Some(standing) => Ok(Some(Checked::Moderated(Box::new(community), standing))),
            None if !community.local && self.actor.as_str() == community.ap_id => {
                Ok(Some(Checked::Itself))
            }
            None => Ok(None),
        }
    }

    async fn receive(self, checked: Checked, cx: &Context<'_>) -> Result<(), InboxError> {
        let group = self.object.clone();
        let (community, standing) = match checked {
            Checked::Itself => {
                ApubCommunity::verify(&group, &group.id, cx.data).await?;
                ApubCommunity::from_json(group, cx.data).await?;
                return Ok(());
            }
            Checked::Moderated(community, standing) => (*community, standing),
        };
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        if community.local {
            let (summary, summary_html) =
                crate::objects::remote_text(group.summary.as_deref(), group.source.as_ref());
            // Our summary carries the rules after the description: take them apart again.
            let (description, description_html, rules) =
                crate::objects::community::split_summary(summary, summary_html);
            let title: Option<String> = group
                .name
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| t.chars().take(100).collect());
            let patch = hearth_db::community::CommunityPatch {
                title: title.as_deref(),
                description: Some((&description, &description_html)),
                rules: rules.as_ref().map(|(r, h)| (r.as_str(), h.as_str())),
                nsfw: group.sensitive,
                posting_restricted_to_mods: group.posting_restricted_to_mods,
                visibility: None,
                // Our communities show only pictures uploaded here (see `media::uploaded_picture`).
                icon_url: None,
                banner_url: None,
            };
            hearth_db::community::update(&mut *tx, community.id, &patch).await?;
        }
        let entry = NewModLogEntry {
            moderator_id: standing.moderator_id,
            ..NewModLogEntry::new(community.id, ModAction::UpdateCommunity)
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        cx.relay(&mut tx, &community, &self.actor, standing.announce)
            .await?;
        tx.commit().await?;
        if !community.local {
            // Announced by the community itself: its JSON is the truth.
            ApubCommunity::verify(&group, &group.id, cx.data).await?;
            ApubCommunity::from_json(group, cx.data).await?;
        }
        Ok(())
    }
}
