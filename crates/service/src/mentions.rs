//! Mentions in what local people write: `@name` and `@name@host` become links to the person and
//! are recorded (`hearth_db::mention`), so the federated object carries `Mention` tags, reaches
//! the mentioned person's server and notifies local people.
//!
//! A handle of a remote person not known here yet is looked up once while the text is written,
//! through the resolver (which refetches only past `federation.refresh_age_secs`), bounded so
//! that a post full of handles cannot stall its author: at most [`MAX_LOOKUPS`] lookups and
//! [`LOOKUP_BUDGET`] in all. A handle that cannot be found stays text.

use crate::ServiceContext;
use crate::markdown::{self, Handle};
use crate::resolve::Resolved;
use hearth_db::person::PersonRow;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How many unknown remote handles one text may make us look up.
pub const MAX_LOOKUPS: usize = 5;
/// How long all lookups of one text may take together.
pub const LOOKUP_BUDGET: Duration = Duration::from_secs(5);
/// How many distinct handles of one text are considered at all.
const MAX_HANDLES: usize = 50;

/// Markdown rendered with its mentions.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The sanitised HTML, mentions linked.
    pub html: String,
    /// The ActivityPub ids of the people mentioned.
    pub mentioned: Vec<String>,
}

/// Renders `markdown`, linking and collecting the people it mentions (deleted accounts and
/// handles that cannot be found stay text).
pub async fn render(ctx: &ServiceContext, markdown: &str) -> hearth_core::Result<Written> {
    let handles = markdown::mentions(markdown);
    let mut found: HashMap<Handle, PersonRow> = HashMap::new();
    let mut lookups = 0;
    let deadline = Instant::now() + LOOKUP_BUDGET;
    for handle in handles.into_iter().take(MAX_HANDLES) {
        let local_name = match &handle.host {
            None => Some(handle.name.as_str()),
            Some(host) if host == ctx.settings.hostname.as_str() => Some(handle.name.as_str()),
            Some(_) => None,
        };
        let person = match (local_name, &handle.host) {
            (Some(name), _) => hearth_db::person::find_local(&ctx.pool, name).await?,
            (None, Some(host)) => match known_remote(ctx, &handle.name, host).await? {
                Some(person) => Some(person),
                None if lookups < MAX_LOOKUPS && Instant::now() < deadline => {
                    lookups += 1;
                    look_up(ctx, &handle, deadline).await?
                }
                None => None,
            },
            (None, None) => None,
        };
        if let Some(person) = person.filter(|p| !p.deleted) {
            found.insert(handle, person);
        }
    }
    let local_media = crate::media::local_prefix(ctx);
    let html = markdown::render_with_mentions(
        markdown,
        |h| found.get(h).map(|p| p.ap_id.clone()),
        Some(&local_media),
    );
    let mut mentioned: Vec<String> = found.into_values().map(|p| p.ap_id).collect();
    mentioned.sort();
    mentioned.dedup();
    Ok(Written { html, mentioned })
}

async fn known_remote(
    ctx: &ServiceContext,
    name: &str,
    host: &str,
) -> hearth_core::Result<Option<PersonRow>> {
    Ok(hearth_db::person::remote_by_name(&ctx.pool, name, host).await?)
}

/// Asks the resolver for `@name@host` before `deadline`; not found, refused or too slow all
/// mean "leave it as text" (the reason is logged, the post is still written).
async fn look_up(
    ctx: &ServiceContext,
    handle: &Handle,
    deadline: Instant,
) -> hearth_core::Result<Option<PersonRow>> {
    let Some(resolver) = ctx.resolver.as_ref() else {
        return Ok(None);
    };
    let query = handle.written();
    match tokio::time::timeout_at(deadline, resolver.resolve(&query)).await {
        Ok(Ok(Resolved::Person(id))) => Ok(hearth_db::person::find(&ctx.pool, id).await?),
        Ok(Ok(_)) => Ok(None),
        Ok(Err(e)) => {
            tracing::info!(handle = %query, error = %e, "mention not resolved");
            Ok(None)
        }
        Err(_) => {
            tracing::info!(handle = %query, "mention lookup ran out of time");
            Ok(None)
        }
    }
}
