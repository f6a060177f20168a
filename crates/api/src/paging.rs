//! Page sizes and opaque cursors shared by list endpoints.

use crate::views::Page;
use hearth_core::{Error, Result};
use hearth_db::community::Cursor;

/// The default page size.
pub const DEFAULT_LIMIT: i64 = 20;
/// The largest page size.
pub const MAX_LIMIT: i64 = 100;

/// Checks `limit` (1–100, default 20).
pub fn limit(raw: Option<i64>) -> Result<i64> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// Encodes a sorted-list cursor; clients treat it as opaque.
pub fn encode(cursor: Cursor) -> String {
    format!("{}_{}", cursor.key, cursor.id)
}

/// Decodes a cursor made by `encode`.
pub fn decode(raw: Option<&str>) -> Result<Option<Cursor>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let invalid = || Error::validation("cursor", "is not a cursor this server gave out");
    let (key, id) = raw.split_once('_').ok_or_else(invalid)?;
    Ok(Some(Cursor {
        key: key.parse().map_err(|_| invalid())?,
        id: id.parse().map_err(|_| invalid())?,
    }))
}

/// Encodes a cursor whose sort key is a float (ranks); Rust prints the shortest text that
/// parses back to the same f64, so the round trip is exact.
pub fn encode_f64(key: f64, id: i64) -> String {
    format!("{key}_{id}")
}

/// Decodes a cursor made by `encode_f64`.
pub fn decode_f64(raw: Option<&str>) -> Result<Option<(f64, i64)>> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let invalid = || Error::validation("cursor", "is not a cursor this server gave out");
    let (key, id) = raw.rsplit_once('_').ok_or_else(invalid)?;
    let key: f64 = key.parse().map_err(|_| invalid())?;
    if !key.is_finite() {
        return Err(invalid());
    }
    Ok(Some((key, id.parse().map_err(|_| invalid())?)))
}

/// Decodes a cursor that is just the last id.
pub fn decode_id(raw: Option<&str>) -> Result<Option<i64>> {
    raw.filter(|r| !r.is_empty())
        .map(|r| {
            r.parse()
                .map_err(|_| Error::validation("cursor", "is not a cursor this server gave out"))
        })
        .transpose()
}

/// Cuts the `limit + 1` rows a query fetched to one page, with the last row's id as the next
/// cursor when more remain.
pub fn page_by_id<R, V: utoipa::ToSchema>(
    mut rows: Vec<R>,
    limit: i64,
    id: impl Fn(&R) -> i64,
    view: impl Fn(R) -> V,
) -> Page<V> {
    let next_cursor = hearth_service::paging::cut(&mut rows, limit).map(|r| id(r).to_string());
    Page {
        items: rows.into_iter().map(view).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_field_error() {
        let c = Cursor { key: -3, id: 42 };
        assert_eq!(decode(Some(&encode(c))).unwrap(), Some(c));
        let err = decode(Some("nope")).unwrap_err();
        assert_eq!(err.kind.code(), "invalid_field");
        assert!(err.to_string().starts_with("cursor"));
        assert!(limit(Some(0)).is_err() && limit(Some(101)).is_err());
        let rank = 1_234.567_890_123_f64 / 7.0;
        assert_eq!(
            decode_f64(Some(&encode_f64(rank, 9))).unwrap(),
            Some((rank, 9))
        );
        assert!(decode_f64(Some("NaN_1")).is_err() && decode_f64(Some("1_x")).is_err());
    }
}

#[cfg(test)]
#[path = "paging_proptests.rs"]
mod proptests;
