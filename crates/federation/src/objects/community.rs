//! A community (local or remote) as an ActivityPub `Group`.

use super::freshness;
use crate::protocol::actors::{Endpoints, Group};
use crate::protocol::{OneOrMany, Source};
use crate::urls::{Urls, authority};
use activitypub_federation::config::Data;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use hearth_db::community::{CommunityRow, RemoteCommunity, Visibility};
use hearth_service::ServiceContext;
use url::Url;

/// A community row with its id parsed (and, for local ones, the private key when signing).
#[derive(Clone)]
pub struct ApubCommunity {
    /// The stored community.
    pub row: CommunityRow,
    id: Url,
    refresh: Option<DateTime<Utc>>,
    private_key: Option<String>,
}

impl std::fmt::Debug for ApubCommunity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApubCommunity")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ApubCommunity {
    /// Wraps a row.
    pub fn new(row: CommunityRow, ctx: &ServiceContext) -> anyhow::Result<Self> {
        let id = Url::parse(&row.ap_id)?;
        let refresh = freshness(ctx, row.local, row.last_refreshed_at);
        Ok(Self {
            row,
            id,
            refresh,
            private_key: None,
        })
    }

    /// Loads the private key, for a community that signs requests.
    pub async fn with_private_key(mut self, ctx: &ServiceContext) -> anyhow::Result<Self> {
        self.private_key = hearth_db::community::private_key(&ctx.pool, self.row.id).await?;
        Ok(self)
    }
}

#[async_trait::async_trait]
impl Object for ApubCommunity {
    type DataType = ServiceContext;
    type Kind = Group;
    type Error = anyhow::Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.refresh
    }

    async fn read_from_id(id: Url, data: &Data<ServiceContext>) -> anyhow::Result<Option<Self>> {
        hearth_db::community::find_by_ap_id(&data.pool, id.as_str())
            .await?
            .map(|row| Self::new(row, data))
            .transpose()
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<Group> {
        group_of(&self.row, &data.settings)
    }

    async fn verify(
        json: &Group,
        expected: &Url,
        _data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        // Objects share shapes: without this a Person could be stored as a community, or a
        // reply as a post.
        anyhow::ensure!(
            json.kind == "Group",
            "{} is a {}, not a Group",
            json.id,
            json.kind
        );
        super::verify_actor(
            &json.id,
            expected,
            &json.inbox,
            &json.public_key.owner,
            &json.preferred_username,
        )?;
        Ok(())
    }

    async fn from_json(json: Group, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        let host = authority(&json.id).ok_or_else(|| anyhow::anyhow!("{} has no host", json.id))?;
        let (description, description_html) =
            super::remote_text(json.summary.as_deref(), json.source.as_ref());
        let title = json
            .name
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(&json.preferred_username);
        let title: String = title.chars().take(100).collect();
        let shared_inbox = json
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            // A shared inbox elsewhere would make our fan-out hit another server.
            .filter(|inbox| crate::urls::same_origin(inbox, &json.id).is_ok());
        let row = hearth_db::community::upsert_remote(
            &data.pool,
            &RemoteCommunity {
                ap_id: json.id.as_str(),
                host: &host,
                name: &json.preferred_username,
                title: &title,
                description: &description,
                description_html: &description_html,
                nsfw: json.sensitive.unwrap_or(false),
                posting_restricted_to_mods: json.posting_restricted_to_mods.unwrap_or(false),
                visibility: if json.manually_approves_followers.unwrap_or(false) {
                    Visibility::Approval
                } else {
                    Visibility::Public
                },
                public_key: &json.public_key.public_key_pem,
                inbox_url: json.inbox.as_str(),
                shared_inbox_url: shared_inbox.map(Url::as_str),
                followers_url: json.followers.as_ref().map(Url::as_str),
            },
        )
        .await?;
        Self::new(row, data)
    }
}

/// One of our communities as a `Group`, as Lemmy emits it.
pub fn group_of(row: &CommunityRow, settings: &hearth_core::Settings) -> anyhow::Result<Group> {
    let urls = Urls(settings);
    let row = row.clone();
    let id = Url::parse(&row.ap_id)?;
    let name = row.name.clone();
    Ok(Group {
        kind: "Group".to_owned(),
        id: id.clone(),
        preferred_username: name.clone(),
        name: Some(row.title),
        summary: Some(row.description_html),
        source: (!row.description.is_empty()).then(|| Source::markdown(&row.description)),
        icon: None,
        image: None,
        inbox: urls.community_part(&name, "inbox")?,
        outbox: Some(urls.community_part(&name, "outbox")?),
        followers: Some(urls.community_part(&name, "followers")?),
        featured: Some(urls.community_part(&name, "featured")?),
        attributed_to: Some(OneOrMany::One(serde_json::Value::String(
            urls.community_part(&name, "moderators")?.to_string(),
        ))),
        endpoints: Some(Endpoints {
            shared_inbox: Some(urls.shared_inbox()?),
        }),
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id,
            public_key_pem: row.public_key.unwrap_or_default(),
        },
        sensitive: Some(row.nsfw),
        posting_restricted_to_mods: Some(row.posting_restricted_to_mods),
        manually_approves_followers: Some(row.visibility == Visibility::Approval),
        discoverable: Some(true),
        language: None,
        published: Some(row.created_at),
        updated: (row.updated_at > row.created_at).then_some(row.updated_at),
    })
}

impl Actor for ApubCommunity {
    fn public_key_pem(&self) -> &str {
        self.row.public_key.as_deref().unwrap_or("")
    }

    fn private_key_pem(&self) -> Option<String> {
        self.private_key.clone()
    }

    fn inbox(&self) -> Url {
        super::inbox_of(self.row.inbox_url.as_deref(), &self.id)
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.row
            .shared_inbox_url
            .as_deref()
            .and_then(|u| Url::parse(u).ok())
    }
}
