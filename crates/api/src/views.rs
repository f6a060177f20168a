//! What the API sends: one view per concept, the object's `id` at the top level, related objects
//! nested, markdown fields paired with their sanitised `*_html` rendering.

use chrono::{DateTime, Utc};
use hearth_db::application::ApplicationRow;
use hearth_db::community::CommunityRow;
use hearth_db::membership::MemberRow;
use hearth_db::moderator::ModeratorRow;
use hearth_db::person::PersonRow;
use hearth_db::site::SiteRow;
use hearth_db::token::TokenRow;
use hearth_service::communities::CommunityDetails;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error: a machine-readable code and a human sentence.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable, snake_case: `invalid_field`, `name_taken`, `not_signed_in`, …
    #[schema(example = "invalid_field")]
    pub error: String,
    /// A sentence for people.
    #[schema(example = "username: must be 3 to 30 characters long")]
    pub message: String,
    /// For `invalid_field`: the field at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A person in lists and nested in other views.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonSummary {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// The display name, when set.
    pub display_name: Option<String>,
    /// True for people of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// The person deleted their account: show them as "[deleted]" (the display name says so).
    pub deleted: bool,
    /// The avatar's public URL, when set (and known to the view: member and moderator lists
    /// leave it out).
    pub avatar_url: Option<String>,
}

/// What a deleted account is shown as.
pub const DELETED_PERSON: &str = "[deleted]";

/// The display name to show: "[deleted]" for a deleted account.
fn shown_name(display_name: Option<String>, deleted: bool) -> Option<String> {
    if deleted {
        Some(DELETED_PERSON.to_owned())
    } else {
        display_name
    }
}

impl From<ModeratorRow> for PersonSummary {
    fn from(r: ModeratorRow) -> Self {
        Self {
            id: r.person_id,
            name: r.name,
            display_name: r.display_name,
            local: r.local,
            ap_id: r.ap_id,
            // Moderator seats end with the account.
            deleted: false,
            avatar_url: None,
        }
    }
}

/// A person's public profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// The display name, when set.
    pub display_name: Option<String>,
    /// The bio as written (markdown).
    pub bio: String,
    /// The bio rendered and sanitised: the only form to display.
    pub bio_html: String,
    /// True for people of this instance.
    pub local: bool,
    /// Whether the person administers this instance.
    pub admin: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// The person deleted their account (the display name says "[deleted]").
    pub deleted: bool,
    /// The avatar's public URL (this server's for uploads here, the home server's for people
    /// of other servers), when set.
    pub avatar_url: Option<String>,
    /// The banner's public URL, when set.
    pub banner_url: Option<String>,
}

impl From<PersonRow> for PersonView {
    fn from(r: PersonRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            display_name: shown_name(r.display_name, r.deleted),
            bio: r.bio,
            bio_html: r.bio_html,
            local: r.local,
            admin: r.admin,
            ap_id: r.ap_id,
            created_at: r.created_at,
            deleted: r.deleted,
            avatar_url: r.avatar_url,
            banner_url: r.banner_url,
        }
    }
}

/// The signed-in account, with its private fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// The person's id.
    pub id: i64,
    /// The username.
    pub name: String,
    /// The display name, when set.
    pub display_name: Option<String>,
    /// The email address, when given.
    pub email: Option<String>,
    /// Whether the address is confirmed (through the link mailed to it).
    pub email_verified: bool,
    /// Whether the account administers this instance.
    pub admin: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

/// A newly registered account.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredView {
    /// The person's id.
    pub id: i64,
    /// The normalised username.
    pub name: String,
    /// `active` (may sign in now) or `pending` (waits for an admin's approval).
    #[schema(example = "active")]
    pub status: String,
}

/// A token, shown once at sign-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// The token's id, for listing and revoking.
    pub id: i64,
    /// The bearer token: send it as `Authorization: Bearer <token>`.
    pub token: String,
}

/// A token in the owner's list (never the token itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfoView {
    /// The token's id.
    pub id: i64,
    /// The user agent that signed in with it.
    pub label: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: DateTime<Utc>,
}

impl From<TokenRow> for TokenInfoView {
    fn from(r: TokenRow) -> Self {
        Self {
            id: r.id,
            label: r.label,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

/// A list of items with nothing more to page.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    /// The items.
    pub items: Vec<T>,
}

/// One page of a longer list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A community's counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityCounts {
    /// Joined members (a remote community's as its own server counts them, once known).
    pub members: i32,
    /// Posts (a remote community's as its own server counts them, once known).
    pub posts: i32,
    /// Comments.
    pub comments: i32,
    /// Distinct people active in the last day.
    pub users_active_day: i32,
    /// … week.
    pub users_active_week: i32,
    /// … month.
    pub users_active_month: i32,
}

/// A community.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityView {
    /// The community's id.
    pub id: i64,
    /// Its name (`!name@host` elsewhere).
    pub name: String,
    /// Its title.
    pub title: String,
    /// The description as written (markdown).
    pub description: String,
    /// The description rendered and sanitised: the only form to display.
    pub description_html: String,
    /// The rules as written (markdown; empty when there are none, and for remote communities,
    /// whose rules arrive inside their description).
    pub rules: String,
    /// The rules rendered and sanitised.
    pub rules_html: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Only moderators may post.
    pub posting_restricted_to_mods: bool,
    /// `public` (anyone may join) or `approval` (a moderator approves each member).
    pub visibility: String,
    /// True for communities of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Counts.
    pub counts: CommunityCounts,
    /// The signed-in viewer's membership: `joined`, `pending` or `none` (`none` when anonymous).
    pub my_membership: String,
    /// Whether the signed-in viewer moderates it.
    pub am_moderator: bool,
    /// The icon's public URL (this server's for uploads here, the home server's for
    /// communities of other servers), when set.
    pub icon_url: Option<String>,
    /// The banner's public URL, when set.
    pub banner_url: Option<String>,
}

impl From<CommunityDetails> for CommunityView {
    fn from(d: CommunityDetails) -> Self {
        let mut view = Self::from(d.community);
        view.my_membership = d.membership.as_str().to_owned();
        view.am_moderator = d.moderator;
        view
    }
}

impl From<CommunityRow> for CommunityView {
    fn from(c: CommunityRow) -> Self {
        // A remote community's own server's counts when known (see `CommunityRow::members`).
        let (members, posts) = (c.members(), c.posts());
        Self {
            id: c.id,
            name: c.name,
            title: c.title,
            description: c.description,
            description_html: c.description_html,
            rules: c.rules,
            rules_html: c.rules_html,
            nsfw: c.nsfw,
            posting_restricted_to_mods: c.posting_restricted_to_mods,
            visibility: c.visibility.as_str().to_owned(),
            local: c.local,
            ap_id: c.ap_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
            counts: CommunityCounts {
                members,
                posts,
                comments: c.comment_count,
                users_active_day: c.users_active_day,
                users_active_week: c.users_active_week,
                users_active_month: c.users_active_month,
            },
            my_membership: "none".to_owned(),
            am_moderator: false,
            icon_url: c.icon_url,
            banner_url: c.banner_url,
        }
    }
}

/// The viewer's membership in a community after joining or leaving.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipView {
    /// The community's name.
    pub community: String,
    /// `joined`, `pending` or `none`.
    #[schema(example = "joined")]
    pub state: String,
}

/// A member or a pending request, for moderators.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// The person.
    pub person: PersonSummary,
    /// `joined` or `pending`.
    pub state: String,
    /// When they joined or asked to.
    pub created_at: DateTime<Utc>,
}

impl From<MemberRow> for MemberView {
    fn from(r: MemberRow) -> Self {
        Self {
            person: PersonSummary {
                id: r.person_id,
                name: r.name,
                display_name: r.display_name,
                local: r.local,
                ap_id: r.ap_id,
                // Memberships end with the account.
                deleted: false,
                avatar_url: None,
            },
            state: r.state.as_str().to_owned(),
            created_at: r.created_at,
        }
    }
}

/// A registration application, for admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    /// The application's id.
    pub id: i64,
    /// The applicant's person id.
    pub person_id: i64,
    /// The applicant's username.
    pub name: String,
    /// The applicant's email, when given.
    pub email: Option<String>,
    /// The answer to the application question.
    pub answer: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// Why it was denied.
    pub deny_reason: Option<String>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<ApplicationRow> for ApplicationView {
    fn from(r: ApplicationRow) -> Self {
        Self {
            id: r.id,
            person_id: r.person_id,
            name: r.name,
            email: r.email,
            answer: r.answer,
            status: r.status,
            deny_reason: r.deny_reason,
            created_at: r.created_at,
            decided_at: r.decided_at,
        }
    }
}

/// The instance's settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SiteView {
    /// The instance's name.
    pub name: String,
    /// Its description (markdown).
    pub description: String,
    /// The description rendered and sanitised.
    pub description_html: String,
    /// Its rules (markdown).
    pub rules: String,
    /// The rules rendered and sanitised.
    pub rules_html: String,
    /// `open`, `approval` or `closed`.
    pub registration_mode: String,
    /// The question applicants answer in approval mode.
    pub application_question: String,
    /// Whether only admins may create communities.
    pub community_creation_admin_only: bool,
    /// Whether downvotes are accepted.
    pub downvotes_enabled: bool,
    /// Whether admins and moderators must use two-factor sign-in for staff actions (refused with
    /// 403 `two_factor_required` until they turn it on).
    pub require_staff_two_factor: bool,
}

impl From<SiteRow> for SiteView {
    fn from(s: SiteRow) -> Self {
        Self {
            name: s.name,
            description: s.description,
            description_html: s.description_html,
            rules: s.rules,
            rules_html: s.rules_html,
            registration_mode: s.registration_mode.as_str().to_owned(),
            application_question: s.application_question,
            community_creation_admin_only: s.community_creation_admin_only,
            downvotes_enabled: s.downvotes_enabled,
            require_staff_two_factor: s.require_staff_two_factor,
        }
    }
}

/// A community nested in another view.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunitySummary {
    /// The community's id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its title.
    pub title: String,
    /// True for communities of this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// The icon's public URL, when set.
    pub icon_url: Option<String>,
}

/// Vote counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteCounts {
    /// Upvotes minus downvotes.
    pub score: i32,
    /// Upvotes.
    pub upvotes: i32,
    /// Downvotes.
    pub downvotes: i32,
}

/// A post.
#[derive(Debug, Serialize, ToSchema)]
pub struct PostView {
    /// The post's id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// The link of a link post.
    pub url: Option<String>,
    /// The link's host, for display (`example.org`).
    pub url_domain: Option<String>,
    /// Body as written (markdown); empty once deleted.
    pub body: String,
    /// Body rendered and sanitised: the only form to display.
    pub body_html: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Language tag.
    pub language: Option<String>,
    /// Deleted by its author or removed by a moderator: the thread stays, the content is gone.
    pub deleted: bool,
    /// Removed by a moderator.
    pub removed: bool,
    /// Locked by a moderator: no new comments.
    pub locked: bool,
    /// Pinned to the top of its community.
    pub featured: bool,
    /// True for posts written on this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// Last edited, if ever.
    pub edited_at: Option<DateTime<Utc>>,
    /// The community.
    pub community: CommunitySummary,
    /// The author.
    pub author: PersonSummary,
    /// Votes.
    pub counts: VoteCounts,
    /// Comments.
    pub comment_count: i32,
    /// The signed-in viewer's vote: 1, 0 or -1.
    pub my_vote: i16,
    /// The signed-in viewer saved it (`PUT /api/v1/posts/{id}/save`); false for anonymous
    /// readers.
    pub saved: bool,
    /// The signed-in viewer has read it (opened its page, or `POST /api/v1/posts/read`); false
    /// for anonymous readers.
    pub read: bool,
    /// The thumbnail's public URL: an image post's first picture's, a link preview's picture,
    /// or what the post's home server sent.
    pub thumbnail_url: Option<String>,
    /// An image post's pictures, in order, with their alt text. Filled where one post is
    /// answered (`GET /api/v1/posts/{id}`, and writing or editing one); empty in lists.
    pub images: Vec<ImageView>,
    /// A link post's preview, read from the linked page once it has been fetched.
    pub preview: Option<LinkPreviewView>,
    /// The event this post is (its time, place and answers); `null` unless it is one, and once
    /// the post is deleted or removed.
    pub event: Option<EventView>,
    /// The poll this post carries; `null` unless it has one, and once the post is deleted or
    /// removed.
    pub poll: Option<PollView>,
}

/// One picture of an image post.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImageView {
    /// The picture's public URL.
    pub url: String,
    /// What it shows, for people who cannot see it.
    pub alt_text: Option<String>,
}

impl From<hearth_db::media::PostImage> for ImageView {
    fn from(i: hearth_db::media::PostImage) -> Self {
        Self {
            url: i.url,
            alt_text: i.alt_text,
        }
    }
}

/// A link post's preview: the linked page's title and description.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkPreviewView {
    /// The page's title.
    pub title: Option<String>,
    /// The page's description.
    pub description: Option<String>,
}

impl PostView {
    /// The view with the post's pictures (see `hearth_service::posts::images`).
    pub fn with_images(mut self, images: Vec<hearth_db::media::PostImage>) -> Self {
        self.images = images.into_iter().map(Into::into).collect();
        self
    }
}

impl From<hearth_db::post::PostRow> for PostView {
    fn from(p: hearth_db::post::PostRow) -> Self {
        let gone = p.deleted || p.removed;
        let url = if gone { None } else { p.url };
        Self {
            id: p.id,
            title: p.title,
            url_domain: url
                .as_deref()
                .and_then(|u| url::Url::parse(u).ok())
                .and_then(|u| {
                    u.host_str()
                        .map(|h| h.trim_start_matches("www.").to_owned())
                }),
            url,
            body: if gone { String::new() } else { p.body },
            body_html: if gone { String::new() } else { p.body_html },
            nsfw: p.nsfw,
            language: p.language,
            deleted: gone,
            removed: p.removed,
            locked: p.locked,
            featured: p.featured,
            local: p.local,
            ap_id: p.ap_id,
            published_at: p.published_at,
            edited_at: p.edited_at,
            community: CommunitySummary {
                id: p.community_id,
                name: p.community_name,
                title: p.community_title,
                local: p.community_local,
                ap_id: p.community_ap_id,
                icon_url: p.community_icon_url,
            },
            author: PersonSummary {
                id: p.author_id,
                name: p.author_name,
                display_name: shown_name(p.author_display_name, p.author_deleted),
                local: p.author_local,
                ap_id: p.author_ap_id,
                deleted: p.author_deleted,
                avatar_url: p.author_avatar_url,
            },
            counts: VoteCounts {
                score: p.score,
                upvotes: p.upvotes,
                downvotes: p.downvotes,
            },
            comment_count: p.comment_count,
            my_vote: p.my_vote,
            // Filled in by the route, one lookup per list (`routes::completion::mark_posts`).
            saved: false,
            read: false,
            thumbnail_url: if gone { None } else { p.thumbnail_url },
            images: Vec::new(),
            preview: match (p.preview_title, p.preview_description) {
                _ if gone => None,
                (None, None) => None,
                (title, description) => Some(LinkPreviewView { title, description }),
            },
            // Filled in by the route, one lookup per list (`routes::completion::complete`).
            event: None,
            poll: None,
        }
    }
}

/// An event's place.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    /// The place's name.
    pub name: Option<String>,
    /// Its address, one line.
    pub address: Option<String>,
}

/// How many answered an event, per answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventCounts {
    /// Going (approved). For another server's event, its own figure when that is larger.
    pub going: i64,
    /// Interested.
    pub interested: i64,
    /// Not going.
    pub not_going: i64,
    /// `going` answers waiting for the organiser's approval.
    pub pending: i64,
}

/// An event: when and where, how many places are left, and the viewer's own answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// When it starts (UTC).
    pub starts_at: DateTime<Utc>,
    /// When it ends (UTC).
    pub ends_at: DateTime<Utc>,
    /// The organiser's IANA time zone (`Europe/Berlin`), for showing the times as they meant
    /// them.
    #[schema(example = "Europe/Berlin")]
    pub timezone: String,
    /// Where to join online.
    pub online_url: Option<String>,
    /// Where it takes place; `null` when no place was given.
    pub place: Option<PlaceView>,
    /// How many may be going; `null`: no limit.
    pub capacity: Option<i32>,
    /// How many more may go; `null`: no limit.
    pub places_left: Option<i64>,
    /// The organiser approves each `going`.
    pub needs_approval: bool,
    /// The organiser (or a moderator) cancelled it: no more answers.
    pub cancelled: bool,
    /// It is over: no more answers.
    pub ended: bool,
    /// Answers.
    pub counts: EventCounts,
    /// The signed-in viewer's answer: `going`, `interested`, `not_going`, or `null`.
    #[schema(example = "going")]
    pub my_answer: Option<String>,
    /// Whether the viewer's answer is approved (`false` while a `going` waits for the
    /// organiser); `null` without an answer.
    pub my_answer_approved: Option<bool>,
}

impl EventView {
    /// The view of an event as the service shows it to a viewer, at `now`.
    pub fn new(view: hearth_service::events::EventView, now: DateTime<Utc>) -> Self {
        let places_left = view.places_left();
        let ended = view.ended(now);
        let e = view.event;
        let going = e.going_total();
        Self {
            starts_at: e.starts_at,
            ends_at: e.ends_at,
            timezone: e.timezone,
            online_url: e.online_url,
            place: match (e.place_name, e.place_address) {
                (None, None) => None,
                (name, address) => Some(PlaceView { name, address }),
            },
            capacity: e.capacity,
            places_left,
            needs_approval: e.needs_approval,
            cancelled: e.cancelled,
            ended,
            counts: EventCounts {
                going,
                interested: e.interested,
                not_going: e.not_going,
                pending: e.pending,
            },
            my_answer: view.mine.as_ref().map(|r| r.answer.as_str().to_owned()),
            my_answer_approved: view.mine.map(|r| r.approved),
        }
    }
}

/// One option of a poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollOptionView {
    /// Its place in the list, from 0: what `PUT /api/v1/posts/{id}/poll/vote` takes.
    pub position: i16,
    /// What it says.
    pub name: String,
    /// Its votes; `null` while the results are hidden from the viewer.
    pub votes: Option<i64>,
}

/// A poll: its options, whether it is still open, and (when the viewer may see them) the
/// counts. Who voted for what is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollView {
    /// A voter may choose several options.
    pub multiple: bool,
    /// When voting ends.
    pub ends_at: DateTime<Utc>,
    /// Voting has ended.
    pub closed: bool,
    /// The organiser hides the results until the end (else voters see them once they voted).
    pub results_after_end: bool,
    /// Whether the viewer sees the counts now (after the end; after voting unless hidden until
    /// the end; always for the poll's author).
    pub results_visible: bool,
    /// How many people voted; `null` while the results are hidden from the viewer.
    pub voters: Option<i64>,
    /// The options, in order.
    pub options: Vec<PollOptionView>,
    /// The positions the signed-in viewer chose (empty: not voted).
    pub my_choices: Vec<i16>,
}

impl From<hearth_service::polls::PollView> for PollView {
    fn from(view: hearth_service::polls::PollView) -> Self {
        let visible = view.results_visible;
        let poll = view.poll;
        Self {
            multiple: poll.multiple,
            ends_at: poll.ends_at,
            closed: view.closed,
            results_after_end: poll.results_after_end,
            results_visible: visible,
            voters: visible.then_some(poll.voters),
            options: poll
                .options
                .into_iter()
                .map(|o| PollOptionView {
                    position: o.position,
                    name: o.name,
                    votes: visible.then_some(o.votes),
                })
                .collect(),
            my_choices: view.mine,
        }
    }
}

/// A comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    /// The comment's id.
    pub id: i64,
    /// The post it belongs to.
    pub post_id: i64,
    /// The comment it answers; `null` for a top-level comment.
    pub parent_id: Option<i64>,
    /// Ids from its top-level ancestor down to itself.
    pub path: Vec<i64>,
    /// 1 for top-level comments, 2 for their replies, …
    pub depth: i32,
    /// Body as written (markdown); empty once deleted.
    pub body: String,
    /// Body rendered and sanitised: the only form to display.
    pub body_html: String,
    /// Deleted by its author or removed by a moderator: replies stay, the content is gone.
    pub deleted: bool,
    /// Removed by a moderator.
    pub removed: bool,
    /// True for comments written on this instance.
    pub local: bool,
    /// The ActivityPub id.
    pub ap_id: String,
    /// Published.
    pub published_at: DateTime<Utc>,
    /// Last edited, if ever.
    pub edited_at: Option<DateTime<Utc>>,
    /// The author.
    pub author: PersonSummary,
    /// Votes.
    pub counts: VoteCounts,
    /// Direct replies (more may exist than a depth-limited thread shows: "load more").
    pub child_count: i32,
    /// The signed-in viewer's vote: 1, 0 or -1.
    pub my_vote: i16,
    /// The signed-in viewer saved it (`PUT /api/v1/comments/{id}/save`); false for anonymous
    /// readers.
    pub saved: bool,
}

impl From<hearth_db::comment::CommentRow> for CommentView {
    fn from(c: hearth_db::comment::CommentRow) -> Self {
        let gone = c.deleted || c.removed;
        Self {
            id: c.id,
            post_id: c.post_id,
            parent_id: c.parent_id,
            path: c.path,
            depth: c.depth,
            body: if gone { String::new() } else { c.body },
            body_html: if gone { String::new() } else { c.body_html },
            deleted: gone,
            removed: c.removed,
            local: c.local,
            ap_id: c.ap_id,
            published_at: c.published_at,
            edited_at: c.edited_at,
            author: PersonSummary {
                id: c.author_id,
                name: c.author_name,
                display_name: shown_name(c.author_display_name, c.author_deleted),
                local: c.author_local,
                ap_id: c.author_ap_id,
                deleted: c.author_deleted,
                avatar_url: c.author_avatar_url,
            },
            counts: VoteCounts {
                score: c.score,
                upvotes: c.upvotes,
                downvotes: c.downvotes,
            },
            child_count: c.child_count,
            my_vote: c.my_vote,
            // Filled in by the route, one lookup per list (`routes::completion::mark_comments`).
            saved: false,
        }
    }
}

impl From<PersonRow> for PersonSummary {
    fn from(r: PersonRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            display_name: shown_name(r.display_name, r.deleted),
            local: r.local,
            ap_id: r.ap_id,
            deleted: r.deleted,
            avatar_url: r.avatar_url,
        }
    }
}

/// What a search found: the list of the requested `type` is filled, the others are empty.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchView {
    /// `posts`, `comments`, `communities` or `users`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Posts found.
    pub posts: Vec<PostView>,
    /// Comments found.
    pub comments: Vec<CommentView>,
    /// Communities found.
    pub communities: Vec<CommunityView>,
    /// People found.
    pub users: Vec<PersonSummary>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// How clients name a person or community: `name` here, `name@host` elsewhere.
pub fn handle(name: String, host: Option<String>) -> String {
    match host {
        Some(host) => format!("{name}@{host}"),
        None => name,
    }
}
