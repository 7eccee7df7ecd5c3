//! The `api_key_blocks` table: a member's user key an organization's admin
//! stopped from reaching the organization (SPEC §4 "Oversight of members' user
//! keys"). It keeps working in its owner's other organizations. Blocking and
//! unblocking are audited and announced in the transaction that makes them, so
//! the key meets the change at its next request on every instance.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::access_changes::announce;
use super::audit_events::{self, AuditAction, ViaKey};
use super::member_keys::{self, MemberKey};
use super::organizations::Organization;
use super::schema::{api_key_blocks, api_keys, memberships, organizations};
use crate::domain::access::{AccessChange, OrgRef};
use crate::domain::api_key::{KeyKind, PublicId};
use crate::domain::ids::{KeyId, UserId};

/// Who blocks or unblocks: a person, through a page or with their user key, or
/// an organization key through the API.
#[derive(Debug, Clone, Copy)]
pub struct BlockActor<'a> {
    pub user_id: Option<UserId>,
    pub via_key: Option<ViaKey<'a>>,
}

/// What a block or an unblock came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockChange {
    Done,
    /// It was so already: nothing written.
    Unchanged,
}

/// Blocks the member's user key `public_id` from `org`. `None` when no user key
/// with that id can reach the organization.
pub fn block(
    conn: &mut DbConnection,
    org: &OrgRef,
    public_id: &PublicId,
    actor: BlockActor<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<(MemberKey, BlockChange)>> {
    set_blocked(conn, org, public_id, true, actor, now)
}

/// Lets the member's user key `public_id` into `org` again.
pub fn unblock(
    conn: &mut DbConnection,
    org: &OrgRef,
    public_id: &PublicId,
    actor: BlockActor<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<(MemberKey, BlockChange)>> {
    set_blocked(conn, org, public_id, false, actor, now)
}

fn set_blocked(
    conn: &mut DbConnection,
    org: &OrgRef,
    public_id: &PublicId,
    blocked: bool,
    actor: BlockActor<'_>,
    now: NaiveDateTime,
) -> QueryResult<Option<(MemberKey, BlockChange)>> {
    conn.write_transaction(|conn| {
        // Two admins at once: the second waits, then finds the first's answer.
        Organization::lock(conn, org.id)?;
        let Some(mut key) = member_keys::find(conn, org.id, public_id, now)? else {
            return Ok(None);
        };
        if key.blocked == blocked {
            return Ok(Some((key, BlockChange::Unchanged)));
        }
        if blocked {
            diesel::insert_into(api_key_blocks::table)
                .values((
                    api_key_blocks::key_id.eq(key.key.id),
                    api_key_blocks::organization_id.eq(org.id),
                    api_key_blocks::blocked_by.eq(actor.user_id),
                    api_key_blocks::blocked_at.eq(now),
                ))
                .execute(conn)?;
        } else {
            diesel::delete(
                api_key_blocks::table
                    .filter(api_key_blocks::key_id.eq(key.key.id))
                    .filter(api_key_blocks::organization_id.eq(org.id)),
            )
            .execute(conn)?;
        }
        announce(conn, AccessChange::KeyChanged { public_id: public_id.to_string() })?;
        let (action, verb) = if blocked {
            (AuditAction::ApiKeyBlocked, "Blocked")
        } else {
            (AuditAction::ApiKeyUnblocked, "Unblocked")
        };
        let through_api =
            actor.via_key.map(|via| format!(" (through the API, key {})", via.hint)).unwrap_or_default();
        let details = format!(
            "{verb} the user key {} “{}” of {}{through_api}",
            public_id.hint(KeyKind::User),
            key.key.description,
            key.owner_name,
        );
        audit_events::record_via_key(
            conn,
            org.id,
            actor.user_id,
            actor.via_key,
            action,
            Some(key.owner_id),
            &details,
            now,
        )?;
        key.blocked = blocked;
        Ok(Some((key, BlockChange::Done)))
    })
}

/// For each of these keys, the names of the organizations that block it, among
/// those its owner still belongs to, by name: what the owner's keys page shows.
pub fn blocking_orgs(conn: &mut DbConnection, key_ids: &[KeyId]) -> QueryResult<HashMap<KeyId, Vec<String>>> {
    if key_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(KeyId, String)> = api_key_blocks::table
        .inner_join(organizations::table)
        .inner_join(api_keys::table)
        .inner_join(
            memberships::table.on(memberships::organization_id
                .eq(api_key_blocks::organization_id)
                .and(api_keys::user_id.eq(memberships::user_id.nullable()))),
        )
        .filter(api_key_blocks::key_id.eq_any(key_ids))
        .order((organizations::name.asc(), organizations::id.asc()))
        .select((api_key_blocks::key_id, organizations::name))
        .load(conn)?;
    let mut blocking: HashMap<KeyId, Vec<String>> = HashMap::new();
    for (key_id, name) in rows {
        blocking.entry(key_id).or_default().push(name);
    }
    Ok(blocking)
}
