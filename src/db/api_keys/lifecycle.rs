//! Rolling a key to a successor, and purging keys that stopped working long ago.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{ApiKey, NewKey, Owner, Revoke, find_for_owner, insert, reach_of, revoke};
use crate::db::DbConnection;
use crate::db::audit_events::ViaKey;
use crate::db::schema::api_keys;
use crate::domain::access::KeyReach;
use crate::domain::api_key::{KeyStatus, PublicId, RevokeReason, ValidUntil};
use crate::domain::ids::{KeyId, UserId};

/// How a key is rolled: its successor's id, secret hash and valid-until (from
/// the old key's), and how long the old one keeps working.
pub struct Roll<'a> {
    pub successor: &'a PublicId,
    pub successor_hint: &'a str,
    pub secret_hash: &'a str,
    /// The successor's valid-until, given the old key.
    pub valid_until: &'a dyn Fn(&ApiKey) -> Option<NaiveDate>,
    pub overlap: Duration,
    pub by: Option<UserId>,
    pub via_key: Option<ViaKey<'a>>,
    pub now: NaiveDateTime,
}

/// What rolling found.
#[derive(Debug)]
pub enum RollOutcome {
    /// Rolled: its successor.
    Rolled(ApiKey),
    /// It was rolled before: its successor is `rolled_to`.
    AlreadyRolled(ApiKey),
    /// It no longer works (revoked or expired), or is revoked to stop soon.
    NotActive(ApiKey),
}

/// Rolls the owner's key `public_id` in one write transaction; `None` when the
/// owner has no such key. The successor has the old key's description, scope,
/// reach (the organizations it still reaches) and networks; the old key gets
/// `rolled_to` and is revoked (reason rolled) from `now + overlap`, which the
/// clock check at every request enforces on every instance. Claiming
/// `rolled_to` is one conditional update, so of two rolls at once only one
/// makes a successor.
pub fn roll(
    conn: &mut DbConnection,
    owner: Owner,
    public_id: &PublicId,
    how: &Roll<'_>,
) -> QueryResult<Option<RollOutcome>> {
    conn.write_transaction(|conn| {
        let Some(old) = find_for_owner(conn, owner, public_id)? else { return Ok(None) };
        if old.rolled_to.is_some() {
            return Ok(Some(RollOutcome::AlreadyRolled(old)));
        }
        let status =
            KeyStatus::of(old.valid_until.map(ValidUntil::from_date), old.revocation(), how.now.and_utc());
        if !status.works() || old.revoked_at.is_some() {
            return Ok(Some(RollOutcome::NotActive(old)));
        }
        let claimed = diesel::update(
            api_keys::table
                .find(old.id)
                .filter(api_keys::rolled_to.is_null())
                .filter(api_keys::revoked_at.is_null()),
        )
        .set(api_keys::rolled_to.eq(how.successor.as_str()))
        .execute(conn)?;
        if claimed == 0 {
            // Another roll (or a revocation) came first.
            let now = find_for_owner(conn, owner, public_id)?.unwrap_or(old);
            return Ok(Some(if now.rolled_to.is_some() {
                RollOutcome::AlreadyRolled(now)
            } else {
                RollOutcome::NotActive(now)
            }));
        }
        let reach =
            if old.reaches_all_orgs { KeyReach::AllOrgs } else { KeyReach::Only(reach_of(conn, old.id)?) };
        let networks =
            old.allowed_networks().map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        let new = NewKey {
            public_id: how.successor,
            owner,
            scope: old.scope,
            reach: &reach,
            allowed_networks: networks.as_ref(),
            secret_hash: how.secret_hash,
            description: &old.description,
            valid_until: (how.valid_until)(&old),
            created_by: how.by,
            via_key: how.via_key,
            rolled_from: Some(&old.public_id),
            now: how.now,
        };
        insert(conn, &new, how.successor_hint)?;
        let note = format!("to {}", how.successor_hint);
        let stop = Revoke {
            reason: RevokeReason::Rolled,
            at: how.now + how.overlap,
            by: how.by,
            via_key: how.via_key,
            note: Some(&note),
            now: how.now,
        };
        revoke(conn, old, &stop)?;
        let successor = find_for_owner(conn, owner, how.successor)?.ok_or(diesel::result::Error::NotFound)?;
        Ok(Some(RollOutcome::Rolled(successor)))
    })
}

/// Deletes up to `batch` keys whose revocation took effect at or before
/// `revoked_before`, or that are refused by their date since `expired_by` or
/// earlier (`valid_until <= expired_by`). Their reach, blocks and use counts
/// go with them (ON DELETE CASCADE); the audit log keeps its entries, which
/// name keys by their hint, not by a reference. Returns how many went.
pub fn purge_batch(
    conn: &mut DbConnection,
    revoked_before: NaiveDateTime,
    expired_by: NaiveDate,
    batch: i64,
) -> QueryResult<usize> {
    let ids: Vec<KeyId> = api_keys::table
        .filter(
            api_keys::revoked_at
                .le(revoked_before)
                .assume_not_null()
                .or(api_keys::valid_until.le(expired_by).assume_not_null()),
        )
        .select(api_keys::id)
        .order(api_keys::id.asc())
        .limit(batch)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(api_keys::table.filter(api_keys::id.eq_any(&ids))).execute(conn)
}
