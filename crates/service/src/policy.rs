//! Defederation: whom this instance federates with. The policy lives in the database (the admin
//! API and CLI change it at runtime); every process keeps a copy and checks its version at each
//! use, so a change holds in every process at once. `open` federates with everyone not blocked (local `allowed` entries override blocks
//! that came from subscribed lists); `allowlist` only with the allowed. An entry matches the
//! authority itself, its host, and the host's subdomains.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Error, Result};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex;

/// The policy in force.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Only the allowed may federate.
    pub allowlist: bool,
    /// Blocked entries, with whether they were entered here (else from a subscription).
    pub blocked: Vec<(String, bool)>,
    /// Allowed entries.
    pub allowed: Vec<String>,
    version: i64,
}

fn matches(entry: &str, authority: &str) -> bool {
    // `bad.example.` is `bad.example`.
    let trimmed;
    let authority = match authority.rsplit_once(':') {
        Some((h, port)) if h.ends_with('.') => {
            trimmed = format!("{}:{port}", h.trim_end_matches('.'));
            trimmed.as_str()
        }
        _ => authority.trim_end_matches('.'),
    };
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    authority == entry
        || host == entry
        || host
            .strip_suffix(entry)
            .is_some_and(|rest| rest.ends_with('.'))
}

impl Policy {
    /// Whether this instance federates with `authority` (host, plus port when present).
    pub fn allows(&self, authority: &str) -> bool {
        let authority = authority.to_ascii_lowercase();
        let allowed = self.allowed.iter().any(|e| matches(e, &authority));
        if self.allowlist {
            return allowed;
        }
        let blocked_here = self
            .blocked
            .iter()
            .any(|(e, local)| *local && matches(e, &authority));
        let blocked_by_list = self
            .blocked
            .iter()
            .any(|(e, local)| !*local && matches(e, &authority));
        // A local allow entry overrides a subscribed list, never a local block.
        !(blocked_here || (blocked_by_list && !allowed))
    }
}

/// A process's copy of the policy.
#[derive(Default)]
pub struct PolicyCache {
    state: Mutex<Option<(Instant, Arc<Policy>)>>,
}

impl PolicyCache {
    /// The policy in force, reloaded when the stored one changed. The stored version is read
    /// on every call (one single-row read, outside the lock), so a change made through any
    /// process is in force in every process from its next check on, not a second later.
    pub async fn current(&self, pool: &sqlx::PgPool) -> Result<Arc<Policy>> {
        let version = hearth_db::policy::version(pool).await?;
        let fresh = |state: &Option<(Instant, Arc<Policy>)>| {
            state
                .as_ref()
                .filter(|(_, policy)| policy.version >= version)
                .map(|(_, policy)| policy.clone())
        };
        if let Some(policy) = fresh(&*self.state.lock().await) {
            return Ok(policy);
        }
        // One caller loads; the others wait for it rather than loading the same again.
        let mut state = self.state.lock().await;
        if let Some(policy) = fresh(&state) {
            return Ok(policy);
        }
        let mut conn = pool.acquire().await?;
        let stored = hearth_db::policy::load(&mut conn).await?;
        let policy = Arc::new(Policy {
            allowlist: stored.mode == "allowlist",
            blocked: stored
                .blocked
                .into_iter()
                .map(|(d, source)| (d, source.is_none()))
                .collect(),
            allowed: stored.allowed,
            version: stored.version,
        });
        *state = Some((Instant::now(), policy.clone()));
        Ok(policy)
    }
}

/// Whether this instance federates with `authority`; its own authority always.
pub async fn allows(ctx: &ServiceContext, authority: &str) -> Result<bool> {
    if authority.eq_ignore_ascii_case(ctx.settings.hostname.as_str()) {
        return Ok(true);
    }
    Ok(ctx.policy.current(&ctx.pool).await?.allows(authority))
}

/// The policy as admins see and set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySettings {
    /// `open` or `allowlist`.
    pub mode: String,
    /// Domains blocked here.
    pub blocked: Vec<String>,
    /// Domains allowed here.
    pub allowed: Vec<String>,
    /// Subscribed blocklist URLs.
    pub subscriptions: Vec<String>,
}

/// One subscription's state.
pub type SubscriptionState = hearth_db::policy::Subscription;

/// The policy, with the state of each subscription (admins).
pub async fn get(
    ctx: &ServiceContext,
    viewer: &Viewer,
) -> Result<(PolicySettings, Vec<SubscriptionState>)> {
    crate::require_admin(viewer)?;
    let mut conn = ctx.pool.acquire().await?;
    let stored = hearth_db::policy::load(&mut conn).await?;
    let subscriptions = hearth_db::policy::subscriptions(&mut *conn).await?;
    Ok((
        PolicySettings {
            mode: stored.mode,
            blocked: stored
                .blocked
                .into_iter()
                .filter(|(_, source)| source.is_none())
                .map(|(d, _)| d)
                .collect(),
            allowed: stored.allowed,
            subscriptions: subscriptions.iter().map(|s| s.url.clone()).collect(),
        },
        subscriptions,
    ))
}

/// A domain entry as stored: lowercase `host` or `host:port`, no scheme or path.
pub fn domain(raw: &str, field: &str) -> Result<String> {
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !d.is_empty()
        && d.len() <= 253
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_'))
        && !d.starts_with(['.', '-', ':']);
    if valid {
        Ok(d)
    } else {
        Err(Error::validation(
            field,
            format!("`{raw}` is not a domain (like `example.org` or `example.org:8443`)"),
        ))
    }
}

/// Replaces the policy (admins). Subscriptions are fetched by the delivery workers' housekeeping
/// right after, and refreshed daily.
pub async fn set(ctx: &ServiceContext, viewer: &Viewer, update: PolicySettings) -> Result<()> {
    crate::require_admin(viewer)?;
    if !matches!(update.mode.as_str(), "open" | "allowlist") {
        return Err(Error::validation("mode", "must be `open` or `allowlist`"));
    }
    let blocked = update
        .blocked
        .iter()
        .map(|d| domain(d, "blocked"))
        .collect::<Result<Vec<_>>>()?;
    let allowed = update
        .allowed
        .iter()
        .map(|d| domain(d, "allowed"))
        .collect::<Result<Vec<_>>>()?;
    for url in &update.subscriptions {
        let ok = url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(Error::validation(
                "subscriptions",
                format!("`{url}` is not an http(s) URL"),
            ));
        }
    }
    let mut tx = ctx.pool.begin().await?;
    hearth_db::policy::replace_local(&mut tx, &update.mode, &blocked, &allowed).await?;
    hearth_db::policy::replace_subscriptions(&mut tx, &update.subscriptions).await?;
    tx.commit().await?;
    tracing::info!(mode = %update.mode, blocked = blocked.len(), allowed = allowed.len(), "federation policy changed");
    Ok(())
}

/// Blocks or unblocks one domain (the CLI's `block` / `unblock`); returns the domain as stored
/// and whether anything changed.
pub async fn block_domain(
    ctx: &ServiceContext,
    raw: &str,
    blocked: bool,
) -> Result<(String, bool)> {
    let d = domain(raw, "domain")?;
    let mut conn = ctx.pool.acquire().await?;
    let changed = hearth_db::policy::set_local_entry(&mut conn, &d, "blocked", blocked).await?;
    Ok((d, changed))
}

/// Reads a blocklist: one domain per line (`#` comments), or Mastodon's CSV export (a header
/// row, then `domain,severity,…`), of which only `suspend` rows block (`silence` and `noop`
/// rows limit or note a server on Mastodon; they are not blocks).
pub fn parse_blocklist(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut fields = l.split(',').map(|f| f.trim().trim_matches('"'));
            let domain = fields.next()?;
            match fields.next() {
                None | Some("" | "suspend") => Some(domain),
                Some(_) => None,
            }
        })
        .filter_map(|d| domain(d, "domain").ok())
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn policy(allowlist: bool, blocked: &[(&str, bool)], allowed: &[&str]) -> Policy {
        Policy {
            allowlist,
            blocked: blocked.iter().map(|(d, l)| ((*d).to_owned(), *l)).collect(),
            allowed: allowed.iter().map(|d| (*d).to_owned()).collect(),
            version: 0,
        }
    }

    #[test]
    fn entries_match_the_authority_its_host_and_subdomains() {
        let p = policy(false, &[("bad.example", true), ("localhost:9", true)], &[]);
        assert!(!p.allows("bad.example"));
        assert!(!p.allows("BAD.example:443"));
        assert!(!p.allows("social.bad.example"));
        assert!(p.allows("notbad.example"));
        assert!(!p.allows("localhost:9"));
        assert!(p.allows("localhost:10"));
        assert!(!p.allows("bad.example."));
        assert!(!p.allows("bad.example.:8443"));
    }

    #[test]
    fn local_allows_override_subscribed_blocks_but_not_local_ones() {
        let p = policy(
            false,
            &[("listed.example", false), ("mine.example", true)],
            &["listed.example", "mine.example"],
        );
        assert!(p.allows("listed.example"));
        assert!(!p.allows("mine.example"));
        let allowlist = policy(true, &[], &["friend.example"]);
        assert!(allowlist.allows("friend.example"));
        assert!(!allowlist.allows("stranger.example"));
    }

    #[test]
    fn blocklists_read_plain_lists_and_mastodon_csv() {
        let plain = "# our list\nspam.example\n\nBAD.example.\n";
        assert_eq!(parse_blocklist(plain), ["spam.example", "bad.example"]);
        let csv = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nspam.example,suspend,false,false,spam,false\nnoisy.example,silence,false,false,,false\n";
        assert_eq!(parse_blocklist(csv), ["spam.example"]);
    }
}
