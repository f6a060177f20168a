//! A community (local or remote) as an ActivityPub `Group`.

use super::freshness;
use super::person::ApubPerson;
use crate::protocol::actors::{Endpoints, Group};
use crate::protocol::{ImageRef, OneOrMany, Source};
use crate::urls::{Urls, authority};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::protocol::public_key::PublicKey;
use activitypub_federation::traits::{Actor, Object};
use chrono::{DateTime, Utc};
use hearth_db::community::{CommunityRow, RemoteCommunity, Visibility};
use hearth_service::ServiceContext;
use serde_json::Value;
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
        // Pictures other servers show: http(s) only, kept by the cache, never hotlinked.
        let icon_url = json.icon.as_ref().and_then(ImageRef::kept_url);
        let banner_url = json.image.as_ref().and_then(ImageRef::kept_url);
        let mut tx = data.pool.begin().await?;
        let row = hearth_db::community::upsert_remote(
            &mut *tx,
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
                icon_url,
                banner_url,
            },
        )
        .await?;
        let pictures: Vec<&str> = icon_url.into_iter().chain(banner_url).collect();
        hearth_service::media::want_remote(data, &mut tx, &pictures)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tx.commit().await?;
        // Its own server's counts and moderators, best effort: a failure keeps what we had.
        learn_home_state(&row, &json, data).await;
        let row = hearth_db::community::find(&data.pool, row.id)
            .await?
            .unwrap_or(row);
        Self::new(row, data)
    }
}

/// Moderators taken from a remote community's moderators collection at most.
const MOST_MODERATORS: usize = 20;

/// Reads what a remote `Group` links to and a page of it needs before anyone here joins: the
/// `totalItems` of its `followers` and `outbox` (its members and posts as its own server counts
/// them) and its moderators (the collection `attributedTo` names; each person fetched, at most
/// `MOST_MODERATORS`). Only collections on the Group's own server are read; each fetch is signed,
/// has a fresh budget, and a failure leaves the value we had.
async fn learn_home_state(row: &CommunityRow, json: &Group, data: &Data<ServiceContext>) {
    let data = &data.reset_request_count();
    let own = |url: Option<&Url>| {
        url.filter(|u| crate::urls::same_origin(u, &json.id).is_ok())
            .cloned()
    };
    let moderators = json
        .attributed_to
        .as_ref()
        .and_then(OneOrMany::first)
        .and_then(Value::as_str)
        .and_then(|u| Url::parse(u).ok());
    let (members, posts, moderators) = tokio::join!(
        total_items(own(json.followers.as_ref()), data),
        total_items(own(json.outbox.as_ref()), data),
        moderator_ids(own(moderators.as_ref()), data),
    );
    if (members.is_some() || posts.is_some())
        && let Err(e) =
            hearth_db::community::set_home_counts(&data.pool, row.id, members, posts).await
    {
        tracing::warn!(community = %json.id, error = %e, "could not store its counts");
    }
    if let Some(listed) = moderators
        && let Err(e) = store_moderators(row, &listed, data).await
    {
        tracing::warn!(community = %json.id, error = %e, "could not store its moderators");
    }
}

/// A collection's `totalItems`, when it can be fetched and says one (an integer; the caller
/// clamps it).
async fn total_items(url: Option<Url>, data: &Data<ServiceContext>) -> Option<i64> {
    let url = url?;
    let fetched = match fetch_object_http::<ServiceContext, Value>(&url, data).await {
        Ok(fetched) => fetched.object,
        Err(e) => {
            tracing::debug!(%url, error = %e, "collection not fetched");
            return None;
        }
    };
    let total = fetched.get("totalItems")?;
    total
        .as_i64()
        // Beyond i64: absurd, and clamped like any other absurd count.
        .or_else(|| total.as_u64().map(|_| i64::MAX))
}

/// The actor ids a moderators collection lists (inline `orderedItems` or `items`, ids or
/// objects with one), at most `MOST_MODERATORS`; `None` when it cannot be read.
async fn moderator_ids(url: Option<Url>, data: &Data<ServiceContext>) -> Option<Vec<Url>> {
    let url = url?;
    let fetched = match fetch_object_http::<ServiceContext, Value>(&url, data).await {
        Ok(fetched) => fetched.object,
        Err(e) => {
            tracing::debug!(%url, error = %e, "moderators not fetched");
            return None;
        }
    };
    let items = fetched
        .get("orderedItems")
        .or_else(|| fetched.get("items"))?
        .as_array()?;
    Some(
        items
            .iter()
            .filter_map(|item| item.as_str().or_else(|| item.get("id")?.as_str()))
            .filter_map(|id| Url::parse(id).ok())
            .take(MOST_MODERATORS)
            .collect(),
    )
}

/// Fetches each listed person (people of other servers too: Lemmy's moderators can be remote)
/// and makes them the community's moderators, removing those no longer listed.
async fn store_moderators(
    row: &CommunityRow,
    listed: &[Url],
    data: &Data<ServiceContext>,
) -> anyhow::Result<()> {
    let mut fetches = tokio::task::JoinSet::new();
    for (n, id) in listed.iter().enumerate() {
        let data = data.reset_request_count();
        let id = id.clone();
        fetches.spawn(async move {
            let person = ObjectId::<ApubPerson>::from(id.clone())
                .dereference(&data)
                .await;
            (n, id, person)
        });
    }
    let mut people = Vec::new();
    while let Some(done) = fetches.join_next().await {
        match done {
            Ok((n, _, Ok(person))) => people.push((n, person.row.id)),
            Ok((_, id, Err(e))) => {
                tracing::debug!(moderator = %id, error = %e, "moderator not fetched");
            }
            Err(e) => tracing::debug!(error = %e, "moderator fetch failed"),
        }
    }
    people.sort_unstable();
    let people: Vec<i64> = people.into_iter().map(|(_, id)| id).collect();
    let listed: Vec<String> = listed.iter().map(|u| u.to_string()).collect();
    let mut tx = data.pool.begin().await?;
    hearth_db::moderator::sync_remote(&mut tx, row.id, &listed, &people).await?;
    tx.commit().await?;
    Ok(())
}

/// The heading the rules follow in a Group's summary.
const RULES_HEADING: &str = "Rules";

/// The `summary` of one of our communities: its description and then, under a heading, its
/// rules. Lemmy shows a community's sidebar from it, and other servers (and ours) read it as
/// the description, so the rules reach everyone who only knows the description.
fn summary_html(description_html: &str, rules_html: &str) -> String {
    if rules_html.trim().is_empty() {
        description_html.to_owned()
    } else {
        format!("{description_html}<h2>{RULES_HEADING}</h2>{rules_html}")
    }
}

/// The markdown `source` of the summary, laid out as `summary_html` is.
fn summary_markdown(description: &str, rules: &str) -> String {
    match (description.trim().is_empty(), rules.trim().is_empty()) {
        (_, true) => description.to_owned(),
        (true, false) => format!("## {RULES_HEADING}\n\n{rules}"),
        (false, false) => format!("{description}\n\n## {RULES_HEADING}\n\n{rules}"),
    }
}

/// Splits a received summary of one of our communities (markdown and HTML, as `remote_text`
/// reads them) back into the description and, when it has our rules heading, the rules (both
/// re-rendered from the markdown). Without the heading it is all description.
pub(crate) fn split_summary(
    markdown: String,
    html: String,
) -> (String, String, Option<(String, String)>) {
    let heading = format!("## {RULES_HEADING}\n\n");
    let split = if let Some(rules) = markdown.strip_prefix(&heading) {
        Some((String::new(), rules.to_owned()))
    } else {
        markdown
            .split_once(&format!("\n\n{heading}"))
            .map(|(d, r)| (d.to_owned(), r.to_owned()))
    };
    match split {
        Some((description, rules)) => {
            let render = hearth_service::markdown::render;
            let description_html = render(&description);
            let rules_html = render(&rules);
            (description, description_html, Some((rules, rules_html)))
        }
        None => (markdown, html, None),
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
        name: Some(row.title.clone()),
        summary: Some(summary_html(&row.description_html, &row.rules_html)),
        source: Some(summary_markdown(&row.description, &row.rules))
            .filter(|markdown| !markdown.is_empty())
            .map(|markdown| Source::markdown(&markdown)),
        icon: row.icon_url.as_deref().and_then(ImageRef::image),
        image: row.banner_url.as_deref().and_then(ImageRef::image),
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

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_service::markdown::render;

    #[test]
    fn the_rules_follow_the_description_in_the_summary_and_come_apart_again() {
        let (description, rules) = ("All about *tea*", "1. No coffee");
        let markdown = summary_markdown(description, rules);
        let html = summary_html(&render(description), &render(rules));
        assert!(html.starts_with(&render(description)) && html.ends_with(&render(rules)));
        assert!(html.contains("<h2>Rules</h2>"));
        let (d, d_html, r) = split_summary(markdown, html);
        assert_eq!((d.as_str(), d_html), (description, render(description)));
        assert_eq!(r, Some((rules.to_owned(), render(rules))));
        // Rules alone, and a summary without rules.
        let (d, _, r) = split_summary(summary_markdown("", rules), String::new());
        assert_eq!((d.as_str(), r.map(|r| r.0)), ("", Some(rules.to_owned())));
        assert_eq!(summary_markdown(description, " "), description);
        let (d, d_html, r) = split_summary(description.to_owned(), "<p>x</p>".to_owned());
        assert_eq!(
            (d.as_str(), d_html.as_str(), r),
            (description, "<p>x</p>", None)
        );
    }
}
