//! Communities (`community`): storage, lookups and the sorted, searchable, cursor-paged list.

use crate::decode;
use chrono::{DateTime, Utc};
use hearth_core::UnknownName;
use sqlx::PgExecutor;
use std::str::FromStr;

/// Who may join a community (`community.visibility`): everyone at once, or after a moderator's
/// approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone may join.
    Public,
    /// Joining needs a moderator's approval (`manuallyApprovesFollowers` over federation).
    Approval,
}

impl Visibility {
    /// The stored name, which the API shows as it is.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Approval => "approval",
        }
    }
}

impl FromStr for Visibility {
    type Err = UnknownName;

    /// Reads the stored name (`public` or `approval`); any other fails.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "public" => Ok(Self::Public),
            "approval" => Ok(Self::Approval),
            _ => Err(UnknownName::new("community visibility", name)),
        }
    }
}

/// A community as stored.
#[derive(Debug, Clone)]
pub struct CommunityRow {
    /// Its id.
    pub id: i64,
    /// Its ActivityPub id.
    pub ap_id: String,
    /// True for communities of this instance.
    pub local: bool,
    /// Its name (lowercase for local ones).
    pub name: String,
    /// Its title.
    pub title: String,
    /// Its description (markdown).
    pub description: String,
    /// The description rendered and sanitised.
    pub description_html: String,
    /// Its rules (markdown); empty for remote communities, whose rules arrive in their
    /// description.
    pub rules: String,
    /// The rules rendered and sanitised.
    pub rules_html: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Only moderators may post.
    pub posting_restricted_to_mods: bool,
    /// Who may join.
    pub visibility: Visibility,
    /// Joined members.
    pub member_count: i32,
    /// Live posts: the stored count plus the changes not yet folded into it
    /// (`fold_count_changes`), so it is exact at every read.
    pub post_count: i32,
    /// Live comments, counted as posts are.
    pub comment_count: i32,
    /// Distinct active people in the last day.
    pub users_active_day: i32,
    /// … week.
    pub users_active_week: i32,
    /// … month.
    pub users_active_month: i32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The instance of a remote community (`None` for local ones).
    pub host: Option<String>,
    /// The public key (PEM); the private key is read only where signing needs it.
    pub public_key: Option<String>,
    /// A remote community's inbox.
    pub inbox_url: Option<String>,
    /// A remote community's shared inbox.
    pub shared_inbox_url: Option<String>,
    /// A remote community's followers collection.
    pub followers_url: Option<String>,
    /// When a remote copy was last fetched.
    pub last_refreshed_at: DateTime<Utc>,
    /// A remote community's members as its own server counts them (its followers collection's
    /// `totalItems`), when known.
    pub home_member_count: Option<i32>,
    /// A remote community's posts as its own server counts them (its outbox's `totalItems`),
    /// when known.
    pub home_post_count: Option<i32>,
    /// An admin removed this (local) community: it takes nothing new until restored.
    pub removed: bool,
    /// The icon's public URL (ours for uploads here, the home server's for remote ones).
    pub icon_url: Option<String>,
    /// The banner's public URL.
    pub banner_url: Option<String>,
}

impl CommunityRow {
    /// The members to show: for a remote community its own server's count when known (ours
    /// counts only the members here), else the members here.
    pub fn members(&self) -> i32 {
        match self.home_member_count {
            Some(home) if !self.local => home,
            _ => self.member_count,
        }
    }

    /// The posts to show: for a remote community its own server's count when known (ours
    /// counts only what reached us), else the posts here.
    pub fn posts(&self) -> i32 {
        match self.home_post_count {
            Some(home) if !self.local => home,
            _ => self.post_count,
        }
    }
}

/// A community as the checked queries read it, before its visibility is parsed.
struct StoredCommunity {
    id: i64,
    ap_id: String,
    local: bool,
    name: String,
    title: String,
    description: String,
    description_html: String,
    rules: String,
    rules_html: String,
    nsfw: bool,
    posting_restricted_to_mods: bool,
    visibility: String,
    member_count: i32,
    post_count: i32,
    comment_count: i32,
    users_active_day: i32,
    users_active_week: i32,
    users_active_month: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    host: Option<String>,
    public_key: Option<String>,
    inbox_url: Option<String>,
    shared_inbox_url: Option<String>,
    followers_url: Option<String>,
    last_refreshed_at: DateTime<Utc>,
    home_member_count: Option<i32>,
    home_post_count: Option<i32>,
    removed: bool,
    icon_url: Option<String>,
    banner_url: Option<String>,
}

impl TryFrom<StoredCommunity> for CommunityRow {
    type Error = sqlx::Error;

    fn try_from(c: StoredCommunity) -> sqlx::Result<Self> {
        Ok(Self {
            id: c.id,
            ap_id: c.ap_id,
            local: c.local,
            name: c.name,
            title: c.title,
            description: c.description,
            description_html: c.description_html,
            rules: c.rules,
            rules_html: c.rules_html,
            nsfw: c.nsfw,
            posting_restricted_to_mods: c.posting_restricted_to_mods,
            visibility: decode(&c.visibility)?,
            member_count: c.member_count,
            post_count: c.post_count,
            comment_count: c.comment_count,
            users_active_day: c.users_active_day,
            users_active_week: c.users_active_week,
            users_active_month: c.users_active_month,
            created_at: c.created_at,
            updated_at: c.updated_at,
            host: c.host,
            public_key: c.public_key,
            inbox_url: c.inbox_url,
            shared_inbox_url: c.shared_inbox_url,
            followers_url: c.followers_url,
            last_refreshed_at: c.last_refreshed_at,
            home_member_count: c.home_member_count,
            home_post_count: c.home_post_count,
            removed: c.removed,
            icon_url: c.icon_url,
            banner_url: c.banner_url,
        })
    }
}

/// A new community. `Debug` leaves out the private key.
pub struct NewCommunity<'a> {
    /// Its ActivityPub id.
    pub ap_id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// Its title.
    pub title: &'a str,
    /// Its description (markdown).
    pub description: &'a str,
    /// The description rendered and sanitised.
    pub description_html: &'a str,
    /// Not safe for work.
    pub nsfw: bool,
    /// Only moderators may post.
    pub posting_restricted_to_mods: bool,
    /// Who may join.
    pub visibility: Visibility,
    /// The icon's public URL.
    pub icon_url: Option<&'a str>,
    /// The banner's public URL.
    pub banner_url: Option<&'a str>,
    /// The RSA public key (PEM).
    pub public_key: &'a str,
    /// The RSA private key (PKCS#8 PEM).
    pub private_key: &'a str,
}

impl std::fmt::Debug for NewCommunity<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCommunity")
            .field("ap_id", &self.ap_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Inserts a local community; a taken name fails on `community_local_name_key` or
/// `community_ap_id_key`.
pub async fn insert_local(db: impl PgExecutor<'_>, new: &NewCommunity<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into community (ap_id, local, name, title, description, description_html, nsfw,
                                posting_restricted_to_mods, visibility, public_key, private_key,
                                icon_url, banner_url)
         values ($1, true, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) returning id",
        new.ap_id,
        new.name,
        new.title,
        new.description,
        new.description_html,
        new.nsfw,
        new.posting_restricted_to_mods,
        new.visibility.as_str(),
        new.public_key,
        new.private_key,
        new.icon_url,
        new.banner_url
    )
    .fetch_one(db)
    .await
}

/// Finds a local community by name (case-insensitively).
pub async fn find_local(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<CommunityRow>> {
    sqlx::query_as!(
        StoredCommunity,
        "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community where local and lower(name) = lower($1)",
        name
    )
    .fetch_optional(db)
    .await?
    .map(CommunityRow::try_from)
    .transpose()
}

/// Finds a community by id.
pub async fn find(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<CommunityRow>> {
    sqlx::query_as!(StoredCommunity, "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community where id = $1", id)
        .fetch_optional(db)
        .await?
        .map(CommunityRow::try_from)
        .transpose()
}

/// Finds a community by id for a write path (applying an activity, announcing one, checking
/// whether someone may post): as [`find`], but its post and comment counts are the folded ones,
/// up to half a second behind, without adding the pending `community_count_change` rows. Under a
/// burst of comments in one community those rows pile up between folds, and summing them cost
/// 0.23 ms per lookup, twice per applied activity; write paths never show the counts.
pub async fn find_for_write(
    db: impl PgExecutor<'_>,
    id: i64,
) -> sqlx::Result<Option<CommunityRow>> {
    sqlx::query_as!(StoredCommunity, "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count, comment_count, users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community where id = $1", id)
        .fetch_optional(db)
        .await?
        .map(CommunityRow::try_from)
        .transpose()
}

/// Communities by id, in no particular order (missing ids are left out).
pub async fn find_many(db: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<Vec<CommunityRow>> {
    sqlx::query_as!(StoredCommunity, "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community where id = any($1)", ids)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(CommunityRow::try_from)
        .collect()
}

/// The orders communities can be listed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunitySort {
    /// Most members first.
    Members,
    /// Newest first.
    New,
    /// Most active people this week first.
    Active,
}

/// Where a page starts: the sort key and id of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last row (its id for `New`).
    pub key: i64,
    /// The id of the last row.
    pub id: i64,
}

/// One page of communities (not those an admin removed). `query` is a prefix-match text query
/// (see `text_query`).
pub async fn list(
    db: impl PgExecutor<'_>,
    sort: CommunitySort,
    query: Option<&str>,
    after: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Vec<CommunityRow>> {
    let (key, id) = (after.map(|c| c.key), after.map(|c| c.id));
    match sort {
        CommunitySort::New => {
            sqlx::query_as!(
                StoredCommunity,
                "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community
                 where not removed
                   and ($1::text is null or to_tsvector('simple', name || ' ' || title) @@ to_tsquery('simple', $1))
                   and ($2::bigint is null or id < $2)
                 order by id desc limit $3",
                query,
                id,
                limit
            )
            .fetch_all(db)
            .await?
            .into_iter()
            .map(CommunityRow::try_from)
            .collect()
        }
        CommunitySort::Members => {
            sqlx::query_as!(
                StoredCommunity,
                "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community
                 where not removed
                   and ($1::text is null or to_tsvector('simple', name || ' ' || title) @@ to_tsquery('simple', $1))
                   and ($2::bigint is null or (member_count, id) < ($2::bigint, $3::bigint))
                 order by member_count desc, id desc limit $4",
                query,
                key,
                id,
                limit
            )
            .fetch_all(db)
            .await?
            .into_iter()
            .map(CommunityRow::try_from)
            .collect()
        }
        CommunitySort::Active => {
            sqlx::query_as!(
                StoredCommunity,
                "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community
                 where not removed
                   and ($1::text is null or to_tsvector('simple', name || ' ' || title) @@ to_tsquery('simple', $1))
                   and ($2::bigint is null or (users_active_week, id) < ($2::bigint, $3::bigint))
                 order by users_active_week desc, id desc limit $4",
                query,
                key,
                id,
                limit
            )
            .fetch_all(db)
            .await?
            .into_iter()
            .map(CommunityRow::try_from)
            .collect()
        }
    }
}

/// Turns free text into a prefix-matching tsquery (`rust lang` → `rust:* & lang:*`), keeping only
/// letters and digits so that no input can break the query syntax. `None` when nothing is left.
pub fn text_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

/// A partial update; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct CommunityPatch<'a> {
    /// New title.
    pub title: Option<&'a str>,
    /// New description and its HTML.
    pub description: Option<(&'a str, &'a str)>,
    /// New rules and their HTML.
    pub rules: Option<(&'a str, &'a str)>,
    /// New NSFW flag.
    pub nsfw: Option<bool>,
    /// New posting restriction.
    pub posting_restricted_to_mods: Option<bool>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New icon URL; `Some(None)` removes it.
    pub icon_url: Option<Option<&'a str>>,
    /// New banner URL; `Some(None)` removes it.
    pub banner_url: Option<Option<&'a str>>,
}

/// Applies a partial update and returns the new row.
pub async fn update(
    db: impl PgExecutor<'_>,
    id: i64,
    patch: &CommunityPatch<'_>,
) -> sqlx::Result<CommunityRow> {
    sqlx::query_as!(
        StoredCommunity,
        "update community set
            title = coalesce($2, title),
            description = coalesce($3, description),
            description_html = coalesce($4, description_html),
            nsfw = coalesce($5, nsfw),
            posting_restricted_to_mods = coalesce($6, posting_restricted_to_mods),
            visibility = coalesce($7, visibility),
            rules = coalesce($8, rules),
            rules_html = coalesce($9, rules_html),
            icon_url = case when $10 then $11 else icon_url end,
            banner_url = case when $12 then $13 else banner_url end,
            updated_at = now()
         where id = $1
         returning id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url",
        id,
        patch.title,
        patch.description.map(|d| d.0),
        patch.description.map(|d| d.1),
        patch.nsfw,
        patch.posting_restricted_to_mods,
        patch.visibility.map(Visibility::as_str),
        patch.rules.map(|r| r.0),
        patch.rules.map(|r| r.1),
        patch.icon_url.is_some(),
        patch.icon_url.flatten(),
        patch.banner_url.is_some(),
        patch.banner_url.flatten()
    )
    .fetch_one(db)
    .await
    .and_then(CommunityRow::try_from)
}

/// A person banned from a community, as its ban list shows them.
#[derive(Debug, Clone)]
pub struct BanRow {
    /// The person's id.
    pub person_id: i64,
    /// The person's name.
    pub name: String,
    /// The person's display name.
    pub display_name: Option<String>,
    /// The person's ActivityPub id.
    pub ap_id: String,
    /// True for people of this instance.
    pub local: bool,
    /// Why.
    pub reason: String,
    /// Until when; `None` until lifted.
    pub expires_at: Option<DateTime<Utc>>,
    /// Since when.
    pub created_at: DateTime<Utc>,
}

/// The community's bans in force, newest first.
pub async fn bans(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<Vec<BanRow>> {
    sqlx::query_as!(
        BanRow,
        "select p.id as person_id, p.name, p.display_name, p.ap_id, p.local,
                b.reason, b.expires_at, b.created_at
         from community_ban b join person p on p.id = b.person_id
         where b.community_id = $1 and (b.expires_at is null or b.expires_at > now())
         order by b.created_at desc, p.id desc
         limit 500",
        community_id
    )
    .fetch_all(db)
    .await
}

/// Adds `delta` to the member count, and to a remote community's own count when known (its
/// server counts our members too, so it stays in step until the next refresh).
pub async fn add_members(db: impl PgExecutor<'_>, id: i64, delta: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "update community set member_count = member_count + $2,
             home_member_count = case when home_member_count is not null
                                      then greatest(home_member_count + $2, 0) end
         where id = $1",
        id,
        delta
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Finds a community by ActivityPub id.
pub async fn find_by_ap_id(
    db: impl PgExecutor<'_>,
    ap_id: &str,
) -> sqlx::Result<Option<CommunityRow>> {
    sqlx::query_as!(StoredCommunity, "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community where ap_id = $1", ap_id)
        .fetch_optional(db)
        .await?
        .map(CommunityRow::try_from)
        .transpose()
}

/// Finds a remote community by name and instance.
pub async fn find_remote(
    db: impl PgExecutor<'_>,
    name: &str,
    host: &str,
) -> sqlx::Result<Option<CommunityRow>> {
    sqlx::query_as!(
        StoredCommunity,
        "select id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url from community where not local and lower(name) = lower($1) and host = $2",
        name,
        host
    )
    .fetch_optional(db)
    .await?
    .map(CommunityRow::try_from)
    .transpose()
}

/// The private key of a local community, for signing.
pub async fn private_key(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select private_key from community where id = $1 and local",
        id
    )
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// A remote community as fetched.
#[derive(Debug)]
pub struct RemoteCommunity<'a> {
    /// The ActivityPub id.
    pub ap_id: &'a str,
    /// The instance (authority).
    pub host: &'a str,
    /// preferredUsername.
    pub name: &'a str,
    /// Title (`name`).
    pub title: &'a str,
    /// Description as markdown (source) or text.
    pub description: &'a str,
    /// Description as sanitised HTML.
    pub description_html: &'a str,
    /// Not safe for work.
    pub nsfw: bool,
    /// Only moderators may post.
    pub posting_restricted_to_mods: bool,
    /// `Approval` when it approves followers manually.
    pub visibility: Visibility,
    /// Public key (PEM).
    pub public_key: &'a str,
    /// Inbox.
    pub inbox_url: &'a str,
    /// Shared inbox.
    pub shared_inbox_url: Option<&'a str>,
    /// Followers collection.
    pub followers_url: Option<&'a str>,
    /// Icon, an http(s) URL.
    pub icon_url: Option<&'a str>,
    /// Banner, an http(s) URL.
    pub banner_url: Option<&'a str>,
}

/// Stores or refreshes a remote community; returns the row.
pub async fn upsert_remote(
    db: impl PgExecutor<'_>,
    c: &RemoteCommunity<'_>,
) -> sqlx::Result<CommunityRow> {
    sqlx::query_as!(
        StoredCommunity,
        "insert into community (ap_id, local, name, title, description, description_html, nsfw,
                                posting_restricted_to_mods, visibility, host, public_key, inbox_url,
                                shared_inbox_url, followers_url, icon_url, banner_url, last_refreshed_at)
         values ($1, false, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
         on conflict (ap_id) do update set
            name = excluded.name, title = excluded.title, description = excluded.description,
            description_html = excluded.description_html, nsfw = excluded.nsfw,
            posting_restricted_to_mods = excluded.posting_restricted_to_mods,
            visibility = excluded.visibility, public_key = excluded.public_key,
            inbox_url = excluded.inbox_url, shared_inbox_url = excluded.shared_inbox_url,
            followers_url = excluded.followers_url, icon_url = excluded.icon_url,
            banner_url = excluded.banner_url, last_refreshed_at = now(), updated_at = now()
         where not community.local
         returning id, ap_id, local, name, title, description, description_html, rules, rules_html, nsfw, posting_restricted_to_mods, visibility, member_count, post_count + coalesce((select sum(x.posts) from community_count_change x where x.community_id = community.id), 0)::int as \"post_count!\", comment_count + coalesce((select sum(x.comments) from community_count_change x where x.community_id = community.id), 0)::int as \"comment_count!\", users_active_day, users_active_week, users_active_month, created_at, updated_at, host, public_key, inbox_url, shared_inbox_url, followers_url, last_refreshed_at, home_member_count, home_post_count, removed, icon_url, banner_url",
        c.ap_id,
        c.name,
        c.title,
        c.description,
        c.description_html,
        c.nsfw,
        c.posting_restricted_to_mods,
        c.visibility.as_str(),
        c.host,
        c.public_key,
        c.inbox_url,
        c.shared_inbox_url,
        c.followers_url,
        c.icon_url,
        c.banner_url
    )
    .fetch_one(db)
    .await
    .and_then(CommunityRow::try_from)
}

/// The largest count taken from another server; anything above (or below 0) is clamped.
pub const MOST_HOME_COUNT: i64 = 1_000_000_000;

/// Stores a remote community's own counts (followers and outbox `totalItems`); `None` leaves a
/// count as it was. Values are clamped to `0..=MOST_HOME_COUNT`.
pub async fn set_home_counts(
    db: impl PgExecutor<'_>,
    id: i64,
    members: Option<i64>,
    posts: Option<i64>,
) -> sqlx::Result<()> {
    let clamp =
        |n: Option<i64>| n.map(|n| i32::try_from(n.clamp(0, MOST_HOME_COUNT)).unwrap_or(i32::MAX));
    sqlx::query!(
        "update community
         set home_member_count = coalesce($2, home_member_count),
             home_post_count = coalesce($3, home_post_count)
         where id = $1 and not local",
        id,
        clamp(members),
        clamp(posts)
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Claims the one lookup-triggered backfill of a remote community: true the first time only
/// (across processes), false after.
pub async fn claim_backfill(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let claimed = sqlx::query_scalar!(
        "update community set backfill_started_at = now()
         where id = $1 and not local and backfill_started_at is null
         returning id",
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

/// Local communities without a key pair.
pub async fn local_without_keys(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "select id from community where local and (public_key is null or private_key is null)"
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
        "update community set public_key = $2, private_key = $3 where id = $1",
        id,
        public_key,
        private_key
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Adds the post and comment count changes writers recorded in `community_count_change` to
/// their communities, and removes them, in one statement; returns how many communities changed.
/// Writers never touch the community row, so comments in one community do not queue for its
/// lock; the counts catch up when this runs (every half second in `hearth serve`, so few changes
/// wait and the reads that add them stay cheap).
pub async fn fold_count_changes(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "with changes as (
             delete from community_count_change returning community_id, posts, comments
         ), sums as (
             select community_id, sum(posts) as posts, sum(comments) as comments
             from changes group by community_id
         )
         update community c
         set post_count = greatest(c.post_count + s.posts, 0)::int,
             comment_count = greatest(c.comment_count + s.comments, 0)::int
         from sums s
         where c.id = s.community_id"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Recounts the distinct people who posted or commented in each community over the last day,
/// week and month; only rows whose figures changed are written.
pub async fn refresh_activity(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "with activity as (
            select community_id, author_id, at from (
                select community_id, author_id, published_at as at from post
                where published_at > now() - interval '30 days'
                union all
                select p.community_id, k.author_id, k.published_at from comment k
                join post p on p.id = k.post_id
                where k.published_at > now() - interval '30 days'
            ) recent
        ), counts as (
            select c.id,
                count(distinct a.author_id) filter (where a.at > now() - interval '1 day') as day,
                count(distinct a.author_id) filter (where a.at > now() - interval '7 days') as week,
                count(distinct a.author_id) as month
            from community c left join activity a on a.community_id = c.id
            group by c.id
        )
        update community c set
            users_active_day = counts.day, users_active_week = counts.week, users_active_month = counts.month
        from counts
        where counts.id = c.id
          and (c.users_active_day, c.users_active_week, c.users_active_month)
              is distinct from (counts.day::int, counts.week::int, counts.month::int)"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes a remote community and, by cascade, its posts, comments, memberships and moderators.
pub async fn delete(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query!("delete from community where id = $1 and not local", id)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_queries_keep_only_words_and_match_prefixes() {
        assert_eq!(text_query("Rust lang").as_deref(), Some("rust:* & lang:*"));
        assert_eq!(text_query("a'|!&:*()b").as_deref(), Some("a:* & b:*"));
        assert_eq!(text_query("  ::  "), None);
    }

    #[test]
    fn visibilities_read_back_from_their_names_and_unknown_names_fail() {
        for v in [Visibility::Public, Visibility::Approval] {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(v));
        }
        assert!("secret".parse::<Visibility>().is_err());
        assert!(matches!(
            crate::decode::<Visibility>("Public"),
            Err(sqlx::Error::Decode(_))
        ));
    }
}
