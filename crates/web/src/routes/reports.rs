//! Reports: the "Report" form of every post and comment, and the queue where moderators (of
//! their communities) and admins (of all) read reports with the content inline and resolve or
//! dismiss them, or act on the content from there.

use crate::extract::{CsrfForm, PagePath, PageQuery, SignedIn};
use crate::forms::FormErrors;
use crate::page::{Layout, PageResult, WebError, render, render_status};
use crate::paging::{self, PAGE_SIZE};
use crate::routes::posts::{ReasonFormPage, after_reason_form};
use crate::views::{Choice, TimeView, time};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use chrono::Utc;
use hearth_core::Error;
use hearth_db::report::ReportRow;
use hearth_service::reports::{self, Reported};
use hearth_service::{ServiceContext, comments, markdown, posts};
use serde::Deserialize;

/// The report routes.
pub fn router() -> Router<ServiceContext> {
    Router::new()
        .route("/post/{id}/report", get(post_form).post(report_post))
        .route(
            "/comment/{id}/report",
            get(comment_form).post(report_comment),
        )
        .route("/reports", get(queue))
        .route("/reports/{id}/resolve", post(decide::<true>))
        .route("/reports/{id}/dismiss", post(decide::<false>))
}

/// What the report form sends.
#[derive(Debug, Default, Deserialize)]
struct ReportInput {
    #[serde(default)]
    reason: String,
}

const FIELDS: &crate::forms::Fields = &[("reason", "Reason")];

#[derive(Template)]
#[template(path = "report_form.html")]
struct ReportFormPage {
    layout: Layout,
    /// "post" or "comment".
    what: &'static str,
    /// Where the form posts.
    action: String,
    /// The reported content's page.
    href: String,
    /// The post's title.
    title: String,
    /// The community's handle.
    community: String,
    reason: String,
    errors: FormErrors,
}

/// What the report form needs to know of the reported content.
struct Target {
    what: &'static str,
    reported: Reported,
    href: String,
    title: String,
    community: String,
}

async fn target(
    ctx: &ServiceContext,
    user: &SignedIn,
    reported: Reported,
) -> Result<Target, WebError> {
    let viewer = Some(&user.viewer);
    let (what, post_id, href) = match reported {
        Reported::Post(id) => ("post", id, format!("/post/{id}")),
        Reported::Comment(id) => {
            let comment = comments::get(ctx, viewer, id).await?;
            ("comment", comment.post_id, format!("/comment/{id}"))
        }
    };
    let post = posts::get(ctx, viewer, post_id).await?;
    let community = crate::views::community(
        &post.community_name,
        &post.community_title,
        post.community_local,
        &post.community_ap_id,
    );
    Ok(Target {
        what,
        reported,
        href,
        title: post.title,
        community: community.handle,
    })
}

fn form_page(
    user: &SignedIn,
    target: Target,
    reason: String,
    errors: FormErrors,
) -> ReportFormPage {
    let action = match target.reported {
        Reported::Post(id) => format!("/post/{id}/report"),
        Reported::Comment(id) => format!("/comment/{id}/report"),
    };
    ReportFormPage {
        layout: Layout::new(&user.session, format!("Report a {}", target.what), ""),
        what: target.what,
        action,
        href: target.href,
        title: target.title,
        community: target.community,
        reason,
        errors,
    }
}

async fn show_form(ctx: ServiceContext, user: SignedIn, reported: Reported) -> PageResult {
    let target = target(&ctx, &user, reported).await?;
    render(&form_page(&user, target, String::new(), FormErrors::none()))
}

async fn post_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    show_form(ctx, user, Reported::Post(id)).await
}

async fn comment_form(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
) -> PageResult {
    show_form(ctx, user, Reported::Comment(id)).await
}

#[derive(Template)]
#[template(path = "report_sent.html")]
struct SentPage {
    layout: Layout,
    what: &'static str,
    community: String,
    href: String,
}

async fn file(
    ctx: ServiceContext,
    user: SignedIn,
    reported: Reported,
    form: ReportInput,
) -> PageResult {
    let target = target(&ctx, &user, reported).await?;
    match reports::create(&ctx, &user.viewer, reported, &form.reason).await {
        Ok(_) => render(&SentPage {
            layout: Layout::new(&user.session, "Report sent", ""),
            what: target.what,
            community: target.community,
            href: target.href,
        }),
        Err(error) => {
            let (status, errors) = FormErrors::from_error(error, FIELDS)?;
            render_status(status, &form_page(&user, target, form.reason, errors))
        }
    }
}

async fn report_post(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(form): CsrfForm<ReportInput>,
) -> PageResult {
    file(ctx, user, Reported::Post(id), form).await
}

async fn report_comment(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    CsrfForm(form): CsrfForm<ReportInput>,
) -> PageResult {
    file(ctx, user, Reported::Comment(id), form).await
}

#[derive(Debug, Deserialize)]
struct QueueQuery {
    status: Option<String>,
    community: Option<String>,
    cursor: Option<String>,
}

/// A report as the queue shows it.
struct ReportItem {
    id: i64,
    /// The community's handle and page.
    community: String,
    community_href: String,
    reporter: Option<String>,
    reason: String,
    status: String,
    /// "post" or "comment".
    what: &'static str,
    /// The reported content's page.
    href: String,
    /// The post's title.
    title: String,
    /// The reported text, rendered and sanitised.
    body_html: String,
    /// The author's handle.
    author: Option<String>,
    /// Removed by a moderator since.
    removed: bool,
    /// Where "Remove" posts.
    remove_action: String,
    resolved_by: Option<String>,
    note: String,
    created: TimeView,
}

fn handle(name: String, host: Option<String>) -> String {
    match host {
        Some(host) => format!("{name}@{host}"),
        None => name,
    }
}

impl ReportItem {
    fn new(r: ReportRow) -> Self {
        let (what, href, body, remove_action) = match (r.comment_id, r.post_id) {
            (Some(c), _) => (
                "comment",
                format!("/comment/{c}"),
                r.comment_body.unwrap_or_default(),
                format!("/comment/{c}/remove"),
            ),
            (None, p) => {
                let p = p.unwrap_or_default();
                (
                    "post",
                    format!("/post/{p}"),
                    r.post_body.unwrap_or_default(),
                    format!("/post/{p}/remove"),
                )
            }
        };
        let community = handle(r.community_name, r.community_host);
        Self {
            id: r.id,
            community_href: format!("/c/{community}"),
            community,
            reporter: r.reporter_name.map(|n| handle(n, r.reporter_host)),
            reason: r.reason,
            status: r.status,
            what,
            href,
            title: r.post_title.unwrap_or_default(),
            body_html: markdown::render(&body),
            author: r.author_name.map(|n| handle(n, r.author_host)),
            removed: r.content_removed,
            remove_action,
            resolved_by: r.resolver_name,
            note: r.resolution_note,
            created: time(r.created_at, Utc::now()),
        }
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct QueuePage {
    layout: Layout,
    statuses: Vec<Choice>,
    status: String,
    community: String,
    items: Vec<ReportItem>,
    next: Option<String>,
}

const STATUSES: [(&str, &str); 3] = [
    ("pending", "Open"),
    ("resolved", "Resolved"),
    ("dismissed", "Dismissed"),
];

fn queue_href(status: &str, community: &str) -> String {
    let mut href = format!("/reports?status={status}");
    if !community.is_empty() {
        href.push_str("&community=");
        href.push_str(&crate::page::encode_query_value(community));
    }
    href
}

/// Only moderators (of some community) and admins have a queue.
fn may_see_queue(user: &SignedIn) -> Result<(), WebError> {
    if user.viewer.admin || user.session.header.moderates {
        Ok(())
    } else {
        Err(WebError(Error::forbidden(
            "not_moderator",
            "Only moderators and admins have a reports queue.",
        )))
    }
}

async fn queue(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PageQuery(query): PageQuery<QueueQuery>,
) -> PageResult {
    may_see_queue(&user)?;
    let status = query
        .status
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "pending".to_owned());
    let community = query.community.unwrap_or_default().trim().to_owned();
    let before = paging::decode_id(query.cursor.as_deref())?;
    let mut rows = reports::list(
        &ctx,
        &user.viewer,
        Some(community.as_str()).filter(|c| !c.is_empty()),
        Some(&status),
        before,
        PAGE_SIZE + 1,
    )
    .await?;
    let more = rows.len() > usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX));
    let next = more
        .then(|| {
            rows.last()
                .map(|r| format!("{}&cursor={}", queue_href(&status, &community), r.id))
        })
        .flatten();
    let statuses = STATUSES
        .iter()
        .map(|(name, label)| Choice {
            label,
            href: queue_href(name, &community),
            current: *name == status,
        })
        .collect();
    render(&QueuePage {
        layout: Layout::new(&user.session, "Reports", "reports"),
        statuses,
        items: rows.into_iter().map(ReportItem::new).collect(),
        status,
        community,
        next,
    })
}

/// What the resolve and dismiss buttons send.
#[derive(Debug, Default, Deserialize)]
struct DecisionInput {
    #[serde(default)]
    note: String,
}

/// Resolves the report (`RESOLVED`) or dismisses it.
async fn decide<const RESOLVED: bool>(
    State(ctx): State<ServiceContext>,
    user: SignedIn,
    PagePath(id): PagePath<i64>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<DecisionInput>,
) -> PageResult {
    let result = reports::decide(&ctx, &user.viewer, id, RESOLVED, Some(&form.note)).await;
    let (verb, button) = if RESOLVED {
        ("resolve", "Resolve")
    } else {
        ("dismiss", "Dismiss")
    };
    let page = ReasonFormPage::new(
        &user,
        button,
        "the report",
        format!("/reports/{id}/{verb}"),
        "/reports".to_owned(),
        form.note,
    )
    .with_field("note", "Note");
    after_reason_form(result, &headers, page)
}
