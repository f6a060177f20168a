//! `Delete{Group}` and its `Undo`: an administrator removed (or restored) a community, as Lemmy
//! sends it: the admin is the actor, the object is the Group's id, `summary` is the reason, and
//! the community announces it to its members. Received, it counts only from the community's own
//! server (its admins, or the community announcing it): the community is marked removed here
//! (hidden, restorable), never deleted.

use crate::activities::{Addressing, Context, Received, Undo, new_id};
use crate::protocol::context;
use crate::received::{InboxError, Via, deserialize_id};
use crate::urls::same_authority;
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Delete` whose object is a community.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeleteGroup {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Delete`.
    #[serde(rename = "type")]
    kind: DeleteKind,
    /// The administrator, or the community itself.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The community's id (or the Group, embedded).
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// The reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) summary: Option<String>,
}

/// The type of a [`DeleteGroup`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum DeleteKind {
    /// `Delete`.
    Delete,
}

impl DeleteGroup {
    /// Our administrator's removal of our `community`, with `reason`.
    pub(crate) fn new(
        settings: &Settings,
        admin: &Url,
        community: &CommunityRow,
        reason: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "delete")?,
            kind: DeleteKind::Delete,
            actor: admin.clone(),
            addressing: Addressing::community(community),
            object: Url::parse(&community.ap_id)?,
            summary: Some(reason.to_owned()).filter(|r| !r.is_empty()),
        })
    }

    /// Whether a `Delete` is about a community we hold.
    pub(crate) async fn is_about_group(raw: &Value, cx: &Context<'_>) -> Result<bool, InboxError> {
        if raw.pointer("/object/type") == Some(&Value::from("Group")) {
            return Ok(true);
        }
        let Some(object) = crate::received::id_of(raw.get("object")) else {
            return Ok(false);
        };
        Ok(
            hearth_db::community::find_by_ap_id(&cx.data.pool, object.as_str())
                .await?
                .is_some(),
        )
    }

    /// The remote community this removal may apply to: one we hold, of the actor's own server
    /// (or announced by the community itself). Our own communities are removed by our admins
    /// only.
    async fn check(&self, cx: &Context<'_>) -> Result<Option<i64>, InboxError> {
        let Some(community) =
            hearth_db::community::find_by_ap_id(&cx.data.pool, self.object.as_str()).await?
        else {
            return Ok(None);
        };
        if community.local {
            return Ok(None);
        }
        let group = Url::parse(&community.ap_id).map_err(anyhow::Error::from)?;
        let vouched = match &cx.via {
            Via::Announced(by) => by.id == community.id,
            _ => same_authority(&self.actor, &group),
        };
        if !vouched {
            return Err(InboxError::refused(
                "not_community_server",
                "Only the community's own server may remove it.",
            ));
        }
        Ok(Some(community.id))
    }
}

async fn set_removed(
    cx: &Context<'_>,
    community_id: i64,
    removed: bool,
    reason: Option<&str>,
) -> Result<(), InboxError> {
    let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
        return Ok(());
    };
    let reason: Option<String> = reason.map(|r| {
        r.chars()
            .take(hearth_service::moderation::MAX_REASON)
            .collect()
    });
    hearth_db::community_removal::set_removed(&mut *tx, community_id, removed, reason.as_deref())
        .await?;
    tx.commit().await?;
    Ok(())
}

#[async_trait::async_trait]
impl Received for DeleteGroup {
    /// The community's id here.
    type Checked = i64;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<i64>, InboxError> {
        self.check(cx).await
    }

    async fn receive(self, community_id: i64, cx: &Context<'_>) -> Result<(), InboxError> {
        set_removed(cx, community_id, true, self.summary.as_deref()).await
    }
}

#[async_trait::async_trait]
impl Received for Undo<DeleteGroup> {
    type Checked = i64;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<i64>, InboxError> {
        self.object.check(cx).await
    }

    async fn receive(self, community_id: i64, cx: &Context<'_>) -> Result<(), InboxError> {
        set_removed(cx, community_id, false, None).await
    }
}
