//! Rules shared by posts and comments: who may write in a community, and the checks on the
//! fields people type.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Error, Result};
use hearth_db::community::{CommunityRow, Visibility};
use hearth_db::membership::MemberState;
use hearth_db::moderation::Standing;
use hearth_db::post::PostRow;

/// Refuses a write into `community` by `viewer` when they are banned from it, when the community
/// restricts posting to its moderators (`mods_only`), or when it admits only approved members.
pub(crate) async fn may_write(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
    mods_only: bool,
) -> Result<()> {
    refuse_removed(ctx, community).await?;
    // Moderator, banned and member in one read: every applied comment and vote asks.
    let standing =
        hearth_db::moderation::standing(&ctx.pool, community.id, viewer.person_id).await?;
    judge_standing(viewer, community, &standing, mods_only)
}

/// The part of `may_write` that needs no database: where the writer stands (read one at a
/// time, or for a batch of writers at once) against the community's rules.
fn judge_standing(
    viewer: &Viewer,
    community: &CommunityRow,
    standing: &Standing,
    mods_only: bool,
) -> Result<()> {
    let moderator = admin_moderates(viewer, community) || standing.moderator;
    if !moderator && standing.banned {
        return Err(Error::forbidden(
            "banned_from_community",
            "You are banned from this community.",
        ));
    }
    if mods_only && community.posting_restricted_to_mods && !moderator {
        return Err(Error::forbidden(
            "posting_restricted",
            "Only moderators may post in this community.",
        ));
    }
    if community.visibility == Visibility::Approval
        && !moderator
        && standing.member != Some(MemberState::Joined)
    {
        return Err(Error::forbidden(
            "not_member",
            "This community approves its members; join it before writing here.",
        ));
    }
    Ok(())
}

/// Refuses anything new in a community an admin removed (until it is restored). The row says
/// whether it is; only then is the reason read, so the writing paths pay no query for it.
pub async fn refuse_removed(ctx: &ServiceContext, community: &CommunityRow) -> Result<()> {
    if !community.removed {
        return Ok(());
    }
    match hearth_db::community_removal::reason(&ctx.pool, community.id).await? {
        Some(reason) => Err(Error::forbidden(
            "community_removed",
            if reason.is_empty() {
                "An administrator removed this community.".to_owned()
            } else {
                format!("An administrator removed this community: {reason}")
            },
        )),
        None => Ok(()),
    }
}

/// Refuses a new post in `community` by `viewer`: banned, posting restricted to moderators, or
/// not a member of a community that approves its members.
pub async fn may_post(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
) -> Result<()> {
    may_write(ctx, viewer, community, true).await
}

/// Refuses an edit of one's own comment in `community`: banned since, or no longer a member of
/// a community that approves its members.
pub async fn may_edit(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
) -> Result<()> {
    may_write(ctx, viewer, community, false).await
}

/// What the comment rules need to know of the post a comment answers.
#[derive(Debug, Clone, Copy)]
pub struct Thread {
    /// Deleted by its author or removed by a moderator.
    pub gone: bool,
    /// Locked by a moderator.
    pub locked: bool,
}

/// Refuses a new comment in a thread: the post is gone, or locked (moderators may still
/// answer), or the writer may not write in the community.
pub async fn may_comment(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
    thread: Thread,
) -> Result<()> {
    if thread.gone {
        return Err(Error::forbidden(
            "deleted",
            "This post has been deleted; it takes no new comments.",
        ));
    }
    if thread.locked && !is_moderator(ctx, viewer, community).await? {
        return Err(Error::forbidden(
            "locked",
            "This post is locked; it takes no new comments.",
        ));
    }
    may_write(ctx, viewer, community, false).await
}

/// Refuses a vote (`score` 1 or -1; taking a vote back, 0, is always allowed): the content is
/// gone, the voter may not write in the community, or downvotes are switched off here.
pub async fn may_vote(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
    gone: bool,
    score: i16,
) -> Result<()> {
    if score == 0 {
        return Ok(());
    }
    let standing =
        hearth_db::moderation::standing(&ctx.pool, community.id, viewer.person_id).await?;
    let downvotes_enabled = score > 0 || hearth_db::site::get(&ctx.pool).await?.downvotes_enabled;
    may_vote_standing(
        ctx,
        viewer,
        community,
        gone,
        score,
        &standing,
        downvotes_enabled,
    )
    .await
}

/// `may_vote` for a vote whose voter's standing in the community (`standing`) and whether this
/// instance takes downvotes (`downvotes_enabled`) were read beforehand, as a batch of received
/// votes reads them for all its votes at once.
pub async fn may_vote_standing(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
    gone: bool,
    score: i16,
    standing: &Standing,
    downvotes_enabled: bool,
) -> Result<()> {
    if score == 0 {
        return Ok(());
    }
    if gone {
        return Err(deleted());
    }
    refuse_removed(ctx, community).await?;
    judge_standing(viewer, community, standing, false)?;
    if score < 0 && !downvotes_enabled {
        return Err(downvotes_disabled());
    }
    Ok(())
}

fn deleted() -> Error {
    Error::forbidden("deleted", "This content has been deleted.")
}

fn downvotes_disabled() -> Error {
    Error::forbidden(
        "downvotes_disabled",
        "This instance does not accept downvotes.",
    )
}

/// One post as the viewer sees it; 404 when there is none. Posts, events and polls read a
/// post by id through here (`posts::get` for everyone else).
pub async fn post(ctx: &ServiceContext, viewer: Option<&Viewer>, id: i64) -> Result<PostRow> {
    let viewer_id = viewer.map(|v| v.person_id);
    ctx.read(viewer, |db| async move {
        hearth_db::post::find(&db, id, viewer_id).await
    })
    .await?
    .ok_or_else(|| Error::not_found("There is no post with this id."))
}

/// Whether `viewer` moderates `community` (admins moderate this instance's communities).
pub async fn is_moderator(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community: &CommunityRow,
) -> Result<bool> {
    Ok(admin_moderates(viewer, community)
        || hearth_db::moderator::is_moderator(&ctx.pool, community.id, viewer.person_id).await?)
}

/// Admins moderate every community of this instance (not those of other servers).
fn admin_moderates(viewer: &Viewer, community: &CommunityRow) -> bool {
    viewer.admin && community.local
}

/// Checks a markdown body's length (`min` characters after trimming, at most `max`).
pub fn body(raw: &str, field: &str, min: usize, max: usize) -> Result<String> {
    let len = raw.trim().chars().count();
    if len < min {
        return Err(Error::validation(field, "must not be empty"));
    }
    if raw.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(raw.to_owned())
}

/// Checks a post title: 1–200 characters, one line.
pub fn title(raw: &str) -> Result<String> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(Error::validation(
            "title",
            "must be 1 to 200 characters long",
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(Error::validation(
            "title",
            "must be one line without control characters",
        ));
    }
    Ok(title.to_owned())
}

/// Checks a link: an absolute http or https URL of at most 2000 characters.
pub fn link(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.chars().count() > 2000 {
        return Err(Error::validation("url", "must be at most 2000 characters"));
    }
    let parsed = url::Url::parse(raw).map_err(|_| Error::validation("url", "is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::validation("url", "must be an http or https link"));
    }
    Ok(parsed.to_string())
}

/// Checks a language tag such as `en` or `pt-BR` (BCP 47 shape, at most 35 characters).
pub fn language(raw: &str) -> Result<String> {
    let tag = raw.trim();
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if !primary_ok || !rest_ok || tag.len() > 35 {
        return Err(Error::validation(
            "language",
            "must be a language tag such as `en` or `pt-BR`",
        ));
    }
    Ok(tag.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_be_http_or_https() {
        assert_eq!(
            link("https://example.org/a b").unwrap(),
            "https://example.org/a%20b"
        );
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://example.org",
            "example.org",
            "http://",
        ] {
            assert!(link(bad).is_err(), "{bad}");
        }
        assert!(link(&format!("https://example.org/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn language_tags_are_checked() {
        assert!(
            language("en").is_ok() && language("pt-BR").is_ok() && language("zh-Hant-TW").is_ok()
        );
        assert!(
            language("english").is_err() && language("e").is_err() && language("en_US").is_err()
        );
    }

    #[test]
    fn titles_are_one_trimmed_line() {
        assert_eq!(title("  Hello  ").unwrap(), "Hello");
        assert!(title("").is_err() && title("a\nb").is_err() && title(&"x".repeat(201)).is_err());
    }
}
