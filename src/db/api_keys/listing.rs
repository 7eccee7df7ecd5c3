//! The keys screen's list: one owner's keys that match a filter, a page at a time
//! from a cursor (keyset paging, no OFFSET), counted up to a cap.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use super::{ApiKey, KeyListItem, Owner};
use crate::db::organizations::escape_like;
use crate::db::schema::{api_keys, users};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::api_key::{KeyCursor, KeyListFilter, KeySort, Position, StatusDates, StatusFilter};
use crate::domain::ids::KeyId;

/// Counting stops here: an owner with more keys shows "1,000+", so the list costs
/// the same whether an organization has a thousand keys or a million.
pub const COUNT_CAP: i64 = 1000;

/// One page of an owner's keys that match a filter, in its order.
pub struct KeyPage {
    pub items: Vec<KeyListItem>,
    /// The number of matching keys, exact up to `COUNT_CAP`; `COUNT_CAP + 1` means "more".
    pub total: i64,
    /// Whether a page comes before this one.
    pub has_previous: bool,
    /// Whether a page follows this one.
    pub has_next: bool,
    /// The order the page is in.
    pub sort: KeySort,
}

impl KeyPage {
    /// Where the next page starts: after this page's last key.
    pub fn next_cursor(&self) -> Option<KeyCursor> {
        let last = self.items.last().filter(|_| self.has_next)?;
        Some(KeyCursor::After(self.position(&last.key)))
    }

    /// Where the previous page ends: before this page's first key.
    pub fn previous_cursor(&self) -> Option<KeyCursor> {
        let first = self.items.first().filter(|_| self.has_previous)?;
        Some(KeyCursor::Before(self.position(&first.key)))
    }

    fn position(&self, key: &ApiKey) -> Position {
        Position::of(self.sort, key.id, key.last_used_at, key.valid_until)
    }
}

diesel::define_sql_function!(fn lower(text: Text) -> Text);
diesel::define_sql_function!(fn substr(text: Text, start: Integer, length: Integer) -> Text);

/// The owner's keys that match `filter` at `dates`, as one query of the
/// `api_keys` table. The owner's index (owner, id) narrows it first; a status
/// compares `valid_until` with dates (index (owner, valid_until)); a text is
/// looked for in the description in any case (`lower` on both sides, the same
/// on both databases, `%`, `_` and `\` matching themselves) or at the start of
/// the public id (case matters there, as in the id itself).
fn matching(
    owner: Owner,
    filter: &KeyListFilter,
    dates: StatusDates,
) -> api_keys::BoxedQuery<'static, MultiBackend> {
    let mut query = match owner {
        Owner::Organization(id) => api_keys::table.filter(api_keys::organization_id.eq(id)).into_boxed(),
        Owner::User(id) => api_keys::table.filter(api_keys::user_id.eq(id)).into_boxed(),
    };
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", escape_like(text.as_str()));
        let in_description = lower(api_keys::description).like(lower(pattern)).escape('\\');
        query = match text.id_prefix() {
            Some(prefix) => {
                let length = i32::try_from(prefix.len()).unwrap_or(i32::MAX);
                query.filter(in_description.or(substr(api_keys::public_id, 1, length).eq(prefix.to_string())))
            }
            None => query.filter(in_description),
        };
    }
    let not_revoked = || api_keys::revoked_at.is_null().or(api_keys::revoked_at.gt(dates.now));
    let revoked = || api_keys::revoked_at.le(dates.now);
    let not_expired = || api_keys::valid_until.is_null().or(api_keys::valid_until.gt(dates.today));
    match filter.status {
        StatusFilter::All => query,
        StatusFilter::Active => query.filter(not_revoked()).filter(not_expired()),
        StatusFilter::Inactive => query
            .filter(revoked().assume_not_null().or(api_keys::valid_until.le(dates.today).assume_not_null())),
        StatusFilter::ExpiresSoon => query
            .filter(not_revoked())
            .filter(api_keys::valid_until.gt(dates.today))
            .filter(api_keys::valid_until.lt(dates.soon_from)),
        StatusFilter::Expired => query.filter(not_revoked()).filter(api_keys::valid_until.le(dates.today)),
        StatusFilter::Revoked => query.filter(revoked()),
    }
}

/// How many of the owner's keys match, reading at most `COUNT_CAP + 1` of
/// them, in the database: is there a key past the cap? If not, count them (no
/// more than the cap). Neither query sends more than one row back.
fn count_matching(
    conn: &mut DbConnection,
    owner: Owner,
    filter: &KeyListFilter,
    dates: StatusDates,
) -> QueryResult<i64> {
    let past_the_cap: Option<KeyId> = matching(owner, filter, dates)
        .select(api_keys::id)
        .offset(COUNT_CAP)
        .limit(1)
        .first(conn)
        .optional()?;
    if past_the_cap.is_some() {
        return Ok(COUNT_CAP + 1);
    }
    matching(owner, filter, dates).count().get_result(conn)
}

/// The number of the owner's keys, working or not, counted up to the cap as
/// `page`'s: a list of revoked keys alone is no empty state (its Inactive
/// filter must stay within reach). The page's own count when its filter is
/// already every key.
pub fn owner_total(
    conn: &mut DbConnection,
    owner: Owner,
    filter: &KeyListFilter,
    page: &KeyPage,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let everything = KeyListFilter { status: StatusFilter::All, ..KeyListFilter::default() };
    if *filter == everything {
        Ok(page.total)
    } else {
        count_matching(conn, owner, &everything, StatusDates::at(now))
    }
}

/// The owner's matching keys in the list's order from a place on, nearest
/// first, as segments read one after the other: each is one range of one index
/// ((owner, id), or (owner, sort column, id)), so a deep page costs what the first
/// does. Never-used / never-expiring keys have a segment of their own, after the
/// others, as the order puts them on both databases.
fn forward(
    owner: Owner,
    filter: &KeyListFilter,
    dates: StatusDates,
    from: Option<Position>,
) -> Vec<api_keys::BoxedQuery<'static, MultiBackend>> {
    use api_keys::{id, last_used_at, valid_until};
    let base = || matching(owner, filter, dates);
    let dated = || dated_from(base(), filter, dates);
    match (filter.sort, from) {
        (KeySort::Created, None) => vec![base().order(id.desc())],
        (KeySort::LastUsed, None) => vec![
            base().filter(last_used_at.is_not_null()).order(last_used_at.desc()).then_order_by(id.desc()),
            base().filter(last_used_at.is_null()).order(id.desc()),
        ],
        (KeySort::ValidUntil, None) => vec![
            dated().order(valid_until.asc()).then_order_by(id.desc()),
            base().filter(valid_until.is_null()).order(id.desc()),
        ],
        (_, Some(Position::Created(after))) => vec![base().filter(id.lt(after)).order(id.desc())],
        (_, Some(Position::LastUsed(Some(at), after))) => vec![
            base().filter(last_used_at.eq(at)).filter(id.lt(after)).order(id.desc()),
            base().filter(last_used_at.lt(at)).order(last_used_at.desc()).then_order_by(id.desc()),
            base().filter(last_used_at.is_null()).order(id.desc()),
        ],
        (_, Some(Position::LastUsed(None, after))) => {
            vec![base().filter(last_used_at.is_null()).filter(id.lt(after)).order(id.desc())]
        }
        (_, Some(Position::ValidUntil(Some(day), after))) => vec![
            base().filter(valid_until.eq(day)).filter(id.lt(after)).order(id.desc()),
            base().filter(valid_until.gt(day)).order(valid_until.asc()).then_order_by(id.desc()),
            base().filter(valid_until.is_null()).order(id.desc()),
        ],
        (_, Some(Position::ValidUntil(None, after))) => {
            vec![base().filter(valid_until.is_null()).filter(id.lt(after)).order(id.desc())]
        }
    }
}

/// The owner's matching keys before a place in the list's order, nearest
/// first (so the list's order reversed), as segments like [`forward`]'s.
fn backward(
    owner: Owner,
    filter: &KeyListFilter,
    dates: StatusDates,
    to: Position,
) -> Vec<api_keys::BoxedQuery<'static, MultiBackend>> {
    use api_keys::{id, last_used_at, valid_until};
    let base = || matching(owner, filter, dates);
    let dated = || dated_from(base(), filter, dates);
    match to {
        Position::Created(before) => vec![base().filter(id.gt(before)).order(id.asc())],
        Position::LastUsed(Some(at), before) => vec![
            base().filter(last_used_at.eq(at)).filter(id.gt(before)).order(id.asc()),
            base().filter(last_used_at.gt(at)).order(last_used_at.asc()).then_order_by(id.asc()),
        ],
        Position::LastUsed(None, before) => vec![
            base().filter(last_used_at.is_null()).filter(id.gt(before)).order(id.asc()),
            base().filter(last_used_at.is_not_null()).order(last_used_at.asc()).then_order_by(id.asc()),
        ],
        Position::ValidUntil(Some(day), before) => vec![
            base().filter(valid_until.eq(day)).filter(id.gt(before)).order(id.asc()),
            dated().filter(valid_until.lt(day)).order(valid_until.desc()).then_order_by(id.asc()),
        ],
        Position::ValidUntil(None, before) => vec![
            base().filter(valid_until.is_null()).filter(id.gt(before)).order(id.asc()),
            dated().order(valid_until.desc()).then_order_by(id.asc()),
        ],
    }
}

/// The keys with a valid-until date among `query`'s. For the working keys
/// (the default) that is a date after today, said as such: within the status's
/// `IS NULL OR >` neither database starts the index range there, and an
/// organization's expired keys (kept 90 days) would be read and dropped first.
fn dated_from(
    query: api_keys::BoxedQuery<'static, MultiBackend>,
    filter: &KeyListFilter,
    dates: StatusDates,
) -> api_keys::BoxedQuery<'static, MultiBackend> {
    match filter.status {
        StatusFilter::Active => query.filter(api_keys::valid_until.gt(dates.today)),
        _ => query.filter(api_keys::valid_until.is_not_null()),
    }
}

/// The first `want` ids of the segments, read in turn (a segment is read only
/// when the ones before it left the page short).
fn first_ids(
    conn: &mut DbConnection,
    segments: Vec<api_keys::BoxedQuery<'static, MultiBackend>>,
    want: i64,
) -> QueryResult<Vec<KeyId>> {
    let mut ids: Vec<KeyId> = Vec::new();
    for segment in segments {
        let left = want - ids.len() as i64;
        if left <= 0 {
            break;
        }
        ids.extend(segment.select(api_keys::id).limit(left).load::<KeyId>(conn)?);
    }
    Ok(ids)
}

/// One page of the owner's keys that match `filter` at `now`, in the filter's
/// order: newest first, most recently used first or first to stop working
/// first (keys never used, or never expiring, after the others on both
/// databases; ties newest first). Without a cursor the first page; after a
/// key the page that follows it; before a key the page that ends there, or the
/// first page when fewer than a page's keys come before it. The cursor's place
/// need not be a key that still exists or matches.
pub fn page_matching(
    conn: &mut DbConnection,
    owner: Owner,
    filter: &KeyListFilter,
    now: DateTime<Utc>,
    limit: i64,
    cursor: Option<KeyCursor>,
) -> QueryResult<KeyPage> {
    debug_assert!(cursor.is_none_or(|c| c.position().sort() == filter.sort), "a cursor of another order");
    let dates = StatusDates::at(now);
    let total = count_matching(conn, owner, filter, dates)?;
    let size = usize::try_from(limit).unwrap_or(0);
    let from_start = |conn: &mut DbConnection, from: Option<Position>| -> QueryResult<(Vec<KeyId>, bool)> {
        let mut ids = first_ids(conn, forward(owner, filter, dates, from), limit + 1)?;
        let has_next = ids.len() > size;
        ids.truncate(size);
        Ok((ids, has_next))
    };
    let (ids, has_previous, has_next) = match cursor {
        None => {
            let (ids, has_next) = from_start(conn, None)?;
            (ids, false, has_next)
        }
        Some(KeyCursor::After(from)) => {
            let (ids, has_next) = from_start(conn, Some(from))?;
            (ids, true, has_next)
        }
        Some(KeyCursor::Before(to)) => {
            let mut ids = first_ids(conn, backward(owner, filter, dates, to), limit + 1)?;
            if ids.len() > size {
                ids.truncate(size);
                ids.reverse();
                (ids, true, true)
            } else {
                // Back at the start: the first page, whole, rather than a short one.
                let (ids, has_next) = from_start(conn, None)?;
                (ids, false, has_next)
            }
        }
    };
    // The page's rows with their creators' names, put back in the page's order.
    let mut rows: Vec<(ApiKey, Option<String>)> = api_keys::table
        .left_join(users::table.on(users::id.nullable().eq(api_keys::created_by)))
        .filter(api_keys::id.eq_any(&ids))
        .select((ApiKey::as_select(), users::display_name.nullable()))
        .load(conn)?;
    rows.sort_by_key(|(key, _)| ids.iter().position(|id| *id == key.id));
    let items = rows.into_iter().map(|(key, created_by_name)| KeyListItem { key, created_by_name }).collect();
    Ok(KeyPage { items, total, has_previous, has_next, sort: filter.sort })
}
