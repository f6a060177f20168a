//! Starts a real Hearth instance on port 0 with its own fresh database, as the binary would.

use crate::db::{TestDatabase, fresh_database};
use crate::s3::{S3Server, Storage};
use hearth::Application;
use hearth_core::Settings;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password of accounts made by `TestApp::user`.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// The administrator every test instance gets at its first start (through `setup.admin_*`, as
/// an operator would make one), so that its pages are not held by the first-run setup. Its
/// password is [`TEST_PASSWORD`]. `TestApp::spawn_without_admin` starts one without.
pub const SETUP_ADMIN: &str = "site_admin";

/// A signed-in account of a test instance.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// A bearer token.
    pub token: String,
}

impl TestUser {
    /// The token, as the optional argument the request helpers take.
    pub fn auth(&self) -> Option<&str> {
        Some(&self.token)
    }
}

/// A running test instance.
pub struct TestApp {
    /// Where it listens.
    pub address: SocketAddr,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where its metrics listener is (`metrics.bind`, port 0 in tests), unless turned off.
    pub metrics_address: Option<SocketAddr>,
    /// Its database.
    pub db: TestDatabase,
    /// Its settings.
    pub settings: Arc<Settings>,
    /// A client for it.
    pub client: reqwest::Client,
    /// The first-run setup code this start printed (only while the instance has no
    /// administrator: see `TestApp::spawn_without_admin`).
    pub setup_code: Option<String>,
    /// What keeps its picture store alive when it was started with one of its own
    /// (`TestApp::spawn_with_storage`): a temporary directory, or an S3 server.
    pub media: Option<TestMedia>,
    /// The data directory of an instance started without one of its own in `overrides` (its
    /// pictures and spooled uploads), removed when the instance is dropped.
    _data_dir: Option<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// The picture store of an instance started by `TestApp::spawn_with_storage`, removed when the
/// instance is dropped.
pub struct TestMedia {
    /// Which store it is.
    pub storage: Storage,
    /// The instance's data directory (uploads are spooled to its `tmp/`; the fs store keeps
    /// its files in its `media/`).
    pub data_dir: tempfile::TempDir,
    /// The S3 server, for `Storage::S3`.
    pub s3: Option<S3Server>,
}

/// The ActivityPub JSON at `url` (any server's), fetched as another server fetches it.
pub async fn activity_json(url: &str) -> Value {
    reqwest::Client::new()
        .get(url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("the answer is JSON")
}

/// Settings for a test instance: defaults plus `overrides` given as `HEARTH__…` variables.
pub fn test_settings(port: u16, overrides: &[(&str, &str)]) -> Settings {
    let mut env: Vec<(String, String)> = vec![
        ("HEARTH__HOSTNAME".into(), format!("localhost:{port}")),
        ("HEARTH__BIND".into(), format!("127.0.0.1:{port}")),
        ("HEARTH__FEDERATION__DEBUG_LOCAL".into(), "true".into()),
        ("HEARTH__HTTP__SHUTDOWN_GRACE_SECS".into(), "2".into()),
        // Metrics have a listener of their own: any free port (`TestApp::metrics`).
        ("HEARTH__METRICS__BIND".into(), "127.0.0.1:0".into()),
        // Tests sign many people up from one address; the limits get tests of their own.
        ("HEARTH__REGISTRATION".into(), "open".into()),
        ("HEARTH__RATE_LIMITS__REGISTER__MAX".into(), "100000".into()),
        ("HEARTH__RATE_LIMITS__LOGIN__MAX".into(), "100000".into()),
        // Federation tests wait for deliveries: retry and notice quickly.
        (
            "HEARTH__FEDERATION__DELIVERY__BACKOFF_BASE_MS".into(),
            "100".into(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__BACKOFF_MAX_SECS".into(),
            "1".into(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__LEASE_SECS".into(),
            "2".into(),
        ),
        (
            "HEARTH__FEDERATION__DELIVERY__POLL_INTERVAL_MS".into(),
            "100".into(),
        ),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    hearth::config::load(None, env).expect("test settings load")
}

/// Whether a start makes the default administrator ([`SETUP_ADMIN`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provision {
    /// Through `setup.admin_*`, unless the test sets those itself.
    SetupAdmin,
    /// None: the instance waits for its first-run setup.
    NoAdmin,
}

impl TestApp {
    /// Starts an instance on a fresh database, with the default administrator ([`SETUP_ADMIN`]).
    pub async fn spawn(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_on(fresh_database().await, overrides).await
    }

    /// Starts an instance on a fresh database whose pictures go to a store of its own: a fresh
    /// data directory (`Storage::Fs`), or a bucket on an S3-compatible server started for it
    /// (`Storage::S3`), so a test sees exactly the files it made.
    pub async fn spawn_with_storage(storage: Storage, overrides: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().expect("a data directory");
        let data_dir_setting = data_dir.path().to_str().expect("a UTF-8 path").to_owned();
        let s3 = match storage {
            Storage::Fs => None,
            Storage::S3 => Some(S3Server::start().await),
        };
        let s3_settings = s3.as_ref().map(S3Server::settings).unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("HEARTH__DATA_DIR", &data_dir_setting)];
        all.extend(s3_settings.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        all.extend_from_slice(overrides);
        let mut app = Self::spawn(&all).await;
        app.media = Some(TestMedia {
            storage,
            data_dir,
            s3,
        });
        app
    }

    /// Starts an instance on a fresh database with no administrator: every page leads to the
    /// first-run setup, whose code is in `setup_code`.
    pub async fn spawn_without_admin(overrides: &[(&str, &str)]) -> Self {
        Self::start(fresh_database().await, 0, overrides, Provision::NoAdmin).await
    }

    /// Starts an instance on an existing test database (a restart, or a second process).
    pub async fn spawn_on(db: TestDatabase, overrides: &[(&str, &str)]) -> Self {
        Self::spawn_at(db, 0, overrides).await
    }

    /// Starts another process on this instance's database (several `hearth serve` on one
    /// database), with its own `overrides`.
    pub async fn spawn_beside(&self, overrides: &[(&str, &str)]) -> Self {
        Self::spawn_on(self.db.clone(), overrides).await
    }

    /// Starts an instance on an existing test database and a given port (0: any), so that a
    /// restarted instance keeps its address and other instances reach it again.
    pub async fn spawn_at(db: TestDatabase, port: u16, overrides: &[(&str, &str)]) -> Self {
        Self::start(db, port, overrides, Provision::SetupAdmin).await
    }

    async fn start(
        db: TestDatabase,
        port: u16,
        overrides: &[(&str, &str)],
        provision: Provision,
    ) -> Self {
        let sets_admin = overrides
            .iter()
            .any(|(k, _)| k.starts_with("HEARTH__SETUP__ADMIN_"));
        let mut overrides = overrides.to_vec();
        // Each instance keeps its files (pictures, spooled uploads) in a directory of its own,
        // never in the working directory.
        let data_dir = (!overrides.iter().any(|(k, _)| *k == "HEARTH__DATA_DIR"))
            .then(|| tempfile::tempdir().expect("a data directory"));
        let data_dir_setting = data_dir
            .as_ref()
            .map(|d| d.path().to_str().expect("a UTF-8 path").to_owned());
        if let Some(dir) = &data_dir_setting {
            overrides.push(("HEARTH__DATA_DIR", dir));
        }
        if provision == Provision::SetupAdmin && !sets_admin {
            // Ignored by later starts on the same database, as in production.
            overrides.push(("HEARTH__SETUP__ADMIN_USERNAME", SETUP_ADMIN));
            overrides.push(("HEARTH__SETUP__ADMIN_PASSWORD", TEST_PASSWORD));
        }
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the port");
        let address = listener.local_addr().expect("local address");
        let settings = Arc::new(test_settings(address.port(), &overrides));
        let pool = db.pool().await;
        let app = Application::build_with_listener(settings.clone(), pool, listener)
            .await
            .expect("application builds");
        let metrics_address = app.metrics_addr().expect("metrics address");
        let setup_code = app.setup_code().map(str::to_owned);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            base: format!("http://{address}"),
            metrics_address,
            db,
            settings,
            client: reqwest::Client::new(),
            setup_code,
            media: None,
            _data_dir: data_dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// `GET base + path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request reaches the test server")
    }

    /// `GET /metrics` on the metrics listener: the Prometheus text.
    pub async fn metrics(&self) -> String {
        let address = self.metrics_address.expect("the metrics listener is on");
        let response = self
            .client
            .get(format!("http://{address}/metrics"))
            .send()
            .await
            .expect("request reaches the metrics listener");
        assert_eq!(response.status(), StatusCode::OK, "GET /metrics");
        response.text().await.expect("metrics text")
    }

    /// Sends a request with an optional bearer token and JSON body; returns status and JSON
    /// (`Null` for an empty body).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .expect("request reaches the test server");
        let status = response.status();
        let text = response.text().await.expect("response body");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
        };
        (status, json)
    }

    /// Delivers `body` to this instance's inbox at `inbox_path` as another server would: signed
    /// with the private key `key` of `key_actor`. Answers the status, the response headers and
    /// the JSON (null when the answer is not JSON).
    pub async fn deliver_signed(
        &self,
        key: &str,
        key_actor: &str,
        inbox_path: &str,
        body: Vec<u8>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let inbox = url::Url::parse(&format!(
            "http://{}{inbox_path}",
            self.settings.hostname.as_str()
        ))
        .expect("an inbox URL");
        let body_for_id = body.clone();
        let signed = hearth_federation::signing::Signer::default()
            .sign_post(key, key_actor, &inbox, &body)
            .await
            .expect("the activity is signed");
        let response = self
            .client
            .post(inbox)
            .header("content-type", "application/activity+json")
            .header("date", signed.date)
            .header("digest", signed.digest)
            .header("signature", signed.signature)
            .body(body)
            .send()
            .await
            .expect("the inbox answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("the inbox's answer");
        // A 202 means queued: what the test reads next is there once the workers applied it.
        if status == StatusCode::ACCEPTED
            && self.settings.federation.inbox.apply_workers
            && let Some(id) = serde_json::from_slice::<Value>(&body_for_id)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_owned))
        {
            self.wait_applied(&id).await;
        }
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    /// Waits (up to 30 s) until the activity `activity_id`, acknowledged by the inbox, has been
    /// applied, refused or given up by the applying workers; answers its refusal, if it was
    /// refused or failed when applied.
    pub async fn wait_applied(&self, activity_id: &str) -> Option<hearth_db::inbox_queue::Refusal> {
        let pool = self.db.pool().await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let pending: Option<i64> = sqlx::query_scalar(
                "select id from inbox_queue where activity_id = $1 and state = 'pending'",
            )
            .bind(activity_id)
            .fetch_optional(&pool)
            .await
            .expect("read the inbox queue");
            if pending.is_none() {
                return hearth_db::inbox_queue::refusal_of(&pool, activity_id)
                    .await
                    .expect("read the inbox queue");
            }
            assert!(
                std::time::Instant::now() < deadline,
                "activity {activity_id} was not applied within 30 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The refusal recorded when the activity `activity_id` was applied (waiting for it first),
    /// as admins see it: `None` when it was applied.
    pub async fn inbox_refusal(
        &self,
        activity_id: &str,
    ) -> Option<hearth_db::inbox_queue::Refusal> {
        self.wait_applied(activity_id).await
    }

    /// The code of the refusal recorded when the activity `activity_id` was applied (waiting for
    /// it first): `None` when it was applied. The inbox acknowledges (202) what it can verify
    /// at once and records what it refuses only when applying, where admins see it.
    pub async fn refusal_code(&self, activity_id: &str) -> Option<String> {
        self.wait_applied(activity_id).await.and_then(|r| r.code)
    }

    /// Waits (up to 30 s) until nothing acknowledged by the inbox waits to be applied.
    pub async fn wait_for_inbox(&self) {
        let pool = self.db.pool().await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while hearth_db::inbox_queue::pending(&pool)
            .await
            .expect("read the inbox queue")
            > 0
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the inbox queue did not drain within 30 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// `GET` with an optional token.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    /// `POST` a JSON body with an optional token.
    pub async fn post_json(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    /// Creates an approved account (directly, past registration's rules) and signs it in
    /// through the API.
    pub async fn user(&self, name: &str) -> TestUser {
        self.account(name, false).await
    }

    /// The same for an administrator.
    pub async fn admin(&self, name: &str) -> TestUser {
        self.account(name, true).await
    }

    async fn account(&self, name: &str, admin: bool) -> TestUser {
        let ctx = hearth_service::ServiceContext::new(self.db.pool().await, self.settings.clone());
        let username = hearth_core::Username::parse(name, "name").expect("a valid test username");
        let created = hearth_service::accounts::create_local(
            &ctx,
            &username,
            secrecy::SecretString::from(TEST_PASSWORD),
            admin,
        )
        .await
        .expect("test account created");
        let token = self.login(name, TEST_PASSWORD).await;
        TestUser {
            id: created.person_id,
            name: username.to_string(),
            token,
        }
    }

    /// A service context on this instance's database and settings (its picture store too), for
    /// calling use cases directly, as the CLI does.
    pub async fn context(&self) -> hearth_service::ServiceContext {
        hearth_service::ServiceContext::new(self.db.pool().await, self.settings.clone())
    }

    /// This instance's picture store, as its settings choose it.
    pub fn media_store(&self) -> hearth_media::MediaStore {
        hearth_media::MediaStore::from_settings(&self.settings)
    }

    /// Signs in through the API and returns the token.
    pub async fn login(&self, name: &str, password: &str) -> String {
        let (status, body) = self
            .post_json(
                "/api/v1/auth/login",
                None,
                json!({"username": name, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login of {name} failed: {body}");
        body["token"].as_str().expect("a token").to_owned()
    }

    /// Shuts the server down gracefully and waits for it; returns its database for a restart.
    pub async fn stop(mut self) -> TestDatabase {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server ran cleanly");
        }
        self.db
    }
}

/// Writes a post with only a title in `community` through the JSON API and gives its id.
pub async fn write_titled_post(
    app: &TestApp,
    author: &TestUser,
    community: &str,
    title: &str,
) -> i64 {
    let (status, p) = app
        .post_json(
            "/api/v1/posts",
            author.auth(),
            json!({"community": community, "title": title}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().expect("a post id")
}

/// The titles of a page of posts (its `items`), in the page's order.
pub fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|p| p["title"].as_str().expect("a post's title").to_owned())
        .collect()
}

/// Renames a post and its comments (title and bodies become `text`) behind the triggers' back,
/// as no write of Hearth can, so that only pages rendered or rows read again show the new text.
pub async fn rename_unnoticed(app: &TestApp, post: i64, text: &str) {
    let pool = app.db.pool().await;
    let mut conn = pool.acquire().await.expect("a connection");
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .expect("triggers off");
    sqlx::query("update post set title = $2 where id = $1")
        .bind(post)
        .bind(text)
        .execute(&mut *conn)
        .await
        .expect("the post renamed");
    sqlx::query(
        "update comment set body = $2, body_html = '<p>' || $2 || '</p>' where post_id = $1",
    )
    .bind(post)
    .bind(text)
    .execute(&mut *conn)
    .await
    .expect("the comments renamed");
    sqlx::query("reset session_replication_role")
        .execute(&mut *conn)
        .await
        .expect("triggers on");
}
