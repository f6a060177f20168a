//! `Add` and `Remove` on a community's `featured` collection (a moderator pins or unpins a post)
//! or its `moderators` collection (moderators come and go). Removing a moderator follows the
//! same seniority rule here as through the API (`hearth_service::moderators::check_removal`):
//! a remote moderator cannot remove those who were moderators before them.

use super::{Standing, standing};
use crate::activities::{Addressing, Context, Received, Target, new_id};
use crate::ingest;
use crate::protocol::context;
use crate::received::{InboxError, deserialize_id};
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use hearth_db::moderation::{ModAction, NewModLogEntry};
use hearth_db::post::PostRow;
use hearth_service::moderators::Remover;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An `Add` or `Remove` with a community collection as `target`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CollectionChange {
    /// The JSON-LD context, on what we send.
    #[serde(rename = "@context", default, skip_serializing_if = "Value::is_null")]
    pub(crate) context: Value,
    /// Its id.
    pub(crate) id: Url,
    /// `Add` or `Remove`.
    #[serde(rename = "type")]
    pub(crate) kind: ChangeKind,
    /// The moderator.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) actor: Url,
    /// Addressing.
    #[serde(flatten)]
    pub(crate) addressing: Addressing,
    /// The post pinned, or the person made (or no longer) a moderator.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) object: Url,
    /// The collection: `<community>/featured` or `<community>/moderators`.
    #[serde(deserialize_with = "deserialize_id")]
    pub(crate) target: Url,
}

/// The type of a [`CollectionChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ChangeKind {
    /// Into the collection.
    Add,
    /// Out of it.
    Remove,
}

/// Which of a community's collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Collection {
    /// Pinned posts.
    Featured,
    /// Moderators.
    Moderators,
}

impl Collection {
    fn path(self) -> &'static str {
        match self {
            Self::Featured => "featured",
            Self::Moderators => "moderators",
        }
    }
}

impl CollectionChange {
    /// Our moderator adds `object` to (or removes it from) a collection of `community`.
    pub(crate) fn new(
        settings: &Settings,
        moderator: &Url,
        community: &CommunityRow,
        collection: Collection,
        kind: ChangeKind,
        object: &str,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            context: context(),
            id: new_id(
                settings,
                if kind == ChangeKind::Add {
                    "add"
                } else {
                    "remove"
                },
            )?,
            kind,
            actor: moderator.clone(),
            addressing: Addressing::community(community),
            object: Url::parse(object)?,
            target: Url::parse(&format!("{}/{}", community.ap_id, collection.path()))?,
        })
    }

    fn added(&self) -> bool {
        self.kind == ChangeKind::Add
    }
}

/// A change that passed its checks.
pub(crate) enum Checked {
    /// A post pinned or unpinned.
    Pin(Box<PostRow>, CommunityRow, Standing),
    /// A person made a moderator or no longer one.
    Moderator(i64, String, CommunityRow, Standing),
}

#[async_trait::async_trait]
impl Received for CollectionChange {
    type Checked = Checked;

    async fn verify(&self, cx: &Context<'_>) -> Result<Option<Checked>, InboxError> {
        let target = self.target.as_str().trim_end_matches('/');
        let (community_id, collection) = match target.rsplit_once('/') {
            Some((community, "featured")) => (community, Collection::Featured),
            Some((community, "moderators")) => (community, Collection::Moderators),
            _ => return Ok(None),
        };
        let Some(community) =
            hearth_db::community::find_by_ap_id(&cx.data.pool, community_id).await?
        else {
            return Ok(None);
        };
        let Some(standing) = standing(&self.actor, &community, cx).await? else {
            return Ok(None);
        };
        if collection == Collection::Featured {
            let Some(Target::Post(post)) = Target::find(self.object.as_str(), cx.data).await?
            else {
                return Ok(None);
            };
            if post.community_id != community.id {
                return Err(InboxError::refused(
                    "not_community_content",
                    "This post belongs to another community.",
                ));
            }
            return Ok(Some(Checked::Pin(Box::new(post), community, standing)));
        }
        let member = ingest::person(&self.object, cx.data).await?;
        Ok(Some(Checked::Moderator(
            member.row.id,
            member.row.name.clone(),
            community,
            standing,
        )))
    }

    async fn receive(self, checked: Checked, cx: &Context<'_>) -> Result<(), InboxError> {
        let Some(mut tx) = cx.receipt.begin(cx.data).await? else {
            return Ok(());
        };
        let add = self.added();
        let (changed, entry, community, standing) = match checked {
            Checked::Pin(post, community, standing) => {
                let changed = hearth_db::moderation::set_featured(&mut *tx, post.id, add).await?;
                let action = if add {
                    ModAction::PinPost
                } else {
                    ModAction::UnpinPost
                };
                let entry = NewModLogEntry {
                    moderator_id: standing.moderator_id,
                    target_post_id: Some(post.id),
                    ..NewModLogEntry::new(community.id, action)
                };
                (changed, entry, community, standing)
            }
            Checked::Moderator(member, name, community, standing) => {
                let changed = if add {
                    hearth_db::moderator::add(&mut *tx, community.id, member).await?
                } else if community.local
                    && hearth_db::moderator::is_moderator(&mut *tx, community.id, member).await?
                {
                    // Our community: the seniority rule, as for our own moderators. A remote
                    // community's own server has decided already.
                    let remover = Remover {
                        person_id: standing.moderator_id.unwrap_or_default(),
                        admin: false,
                    };
                    hearth_service::moderators::check_removal(
                        &mut tx,
                        community.id,
                        remover,
                        member,
                        &name,
                    )
                    .await
                    .map_err(InboxError::Refused)?;
                    hearth_db::moderator::remove(&mut *tx, community.id, member).await?
                } else {
                    hearth_db::moderator::remove(&mut *tx, community.id, member).await?
                };
                let action = if add {
                    ModAction::AddModerator
                } else {
                    ModAction::RemoveModerator
                };
                let entry = NewModLogEntry {
                    moderator_id: standing.moderator_id,
                    target_person_id: Some(member),
                    ..NewModLogEntry::new(community.id, action)
                };
                (changed, entry, community, standing)
            }
        };
        if changed {
            hearth_db::moderation::log(&mut *tx, &entry).await?;
            cx.relay(&mut tx, &community, &self.actor, standing.announce)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
