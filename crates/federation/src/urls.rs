//! The URLs of this instance's ActivityPub objects, built in one place from `hostname`, the
//! authority comparison every origin check uses, and the one rule for which URLs Hearth may
//! fetch from or send to ([`check_fetchable`]).

use hearth_core::Settings;
use std::net::{Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

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
    hearth_core::names::url_authority(url)
}

/// True when both URLs live on one authority.
pub fn same_authority(a: &Url, b: &Url) -> bool {
    authority(a).is_some() && authority(a) == authority(b)
}

/// Refuses `url` unless it lives on the same authority as `expected`.
pub fn same_origin(url: &Url, expected: &Url) -> anyhow::Result<()> {
    if same_authority(url, expected) {
        Ok(())
    } else {
        anyhow::bail!("{url} does not share an origin with {expected}")
    }
}

/// Why an outgoing request was refused before it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unfetchable(pub &'static str);

impl std::fmt::Display for Unfetchable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unfetchable {}

/// Decides whether Hearth may fetch from, or deliver to, `url`: only http(s), and, unless
/// `debug_local`, never an IP literal in a loopback, private, link-local, unique-local,
/// unspecified, multicast, documentation or otherwise non-public range. Every outgoing request
/// passes here first: the library's fetches (through `PolicyVerifier`), deliveries, blocklists
/// and NodeInfo. Host names are checked where they resolve, by the resolver of
/// [`crate::http_client`], which never sees a literal address; this is the check for those.
pub fn check_fetchable(url: &Url, debug_local: bool) -> Result<(), Unfetchable> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Unfetchable("only http and https URLs are fetched"));
    }
    let internal = match url.host() {
        None => return Err(Unfetchable("the URL has no host")),
        Some(Host::Domain(_)) => false,
        Some(Host::Ipv4(ip)) => v4_is_internal(ip),
        Some(Host::Ipv6(ip)) => v6_is_internal(ip),
    };
    if internal && !debug_local {
        return Err(Unfetchable(
            "the address is loopback, private, link-local or otherwise not public",
        ));
    }
    Ok(())
}

/// True for IPv4 addresses that are not public unicast: what `Ipv4Addr::is_global` (unstable)
/// leaves out, as the federation library's resolver judges resolved names.
fn v4_is_internal(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        // 0.0.0.0/8: "this network"; 0.x.x.x reaches loopback on Linux.
        || a == 0
        // 100.64.0.0/10: shared address space (carrier-grade NAT, cloud metadata networks).
        || (a == 100 && (b & 0xc0) == 0x40)
        // 192.0.0.0/24: IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15: benchmarking.
        || (a == 198 && (b & 0xfe) == 18)
        // 240.0.0.0/4: reserved.
        || a >= 240
}

/// True for IPv6 addresses that are not public unicast, including IPv4 addresses embedded in
/// IPv6 forms that reach them.
fn v6_is_internal(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96): judged by the IPv4 address inside.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_is_internal(v4);
    }
    if matches!(segments, [0x64, 0xff9b, 0, 0, 0, 0, _, _]) {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return v4_is_internal(Ipv4Addr::new(a, b, c, d));
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || matches!(
            segments,
            // IPv4-compatible (::/96, deprecated; :: and ::1 included).
            [0, 0, 0, 0, 0, 0, _, _]
            // Site-local (fec0::/10, deprecated).
            | [0xfec0..=0xfeff, ..]
            // Local-use NAT64 (64:ff9b:1::/48).
            | [0x64, 0xff9b, 1, ..]
            // 6to4 (2002::/16), which can embed any IPv4 address.
            | [0x2002, ..]
            // Documentation (2001:db8::/32, 3fff::/20).
            | [0x2001, 0xdb8, ..]
            | [0x3fff, 0..=0x0fff, ..]
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetchable(url: &str, debug_local: bool) -> bool {
        check_fetchable(&Url::parse(url).unwrap(), debug_local).is_ok()
    }

    #[test]
    fn internal_ip_literals_are_refused_unless_debug_local() {
        for url in [
            // Loopback, unspecified, "this network".
            "http://127.0.0.1:8536/",
            "http://127.8.9.10/",
            "http://0.0.0.0/",
            "http://0.1.2.3/",
            "http://[::1]/",
            "http://[::]/",
            // Private and shared (carrier-grade NAT).
            "http://10.0.0.1/",
            "https://172.16.5.4/",
            "https://172.31.255.255/",
            "http://192.168.1.1/list.txt",
            "http://100.64.0.1/",
            // Link-local (cloud metadata lives here).
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            // Unique-local and site-local.
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[fec0::1]/",
            // Multicast and broadcast.
            "http://224.0.0.1/",
            "http://239.255.255.250/",
            "http://255.255.255.255/",
            "http://[ff02::1]/",
            // Documentation, benchmarking, reserved, IETF.
            "http://192.0.2.1/",
            "http://198.51.100.7/",
            "http://203.0.113.9/",
            "http://[2001:db8::1]/",
            "http://[3fff::1]/",
            "http://198.18.0.1/",
            "http://240.0.0.1/",
            "http://192.0.0.8/",
            // Internal IPv4 addresses dressed as IPv6.
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:10.1.2.3]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[64:ff9b:1::1]/",
            "http://[2002:7f00:1::]/",
            // Other spellings of 127.0.0.1, which the URL parser normalises.
            "http://2130706433/",
            "http://0x7f.1/",
            "http://127.1/",
        ] {
            assert!(!fetchable(url, false), "{url} was allowed");
            assert!(fetchable(url, true), "{url} was refused with debug_local");
        }
    }

    #[test]
    fn public_addresses_and_names_are_fetched() {
        for url in [
            "https://lemmy.example/c/x",
            "https://localhost.example/",
            "http://93.184.215.14/",
            "https://1.1.1.1/",
            "https://[2606:4700:4700::1111]/",
            "http://[::ffff:93.184.215.14]/",
            "http://[64:ff9b::5db8:d70e]/",
            "https://172.32.0.1/",
            "https://100.128.0.1/",
        ] {
            assert!(fetchable(url, false), "{url} was refused");
        }
    }

    #[test]
    fn only_http_and_https_are_fetched_even_with_debug_local() {
        for url in [
            "file:///etc/passwd",
            "ftp://lemmy.example/list",
            "gopher://lemmy.example/",
            "data:text/plain,hi",
        ] {
            assert!(!fetchable(url, false), "{url}");
            assert!(!fetchable(url, true), "{url}");
        }
    }

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
