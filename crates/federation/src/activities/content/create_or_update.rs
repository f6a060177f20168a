//! `Create` and `Update` of a post (`Page`, or another type servers use for posts) or a comment
//! (`Note` with `inReplyTo`): received, every object passes the gate (`ApubPost::judge`,
//! `ApubComment::judge`) and one of our communities announces what it applied; sent, the
//! author's activity wraps our `Page` or `Note`.

use crate::activities::polls::{self, Ballot, Reading};
use crate::activities::{Addressing, Context, Received, new_id, object_json};
use crate::ingest::{Teller, Verdict};
use crate::objects::comment::{ApubComment, CommentWrite};
use crate::objects::post::{ApubPost, PostWrite};
use crate::protocol::objects::{Note, Page, author_of};
use crate::protocol::{context, is_addressed_publicly};
use crate::received::{InboxError, Receipt, Via, deserialize_id, id_of};
use activitypub_federation::config::Data;
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use hearth_core::{Error, ErrorKind, Settings};
use hearth_db::community::CommunityRow;
use hearth_service::ServiceContext;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// A `Create` or `Update` of a post or comment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateOrUpdate {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Create` or `Update`.
    #[serde(rename = "type")]
    pub(crate) kind: CreateOrUpdateKind,
    /// The author.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The post or comment, embedded (or, received, maybe only its id).
    pub(crate) object: Value,
}

/// The type of a [`CreateOrUpdate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum CreateOrUpdateKind {
    /// A new object.
    Create,
    /// A changed object.
    Update,
}

impl CreateOrUpdate {
    /// Our author's `Create` or `Update` of `object` (a `Page` or `Note`) in `community`.
    pub(crate) fn new(
        settings: &Settings,
        kind: CreateOrUpdateKind,
        actor: &Url,
        community: &CommunityRow,
        object: Value,
    ) -> anyhow::Result<Self> {
        let name = match kind {
            CreateOrUpdateKind::Create => "create",
            CreateOrUpdateKind::Update => "update",
        };
        Ok(Self {
            context: context(),
            id: new_id(settings, name)?,
            kind,
            actor: actor.clone(),
            addressing: Addressing::community(community),
            object,
        })
    }
}

impl CreateOrUpdate {
    /// The author's `Create` of an object that arrived without one (a post a community announced
    /// bare, a parent fetched from its own server), with the id `id` and the object's addressing;
    /// `None` when the object names no author.
    pub(crate) fn of_bare(id: Url, object: Value) -> Option<Self> {
        let actor = object.get("attributedTo").and_then(author_of)?;
        let addressing: Addressing = serde_json::from_value(object.clone()).ok()?;
        Some(Self {
            context: Value::Null,
            id,
            kind: CreateOrUpdateKind::Create,
            actor,
            addressing: Addressing {
                audience: None,
                ..addressing
            },
            object,
        })
    }
}

/// A post or comment that passed the gate.
pub(crate) enum Written {
    /// A post.
    Post(Box<PostWrite>),
    /// A comment.
    Comment(Box<CommentWrite>),
    /// A vote in one of our polls (a `Note` with a `name` and no content).
    Vote(Ballot),
}

#[async_trait::async_trait]
impl Received for CreateOrUpdate {
    type Checked = Written;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Written>, InboxError> {
        let object = object_json(&self.object, cx.data).await?;
        if self.kind == CreateOrUpdateKind::Create && polls::looks_like_vote(&object) {
            // Votes are addressed to the poll's author only, so they come before the check for
            // public content; they are counted, never stored as comments.
            match polls::read_vote(&self.actor, &object, cx).await? {
                Reading::Vote(ballot) => return Ok(Some(Written::Vote(ballot))),
                Reading::Ignored => return Ok(None),
                Reading::NotAVote => {}
            }
        }
        if !is_addressed_publicly(&object) && !is_addressed_publicly(cx.raw) {
            // Direct messages and followers-only notes are not community content.
            return Ok(None);
        }
        let teller = match &cx.via {
            Via::Direct => Teller::Author { actor: &self.actor },
            Via::Announced(community) => Teller::Community {
                community,
                actor: &self.actor,
            },
        };
        if object.get("inReplyTo").is_some_and(|v| !v.is_null()) {
            let note: Note = serde_json::from_value(object)
                .map_err(|e| InboxError::unreadable(format!("The comment cannot be read: {e}")))?;
            let mentions_ours = mentions_local_person(
                cx.data,
                crate::objects::mentioned(note.tag.as_ref(), &note.to, &note.cc),
            );
            let mut verdict = ApubComment::judge(note.clone(), teller, cx.data).await?;
            if matches!(cx.via, Via::Direct)
                && mentions_ours
                && matches!(verdict, Verdict::Ignore | Verdict::NeedsParent(_))
            {
                // Sent to us because it mentions one of our people, in a thread of another
                // server's community: not ours to relay, but theirs to hear of. It is read
                // from its own server, as a lookup would (thread and community included), and
                // stored through the gate, which notifies them.
                let fetched = ObjectId::<ApubComment>::from(note.id.clone())
                    .dereference(cx.data)
                    .await;
                if let Err(e) = fetched {
                    unread_mention(&note.id, &e);
                }
                return Ok(None);
            }
            if let Verdict::NeedsParent(parent) = &verdict {
                // Our own community: the parent is usually still on its way, but it may never
                // come (Mastodon addresses a reply only to its parent's author, so a reply to
                // such a reply arrives without the middle of its thread). The parent is fetched
                // from its own server and applied as if its author had sent it here, parents
                // first; the fetch budget of this request bounds the climb. When that fails,
                // the sender retries later.
                if let Err(e) = thread_in_parent(parent, cx.data).await {
                    tracing::debug!(%parent, error = ?e, "cannot fetch a missing parent");
                    return Err(not_yet());
                }
                verdict = ApubComment::judge(note, teller, cx.data).await?;
            }
            Ok(match verdict {
                Verdict::Write(write) => Some(Written::Comment(Box::new(write))),
                Verdict::NeedsParent(_) => return Err(not_yet()),
                Verdict::Ignore | Verdict::Keep(_) => None,
            })
        } else {
            let page: Page = serde_json::from_value(object)
                .map_err(|e| InboxError::unreadable(format!("The post cannot be read: {e}")))?;
            let mentions_ours = mentions_local_person(
                cx.data,
                crate::objects::mentioned(page.tag.as_ref(), &page.to, &page.cc),
            );
            let id = page.id.clone();
            let verdict = ApubPost::judge(page, teller, cx.data).await?;
            if matches!(cx.via, Via::Direct) && mentions_ours && matches!(verdict, Verdict::Ignore)
            {
                // As for comments above.
                if let Err(e) = ObjectId::<ApubPost>::from(id.clone())
                    .dereference(cx.data)
                    .await
                {
                    unread_mention(&id, &e);
                }
                return Ok(None);
            }
            Ok(match verdict {
                Verdict::Write(write) => Some(Written::Post(Box::new(write))),
                Verdict::Ignore | Verdict::Keep(_) | Verdict::NeedsParent(_) => None,
            })
        }
    }

    async fn receive(self, written: Written, cx: &Context<'_>) -> Result<(), InboxError> {
        if let Written::Vote(ballot) = written {
            return ballot.count(cx).await;
        }
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let (community, author) = match &written {
            Written::Post(write) => {
                write.store(&mut tx).await?;
                (&write.community, &write.author)
            }
            Written::Comment(write) => {
                write.store(&mut tx).await?;
                (&write.community, &write.author)
            }
            // Counted above, before this transaction.
            Written::Vote(_) => return Ok(()),
        };
        // Sent to us, the gate lets content into our own communities only: announce it.
        let announce = matches!(cx.via, Via::Direct);
        cx.relay(&mut tx, community, author, announce).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Whether any of these ids is one of our people.
fn mentions_local_person(data: &Data<ServiceContext>, ids: Vec<String>) -> bool {
    let ours = format!("{}/u/", data.settings.public_base_url());
    ids.iter().any(|id| id.starts_with(&ours))
}

/// A post or comment that mentions our people could not be read from its own server: logged,
/// not answered, as the sender did nothing wrong by telling us; the mention is what is lost.
fn unread_mention(id: &Url, error: &dyn std::fmt::Debug) {
    tracing::info!(%id, ?error, "cannot read a post or comment that mentions our people");
}

fn not_yet() -> InboxError {
    InboxError::Refused(Error::new(ErrorKind::Unavailable(
        "The comment's parent has not arrived here yet; retry later.".to_owned(),
    )))
}

/// Fetches a comment we miss in one of our own communities from its author's server and applies
/// it as a `Create` from its author (so it is announced to the members like any comment); its
/// own missing parents are fetched the same way first.
async fn thread_in_parent(url: &Url, data: &Data<ServiceContext>) -> Result<(), InboxError> {
    let fetched = fetch_object_http::<ServiceContext, Value>(url, data)
        .await
        .map_err(|e| InboxError::Other(anyhow::anyhow!("{e}")))?
        .object;
    if fetched.get("inReplyTo").is_none_or(Value::is_null) {
        return Err(InboxError::unreadable("The parent is not a comment."));
    }
    if !is_addressed_publicly(&fetched) {
        // A private reply is not ours to show in a public thread.
        return Err(InboxError::refused(
            "not_public",
            "The parent is not public.",
        ));
    }
    if id_of(fetched.get("id")).as_ref() != Some(url) {
        return Err(InboxError::refused(
            "origin_mismatch",
            "The parent's id is not the address it was fetched from.",
        ));
    }
    let id = Url::parse(&format!("{url}#create"))
        .map_err(|_| InboxError::unreadable("The parent's id is not a URL."))?;
    let activity = CreateOrUpdate::of_bare(id, fetched)
        .ok_or_else(|| InboxError::unreadable("The parent has no author."))?;
    let create = serde_json::to_value(&activity).map_err(|e| InboxError::Other(e.into()))?;
    let cx = Context {
        data,
        via: Via::Direct,
        receipt: Receipt::none(),
        raw: &create,
    };
    Box::pin(crate::activities::apply(activity, &cx)).await
}
