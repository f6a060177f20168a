//! A person's data, out and back in: the export is one JSON document (profile, preferences,
//! posts, comments, votes, memberships, blocks) naming everything by ActivityPub id and
//! `name@host`, so that it means the same on any server; the import joins the communities it
//! lists (remote ones through the resolver and the ordinary join, so a Follow goes out) and
//! makes its blocks again. Posts, comments and votes are for the person's records: they are
//! not imported (they belong to their server and their communities).

use crate::ServiceContext;
use crate::auth::Viewer;
use crate::blocks::full_handle;
use crate::resolve::Resolved;
use chrono::{DateTime, Utc};
use hearth_core::{ActorRef, Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};

/// The `format` every export names.
pub const FORMAT: &str = "hearth-account-export";
/// The version of the document's shape.
pub const VERSION: u32 = 1;
/// The most memberships one import takes.
pub const MAX_MEMBERSHIPS: usize = 1_000;
/// The most blocks of each kind one import takes.
pub const MAX_BLOCKS: usize = 1_000;
/// How many communities and people one import may look up on other servers (each lookup is a
/// WebFinger and an actor fetch, made while the request waits). What is over the budget is
/// reported as failed (`lookup_limit`); importing the same document again goes on from there,
/// since what was found is known here by then.
pub const MAX_IMPORT_LOOKUPS: usize = 100;

/// Everything a person exports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountExport {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// The person.
    pub profile: ExportedProfile,
    /// Their preferences.
    pub preferences: ExportedPreferences,
    /// The posts they wrote and did not delete.
    pub posts: Vec<ExportedPost>,
    /// The comments they wrote and did not delete.
    pub comments: Vec<ExportedComment>,
    /// Their votes.
    pub votes: Vec<ExportedVote>,
    /// The communities they belong to or asked to join.
    pub memberships: Vec<ExportedMembership>,
    /// Whom and what they block.
    pub blocks: ExportedBlocks,
}

/// Who the person is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedProfile {
    /// The username.
    pub name: String,
    /// `name@host`.
    pub handle: String,
    /// The ActivityPub id.
    pub ap_id: String,
    /// The display name.
    pub display_name: Option<String>,
    /// The bio (markdown).
    pub bio: String,
    /// The avatar's public URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The banner's public URL.
    #[serde(default)]
    pub banner_url: Option<String>,
}

/// The person's preferences.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedPreferences {
    /// Show posts marked NSFW.
    pub show_nsfw: bool,
    /// `system`, `light` or `dark`.
    pub theme: String,
}

/// A post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedPost {
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Its community's ActivityPub id.
    pub community: String,
    /// Title.
    pub title: String,
    /// Link.
    pub url: Option<String>,
    /// Body (markdown).
    pub body: String,
    /// Not safe for work.
    pub nsfw: bool,
    /// Language tag.
    pub language: Option<String>,
    /// Published.
    pub published: DateTime<Utc>,
    /// Last edited.
    pub updated: Option<DateTime<Utc>>,
}

/// A comment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedComment {
    /// Its ActivityPub id.
    pub ap_id: String,
    /// Its post's ActivityPub id.
    pub post: String,
    /// The ActivityPub id of the comment it answers.
    pub parent: Option<String>,
    /// Body (markdown).
    pub body: String,
    /// Published.
    pub published: DateTime<Utc>,
    /// Last edited.
    pub updated: Option<DateTime<Utc>>,
}

/// A vote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedVote {
    /// The ActivityPub id of the post or comment.
    pub object: String,
    /// `post` or `comment`.
    pub kind: String,
    /// 1 or -1.
    pub score: i16,
    /// When it was cast.
    pub created_at: DateTime<Utc>,
}

/// A membership.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedMembership {
    /// `name@host`.
    pub community: String,
    /// The community's ActivityPub id.
    pub ap_id: String,
    /// `joined` or `pending`.
    pub state: String,
}

/// The person's blocks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExportedBlocks {
    /// People.
    #[serde(default)]
    pub people: Vec<ExportedBlock>,
    /// Communities.
    #[serde(default)]
    pub communities: Vec<ExportedBlock>,
}

/// One blocked person or community.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportedBlock {
    /// `name@host`.
    pub handle: String,
    /// The ActivityPub id.
    pub ap_id: String,
}

/// Exports the viewer's data.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn export(ctx: &ServiceContext, viewer: &Viewer) -> Result<AccountExport> {
    let ours = &ctx.settings.hostname;
    let person = hearth_db::person::find(&ctx.pool, viewer.person_id)
        .await?
        .ok_or_else(|| Error::not_found("This account no longer exists."))?;
    let settings = crate::settings::get(ctx, viewer).await?;
    let pool = &ctx.pool;
    let id = viewer.person_id;
    let posts = hearth_db::export::posts(pool, id).await?;
    let comments = hearth_db::export::comments(pool, id).await?;
    let votes = hearth_db::export::votes(pool, id).await?;
    let memberships = hearth_db::export::memberships(pool, id).await?;
    let blocks = crate::blocks::list(ctx, viewer).await?;
    Ok(AccountExport {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at: Utc::now(),
        profile: ExportedProfile {
            handle: full_handle(&person.name, true, &person.ap_id, ours),
            avatar_url: person.avatar_url,
            banner_url: person.banner_url,
            name: person.name,
            ap_id: person.ap_id,
            display_name: settings.display_name,
            bio: settings.bio,
        },
        preferences: ExportedPreferences {
            show_nsfw: settings.preferences.show_nsfw,
            theme: settings.preferences.theme.as_str().to_owned(),
        },
        posts: posts
            .into_iter()
            .map(|p| ExportedPost {
                ap_id: p.ap_id,
                community: p.community_ap_id,
                title: p.title,
                url: p.url,
                body: p.body,
                nsfw: p.nsfw,
                language: p.language,
                published: p.published_at,
                updated: p.edited_at,
            })
            .collect(),
        comments: comments
            .into_iter()
            .map(|c| ExportedComment {
                ap_id: c.ap_id,
                post: c.post_ap_id,
                parent: c.parent_ap_id,
                body: c.body,
                published: c.published_at,
                updated: c.edited_at,
            })
            .collect(),
        votes: votes
            .into_iter()
            .map(|v| ExportedVote {
                object: v.object_ap_id,
                kind: v.kind,
                score: v.score,
                created_at: v.created_at,
            })
            .collect(),
        memberships: memberships
            .into_iter()
            .map(|m| ExportedMembership {
                community: full_handle(&m.name, m.local, &m.ap_id, ours),
                ap_id: m.ap_id,
                state: m.state,
            })
            .collect(),
        blocks: ExportedBlocks {
            people: blocks
                .people
                .into_iter()
                .map(|p| ExportedBlock {
                    handle: full_handle(&p.name, p.local, &p.ap_id, ours),
                    ap_id: p.ap_id,
                })
                .collect(),
            communities: blocks
                .communities
                .into_iter()
                .map(|c| ExportedBlock {
                    handle: full_handle(&c.name, c.local, &c.ap_id, ours),
                    ap_id: c.ap_id,
                })
                .collect(),
        },
    })
}

/// What an import reads of an export: the memberships and the blocks. Everything else in the
/// document is ignored, so an export can be sent back as it is.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountImport {
    /// Must be [`FORMAT`] when present.
    #[serde(default)]
    pub format: Option<String>,
    /// The communities to join.
    #[serde(default)]
    pub memberships: Vec<ImportedMembership>,
    /// The blocks to make.
    #[serde(default)]
    pub blocks: ExportedBlocks,
}

/// A community to join.
#[derive(Debug, Clone, Deserialize)]
pub struct ImportedMembership {
    /// `name@host`.
    pub community: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Communities joined (or asked to join: remote ones and those that approve members).
    pub memberships: usize,
    /// People blocked.
    pub people_blocked: usize,
    /// Communities blocked.
    pub communities_blocked: usize,
    /// What could not be imported, and why.
    pub failed: Vec<ImportFailure>,
}

/// An item of the import that failed.
#[derive(Debug, Clone, Serialize)]
pub struct ImportFailure {
    /// `membership`, `person_block` or `community_block`.
    pub kind: &'static str,
    /// The item as the document named it.
    pub item: String,
    /// The error code, as the API would answer.
    pub error: &'static str,
    /// Why, in words.
    pub message: String,
}

/// Which kind of thing a reference names, for lookups on other servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Community,
    Person,
}

/// Imports an export into the viewer's account: joins its communities and makes its blocks.
/// Each item succeeds or fails on its own; the report lists the failures.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn import(
    ctx: &ServiceContext,
    viewer: &Viewer,
    document: AccountImport,
) -> Result<ImportReport> {
    if document.format.as_deref().is_some_and(|f| f != FORMAT) {
        return Err(unprocessable(
            "unknown_format",
            format!("This is not a Hearth account export (`format` must be `{FORMAT}`)."),
        ));
    }
    if document.memberships.len() > MAX_MEMBERSHIPS {
        return Err(unprocessable(
            "too_many_items",
            format!("An import takes at most {MAX_MEMBERSHIPS} memberships."),
        ));
    }
    if document.blocks.people.len() > MAX_BLOCKS || document.blocks.communities.len() > MAX_BLOCKS {
        return Err(unprocessable(
            "too_many_items",
            format!("An import takes at most {MAX_BLOCKS} blocks of people and of communities."),
        ));
    }
    // An import may look many things up on other servers: it counts as one lookup against
    // the per-person limit of `/api/v1/resolve`, and its item caps bound what it fetches.
    crate::rate_limit::check(
        ctx,
        crate::rate_limit::Action::Resolve,
        &viewer.person_id.to_string(),
    )
    .await?;
    let mut report = ImportReport::default();
    let mut lookups = 0;
    for membership in &document.memberships {
        let joined = async {
            let handle = known(ctx, &membership.community, Target::Community, &mut lookups).await?;
            crate::membership::join(ctx, viewer, &handle).await
        }
        .await;
        match joined {
            Ok(_) => report.memberships += 1,
            Err(e) => report
                .failed
                .push(failure("membership", &membership.community, e)),
        }
    }
    for block in &document.blocks.people {
        let blocked = async {
            let handle = known(ctx, &block.handle, Target::Person, &mut lookups).await?;
            crate::blocks::block_person(ctx, viewer, &handle).await
        }
        .await;
        match blocked {
            Ok(_) => report.people_blocked += 1,
            Err(e) => report
                .failed
                .push(failure("person_block", &block.handle, e)),
        }
    }
    for block in &document.blocks.communities {
        let blocked = async {
            let handle = known(ctx, &block.handle, Target::Community, &mut lookups).await?;
            crate::blocks::block_community(ctx, viewer, &handle).await
        }
        .await;
        match blocked {
            Ok(_) => report.communities_blocked += 1,
            Err(e) => report
                .failed
                .push(failure("community_block", &block.handle, e)),
        }
    }
    tracing::info!(
        memberships = report.memberships,
        people_blocked = report.people_blocked,
        communities_blocked = report.communities_blocked,
        failed = report.failed.len(),
        "account data imported"
    );
    Ok(report)
}

/// Makes sure a `name@host` is known here, fetching it from its server when it is remote and
/// new; returns the reference to use. Goes to the resolver directly rather than through
/// `resolve::resolve`, whose per-person rate limit is meant for interactive lookups: an
/// import's lookups are bounded by [`MAX_IMPORT_LOOKUPS`] instead (`lookups` counts them).
async fn known(
    ctx: &ServiceContext,
    reference: &str,
    target: Target,
    lookups: &mut usize,
) -> Result<String> {
    let parsed = ActorRef::parse(reference, "handle")?;
    let local = parsed.local_name(&ctx.settings.hostname).is_some();
    let found = match target {
        Target::Community => crate::communities::find(ctx, reference).await.map(|_| ()),
        Target::Person => crate::users::find(ctx, reference, "user").await.map(|_| ()),
    };
    match found {
        Ok(()) => return Ok(reference.to_owned()),
        Err(e) if local || !matches!(e.kind, ErrorKind::NotFound(_)) => return Err(e),
        Err(_) => {}
    }
    let Some(resolver) = ctx.resolver.as_ref() else {
        return Err(Error::forbidden(
            "federation_disabled",
            "This instance does not federate, so it cannot look up other servers.",
        ));
    };
    if *lookups >= MAX_IMPORT_LOOKUPS {
        return Err(Error::forbidden(
            "lookup_limit",
            format!(
                "This import already looked up {MAX_IMPORT_LOOKUPS} things on other servers; \
                 import the same file again to go on."
            ),
        ));
    }
    *lookups += 1;
    let query = match target {
        Target::Community => format!("!{}@{}", parsed.name, parsed.host.unwrap_or_default()),
        Target::Person => format!("@{}@{}", parsed.name, parsed.host.unwrap_or_default()),
    };
    match (target, resolver.resolve(&query).await?) {
        (Target::Community, Resolved::Community(_)) | (Target::Person, Resolved::Person(_)) => {
            Ok(reference.to_owned())
        }
        _ => Err(Error::not_found(format!(
            "`{reference}` is not a {}.",
            match target {
                Target::Community => "community",
                Target::Person => "person",
            }
        ))),
    }
}

fn failure(kind: &'static str, item: &str, error: Error) -> ImportFailure {
    if error.kind.status().is_server_error() {
        tracing::warn!(error = ?error, kind, "an imported item failed");
    }
    ImportFailure {
        kind,
        item: item.chars().take(300).collect(),
        error: error.kind.code(),
        message: error.kind.message(),
    }
}

fn unprocessable(code: &'static str, message: String) -> Error {
    Error::new(ErrorKind::Unprocessable { code, message })
}

/// The viewer's export as JSON text (for pages that offer it as a download).
pub async fn export_json(ctx: &ServiceContext, viewer: &Viewer) -> Result<Vec<u8>> {
    let document = export(ctx, viewer).await?;
    Ok(serde_json::to_vec_pretty(&document)?)
}

/// Imports an export given as JSON text (what the settings page's form sends); text that is not
/// such a document is 422 `invalid_document`.
pub async fn import_json(
    ctx: &ServiceContext,
    viewer: &Viewer,
    text: &str,
) -> Result<ImportReport> {
    let document: AccountImport = serde_json::from_str(text).map_err(|e| {
        unprocessable(
            "invalid_document",
            format!("This is not an account export: {e}."),
        )
    })?;
    import(ctx, viewer, document).await
}
