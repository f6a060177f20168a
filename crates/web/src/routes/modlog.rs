//! The public mod log: what moderators did, to what, why and when, filtered by community,
//! moderator and action, paged with the API's cursors.

use crate::extract::PageQuery;
use crate::page::{Layout, PageResult, encode_query_value, render};
use crate::paging::{self, PAGE_SIZE};
use crate::session::Session;
use crate::views::{TimeView, time};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Utc;
use hearth_db::moderation::{ModAction, ModLogRow};
use hearth_service::ServiceContext;
use hearth_service::moderation;
use serde::Deserialize;

/// The mod log route.
pub fn router() -> Router<ServiceContext> {
    Router::new().route("/modlog", get(show))
}

#[derive(Debug, Deserialize)]
struct LogQuery {
    community: Option<String>,
    moderator: Option<String>,
    action: Option<String>,
    cursor: Option<String>,
}

/// What people read for each action.
fn label(action: ModAction) -> &'static str {
    match action {
        ModAction::RemovePost => "Removed a post",
        ModAction::RestorePost => "Restored a post",
        ModAction::RemoveComment => "Removed a comment",
        ModAction::RestoreComment => "Restored a comment",
        ModAction::LockPost => "Locked a post",
        ModAction::UnlockPost => "Unlocked a post",
        ModAction::PinPost => "Pinned a post",
        ModAction::UnpinPost => "Unpinned a post",
        ModAction::Ban => "Banned",
        ModAction::Unban => "Lifted the ban of",
        ModAction::AddModerator => "Made a moderator:",
        ModAction::RemoveModerator => "Removed as moderator:",
        ModAction::UpdateCommunity => "Changed the community's settings",
    }
}

/// An entry as the page shows it.
struct Entry {
    action: &'static str,
    community: String,
    moderator: Option<String>,
    person: Option<String>,
    /// The post or comment acted on: its page and what to call it.
    target: Option<(String, String)>,
    reason: String,
    expires: Option<TimeView>,
    when: TimeView,
}

fn handle(name: String, host: Option<String>) -> String {
    match host {
        Some(host) => format!("{name}@{host}"),
        None => name,
    }
}

impl Entry {
    fn new(r: ModLogRow) -> Self {
        let now = Utc::now();
        let title = r.target_post_title.unwrap_or_else(|| "a post".to_owned());
        let target = match (r.target_comment_id, r.target_post_id) {
            (Some(c), _) => Some((format!("/comment/{c}"), format!("a comment on “{title}”"))),
            (None, Some(p)) => Some((format!("/post/{p}"), title)),
            (None, None) => None,
        };
        Self {
            action: label(r.action),
            community: handle(r.community_name, r.community_host),
            moderator: r.moderator_name.map(|n| handle(n, r.moderator_host)),
            person: r
                .target_person_name
                .map(|n| handle(n, r.target_person_host)),
            target,
            reason: r.reason,
            expires: r.expires_at.map(|at| time(at, now)),
            when: time(r.created_at, now),
        }
    }
}

/// An option of the action filter.
struct ActionOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "modlog.html")]
struct LogPage {
    layout: Layout,
    community: String,
    moderator: String,
    actions: Vec<ActionOption>,
    entries: Vec<Entry>,
    next: Option<String>,
}

async fn show(
    State(ctx): State<ServiceContext>,
    session: Session,
    PageQuery(query): PageQuery<LogQuery>,
) -> PageResult {
    let trimmed = |v: Option<String>| v.map(|v| v.trim().to_owned()).unwrap_or_default();
    let community = trimmed(query.community);
    let moderator = trimmed(query.moderator);
    let action_name = trimmed(query.action);
    let action = Some(action_name.as_str())
        .filter(|a| !a.is_empty())
        .map(moderation::parse_action)
        .transpose()?;
    let before = paging::decode_id(query.cursor.as_deref())?;
    let non_empty = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
    let mut rows = moderation::log(
        &ctx,
        non_empty(&community).as_deref(),
        non_empty(&moderator).as_deref(),
        action,
        before,
        PAGE_SIZE + 1,
    )
    .await?;
    let page_size = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    let more = rows.len() > page_size;
    rows.truncate(page_size);
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(format!(
            "/modlog?community={}&moderator={}&action={}&cursor={}",
            encode_query_value(&community),
            encode_query_value(&moderator),
            encode_query_value(&action_name),
            last.id
        )),
        _ => None,
    };
    let actions = ModAction::ALL
        .into_iter()
        .map(|a| ActionOption {
            value: a.as_str(),
            label: label(a),
            selected: Some(a) == action,
        })
        .collect();
    render(&LogPage {
        layout: Layout::new(&session, "Mod log", "modlog"),
        entries: rows.into_iter().map(Entry::new).collect(),
        community,
        moderator,
        actions,
        next,
    })
}
