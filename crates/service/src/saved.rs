//! Saved posts and comments, and read marks: each person's private bookmarks, as Lemmy and
//! Reddit users know them. Nothing here is federated or shown to anyone else.
//!
//! Saving follows reading: what the viewer cannot read (no such item, deleted or removed) is
//! 404 as `posts::get` answers. A ban from the community does not stop saving, since saving
//! changes nothing anyone else sees. Unsaving always works for an item that exists, so a post
//! removed after it was saved can still be taken off the list.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Error, Result};
use hearth_db::comment::CommentRow;
use hearth_db::post::PostRow;
use hearth_db::saved::SavedCursor;
use std::collections::HashSet;

/// The most post ids one `mark_posts_read` call takes.
pub const MAX_READ_BATCH: usize = 100;

/// Which posts of a list the person saved and which they read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostMarks {
    /// Ids of the saved posts.
    pub saved: HashSet<i64>,
    /// Ids of the read posts.
    pub read: HashSet<i64>,
}

fn no_post() -> Error {
    Error::not_found("There is no post with this id.")
}

fn no_comment() -> Error {
    Error::not_found("There is no comment with this id.")
}

/// Saves or unsaves a post the viewer can see (404 as `posts::get` answers otherwise; saving a
/// deleted or removed post is 404 too). Idempotent: saving twice keeps the first time.
#[tracing::instrument(skip_all, fields(person = viewer.person_id, post = post_id, save))]
pub async fn save_post(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    save: bool,
) -> Result<()> {
    let post = hearth_db::post::facts(&ctx.pool, post_id)
        .await?
        .ok_or_else(no_post)?;
    if save {
        if post.deleted || post.removed {
            return Err(no_post());
        }
        hearth_db::saved::save_post(&ctx.pool, viewer.person_id, post_id).await?;
    } else {
        hearth_db::saved::unsave_post(&ctx.pool, viewer.person_id, post_id).await?;
    }
    Ok(())
}

/// Saves or unsaves a comment, by the same rules as `save_post`.
#[tracing::instrument(skip_all, fields(person = viewer.person_id, comment = comment_id, save))]
pub async fn save_comment(
    ctx: &ServiceContext,
    viewer: &Viewer,
    comment_id: i64,
    save: bool,
) -> Result<()> {
    let comment = hearth_db::comment::facts(&ctx.pool, comment_id)
        .await?
        .ok_or_else(no_comment)?;
    if save {
        if comment.deleted || comment.removed {
            return Err(no_comment());
        }
        hearth_db::saved::save_comment(&ctx.pool, viewer.person_id, comment_id).await?;
    } else {
        hearth_db::saved::unsave_comment(&ctx.pool, viewer.person_id, comment_id).await?;
    }
    Ok(())
}

/// Marks posts read or unread for the viewer: at most `MAX_READ_BATCH` ids per call (a 400
/// validation error beyond); ids of posts that do not exist are ignored. One statement.
#[tracing::instrument(skip_all, fields(person = viewer.person_id, posts = post_ids.len(), read))]
pub async fn mark_posts_read(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_ids: &[i64],
    read: bool,
) -> Result<()> {
    if post_ids.len() > MAX_READ_BATCH {
        return Err(Error::validation(
            "post_ids",
            format!("at most {MAX_READ_BATCH} posts at a time"),
        ));
    }
    if post_ids.is_empty() {
        return Ok(());
    }
    if read {
        hearth_db::saved::mark_read(&ctx.pool, viewer.person_id, post_ids).await?;
    } else {
        hearth_db::saved::mark_unread(&ctx.pool, viewer.person_id, post_ids).await?;
    }
    Ok(())
}

/// Which of these posts the person saved and which they read: one query for the whole list.
pub async fn post_marks(
    ctx: &ServiceContext,
    person_id: i64,
    post_ids: &[i64],
) -> Result<PostMarks> {
    let mut marks = PostMarks::default();
    if post_ids.is_empty() {
        return Ok(marks);
    }
    for mark in hearth_db::saved::post_marks(&ctx.pool, person_id, post_ids).await? {
        if mark.saved {
            marks.saved.insert(mark.post_id);
        }
        if mark.read {
            marks.read.insert(mark.post_id);
        }
    }
    Ok(marks)
}

/// Which of these comments the person saved: one query for the whole list.
pub async fn saved_comment_ids(
    ctx: &ServiceContext,
    person_id: i64,
    comment_ids: &[i64],
) -> Result<HashSet<i64>> {
    if comment_ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(
        hearth_db::saved::saved_comment_ids(&ctx.pool, person_id, comment_ids)
            .await?
            .into_iter()
            .collect(),
    )
}

/// One page of the viewer's saved posts, most recently saved first, and the cursor of the
/// next page (`None` on the last). Deleted and removed posts stay listed (their views are
/// blanked) so that they can be unsaved.
pub async fn saved_posts(
    ctx: &ServiceContext,
    viewer: &Viewer,
    after: Option<SavedCursor>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<SavedCursor>)> {
    let mut rows =
        hearth_db::saved::saved_posts(&ctx.pool, viewer.person_id, after, limit + 1).await?;
    let next = crate::paging::cut(&mut rows, limit).map(|last| SavedCursor {
        saved_at: last.saved_at,
        id: last.post.id,
    });
    Ok((rows.into_iter().map(|row| row.post).collect(), next))
}

/// One page of the viewer's saved comments, most recently saved first, and the cursor of the
/// next page.
pub async fn saved_comments(
    ctx: &ServiceContext,
    viewer: &Viewer,
    after: Option<SavedCursor>,
    limit: i64,
) -> Result<(Vec<CommentRow>, Option<SavedCursor>)> {
    let mut rows =
        hearth_db::saved::saved_comments(&ctx.pool, viewer.person_id, after, limit + 1).await?;
    let next = crate::paging::cut(&mut rows, limit).map(|last| SavedCursor {
        saved_at: last.saved_at,
        id: last.comment.id,
    });
    Ok((rows.into_iter().map(|row| row.comment).collect(), next))
}

/// A saved-list cursor as the API and the pages write it: `<microseconds>_<id>`, the shape of
/// the other cursors (clients treat it as opaque).
pub fn encode_cursor(cursor: SavedCursor) -> String {
    format!("{}_{}", cursor.saved_at.timestamp_micros(), cursor.id)
}

/// Reads a cursor made by `encode_cursor` (`None` for an absent or empty one).
pub fn decode_cursor(raw: Option<&str>) -> Result<Option<SavedCursor>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let invalid = || Error::validation("cursor", "is not a cursor this server gave out");
    let (micros, id) = raw.split_once('_').ok_or_else(invalid)?;
    let micros: i64 = micros.parse().map_err(|_| invalid())?;
    Ok(Some(SavedCursor {
        saved_at: chrono::DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?,
        id: id.parse().map_err(|_| invalid())?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_field_error() {
        let cursor = SavedCursor {
            saved_at: chrono::DateTime::from_timestamp_micros(1_764_676_800_123_456).unwrap(),
            id: 42,
        };
        assert_eq!(
            decode_cursor(Some(&encode_cursor(cursor))).unwrap(),
            Some(cursor)
        );
        assert_eq!(decode_cursor(Some("")).unwrap(), None);
        for garbage in ["x", "1_x", "x_1", "99999999999999999999_1"] {
            let err = decode_cursor(Some(garbage)).unwrap_err();
            assert_eq!(err.kind.code(), "invalid_field", "{garbage}");
        }
    }
}
