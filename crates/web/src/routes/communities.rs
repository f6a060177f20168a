//! Communities: the directory with its search, a community's page (banner, icon, about,
//! moderators, joining, its posts), creating and editing one (with its icon and banner), and
//! joining and leaving.

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::forms::{FormErrors, errors_with};
use crate::page::{Layout, PageResult, WebError, back, render, render_status, see_other};
use crate::paging::{self, PAGE_SIZE};
use crate::pictures::{self, PictureForm};
use crate::routes::front::{ListQuery, link, sort_choices};
use crate::session::Session;
use crate::views::{self, ActorView, Choice, CommunityView, PostView, Sorts, post_list};
use askama::Template;
use axum::Router;
use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use hearth_core::Error;
use hearth_db::community::CommunitySort;
use hearth_service::ServiceContext;
use hearth_service::communities::{self, CommunityUpdate, NewCommunityForm, Visibility};
use hearth_service::posts::{self, FeedSort};
use hearth_service::read_cache::Shows;
use hearth_service::{membership, moderators};
use serde::Deserialize;

/// The community routes; the community form takes pictures, with their own body limit.
pub fn router(ctx: &ServiceContext) -> Router<ServiceContext> {
    Router::new()
        .route("/communities", get(directory))
        .route(
            "/create_community",
            get(new_form).post(create).layer(pictures::body_limit(ctx)),
        )
        .route("/c/{name}", get(show))
        .route(
            "/c/{name}/edit",
            get(edit_form).post(edit).layer(pictures::body_limit(ctx)),
        )
        .route("/c/{name}/join", post(join))
        .route("/c/{name}/leave", post(leave))
        .route("/c/{name}/block", post(block))
        .route("/c/{name}/unblock", post(unblock))
}

const COMMUNITY_SORTS: [(&str, &str); 3] = [
    ("members", "Most members"),
    ("active", "Most active"),
    ("new", "Newest"),
];

#[derive(Debug, Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "communities.html")]
struct DirectoryPage {
    layout: Layout,
    query: String,
    sorts: Vec<Choice>,
    communities: Vec<CommunityView>,
    next_page: Option<String>,
    first_page: Option<String>,
}

async fn directory(
    State(ctx): State<ServiceContext>,
    session: Session,
    PageQuery(query): PageQuery<DirectoryQuery>,
) -> PageResult {
    let sort_name = query.sort.as_deref().unwrap_or("members");
    let sort = match sort_name {
        "members" => CommunitySort::Members,
        "new" => CommunitySort::New,
        "active" => CommunitySort::Active,
        _ => {
            return Err(WebError(Error::validation(
                "sort",
                "must be members, new or active",
            )));
        }
    };
    let text = query.q.as_deref().unwrap_or("").trim().to_owned();
    let after = paging::decode_community(query.cursor.as_deref())?;
    let (rows, next) = communities::list(
        &ctx,
        session.viewer.as_ref(),
        sort,
        Some(text.as_str()).filter(|t| !t.is_empty()),
        after,
        PAGE_SIZE,
    )
    .await?;
    let sort_param = if sort_name == "members" {
        ""
    } else {
        sort_name
    };
    let sorts = COMMUNITY_SORTS
        .iter()
        .map(|(name, label)| Choice {
            label,
            href: link(
                "/communities",
                &[
                    ("q", &text),
                    ("sort", if *name == "members" { "" } else { name }),
                ],
            ),
            current: *name == sort_name,
        })
        .collect();
    render(&DirectoryPage {
        layout: Layout::new(&session, "Communities", "communities"),
        sorts,
        communities: rows
            .into_iter()
            .map(|d| CommunityView::new(&ctx, d))
            .collect(),
        next_page: next.map(|c| {
            link(
                "/communities",
                &[
                    ("q", &text),
                    ("sort", sort_param),
                    ("cursor", &paging::encode_community(c)),
                ],
            )
        }),
        first_page: after.map(|_| link("/communities", &[("q", &text), ("sort", sort_param)])),
        query: text,
    })
}

#[derive(Template)]
#[template(path = "community.html")]
struct CommunityPage {
    layout: Layout,
    community: CommunityView,
    moderators: Vec<ActorView>,
    sorts: Sorts,
    posts: Vec<PostView>,
    hidden_nsfw: usize,
    next_page: Option<String>,
    first_page: Option<String>,
    can_edit: bool,
    /// The signed-in visitor blocks this community (its posts leave their other feeds).
    blocked: bool,
    /// An admin removed the community: why (empty when no reason was given).
    removed: Option<String>,
}

async fn show(
    State(ctx): State<ServiceContext>,
    session: Session,
    OriginalUri(uri): OriginalUri,
    PagePath(name): PagePath<String>,
    PageQuery(query): PageQuery<ListQuery>,
) -> PageResult {
    let context = &ctx;
    crate::routes::anonymous::page(&ctx, session, &uri, |session| async move {
        show_page(context, session, name, query).await
    })
    .await
}

/// The community page, and the community it shows.
async fn show_page(
    ctx: &ServiceContext,
    session: Session,
    name: String,
    query: ListQuery,
) -> Result<(Response, Shows), WebError> {
    let found = communities::find(ctx, &name).await?;
    let found_id = found.id;
    let found_removed = found.removed;
    let details = communities::details(ctx, session.viewer.as_ref(), found).await?;
    let community = CommunityView::new(ctx, details);
    let handle = community.actor.handle.clone();
    let moderators = moderators::list(ctx, &handle)
        .await?
        .into_iter()
        .map(|m| views::person(&m.name, m.display_name.as_deref(), m.local, &m.ap_id))
        .collect();
    let sort_name = query.sort.as_deref().unwrap_or("hot");
    let sort = FeedSort::parse(sort_name)?;
    let after = paging::decode_post(query.cursor.as_deref())?;
    // Pinned posts come first on the first page.
    let (rows, next) = posts::community_feed(
        ctx,
        session.viewer.as_ref(),
        &handle,
        sort,
        after,
        PAGE_SIZE,
    )
    .await?;
    let (mut posts, hidden_nsfw) = post_list(ctx, rows, &session);
    crate::routes::events::mark_badges(ctx, &session, &mut posts).await?;
    let path = community.actor.href.clone();
    let sort_param = if sort_name == "hot" { "" } else { sort_name };
    let layout = Layout::new(&session, community.actor.label.clone(), "communities").with_feed(
        format!("{} ({})", community.actor.label, community.webfinger),
        format!("/feeds/c/{handle}.xml"),
    );
    let layout = if community.actor.local {
        layout.with_activity(path.clone())
    } else {
        layout
    };
    let can_edit = community.moderator || session.viewer.as_ref().is_some_and(|v| v.admin);
    let blocked =
        hearth_service::blocks::blocks_community(ctx, session.viewer.as_ref(), found_id).await?;
    // The row says whether it was removed; only then is the reason read.
    let removed = if found_removed {
        hearth_service::admin::community_removal_reason(ctx, found_id).await?
    } else {
        None
    };
    let page = render(&CommunityPage {
        removed,
        layout,
        sorts: sort_choices(&path, &[], sort_name),
        next_page: next.map(|c| {
            link(
                &path,
                &[
                    ("sort", sort_param),
                    ("cursor", &paging::encode_f64(c.key, c.id)),
                ],
            )
        }),
        first_page: after.map(|_| link(&path, &[("sort", sort_param)])),
        community,
        moderators,
        posts,
        hidden_nsfw,
        can_edit,
        blocked,
    })?;
    Ok((page, Shows::Community(found_id)))
}

/// What the community form sends (and shows again after an error).
#[derive(Debug, Default, Deserialize)]
struct CommunityInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    /// The community's rules (editing only).
    #[serde(default)]
    rules: String,
    nsfw: Option<String>,
    posting_restricted_to_mods: Option<String>,
    #[serde(default)]
    visibility: String,
    /// Ticked: the icon goes (unless a new one was chosen).
    remove_icon: Option<String>,
    /// Ticked: the banner goes (unless a new one was chosen).
    remove_banner: Option<String>,
}

impl CommunityInput {
    fn approval(&self) -> bool {
        self.visibility == "approval"
    }

    fn visibility(&self) -> Visibility {
        if self.approval() {
            Visibility::Approval
        } else {
            Visibility::Public
        }
    }
}

const FIELDS: &crate::forms::Fields = &[
    ("name", "Name"),
    ("title", "Title"),
    ("description", "Description"),
    ("rules", "Rules"),
    ("visibility", "Who may join"),
    ("icon_url", "Icon"),
    ("banner_url", "Banner"),
];

#[derive(Template)]
#[template(path = "community_form.html")]
struct CommunityFormPage {
    layout: Layout,
    form: CommunityInput,
    errors: FormErrors,
    /// `None` when creating; the community's handle when editing.
    editing: Option<String>,
    action: String,
    host: String,
    /// Where the form loads the current icon from (editing).
    icon: Option<String>,
    /// Where the form loads the current banner from (editing).
    banner: Option<String>,
    /// What the file fields accept.
    picture_hint: String,
}

impl CommunityFormPage {
    /// The form to create a community, as sent (`form`) with `errors`.
    fn creating(
        ctx: &ServiceContext,
        user: &SignedIn,
        form: CommunityInput,
        errors: FormErrors,
    ) -> Self {
        Self {
            layout: Layout::new(&user.session, "Create a community", "communities"),
            form,
            errors,
            editing: None,
            action: "/create_community".to_owned(),
            host: ctx.settings.hostname.to_string(),
            icon: None,
            banner: None,
            picture_hint: pictures::hint(ctx),
        }
    }

    /// The form to edit the community `handle`, showing its current pictures.
    async fn editing(
        ctx: &ServiceContext,
        user: &SignedIn,
        handle: String,
        form: CommunityInput,
        errors: FormErrors,
    ) -> Result<Self, WebError> {
        let found = communities::find(ctx, &handle).await?;
        let details = communities::details(ctx, Some(&user.viewer), found).await?;
        let view = CommunityView::new(ctx, details);
        Ok(Self {
            layout: Layout::new(
                &user.session,
                format!("Edit {}", view.actor.label),
                "communities",
            ),
            form,
            errors,
            action: format!("/c/{handle}/edit"),
            editing: Some(handle),
            host: ctx.settings.hostname.to_string(),
            icon: view.actor.avatar,
            banner: view.banner,
            picture_hint: pictures::hint(ctx),
        })
    }
}

async fn new_form(State(ctx): State<ServiceContext>, user: SignedIn) -> PageResult {
    render(&CommunityFormPage::creating(
        &ctx,
        &user,
        CommunityInput::default(),
        FormErrors::none(),
    ))
}

/// Uploads the icon and banner chosen in the form: the new values of the two slots, or the
/// form's errors when a picture is refused.
async fn picture_slots(
    ctx: &ServiceContext,
    user: &SignedIn,
    form: &CommunityInput,
    files: &mut pictures::Files,
) -> Result<Result<[Option<Option<String>>; 2], (StatusCode, FormErrors)>, WebError> {
    let mut slots = [None, None];
    for (slot, (field, remove)) in slots.iter_mut().zip([
        ("icon", form.remove_icon.is_some()),
        ("banner", form.remove_banner.is_some()),
    ]) {
        match pictures::slot(ctx, &user.viewer, files, field, remove).await {
            Ok(value) => *slot = value,
            Err(error) => return Ok(Err(pictures::refusal(ctx, error, field)?)),
        }
    }
    Ok(Ok(slots))
}

async fn create(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PictureForm { form, mut files }: PictureForm<CommunityInput>,
) -> PageResult {
    let [icon_url, banner_url] = match picture_slots(&ctx, &user, &form, &mut files).await? {
        Ok(slots) => slots,
        Err((status, errors)) => {
            let page = CommunityFormPage::creating(&ctx, &user, form, errors);
            return render_status(status, &page);
        }
    };
    let result = communities::create(
        &ctx,
        &user.viewer,
        NewCommunityForm {
            name: form.name.clone(),
            title: form.title.clone(),
            description: Some(form.description.clone()),
            nsfw: form.nsfw.is_some(),
            posting_restricted_to_mods: form.posting_restricted_to_mods.is_some(),
            visibility: form.visibility(),
            icon_url,
            banner_url,
        },
    )
    .await;
    match result {
        Ok(details) => Ok(see_other(&format!("/c/{}", details.community.name))),
        Err(error) => {
            let (status, errors) = errors_with(error, FIELDS, "name_taken", "name")?;
            render_status(
                status,
                &CommunityFormPage::creating(&ctx, &user, form, errors),
            )
        }
    }
}

async fn edit_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
) -> PageResult {
    let found = communities::find(&ctx, &name).await?;
    let details = communities::details(&ctx, Some(&user.viewer), found).await?;
    if !details.moderator && !user.viewer.admin {
        return Err(WebError(Error::forbidden(
            "not_moderator",
            "Only the community's moderators may edit it.",
        )));
    }
    let c = details.community;
    let handle = c.name.clone();
    let form = CommunityInput {
        name: c.name,
        title: c.title,
        description: c.description,
        rules: c.rules,
        nsfw: c.nsfw.then(String::new),
        posting_restricted_to_mods: c.posting_restricted_to_mods.then(String::new),
        visibility: c.visibility.as_str().to_owned(),
        ..CommunityInput::default()
    };
    render(&CommunityFormPage::editing(&ctx, &user, handle, form, FormErrors::none()).await?)
}

async fn edit(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    PictureForm {
        mut form,
        mut files,
    }: PictureForm<CommunityInput>,
) -> PageResult {
    // Someone who may not change it gets the 403 page, not the form with an error.
    moderators::authorize(&ctx, &user.viewer, &name).await?;
    form.name = name.clone();
    let [icon_url, banner_url] = match picture_slots(&ctx, &user, &form, &mut files).await? {
        Ok(slots) => slots,
        Err((status, errors)) => {
            let page = CommunityFormPage::editing(&ctx, &user, name, form, errors).await?;
            return render_status(status, &page);
        }
    };
    let update = CommunityUpdate {
        title: Some(form.title.clone()),
        description: Some(form.description.clone()),
        rules: Some(form.rules.clone()),
        nsfw: Some(form.nsfw.is_some()),
        posting_restricted_to_mods: Some(form.posting_restricted_to_mods.is_some()),
        visibility: Some(form.visibility()),
        icon_url,
        banner_url,
    };
    match communities::update(&ctx, &user.viewer, &name, update).await {
        Ok(details) => Ok(see_other(&format!("/c/{}", details.community.name))),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, FIELDS)?;
            let page = CommunityFormPage::editing(&ctx, &user, name, form, errors).await?;
            render_status(status, &page)
        }
    }
}

async fn join(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let change = membership::join(&ctx, &user.viewer, &name).await?;
    Ok(back(&headers, &format!("/c/{}", change.community)))
}

async fn leave(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let change = membership::leave(&ctx, &user.viewer, &name).await?;
    Ok(back(&headers, &format!("/c/{}", change.community)))
}

/// Blocks the community for the signed-in visitor, then back to where the button was.
async fn block(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    hearth_service::blocks::block_community(&ctx, &user.viewer, &name).await?;
    Ok(back(&headers, &format!("/c/{name}")))
}

/// Takes the signed-in visitor's block of the community back.
async fn unblock(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(name): PagePath<String>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    hearth_service::blocks::unblock_community(&ctx, &user.viewer, &name).await?;
    Ok(back(&headers, &format!("/c/{name}")))
}
