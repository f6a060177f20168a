//! Mentions (`post_mention`, `comment_mention`): the people a post or comment names, kept so that
//! its federated form carries `Mention` tags and reaches their inboxes, and so that the local
//! ones are notified.

use sqlx::PgExecutor;

/// Sets the people a comment mentions to the known people with these ActivityPub ids (unknown
/// ids are skipped): an edit that drops a mention drops its row, one that adds a mention adds it.
pub async fn set_for_comment(
    db: impl PgExecutor<'_>,
    comment_id: i64,
    person_ap_ids: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "with mentioned as (select id from person where ap_id = any($2)),
              dropped as (
                  delete from comment_mention
                  where comment_id = $1 and person_id not in (select id from mentioned)
              )
         insert into comment_mention (comment_id, person_id)
         select $1, id from mentioned
         on conflict do nothing",
        comment_id,
        person_ap_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Sets the people a post mentions to the known people with these ActivityPub ids (unknown
/// ids are skipped): an edit that drops a mention drops its row, one that adds a mention adds it.
pub async fn set_for_post(
    db: impl PgExecutor<'_>,
    post_id: i64,
    person_ap_ids: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "with mentioned as (select id from person where ap_id = any($2)),
              dropped as (
                  delete from post_mention
                  where post_id = $1 and person_id not in (select id from mentioned)
              )
         insert into post_mention (post_id, person_id)
         select $1, id from mentioned
         on conflict do nothing",
        post_id,
        person_ap_ids
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A person a post or comment mentions, as its federated form names them.
#[derive(Debug, Clone)]
pub struct Mentioned {
    /// The person's ActivityPub id (the tag's `href`).
    pub ap_id: String,
    /// Their name.
    pub name: String,
    /// Their host (`None`: this instance).
    pub host: Option<String>,
    /// Where to deliver to them: their server's shared inbox, else their own (`None` for local
    /// people).
    pub inbox: Option<String>,
}

/// The people a comment mentions.
pub async fn of_comment(db: impl PgExecutor<'_>, comment_id: i64) -> sqlx::Result<Vec<Mentioned>> {
    sqlx::query_as!(
        Mentioned,
        r#"select p.ap_id, p.name, p.host,
                  case when p.local then null else coalesce(p.shared_inbox_url, p.inbox_url) end
                      as "inbox?"
           from comment_mention m join person p on p.id = m.person_id
           where m.comment_id = $1
           order by p.id"#,
        comment_id
    )
    .fetch_all(db)
    .await
}

/// The people a post mentions.
pub async fn of_post(db: impl PgExecutor<'_>, post_id: i64) -> sqlx::Result<Vec<Mentioned>> {
    sqlx::query_as!(
        Mentioned,
        r#"select p.ap_id, p.name, p.host,
                  case when p.local then null else coalesce(p.shared_inbox_url, p.inbox_url) end
                      as "inbox?"
           from post_mention m join person p on p.id = m.person_id
           where m.post_id = $1
           order by p.id"#,
        post_id
    )
    .fetch_all(db)
    .await
}
