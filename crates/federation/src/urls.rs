//! The URLs of this instance's ActivityPub objects, built in one place from `hostname`, and
//! the authority comparison every origin check uses.

use hearth_core::Settings;
use url::Url;

/// Builds this instance's URLs.
pub struct Urls<'a>(pub &'a Settings);

impl Urls<'_> {
    fn url(&self, path: &str) -> anyhow::Result<Url> {
        Ok(Url::parse(&format!("{}{path}", self.0.public_base_url()))?)
    }

    /// The instance actor (the site root).
    pub fn instance(&self) -> anyhow::Result<Url> {
        self.url("/")
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> anyhow::Result<Url> {
        self.url("/inbox")
    }

    /// A local community's actor id (also its page).
    pub fn community(&self, name: &str) -> anyhow::Result<Url> {
        self.url(&format!("/c/{name}"))
    }

    /// One of a local community's sub-resources: `inbox`, `outbox`, `followers`, …
    pub fn community_part(&self, name: &str, part: &str) -> anyhow::Result<Url> {
        self.url(&format!("/c/{name}/{part}"))
    }

    /// A local person's actor id (also their page).
    pub fn person(&self, name: &str) -> anyhow::Result<Url> {
        self.url(&format!("/u/{name}"))
    }

    /// One of a local person's sub-resources.
    pub fn person_part(&self, name: &str, part: &str) -> anyhow::Result<Url> {
        self.url(&format!("/u/{name}/{part}"))
    }

    /// A post's id.
    pub fn post(&self, id: i64) -> anyhow::Result<Url> {
        self.url(&format!("/post/{id}"))
    }

    /// A comment's id.
    pub fn comment(&self, id: i64) -> anyhow::Result<Url> {
        self.url(&format!("/comment/{id}"))
    }

    /// An activity's id.
    pub fn activity(&self, kind: &str, key: &str) -> anyhow::Result<Url> {
        self.url(&format!("/activities/{kind}/{key}"))
    }
}

/// A URL's authority: host, plus port when one is given. Instances are compared by it (the
/// library's `verify_domains_match` ignores ports, which would merge `localhost:8001` and
/// `localhost:8002`).
pub fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// Refuses `url` unless it lives on the same authority as `expected`.
pub fn same_origin(url: &Url, expected: &Url) -> anyhow::Result<()> {
    if authority(url).is_some() && authority(url) == authority(expected) {
        Ok(())
    } else {
        anyhow::bail!("{url} does not share an origin with {expected}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_tell_instances_apart() {
        let a = Url::parse("http://localhost:8001/c/x").unwrap();
        let b = Url::parse("http://localhost:8002/u/y").unwrap();
        let c = Url::parse("http://LOCALHOST:8001/u/z").unwrap();
        assert!(same_origin(&a, &b).is_err());
        assert!(same_origin(&a, &c).is_ok());
        assert_eq!(
            authority(&Url::parse("https://lemmy.example/").unwrap()).as_deref(),
            Some("lemmy.example")
        );
    }
}
