//! Site administration: banning people from the whole instance, and purging remote communities
//! and people from it.

use crate::auth::Viewer;
use crate::outbox::{self, Event};
use crate::{ServiceContext, communities, require_admin, users};
use chrono::{DateTime, Utc};
use hearth_core::{Error, Result};

/// What a site ban takes.
#[derive(Debug, Clone, Default)]
pub struct SiteBanForm {
    /// `name` or `name@host`.
    pub user: String,
    /// Why (at most 1,000 characters).
    pub reason: Option<String>,
    /// Until when; `None` until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Also remove everything they wrote.
    pub remove_data: bool,
}

/// Bans a person from this instance (admins): a local account can no longer sign in or use its
/// tokens; a remote person's activities are refused at the inbox. A local person's ban is told
/// to the servers that follow our communities.
#[tracing::instrument(skip_all, fields(user = %form.user))]
pub async fn ban(ctx: &ServiceContext, viewer: &Viewer, form: SiteBanForm) -> Result<()> {
    require_admin(viewer)?;
    let reason = form.reason.as_deref().unwrap_or("").trim().to_owned();
    if reason.chars().count() > crate::moderation::MAX_REASON {
        return Err(Error::validation(
            "reason",
            "must be at most 1000 characters",
        ));
    }
    if form.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(Error::validation("expires_at", "must be in the future"));
    }
    let person = users::find(ctx, &form.user, "user").await?;
    if person.id == viewer.person_id {
        return Err(Error::validation("user", "cannot be yourself"));
    }
    if person.admin {
        return Err(Error::forbidden(
            "is_admin",
            "Administrators cannot be banned; remove their admin rights first.",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    hearth_db::person::set_site_ban(
        &mut *tx,
        person.id,
        true,
        Some(&reason),
        form.expires_at,
        "local",
    )
    .await?;
    if form.remove_data {
        hearth_db::person::remove_all_content(&mut tx, person.id).await?;
    }
    if person.local {
        // Signing in and every token are refused while the ban lasts (checked on each use, so
        // lifting the ban restores them).
        let event = Event::SiteBanned {
            person_id: person.id,
            admin_id: viewer.person_id,
            banned: true,
            reason,
            expires_at: form.expires_at,
            remove_data: form.remove_data,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    tracing::info!(person = person.id, "banned from the instance");
    Ok(())
}

/// Lifts a site ban (admins).
pub async fn unban(ctx: &ServiceContext, viewer: &Viewer, user: &str) -> Result<()> {
    require_admin(viewer)?;
    let person = users::find(ctx, user, "user").await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::person::is_site_banned_id(&mut *tx, person.id).await? {
        return Err(Error::not_found(format!(
            "`{}` is not banned from this instance.",
            person.name
        )));
    }
    hearth_db::person::set_site_ban(&mut *tx, person.id, false, None, None, "local").await?;
    if person.local {
        let event = Event::SiteBanned {
            person_id: person.id,
            admin_id: viewer.person_id,
            banned: false,
            reason: String::new(),
            expires_at: None,
            remove_data: false,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Removes a remote community and everything of it from this instance (admins). Local
/// members' memberships go with it.
pub async fn purge_community(ctx: &ServiceContext, viewer: &Viewer, reference: &str) -> Result<()> {
    require_admin(viewer)?;
    let community = communities::find(ctx, reference).await?;
    if community.local {
        return Err(Error::forbidden(
            "local_community",
            "Only communities of other servers can be purged; moderate local ones instead.",
        ));
    }
    hearth_db::community::delete(&ctx.pool, community.id).await?;
    tracing::info!(community = community.id, "remote community purged");
    Ok(())
}

/// Removes a remote person and everything they wrote from this instance (admins).
pub async fn purge_person(ctx: &ServiceContext, viewer: &Viewer, user: &str) -> Result<()> {
    require_admin(viewer)?;
    let person = users::find(ctx, user, "user").await?;
    if person.local {
        return Err(Error::forbidden(
            "local_user",
            "Only people of other servers can be purged; ban local accounts instead.",
        ));
    }
    hearth_db::person::delete(&ctx.pool, person.id).await?;
    tracing::info!(person = person.id, "remote person purged");
    Ok(())
}

/// A current site ban.
pub type SiteBan = hearth_db::person::SiteBanRow;

/// The people banned from this instance right now (admins).
pub async fn bans(ctx: &ServiceContext, viewer: &Viewer) -> Result<Vec<SiteBan>> {
    require_admin(viewer)?;
    Ok(hearth_db::person::site_bans(&ctx.pool).await?)
}

/// A removed community.
pub type RemovedCommunity = hearth_db::community_removal::RemovedCommunity;

/// Removes a local community (admins): it is hidden, its page says why, and it can be
/// restored. Returns its name.
#[tracing::instrument(skip_all, fields(community = %reference))]
pub async fn remove_community(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    reason: Option<&str>,
) -> Result<String> {
    require_admin(viewer)?;
    let reason = crate::auth::optional_text(reason, "reason", crate::moderation::MAX_REASON)?;
    let community = local_community(ctx, reference).await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::community_removal::set_removed(&mut *tx, community.id, true, reason.as_deref())
        .await?
    {
        return Err(Error::conflict(
            "already_removed",
            "This community is already removed.",
        ));
    }
    let event = Event::CommunityRemoved {
        community_id: community.id,
        admin_id: viewer.person_id,
        removed: true,
        reason: reason.unwrap_or_default(),
    };
    outbox::record(ctx, &mut tx, event).await?;
    tx.commit().await?;
    tracing::info!(community = community.id, "community removed");
    Ok(community.name)
}

/// Restores a removed local community (admins). Returns its name.
#[tracing::instrument(skip_all, fields(community = %reference))]
pub async fn restore_community(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<String> {
    require_admin(viewer)?;
    let community = local_community(ctx, reference).await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::community_removal::set_removed(&mut *tx, community.id, false, None).await? {
        return Err(Error::conflict(
            "not_removed",
            "This community is not removed.",
        ));
    }
    let event = Event::CommunityRemoved {
        community_id: community.id,
        admin_id: viewer.person_id,
        removed: false,
        reason: String::new(),
    };
    outbox::record(ctx, &mut tx, event).await?;
    tx.commit().await?;
    tracing::info!(community = community.id, "community restored");
    Ok(community.name)
}

/// The removed communities, the latest first (admins).
pub async fn removed_communities(
    ctx: &ServiceContext,
    viewer: &Viewer,
) -> Result<Vec<RemovedCommunity>> {
    require_admin(viewer)?;
    Ok(hearth_db::community_removal::list(&ctx.pool).await?)
}

/// Why a community was removed, when it is (for its page).
pub async fn community_removal_reason(
    ctx: &ServiceContext,
    community_id: i64,
) -> Result<Option<String>> {
    Ok(hearth_db::community_removal::reason(&ctx.pool, community_id).await?)
}

async fn local_community(
    ctx: &ServiceContext,
    reference: &str,
) -> Result<hearth_db::community::CommunityRow> {
    let community = communities::find(ctx, reference).await?;
    if !community.local {
        return Err(Error::forbidden(
            "remote_community",
            "Only communities of this instance can be removed here; purge remote ones instead.",
        ));
    }
    Ok(community)
}
