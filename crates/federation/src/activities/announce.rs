//! `Announce`: a remote community relays an activity (embedded, or by id and fetched) to us, or
//! one of ours relays one to its members. Received, it counts only from a community someone
//! here joined (anyone can make a Group), for an activity whose id and actor share an origin,
//! not relayed back to us, from a server we federate with, by someone not banned here, and not
//! seen before; what it carries is then applied on that community's word (`incoming`), which
//! holds for the community's own content only (the gate in `ingest`). Lemmy and NodeBB also
//! announce the bare post (`Announce{Page}`): it is read as its author's `Create`.

use crate::activities::content::CreateOrUpdate;
use crate::activities::{Context, new_id, object_json};
use crate::objects::actor::ApubActor;
use crate::protocol::{PUBLIC, context};
use crate::received::{InboxError, deserialize_id, id_of};
use crate::urls::{authority, same_authority};
use activitypub_federation::fetch::object_id::ObjectId;
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Announce` by a community.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Announce {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Announce`.
    #[serde(rename = "type")]
    kind: AnnounceKind,
    /// The community (or, from Mastodon, a person boosting).
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: crate::activities::Addressing,
    /// The activity relayed, verbatim (or its id).
    pub(crate) object: Value,
}

/// The type of an [`Announce`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum AnnounceKind {
    /// `Announce`.
    Announce,
}

/// What an Announce carries, when it is ours to apply.
pub(crate) struct Carried {
    /// The community vouching for it.
    pub(crate) community: CommunityRow,
    /// The carried activity's id.
    pub(crate) id: Url,
    /// The carried activity.
    pub(crate) activity: Value,
}

impl Announce {
    /// Our community's `Announce` of `activity` (without its context, which belongs to the
    /// outer document), to its followers (`to_followers`) or to chosen inboxes.
    pub(crate) fn new(
        settings: &Settings,
        community: &CommunityRow,
        mut activity: Value,
        to_followers: bool,
    ) -> anyhow::Result<Self> {
        if let Some(map) = activity.as_object_mut() {
            map.remove("@context");
        }
        let addressing = if to_followers {
            let followers =
                crate::urls::Urls(settings).community_part(&community.name, "followers")?;
            crate::activities::Addressing {
                to: vec![PUBLIC.to_owned()],
                cc: vec![followers.to_string()],
                audience: None,
            }
        } else {
            crate::activities::Addressing::to(&community.ap_id)
        };
        Ok(Self {
            context: context(),
            id: new_id(settings, "announce")?,
            kind: AnnounceKind::Announce,
            actor: Url::parse(&community.ap_id)?,
            addressing,
            object: activity,
        })
    }

    /// What the Announce carries, when it is ours to apply: `None` acknowledges and ignores it.
    pub(crate) async fn carried(&self, cx: &Context<'_>) -> Result<Option<Carried>, InboxError> {
        let data = cx.data;
        let announcer = ObjectId::<ApubActor>::from(self.actor.clone())
            .dereference(data)
            .await?;
        let ApubActor::Community(community) = announcer else {
            // A person's boost (Mastodon): nothing to apply.
            return Ok(None);
        };
        // Only communities someone here joined (or asked to) are listened to: anyone can make a
        // Group, and this keeps strangers' Groups from filling our database.
        let listened_to = hearth_db::membership::has_local_members(&data.pool, community.row.id)
            .await?
            || hearth_db::moderator::has_local_moderators(&data.pool, community.row.id).await?;
        if community.row.local || !listened_to {
            return Ok(None);
        }
        let mut inner = object_json(&self.object, data).await?;
        // Lemmy and NodeBB also announce the bare post (`Announce{Page}`): read it as its
        // author's Create. Arriving also as `Announce{Create{Page}}`, it is still stored once (by
        // its id).
        let bare_object = inner.get("actor").is_none()
            && inner.get("attributedTo").is_some()
            && inner
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(crate::ingest::is_post_kind);
        if bare_object {
            let create =
                id_of(inner.get("id")).and_then(|id| CreateOrUpdate::of_bare(id, inner.clone()));
            let Some(create) = create else {
                return Ok(None);
            };
            inner = serde_json::to_value(&create).map_err(|e| InboxError::Other(e.into()))?;
        }
        let (Some(inner_id), Some(inner_actor)) =
            (id_of(inner.get("id")), id_of(inner.get("actor")))
        else {
            // A bare object rather than an activity: handled with the other servers' dialects.
            return Ok(None);
        };
        if inner.get("type").and_then(Value::as_str).is_none() {
            return Ok(None);
        }
        if !same_authority(&inner_id, &inner_actor) {
            return Err(InboxError::refused(
                "origin_mismatch",
                "The announced activity's id and actor live on different servers.",
            ));
        }
        if authority(&inner_actor).as_deref() == Some(data.settings.hostname.as_str()) {
            // Our own activity, relayed back: we hold it already.
            return Ok(None);
        }
        // Blocks and site bans hold for relayed activities too.
        let inner_authority = authority(&inner_actor).unwrap_or_default();
        if !hearth_service::policy::allows(data, &inner_authority).await?
            || hearth_db::person::is_site_banned(&data.pool, inner_actor.as_str()).await?
        {
            return Ok(None);
        }
        if hearth_db::federation::was_received(&data.pool, inner_id.as_str()).await? {
            return Ok(None);
        }
        Ok(Some(Carried {
            community: community.row,
            id: inner_id,
            activity: inner,
        }))
    }
}
