//! `Delete{Person}`: a person deleted their account (Lemmy's shape: the actor and the object are
//! the person, `removeData` says whether their content goes too; Mastodon sends the same
//! without it). Only the person's own server, signing as the person, may say so. We send ours
//! when a local person deletes their account, to every server that knows them.

use super::speaks_for_self;
use crate::activities::{Addressing, Context, Received, new_id};
use crate::protocol::{PUBLIC, context};
use crate::received::{InboxError, deserialize_id};
use hearth_core::Settings;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Delete` whose object is a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeletePerson {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Delete`.
    #[serde(rename = "type")]
    kind: DeleteKind,
    /// The person themselves.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The person's id (or the person, embedded).
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// Their posts and comments are deleted too.
    #[serde(default)]
    pub(crate) remove_data: bool,
}

/// The type of a [`DeletePerson`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum DeleteKind {
    /// `Delete`.
    Delete,
}

impl DeletePerson {
    /// Our person's deletion of their own account.
    pub(crate) fn new(
        settings: &Settings,
        person: &Url,
        remove_data: bool,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "delete")?,
            kind: DeleteKind::Delete,
            actor: person.clone(),
            addressing: Addressing {
                to: vec![PUBLIC.to_owned()],
                ..Addressing::default()
            },
            object: person.clone(),
            remove_data,
        })
    }

    /// Whether a `Delete` is about a person rather than a post or comment: its object is its own
    /// actor, or a person we hold. A post or comment never has a person's id.
    pub(crate) async fn is_about_person(raw: &Value, cx: &Context<'_>) -> Result<bool, InboxError> {
        let object = crate::received::id_of(raw.get("object"));
        let actor = crate::received::id_of(raw.get("actor"));
        let Some(object) = object else {
            return Ok(false);
        };
        if Some(&object) == actor.as_ref() {
            return Ok(true);
        }
        Ok(
            hearth_db::person::actor_by_ap_id(&cx.data.pool, object.as_str())
                .await?
                .is_some(),
        )
    }
}

#[async_trait::async_trait]
impl Received for DeletePerson {
    /// The person's id here.
    type Checked = i64;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<i64>, InboxError> {
        if !speaks_for_self(&self.actor, &self.object, &cx.via)? {
            return Ok(None);
        }
        let known = hearth_db::person::actor_by_ap_id(&cx.data.pool, self.object.as_str()).await?;
        Ok(match known {
            // Never seen here: nothing of theirs to delete. Ours are deleted here only.
            None => None,
            Some(person) if person.local || person.deleted => None,
            Some(person) => Some(person.id),
        })
    }

    async fn receive(self, person_id: i64, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        hearth_service::account_deletion::retire(cx.data, &mut tx, person_id, self.remove_data)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
