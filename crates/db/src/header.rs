//! What the page header shows a signed-in person, read in one round trip per page: their unread
//! notifications (with the same block rules as the list), whether they moderate anything, the
//! reports waiting for them, and their avatar.

use sqlx::PgExecutor;

/// The numbers behind the header's bell and moderation badge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCounts {
    /// Unread notifications.
    pub unread_notifications: i64,
    /// Whether the person moderates at least one community.
    pub moderates: bool,
    /// Pending reports of the communities they moderate (every pending report, for admins).
    pub open_reports: i64,
    /// Their avatar's URL, when they have one.
    pub avatar_url: Option<String>,
}

/// The header's numbers for `person_id` (`admin`: whether they administer the instance).
pub async fn counts(
    db: impl PgExecutor<'_>,
    person_id: i64,
    admin: bool,
) -> sqlx::Result<HeaderCounts> {
    let row = sqlx::query!(
        r#"select
             (select count(*) from notification n
              where n.recipient_id = $1 and not n.read
                and not exists (select 1 from person_block b
                                where b.person_id = $1 and b.target_id = n.actor_id)
                and not exists (select 1 from community_block b
                                where b.person_id = $1 and b.community_id = n.community_id))
                 as "unread!",
             exists (select 1 from community_moderator where person_id = $1) as "moderates!",
             (select count(*) from report r
              where r.status = 'pending'
                and ($2 or exists (select 1 from community_moderator m
                                   where m.community_id = r.community_id and m.person_id = $1)))
                 as "open_reports!",
             (select avatar_url from person where id = $1) as avatar_url"#,
        person_id,
        admin
    )
    .fetch_one(db)
    .await?;
    Ok(HeaderCounts {
        unread_notifications: row.unread,
        moderates: row.moderates,
        open_reports: row.open_reports,
        avatar_url: row.avatar_url,
    })
}
