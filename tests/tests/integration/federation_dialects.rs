//! Votes, posts, comments and Announces in the shapes Lemmy, Mbin, PieFed, NodeBB, Friendica,
//! Mastodon, PeerTube and Pleroma send: our own fixtures (tests/fixtures/<software>/) moved onto
//! a second Hearth instance B, so that their actors can be fetched and their signatures
//! verified, signed by B's people (or B's Group) and delivered to A's real shared inbox.

use crate::federation_network::{
    create_community, eventually, host, join, member_count, membership, post_id, private_key,
    scalar, send_signed, state_of, text, write_comment, write_post,
};
use hearth_tests::app::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The hosts our fixtures use for the other servers; all of them move to B.
const ORIGINS: [&str; 8] = [
    "https://lemmy.example",
    "https://mbin.example",
    "https://piefed.example",
    "https://nodebb.example",
    "https://friendica.example",
    "https://mastodon.example",
    "https://peertube.example",
    "https://pleroma.example",
];

/// Fixture actors whose ids are not `/u/<name>` as on Hearth, and the B person playing each.
const ACTORS: [(&str, &str); 8] = [
    ("https://mastodon.example/users/sam", "sam"),
    ("https://friendica.example/profile/kai", "kai"),
    ("https://nodebb.example/uid/2", "jody"),
    ("https://nodebb.example/uid/7", "ash"),
    ("https://peertube.example/accounts/ines", "ines"),
    ("https://peertube.example/accounts/bruno", "bruno"),
    ("https://peertube.example/accounts/dara", "dara"),
    ("https://pleroma.example/users/vale", "vale"),
];

/// How fixtures move onto the test network: whole values first (communities, actors, the
/// content acted on), then every other URL of the other servers' hosts onto B's host.
struct Moves {
    exact: HashMap<String, String>,
    peer: String,
}

impl Moves {
    fn new(b: &TestApp) -> Self {
        let peer = format!("http://{}", host(b));
        let exact = ACTORS
            .iter()
            .map(|(from, name)| ((*from).to_owned(), format!("{peer}/u/{name}")))
            .collect();
        Self { exact, peer }
    }

    fn map(mut self, from: &str, to: &str) -> Self {
        self.exact.insert(from.to_owned(), to.to_owned());
        self
    }

    fn fixture(&self, path: &str) -> Value {
        let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
        let value: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"));
        self.moved(value)
    }

    fn moved(&self, value: Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.exact.get(&s).cloned().unwrap_or_else(|| {
                match ORIGINS.iter().find(|o| s.starts_with(*o)) {
                    Some(origin) => format!("{}{}", self.peer, &s[origin.len()..]),
                    None => s,
                }
            })),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.moved(v)).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, self.moved(v))).collect())
            }
            other => other,
        }
    }
}

/// Signs `activity` with the key of its actor, a person or a community of B, and delivers it to
/// A's shared inbox.
async fn deliver(a: &TestApp, b: &TestApp, activity: &Value) -> (StatusCode, Value) {
    let actor = activity["actor"].as_str().expect("an actor").to_owned();
    let path = url::Url::parse(&actor).unwrap().path().to_owned();
    let key = match (path.strip_prefix("/u/"), path.strip_prefix("/c/")) {
        (Some(person), _) => private_key(b, person).await,
        (_, Some(community)) => community_key(b, community).await,
        _ => panic!("{actor} is not one of B's actors"),
    };
    send_signed(a, &key, &actor, activity.to_string().into()).await
}

async fn delivered(a: &TestApp, b: &TestApp, activity: &Value, what: &str) {
    let (status, body) = deliver(a, b, activity).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{what}: {body}");
}

async fn community_key(app: &TestApp, name: &str) -> String {
    let pool = app.db.pool().await;
    let key: String =
        sqlx::query_scalar("select private_key from community where local and name = $1")
            .bind(name)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    key
}

/// The author's `Create` of an object, as the servers that send objects wrap them.
fn create(object: &Value) -> Value {
    let author = match &object["attributedTo"] {
        Value::Array(items) => items
            .iter()
            .find(|i| i["type"] == "Person")
            .map(|i| i["id"].clone()),
        other => Some(other.clone()),
    }
    .expect("an author");
    let origin = author.as_str().unwrap().split("/u/").next().unwrap();
    let mut create = json!({
        "id": format!("{origin}/activities/create/{}", uuid::Uuid::new_v4()),
        "type": "Create", "actor": author,
        "to": object["to"], "cc": object["cc"], "object": object,
    });
    if let Some(audience) = object.get("audience") {
        create["audience"] = audience.clone();
    }
    create
}

/// rosa's community `gardening` on B, with a post of hers written before alice of A joins it
/// (A backfills it when alice is accepted). Returns the Group's id and that post's, once alice
/// has joined and the backfill has read B's outbox: A then listens to the Group's Announces.
async fn joined_from_a(a: &TestApp, b: &TestApp) -> (String, String) {
    let rosa = b.user("rosa").await;
    create_community(b, &rosa, "gardening", json!({})).await;
    let group = format!("http://{}/c/gardening", host(b));
    let earlier = write_post(b, &rosa, "gardening", "Compost basics").await;

    let alice = a.user("alice").await;
    let gardening = format!("gardening@{}", host(b));
    join(a, &alice, &gardening).await;
    eventually("B records alice", || async {
        member_count(b, "gardening").await == 2
    })
    .await;
    // B's Accept, signed by its Group.
    let pool = b.db.pool().await;
    let accept: Value =
        sqlx::query_scalar("select payload from outbox_activity where kind = 'Accept'")
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    delivered(a, b, &accept, "B's Accept").await;
    eventually("alice joined", || async {
        membership(a, &alice, &gardening).await == "joined"
    })
    .await;
    // Once the earlier post is here, A's backfill has read B's outbox.
    eventually("backfilled", || async {
        post_id(a, &earlier).await.is_some()
    })
    .await;
    (group, earlier)
}

/// Who voted on a post or comment, and how: `(preferredUsername, score)` by name.
async fn votes(app: &TestApp, table: &str, ap_id: &str) -> Vec<(String, i16)> {
    let pool = app.db.pool().await;
    let rows: Vec<(String, i16)> = sqlx::query_as(&format!(
        "select p.name, v.score from {table}_vote v join person p on p.id = v.person_id
         join {table} t on t.id = v.{table}_id where t.ap_id = $1 order by p.name"
    ))
    .bind(ap_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

fn named(rows: &[(&str, i16)]) -> Vec<(String, i16)> {
    rows.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect()
}

/// What an ignored activity must leave alone on A: content, votes, memberships, the outbox.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let pool = app.db.pool().await;
    let mut out = Vec::new();
    for sql in [
        "select count(*) from post",
        "select count(*) from comment",
        "select count(*) from post_vote",
        "select coalesce(sum(score), 0)::bigint from post_vote",
        "select count(*) from comment_vote",
        "select coalesce(sum(score), 0)::bigint from comment_vote",
        "select count(*) from community_member",
        "select count(*) from outbox_activity",
    ] {
        out.push(sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap());
    }
    pool.close().await;
    out
}

/// (title, body, url, author's name, community's ap_id) of a post by ActivityPub id.
async fn post_facts(
    app: &TestApp,
    ap_id: &str,
) -> Option<(String, String, Option<String>, String, String)> {
    let pool = app.db.pool().await;
    let row = sqlx::query_as(
        "select p.title, p.body, p.url, a.name, c.ap_id from post p
         join person a on a.id = p.author_id join community c on c.id = p.community_id
         where p.ap_id = $1",
    )
    .bind(ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// (post's ap_id, parent comment's ap_id, body, author's name) of a comment by ActivityPub id.
async fn comment_facts(
    app: &TestApp,
    ap_id: &str,
) -> Option<(String, Option<String>, String, String)> {
    let pool = app.db.pool().await;
    let row = sqlx::query_as(
        "select p.ap_id, parent.ap_id, c.body, a.name from comment c
         join post p on p.id = c.post_id join person a on a.id = c.author_id
         left join comment parent on parent.id = c.parent_id
         where c.ap_id = $1",
    )
    .bind(ap_id)
    .fetch_optional(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// Every family that votes, on a post and a comment of A's community: Lemmy's `Like` and
/// `Dislike` with `audience`, Mbin's and PieFed's `Like`, PieFed's `Dislike`, Mastodon's
/// favourites of a Page and of a Note, Friendica's and NodeBB's `Like`; then Lemmy's and
/// Mastodon's `Undo{Like}`. Each is the right vote by the right person; every one of them
/// delivered again changes nothing; Pleroma's `EmojiReact` is acknowledged and ignored.
#[tokio::test]
async fn every_familys_votes_land_as_votes() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    for name in ["tom", "lee", "mika", "sam", "kai", "jody", "vale"] {
        b.user(name).await;
    }
    create_community(&a, &alice, "garden", json!({})).await;
    let group = format!("http://{}/c/garden", host(&a));
    let post = write_post(&a, &alice, "garden", "Alice's tomatoes").await;
    let comment = write_comment(
        &a,
        &alice,
        post_id(&a, &post).await.unwrap(),
        None,
        "Alice adds a note",
    )
    .await;
    // Lemmy's post 42 and comment 7 in its gardening community are alice's here.
    let moves = Moves::new(&b)
        .map("https://lemmy.example/c/gardening", &group)
        .map("https://lemmy.example/post/42", &post)
        .map("https://lemmy.example/comment/7", &comment)
        .map(
            "https://lemmy.example/u/rosa",
            &format!("http://{}/u/alice", host(&a)),
        );
    let votes_cast = [
        "lemmy/like.json",
        "lemmy/dislike.json",
        "mbin/like.json",
        "piefed/like.json",
        "piefed/dislike.json",
        "mastodon/like.json",
        "mastodon/like_note.json",
        "friendica/like.json",
        "nodebb/like.json",
    ];
    for path in votes_cast {
        delivered(&a, &b, &moves.fixture(path), path).await;
    }
    assert_eq!(
        votes(&a, "post", &post).await,
        named(&[
            ("jody", 1),
            ("kai", 1),
            ("lee", 1),
            ("mika", 1),
            ("sam", 1),
            ("tom", 1)
        ]),
        "NodeBB, Friendica, Mbin, PieFed, Mastodon and Lemmy upvoted the post"
    );
    assert_eq!(
        votes(&a, "comment", &comment).await,
        named(&[("mika", -1), ("sam", 1), ("tom", -1)]),
        "PieFed and Lemmy downvoted the comment, Mastodon favourited it"
    );
    let counts = |s: Option<(i32, i32, i32, bool, String)>| s.map(|s| (s.0, s.1, s.2));
    assert_eq!(counts(state_of(&a, "post", &post).await), Some((6, 6, 0)));
    assert_eq!(
        counts(state_of(&a, "comment", &comment).await),
        Some((-1, 1, 2))
    );

    // Taking votes back: Lemmy's Undo{Like} of the post, Mastodon's of the comment.
    for path in ["lemmy/undo_like.json", "mastodon/undo_like.json"] {
        delivered(&a, &b, &moves.fixture(path), path).await;
    }
    let after_undo = (
        votes(&a, "post", &post).await,
        votes(&a, "comment", &comment).await,
    );
    assert_eq!(
        after_undo,
        (
            named(&[("jody", 1), ("kai", 1), ("lee", 1), ("mika", 1), ("sam", 1)]),
            named(&[("mika", -1), ("tom", -1)]),
        )
    );
    assert_eq!(counts(state_of(&a, "post", &post).await), Some((5, 5, 0)));
    assert_eq!(
        counts(state_of(&a, "comment", &comment).await),
        Some((-2, 0, 2))
    );

    // Every vote and undo again, as retrying servers send them: applied once, the undone
    // votes stay undone.
    let before = fingerprint(&a).await;
    for path in votes_cast
        .iter()
        .chain(&["lemmy/undo_like.json", "mastodon/undo_like.json"])
    {
        delivered(&a, &b, &moves.fixture(path), path).await;
    }
    assert_eq!(
        (
            votes(&a, "post", &post).await,
            votes(&a, "comment", &comment).await
        ),
        after_undo,
        "repeats change no vote"
    );
    assert_eq!(fingerprint(&a).await, before);

    // An emoji reaction is not a vote: acknowledged, and nothing changes.
    delivered(
        &a,
        &b,
        &moves.fixture("pleroma/emoji_react.json"),
        "EmojiReact",
    )
    .await;
    assert_eq!(fingerprint(&a).await, before, "EmojiReact changed nothing");
    for app in [a, b] {
        app.stop().await;
    }
}

/// PieFed's post (a `Page` link post) and its comment (a `Note` addressed to the parent's author
/// and the community), and PeerTube's `Video` (an `attributedTo` list of the account and its
/// channel, markdown `content`, a `url` list of Links) addressed to our community: each lands
/// as the right post or comment, with its title, body, link, author and parent.
#[tokio::test]
async fn piefed_and_peertube_posts_land() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    for name in ["mika", "noor", "ines"] {
        b.user(name).await;
    }
    create_community(&a, &alice, "garden", json!({})).await;
    let group = format!("http://{}/c/garden", host(&a));
    let moves = Moves::new(&b)
        .map("https://piefed.example/c/lowtech", &group)
        .map("https://hearth.example/c/garden", &group);

    let page = moves.fixture("piefed/page.json");
    let page_id = page["id"].as_str().unwrap().to_owned();
    delivered(&a, &b, &create(&page), "PieFed's post").await;
    assert_eq!(
        post_facts(&a, &page_id).await,
        Some((
            "Fixing a kettle with a paperclip".to_owned(),
            "The switch spring had *snapped*; a bent clip holds for now.".to_owned(),
            Some("https://repair.example/kettle-guide".to_owned()),
            "mika".to_owned(),
            group.clone(),
        ))
    );

    let note = moves.fixture("piefed/note.json");
    let note_id = note["id"].as_str().unwrap().to_owned();
    delivered(&a, &b, &create(&note), "PieFed's comment").await;
    assert_eq!(
        comment_facts(&a, &note_id).await,
        Some((
            page_id.clone(),
            None,
            "Mind the **mains** side when you test it.".to_owned(),
            "noor".to_owned(),
        )),
        "a top-level comment on PieFed's post"
    );

    let video = moves.fixture("peertube/video.json");
    let video_id = video["id"].as_str().unwrap().to_owned();
    delivered(&a, &b, &create(&video), "PeerTube's video").await;
    assert_eq!(
        post_facts(&a, &video_id).await,
        Some((
            "Pruning an old apple tree".to_owned(),
            "Winter is the time to cut **crossing branches**.\r\n\r\nChapters:\r\n00:00 Tools\r\n03:10 First cuts"
                .to_owned(),
            Some(video_id.clone()),
            "ines".to_owned(),
            group.clone(),
        )),
        "the video is a post: its name, its markdown description, its watch page"
    );
    let html: Option<(String,)> = {
        let pool = a.db.pool().await;
        let row = sqlx::query_as("select body_html from post where ap_id = $1")
            .bind(&video_id)
            .fetch_optional(&pool)
            .await
            .unwrap();
        pool.close().await;
        row
    };
    assert!(
        html.is_some_and(|(h,)| h.contains("<strong>crossing branches</strong>")),
        "the markdown description is rendered"
    );

    // The same objects again, in new Creates (a retry after a lost answer): still one each.
    for object in [&page, &note, &video] {
        delivered(&a, &b, &create(object), "again").await;
    }
    for (table, id) in [
        ("post", &page_id),
        ("comment", &note_id),
        ("post", &video_id),
    ] {
        assert_eq!(
            scalar(
                &a,
                &format!("select count(*) from {table} where ap_id = $1"),
                id
            )
            .await,
            Some(1),
            "{id} once"
        );
    }
    for app in [a, b] {
        app.stop().await;
    }
}

/// A community on B, joined from A, announces in every shape: Lemmy's `Announce{Create{Page}}`,
/// the bare `Announce{Page}` of the same post (stored once), `Announce{Create{Note}}` and
/// `Announce{Like}`, NodeBB's bare `Announce{Article}`, a bare `Announce{Video}`, and an
/// `Announce` of a bare id (as PeerTube's channels send, fetched from B). Each lands once as the right post, comment or
/// vote; a Mastodon boost (an `Announce` by a person) is acknowledged and ignored.
#[tokio::test]
async fn announces_of_every_shape_land_once() {
    let a = TestApp::spawn(&[]).await;
    // B keeps its deliveries to itself: the test plays its Group by hand, signing as it.
    let b = TestApp::spawn(&[("HEARTH__FEDERATION__DELIVERY__WORKERS", "false")]).await;
    let ines = b.user("ines").await;
    for name in ["tom", "jody", "sam"] {
        b.user(name).await;
    }
    let (group, _earlier) = joined_from_a(&a, &b).await;

    let moves = Moves::new(&b)
        .map("https://nodebb.example/category/5", &group)
        .map("https://hearth.example/c/garden", &group);
    let seeds = format!("http://{}/post/43", host(&b));

    // Lemmy's Announce{Create{Page}}: a post of B's community, by rosa.
    let announce = moves.fixture("lemmy/announce_create_page.json");
    delivered(&a, &b, &announce, "Announce{Create{Page}}").await;
    let seeds_facts = Some((
        "Saving seeds from heirloom beans".to_owned(),
        "Leave the pods to dry *on the vine*.".to_owned(),
        None,
        "rosa".to_owned(),
        group.clone(),
    ));
    assert_eq!(post_facts(&a, &seeds).await, seeds_facts);
    // The same Announce again, and the bare Announce{Page} of the same post: one post.
    delivered(&a, &b, &announce, "the same Announce").await;
    delivered(
        &a,
        &b,
        &moves.fixture("lemmy/announce_page.json"),
        "Announce{Page}",
    )
    .await;
    assert_eq!(
        scalar(&a, "select count(*) from post where ap_id = $1", &seeds).await,
        Some(1)
    );
    assert_eq!(post_facts(&a, &seeds).await, seeds_facts);

    // Announce{Create{Note}}: tom's comment on that post.
    let note = moves.fixture("lemmy/announce_create_note.json");
    delivered(&a, &b, &note, "Announce{Create{Note}}").await;
    let comment = format!("http://{}/comment/8", host(&b));
    assert_eq!(
        comment_facts(&a, &comment).await,
        Some((
            seeds.clone(),
            None,
            "Paper envelopes keep them dry over winter.".to_owned(),
            "tom".to_owned(),
        ))
    );

    // Announce{Like}: tom's vote, counted once even when announced again under a new id.
    let like = moves.fixture("lemmy/announce_like.json");
    delivered(&a, &b, &like, "Announce{Like}").await;
    let mut again = like.clone();
    again["id"] = json!(format!("{group}/announce/{}", uuid::Uuid::new_v4()));
    delivered(&a, &b, &again, "Announce{Like} again").await;
    assert_eq!(votes(&a, "post", &seeds).await, named(&[("tom", 1)]));
    assert_eq!(
        state_of(&a, "post", &seeds).await.map(|s| (s.0, s.1)),
        Some((1, 1))
    );
    let mut note_again = note.clone();
    note_again["id"] = json!(format!("{group}/announce/{}", uuid::Uuid::new_v4()));
    delivered(&a, &b, &note_again, "Announce{Create{Note}} again").await;
    assert_eq!(
        scalar(
            &a,
            "select count(*) from comment where ap_id = $1",
            &comment
        )
        .await,
        Some(1)
    );

    // NodeBB's category announces the bare Article.
    delivered(
        &a,
        &b,
        &moves.fixture("nodebb/announce.json"),
        "NodeBB's Announce{Article}",
    )
    .await;
    assert_eq!(
        post_facts(&a, &format!("http://{}/post/311", host(&b))).await,
        Some((
            "Rain barrels: worth it?".to_owned(),
            "Ours filled in one storm.".to_owned(),
            None,
            "jody".to_owned(),
            group.clone(),
        ))
    );

    // A bare Announce{Video} of PeerTube's video addressed to the community: its author is the
    // Person of its `attributedTo` list.
    let video = moves.fixture("peertube/video.json");
    let video_id = video["id"].as_str().unwrap().to_owned();
    let bare_video = json!({
        "id": format!("{video_id}/announces/30"), "type": "Announce", "actor": group,
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": video,
    });
    delivered(&a, &b, &bare_video, "Announce{Video}").await;
    assert_eq!(
        post_facts(&a, &video_id).await.map(|f| (f.0, f.2, f.3)),
        Some((
            "Pruning an old apple tree".to_owned(),
            Some(video_id.clone()),
            "ines".to_owned()
        ))
    );

    // An Announce of a bare id, as PeerTube's channels send: A fetches it from B. (B serves a
    // post of its own at that id; B's deliveries are off, so A has not seen it.)
    let grafting = write_post(&b, &ines, "gardening", "Grafting, step by step").await;
    assert_eq!(post_id(&a, &grafting).await, None);
    let by_id = Moves::new(&b)
        .map(
            "https://peertube.example/video-channels/ines_orchard",
            &group,
        )
        .map(
            "https://peertube.example/videos/watch/5d7f0e3b-2a61-4c88-b1e4-93c0a2d7f615",
            &grafting,
        )
        .fixture("peertube/announce.json");
    assert!(by_id["object"].is_string());
    delivered(&a, &b, &by_id, "Announce of an id").await;
    assert_eq!(
        post_facts(&a, &grafting).await.map(|f| (f.0, f.3, f.4)),
        Some((
            "Grafting, step by step".to_owned(),
            "ines".to_owned(),
            group.clone()
        ))
    );

    // A Mastodon boost of a post of the community: a person's Announce, ignored.
    let before = fingerprint(&a).await;
    let boost = moves.fixture("mastodon/announce.json");
    assert_eq!(boost["object"], json!(seeds));
    delivered(&a, &b, &boost, "Mastodon's boost").await;
    assert_eq!(fingerprint(&a).await, before, "a boost changes nothing");
    for app in [a, b] {
        app.stop().await;
    }
}

/// Comments in the shapes Mbin (a `Note` answering the thread, the magazine in `cc` and
/// `audience`), NodeBB (a reply `Note` with `context` and a null `name`) and PeerTube (markdown
/// `content` answering the video, and a reply to that comment) send, Mastodon's post (a `Note`
/// without `name` that mentions the group) and PeerTube's `Like` and `Dislike` of a video, all
/// sent to our community: each is the right comment under the right post and parent, the right
/// post, the right vote; every one of them again changes nothing.
#[tokio::test]
async fn mbin_nodebb_and_peertube_comments_mastodon_posts_and_peertube_votes_land() {
    let a = TestApp::spawn(&[]).await;
    let b = TestApp::spawn(&[]).await;
    let alice = a.user("alice").await;
    for name in ["lee", "tove", "jody", "ash", "ines", "bruno", "dara", "sam"] {
        b.user(name).await;
    }
    create_community(&a, &alice, "garden", json!({})).await;
    let group = format!("http://{}/c/garden", host(&a));
    let moves = Moves::new(&b)
        .map("https://mbin.example/m/cycling", &group)
        .map("https://nodebb.example/category/5", &group)
        .map("https://hearth.example/c/garden", &group);
    let id = |object: &Value| object["id"].as_str().unwrap().to_owned();

    // The posts answered: Mbin's thread, NodeBB's topic, PeerTube's video.
    let mut posts = Vec::new();
    for path in ["mbin/page.json", "nodebb/page.json", "peertube/video.json"] {
        let object = moves.fixture(path);
        delivered(&a, &b, &create(&object), path).await;
        assert!(post_id(&a, &id(&object)).await.is_some(), "{path} landed");
        posts.push(object);
    }
    let [thread, topic, video] = [id(&posts[0]), id(&posts[1]), id(&posts[2])];

    let mbin = moves.fixture("mbin/note.json");
    delivered(&a, &b, &create(&mbin), "Mbin's comment").await;
    assert_eq!(
        comment_facts(&a, &id(&mbin)).await,
        Some((
            thread.clone(),
            None,
            "Dry wax in summer, a *wet lube* once the rain starts.".to_owned(),
            "tove".to_owned(),
        )),
        "Mbin's comment answers its thread"
    );

    let nodebb = moves.fixture("nodebb/note.json");
    delivered(&a, &b, &create(&nodebb), "NodeBB's reply").await;
    assert_eq!(
        comment_facts(&a, &id(&nodebb)).await,
        Some((
            topic.clone(),
            None,
            "Hi all, long-time **lurker** here.".to_owned(),
            "ash".to_owned(),
        )),
        "NodeBB's reply answers its topic"
    );

    let peertube = moves.fixture("peertube/note.json");
    delivered(&a, &b, &create(&peertube), "PeerTube's comment").await;
    assert_eq!(
        comment_facts(&a, &id(&peertube)).await,
        Some((
            video.clone(),
            None,
            "Which saw do you use for the *thick* limbs?".to_owned(),
            "bruno".to_owned(),
        )),
        "PeerTube's comment answers the video"
    );
    let reply = moves.fixture("peertube/reply.json");
    delivered(&a, &b, &create(&reply), "PeerTube's reply").await;
    assert_eq!(
        comment_facts(&a, &id(&reply)).await,
        Some((
            video.clone(),
            Some(id(&peertube)),
            "@bruno@peertube.example a folding pruning saw, nothing fancy.".to_owned(),
            "ines".to_owned(),
        )),
        "PeerTube's reply hangs under the comment it answers"
    );
    let html = text(
        &a,
        "select body_html from comment where ap_id = $1",
        &id(&peertube),
    )
    .await;
    assert!(
        html.as_deref()
            .is_some_and(|h| h.contains("<em>thick</em>")),
        "PeerTube's markdown is rendered: {html:?}"
    );

    // Mastodon's post: its first line without the mention is the title, the rest the body.
    let mastodon = moves.fixture("mastodon/mention_post.json");
    delivered(&a, &b, &create(&mastodon), "Mastodon's post").await;
    assert_eq!(
        post_facts(&a, &id(&mastodon)).await,
        Some((
            "Frost came early this year".to_owned(),
            "The beans went black overnight, so next year they go in a fortnight later.".to_owned(),
            None,
            "sam".to_owned(),
            group.clone(),
        )),
        "Mastodon's note is a post of the group it mentions"
    );

    // PeerTube's votes on the video.
    let votes_cast = ["peertube/like.json", "peertube/dislike.json"];
    for path in votes_cast {
        delivered(&a, &b, &moves.fixture(path), path).await;
    }
    assert_eq!(
        votes(&a, "post", &video).await,
        named(&[("bruno", 1), ("dara", -1)])
    );
    let counts = |s: Option<(i32, i32, i32, bool, String)>| s.map(|s| (s.0, s.1, s.2));
    assert_eq!(counts(state_of(&a, "post", &video).await), Some((0, 1, 1)));

    // Everything again, the objects in new Creates (a retry after a lost answer): nothing
    // changes, each object is stored once.
    let before = fingerprint(&a).await;
    for object in [&mbin, &nodebb, &peertube, &reply, &mastodon] {
        delivered(&a, &b, &create(object), "again").await;
    }
    for path in votes_cast {
        delivered(&a, &b, &moves.fixture(path), path).await;
    }
    assert_eq!(fingerprint(&a).await, before, "repeats change nothing");
    for (table, object) in [
        ("comment", &mbin),
        ("comment", &nodebb),
        ("comment", &peertube),
        ("comment", &reply),
        ("post", &mastodon),
    ] {
        assert_eq!(
            scalar(
                &a,
                &format!("select count(*) from {table} where ap_id = $1"),
                &id(object)
            )
            .await,
            Some(1),
            "{} once",
            id(object)
        );
    }
    assert_eq!(
        votes(&a, "post", &video).await,
        named(&[("bruno", 1), ("dara", -1)])
    );
    for app in [a, b] {
        app.stop().await;
    }
}

/// A community on B, joined from A, announces as Mbin's magazines (`Announce{Create{Note}}` and
/// `Announce{Like}`, ids under `/f/object/`), Friendica's groups (`Announce{Create{Note}}` with
/// ids ending in `/Announce` and `/Create`, a BBCode source) and PieFed's communities
/// (`Announce{Create{Page}}`) do: each lands once as the right post, comment or vote, also when
/// delivered again or announced again under a new id.
#[tokio::test]
async fn mbin_friendica_and_piefed_announces_land_once() {
    let a = TestApp::spawn(&[]).await;
    // B keeps its deliveries to itself: the test plays its Group by hand, signing as it.
    let b = TestApp::spawn(&[("HEARTH__FEDERATION__DELIVERY__WORKERS", "false")]).await;
    for name in ["mika", "tove", "lee", "kai"] {
        b.user(name).await;
    }
    let (group, earlier) = joined_from_a(&a, &b).await;
    let mbin_comment = format!("http://{}/m/cycling/t/100/-/comment/530", host(&b));
    // Every community here is B's; Mbin's thread 100 is rosa's earlier post, and the Friendica
    // post kai answers is Mbin's comment on it.
    let moves = Moves::new(&b)
        .map("https://piefed.example/c/lowtech", &group)
        .map("https://mbin.example/m/cycling", &group)
        .map("https://friendica.example/profile/allotment", &group)
        .map("https://mbin.example/m/cycling/t/100", &earlier)
        .map(
            "https://friendica.example/objects/eeeeeeee-0000-0000-0000-000000000005",
            &mbin_comment,
        );
    let with_new_id = |announce: &Value| {
        let mut again = announce.clone();
        again["id"] = json!(format!("{group}/announce/{}", uuid::Uuid::new_v4()));
        again
    };

    // PieFed's Announce{Create{Page}}: mika's post in the community.
    let piefed = moves.fixture("piefed/announce_create_page.json");
    delivered(&a, &b, &piefed, "PieFed's Announce{Create{Page}}").await;
    let mulching = format!("http://{}/post/315", host(&b));
    assert_eq!(
        post_facts(&a, &mulching).await,
        Some((
            "Mulching before the first frost".to_owned(),
            "Straw, leaves or *cardboard*: what works for you?".to_owned(),
            None,
            "mika".to_owned(),
            group.clone(),
        ))
    );

    // Mbin's Announce{Create{Note}}: tove's comment on rosa's post.
    let mbin_note = moves.fixture("mbin/announce_create_note.json");
    delivered(&a, &b, &mbin_note, "Mbin's Announce{Create{Note}}").await;
    assert_eq!(
        comment_facts(&a, &mbin_comment).await,
        Some((
            earlier.clone(),
            None,
            "A thick layer of **leaves** does the same job for free.".to_owned(),
            "tove".to_owned(),
        ))
    );

    // Mbin's Announce{Like}: lee's upvote of rosa's post.
    let mbin_like = moves.fixture("mbin/announce_like.json");
    delivered(&a, &b, &mbin_like, "Mbin's Announce{Like}").await;
    assert_eq!(votes(&a, "post", &earlier).await, named(&[("lee", 1)]));
    assert_eq!(
        state_of(&a, "post", &earlier)
            .await
            .map(|s| (s.0, s.1, s.2)),
        Some((1, 1, 0))
    );

    // Friendica's group announces kai's Create{Note}: a reply to tove's comment.
    let friendica = moves.fixture("friendica/announce_create_note.json");
    delivered(&a, &b, &friendica, "Friendica's Announce{Create{Note}}").await;
    let kai_comment = format!(
        "http://{}/objects/dddddddd-0000-0000-0000-000000000004",
        host(&b)
    );
    assert_eq!(
        comment_facts(&a, &kai_comment).await,
        Some((
            earlier.clone(),
            Some(mbin_comment.clone()),
            "Leaves, yes, but chop them first or they mat.".to_owned(),
            "kai".to_owned(),
        ))
    );

    // Each again, and each under a new Announce id: applied once.
    let before = fingerprint(&a).await;
    for announce in [&piefed, &mbin_note, &mbin_like, &friendica] {
        delivered(&a, &b, announce, "the same Announce").await;
        delivered(&a, &b, &with_new_id(announce), "announced again").await;
    }
    assert_eq!(fingerprint(&a).await, before, "repeats change nothing");
    for (table, ap_id) in [
        ("post", &mulching),
        ("comment", &mbin_comment),
        ("comment", &kai_comment),
    ] {
        assert_eq!(
            scalar(
                &a,
                &format!("select count(*) from {table} where ap_id = $1"),
                ap_id
            )
            .await,
            Some(1),
            "{ap_id} once"
        );
    }
    assert_eq!(votes(&a, "post", &earlier).await, named(&[("lee", 1)]));
    for app in [a, b] {
        app.stop().await;
    }
}
