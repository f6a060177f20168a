//! What a person's data export reads: their posts, comments, votes and memberships, each
//! naming the objects by ActivityPub id so that the export means the same on any server.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

/// A post the person wrote.
#[derive(Debug, Clone)]
pub struct ExportedPost {
    /// Its ActivityPub id.
    pub ap_id: String,
    /// The community's ActivityPub id.
    pub community_ap_id: String,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Body (markdown).
    pub body: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Language tag.
    pub language: Option<String>,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// Last edited.
    pub edited_at: Option<DateTime<Utc>>,
}

/// The person's posts that they have not deleted, oldest first.
pub async fn posts(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Vec<ExportedPost>> {
    sqlx::query_as!(
        ExportedPost,
        "select p.ap_id, c.ap_id as community_ap_id, p.title, p.url, p.body, p.nsfw, p.language,
                p.published_at, p.edited_at
         from post p join community c on c.id = p.community_id
         where p.author_id = $1 and not p.deleted
         order by p.id",
        person_id
    )
    .fetch_all(db)
    .await
}

/// A comment the person wrote.
#[derive(Debug, Clone)]
pub struct ExportedComment {
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Its post's ActivityPub id.
    pub post_ap_id: String,
    /// The ActivityPub id of the comment it answers, if any.
    pub parent_ap_id: Option<String>,
    /// Body (markdown).
    pub body: String,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// Last edited.
    pub edited_at: Option<DateTime<Utc>>,
}

/// The person's comments that they have not deleted, oldest first.
pub async fn comments(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Vec<ExportedComment>> {
    sqlx::query_as!(
        ExportedComment,
        r#"select k.ap_id, p.ap_id as post_ap_id, parent.ap_id as "parent_ap_id?", k.body,
                  k.published_at, k.edited_at
           from comment k
           join post p on p.id = k.post_id
           left join comment parent on parent.id = k.parent_id
           where k.author_id = $1 and not k.deleted
           order by k.id"#,
        person_id
    )
    .fetch_all(db)
    .await
}

/// A vote the person cast.
#[derive(Debug, Clone)]
pub struct ExportedVote {
    /// The ActivityPub id of the post or comment voted on.
    pub object_ap_id: String,
    /// `post` or `comment`.
    pub kind: String,
    /// 1 or -1.
    pub score: i16,
    /// When it was cast.
    pub created_at: DateTime<Utc>,
}

/// The person's votes on posts and comments, oldest first.
pub async fn votes(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Vec<ExportedVote>> {
    sqlx::query_as!(
        ExportedVote,
        r#"select object_ap_id as "object_ap_id!", kind as "kind!", score as "score!", created_at as "created_at!"
           from (
               select p.ap_id as object_ap_id, 'post' as kind, v.score, v.created_at
               from post_vote v join post p on p.id = v.post_id where v.person_id = $1
               union all
               select k.ap_id, 'comment', v.score, v.created_at
               from comment_vote v join comment k on k.id = v.comment_id where v.person_id = $1
           ) votes
           order by created_at, object_ap_id"#,
        person_id
    )
    .fetch_all(db)
    .await
}

/// A community the person belongs to or asked to join.
#[derive(Debug, Clone)]
pub struct ExportedMembership {
    /// The community's name.
    pub name: String,
    /// Of this instance.
    pub local: bool,
    /// The community's ActivityPub id.
    pub ap_id: String,
    /// `joined` or `pending`.
    pub state: String,
}

/// The person's memberships, oldest first.
pub async fn memberships(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Vec<ExportedMembership>> {
    sqlx::query_as!(
        ExportedMembership,
        "select c.name, c.local, c.ap_id, m.state
         from community_member m join community c on c.id = m.community_id
         where m.person_id = $1
         order by m.created_at, c.id",
        person_id
    )
    .fetch_all(db)
    .await
}
