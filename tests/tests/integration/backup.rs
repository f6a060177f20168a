//! Backups, restores and upgrades: `hearth admin backup` of a running instance, restored into a
//! new data directory where Hearth creates its own cluster, serves the same communities, posts,
//! pictures and keys; damaged backups and occupied data directories are refused; a database
//! migrated by a newer Hearth is refused with a message saying what to do.

use crate::embedded_cluster::traversable_tempdir;
use crate::media::upload;
use hearth::Application;
use hearth::database::{Database, IfMissing};
use hearth_db::embedded::WhenInUse;
use hearth_tests::app::{TestApp, activity_json, test_settings};
use hearth_tests::db::{TestDatabase, fresh_database, server_url};
use hearth_tests::pictures::tinted_png;
use hearth_tests::s3::Storage;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;
use sqlx::postgres::PgConnectOptions;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

fn as_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The community actor's public key, as another server fetching it sees it.
async fn community_key(base: &str, name: &str) -> String {
    let actor = activity_json(&format!("{base}/c/{name}")).await;
    actor["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap_or_else(|| panic!("a public key in {actor}"))
        .to_owned()
}

#[tokio::test]
async fn a_backup_restored_into_a_new_data_dir_serves_the_same_instance() {
    let app = TestApp::spawn_with_storage(Storage::Fs, &[]).await;
    let kim = app.user("kim").await;
    let (status, c) = app
        .post_json(
            "/api/v1/communities",
            kim.auth(),
            json!({"name": "orchard", "title": "The orchard"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let picture = tinted_png([200, 80, 20]);
    let (status, uploaded) = upload(&app, &kim, "apple.png", "image/png", &picture).await;
    assert_eq!(status, StatusCode::CREATED, "{uploaded}");
    let picture_url = uploaded["url"].as_str().unwrap().to_owned();
    let picture_path = url::Url::parse(&picture_url).unwrap().path().to_owned();
    let picture_bytes = app.get(&picture_path).await.bytes().await.unwrap();
    let (status, post) = app
        .post_json(
            "/api/v1/posts",
            kim.auth(),
            json!({"community": "orchard", "title": "First apples",
                   "body": format!("Look: ![apple]({picture_url})")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{post}");
    let post_id = post["id"].as_i64().unwrap();
    let key_before = community_key(&app.base, "orchard").await;

    // The backup is taken while the instance runs, from its configured database.
    let port = app.address.port();
    let backups = traversable_tempdir();
    let backup_dir = backups.path().join("nightly");
    let media_dir = app.media.as_ref().unwrap().data_dir.path().to_owned();
    let source = test_settings(
        port,
        &[
            ("HEARTH__DATA_DIR", as_str(&media_dir)),
            ("HEARTH__DATABASE__URL", &app.db.url),
        ],
    );
    let manifest = hearth::backup::backup(&source, &backup_dir)
        .await
        .expect("the backup is made");
    assert_eq!(manifest.schema, hearth_db::migrations::newest_known());
    assert!(manifest.files.iter().any(|f| f.path == "database.dump"));
    assert!(
        manifest.files.iter().any(|f| f.path.starts_with("media/")),
        "the pictures are in the backup: {manifest:?}"
    );
    assert!(backup_dir.join("manifest.json").is_file());
    let again = hearth::backup::backup(&source, &backup_dir).await;
    assert!(
        again.unwrap_err().to_string().contains("is not empty"),
        "a backup never writes over another"
    );
    app.stop().await;

    // Restored into a new data directory: Hearth creates its own cluster there.
    let target = traversable_tempdir();
    let settings = Arc::new(test_settings(
        port,
        &[("HEARTH__DATA_DIR", as_str(target.path()))],
    ));
    hearth::backup::restore(&settings, &backup_dir)
        .await
        .expect("the backup is restored");
    let refused = hearth::backup::restore(&settings, &backup_dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("already has a database"),
        "a restore never writes over an instance: {refused}"
    );

    let db = Database::open(
        &settings,
        WhenInUse::Refuse,
        IfMissing::Fail { remedy: "restore" },
    )
    .await
    .expect("the restored cluster starts");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let restored = Application::build_with_listener(settings.clone(), db.pool.clone(), listener)
        .await
        .expect("the restored instance starts");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(restored.run_until(async move {
        let _ = stopped.await;
    }));
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let community: serde_json::Value = client
        .get(format!("{base}/api/v1/communities/orchard"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(community["title"], "The orchard", "{community}");
    let served: serde_json::Value = client
        .get(format!("{base}/api/v1/posts/{post_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served["title"], "First apples", "{served}");
    let picture = client
        .get(format!("{base}{picture_path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(picture.status(), StatusCode::OK);
    assert_eq!(picture.bytes().await.unwrap(), picture_bytes);
    // The same key: other servers still verify what the community signs.
    assert_eq!(community_key(&base, "orchard").await, key_before);
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "kim", "password": hearth_tests::app::TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK, "kim's password still works");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    db.close().await.unwrap();
}

#[tokio::test]
async fn a_damaged_backup_is_refused_and_restores_nothing() {
    let db = fresh_database().await;
    // Nothing is served: any port makes valid settings.
    let port = 8080;
    let source_dir = traversable_tempdir();
    let source = test_settings(
        port,
        &[
            ("HEARTH__DATA_DIR", as_str(source_dir.path())),
            ("HEARTH__DATABASE__URL", &db.url),
        ],
    );
    let backups = traversable_tempdir();
    let backup_dir = backups.path().join("b");
    hearth::backup::backup(&source, &backup_dir).await.unwrap();

    // One byte changed in the dump: the hash check refuses it before anything is created.
    let dump = backup_dir.join("database.dump");
    let mut bytes = std::fs::read(&dump).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&dump, bytes).unwrap();
    let target = traversable_tempdir();
    let settings = test_settings(port, &[("HEARTH__DATA_DIR", as_str(target.path()))]);
    let refused = hearth::backup::restore(&settings, &backup_dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("damaged"), "{refused}");
    assert!(refused.contains("database.dump"), "{refused}");
    assert!(!target.path().join("postgres").exists(), "no cluster made");

    // A backup without its manifest (interrupted) is not a backup.
    std::fs::remove_file(backup_dir.join("manifest.json")).unwrap();
    let refused = hearth::backup::restore(&settings, &backup_dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("not a complete Hearth backup"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_database_migrated_by_a_newer_hearth_is_refused() {
    let db = fresh_database().await;
    let pool = db.pool().await;
    let newest = hearth_db::migrations::newest_known().unwrap();
    let future = 29_991_231_000_000_i64;
    sqlx::query(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
         values ($1, 'from the future', true, '\\x00'::bytea, 1)",
    )
    .bind(future)
    .execute(&pool)
    .await
    .unwrap();
    let refused = hearth_db::migrations::run(&pool).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "This database was migrated by a newer Hearth (schema {future}); this is {newest}. Upgrade Hearth or restore a backup."
        )
    );
    // `hearth serve` migrates first: it refuses to start with the same message.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let settings = Arc::new(test_settings(listener.local_addr().unwrap().port(), &[]));
    let start = Application::build_with_listener(settings, pool, listener).await;
    let message = format!("{:#}", start.err().expect("the server refuses to start"));
    assert!(message.contains("migrated by a newer Hearth"), "{message}");
}

/// A new, empty database (not migrated) on the test server.
async fn empty_database() -> TestDatabase {
    let server = server_url();
    let admin_options = PgConnectOptions::from_str(&server).unwrap();
    let mut admin = sqlx::PgConnection::connect_with(&admin_options)
        .await
        .unwrap();
    let name = format!("hearth_upgrade_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create database \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut url = url::Url::parse(&server).unwrap();
    url.set_path(&format!("/{name}"));
    TestDatabase {
        options: admin_options.database(&name),
        url: url.to_string(),
        name,
    }
}

#[tokio::test]
async fn a_database_made_by_the_first_release_is_migrated_and_served() {
    let db = empty_database().await;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/upgrade/first-release.sql"
    );
    let dump = std::fs::read_to_string(fixture).unwrap();
    // Loaded as psql would, on a connection of its own: the dump empties its search_path.
    let mut loader = sqlx::PgConnection::connect_with(&db.options).await.unwrap();
    sqlx::raw_sql(&dump).execute(&mut loader).await.unwrap();
    loader.close().await.unwrap();
    let pool = db.pool().await;
    let before = hearth_db::migrations::status(&pool).await.unwrap();
    assert!(
        before.applied > 0 && !before.is_current(),
        "the fixture is an older schema: {before:?}"
    );

    hearth_db::migrations::run(&pool)
        .await
        .expect("the first release's database migrates");
    let after = hearth_db::migrations::status(&pool).await.unwrap();
    assert!(after.is_current(), "{after:?}");
    assert_eq!(
        hearth_db::migrations::newest_applied(&pool).await.unwrap(),
        hearth_db::migrations::newest_known()
    );
    pool.close().await;

    // The upgraded instance serves what the first release stored, and takes new writing.
    let app = TestApp::spawn_on(db, &[]).await;
    let (status, community) = app.get_json("/api/v1/communities/heritage", None).await;
    assert_eq!(status, StatusCode::OK, "{community}");
    assert_eq!(community["title"], "Heritage");
    let (status, posts) = app
        .get_json("/api/v1/posts?community=heritage&sort=new", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{posts}");
    assert!(
        posts.to_string().contains("Written before the upgrade"),
        "{posts}"
    );
    let (status, old_post) = app.get_json("/api/v1/posts/1", None).await;
    assert_eq!(status, StatusCode::OK, "{old_post}");
    assert_eq!(old_post["title"], "Written before the upgrade");
    let lee = app.user("lee").await;
    let (status, new_post) = app
        .post_json(
            "/api/v1/posts",
            lee.auth(),
            json!({"community": "heritage", "title": "Written after the upgrade"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{new_post}");
    app.stop().await;
}

#[tokio::test]
async fn a_backup_restores_into_an_empty_configured_database_and_never_over_a_used_one() {
    let source_db = fresh_database().await;
    let source_pool = source_db.pool().await;
    sqlx::query("insert into site (registration_mode, name) values ('open', 'Backed up')")
        .execute(&source_pool)
        .await
        .unwrap();
    source_pool.close().await;
    let port = 8080;
    let source_dir = traversable_tempdir();
    let source = test_settings(
        port,
        &[
            ("HEARTH__DATA_DIR", as_str(source_dir.path())),
            ("HEARTH__DATABASE__URL", &source_db.url),
        ],
    );
    let backups = traversable_tempdir();
    let backup_dir = backups.path().join("b");
    hearth::backup::backup(&source, &backup_dir).await.unwrap();

    let target_db = empty_database().await;
    let target_dir = traversable_tempdir();
    let target = test_settings(
        port,
        &[
            ("HEARTH__DATA_DIR", as_str(target_dir.path())),
            ("HEARTH__DATABASE__URL", &target_db.url),
        ],
    );
    hearth::backup::restore(&target, &backup_dir).await.unwrap();
    let pool = target_db.pool().await;
    let name: String = sqlx::query_scalar("select name from site")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, "Backed up");
    assert!(
        hearth_db::migrations::status(&pool)
            .await
            .unwrap()
            .is_current()
    );
    pool.close().await;
    assert!(
        !target_dir.path().join("postgres").exists(),
        "no cluster beside a configured database"
    );

    let refused = hearth::backup::restore(&target, &backup_dir)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("is not empty"), "{refused}");
}
