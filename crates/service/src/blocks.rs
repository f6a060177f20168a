//! Personal blocks: a signed-in person hides another person (everywhere they read) or a
//! community (from the feeds and searches that mix communities; its own page still works).
//! Blocks are private: nothing is sent to other servers, and the blocked never learn of it.
//! The hiding itself happens in the read queries of `hearth_db::post` and `hearth_db::comment`.

use crate::ServiceContext;
use crate::auth::Viewer;
use hearth_core::{Authority, Error, ErrorKind, Result};
use hearth_db::block::{BlockedCommunity, BlockedPerson};
use hearth_db::community::CommunityRow;
use hearth_db::person::PersonRow;

/// Everything a person blocks.
#[derive(Debug, Clone)]
pub struct Blocks {
    /// People, most recent block first.
    pub people: Vec<BlockedPerson>,
    /// Communities, most recent block first.
    pub communities: Vec<BlockedCommunity>,
}

/// Blocks a person (`name` or `name@host`) for the viewer. Blocking again changes nothing;
/// blocking oneself is 422 `cannot_block_self`.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn block_person(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<PersonRow> {
    let target = crate::users::find(ctx, reference, "user").await?;
    block_person_row(ctx, viewer, &target).await?;
    Ok(target)
}

/// Blocks a person already found.
pub(crate) async fn block_person_row(
    ctx: &ServiceContext,
    viewer: &Viewer,
    target: &PersonRow,
) -> Result<()> {
    if target.id == viewer.person_id {
        return Err(Error::new(ErrorKind::Unprocessable {
            code: "cannot_block_self",
            message: "You cannot block yourself.".to_owned(),
        }));
    }
    hearth_db::block::block_person(&ctx.pool, viewer.person_id, target.id).await?;
    Ok(())
}

/// Takes back the viewer's block of a person. Unblocking someone not blocked changes nothing.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn unblock_person(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<PersonRow> {
    let target = crate::users::find(ctx, reference, "user").await?;
    hearth_db::block::unblock_person(&ctx.pool, viewer.person_id, target.id).await?;
    Ok(target)
}

/// Blocks a community (`name` or `name@host`) for the viewer. Membership is left as it is.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn block_community(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<CommunityRow> {
    let community = crate::communities::find(ctx, reference).await?;
    hearth_db::block::block_community(&ctx.pool, viewer.person_id, community.id).await?;
    Ok(community)
}

/// Takes back the viewer's block of a community.
#[tracing::instrument(skip_all, fields(person = viewer.person_id))]
pub async fn unblock_community(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
) -> Result<CommunityRow> {
    let community = crate::communities::find(ctx, reference).await?;
    hearth_db::block::unblock_community(&ctx.pool, viewer.person_id, community.id).await?;
    Ok(community)
}

/// Everything the viewer blocks.
pub async fn list(ctx: &ServiceContext, viewer: &Viewer) -> Result<Blocks> {
    Ok(Blocks {
        people: hearth_db::block::blocked_people(&ctx.pool, viewer.person_id).await?,
        communities: hearth_db::block::blocked_communities(&ctx.pool, viewer.person_id).await?,
    })
}

/// Whether the viewer blocks this person (false for anonymous visitors).
pub async fn blocks_person(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    person_id: i64,
) -> Result<bool> {
    match viewer {
        Some(v) => Ok(hearth_db::block::blocks_person(&ctx.pool, v.person_id, person_id).await?),
        None => Ok(false),
    }
}

/// Whether the viewer blocks this community (false for anonymous visitors).
pub async fn blocks_community(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    community_id: i64,
) -> Result<bool> {
    match viewer {
        Some(v) => {
            Ok(hearth_db::block::blocks_community(&ctx.pool, v.person_id, community_id).await?)
        }
        None => Ok(false),
    }
}

/// `name@host` for any person or community, with this instance's authority for local ones: the
/// form that means the same thing on every server (exports, lists).
pub fn full_handle(name: &str, local: bool, ap_id: &str, ours: &Authority) -> String {
    let host = if local {
        None
    } else {
        url::Url::parse(ap_id).ok().and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
    };
    format!("{name}@{}", host.as_deref().unwrap_or(ours.as_str()))
}
