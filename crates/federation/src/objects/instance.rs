//! The instance actor: an `Application` at the site root that signs our fetches, so servers in
//! authorized-fetch mode answer us.

use crate::protocol::Source;
use crate::protocol::actors::{Endpoints, Instance};
use crate::urls::Urls;
use activitypub_federation::config::Data;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Actor, Object};
use hearth_service::ServiceContext;
use url::Url;

/// The instance actor with its keys.
#[derive(Clone)]
pub struct ApubInstance {
    id: Url,
    public_key: String,
    private_key: String,
}

impl std::fmt::Debug for ApubInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApubInstance")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ApubInstance {
    /// Loads the instance actor (its keys are made at start).
    pub async fn load(ctx: &ServiceContext) -> anyhow::Result<Self> {
        let (public_key, private_key) = hearth_db::site::keys(&ctx.pool)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the instance actor has no keys yet"))?;
        Ok(Self {
            id: Urls(&ctx.settings).instance()?,
            public_key,
            private_key,
        })
    }
}

#[async_trait::async_trait]
impl Object for ApubInstance {
    type DataType = ServiceContext;
    type Kind = Instance;
    type Error = anyhow::Error;

    fn id(&self) -> &Url {
        &self.id
    }

    async fn read_from_id(id: Url, data: &Data<ServiceContext>) -> anyhow::Result<Option<Self>> {
        let instance = Self::load(data).await?;
        Ok((instance.id == id).then_some(instance))
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<Instance> {
        let urls = Urls(&data.settings);
        let site = hearth_db::site::get(&data.pool).await?;
        Ok(Instance {
            kind: "Application".to_owned(),
            id: self.id.clone(),
            preferred_username: data.settings.hostname.to_string(),
            name: site.name,
            summary: (!site.description_html.is_empty()).then_some(site.description_html),
            source: (!site.description.is_empty()).then(|| Source::markdown(&site.description)),
            inbox: urls.shared_inbox()?,
            outbox: Url::parse(&format!("{}/outbox", data.settings.public_base_url()))?,
            endpoints: Some(Endpoints {
                shared_inbox: Some(urls.shared_inbox()?),
            }),
            public_key: PublicKey {
                id: format!("{}#main-key", self.id),
                owner: self.id,
                public_key_pem: self.public_key,
            },
            published: None,
        })
    }

    async fn verify(
        _json: &Instance,
        _expected: &Url,
        _data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        anyhow::bail!("other instances' actors are not stored")
    }

    async fn from_json(_json: Instance, _data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        anyhow::bail!("other instances' actors are not stored")
    }
}

impl Actor for ApubInstance {
    fn public_key_pem(&self) -> &str {
        &self.public_key
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key.clone())
    }

    fn inbox(&self) -> Url {
        let mut inbox = self.id.clone();
        inbox.set_path("/inbox");
        inbox
    }
}
