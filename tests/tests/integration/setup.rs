//! First-start provisioning: the setup administrator and the seeded registration mode.

use hearth_core::settings::RegistrationMode;
use hearth_tests::app::TestApp;

async fn admins(app: &TestApp) -> Vec<String> {
    let pool = app.db.pool().await;
    sqlx::query_scalar(
        "select p.name from person p join local_account a on a.person_id = p.id where a.admin order by p.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_setup_admin_is_created_once_and_ignored_afterwards() {
    let first = TestApp::spawn(&[
        ("HEARTH__SETUP__ADMIN_USERNAME", "Alice"),
        ("HEARTH__SETUP__ADMIN_PASSWORD", "a long enough password"),
    ])
    .await;
    assert_eq!(admins(&first).await, vec!["alice".to_owned()]);
    let db = first.stop().await;

    let second = TestApp::spawn_on(
        db,
        &[
            ("HEARTH__SETUP__ADMIN_USERNAME", "bob"),
            ("HEARTH__SETUP__ADMIN_PASSWORD", "another long password"),
        ],
    )
    .await;
    assert_eq!(admins(&second).await, vec!["alice".to_owned()]);
    second.stop().await;
}

#[tokio::test]
async fn the_registration_setting_only_seeds_the_first_start() {
    let first = TestApp::spawn(&[("HEARTH__REGISTRATION", "open")]).await;
    let pool = first.db.pool().await;
    assert_eq!(
        hearth_db::site::registration_mode(&pool).await.unwrap(),
        Some(RegistrationMode::Open)
    );
    let db = first.stop().await;
    let second = TestApp::spawn_on(db, &[("HEARTH__REGISTRATION", "closed")]).await;
    assert_eq!(
        hearth_db::site::registration_mode(&pool).await.unwrap(),
        Some(RegistrationMode::Open)
    );
    second.stop().await;
}
