//! Starts a real Hearth instance on port 0 with its own fresh database, as the binary would.

use crate::db::{TestDatabase, fresh_database};
use hearth::Application;
use hearth_core::Settings;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running test instance.
pub struct TestApp {
    /// Where it listens.
    pub address: SocketAddr,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its database.
    pub db: TestDatabase,
    /// Its settings.
    pub settings: Arc<Settings>,
    /// A client for it.
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Settings for a test instance: defaults plus `overrides` given as `HEARTH__…` variables.
pub fn test_settings(port: u16, overrides: &[(&str, &str)]) -> Settings {
    let mut env: Vec<(String, String)> = vec![
        ("HEARTH__HOSTNAME".into(), format!("localhost:{port}")),
        ("HEARTH__BIND".into(), format!("127.0.0.1:{port}")),
        ("HEARTH__FEDERATION__DEBUG_LOCAL".into(), "true".into()),
        ("HEARTH__HTTP__SHUTDOWN_GRACE_SECS".into(), "2".into()),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    hearth::config::load(None, env).expect("test settings load")
}

impl TestApp {
    /// Starts an instance on a fresh database.
    pub async fn spawn(overrides: &[(&str, &str)]) -> Self {
        Self::spawn_on(fresh_database().await, overrides).await
    }

    /// Starts an instance on an existing test database (a restart, or a second process).
    pub async fn spawn_on(db: TestDatabase, overrides: &[(&str, &str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let address = listener.local_addr().expect("local address");
        let settings = Arc::new(test_settings(address.port(), overrides));
        let pool = db.pool().await;
        let app = Application::build_with_listener(settings.clone(), pool, listener)
            .await
            .expect("application builds");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Self {
            address,
            base: format!("http://{address}"),
            db,
            settings,
            client: reqwest::Client::new(),
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
