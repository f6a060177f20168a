//! Cursors in page addresses ("next page" links). They have the same shape as the API's cursors
//! (`key_id`), so a cursor copied from one works in the other.

use hearth_core::{Error, Result};
use hearth_db::community::Cursor;
use hearth_db::post::PostCursor;

/// Posts on one page.
pub const PAGE_SIZE: i64 = 20;

fn invalid() -> Error {
    Error::validation("cursor", "is not a cursor this server gave out")
}

fn non_empty(raw: Option<&str>) -> Option<&str> {
    raw.filter(|r| !r.is_empty())
}

/// Encodes a feed or search cursor (a float key and an id).
pub fn encode_f64(key: f64, id: i64) -> String {
    format!("{key}_{id}")
}

/// Decodes a cursor made by `encode_f64`.
pub fn decode_f64(raw: Option<&str>) -> Result<Option<(f64, i64)>> {
    let Some(raw) = non_empty(raw) else {
        return Ok(None);
    };
    let (key, id) = raw.rsplit_once('_').ok_or_else(invalid)?;
    let key: f64 = key.parse().map_err(|_| invalid())?;
    if !key.is_finite() {
        return Err(invalid());
    }
    Ok(Some((key, id.parse().map_err(|_| invalid())?)))
}

/// Decodes a feed cursor.
pub fn decode_post(raw: Option<&str>) -> Result<Option<PostCursor>> {
    Ok(decode_f64(raw)?.map(|(key, id)| PostCursor { key, id }))
}

/// Encodes a community-list cursor.
pub fn encode_community(cursor: Cursor) -> String {
    format!("{}_{}", cursor.key, cursor.id)
}

/// Decodes a community-list cursor.
pub fn decode_community(raw: Option<&str>) -> Result<Option<Cursor>> {
    let Some(raw) = non_empty(raw) else {
        return Ok(None);
    };
    let (key, id) = raw.split_once('_').ok_or_else(invalid)?;
    Ok(Some(Cursor {
        key: key.parse().map_err(|_| invalid())?,
        id: id.parse().map_err(|_| invalid())?,
    }))
}

/// Decodes a cursor that is just the last id.
pub fn decode_id(raw: Option<&str>) -> Result<Option<i64>> {
    non_empty(raw)
        .map(|r| r.parse().map_err(|_| invalid()))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let rank = 1_234.567_f64 / 7.0;
        assert_eq!(
            decode_f64(Some(&encode_f64(rank, 9))).unwrap(),
            Some((rank, 9))
        );
        let c = Cursor { key: -3, id: 42 };
        assert_eq!(
            decode_community(Some(&encode_community(c))).unwrap(),
            Some(c)
        );
        assert!(decode_f64(Some("NaN_1")).is_err() && decode_f64(Some("x")).is_err());
        assert_eq!(decode_id(Some("")).unwrap(), None);
        assert!(decode_id(Some("x")).is_err());
    }
}
