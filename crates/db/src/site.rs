//! The single `site` row: instance-wide settings admins change at runtime.

use crate::decode;
use hearth_core::settings::RegistrationMode;
use sqlx::PgExecutor;

/// Creates the site row with this registration mode unless it exists; later starts leave it be.
/// Returns true when the row was created now.
pub async fn seed(
    db: impl PgExecutor<'_>,
    registration_mode: RegistrationMode,
) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        "insert into site (registration_mode) values ($1) on conflict (id) do nothing",
        registration_mode.as_str()
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The current registration mode, if the site row exists.
pub async fn registration_mode(db: impl PgExecutor<'_>) -> sqlx::Result<Option<RegistrationMode>> {
    sqlx::query_scalar!("select registration_mode from site")
        .fetch_optional(db)
        .await?
        .map(|mode| decode(&mode))
        .transpose()
}

/// The instance's settings.
#[derive(Debug, Clone)]
pub struct SiteRow {
    /// The instance's name.
    pub name: String,
    /// Its description (markdown).
    pub description: String,
    /// The description rendered and sanitised.
    pub description_html: String,
    /// Its rules (markdown).
    pub rules: String,
    /// The rules rendered and sanitised.
    pub rules_html: String,
    /// Who may sign up.
    pub registration_mode: RegistrationMode,
    /// The question applicants answer in approval mode.
    pub application_question: String,
    /// Whether only admins may create communities.
    pub community_creation_admin_only: bool,
    /// Whether downvotes are accepted.
    pub downvotes_enabled: bool,
    /// Whether admins and moderators must use two-factor sign-in for staff actions.
    pub require_staff_two_factor: bool,
}

/// The site row as stored: the registration mode is text until `TryFrom` reads it.
struct StoredSite {
    name: String,
    description: String,
    description_html: String,
    rules: String,
    rules_html: String,
    registration_mode: String,
    application_question: String,
    community_creation_admin_only: bool,
    downvotes_enabled: bool,
    require_staff_two_factor: bool,
}

impl TryFrom<StoredSite> for SiteRow {
    type Error = sqlx::Error;

    fn try_from(stored: StoredSite) -> sqlx::Result<Self> {
        Ok(Self {
            registration_mode: decode(&stored.registration_mode)?,
            name: stored.name,
            description: stored.description,
            description_html: stored.description_html,
            rules: stored.rules,
            rules_html: stored.rules_html,
            application_question: stored.application_question,
            community_creation_admin_only: stored.community_creation_admin_only,
            downvotes_enabled: stored.downvotes_enabled,
            require_staff_two_factor: stored.require_staff_two_factor,
        })
    }
}

/// Reads the site row (created at start, so it exists).
pub async fn get(db: impl PgExecutor<'_>) -> sqlx::Result<SiteRow> {
    sqlx::query_as!(
        StoredSite,
        "select name, description, description_html, rules, rules_html, registration_mode,
                application_question, community_creation_admin_only, downvotes_enabled,
                require_staff_two_factor
         from site"
    )
    .fetch_one(db)
    .await?
    .try_into()
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct SitePatch<'a> {
    /// New name.
    pub name: Option<&'a str>,
    /// New description and its HTML.
    pub description: Option<(&'a str, &'a str)>,
    /// New rules and their HTML.
    pub rules: Option<(&'a str, &'a str)>,
    /// New registration mode.
    pub registration_mode: Option<RegistrationMode>,
    /// New application question.
    pub application_question: Option<&'a str>,
    /// New community-creation restriction.
    pub community_creation_admin_only: Option<bool>,
    /// New downvote switch.
    pub downvotes_enabled: Option<bool>,
    /// New two-factor requirement for staff.
    pub require_staff_two_factor: Option<bool>,
}

/// Applies a partial update and returns the new row.
pub async fn update(db: impl PgExecutor<'_>, patch: &SitePatch<'_>) -> sqlx::Result<SiteRow> {
    sqlx::query_as!(
        StoredSite,
        "update site set
            name = coalesce($1, name),
            description = coalesce($2, description),
            description_html = coalesce($3, description_html),
            rules = coalesce($4, rules),
            rules_html = coalesce($5, rules_html),
            registration_mode = coalesce($6, registration_mode),
            application_question = coalesce($7, application_question),
            community_creation_admin_only = coalesce($8, community_creation_admin_only),
            downvotes_enabled = coalesce($9, downvotes_enabled),
            require_staff_two_factor = coalesce($10, require_staff_two_factor),
            updated_at = now()
         returning name, description, description_html, rules, rules_html, registration_mode,
                   application_question, community_creation_admin_only, downvotes_enabled,
                   require_staff_two_factor",
        patch.name,
        patch.description.map(|d| d.0),
        patch.description.map(|d| d.1),
        patch.rules.map(|r| r.0),
        patch.rules.map(|r| r.1),
        patch.registration_mode.map(RegistrationMode::as_str),
        patch.application_question,
        patch.community_creation_admin_only,
        patch.downvotes_enabled,
        patch.require_staff_two_factor
    )
    .fetch_one(db)
    .await?
    .try_into()
}

/// The instance actor's key pair, if made yet: (public, private).
pub async fn keys(db: impl PgExecutor<'_>) -> sqlx::Result<Option<(String, String)>> {
    let row = sqlx::query!("select public_key, private_key from site")
        .fetch_optional(db)
        .await?;
    Ok(row.and_then(|r| r.public_key.zip(r.private_key)))
}

/// Stores the instance actor's key pair.
pub async fn set_keys(
    db: impl PgExecutor<'_>,
    public_key: &str,
    private_key: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update site set public_key = $1, private_key = $2",
        public_key,
        private_key
    )
    .execute(db)
    .await?;
    Ok(())
}
