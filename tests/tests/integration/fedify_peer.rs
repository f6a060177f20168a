//! An independent peer: a small Fedify server (`tests/peers/fedify`, Node) follows a Hearth
//! community, receives a post and replies to it, and the test checks both sides, so Hearth's
//! signatures and JSON are judged by an ActivityPub implementation that is not Hearth's own.

use crate::federation_network::{
    comment_id, create_community, eventually, host, scalar, text, write_post,
};
use hearth_tests::app::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// What to run when the peer cannot start; the test fails rather than passing without it.
const INSTALL_HINT: &str = "the Fedify peer needs Node.js 20 or newer as `node` and its packages: \
     run `npm ci --prefix tests/peers/fedify` (.ci/run does both)";

/// The peer's directory, `tests/peers/fedify`.
fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/fedify")
}

/// A running Fedify peer (killed when dropped) and a client for its control API.
pub(crate) struct FedifyPeer {
    _process: Child,
    /// `http://localhost:<port>`, the authority Hearth sees it at.
    pub(crate) origin: String,
    /// `http://127.0.0.1:<port>/control`, where the test drives it (the address it listens on).
    pub(crate) control: String,
    pub(crate) client: reqwest::Client,
}

impl FedifyPeer {
    /// Starts `node peer.mjs` on a free port and waits for its `READY <port>` line.
    pub(crate) async fn start() -> Self {
        let dir = peer_dir();
        assert!(
            dir.join("node_modules/@fedify/fedify").is_dir(),
            "{} has no node_modules: {INSTALL_HINT}",
            dir.display()
        );
        let mut process = Command::new("node")
            .arg("peer.mjs")
            .arg("0")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `node` ({e}): {INSTALL_HINT}"));
        // The peer's own log (Fedify's warnings, what it received) goes with the test's output,
        // which the runner shows when the test fails.
        forward_lines(process.stderr.take().expect("piped stderr"));
        let mut stdout = BufReader::new(process.stdout.take().expect("piped stdout")).lines();
        let port = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = stdout.next_line().await.expect("the peer's stdout") {
                if let Some(port) = line.strip_prefix("READY ") {
                    return port.trim().parse::<u16>().expect("a port after READY");
                }
                eprintln!("fedify peer: {line}");
            }
            panic!("the Fedify peer exited before it was ready (its log is above)");
        })
        .await
        .expect("the Fedify peer is ready within 30 s");
        forward_lines(stdout.into_inner());
        Self {
            _process: process,
            origin: format!("http://localhost:{port}"),
            control: format!("http://127.0.0.1:{port}/control"),
            client: reqwest::Client::new(),
        }
    }

    /// The peer's one actor.
    pub(crate) fn actor(&self) -> String {
        format!("{}/users/peer", self.origin)
    }

    /// Runs a control command; the peer answers 200 with JSON when it did it.
    pub(crate) async fn command(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(format!("{}/{path}", self.control))
            .json(&body)
            .send()
            .await
            .expect("the peer's control API answers");
        let status = response.status();
        let text = response.text().await.expect("the control API's answer");
        assert!(
            status.is_success(),
            "control/{path} failed ({status}): {text}"
        );
        serde_json::from_str(&text).expect("control answers are JSON")
    }

    /// `{received, unverified}`: every activity the peer's inbox accepted, as Fedify read it,
    /// and every one it refused for its signature.
    pub(crate) async fn inbox(&self) -> Value {
        self.client
            .get(format!("{}/received", self.control))
            .send()
            .await
            .expect("the peer's control API answers")
            .json()
            .await
            .expect("control answers are JSON")
    }

    /// Has the peer follow the community `name` of `app` and waits until Hearth records it as a
    /// joined member; returns the community's id.
    pub(crate) async fn joins(&self, app: &TestApp, name: &str) -> String {
        let group = format!("http://{}/c/{name}", host(app));
        self.command("follow", json!({ "group": group })).await;
        let actor = self.actor();
        eventually("Hearth records the peer as a joined member", || async {
            scalar(
                app,
                "select count(*) from community_member m join person p on p.id = m.person_id
                 where m.state = 'joined' and p.ap_id = $1",
                &actor,
            )
            .await
                == Some(1)
        })
        .await;
        group
    }

    /// Whether the peer's inbox accepted an activity that `matches`.
    pub(crate) async fn received(&self, matches: impl Fn(&Value) -> bool) -> bool {
        self.inbox().await["received"]
            .as_array()
            .is_some_and(|activities| activities.iter().any(matches))
    }
}

/// Copies a pipe of the peer's to the test's output, line by line, until the peer exits.
fn forward_lines(pipe: impl AsyncRead + Unpin + Send + 'static) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            eprintln!("fedify peer: {line}");
        }
    });
}

#[tokio::test]
async fn fedify_peer_follows_a_community_receives_a_post_and_replies() {
    let peer = FedifyPeer::start().await;
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    create_community(&app, &alice, "cats", json!({})).await;
    let group = format!("http://{}/c/cats", host(&app));
    let peer_actor = peer.actor();

    // Following: Fedify fetches the Group, sends Follow; Hearth fetches the peer's actor to
    // verify it, records a joined member, and answers Accept, which Fedify verifies in turn.
    let follow = peer.command("follow", json!({ "group": group })).await;
    let follow_id = follow["id"].as_str().expect("the Follow's id").to_owned();
    let joined = "select p.ap_id from community_member m
         join person p on p.id = m.person_id
         join community c on c.id = m.community_id
         where c.local and c.name = 'cats' and m.state = 'joined' and p.ap_id = $1";
    eventually("Hearth records the peer as a joined member", || async {
        text(&app, joined, &peer_actor).await.is_some()
    })
    .await;
    eventually("the peer receives the Accept of its Follow", || {
        peer.received(|a| {
            a["type"] == "Accept" && a["actor"] == group.as_str() && a["objectId"] == follow_id
        })
    })
    .await;

    // A post: the peer's server is not a microblog (its NodeInfo says `fedify-peer`), so the
    // community announces the Create itself, and Fedify reads the Page inside.
    let post = write_post(&app, &alice, "cats", "Whiskers").await;
    eventually(
        "the peer receives Announce{Create{Page}} of the post",
        || {
            peer.received(|a| {
                let page = &a["object"]["object"];
                a["type"] == "Announce"
                    && a["actor"] == group.as_str()
                    && a["object"]["type"] == "Create"
                    && page["type"] == "Page"
                    && page["id"] == post.as_str()
                    && page["name"] == "Whiskers"
                    && page["audience"] == group.as_str()
            })
        },
    )
    .await;

    // A reply: Create{Note} to the community's inbox; Hearth stores it as a comment on the post.
    let reply = peer
        .command(
            "reply",
            json!({
                "group": group,
                "inReplyTo": post,
                "content": "<p>Purring from Fedify</p>",
            }),
        )
        .await;
    let note = reply["id"].as_str().expect("the Note's id").to_owned();
    eventually("Hearth stores the reply as a comment", || async {
        comment_id(&app, &note).await.is_some()
    })
    .await;
    let on_post = text(
        &app,
        "select p.ap_id from comment c join post p on p.id = c.post_id where c.ap_id = $1",
        &note,
    )
    .await;
    assert_eq!(
        on_post.as_deref(),
        Some(post.as_str()),
        "a comment on the post"
    );
    let body = text(&app, "select body from comment where ap_id = $1", &note)
        .await
        .unwrap();
    assert!(
        body.contains("Purring from Fedify"),
        "the reply's text: {body}"
    );
    let author = text(
        &app,
        "select p.ap_id from comment c join person p on p.id = c.author_id where c.ap_id = $1",
        &note,
    )
    .await;
    assert_eq!(author.as_deref(), Some(peer_actor.as_str()), "by the peer");

    // Every request Hearth sent the peer carried a signature Fedify verified.
    let inbox = peer.inbox().await;
    assert_eq!(
        inbox["unverified"],
        json!([]),
        "Fedify refused Hearth's signatures: {inbox}"
    );
    app.stop().await;
}

/// Mentions both ways with an implementation that is not Hearth's: the peer's Note mentioning a
/// Hearth user (a `Mention` tag, Mastodon's way) notifies that user; a Hearth comment mentioning
/// `@peer@host` is looked up by WebFinger, carries a `Mention` tag Fedify reads, and reaches the
/// peer's inbox from its author.
#[tokio::test]
async fn fedify_peer_and_hearth_mention_each_other() {
    let peer = FedifyPeer::start().await;
    let app = TestApp::spawn(&[]).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    create_community(&app, &alice, "cats", json!({})).await;
    let group = format!("http://{}/c/cats", host(&app));
    let bob_id = format!("http://{}/u/bob", host(&app));
    peer.command("follow", json!({ "group": group })).await;
    // The inbox acknowledged the Follow; the peer is a member once it is applied.
    app.wait_for_inbox().await;
    let post = write_post(&app, &alice, "cats", "Whiskers").await;
    eventually("the peer receives the post", || {
        peer.received(|a| a["type"] == "Announce" && a["object"]["object"]["id"] == post.as_str())
    })
    .await;

    let reply = peer
        .command(
            "reply",
            json!({
                "group": group,
                "inReplyTo": post,
                "content": format!("<p>Hello <a href=\"{bob_id}\">@bob</a></p>"),
                "mention": { "href": bob_id, "name": format!("@bob@{}", host(&app)) },
            }),
        )
        .await;
    let note = reply["id"].as_str().expect("the Note's id").to_owned();
    eventually("Hearth stores the peer's comment", || async {
        comment_id(&app, &note).await.is_some()
    })
    .await;
    let (status, told) = app.get_json("/api/v1/notifications", bob.auth()).await;
    assert_eq!(status, StatusCode::OK, "{told}");
    let items = told["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{told}");
    assert_eq!(items[0]["kind"], "mention");
    assert_eq!(
        items[0]["actor"],
        format!("peer@{}", peer.origin.trim_start_matches("http://"))
    );
    let (_, alices) = app.get_json("/api/v1/notifications", alice.auth()).await;
    assert_eq!(alices["items"][0]["kind"], "reply", "{alices}");

    // Alice mentions the peer in a comment: Hearth looks the handle up (WebFinger, then the
    // actor), links it and tags it, and delivers to the peer.
    let post_id = crate::federation_network::post_id(&app, &post)
        .await
        .unwrap();
    let handle = format!("@peer@{}", peer.origin.trim_start_matches("http://"));
    let comment = crate::federation_network::write_comment(
        &app,
        &alice,
        post_id,
        None,
        &format!("{handle} welcome to the cats"),
    )
    .await;
    let peer_actor = peer.actor();
    eventually(
        "the peer receives alice's Create{Note} with a Mention of it",
        || {
            peer.received(|a| {
                a["type"] == "Create"
                    && a["object"]["id"] == comment.as_str()
                    && a["object"]["tags"].as_array().is_some_and(|tags| {
                        tags.iter().any(|t| {
                            t["type"] == "Mention"
                                && t["href"] == peer_actor.as_str()
                                && t["name"] == handle.as_str()
                        })
                    })
            })
        },
    )
    .await;
    let inbox = peer.inbox().await;
    assert_eq!(inbox["unverified"], json!([]), "{inbox}");
    app.stop().await;
}
