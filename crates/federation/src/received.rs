//! What everything received from other servers shares: the error the sender sees
//! (`InboxError`), the receipt that applies an activity exactly once, and how an activity
//! reached us (`Via`). It sits below the gate (`ingest`), the objects and the activities, which
//! all use it.

use activitypub_federation::config::Data;
use activitypub_federation::error::Error as LibraryError;
use hearth_core::{Error, ErrorKind};
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

/// How an activity reached us.
#[derive(Debug, Clone)]
pub(crate) enum Via {
    /// Sent to us by its actor: it counts only for our own communities.
    Direct,
    /// Announced by this remote community: it counts only for that community's content.
    Announced(Box<CommunityRow>),
}

/// The transaction an activity is applied in.
pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// The ids of the activities being applied (an Announce and the activity it carries). They are
/// recorded in the transaction that applies them, so an activity is applied exactly once: a
/// concurrent duplicate finds them recorded, and a crash before commit records nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct Receipt(Vec<String>);

impl Receipt {
    /// The receipt of one received activity.
    pub(crate) fn of(id: &Url) -> Self {
        Self(vec![id.to_string()])
    }

    /// No activity to record: an object fetched or read from a collection.
    pub(crate) fn none() -> Self {
        Self::default()
    }

    /// Begins the transaction of the change, recording the ids; `None` when one of them was
    /// recorded meanwhile (a duplicate being applied concurrently).
    pub(crate) async fn begin(
        &self,
        data: &Data<ServiceContext>,
    ) -> Result<Option<Tx>, InboxError> {
        let mut tx = data.pool.begin().await?;
        for id in &self.0 {
            if !hearth_db::federation::mark_received(&mut *tx, id).await? {
                return Ok(None);
            }
        }
        Ok(Some(tx))
    }

    /// This receipt with the id of an activity carried inside the received one.
    pub(crate) fn with(&self, id: &Url) -> Self {
        let mut ids = self.0.clone();
        ids.push(id.to_string());
        Self(ids)
    }
}

/// Why an activity was not applied.
#[derive(Debug)]
pub enum InboxError {
    /// The library refused it (signature, digest, parsing, fetching the actor).
    Library(LibraryError),
    /// We refused it, with the status and code the sender sees.
    Refused(Error),
    /// Something failed on our side.
    Other(anyhow::Error),
}

impl InboxError {
    /// Refused with 403 and a code.
    pub(crate) fn refused(code: &'static str, message: &str) -> Self {
        Self::Refused(Error::forbidden(code, message.to_owned()))
    }

    /// Refused with 400: the activity cannot be read as what it claims to be.
    pub(crate) fn unreadable(message: impl Into<String>) -> Self {
        Self::Refused(Error::bad_request("malformed_activity", message))
    }

    /// A failure of the library caused by a bad signature (the key may have been rotated).
    pub(crate) fn is_bad_signature(&self) -> bool {
        matches!(self, Self::Library(LibraryError::ActivitySignatureInvalid))
    }

    /// The response the sender gets.
    pub fn into_error(self) -> Error {
        match self {
            Self::Refused(e) => e,
            Self::Other(e) => e.into(),
            Self::Library(e) => match &e {
                LibraryError::ActivitySignatureInvalid => Error::unauthorized(
                    "invalid_signature",
                    "The HTTP signature does not verify with the actor's key.",
                ),
                LibraryError::ActivityBodyDigestInvalid => Error::unauthorized(
                    "invalid_digest",
                    "The Digest header is missing or does not match the body.",
                ),
                LibraryError::ParseReceivedActivity { err, .. } => Error::bad_request(
                    "malformed_activity",
                    format!("The activity cannot be read: {err}"),
                ),
                LibraryError::UrlVerificationError(why) => Error::forbidden("url_refused", *why),
                LibraryError::NotFound | LibraryError::ObjectDeleted(_) => Error::unauthorized(
                    "unknown_actor",
                    "The activity's actor cannot be found to verify its signature.",
                ),
                // Reaching the actor's server failed for now: the sender should retry.
                LibraryError::Reqwest(_)
                | LibraryError::ReqwestMiddleware(_)
                | LibraryError::RequestLimit
                | LibraryError::DomainResolveError(_)
                | LibraryError::IoError(_) => Error::new(ErrorKind::Unavailable(format!(
                    "A server this activity depends on could not be reached ({e}); retry later."
                ))),
                other => Error::unauthorized(
                    "actor_unverifiable",
                    format!("The activity's actor could not be verified: {other}"),
                ),
            },
        }
    }
}

impl std::fmt::Display for InboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Library(e) => write!(f, "{e}"),
            Self::Refused(e) => write!(f, "refused: {e}"),
            Self::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for InboxError {}

impl From<LibraryError> for InboxError {
    fn from(e: LibraryError) -> Self {
        Self::Library(e)
    }
}

impl From<anyhow::Error> for InboxError {
    fn from(e: anyhow::Error) -> Self {
        let e = match e.downcast::<InboxError>() {
            Ok(inbox) => return inbox,
            Err(e) => e,
        };
        match e.downcast::<LibraryError>() {
            Ok(library) => Self::Library(library),
            Err(e) => match e.downcast::<Error>() {
                Ok(refused) => Self::Refused(refused),
                Err(e) => Self::Other(e),
            },
        }
    }
}

impl From<Error> for InboxError {
    fn from(e: Error) -> Self {
        Self::Refused(e)
    }
}

impl From<sqlx::Error> for InboxError {
    fn from(e: sqlx::Error) -> Self {
        Self::Other(e.into())
    }
}

/// The id of a field given as a URL string or as an object with an `id`.
pub fn id_of(value: Option<&Value>) -> Option<Url> {
    match value? {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(map) => map
            .get("id")
            .and_then(Value::as_str)
            .and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

/// Reads a field given as a URL or as an object with an `id` (servers embed or refer).
pub(crate) fn deserialize_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let value = Value::deserialize(deserializer)?;
    id_of(Some(&value))
        .ok_or_else(|| serde::de::Error::custom("expected a URL or an object with an id"))
}

/// Reads an optional field given as a URL or as an object with an `id`.
pub(crate) fn deserialize_optional_id<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Url>, D::Error> {
    let value = Option::<Value>::deserialize(deserializer)?;
    Ok(value.and_then(|v| id_of(Some(&v))))
}

/// Reads a field that may be one URL-or-object or a list of them, as a list of ids.
pub(crate) fn deserialize_ids<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Url>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Array(items) => items.iter().filter_map(|v| id_of(Some(v))).collect(),
        one => id_of(Some(&one)).into_iter().collect(),
    })
}
