//! Finding things on other servers for `GET /api/v1/resolve`: `!name@host` and `@name@host`
//! through WebFinger, object URLs directly, each fetch signed as the instance actor. What we
//! already hold and is younger than `federation.refresh_age_secs` is answered without a
//! request. The first lookup of a remote community also backfills its newest posts
//! (`backfill::first_lookup`).

use crate::objects::comment::ApubComment;
use crate::objects::community::ApubCommunity;
use crate::objects::person::ApubPerson;
use crate::objects::post::ApubPost;
use crate::urls::authority;
use activitypub_federation::config::{Data, FederationConfig};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::fetch::webfinger::webfinger_resolve_actor;
use hearth_core::{Error, Result};
use hearth_service::ServiceContext;
use hearth_service::resolve::{ResolveFuture, Resolved, Resolver};
use std::net::IpAddr;
use url::Url;

/// The resolver the server wires into the service context.
pub struct FederatedResolver {
    config: FederationConfig<ServiceContext>,
}

impl FederatedResolver {
    /// A resolver fetching with this configuration.
    pub fn new(config: FederationConfig<ServiceContext>) -> Self {
        Self { config }
    }
}

impl Resolver for FederatedResolver {
    fn resolve<'a>(&'a self, query: &'a str) -> ResolveFuture<'a> {
        Box::pin(async move {
            let data = self.config.to_request_data();
            let resolved = resolve(&data, query).await?;
            // A remote community looked up for the first time shows its newest posts at once.
            if let Resolved::Community(id) = resolved
                && let Ok(Some(row)) = hearth_db::community::find(&data.pool, id).await
            {
                crate::backfill::first_lookup(&data, &row).await;
            }
            Ok(resolved)
        })
    }
}

/// What kind of handle was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handle {
    Community,
    Person,
    Either,
}

async fn resolve(data: &Data<ServiceContext>, query: &str) -> Result<Resolved> {
    if query.starts_with("http://") || query.starts_with("https://") {
        let url = Url::parse(query).map_err(|_| Error::validation("q", "is not a valid URL"))?;
        check_address(data, &url).await?;
        return resolve_url(data, url).await;
    }
    let (kind, handle) = if let Some(rest) = query.strip_prefix('!') {
        (Handle::Community, rest)
    } else if let Some(rest) = query.strip_prefix('@') {
        (Handle::Person, rest)
    } else {
        (Handle::Either, query)
    };
    let Some((name, host)) = handle.split_once('@') else {
        return Err(Error::validation(
            "q",
            "must be !name@host, @name@host, name@host or a URL",
        ));
    };
    let host = hearth_core::Authority::parse(host).map_err(|why| Error::validation("q", why))?;
    if name.is_empty() || name.contains(['/', '?', '#', ' ']) {
        return Err(Error::validation(
            "q",
            "must be !name@host, @name@host, name@host or a URL",
        ));
    }
    let scheme = if data.settings.federation.debug_local {
        "http"
    } else {
        "https"
    };
    let probe = Url::parse(&format!("{scheme}://{host}/"))
        .map_err(|_| Error::validation("q", "names no reachable host"))?;
    check_address(data, &probe).await?;
    let handle = format!("{name}@{host}");
    if matches!(kind, Handle::Community | Handle::Either)
        && let Some(found) = community_by_handle(data, name, host.as_str(), &handle).await
    {
        return Ok(Resolved::Community(found.row.id));
    }
    if matches!(kind, Handle::Person | Handle::Either)
        && let Some(found) = person_by_handle(data, name, host.as_str(), &handle).await
    {
        return Ok(Resolved::Person(found.row.id));
    }
    Err(Error::not_found(format!("Nothing answers to {query}.")))
}

async fn community_by_handle(
    data: &Data<ServiceContext>,
    name: &str,
    host: &str,
    handle: &str,
) -> Option<ApubCommunity> {
    if host == data.settings.hostname.as_str() {
        let row = hearth_db::community::find_local(&data.pool, name)
            .await
            .ok()??;
        return ApubCommunity::new(row, data).ok();
    }
    // Known already: the library refetches only when our copy is stale.
    if let Ok(Some(row)) = hearth_db::community::find_remote(&data.pool, name, host).await
        && let Ok(url) = Url::parse(&row.ap_id)
    {
        return ObjectId::<ApubCommunity>::from(url)
            .dereference(data)
            .await
            .ok();
    }
    match webfinger_resolve_actor::<ServiceContext, ApubCommunity>(handle, data).await {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::debug!(error = %e, handle, "no community at that handle");
            None
        }
    }
}

async fn person_by_handle(
    data: &Data<ServiceContext>,
    name: &str,
    host: &str,
    handle: &str,
) -> Option<ApubPerson> {
    if host == data.settings.hostname.as_str() {
        let row = hearth_db::person::local_actor(&data.pool, name)
            .await
            .ok()??;
        return ApubPerson::new(row, data).ok();
    }
    if let Ok(Some(row)) = hearth_db::person::remote_by_name(&data.pool, name, host).await
        && let Ok(url) = Url::parse(&row.ap_id)
    {
        return ObjectId::<ApubPerson>::from(url)
            .dereference(data)
            .await
            .ok();
    }
    match webfinger_resolve_actor::<ServiceContext, ApubPerson>(handle, data).await {
        Ok(found) => Some(found),
        Err(e) => {
            tracing::debug!(error = %e, handle, "no person at that handle");
            None
        }
    }
}

/// An object URL: whatever we hold under that id (refetched when stale), else fetched once and
/// stored as what its `type` says it is.
async fn resolve_url(data: &Data<ServiceContext>, url: Url) -> Result<Resolved> {
    let pool = &data.pool;
    let s = url.as_str();
    let not_found = || Error::not_found(format!("Nothing useful answers at {url}."));
    if hearth_db::community::find_by_ap_id(pool, s)
        .await?
        .is_some()
    {
        let c = ObjectId::<ApubCommunity>::from(url.clone())
            .dereference(data)
            .await
            .map_err(|_| not_found())?;
        return Ok(Resolved::Community(c.row.id));
    }
    if hearth_db::person::actor_by_ap_id(pool, s).await?.is_some() {
        let p = ObjectId::<ApubPerson>::from(url.clone())
            .dereference(data)
            .await
            .map_err(|_| not_found())?;
        return Ok(Resolved::Person(p.row.id));
    }
    if hearth_db::post::id_by_ap_id(pool, s).await?.is_some() {
        let p = ObjectId::<ApubPost>::from(url.clone())
            .dereference(data)
            .await
            .map_err(|_| not_found())?;
        return Ok(Resolved::Post(p.row.id));
    }
    if hearth_db::comment::id_by_ap_id(pool, s).await?.is_some() {
        let c = ObjectId::<ApubComment>::from(url.clone())
            .dereference(data)
            .await
            .map_err(|_| not_found())?;
        return Ok(Resolved::Comment(c.row.id));
    }
    if authority(&url).as_deref() == Some(data.settings.hostname.as_str()) {
        return Err(not_found());
    }
    // Unknown: learn its type from one fetch, then store it through the typed path (which
    // fetches it again, as the library verifies what it stores itself).
    let fetched =
        activitypub_federation::fetch::fetch_object_http::<_, serde_json::Value>(&url, data)
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, %url, "fetch failed");
                Error::not_found(format!("Nothing answers at {url}."))
            })?;
    let kind = fetched
        .object
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_owned();
    let has_parent = fetched
        .object
        .get("inReplyTo")
        .is_some_and(|v| !v.is_null());
    let id = ObjectIdUrl(url.clone());
    match kind.as_str() {
        "Group" => Ok(Resolved::Community(
            id.community(data).await.map_err(|_| not_found())?.row.id,
        )),
        "Person" | "Service" | "Organization" => Ok(Resolved::Person(
            id.person(data).await.map_err(|_| not_found())?.row.id,
        )),
        "Note" if has_parent => Ok(Resolved::Comment(
            id.comment(data).await.map_err(|_| not_found())?.row.id,
        )),
        "Page" | "Article" | "Note" | "Video" | "Event" | "Question" => Ok(Resolved::Post(
            id.post(data).await.map_err(|_| not_found())?.row.id,
        )),
        _ => Err(Error::bad_request(
            "unsupported_object",
            format!("Hearth cannot show a `{kind}`."),
        )),
    }
}

struct ObjectIdUrl(Url);

impl ObjectIdUrl {
    async fn community(&self, data: &Data<ServiceContext>) -> anyhow::Result<ApubCommunity> {
        ObjectId::<ApubCommunity>::from(self.0.clone())
            .dereference(data)
            .await
    }
    async fn person(&self, data: &Data<ServiceContext>) -> anyhow::Result<ApubPerson> {
        ObjectId::<ApubPerson>::from(self.0.clone())
            .dereference(data)
            .await
    }
    async fn post(&self, data: &Data<ServiceContext>) -> anyhow::Result<ApubPost> {
        ObjectId::<ApubPost>::from(self.0.clone())
            .dereference(data)
            .await
    }
    async fn comment(&self, data: &Data<ServiceContext>) -> anyhow::Result<ApubComment> {
        ObjectId::<ApubComment>::from(self.0.clone())
            .dereference(data)
            .await
    }
}

/// Refuses loopback, private, link-local and other non-public addresses (and plain http and
/// explicit ports) unless `federation.debug_local` is on: a resolve must not become a way to
/// probe the network Hearth runs in.
async fn check_address(data: &Data<ServiceContext>, url: &Url) -> Result<()> {
    if data.settings.federation.debug_local {
        return Ok(());
    }
    let refuse = |why: &str| {
        Error::bad_request(
            "address_not_allowed",
            format!("{url} cannot be fetched: {why}."),
        )
    };
    if url.scheme() != "https" {
        return Err(refuse("only https is fetched"));
    }
    if url.port().is_some() {
        return Err(refuse("explicit ports are not fetched"));
    }
    let addresses: Vec<IpAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(url::Host::Domain(host)) => tokio::net::lookup_host((host, 443))
            .await
            .map_err(|_| Error::not_found(format!("{host} does not resolve.")))?
            .map(|a| a.ip())
            .collect(),
        None => return Err(refuse("it has no host")),
    };
    if addresses.iter().any(|ip| !is_public_address(*ip)) {
        return Err(refuse("it points to a private or local address"));
    }
    Ok(())
}

/// True for addresses on the public internet.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 224)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || first == 0x2002
                || first == 0x2001 && v6.segments()[1] == 0xdb8
                || (first == 0x64 && v6.segments()[1] == 0xff9b)
                || v6.segments()[..6].iter().all(|s| *s == 0)
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| !is_public_address(IpAddr::V4(v4))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.1.1",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "fec0::1",
            "2002:7f00:1::",
            "64:ff9b::7f00:1",
            "::7f00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public_address(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:2800:220:1::1"] {
            assert!(is_public_address(public.parse().unwrap()), "{public}");
        }
    }
}
