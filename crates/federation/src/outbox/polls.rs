//! What our polls send: local people's votes in other servers' polls, and our polls' new
//! counts to their community's members.
//!
//! A vote goes as Mastodon sends one: per chosen option a `Create{Note{name: option, inReplyTo:
//! the Question, attributedTo: the voter}}`, no content, addressed to and delivered to the poll's
//! author only (who voted for what stays between the voter and the poll's server). New counts go
//! as `Update{Question}` from the poll's author (Mastodon takes a Question's update from its
//! author only), routed like a post's update, and straight to the servers of the people who
//! voted, which is where Mastodon sends its own poll updates.

use super::{announce, community_inbox, find_community, find_person, find_post, json, store};
use crate::activities::content::CreateOrUpdate;
use crate::activities::content::create_or_update::CreateOrUpdateKind;
use crate::activities::polls::VoteNote;
use crate::activities::{Addressing, new_id};
use crate::objects::post::{PostExtras, page_of};
use crate::protocol::context;
use hearth_core::Settings;
use hearth_service::outbox::Event;
use sqlx::PgConnection;
use url::Url;

/// Records the activity of a poll's `Event` (see `outbox::Event::PollVoted` and
/// `PollCountsChanged`).
pub(super) async fn record(
    conn: &mut PgConnection,
    settings: &Settings,
    event: Event,
) -> anyhow::Result<()> {
    match event {
        Event::PollVoted { post_id, person_id } => vote(conn, settings, post_id, person_id).await,
        Event::PollCountsChanged(post_id) => counts(conn, settings, post_id).await,
        _ => Ok(()),
    }
}

/// A local person's vote in another server's poll: one `Create{Note}` per chosen option to the
/// poll's author, each Note's id kept with the choice it carries.
async fn vote(
    conn: &mut PgConnection,
    settings: &Settings,
    post_id: i64,
    person_id: i64,
) -> anyhow::Result<()> {
    let post = find_post(conn, post_id).await?;
    if post.local {
        // Our own polls count local votes themselves.
        return Ok(());
    }
    let poll = hearth_db::poll::find(&mut *conn, post_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("post {post_id} has no poll"))?;
    let voter = find_person(conn, person_id).await?;
    let author = find_person(conn, post.author_id).await?;
    let inbox = author
        .inbox_url
        .clone()
        .or_else(|| author.shared_inbox_url.clone())
        .ok_or_else(|| anyhow::anyhow!("{} has no inbox", author.ap_id))?;
    let chosen = hearth_db::poll::choices_of(&mut *conn, person_id, &[post_id]).await?;
    let voter_id = Url::parse(&voter.ap_id)?;
    for (_, position) in chosen {
        let Some(option) = poll.options.iter().find(|o| o.position == position) else {
            continue;
        };
        let note_id = new_id(settings, "vote")?;
        let note = serde_json::to_value(VoteNote {
            kind: "Note".to_owned(),
            id: note_id.clone(),
            attributed_to: voter_id.clone(),
            to: vec![Url::parse(&author.ap_id)?],
            name: option.name.clone(),
            in_reply_to: Url::parse(&post.ap_id)?,
        })?;
        let create = CreateOrUpdate {
            context: context(),
            id: new_id(settings, "create")?,
            kind: CreateOrUpdateKind::Create,
            actor: voter_id.clone(),
            addressing: Addressing::to(&author.ap_id),
            object: note,
        };
        hearth_db::poll::set_vote_ap_id(&mut *conn, post_id, person_id, position, note_id.as_str())
            .await?;
        store(
            conn,
            &json(&create)?,
            &voter.ap_id,
            std::slice::from_ref(&inbox),
        )
        .await?;
    }
    Ok(())
}

/// One of our polls' new counts: `Update{Question}` from the post's author to the community's
/// members, and to the servers of the people elsewhere who voted in it. Its `updated` stays the
/// post's last edit: Mastodon takes an update without a newer `updated` as new counts only,
/// while a newer one would show the post as edited; our own gate applies an update whose
/// `updated` is not older than what it holds.
async fn counts(conn: &mut PgConnection, settings: &Settings, post_id: i64) -> anyhow::Result<()> {
    let post = find_post(conn, post_id).await?;
    if !post.local || post.deleted || post.removed {
        return Ok(());
    }
    let mentions = hearth_db::mention::of_post(&mut *conn, post_id).await?;
    let images = hearth_db::media::post_images(&mut *conn, post_id).await?;
    let extras = PostExtras::load(conn, post_id).await?;
    if extras.poll.is_none() {
        return Ok(());
    }
    let object = serde_json::to_value(page_of(&post, &mentions, &images, &extras)?)?;
    let community = find_community(conn, post.community_id).await?;
    let author = Url::parse(&post.author_ap_id)?;
    let update = json(&CreateOrUpdate::new(
        settings,
        CreateOrUpdateKind::Update,
        &author,
        &community,
        object,
    )?)?;
    let mut inboxes = hearth_db::poll::voter_inboxes(&mut *conn, post_id).await?;
    if community.local {
        if !inboxes.is_empty() {
            store(conn, &update, &post.author_ap_id, &inboxes).await?;
        }
        announce(conn, settings, update, &community, None).await
    } else {
        // Another server's community announces it to its members; the activity is stored once.
        inboxes.push(community_inbox(&community)?);
        inboxes.sort();
        inboxes.dedup();
        store(conn, &update, &post.author_ap_id, &inboxes).await
    }
}
