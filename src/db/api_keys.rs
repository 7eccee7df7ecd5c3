//! The `api_keys` table: organization keys and user keys. Every lookup that a
//! person's request drives is scoped by owner, so an id from another
//! organization or user finds nothing.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::access_changes::announce;
use super::audit_events::{self, AuditAction, ViaKey};
use super::organizations::Organization;
use super::schema::{api_key_blocks, api_key_orgs, api_keys, users};
use super::users::User;
use super::{DbConnection, MultiBackend};
use crate::domain::access::{AccessChange, Caller, KeyFacts, KeyHolder, KeyReach, Membership, UserRef};
use crate::domain::api_key::{
    AllowedNetworks, KeyKind, NetworksError, PublicId, Revocation, RevokeReason, Scope, ScopeError,
    ValidUntil,
};
use crate::domain::ids::{KeyId, OrgId, UserId};

mod lifecycle;
mod listing;
mod reach;

pub use lifecycle::{Roll, RollOutcome, purge_batch, roll};
pub use listing::{COUNT_CAP, KeyPage, owner_total, page_matching};
pub use reach::org_names_of;

/// Whose key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Organization(OrgId),
    User(UserId),
}

impl Owner {
    pub fn kind(self) -> KeyKind {
        match self {
            Owner::Organization(_) => KeyKind::Organization,
            Owner::User(_) => KeyKind::User,
        }
    }
}

/// `api_keys.kind` as stored: `org` or `user`.
fn stored_kind(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Organization => "org",
        KeyKind::User => "user",
    }
}

/// An `api_keys.public_id` that is not a public id.
#[derive(Debug, thiserror::Error)]
#[error("api_keys.public_id holds a value that is not a public id")]
pub struct MalformedPublicId;

/// `api_keys.public_id` is read as a [`PublicId`], in one place: a stored
/// value that is not one fails the query rather than showing an empty hint.
impl Queryable<Text, MultiBackend> for PublicId {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<PublicId> {
        PublicId::parse(&raw).ok_or_else(|| MalformedPublicId.into())
    }
}

/// An `api_keys.scope` that is not a scope string.
#[derive(Debug, thiserror::Error)]
#[error("api_keys.scope holds a value that is not a scope: {0}")]
pub struct MalformedScope(ScopeError);

/// `api_keys.scope` is read as a [`Scope`], in one place: a stored value that
/// is not one fails the query rather than granting anything.
impl Queryable<Text, MultiBackend> for Scope {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<Scope> {
        Scope::parse(&raw).map_err(|e| MalformedScope(e).into())
    }
}

/// An `api_keys.kind` this server does not know.
#[derive(Debug, thiserror::Error)]
#[error("api_keys.kind holds `{0}`, which is not a key kind this server knows")]
pub struct UnknownKind(String);

/// `api_keys.kind` is read as a [`KeyKind`], in one place: an unknown value
/// fails the query rather than being taken for another.
impl Queryable<Text, MultiBackend> for KeyKind {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<KeyKind> {
        [KeyKind::Organization, KeyKind::User]
            .into_iter()
            .find(|kind| stored_kind(*kind) == raw)
            .ok_or_else(|| UnknownKind(raw).into())
    }
}

/// A key as lists and pages show it: never the hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: KeyId,
    pub public_id: PublicId,
    pub kind: KeyKind,
    pub organization_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    pub description: String,
    pub valid_until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<UserId>,
    pub last_used_at: Option<NaiveDateTime>,
    /// The key it was made with, through the API (kept after that key is gone).
    pub created_by_key_hint: Option<String>,
    pub created_by_key_description: Option<String>,
    pub scope: Scope,
    /// Space-separated networks (see [`ApiKey::allowed_networks`]).
    #[diesel(column_name = allowed_networks)]
    pub stored_networks: Option<String>,
    /// `false`: a user key that reaches only the organizations in `api_key_orgs`.
    pub reaches_all_orgs: bool,
    /// The first instant it is refused, once revoked (or rolled).
    pub revoked_at: Option<NaiveDateTime>,
    /// A [`RevokeReason`] code (see [`ApiKey::revocation`]).
    pub revoked_reason: Option<String>,
    pub revoked_by: Option<UserId>,
    /// The API key that revoked it, when one did.
    pub revoked_by_key_hint: Option<String>,
    /// The public ids of the key it was rolled from / to.
    pub rolled_from: Option<String>,
    pub rolled_to: Option<String>,
    /// Where and with what it was last used (with `last_used_at`).
    pub last_used_address: Option<String>,
    pub last_used_agent: Option<String>,
}

/// An `api_keys.allowed_networks` that is not a list of networks.
#[derive(Debug, thiserror::Error)]
#[error("api_keys.allowed_networks holds a value that is not a list of networks: {0}")]
pub struct MalformedNetworks(NetworksError);

impl ApiKey {
    /// When and why it stops (or stopped) working, once revoked or rolled. A
    /// time with a reason this server does not know still revokes: the time
    /// decides, the reason only explains.
    pub fn revocation(&self) -> Option<Revocation> {
        self.revoked_at.map(|at| Revocation {
            at: at.and_utc(),
            reason: self
                .revoked_reason
                .as_deref()
                .and_then(RevokeReason::parse)
                .unwrap_or(RevokeReason::Revoked),
        })
    }

    /// Where the key may be used from (`None`: anywhere). A stored value that
    /// is not a list of networks is an error, never "anywhere".
    pub fn allowed_networks(&self) -> Result<Option<AllowedNetworks>, MalformedNetworks> {
        self.stored_networks
            .as_deref()
            .map_or(Ok(None), |raw| AllowedNetworks::parse(raw).map_err(MalformedNetworks))
    }
}

impl KeyListItem {
    /// "Alice", or "key mci_org_3fKx… (Deploys)" for a key made by an
    /// organization key, or "a deleted user".
    pub fn created_by_label(&self) -> String {
        audit_events::actor_label(
            self.created_by_name.clone(),
            self.key.created_by_key_hint.as_deref(),
            self.key.created_by_key_description.as_deref(),
        )
    }
}

/// A key with its creator's name, for the list.
pub struct KeyListItem {
    pub key: ApiKey,
    pub created_by_name: Option<String>,
}

pub struct NewKey<'a> {
    pub public_id: &'a PublicId,
    pub owner: Owner,
    pub scope: Scope,
    /// For a user key: the organizations it reaches (checked to be the user's).
    pub reach: &'a KeyReach,
    pub allowed_networks: Option<&'a AllowedNetworks>,
    pub secret_hash: &'a str,
    pub description: &'a str,
    pub valid_until: Option<NaiveDate>,
    /// The person who created it (`None`: an organization key, through the API).
    pub created_by: Option<UserId>,
    /// The API key that made the request, when it came through the API.
    pub via_key: Option<ViaKey<'a>>,
    /// The key it succeeds, when it was made by rolling that one.
    pub rolled_from: Option<&'a PublicId>,
    pub now: NaiveDateTime,
}

/// "" or " (through the API, key mci_org_3fKx…)", for audit details.
fn through_api(via_key: Option<ViaKey<'_>>) -> String {
    via_key.map(|key| format!(" (through the API, key {})", key.hint)).unwrap_or_default()
}

/// Runs `$then` on `$query` narrowed to the owner's keys. (A macro rather than a
/// boxed filter, so each arm keeps its concrete type and its index.) The owner
/// column alone decides: the table's CHECK constraint sets `organization_id` only
/// on organization keys and `user_id` only on user keys, and leaving `kind` out
/// lets the count be answered from the (owner, id) index alone.
macro_rules! for_owner {
    ($owner:expr, $query:expr, |$q:ident| $then:expr) => {
        match $owner {
            Owner::Organization(id) => {
                let $q = $query.filter(api_keys::organization_id.eq(id));
                $then
            }
            Owner::User(id) => {
                let $q = $query.filter(api_keys::user_id.eq(id));
                $then
            }
        }
    };
}

/// Stores a new key (and, for an organization key, its audit event).
pub fn insert(conn: &mut DbConnection, new: &NewKey<'_>, hint: &str) -> QueryResult<()> {
    let (organization_id, user_id) = match new.owner {
        Owner::Organization(id) => (Some(id), None),
        Owner::User(id) => (None, Some(id)),
    };
    conn.write_transaction(|conn| {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::public_id.eq(new.public_id.as_str()),
                api_keys::kind.eq(stored_kind(new.owner.kind())),
                api_keys::organization_id.eq(organization_id),
                api_keys::user_id.eq(user_id),
                api_keys::secret_hash.eq(new.secret_hash),
                api_keys::scope.eq(new.scope.to_string()),
                api_keys::allowed_networks.eq(new.allowed_networks.map(ToString::to_string)),
                api_keys::reaches_all_orgs.eq(!new.reach.is_restricted()),
                api_keys::description.eq(new.description),
                api_keys::valid_until.eq(new.valid_until),
                api_keys::created_at.eq(new.now),
                api_keys::created_by.eq(new.created_by),
                api_keys::created_by_key_hint.eq(new.via_key.map(|key| key.hint)),
                api_keys::created_by_key_description.eq(new.via_key.map(|key| key.description)),
                api_keys::rolled_from.eq(new.rolled_from.map(PublicId::as_str)),
            ))
            .execute(conn)?;
        if let (Owner::User(_), KeyReach::Only(orgs)) = (new.owner, new.reach) {
            let key_id: KeyId = api_keys::table
                .filter(api_keys::public_id.eq(new.public_id.as_str()))
                .select(api_keys::id)
                .first(conn)?;
            // One row at a time: SQLite has no DEFAULT keyword for diesel's batch insert.
            for org in orgs {
                diesel::insert_into(api_key_orgs::table)
                    .values((api_key_orgs::key_id.eq(key_id), api_key_orgs::organization_id.eq(*org)))
                    .execute(conn)?;
            }
        }
        if let Owner::Organization(org_id) = new.owner {
            let rolled_from = new
                .rolled_from
                .map(|from| format!(", rolled from {}", from.hint(new.owner.kind())))
                .unwrap_or_default();
            let details = format!(
                "Created API key {hint} “{}”{rolled_from}{}",
                new.description,
                through_api(new.via_key)
            );
            audit_events::record_via_key(
                conn,
                org_id,
                new.created_by,
                new.via_key,
                AuditAction::ApiKeyCreated,
                None,
                &details,
                new.now,
            )?;
        }
        Ok(())
    })
}

/// An owner's key with its creator's name, by public id, or nothing.
pub fn item_for_owner(
    conn: &mut DbConnection,
    owner: Owner,
    public_id: &PublicId,
) -> QueryResult<Option<KeyListItem>> {
    let row: Option<(ApiKey, Option<String>)> = for_owner!(
        owner,
        api_keys::table.left_join(users::table.on(users::id.nullable().eq(api_keys::created_by))),
        |q| q
            .filter(api_keys::public_id.eq(public_id.as_str()))
            .select((ApiKey::as_select(), users::display_name.nullable()))
            .first(conn)
            .optional()
    )?;
    Ok(row.map(|(key, created_by_name)| KeyListItem { key, created_by_name }))
}

/// An owner's key by public id, or nothing (also when it is someone else's).
pub fn find_for_owner(
    conn: &mut DbConnection,
    owner: Owner,
    public_id: &PublicId,
) -> QueryResult<Option<ApiKey>> {
    for_owner!(owner, api_keys::table, |q| q
        .filter(api_keys::public_id.eq(public_id.as_str()))
        .select(ApiKey::as_select())
        .first(conn)
        .optional())
}

/// How a key is being revoked.
pub struct Revoke<'a> {
    pub reason: RevokeReason,
    /// The first instant it is refused: `now`, or the end of a roll's overlap.
    pub at: NaiveDateTime,
    /// The person who revoked it, if a person did.
    pub by: Option<UserId>,
    /// The API key the request came with, if any.
    pub via_key: Option<ViaKey<'a>>,
    /// Said after the audit entry's first words ("from 203.0.113.9", "found at https://…").
    pub note: Option<&'a str>,
    pub now: NaiveDateTime,
}

/// What revoking found.
#[derive(Debug)]
pub enum Revoked {
    /// Revoked now; the key as it was before.
    Now(ApiKey),
    /// It was already revoked (and that has taken effect): nothing changed.
    Already(ApiKey),
}

/// Revokes an owner's key; `None` when the owner has no such key. See [`revoke`].
pub fn revoke_for_owner(
    conn: &mut DbConnection,
    owner: Owner,
    public_id: &PublicId,
    how: &Revoke<'_>,
) -> QueryResult<Option<Revoked>> {
    conn.write_transaction(|conn| {
        let Some(key) = find_for_owner(conn, owner, public_id)? else {
            return Ok(None);
        };
        revoke(conn, key, how).map(Some)
    })
}

/// Revokes `key` (call it in a write transaction that read it): it is
/// refused from `how.at` on, by the same clock check as an expiry, and every
/// instance forgets its cached entry. A key whose revocation has taken effect
/// is left as it is; a rolled key still in its overlap can be revoked at once.
/// Revoking an organization key is audited in its organization.
pub fn revoke(conn: &mut DbConnection, key: ApiKey, how: &Revoke<'_>) -> QueryResult<Revoked> {
    if key.revoked_at.is_some_and(|at| at <= how.now) {
        return Ok(Revoked::Already(key));
    }
    let changed = diesel::update(
        api_keys::table
            .find(key.id)
            .filter(api_keys::revoked_at.is_null().or(api_keys::revoked_at.gt(how.now))),
    )
    .set((
        api_keys::revoked_at.eq(how.at),
        api_keys::revoked_reason.eq(how.reason.code()),
        api_keys::revoked_by.eq(how.by),
        api_keys::revoked_by_key_hint.eq(how.via_key.map(|key| key.hint)),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Ok(Revoked::Already(key));
    }
    announce(conn, AccessChange::KeyChanged { public_id: key.public_id.to_string() })?;
    if let Some(org_id) = key.organization_id {
        let hint = key.public_id.hint(key.kind);
        let note = how.note.map(|note| format!(", {note}")).unwrap_or_default();
        let what = match how.reason {
            RevokeReason::Rolled => "Rolled",
            _ => "Revoked",
        };
        let details = format!(
            "{what} API key {hint} “{}” ({}{note}){}",
            key.description,
            how.reason.words(),
            through_api(how.via_key)
        );
        audit_events::record_via_key(
            conn,
            org_id,
            how.by,
            how.via_key,
            AuditAction::ApiKeyRevoked,
            None,
            &details,
            how.now,
        )?;
    }
    Ok(Revoked::Now(key))
}

/// The display names of the people who revoked these keys (those still here).
pub fn revoker_names(conn: &mut DbConnection, keys: &[&ApiKey]) -> QueryResult<Vec<(UserId, String)>> {
    let ids: Vec<UserId> = keys.iter().filter_map(|key| key.revoked_by).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::display_name)).load(conn)
}

/// What verifying a request needs: who the key speaks for (with the owner's
/// memberships as of now) and the stored hash of its secret.
pub struct KeyForVerification {
    pub caller: Caller,
    pub secret_hash: String,
}

/// The key with this public id and its holder, or nothing. One indexed read for
/// the key, one for its owner; for a user key, its user's memberships (with each
/// organization's policy), the blocks on it and, when restricted, its reach.
pub fn load_for_verification(
    conn: &mut DbConnection,
    public_id: &PublicId,
) -> QueryResult<Option<KeyForVerification>> {
    let found: Option<(ApiKey, String)> = api_keys::table
        .filter(api_keys::public_id.eq(public_id.as_str()))
        .select((ApiKey::as_select(), api_keys::secret_hash))
        .first(conn)
        .optional()?;
    let Some((key, secret_hash)) = found else {
        return Ok(None);
    };
    let holder = match (key.organization_id, key.user_id) {
        (Some(org_id), None) => {
            let Some(org) = Organization::find_by_id(conn, org_id)? else { return Ok(None) };
            KeyHolder::Organization { org: org.org_ref(), policy: org.key_policy() }
        }
        (None, Some(user_id)) => {
            let Some(user) = User::find(conn, user_id)? else { return Ok(None) };
            let blocked_in: Vec<OrgId> = api_key_blocks::table
                .filter(api_key_blocks::key_id.eq(key.id))
                .select(api_key_blocks::organization_id)
                .load(conn)?;
            let memberships = Organization::for_user(conn, user_id)?
                .into_iter()
                .map(|(org, role)| Membership {
                    blocked: blocked_in.contains(&org.id),
                    policy: org.key_policy(),
                    org: org.org_ref(),
                    role,
                })
                .collect();
            KeyHolder::User { user: UserRef { id: user.id, display_name: user.display_name }, memberships }
        }
        _ => return Ok(None),
    };
    let kind = match holder {
        KeyHolder::Organization { .. } => KeyKind::Organization,
        KeyHolder::User { .. } => KeyKind::User,
    };
    let reach =
        if key.reaches_all_orgs { KeyReach::AllOrgs } else { KeyReach::Only(reach_of(conn, key.id)?) };
    let allowed_networks =
        key.allowed_networks().map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
    let revoked = key.revocation();
    let facts = KeyFacts {
        revoked,
        id: key.id,
        public_id: public_id.clone(),
        kind,
        description: key.description,
        valid_until: key.valid_until.map(ValidUntil::from_date),
        created_at: key.created_at.and_utc(),
        scope: key.scope,
        reach,
        allowed_networks,
    };
    Ok(Some(KeyForVerification { caller: Caller { key: facts, holder }, secret_hash }))
}

/// The organizations a restricted user key was made for (those its user still belongs to).
pub fn reach_of(conn: &mut DbConnection, key_id: KeyId) -> QueryResult<Vec<OrgId>> {
    api_key_orgs::table
        .filter(api_key_orgs::key_id.eq(key_id))
        .select(api_key_orgs::organization_id)
        .load(conn)
}

/// Takes `org_id` out of the reach of every key of `user_id` (who is leaving
/// it): coming back later does not bring it back.
pub fn forget_reach_into(conn: &mut DbConnection, user_id: UserId, org_id: OrgId) -> QueryResult<()> {
    let keys = api_keys::table.filter(api_keys::user_id.eq(user_id)).select(api_keys::id);
    diesel::delete(
        api_key_orgs::table
            .filter(api_key_orgs::organization_id.eq(org_id))
            .filter(api_key_orgs::key_id.eq_any(keys)),
    )
    .execute(conn)
    .map(drop)
}

/// Where and with what a key was last used.
pub struct LastUse<'a> {
    pub at: NaiveDateTime,
    /// `None`: not known (an introspection, say).
    pub address: Option<&'a str>,
    pub agent: Option<&'a str>,
}

/// "Last used" is to the minute: each instance writes a key's use at most this often.
pub const LAST_USE_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// Records a use of the key (the caller decides how often: at most once a minute
/// per instance). A stamp another instance wrote less than a minute before is
/// kept: with many instances the key's row is then written about once a minute,
/// not once per instance (docs/SCALING.md), and the update that finds it fresh
/// writes no new row version.
pub fn touch_last_used(conn: &mut DbConnection, key_id: KeyId, last: &LastUse<'_>) -> QueryResult<()> {
    let fresh_since = last.at - LAST_USE_EVERY;
    diesel::update(api_keys::table.find(key_id))
        .filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.le(fresh_since)))
        .set((
            api_keys::last_used_at.eq(last.at),
            api_keys::last_used_address.eq(last.address),
            api_keys::last_used_agent.eq(last.agent),
        ))
        .execute(conn)
        .map(drop)
}

/// A key by its id, whoever owns it: for a report that names a key by its
/// token (a leak), never for a person's request, which is scoped by owner.
pub fn find(conn: &mut DbConnection, key_id: KeyId) -> QueryResult<Option<ApiKey>> {
    api_keys::table.find(key_id).select(ApiKey::as_select()).first(conn).optional()
}
