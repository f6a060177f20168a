//! Posts: a post's page with its pictures, link preview and comment thread, writing (with an
//! image and its alt text), editing and deleting posts, and voting on them (the vote widget and
//! the way back after a vote serve comments too).

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, WebError, back, back_to, render, render_status, see_other};
use crate::pictures::{self, PictureForm};
use crate::routes::events::{self, EventBlock, ExtrasInput, PollBlock};
use crate::routes::saved;
use crate::session::Session;
use crate::views::{
    self, Choice, CommunityView, ImageView, ModPowers, PostView, ThreadItem, VoteView,
};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use hearth_core::Error;
use hearth_db::community::CommunitySort;
use hearth_db::post::PostRow;
use hearth_service::ServiceContext;
use hearth_service::comments;
use hearth_service::communities;
use hearth_service::moderation;
use hearth_service::posts::{self, ImageInput, NewPostForm, PostChanges};
use hearth_service::read_cache::Shows;
use serde::Deserialize;

/// The post routes; the post form takes a picture, with its own body limit.
pub fn router(ctx: &ServiceContext) -> Router<ServiceContext> {
    Router::new()
        .route("/post/{id}", get(show))
        .route(
            "/create_post",
            get(new_form).post(create).layer(pictures::body_limit(ctx)),
        )
        .route(
            "/post/{id}/edit",
            get(edit_form).post(edit).layer(pictures::body_limit(ctx)),
        )
        .route("/post/{id}/delete", post(delete))
        .route("/post/{id}/vote", post(vote))
        .route("/post/{id}/remove", post(remove_or_restore::<true>))
        .route("/post/{id}/restore", post(remove_or_restore::<false>))
        .route("/post/{id}/lock", post(lock::<true>))
        .route("/post/{id}/unlock", post(lock::<false>))
        .route("/post/{id}/pin", post(pin::<true>))
        .route("/post/{id}/unpin", post(pin::<false>))
}

/// What the visitor may do as a moderator to the content of `post`'s community.
pub async fn mod_powers(
    ctx: &ServiceContext,
    session: &Session,
    post: &PostRow,
) -> Result<ModPowers, WebError> {
    let Some(viewer) = session.viewer.as_ref() else {
        return Ok(ModPowers::default());
    };
    let moderate = match hearth_service::can_moderate(ctx, viewer, post.community_id).await {
        Ok(()) => true,
        Err(e) if e.kind.status() == StatusCode::FORBIDDEN => false,
        Err(e) => return Err(e.into()),
    };
    let community = views::community(
        &post.community_name,
        &post.community_title,
        post.community_local,
        &post.community_ap_id,
    );
    Ok(ModPowers {
        moderate,
        // Admins may also remove other servers' communities' content, here only.
        remove: moderate || viewer.admin,
        community: community.handle,
    })
}

/// Why the post was removed, for its moderators (`None`: no reason given).
async fn post_removal_reason(
    ctx: &ServiceContext,
    mods: &ModPowers,
    post: &PostView,
) -> Result<Option<String>, WebError> {
    if !(post.removed && mods.remove) {
        return Ok(None);
    }
    Ok(moderation::post_removal_reason(ctx, post.id).await?)
}

/// Fills in why the removed comments of a thread were removed, for its moderators.
pub async fn comment_removal_reasons(
    ctx: &ServiceContext,
    mods: &ModPowers,
    items: &mut [ThreadItem],
) -> Result<(), WebError> {
    if !mods.remove {
        return Ok(());
    }
    let removed: Vec<i64> = items
        .iter()
        .filter_map(|item| match item {
            ThreadItem::Open(c) if c.removed => Some(c.id),
            _ => None,
        })
        .collect();
    if removed.is_empty() {
        return Ok(());
    }
    let reasons = moderation::comment_removal_reasons(ctx, &removed).await?;
    for item in items {
        if let ThreadItem::Open(c) = item
            && c.removed
        {
            c.removal_reason = reasons
                .iter()
                .find(|(id, _)| *id == c.id)
                .map(|(_, reason)| reason.clone());
        }
    }
    Ok(())
}

/// A moderator's reason, as the remove and restore forms send it.
#[derive(Debug, Default, Deserialize)]
pub struct ReasonInput {
    /// Shown in the mod log and sent to other servers (at most 1,000 characters).
    #[serde(default)]
    pub reason: String,
}

/// The remove or restore form alone, shown again with the error next to the reason when the
/// reason is refused.
#[derive(Template)]
#[template(path = "mod_reason_form.html")]
pub struct ReasonFormPage {
    /// The layout.
    pub layout: Layout,
    /// "Remove the post", "Restore the comment"…
    pub heading: String,
    /// Where the form posts.
    pub action: String,
    /// Where "Cancel" goes.
    pub cancel: String,
    /// What the button says.
    pub button: &'static str,
    /// The field's name (`reason`, `note`).
    pub field: &'static str,
    /// What the field is called.
    pub label: &'static str,
    /// What was typed.
    pub reason: String,
    /// The errors.
    pub errors: FormErrors,
}

/// Ends a remove or restore: back where the moderator came from, or the form again with the
/// error next to the reason.
pub fn after_reason_form<T>(
    result: hearth_core::Result<T>,
    headers: &HeaderMap,
    page: ReasonFormPage,
) -> PageResult {
    match result {
        Ok(_) => Ok(back(headers, &page.cancel)),
        // Only a refused reason is the form's business; "not allowed" is the 403 page.
        Err(error) if matches!(error.kind, hearth_core::ErrorKind::Validation { .. }) => {
            let (status, errors) = FormErrors::from_error(error, &[(page.field, page.label)])?;
            render_status(status, &ReasonFormPage { errors, ..page })
        }
        Err(error) => Err(error.into()),
    }
}

impl ReasonFormPage {
    /// The form to `button` ("Remove", "Resolve" …) `what` ("the post"), posting to `action`,
    /// with "Cancel" going to `cancel` and `reason` typed in the `reason` field (see
    /// `with_field` for another one).
    pub fn new(
        user: &SignedIn,
        button: &'static str,
        what: &str,
        action: String,
        cancel: String,
        reason: String,
    ) -> Self {
        let heading = format!("{button} {what}");
        Self {
            layout: Layout::new(&user.session, heading.clone(), ""),
            heading,
            action,
            cancel,
            button,
            field: "reason",
            label: "Reason",
            reason,
            errors: FormErrors::none(),
        }
    }

    /// The same form with the typed text in `field`, called `label`.
    pub fn with_field(self, field: &'static str, label: &'static str) -> Self {
        Self {
            field,
            label,
            ..self
        }
    }
}

/// The remove (or, when `removed` is false, restore) form of the post or comment at `path`
/// (`/post/1`), `what` being "the post" or "the comment".
pub fn removal_form(
    user: &SignedIn,
    what: &str,
    path: &str,
    removed: bool,
    reason: String,
) -> ReasonFormPage {
    let (verb, button) = if removed {
        ("remove", "Remove")
    } else {
        ("restore", "Restore")
    };
    ReasonFormPage::new(
        user,
        button,
        what,
        format!("{path}/{verb}"),
        path.to_owned(),
        reason,
    )
}

/// Removes the post (`REMOVED`) or restores it.
async fn remove_or_restore<const REMOVED: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ReasonInput>,
) -> PageResult {
    let result = moderation::remove_post(&ctx, &user.viewer, id, REMOVED, Some(&form.reason)).await;
    let page = removal_form(
        &user,
        "the post",
        &format!("/post/{id}"),
        REMOVED,
        form.reason,
    );
    after_reason_form(result, &headers, page)
}

/// Locks the post (`LOCKED`) or unlocks it.
async fn lock<const LOCKED: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    moderation::lock_post(&ctx, &user.viewer, id, LOCKED).await?;
    Ok(back(&headers, &format!("/post/{id}")))
}

/// Pins the post (`PINNED`) or unpins it.
async fn pin<const PINNED: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    moderation::pin_post(&ctx, &user.viewer, id, PINNED).await?;
    Ok(back(&headers, &format!("/post/{id}")))
}

/// Levels of replies a post's page loads; deeper ones are behind "more replies" links.
pub const THREAD_DEPTH: i32 = 6;
/// Comments a post's page loads at first.
pub const THREAD_LIMIT: i64 = 300;

/// The orders of comments, as addresses name them and as people read them.
pub const COMMENT_SORTS: [(&str, &str); 5] = [
    ("hot", "Hot"),
    ("top", "Top"),
    ("new", "New"),
    ("old", "Old"),
    ("controversial", "Controversial"),
];

/// The comment sort switcher of a page at `path`.
pub fn comment_sort_choices(path: &str, current: &str) -> Vec<Choice> {
    COMMENT_SORTS
        .iter()
        .map(|(name, label)| Choice {
            label,
            href: if *name == "hot" {
                format!("{path}#comments")
            } else {
                format!("{path}?sort={name}#comments")
            },
            current: *name == current,
        })
        .collect()
}

#[derive(Debug, Deserialize)]
struct ThreadQuery {
    sort: Option<String>,
    limit: Option<i64>,
    /// The code of a refused answer or vote, explained above the event or poll.
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "post.html")]
struct PostPage {
    layout: Layout,
    post: PostView,
    /// The post's pictures, full size.
    images: Vec<ImageView>,
    community: CommunityView,
    show_nsfw: bool,
    sorts: Vec<Choice>,
    items: Vec<ThreadItem>,
    more_comments: Option<String>,
    thread_cut: bool,
    /// Whether the visitor gets the comment box and reply links (not on a locked post, unless
    /// they moderate its community).
    replies_open: bool,
    /// The visitor's moderation tools.
    mods: ModPowers,
    /// Why the post was removed (moderators only).
    removal_reason: Option<String>,
    /// The post's event, when it is one.
    event: Option<EventBlock>,
    /// The post's poll, when it has one.
    poll: Option<PollBlock>,
    /// Why the last answer or vote was refused.
    notice: Option<&'static str>,
}

async fn show(
    State(ctx): State<ServiceContext>,
    session: Session,
    OriginalUri(uri): OriginalUri,
    PagePath(id): PagePath<i64>,
    PageQuery(query): PageQuery<ThreadQuery>,
) -> PageResult {
    let context = &ctx;
    crate::routes::anonymous::page(&ctx, session, &uri, |session| async move {
        show_page(context, session, id, query).await
    })
    .await
}

/// The post page, and the community it shows.
async fn show_page(
    ctx: &ServiceContext,
    session: Session,
    id: i64,
    query: ThreadQuery,
) -> Result<(Response, Shows), WebError> {
    let row = posts::get(ctx, session.viewer.as_ref(), id).await?;
    let shows = Shows::Community(row.community_id);
    let sort_name = query.sort.as_deref().unwrap_or("hot");
    let sort = comments::parse_sort(sort_name)?;
    let limit = query
        .limit
        .unwrap_or(THREAD_LIMIT)
        .clamp(1, comments::MAX_THREAD_LIMIT);
    let rows = comments::thread(
        ctx,
        session.viewer.as_ref(),
        id,
        None,
        sort,
        THREAD_DEPTH,
        limit,
    )
    .await?;
    // The service cuts the thread at `limit` in display order; a full page may hide more.
    let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= limit;
    let more_comments = (full && limit < comments::MAX_THREAD_LIMIT).then(|| {
        let sort = if sort_name == "hot" {
            String::new()
        } else {
            format!("sort={sort_name}&")
        };
        format!(
            "/post/{id}?{sort}limit={}#comments",
            comments::MAX_THREAD_LIMIT
        )
    });
    let replies_open = posts::comment_refusal(ctx, session.viewer.as_ref(), &row)
        .await?
        .is_none();
    let mods = mod_powers(ctx, &session, &row).await?;
    let (event, poll) = if row.deleted || row.removed {
        (None, None)
    } else {
        (
            events::event_block(ctx, &session, &row, mods.moderate).await?,
            events::poll_of(ctx, &session, &row).await?,
        )
    };
    let mut post = PostView::new(ctx, row, &session, Utc::now());
    events::mark_badges(ctx, &session, std::slice::from_mut(&mut post)).await?;
    saved::open_post(ctx, &session, &mut post).await?;
    let images = if post.gone {
        Vec::new()
    } else {
        views::post_images(ctx, id).await?
    };
    let found = communities::find(ctx, &post.community.handle).await?;
    let details = communities::details(ctx, session.viewer.as_ref(), found).await?;
    let community = CommunityView::new(ctx, details);
    let mut items = views::thread(ctx, rows, Some(post.author_id), &session);
    comment_removal_reasons(ctx, &mods, &mut items).await?;
    saved::mark_thread(ctx, &session, &mut items).await?;
    let removal_reason = post_removal_reason(ctx, &mods, &post).await?;
    let layout = Layout::new(&session, post.title.clone(), "");
    let page = render(&PostPage {
        community,
        sorts: comment_sort_choices(&post.href, sort_name),
        show_nsfw: session.preferences.show_nsfw,
        thread_cut: full && more_comments.is_none(),
        replies_open,
        layout,
        post,
        images,
        items,
        more_comments,
        mods,
        removal_reason,
        event,
        poll,
        notice: events::notice(query.notice.as_deref()),
    })?;
    Ok((page, shows))
}

/// What the post form sends (and shows again after an error).
#[derive(Debug, Default, Deserialize)]
struct PostInput {
    /// The community chosen in the picker (`name` or `name@host`).
    #[serde(default)]
    community: String,
    /// A community typed instead (`name` or `name@host`); it wins over the picker.
    #[serde(default)]
    community_other: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    body: String,
    nsfw: Option<String>,
    /// The picture kept from before: the post's (editing), or one uploaded with a form that
    /// came back with an error, so it need not be chosen again.
    #[serde(default)]
    image_url: String,
    /// What the picture shows, for people who cannot see it.
    #[serde(default)]
    alt_text: String,
    /// Ticked: the kept picture goes.
    remove_image: Option<String>,
    /// The event and poll sections.
    #[serde(flatten)]
    extras: ExtrasInput,
}

const FIELDS: &crate::forms::Fields = &[
    ("community", "Community"),
    ("title", "Title"),
    ("url", "Link"),
    ("body", "Text"),
    ("image", "Image"),
    ("images", "Image"),
    ("alt_text", "Alt text"),
];

#[derive(Template)]
#[template(path = "post_form.html")]
struct PostFormPage {
    layout: Layout,
    form: PostInput,
    errors: FormErrors,
    /// The post's id when editing.
    editing: Option<i64>,
    action: String,
    /// Community names to suggest for the typed community.
    suggestions: Vec<String>,
    /// The picker's choices: the communities the visitor joined.
    targets: Vec<Target>,
    /// Where the form loads the kept picture from.
    image: Option<String>,
    /// What the file field accepts.
    picture_hint: String,
    /// Whether the event section is shown: always when writing, when editing an event.
    event_section: bool,
    /// Whether the poll section is shown (writing only: a poll is not edited).
    poll_section: bool,
    /// The time zones the event section offers.
    zones: Vec<String>,
}

impl PostFormPage {
    /// The form to write a post in the community `chosen` (picked or typed).
    async fn creating(
        ctx: &ServiceContext,
        user: &SignedIn,
        chosen: &str,
        form: PostInput,
        errors: FormErrors,
    ) -> Result<Self, WebError> {
        Ok(Self {
            layout: Layout::new(&user.session, "New post", "create"),
            targets: targets(ctx, user, chosen).await?,
            image: kept_image(ctx, &form),
            form,
            errors,
            editing: None,
            action: "/create_post".to_owned(),
            suggestions: suggestions(ctx, &user.session).await?,
            picture_hint: pictures::hint(ctx),
            event_section: true,
            poll_section: true,
            zones: Vec::new(),
        }
        .with_zones())
    }

    /// The form to edit the post `id` (`event`: the post is an event, whose fields it edits).
    fn editing(
        ctx: &ServiceContext,
        user: &SignedIn,
        id: i64,
        form: PostInput,
        errors: FormErrors,
        event: bool,
    ) -> Self {
        Self {
            layout: Layout::new(&user.session, "Edit post", ""),
            image: kept_image(ctx, &form),
            form,
            errors,
            editing: Some(id),
            action: format!("/post/{id}/edit"),
            suggestions: Vec::new(),
            targets: Vec::new(),
            picture_hint: pictures::hint(ctx),
            event_section: event,
            poll_section: false,
            zones: Vec::new(),
        }
        .with_zones()
    }

    /// Fills in the time zones the event section offers.
    fn with_zones(self) -> Self {
        Self {
            zones: self.form.extras.zones(),
            ..self
        }
    }

    /// Whether the event section starts open (something was written in it).
    fn event_open(&self) -> bool {
        self.form.extras.has_event() || self.editing.is_some()
    }

    /// Whether the poll section starts open.
    fn poll_open(&self) -> bool {
        self.form.extras.has_poll()
    }
}

/// Which field of the form an error of the service belongs to: a poll's end is its length's
/// business when the post is no event (the service calls both `ends_at`).
fn form_error_field(error: Error, form: &PostInput) -> Error {
    match &error.kind {
        hearth_core::ErrorKind::Validation { field, reason }
            if field == "ends_at" && !form.extras.has_event() =>
        {
            Error::validation("poll_duration", reason.clone())
        }
        _ => error,
    }
}

/// Where the form loads the picture it keeps from.
fn kept_image(ctx: &ServiceContext, form: &PostInput) -> Option<String> {
    let url = form.image_url.trim();
    (!url.is_empty()).then(|| hearth_service::media::thumbnail_src(ctx, url))
}

/// The post's picture as the form says: a new one chosen in the `image` field (uploaded, and
/// kept in the form from then on), the one kept from before, or none (`remove_image`). A
/// picture needs its alt text here, as accessibility guidance asks (the API leaves it
/// optional): without one the form comes back, the picture kept.
async fn chosen_image(
    ctx: &ServiceContext,
    user: &SignedIn,
    form: &mut PostInput,
    files: &mut pictures::Files,
) -> Result<Result<Option<ImageInput>, (StatusCode, FormErrors)>, WebError> {
    match pictures::upload(ctx, &user.viewer, files, "image").await {
        Ok(Some(url)) => {
            form.image_url = url;
            form.remove_image = None;
        }
        Ok(None) => {}
        Err(error) => return Ok(Err(pictures::refusal(ctx, error, "image")?)),
    }
    let url = form.image_url.trim();
    if url.is_empty() || form.remove_image.is_some() {
        return Ok(Ok(None));
    }
    let alt_text = form.alt_text.trim();
    if alt_text.is_empty() {
        return Ok(Err(FormErrors::from_error(
            Error::validation(
                "alt_text",
                "is needed with a picture: describe what it shows for people who cannot see it",
            ),
            FIELDS,
        )?));
    }
    Ok(Ok(Some(ImageInput {
        url: url.to_owned(),
        alt_text: Some(alt_text.to_owned()),
    })))
}

/// A choice of the post form's community picker.
#[derive(Debug, Clone)]
struct Target {
    /// `name` or `name@host`, as the form sends it.
    handle: String,
    /// What people read.
    label: String,
    /// Whether it is the chosen one.
    selected: bool,
}

impl PostInput {
    /// The community the post goes to: the one typed, else the one picked.
    fn chosen_community(&self) -> String {
        match self.community_other.trim() {
            "" => self.community.trim().to_owned(),
            typed => typed.trim_start_matches('!').to_owned(),
        }
    }
}

/// The community picker: the communities the visitor joined, with `chosen` selected (added
/// first when it is not among them, e.g. a community's "New post" link).
async fn targets(
    ctx: &ServiceContext,
    user: &SignedIn,
    chosen: &str,
) -> Result<Vec<Target>, WebError> {
    let mut targets: Vec<Target> = posts::targets(ctx, &user.viewer)
        .await?
        .into_iter()
        .map(|t| {
            let actor = views::community(&t.name, &t.title, t.local, &t.ap_id);
            Target {
                selected: actor.handle.eq_ignore_ascii_case(chosen),
                label: if actor.label == actor.handle {
                    actor.handle.clone()
                } else {
                    format!("{} ({})", actor.label, actor.handle)
                },
                handle: actor.handle,
            }
        })
        .collect();
    if !chosen.is_empty() && !targets.iter().any(|t| t.selected) {
        targets.insert(
            0,
            Target {
                handle: chosen.to_owned(),
                label: chosen.to_owned(),
                selected: true,
            },
        );
    }
    Ok(targets)
}

#[derive(Debug, Deserialize)]
struct NewPostQuery {
    community: Option<String>,
}

/// The biggest communities' names, suggested by the community field.
async fn suggestions(ctx: &ServiceContext, session: &Session) -> Result<Vec<String>, WebError> {
    let (rows, _) = communities::list(
        ctx,
        session.viewer.as_ref(),
        CommunitySort::Members,
        None,
        None,
        50,
    )
    .await?;
    Ok(rows.into_iter().map(|d| d.community.name).collect())
}

async fn new_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<NewPostQuery>,
) -> PageResult {
    let community = query.community.unwrap_or_default().trim().to_owned();
    let form = PostInput {
        community: community.clone(),
        ..PostInput::default()
    };
    let page = PostFormPage::creating(&ctx, &user, &community, form, FormErrors::none()).await?;
    render(&page)
}

async fn create(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PictureForm {
        mut form,
        mut files,
    }: PictureForm<PostInput>,
) -> PageResult {
    let image = match chosen_image(&ctx, &user, &mut form, &mut files).await? {
        Ok(image) => image,
        Err((status, errors)) => {
            let chosen = form.community.trim().to_owned();
            let page = PostFormPage::creating(&ctx, &user, &chosen, form, errors).await?;
            return render_status(status, &page);
        }
    };
    let community = form.chosen_community();
    let event = form.extras.event();
    let result = if community.is_empty() {
        // Said here in the form's words: the service's message names the syntax of a handle.
        Err(Error::validation(
            "community",
            "is missing: choose one of yours, or type one's name",
        ))
    } else if let Err(error) = event {
        Err(error)
    } else {
        posts::create(
            &ctx,
            &user.viewer,
            NewPostForm {
                community: community.clone(),
                title: form.title.clone(),
                url: Some(form.url.clone()).filter(|u| !u.trim().is_empty()),
                body: Some(form.body.clone()),
                nsfw: form.nsfw.is_some(),
                language: None,
                images: image.into_iter().collect(),
                event: event.ok().flatten(),
                poll: form.extras.poll(Utc::now()),
            },
        )
        .await
    };
    match result {
        Ok(row) => Ok(see_other(&format!("/post/{}", row.id))),
        Err(error) => {
            let error = form_error_field(error, &form);
            let (status, errors) = events::sort_post_error(error, FIELDS)?;
            let chosen = form.community.trim().to_owned();
            let page = PostFormPage::creating(&ctx, &user, &chosen, form, errors).await?;
            render_status(status, &page)
        }
    }
}

/// The post `id`, when the visitor wrote it; anyone else gets the 403 page.
async fn own_post(ctx: &ServiceContext, user: &SignedIn, id: i64) -> Result<PostRow, WebError> {
    let row = posts::get(ctx, Some(&user.viewer), id).await?;
    if row.author_id != user.viewer.person_id {
        return Err(WebError(Error::forbidden(
            "not_author",
            "Only the author may change this post.",
        )));
    }
    Ok(row)
}

async fn edit_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let row = own_post(&ctx, &user, id).await?;
    let event = hearth_service::events::for_posts(&ctx, Some(&user.viewer), &[id])
        .await?
        .remove(&id);
    // The form edits the first picture; others (sent through the API) stay as they are.
    let first = hearth_db::media::post_images(&ctx.pool, id)
        .await
        .map_err(Error::from)?
        .into_iter()
        .next();
    let form = PostInput {
        community: row.community_name,
        title: row.title,
        // An image post's link is its first picture: the image fields show it, not the link's.
        url: row
            .url
            .filter(|u| hearth_service::media::local_hash(&ctx, u).is_none())
            .unwrap_or_default(),
        body: row.body,
        nsfw: row.nsfw.then(String::new),
        image_url: first.as_ref().map(|i| i.url.clone()).unwrap_or_default(),
        alt_text: first.and_then(|i| i.alt_text).unwrap_or_default(),
        extras: match &event {
            Some(view) => ExtrasInput::from_event(view),
            None => ExtrasInput::default(),
        },
        ..PostInput::default()
    };
    render(&PostFormPage::editing(
        &ctx,
        &user,
        id,
        form,
        FormErrors::none(),
        event.is_some(),
    ))
}

async fn edit(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    PictureForm {
        mut form,
        mut files,
    }: PictureForm<PostInput>,
) -> PageResult {
    // Nobody else's pictures are uploaded through someone's post.
    own_post(&ctx, &user, id).await?;
    let is_event = !hearth_service::events::for_posts(&ctx, Some(&user.viewer), &[id])
        .await?
        .is_empty();
    let image = match chosen_image(&ctx, &user, &mut form, &mut files).await? {
        Ok(image) => image,
        Err((status, errors)) => {
            let page = PostFormPage::editing(&ctx, &user, id, form, errors, is_event);
            return render_status(status, &page);
        }
    };
    // An event's fields are edited with it; other posts do not become events here.
    let event = if is_event {
        match form.extras.event() {
            Ok(event) => event,
            Err(error) => {
                let (status, errors) = events::sort_post_error(error, FIELDS)?;
                let page = PostFormPage::editing(&ctx, &user, id, form, errors, is_event);
                return render_status(status, &page);
            }
        }
    } else {
        None
    };
    let current = hearth_db::media::post_images(&ctx.pool, id)
        .await
        .map_err(Error::from)?;
    let had_images = !current.is_empty();
    let first = current
        .first()
        .map(|i| (i.url.as_str(), i.alt_text.as_deref()));
    let unchanged = first
        == image
            .as_ref()
            .map(|i| (i.url.as_str(), i.alt_text.as_deref()));
    // The form's picture takes the first place; the others stay. Unchanged: left alone.
    let images: Option<Vec<ImageInput>> = (!unchanged).then(|| {
        image
            .into_iter()
            .chain(current.into_iter().skip(1).map(|i| ImageInput {
                url: i.url,
                alt_text: i.alt_text,
            }))
            .collect()
    });
    let link = form.url.trim();
    let url = if !link.is_empty() {
        Some(Some(link.to_owned()))
    } else if had_images {
        // The link of a post with pictures is its first picture's: the service derives it.
        None
    } else {
        Some(None)
    };
    let changes = PostChanges {
        title: Some(form.title.clone()),
        url,
        body: Some(form.body.clone()),
        nsfw: Some(form.nsfw.is_some()),
        language: None,
        images,
        event,
    };
    match posts::edit(&ctx, &user.viewer, id, changes).await {
        Ok(_) => Ok(see_other(&format!("/post/{id}"))),
        Err(error) => {
            let (status, errors) = events::sort_post_error(error, FIELDS)?;
            render_status(
                status,
                &PostFormPage::editing(&ctx, &user, id, form, errors, is_event),
            )
        }
    }
}

async fn delete(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let row = posts::delete(&ctx, &user.viewer, id).await?;
    Ok(see_other(&format!("/c/{}", row.community_name)))
}

/// A vote as the buttons send it.
#[derive(Debug, Deserialize)]
pub struct VoteInput {
    /// 1, -1, or 0 to take the vote back.
    pub score: i16,
}

/// The vote widget alone, for the enhancement script.
#[derive(Template)]
#[template(path = "vote_fragment.html")]
pub struct VoteFragment {
    /// The layout (for the CSRF token).
    pub layout: Layout,
    /// The widget.
    pub vote: VoteView,
}

async fn vote(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(input): CsrfForm<VoteInput>,
) -> PageResult {
    let row = posts::vote(&ctx, &user.viewer, id, input.score).await?;
    if user.session.fragment {
        let view = PostView::new(&ctx, row, &user.session, Utc::now());
        return render(&VoteFragment {
            layout: Layout::new(&user.session, "", ""),
            vote: view.vote,
        });
    }
    Ok(see_other(&back_to(
        &headers,
        format!("/post/{id}"),
        &format!("p{id}"),
    )))
}
