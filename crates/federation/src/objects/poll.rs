//! Polls on the wire: our polls as Mastodon-shaped `Question` objects (`oneOf`/`anyOf`,
//! `endTime`, `closed`, `votersCount`), and the options and counts of `Question`s from other
//! servers (Mastodon, PieFed, Hearth), read leniently and bounded: another server's poll is
//! shown as it says, but never with more options, longer names or bigger counts than ours take.

use crate::protocol::objects::{Page, PollChoice, VoteCount};
use crate::received::InboxError;
use chrono::{DateTime, Utc};
use hearth_db::poll::PollRow;
use hearth_service::polls::{MAX_DURATION, MAX_OPTION, MAX_OPTIONS, MIN_OPTIONS};

/// The largest count we keep for an option or a poll's voters: a server claiming more is
/// capped, so a forged count cannot overflow our sums or dwarf every real poll.
pub(crate) const MAX_COUNT: i64 = 10_000_000;

/// Makes a post's `Page` the `Question` it carries (options with counts, end, voters).
pub(crate) fn dress(page: &mut Page, poll: &PollRow) {
    dress_at(page, poll, Utc::now());
}

/// [`dress`] as seen at `now`. The counts are what any reader may see: while an organiser keeps
/// results hidden until the end, every count is 0 (other servers show what we send to everyone).
fn dress_at(page: &mut Page, poll: &PollRow, now: DateTime<Utc>) {
    let closed = poll.ends_at <= now;
    let hidden = poll.results_after_end && !closed;
    let choices: Vec<PollChoice> = poll
        .options
        .iter()
        .map(|option| PollChoice {
            kind: "Note".to_owned(),
            name: option.name.clone(),
            replies: Some(VoteCount {
                kind: "Collection".to_owned(),
                total_items: Some(if hidden { 0 } else { option.votes }),
            }),
        })
        .collect();
    page.kind = "Question".to_owned();
    if poll.multiple {
        page.any_of = Some(choices);
        page.one_of = None;
    } else {
        page.one_of = Some(choices);
        page.any_of = None;
    }
    page.end_time = Some(poll.ends_at);
    // Mastodon sends `closed` (the end time) once a poll has ended, and reads its absence as open.
    page.closed = closed.then(|| serde_json::Value::String(poll.ends_at.to_rfc3339()));
    page.voters_count = Some(if hidden { 0 } else { poll.voters });
}

/// A poll as another server sent it, bounded to what our polls take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivedPoll {
    /// Several options may be chosen (`anyOf`).
    pub(crate) multiple: bool,
    /// When voting ends (or ended).
    pub(crate) ends_at: DateTime<Utc>,
    /// How many people voted.
    pub(crate) voters: i32,
    /// The options in order, with their votes.
    pub(crate) options: Vec<(String, i32)>,
}

/// The poll a received object carries, when it is a `Question` we can read.
pub(crate) fn read(page: &Page) -> Option<ReceivedPoll> {
    read_at(page, Utc::now())
}

/// [`read`] as seen at `now`. Options come from `anyOf` (multiple choice) or else `oneOf`;
/// names are trimmed and cut to our longest option, empty and repeated names dropped, at most
/// our number of options kept; with fewer than two left it is no poll. Counts are 0 to
/// [`MAX_COUNT`]. Voters are `votersCount`, or without it the sum of the votes (single choice)
/// or the largest option (multiple choice: one person may vote for every option). The end is
/// `endTime`, else a `closed` time (`closed: true` means now), else a year on; never more than a
/// year on.
fn read_at(page: &Page, now: DateTime<Utc>) -> Option<ReceivedPoll> {
    if page.kind != "Question" {
        return None;
    }
    let (multiple, choices) = match (&page.any_of, &page.one_of) {
        (Some(any), _) if !any.is_empty() => (true, any),
        (_, Some(one)) => (false, one),
        _ => return None,
    };
    let mut options: Vec<(String, i32)> = Vec::new();
    for choice in choices {
        if options.len() == MAX_OPTIONS {
            break;
        }
        let name: String = choice.name.trim().chars().take(MAX_OPTION).collect();
        let name = name.trim_end().to_owned();
        if name.is_empty() || options.iter().any(|(held, _)| *held == name) {
            continue;
        }
        let votes = choice
            .replies
            .as_ref()
            .and_then(|r| r.total_items)
            .unwrap_or(0);
        options.push((name, bounded(votes)));
    }
    if options.len() < MIN_OPTIONS {
        return None;
    }
    let counted = options.iter().map(|(_, votes)| i64::from(*votes));
    let voters = match page.voters_count {
        Some(voters) => bounded(voters),
        None if multiple => bounded(counted.max().unwrap_or(0)),
        None => bounded(counted.sum()),
    };
    let latest = now + MAX_DURATION;
    let ends_at = page
        .end_time
        .or_else(|| closed_at(page.closed.as_ref(), now))
        .unwrap_or(latest)
        .min(latest);
    Some(ReceivedPoll {
        multiple,
        ends_at,
        voters,
        options,
    })
}

/// A count as we keep it: 0 to [`MAX_COUNT`].
fn bounded(count: i64) -> i32 {
    // MAX_COUNT fits in an i32, so the conversion cannot fail.
    i32::try_from(count.clamp(0, MAX_COUNT)).unwrap_or(0)
}

/// When `closed` says a poll closed: a time, or `true` (closed, time unknown: now).
fn closed_at(closed: Option<&serde_json::Value>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match closed? {
        serde_json::Value::Bool(true) => Some(now),
        serde_json::Value::String(time) => DateTime::parse_from_rfc3339(time)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// Stores a received poll with its post, in the post's transaction.
pub(crate) async fn store(
    conn: &mut sqlx::PgConnection,
    post_id: i64,
    poll: &ReceivedPoll,
) -> Result<(), InboxError> {
    hearth_db::poll::upsert_remote(
        conn,
        post_id,
        poll.multiple,
        poll.ends_at,
        poll.voters,
        &poll.options,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use hearth_db::poll::OptionRow;
    use serde_json::json;

    /// An end ten years on: further than any poll runs.
    const FAR: Duration = Duration::days(3650);

    fn question(extra: serde_json::Value) -> Page {
        let mut value = json!({
            "type": "Question",
            "id": "https://mastodon.example/users/sam/statuses/1",
            "attributedTo": "https://mastodon.example/users/sam",
            "content": "<p>Which?</p>",
        });
        if let (Some(map), serde_json::Value::Object(extra)) = (value.as_object_mut(), extra) {
            map.extend(extra);
        }
        serde_json::from_value(value).expect("a Question")
    }

    fn choice(name: &str, votes: serde_json::Value) -> serde_json::Value {
        json!({"type": "Note", "name": name, "replies": {"type": "Collection", "totalItems": votes}})
    }

    #[test]
    fn a_mastodon_question_is_read_with_its_counts() {
        let now = Utc::now();
        let end = (now + Duration::days(1)).to_rfc3339();
        let page = question(json!({
            "oneOf": [choice(" Tea ", json!(3)), choice("Coffee", json!(1))],
            "endTime": end,
            "votersCount": 4,
        }));
        let poll = read_at(&page, now).expect("a poll");
        assert!(!poll.multiple);
        assert_eq!(
            poll.options,
            [("Tea".to_owned(), 3), ("Coffee".to_owned(), 1)]
        );
        assert_eq!(poll.voters, 4);
        assert_eq!(poll.ends_at.to_rfc3339(), end);
    }

    #[test]
    fn hostile_questions_are_bounded() {
        let now = Utc::now();
        let many: Vec<_> = (0..500)
            .map(|i| choice(&format!("option {i}"), json!(1)))
            .collect();
        let poll = read_at(&question(json!({"anyOf": many})), now).expect("a poll");
        assert_eq!(
            poll.options.len(),
            MAX_OPTIONS,
            "capped at our number of options"
        );
        assert!(poll.multiple);
        assert_eq!(poll.voters, 1, "without votersCount: the largest option");
        assert_eq!(poll.ends_at, now + MAX_DURATION, "no end: a year on");

        let long = "x".repeat(5000);
        let poll = read_at(
            &question(json!({
                "oneOf": [choice(&long, json!(-5)), choice("b", json!(1_000_000_000_000_i64)),
                          choice("b", json!(2)), choice("  ", json!(2))],
                "endTime": (now + FAR).to_rfc3339(),
                "votersCount": -1,
            })),
            now,
        )
        .expect("a poll");
        assert_eq!(
            poll.options.len(),
            2,
            "empty and repeated names are dropped"
        );
        assert_eq!(poll.options[0].0.chars().count(), MAX_OPTION);
        assert_eq!(poll.options[0].1, 0, "a negative count is 0");
        assert_eq!(
            i64::from(poll.options[1].1),
            MAX_COUNT,
            "a huge count is capped"
        );
        assert_eq!(poll.voters, 0);
        assert_eq!(
            poll.ends_at,
            now + MAX_DURATION,
            "an end years away is capped"
        );

        let one = question(json!({"oneOf": [choice("only", json!(1)), choice("only", json!(1))]}));
        assert_eq!(read_at(&one, now), None, "fewer than two options: no poll");
        let page = question(json!({"type": "Page", "oneOf": [choice("a", json!(1)),
                                                              choice("b", json!(1))]}));
        assert_eq!(read_at(&page, now), None, "only a Question carries a poll");
    }

    #[test]
    fn a_closed_question_without_end_time_ends_when_it_closed() {
        let now = Utc::now();
        let options = json!([choice("a", json!(1)), choice("b", json!(2))]);
        let poll = read_at(
            &question(json!({"oneOf": options, "closed": "2026-01-01T00:00:00Z"})),
            now,
        )
        .expect("a poll");
        assert_eq!(poll.ends_at.to_rfc3339(), "2026-01-01T00:00:00+00:00");
        assert_eq!(
            poll.voters, 3,
            "without votersCount: the sum of single choices"
        );
        let poll =
            read_at(&question(json!({"oneOf": options, "closed": true})), now).expect("a poll");
        assert_eq!(poll.ends_at, now);
    }

    fn our_poll(results_after_end: bool, ends_at: DateTime<Utc>) -> PollRow {
        PollRow {
            post_id: 1,
            multiple: false,
            ends_at,
            results_after_end,
            remote: false,
            voters: 3,
            options: vec![
                OptionRow {
                    position: 0,
                    name: "Tea".into(),
                    votes: 2,
                },
                OptionRow {
                    position: 1,
                    name: "Coffee".into(),
                    votes: 1,
                },
            ],
        }
    }

    #[test]
    fn our_poll_is_a_question_that_we_read_back() {
        let now = Utc::now();
        let mut page = question(json!({}));
        page.kind = "Page".into();
        dress_at(&mut page, &our_poll(false, now + Duration::hours(1)), now);
        let sent = serde_json::to_value(&page).expect("JSON");
        assert_eq!(sent["type"], "Question");
        assert_eq!(sent["oneOf"][0]["name"], "Tea");
        assert_eq!(sent["oneOf"][0]["replies"]["totalItems"], 2);
        assert_eq!(sent["votersCount"], 3);
        assert!(sent.get("closed").is_none(), "open");
        assert!(sent.get("anyOf").is_none());
        let back = read_at(&page, now).expect("our own Question reads back");
        assert_eq!(
            back.options,
            [("Tea".to_owned(), 2), ("Coffee".to_owned(), 1)]
        );
        assert_eq!(back.voters, 3);
    }

    #[test]
    fn hidden_results_are_sent_as_zero_until_the_end() {
        let now = Utc::now();
        let mut page = question(json!({}));
        dress_at(&mut page, &our_poll(true, now + Duration::hours(1)), now);
        let sent = serde_json::to_value(&page).expect("JSON");
        assert_eq!(sent["oneOf"][0]["replies"]["totalItems"], 0);
        assert_eq!(sent["votersCount"], 0);
        let ended = now - Duration::hours(1);
        dress_at(&mut page, &our_poll(true, ended), now);
        let sent = serde_json::to_value(&page).expect("JSON");
        assert_eq!(
            sent["oneOf"][0]["replies"]["totalItems"], 2,
            "after the end"
        );
        assert_eq!(sent["closed"], ended.to_rfc3339());
    }
}
