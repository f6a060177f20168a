//! Polls (`post_poll`, `poll_option`, `poll_vote`): a post's question with options, who chose
//! what (private: only counted), and a remote poll's counts as its home server sends them.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// A poll and its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct PollRow {
    /// The post it is on.
    pub post_id: i64,
    /// Whether a voter may choose several options.
    pub multiple: bool,
    /// When voting ends.
    pub ends_at: DateTime<Utc>,
    /// Whether results stay hidden until the end.
    pub results_after_end: bool,
    /// Whether its counts come from its home server (a remote poll).
    pub remote: bool,
    /// How many people voted.
    pub voters: i64,
    /// Its options, in order, with their votes.
    pub options: Vec<OptionRow>,
}

/// One option of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionRow {
    /// Its place in the list, from 0.
    pub position: i16,
    /// What it says.
    pub name: String,
    /// Its votes.
    pub votes: i64,
}

/// Writes a new poll on a post.
pub async fn insert(
    conn: &mut PgConnection,
    post_id: i64,
    multiple: bool,
    ends_at: DateTime<Utc>,
    results_after_end: bool,
    options: &[String],
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into post_poll (post_id, multiple, ends_at, results_after_end)
         values ($1, $2, $3, $4)",
        post_id,
        multiple,
        ends_at,
        results_after_end
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into poll_option (post_id, position, name)
         select $1, (n - 1)::smallint, name from unnest($2::text[]) with ordinality as o(name, n)",
        post_id,
        options
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a remote poll as its home server describes it: its options with their counts (by
/// name; when the list of names changed, the options are replaced and the votes on them go),
/// its voters (the caller sums the options when the server sent no `votersCount`) and end.
pub async fn upsert_remote(
    conn: &mut PgConnection,
    post_id: i64,
    multiple: bool,
    ends_at: DateTime<Utc>,
    voters: i32,
    options: &[(String, i32)],
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into post_poll (post_id, multiple, ends_at, remote_voters)
         values ($1, $2, $3, $4)
         on conflict (post_id) do update set multiple = excluded.multiple,
             ends_at = excluded.ends_at,
             remote_voters = excluded.remote_voters",
        post_id,
        multiple,
        ends_at,
        voters
    )
    .execute(&mut *conn)
    .await?;
    let names: Vec<String> = options.iter().map(|(name, _)| name.clone()).collect();
    let counts: Vec<i32> = options.iter().map(|(_, votes)| *votes).collect();
    let held = sqlx::query_scalar!(
        "select name from poll_option where post_id = $1 order by position",
        post_id
    )
    .fetch_all(&mut *conn)
    .await?;
    if held != names {
        sqlx::query!("delete from poll_option where post_id = $1", post_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query!(
        "insert into poll_option (post_id, position, name, remote_votes)
         select $1, (n - 1)::smallint, name, votes
         from unnest($2::text[], $3::int[]) with ordinality as o(name, votes, n)
         on conflict (post_id, position) do update set remote_votes = excluded.remote_votes",
        post_id,
        &names,
        &counts
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The polls among a page of posts, with their counts, in two queries.
pub async fn find_many(db: &mut PgConnection, post_ids: &[i64]) -> sqlx::Result<Vec<PollRow>> {
    let polls = sqlx::query!(
        r#"select l.post_id, l.multiple, l.ends_at, l.results_after_end,
                  l.remote_voters is not null as "remote!",
                  coalesce(l.remote_voters::bigint,
                           (select count(distinct v.person_id) from poll_vote v
                            where v.post_id = l.post_id)) as "voters!"
           from post_poll l where l.post_id = any($1)"#,
        post_ids
    )
    .fetch_all(&mut *db)
    .await?;
    let options = sqlx::query!(
        r#"select o.post_id, o.position, o.name,
                  case when l.remote_voters is not null then o.remote_votes::bigint
                       else (select count(*) from poll_vote v
                             where v.post_id = o.post_id and v.position = o.position)
                  end as "votes!"
           from poll_option o join post_poll l on l.post_id = o.post_id
           where o.post_id = any($1)
           order by o.post_id, o.position"#,
        post_ids
    )
    .fetch_all(&mut *db)
    .await?;
    Ok(polls
        .into_iter()
        .map(|p| PollRow {
            post_id: p.post_id,
            multiple: p.multiple,
            ends_at: p.ends_at,
            results_after_end: p.results_after_end,
            remote: p.remote,
            voters: p.voters,
            options: options
                .iter()
                .filter(|o| o.post_id == p.post_id)
                .map(|o| OptionRow {
                    position: o.position,
                    name: o.name.clone(),
                    votes: o.votes,
                })
                .collect(),
        })
        .collect())
}

/// One post's poll, with its counts.
pub async fn find(db: &mut PgConnection, post_id: i64) -> sqlx::Result<Option<PollRow>> {
    Ok(find_many(db, &[post_id]).await?.into_iter().next())
}

/// Locks a poll's row until the transaction ends, so one person's votes are decided one at a
/// time; false when the post has no poll.
pub async fn lock(conn: &mut PgConnection, post_id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select post_id from post_poll where post_id = $1 for update",
        post_id
    )
    .fetch_optional(conn)
    .await?
    .is_some())
}

/// The options a person chose, per poll, among a page of posts.
pub async fn choices_of(
    db: impl PgExecutor<'_>,
    person_id: i64,
    post_ids: &[i64],
) -> sqlx::Result<Vec<(i64, i16)>> {
    let rows = sqlx::query!(
        "select post_id, position from poll_vote where person_id = $1 and post_id = any($2)
         order by post_id, position",
        person_id,
        post_ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.post_id, r.position)).collect())
}

/// Replaces a person's choices in a poll (a local poll, where votes may change until the end),
/// and marks its counts changed for followers.
pub async fn replace_choices(
    conn: &mut PgConnection,
    post_id: i64,
    person_id: i64,
    positions: &[i16],
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from poll_vote where post_id = $1 and person_id = $2",
        post_id,
        person_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into poll_vote (post_id, position, person_id)
         select $1, position, $2 from unnest($3::smallint[]) as c(position)",
        post_id,
        person_id,
        positions
    )
    .execute(&mut *conn)
    .await?;
    mark_changed(conn, post_id).await
}

/// Records one vote that arrived as an activity (`ap_id`, its Note) or that we send for a local
/// member; false when that vote (or that Note) is known already.
pub async fn add_vote(
    conn: &mut PgConnection,
    post_id: i64,
    position: i16,
    person_id: i64,
    ap_id: Option<&str>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into poll_vote (post_id, position, person_id, ap_id) values ($1, $2, $3, $4)
         on conflict do nothing",
        post_id,
        position,
        person_id,
        ap_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a local member's vote in a remote poll at once, before its home server's next
/// `Update` brings the true figures: one more vote on each chosen option, one more voter.
pub async fn count_sent_vote(
    conn: &mut PgConnection,
    post_id: i64,
    positions: &[i16],
) -> sqlx::Result<()> {
    sqlx::query!(
        "update poll_option set remote_votes = remote_votes + 1
         where post_id = $1 and position = any($2)",
        post_id,
        positions
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update post_poll set remote_voters = remote_voters + 1 where post_id = $1",
        post_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Notes that a local poll's counts changed, for the next `Update{Question}` to followers.
pub async fn mark_changed(conn: &mut PgConnection, post_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update post_poll set counts_changed_at = now()
         where post_id = $1 and remote_voters is null",
        post_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims the local polls whose counts changed since followers were last told and were not
/// told within `interval`: their ids, each marked as told now (so two processes never both
/// send one). The caller records the updates in the same transaction.
pub async fn claim_changed_counts(
    conn: &mut PgConnection,
    interval: chrono::Duration,
) -> sqlx::Result<Vec<i64>> {
    let before = Utc::now() - interval;
    sqlx::query_scalar!(
        "update post_poll set counts_sent_at = now()
         where post_id in (
             select post_id from post_poll
             where counts_changed_at is not null
               and counts_changed_at > coalesce(counts_sent_at, '-infinity')
               and coalesce(counts_sent_at, '-infinity') <= $1
             for update skip locked)
         returning post_id",
        before
    )
    .fetch_all(conn)
    .await
}

/// The inboxes (shared when they have one) of the people on other servers who voted in a poll:
/// where its new counts go besides its community.
pub async fn voter_inboxes(db: impl PgExecutor<'_>, post_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select distinct coalesce(p.shared_inbox_url, p.inbox_url) as "inbox!"
           from poll_vote v join person p on p.id = v.person_id
           where v.post_id = $1 and not p.local
             and coalesce(p.shared_inbox_url, p.inbox_url) is not null"#,
        post_id
    )
    .fetch_all(db)
    .await
}

/// Sets the id of the Note that carried a local member's vote in a remote poll.
pub async fn set_vote_ap_id(
    conn: &mut PgConnection,
    post_id: i64,
    person_id: i64,
    position: i16,
    ap_id: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update poll_vote set ap_id = $4 where post_id = $1 and person_id = $2 and position = $3",
        post_id,
        person_id,
        position,
        ap_id
    )
    .execute(conn)
    .await?;
    Ok(())
}
