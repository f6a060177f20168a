//! Comments: writing one on a post (in place for the enhancement script, or as a form that
//! redirects back), one comment in context (its subtree, for deep threads and links), the reply
//! page (the no-JavaScript way to reply), editing, deleting and voting.

use crate::extract::{CsrfForm, NoFields, PagePath, PageQuery, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, WebError, back_to, render, render_status, see_other};
use crate::routes::posts::{
    ReasonInput, THREAD_DEPTH, THREAD_LIMIT, VoteFragment, VoteInput, after_reason_form,
    comment_removal_reasons, comment_sort_choices, mod_powers, removal_form,
};
use crate::session::Session;
use crate::views::{self, Choice, CommentView, ModPowers, PostView, ThreadItem};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::Utc;
use hearth_core::Error;
use hearth_service::ServiceContext;
use hearth_service::{comments, markdown, moderation, posts};
use serde::Deserialize;

/// The comment routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/post/{id}/comment", post(create))
        .route("/comment/{id}", get(show))
        .route("/comment/{id}/reply", get(reply_form))
        .route("/comment/{id}/edit", get(edit_form).post(edit))
        .route("/comment/{id}/delete", post(delete))
        .route("/comment/{id}/vote", post(vote))
        .route("/comment/{id}/remove", post(remove_or_restore::<true>))
        .route("/comment/{id}/restore", post(remove_or_restore::<false>))
}

/// Removes the comment (`REMOVED`) or restores it.
async fn remove_or_restore<const REMOVED: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<ReasonInput>,
) -> PageResult {
    let result =
        moderation::remove_comment(&ctx, &user.viewer, id, REMOVED, Some(&form.reason)).await;
    let page = removal_form(
        &user,
        "the comment",
        &format!("/comment/{id}"),
        REMOVED,
        form.reason,
    );
    after_reason_form(result, &headers, page)
}

const FIELDS: &crate::forms::Fields = &[("body", "Your comment")];

/// Sorts a failed comment's error into the comment form's errors.
fn comment_error(error: Error) -> Result<(StatusCode, FormErrors), WebError> {
    FormErrors::from_error(error, FIELDS)
}

/// Newly written comments, for the enhancement script to insert in place.
#[derive(Template)]
#[template(path = "comment_fragment.html")]
struct CommentFragment {
    /// The layout (for the CSRF token and who is signed in).
    pub layout: Layout,
    /// The comment as a thread of one.
    pub items: Vec<ThreadItem>,
    /// Whether reply links are shown (its writer could write it, so they may answer it too).
    pub replies_open: bool,
    /// The writer's moderation tools.
    pub mods: ModPowers,
}

#[derive(Debug, Deserialize)]
struct SortQuery {
    sort: Option<String>,
}

#[derive(Template)]
#[template(path = "comment.html")]
struct CommentPage {
    layout: Layout,
    post: PostView,
    comment_id: i64,
    parent_id: Option<i64>,
    sorts: Vec<Choice>,
    items: Vec<ThreadItem>,
    /// Whether reply links are shown (not under a locked post, unless the visitor moderates).
    replies_open: bool,
    /// The visitor's moderation tools.
    mods: ModPowers,
}

async fn show(
    State(ctx): State<ServiceContext>,
    session: Session,
    PagePath(id): PagePath<i64>,
    PageQuery(query): PageQuery<SortQuery>,
) -> PageResult {
    let viewer = session.viewer.as_ref();
    let comment = comments::get(&ctx, viewer, id).await?;
    let post = posts::get(&ctx, viewer, comment.post_id).await?;
    let sort_name = query.sort.as_deref().unwrap_or("hot");
    let sort = comments::parse_sort(sort_name)?;
    let replies = comments::thread(
        &ctx,
        viewer,
        post.id,
        Some(id),
        sort,
        THREAD_DEPTH,
        THREAD_LIMIT,
    )
    .await?;
    let parent_id = comment.parent_id;
    let mut rows = Vec::with_capacity(replies.len() + 1);
    rows.push(comment);
    rows.extend(replies);
    let mut items = views::thread(&ctx, rows, Some(post.author_id), &session);
    let replies_open = posts::comment_refusal(&ctx, viewer, &post).await?.is_none();
    let mods = mod_powers(&ctx, &session, &post).await?;
    comment_removal_reasons(&ctx, &mods, &mut items).await?;
    crate::routes::saved::mark_thread(&ctx, &session, &mut items).await?;
    let post = PostView::new(&ctx, post, &session, Utc::now());
    render(&CommentPage {
        layout: Layout::new(&session, format!("Comment on {}", post.title), ""),
        sorts: comment_sort_choices(&format!("/comment/{id}"), sort_name),
        post,
        comment_id: id,
        parent_id,
        items,
        replies_open,
        mods,
    })
}

/// What a comment form answers: the post, and the comment replied to.
struct Context {
    /// The post.
    pub post: PostView,
    /// The comment replied to (or edited).
    pub parent: Option<CommentView>,
}

impl Context {
    /// Loads the post and, when given, the comment replied to.
    pub async fn load(
        ctx: &ServiceContext,
        session: &Session,
        post_id: i64,
        parent_id: Option<i64>,
    ) -> Result<Self, WebError> {
        let viewer = session.viewer.as_ref();
        let now = Utc::now();
        let post = posts::get(ctx, viewer, post_id).await?;
        let op = post.author_id;
        let parent = match parent_id {
            Some(id) => {
                let row = comments::get(ctx, viewer, id).await?;
                Some(CommentView::new(ctx, row, Some(op), session, now))
            }
            None => None,
        };
        Ok(Self {
            post: PostView::new(ctx, post, session, now),
            parent,
        })
    }
}

/// The page with one comment form: a reply, a comment shown again after an error, or an edit.
#[derive(Template)]
#[template(path = "comment_form.html")]
struct CommentFormPage {
    layout: Layout,
    context: Context,
    body: String,
    errors: FormErrors,
    /// The comment's id when editing.
    editing: Option<i64>,
    action: String,
    parent_id: String,
    heading: &'static str,
    /// The comment as it will show, after "Preview".
    preview: Option<String>,
}

impl CommentFormPage {
    /// The form page for `context`, with `body` typed so far.
    pub fn new(
        session: &Session,
        context: Context,
        body: String,
        errors: FormErrors,
        editing: Option<i64>,
    ) -> Self {
        let (heading, action, parent_id) = match (editing, &context.parent) {
            (Some(id), _) => (
                "Edit your comment",
                format!("/comment/{id}/edit"),
                String::new(),
            ),
            (None, Some(parent)) => (
                "Reply",
                format!("/post/{}/comment", context.post.id),
                parent.id.to_string(),
            ),
            (None, None) => (
                "Comment",
                format!("/post/{}/comment", context.post.id),
                String::new(),
            ),
        };
        Self {
            layout: Layout::new(session, heading, ""),
            context,
            body,
            errors,
            editing,
            action,
            parent_id,
            heading,
            preview: None,
        }
    }

    /// Shows `body` rendered above the form, as it will read once sent.
    pub fn with_preview(mut self) -> Self {
        self.heading = "Preview";
        self.layout.title = "Preview".to_owned();
        self.preview = Some(markdown::render(&self.body));
        self
    }
}

async fn reply_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let comment = comments::get(&ctx, Some(&user.viewer), id).await?;
    let context = Context::load(&ctx, &user.session, comment.post_id, Some(id)).await?;
    render(&CommentFormPage::new(
        &user.session,
        context,
        String::new(),
        FormErrors::none(),
        None,
    ))
}

async fn edit_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    let comment = comments::get(&ctx, Some(&user.viewer), id).await?;
    if comment.author_id != user.viewer.person_id {
        return Err(WebError(Error::forbidden(
            "not_author",
            "Only the author may change this comment.",
        )));
    }
    let body = comment.body.clone();
    let context = Context::load(&ctx, &user.session, comment.post_id, Some(id)).await?;
    render(&CommentFormPage::new(
        &user.session,
        context,
        body,
        FormErrors::none(),
        Some(id),
    ))
}

#[derive(Debug, Deserialize)]
struct EditInput {
    #[serde(default)]
    body: String,
    /// Set by the "Preview" button: show the comment rendered instead of saving it.
    preview: Option<String>,
}

async fn edit(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(form): CsrfForm<EditInput>,
) -> PageResult {
    if form.preview.is_some() {
        let comment = comments::get(&ctx, Some(&user.viewer), id).await?;
        let context = Context::load(&ctx, &user.session, comment.post_id, Some(id)).await?;
        let page = CommentFormPage::new(
            &user.session,
            context,
            form.body,
            FormErrors::none(),
            Some(id),
        );
        return render(&page.with_preview());
    }
    match comments::edit(&ctx, &user.viewer, id, &form.body).await {
        Ok(row) => Ok(see_other(&format!("/comment/{}#c{id}", row.id))),
        Err(error) => {
            let (status, errors) = comment_error(error)?;
            let comment = comments::get(&ctx, Some(&user.viewer), id).await?;
            let context = Context::load(&ctx, &user.session, comment.post_id, Some(id)).await?;
            let page = CommentFormPage::new(&user.session, context, form.body, errors, Some(id));
            render_status(status, &page)
        }
    }
}

async fn delete(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    let row = comments::delete(&ctx, &user.viewer, id).await?;
    Ok(see_other(&format!("/post/{}#c{id}", row.post_id)))
}

async fn vote(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(input): CsrfForm<VoteInput>,
) -> PageResult {
    let row = comments::vote(&ctx, &user.viewer, id, input.score).await?;
    if user.session.fragment {
        let view = CommentView::new(&ctx, row, None, &user.session, Utc::now());
        return render(&VoteFragment {
            layout: Layout::new(&user.session, "", ""),
            vote: view.vote,
        });
    }
    let post_id = row.post_id;
    Ok(see_other(&back_to(
        &headers,
        format!("/post/{post_id}"),
        &format!("c{id}"),
    )))
}

/// What the comment form sends.
#[derive(Debug, Default, Deserialize)]
struct CommentInput {
    /// Markdown.
    #[serde(default)]
    pub body: String,
    /// The comment replied to; empty for a top-level comment.
    #[serde(default)]
    pub parent_id: String,
    /// Set by the "Preview" button: show the comment rendered instead of sending it.
    pub preview: Option<String>,
}

async fn create(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(post_id): PagePath<i64>,
    CsrfForm(form): CsrfForm<CommentInput>,
) -> PageResult {
    let parent_id = match form.parent_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| WebError(Error::validation("parent_id", "is not a comment id")))?,
        ),
    };
    let session = &user.session;
    if form.preview.is_some() {
        // Nothing is written: the form comes back with the comment rendered above it.
        let context = Context::load(&ctx, session, post_id, parent_id).await?;
        let page = CommentFormPage::new(session, context, form.body, FormErrors::none(), None);
        return render(&page.with_preview());
    }
    match comments::create(&ctx, &user.viewer, post_id, parent_id, &form.body).await {
        Ok(row) => {
            let id = row.id;
            if session.fragment {
                let post = posts::get(&ctx, Some(&user.viewer), post_id).await?;
                let items = views::thread(&ctx, vec![row], Some(post.author_id), session);
                return render(&CommentFragment {
                    layout: Layout::new(session, "", ""),
                    items,
                    replies_open: true,
                    mods: mod_powers(&ctx, session, &post).await?,
                });
            }
            Ok(see_other(&match parent_id {
                Some(parent) => format!("/comment/{parent}#c{id}"),
                None => format!("/post/{post_id}#c{id}"),
            }))
        }
        Err(error) => {
            let (status, errors) = comment_error(error)?;
            if session.fragment {
                return Ok(crate::page::error_fragment(
                    status,
                    errors
                        .get("body")
                        .or(errors.general.as_deref())
                        .unwrap_or(""),
                ));
            }
            let context = Context::load(&ctx, session, post_id, parent_id).await?;
            let page = CommentFormPage::new(session, context, form.body, errors, None);
            render_status(status, &page)
        }
    }
}
