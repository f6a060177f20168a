//! The world the inbox scenarios post into, and their pre-signed activities: a Hearth instance
//! with one public community and posts in it, 200 remote actors stored with their public keys
//! (as if fetched before, so nothing is fetched while measuring) on one remote authority, and
//! Lemmy-shaped `Create{Note}` comments and `Like`s signed ahead of time with Hearth's own
//! signer (aws-lc-rs), so the load generator spends no CPU on signing.

use crate::cluster::BenchDb;
use crate::crypto::TestKey;
use crate::instance::{Instance, User};
use crate::load::RequestSpec;
use crate::seed::{self, RemotePerson};
use crate::sink::SinkProcess;
use crate::{Bench, machine};
use hearth_federation::signing::Signer;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::sync::Arc;
use url::Url;

/// How many remote actors send.
pub const ACTORS: usize = 200;
/// How many distinct keys they share (RSA key generation is slow; verification costs the same
/// whichever key it uses).
const KEYS: usize = 4;
/// The public addressee.
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The instance, its community and posts, and the remote actors.
pub struct InboxWorld {
    /// The instance.
    pub instance: Instance,
    /// A pool on its database, for checks.
    pub pool: PgPool,
    /// Its database.
    pub db: BenchDb,
    /// The sink whose authority the actors live on (it counts any fetch of them).
    pub sink: SinkProcess,
    /// The community's id.
    pub community: String,
    /// The posts' ActivityPub ids.
    pub posts: Vec<String>,
    /// The actors' ids and their key.
    actors: Vec<(String, Arc<TestKey>)>,
    /// Where activities are posted: `http://localhost:PORT/inbox`.
    pub inbox: Url,
    authority: String,
}

/// One activity to send, with who signs it.
pub struct Unsigned {
    /// Index of the signing actor.
    pub actor: usize,
    /// The activity.
    pub activity: Value,
}

impl InboxWorld {
    /// Sets up the instance (pool of `connections`) on a fresh database `name`, with `posts`
    /// posts in community `bench` and the remote actors.
    pub async fn build(
        bench: &Bench,
        name: &str,
        connections: u32,
        posts: usize,
    ) -> anyhow::Result<Self> {
        Self::build_with(bench, name, connections, posts, &[]).await
    }

    /// The same, with more settings for the instance (`scale_out` turns its workers off: the
    /// processes it starts do the work).
    pub async fn build_with(
        bench: &Bench,
        name: &str,
        connections: u32,
        posts: usize,
        overrides: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let db = bench.cluster.database(name).await?;
        let mut settings = vec![("HEARTH__DATABASE__MAX_CONNECTIONS", connections.to_string())];
        settings.extend(overrides.iter().cloned());
        let instance = Instance::spawn(&db, connections, &settings).await?;
        let pool = db.pool(4).await?;
        let owner: User = instance.user("owner", false).await?;
        instance.community(&owner, "bench").await?;
        let mut post_ids = Vec::with_capacity(posts);
        for i in 0..posts {
            let id = instance
                .post(&owner, "bench", &format!("Benchmark post {i}"))
                .await?;
            post_ids.push(format!("{}/post/{id}", instance.public_base()));
        }
        let sink = SinkProcess::start(1, false).await?;
        let authority = sink.authority(0);
        let mut keys = Vec::with_capacity(KEYS);
        let generated =
            futures_join((0..KEYS).map(|_| TestKey::generate()).collect::<Vec<_>>()).await;
        for key in generated {
            keys.push(Arc::new(key?));
        }
        anyhow::ensure!(keys.len() == KEYS, "key generation failed");
        let mut people = Vec::with_capacity(ACTORS);
        let mut actors = Vec::with_capacity(ACTORS);
        for i in 0..ACTORS {
            let key = keys[i % KEYS].clone();
            let person = RemotePerson::on(&authority, &format!("actor{i}"), &key.public_pem);
            actors.push((person.ap_id.clone(), key));
            people.push(person);
        }
        seed::remote_people(&pool, &people).await?;
        let inbox = Url::parse(&format!("{}/inbox", instance.public_base()))?;
        let community = format!("{}/c/bench", instance.public_base());
        Ok(Self {
            instance,
            pool,
            db,
            sink,
            community,
            posts: post_ids,
            actors,
            inbox,
            authority,
        })
    }

    /// Activity `n` of a mix: even ones are comments, odd ones likes, spread over the posts.
    pub fn activity(&self, n: usize, salt: &str) -> Unsigned {
        // The k-th comment or like is on post k mod posts, by actor (k / posts) mod 200: no
        // (actor, post) pair likes twice, and consecutive activities touch different posts.
        let k = n / 2;
        let actor = (k / self.posts.len()) % ACTORS;
        let actor_id = &self.actors[actor].0;
        let base = format!("http://{}", self.authority);
        if n.is_multiple_of(2) {
            let post = &self.posts[k % self.posts.len()];
            let text = format!(
                "Comment {n} from a benchmark actor: a few sentences of ordinary length, \
                 the kind of reply people write under a post, with *some* markdown in it."
            );
            let note = json!({
                "type": "Note",
                "id": format!("{base}/comment/{salt}-{n}"),
                "attributedTo": actor_id,
                "to": [PUBLIC],
                "cc": [self.community],
                "audience": self.community,
                "inReplyTo": post,
                "content": format!("<p>{text}</p>"),
                "mediaType": "text/html",
                "source": {"content": text, "mediaType": "text/markdown"},
                "published": chrono::Utc::now().to_rfc3339(),
            });
            Unsigned {
                actor,
                activity: json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": format!("{base}/activities/create/{salt}-{n}"),
                    "type": "Create",
                    "actor": actor_id,
                    "to": [PUBLIC],
                    "cc": [self.community],
                    "audience": self.community,
                    "object": note,
                }),
            }
        } else {
            let post = &self.posts[(k + self.posts.len() / 2) % self.posts.len()];
            Unsigned {
                actor,
                activity: json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": format!("{base}/activities/like/{salt}-{n}"),
                    "type": "Like",
                    "actor": actor_id,
                    "object": post,
                    "audience": self.community,
                }),
            }
        }
    }

    /// Signs activities as Hearth signs deliveries (Date, Digest, Signature over
    /// `(request-target) host date digest`), on every core; returns ready requests.
    pub async fn sign(&self, activities: Vec<Unsigned>) -> anyhow::Result<Vec<RequestSpec>> {
        let signer = Signer::default();
        let total = activities.len();
        let mut out: Vec<Option<RequestSpec>> = vec![None; total];
        let mut tasks = tokio::task::JoinSet::new();
        let mut pending = activities.into_iter().enumerate();
        let parallel = machine::cores() * 4;
        loop {
            while tasks.len() < parallel {
                let Some((index, unsigned)) = pending.next() else {
                    break;
                };
                let (actor_id, key) = self.actors[unsigned.actor].clone();
                let signer = signer.clone();
                let inbox = self.inbox.clone();
                tasks.spawn(async move {
                    let body = serde_json::to_string(&unsigned.activity)?;
                    let signed = signer
                        .sign_post(&key.private_pem, &actor_id, &inbox, body.as_bytes())
                        .await?;
                    Ok::<_, anyhow::Error>((
                        index,
                        RequestSpec {
                            method: "POST".to_owned(),
                            url: inbox.to_string(),
                            headers: vec![
                                (
                                    "content-type".to_owned(),
                                    "application/activity+json".to_owned(),
                                ),
                                ("date".to_owned(), signed.date),
                                ("digest".to_owned(), signed.digest),
                                ("signature".to_owned(), signed.signature),
                            ],
                            body: Some(body),
                        },
                    ))
                });
            }
            let Some(done) = tasks.join_next().await else {
                break;
            };
            let (index, request) = done??;
            out[index] = Some(request);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Comments and votes stored, and received activity ids recorded.
    pub async fn applied(&self) -> anyhow::Result<(i64, i64, i64)> {
        Ok(sqlx::query_as(
            "select (select count(*) from comment where not local),
                    (select count(*) from post_vote v join person p on p.id = v.person_id
                     where not p.local),
                    (select count(*) from received_activity)",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Waits until the inbox queue holds nothing waiting to be applied (the inbox answers 202
    /// once an activity is queued; workers apply it after); answers how long that took. Looks
    /// every 50 ms, whether any row waits (one probe of the partial index): counting thousands of
    /// waiting rows every 5 ms, as this did first, cost 0.47 ms of PostgreSQL CPU per activity
    /// measured, taken from the instance being measured.
    pub async fn drained(&self, limit: std::time::Duration) -> anyhow::Result<std::time::Duration> {
        let started = std::time::Instant::now();
        loop {
            let waiting: bool = sqlx::query_scalar(
                "select exists (select 1 from inbox_queue where state = 'pending')",
            )
            .fetch_one(&self.pool)
            .await?;
            if !waiting {
                return Ok(started.elapsed());
            }
            anyhow::ensure!(
                started.elapsed() < limit,
                "activities still waiting to be applied after {limit:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Stops everything.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        self.instance.stop().await?;
        self.sink.stop().await?;
        Ok(())
    }
}

/// Awaits futures concurrently (a tiny `join_all`, to avoid a dependency).
async fn futures_join<F, T>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        if let Ok(value) = handle.await {
            out.push(value);
        }
    }
    out
}

/// A copy of a signed request whose signature value is garbage but whose keyId is intact: a
/// replay of it is acknowledged only if the inbox skips verification for replays.
pub fn with_bad_signature(request: &RequestSpec) -> RequestSpec {
    let mut copy = request.clone();
    for (name, value) in &mut copy.headers {
        if name == "signature"
            && let Some(at) = value.find("signature=\"")
        {
            let prefix = &value[..at];
            *value = format!("{prefix}signature=\"AAAA{}\"", "A".repeat(340));
        }
    }
    copy
}
