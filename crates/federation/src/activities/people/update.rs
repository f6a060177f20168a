//! `Update{Person}`: a person's new profile (name, display name, bio, inbox, key), sent by the
//! person themselves, applied through the same upsert as a fetched actor. We send ours when a
//! local person edits their profile, to every server that knows them through a community.

use super::speaks_for_self;
use crate::activities::{Addressing, Context, Received, new_id};
use crate::objects::person::ApubPerson;
use crate::protocol::actors::Person;
use crate::protocol::{PUBLIC, context};
use crate::received::{InboxError, deserialize_id};
use activitypub_federation::traits::Object;
use hearth_core::Settings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Update` whose object is a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdatePerson {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Update`.
    #[serde(rename = "type")]
    kind: UpdateKind,
    /// The person themselves.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The person as they are now.
    pub(crate) object: Person,
}

/// The type of an [`UpdatePerson`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum UpdateKind {
    /// `Update`.
    Update,
}

impl UpdatePerson {
    /// Our person's `Update` of themselves, carrying their actor JSON.
    pub(crate) fn new(settings: &Settings, person: Person) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "update")?,
            kind: UpdateKind::Update,
            actor: person.id.clone(),
            addressing: Addressing {
                to: vec![PUBLIC.to_owned()],
                ..Addressing::default()
            },
            object: person,
        })
    }
}

#[async_trait::async_trait]
impl Received for UpdatePerson {
    type Checked = ();

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<()>, InboxError> {
        if !speaks_for_self(&self.actor, &self.object.id, &cx.via)? {
            return Ok(None);
        }
        let known =
            hearth_db::person::actor_by_ap_id(&cx.data.pool, self.object.id.as_str()).await?;
        match known {
            // Ours are changed here only; and a deleted account does not come back.
            Some(person) if person.local || person.deleted => Ok(None),
            _ => Ok(Some(())),
        }
    }

    async fn receive(self, (): (), cx: &Context<'_>) -> Result<(), InboxError> {
        let person = self.object;
        ApubPerson::verify(&person, &self.actor, cx.data)
            .await
            .map_err(|e| InboxError::unreadable(format!("The person cannot be taken: {e}")))?;
        let Some(tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        tx.commit().await?;
        ApubPerson::from_json(person, cx.data).await?;
        Ok(())
    }
}
