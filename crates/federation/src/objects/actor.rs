//! Whoever signs an incoming activity: a person, or a community (its `Announce`s, `Accept`s).
//! The library's `Either` cannot tell the two apart when parsing (a Group reads as a Person),
//! so this type chooses by the JSON `type`.

use super::community::ApubCommunity;
use super::person::ApubPerson;
use crate::protocol::actors::{Group, Person};
use activitypub_federation::config::Data;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use hearth_service::ServiceContext;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

/// A person or a community.
#[derive(Debug, Clone)]
pub enum ApubActor {
    /// A person.
    Person(ApubPerson),
    /// A community.
    Community(ApubCommunity),
}

/// A person's or a group's JSON, chosen by `type`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ActorJson {
    /// `Group`.
    Group(Box<Group>),
    /// Anything else that reads as a person.
    Person(Box<Person>),
}

impl<'de> Deserialize<'de> for ActorJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if value.get("type").and_then(|t| t.as_str()) == Some("Group") {
            serde_json::from_value(value)
                .map(|g| Self::Group(Box::new(g)))
                .map_err(serde::de::Error::custom)
        } else {
            serde_json::from_value(value)
                .map(|p| Self::Person(Box::new(p)))
                .map_err(serde::de::Error::custom)
        }
    }
}

#[async_trait::async_trait]
impl Object for ApubActor {
    type DataType = ServiceContext;
    type Kind = ActorJson;
    type Error = anyhow::Error;

    fn id(&self) -> &Url {
        match self {
            Self::Person(p) => p.id(),
            Self::Community(c) => c.id(),
        }
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Person(p) => p.last_refreshed_at(),
            Self::Community(c) => c.last_refreshed_at(),
        }
    }

    async fn read_from_id(id: Url, data: &Data<ServiceContext>) -> anyhow::Result<Option<Self>> {
        if let Some(person) = ApubPerson::read_from_id(id.clone(), data).await? {
            return Ok(Some(Self::Person(person)));
        }
        Ok(ApubCommunity::read_from_id(id, data)
            .await?
            .map(Self::Community))
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<ActorJson> {
        Ok(match self {
            Self::Person(p) => ActorJson::Person(Box::new(p.into_json(data).await?)),
            Self::Community(c) => ActorJson::Group(Box::new(c.into_json(data).await?)),
        })
    }

    async fn verify(
        json: &ActorJson,
        expected: &Url,
        data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        match json {
            ActorJson::Person(p) => ApubPerson::verify(p, expected, data).await,
            ActorJson::Group(g) => ApubCommunity::verify(g, expected, data).await,
        }
    }

    async fn from_json(json: ActorJson, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        Ok(match json {
            ActorJson::Person(p) => Self::Person(ApubPerson::from_json(*p, data).await?),
            ActorJson::Group(g) => Self::Community(ApubCommunity::from_json(*g, data).await?),
        })
    }
}

impl Actor for ApubActor {
    fn public_key_pem(&self) -> &str {
        match self {
            Self::Person(p) => p.public_key_pem(),
            Self::Community(c) => c.public_key_pem(),
        }
    }

    fn private_key_pem(&self) -> Option<String> {
        match self {
            Self::Person(p) => p.private_key_pem(),
            Self::Community(c) => c.private_key_pem(),
        }
    }

    fn inbox(&self) -> Url {
        match self {
            Self::Person(p) => p.inbox(),
            Self::Community(c) => c.inbox(),
        }
    }
}
