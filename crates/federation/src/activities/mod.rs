//! Activities, one family per folder and one file per activity (or a small family): the typed
//! shape we read and send, what an arriving one must prove (`Received::verify`: origin,
//! authority, community scope, permission, seniority), what it changes (`Received::receive`,
//! writing through the service layer and the gate of `ingest`), and how we build one to send.
//! `incoming` reads any activity by its `type` and applies it; types we do not handle are
//! acknowledged and ignored. This module holds what they share: the context one is applied in,
//! the `Received` trait, addressing, `Undo`, and the post or comment an activity is about.

pub(crate) mod announce;
pub(crate) mod content;
pub(crate) mod events;
pub(crate) mod following;
pub(crate) mod incoming;
pub(crate) mod moderation;
pub(crate) mod people;
pub(crate) mod polls;
pub(crate) mod reports;
pub(crate) mod site;
pub(crate) mod votes;

use crate::protocol::{PUBLIC, context};
use crate::received::{InboxError, Receipt, Via, deserialize_id};
use crate::urls::{Urls, authority};
use activitypub_federation::config::Data;
use activitypub_federation::error::Error as LibraryError;
use activitypub_federation::fetch::fetch_object_http;
use hearth_core::{Error, ErrorKind, Settings};
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use hearth_service::outbox::Event;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

/// What a received activity is applied with.
pub(crate) struct Context<'a> {
    /// The library's request data (the service context, and this request's fetch budget).
    pub(crate) data: &'a Data<ServiceContext>,
    /// How it reached us.
    pub(crate) via: Via,
    /// Its id (and the id of the Announce that carried it), recorded where it is applied.
    pub(crate) receipt: Receipt,
    /// The activity as received: what one of our communities announces, verbatim.
    pub(crate) raw: &'a Value,
}

impl Context<'_> {
    /// Where content of `community` may be applied, given how the activity reached us:
    /// `Ok(Some(true))` apply and announce (our community, sent to us), `Ok(Some(false))` apply
    /// only (announced by the community itself), `Ok(None)` not ours to apply.
    pub(crate) fn scope(&self, community: &CommunityRow) -> Result<Option<bool>, InboxError> {
        match &self.via {
            Via::Direct if community.local => Ok(Some(true)),
            Via::Direct => Ok(None),
            Via::Announced(announcer) if announcer.id == community.id => Ok(Some(false)),
            Via::Announced(_) => Err(InboxError::refused(
                "not_community_content",
                "A community may only announce its own content.",
            )),
        }
    }

    /// Announces the received activity to the members of our `community` (when `announce`),
    /// in the transaction that applied it, skipping the server it came from.
    pub(crate) async fn relay(
        &self,
        tx: &mut sqlx::PgConnection,
        community: &CommunityRow,
        actor: &Url,
        announce: bool,
    ) -> Result<(), InboxError> {
        if announce {
            let event = Event::Relayed {
                community_id: community.id,
                activity: self.raw.clone(),
                skip_authority: authority(actor),
            };
            hearth_service::outbox::record(self.data, tx, event).await?;
        }
        Ok(())
    }

    /// Relays the received activity from our `community` to chosen inboxes only.
    pub(crate) async fn relay_to(
        &self,
        tx: &mut sqlx::PgConnection,
        community: &CommunityRow,
        inboxes: Vec<String>,
    ) -> Result<(), InboxError> {
        let event = Event::RelayedTo {
            community_id: community.id,
            activity: self.raw.clone(),
            inboxes,
        };
        hearth_service::outbox::record(self.data, tx, event).await?;
        Ok(())
    }
}

/// A received activity of one kind.
#[async_trait::async_trait]
pub(crate) trait Received: Sized + Send + Sync {
    /// What `verify` found and `receive` writes with (the target row, the community, …).
    type Checked: Send;

    /// Everything the activity must prove before it changes anything. `None`: not ours to
    /// apply (acknowledged and ignored).
    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Self::Checked>, InboxError>;

    /// What the activity changes, in the transaction its receipt begins.
    async fn receive(self, checked: Self::Checked, cx: &Context<'_>) -> Result<(), InboxError>;
}

/// Verifies, then receives.
pub(crate) async fn apply<A: Received>(activity: A, cx: &Context<'_>) -> Result<(), InboxError> {
    match activity.verify(cx).await? {
        Some(checked) => activity.receive(checked, cx).await,
        None => Ok(()),
    }
}

/// Reads the activity as `A`, or answers 400.
pub(crate) fn read<A: serde::de::DeserializeOwned>(raw: &Value) -> Result<A, InboxError> {
    serde_json::from_value(raw.clone()).map_err(|e| {
        let kind = raw
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("activity");
        InboxError::unreadable(format!("The {kind} cannot be read: {e}"))
    })
}

/// `Undo` of an activity: its own type, and what each undoes lives beside the activity.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Undo<T> {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Undo`.
    #[serde(rename = "type")]
    pub(crate) kind: UndoKind,
    /// Who undoes: the undone activity's actor.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// What is undone, embedded.
    pub(crate) object: T,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
}

/// The type of an [`Undo`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(crate) enum UndoKind {
    /// `Undo`.
    Undo,
}

impl<T: Serialize> Undo<T> {
    /// Our `Undo` of `object`, by `actor`, addressed as the object was.
    pub(crate) fn of(
        settings: &Settings,
        actor: &Url,
        object: T,
        addressing: Addressing,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(settings, "undo")?,
            kind: UndoKind::Undo,
            actor: actor.clone(),
            object,
            addressing,
        })
    }
}

/// Addressing. What we send is addressed as Lemmy addresses it: public, with the community in
/// `cc` and `audience`. What we read is lenient: one value or a list, any spelling of public.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Addressing {
    /// `to`.
    #[serde(
        default,
        deserialize_with = "strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) to: Vec<String>,
    /// `cc`.
    #[serde(
        default,
        deserialize_with = "strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) cc: Vec<String>,
    /// The community (FEP-1b12).
    #[serde(
        default,
        deserialize_with = "crate::received::deserialize_optional_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) audience: Option<Url>,
}

impl Addressing {
    /// Public, in `community`.
    pub(crate) fn community(community: &CommunityRow) -> Self {
        Self {
            to: vec![PUBLIC.to_owned()],
            cc: vec![community.ap_id.clone()],
            audience: Url::parse(&community.ap_id).ok(),
        }
    }

    /// To one actor only.
    pub(crate) fn to(actor: &str) -> Self {
        Self {
            to: vec![actor.to_owned()],
            ..Self::default()
        }
    }
}

/// Strings from one string or a list (other values are skipped).
fn strings<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(s) => vec![s],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    })
}

/// A fresh id for an activity of ours of `kind` (`create`, `like`, …).
pub(crate) fn new_id(settings: &Settings, kind: &str) -> anyhow::Result<Url> {
    Urls(settings).activity(kind, &uuid::Uuid::new_v4().to_string())
}

/// The object of an activity: embedded, or fetched from its own server by id.
pub(crate) async fn object_json(
    object: &Value,
    data: &Data<ServiceContext>,
) -> Result<Value, InboxError> {
    match object {
        Value::Object(_) => Ok(object.clone()),
        Value::String(id) => {
            let url = Url::parse(id)
                .map_err(|_| InboxError::unreadable("The object id is not a URL."))?;
            let fetched = fetch_object_http::<ServiceContext, Value>(&url, data)
                .await
                .map_err(|e| match e {
                    LibraryError::NotFound | LibraryError::ObjectDeleted(_) => {
                        InboxError::unreadable(format!("The object {url} does not exist."))
                    }
                    // Its own server could not answer now: the sender retries later (503).
                    e => InboxError::Refused(Error::new(ErrorKind::Unavailable(format!(
                        "The object {url} could not be fetched from its server ({e}); retry later."
                    )))),
                })?;
            Ok(fetched.object)
        }
        _ => Err(InboxError::unreadable("The activity has no object.")),
    }
}

/// What a Delete, Like, Lock or Flag is about: a post or a comment we hold.
pub(crate) enum Target {
    /// A post.
    Post(hearth_db::post::PostRow),
    /// A comment, and its post.
    Comment(
        Box<hearth_db::comment::CommentRow>,
        hearth_db::post::PostRow,
    ),
}

impl Target {
    /// The post or comment with this ActivityPub id, when we hold it.
    pub(crate) async fn find(
        ap_id: &str,
        ctx: &ServiceContext,
    ) -> Result<Option<Self>, InboxError> {
        if let Some(post) = hearth_db::post::find_by_ap_id(&ctx.pool, ap_id, None).await? {
            return Ok(Some(Self::Post(post)));
        }
        if let Some(comment) = hearth_db::comment::find_by_ap_id(&ctx.pool, ap_id, None).await?
            && let Some(post) = hearth_db::post::find(&ctx.pool, comment.post_id, None).await?
        {
            return Ok(Some(Self::Comment(Box::new(comment), post)));
        }
        Ok(None)
    }

    /// The post it is, or is in.
    pub(crate) fn post(&self) -> &hearth_db::post::PostRow {
        match self {
            Self::Post(p) | Self::Comment(_, p) => p,
        }
    }

    /// Its author's ActivityPub id.
    pub(crate) fn author(&self) -> &str {
        match self {
            Self::Post(p) => &p.author_ap_id,
            Self::Comment(c, _) => &c.author_ap_id,
        }
    }

    /// Its ActivityPub id.
    pub(crate) fn ap_id(&self) -> &str {
        match self {
            Self::Post(p) => &p.ap_id,
            Self::Comment(c, _) => &c.ap_id,
        }
    }

    /// Deleted or removed, itself or its post.
    pub(crate) fn gone(&self) -> bool {
        match self {
            Self::Post(p) => p.deleted || p.removed,
            Self::Comment(c, p) => c.deleted || c.removed || p.deleted || p.removed,
        }
    }

    /// The community it lives in: every change to it is judged against this one.
    pub(crate) async fn community(&self, ctx: &ServiceContext) -> Result<CommunityRow, InboxError> {
        ctx.lookups
            .community_for_write(&ctx.pool, self.post().community_id)
            .await?
            .map(|row| CommunityRow::clone(&row))
            .ok_or_else(|| InboxError::Other(anyhow::anyhow!("community vanished")))
    }
}
