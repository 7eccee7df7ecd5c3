//! The keys screen's list: one owner's keys that match a filter, a page at a time,
//! counted up to a cap.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use super::{ApiKey, KeyListItem, Owner};
use crate::db::organizations::escape_like;
use crate::db::schema::{api_keys, users};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::api_key::{KeyListFilter, KeySort, StatusDates, StatusFilter};
use crate::domain::ids::KeyId;

/// Counting stops here: an owner with more keys shows "1,000+", so the list costs
/// the same whether an organization has a thousand keys or a million.
pub const COUNT_CAP: i64 = 1000;

/// One page of an owner's keys that match a filter, in its order.
pub struct KeyPage {
    pub items: Vec<KeyListItem>,
    /// The number of matching keys, exact up to `COUNT_CAP`; `COUNT_CAP + 1` means "more".
    pub total: i64,
    /// The number of the owner's keys, matching or not, counted the same way.
    pub owner_total: i64,
    /// Whether a page follows this one.
    pub has_next: bool,
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

/// How many of the owner's keys match, reading at most `COUNT_CAP + 1` of them.
fn count_matching(
    conn: &mut DbConnection,
    owner: Owner,
    filter: &KeyListFilter,
    dates: StatusDates,
) -> QueryResult<i64> {
    let counted: Vec<KeyId> =
        matching(owner, filter, dates).select(api_keys::id).limit(COUNT_CAP + 1).load(conn)?;
    Ok(counted.len() as i64)
}

/// One page of the owner's keys that match `filter` at `now`, in the filter's
/// order: newest first, most recently used first or first to stop working
/// first (keys never used, or never expiring, after the others on both
/// databases; ties newest first).
pub fn page_matching(
    conn: &mut DbConnection,
    owner: Owner,
    filter: &KeyListFilter,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> QueryResult<KeyPage> {
    let dates = StatusDates::at(now);
    let total = count_matching(conn, owner, filter, dates)?;
    // Every key of the owner, working or not: a list of revoked keys alone is
    // no empty state (its Inactive filter must stay within reach).
    let everything = KeyListFilter { status: StatusFilter::All, ..KeyListFilter::default() };
    let owner_total =
        if *filter == everything { total } else { count_matching(conn, owner, &everything, dates)? };
    let ordered = match filter.sort {
        KeySort::Created => matching(owner, filter, dates).order(api_keys::id.desc()),
        KeySort::LastUsed => matching(owner, filter, dates)
            .order(api_keys::last_used_at.is_null().asc())
            .then_order_by(api_keys::last_used_at.desc())
            .then_order_by(api_keys::id.desc()),
        KeySort::ValidUntil => matching(owner, filter, dates)
            .order(api_keys::valid_until.is_null().asc())
            .then_order_by(api_keys::valid_until.asc())
            .then_order_by(api_keys::id.desc()),
    };
    let mut ids: Vec<KeyId> = ordered.select(api_keys::id).limit(limit + 1).offset(offset).load(conn)?;
    let has_next = ids.len() as i64 > limit;
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    // The page's rows with their creators' names, put back in the page's order.
    let mut rows: Vec<(ApiKey, Option<String>)> = api_keys::table
        .left_join(users::table.on(users::id.nullable().eq(api_keys::created_by)))
        .filter(api_keys::id.eq_any(&ids))
        .select((ApiKey::as_select(), users::display_name.nullable()))
        .load(conn)?;
    rows.sort_by_key(|(key, _)| ids.iter().position(|id| *id == key.id));
    let items = rows.into_iter().map(|(key, created_by_name)| KeyListItem { key, created_by_name }).collect();
    Ok(KeyPage { items, total, owner_total, has_next })
}
