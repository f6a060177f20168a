//! A person (local or remote) as an ActivityPub `Person`.

use super::freshness;
use crate::protocol::actors::{Endpoints, Person};
use crate::protocol::{ImageRef, Source};
use crate::urls::{Urls, authority};
use activitypub_federation::config::Data;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use hearth_core::Settings;
use hearth_db::person::{ActorRow, RemotePerson};
use hearth_service::ServiceContext;
use url::Url;

/// A person row with its id parsed.
#[derive(Debug, Clone)]
pub struct ApubPerson {
    /// The stored person.
    pub row: ActorRow,
    id: Url,
    refresh: Option<DateTime<Utc>>,
}

impl ApubPerson {
    /// Wraps a row.
    pub fn new(row: ActorRow, ctx: &ServiceContext) -> anyhow::Result<Self> {
        let id = Url::parse(&row.ap_id)?;
        let refresh = freshness(ctx, row.local, row.last_refreshed_at);
        Ok(Self { row, id, refresh })
    }
}

#[async_trait::async_trait]
impl Object for ApubPerson {
    type DataType = ServiceContext;
    type Kind = Person;
    type Error = anyhow::Error;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.refresh
    }

    async fn read_from_id(id: Url, data: &Data<ServiceContext>) -> anyhow::Result<Option<Self>> {
        // Every received activity's actor is read here when its signature is checked and again
        // when it is applied: this process's copy when it has one (`lookups`).
        data.lookups
            .actor_by_ap_id(&data.pool, id.as_str())
            .await?
            .map(|row| Self::new(ActorRow::clone(&row), data))
            .transpose()
    }

    async fn into_json(self, data: &Data<ServiceContext>) -> anyhow::Result<Person> {
        person_of(&self.row, &data.settings)
    }

    async fn verify(
        json: &Person,
        expected: &Url,
        _data: &Data<ServiceContext>,
    ) -> anyhow::Result<()> {
        // Objects share shapes: without this a Person could be stored as a community, or a
        // reply as a post.
        anyhow::ensure!(
            // An instance actor (`Application`) signs reports sent anonymously (Mastodon).
            matches!(
                json.kind.as_str(),
                "Person" | "Service" | "Organization" | "Application"
            ),
            "{} is a {}, not a person",
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

    async fn from_json(json: Person, data: &Data<ServiceContext>) -> anyhow::Result<Self> {
        let host = authority(&json.id).ok_or_else(|| anyhow::anyhow!("{} has no host", json.id))?;
        let (bio, bio_html) = super::remote_text(json.summary.as_deref(), json.source.as_ref());
        let shared_inbox = json
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            // A shared inbox elsewhere would make our fan-out hit another server.
            .filter(|inbox| crate::urls::same_origin(inbox, &json.id).is_ok());
        let display_name = json
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        // Pictures other servers show: http(s) only, kept by the cache, never hotlinked.
        let avatar_url = json.icon.as_ref().and_then(ImageRef::kept_url);
        let banner_url = json.image.as_ref().and_then(ImageRef::kept_url);
        let mut tx = data.pool.begin().await?;
        let row = hearth_db::person::upsert_remote(
            &mut *tx,
            &RemotePerson {
                ap_id: json.id.as_str(),
                host: &host,
                name: &json.preferred_username,
                display_name,
                bio: &bio,
                bio_html: &bio_html,
                public_key: &json.public_key.public_key_pem,
                inbox_url: json.inbox.as_str(),
                shared_inbox_url: shared_inbox.map(Url::as_str),
                avatar_url,
                banner_url,
            },
        )
        .await?;
        let pictures: Vec<&str> = avatar_url.into_iter().chain(banner_url).collect();
        hearth_service::media::want_remote(data, &mut tx, &pictures)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        // Read again at once (a rotated key, say), ahead of the change's notification.
        data.lookups.forget_person(row.id);
        Self::new(row, data)
    }
}

/// A person's actor JSON, as we serve it and as `Update{Person}` carries it.
pub(crate) fn person_of(row: &ActorRow, settings: &Settings) -> anyhow::Result<Person> {
    let urls = Urls(settings);
    let id = Url::parse(&row.ap_id)?;
    Ok(Person {
        kind: "Person".to_owned(),
        id: id.clone(),
        preferred_username: row.name.clone(),
        name: row.display_name.clone(),
        summary: (!row.bio_html.is_empty()).then(|| row.bio_html.clone()),
        source: (!row.bio.is_empty()).then(|| Source::markdown(&row.bio)),
        icon: row.avatar_url.as_deref().and_then(ImageRef::image),
        image: row.banner_url.as_deref().and_then(ImageRef::image),
        inbox: urls.person_part(&row.name, "inbox")?,
        outbox: Some(urls.person_part(&row.name, "outbox")?),
        endpoints: Some(Endpoints {
            shared_inbox: Some(urls.shared_inbox()?),
        }),
        public_key: PublicKey {
            id: format!("{id}#main-key"),
            owner: id,
            public_key_pem: row.public_key.clone().unwrap_or_default(),
        },
        published: Some(row.created_at),
        updated: (row.updated_at > row.created_at).then_some(row.updated_at),
    })
}

impl Actor for ApubPerson {
    fn public_key_pem(&self) -> &str {
        self.row.public_key.as_deref().unwrap_or("")
    }

    fn private_key_pem(&self) -> Option<String> {
        self.row.private_key.clone()
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
