//! Validated names: usernames and instance authorities, and the error for a name outside a fixed
//! set (a stored state, mode or action). Parse at the edge, pass these inward.

use crate::{Error, Result};
use std::fmt;

/// Checks the shared rule for local usernames and community names: 3–30 characters of
/// `[a-z0-9_]`, lowercased first so that uniqueness is case-insensitive.
fn parse_local_name(raw: &str, field: &str) -> Result<String> {
    let name = raw.trim().to_ascii_lowercase();
    let len = name.chars().count();
    if !(3..=30).contains(&len) {
        return Err(Error::validation(field, "must be 3 to 30 characters long"));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(Error::validation(
            field,
            "may contain only letters a-z, digits and underscores",
        ));
    }
    Ok(name)
}

/// A local username, normalised to lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Checks and normalises a username; `field` names it in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        parse_local_name(raw, field).map(Self)
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A local community's name, normalised to lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommunityName(String);

impl CommunityName {
    /// Checks and normalises a community name; `field` names it in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        parse_local_name(raw, field).map(Self)
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CommunityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How an API path names a person or a community: `name` for a local one, `name@host` for one
/// on another instance (`name@our-host` means a local one too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRef {
    /// The name part, as given.
    pub name: String,
    /// The instance part, when one was given.
    pub host: Option<String>,
}

impl ActorRef {
    /// Splits `name` or `name@host` (a leading `!` or `@` is allowed, as people paste them).
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
        let trimmed = raw.trim().trim_start_matches(['!', '@']);
        let (name, host) = match trimmed.split_once('@') {
            Some((name, host)) => (name, Some(host)),
            None => (trimmed, None),
        };
        if name.is_empty() || name.len() > 100 {
            return Err(Error::validation(field, "must be `name` or `name@host`"));
        }
        let host = match host {
            Some(h) => Some(
                Authority::parse(h)
                    .map_err(|why| Error::validation(field, why))?
                    .0,
            ),
            None => None,
        };
        Ok(Self {
            name: name.to_owned(),
            host,
        })
    }

    /// The local name this refers to, if it is local to `ours`.
    pub fn local_name(&self, ours: &Authority) -> Option<&str> {
        match &self.host {
            None => Some(&self.name),
            Some(h) if h == ours.as_str() => Some(&self.name),
            Some(_) => None,
        }
    }
}

/// An instance's authority: a host name, plus a port when one is given (`example.org`,
/// `localhost:8536`). Instances are told apart by their authority everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority(String);

impl Authority {
    /// Parses `host` or `host:port`; no scheme, path, user info or IP literal.
    pub fn parse(raw: &str) -> std::result::Result<Self, String> {
        let lower = raw.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err("must not be empty".to_owned());
        }
        let (host, port) = match lower.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (lower.as_str(), None),
        };
        if let Some(port) = port
            && !matches!(port.parse::<u16>(), Ok(p) if p > 0)
        {
            return Err(format!("`{port}` is not a valid port"));
        }
        let labels_ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return Err(format!(
                "`{raw}` is not a host name (expected e.g. `example.org` or `localhost:8536`, without scheme or path)"
            ));
        }
        if host.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(format!(
                "`{raw}` is an IP address; ActivityPub ids need a host name (use `localhost:PORT` locally)"
            ));
        }
        Ok(Self(lower))
    }

    /// The authority as written in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Authority {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Authority {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The authority of a URL: its host, lowercased, plus the port when one is given. Servers are
/// told apart by it everywhere (pages, both client APIs, federation), so `localhost:8001` and
/// `localhost:8002` are two servers.
pub fn url_authority(url: &url::Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// [`url_authority`] of a URL given as text (an ActivityPub id); `None` when it is not a URL.
pub fn authority_of(ap_id: &str) -> Option<String> {
    url_authority(&url::Url::parse(ap_id).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(Username::parse("Alice_1", "u").unwrap().as_str(), "alice_1");
        assert!(Username::parse("ab", "u").is_err());
        assert!(Username::parse(&"a".repeat(31), "u").is_err());
        assert!(Username::parse("bad-name", "u").is_err());
        assert!(Username::parse("émile", "u").is_err());
    }

    #[test]
    fn actor_refs_split_name_and_host() {
        let ours = Authority::parse("hearth.example").unwrap();
        let local = ActorRef::parse("!rust", "c").unwrap();
        assert_eq!(local.local_name(&ours), Some("rust"));
        let also_local = ActorRef::parse("rust@Hearth.Example", "c").unwrap();
        assert_eq!(also_local.local_name(&ours), Some("rust"));
        let remote = ActorRef::parse("rust@lemmy.example:8536", "c").unwrap();
        assert_eq!(remote.local_name(&ours), None);
        assert!(ActorRef::parse("rust@not a host", "c").is_err());
    }

    #[test]
    fn authorities_keep_their_port_and_refuse_urls() {
        assert_eq!(
            Authority::parse("LocalHost:8536").unwrap().as_str(),
            "localhost:8536"
        );
        assert_eq!(
            Authority::parse("hearth.example").unwrap().as_str(),
            "hearth.example"
        );
        assert!(Authority::parse("https://hearth.example").is_err());
        assert!(Authority::parse("hearth.example/path").is_err());
        assert!(Authority::parse("localhost:0").is_err());
        assert!(Authority::parse("127.0.0.1:80").is_err());
        assert!(Authority::parse("").is_err());
    }
}

/// A name outside a fixed set: a state, mode or action this build does not know. The columns
/// that store these check their values, so one read from the database means a schema newer
/// than the code; one sent by a client is a validation error its handler words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What the name should have named, e.g. `membership state`.
    pub what: &'static str,
    /// The name as found.
    pub name: String,
}

impl UnknownName {
    /// The error for `name`, which is not a `what`.
    pub fn new(what: &'static str, name: &str) -> Self {
        Self {
            what,
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a known {}", self.name, self.what)
    }
}

impl std::error::Error for UnknownName {}

#[cfg(test)]
#[path = "names_proptests.rs"]
mod proptests;
