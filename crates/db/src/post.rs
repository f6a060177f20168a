//! Posts (`post`) and their votes (`post_vote`): writes, the joined view rows, and the feeds.
//! Feeds are built with `QueryBuilder` because their ORDER BY varies with the sort and each
//! sort must use its own index; every value is bound, and the column names come from a fixed
//! list (`PostSort::key`), never from input.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};

/// A new post.
#[derive(Debug)]
pub struct NewPost<'a> {
    /// Its ActivityPub id; `None` for local posts, whose id is made from the row id.
    pub ap_id: Option<&'a str>,
    /// True for posts written here.
    pub local: bool,
    /// The community it is in.
    pub community_id: i64,
    /// Its author.
    pub author_id: i64,
    /// Title.
    pub title: &'a str,
    /// Link, for link posts.
    pub url: Option<&'a str>,
    /// Body (markdown).
    pub body: &'a str,
    /// Body rendered and sanitised.
    pub body_html: &'a str,
    /// Not safe for work.
    pub nsfw: bool,
    /// Language tag.
    pub language: Option<&'a str>,
}

/// Inserts a post, ranked as new; `id_base` (e.g. `https://host/post/`) makes local ids.
/// Returns the id.
pub async fn insert(
    conn: &mut PgConnection,
    new: &NewPost<'_>,
    id_base: &str,
) -> sqlx::Result<i64> {
    let id = sqlx::query_scalar!(
        r#"insert into post (ap_id, local, community_id, author_id, title, url, body, body_html, nsfw, language,
                             hot_rank, active_rank)
           values (coalesce($1, 'urn:hearth:pending:' || gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9, $10,
                   hearth_hot_rank(0, now(), now()), hearth_hot_rank(0, now(), now()))
           returning id"#,
        new.ap_id,
        new.local,
        new.community_id,
        new.author_id,
        new.title,
        new.url,
        new.body,
        new.body_html,
        new.nsfw,
        new.language
    )
    .fetch_one(&mut *conn)
    .await?;
    if new.ap_id.is_none() {
        sqlx::query!(
            "update post set ap_id = $2 || id where id = $1",
            id,
            id_base
        )
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query!(
        "insert into community_count_change (community_id, posts) values ($1, 1)",
        new.community_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

/// Stores a post fetched or received from another server, or refreshes the copy we hold
/// (never a local post). Counts a new post on its community. Returns the id.
pub async fn upsert_remote(
    conn: &mut PgConnection,
    new: &NewPost<'_>,
    published: DateTime<Utc>,
    edited: Option<DateTime<Utc>>,
) -> sqlx::Result<Option<i64>> {
    let row = sqlx::query!(
        r#"insert into post (ap_id, local, community_id, author_id, title, url, body, body_html, nsfw, language,
                             published_at, edited_at, last_activity_at, hot_rank, active_rank, last_refreshed_at)
           values ($1, false, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10,
                   hearth_hot_rank(0, $10, now()), hearth_hot_rank(0, $10, now()), now())
           on conflict (ap_id) do update set
              title = excluded.title, url = excluded.url, body = excluded.body, body_html = excluded.body_html,
              nsfw = excluded.nsfw, language = excluded.language, edited_at = excluded.edited_at,
              last_refreshed_at = now(), updated_at = now()
           where not post.local
           returning id, (xmax = 0) as "inserted!""#,
        new.ap_id,
        new.community_id,
        new.author_id,
        new.title,
        new.url,
        new.body,
        new.body_html,
        new.nsfw,
        new.language,
        published,
        edited
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.inserted {
        sqlx::query!(
            "insert into community_count_change (community_id, posts) values ($1, 1)",
            new.community_id
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(row.id))
}

/// Sets what a new or refreshed post shows besides its text: its thumbnail (an image post's
/// first picture's, or the one its home server sent), and whether its link preview is to be
/// read by the background fetcher (`preview_state` `pending`, the fetcher woken at commit; a
/// local link post's, when `media.link_previews` is on).
pub async fn set_shown(
    conn: &mut PgConnection,
    id: i64,
    thumbnail_url: Option<&str>,
    preview_pending: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update post set thumbnail_url = $2,
             preview_state = case when $3 then 'pending' else preview_state end
         where id = $1",
        id,
        thumbnail_url,
        preview_pending
    )
    .execute(&mut *conn)
    .await?;
    if preview_pending {
        sqlx::query("select pg_notify('hearth_link_preview', '')")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A post's id by its ActivityPub id.
pub async fn id_by_ap_id(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("select id from post where ap_id = $1", ap_id)
        .fetch_optional(db)
        .await
}

/// When a post was last fetched from its home server.
pub async fn last_refreshed_at(
    db: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!("select last_refreshed_at from post where id = $1", id)
        .fetch_optional(db)
        .await
}

/// The newest visible posts of a community, for its outbox.
pub async fn newest_in_community(
    db: impl PgExecutor<'_>,
    community_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<PostRow>> {
    feed(
        db,
        &FeedRequest {
            scope: FeedScope::Community(community_id),
            sort: PostSort::New,
            since: None,
            after: None,
            limit,
            viewer: None,
        },
    )
    .await
}

/// The parts of a post its author may change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct PostEdit<'a> {
    /// New title.
    pub title: Option<&'a str>,
    /// New link; `Some(None)` removes it.
    pub url: Option<Option<&'a str>>,
    /// New body and its HTML.
    pub body: Option<(&'a str, &'a str)>,
    /// New NSFW flag.
    pub nsfw: Option<bool>,
    /// New language; `Some(None)` clears it.
    pub language: Option<Option<&'a str>>,
    /// New thumbnail; `Some(None)` removes it.
    pub thumbnail_url: Option<Option<&'a str>>,
    /// The link changed: its old preview goes, and `Some(true)` asks the background fetcher for
    /// the new link's (`preview_state` `pending`, the fetcher woken at commit).
    pub preview_pending: Option<bool>,
}

/// Applies an edit and marks the post edited.
pub async fn edit(conn: &mut PgConnection, id: i64, edit: &PostEdit<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "update post set
            title = coalesce($2, title),
            url = case when $3 then $4 else url end,
            body = coalesce($5, body),
            body_html = coalesce($6, body_html),
            nsfw = coalesce($7, nsfw),
            language = case when $8 then $9 else language end,
            thumbnail_url = case when $10 then $11 else thumbnail_url end,
            preview_state = case when $12::boolean is null then preview_state
                                 when $12 then 'pending' else 'none' end,
            preview_title = case when $12::boolean is null then preview_title end,
            preview_description = case when $12::boolean is null then preview_description end,
            edited_at = now(), updated_at = now()
         where id = $1",
        id,
        edit.title,
        edit.url.is_some(),
        edit.url.flatten(),
        edit.body.map(|b| b.0),
        edit.body.map(|b| b.1),
        edit.nsfw,
        edit.language.is_some(),
        edit.language.flatten(),
        edit.thumbnail_url.is_some(),
        edit.thumbnail_url.flatten(),
        edit.preview_pending
    )
    .execute(&mut *conn)
    .await?;
    if edit.preview_pending == Some(true) {
        sqlx::query("select pg_notify('hearth_link_preview', '')")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Marks a post deleted by its author; false when it already was.
pub async fn mark_deleted(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    // Counts show live content: the community counts one post fewer.
    let done = sqlx::query!(
        r#"with deleted as (
            update post set deleted = true, updated_at = now() where id = $1 and not deleted
            returning community_id, removed
         ), counted as (
            insert into community_count_change (community_id, posts)
            select community_id, -1 from deleted where not removed
         )
         select count(*) as "changed!" from deleted"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(done.changed == 1)
}

/// The few facts permission checks need.
#[derive(Debug, Clone)]
pub struct PostFacts {
    /// Its id.
    pub id: i64,
    /// Its community.
    pub community_id: i64,
    /// Its author.
    pub author_id: i64,
    /// Deleted by its author.
    pub deleted: bool,
    /// Removed by a moderator.
    pub removed: bool,
    /// Locked: no new comments.
    pub locked: bool,
}

/// Loads the facts of a post.
pub async fn facts(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<PostFacts>> {
    sqlx::query_as!(
        PostFacts,
        "select id, community_id, author_id, deleted, removed, locked from post where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// A post with its community, author, counts and the viewer's vote, as views show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostRow {
    /// Its id.
    pub id: i64,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Written here.
    pub local: bool,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Body (markdown).
    pub body: String,
    /// Body rendered and sanitised.
    pub body_html: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Language tag.
    pub language: Option<String>,
    /// Deleted by its author.
    pub deleted: bool,
    /// Removed by a moderator.
    pub removed: bool,
    /// Locked by a moderator: no new comments.
    pub locked: bool,
    /// Pinned to the top of its community by a moderator.
    pub featured: bool,
    /// Upvotes minus downvotes.
    pub score: i32,
    /// Upvotes.
    pub upvotes: i32,
    /// Downvotes.
    pub downvotes: i32,
    /// Comments.
    pub comment_count: i32,
    /// Stored hot rank.
    pub hot_rank: f64,
    /// Stored active rank.
    pub active_rank: f64,
    /// Stored controversy rank.
    pub controversy_rank: f64,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// Last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// The community's id.
    pub community_id: i64,
    /// The community's name.
    pub community_name: String,
    /// The community's title.
    pub community_title: String,
    /// The community is local.
    pub community_local: bool,
    /// The community's ActivityPub id.
    pub community_ap_id: String,
    /// The author's id.
    pub author_id: i64,
    /// The author's name.
    pub author_name: String,
    /// The author's display name.
    pub author_display_name: Option<String>,
    /// The author is local.
    pub author_local: bool,
    /// The author's ActivityPub id.
    pub author_ap_id: String,
    /// The author deleted their account: views show "[deleted]".
    pub author_deleted: bool,
    /// The viewer's vote: -1, 0 or 1.
    pub my_vote: i16,
    /// Its thumbnail's public URL (an image post's first image, a link preview's picture, or
    /// what its home server sent).
    pub thumbnail_url: Option<String>,
    /// The linked page's title, read by the link preview fetcher.
    pub preview_title: Option<String>,
    /// The linked page's description, read by the link preview fetcher.
    pub preview_description: Option<String>,
    /// The author's avatar's public URL.
    pub author_avatar_url: Option<String>,
    /// The community's icon's public URL.
    pub community_icon_url: Option<String>,
}

/// The columns of `PostRow`.
// A post in an NSFW community is NSFW whatever its own flag says.
pub(crate) const POST_COLUMNS: &str =
    "p.id, p.ap_id, p.local, p.title, p.url, p.body, p.body_html, (p.nsfw or c.nsfw) as nsfw,
        p.language, p.deleted, p.removed, p.locked, p.featured, p.score, p.upvotes, p.downvotes, p.comment_count,
        p.hot_rank, p.active_rank, p.controversy_rank, p.published_at, p.edited_at,
        c.id as community_id, c.name as community_name, c.title as community_title,
        c.local as community_local, c.ap_id as community_ap_id,
        a.id as author_id, a.name as author_name, a.display_name as author_display_name,
        a.local as author_local, a.ap_id as author_ap_id, a.deleted as author_deleted,
        coalesce(v.score, 0::smallint) as my_vote,
        p.thumbnail_url, p.preview_title, p.preview_description,
        a.avatar_url as author_avatar_url, c.icon_url as community_icon_url";

/// The joins of `PostRow`, ending where the viewer's person id (or null) is bound.
pub(crate) const POST_FROM: &str = "from post p
    join community c on c.id = p.community_id
    join person a on a.id = p.author_id
    left join post_vote v on v.post_id = p.id and v.person_id = ";

/// One post as a view row.
pub async fn find(
    db: impl PgExecutor<'_>,
    id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Option<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1 where p.id = $2"
    ))
    .bind(viewer)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// A post by its ActivityPub id, in one round trip (what `id_by_ap_id` and `find` answer
/// together).
pub async fn find_by_ap_id(
    db: impl PgExecutor<'_>,
    ap_id: &str,
    viewer: Option<i64>,
) -> sqlx::Result<Option<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1 where p.ap_id = $2"
    ))
    .bind(viewer)
    .bind(ap_id)
    .fetch_optional(db)
    .await
}

/// The posts with these ActivityPub ids that we hold, in one round trip (in no set order).
pub async fn find_by_ap_ids(
    db: impl PgExecutor<'_>,
    ap_ids: &[String],
    viewer: Option<i64>,
) -> sqlx::Result<Vec<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1 where p.ap_id = any($2)"
    ))
    .bind(viewer)
    .bind(ap_ids)
    .fetch_all(db)
    .await
}

/// The posts with these ids, in one round trip (in no set order).
pub async fn find_many(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    viewer: Option<i64>,
) -> sqlx::Result<Vec<PostRow>> {
    sqlx::query_as::<_, PostRow>(&format!(
        "select {POST_COLUMNS} {POST_FROM} $1 where p.id = any($2)"
    ))
    .bind(viewer)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// The orders posts can be listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSort {
    /// Stored hot rank.
    Hot,
    /// Stored active rank (recent comments lift a post).
    Active,
    /// Newest first, by publication time (a remote post's `published`, not when it arrived).
    New,
    /// Highest score among posts published since a cutoff (or ever).
    Top,
    /// Most comments.
    MostComments,
    /// Stored controversy rank.
    Controversial,
}

impl PostSort {
    /// The stored key this sort orders by (descending, then by id descending).
    fn key(self) -> &'static str {
        match self {
            Self::Hot => "p.hot_rank",
            Self::Active => "p.active_rank",
            Self::New => "p.published_at",
            Self::Top => "p.score",
            Self::MostComments => "p.comment_count",
            Self::Controversial => "p.controversy_rank",
        }
    }

    /// The value of this sort's key in a row, for the next page's cursor.
    pub fn key_of(self, row: &PostRow) -> f64 {
        match self {
            Self::Hot => row.hot_rank,
            Self::Active => row.active_rank,
            Self::New => time_key(row.published_at),
            // Counts are far below 2^53, so f64 holds them exactly.
            Self::Top => f64::from(row.score),
            Self::MostComments => f64::from(row.comment_count),
            Self::Controversial => row.controversy_rank,
        }
    }
}

/// Which posts a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedScope {
    /// Everything this instance knows.
    All,
    /// Posts in this instance's communities.
    Local,
    /// Posts in the communities the person has joined.
    Subscribed(i64),
    /// One community.
    Community(i64),
    /// One community without its pinned posts (which a community's first page shows apart,
    /// from `pinned_in_community`, above the rest).
    CommunityUnpinned(i64),
    /// One author's posts.
    Author(i64),
}

/// Where a page starts: the sort key and id of the previous page's last row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PostCursor {
    /// The sort key's value.
    pub key: f64,
    /// The row's id.
    pub id: i64,
}

/// What one page of a feed asks for.
#[derive(Debug, Clone, Copy)]
pub struct FeedRequest {
    /// Which posts.
    pub scope: FeedScope,
    /// In which order.
    pub sort: PostSort,
    /// For `Top`: only posts published after this.
    pub since: Option<DateTime<Utc>>,
    /// Start after this row.
    pub after: Option<PostCursor>,
    /// How many rows.
    pub limit: i64,
    /// Whose votes to show as `my_vote`.
    pub viewer: Option<i64>,
}

fn feed_query(prefix: &str, r: &FeedRequest) -> QueryBuilder<'static, Postgres> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("{prefix}select {POST_COLUMNS} {POST_FROM}"));
    q.push_bind(r.viewer);
    // A community an admin removed takes its posts out of every feed until it is restored.
    q.push(" where not p.deleted and not p.removed and not c.removed");
    match r.scope {
        FeedScope::All => {}
        FeedScope::Local => {
            q.push(" and c.local");
        }
        FeedScope::Subscribed(person) => {
            q.push(" and p.community_id in (select community_id from community_member where person_id = ");
            q.push_bind(person);
            q.push(" and state = 'joined')");
        }
        FeedScope::Community(id) => {
            q.push(" and p.community_id = ");
            q.push_bind(id);
        }
        FeedScope::CommunityUnpinned(id) => {
            // A filter on the rows the sort's index yields: the plan stays an index range.
            q.push(" and p.community_id = ");
            q.push_bind(id);
            q.push(" and not p.featured");
        }
        FeedScope::Author(id) => {
            q.push(" and p.author_id = ");
            q.push_bind(id);
        }
    }
    // The viewer's blocks: blocked people vanish everywhere, blocked communities from the
    // feeds that mix communities (their own page still shows them).
    crate::block::push_hide_blocked_people(&mut q, r.viewer, "p.author_id");
    if matches!(
        r.scope,
        FeedScope::All | FeedScope::Local | FeedScope::Subscribed(_)
    ) {
        crate::block::push_hide_blocked_communities(&mut q, r.viewer, "p.community_id");
    }
    push_window_cursor_and_order(&mut q, r.sort, r.since, r.after, r.limit);
    q
}

/// The end every feed statement shares: the `top` window, the keyset cursor, the order and
/// the page size.
fn push_window_cursor_and_order(
    q: &mut QueryBuilder<'static, Postgres>,
    sort: PostSort,
    since: Option<DateTime<Utc>>,
    after: Option<PostCursor>,
    limit: i64,
) {
    if let Some(since) = since {
        q.push(" and p.published_at >= ");
        q.push_bind(since);
    }
    let key = sort.key();
    match (sort, after) {
        (_, None) => {}
        (PostSort::New, Some(cursor)) => {
            // The cursor's post says where its page ended: its publication time never changes,
            // and this also serves cursors that carry only an id (the community outbox's
            // `?before=<post id>`). The key (epoch seconds) stands in when that post is gone.
            // Compared as a row with the index's own columns, so each page is an index range.
            q.push(" and (p.published_at, p.id) < (coalesce((select last_seen.published_at from post last_seen where last_seen.id = ");
            q.push_bind(cursor.id);
            q.push("), ");
            q.push_bind(cursor_time(cursor.key));
            q.push("), ");
            q.push_bind(cursor.id);
            q.push(")");
        }
        (_, Some(cursor)) => {
            q.push(format_args!(" and ({key}::double precision, p.id) < ("));
            q.push_bind(cursor.key);
            q.push(", ");
            q.push_bind(cursor.id);
            q.push(")");
        }
    }
    // The page size is written into the statement, not bound: with `limit $n` PostgreSQL
    // cannot cost a generic plan and plans the feed again on every execution (planning took
    // twice as long as running it). Page sizes are a handful of small numbers, so each gets
    // its own prepared statement, planned once per connection.
    q.push(format_args!(
        " order by {key} desc, p.id desc limit {}",
        limit.clamp(0, 1000)
    ));
}

/// A community named as people write it, for the statement that reads its page (the same
/// lookups as `community::find_local` and `community::find_remote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityKey<'a> {
    /// A community of this instance, by name (case-insensitively).
    Local(&'a str),
    /// Another server's community we know of, by name (case-insensitively) and authority.
    Remote {
        /// Its name.
        name: &'a str,
        /// Its server's authority.
        host: &'a str,
    },
}

/// What one page of a community's page asks for (see `community_page`).
#[derive(Debug, Clone, Copy)]
pub struct CommunityPageRequest<'a> {
    /// Which community.
    pub community: CommunityKey<'a>,
    /// In which order the posts that are not pinned come.
    pub sort: PostSort,
    /// For `Top`: only posts published after this.
    pub since: Option<DateTime<Utc>>,
    /// Start after this row; the first page (`None`) also carries the pinned posts.
    pub after: Option<PostCursor>,
    /// How many rows besides the pinned ones.
    pub limit: i64,
    /// Whose votes to show as `my_vote`, and whose blocks apply.
    pub viewer: Option<i64>,
}

/// One page of a community's page: its pinned posts (first page only) and the others.
#[derive(Debug, Default)]
pub struct CommunityPage {
    /// Pinned posts, newest first (`pinned_in_community`'s rows).
    pub pinned: Vec<PostRow>,
    /// The other posts in the sort's order (`FeedScope::CommunityUnpinned`'s rows).
    pub rest: Vec<PostRow>,
}

/// The viewer at the end of `POST_FROM`: bound when there is one, and written as `null` for
/// anonymous readers. A bound null lets each custom plan drop the join with `post_vote`, which
/// a generic plan cannot, so PostgreSQL judged the generic plan dearer and planned the page
/// again on every execution (2.2 ms of planning for 0.7 ms of running, measured); with the
/// literal, anonymous pages are their own statement whose one generic plan has no such join.
fn push_viewer(q: &mut QueryBuilder<'static, Postgres>, viewer: Option<i64>) {
    match viewer {
        Some(viewer) => {
            q.push_bind(viewer);
        }
        None => {
            q.push("null::bigint");
        }
    }
}

fn community_page_query(
    prefix: &str,
    r: &CommunityPageRequest<'_>,
) -> QueryBuilder<'static, Postgres> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "{prefix}with target as (select id from community where "
    ));
    // The same conditions as `community::find_local`/`find_remote`, so the partial unique
    // indexes on `lower(name)` find the row.
    match r.community {
        CommunityKey::Local(name) => {
            q.push("local and lower(name) = lower(");
            q.push_bind(name.to_owned());
            q.push("))");
        }
        CommunityKey::Remote { name, host } => {
            q.push("not local and lower(name) = lower(");
            q.push_bind(name.to_owned());
            q.push(") and host = ");
            q.push_bind(host.to_owned());
            q.push(")");
        }
    }
    // Both parts carry which part they are and their own sort key, so the outer order (over a
    // page's few dozen rows) puts them together whatever way PostgreSQL appends them.
    q.push(" select * from (");
    if r.after.is_none() {
        // `pinned_in_community`, verbatim but for the community.
        q.push(format_args!(
            "(select true as pinned_part, extract(epoch from p.published_at)::double precision as part_key, {POST_COLUMNS} {POST_FROM}"
        ));
        push_viewer(&mut q, r.viewer);
        q.push(" where p.featured and not p.deleted and not p.removed and p.community_id = (select id from target)");
        crate::block::push_hide_blocked_people(&mut q, r.viewer, "p.author_id");
        q.push(format_args!(
            " order by p.published_at desc, p.id desc limit {MAX_PINNED}) union all "
        ));
    }
    // `feed` with `FeedScope::CommunityUnpinned`, verbatim but for the community.
    let part_key = match r.sort {
        PostSort::New => "extract(epoch from p.published_at)::double precision".to_owned(),
        sort => format!("{}::double precision", sort.key()),
    };
    q.push(format_args!(
        "(select false as pinned_part, {part_key} as part_key, {POST_COLUMNS} {POST_FROM}"
    ));
    push_viewer(&mut q, r.viewer);
    q.push(" where not p.deleted and not p.removed and not c.removed and p.community_id = (select id from target) and not p.featured");
    crate::block::push_hide_blocked_people(&mut q, r.viewer, "p.author_id");
    push_window_cursor_and_order(&mut q, r.sort, r.since, r.after, r.limit);
    q.push(")) page order by pinned_part desc, part_key desc, id desc");
    q
}

/// A publication time as a cursor key: epoch seconds. Until 2106 an f64 holds them to within a
/// quarter of a microsecond, so `cursor_time` reads back the very microsecond.
fn time_key(time: DateTime<Utc>) -> f64 {
    time.timestamp_micros() as f64 / 1e6
}

/// The publication time a `New` cursor's key names (see `time_key`), held within the years 1
/// to 9999 so that no key, however made up, is a time PostgreSQL refuses; a key past the end
/// (the outbox's first page) starts from the newest post.
fn cursor_time(key: f64) -> DateTime<Utc> {
    const FIRST_MICROS: i64 = -62_135_596_800_000_000;
    const LAST_MICROS: i64 = 253_402_300_799_999_999;
    // The fraction is read apart from the whole seconds: multiplying the whole key by a
    // million would round away microseconds that the f64 holds. `as` saturates (NaN gives 0).
    let seconds = key.floor();
    let micros = ((key - seconds) * 1e6).round() as i64;
    let total = (seconds as i64)
        .saturating_mul(1_000_000)
        .saturating_add(micros);
    DateTime::from_timestamp_micros(total.clamp(FIRST_MICROS, LAST_MICROS)).unwrap_or_default()
}

/// One page of a feed, without the posts of people the viewer blocks and, in the feeds that
/// mix communities, of communities the viewer blocks.
pub async fn feed(db: impl PgExecutor<'_>, request: &FeedRequest) -> sqlx::Result<Vec<PostRow>> {
    feed_query("", request)
        .build_query_as::<PostRow>()
        .fetch_all(db)
        .await
}

/// One page of a community's page in one statement: the community looked up by name, its
/// pinned posts on the first page and a page of the others, as `pinned_in_community` and
/// `feed` with `FeedScope::CommunityUnpinned` read them. Both parts are in one statement so a
/// page costs one round trip, and the name is bound (the page size written in) so that
/// PostgreSQL keeps one generic plan per sort. An unknown community and one without visible
/// posts both give an empty page: the caller tells them apart.
pub async fn community_page(
    db: impl PgExecutor<'_>,
    request: &CommunityPageRequest<'_>,
) -> sqlx::Result<CommunityPage> {
    #[derive(sqlx::FromRow)]
    struct Part {
        pinned_part: bool,
        #[sqlx(flatten)]
        row: PostRow,
    }
    let rows = community_page_query("", request)
        .build_query_as::<Part>()
        .fetch_all(db)
        .await?;
    let mut page = CommunityPage::default();
    for part in rows {
        if part.pinned_part {
            page.pinned.push(part.row);
        } else {
            page.rest.push(part.row);
        }
    }
    Ok(page)
}

/// PostgreSQL's plan for exactly the query `community_page` runs, executed (`EXPLAIN
/// ANALYZE`): for performance tests.
pub async fn explain_community_page(
    db: impl PgExecutor<'_>,
    request: &CommunityPageRequest<'_>,
) -> sqlx::Result<Vec<String>> {
    community_page_query("explain (analyze, costs off, timing on) ", request)
        .build_query_scalar::<String>()
        .fetch_all(db)
        .await
}

/// What one signed-in viewer's reading of a row differs in from the anonymous reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViewerMark {
    /// The post's id.
    pub id: i64,
    /// The viewer's vote on it: -1, 0 or 1 (`PostRow::my_vote`).
    pub my_vote: i16,
    /// The viewer's blocks hide it: its author is blocked, or (when asked) its community.
    pub hidden: bool,
}

/// For rows read for anonymous readers (`feed` or `community_page` without a viewer), all that
/// `viewer`'s own reading of them would change, in one statement: their vote on each, and
/// whether their blocks hide it (the conditions of `block::push_hide_blocked_people` and, with
/// `community_blocks` as in the feeds that mix communities, `push_hide_blocked_communities`).
/// One mark per row, in the order of `rows`. Each probe is a primary-key lookup; the vote is a
/// subselect per row like the block probes (as a left join the statement took 156 µs per page
/// in `hearth_bench read`, as subselects 111 µs). The rows' authors and communities come from
/// the rows, so `post` is not read again.
pub async fn viewer_marks(
    db: impl PgExecutor<'_>,
    viewer: i64,
    rows: &[&PostRow],
    community_blocks: bool,
) -> sqlx::Result<Vec<ViewerMark>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let authors: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    let communities: Vec<i64> = rows.iter().map(|r| r.community_id).collect();
    sqlx::query_as!(
        ViewerMark,
        r#"select r.id as "id!",
                  coalesce((select v.score from post_vote v
                            where v.post_id = r.id and v.person_id = $1), 0::smallint) as "my_vote!",
                  (exists (select 1 from person_block pb
                           where pb.person_id = $1 and pb.target_id = r.author_id)
                   or ($5 and exists (select 1 from community_block cb
                                      where cb.person_id = $1 and cb.community_id = r.community_id))) as "hidden!"
           from unnest($2::bigint[], $3::bigint[], $4::bigint[]) with ordinality as r(id, author_id, community_id, n)
           order by r.n"#,
        viewer,
        &ids,
        &authors,
        &communities,
        community_blocks
    )
    .fetch_all(db)
    .await
}

/// The most pinned posts a community's page shows above its feed.
pub const MAX_PINNED: i64 = 25;

/// A community's pinned posts (moderators pin a handful), newest first, for the top of the
/// community's first page. Found through the partial index of pinned posts
/// (`post_featured_idx`), so a big community's other posts are never read.
pub async fn pinned_in_community(
    db: impl PgExecutor<'_>,
    community_id: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<PostRow>> {
    let mut q: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("select {POST_COLUMNS} {POST_FROM}"));
    q.push_bind(viewer);
    q.push(" where p.featured and not p.deleted and not p.removed and p.community_id = ");
    q.push_bind(community_id);
    crate::block::push_hide_blocked_people(&mut q, viewer, "p.author_id");
    q.push(format_args!(
        " order by p.published_at desc, p.id desc limit {MAX_PINNED}"
    ));
    q.build_query_as::<PostRow>().fetch_all(db).await
}

/// A community as the post form offers it: one the person has joined.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostTarget {
    /// The community's name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Whether it lives here.
    pub local: bool,
    /// Its ActivityPub id (a remote community's host is in it).
    pub ap_id: String,
}

/// The communities a person has joined (not those waiting for approval), by title, for the
/// post form's community picker.
pub async fn targets_of(
    db: impl PgExecutor<'_>,
    person_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<PostTarget>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "select c.name, c.title, c.local, c.ap_id from community_member m
         join community c on c.id = m.community_id
         where m.state = 'joined' and m.person_id = ",
    );
    q.push_bind(person_id);
    q.push(format_args!(
        " order by lower(coalesce(nullif(c.title, ''), c.name)), c.id limit {}",
        limit.clamp(0, 1000)
    ));
    q.build_query_as::<PostTarget>().fetch_all(db).await
}

/// PostgreSQL's plan for exactly the query `feed` runs, executed (`EXPLAIN ANALYZE`): for
/// performance tests and docs/PERFORMANCE.md.
pub async fn explain_feed(
    db: impl PgExecutor<'_>,
    request: &FeedRequest,
) -> sqlx::Result<Vec<String>> {
    feed_query("explain (analyze, costs off, timing on) ", request)
        .build_query_scalar::<String>()
        .fetch_all(db)
        .await
}

/// Records a person's vote (1, -1, or 0 to clear it) and updates the post's counts and ranks.
/// Returns the vote it replaced (0 for none), or `None` when the post does not exist.
pub async fn vote(
    conn: &mut PgConnection,
    post_id: i64,
    person_id: i64,
    score: i16,
) -> sqlx::Result<Option<i16>> {
    let change = VoteChange {
        target_id: post_id,
        person_id,
        score,
    };
    Ok(vote_many(conn, &[change]).await?.pop().flatten())
}

/// A vote to record: a person's score (1, -1, or 0 to clear it) on a post or a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteChange {
    /// The post or comment.
    pub target_id: i64,
    /// The voter.
    pub person_id: i64,
    /// The new score.
    pub score: i16,
}

/// Records many votes on posts in four statements, whatever their number, and updates each
/// post's counts and ranks once. The posts are locked first, in id order, so concurrent votes
/// on one post apply one after another, the counts stay exact, and two batches cannot
/// deadlock on each other. The lock is `for no key update`, which the foreign-key checks of
/// comments and votes being written on the post (`for key share`) do not wait for: a batch
/// holds its posts until it commits. Returns, for each change in order, the vote it replaced
/// (0 for none), or `None` when the post does not exist. A (post, person) pair may appear only
/// once.
pub async fn vote_many(
    conn: &mut PgConnection,
    changes: &[VoteChange],
) -> sqlx::Result<Vec<Option<i16>>> {
    let ids: Vec<i64> = changes.iter().map(|c| c.target_id).collect();
    let existing: Vec<i64> = sqlx::query_scalar!(
        "select id from post where id = any($1) order by id for no key update",
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    if existing.is_empty() {
        return Ok(vec![None; changes.len()]);
    }
    let (targets, voters) = present_pairs(changes, &existing);
    let old: Vec<(i64, i64, i16)> = sqlx::query!(
        "delete from post_vote v
         using unnest($1::int8[], $2::int8[]) as c(post_id, person_id)
         where v.post_id = c.post_id and v.person_id = c.person_id
         returning v.post_id, v.person_id, v.score",
        &targets,
        &voters
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| (r.post_id, r.person_id, r.score))
    .collect();
    let new = cast(changes, &existing);
    sqlx::query!(
        "insert into post_vote (post_id, person_id, score)
         select * from unnest($1::int8[], $2::int8[], $3::int2[])",
        &new.0,
        &new.1,
        &new.2
    )
    .execute(&mut *conn)
    .await?;
    let tally = tally(changes, &existing, &old);
    sqlx::query!(
        "update post p set
            score = p.score + d.up - d.down,
            upvotes = p.upvotes + d.up,
            downvotes = p.downvotes + d.down,
            hot_rank = hearth_hot_rank(p.score + d.up - d.down, p.published_at, now()),
            active_rank = hearth_hot_rank(p.score + d.up - d.down, p.last_activity_at, now()),
            controversy_rank = hearth_controversy_rank(p.upvotes + d.up, p.downvotes + d.down)
         from unnest($1::int8[], $2::int4[], $3::int4[]) as d(id, up, down)
         where p.id = d.id",
        &tally.ids,
        &tally.up,
        &tally.down
    )
    .execute(&mut *conn)
    .await?;
    Ok(tally.replaced)
}

/// The (target, person) pairs of the changes whose target exists.
pub(crate) fn present_pairs(changes: &[VoteChange], existing: &[i64]) -> (Vec<i64>, Vec<i64>) {
    changes
        .iter()
        .filter(|c| existing.contains(&c.target_id))
        .map(|c| (c.target_id, c.person_id))
        .unzip()
}

/// The votes to insert: the changes to a non-zero score whose target exists.
pub(crate) fn cast(changes: &[VoteChange], existing: &[i64]) -> (Vec<i64>, Vec<i64>, Vec<i16>) {
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for c in changes
        .iter()
        .filter(|c| c.score != 0 && existing.contains(&c.target_id))
    {
        out.0.push(c.target_id);
        out.1.push(c.person_id);
        out.2.push(c.score);
    }
    out
}

/// What a batch of votes does to the counts: what each change replaced, and the up and down
/// count changes per target, summed over the changes to it (parallel lists, as `unnest` binds
/// them).
pub(crate) struct Tally {
    /// For each change in order, the vote it replaced (0 for none); `None` when its target does
    /// not exist.
    pub(crate) replaced: Vec<Option<i16>>,
    /// The targets whose counts change.
    pub(crate) ids: Vec<i64>,
    /// Their upvote count changes.
    pub(crate) up: Vec<i32>,
    /// Their downvote count changes.
    pub(crate) down: Vec<i32>,
}

/// Tallies `changes` against `old`, the votes they deleted, as (target, person, score).
pub(crate) fn tally(changes: &[VoteChange], existing: &[i64], old: &[(i64, i64, i16)]) -> Tally {
    let mut tally = Tally {
        replaced: Vec::with_capacity(changes.len()),
        ids: Vec::new(),
        up: Vec::new(),
        down: Vec::new(),
    };
    for c in changes {
        if !existing.contains(&c.target_id) {
            tally.replaced.push(None);
            continue;
        }
        let before = old
            .iter()
            .find(|(t, p, _)| *t == c.target_id && *p == c.person_id)
            .map_or(0, |(_, _, s)| *s);
        tally.replaced.push(Some(before));
        let (up, down) = vote_deltas(before, c.score);
        match tally.ids.iter().position(|id| *id == c.target_id) {
            Some(i) => {
                tally.up[i] += up;
                tally.down[i] += down;
            }
            None => {
                tally.ids.push(c.target_id);
                tally.up.push(up);
                tally.down.push(down);
            }
        }
    }
    tally
}

/// How a change of vote from `old` to `new` moves the up and down counts.
pub fn vote_deltas(old: i16, new: i16) -> (i32, i32) {
    let up = i32::from(new == 1) - i32::from(old == 1);
    let down = i32::from(new == -1) - i32::from(old == -1);
    (up, down)
}

/// Recomputes the time-dependent ranks of posts active in the last week, and zeroes older ones
/// that still carry a rank. Returns how many rows changed.
pub async fn refresh_ranks(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "update post set
            hot_rank = hearth_hot_rank(score, published_at, now()),
            active_rank = hearth_hot_rank(score, last_activity_at, now())
         where last_activity_at > now() - interval '8 days' or hot_rank <> 0 or active_rank <> 0"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Full-text search over titles and bodies (English stemming), best match first, without what
/// the viewer blocks.
pub async fn search(
    db: impl PgExecutor<'_>,
    query: &str,
    community: Option<i64>,
    after: Option<PostCursor>,
    limit: i64,
    viewer: Option<i64>,
) -> sqlx::Result<Vec<(f64, PostRow)>> {
    #[derive(sqlx::FromRow)]
    struct Ranked {
        rank: f64,
        #[sqlx(flatten)]
        row: PostRow,
    }
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "select * from (select ts_rank(p.search, websearch_to_tsquery('english', ",
    );
    q.push_bind(query);
    q.push(format_args!(
        "))::double precision as rank, {POST_COLUMNS} {POST_FROM}"
    ));
    q.push_bind(viewer);
    q.push(
        " where not p.deleted and not p.removed and not c.removed \
           and p.search @@ websearch_to_tsquery('english', ",
    );
    q.push_bind(query);
    q.push(")");
    crate::block::push_hide_blocked_people(&mut q, viewer, "p.author_id");
    match community {
        Some(c) => {
            q.push(" and p.community_id = ");
            q.push_bind(c);
        }
        // A search within one community is like its page: its own blocks do not apply.
        None => crate::block::push_hide_blocked_communities(&mut q, viewer, "p.community_id"),
    }
    q.push(") ranked");
    if let Some(a) = after {
        q.push(" where (rank, id) < (");
        q.push_bind(a.key);
        q.push(", ");
        q.push_bind(a.id);
        q.push(")");
    }
    q.push(" order by rank desc, id desc limit ");
    q.push_bind(limit);
    let rows = q.build_query_as::<Ranked>().fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| (r.rank, r.row)).collect())
}

/// Records that the home server was asked about this post just now.
pub async fn touch_refreshed(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update post set last_refreshed_at = now() where id = $1",
        id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a deletion back (its author's `Undo{Delete}`); false when it was not deleted.
pub async fn mark_undeleted(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"with undeleted as (
            update post set deleted = false, updated_at = now() where id = $1 and deleted
            returning community_id, removed
         ), counted as (
            insert into community_count_change (community_id, posts)
            select community_id, 1 from undeleted where not removed
         )
         select count(*) as "changed!" from undeleted"#,
        id
    )
    .fetch_one(db)
    .await?;
    Ok(done.changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_cursor_keys_read_back_to_the_microsecond() {
        // Times spread from 1970 to 2106 (every fraction of a second comes up), and every
        // microsecond of a stretch of today.
        let spread = (0..4_294_967_296_000_000_i64).step_by(7_777_777_777_777);
        for micros in spread.chain(1_790_000_000_000_000..1_790_000_000_200_000) {
            let time = DateTime::from_timestamp_micros(micros).unwrap();
            assert_eq!(cursor_time(time_key(time)), time, "{micros}");
        }
    }

    #[test]
    fn new_cursor_keys_beyond_postgres_times_are_held_in_range() {
        assert_eq!(cursor_time(i64::MAX as f64).timestamp(), 253_402_300_799);
        assert_eq!(cursor_time(-1e300).timestamp(), -62_135_596_800);
        assert_eq!(cursor_time(f64::NAN).timestamp(), 0);
    }
}

#[cfg(test)]
#[path = "post_proptests.rs"]
mod proptests;
