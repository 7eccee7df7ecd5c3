//! The user keys that can reach an organization (SPEC §4 "Oversight of members'
//! user keys"): its members' keys whose reach is all their organizations or
//! names this one. Admins see them with their owner's sign-in identities, the
//! last use in this organization and whether the organization blocked them.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::api_keys::ApiKey;
use super::identities::Identity;
use super::schema::{api_key_blocks, api_key_org_uses, api_key_orgs, api_keys, memberships, users};
use super::{DbConnection, MultiBackend};
use crate::domain::api_key::{KeyKind, KeyTerms, PublicId, ValidUntil};
use crate::domain::identity::IdentityLabel;
use crate::domain::ids::{KeyId, OrgId, UserId};

/// A member's user key as the organization's admins see it.
#[derive(Debug, Clone)]
pub struct MemberKey {
    pub key: ApiKey,
    pub owner_id: UserId,
    pub owner_name: String,
    /// How the owner signs in ("github: mallory"): display names are free text.
    pub owner_identities: Vec<IdentityLabel>,
    /// The organization blocked it.
    pub blocked: bool,
    /// Its last use in this organization (may lag a minute).
    pub last_used_here: Option<NaiveDateTime>,
}

impl MemberKey {
    /// What the organization's key policy looks at.
    pub fn terms(&self) -> KeyTerms {
        terms(KeyKind::User, self.key.valid_until, self.key.created_at, self.key.reaches_all_orgs)
    }
}

fn terms(
    kind: KeyKind,
    valid_until: Option<chrono::NaiveDate>,
    created_at: NaiveDateTime,
    all: bool,
) -> KeyTerms {
    KeyTerms {
        kind,
        valid_until: valid_until.map(ValidUntil::from_date),
        created_on: created_at.date(),
        restricted_to_named_orgs: kind == KeyKind::User && !all,
    }
}

/// Where a page of the list starts: the beginning, or after or before a key
/// (by its public id; the list is in the keys' creation order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    First,
    After(PublicId),
    Before(PublicId),
}

/// One page of the list, oldest key first.
#[derive(Default)]
pub struct MemberKeyPage {
    pub items: Vec<MemberKey>,
    /// Every user key that can reach the organization.
    pub total: i64,
    pub has_previous: bool,
    pub has_next: bool,
}

/// The user keys that can reach `org_id` at `now`: their owner is a member,
/// their reach is all of the owner's organizations or names this one, and no
/// revocation has taken effect (a rolled key counts until its overlap ends).
fn reaching(org_id: OrgId, now: NaiveDateTime) -> api_keys::BoxedQuery<'static, MultiBackend> {
    let members = memberships::table
        .filter(memberships::organization_id.eq(org_id))
        .select(memberships::user_id.nullable());
    let named =
        api_key_orgs::table.filter(api_key_orgs::organization_id.eq(org_id)).select(api_key_orgs::key_id);
    api_keys::table
        .filter(api_keys::user_id.eq_any(members))
        .filter(api_keys::reaches_all_orgs.or(api_keys::id.eq_any(named)))
        .filter(api_keys::revoked_at.is_null().or(api_keys::revoked_at.gt(now)))
        .into_boxed()
}

/// The internal id of a key, by public id (for a page's start).
fn id_of(conn: &mut DbConnection, public_id: &PublicId) -> QueryResult<Option<KeyId>> {
    api_keys::table
        .filter(api_keys::public_id.eq(public_id.as_str()))
        .select(api_keys::id)
        .first(conn)
        .optional()
}

/// One page of the user keys that can reach `org_id`, in creation order (by id,
/// from the cursor: no OFFSET, so a deep page costs what the first does).
/// `None` when the cursor names no key (deleted since, or never one).
pub fn page(
    conn: &mut DbConnection,
    org_id: OrgId,
    cursor: &Cursor,
    limit: i64,
    now: NaiveDateTime,
) -> QueryResult<Option<MemberKeyPage>> {
    let size = usize::try_from(limit).unwrap_or(0);
    let (after, before) = match cursor {
        Cursor::First => (None, None),
        Cursor::After(public_id) | Cursor::Before(public_id) => {
            let Some(id) = id_of(conn, public_id)? else { return Ok(None) };
            if matches!(cursor, Cursor::After(_)) { (Some(id), None) } else { (None, Some(id)) }
        }
    };
    let total: i64 = reaching(org_id, now).count().get_result(conn)?;
    let (ids, has_previous, has_next) = if let Some(to) = before {
        let mut ids: Vec<KeyId> = reaching(org_id, now)
            .filter(api_keys::id.lt(to))
            .order(api_keys::id.desc())
            .select(api_keys::id)
            .limit(limit + 1)
            .load(conn)?;
        let more = ids.len() > size;
        ids.truncate(size);
        ids.reverse();
        (ids, more, true)
    } else {
        let mut query = reaching(org_id, now);
        if let Some(from) = after {
            query = query.filter(api_keys::id.gt(from));
        }
        let mut ids: Vec<KeyId> =
            query.order(api_keys::id.asc()).select(api_keys::id).limit(limit + 1).load(conn)?;
        let more = ids.len() > size;
        ids.truncate(size);
        (ids, after.is_some(), more)
    };
    let items = details(conn, org_id, &ids)?;
    Ok(Some(MemberKeyPage { items, total, has_previous, has_next }))
}

/// The user key with this public id, if it can reach `org_id`; nothing for an
/// organization key, a key of someone who is not a member, or one whose reach
/// leaves this organization out.
pub fn find(
    conn: &mut DbConnection,
    org_id: OrgId,
    public_id: &PublicId,
    now: NaiveDateTime,
) -> QueryResult<Option<MemberKey>> {
    let id: Option<KeyId> = reaching(org_id, now)
        .filter(api_keys::public_id.eq(public_id.as_str()))
        .select(api_keys::id)
        .first(conn)
        .optional()?;
    let Some(id) = id else { return Ok(None) };
    Ok(details(conn, org_id, &[id])?.into_iter().next())
}

/// The keys with these ids, in this order, with their owners, blocks and last
/// use in `org_id`.
fn details(conn: &mut DbConnection, org_id: OrgId, ids: &[KeyId]) -> QueryResult<Vec<MemberKey>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(ApiKey, UserId, String)> = api_keys::table
        .inner_join(users::table.on(api_keys::user_id.eq(users::id.nullable())))
        .filter(api_keys::id.eq_any(ids))
        .select((ApiKey::as_select(), users::id, users::display_name))
        .load(conn)?;
    let blocked: Vec<KeyId> = api_key_blocks::table
        .filter(api_key_blocks::organization_id.eq(org_id))
        .filter(api_key_blocks::key_id.eq_any(ids))
        .select(api_key_blocks::key_id)
        .load(conn)?;
    let uses: HashMap<KeyId, NaiveDateTime> = api_key_org_uses::table
        .filter(api_key_org_uses::organization_id.eq(org_id))
        .filter(api_key_org_uses::key_id.eq_any(ids))
        .select((api_key_org_uses::key_id, api_key_org_uses::last_used_at))
        .load::<(KeyId, NaiveDateTime)>(conn)?
        .into_iter()
        .collect();
    let mut owners: Vec<UserId> = rows.iter().map(|(_, owner, _)| *owner).collect();
    owners.sort_unstable();
    owners.dedup();
    let labels = Identity::labels_for(conn, &owners)?;
    let mut items: Vec<MemberKey> = rows
        .into_iter()
        .map(|(key, owner_id, owner_name)| MemberKey {
            blocked: blocked.contains(&key.id),
            last_used_here: uses.get(&key.id).copied(),
            owner_identities: labels.get(&owner_id).cloned().unwrap_or_default(),
            owner_id,
            owner_name,
            key,
        })
        .collect();
    items.sort_by_key(|item| ids.iter().position(|id| *id == item.key.id));
    Ok(items)
}

/// What the key policy looks at in every key that may work in `org_id` now:
/// its organization keys and the members' user keys that reach it, less those
/// it blocked, less those revoked by `now`. (Expired keys are among them; the
/// caller knows the time.)
pub fn policy_terms(
    conn: &mut DbConnection,
    org_id: OrgId,
    now: NaiveDateTime,
) -> QueryResult<Vec<KeyTerms>> {
    let org_keys: Vec<(Option<chrono::NaiveDate>, NaiveDateTime)> = api_keys::table
        .filter(api_keys::organization_id.eq(org_id))
        .filter(api_keys::revoked_at.is_null().or(api_keys::revoked_at.gt(now)))
        .select((api_keys::valid_until, api_keys::created_at))
        .load(conn)?;
    let blocked = api_key_blocks::table
        .filter(api_key_blocks::organization_id.eq(org_id))
        .select(api_key_blocks::key_id);
    let user_keys: Vec<(Option<chrono::NaiveDate>, NaiveDateTime, bool)> = reaching(org_id, now)
        .filter(api_keys::id.ne_all(blocked))
        .select((api_keys::valid_until, api_keys::created_at, api_keys::reaches_all_orgs))
        .load(conn)?;
    Ok(org_keys
        .into_iter()
        .map(|(valid_until, created_at)| terms(KeyKind::Organization, valid_until, created_at, true))
        .chain(
            user_keys
                .into_iter()
                .map(|(valid_until, created_at, all)| terms(KeyKind::User, valid_until, created_at, all)),
        )
        .collect())
}
