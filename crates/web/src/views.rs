//! What pages show of posts, comments, communities and people: view models built from the
//! service's rows, with links, handles (`name@host` for remote actors), relative times and link
//! domains worked out once here, so the templates only lay them out. Pictures are worked out here
//! too, always through `hearth_service::media`'s helpers: a page loads our own files and our
//! cached copies of other servers' pictures, never another server's URL.

use crate::session::Session;
use chrono::{DateTime, Utc};
use hearth_db::comment::CommentRow;
use hearth_db::post::PostRow;
use hearth_service::ServiceContext;
use hearth_service::communities::{CommunityDetails, Visibility};
use hearth_service::media;
use hearth_service::membership::Membership;
use std::collections::HashMap;

/// A moment, as a machine-readable timestamp, a relative phrase and a full date.
#[derive(Debug, Clone)]
pub struct TimeView {
    /// RFC 3339, for `<time datetime>`.
    pub iso: String,
    /// "3 hours ago".
    pub ago: String,
    /// "2026-11-26 10:32 UTC", for the tooltip.
    pub full: String,
}

/// Describes `at` as seen at `now`.
pub fn time(at: DateTime<Utc>, now: DateTime<Utc>) -> TimeView {
    let seconds = (now - at).num_seconds().max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    let ago = match seconds {
        0..60 => "just now".to_owned(),
        60..3_600 => plural(seconds / 60, "minute"),
        3_600..86_400 => plural(seconds / 3_600, "hour"),
        86_400..2_592_000 => plural(seconds / 86_400, "day"),
        _ => at.format("%-d %b %Y").to_string(),
    };
    TimeView {
        iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ago,
        full: at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The authority (`host` or `host:port`) of an ActivityPub id.
pub fn authority(ap_id: &str) -> Option<String> {
    hearth_core::names::authority_of(ap_id)
}

/// The host a link points to, as shown next to a link post's title (without `www.`).
pub fn link_domain(link: &str) -> Option<String> {
    let url = url::Url::parse(link).ok()?;
    let host = url.host_str()?;
    Some(host.strip_prefix("www.").unwrap_or(host).to_owned())
}

/// A person or a community as a link.
#[derive(Debug, Clone)]
pub struct ActorView {
    /// What to call them: the display name or title when set, else the name.
    pub label: String,
    /// `name` for local actors, `name@host` for remote ones.
    pub handle: String,
    /// Their page.
    pub href: String,
    /// Whether they live on this instance.
    pub local: bool,
    /// Their page on their own server, for remote actors ("View on original server").
    pub original: Option<String>,
    /// Where the page loads their avatar (a person) or icon (a community) from.
    pub avatar: Option<String>,
}

impl ActorView {
    /// The same actor with the avatar or icon whose public URL is `url` (a small copy: the
    /// thumbnail of our uploads, the cached copy of other servers' pictures).
    pub fn with_avatar(mut self, ctx: &ServiceContext, url: Option<&str>) -> Self {
        self.avatar = url
            .filter(|u| !u.trim().is_empty())
            .map(|u| media::thumbnail_src(ctx, u));
        self
    }

    /// The server a remote actor lives on (`host` or `host:port`); `None` for local ones.
    pub fn host(&self) -> Option<&str> {
        if self.local {
            return None;
        }
        self.handle.split_once('@').map(|(_, host)| host)
    }
}

/// `name` for local people, `name@host` for remote ones: how forms and paths name them.
pub fn handle(name: &str, local: bool, ap_id: &str) -> String {
    match (local, authority(ap_id)) {
        (false, Some(host)) => format!("{name}@{host}"),
        _ => name.to_owned(),
    }
}

/// A person.
pub fn person(name: &str, display_name: Option<&str>, local: bool, ap_id: &str) -> ActorView {
    let handle = handle(name, local, ap_id);
    ActorView {
        label: display_name
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(name)
            .to_owned(),
        href: format!("/u/{handle}"),
        handle,
        local,
        original: (!local).then(|| ap_id.to_owned()),
        avatar: None,
    }
}

/// What a deleted account is shown as.
pub const DELETED_PERSON: &str = "[deleted]";

/// An author of a post or comment: shown as "[deleted]" once they deleted their account.
pub fn author(
    name: &str,
    display_name: Option<&str>,
    local: bool,
    ap_id: &str,
    deleted: bool,
) -> ActorView {
    let mut view = person(name, display_name, local, ap_id);
    if deleted {
        DELETED_PERSON.clone_into(&mut view.label);
        DELETED_PERSON.clone_into(&mut view.handle);
        view.original = None;
    }
    view
}

/// The author of a row with their avatar, unless they deleted their account.
fn author_with_avatar(
    ctx: &ServiceContext,
    view: ActorView,
    deleted: bool,
    avatar_url: Option<&str>,
) -> ActorView {
    if deleted {
        view
    } else {
        view.with_avatar(ctx, avatar_url)
    }
}

/// A post's thumbnail as lists show it.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// Where the page loads it from.
    pub src: String,
    /// Whether it is the blurred placeholder of an NSFW picture.
    pub blurred: bool,
}

/// What a link post's page said about itself (its OpenGraph or Twitter tags).
#[derive(Debug, Clone)]
pub struct LinkPreview {
    /// The page's title.
    pub title: Option<String>,
    /// Its description.
    pub description: Option<String>,
}

/// A picture of an image post, full size, as its page shows it.
#[derive(Debug, Clone)]
pub struct ImageView {
    /// Where the page loads it from.
    pub src: String,
    /// Where a click on it goes: the full-size picture (see `media::full_size_href`).
    pub href: String,
    /// What it shows, for people who cannot see it (empty when the author gave none).
    pub alt: String,
    /// Its width and height in pixels, when known, so the page does not jump as it loads.
    pub size: Option<ImageSize>,
}

/// A picture's size in pixels.
#[derive(Debug, Clone, Copy)]
pub struct ImageSize {
    /// Width.
    pub width: i32,
    /// Height.
    pub height: i32,
}

/// The pictures of an image post, in order, with the size of those uploaded here.
pub async fn post_images(
    ctx: &ServiceContext,
    post_id: i64,
) -> hearth_core::Result<Vec<ImageView>> {
    let rows = hearth_db::media::post_images(&ctx.pool, post_id).await?;
    let mut images = Vec::with_capacity(rows.len());
    for row in rows {
        let size = match media::local_hash(ctx, &row.url) {
            Some(hash) => hearth_db::media::file(&ctx.pool, hash)
                .await?
                .map(|file| ImageSize {
                    width: file.width,
                    height: file.height,
                }),
            None => None,
        };
        images.push(ImageView {
            src: media::image_src(ctx, &row.url),
            href: media::full_size_href(ctx, &row.url),
            alt: row.alt_text.unwrap_or_default(),
            size,
        });
    }
    Ok(images)
}

/// A community.
pub fn community(name: &str, title: &str, local: bool, ap_id: &str) -> ActorView {
    let handle = handle(name, local, ap_id);
    ActorView {
        label: if title.trim().is_empty() {
            name.to_owned()
        } else {
            title.to_owned()
        },
        href: format!("/c/{handle}"),
        handle,
        local,
        original: (!local).then(|| ap_id.to_owned()),
        avatar: None,
    }
}

/// A vote widget: the score and the two buttons (each takes the vote back when it is the
/// visitor's current vote).
#[derive(Debug, Clone)]
pub struct VoteView {
    /// Where the buttons POST.
    pub action: String,
    /// Upvotes minus downvotes.
    pub score: i32,
    /// The visitor's vote: -1, 0 or 1.
    pub my_vote: i16,
    /// False for deleted content: the score is shown without buttons.
    pub open: bool,
    /// Whether the site accepts downvotes.
    pub downvotes: bool,
    /// What is voted on, for the buttons' labels ("post", "comment").
    pub what: &'static str,
}

impl VoteView {
    /// The value the up button sends: 1, or 0 to take an upvote back.
    pub fn up_value(&self) -> i16 {
        if self.my_vote == 1 { 0 } else { 1 }
    }

    /// The value the down button sends: -1, or 0 to take a downvote back.
    pub fn down_value(&self) -> i16 {
        if self.my_vote == -1 { 0 } else { -1 }
    }
}

/// A post as lists and its own page show it.
#[derive(Debug, Clone)]
pub struct PostView {
    /// Its id.
    pub id: i64,
    /// Its page.
    pub href: String,
    /// Title.
    pub title: String,
    /// The link of a link post.
    pub url: Option<String>,
    /// The link's host.
    pub domain: Option<String>,
    /// The body, rendered and sanitised by the service.
    pub body_html: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Deleted by its author or removed by a moderator.
    pub gone: bool,
    /// Removed by a moderator.
    pub removed: bool,
    /// Locked by a moderator: no new comments.
    pub locked: bool,
    /// Pinned to the top of its community by a moderator.
    pub pinned: bool,
    /// Upvotes minus downvotes.
    pub score: i32,
    /// Comments.
    pub comment_count: i32,
    /// Its community.
    pub community: ActorView,
    /// Its author.
    pub author: ActorView,
    /// When it was published.
    pub published: TimeView,
    /// When it was last edited.
    pub edited: Option<TimeView>,
    /// The vote widget.
    pub vote: VoteView,
    /// Whether the visitor wrote it.
    pub mine: bool,
    /// The author's id (comments by the same person are marked).
    pub author_id: i64,
    /// Its page on the server it was written on, when that is not this one.
    pub original: Option<String>,
    /// The thumbnail lists show: an image post's picture, a link preview's image. An NSFW
    /// post's is the blurred placeholder unless the visitor chose to see NSFW posts.
    pub thumbnail: Option<Thumbnail>,
    /// The linked page's title and description, once read (link posts).
    pub preview: Option<LinkPreview>,
    /// The visitor saved it; filled in by the pages that show the Save button
    /// (`routes::saved::mark_post`).
    pub saved: bool,
    /// "Event · 12 Dec 19:00" for an event; filled in by `routes::events::mark_badges`.
    pub event_badge: Option<String>,
    /// "Poll" for a post with a poll; filled in by `routes::events::mark_badges`.
    pub poll_badge: Option<&'static str>,
}

impl PostView {
    /// Builds the view of a row for this visitor.
    pub fn new(ctx: &ServiceContext, row: PostRow, session: &Session, now: DateTime<Utc>) -> Self {
        let gone = row.deleted || row.removed;
        // An image post's link is its own picture, shown as the picture: not as a link.
        let url = row
            .url
            .clone()
            .filter(|u| media::local_hash(ctx, u).is_none());
        let thumbnail = row
            .thumbnail_url
            .as_deref()
            .filter(|u| !u.trim().is_empty() && !gone)
            .and_then(|url| {
                if row.nsfw && !session.preferences.show_nsfw {
                    media::blurred_src(ctx, url).map(|src| Thumbnail { src, blurred: true })
                } else {
                    Some(Thumbnail {
                        src: media::thumbnail_src(ctx, url),
                        blurred: false,
                    })
                }
            });
        let preview = (url.is_some() && !gone)
            .then(|| LinkPreview {
                title: row.preview_title.clone().filter(|t| !t.trim().is_empty()),
                description: row
                    .preview_description
                    .clone()
                    .filter(|d| !d.trim().is_empty()),
            })
            .filter(|p| p.title.is_some() || p.description.is_some());
        Self {
            thumbnail,
            preview,
            id: row.id,
            href: format!("/post/{}", row.id),
            domain: url.as_deref().and_then(link_domain),
            url,
            title: row.title,
            body_html: row.body_html,
            nsfw: row.nsfw,
            gone,
            removed: row.removed,
            locked: row.locked,
            pinned: row.featured,
            score: row.score,
            comment_count: row.comment_count,
            community: community(
                &row.community_name,
                &row.community_title,
                row.community_local,
                &row.community_ap_id,
            )
            .with_avatar(ctx, row.community_icon_url.as_deref()),
            author: author_with_avatar(
                ctx,
                author(
                    &row.author_name,
                    row.author_display_name.as_deref(),
                    row.author_local,
                    &row.author_ap_id,
                    row.author_deleted,
                ),
                row.author_deleted,
                row.author_avatar_url.as_deref(),
            ),
            published: time(row.published_at, now),
            edited: row.edited_at.map(|at| time(at, now)),
            vote: VoteView {
                action: format!("/post/{}/vote", row.id),
                score: row.score,
                my_vote: row.my_vote,
                open: !gone,
                downvotes: session.site.downvotes_enabled,
                what: "post",
            },
            mine: session.is(row.author_id),
            author_id: row.author_id,
            original: (!row.local).then_some(row.ap_id),
            saved: false,
            event_badge: None,
            poll_badge: None,
        }
    }

    /// "1 comment", "5 comments".
    pub fn comments_label(&self) -> String {
        match self.comment_count {
            1 => "1 comment".to_owned(),
            n => format!("{n} comments"),
        }
    }
}

/// Builds the views of a page of posts, leaving out NSFW posts unless the visitor wants them.
/// Returns the views and how many were left out.
pub fn post_list(
    ctx: &ServiceContext,
    rows: Vec<PostRow>,
    session: &Session,
) -> (Vec<PostView>, usize) {
    let now = Utc::now();
    let total = rows.len();
    let shown: Vec<PostView> = rows
        .into_iter()
        .filter(|row| session.preferences.show_nsfw || !row.nsfw)
        .map(|row| PostView::new(ctx, row, session, now))
        .collect();
    let hidden = total - shown.len();
    (shown, hidden)
}

/// A comment as threads show it.
#[derive(Debug, Clone)]
pub struct CommentView {
    /// Its id.
    pub id: i64,
    /// Its post.
    pub post_id: i64,
    /// The comment it answers.
    pub parent_id: Option<i64>,
    /// 1 for top-level comments.
    pub depth: i32,
    /// The body, rendered and sanitised by the service.
    pub body_html: String,
    /// Why the body is not shown: "deleted by its author" or "removed by a moderator".
    pub gone: Option<&'static str>,
    /// Removed by a moderator.
    pub removed: bool,
    /// Why it was removed, as the mod log says; filled in for moderators only.
    pub removal_reason: Option<String>,
    /// Its author.
    pub author: ActorView,
    /// Whether the author also wrote the post.
    pub by_op: bool,
    /// When it was published.
    pub published: TimeView,
    /// When it was last edited.
    pub edited: Option<TimeView>,
    /// The vote widget.
    pub vote: VoteView,
    /// Whether the visitor wrote it.
    pub mine: bool,
    /// Direct replies.
    pub child_count: i32,
    /// Its page on the server it was written on, when that is not this one.
    pub original: Option<String>,
    /// The visitor saved it; filled in by the pages that show the Save button
    /// (`routes::saved::mark_thread`).
    pub saved: bool,
}

impl CommentView {
    /// Builds the view of a row for this visitor; `op` is the post author's id.
    pub fn new(
        ctx: &ServiceContext,
        row: CommentRow,
        op: Option<i64>,
        session: &Session,
        now: DateTime<Utc>,
    ) -> Self {
        let gone = if row.removed {
            Some("removed by a moderator")
        } else if row.deleted {
            Some("deleted by its author")
        } else {
            None
        };
        Self {
            id: row.id,
            post_id: row.post_id,
            parent_id: row.parent_id,
            depth: row.depth,
            body_html: row.body_html,
            gone,
            removed: row.removed,
            removal_reason: None,
            author: author_with_avatar(
                ctx,
                author(
                    &row.author_name,
                    row.author_display_name.as_deref(),
                    row.author_local,
                    &row.author_ap_id,
                    row.author_deleted,
                ),
                row.author_deleted,
                row.author_avatar_url.as_deref(),
            ),
            by_op: op == Some(row.author_id),
            published: time(row.published_at, now),
            edited: row.edited_at.map(|at| time(at, now)),
            vote: VoteView {
                action: format!("/comment/{}/vote", row.id),
                score: row.score,
                my_vote: row.my_vote,
                open: gone.is_none(),
                downvotes: session.site.downvotes_enabled,
                what: "comment",
            },
            mine: session.is(row.author_id),
            child_count: row.child_count,
            original: (!row.local).then_some(row.ap_id),
            saved: false,
        }
    }

    /// "1 reply", "4 replies".
    pub fn replies_label(&self) -> String {
        match self.child_count {
            1 => "1 reply".to_owned(),
            n => format!("{n} replies"),
        }
    }
}

/// Replies that exist but were not loaded (too deep, or the thread was cut), and where to read
/// them.
#[derive(Debug, Clone)]
pub struct MoreReplies {
    /// The page of the comment they answer.
    pub href: String,
    /// How many direct replies are missing.
    pub count: i32,
}

impl MoreReplies {
    /// "1 more reply", "3 more replies".
    pub fn label(&self) -> String {
        match self.count {
            1 => "1 more reply".to_owned(),
            n => format!("{n} more replies"),
        }
    }
}

/// One step of a thread laid out as flat markup: a comment opens (its replies follow, nested
/// inside it) and later closes. Templates cannot recurse, and the service returns threads
/// depth first, so a flat list of opens and closes is the natural shape.
#[derive(Debug, Clone)]
pub enum ThreadItem {
    /// A comment starts; its replies come before its `Close`.
    Open(Box<CommentView>),
    /// The most recently opened comment ends, with a link to replies not loaded.
    Close(Option<MoreReplies>),
}

/// Lays out comments returned depth first (as `comments::thread` returns them) as a flat list
/// of opens and closes. A comment whose `child_count` exceeds the replies loaded gets a "more
/// replies" link to its own page.
pub fn thread(
    ctx: &ServiceContext,
    rows: Vec<CommentRow>,
    op: Option<i64>,
    session: &Session,
) -> Vec<ThreadItem> {
    let now = Utc::now();
    let mut loaded: HashMap<i64, i32> = HashMap::new();
    for row in &rows {
        if let Some(parent) = row.parent_id {
            *loaded.entry(parent).or_default() += 1;
        }
    }
    // What closing a comment needs: its id and how many direct replies it has.
    let close = |(id, child_count): (i64, i32)| {
        let missing = child_count - loaded.get(&id).copied().unwrap_or(0);
        ThreadItem::Close((missing > 0).then(|| MoreReplies {
            href: format!("/comment/{id}"),
            count: missing,
        }))
    };
    let mut items = Vec::with_capacity(rows.len() * 2);
    // The comments opened and not yet closed: (depth, id, child_count).
    let mut open: Vec<(i32, i64, i32)> = Vec::new();
    for row in rows {
        while let Some(&(depth, id, child_count)) = open.last() {
            if depth < row.depth {
                break;
            }
            open.pop();
            items.push(close((id, child_count)));
        }
        open.push((row.depth, row.id, row.child_count));
        items.push(ThreadItem::Open(Box::new(CommentView::new(
            ctx, row, op, session, now,
        ))));
    }
    while let Some((_, id, child_count)) = open.pop() {
        items.push(close((id, child_count)));
    }
    items
}

/// What the visitor may do to a thread's content as a moderator (moderation tools are rendered
/// only when one of these is true).
#[derive(Debug, Clone, Default)]
pub struct ModPowers {
    /// Moderates the community (or administers this instance and it is ours): remove, restore,
    /// lock, pin, ban.
    pub moderate: bool,
    /// May remove and restore content (moderators; also admins for content of other servers'
    /// communities, here only).
    pub remove: bool,
    /// The community's handle, for the "Ban author" link.
    pub community: String,
}

/// A community as the directory and its own page show it.
#[derive(Debug, Clone)]
pub struct CommunityView {
    /// The community as a link.
    pub actor: ActorView,
    /// `!name@host`, to follow it from another server.
    pub webfinger: String,
    /// The description, rendered and sanitised by the service.
    pub description_html: String,
    /// The description as written, for the edit form.
    pub description: String,
    /// The rules, rendered and sanitised by the service (empty when it has none; a remote
    /// community's rules are part of its description).
    pub rules_html: String,
    /// The rules as written, for the edit form.
    pub rules: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Only moderators may post.
    pub posting_restricted_to_mods: bool,
    /// Joining needs a moderator's approval.
    pub approval: bool,
    /// Members.
    pub member_count: i32,
    /// Posts.
    pub post_count: i32,
    /// Active people this week.
    pub active_week: i32,
    /// The visitor's membership.
    pub membership: Membership,
    /// Whether the visitor moderates it.
    pub moderator: bool,
    /// When it was made.
    pub created: TimeView,
    /// Where the page loads its banner from.
    pub banner: Option<String>,
    /// Its icon's public URL, for the edit form.
    pub icon_url: Option<String>,
    /// Its banner's public URL, for the edit form.
    pub banner_url: Option<String>,
}

impl CommunityView {
    /// Builds the view of a community.
    pub fn new(ctx: &ServiceContext, details: CommunityDetails) -> Self {
        let our_host = ctx.settings.hostname.as_str();
        let c = details.community;
        // A remote community's own server's counts when known.
        let (member_count, post_count) = (c.members(), c.posts());
        let actor =
            community(&c.name, &c.title, c.local, &c.ap_id).with_avatar(ctx, c.icon_url.as_deref());
        let banner = c
            .banner_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| media::image_src(ctx, u));
        let host = if c.local {
            our_host.to_owned()
        } else {
            authority(&c.ap_id).unwrap_or_else(|| our_host.to_owned())
        };
        Self {
            webfinger: format!("!{}@{host}", c.name),
            actor,
            description_html: c.description_html,
            description: c.description,
            rules_html: c.rules_html,
            rules: c.rules,
            nsfw: c.nsfw,
            posting_restricted_to_mods: c.posting_restricted_to_mods,
            approval: c.visibility == Visibility::Approval,
            member_count,
            post_count,
            active_week: c.users_active_week,
            membership: details.membership,
            moderator: details.moderator,
            created: time(c.created_at, Utc::now()),
            banner,
            icon_url: c.icon_url,
            banner_url: c.banner_url,
        }
    }

    /// True when the visitor is a member.
    pub fn joined(&self) -> bool {
        self.membership == Membership::Joined
    }

    /// True when the visitor asked to join and waits.
    pub fn pending(&self) -> bool {
        self.membership == Membership::Pending
    }

    /// "1 member", "12 members".
    pub fn members_label(&self) -> String {
        match self.member_count {
            1 => "1 member".to_owned(),
            n => format!("{n} members"),
        }
    }

    /// "1 post", "12 posts".
    pub fn posts_label(&self) -> String {
        match self.post_count {
            1 => "1 post".to_owned(),
            n => format!("{n} posts"),
        }
    }
}

/// The sort switcher of a post list: the sorts, and the periods of "top" when a top sort is the
/// current one (they would crowd the main row otherwise).
#[derive(Debug, Clone)]
pub struct Sorts {
    /// Hot, Active, New, Top, Most comments, Controversial.
    pub main: Vec<Choice>,
    /// Day, week, month, year, all time; only while a top sort is current.
    pub periods: Option<Vec<Choice>>,
}

/// One choice of a switcher (feeds, sorts, tabs): a label, its link and whether it is current.
#[derive(Debug, Clone)]
pub struct Choice {
    /// What it says.
    pub label: &'static str,
    /// Where it goes.
    pub href: String,
    /// Whether it is the current choice.
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn times_read_naturally() {
        let now = Utc::now();
        assert_eq!(time(now, now).ago, "just now");
        assert_eq!(time(now - Duration::minutes(1), now).ago, "1 minute ago");
        assert_eq!(time(now - Duration::hours(5), now).ago, "5 hours ago");
        assert_eq!(time(now - Duration::days(3), now).ago, "3 days ago");
        let old = time(now - Duration::days(400), now);
        assert!(old.ago.len() >= 10, "{}", old.ago);
        assert!(old.iso.ends_with('Z'));
    }

    #[test]
    fn remote_actors_get_their_host_in_the_handle() {
        let local = person("alice", None, true, "https://here.example/u/alice");
        assert_eq!(
            (local.handle.as_str(), local.href.as_str()),
            ("alice", "/u/alice")
        );
        let remote = person(
            "bob",
            Some("Bob"),
            false,
            "https://lemmy.example:8536/u/bob",
        );
        assert_eq!(remote.handle, "bob@lemmy.example:8536");
        assert_eq!(remote.label, "Bob");
        assert_eq!(remote.href, "/u/bob@lemmy.example:8536");
        assert_eq!(remote.host(), Some("lemmy.example:8536"));
        assert_eq!(
            remote.original.as_deref(),
            Some("https://lemmy.example:8536/u/bob")
        );
        assert_eq!((local.host(), local.original.as_deref()), (None, None));
        let c = community("rust", "", false, "https://lemmy.example/c/rust");
        assert_eq!(
            (c.label.as_str(), c.href.as_str()),
            ("rust", "/c/rust@lemmy.example")
        );
    }

    #[test]
    fn link_domains_drop_www() {
        assert_eq!(
            link_domain("https://www.example.org/a").as_deref(),
            Some("example.org")
        );
        assert_eq!(link_domain("not a url"), None);
    }
}
