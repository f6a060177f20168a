//! Reports: anyone signed in flags a post or comment to its community's moderators, wherever
//! they are; moderators resolve or dismiss them.

use crate::auth::Viewer;
use crate::outbox::{self, Event};
use crate::{ServiceContext, can_moderate, communities};
use hearth_core::{Error, Result};
use hearth_db::report::{NewReport, ReportRow};

/// What is reported.
#[derive(Debug, Clone, Copy)]
pub enum Reported {
    /// A post.
    Post(i64),
    /// A comment.
    Comment(i64),
}

/// Files a report (signed-in users). The reason is required: 1–1,000 characters.
#[tracing::instrument(skip_all, fields(reporter = viewer.person_id))]
pub async fn create(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reported: Reported,
    reason: &str,
) -> Result<ReportRow> {
    let reason = reason.trim();
    let len = reason.chars().count();
    if len == 0 || len > crate::moderation::MAX_REASON {
        return Err(Error::validation("reason", "must be 1 to 1000 characters"));
    }
    let (post_id, comment_id) = match reported {
        Reported::Post(id) => (id, None),
        Reported::Comment(id) => {
            let comment = hearth_db::comment::facts(&ctx.pool, id)
                .await?
                .ok_or_else(|| Error::not_found("There is no comment with this id."))?;
            (comment.post_id, Some(id))
        }
    };
    let post = hearth_db::post::facts(&ctx.pool, post_id)
        .await?
        .ok_or_else(|| Error::not_found("There is no post with this id."))?;
    crate::rate_limit::check(
        ctx,
        crate::rate_limit::Action::Comment,
        &viewer.person_id.to_string(),
    )
    .await?;
    let ap_id = format!(
        "{}/activities/flag/{}",
        ctx.settings.public_base_url(),
        uuid::Uuid::new_v4()
    );
    let mut tx = ctx.pool.begin().await?;
    let id = hearth_db::report::insert(
        &mut *tx,
        &NewReport {
            ap_id: &ap_id,
            reporter_id: Some(viewer.person_id),
            community_id: post.community_id,
            post_id: Some(post_id),
            comment_id,
            reason,
        },
    )
    .await?
    .ok_or_else(|| Error::conflict("duplicate", "This report exists already."))?;
    outbox::record(ctx, &mut tx, Event::ReportFiled(id)).await?;
    crate::mail::new_report(ctx, &mut tx, viewer.person_id, post_id, reason).await?;
    tx.commit().await?;
    get(ctx, id).await
}

async fn get(ctx: &ServiceContext, id: i64) -> Result<ReportRow> {
    hearth_db::report::find(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no report with this id."))
}

/// Reports for the viewer to act on, newest first: of the communities they moderate (admins:
/// all), optionally one community and one status (`pending`, `resolved`, `dismissed`).
pub async fn list(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: Option<&str>,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<ReportRow>> {
    if let Some(status) = status
        && !matches!(status, "pending" | "resolved" | "dismissed")
    {
        return Err(Error::validation(
            "status",
            "must be `pending`, `resolved` or `dismissed`",
        ));
    }
    let community_id = match community {
        Some(reference) => {
            let community = communities::find(ctx, reference).await?;
            if !viewer.admin {
                can_moderate(ctx, viewer, community.id).await?;
            }
            Some(community.id)
        }
        None => None,
    };
    crate::require_staff_second_factor_anywhere(ctx, viewer).await?;
    let moderator = (!viewer.admin).then_some(viewer.person_id);
    Ok(hearth_db::report::list(&ctx.pool, moderator, community_id, status, before, limit).await?)
}

/// The longest note on a decision.
pub const MAX_NOTE: usize = 1000;

/// Resolves (`resolved`) or dismisses a report (its community's moderators; admins), with an
/// optional note (kept here, at most 1,000 characters; a decision without one keeps the last).
#[tracing::instrument(skip_all, fields(report = id, resolved))]
pub async fn decide(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    resolved: bool,
    note: Option<&str>,
) -> Result<ReportRow> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(Error::validation(
            "note",
            format!("must be at most {MAX_NOTE} characters"),
        ));
    }
    let report = get(ctx, id).await?;
    // Admins see every report here (the content may be ours), so they may decide them too; for
    // another server's community their decision stays here (only its moderators speak for it).
    let moderator =
        hearth_db::moderator::is_moderator(&ctx.pool, report.community_id, viewer.person_id)
            .await?;
    let allowed = viewer.admin || moderator;
    let federate = moderator || report.community_local;
    if !allowed {
        return Err(Error::forbidden(
            "not_moderator",
            "Only the community's moderators may decide this report.",
        ));
    }
    crate::require_staff_second_factor(viewer)?;
    let status = if resolved { "resolved" } else { "dismissed" };
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::report::decide(&mut *tx, id, status, Some(viewer.person_id)).await? && federate {
        let event = Event::ReportDecided {
            report_id: id,
            moderator_id: viewer.person_id,
            resolved,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    if let Some(note) = note {
        hearth_db::report::set_resolution_note(&mut *tx, id, note).await?;
    }
    tx.commit().await?;
    get(ctx, id).await
}
