//! A fresh database for every test. `DATABASE_URL` points at the run's server (scripts/test
//! starts a throwaway cluster and sets it); the first test to arrive migrates a template
//! database named after the migrations' checksums, and every test clones it, which takes
//! milliseconds instead of a full migration run.

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::str::FromStr;

/// A database made for one test.
#[derive(Clone)]
pub struct TestDatabase {
    /// Its name.
    pub name: String,
    /// Options to connect to it.
    pub options: PgConnectOptions,
    /// A URL for it, for child processes.
    pub url: String,
}

impl TestDatabase {
    /// A small pool on it: room for a transaction that reads beside itself and the instance's
    /// workers (its LISTEN connections are outside the pool).
    pub async fn pool(&self) -> PgPool {
        hearth_db::connect(self.options.clone(), 10)
            .await
            .expect("connect to the test database")
    }
}

/// The server URL of this run.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL is not set: run the tests with scripts/test (it starts a throwaway \
         PostgreSQL cluster), or point DATABASE_URL at a server where you may create databases",
    )
}

/// An advisory-lock key that serialises template creation across test processes.
const TEMPLATE_LOCK: i64 = 0x4865_6172_7468;

/// Creates a fresh, migrated database for one test.
pub async fn fresh_database() -> TestDatabase {
    let url = server_url();
    let admin_options = PgConnectOptions::from_str(&url).expect("DATABASE_URL is a PostgreSQL URL");
    let mut admin = PgConnection::connect_with(&admin_options)
        .await
        .expect("connect to DATABASE_URL");
    let template = template_name();
    sqlx::query("select pg_advisory_lock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("lock");
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .expect("look up the template");
    if !exists {
        migrate_template(&mut admin, &admin_options, &template).await;
    }
    let name = format!("hearth_test_{}", uuid::Uuid::new_v4().simple());
    // Cloning under the same lock keeps a clone from racing the template's own creation.
    sqlx::query(&format!(
        "create database \"{name}\" template \"{template}\" strategy file_copy"
    ))
    .execute(&mut admin)
    .await
    .expect("clone the template database");
    sqlx::query("select pg_advisory_unlock($1)")
        .bind(TEMPLATE_LOCK)
        .execute(&mut admin)
        .await
        .expect("unlock");
    admin.close().await.ok();
    let options = admin_options.clone().database(&name);
    let url = with_database(&url, &name);
    TestDatabase { name, options, url }
}

async fn migrate_template(
    admin: &mut PgConnection,
    admin_options: &PgConnectOptions,
    template: &str,
) {
    sqlx::query(&format!("create database \"{template}\""))
        .execute(&mut *admin)
        .await
        .expect("create the template database");
    let pool = hearth_db::connect(admin_options.clone().database(template), 1)
        .await
        .expect("connect to the template");
    hearth_db::migrations::run(&pool)
        .await
        .expect("migrate the template");
    pool.close().await;
}

/// Named after the migrations, so a changed migration gets a new template.
fn template_name() -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    for m in hearth_db::MIGRATOR.iter() {
        m.version.hash(&mut hasher);
        m.checksum.hash(&mut hasher);
    }
    format!("hearth_template_{:016x}", hasher.finish())
}

/// The same URL with another database name in its path.
fn with_database(url: &str, database: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("DATABASE_URL is a URL");
    parsed.set_path(&format!("/{database}"));
    parsed.to_string()
}
