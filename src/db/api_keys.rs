//! The `api_keys` table: organization keys and user keys. Every lookup that a
//! person's request drives is scoped by owner, so an id from another
//! organization or user finds nothing.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::audit_events::{self, AuditAction};
use super::schema::{api_keys, users};
use crate::domain::api_key::KeyKind;

/// Whose key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Organization(i32),
    User(i32),
}

impl Owner {
    pub fn kind(self) -> KeyKind {
        match self {
            Owner::Organization(_) => KeyKind::Organization,
            Owner::User(_) => KeyKind::User,
        }
    }

    fn kind_str(self) -> &'static str {
        match self {
            Owner::Organization(_) => "org",
            Owner::User(_) => "user",
        }
    }
}

/// A key as lists and pages show it: never the hash.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: i32,
    pub public_id: String,
    pub kind: String,
    pub organization_id: Option<i32>,
    pub user_id: Option<i32>,
    pub description: String,
    pub valid_until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub created_by: Option<i32>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// A key with its creator's name, for the list.
pub struct KeyListItem {
    pub key: ApiKey,
    pub created_by_name: Option<String>,
}

pub struct NewKey<'a> {
    pub public_id: &'a str,
    pub owner: Owner,
    pub secret_hash: &'a str,
    pub description: &'a str,
    pub valid_until: Option<NaiveDate>,
    pub created_by: i32,
    pub now: NaiveDateTime,
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
    conn.transaction(|conn| {
        diesel::insert_into(api_keys::table)
            .values((
                api_keys::public_id.eq(new.public_id),
                api_keys::kind.eq(new.owner.kind_str()),
                api_keys::organization_id.eq(organization_id),
                api_keys::user_id.eq(user_id),
                api_keys::secret_hash.eq(new.secret_hash),
                api_keys::description.eq(new.description),
                api_keys::valid_until.eq(new.valid_until),
                api_keys::created_at.eq(new.now),
                api_keys::created_by.eq(Some(new.created_by)),
            ))
            .execute(conn)?;
        if let Owner::Organization(org_id) = new.owner {
            let details = format!("Created API key {hint} “{}”", new.description);
            audit_events::record(
                conn,
                org_id,
                Some(new.created_by),
                AuditAction::ApiKeyCreated,
                None,
                &details,
                new.now,
            )?;
        }
        Ok(())
    })
}

/// Counting stops here: an owner with more keys shows "1,000+", so the list costs
/// the same whether an organization has a thousand keys or a million.
pub const COUNT_CAP: i64 = 1000;

/// One page of an owner's keys, newest first.
pub struct KeyPage {
    pub items: Vec<KeyListItem>,
    /// The number of keys, exact up to `COUNT_CAP`; `COUNT_CAP + 1` means "more".
    pub total: i64,
    /// Whether a page follows this one.
    pub has_next: bool,
}

pub fn page_for_owner(
    conn: &mut DbConnection,
    owner: Owner,
    limit: i64,
    offset: i64,
) -> QueryResult<KeyPage> {
    // Reads at most COUNT_CAP + 1 index entries, never the whole list.
    let counted: Vec<i32> =
        for_owner!(owner, api_keys::table, |q| q.select(api_keys::id).limit(COUNT_CAP + 1).load(conn))?;
    let mut rows: Vec<(ApiKey, Option<String>)> = for_owner!(
        owner,
        api_keys::table.left_join(users::table.on(users::id.nullable().eq(api_keys::created_by))),
        |q| q
            .order(api_keys::id.desc())
            .limit(limit + 1)
            .offset(offset)
            .select((ApiKey::as_select(), users::display_name.nullable()))
            .load(conn)
    )?;
    let has_next = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let items = rows.into_iter().map(|(key, created_by_name)| KeyListItem { key, created_by_name }).collect();
    Ok(KeyPage { items, total: counted.len() as i64, has_next })
}

/// An owner's key by public id, or nothing (also when it is someone else's).
pub fn find_for_owner(conn: &mut DbConnection, owner: Owner, public_id: &str) -> QueryResult<Option<ApiKey>> {
    for_owner!(owner, api_keys::table, |q| q
        .filter(api_keys::public_id.eq(public_id))
        .select(ApiKey::as_select())
        .first(conn)
        .optional())
}

/// Deletes an owner's key; returns it, or `None` when the owner has no such key.
/// It stops working at once: the row is gone.
pub fn delete_for_owner(
    conn: &mut DbConnection,
    owner: Owner,
    public_id: &str,
    actor: i32,
    hint: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<ApiKey>> {
    conn.transaction(|conn| {
        let Some(key) = find_for_owner(conn, owner, public_id)? else {
            return Ok(None);
        };
        diesel::delete(api_keys::table.find(key.id)).execute(conn)?;
        if let Owner::Organization(org_id) = owner {
            let details = format!("Deleted API key {hint} “{}”", key.description);
            audit_events::record(conn, org_id, Some(actor), AuditAction::ApiKeyDeleted, None, &details, now)?;
        }
        Ok(Some(key))
    })
}

/// The stored hash of a key's secret, by public id (for verification).
pub fn secret_hash(conn: &mut DbConnection, public_id: &str) -> QueryResult<Option<String>> {
    api_keys::table
        .filter(api_keys::public_id.eq(public_id))
        .select(api_keys::secret_hash)
        .first(conn)
        .optional()
}
