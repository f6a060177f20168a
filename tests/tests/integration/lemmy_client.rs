//! Lemmy apps' view of Hearth: `tests/peers/lemmy-client/journey.mjs` drives instance A's
//! `/api/v3` with `lemmy-js-client` 0.19 (Node) through an app's journey — sign in, list, follow a
//! community on instance B, read, post, comment, vote, save, report, search, read replies and
//! mentions — checking every answer against the client's TypeScript types, and this side checks
//! that what the app did through A reached B.

use crate::federation_network::{
    create_community, eventually, host, new_post, post_id, state_of, text, write_post,
};
use hearth_tests::app::{TEST_PASSWORD, TestApp};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

/// What to run when the journey cannot start; the test fails rather than passing without it.
const INSTALL_HINT: &str = "the lemmy-js-client journey needs Node.js 20 or newer as `node` and \
     its packages: run `npm ci --prefix tests/peers/lemmy-client` (.ci/run does both)";

/// How long the whole journey may take (about a hundred requests to a debug build).
const JOURNEY_TIMEOUT: Duration = Duration::from_secs(240);

/// The journey's directory, `tests/peers/lemmy-client`.
fn journey_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/lemmy-client")
}

/// The `LemmyHttp` methods of the journey (log in, list communities, follow a remote one,
/// list posts, read a post and its comments, post, comment, vote, save, report, search, resolve,
/// read replies and mentions): each must have had answers checked against its declared type.
const JOURNEY_METHODS: &[&str] = &[
    "getSite",
    "login",
    "listCommunities",
    "getCommunity",
    "resolveObject",
    "followCommunity",
    "getPosts",
    "getPost",
    "getComments",
    "createPost",
    "createComment",
    "likePost",
    "likeComment",
    "savePost",
    "saveComment",
    "createPostReport",
    "createCommentReport",
    "search",
    "getPersonDetails",
    "getReplies",
    "getPersonMentions",
    "getUnreadCount",
    "markAllAsRead",
    "markPostAsRead",
];

/// What `journey.mjs` reported: the sections that passed, failed and were skipped, the
/// ActivityPub ids of what it made (`ids`), and how many answers of each method it checked
/// against the method's type (`checked`).
struct Journey {
    passed: Vec<String>,
    failed: Vec<String>,
    skipped: Vec<String>,
    ids: Value,
    checked: Value,
}

impl Journey {
    /// An id the journey reported, by name.
    fn id(&self, name: &str) -> &str {
        self.ids[name]
            .as_str()
            .unwrap_or_else(|| panic!("the journey reported no {name}: {}", self.ids))
    }
}

/// Runs `node journey.mjs` with `input` on stdin; its progress and failures (with the request
/// and the answer that failed) go to the test's output as they come.
async fn run_journey(input: Value) -> Journey {
    let dir = journey_dir();
    assert!(
        dir.join("node_modules/lemmy-js-client").is_dir(),
        "{} has no node_modules: {INSTALL_HINT}",
        dir.display()
    );
    let mut process = Command::new("node")
        .arg("journey.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `node` ({e}): {INSTALL_HINT}"));
    let stderr = process.stderr.take().expect("piped stderr");
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("lemmy-js-client: {line}");
        }
    });
    let mut stdin = process.stdin.take().expect("piped stdin");
    stdin
        .write_all(input.to_string().as_bytes())
        .await
        .expect("the journey reads its input (if it died, its log is above)");
    drop(stdin);
    let mut stdout = BufReader::new(process.stdout.take().expect("piped stdout")).lines();
    let result = tokio::time::timeout(JOURNEY_TIMEOUT, async {
        let mut result = None;
        while let Some(line) = stdout.next_line().await.expect("the journey's stdout") {
            match line.strip_prefix("RESULT ") {
                Some(json) => result = Some(json.to_owned()),
                None => eprintln!("lemmy-js-client: {line}"),
            }
        }
        process.wait().await.expect("the journey exits");
        result
    })
    .await
    .unwrap_or_else(|_| panic!("the journey did not finish within {JOURNEY_TIMEOUT:?}"))
    .expect("the journey ended without its RESULT line (its log is above)");
    let result: Value = serde_json::from_str(&result).expect("RESULT is JSON");
    let names = |key: &str| -> Vec<String> {
        result[key]
            .as_array()
            .expect("a list of sections")
            .iter()
            .filter_map(|name| name.as_str().map(str::to_owned))
            .collect()
    };
    Journey {
        passed: names("passed"),
        failed: names("failed"),
        skipped: names("skipped"),
        ids: result["ids"].clone(),
        checked: result["checked"].clone(),
    }
}

/// The whole journey on A, with a community and a person on B to follow, resolve and write to;
/// then B is asked whether the follow, the post, the comment and the vote arrived.
#[tokio::test]
async fn lemmy_js_client_drives_the_v3_api_across_two_instances() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    let carol = b.user("carol").await;
    create_community(&a, &alice, "cats", json!({})).await;
    // A post the app did not write, so listings and paging have two.
    new_post(&a, &bob, "cats", "Tabby").await;
    create_community(&b, &carol, "dogs", json!({})).await;
    let rex = write_post(&b, &carol, "dogs", "Rex").await;
    let (_, rex_upvotes_before, ..) = state_of(&b, "post", &rex).await.expect("Rex on B");

    let journey = run_journey(json!({
        "a": { "base": a.base, "host": host(&a) },
        "b": { "host": host(&b) },
        "password": TEST_PASSWORD,
        "user": alice.name,
        "friend": bob.name,
        "local_community": "cats",
        "remote_community": "dogs",
        "remote_post": rex,
        "remote_person": carol.name,
    }))
    .await;
    // What reached B is checked whenever the federation section passed, so that a failure
    // elsewhere in the journey does not hide it.
    assert!(
        journey.passed.iter().any(|section| section == "federation"),
        "the journey's federation section did not pass (failed: {:?}, skipped: {:?}); the \
         reasons are above",
        journey.failed,
        journey.skipped
    );

    // The follow made through v3 on A is a joined member on B.
    let alice_on_a = format!("http://{}/u/alice", host(&a));
    let member_state = "select m.state from community_member m
         join person p on p.id = m.person_id
         join community c on c.id = m.community_id
         where c.local and c.name = 'dogs' and p.ap_id = $1";
    assert_eq!(
        text(&b, member_state, &alice_on_a).await.as_deref(),
        Some("joined"),
        "B records alice as a member of dogs"
    );

    // The post written through v3 in B's community reached B, in that community.
    let written = journey.id("remote_community_post");
    eventually("the v3 post reaches B", || async {
        post_id(&b, written).await.is_some()
    })
    .await;
    let community_on_b = text(
        &b,
        "select c.name from post p join community c on c.id = p.community_id where p.ap_id = $1",
        written,
    )
    .await;
    assert_eq!(community_on_b.as_deref(), Some("dogs"));
    let title = text(&b, "select title from post where ap_id = $1", written).await;
    assert_eq!(
        title.as_deref(),
        Some("A post through v3 in a remote community")
    );

    // The comment on B's post reached B, on that post, by alice.
    let comment = journey.id("remote_comment");
    let on_post =
        "select p.ap_id from comment c join post p on p.id = c.post_id where c.ap_id = $1";
    eventually("the v3 comment reaches B", || async {
        text(&b, on_post, comment).await.as_deref() == Some(rex.as_str())
    })
    .await;
    let author = text(
        &b,
        "select p.ap_id from comment c join person p on p.id = c.author_id where c.ap_id = $1",
        comment,
    )
    .await;
    assert_eq!(author.as_deref(), Some(alice_on_a.as_str()));
    let body = text(&b, "select body from comment where ap_id = $1", comment)
        .await
        .unwrap();
    assert!(body.contains("A comment through v3"), "{body}");

    // The vote counted on B.
    assert_eq!(journey.id("remote_post_voted"), rex);
    eventually("alice's upvote of Rex counts on B", || async {
        state_of(&b, "post", &rex)
            .await
            .is_some_and(|(_, upvotes, ..)| upvotes == rex_upvotes_before + 1)
    })
    .await;

    assert!(
        journey.failed.is_empty() && journey.skipped.is_empty(),
        "the journey failed in {:?} and skipped {:?} (passed: {:?}); the reasons are above",
        journey.failed,
        journey.skipped,
        journey.passed
    );
    let unchecked: Vec<&&str> = JOURNEY_METHODS
        .iter()
        .filter(|method| journey.checked[**method].as_u64().unwrap_or(0) == 0)
        .collect();
    assert!(
        unchecked.is_empty(),
        "no answer of {unchecked:?} was checked against its type (checked: {})",
        journey.checked
    );
    for app in [a, b] {
        app.stop().await;
    }
}
