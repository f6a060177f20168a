//! The rules of the one gate for posts and comments from other servers. Whatever brings one (an
//! activity sent to our inbox, a community's Announce, a fetch of its id, a page of a collection
//! read during backfill), it passes `ApubPost::judge` or `ApubComment::judge`, the only paths
//! that create or change a remote post or comment, under these rules:
//!
//! - ids on our own host never come from outside: our objects come from our database;
//! - the author (`attributedTo`) lives on the object's own server;
//! - an object read from a collection whose id lives on another server than the one that served
//!   it is fetched again from its own server, which then says what it is and where it lives (a
//!   Group's outbox cannot vouch for a third server's post);
//! - a community's Announce vouches for new content placed in that community, never for a row
//!   that lives in another community;
//! - an existing row changes only through its author (from its own server), its own server
//!   answering a fetch, or its own community announcing the change, and every permission (bans,
//!   locks, moderators-only posting) is judged against the row's own community, never the one
//!   an activity is addressed to.

use crate::objects::person::ApubPerson;
use crate::received::InboxError;
use crate::urls::{authority, same_authority};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use chrono::{DateTime, Utc};
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use hearth_service::auth::Viewer;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

/// Who tells us about an object. It decides what the object may create or change.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Teller<'a> {
    /// Its author, in an activity signed by them and sent to our inbox: it counts for our own
    /// communities only, which announce the activity once it is applied.
    Author {
        /// The activity's actor.
        actor: &'a Url,
    },
    /// A remote community, announcing an activity of `actor`: its word holds for content
    /// placed in it, never for rows of another community.
    Community {
        /// The announcing community.
        community: &'a CommunityRow,
        /// The announced activity's actor.
        actor: &'a Url,
    },
    /// The object's own server, answering a fetch of the object's id (the library checks that
    /// the id it serves is the one asked for).
    Origin,
    /// A collection of `community` (its outbox, featured posts, a post's replies), read from a
    /// document that `served_by` (an authority) served.
    Collection {
        /// The community whose collection it is.
        community: &'a CommunityRow,
        /// The authority of the server that served the document holding the object.
        served_by: &'a str,
    },
}

impl<'a> Teller<'a> {
    /// The actor of the activity that brought the object, when one did.
    fn actor(&self) -> Option<&Url> {
        match self {
            Self::Author { actor } | Self::Community { actor, .. } => Some(actor),
            Self::Origin | Self::Collection { .. } => None,
        }
    }

    /// For an object read from a collection on another server than the object's own: the
    /// server that served it. Such an object is a claim, and is fetched from its own server
    /// instead (which then speaks for it as `Origin`).
    pub(crate) fn read_elsewhere(&self, id: &Url) -> Option<&'a str> {
        match *self {
            Self::Collection { served_by, .. } if authority(id).as_deref() != Some(served_by) => {
                Some(served_by)
            }
            _ => None,
        }
    }
}

/// What the gate decided about an object from outside.
#[derive(Debug)]
pub(crate) enum Verdict<W> {
    /// Not ours to keep: nothing changes.
    Ignore,
    /// We hold it, and it stays as it is.
    Keep(i64),
    /// Store it (new, or the changed version of one we hold).
    Write(W),
    /// A reply to this parent, which we do not hold: in one of our communities, the parent is
    /// fetched and applied first (by the activity that brought the reply).
    NeedsParent(Url),
}

/// What a held row looks like to the rules on changing it.
pub(crate) struct Held<'a> {
    /// Written here.
    pub(crate) local: bool,
    /// Its ActivityPub id.
    pub(crate) ap_id: &'a str,
    /// Its author's ActivityPub id.
    pub(crate) author_ap_id: &'a str,
    /// The community it lives in.
    pub(crate) community_id: i64,
    /// Deleted or removed.
    pub(crate) gone: bool,
    /// When it was last edited.
    pub(crate) edited_at: Option<DateTime<Utc>>,
}

/// Whether an incoming version may change a row we hold: `Ok(true)` apply it, `Ok(false)`
/// leave the row as it is (gone, or the version is older), `Err` refused. Only the row's
/// author, its own server, or its own community speaks for it.
pub(crate) fn may_change(
    held: &Held<'_>,
    author: &Url,
    updated: Option<DateTime<Utc>>,
    teller: &Teller<'_>,
) -> Result<bool, InboxError> {
    if held.local || held.author_ap_id != author.as_str() {
        return Err(InboxError::refused(
            "not_author",
            "Only the author may change this object.",
        ));
    }
    let origin = Url::parse(held.ap_id).ok().and_then(|u| authority(&u));
    let allowed = match teller {
        // The author, signing (`check_origin` holds the actor to the object's author).
        Teller::Author { .. } => true,
        Teller::Community { community, .. } => community.id == held.community_id,
        // The library checked that the row's own server served it.
        Teller::Origin => true,
        Teller::Collection { served_by, .. } => origin.as_deref() == Some(*served_by),
    };
    if !allowed {
        return Err(InboxError::refused(
            "not_community_content",
            "A community may only change its own content.",
        ));
    }
    Ok(!held.gone && !is_stale(updated, held.edited_at))
}

/// An edit older than the copy we hold changes nothing.
fn is_stale(incoming: Option<DateTime<Utc>>, held: Option<DateTime<Utc>>) -> bool {
    matches!((incoming, held), (Some(incoming), Some(held)) if incoming < held)
        || (incoming.is_none() && held.is_some())
}

/// What the first steps of the gate decided about an object from outside.
pub(crate) enum Admission<T> {
    /// Read from a collection on another server than its own: this is the version its own
    /// server serves, to be judged as told by `Teller::Origin`.
    Refetched(T),
    /// Deleted before it arrived: it stays deleted.
    Tombstoned,
    /// Passed: go on to the rules of its kind.
    Admitted,
}

/// The first steps of the gate, the same for posts and comments: never one of our ids; a claim
/// read from a collection on another server is fetched from its own server instead; the origin
/// rules; and nothing deleted before it came.
pub(crate) async fn admit<T: DeserializeOwned>(
    id: &Url,
    author: &Url,
    teller: &Teller<'_>,
    data: &Data<ServiceContext>,
) -> Result<Admission<T>, InboxError> {
    refuse_local_id(id, data)?;
    if let Some(served_by) = teller.read_elsewhere(id) {
        tracing::debug!(object = %id, %served_by, "read from its own server instead");
        return Ok(Admission::Refetched(from_its_origin(id, data).await?));
    }
    check_origin(id, author, teller)?;
    if hearth_db::federation::is_tombstoned(&data.pool, id.as_str()).await? {
        return Ok(Admission::Tombstoned);
    }
    Ok(Admission::Admitted)
}

/// Refuses an object whose id is on our own host: ours come from our database.
fn refuse_local_id(id: &Url, data: &Data<ServiceContext>) -> Result<(), InboxError> {
    if authority(id).as_deref() == Some(data.settings.hostname.as_str()) {
        return Err(InboxError::refused(
            "local_id",
            "Objects with ids on this server come from this server only.",
        ));
    }
    Ok(())
}

/// The origin rules: the author lives on the object's server and, when an activity brought the
/// object, is that activity's actor.
fn check_origin(id: &Url, author: &Url, teller: &Teller<'_>) -> Result<(), InboxError> {
    if !same_authority(author, id) {
        return Err(InboxError::refused(
            "origin_mismatch",
            "The object's author lives on another server than the object.",
        ));
    }
    if let Some(actor) = teller.actor() {
        if !same_authority(actor, id) {
            return Err(InboxError::refused(
                "origin_mismatch",
                "The object lives on another server than the activity's actor.",
            ));
        }
        if actor != author {
            return Err(InboxError::refused(
                "not_author",
                "Only the author may create or change this object.",
            ));
        }
    }
    Ok(())
}

/// Fetches an object from its own server (the library checks that the server answers with
/// the id asked for).
async fn from_its_origin<T: DeserializeOwned>(
    id: &Url,
    data: &Data<ServiceContext>,
) -> Result<T, InboxError> {
    let fetched = fetch_object_http::<ServiceContext, Value>(id, data)
        .await
        .map_err(|e| InboxError::Other(anyhow::anyhow!("fetching {id} from its server: {e}")))?;
    serde_json::from_value(fetched.object)
        .map_err(|e| InboxError::unreadable(format!("{id} cannot be read: {e}")))
}

/// The kinds of object read as posts.
pub(crate) fn is_post_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Page" | "Article" | "Note" | "Video" | "Event" | "Question"
    )
}

/// The kinds of object read as comments.
pub(crate) fn is_comment_kind(kind: &str) -> bool {
    matches!(kind, "Note" | "Comment" | "Article")
}

/// A remote person as the permission rules see them.
pub(crate) fn viewer_for(person: &ApubPerson) -> Viewer {
    Viewer {
        person_id: person.row.id,
        name: person.row.name.clone(),
        admin: false,
        token_id: 0,
        // The site's two-factor rule is for our own accounts; a remote person signs.
        second_factor_missing: false,
        last_write_at: None,
    }
}

/// A person by id, from our database or their server.
pub(crate) async fn person(
    url: &Url,
    data: &Data<ServiceContext>,
) -> Result<ApubPerson, InboxError> {
    Ok(ObjectId::<ApubPerson>::from(url.clone())
        .dereference(data)
        .await?)
}

/// A community we hold, by database id (this process's copy when it has one: `lookups`).
pub(crate) async fn community(
    id: i64,
    data: &Data<ServiceContext>,
) -> Result<CommunityRow, InboxError> {
    data.lookups
        .community_for_write(&data.pool, id)
        .await?
        .map(|row| CommunityRow::clone(&row))
        .ok_or_else(|| InboxError::Other(anyhow::anyhow!("community {id} vanished")))
}
