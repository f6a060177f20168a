//! The shared step of every keyset-paged list: fetch one row more than asked, and if it came,
//! drop it and start the next page after the last row kept.

/// Cuts `rows` (fetched with `limit + 1`) to `limit`; returns the last kept row when more remain.
pub fn cut<T>(rows: &mut Vec<T>, limit: i64) -> Option<&T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
    } else {
        None
    }
}
