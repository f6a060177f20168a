//! A Hearth instance inside the harness process, built exactly as `hearth serve` builds it
//! (`hearth::config::load`, `Application::build_with_listener`, `run_until`), on a scenario's
//! database, with `localhost:PORT` as its authority, federation's local-network switch on and
//! rate limits out of the way. Its CPU and memory are the harness process's.

use crate::cluster::BenchDb;
use hearth::Application;
use hearth_core::Settings;
use hearth_service::ServiceContext;
use serde_json::Value;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password of every account the harness makes.
const PASSWORD: &str = "benchmark password, long enough";

/// A running instance.
pub struct Instance {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its settings.
    pub settings: Arc<Settings>,
    /// Its service context (with the outbox).
    pub ctx: ServiceContext,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A signed-in account.
#[derive(Debug, Clone)]
pub struct User {
    /// A bearer token.
    pub token: String,
}

/// The settings of a benchmark instance on `port`, with `overrides` (`HEARTH__…` pairs).
pub fn settings(port: u16, overrides: &[(&str, String)]) -> anyhow::Result<Settings> {
    let mut env: Vec<(String, String)> = vec![
        ("HEARTH__HOSTNAME".into(), format!("localhost:{port}")),
        ("HEARTH__BIND".into(), format!("127.0.0.1:{port}")),
        ("HEARTH__FEDERATION__DEBUG_LOCAL".into(), "true".into()),
        ("HEARTH__HTTP__SHUTDOWN_GRACE_SECS".into(), "2".into()),
        ("HEARTH__REGISTRATION".into(), "open".into()),
        ("HEARTH__LOG__LEVEL".into(), "warn".into()),
        // Several instances run in one process; none is scraped.
        ("HEARTH__METRICS__BIND".into(), String::new()),
    ];
    for action in [
        "REGISTER", "LOGIN", "POST", "COMMENT", "VOTE", "RESOLVE", "UPLOAD",
    ] {
        env.push((
            format!("HEARTH__RATE_LIMITS__{action}__MAX"),
            "100000000".into(),
        ));
    }
    // The inbox's per-server limit (1,800 a minute): the harness's senders all live on one host.
    env.push((
        "HEARTH__FEDERATION__INBOX__PER_INSTANCE__MAX".into(),
        "100000000".into(),
    ));
    env.extend(overrides.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    // Settings given to the harness itself (`HEARTH__…`) come last, so a tuning can be tried
    // without a rebuild; `Machine::line` names them with the figures, which are then not the
    // defaults'.
    env.extend(tried_settings());
    hearth::config::load(None, env).map_err(|e| anyhow::anyhow!("settings: {e}"))
}

/// The `HEARTH__…` variables of the harness's own environment: settings being tried.
pub fn tried_settings() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(k, _)| k.starts_with("HEARTH__"))
        .collect()
}

impl Instance {
    /// Starts an instance on `db` with a pool of `connections` and `overrides`.
    pub async fn spawn(
        db: &BenchDb,
        connections: u32,
        overrides: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let settings = Arc::new(settings(port, overrides)?);
        let pool = db.pool(connections).await?;
        let app = Application::build_with_listener(settings.clone(), pool, listener).await?;
        let ctx = app.context().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            base: format!("http://127.0.0.1:{port}"),
            settings,
            ctx,
            client: reqwest::Client::new(),
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// This instance's public base URL (`http://localhost:PORT`), the prefix of its ids.
    pub fn public_base(&self) -> String {
        self.settings.public_base_url()
    }

    /// Creates an account (directly, as the CLI does) and signs it in through the API.
    pub async fn user(&self, name: &str, admin: bool) -> anyhow::Result<User> {
        let username = hearth_core::Username::parse(name, "name")
            .map_err(|e| anyhow::anyhow!("username {name}: {e}"))?;
        let created = hearth_service::accounts::create_local(
            &self.ctx,
            &username,
            secrecy::SecretString::from(PASSWORD),
            admin,
        )
        .await
        .map_err(|e| anyhow::anyhow!("creating {name}: {e}"))?;
        let body = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": name, "password": PASSWORD})),
            )
            .await?;
        let token = body["token"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("login answered without a token: {body}"))?
            .to_owned();
        anyhow::ensure!(created.person_id > 0, "account {name} has no id");
        Ok(User { token })
    }

    /// Calls the API; fails on a non-2xx status. Returns the JSON body (`Null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "{path} answered {status}: {text}");
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    /// Creates a public community through the API; returns its id.
    pub async fn community(&self, user: &User, name: &str) -> anyhow::Result<i64> {
        let body = self
            .call(
                reqwest::Method::POST,
                "/api/v1/communities",
                Some(&user.token),
                Some(serde_json::json!({"name": name, "title": format!("Benchmark {name}")})),
            )
            .await?;
        body["id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("community without id: {body}"))
    }

    /// Writes a post through the API; returns its id.
    pub async fn post(&self, user: &User, community: &str, title: &str) -> anyhow::Result<i64> {
        let body = self
            .call(
                reqwest::Method::POST,
                "/api/v1/posts",
                Some(&user.token),
                Some(serde_json::json!({
                    "community": community,
                    "title": title,
                    "body": "A post written by the benchmark harness, with a little **markdown**.",
                })),
            )
            .await?;
        body["id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("post without id: {body}"))
    }

    /// Votes on a post through the API.
    pub async fn vote(&self, user: &User, post: i64, score: i16) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/posts/{post}/vote"),
            Some(&user.token),
            Some(serde_json::json!({ "score": score })),
        )
        .await?;
        Ok(())
    }

    /// Shuts the instance down gracefully and waits for it.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await??;
        }
        self.ctx.pool.close().await;
        Ok(())
    }
}
