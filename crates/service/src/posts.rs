//! Posts: writing, editing and deleting them, voting on them, and the feeds that list them.

use crate::auth::Viewer;
use crate::events::{self, EventInput};
use crate::outbox::{self, Event};
use crate::polls::{self, PollInput};
use crate::rate_limit::{self, Action};
use crate::{ServiceContext, communities, content, mentions};
use chrono::{Duration, Utc};
use hearth_core::{ActorRef, Error, Result};
use hearth_db::media::PostImage;
use hearth_db::post::{
    CommunityPage, CommunityPageRequest, FeedRequest, FeedScope, NewPost, PostCursor, PostEdit,
    PostRow, PostSort, PostTarget,
};

/// What writing a post takes.
#[derive(Debug)]
pub struct NewPostForm {
    /// The community: `name` or `name@host`.
    pub community: String,
    /// Title: 1–200 characters.
    pub title: String,
    /// An http(s) link, for link posts.
    pub url: Option<String>,
    /// Markdown body, at most 50,000 characters.
    pub body: Option<String>,
    /// Not safe for work.
    pub nsfw: bool,
    /// Language tag.
    pub language: Option<String>,
    /// Pictures uploaded here (`POST /api/v1/media`), in order: an image post. The first is
    /// the post's link and thumbnail.
    pub images: Vec<ImageInput>,
    /// The post is an event (see `events`).
    pub event: Option<EventInput>,
    /// The post carries a poll (see `polls`).
    pub poll: Option<PollInput>,
}

/// One picture of an image post, as its author gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInput {
    /// The picture's public URL, as the upload answered it.
    pub url: String,
    /// What it shows, for people who cannot see it.
    pub alt_text: Option<String>,
}

/// The longest post body accepted.
pub const MAX_BODY: usize = 50_000;

/// The most pictures one post carries.
pub const MAX_IMAGES: usize = 10;

/// The longest alt text of a picture, in characters.
pub const MAX_ALT_TEXT: usize = 1_500;

/// What a post shows besides its text: its link, pictures, thumbnail, and whether its link
/// preview is to be fetched.
#[derive(Debug, Default)]
struct Shown {
    url: Option<String>,
    images: Vec<PostImage>,
    thumbnail_url: Option<String>,
    preview_pending: bool,
}

/// Reads a post's link and pictures as its author gives them: pictures must be uploads of ours
/// (at most `MAX_IMAGES`, alt text at most `MAX_ALT_TEXT`); with pictures the link is the first
/// one's (an image post), and a link to a picture uploaded here makes an image post too. Any
/// other link is a link post, whose preview the background fetcher reads when
/// `media.link_previews` is on.
async fn shown(ctx: &ServiceContext, url: Option<&str>, images: &[ImageInput]) -> Result<Shown> {
    if images.len() > MAX_IMAGES {
        return Err(Error::validation(
            "images",
            format!("must be at most {MAX_IMAGES} pictures"),
        ));
    }
    let url = url
        .filter(|u| !u.trim().is_empty())
        .map(content::link)
        .transpose()?;
    let mut checked = Vec::with_capacity(images.len());
    for image in images {
        let alt_text = image
            .alt_text
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty());
        if alt_text.is_some_and(|a| a.chars().count() > MAX_ALT_TEXT) {
            return Err(Error::validation(
                "images",
                format!("alt text must be at most {MAX_ALT_TEXT} characters"),
            ));
        }
        let file = crate::media::uploaded_picture(ctx, &image.url, "images").await?;
        checked.push((file, alt_text.map(str::to_owned)));
    }
    if checked.is_empty()
        && let Some(link) = url.as_deref()
        && crate::media::local_hash(ctx, link).is_some()
        && let Ok(file) = crate::media::uploaded_picture(ctx, link, "url").await
    {
        checked.push((file, None));
    }
    let images: Vec<PostImage> = checked
        .iter()
        .map(|(file, alt_text)| PostImage {
            url: crate::media::file_url(ctx, &file.hash, &file.content_type),
            alt_text: alt_text.clone(),
            content_type: Some(file.content_type.clone()),
        })
        .collect();
    match (images.first(), checked.first()) {
        (Some(first), Some((file, _))) => {
            if let Some(link) = url.as_deref()
                && crate::media::local_hash(ctx, link) != Some(file.hash.as_str())
            {
                return Err(Error::validation(
                    "url",
                    "must be left out, or be the first picture's, in a post with pictures",
                ));
            }
            Ok(Shown {
                url: Some(first.url.clone()),
                thumbnail_url: Some(format!(
                    "{}{}.thumbnail",
                    crate::media::local_prefix(ctx),
                    file.hash
                )),
                images,
                preview_pending: false,
            })
        }
        _ => Ok(Shown {
            preview_pending: url.is_some() && ctx.settings.media.link_previews,
            url,
            ..Shown::default()
        }),
    }
}

/// Writes a post in a community.
#[tracing::instrument(skip_all, fields(author = viewer.person_id, community = %form.community))]
pub async fn create(ctx: &ServiceContext, viewer: &Viewer, form: NewPostForm) -> Result<PostRow> {
    let title = content::title(&form.title)?;
    let shown = shown(ctx, form.url.as_deref(), &form.images).await?;
    let body = content::body(form.body.as_deref().unwrap_or(""), "body", 0, MAX_BODY)?;
    let language = form
        .language
        .as_deref()
        .map(content::language)
        .transpose()?;
    let now = Utc::now();
    if form.event.is_some() && form.poll.is_some() {
        return Err(Error::validation(
            "poll",
            "A post is an event or carries a poll, not both.",
        ));
    }
    let event = form
        .event
        .map(|e| events::check(e, true, now))
        .transpose()?;
    let poll = form.poll.map(|p| polls::check(p, now)).transpose()?;
    let community = communities::find(ctx, &form.community).await?;
    content::may_post(ctx, viewer, &community).await?;
    rate_limit::check(ctx, Action::Post, &viewer.person_id.to_string()).await?;
    let written = mentions::render(ctx, &body).await?;
    let body_html = written.html;
    let mut tx = ctx.pool.begin().await?;
    let id = hearth_db::post::insert(
        &mut tx,
        &NewPost {
            ap_id: None,
            local: true,
            community_id: community.id,
            author_id: viewer.person_id,
            title: &title,
            url: shown.url.as_deref(),
            body: &body,
            body_html: &body_html,
            nsfw: form.nsfw,
            language: language.as_deref(),
        },
        &format!("{}/post/", ctx.settings.public_base_url()),
    )
    .await?;
    if shown.thumbnail_url.is_some() || shown.preview_pending {
        hearth_db::post::set_shown(
            &mut tx,
            id,
            shown.thumbnail_url.as_deref(),
            shown.preview_pending,
        )
        .await?;
    }
    if !shown.images.is_empty() {
        hearth_db::media::set_post_images(&mut tx, id, &shown.images).await?;
    }
    if let Some(event) = &event {
        hearth_db::event::upsert(&mut *tx, id, event, None, None).await?;
    }
    if let Some(poll) = &poll {
        hearth_db::poll::insert(
            &mut tx,
            id,
            poll.multiple,
            poll.ends_at,
            poll.results_after_end,
            &poll.options,
        )
        .await?;
    }
    hearth_db::mention::set_for_post(&mut *tx, id, &written.mentioned).await?;
    hearth_db::notification::for_post(&mut *tx, id).await?;
    outbox::record(ctx, &mut tx, Event::PostCreated(id)).await?;
    tx.commit().await?;
    tracing::info!(post = id, "post created");
    get(ctx, Some(viewer), id).await
}

/// One post, as the viewer sees it.
pub async fn get(ctx: &ServiceContext, viewer: Option<&Viewer>, id: i64) -> Result<PostRow> {
    content::post(ctx, viewer, id).await
}

/// The community of a post, if the post exists (what its pages show, for the anonymous page
/// cache).
pub async fn community_of(ctx: &ServiceContext, id: i64) -> Result<Option<i64>> {
    Ok(hearth_db::post::facts(&ctx.pool, id)
        .await?
        .map(|f| f.community_id))
}

/// The pictures of a post, in order (none once it is deleted or removed).
pub async fn images(ctx: &ServiceContext, post: &PostRow) -> Result<Vec<PostImage>> {
    if post.deleted || post.removed {
        return Ok(Vec::new());
    }
    Ok(hearth_db::media::post_images(&ctx.pool, post.id).await?)
}

/// Changes to a post; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct PostChanges {
    /// New title.
    pub title: Option<String>,
    /// New link; `Some(None)` (JSON `null`) removes it.
    pub url: Option<Option<String>>,
    /// New markdown body.
    pub body: Option<String>,
    /// New NSFW flag.
    pub nsfw: Option<bool>,
    /// New language; `Some(None)` clears it.
    pub language: Option<Option<String>>,
    /// New pictures (uploads of ours), replacing the old; `Some(vec![])` removes them.
    pub images: Option<Vec<ImageInput>>,
    /// New event fields (an event post only): people going hear of a new time.
    pub event: Option<EventInput>,
}

/// Edits a post (its author only).
#[tracing::instrument(skip_all, fields(post = id))]
pub async fn edit(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
    changes: PostChanges,
) -> Result<PostRow> {
    let facts = own_live_post(ctx, viewer, id).await?;
    let unchanged = changes.title.is_none()
        && changes.url.is_none()
        && changes.body.is_none()
        && changes.nsfw.is_none()
        && changes.language.is_none()
        && changes.images.is_none()
        && changes.event.is_none();
    if unchanged {
        return get(ctx, Some(viewer), id).await;
    }
    let title = changes.title.as_deref().map(content::title).transpose()?;
    let event = changes
        .event
        .map(|e| events::check(e, false, Utc::now()))
        .transpose()?;
    let shown = edited_shown(ctx, facts.id, changes.url, changes.images).await?;
    let body = changes
        .body
        .as_deref()
        .map(|b| content::body(b, "body", 0, MAX_BODY))
        .transpose()?;
    let written = match body.as_deref() {
        Some(body) => Some(mentions::render(ctx, body).await?),
        None => None,
    };
    let body_html = written.as_ref().map(|w| w.html.as_str());
    let language = match changes.language {
        Some(Some(l)) => Some(Some(content::language(&l)?)),
        Some(None) => Some(None),
        None => None,
    };
    let edit = PostEdit {
        title: title.as_deref(),
        url: shown.as_ref().map(|s| s.url.as_deref()),
        body: body.as_deref().zip(body_html),
        nsfw: changes.nsfw,
        language: language.as_ref().map(|l| l.as_deref()),
        thumbnail_url: shown.as_ref().map(|s| s.thumbnail_url.as_deref()),
        preview_pending: shown.as_ref().map(|s| s.preview_pending),
    };
    let mut tx = ctx.pool.begin().await?;
    hearth_db::post::edit(&mut tx, facts.id, &edit).await?;
    if let Some(shown) = &shown {
        hearth_db::media::set_post_images(&mut tx, facts.id, &shown.images).await?;
    }
    if let Some(written) = &written {
        hearth_db::mention::set_for_post(&mut *tx, facts.id, &written.mentioned).await?;
        hearth_db::notification::for_post(&mut *tx, facts.id).await?;
    }
    if let Some(event) = &event {
        events::edited(&mut tx, facts.id, event, viewer.person_id).await?;
    }
    outbox::record(ctx, &mut tx, Event::PostUpdated(facts.id)).await?;
    tx.commit().await?;
    get(ctx, Some(viewer), id).await
}

/// What an edit makes of a post's link and pictures; `None` when it leaves both as they are
/// (a link given again unchanged keeps its preview and pictures).
async fn edited_shown(
    ctx: &ServiceContext,
    post_id: i64,
    url: Option<Option<String>>,
    images: Option<Vec<ImageInput>>,
) -> Result<Option<Shown>> {
    if url.is_none() && images.is_none() {
        return Ok(None);
    }
    let row = hearth_db::post::find(&ctx.pool, post_id, None)
        .await?
        .ok_or_else(|| Error::not_found("There is no post with this id."))?;
    let held = hearth_db::media::post_images(&ctx.pool, post_id).await?;
    let image_post = held
        .first()
        .is_some_and(|first| row.url.as_ref() == Some(&first.url));
    match (url, images) {
        (Some(url), None) => {
            let url = url.filter(|u| !u.trim().is_empty());
            let unchanged = match url.as_deref() {
                Some(u) => row.url.as_deref() == Some(content::link(u)?.as_str()),
                None => row.url.is_none(),
            };
            if unchanged {
                return Ok(None);
            }
            shown(ctx, url.as_deref(), &[]).await.map(Some)
        }
        (url, Some(images)) => {
            // Without a new link, the old one stays unless it was the old first picture.
            let url = match url {
                Some(url) => url,
                None if image_post || !images.is_empty() => None,
                None => row.url.clone(),
            };
            let same_link = match url.as_deref().filter(|u| !u.trim().is_empty()) {
                Some(u) => row.url.as_deref() == Some(content::link(u)?.as_str()),
                None => row.url.is_none(),
            };
            if images.is_empty() && held.is_empty() && same_link {
                // Nothing to remove, and the link keeps its preview.
                return Ok(None);
            }
            shown(ctx, url.as_deref(), &images).await.map(Some)
        }
        (None, None) => Ok(None),
    }
}

/// Deletes a post (its author only). The thread stays readable; the post shows as deleted.
#[tracing::instrument(skip_all, fields(post = id))]
pub async fn delete(ctx: &ServiceContext, viewer: &Viewer, id: i64) -> Result<PostRow> {
    let facts = own_live_post(ctx, viewer, id).await?;
    let mut tx = ctx.pool.begin().await?;
    if hearth_db::post::mark_deleted(&mut *tx, facts.id).await? {
        outbox::record(ctx, &mut tx, Event::PostDeleted(facts.id)).await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), id).await
}

async fn own_live_post(
    ctx: &ServiceContext,
    viewer: &Viewer,
    id: i64,
) -> Result<hearth_db::post::PostFacts> {
    let facts = hearth_db::post::facts(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no post with this id."))?;
    if facts.author_id != viewer.person_id {
        return Err(Error::forbidden(
            "not_author",
            "Only the author may change this post.",
        ));
    }
    if facts.deleted || facts.removed {
        return Err(Error::forbidden("deleted", "This post has been deleted."));
    }
    Ok(facts)
}

/// Checks a vote: its value, the voting rules (`content::may_vote`), and the voter's rate
/// limit (counted last, so refused votes do not use it up).
pub(crate) async fn check_vote(
    ctx: &ServiceContext,
    viewer: &Viewer,
    community_id: i64,
    gone: bool,
    score: i16,
) -> Result<()> {
    if !(-1..=1).contains(&score) {
        return Err(Error::validation("score", "must be 1, 0 or -1"));
    }
    let community = hearth_db::community::find(&ctx.pool, community_id)
        .await?
        .ok_or_else(|| Error::not_found("The community is gone."))?;
    content::may_vote(ctx, viewer, &community, gone, score).await?;
    rate_limit::check(ctx, Action::Vote, &viewer.person_id.to_string()).await
}

/// Votes on a post: 1 up, -1 down, 0 to take the vote back.
#[tracing::instrument(skip_all, fields(post = id, score))]
pub async fn vote(ctx: &ServiceContext, viewer: &Viewer, id: i64, score: i16) -> Result<PostRow> {
    let facts = hearth_db::post::facts(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no post with this id."))?;
    let gone = facts.deleted || facts.removed;
    check_vote(ctx, viewer, facts.community_id, gone, score).await?;
    let mut tx = ctx.pool.begin().await?;
    let old = hearth_db::post::vote(&mut tx, id, viewer.person_id, score).await?;
    if let Some(old) = old.filter(|old| *old != score) {
        let event = Event::PostVoted {
            post_id: id,
            person_id: viewer.person_id,
            old,
            new: score,
        };
        outbox::record(ctx, &mut tx, event).await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), id).await
}

/// How a feed is sorted, as clients name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedSort {
    /// Hot.
    Hot,
    /// Active.
    Active,
    /// New.
    New,
    /// Top over a period.
    Top(TopPeriod),
    /// Most comments.
    MostComments,
    /// Controversial.
    Controversial,
}

/// The periods of `top`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopPeriod {
    /// 24 hours.
    Day,
    /// 7 days.
    Week,
    /// 30 days.
    Month,
    /// 365 days.
    Year,
    /// Ever.
    All,
}

impl FeedSort {
    /// Parses `hot`, `active`, `new`, `top_day` … `top_all` (`top` is `top_all`), `most_comments`,
    /// `controversial`.
    pub fn parse(raw: &str) -> Result<Self> {
        Ok(match raw {
            "hot" => Self::Hot,
            "active" => Self::Active,
            "new" => Self::New,
            "top_day" => Self::Top(TopPeriod::Day),
            "top_week" => Self::Top(TopPeriod::Week),
            "top_month" => Self::Top(TopPeriod::Month),
            "top_year" => Self::Top(TopPeriod::Year),
            "top" | "top_all" => Self::Top(TopPeriod::All),
            "most_comments" => Self::MostComments,
            "controversial" => Self::Controversial,
            _ => {
                return Err(Error::validation(
                    "sort",
                    "must be hot, active, new, top_day, top_week, top_month, top_year, top_all, most_comments or controversial",
                ));
            }
        })
    }

    fn stored(self) -> (PostSort, Option<Duration>) {
        match self {
            Self::Hot => (PostSort::Hot, None),
            Self::Active => (PostSort::Active, None),
            Self::New => (PostSort::New, None),
            Self::Top(TopPeriod::Day) => (PostSort::Top, Some(Duration::days(1))),
            Self::Top(TopPeriod::Week) => (PostSort::Top, Some(Duration::days(7))),
            Self::Top(TopPeriod::Month) => (PostSort::Top, Some(Duration::days(30))),
            Self::Top(TopPeriod::Year) => (PostSort::Top, Some(Duration::days(365))),
            Self::Top(TopPeriod::All) => (PostSort::Top, None),
            Self::MostComments => (PostSort::MostComments, None),
            Self::Controversial => (PostSort::Controversial, None),
        }
    }
}

/// Which feed to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// Everything this instance knows.
    All,
    /// This instance's communities.
    Local,
    /// The viewer's communities.
    Subscribed,
    /// One community (`name` or `name@host`).
    Community(String),
    /// One person's posts (`name` or `name@host`).
    Author(String),
}

/// One page of a feed and the cursor of the next.
pub async fn feed(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    feed: Feed,
    sort: FeedSort,
    after: Option<PostCursor>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<PostCursor>)> {
    let scope = match feed {
        Feed::All => FeedScope::All,
        Feed::Local => FeedScope::Local,
        Feed::Subscribed => {
            FeedScope::Subscribed(viewer.ok_or_else(Error::not_signed_in)?.person_id)
        }
        Feed::Community(reference) => {
            FeedScope::Community(communities::find(ctx, &reference).await?.id)
        }
        Feed::Author(reference) => {
            FeedScope::Author(crate::users::find(ctx, &reference, "user").await?.id)
        }
    };
    page(ctx, viewer, scope, sort, after, limit).await
}

/// One page of a community's posts as its page and the API's community listing show them: the
/// pinned posts first on the first page (as Lemmy does), then the others in `sort` order, the
/// pinned ones left out there so that nothing shows twice. `reference` is `name` or
/// `name@host`. The cursor, and `limit`, concern the sorted posts only.
#[tracing::instrument(skip_all, fields(community = %reference))]
pub async fn community_feed(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    reference: &str,
    sort: FeedSort,
    after: Option<PostCursor>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<PostCursor>)> {
    // One statement looks the community up by name and reads both parts of the page, so an
    // uncached community page is one round trip (it was three: the community, its pinned
    // posts, its feed). Pinned posts are read apart inside it through their own small index:
    // folding them into the sort would turn every community page into a sort over all its
    // posts.
    let parsed = ActorRef::parse(reference, "community")?;
    let Some(community) = communities::lookup_key(ctx, &parsed) else {
        // No community could have this name: `find` says so as every other lookup does.
        communities::find(ctx, reference).await?;
        return Ok((Vec::new(), None));
    };
    let (stored, _) = sort.stored();
    if let Some(viewer) = viewer
        && reuses_anonymous_rows(ctx, viewer)
    {
        // A community's own page is not hidden by a block of the community: only the viewer's
        // blocks of people apply, as in `community_page`.
        let key = format!("rows community {community:?} {sort:?} {after:?} {limit}");
        let shared = shared_rows(ctx, key, OneCommunity::Yes, || async {
            community_page(ctx, None, reference, community, sort, after, limit).await
        })
        .await?;
        if let Some(page) = as_viewer(ctx, viewer, &shared, false).await? {
            return Ok(finish(page, stored, limit));
        }
    }
    let page = community_page(ctx, viewer, reference, community, sort, after, limit).await?;
    Ok(finish(page, stored, limit))
}

/// The rows of one community page as `community_page` reads them for `viewer` (`limit` + 1 of
/// the sorted posts, so the next page can be told), or the error of an unknown community.
async fn community_page(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    reference: &str,
    community: hearth_db::post::CommunityKey<'_>,
    sort: FeedSort,
    after: Option<PostCursor>,
    limit: i64,
) -> Result<CommunityPage> {
    let (stored, window) = sort.stored();
    let request = CommunityPageRequest {
        community,
        sort: stored,
        since: window.map(|w| Utc::now() - w),
        after,
        limit: limit + 1,
        viewer: viewer.map(|v| v.person_id),
    };
    let page = ctx
        .read(viewer, |db| async move {
            hearth_db::post::community_page(&db, &request).await
        })
        .await?;
    if page.pinned.is_empty() && page.rest.is_empty() {
        // An empty page, or no such community: only the second costs a lookup, whose error
        // (not found, with its code) is the one the page has always answered.
        communities::find(ctx, reference).await?;
    }
    Ok(page)
}

/// A page of rows read with one row more than `limit` made into the page and the next page's
/// cursor (pinned posts first).
fn finish(page: CommunityPage, sort: PostSort, limit: i64) -> (Vec<PostRow>, Option<PostCursor>) {
    let CommunityPage {
        mut pinned,
        mut rest,
    } = page;
    let next = crate::paging::cut(&mut rest, limit).map(|last| PostCursor {
        key: sort.key_of(last),
        id: last.id,
    });
    pinned.extend(rest);
    (pinned, next)
}

async fn page(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    scope: FeedScope,
    sort: FeedSort,
    after: Option<PostCursor>,
    limit: i64,
) -> Result<(Vec<PostRow>, Option<PostCursor>)> {
    let (stored, _) = sort.stored();
    // The feeds that are the same for everyone but for votes and blocks (not `Subscribed`,
    // whose rows are the viewer's own; authors' pages are not kept).
    if let Some(viewer) = viewer
        && matches!(scope, FeedScope::All | FeedScope::Local)
        && reuses_anonymous_rows(ctx, viewer)
    {
        let key = format!("rows feed {scope:?} {sort:?} {after:?} {limit}");
        let shared = shared_rows(ctx, key, OneCommunity::No, || async {
            Ok(CommunityPage {
                pinned: Vec::new(),
                rest: feed_rows(ctx, None, scope, sort, after, limit).await?,
            })
        })
        .await?;
        if let Some(page) = as_viewer(ctx, viewer, &shared, true).await? {
            return Ok(finish(page, stored, limit));
        }
    }
    let rows = feed_rows(ctx, viewer, scope, sort, after, limit).await?;
    Ok(finish(
        CommunityPage {
            pinned: Vec::new(),
            rest: rows,
        },
        stored,
        limit,
    ))
}

/// One feed page's rows as `feed` reads them for `viewer`, `limit` + 1 of them.
async fn feed_rows(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    scope: FeedScope,
    sort: FeedSort,
    after: Option<PostCursor>,
    limit: i64,
) -> Result<Vec<PostRow>> {
    let (sort, window) = sort.stored();
    let request = FeedRequest {
        scope,
        sort,
        since: window.map(|w| Utc::now() - w),
        after,
        limit: limit + 1,
        viewer: viewer.map(|v| v.person_id),
    };
    Ok(ctx
        .read(viewer, |db| async move {
            hearth_db::post::feed(&db, &request).await
        })
        .await?)
}

/// Whether `viewer`'s feed pages may be made from the rows read for anonymous readers (see
/// [`shared_rows`]). The feed statements treat a signed-in reader apart from an anonymous one
/// only by their votes (`my_vote`) and their blocks (rows left out), which [`as_viewer`] adds in
/// one statement; no other preference of theirs changes which rows come (NSFW posts are hidden
/// by the faces after the rows are read, and saved and read marks are added to the views). So
/// every viewer qualifies while the cache is on, except one who wrote within
/// `database.read_your_writes_secs` while replicas are configured: their reads must come from
/// the primary as it is now.
fn reuses_anonymous_rows(ctx: &ServiceContext, viewer: &Viewer) -> bool {
    ctx.read_cache.enabled() && !ctx.reads_own_writes(Some(viewer))
}

/// Whether kept rows are one community's page (dropped by a write to that community) or mix
/// communities (dropped by a write to any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OneCommunity {
    Yes,
    No,
}

/// The rows of a feed page as anonymous readers get them, kept in the anonymous page cache
/// (`read_cache`) under `key` with its lifetime, its single flight and its invalidation, as
/// the pages are: a community's page shows that community, the front page every community
/// (even when its rows happen to be of one). `read` reads them (with `limit` + 1 sorted rows)
/// when they are not kept.
async fn shared_rows<F, Fut>(
    ctx: &ServiceContext,
    key: String,
    one_community: OneCommunity,
    read: F,
) -> Result<std::sync::Arc<CommunityPage>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<CommunityPage>>,
{
    use crate::read_cache::{Miss, Shows};
    let kept = ctx
        .read_cache
        .get_or_make(key, || async {
            let page = read().await.map_err(Miss::Failed)?;
            let mut all = page.pinned.iter().chain(&page.rest);
            let bytes = all.clone().map(approximate_bytes).sum();
            // An empty community page may be of a community not yet known by id: it is dropped
            // with the pages that mix communities.
            let shows = match (one_community, all.next()) {
                (OneCommunity::Yes, Some(row)) => Shows::Community(row.community_id),
                _ => Shows::Everything,
            };
            Ok::<_, Miss<std::convert::Infallible, hearth_core::Error>>((page, shows, bytes))
        })
        .await;
    match kept {
        Ok(page) => Ok(page),
        Err(Miss::Failed(e)) => Err(e),
        Err(Miss::Private(never)) => match never {},
    }
}

/// About the memory a kept row holds, for the cache's bound on bytes.
fn approximate_bytes(row: &PostRow) -> usize {
    let optional = [
        &row.url,
        &row.language,
        &row.author_display_name,
        &row.thumbnail_url,
        &row.preview_title,
        &row.preview_description,
        &row.author_avatar_url,
        &row.community_icon_url,
    ];
    std::mem::size_of::<PostRow>()
        + row.ap_id.len()
        + row.title.len()
        + row.body.len()
        + row.body_html.len()
        + row.community_name.len()
        + row.community_title.len()
        + row.community_ap_id.len()
        + row.author_name.len()
        + row.author_ap_id.len()
        + optional
            .iter()
            .map(|o| o.as_ref().map_or(0, String::len))
            .sum::<usize>()
}

/// The anonymous rows of a page as `viewer`'s own reading of them would give them: their votes
/// added, in one statement ([`hearth_db::post::viewer_marks`], read where the viewer's own reads
/// go). `None` when their blocks hide any row (of the people who wrote them, and with
/// `community_blocks` of their communities): their page then has other rows and another
/// cursor, which only their own reading can tell, so the caller reads it.
async fn as_viewer(
    ctx: &ServiceContext,
    viewer: &Viewer,
    shared: &CommunityPage,
    community_blocks: bool,
) -> Result<Option<CommunityPage>> {
    let rows: Vec<&PostRow> = shared.pinned.iter().chain(&shared.rest).collect();
    if rows.is_empty() {
        return Ok(Some(CommunityPage::default()));
    }
    let person = viewer.person_id;
    let marks = ctx
        .read(Some(viewer), |db| {
            let rows = &rows;
            async move { hearth_db::post::viewer_marks(&db, person, rows, community_blocks).await }
        })
        .await?;
    if marks.len() != rows.len()
        || marks
            .iter()
            .zip(&rows)
            .any(|(mark, row)| mark.hidden || mark.id != row.id)
    {
        return Ok(None);
    }
    let mut votes = marks.iter().map(|m| m.my_vote);
    let mut mine = |rows: &[PostRow]| -> Vec<PostRow> {
        rows.iter()
            .map(|row| PostRow {
                my_vote: votes.next().unwrap_or(0),
                ..row.clone()
            })
            .collect()
    };
    let pinned = mine(&shared.pinned);
    let rest = mine(&shared.rest);
    Ok(Some(CommunityPage { pinned, rest }))
}

/// The most communities the post form offers.
const MAX_TARGETS: i64 = 200;

/// The communities the viewer has joined, for the post form's community picker.
pub async fn targets(ctx: &ServiceContext, viewer: &Viewer) -> Result<Vec<PostTarget>> {
    Ok(hearth_db::post::targets_of(&ctx.pool, viewer.person_id, MAX_TARGETS).await?)
}

/// Whether a comment box belongs under `post` for `viewer`: `Ok(None)` when it does, or the
/// reason it does not (a gone or locked post; the moderators of a locked post's community, and
/// the instance's admins for a local one, still answer). It is the rule `comments::create`
/// applies (`content::may_comment`), asked before anyone types. Other refusals (a ban, a
/// community that approves its members) still leave the box, and are told when it is used.
pub async fn comment_refusal(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    post: &PostRow,
) -> Result<Option<Error>> {
    let thread = content::Thread {
        gone: post.deleted || post.removed,
        locked: post.locked,
    };
    if !thread.gone && !thread.locked {
        return Ok(None);
    }
    let Some(viewer) = viewer else {
        return Ok(Some(if thread.gone {
            Error::forbidden("deleted", "This post has been deleted.")
        } else {
            Error::forbidden("locked", "This post is locked.")
        }));
    };
    let community = hearth_db::community::find(&ctx.pool, post.community_id)
        .await?
        .ok_or_else(|| Error::not_found("The community is gone."))?;
    match content::may_comment(ctx, viewer, &community, thread).await {
        Ok(()) => Ok(None),
        Err(e) if matches!(e.kind.code(), "deleted" | "locked") => Ok(Some(e)),
        Err(e) if e.kind.status().is_client_error() => Ok(None),
        Err(e) => Err(e),
    }
}
