//! `GET site`: the instance as Lemmy describes itself (settings, figures, admins, languages) and,
//! for a signed-in app, the account with what it joined, moderates and blocked. Apps call it
//! first and decide from `version` whether they can talk to this server.

use crate::auth::LemmyUser;
use crate::error::LemmyResult;
use crate::views::{Community, Person, PersonAggregates, PersonView, time};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use hearth_core::settings::RegistrationMode;
use hearth_service::ServiceContext;
use hearth_service::overview::{AccountOverview, SiteOverview};
use serde::Serialize;

use hearth_core::client::LEMMY_API_VERSION;

/// This family's routes.
pub fn routes() -> Router<ServiceContext> {
    Router::new().route("/site", get(get_site))
}

#[derive(Serialize)]
pub(crate) struct GetSiteResponse {
    site_view: SiteView,
    admins: Vec<PersonView>,
    version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    my_user: Option<MyUserInfo>,
    all_languages: Vec<Language>,
    discussion_languages: Vec<i32>,
    taglines: Vec<serde_json::Value>,
    custom_emojis: Vec<serde_json::Value>,
    blocked_urls: Vec<serde_json::Value>,
}

#[derive(Serialize)]
pub(crate) struct SiteView {
    site: Site,
    local_site: LocalSite,
    local_site_rate_limit: LocalSiteRateLimit,
    counts: SiteAggregates,
}

#[derive(Serialize)]
struct Site {
    id: i32,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sidebar: Option<String>,
    published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    banner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    actor_id: String,
    last_refreshed_at: String,
    inbox_url: String,
    public_key: String,
    instance_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_warning: Option<String>,
}

#[derive(Serialize)]
struct LocalSite {
    id: i32,
    site_id: i32,
    site_setup: bool,
    enable_downvotes: bool,
    enable_nsfw: bool,
    community_creation_admin_only: bool,
    require_email_verification: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    application_question: Option<String>,
    private_instance: bool,
    default_theme: &'static str,
    default_post_listing_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_information: Option<String>,
    hide_modlog_mod_names: bool,
    application_email_admins: bool,
    actor_name_max_length: i32,
    federation_enabled: bool,
    captcha_enabled: bool,
    captcha_difficulty: &'static str,
    published: String,
    registration_mode: &'static str,
    reports_email_admins: bool,
    federation_signed_fetch: bool,
    default_post_listing_mode: &'static str,
    default_sort_type: &'static str,
}

#[derive(Serialize)]
struct LocalSiteRateLimit {
    local_site_id: i32,
    message: i32,
    message_per_second: i32,
    post: i32,
    post_per_second: i32,
    register: i32,
    register_per_second: i32,
    image: i32,
    image_per_second: i32,
    comment: i32,
    comment_per_second: i32,
    search: i32,
    search_per_second: i32,
    published: String,
    import_user_settings: i32,
    import_user_settings_per_second: i32,
}

#[derive(Serialize)]
struct SiteAggregates {
    site_id: i32,
    users: i64,
    posts: i64,
    comments: i64,
    communities: i64,
    users_active_day: i64,
    users_active_week: i64,
    users_active_month: i64,
    users_active_half_year: i64,
}

#[derive(Serialize)]
struct Language {
    id: i32,
    code: &'static str,
    name: &'static str,
}

#[derive(Serialize)]
struct MyUserInfo {
    local_user_view: LocalUserView,
    follows: Vec<CommunityFollowerView>,
    moderates: Vec<CommunityModeratorView>,
    community_blocks: Vec<CommunityBlockView>,
    instance_blocks: Vec<serde_json::Value>,
    person_blocks: Vec<PersonBlockView>,
    discussion_languages: Vec<i32>,
}

#[derive(Serialize)]
struct LocalUserView {
    local_user: LocalUser,
    local_user_vote_display_mode: LocalUserVoteDisplayMode,
    person: Person,
    counts: PersonAggregates,
}

#[derive(Serialize)]
pub(crate) struct LocalUser {
    id: i64,
    person_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    show_nsfw: bool,
    theme: &'static str,
    default_sort_type: &'static str,
    default_listing_type: &'static str,
    interface_language: &'static str,
    show_avatars: bool,
    send_notifications_to_email: bool,
    show_scores: bool,
    show_bot_accounts: bool,
    show_read_posts: bool,
    email_verified: bool,
    accepted_application: bool,
    open_links_in_new_tab: bool,
    blur_nsfw: bool,
    auto_expand: bool,
    infinite_scroll_enabled: bool,
    admin: bool,
    post_listing_mode: &'static str,
    totp_2fa_enabled: bool,
    enable_keyboard_navigation: bool,
    enable_animated_images: bool,
    collapse_bot_comments: bool,
}

#[derive(Serialize)]
struct LocalUserVoteDisplayMode {
    local_user_id: i64,
    score: bool,
    upvotes: bool,
    downvotes: bool,
    upvote_percentage: bool,
}

#[derive(Serialize)]
struct CommunityFollowerView {
    community: Community,
    follower: Person,
}

#[derive(Serialize)]
struct CommunityModeratorView {
    community: Community,
    moderator: Person,
}

#[derive(Serialize)]
struct CommunityBlockView {
    person: Person,
    community: Community,
}

#[derive(Serialize)]
struct PersonBlockView {
    person: Person,
    target: Person,
}

/// The one site id and local site id Lemmy's shapes ask for (Hearth has one site).
const SITE_ID: i32 = 1;

async fn get_site(
    State(ctx): State<ServiceContext>,
    viewer: Option<LemmyUser>,
) -> LemmyResult<Json<GetSiteResponse>> {
    Ok(Json(
        site_response(&ctx, viewer.as_ref().map(|u| &u.0)).await?,
    ))
}

/// `GetSiteResponse` for `viewer` (also what `user/leave_admin` answers).
pub(crate) async fn site_response(
    ctx: &ServiceContext,
    viewer: Option<&hearth_service::auth::Viewer>,
) -> LemmyResult<GetSiteResponse> {
    let overview = hearth_service::overview::site(ctx).await?;
    let my_user = match viewer {
        Some(viewer) => {
            let account = hearth_service::overview::account(ctx, viewer).await?;
            Some(my_user(account, viewer.admin))
        }
        None => None,
    };
    Ok(GetSiteResponse {
        site_view: site_view(ctx, &overview),
        admins: overview
            .admins
            .iter()
            .map(|(admin, written)| PersonView {
                person: Person::from_row(admin, false),
                counts: PersonAggregates {
                    person_id: admin.id,
                    post_count: written.posts,
                    comment_count: written.comments,
                },
                is_admin: true,
            })
            .collect(),
        version: LEMMY_API_VERSION,
        my_user,
        all_languages: vec![Language {
            id: 0,
            code: "und",
            name: "Undetermined",
        }],
        discussion_languages: Vec::new(),
        taglines: Vec::new(),
        custom_emojis: Vec::new(),
        blocked_urls: Vec::new(),
    })
}

/// The `SiteView` of the instance.
pub(crate) fn site_view(ctx: &ServiceContext, overview: &SiteOverview) -> SiteView {
    let site = &overview.site;
    let host = ctx.settings.hostname.to_string();
    let base = ctx.settings.public_base_url();
    let published = time(overview.created_at);
    let sidebar = [site.description.trim(), site.rules.trim()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n\n");
    let registration_mode = match site.registration_mode {
        RegistrationMode::Open => "Open",
        RegistrationMode::Approval => "RequireApplication",
        RegistrationMode::Closed => "Closed",
    };
    let usage = &overview.usage;
    SiteView {
        site: Site {
            id: SITE_ID,
            name: site.name.clone(),
            sidebar: Some(sidebar).filter(|s| !s.is_empty()),
            published: published.clone(),
            updated: None,
            icon: None,
            banner: None,
            description: None,
            actor_id: format!("{base}/"),
            last_refreshed_at: time(chrono::Utc::now()),
            inbox_url: format!("{base}/inbox"),
            public_key: overview.public_key.clone().unwrap_or_default(),
            instance_id: crate::views::instance_id(&host),
            content_warning: None,
        },
        local_site: LocalSite {
            id: SITE_ID,
            site_id: SITE_ID,
            site_setup: !overview.admins.is_empty(),
            enable_downvotes: site.downvotes_enabled,
            enable_nsfw: true,
            community_creation_admin_only: site.community_creation_admin_only,
            require_email_verification: false,
            application_question: Some(site.application_question.clone())
                .filter(|q| !q.trim().is_empty()),
            private_instance: false,
            default_theme: "browser",
            default_post_listing_type: "Local",
            legal_information: None,
            hide_modlog_mod_names: false,
            application_email_admins: false,
            actor_name_max_length: 20,
            federation_enabled: ctx.settings.federation.enabled,
            captcha_enabled: false,
            captcha_difficulty: "medium",
            published: published.clone(),
            registration_mode,
            reports_email_admins: false,
            federation_signed_fetch: true,
            default_post_listing_mode: "List",
            default_sort_type: "Active",
        },
        local_site_rate_limit: rate_limits(ctx, published),
        counts: SiteAggregates {
            site_id: SITE_ID,
            users: usage.total,
            posts: usage.local_posts,
            comments: usage.local_comments,
            communities: overview.communities,
            users_active_day: overview.active_day,
            users_active_week: overview.active_week,
            users_active_month: usage.active_month,
            users_active_half_year: usage.active_halfyear,
        },
    }
}

/// Hearth's limits in Lemmy's terms (requests per interval in seconds).
fn rate_limits(ctx: &ServiceContext, published: String) -> LocalSiteRateLimit {
    let limits = &ctx.settings.rate_limits;
    let pair = |limit: &hearth_core::settings::RateLimit| -> (i32, i32) {
        (
            i32::try_from(limit.max).unwrap_or(i32::MAX),
            i32::try_from(limit.window_secs).unwrap_or(i32::MAX),
        )
    };
    let (post, post_per_second) = pair(&limits.post);
    let (comment, comment_per_second) = pair(&limits.comment);
    let (register, register_per_second) = pair(&limits.register);
    let (image, image_per_second) = pair(&limits.upload);
    // Hearth limits lookups of other servers, not searches of its own data.
    let (search, search_per_second) = pair(&limits.resolve);
    LocalSiteRateLimit {
        local_site_id: SITE_ID,
        message: 0,
        message_per_second: 60,
        post,
        post_per_second,
        register,
        register_per_second,
        image,
        image_per_second,
        comment,
        comment_per_second,
        search,
        search_per_second,
        published,
        import_user_settings: 1,
        import_user_settings_per_second: 86_400,
    }
}

fn my_user(account: AccountOverview, admin: bool) -> MyUserInfo {
    let me = Person::from_row(&account.person, false);
    let counts = || PersonAggregates {
        person_id: account.person.id,
        post_count: account.post_count,
        comment_count: account.comment_count,
    };
    MyUserInfo {
        local_user_view: LocalUserView {
            local_user: local_user(account.person.id, account.email.clone(), admin, true),
            local_user_vote_display_mode: LocalUserVoteDisplayMode {
                local_user_id: account.person.id,
                score: true,
                upvotes: true,
                downvotes: true,
                upvote_percentage: false,
            },
            person: me.clone(),
            counts: counts(),
        },
        follows: account
            .joined
            .iter()
            .map(|c| CommunityFollowerView {
                community: Community::from_row(c),
                follower: me.clone(),
            })
            .collect(),
        moderates: account
            .moderated
            .iter()
            .map(|c| CommunityModeratorView {
                community: Community::from_row(c),
                moderator: me.clone(),
            })
            .collect(),
        community_blocks: account
            .blocked_communities
            .iter()
            .map(|c| CommunityBlockView {
                person: me.clone(),
                community: Community::from_row(c),
            })
            .collect(),
        instance_blocks: Vec::new(),
        person_blocks: account
            .blocked_people
            .iter()
            .map(|p| PersonBlockView {
                person: me.clone(),
                target: Person::from_row(p, false),
            })
            .collect(),
        discussion_languages: Vec::new(),
    }
}

/// Lemmy's `LocalUser` of a local account: its id, email, admin flag and whether its
/// application was accepted are Hearth's; the rest are Lemmy's defaults for display choices
/// Hearth does not keep.
pub(crate) fn local_user(
    person_id: i64,
    email: Option<String>,
    admin: bool,
    accepted_application: bool,
) -> LocalUser {
    LocalUser {
        id: person_id,
        person_id,
        email,
        show_nsfw: true,
        theme: "browser",
        default_sort_type: "Active",
        default_listing_type: "Local",
        interface_language: "browser",
        show_avatars: true,
        send_notifications_to_email: false,
        show_scores: true,
        show_bot_accounts: true,
        show_read_posts: true,
        email_verified: false,
        accepted_application,
        open_links_in_new_tab: false,
        blur_nsfw: true,
        auto_expand: false,
        infinite_scroll_enabled: false,
        admin,
        post_listing_mode: "List",
        totp_2fa_enabled: false,
        enable_keyboard_navigation: false,
        enable_animated_images: true,
        collapse_bot_comments: false,
    }
}
