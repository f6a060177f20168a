//! The outbox: turns service events into activities (shaped as Lemmy emits them) and stores
//! each as frozen JSON with its deliveries, inside the transaction that made the change.
//!
//! Routing follows FEP-1b12: in one of our communities the community `Announce`s the
//! activity to its remote members' inboxes (shared inboxes once, never back to the server the
//! activity came from); in a remote community the activity goes to that community's inbox, and
//! the community announces it to everyone else.

mod events;
mod page_fallback;
mod polls;

use crate::activities::announce::Announce;
use crate::activities::content::CreateOrUpdate;
use crate::activities::content::create_or_update::CreateOrUpdateKind;
use crate::activities::content::delete::Delete;
use crate::activities::content::delete::removal;
use crate::activities::following::answer::AnswerKind;
use crate::activities::following::{Answer, Follow};
use crate::activities::moderation::ban::{BanTerms, Block};
use crate::activities::moderation::collection::{ChangeKind, Collection, CollectionChange};
use crate::activities::moderation::delete_group::DeleteGroup;
use crate::activities::moderation::lock::Lock;
use crate::activities::moderation::update_group::UpdateGroup;
use crate::activities::people::delete::DeletePerson;
use crate::activities::people::update::UpdatePerson;
use crate::activities::reports::flag::Flag;
use crate::activities::reports::resolve::Resolve;
use crate::activities::site::block::SiteBan;
use crate::activities::votes::{Vote, VoteKind};
use crate::activities::{Addressing, Undo, new_id};
use crate::objects::comment::note_of;
use crate::objects::person::person_of;
use crate::objects::post::{PostExtras, page_of};
use crate::protocol::PUBLIC;
use crate::urls::authority;
use hearth_core::Settings;
use hearth_db::community::CommunityRow;
use hearth_db::federation::Audience;
use hearth_service::outbox::{Event, Outbox, RecordFuture};
use serde_json::Value;
use sqlx::PgConnection;
use std::sync::Arc;
use url::Url;

/// The federation side of [`Outbox`].
pub struct FederatedOutbox {
    settings: Arc<Settings>,
}

impl FederatedOutbox {
    /// An outbox building ids from `settings.hostname`.
    pub fn new(settings: Arc<Settings>) -> Self {
        Self { settings }
    }
}

impl Outbox for FederatedOutbox {
    fn record<'a>(&'a self, conn: &'a mut PgConnection, event: Event) -> RecordFuture<'a> {
        Box::pin(async move { record(conn, &self.settings, event).await })
    }
}

/// Records what `event` means for other servers, in `conn`'s transaction. Every activity is
/// built from its type in `activities`, the same type that reads it when another server sends
/// it.
pub(crate) async fn record(
    conn: &mut PgConnection,
    settings: &Settings,
    event: Event,
) -> anyhow::Result<()> {
    match event {
        Event::PostCreated(id) | Event::PostUpdated(id) => {
            let post = find_post(conn, id).await?;
            let kind = if matches!(event, Event::PostCreated(_)) {
                CreateOrUpdateKind::Create
            } else {
                CreateOrUpdateKind::Update
            };
            let mentions = hearth_db::mention::of_post(&mut *conn, id).await?;
            let images = hearth_db::media::post_images(&mut *conn, id).await?;
            let extras = PostExtras::load(conn, id).await?;
            let object = serde_json::to_value(page_of(&post, &mentions, &images, &extras)?)?;
            let community = find_community(conn, post.community_id).await?;
            let author = Url::parse(&post.author_ap_id)?;
            let activity = json(&CreateOrUpdate::new(
                settings, kind, &author, &community, object,
            )?)?;
            tell_mentioned(conn, &activity, &post.author_ap_id, &community, &mentions).await?;
            route(
                conn,
                settings,
                activity,
                &post.author_ap_id,
                &community,
                None,
            )
            .await
        }
        Event::PostDeleted(id) => {
            let post = find_post(conn, id).await?;
            let community = find_community(conn, post.community_id).await?;
            let author = Url::parse(&post.author_ap_id)?;
            let activity = Delete::new(settings, &author, &community, &post.ap_id, None)?;
            route(
                conn,
                settings,
                json(&activity)?,
                &post.author_ap_id,
                &community,
                None,
            )
            .await
        }
        Event::CommentCreated(id) | Event::CommentUpdated(id) | Event::CommentDeleted(id) => {
            let comment = hearth_db::comment::find(&mut *conn, id, None)
                .await?
                .ok_or_else(|| anyhow::anyhow!("comment {id} vanished"))?;
            let post = find_post(conn, comment.post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            let author = Url::parse(&comment.author_ap_id)?;
            let activity = match event {
                Event::CommentCreated(_) | Event::CommentUpdated(_) => {
                    let kind = if matches!(event, Event::CommentCreated(_)) {
                        CreateOrUpdateKind::Create
                    } else {
                        CreateOrUpdateKind::Update
                    };
                    let object = serde_json::to_value(note_of(conn, &comment).await?)?;
                    let activity = json(&CreateOrUpdate::new(
                        settings, kind, &author, &community, object,
                    )?)?;
                    let mentions = hearth_db::mention::of_comment(&mut *conn, id).await?;
                    tell_mentioned(
                        conn,
                        &activity,
                        &comment.author_ap_id,
                        &community,
                        &mentions,
                    )
                    .await?;
                    activity
                }
                _ => json(&Delete::new(
                    settings,
                    &author,
                    &community,
                    &comment.ap_id,
                    None,
                )?)?,
            };
            route(
                conn,
                settings,
                activity,
                &comment.author_ap_id,
                &community,
                None,
            )
            .await
        }
        Event::PostVoted {
            post_id,
            person_id,
            old,
            new,
        } => {
            let post = find_post(conn, post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            vote(conn, settings, person_id, &post.ap_id, &community, old, new).await
        }
        Event::CommentVoted {
            comment_id,
            person_id,
            old,
            new,
        } => {
            let comment = hearth_db::comment::find(&mut *conn, comment_id, None)
                .await?
                .ok_or_else(|| anyhow::anyhow!("comment {comment_id} vanished"))?;
            let post = find_post(conn, comment.post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            vote(
                conn,
                settings,
                person_id,
                &comment.ap_id,
                &community,
                old,
                new,
            )
            .await
        }
        Event::Followed {
            community_id,
            person_id,
        } => {
            let community = find_community(conn, community_id).await?;
            let person = find_person(conn, person_id).await?;
            let follow = Follow::new(settings, &person.ap_id, &community)?;
            hearth_db::membership::set_follow_ap_id(
                &mut *conn,
                community_id,
                person_id,
                follow.id.as_str(),
            )
            .await?;
            let inbox = community_inbox(&community)?;
            store(conn, &json(&follow)?, &person.ap_id, &[inbox]).await
        }
        Event::Unfollowed {
            community_id,
            person_id,
        } => {
            let community = find_community(conn, community_id).await?;
            let person = find_person(conn, person_id).await?;
            let mut follow = Follow::new(settings, &person.ap_id, &community)?;
            follow.context = Value::Null;
            follow.to = Vec::new();
            let undo = Undo::of(
                settings,
                &Url::parse(&person.ap_id)?,
                follow,
                Addressing::to(&community.ap_id),
            )?;
            let inbox = community_inbox(&community)?;
            store(conn, &json(&undo)?, &person.ap_id, &[inbox]).await
        }
        Event::Accepted {
            community_id,
            person_id,
        }
        | Event::Rejected {
            community_id,
            person_id,
        } => {
            let community = find_community(conn, community_id).await?;
            let person = find_person(conn, person_id).await?;
            let follow_id =
                hearth_db::membership::follow_ap_id(&mut *conn, community_id, person_id).await?;
            let kind = if matches!(event, Event::Accepted { .. }) {
                AnswerKind::Accept
            } else {
                AnswerKind::Reject
            };
            let follow_id = follow_id.unwrap_or_else(|| format!("{}#follow", person.ap_id));
            let follow =
                Follow::answered(Url::parse(&follow_id)?, &person.ap_id, &community.ap_id)?;
            let answer = Answer::new(settings, &community, follow, kind)?;
            let inbox = person
                .inbox_url
                .clone()
                .ok_or_else(|| anyhow::anyhow!("{} has no inbox", person.ap_id))?;
            store(conn, &json(&answer)?, &community.ap_id, &[inbox]).await
        }
        Event::PostRemoved {
            post_id,
            moderator_id,
            removed,
            ref reason,
        } => {
            let post = find_post(conn, post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            let activity = removal(
                settings,
                &Url::parse(&moderator.ap_id)?,
                &community,
                &post.ap_id,
                reason,
                removed,
            )?;
            route(conn, settings, activity, &moderator.ap_id, &community, None).await
        }
        Event::CommentRemoved {
            comment_id,
            moderator_id,
            removed,
            ref reason,
        } => {
            let comment = hearth_db::comment::find(&mut *conn, comment_id, None)
                .await?
                .ok_or_else(|| anyhow::anyhow!("comment {comment_id} vanished"))?;
            let post = find_post(conn, comment.post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            let activity = removal(
                settings,
                &Url::parse(&moderator.ap_id)?,
                &community,
                &comment.ap_id,
                reason,
                removed,
            )?;
            route(conn, settings, activity, &moderator.ap_id, &community, None).await
        }
        Event::PostLocked {
            post_id,
            moderator_id,
            locked,
        } => {
            let post = find_post(conn, post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            let actor = Url::parse(&moderator.ap_id)?;
            let lock = Lock::new(settings, &actor, &community, &post.ap_id)?;
            let activity = if locked {
                json(&lock)?
            } else {
                json(&undo(settings, &actor, &community, lock, |l| {
                    l.context = Value::Null
                })?)?
            };
            route(conn, settings, activity, &moderator.ap_id, &community, None).await
        }
        Event::PostFeatured {
            post_id,
            moderator_id,
            featured,
        } => {
            let post = find_post(conn, post_id).await?;
            let community = find_community(conn, post.community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            let kind = if featured {
                ChangeKind::Add
            } else {
                ChangeKind::Remove
            };
            let activity = CollectionChange::new(
                settings,
                &Url::parse(&moderator.ap_id)?,
                &community,
                Collection::Featured,
                kind,
                &post.ap_id,
            )?;
            route(
                conn,
                settings,
                json(&activity)?,
                &moderator.ap_id,
                &community,
                None,
            )
            .await
        }
        Event::Banned {
            community_id,
            person_id,
            moderator_id,
            banned,
            reason,
            expires_at,
            remove_data,
        } => {
            let community = find_community(conn, community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            let person = find_person(conn, person_id).await?;
            let actor = Url::parse(&moderator.ap_id)?;
            let terms = BanTerms {
                reason,
                expires_at,
                remove_data,
            };
            let block = Block::new(
                settings,
                &actor,
                &person.ap_id,
                &Url::parse(&community.ap_id)?,
                Addressing::community(&community),
                &terms,
            )?;
            let activity = if banned {
                json(&block)?
            } else {
                json(&undo(settings, &actor, &community, block, |b| {
                    b.context = Value::Null
                })?)?
            };
            route(conn, settings, activity, &moderator.ap_id, &community, None).await
        }
        Event::ModeratorChanged {
            community_id,
            person_id,
            moderator_id,
            added,
        } => {
            let community = find_community(conn, community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            let person = find_person(conn, person_id).await?;
            let kind = if added {
                ChangeKind::Add
            } else {
                ChangeKind::Remove
            };
            let activity = CollectionChange::new(
                settings,
                &Url::parse(&moderator.ap_id)?,
                &community,
                Collection::Moderators,
                kind,
                &person.ap_id,
            )?;
            route(
                conn,
                settings,
                json(&activity)?,
                &moderator.ap_id,
                &community,
                None,
            )
            .await
        }
        Event::ReportFiled(id) => {
            let report = hearth_db::report::find(&mut *conn, id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("report {id} vanished"))?;
            let community = find_community(conn, report.community_id).await?;
            let reporter = report_author(conn, id).await?;
            let Some((object, author_id)) = reported(conn, &report).await? else {
                return Ok(());
            };
            let flag = Flag::new(
                &report.ap_id,
                &reporter,
                &object,
                &community,
                &report.reason,
            )?
            .to_json()?;
            // The admins of the content's home server hear of it too.
            let author = find_person(conn, author_id).await?;
            let mut direct = Vec::new();
            if !author.local && author.host != community.host {
                direct.extend(author.shared_inbox_url.clone().or(author.inbox_url.clone()));
            }
            if community.local {
                let moderators =
                    hearth_db::report::remote_moderator_inboxes(&mut *conn, community.id).await?;
                announce_to(conn, settings, flag.clone(), &community, &moderators).await?;
                store(conn, &flag, &reporter, &direct).await
            } else {
                direct.push(community_inbox(&community)?);
                store(conn, &flag, &reporter, &direct).await
            }
        }
        Event::ReportDecided {
            report_id,
            moderator_id,
            resolved,
        } => {
            let report = hearth_db::report::find(&mut *conn, report_id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("report {report_id} vanished"))?;
            let community = find_community(conn, report.community_id).await?;
            let moderator = find_person(conn, moderator_id).await?;
            // The Flag decided, embedded, as Lemmy 1.0 sends and expects it.
            let reporter = report_author(conn, report_id).await.ok();
            let content = reported(conn, &report).await?.map(|(ap_id, _)| ap_id);
            let flag = match (reporter, content) {
                (Some(reporter), Some(content)) => {
                    let mut flag = Flag::new(&report.ap_id, &reporter, &content, &community, "")?;
                    flag.context = Value::Null;
                    flag.content = None;
                    flag.summary = None;
                    flag.addressing.audience = None;
                    flag.to_json()?
                }
                // Without its reporter or content here, the Flag is named by its id.
                _ => Value::String(report.ap_id.clone()),
            };
            let addressing = Addressing {
                to: vec![community.ap_id.clone()],
                cc: Vec::new(),
                audience: Url::parse(&community.ap_id).ok(),
            };
            let decision = json(&Resolve::new(
                new_id(settings, "resolve")?,
                &Url::parse(&moderator.ap_id)?,
                flag,
                !resolved,
                addressing,
            ))?;
            if community.local {
                let moderators =
                    hearth_db::report::remote_moderator_inboxes(&mut *conn, community.id).await?;
                announce_to(conn, settings, decision, &community, &moderators).await
            } else {
                let inbox = community_inbox(&community)?;
                store(conn, &decision, &moderator.ap_id, &[inbox]).await
            }
        }
        Event::SiteBanned {
            person_id,
            admin_id,
            banned,
            reason,
            expires_at,
            remove_data,
        } => {
            let admin = find_person(conn, admin_id).await?;
            let person = find_person(conn, person_id).await?;
            let actor = Url::parse(&admin.ap_id)?;
            let terms = BanTerms {
                reason,
                expires_at,
                remove_data,
            };
            let ban = SiteBan::new(settings, &actor, &person.ap_id, &terms)?;
            let activity = if banned {
                json(&ban)?
            } else {
                let mut inner = ban;
                inner.0.context = Value::Null;
                let public = Addressing {
                    to: vec![PUBLIC.to_owned()],
                    ..Addressing::default()
                };
                json(&Undo::of(settings, &actor, inner, public)?)?
            };
            // Every server that follows one of our communities hears of it.
            let inboxes: Vec<String> = hearth_db::person::follower_instance_inboxes(&mut *conn)
                .await?
                .into_iter()
                .map(|(_, inbox)| inbox)
                .collect();
            store(conn, &activity, &admin.ap_id, &inboxes).await
        }
        Event::CommunityUpdated {
            community_id,
            moderator_id,
        } => {
            let community = find_community(conn, community_id).await?;
            if !community.local {
                // Settings of another server's community change there.
                return Ok(());
            }
            let moderator = find_person(conn, moderator_id).await?;
            let group = crate::objects::community::group_of(&community, settings)?;
            let activity =
                UpdateGroup::new(settings, &Url::parse(&moderator.ap_id)?, &community, group)?;
            route(
                conn,
                settings,
                json(&activity)?,
                &moderator.ap_id,
                &community,
                None,
            )
            .await
        }
        Event::CommunityRemoved {
            community_id,
            admin_id,
            removed,
            reason,
        } => {
            let community = find_community(conn, community_id).await?;
            if !community.local {
                return Ok(());
            }
            let admin = find_person(conn, admin_id).await?;
            let actor = Url::parse(&admin.ap_id)?;
            let delete = DeleteGroup::new(settings, &actor, &community, &reason)?;
            let activity = if removed {
                json(&delete)?
            } else {
                let mut inner = delete;
                inner.context = Value::Null;
                json(&Undo::of(
                    settings,
                    &actor,
                    inner,
                    Addressing::community(&community),
                )?)?
            };
            route(conn, settings, activity, &admin.ap_id, &community, None).await
        }
        Event::PersonUpdated(person_id) => {
            let person = find_person(conn, person_id).await?;
            let activity = UpdatePerson::new(settings, person_of(&person, settings)?)?;
            to_audience(conn, &json(&activity)?, &person).await
        }
        Event::PersonDeleted {
            person_id,
            remove_data,
        } => {
            let person = find_person(conn, person_id).await?;
            let activity = DeletePerson::new(settings, &Url::parse(&person.ap_id)?, remove_data)?;
            to_audience(conn, &json(&activity)?, &person).await
        }
        Event::Relayed {
            community_id,
            activity,
            skip_authority,
        } => {
            // Whether anyone elsewhere is to hear of it comes first: without such members (a
            // community of this server's people only) the community itself need not be read.
            let skip = skip_authority.as_deref();
            if !hearth_db::federation::has_remote_members(&mut *conn, community_id, skip).await? {
                return Ok(());
            }
            let community = find_community(conn, community_id).await?;
            announce_to_members(conn, settings, activity, &community, skip).await
        }
        Event::RelayedTo {
            community_id,
            activity,
            inboxes,
        } => {
            let community = find_community(conn, community_id).await?;
            announce_to(conn, settings, activity, &community, &inboxes).await
        }
        Event::EventAnswered { .. } | Event::EventAnswerDecided { .. } => {
            events::record(conn, settings, event).await
        }
        Event::PollVoted { .. } | Event::PollCountsChanged(_) => {
            polls::record(conn, settings, event).await
        }
    }
}

/// Sends a person's activity about themselves to every server that knows them through a
/// community (`hearth_db::person::audience_inboxes`); nothing when none does.
async fn to_audience(
    conn: &mut PgConnection,
    activity: &Value,
    person: &hearth_db::person::ActorRow,
) -> anyhow::Result<()> {
    if !person.local {
        return Ok(());
    }
    let inboxes = hearth_db::person::audience_inboxes(&mut *conn, person.id).await?;
    if inboxes.is_empty() {
        return Ok(());
    }
    store(conn, activity, &person.ap_id, &inboxes).await
}

/// An activity as the JSON we store and send.
fn json<T: serde::Serialize>(activity: &T) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(activity)?)
}

/// `Undo` of one of our activities in `community`, embedded without its context (`strip`).
fn undo<T: serde::Serialize>(
    settings: &Settings,
    actor: &Url,
    community: &CommunityRow,
    mut activity: T,
    strip: impl FnOnce(&mut T),
) -> anyhow::Result<Undo<T>> {
    strip(&mut activity);
    Undo::of(settings, actor, activity, Addressing::community(community))
}

/// A vote, a changed vote, or a vote taken back (`Undo` of the vote it had).
async fn vote(
    conn: &mut PgConnection,
    settings: &Settings,
    person_id: i64,
    object: &str,
    community: &CommunityRow,
    old: i16,
    new: i16,
) -> anyhow::Result<()> {
    let person = find_person(conn, person_id).await?;
    let voter = Url::parse(&person.ap_id)?;
    let activity = if new == 0 {
        let mut undone = Vote::new(settings, &voter, community, object, VoteKind::of(old))?;
        undone.context = Value::Null;
        undone.addressing = Addressing {
            audience: Url::parse(&community.ap_id).ok(),
            ..Addressing::default()
        };
        json(&Undo::of(
            settings,
            &voter,
            undone,
            Addressing::community(community),
        )?)?
    } else {
        json(&Vote::new(
            settings,
            &voter,
            community,
            object,
            VoteKind::of(new),
        )?)?
    };
    route(conn, settings, activity, &person.ap_id, community, None).await
}

/// Sends an activity where it belongs: our community announces it to its members (except
/// those on `skip_authority`, where it came from); a remote community gets it in its inbox.
pub async fn route(
    conn: &mut PgConnection,
    settings: &Settings,
    activity: Value,
    actor: &str,
    community: &CommunityRow,
    skip_authority: Option<&str>,
) -> anyhow::Result<()> {
    if !community.local {
        let inbox = community_inbox(community)?;
        return store(conn, &activity, actor, &[inbox]).await;
    }
    announce(conn, settings, activity, community, skip_authority).await
}

/// Our community wraps an activity, verbatim, in an `Announce` to its remote members.
pub async fn announce(
    conn: &mut PgConnection,
    settings: &Settings,
    activity: Value,
    community: &CommunityRow,
    skip_authority: Option<&str>,
) -> anyhow::Result<()> {
    if !hearth_db::federation::has_remote_members(&mut *conn, community.id, skip_authority).await? {
        return Ok(());
    }
    announce_to_members(conn, settings, activity, community, skip_authority).await
}

/// [`announce`], once it is known that `community` has members on other servers.
async fn announce_to_members(
    conn: &mut PgConnection,
    settings: &Settings,
    activity: Value,
    community: &CommunityRow,
    skip_authority: Option<&str>,
) -> anyhow::Result<()> {
    // Lemmy and its family drop an `Event` or a `Question`: their members get it as a `Page`
    // that says when and where, or lists the options (`page_fallback`); everyone else Group-aware
    // gets the activity as it is.
    let page_only = page_fallback::for_page_only(&activity);
    let audience = if page_only.is_some() {
        Audience::EventAware
    } else {
        Audience::GroupAware
    };
    let announce = json(&Announce::new(settings, community, activity, true)?)?;
    let mut sent = fan_out_announce(conn, &announce, community, skip_authority, audience).await?;
    if let Some(rewritten) = page_only {
        let as_page = json(&Announce::new(settings, community, rewritten, true)?)?;
        sent += fan_out_announce(
            conn,
            &as_page,
            community,
            skip_authority,
            Audience::PageOnly,
        )
        .await?;
    }
    // Microblogs (Mastodon and the like) show an Announce as a boost in home timelines: they
    // get new top-level posts, as `Announce{Page}` (an event as `Announce{Event}`, a poll as
    // `Announce{Question}`: Mastodon shows both), and nothing else.
    let top_level_post = announce["object"]["type"] == "Create"
        && matches!(
            announce["object"]["object"]["type"].as_str(),
            Some("Page" | "Event" | "Question")
        );
    if top_level_post {
        let boost = json(&Announce::new(
            settings,
            community,
            announce["object"]["object"].clone(),
            true,
        )?)?;
        sent +=
            fan_out_announce(conn, &boost, community, skip_authority, Audience::Microblog).await?;
    }
    if sent > 0 {
        notify(conn).await?;
    }
    Ok(())
}

/// Stores our community's `Announce` with one delivery per inbox of its remote members in
/// `audience`; returns how many (none: the activity is not kept).
async fn fan_out_announce(
    conn: &mut PgConnection,
    announce: &Value,
    community: &CommunityRow,
    skip_authority: Option<&str>,
    audience: Audience,
) -> anyhow::Result<u64> {
    let (id, key) = insert(conn, announce, &community.ap_id).await?;
    let sent = hearth_db::federation::fan_out_to_members(
        &mut *conn,
        id,
        key.as_deref(),
        community.id,
        skip_authority,
        audience,
    )
    .await?;
    if sent == 0 {
        // No member there: nothing to store, nobody to wake.
        hearth_db::federation::delete_activity(&mut *conn, id).await?;
    }
    Ok(sent)
}

/// Our community relays an activity, in an `Announce`, to chosen inboxes (reports go to the
/// community's moderators on other servers, not to every member).
pub async fn announce_to(
    conn: &mut PgConnection,
    settings: &Settings,
    activity: Value,
    community: &CommunityRow,
    inboxes: &[String],
) -> anyhow::Result<()> {
    if inboxes.is_empty() {
        return Ok(());
    }
    let announce = json(&Announce::new(settings, community, activity, false)?)?;
    store(conn, &announce, &community.ap_id, inboxes).await
}

/// What a report is about: the comment's or post's ActivityPub id, and its author.
async fn reported(
    conn: &mut PgConnection,
    report: &hearth_db::report::ReportRow,
) -> anyhow::Result<Option<(String, i64)>> {
    Ok(match (report.comment_id, report.post_id) {
        (Some(comment), _) => hearth_db::comment::find(&mut *conn, comment, None)
            .await?
            .map(|c| (c.ap_id, c.author_id)),
        (None, Some(post)) => hearth_db::post::find(&mut *conn, post, None)
            .await?
            .map(|p| (p.ap_id, p.author_id)),
        (None, None) => None,
    })
}

async fn report_author(conn: &mut PgConnection, report: i64) -> anyhow::Result<String> {
    sqlx::query_scalar::<_, String>(
        "select p.ap_id from report r join person p on p.id = r.reporter_id where r.id = $1",
    )
    .bind(report)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| anyhow::anyhow!("report {report} has no reporter here"))
}

/// Stores an activity and one delivery per inbox.
pub(crate) async fn store(
    conn: &mut PgConnection,
    activity: &Value,
    actor: &str,
    inboxes: &[String],
) -> anyhow::Result<()> {
    let (id, key) = insert(conn, activity, actor).await?;
    for inbox in inboxes {
        let url = url::Url::parse(inbox)?;
        let host = authority(&url).ok_or_else(|| anyhow::anyhow!("{inbox} has no host"))?;
        hearth_db::federation::add_delivery(&mut *conn, id, inbox, &host, key.as_deref()).await?;
    }
    notify(conn).await
}

/// Stores an activity; returns its row id and its [`ordering_key`].
async fn insert(
    conn: &mut PgConnection,
    activity: &Value,
    actor: &str,
) -> anyhow::Result<(i64, Option<String>)> {
    let ap_id = activity["id"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("an activity without id"))?;
    let kind = activity["type"].as_str().unwrap_or("Activity");
    let id = hearth_db::federation::insert_activity(conn, ap_id, actor, kind, activity).await?;
    Ok((id, ordering_key(activity)))
}

/// What an activity must not overtake on its way to an inbox: deliveries with the same key are
/// sent one after another, oldest first (see `hearth_db::federation::claim_due`). Receivers
/// apply what they get in arrival order, so a vote undone right after it was cast, or a post
/// edited right after it was written, would otherwise end wrong wherever the later activity
/// happened to arrive first.
///
/// The key is what the activity is about, seen through `Announce` and `Undo`: for content (and
/// its deletion, removal, locking) the object's id; for what one actor does to an object (votes,
/// follows, bans) the actor and the object, so different people's votes still go out in parallel.
fn ordering_key(activity: &Value) -> Option<String> {
    let mut inner = activity;
    while matches!(inner["type"].as_str(), Some("Announce" | "Undo")) && inner["object"].is_object()
    {
        inner = &inner["object"];
    }
    let id_of = |value: &Value| -> Option<String> {
        value
            .as_str()
            .or_else(|| value["id"].as_str())
            .map(str::to_owned)
    };
    let object = id_of(&inner["object"])?;
    match inner["type"].as_str()? {
        "Like" | "Dislike" | "Follow" | "Block" | "Accept" | "Reject" | "TentativeAccept"
        | "Join" | "Leave" => Some(format!("{} {object}", id_of(&inner["actor"])?)),
        "Announce" => None,
        _ => Some(object),
    }
}

/// Wakes delivery workers (in every process sharing the database) once the transaction commits.
async fn notify(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query("select pg_notify('hearth_outbox', '')")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// People a post or comment mentions hear of it from its author, whether or not their server
/// follows the community (as Lemmy and Mastodon deliver mentions): each mentioned remote
/// person's server once (its shared inbox when it has one). A server that hosts the community
/// is left out: the activity goes to it anyway. A member server gets the community's Announce
/// as well; receivers apply an activity once by its id.
async fn tell_mentioned(
    conn: &mut PgConnection,
    activity: &Value,
    actor: &str,
    community: &CommunityRow,
    mentions: &[hearth_db::mention::Mentioned],
) -> anyhow::Result<()> {
    let community_host = Url::parse(&community.ap_id)
        .ok()
        .and_then(|u| authority(&u));
    let mut inboxes: Vec<String> = mentions
        .iter()
        .filter_map(|m| m.inbox.clone())
        .filter(|inbox| {
            let host = Url::parse(inbox).ok().and_then(|u| authority(&u));
            host.is_some() && (community.local || host != community_host)
        })
        .collect();
    inboxes.sort();
    inboxes.dedup();
    if inboxes.is_empty() {
        return Ok(());
    }
    store(conn, activity, actor, &inboxes).await
}

fn community_inbox(community: &CommunityRow) -> anyhow::Result<String> {
    community
        .inbox_url
        .clone()
        .ok_or_else(|| anyhow::anyhow!("{} has no inbox", community.ap_id))
}

async fn find_post(conn: &mut PgConnection, id: i64) -> anyhow::Result<hearth_db::post::PostRow> {
    hearth_db::post::find(&mut *conn, id, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("post {id} vanished"))
}

async fn find_community(conn: &mut PgConnection, id: i64) -> anyhow::Result<CommunityRow> {
    hearth_db::community::find_for_write(&mut *conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("community {id} vanished"))
}

async fn find_person(
    conn: &mut PgConnection,
    id: i64,
) -> anyhow::Result<hearth_db::person::ActorRow> {
    hearth_db::person::actor_by_id(&mut *conn, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("person {id} vanished"))
}

#[cfg(test)]
mod tests {
    use super::ordering_key;
    use serde_json::json;

    #[test]
    fn a_vote_and_its_undoing_share_a_key_through_announces() {
        let like = json!({"type": "Like", "actor": "https://a/u/x", "object": "https://b/post/1"});
        let undo = json!({"type": "Undo", "actor": "https://a/u/x", "object": like});
        let announced = json!({"type": "Announce", "actor": "https://b/c/g", "object": undo});
        let key = ordering_key(&like);
        assert_eq!(key.as_deref(), Some("https://a/u/x https://b/post/1"));
        assert_eq!(ordering_key(&undo), key);
        assert_eq!(ordering_key(&announced), key);
        let someone_else =
            json!({"type": "Like", "actor": "https://a/u/y", "object": "https://b/post/1"});
        assert_ne!(
            ordering_key(&someone_else),
            key,
            "other voters are not held up"
        );
    }

    #[test]
    fn content_is_ordered_by_its_object_whoever_acts() {
        let create = json!({"type": "Create", "actor": "https://a/u/x",
                            "object": {"id": "https://a/post/1", "type": "Page"}});
        let delete =
            json!({"type": "Delete", "actor": "https://b/u/mod", "object": "https://a/post/1"});
        assert_eq!(ordering_key(&create).as_deref(), Some("https://a/post/1"));
        assert_eq!(ordering_key(&delete), ordering_key(&create));
    }
}
