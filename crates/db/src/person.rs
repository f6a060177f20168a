//! People and local accounts: the `person` and `local_account` tables.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// What is needed to store a new local account. `Debug` leaves out the secrets.
pub struct NewLocalAccount<'a> {
    /// The ActivityPub id, `<base>/u/<name>`.
    pub ap_id: &'a str,
    /// The normalised username.
    pub name: &'a str,
    /// Shown instead of the name when set.
    pub display_name: Option<&'a str>,
    /// Optional email address.
    pub email: Option<&'a str>,
    /// The argon2id PHC string.
    pub password_hash: &'a str,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// False while an application waits for approval.
    pub approved: bool,
    /// The RSA public key (PEM).
    pub public_key: &'a str,
    /// The RSA private key (PKCS#8 PEM).
    pub private_key: &'a str,
}

impl std::fmt::Debug for NewLocalAccount<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewLocalAccount")
            .field("ap_id", &self.ap_id)
            .field("name", &self.name)
            .field("admin", &self.admin)
            .finish_non_exhaustive()
    }
}

/// Inserts a person and its local account; returns the person's id. The caller owns the
/// transaction. A taken name fails on `person_local_name_key` or `person_ap_id_key`, a taken
/// email on `local_account_email_key`.
pub async fn insert_local(conn: &mut PgConnection, new: &NewLocalAccount<'_>) -> sqlx::Result<i64> {
    let person_id = sqlx::query_scalar!(
        "insert into person (ap_id, local, name, display_name, public_key, private_key)
         values ($1, true, $2, $3, $4, $5) returning id",
        new.ap_id,
        new.name,
        new.display_name,
        new.public_key,
        new.private_key
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "insert into local_account (person_id, password_hash, email, admin, approved)
         values ($1, $2, $3, $4, $5)",
        person_id,
        new.password_hash,
        new.email,
        new.admin,
        new.approved
    )
    .execute(&mut *conn)
    .await?;
    Ok(person_id)
}

/// True when at least one local administrator exists.
pub async fn admin_exists(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from local_account where admin) as "exists!""#
    )
    .fetch_one(db)
    .await?;
    Ok(exists)
}

/// True when this person is a local administrator.
pub async fn is_admin(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<bool> {
    let admin = sqlx::query_scalar!(
        r#"select exists (select 1 from local_account where person_id = $1 and admin) as "admin!""#,
        person_id
    )
    .fetch_one(db)
    .await?;
    Ok(admin)
}

/// What login needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The person's id.
    pub person_id: i64,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// Whether the account may sign in.
    pub approved: bool,
    /// The registration application's status, if there was one.
    pub application_status: Option<String>,
    /// Why the application was denied, if it was.
    pub deny_reason: Option<String>,
    /// Banned from this instance right now.
    pub banned: bool,
    /// Why, when banned.
    pub ban_reason: Option<String>,
}

/// Finds the credentials of a local account by name or by email address (case-insensitively;
/// names cannot hold `@`, so one text never matches two accounts).
pub async fn credentials(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<Credentials>> {
    sqlx::query_as!(
        Credentials,
        r#"select p.id as person_id, a.password_hash, a.approved,
                  r.status as "application_status?", r.deny_reason as "deny_reason?",
                  (p.site_banned and (p.site_ban_expires_at is null or p.site_ban_expires_at > now()))
                      as "banned!",
                  p.site_ban_reason as ban_reason
           from person p
           join local_account a on a.person_id = p.id
           left join registration_application r on r.person_id = p.id
           where p.local and (lower(p.name) = lower($1) or lower(a.email) = lower($1)) and not p.deleted"#,
        name
    )
    .fetch_optional(db)
    .await
}

/// Marks an account approved or not.
pub async fn set_approved(
    db: impl PgExecutor<'_>,
    person_id: i64,
    approved: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update local_account set approved = $2, updated_at = now() where person_id = $1",
        person_id,
        approved
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A person as views show them.
#[derive(Debug, Clone)]
pub struct PersonRow {
    /// The person's id.
    pub id: i64,
    /// The ActivityPub id.
    pub ap_id: String,
    /// True for people of this instance.
    pub local: bool,
    /// The preferred username.
    pub name: String,
    /// The display name, if set.
    pub display_name: Option<String>,
    /// The bio as written (markdown).
    pub bio: String,
    /// The bio rendered and sanitised.
    pub bio_html: String,
    /// Whether the person administers this instance.
    pub admin: bool,
    /// When the person was first seen.
    pub created_at: DateTime<Utc>,
    /// The account was deleted (the row stays: the name stays taken).
    pub deleted: bool,
    /// The avatar's public URL (ours for uploads here, the home server's for remote people).
    pub avatar_url: Option<String>,
    /// The banner's public URL.
    pub banner_url: Option<String>,
}

/// Finds a local person by name (case-insensitively).
pub async fn find_local(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at, p.deleted,
                  p.avatar_url, p.banner_url
           from person p left join local_account a on a.person_id = p.id
           where p.local and lower(p.name) = lower($1) and a.approved"#,
        name
    )
    .fetch_optional(db)
    .await
}

/// Finds a person by id.
pub async fn find(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at, p.deleted,
                  p.avatar_url, p.banner_url
           from person p left join local_account a on a.person_id = p.id
           where p.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// People by id, in no particular order (missing ids are left out).
pub async fn find_many(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at, p.deleted,
                  p.avatar_url, p.banner_url
           from person p left join local_account a on a.person_id = p.id
           where p.id = any($1)"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// Which of these people are banned from this instance right now.
pub async fn site_banned_among(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"select id as "id!" from person
           where id = any($1) and site_banned
             and (site_ban_expires_at is null or site_ban_expires_at > now())"#,
        ids
    )
    .fetch_all(db)
    .await
}

/// A local account's private side, for `GET /me`.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// The email address, if given.
    pub email: Option<String>,
    /// Whether it is approved.
    pub approved: bool,
}

/// The private side of a local account.
pub async fn account(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<Option<AccountRow>> {
    sqlx::query_as!(
        AccountRow,
        "select email, approved from local_account where person_id = $1",
        person_id
    )
    .fetch_optional(db)
    .await
}

/// People whose name or display name match a prefix query (see `community::text_query`), by id.
pub async fn search(
    db: impl PgExecutor<'_>,
    text_query: &str,
    after: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  coalesce(a.admin, false) as "admin!", p.created_at, p.deleted,
                  p.avatar_url, p.banner_url
           from person p left join local_account a on a.person_id = p.id
           where to_tsvector('simple', p.name || ' ' || coalesce(p.display_name, '')) @@ to_tsquery('simple', $1)
             and (not p.local or a.approved) and not p.deleted
             and ($2::bigint is null or p.id > $2)
           order by p.id limit $3"#,
        text_query,
        after,
        limit
    )
    .fetch_all(db)
    .await
}

/// A person as ActivityPub needs it: identity, profile, keys and inboxes. `Debug` leaves the
/// private key out, so that no log line can carry it.
#[derive(Clone)]
pub struct ActorRow {
    /// The person's id.
    pub id: i64,
    /// The ActivityPub id.
    pub ap_id: String,
    /// True for people of this instance.
    pub local: bool,
    /// The preferred username.
    pub name: String,
    /// The display name.
    pub display_name: Option<String>,
    /// The bio (markdown).
    pub bio: String,
    /// The bio as sanitised HTML.
    pub bio_html: String,
    /// The instance of a remote person.
    pub host: Option<String>,
    /// The public key (PEM).
    pub public_key: Option<String>,
    /// The private key (PEM), local people only.
    pub private_key: Option<String>,
    /// A remote person's inbox.
    pub inbox_url: Option<String>,
    /// A remote person's shared inbox.
    pub shared_inbox_url: Option<String>,
    /// When a remote copy was last fetched.
    pub last_refreshed_at: DateTime<Utc>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The account was deleted.
    pub deleted: bool,
    /// The avatar's public URL.
    pub avatar_url: Option<String>,
    /// The banner's public URL.
    pub banner_url: Option<String>,
}

impl std::fmt::Debug for ActorRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActorRow")
            .field("id", &self.id)
            .field("ap_id", &self.ap_id)
            .field("local", &self.local)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A person by ActivityPub id.
pub async fn actor_by_ap_id(
    db: impl PgExecutor<'_>,
    ap_id: &str,
) -> sqlx::Result<Option<ActorRow>> {
    sqlx::query_as!(
        ActorRow,
        "select id, ap_id, local, name, display_name, bio, bio_html, host, public_key, private_key,
                inbox_url, shared_inbox_url, last_refreshed_at, created_at, updated_at, deleted,
                avatar_url, banner_url
         from person where ap_id = $1",
        ap_id
    )
    .fetch_optional(db)
    .await
}

/// A person's actor row by id.
pub async fn actor_by_id(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<ActorRow>> {
    sqlx::query_as!(
        ActorRow,
        "select id, ap_id, local, name, display_name, bio, bio_html, host, public_key, private_key,
                inbox_url, shared_inbox_url, last_refreshed_at, created_at, updated_at, deleted,
                avatar_url, banner_url
         from person where id = $1",
        id
    )
    .fetch_optional(db)
    .await
}

/// A local person's actor row by name.
pub async fn local_actor(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<ActorRow>> {
    sqlx::query_as!(
        ActorRow,
        "select id, ap_id, local, name, display_name, bio, bio_html, host, public_key, private_key,
                inbox_url, shared_inbox_url, last_refreshed_at, created_at, updated_at, deleted,
                avatar_url, banner_url
                  from person
         where local and lower(name) = lower($1)
           and exists (select 1 from local_account a where a.person_id = person.id and a.approved)",
        name
    )
    .fetch_optional(db)
    .await
}

/// A remote person by name and instance.
pub async fn remote_by_name(
    db: impl PgExecutor<'_>,
    name: &str,
    host: &str,
) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as!(
        PersonRow,
        r#"select p.id, p.ap_id, p.local, p.name, p.display_name, p.bio, p.bio_html,
                  false as "admin!", p.created_at, p.deleted, p.avatar_url, p.banner_url
           from person p where not p.local and lower(p.name) = lower($1) and p.host = $2"#,
        name,
        host
    )
    .fetch_optional(db)
    .await
}

/// A remote person as fetched.
#[derive(Debug)]
pub struct RemotePerson<'a> {
    /// The ActivityPub id.
    pub ap_id: &'a str,
    /// The instance (authority).
    pub host: &'a str,
    /// preferredUsername.
    pub name: &'a str,
    /// name.
    pub display_name: Option<&'a str>,
    /// The bio as markdown (source) or text.
    pub bio: &'a str,
    /// The bio as sanitised HTML.
    pub bio_html: &'a str,
    /// Public key (PEM).
    pub public_key: &'a str,
    /// Inbox.
    pub inbox_url: &'a str,
    /// Shared inbox.
    pub shared_inbox_url: Option<&'a str>,
    /// Avatar (`icon`), an http(s) URL.
    pub avatar_url: Option<&'a str>,
    /// Banner (`image`), an http(s) URL.
    pub banner_url: Option<&'a str>,
}

/// Stores or refreshes a remote person; returns the row.
pub async fn upsert_remote(
    db: impl PgExecutor<'_>,
    p: &RemotePerson<'_>,
) -> sqlx::Result<ActorRow> {
    sqlx::query_as!(
        ActorRow,
        "insert into person (ap_id, local, name, display_name, bio, bio_html, host, public_key, inbox_url,
                             shared_inbox_url, avatar_url, banner_url, last_refreshed_at)
         values ($1, false, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
         on conflict (ap_id) do update set
            name = excluded.name, display_name = excluded.display_name, bio = excluded.bio,
            bio_html = excluded.bio_html, public_key = excluded.public_key, inbox_url = excluded.inbox_url,
            shared_inbox_url = excluded.shared_inbox_url, avatar_url = excluded.avatar_url,
            banner_url = excluded.banner_url, last_refreshed_at = now(), updated_at = now()
         where not person.local
         returning id, ap_id, local, name, display_name, bio, bio_html, host, public_key, private_key,
                   inbox_url, shared_inbox_url, last_refreshed_at, created_at, updated_at, deleted,
                avatar_url, banner_url",
        p.ap_id,
        p.name,
        p.display_name,
        p.bio,
        p.bio_html,
        p.host,
        p.public_key,
        p.inbox_url,
        p.shared_inbox_url,
        p.avatar_url,
        p.banner_url
    )
    .fetch_one(db)
    .await
}

/// A change of a person's avatar and banner; `None` leaves one as it is, `Some(None)` removes
/// it.
#[derive(Debug, Default, Clone, Copy)]
pub struct ImagesChange<'a> {
    /// New avatar URL.
    pub avatar_url: Option<Option<&'a str>>,
    /// New banner URL.
    pub banner_url: Option<Option<&'a str>>,
}

/// Changes a person's avatar and banner; true when either changed.
pub async fn set_images(
    db: impl PgExecutor<'_>,
    person_id: i64,
    change: &ImagesChange<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update person set
            avatar_url = case when $2 then $3 else avatar_url end,
            banner_url = case when $4 then $5 else banner_url end,
            updated_at = now()
         where id = $1
           and (($2 and avatar_url is distinct from $3) or ($4 and banner_url is distinct from $5))",
        person_id,
        change.avatar_url.is_some(),
        change.avatar_url.flatten(),
        change.banner_url.is_some(),
        change.banner_url.flatten()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Local people without a key pair (made before keys existed).
pub async fn local_without_keys(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "select id from person where local and (public_key is null or private_key is null)"
    )
    .fetch_all(db)
    .await
}

/// Stores a key pair.
pub async fn set_keys(
    db: impl PgExecutor<'_>,
    id: i64,
    public_key: &str,
    private_key: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update person set public_key = $2, private_key = $3 where id = $1",
        id,
        public_key,
        private_key
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Counts for NodeInfo: local accounts, and those active in the last month and half year.
#[derive(Debug, Clone, Copy)]
pub struct UsageCounts {
    /// Local accounts.
    pub total: i64,
    /// Posted or commented in the last 30 days.
    pub active_month: i64,
    /// … 180 days.
    pub active_halfyear: i64,
    /// Local posts.
    pub local_posts: i64,
    /// Local comments.
    pub local_comments: i64,
}

/// Usage figures for NodeInfo.
pub async fn usage(db: impl PgExecutor<'_>) -> sqlx::Result<UsageCounts> {
    let row = sqlx::query!(
        r#"with activity as (
               select author_id, published_at from post where local
               union all select author_id, published_at from comment where local
           )
           select
             (select count(*) from local_account) as "total!",
             (select count(distinct author_id) from activity where published_at > now() - interval '30 days') as "month!",
             (select count(distinct author_id) from activity where published_at > now() - interval '180 days') as "halfyear!",
             (select count(*) from post where local) as "posts!",
             (select count(*) from comment where local) as "comments!""#
    )
    .fetch_one(db)
    .await?;
    Ok(UsageCounts {
        total: row.total,
        active_month: row.month,
        active_halfyear: row.halfyear,
        local_posts: row.posts,
        local_comments: row.comments,
    })
}

/// True while the person (by ActivityPub id) is banned from this instance.
pub async fn is_site_banned(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select 1 as one from person
         where ap_id = $1 and site_banned
           and (site_ban_expires_at is null or site_ban_expires_at > now())",
        ap_id
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// True when the person with this ActivityPub id was deleted (their account closed, here or on
/// their own server).
pub async fn is_deleted(db: impl PgExecutor<'_>, ap_id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select 1 as one from person where ap_id = $1 and deleted",
        ap_id
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// Bans a person from this instance (or lifts it) on behalf of `source`: `local` (our admins,
/// who override anything) or the authority of the person's home server (which cannot replace or
/// lift a ban of ours). True when something changed.
pub async fn set_site_ban(
    db: impl PgExecutor<'_>,
    person_id: i64,
    banned: bool,
    reason: Option<&str>,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    source: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update person set site_banned = $2, site_ban_reason = $3, site_ban_expires_at = $4,
                site_ban_source = case when $2 then $5 else null end
         where id = $1
           and ($5 = 'local' or not site_banned or site_ban_source = $5)
           and (site_banned <> $2 or $2)",
        person_id,
        banned,
        reason,
        expires_at,
        source
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes everything a person wrote on this instance's copy of the fediverse (a site ban with
/// `remove_data`): their posts and comments are marked removed. Returns how many.
pub async fn remove_all_content(
    conn: &mut sqlx::PgConnection,
    person_id: i64,
) -> sqlx::Result<(u64, u64)> {
    let communities: Vec<i64> = sqlx::query_scalar!(
        "select distinct community_id as \"id!\" from post where author_id = $1
         union select distinct p.community_id from comment c join post p on p.id = c.post_id
         where c.author_id = $1",
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut totals = (0, 0);
    for community in communities {
        let (posts, comments) =
            crate::moderation::remove_person_content(conn, community, person_id).await?;
        totals.0 += posts;
        totals.1 += comments;
    }
    Ok(totals)
}

/// True while the person (by id) is banned from this instance.
pub async fn is_site_banned_id(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select 1 as one from person where id = $1 and site_banned
           and (site_ban_expires_at is null or site_ban_expires_at > now())",
        id
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// Deletes a person and, by cascade, what they wrote and their votes and memberships.
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!("delete from person where id = $1 and not local", id)
        .execute(db)
        .await?;
    Ok(())
}

/// The shared inboxes (else inboxes) of the servers whose people are members of our
/// communities, one per server: where instance-wide news goes.
pub async fn follower_instance_inboxes(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(String, String)>> {
    Ok(sqlx::query!(
        r#"select distinct on (p.host) p.host as "host!", coalesce(p.shared_inbox_url, p.inbox_url) as "inbox!"
           from community_member m
           join community c on c.id = m.community_id and c.local
           join person p on p.id = m.person_id and not p.local
           where p.host is not null and coalesce(p.shared_inbox_url, p.inbox_url) is not null
           order by p.host, p.shared_inbox_url is null"#
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.host, r.inbox))
    .collect())
}

/// Makes a local account an administrator or not; false when there is no such account.
pub async fn set_admin(db: impl PgExecutor<'_>, person_id: i64, admin: bool) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update local_account set admin = $2 where person_id = $1",
        person_id,
        admin
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The oldest administrator, who signs what the command line does as an admin.
pub async fn first_admin(db: impl PgExecutor<'_>) -> sqlx::Result<Option<(i64, String)>> {
    Ok(sqlx::query!(
        "select p.id, p.name from person p join local_account a on a.person_id = p.id
         where a.admin order by p.id limit 1"
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.id, r.name)))
}

/// How many administrators there are.
pub async fn admin_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from local_account where admin"#)
        .fetch_one(db)
        .await
}

/// Marks a person's account deleted: the row stays (its name stays taken, its content may stay
/// with the author shown as deleted), its display name, bio, avatar and banner go. False when it
/// already was.
pub async fn mark_deleted(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update person set deleted = true, deleted_at = now(), display_name = null, bio = '',
                bio_html = '', avatar_url = null, banner_url = null, updated_at = now()
         where id = $1 and not deleted",
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks everything a person wrote deleted (as if they had deleted each post and comment) and
/// blanks it: bodies, links and pictures, and post titles. Returns how many posts and comments.
pub async fn delete_all_content(
    conn: &mut PgConnection,
    person_id: i64,
) -> sqlx::Result<(u64, u64)> {
    let posts = sqlx::query_scalar!(
        "select id from post where author_id = $1 and not deleted",
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    for &id in &posts {
        // One at a time, so that counts change exactly as for a deletion by its author.
        crate::post::mark_deleted(&mut *conn, id).await?;
    }
    let comments = sqlx::query_scalar!(
        "select id from comment where author_id = $1 and not deleted",
        person_id
    )
    .fetch_all(&mut *conn)
    .await?;
    for &id in &comments {
        crate::comment::mark_deleted(&mut *conn, id).await?;
    }
    sqlx::query!(
        "update post set title = '[deleted]', body = '', body_html = '', url = null,
                thumbnail_url = null, preview_title = null, preview_description = null,
                preview_state = 'none', updated_at = now()
         where author_id = $1",
        person_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "delete from post_image where post_id in (select id from post where author_id = $1)",
        person_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update comment set body = '', body_html = '', updated_at = now() where author_id = $1",
        person_id
    )
    .execute(&mut *conn)
    .await?;
    Ok((posts.len() as u64, comments.len() as u64))
}

/// Ends every membership and join request of a person, keeping member counts exact; returns
/// how many went.
pub async fn leave_all_communities(db: impl PgExecutor<'_>, person_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"with gone as (
               delete from community_member where person_id = $1
               returning community_id, state
           ), counted as (
               update community c set member_count = greatest(c.member_count - 1, 0),
                      home_member_count = case when c.home_member_count is not null
                                               then greatest(c.home_member_count - 1, 0) end
               from gone where c.id = gone.community_id and gone.state = 'joined'
               returning c.id
           )
           select count(*) as "n!" from gone"#,
        person_id
    )
    .fetch_one(db)
    .await
}

/// The communities a person moderates: each with whether another moderator (not deleted)
/// remains, and whether it is one of ours.
#[derive(Debug, Clone, Copy)]
pub struct ModeratedCommunity {
    /// The community.
    pub community_id: i64,
    /// A community of this instance.
    pub local: bool,
    /// Someone else, whose account is not deleted, moderates it too.
    pub others_remain: bool,
}

/// Every community the person moderates, locked against concurrent moderator changes.
pub async fn moderated_communities(
    conn: &mut PgConnection,
    person_id: i64,
) -> sqlx::Result<Vec<ModeratedCommunity>> {
    sqlx::query_as!(
        ModeratedCommunity,
        r#"select c.id as community_id, c.local,
                  exists (select 1 from community_moderator o join person op on op.id = o.person_id
                          where o.community_id = c.id and o.person_id <> $1 and not op.deleted)
                      as "others_remain!"
           from community_moderator m join community c on c.id = m.community_id
           where m.person_id = $1
           order by c.id
           for update of m"#,
        person_id
    )
    .fetch_all(&mut *conn)
    .await
}

/// The administrators whose accounts are not deleted, oldest first.
pub async fn active_admins(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "select p.id from person p join local_account a on a.person_id = p.id
         where a.admin and not p.deleted order by p.id"
    )
    .fetch_all(db)
    .await
}

/// The inboxes (shared inbox once per server) of every server that has reason to know a
/// person: those of the remote communities they have joined, and those of the remote members of
/// our communities they have joined. Where news about the person goes.
pub async fn audience_inboxes(
    db: impl PgExecutor<'_>,
    person_id: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select distinct on (host) inbox as "inbox!" from (
               select c.host, coalesce(c.shared_inbox_url, c.inbox_url) as inbox,
                      c.shared_inbox_url is null as unshared
               from community_member m join community c on c.id = m.community_id and not c.local
               where m.person_id = $1 and m.state = 'joined'
               union all
               select p.host, coalesce(p.shared_inbox_url, p.inbox_url), p.shared_inbox_url is null
               from community_member m
               join community c on c.id = m.community_id and c.local
               join community_member o on o.community_id = c.id and o.state = 'joined'
               join person p on p.id = o.person_id and not p.local
               where m.person_id = $1 and m.state = 'joined'
           ) s
           where host is not null and inbox is not null
           order by host, unshared"#,
        person_id
    )
    .fetch_all(db)
    .await
}

/// A person banned from this instance, for the admins' list.
#[derive(Debug, Clone)]
pub struct SiteBanRow {
    /// The person's id.
    pub id: i64,
    /// The preferred username.
    pub name: String,
    /// True for people of this instance.
    pub local: bool,
    /// The ActivityPub id (its host names a remote person's server).
    pub ap_id: String,
    /// Why.
    pub reason: Option<String>,
    /// Until when; `None` until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    /// `local` (our admins) or the authority of the person's home server.
    pub source: Option<String>,
}

/// The people banned from this instance right now, by name.
pub async fn site_bans(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<SiteBanRow>> {
    sqlx::query_as!(
        SiteBanRow,
        "select id, name, local, ap_id, site_ban_reason as reason,
                site_ban_expires_at as expires_at, site_ban_source as source
         from person
         where site_banned and (site_ban_expires_at is null or site_ban_expires_at > now())
         order by local desc, lower(name), id"
    )
    .fetch_all(db)
    .await
}

/// A local account as the admins' people list shows it.
#[derive(Debug, Clone)]
pub struct LocalAccountRow {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// The display name, if set.
    pub display_name: Option<String>,
    /// Whether the account administers the instance.
    pub admin: bool,
    /// Whether it may sign in (approval mode).
    pub approved: bool,
    /// Banned from the instance right now.
    pub banned: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// When one of its tokens was last used.
    pub last_active_at: Option<DateTime<Utc>>,
}

/// Local accounts (not deleted) whose name or display name contains `text` (all when `None`),
/// by name, after the name `after`.
pub async fn local_accounts(
    db: impl PgExecutor<'_>,
    text: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> sqlx::Result<Vec<LocalAccountRow>> {
    sqlx::query_as!(
        LocalAccountRow,
        r#"select p.id, p.name, p.display_name, a.admin, a.approved,
                  (p.site_banned and (p.site_ban_expires_at is null or p.site_ban_expires_at > now()))
                      as "banned!",
                  a.created_at,
                  (select max(t.last_used_at) from auth_token t where t.person_id = p.id)
                      as last_active_at
           from person p join local_account a on a.person_id = p.id
           where p.local and not p.deleted
             and ($1::text is null
                  or strpos(lower(p.name || ' ' || coalesce(p.display_name, '')), lower($1)) > 0)
             and ($2::text is null or lower(p.name) > lower($2))
           order by lower(p.name) limit $3"#,
        text,
        after,
        limit
    )
    .fetch_all(db)
    .await
}
