//! Community membership (`community_member`): joined members and pending join requests.

use crate::decode;
use chrono::{DateTime, Utc};
use hearth_core::UnknownName;
use sqlx::PgExecutor;
use std::str::FromStr;

/// Where a person stands in a community they joined or asked to join (`community_member.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// Waiting for a moderator's approval (or, in a remote community, for its Accept).
    Pending,
    /// A member.
    Joined,
}

impl MemberState {
    /// The stored name, which the API shows as it is.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Joined => "joined",
        }
    }
}

impl FromStr for MemberState {
    type Err = UnknownName;

    /// Reads the stored name (`pending` or `joined`); any other fails.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "pending" => Ok(Self::Pending),
            "joined" => Ok(Self::Joined),
            _ => Err(UnknownName::new("membership state", name)),
        }
    }
}

/// A person's membership state in a community, if any.
pub async fn state(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<MemberState>> {
    sqlx::query_scalar!(
        "select state from community_member where community_id = $1 and person_id = $2",
        community_id,
        person_id
    )
    .fetch_optional(db)
    .await?
    .map(|state| decode(&state))
    .transpose()
}

/// Records a membership in `state` unless one exists; true when it was inserted now.
pub async fn insert(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
    state: MemberState,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "insert into community_member (community_id, person_id, state) values ($1, $2, $3)
         on conflict do nothing",
        community_id,
        person_id,
        state.as_str()
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns a pending request into a membership; true when there was a pending request.
pub async fn approve(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update community_member set state = 'joined', updated_at = now()
         where community_id = $1 and person_id = $2 and state = 'pending'",
        community_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Turns every pending request into a membership (a community that stopped approving members);
/// returns the people admitted, with whether each is local.
pub async fn approve_all_pending(
    db: impl PgExecutor<'_>,
    community_id: i64,
) -> sqlx::Result<Vec<(i64, bool)>> {
    let rows = sqlx::query!(
        "with admitted as (
             update community_member set state = 'joined', updated_at = now()
             where community_id = $1 and state = 'pending'
             returning person_id
         )
         select a.person_id, p.local from admitted a join person p on p.id = a.person_id",
        community_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.person_id, r.local)).collect())
}

/// The person's membership states among these communities, as (community id, state).
pub async fn states_among(
    db: impl PgExecutor<'_>,
    person_id: i64,
    community_ids: &[i64],
) -> sqlx::Result<Vec<(i64, MemberState)>> {
    let rows = sqlx::query!(
        "select community_id, state from community_member where person_id = $1 and community_id = any($2)",
        person_id,
        community_ids
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| Ok((r.community_id, decode(&r.state)?)))
        .collect()
}

/// Removes a pending request (never a membership); true when there was one.
pub async fn delete_pending(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "delete from community_member where community_id = $1 and person_id = $2 and state = 'pending'",
        community_id,
        person_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a membership or request; returns the state it had, if any.
pub async fn delete(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<MemberState>> {
    sqlx::query_scalar!(
        "delete from community_member where community_id = $1 and person_id = $2 returning state",
        community_id,
        person_id
    )
    .fetch_optional(db)
    .await?
    .map(|state| decode(&state))
    .transpose()
}

/// A member or applicant as moderators see them.
#[derive(Debug, Clone)]
pub struct MemberRow {
    /// The person's id.
    pub person_id: i64,
    /// The person's name.
    pub name: String,
    /// The person's display name.
    pub display_name: Option<String>,
    /// The person's ActivityPub id.
    pub ap_id: String,
    /// True for people of this instance.
    pub local: bool,
    /// Member or applicant.
    pub state: MemberState,
    /// When they joined or asked to.
    pub created_at: DateTime<Utc>,
}

/// Members (or requests) in `state`, oldest first, after person id `after`.
pub async fn list(
    db: impl PgExecutor<'_>,
    community_id: i64,
    state: MemberState,
    after: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<MemberRow>> {
    let rows = sqlx::query!(
        "select m.person_id, p.name, p.display_name, p.ap_id, p.local, m.state, m.created_at
         from community_member m join person p on p.id = m.person_id
         where m.community_id = $1 and m.state = $2 and ($3::bigint is null or m.person_id > $3)
         order by m.person_id
         limit $4",
        community_id,
        state.as_str(),
        after,
        limit
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(MemberRow {
                person_id: r.person_id,
                name: r.name,
                display_name: r.display_name,
                ap_id: r.ap_id,
                local: r.local,
                state: decode(&r.state)?,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// Remembers the Follow activity a membership answers (an Accept or Reject embeds it).
pub async fn set_follow_ap_id(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
    follow_ap_id: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update community_member set follow_ap_id = $3 where community_id = $1 and person_id = $2",
        community_id,
        person_id,
        follow_ap_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The Follow activity a membership answers, when it came over federation.
pub async fn follow_ap_id(
    db: impl PgExecutor<'_>,
    community_id: i64,
    person_id: i64,
) -> sqlx::Result<Option<String>> {
    Ok(sqlx::query_scalar!(
        "select follow_ap_id from community_member where community_id = $1 and person_id = $2",
        community_id,
        person_id
    )
    .fetch_optional(db)
    .await?
    .flatten())
}

/// True when someone of this instance is a member of the community or asked to be.
pub async fn has_local_members(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query_scalar!(
        "select 1 as one from community_member m join person p on p.id = m.person_id
         where m.community_id = $1 and p.local limit 1",
        community_id
    )
    .fetch_optional(db)
    .await?
    .is_some())
}

/// How many people of this instance are joined members of the community.
pub async fn local_joined_count(db: impl PgExecutor<'_>, community_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from community_member m join person p on p.id = m.person_id
           where m.community_id = $1 and p.local and m.state = 'joined'"#,
        community_id
    )
    .fetch_one(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_states_read_back_from_their_names_and_unknown_names_fail() {
        for state in [MemberState::Pending, MemberState::Joined] {
            assert_eq!(state.as_str().parse::<MemberState>(), Ok(state));
        }
        assert!("none".parse::<MemberState>().is_err());
    }
}
