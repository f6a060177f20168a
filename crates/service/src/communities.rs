//! Communities: creating, finding, listing and updating them. The creator becomes the first
//! member and the first moderator in the same transaction.

use crate::auth::Viewer;
use crate::constraint::OnConstraint;
use crate::site::long_text;
use crate::{ServiceContext, can_moderate};
use hearth_core::{ActorRef, CommunityName, Error, ErrorKind, Result};
use hearth_db::community::{CommunityPatch, CommunityRow, CommunitySort, Cursor, NewCommunity};
use hearth_db::membership::MemberState;
use hearth_db::moderation::{ModAction, NewModLogEntry};
use hearth_db::post::CommunityKey;

pub use hearth_db::community::{BanRow, Visibility};

/// Where a person stands with a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// A member.
    Joined,
    /// Waiting for a moderator's approval.
    Pending,
    /// Neither.
    None,
}

impl Membership {
    /// The API's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Joined => "joined",
            Self::Pending => "pending",
            Self::None => "none",
        }
    }
}

impl From<Option<MemberState>> for Membership {
    fn from(state: Option<MemberState>) -> Self {
        match state {
            Some(MemberState::Joined) => Self::Joined,
            Some(MemberState::Pending) => Self::Pending,
            None => Self::None,
        }
    }
}

/// Parses the `visibility` field of a request: `public` or `approval`.
pub fn parse_visibility(raw: &str) -> Result<Visibility> {
    raw.parse()
        .map_err(|_| Error::validation("visibility", "must be `public` or `approval`"))
}

/// What creating a community takes.
#[derive(Debug)]
pub struct NewCommunityForm {
    /// Name: 3–30 characters of a-z, 0-9 and _.
    pub name: String,
    /// Title: 1–100 characters.
    pub title: String,
    /// Description (markdown).
    pub description: Option<String>,
    /// Not safe for work.
    pub nsfw: bool,
    /// Only moderators may post.
    pub posting_restricted_to_mods: bool,
    /// Who may join.
    pub visibility: Visibility,
    /// The icon: a picture uploaded here (`POST /api/v1/media`); `None` or `Some(None)` for none.
    pub icon_url: Option<Option<String>>,
    /// The banner, likewise.
    pub banner_url: Option<Option<String>>,
}

/// A community with what the viewer needs to know about their relation to it.
#[derive(Debug, Clone)]
pub struct CommunityDetails {
    /// The community.
    pub community: CommunityRow,
    /// The viewer's membership (`None` when anonymous).
    pub membership: Membership,
    /// Whether the viewer moderates it.
    pub moderator: bool,
}

/// Creates a local community.
#[tracing::instrument(skip_all, fields(creator = viewer.person_id))]
pub async fn create(
    ctx: &ServiceContext,
    viewer: &Viewer,
    form: NewCommunityForm,
) -> Result<CommunityDetails> {
    let site = hearth_db::site::get(&ctx.pool).await?;
    if site.community_creation_admin_only && !viewer.admin {
        return Err(Error::forbidden(
            "community_creation_restricted",
            "Only administrators may create communities on this instance.",
        ));
    }
    let name = CommunityName::parse(&form.name, "name")?;
    let title = title(&form.title)?;
    let (description, description_html) =
        long_text(form.description.as_deref(), "description", 10_000)?.unwrap_or_default();
    let icon_url = crate::media::picture_change(ctx, form.icon_url, "icon_url")
        .await?
        .flatten();
    let banner_url = crate::media::picture_change(ctx, form.banner_url, "banner_url")
        .await?
        .flatten();
    let ap_id = format!("{}/c/{name}", ctx.settings.public_base_url());
    let (public_key, private_key) = crate::keys::generate().await?;
    let mut tx = ctx.pool.begin().await?;
    let id = hearth_db::community::insert_local(
        &mut *tx,
        &NewCommunity {
            ap_id: &ap_id,
            name: name.as_str(),
            title: &title,
            description: &description,
            description_html: &description_html,
            nsfw: form.nsfw,
            posting_restricted_to_mods: form.posting_restricted_to_mods,
            visibility: form.visibility,
            icon_url: icon_url.as_deref(),
            banner_url: banner_url.as_deref(),
            public_key: &public_key,
            private_key: &private_key,
        },
    )
    .await
    .on_constraint(
        &["community_local_name_key", "community_ap_id_key"],
        ErrorKind::Conflict {
            code: "name_taken",
            message: format!("A community named `{name}` exists already."),
        },
    )?;
    hearth_db::moderator::add(&mut *tx, id, viewer.person_id).await?;
    hearth_db::membership::insert(&mut *tx, id, viewer.person_id, MemberState::Joined).await?;
    hearth_db::community::add_members(&mut *tx, id, 1).await?;
    tx.commit().await?;
    tracing::info!(community = id, "community created");
    details(ctx, Some(viewer), find_by_id(ctx, id).await?).await
}

/// Finds a community by `name` or `name@host`.
pub async fn find(ctx: &ServiceContext, reference: &str) -> Result<CommunityRow> {
    let reference = ActorRef::parse(reference, "community")?;
    let not_found =
        || Error::not_found(format!("There is no community `{}` here.", reference.name));
    let found = match lookup_key(ctx, &reference) {
        Some(CommunityKey::Local(name)) => {
            hearth_db::community::find_local(&ctx.pool, name).await?
        }
        // A remote community we know of; unknown ones are fetched with /api/v1/resolve.
        Some(CommunityKey::Remote { name, host }) => {
            hearth_db::community::find_remote(&ctx.pool, name, host).await?
        }
        None => None,
    };
    found.ok_or_else(not_found)
}

/// How a parsed `name` or `name@host` is looked up: a local community by name, or another
/// server's by name and authority (`None`: no community could have it). The one reading of a
/// reference for `find` and the statements that join the community by name themselves.
pub(crate) fn lookup_key<'a>(
    ctx: &ServiceContext,
    reference: &'a ActorRef,
) -> Option<CommunityKey<'a>> {
    match (
        reference.local_name(&ctx.settings.hostname),
        &reference.host,
    ) {
        (Some(name), _) => Some(CommunityKey::Local(name)),
        (None, Some(host)) => Some(CommunityKey::Remote {
            name: &reference.name,
            host,
        }),
        (None, None) => None,
    }
}

async fn find_by_id(ctx: &ServiceContext, id: i64) -> Result<CommunityRow> {
    hearth_db::community::find(&ctx.pool, id)
        .await?
        .ok_or_else(|| Error::not_found("There is no such community."))
}

/// Adds the viewer's relation to a community.
pub async fn details(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    community: CommunityRow,
) -> Result<CommunityDetails> {
    let (membership, moderator) = match viewer {
        Some(v) => (
            hearth_db::membership::state(&ctx.pool, community.id, v.person_id)
                .await?
                .into(),
            hearth_db::moderator::is_moderator(&ctx.pool, community.id, v.person_id).await?,
        ),
        None => (Membership::None, false),
    };
    Ok(CommunityDetails {
        community,
        membership,
        moderator,
    })
}

/// One page of communities with the viewer's relation to each, and the cursor of the next page
/// when there is one.
pub async fn list(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    sort: CommunitySort,
    query: Option<&str>,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<CommunityDetails>, Option<Cursor>)> {
    let text = match query.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) if q.chars().count() > 200 => {
            return Err(Error::validation("q", "must be at most 200 characters"));
        }
        Some(q) => match hearth_db::community::text_query(q) {
            Some(t) => Some(t),
            // Only punctuation: nothing can match.
            None => return Ok((Vec::new(), None)),
        },
        None => None,
    };
    let text = text.as_deref();
    let mut rows = ctx
        .read(viewer, |db| async move {
            hearth_db::community::list(&db, sort, text, after, limit + 1).await
        })
        .await?;
    let next = crate::paging::cut(&mut rows, limit).map(|last| Cursor {
        key: match sort {
            CommunitySort::New => last.id,
            CommunitySort::Members => i64::from(last.member_count),
            CommunitySort::Active => i64::from(last.users_active_week),
        },
        id: last.id,
    });
    // Two queries for the whole page rather than two per community.
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let (states, moderated) = match viewer {
        Some(v) => (
            hearth_db::membership::states_among(&ctx.pool, v.person_id, &ids).await?,
            hearth_db::moderator::moderated_among(&ctx.pool, v.person_id, &ids).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let page = rows
        .into_iter()
        .map(|community| CommunityDetails {
            membership: states
                .iter()
                .find(|(id, _)| *id == community.id)
                .map(|&(_, state)| state)
                .into(),
            moderator: moderated.contains(&community.id),
            community,
        })
        .collect();
    Ok((page, next))
}

/// A partial update of a community; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct CommunityUpdate {
    /// New title.
    pub title: Option<String>,
    /// New description (markdown).
    pub description: Option<String>,
    /// New rules (markdown), federated after the description.
    pub rules: Option<String>,
    /// New NSFW flag.
    pub nsfw: Option<bool>,
    /// New posting restriction.
    pub posting_restricted_to_mods: Option<bool>,
    /// New visibility.
    pub visibility: Option<Visibility>,
    /// New icon (a picture uploaded here); `Some(None)` removes it.
    pub icon_url: Option<Option<String>>,
    /// New banner (a picture uploaded here); `Some(None)` removes it.
    pub banner_url: Option<Option<String>>,
}

/// Updates a community (its moderators and the instance's admins).
#[tracing::instrument(skip_all, fields(community = %reference))]
pub async fn update(
    ctx: &ServiceContext,
    viewer: &Viewer,
    reference: &str,
    update: CommunityUpdate,
) -> Result<CommunityDetails> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    if !community.local {
        return Err(Error::forbidden(
            "remote_community",
            "This community lives on another server; change it there.",
        ));
    }
    let title = update.title.as_deref().map(title).transpose()?;
    let description = long_text(update.description.as_deref(), "description", 10_000)?;
    let rules = long_text(update.rules.as_deref(), "rules", 10_000)?;
    let icon_url = crate::media::picture_change(ctx, update.icon_url, "icon_url").await?;
    let banner_url = crate::media::picture_change(ctx, update.banner_url, "banner_url").await?;
    let patch = CommunityPatch {
        title: title.as_deref(),
        description: description.as_ref().map(|(t, h)| (t.as_str(), h.as_str())),
        rules: rules.as_ref().map(|(t, h)| (t.as_str(), h.as_str())),
        nsfw: update.nsfw,
        posting_restricted_to_mods: update.posting_restricted_to_mods,
        visibility: update.visibility,
        icon_url: icon_url.as_ref().map(Option::as_deref),
        banner_url: banner_url.as_ref().map(Option::as_deref),
    };
    let mut tx = ctx.pool.begin().await?;
    let updated = hearth_db::community::update(&mut *tx, community.id, &patch).await?;
    let entry = NewModLogEntry {
        moderator_id: Some(viewer.person_id),
        ..NewModLogEntry::new(community.id, ModAction::UpdateCommunity)
    };
    hearth_db::moderation::log(&mut *tx, &entry).await?;
    let event = crate::outbox::Event::CommunityUpdated {
        community_id: community.id,
        moderator_id: viewer.person_id,
    };
    crate::outbox::record(ctx, &mut tx, event).await?;
    if community.visibility == Visibility::Approval && updated.visibility == Visibility::Public {
        // Nobody approves requests in a public community any more: let them all in.
        let admitted = hearth_db::membership::approve_all_pending(&mut *tx, community.id).await?;
        hearth_db::community::add_members(
            &mut *tx,
            community.id,
            i32::try_from(admitted.len()).unwrap_or(i32::MAX),
        )
        .await?;
        // People on other servers wait for the community's Accept.
        for (person_id, local) in admitted {
            crate::notifications::join_answered(
                &mut tx,
                community.id,
                person_id,
                true,
                Some(viewer.person_id),
            )
            .await?;
            if !local {
                let event = crate::outbox::Event::Accepted {
                    community_id: community.id,
                    person_id,
                };
                crate::outbox::record(ctx, &mut tx, event).await?;
            }
        }
    }
    tx.commit().await?;
    details(ctx, Some(viewer), find_by_id(ctx, community.id).await?).await
}

/// The community's bans in force, newest first (its moderators and, for local communities, the
/// instance's admins).
pub async fn bans(ctx: &ServiceContext, viewer: &Viewer, reference: &str) -> Result<Vec<BanRow>> {
    let community = find(ctx, reference).await?;
    can_moderate(ctx, viewer, community.id).await?;
    Ok(hearth_db::community::bans(&ctx.pool, community.id).await?)
}

fn title(raw: &str) -> Result<String> {
    let title = raw.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(Error::validation(
            "title",
            "must be 1 to 100 characters long",
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(Error::validation(
            "title",
            "must not contain control characters",
        ));
    }
    Ok(title.to_owned())
}
