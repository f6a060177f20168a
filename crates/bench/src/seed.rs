//! Seeding rows straight into a scenario's database, in bulk: remote people (actors of other
//! servers, with their keys and inboxes, as Hearth stores them once fetched), their membership
//! of a community, and local communities without going through the API.

use hearth_db::community::CommunityRow;
use sqlx::PgPool;

/// A remote person to store.
#[derive(Debug, Clone)]
pub struct RemotePerson {
    /// `http://localhost:PORT/u/NAME`.
    pub ap_id: String,
    /// Its name.
    pub name: String,
    /// Its authority, `localhost:PORT`.
    pub host: String,
    /// Its public key (SPKI PEM).
    pub public_key: String,
    /// Its (shared) inbox.
    pub inbox: String,
}

impl RemotePerson {
    /// A person named `name` on `authority`, whose inbox is the server's shared `/inbox`.
    pub fn on(authority: &str, name: &str, public_key: &str) -> Self {
        Self {
            ap_id: format!("http://{authority}/u/{name}"),
            name: name.to_owned(),
            host: authority.to_owned(),
            public_key: public_key.to_owned(),
            inbox: format!("http://{authority}/inbox"),
        }
    }
}

/// Stores remote people (fresh, so nothing is fetched); returns their ids in order.
pub async fn remote_people(pool: &PgPool, people: &[RemotePerson]) -> anyhow::Result<Vec<i64>> {
    let column = |f: fn(&RemotePerson) -> &String| -> Vec<String> {
        people.iter().map(|p| f(p).clone()).collect()
    };
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into person (ap_id, local, name, host, public_key, inbox_url, shared_inbox_url,
                             last_refreshed_at)
         select a, false, n, h, k, i, i, now()
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
              with ordinality as t(a, n, h, k, i, o)
         order by o
         returning id",
    )
    .bind(column(|p| &p.ap_id))
    .bind(column(|p| &p.name))
    .bind(column(|p| &p.host))
    .bind(column(|p| &p.public_key))
    .bind(column(|p| &p.inbox))
    .fetch_all(pool)
    .await?;
    Ok(ids)
}

/// Makes people joined members of a community (as accepted Follows leave them).
pub async fn join(pool: &PgPool, community_id: i64, people: &[i64]) -> anyhow::Result<()> {
    let added = sqlx::query(
        "insert into community_member (community_id, person_id, state)
         select $1, unnest($2::bigint[]), 'joined' on conflict do nothing",
    )
    .bind(community_id)
    .bind(people)
    .execute(pool)
    .await?
    .rows_affected();
    sqlx::query("update community set member_count = member_count + $2 where id = $1")
        .bind(community_id)
        .bind(i32::try_from(added).unwrap_or(i32::MAX))
        .execute(pool)
        .await?;
    Ok(())
}

/// Stores a local community `name` of the instance at `base` (`http://localhost:PORT`), with a
/// key pair or, for a queue measured without signing, none.
pub async fn local_community(
    pool: &PgPool,
    base: &str,
    name: &str,
    keys: Option<(&str, &str)>,
) -> anyhow::Result<CommunityRow> {
    let ap_id = format!("{base}/c/{name}");
    let id: i64 = sqlx::query_scalar(
        "insert into community (ap_id, local, name, title, public_key, private_key)
         values ($1, true, $2, $3, $4, $5) returning id",
    )
    .bind(&ap_id)
    .bind(name)
    .bind(format!("Benchmark {name}"))
    .bind(keys.map(|k| k.0))
    .bind(keys.map(|k| k.1))
    .fetch_one(pool)
    .await?;
    hearth_db::community::find(pool, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("community {id} vanished"))
}

/// How many deliveries are in each state.
pub async fn delivery_states(pool: &PgPool) -> anyhow::Result<(i64, i64, i64)> {
    let (pending, delivered, other): (i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where state = 'pending'),
                count(*) filter (where state = 'delivered'),
                count(*) filter (where state not in ('pending', 'delivered'))
         from delivery_history",
    )
    .fetch_one(pool)
    .await?;
    Ok((pending, delivered, other))
}
