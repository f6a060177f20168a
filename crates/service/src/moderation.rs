//! What moderators do to a community's content and members: remove and restore posts and
//! comments, lock and pin posts, ban and unban people, and the public mod log that records it
//! all. Every action is told to other servers (through the outbox) and logged.

use crate::auth::Viewer;
use crate::outbox::{self, Event};
use crate::{ServiceContext, can_moderate, communities, users};
use chrono::{DateTime, Utc};
use hearth_core::{Error, Result};
use hearth_db::comment::CommentRow;
use hearth_db::moderation::{ModAction, ModLogRow, NewModLogEntry};
use hearth_db::post::PostRow;

/// The longest reason accepted.
pub const MAX_REASON: usize = 1000;

fn reason(raw: Option<&str>) -> Result<String> {
    let reason = raw.unwrap_or("").trim();
    if reason.chars().count() > MAX_REASON {
        return Err(Error::validation(
            "reason",
            format!("must be at most {MAX_REASON} characters"),
        ));
    }
    Ok(reason.to_owned())
}

async fn post_facts(ctx: &ServiceContext, id: i64) -> Result<hearth_db::post::PostFacts> {
    hearth_db::post::facts(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no post with this id."))
}

/// Whether the viewer may remove content of the community, and whether the removal is
/// federated: moderators act for the community (federated); this instance's admins may also
/// remove content of other servers' communities from this instance only.
async fn may_remove(ctx: &ServiceContext, viewer: &Viewer, community_id: i64) -> Result<bool> {
    match can_moderate(ctx, viewer, community_id).await {
        Ok(()) => Ok(true),
        // An admin who may not moderate here still removes from this instance, unless the site
        // wants a second factor they lack.
        Err(_) if viewer.admin => crate::require_staff_second_factor(viewer).map(|()| false),
        Err(e) => Err(e),
    }
}

/// Removes a post (`removed`) or restores it, with a reason (moderators; admins remove content
/// of remote communities from this instance only).
#[tracing::instrument(skip_all, fields(post = id, removed))]
pub async fn remove_post(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    removed: bool,
    why: Option<&str>,
) -> Result<PostRow> {
    let why = reason(why)?;
    let post = post_facts(ctx, id).await?;
    let federate = may_remove(ctx, viewer, post.community_id).await?;
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::moderation::set_post_removed(&mut *tx, id, removed).await? {
        let action = if removed {
            ModAction::RemovePost
        } else {
            ModAction::RestorePost
        };
        let entry = NewModLogEntry {
            moderator_id: Some(viewer.person_id),
            target_person_id: Some(post.author_id),
            target_post_id: Some(id),
            reason: &why,
            ..NewModLogEntry::new(post.community_id, action)
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        if federate {
            let event = Event::PostRemoved {
                post_id: id,
                moderator_id: viewer.person_id,
                removed,
                reason: why,
            };
            outbox::record(ctx, &mut tx, event).await?;
        }
    }
    tx.commit().await?;
    crate::posts::get(ctx, Some(viewer), id).await
}

/// Removes a comment or restores it, with a reason (moderators).
#[tracing::instrument(skip_all, fields(comment = id, removed))]
pub async fn remove_comment(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    removed: bool,
    why: Option<&str>,
) -> Result<CommentRow> {
    let why = reason(why)?;
    let comment = hearth_db::comment::facts(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no comment with this id."))?;
    let post = post_facts(ctx, comment.post_id).await?;
    let federate = may_remove(ctx, viewer, post.community_id).await?;
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::moderation::set_comment_removed(&mut *tx, id, removed).await? {
        let action = if removed {
            ModAction::RemoveComment
        } else {
            ModAction::RestoreComment
        };
        let entry = NewModLogEntry {
            moderator_id: Some(viewer.person_id),
            target_person_id: Some(comment.author_id),
            target_post_id: Some(post.id),
            target_comment_id: Some(id),
            reason: &why,
            ..NewModLogEntry::new(post.community_id, action)
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        if federate {
            let event = Event::CommentRemoved {
                comment_id: id,
                moderator_id: viewer.person_id,
                removed,
                reason: why,
            };
            outbox::record(ctx, &mut tx, event).await?;
        }
    }
    tx.commit().await?;
    crate::comments::get(ctx, Some(viewer), id).await
}

/// Locks a post (no new comments, from anyone, anywhere) or unlocks it (moderators).
#[tracing::instrument(skip_all, fields(post = id, locked))]
pub async fn lock_post(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    locked: bool,
) -> Result<PostRow> {
    let post = post_facts(ctx, id).await?;
    can_moderate(ctx, viewer, post.community_id).await?;
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::moderation::set_locked(&mut *tx, id, locked).await? {
        let action = if locked {
            ModAction::LockPost
        } else {
            ModAction::UnlockPost
        };
        let entry = NewModLogEntry {
            moderator_id: Some(viewer.person_id),
            target_post_id: Some(id),
            ..NewModLogEntry::new(post.community_id, action)
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        let event = Event::PostLocked {
            post_id: id,
            moderator_id: viewer.person_id,
            locked,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    crate::posts::get(ctx, Some(viewer), id).await
}

/// Pins a post to the top of its community, or unpins it (moderators).
#[tracing::instrument(skip_all, fields(post = id, featured))]
pub async fn pin_post(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    featured: bool,
) -> Result<PostRow> {
    let post = post_facts(ctx, id).await?;
    can_moderate(ctx, viewer, post.community_id).await?;
    if featured && (post.deleted || post.removed) {
        return Err(Error::forbidden(
            "deleted",
            "A deleted or removed post cannot be pinned.",
        ));
    }
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::moderation::set_featured(&mut *tx, id, featured).await? {
        let action = if featured {
            ModAction::PinPost
        } else {
            ModAction::UnpinPost
        };
        let entry = NewModLogEntry {
            moderator_id: Some(viewer.person_id),
            target_post_id: Some(id),
            ..NewModLogEntry::new(post.community_id, action)
        };
        hearth_db::moderation::log(&mut *tx, &entry).await?;
        let event = Event::PostFeatured {
            post_id: id,
            moderator_id: viewer.person_id,
            featured,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    crate::posts::get(ctx, Some(viewer), id).await
}

/// What banning takes.
#[derive(Debug, Clone, Default)]
pub struct BanForm {
    /// `name` or `name@host`.
    pub user: String,
    /// Why.
    pub reason: Option<String>,
    /// Until when; `None` until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Also remove everything they wrote in the community.
    pub remove_data: bool,
}

/// Refuses a community ban of one of its moderators, whoever asks (here or through our inbox):
/// they are removed as moderator first, under the seniority rule.
pub async fn may_ban(ctx: &ServiceContext, community_id: i64, person_id: i64) -> Result<()> {
    if hearth_db::moderator::is_moderator(&ctx.pool, community_id, person_id).await? {
        return Err(Error::forbidden(
            "is_moderator",
            "Moderators cannot be banned; remove them as moderator first.",
        ));
    }
    Ok(())
}

/// Bans a person from a community (moderators): their posts, comments and votes there are
/// refused here and on every server that learns of the ban.
#[tracing::instrument(skip_all, fields(community = %reference, user = %form.user))]
pub async fn ban(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    form: BanForm,
) -> Result<()> {
    let why = reason(form.reason.as_deref())?;
    if form.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(Error::validation("expires_at", "must be in the future"));
    }
    let community = communities::find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    let person = users::find(ctx, &form.user, "user").await?;
    if person.id == viewer.person_id {
        return Err(Error::validation("user", "cannot be yourself"));
    }
    may_ban(ctx, community.id, person.id).await?;
    let mut tx = ctx.pool.begin().await?;
    hearth_db::moderation::ban(
        &mut *tx,
        community.id,
        person.id,
        &why,
        form.expires_at,
        Some(viewer.person_id),
    )
    .await?;
    if form.remove_data {
        hearth_db::moderation::remove_person_content(&mut tx, community.id, person.id).await?;
    }
    let entry = NewModLogEntry {
        moderator_id: Some(viewer.person_id),
        target_person_id: Some(person.id),
        reason: &why,
        expires_at: form.expires_at,
        ..NewModLogEntry::new(community.id, ModAction::Ban)
    };
    hearth_db::moderation::log(&mut *tx, &entry).await?;
    let event = Event::Banned {
        community_id: community.id,
        person_id: person.id,
        moderator_id: viewer.person_id,
        banned: true,
        reason: why,
        expires_at: form.expires_at,
        remove_data: form.remove_data,
    };
    outbox::record(ctx, &mut tx, event).await?;
    tx.commit().await?;
    tracing::info!(person = person.id, "banned from the community");
    Ok(())
}

/// Lifts a ban (moderators).
#[tracing::instrument(skip_all, fields(community = %reference, user = %user))]
pub async fn unban(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    user: &str,
) -> Result<()> {
    let community = communities::find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    let person = users::find(ctx, user, "user").await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::moderation::unban(&mut *tx, community.id, person.id).await? {
        return Err(Error::not_found(format!(
            "`{}` is not banned from this community.",
            person.name
        )));
    }
    let entry = NewModLogEntry {
        moderator_id: Some(viewer.person_id),
        target_person_id: Some(person.id),
        ..NewModLogEntry::new(community.id, ModAction::Unban)
    };
    hearth_db::moderation::log(&mut *tx, &entry).await?;
    let event = Event::Banned {
        community_id: community.id,
        person_id: person.id,
        moderator_id: viewer.person_id,
        banned: false,
        reason: String::new(),
        expires_at: None,
        remove_data: false,
    };
    outbox::record(ctx, &mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Why a post was last removed, for those who may see it (`None`: no reason was given).
pub async fn post_removal_reason(ctx: &ServiceContext, post_id: i64) -> Result<Option<String>> {
    Ok(hearth_db::moderation::post_removal_reason(&ctx.pool, post_id).await?)
}

/// Why each of these comments was last removed, as (comment id, reason).
pub async fn comment_removal_reasons(
    ctx: &ServiceContext,
    comment_ids: &[i64],
) -> Result<Vec<(i64, String)>> {
    Ok(hearth_db::moderation::comment_removal_reasons(&ctx.pool, comment_ids).await?)
}

/// Parses the mod log's `action` filter: one of the actions it records.
pub fn parse_action(raw: &str) -> Result<ModAction> {
    raw.parse().map_err(|_| {
        let names: Vec<&str> = ModAction::ALL.into_iter().map(ModAction::as_str).collect();
        Error::validation("action", format!("must be one of {}", names.join(", ")))
    })
}

/// The public mod log, newest first, filtered by community, moderator and action.
pub async fn log(
    ctx: &ServiceContext,
    community: Option<&str>,
    moderator: Option<&str>,
    action: Option<ModAction>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ModLogRow>> {
    let community_id = match community {
        Some(c) => Some(communities::find(ctx, c).await?.id),
        None => None,
    };
    let moderator_id = match moderator {
        Some(m) => Some(users::find(ctx, m, "moderator").await?.id),
        None => None,
    };
    Ok(
        hearth_db::moderation::list(&ctx.pool, community_id, moderator_id, action, before, limit)
            .await?,
    )
}
