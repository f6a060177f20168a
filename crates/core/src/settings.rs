//! The settings of one Hearth process, as loaded from `config/default.toml`, an optional file and
//! `HEARTH__SECTION__KEY` environment variables (the loading lives in the server crate). Unknown
//! keys are refused, so a typo never silently falls back to a default.

use crate::Authority;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Every setting of a Hearth process. `config/default.toml` documents each key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The public authority of this instance (`host` or `host:port`); every id is built from it.
    pub hostname: Authority,
    /// Where the HTTP server listens.
    pub bind: SocketAddr,
    /// Where Hearth keeps its files, including the embedded PostgreSQL cluster.
    pub data_dir: PathBuf,
    /// The registration mode the site starts with; admins change it at runtime afterwards.
    pub registration: RegistrationMode,
    /// Database connection.
    pub database: DatabaseSettings,
    /// First-start provisioning.
    pub setup: SetupSettings,
    /// Federation switches.
    pub federation: FederationSettings,
    /// HTTP server limits.
    pub http: HttpSettings,
    /// Request rate limits.
    pub rate_limits: RateLimitSettings,
    /// How long sign-ins (web sessions and API tokens) last.
    pub sessions: SessionSettings,
    /// Logging.
    pub log: LogSettings,
    /// The Prometheus metrics listener.
    pub metrics: MetricsSettings,
    /// Pictures: where they are stored and the limits of uploads and of the remote image cache.
    pub media: MediaSettings,
    /// Outgoing mail (SMTP): off unless a host is set.
    pub email: EmailSettings,
}

impl Settings {
    /// The scheme of this instance's public URLs: plain http only for local test networks.
    pub fn public_scheme(&self) -> &'static str {
        if self.federation.debug_local {
            "http"
        } else {
            "https"
        }
    }

    /// The base URL every id is built from, e.g. `https://hearth.example`.
    pub fn public_base_url(&self) -> String {
        format!("{}://{}", self.public_scheme(), self.hostname)
    }
}

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone may register.
    Open,
    /// Accounts wait for an admin's approval.
    Approval,
    /// Nobody may register.
    Closed,
}

impl RegistrationMode {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approval => "approval",
            Self::Closed => "closed",
        }
    }
}

impl std::str::FromStr for RegistrationMode {
    type Err = crate::UnknownName;

    /// Reads the stored name (`open`, `approval` or `closed`); any other fails.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "open" => Ok(Self::Open),
            "approval" => Ok(Self::Approval),
            "closed" => Ok(Self::Closed),
            _ => Err(crate::UnknownName::new("registration mode", name)),
        }
    }
}

/// Database connection settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// An external PostgreSQL server; when absent (or empty) Hearth runs its own cluster.
    #[serde(default, deserialize_with = "empty_secret_is_none")]
    pub url: Option<SecretString>,
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a database connection before it is answered 503
    /// `unavailable` (with `Retry-After`): while the database is down, requests fail fast
    /// instead of piling up.
    #[serde(default = "default_acquire_timeout_secs")]
    pub acquire_timeout_secs: u64,
    /// Directories searched for `initdb`, `pg_ctl` and `postgres`; empty means PATH, then
    /// `/usr/lib/postgresql/*/bin`.
    pub postgres_bin_dirs: Vec<PathBuf>,
    /// The system user the embedded cluster runs as when Hearth runs as root.
    pub run_as: String,
    /// Streaming replicas (hot standbys) of `database.url`: feeds, pages and collections are
    /// read from them; writes, transactions and the reads of people who just wrote go to the
    /// primary. Empty: everything goes to the primary.
    #[serde(default)]
    pub replica_urls: Vec<SecretString>,
    /// The most connections the pool of each replica opens.
    #[serde(default = "default_replica_max_connections")]
    pub replica_max_connections: u32,
    /// Seconds after a person's last write during which their reads go to the primary, so that
    /// they see what they wrote whichever process answers. Must cover `replica_max_lag_ms` plus
    /// the two seconds the replica checks may be late (checks run every second).
    #[serde(default = "default_read_your_writes_secs")]
    pub read_your_writes_secs: u64,
    /// How far (in milliseconds) a replica may be behind the primary before reads leave it. Two
    /// seconds: a replica on a local network replays within milliseconds, so anything near this
    /// means it is struggling, and the staleness an anonymous reader may see stays well below
    /// what a page's own caching already shows.
    #[serde(default = "default_replica_max_lag_ms")]
    pub replica_max_lag_ms: u64,
}

fn default_acquire_timeout_secs() -> u64 {
    5
}

fn default_replica_max_connections() -> u32 {
    10
}

fn default_read_your_writes_secs() -> u64 {
    5
}

fn default_replica_max_lag_ms() -> u64 {
    2000
}

/// Provisioning applied at start.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupSettings {
    /// The first administrator's name, used only while no administrator exists.
    #[serde(default)]
    pub admin_username: Option<String>,
    /// The first administrator's password.
    #[serde(default, deserialize_with = "empty_secret_is_none")]
    pub admin_password: Option<SecretString>,
}

/// Federation switches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSettings {
    /// Whether this instance talks to other servers at all.
    pub enabled: bool,
    /// Permits http://, explicit ports and loopback addresses: for tests and local play only.
    pub debug_local: bool,
    /// Seconds after which a remote actor or object we hold is fetched again when used.
    pub refresh_age_secs: u64,
    /// Seconds between fetches of each subscribed blocklist.
    pub blocklist_refresh_secs: u64,
    /// How many of a remote community's newest posts (with their comments) are fetched when
    /// the first person here joins it.
    pub backfill_posts: usize,
    /// How the outbox delivers activities.
    pub delivery: DeliverySettings,
    /// What the inbox accepts from other servers.
    pub inbox: InboxSettings,
}

/// Limits on what other servers send to the inbox, counted in the database so that every
/// process shares them, and answered with 429 and `Retry-After` (which senders retry).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxSettings {
    /// Reports (`Flag`) from one remote person.
    pub flags: RateLimit,
    /// Activities from one remote server, all its actors together.
    pub per_instance: RateLimit,
    /// Whether `hearth serve` applies received activities itself (`hearth worker` always
    /// does); turn it off when worker processes do it.
    pub apply_workers: bool,
    /// Activities applied at once per process.
    pub apply_concurrency: usize,
    /// Rows a worker claims at a time; the votes among them are applied together.
    pub apply_batch: usize,
    /// Seconds a claim is reserved; a dead worker's rows are taken over after it.
    pub apply_lease_secs: f64,
    /// Attempts at applying one activity whose parent cannot be fetched yet, before it is
    /// given up (backing off from 10 s, doubling, up to an hour).
    pub apply_max_attempts: i32,
    /// Activities acknowledged but not yet applied beyond which the inbox answers 503 with
    /// `Retry-After` (senders retry), so a backlog cannot grow without bound.
    pub max_pending: i64,
}

/// The outbox's delivery workers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySettings {
    /// Whether this process runs delivery workers (`hearth worker` always does).
    pub workers: bool,
    /// Deliveries in flight at once, over all destinations (per process).
    pub concurrency: usize,
    /// Deliveries in flight at once to one destination authority (per process).
    pub per_host_concurrency: usize,
    /// Seconds a claimed delivery is reserved for the worker that claimed it; after that another
    /// worker may claim it (the first one died).
    pub lease_secs: f64,
    /// Milliseconds before the first retry; each further retry waits about twice as long.
    pub backoff_base_ms: u64,
    /// The longest wait between retries, in seconds.
    pub backoff_max_secs: u64,
    /// Seconds after which a delivery that keeps failing is given up and counted as dead.
    pub dead_after_secs: u64,
    /// Milliseconds between looks for due deliveries when nothing wakes the worker sooner.
    pub poll_interval_ms: u64,
    /// Seconds a single delivery request may take.
    pub request_timeout_secs: u64,
    /// Seconds of nothing but failures after which a host is marked down.
    pub down_after_secs: u64,
    /// Milliseconds before the first probe of a down host; each further probe waits twice as
    /// long.
    pub probe_base_ms: u64,
    /// The longest wait between probes of a down host, in seconds.
    pub probe_max_secs: u64,
    /// Seconds that received activity ids and finished deliveries are kept.
    pub retention_secs: u64,
    /// Seconds between pruning runs (and dead-horizon sweeps).
    pub prune_interval_secs: u64,
}

/// HTTP server limits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Seconds in-flight requests get to finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
    /// The header a reverse proxy puts the client's address in; empty means the peer address.
    #[serde(default)]
    pub client_ip_header: String,
    /// How long (milliseconds) a page rendered for anonymous readers is served to others
    /// (`hearth_service::read_cache`); 0 turns the cache off.
    #[serde(default = "default_anonymous_cache_ms")]
    pub anonymous_cache_ms: u64,
}

fn default_anonymous_cache_ms() -> u64 {
    1500
}

/// Rate limits: per IP address for signing up and in, per account for writing.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Accounts registered per IP address.
    pub register: RateLimit,
    /// Login attempts per IP address.
    pub login: RateLimit,
    /// Posts per account.
    pub post: RateLimit,
    /// Comments per account.
    pub comment: RateLimit,
    /// Votes per account.
    pub vote: RateLimit,
    /// Picture uploads per account.
    pub upload: RateLimit,
    /// Lookups of other servers (`/api/v1/resolve`) per account: each may fetch several
    /// documents from elsewhere.
    pub resolve: RateLimit,
}

/// How long a sign-in lasts. Web sessions and API tokens are the same tokens, so both end alike.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// Seconds a token may go unused before it stops working.
    pub idle_lifetime_secs: u64,
    /// Seconds after its issue at which a token stops working however often it is used.
    pub absolute_lifetime_secs: u64,
}

/// At most `max` requests per `window_secs`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub max: u32,
    /// The window's length in seconds.
    pub window_secs: u32,
}

/// Pictures: the store, upload limits and the cache of other servers' images.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// Where files go: `fs` (a directory, `<data_dir>/media` unless `dir` is set) or `s3`.
    pub storage: MediaStorage,
    /// The directory of the `fs` store; empty means `<data_dir>/media`.
    pub dir: PathBuf,
    /// S3-compatible object storage, used when `storage = "s3"`.
    pub s3: S3Settings,
    /// The largest upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// The most pixels (width × height) an image may have; larger ones are refused from their
    /// header, before anything is decoded.
    pub max_pixels: u64,
    /// The longest side of a thumbnail, in pixels.
    pub thumbnail_px: u32,
    /// Images decoded at once (each takes width × height × 4 bytes while it is worked on).
    pub max_concurrent_decodes: usize,
    /// The longest side of a stored copy of another server's image, in pixels.
    pub remote_max_px: u32,
    /// The most bytes the cache of other servers' images keeps; the least recently shown go
    /// first.
    pub remote_cache_bytes: u64,
    /// Full-size images of other servers: `link` (a link to their home) or `proxy` (served from
    /// here at `remote_max_px`).
    pub remote_full_size: RemoteFullSize,
    /// Seconds an upload no post, profile or community uses yet is kept (time to finish the
    /// form it was made for).
    pub unattached_grace_secs: u64,
    /// Seconds a fetch of another server's image or of a linked page may take.
    pub fetch_timeout_secs: u64,
    /// Link previews: whether a link post's page is read for its title, description and image.
    pub link_previews: bool,
}

/// Where pictures are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaStorage {
    /// A directory on this machine.
    Fs,
    /// S3-compatible object storage (several Hearth processes on several machines).
    S3,
}

/// How full-size images of other servers are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RemoteFullSize {
    /// Linked to where they live (the reader's browser goes there only when they click).
    Link,
    /// Served from this server's cache.
    Proxy,
}

/// An S3-compatible bucket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// The bucket's name.
    pub bucket: String,
    /// The service's URL, e.g. `https://s3.eu-central-1.amazonaws.com` or a MinIO/Garage URL.
    pub endpoint: String,
    /// The region (`us-east-1` for most S3-compatible services).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key; prefer `HEARTH__MEDIA__S3__SECRET_ACCESS_KEY`.
    #[serde(deserialize_with = "empty_secret_is_none")]
    pub secret_access_key: Option<SecretString>,
    /// A path prefix inside the bucket, so several instances can share one.
    pub prefix: String,
    /// Permits an `http://` endpoint (a service on the same machine or network).
    pub allow_http: bool,
}

/// Outgoing mail over SMTP. Mail is off while `smtp_host` is empty: nothing is queued and the
/// features that need it (password reset by mail, address verification) say so.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// The SMTP server's host name; empty turns mail off.
    pub smtp_host: String,
    /// The SMTP server's port (587 for STARTTLS, 465 for TLS, 25 without).
    pub smtp_port: u16,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// The SMTP user name; empty means no authentication.
    pub username: String,
    /// The SMTP password; prefer `HEARTH__EMAIL__PASSWORD`. Its `Debug` shows `[REDACTED]`.
    #[serde(deserialize_with = "empty_secret_is_none")]
    pub password: Option<SecretString>,
    /// The sender, e.g. `Hearth <hearth@example.org>`.
    pub from: String,
    /// Whether new addresses must be confirmed by a mailed link before the account signs in.
    pub verification: EmailVerification,
    /// Whether people may ask for an hourly digest of their unread replies and mentions.
    pub digests: bool,
}

impl EmailSettings {
    /// Whether mail is configured at all.
    pub fn enabled(&self) -> bool {
        !self.smtp_host.trim().is_empty()
    }

    /// The verification rule in force: `Off` whenever mail is off.
    pub fn verification(&self) -> EmailVerification {
        if self.enabled() {
            self.verification
        } else {
            EmailVerification::Off
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text: only for a server on the same machine or network.
    None,
    /// Plain connection upgraded with STARTTLS (refused when the server does not offer it).
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// Whether an email address must be confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EmailVerification {
    /// No verification mail is sent.
    Off,
    /// A verification mail is sent; unconfirmed accounts still sign in.
    Optional,
    /// Sign-up needs an address, and an account signs in only once it is confirmed.
    Required,
}

/// Logging settings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter such as `info` or `hearth=debug,info`; `RUST_LOG` overrides it.
    pub level: String,
}

/// Where Prometheus metrics are served: a listener of their own, never the public one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// The address `/metrics` is served on; `None` (an empty value) serves no metrics.
    #[serde(deserialize_with = "empty_address_is_none")]
    pub bind: Option<SocketAddr>,
}

fn empty_address_is_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(address) => address.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "`{address}` is not an address and port such as 127.0.0.1:8537 (or empty for none)"
            ))
        }),
    }
}

fn empty_secret_is_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretString>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.filter(|s| !s.trim().is_empty()).map(SecretString::from))
}

impl Settings {
    /// Checks values that their types alone cannot: returns the offending key and why.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if !(1..=1000).contains(&self.database.max_connections) {
            return Err((
                "database.max_connections",
                "must be between 1 and 1000".to_owned(),
            ));
        }
        if !(1..=300).contains(&self.database.acquire_timeout_secs) {
            return Err((
                "database.acquire_timeout_secs",
                "must be between 1 and 300".to_owned(),
            ));
        }
        let database = &self.database;
        if !database.replica_urls.is_empty() && database.url.is_none() {
            return Err((
                "database.replica_urls",
                "needs database.url: replicas follow an external primary, not the embedded cluster"
                    .to_owned(),
            ));
        }
        if !(1..=1000).contains(&database.replica_max_connections) {
            return Err((
                "database.replica_max_connections",
                "must be between 1 and 1000".to_owned(),
            ));
        }
        if !(100..=600_000).contains(&database.replica_max_lag_ms) {
            return Err((
                "database.replica_max_lag_ms",
                "must be between 100 and 600000".to_owned(),
            ));
        }
        // The replica checks run every second, so a replica may have been behind for up to two
        // seconds more than the last check saw: the primary must answer a writer for longer.
        if database.read_your_writes_secs.saturating_mul(1000) < database.replica_max_lag_ms + 2000
        {
            return Err((
                "database.read_your_writes_secs",
                "must be at least replica_max_lag_ms + 2 seconds".to_owned(),
            ));
        }
        self.media.validate()?;
        if self.email.enabled() && !self.email.from.contains('@') {
            return Err((
                "email.from",
                "must be an address such as `Hearth <hearth@example.org>` when email.smtp_host is set"
                    .to_owned(),
            ));
        }
        if self.http.max_body_bytes < 1024 {
            return Err(("http.max_body_bytes", "must be at least 1024".to_owned()));
        }
        let limits = &self.rate_limits;
        for (key, limit) in [
            ("rate_limits.register", limits.register),
            ("rate_limits.login", limits.login),
            ("rate_limits.post", limits.post),
            ("rate_limits.comment", limits.comment),
            ("rate_limits.vote", limits.vote),
            ("rate_limits.upload", limits.upload),
            ("rate_limits.resolve", limits.resolve),
        ] {
            if limit.max == 0 || limit.window_secs == 0 {
                return Err((key, "needs max and window_secs of at least 1".to_owned()));
            }
        }
        // Ten years: beyond that the value is a mistake (and would overflow a duration).
        if self.federation.refresh_age_secs > 315_360_000 {
            return Err((
                "federation.refresh_age_secs",
                "must be at most 315360000 (ten years)".to_owned(),
            ));
        }
        // A minute at least (shorter would end sessions between two clicks), ten years at most.
        for (key, secs) in [
            (
                "sessions.idle_lifetime_secs",
                self.sessions.idle_lifetime_secs,
            ),
            (
                "sessions.absolute_lifetime_secs",
                self.sessions.absolute_lifetime_secs,
            ),
        ] {
            if !(60..=315_360_000).contains(&secs) {
                return Err((
                    key,
                    "must be between 60 and 315360000 (ten years)".to_owned(),
                ));
            }
        }
        if self.sessions.idle_lifetime_secs > self.sessions.absolute_lifetime_secs {
            return Err((
                "sessions.idle_lifetime_secs",
                "must not exceed sessions.absolute_lifetime_secs".to_owned(),
            ));
        }
        if let Some(metrics) = self.metrics.bind
            && metrics.port() != 0
            && metrics == self.bind
        {
            return Err((
                "metrics.bind",
                "must differ from `bind`: metrics have a listener of their own".to_owned(),
            ));
        }
        if self.database.run_as.trim().is_empty() {
            return Err(("database.run_as", "must name a system user".to_owned()));
        }
        if self.setup.admin_username.is_some() != self.setup.admin_password.is_some() {
            return Err((
                "setup.admin_password",
                "setup.admin_username and setup.admin_password must be set together".to_owned(),
            ));
        }
        Ok(())
    }
}

impl MediaSettings {
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.max_upload_bytes < 1024 {
            return Err(("media.max_upload_bytes", "must be at least 1024".to_owned()));
        }
        if self.max_pixels < 1 {
            return Err(("media.max_pixels", "must be at least 1".to_owned()));
        }
        if !(16..=4096).contains(&self.thumbnail_px) {
            return Err((
                "media.thumbnail_px",
                "must be between 16 and 4096".to_owned(),
            ));
        }
        if !(16..=8192).contains(&self.remote_max_px) {
            return Err((
                "media.remote_max_px",
                "must be between 16 and 8192".to_owned(),
            ));
        }
        if !(1..=64).contains(&self.max_concurrent_decodes) {
            return Err((
                "media.max_concurrent_decodes",
                "must be between 1 and 64".to_owned(),
            ));
        }
        if !(1..=300).contains(&self.fetch_timeout_secs) {
            return Err((
                "media.fetch_timeout_secs",
                "must be between 1 and 300".to_owned(),
            ));
        }
        if self.storage == MediaStorage::S3 {
            if self.s3.bucket.trim().is_empty() {
                return Err((
                    "media.s3.bucket",
                    "is needed when media.storage = \"s3\"".to_owned(),
                ));
            }
            let endpoint = self.s3.endpoint.trim();
            if !(endpoint.starts_with("https://")
                || (self.s3.allow_http && endpoint.starts_with("http://")))
            {
                return Err((
                    "media.s3.endpoint",
                    "must be an https:// URL (http:// only with media.s3.allow_http)".to_owned(),
                ));
            }
            if self.s3.access_key_id.trim().is_empty() || self.s3.secret_access_key.is_none() {
                return Err((
                    "media.s3.access_key_id",
                    "and media.s3.secret_access_key are needed when media.storage = \"s3\""
                        .to_owned(),
                ));
            }
        }
        Ok(())
    }
}
