//! Community moderators: listing them, and moderators (or admins) adding and removing them.

use crate::auth::Viewer;
use crate::communities::find;
use crate::{ServiceContext, can_moderate, users};
use hearth_core::{Error, Result};
use hearth_db::moderation::{ModAction, NewModLogEntry};
use hearth_db::moderator::ModeratorRow;

/// The community's moderators.
pub async fn list(ctx: &ServiceContext, reference: &str) -> Result<Vec<ModeratorRow>> {
    let community = find(ctx, reference).await?;
    Ok(hearth_db::moderator::list(&ctx.pool, community.id).await?)
}

/// The community, when the viewer may moderate it (its moderators, and this instance's admins
/// for local communities); pages check this before showing moderators' tools.
pub async fn authorize(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<hearth_db::community::CommunityRow> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    Ok(community)
}

/// Makes a person a moderator.
#[tracing::instrument(skip_all, fields(community = %reference, user = %user))]
pub async fn add(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    user: &str,
) -> Result<Vec<ModeratorRow>> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    let person = users::find(ctx, user, "user").await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::moderator::add(&mut *tx, community.id, person.id).await? {
        return Err(Error::conflict(
            "already_moderator",
            format!("`{}` moderates this community already.", person.name),
        ));
    }
    // A banned person who becomes a moderator is no longer banned: logged and told like any
    // unban.
    if hearth_db::moderation::unban(&mut *tx, community.id, person.id).await? {
        let entry = NewModLogEntry {
            moderator_id: Some(viewer.person_id),
            target_person_id: Some(person.id),
            ..NewModLogEntry::new(community.id, ModAction::Unban)
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        let event = crate::outbox::Event::Banned {
            community_id: community.id,
            person_id: person.id,
            moderator_id: viewer.person_id,
            banned: false,
            reason: String::new(),
            expires_at: None,
            remove_data: false,
        };
        crate::outbox::record(ctx, &mut tx, event).await?;
    }
    changed(ctx, &mut tx, viewer, community.id, person.id, true).await?;
    tx.commit().await?;
    tracing::info!(person = person.id, "moderator added");
    Ok(hearth_db::moderator::list(&ctx.pool, community.id).await?)
}

/// Removes a moderator; a community always keeps at least one. Moderators are ranked by
/// seniority, as on Lemmy: a moderator may remove themselves and those added after them, never
/// those added before; admins may remove anyone.
#[tracing::instrument(skip_all, fields(community = %reference, user = %user))]
pub async fn remove(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    user: &str,
) -> Result<Vec<ModeratorRow>> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    let person = users::find(ctx, user, "user").await?;
    let mut tx = ctx.pool.begin().await?;
    let remover = Remover {
        person_id: viewer.person_id,
        admin: viewer.admin,
    };
    check_removal(&mut tx, community.id, remover, person.id, &person.name).await?;
    hearth_db::moderator::remove(&mut *tx, community.id, person.id).await?;
    changed(ctx, &mut tx, viewer, community.id, person.id, false).await?;
    tx.commit().await?;
    tracing::info!(person = person.id, "moderator removed");
    Ok(hearth_db::moderator::list(&ctx.pool, community.id).await?)
}

/// Who is taking a moderator off a community.
#[derive(Debug, Clone, Copy)]
pub struct Remover {
    /// Their person id.
    pub person_id: i64,
    /// An admin of this instance (who may remove anyone from its communities).
    pub admin: bool,
}

/// The seniority rule, as on Lemmy, for everyone who removes a moderator (here, or through our
/// inbox from another server): a moderator may remove themselves and those added after them,
/// never those added before; admins may remove anyone; a community keeps at least one
/// moderator. Run in the transaction of the removal: it locks the community's moderator rows.
pub async fn check_removal(
    conn: &mut sqlx::PgConnection,
    community_id: i64,
    remover: Remover,
    target_id: i64,
    target_name: &str,
) -> Result<()> {
    let count = hearth_db::moderator::count_for_update(&mut *conn, community_id).await?;
    let Some(target_since) =
        hearth_db::moderator::since(&mut *conn, community_id, target_id).await?
    else {
        return Err(Error::not_found(format!(
            "`{target_name}` does not moderate this community."
        )));
    };
    let remover_since =
        hearth_db::moderator::since(&mut *conn, community_id, remover.person_id).await?;
    let outranked = remover_since.is_some_and(|since| since > target_since);
    if !remover.admin && outranked {
        return Err(Error::forbidden(
            "outranked",
            format!("`{target_name}` became a moderator before you did."),
        ));
    }
    if count <= 1 {
        return Err(Error::conflict(
            "last_moderator",
            "A community needs at least one moderator; add another before removing this one.",
        ));
    }
    Ok(())
}

/// Logs a change of moderators and tells other servers.
async fn changed(
    ctx: &ServiceContext,
    tx: &mut sqlx::PgConnection,
    viewer: &Viewer,
    community_id: i64,
    person_id: i64,
    added: bool,
) -> Result<()> {
    let action = if added {
        ModAction::AddModerator
    } else {
        ModAction::RemoveModerator
    };
    let entry = NewModLogEntry {
        moderator_id: Some(viewer.person_id),
        target_person_id: Some(person_id),
        ..NewModLogEntry::new(community_id, action)
    };
    hearth_db::moderation::log(&mut *tx, &entry).await?;
    let event = crate::outbox::Event::ModeratorChanged {
        community_id,
        person_id,
        moderator_id: viewer.person_id,
        added,
    };
    crate::outbox::record(ctx, tx, event).await
}
