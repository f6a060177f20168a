//! Lemmy's person views: `PersonView` (with post and comment counts) and the `Person` objects
//! of many people at once, each with their site ban.

use super::Person;
use crate::error::LemmyResult;
use hearth_db::person::PersonRow;
use hearth_service::ServiceContext;
use hearth_service::community_facts;
use serde::Serialize;
use std::collections::HashMap;

/// `PersonAggregates`.
#[derive(Debug, Clone, Serialize)]
pub struct PersonAggregates {
    pub person_id: i64,
    pub post_count: i64,
    pub comment_count: i64,
}

/// `PersonView`.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub person: Person,
    pub counts: PersonAggregates,
    pub is_admin: bool,
}

/// One view per row, in the rows' order (one query for the counts and bans).
pub async fn person_views(
    ctx: &ServiceContext,
    rows: Vec<PersonRow>,
) -> LemmyResult<Vec<PersonView>> {
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    let counts = community_facts::person_counts(ctx, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let counted = counts.iter().find(|c| c.person_id == row.id);
            PersonView {
                person: Person::from_row(&row, counted.is_some_and(|c| c.site_banned)),
                counts: PersonAggregates {
                    person_id: row.id,
                    post_count: counted.map_or(0, |c| c.posts),
                    comment_count: counted.map_or(0, |c| c.comments),
                },
                is_admin: row.admin,
            }
        })
        .collect())
}

/// The view of one person.
pub async fn person_view(ctx: &ServiceContext, row: PersonRow) -> LemmyResult<PersonView> {
    person_views(ctx, vec![row])
        .await?
        .pop()
        .ok_or_else(|| hearth_core::Error::not_found("There is no such person.").into())
}

/// `Person` objects of these people by id (two queries; missing ids are left out).
pub async fn people(ctx: &ServiceContext, ids: &[i64]) -> LemmyResult<HashMap<i64, Person>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let rows = community_facts::people(ctx, &ids).await?;
    let banned = community_facts::site_banned_among(ctx, &ids).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let banned = banned.contains(&row.id);
            (row.id, Person::from_row(row, banned))
        })
        .collect())
}
