//! Expiry reminders on `api_keys` (SPEC §2 "Lifecycle"): which keys are due a
//! reminder, and the claim that makes each reminder go out exactly once, with
//! any number of instances: one `UPDATE … WHERE reminded_…_at IS NULL
//! RETURNING` per key, in the transaction that also queues its mail.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::api_keys::ApiKey;
use super::schema::{api_keys, memberships};
use crate::domain::ids::{KeyId, OrgId, UserId};
use crate::domain::organization::Role;

/// The two reminders before a key stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    SevenDays,
    OneDay,
}

impl Reminder {
    pub fn days(self) -> i64 {
        match self {
            Reminder::SevenDays => 7,
            Reminder::OneDay => 1,
        }
    }
}

/// The keys whose stop date lies in `window`: valid-until after the first date
/// and up to the second, given without a stop date of their own in the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub after: NaiveDate,
    pub up_to: NaiveDate,
}

impl Window {
    /// Keys that still work at `now` and stop within 7 days: what the banners count.
    pub fn this_week(now: NaiveDateTime) -> Window {
        Window { after: now.date(), up_to: (now + chrono::Duration::days(7)).date() }
    }
}

/// For each organization `admin` administers, how many of its keys (neither
/// revoked nor rolled) stop in `window`; organizations with none are left out.
pub fn org_keys_stopping(
    conn: &mut DbConnection,
    admin: UserId,
    window: Window,
) -> QueryResult<HashMap<OrgId, i64>> {
    let counts: Vec<(Option<OrgId>, i64)> = api_keys::table
        .inner_join(
            memberships::table.on(memberships::organization_id
                .nullable()
                .eq(api_keys::organization_id)
                .and(memberships::user_id.eq(admin))
                .and(memberships::role.eq(Role::Admin.as_str()))),
        )
        .filter(api_keys::revoked_at.is_null())
        .filter(api_keys::rolled_to.is_null())
        .filter(api_keys::valid_until.gt(window.after))
        .filter(api_keys::valid_until.le(window.up_to))
        .group_by(api_keys::organization_id)
        .select((api_keys::organization_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().filter_map(|(org, n)| org.map(|org| (org, n))).collect())
}

/// How many of `user`'s user keys (neither revoked nor rolled) stop in `window`.
pub fn user_keys_stopping(conn: &mut DbConnection, user: UserId, window: Window) -> QueryResult<i64> {
    api_keys::table
        .filter(api_keys::user_id.eq(user))
        .filter(api_keys::revoked_at.is_null())
        .filter(api_keys::rolled_to.is_null())
        .filter(api_keys::valid_until.gt(window.after))
        .filter(api_keys::valid_until.le(window.up_to))
        .count()
        .get_result(conn)
}

/// Up to `limit` keys not yet given `reminder` whose valid-until is in `window`,
/// neither revoked nor rolled.
pub fn due(
    conn: &mut DbConnection,
    reminder: Reminder,
    window: Window,
    limit: i64,
) -> QueryResult<Vec<KeyId>> {
    let query = api_keys::table
        .filter(api_keys::revoked_at.is_null())
        .filter(api_keys::rolled_to.is_null())
        .filter(api_keys::valid_until.gt(window.after))
        .filter(api_keys::valid_until.le(window.up_to))
        .select(api_keys::id)
        .order(api_keys::id)
        .limit(limit);
    match reminder {
        Reminder::SevenDays => query.filter(api_keys::reminded_7d_at.is_null()).load(conn),
        Reminder::OneDay => query.filter(api_keys::reminded_1d_at.is_null()).load(conn),
    }
}

/// Claims `reminder` for key `id` at `now`: the key when this call is the one
/// that claimed it, `None` when it was claimed before (by any instance) or no
/// longer qualifies. The one-day claim also marks the seven-day reminder, so a
/// key made inside the last day never gets a late "7 days" mail. Run it inside
/// the transaction that queues the mail.
pub fn claim(
    conn: &mut DbConnection,
    reminder: Reminder,
    id: KeyId,
    window: Window,
    now: NaiveDateTime,
) -> QueryResult<Option<ApiKey>> {
    let target = api_keys::table
        .find(id)
        .filter(api_keys::revoked_at.is_null())
        .filter(api_keys::rolled_to.is_null())
        .filter(api_keys::valid_until.gt(window.after))
        .filter(api_keys::valid_until.le(window.up_to));
    let claimed: Option<KeyId> = match reminder {
        Reminder::SevenDays => diesel::update(target.filter(api_keys::reminded_7d_at.is_null()))
            .set(api_keys::reminded_7d_at.eq(now))
            .returning(api_keys::id)
            .get_result(conn)
            .optional()?,
        Reminder::OneDay => {
            let claimed = diesel::update(target.filter(api_keys::reminded_1d_at.is_null()))
                .set(api_keys::reminded_1d_at.eq(now))
                .returning(api_keys::id)
                .get_result(conn)
                .optional()?;
            if claimed.is_some() {
                diesel::update(api_keys::table.find(id).filter(api_keys::reminded_7d_at.is_null()))
                    .set(api_keys::reminded_7d_at.eq(now))
                    .execute(conn)?;
            }
            claimed
        }
    };
    // Read in the same transaction: the row the claim saw.
    match claimed {
        Some(id) => api_keys::table.find(id).select(ApiKey::as_select()).first(conn).optional(),
        None => Ok(None),
    }
}
