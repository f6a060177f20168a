//! Polls: a post's question with 2–20 options, single or multiple choice, an end; members vote
//! (and may change a vote in our polls until the end), results are shown to those who voted or
//! only after the end, as the organiser chose; who voted for what is never shown.
//!
//! A poll is written with its post (`posts::create` with `NewPostForm::poll`). Votes in another
//! server's poll are sent there (`outbox::Event::PollVoted`) and cannot change afterwards
//! (Mastodon and the servers that speak its polls take one vote per option, never a change).
//! Votes from other servers arrive through federation, which checks them with `check_choices`;
//! the counts of our polls go to followers at most once a minute (`send_changed_counts`).

use crate::ServiceContext;
use crate::auth::Viewer;
use crate::content;
use crate::outbox::{self, Event};
use chrono::{DateTime, Duration, Utc};
use hearth_core::{Error, Result};
use hearth_db::poll::PollRow;
use std::collections::HashMap;

/// The fewest options a poll has.
pub const MIN_OPTIONS: usize = 2;

/// The most options a poll has.
pub const MAX_OPTIONS: usize = 20;

/// The longest option, in characters.
pub const MAX_OPTION: usize = 200;

/// The shortest time a poll runs.
pub const MIN_DURATION: Duration = Duration::minutes(5);

/// The longest time a poll runs.
pub const MAX_DURATION: Duration = Duration::days(365);

/// How often, at most, followers are sent a poll's new counts.
pub const COUNTS_INTERVAL: Duration = Duration::minutes(1);

/// A poll as its organiser writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollInput {
    /// The options, in order.
    pub options: Vec<String>,
    /// Whether a voter may choose several.
    pub multiple: bool,
    /// When voting ends.
    pub ends_at: DateTime<Utc>,
    /// Whether results stay hidden until the end (else shown to those who voted).
    pub results_after_end: bool,
}

/// A poll as checked: options trimmed, distinct, 2–20 of 1–200 characters; an end between five
/// minutes and a year from `now`.
pub fn check(input: PollInput, now: DateTime<Utc>) -> Result<PollInput> {
    let options: Vec<String> = input
        .options
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&options.len()) {
        return Err(Error::validation(
            "options",
            format!("A poll has {MIN_OPTIONS} to {MAX_OPTIONS} options."),
        ));
    }
    if options.iter().any(|o| o.chars().count() > MAX_OPTION) {
        return Err(Error::validation(
            "options",
            format!("An option has at most {MAX_OPTION} characters."),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if !options.iter().all(|o| seen.insert(o.to_lowercase())) {
        return Err(Error::validation(
            "options",
            "Each option must be different.",
        ));
    }
    if input.ends_at < now + MIN_DURATION || input.ends_at > now + MAX_DURATION {
        return Err(Error::validation(
            "ends_at",
            "A poll ends between five minutes and a year from now.",
        ));
    }
    Ok(PollInput { options, ..input })
}

/// A poll as a viewer sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PollView {
    /// The poll with its counts.
    pub poll: PollRow,
    /// The positions the viewer chose (empty: not voted).
    pub mine: Vec<i16>,
    /// Whether voting has ended.
    pub closed: bool,
    /// Whether the viewer may see the counts now: after the end, or after voting when the
    /// organiser allowed that (the organiser always sees them).
    pub results_visible: bool,
}

/// The polls among a page of posts, as the viewer sees them, in at most three queries. `authors`
/// maps each post to its author, who always sees the results of their own poll.
pub async fn for_posts(
    ctx: &ServiceContext,
    viewer: Option<&Viewer>,
    posts: &[(i64, i64)],
) -> Result<HashMap<i64, PollView>> {
    if posts.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = posts.iter().map(|(id, _)| *id).collect();
    let mut conn = ctx.pool.acquire().await?;
    let polls = hearth_db::poll::find_many(&mut conn, &ids).await?;
    if polls.is_empty() {
        return Ok(HashMap::new());
    }
    let mut mine: HashMap<i64, Vec<i16>> = HashMap::new();
    if let Some(viewer) = viewer {
        let with_poll: Vec<i64> = polls.iter().map(|p| p.post_id).collect();
        for (post_id, position) in
            hearth_db::poll::choices_of(&mut *conn, viewer.person_id, &with_poll).await?
        {
            mine.entry(post_id).or_default().push(position);
        }
    }
    let now = Utc::now();
    Ok(polls
        .into_iter()
        .map(|poll| {
            let chosen = mine.remove(&poll.post_id).unwrap_or_default();
            let author = posts
                .iter()
                .find(|(id, _)| *id == poll.post_id)
                .map(|(_, author)| *author);
            let closed = poll.ends_at <= now;
            let own = viewer.is_some_and(|v| Some(v.person_id) == author);
            let results_visible = closed || own || (!poll.results_after_end && !chosen.is_empty());
            (
                poll.post_id,
                PollView {
                    poll,
                    mine: chosen,
                    closed,
                    results_visible,
                },
            )
        })
        .collect())
}

/// One post's poll as the viewer sees it; 404 when the post has none or cannot be read.
pub async fn get(ctx: &ServiceContext, viewer: Option<&Viewer>, post_id: i64) -> Result<PollView> {
    let post = content::post(ctx, viewer, post_id).await?;
    for_posts(ctx, viewer, &[(post.id, post.author_id)])
        .await?
        .remove(&post.id)
        .ok_or_else(no_poll)
}

fn no_poll() -> Error {
    Error::not_found("This post has no poll.")
}

/// Checks a voter's choices against a poll, whoever votes: the poll is open, the positions
/// exist and are distinct, exactly one for a single-choice poll.
pub fn check_choices(poll: &PollRow, positions: &[i16], now: DateTime<Utc>) -> Result<()> {
    if poll.ends_at <= now {
        return Err(Error::conflict("poll_closed", "This poll has ended."));
    }
    if positions.is_empty() {
        return Err(Error::validation("choices", "Choose at least one option."));
    }
    if !poll.multiple && positions.len() > 1 {
        return Err(Error::validation("choices", "This poll takes one choice."));
    }
    let mut seen = std::collections::HashSet::new();
    for position in positions {
        if !poll.options.iter().any(|o| o.position == *position) {
            return Err(Error::validation(
                "choices",
                format!("This poll has no option {position}."),
            ));
        }
        if !seen.insert(position) {
            return Err(Error::validation("choices", "Each option counts once."));
        }
    }
    Ok(())
}

/// Votes in a poll for the viewer: `positions` are the chosen options (from 0). In our polls a
/// vote replaces the viewer's earlier one until the end; in another server's poll the vote is
/// sent there and is final (`already_voted` afterwards). Members vote as they would vote on the
/// post (not banned, the community open to them).
#[tracing::instrument(skip_all, fields(person = viewer.person_id, post = post_id))]
pub async fn vote(
    ctx: &ServiceContext,
    viewer: &Viewer,
    post_id: i64,
    positions: &[i16],
) -> Result<PollView> {
    let post = content::post(ctx, Some(viewer), post_id).await?;
    let community = crate::community_facts::community(ctx, post.community_id).await?;
    content::may_vote(ctx, viewer, &community, post.deleted || post.removed, 1).await?;
    let mut tx = ctx.pool.begin().await?;
    if !hearth_db::poll::lock(&mut tx, post_id).await? {
        return Err(no_poll());
    }
    let poll = hearth_db::poll::find(&mut tx, post_id)
        .await?
        .ok_or_else(no_poll)?;
    check_choices(&poll, positions, Utc::now())?;
    let mut chosen = positions.to_vec();
    chosen.sort_unstable();
    if post.local {
        hearth_db::poll::replace_choices(&mut tx, post_id, viewer.person_id, &chosen).await?;
    } else {
        let held = hearth_db::poll::choices_of(&mut *tx, viewer.person_id, &[post_id]).await?;
        if !held.is_empty() {
            return Err(Error::conflict(
                "already_voted",
                "You voted in this poll already; its server does not take changed votes.",
            ));
        }
        for position in &chosen {
            hearth_db::poll::add_vote(&mut tx, post_id, *position, viewer.person_id, None).await?;
        }
        hearth_db::poll::count_sent_vote(&mut tx, post_id, &chosen).await?;
        outbox::record(
            ctx,
            &mut tx,
            Event::PollVoted {
                post_id,
                person_id: viewer.person_id,
            },
        )
        .await?;
    }
    tx.commit().await?;
    get(ctx, Some(viewer), post_id).await
}

/// Sends followers the new counts of our polls whose votes changed, each at most once per
/// `COUNTS_INTERVAL` (`Update{Question}`); returns how many polls were sent. Several processes
/// may run it: each poll is claimed by one.
pub async fn send_changed_counts(ctx: &ServiceContext) -> Result<usize> {
    let mut tx = ctx.pool.begin().await?;
    let changed = hearth_db::poll::claim_changed_counts(&mut tx, COUNTS_INTERVAL).await?;
    for post_id in &changed {
        outbox::record(ctx, &mut tx, Event::PollCountsChanged(*post_id)).await?;
    }
    tx.commit().await?;
    Ok(changed.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_db::poll::OptionRow;

    fn poll(multiple: bool) -> PollRow {
        PollRow {
            post_id: 1,
            multiple,
            ends_at: Utc::now() + Duration::hours(1),
            results_after_end: false,
            remote: false,
            voters: 0,
            options: (0..3)
                .map(|position| OptionRow {
                    position,
                    name: format!("option {position}"),
                    votes: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn choices_are_checked_against_the_poll() {
        let now = Utc::now();
        assert!(check_choices(&poll(false), &[1], now).is_ok());
        assert!(check_choices(&poll(true), &[0, 2], now).is_ok());
        assert!(check_choices(&poll(false), &[0, 1], now).is_err());
        assert!(check_choices(&poll(true), &[1, 1], now).is_err());
        assert!(check_choices(&poll(false), &[3], now).is_err());
        assert!(check_choices(&poll(false), &[], now).is_err());
        let ended = PollRow {
            ends_at: now - Duration::seconds(1),
            ..poll(false)
        };
        assert_eq!(
            check_choices(&ended, &[0], now)
                .expect_err("closed")
                .kind
                .code(),
            "poll_closed"
        );
    }

    #[test]
    fn polls_are_checked_as_written() {
        let now = Utc::now();
        let good = PollInput {
            options: vec![" Tea ".into(), "Coffee".into(), "".into()],
            multiple: false,
            ends_at: now + Duration::days(1),
            results_after_end: false,
        };
        assert_eq!(
            check(good.clone(), now).expect("valid").options,
            ["Tea", "Coffee"]
        );
        let one = PollInput {
            options: vec!["Tea".into()],
            ..good.clone()
        };
        assert!(check(one, now).is_err());
        let twins = PollInput {
            options: vec!["Tea".into(), "tea".into()],
            ..good.clone()
        };
        assert!(check(twins, now).is_err());
        let many = PollInput {
            options: (0..21).map(|i| i.to_string()).collect(),
            ..good.clone()
        };
        assert!(check(many, now).is_err());
        let soon = PollInput {
            ends_at: now + Duration::minutes(1),
            ..good
        };
        assert!(check(soon, now).is_err());
    }
}
