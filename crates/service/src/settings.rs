//! The signed-in account's own settings: its public profile (display name, bio), its
//! preferences (NSFW posts, colour theme) and its password.

use crate::auth::{Viewer, optional_text};
use crate::rate_limit::{self, Action};
use crate::site::long_text;
use crate::{ServiceContext, password};
use hearth_core::{Error, Result};
use hearth_db::preferences;
use secrecy::SecretString;

/// The longest bio accepted.
pub const MAX_BIO: usize = 5_000;
/// The longest display name accepted.
pub const MAX_DISPLAY_NAME: usize = 100;

/// The colour theme of the web pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// Follow the browser's `prefers-color-scheme`.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Parses `system`, `light` or `dark`.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "system" => Ok(Self::System),
            "light" => Ok(Self::Light),
            "dark" => Ok(Self::Dark),
            _ => Err(Error::validation(
                "theme",
                "must be `system`, `light` or `dark`",
            )),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }

    fn from_stored(raw: &str) -> Self {
        // The column's check admits only the three names; anything else is treated as unset.
        Self::parse(raw).unwrap_or_default()
    }
}

/// How the account wants pages shown. The default is what anonymous visitors get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Preferences {
    /// Show posts marked NSFW.
    pub show_nsfw: bool,
    /// The colour theme.
    pub theme: Theme,
}

/// The account's preferences (read on every signed-in page view).
pub async fn preferences(ctx: &ServiceContext, viewer: &Viewer) -> Result<Preferences> {
    let row = preferences::get(&ctx.pool, viewer.person_id).await?;
    Ok(row
        .map(|r| Preferences {
            show_nsfw: r.show_nsfw,
            theme: Theme::from_stored(&r.theme),
        })
        .unwrap_or_default())
}

/// Everything the settings page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSettings {
    /// Shown instead of the name when set.
    pub display_name: Option<String>,
    /// The bio as written (markdown).
    pub bio: String,
    /// The preferences.
    pub preferences: Preferences,
}

/// The signed-in account's settings.
pub async fn get(ctx: &ServiceContext, viewer: &Viewer) -> Result<AccountSettings> {
    let row = preferences::settings(&ctx.pool, viewer.person_id)
        .await?
        .ok_or_else(|| Error::not_found("This account no longer exists."))?;
    Ok(AccountSettings {
        display_name: row.display_name,
        bio: row.bio,
        preferences: Preferences {
            show_nsfw: row.show_nsfw,
            theme: Theme::from_stored(&row.theme),
        },
    })
}

/// A new public profile.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    /// The display name; empty or absent clears it.
    pub display_name: Option<String>,
    /// The bio (markdown); empty clears it.
    pub bio: String,
    /// The avatar: a picture uploaded here (`POST /api/v1/media`); `None` leaves it as it is,
    /// `Some(None)` removes it.
    pub avatar_url: Option<Option<String>>,
    /// The banner, likewise.
    pub banner_url: Option<Option<String>>,
}

/// Replaces the account's display name and bio, changes its avatar and banner when given, and
/// tells the servers that know the person (`Update{Person}`).
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn update_profile(
    ctx: &ServiceContext,
    viewer: &Viewer,
    update: ProfileUpdate,
) -> Result<()> {
    let display_name = optional_text(
        update.display_name.as_deref(),
        "display_name",
        MAX_DISPLAY_NAME,
    )?;
    let (bio, bio_html) = long_text(Some(update.bio.trim()), "bio", MAX_BIO)?.unwrap_or_default();
    let avatar_url = crate::media::picture_change(ctx, update.avatar_url, "avatar_url").await?;
    let banner_url = crate::media::picture_change(ctx, update.banner_url, "banner_url").await?;
    let mut tx = ctx.pool.begin().await?;
    let images = hearth_db::person::ImagesChange {
        avatar_url: avatar_url.as_ref().map(Option::as_deref),
        banner_url: banner_url.as_ref().map(Option::as_deref),
    };
    hearth_db::person::set_images(&mut *tx, viewer.person_id, &images).await?;
    preferences::update_profile(
        &mut *tx,
        viewer.person_id,
        display_name.as_deref(),
        &bio,
        &bio_html,
    )
    .await?;
    // Other servers show the profile too: they get the whole actor again.
    let event = crate::outbox::Event::PersonUpdated(viewer.person_id);
    crate::outbox::record(ctx, &mut tx, event).await?;
    tx.commit().await?;
    tracing::info!("profile updated");
    Ok(())
}

/// Replaces the account's preferences.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn update_preferences(
    ctx: &ServiceContext,
    viewer: &Viewer,
    preferences: Preferences,
) -> Result<()> {
    preferences::update_preferences(
        &ctx.pool,
        viewer.person_id,
        preferences.show_nsfw,
        preferences.theme.as_str(),
    )
    .await?;
    Ok(())
}

/// Changes the account's password after checking the current one, and signs out every session
/// and token of the account, the one that made the change included: a thief holding that
/// session's token is out too. Returns a fresh token (of `kind`) for the person who made the
/// change.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn change_password(
    ctx: &ServiceContext,
    viewer: &Viewer,
    current: SecretString,
    new: SecretString,
    label: &str,
    kind: crate::auth::TokenKind,
) -> Result<crate::auth::IssuedToken> {
    // A stolen session must not become a way to guess the password at leisure.
    rate_limit::check(
        ctx,
        Action::Login,
        &format!("password-change:{}", viewer.person_id),
    )
    .await?;
    let stored = preferences::password_hash(&ctx.pool, viewer.person_id)
        .await?
        .ok_or_else(|| Error::not_found("This account no longer exists."))?;
    if !password::verify(current, stored).await? {
        return Err(Error::validation(
            "current_password",
            "is not your current password",
        ));
    }
    password::validate(&new, "new_password")?;
    let hash = password::hash(new).await?;
    let mut tx = ctx.pool.begin().await?;
    preferences::set_password_hash(&mut *tx, viewer.person_id, &hash).await?;
    // Token ids start at 1: keeping id 0 keeps none.
    let revoked = preferences::revoke_other_tokens(&mut *tx, viewer.person_id, 0).await?;
    let fresh = crate::auth::issue_kind(ctx, &mut tx, viewer.person_id, label, kind).await?;
    tx.commit().await?;
    tracing::info!(revoked, "password changed");
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_round_trip_and_unknown_names_are_a_field_error() {
        for theme in [Theme::System, Theme::Light, Theme::Dark] {
            assert_eq!(Theme::parse(theme.as_str()).unwrap(), theme);
        }
        let err = Theme::parse("neon").unwrap_err();
        assert!(err.to_string().starts_with("theme:"));
        assert_eq!(Theme::from_stored("neon"), Theme::System);
    }
}
