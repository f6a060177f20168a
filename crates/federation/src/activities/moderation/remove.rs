//! A moderator removes or restores a post or comment: received as a `Delete` with a `summary`
//! (or by anyone but the author) and its `Undo`, and sent the same way (both in
//! `content::delete`). The removal is judged against the community the content lives in.

use super::{Standing, reason, standing};
use crate::activities::{Context, Target};
use crate::received::InboxError;
use hearth_db::community::CommunityRow;
use hearth_db::moderation::{ModAction, NewModLogEntry};
use url::Url;

/// A removal (or restoration) that passed its checks.
pub(crate) struct Removal {
    target: Target,
    community: CommunityRow,
    removed: bool,
    reason: String,
    standing: Standing,
}

impl Removal {
    /// Checks that `actor` may remove (or restore) `target` in its own `community`.
    pub(crate) async fn verify(
        actor: &Url,
        target: Target,
        community: CommunityRow,
        removed: bool,
        summary: String,
        cx: &Context<'_>,
    ) -> Result<Option<Self>, InboxError> {
        let Some(standing) = standing(actor, &community, cx).await? else {
            return Ok(None);
        };
        Ok(Some(Self {
            target,
            community,
            removed,
            reason: reason(Some(&summary)),
            standing,
        }))
    }

    /// Removes or restores, logs it, and announces it in our community.
    pub(crate) async fn apply(
        self,
        tx: &mut sqlx::PgConnection,
        actor: &Url,
        cx: &Context<'_>,
    ) -> Result<(), InboxError> {
        let removed = self.removed;
        let (changed, entry) = match &self.target {
            Target::Post(post) => (
                hearth_db::moderation::set_post_removed(&mut *tx, post.id, removed).await?,
                NewModLogEntry {
                    moderator_id: self.standing.moderator_id,
                    target_person_id: Some(post.author_id),
                    target_post_id: Some(post.id),
                    reason: &self.reason,
                    ..NewModLogEntry::new(
                        self.community.id,
                        if removed {
                            ModAction::RemovePost
                        } else {
                            ModAction::RestorePost
                        },
                    )
                },
            ),
            Target::Comment(comment, post) => (
                hearth_db::moderation::set_comment_removed(&mut *tx, comment.id, removed).await?,
                NewModLogEntry {
                    moderator_id: self.standing.moderator_id,
                    target_person_id: Some(comment.author_id),
                    target_post_id: Some(post.id),
                    target_comment_id: Some(comment.id),
                    reason: &self.reason,
                    ..NewModLogEntry::new(
                        self.community.id,
                        if removed {
                            ModAction::RemoveComment
                        } else {
                            ModAction::RestoreComment
                        },
                    )
                },
            ),
        };
        if changed {
            hearth_db::moderation::log(&mut *tx, &entry).await?;
            cx.relay(tx, &self.community, actor, self.standing.announce)
                .await?;
        }
        Ok(())
    }
}
