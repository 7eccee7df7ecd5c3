//! Where a page of the keys list starts: just after (or just before) one key,
//! named by its place in the list's order — the values it is sorted by and its
//! id — so a page is found by comparing with those values instead of skipping
//! rows (no OFFSET: a deep page costs what the first does, and a key created or
//! revoked meanwhile moves no other key to another page).
//!
//! People and programs see it as one opaque URL-safe string: base64url of a
//! small versioned text (`1|a|u|2027-02-28T12:00:00.5|42`). It is not secret
//! and not signed: an edited cursor that still parses is only another place in
//! the same owner's list.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{NaiveDate, NaiveDateTime};

use super::listing::KeySort;
use crate::domain::ids::KeyId;

/// Longer than any cursor this module writes (about 60 characters): anything
/// longer is refused before it is decoded.
const MAX_ENCODED: usize = 120;
const VERSION: &str = "1";
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";
const DATE_FORMAT: &str = "%Y-%m-%d";

/// A key's place in the list's order: its sort value (`None`: never used, or
/// never expiring; those come after the others) and its id (the tie-break, newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Created(KeyId),
    LastUsed(Option<NaiveDateTime>, KeyId),
    ValidUntil(Option<NaiveDate>, KeyId),
}

impl Position {
    /// The place of a key with these values in the order `sort`.
    pub fn of(
        sort: KeySort,
        id: KeyId,
        last_used_at: Option<NaiveDateTime>,
        valid_until: Option<NaiveDate>,
    ) -> Position {
        match sort {
            KeySort::Created => Position::Created(id),
            KeySort::LastUsed => Position::LastUsed(last_used_at, id),
            KeySort::ValidUntil => Position::ValidUntil(valid_until, id),
        }
    }

    pub fn sort(self) -> KeySort {
        match self {
            Position::Created(_) => KeySort::Created,
            Position::LastUsed(..) => KeySort::LastUsed,
            Position::ValidUntil(..) => KeySort::ValidUntil,
        }
    }

    pub fn id(self) -> KeyId {
        match self {
            Position::Created(id) | Position::LastUsed(_, id) | Position::ValidUntil(_, id) => id,
        }
    }
}

/// A page starts just after a key (the next page), or ends just before one (the previous page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCursor {
    After(Position),
    Before(Position),
}

/// A cursor that this list did not give: not one at all, or one of another order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadCursor;

impl KeyCursor {
    pub fn position(self) -> Position {
        match self {
            KeyCursor::After(p) | KeyCursor::Before(p) => p,
        }
    }

    /// The cursor as links and the API carry it.
    pub fn encode(self) -> String {
        let (way, position) = match self {
            KeyCursor::After(p) => ("a", p),
            KeyCursor::Before(p) => ("b", p),
        };
        let (sort, value) = match position {
            Position::Created(_) => ("c", String::new()),
            Position::LastUsed(t, _) => {
                ("u", t.map(|t| t.format(TIME_FORMAT).to_string()).unwrap_or_default())
            }
            Position::ValidUntil(d, _) => {
                ("v", d.map(|d| d.format(DATE_FORMAT).to_string()).unwrap_or_default())
            }
        };
        let text = format!("{VERSION}|{way}|{sort}|{value}|{}", position.id().get());
        URL_SAFE_NO_PAD.encode(text)
    }

    /// A cursor given back for a list in the order `sort`; one written for
    /// another order names no place in this one, so it is refused too.
    pub fn parse(raw: &str, sort: KeySort) -> Result<KeyCursor, BadCursor> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_ENCODED {
            return Err(BadCursor);
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| BadCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| BadCursor)?;
        let parts: Vec<&str> = text.split('|').collect();
        let [VERSION, way, code, value, id] = parts[..] else { return Err(BadCursor) };
        let id = id.parse::<i32>().ok().filter(|id| *id > 0).map(KeyId::new).ok_or(BadCursor)?;
        let position = match (code, value) {
            ("c", "") => Position::Created(id),
            ("u", "") => Position::LastUsed(None, id),
            ("u", t) => Position::LastUsed(
                Some(NaiveDateTime::parse_from_str(t, TIME_FORMAT).map_err(|_| BadCursor)?),
                id,
            ),
            ("v", "") => Position::ValidUntil(None, id),
            ("v", d) => Position::ValidUntil(
                Some(NaiveDate::parse_from_str(d, DATE_FORMAT).map_err(|_| BadCursor)?),
                id,
            ),
            _ => return Err(BadCursor),
        };
        if position.sort() != sort {
            return Err(BadCursor);
        }
        match way {
            "a" => Ok(KeyCursor::After(position)),
            "b" => Ok(KeyCursor::Before(position)),
            _ => Err(BadCursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn every_cursor_reads_back_as_it_was_written() {
        let id = KeyId::new(42);
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let positions = [
            Position::Created(id),
            Position::LastUsed(None, id),
            Position::LastUsed(Some(at("2027-02-28 12:00:00")), id),
            Position::LastUsed(Some(at("2027-02-28 12:00:00.123456")), id),
            Position::ValidUntil(None, id),
            Position::ValidUntil(Some(day), id),
        ];
        for position in positions {
            for cursor in [KeyCursor::After(position), KeyCursor::Before(position)] {
                let encoded = cursor.encode();
                assert!(
                    encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                    "{encoded}"
                );
                assert_eq!(KeyCursor::parse(&encoded, position.sort()), Ok(cursor), "{encoded}");
            }
        }
    }

    #[test]
    fn a_cursor_of_another_order_is_refused() {
        let cursor = KeyCursor::After(Position::Created(KeyId::new(7))).encode();
        assert_eq!(KeyCursor::parse(&cursor, KeySort::LastUsed), Err(BadCursor));
        assert!(KeyCursor::parse(&cursor, KeySort::Created).is_ok());
    }

    #[test]
    fn junk_and_edited_cursors_are_refused() {
        let encode = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for junk in [
            String::new(),
            "not base64!".into(),
            "x".repeat(500),
            encode("2|a|c||5"),
            encode("1|x|c||5"),
            encode("1|a|c||0"),
            encode("1|a|c||-5"),
            encode("1|a|c||99999999999"),
            encode("1|a|c|2027-01-01|5"),
            encode("1|a|u|yesterday|5"),
            encode("1|a|v|2027-02-30|5"),
            encode("1|a|c||5|extra"),
            encode("1|a|q||5"),
        ] {
            assert_eq!(KeyCursor::parse(&junk, KeySort::Created), Err(BadCursor), "{junk}");
            assert_eq!(KeyCursor::parse(&junk, KeySort::LastUsed), Err(BadCursor), "{junk}");
            assert_eq!(KeyCursor::parse(&junk, KeySort::ValidUntil), Err(BadCursor), "{junk}");
        }
    }
}
