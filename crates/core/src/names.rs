//! Validated names: usernames and instance authorities. Parse at the edge, pass these inward.

use crate::{Error, Result};
use std::fmt;

/// A local username: 3–30 characters of `[a-z0-9_]`, stored lowercase so that uniqueness is
/// case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Checks and normalises (lowercases) a username; `field` names it in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self> {
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
        Ok(Self(name))
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
