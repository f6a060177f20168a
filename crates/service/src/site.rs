//! The instance's settings that admins change at runtime.

use crate::auth::Viewer;
use crate::{ServiceContext, markdown, require_admin};
use hearth_core::settings::RegistrationMode;
use hearth_core::{Error, Result};
use hearth_db::site::{SitePatch, SiteRow};

/// The site's settings.
pub async fn get(ctx: &ServiceContext) -> Result<SiteRow> {
    Ok(hearth_db::site::get(&ctx.pool).await?)
}

/// The site's settings as an anonymous visitor's page shows them: kept with the anonymous
/// pages (`read_cache::ReadCache::site`), so that serving a cached page reads nothing. Rules
/// are never decided on this copy; signed-in visitors' pages read the row itself.
pub async fn for_anonymous_pages(ctx: &ServiceContext) -> Result<std::sync::Arc<SiteRow>> {
    Ok(ctx
        .read_cache
        .site(|| hearth_db::site::get(&ctx.pool))
        .await?)
}

/// A partial update of the site's settings; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct SiteUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description (markdown).
    pub description: Option<String>,
    /// New rules (markdown).
    pub rules: Option<String>,
    /// New registration mode.
    pub registration_mode: Option<RegistrationMode>,
    /// New application question.
    pub application_question: Option<String>,
    /// Whether only admins may create communities.
    pub community_creation_admin_only: Option<bool>,
    /// Whether downvotes are accepted.
    pub downvotes_enabled: Option<bool>,
    /// Whether admins and moderators must use two-factor sign-in for staff actions.
    pub require_staff_two_factor: Option<bool>,
}

/// Updates the site's settings (admins only).
#[tracing::instrument(skip_all, fields(admin = viewer.person_id))]
pub async fn update(ctx: &ServiceContext, viewer: &Viewer, update: SiteUpdate) -> Result<SiteRow> {
    require_admin(viewer)?;
    // Requiring it without having it would shut the admin who asked out of this very page.
    if update.require_staff_two_factor == Some(true)
        && !crate::two_factor::enabled(ctx, viewer.person_id).await?
    {
        return Err(Error::conflict(
            "two_factor_required",
            "Turn on two-factor sign-in for your own account before requiring it of staff.",
        ));
    }
    let site = write(&ctx.pool, &update).await?;
    tracing::info!("site settings updated");
    Ok(site)
}

/// Checks an update and writes it with `db` (the caller decided that it may: an admin, or the
/// first-run setup in the transaction that makes the admin).
pub(crate) async fn write(db: impl sqlx::PgExecutor<'_>, update: &SiteUpdate) -> Result<SiteRow> {
    let name = match update.name.as_deref().map(str::trim) {
        Some(n) if n.is_empty() || n.chars().count() > 100 => {
            return Err(Error::validation(
                "name",
                "must be 1 to 100 characters long",
            ));
        }
        other => other,
    };
    let description = long_text(update.description.as_deref(), "description", 10_000)?;
    let rules = long_text(update.rules.as_deref(), "rules", 10_000)?;
    let question = long_text(
        update.application_question.as_deref(),
        "application_question",
        2_000,
    )?
    .map(|(text, _)| text);
    let patch = SitePatch {
        name,
        description: description.as_ref().map(|(t, h)| (t.as_str(), h.as_str())),
        rules: rules.as_ref().map(|(t, h)| (t.as_str(), h.as_str())),
        registration_mode: update.registration_mode,
        application_question: question.as_deref(),
        community_creation_admin_only: update.community_creation_admin_only,
        downvotes_enabled: update.downvotes_enabled,
        require_staff_two_factor: update.require_staff_two_factor,
    };
    Ok(hearth_db::site::update(db, &patch).await?)
}

/// Parses the `registration_mode` field of a request: `open`, `approval` or `closed`.
pub fn parse_registration_mode(raw: &str) -> Result<RegistrationMode> {
    raw.parse().map_err(|_| {
        Error::validation(
            "registration_mode",
            "must be `open`, `approval` or `closed`",
        )
    })
}

/// Checks a markdown field's length and renders it: `(markdown, html)`.
pub(crate) fn long_text(
    value: Option<&str>,
    field: &str,
    max: usize,
) -> Result<Option<(String, String)>> {
    let Some(text) = value else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(Some((text.to_owned(), markdown::render(text))))
}
