//! The `organizations` table.

use chrono::NaiveDateTime;
use diesel::deserialize;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;

use super::access_changes::announce;
use super::audit_events::{self, AuditAction};
use super::schema::{memberships, organizations};
use super::{DbConnection, MultiBackend};
use crate::domain::access::{AccessChange, OrgRef};
use crate::domain::api_key::{KeyPolicy, UserKeysAllowed};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::organization::{OrgName, OrgSlug, Role};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Policy: the longest its keys may live, in days (`None`: no limit).
    pub max_key_lifetime_days: Option<i32>,
    /// Policy: every key needs an expiry date.
    pub keys_require_expiry: bool,
    /// Policy: which of its members' user keys may reach it.
    pub user_keys_allowed: UserKeysAllowed,
}

/// An `organizations.user_keys_allowed` this server does not know.
#[derive(Debug, thiserror::Error)]
#[error("organizations.user_keys_allowed holds `{0}`, which is not a choice this server knows")]
pub struct UnknownUserKeysChoice(String);

/// `organizations.user_keys_allowed` is read as a [`UserKeysAllowed`], in one
/// place: an unknown value fails the query rather than letting keys in.
impl Queryable<Text, MultiBackend> for UserKeysAllowed {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<UserKeysAllowed> {
        UserKeysAllowed::parse(&raw).ok_or_else(|| UnknownUserKeysChoice(raw).into())
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = organizations)]
struct NewOrganization<'a> {
    slug: &'a str,
    name: &'a str,
    name_search: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The slug is someone else's already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlugTaken;

impl Organization {
    /// The longest lifetime, in days, the organization allows its keys.
    pub fn key_policy_days(&self) -> Option<u32> {
        self.max_key_lifetime_days.and_then(|days| u32::try_from(days).ok())
    }

    /// The organization's key policy, as every key's request checks it.
    pub fn key_policy(&self) -> KeyPolicy {
        KeyPolicy {
            max_lifetime_days: self.key_policy_days(),
            require_expiry: self.keys_require_expiry,
            user_keys: self.user_keys_allowed,
        }
    }

    pub fn org_ref(&self) -> OrgRef {
        OrgRef { id: self.id, slug: self.slug.clone(), name: self.name.clone() }
    }

    pub fn find_by_id(conn: &mut DbConnection, id: OrgId) -> QueryResult<Option<Organization>> {
        organizations::table.find(id).select(Organization::as_select()).first(conn).optional()
    }

    pub fn find_by_slug(conn: &mut DbConnection, slug: &OrgSlug) -> QueryResult<Option<Organization>> {
        organizations::table
            .filter(organizations::slug.eq(slug.as_str()))
            .select(Organization::as_select())
            .first(conn)
            .optional()
    }

    /// Creates the organization with `creator` as its admin, and logs it.
    pub fn create(
        conn: &mut DbConnection,
        slug: &OrgSlug,
        name: &OrgName,
        creator: UserId,
        now: NaiveDateTime,
    ) -> QueryResult<Result<Organization, SlugTaken>> {
        let created = conn.write_transaction(|conn| {
            let org: Organization = diesel::insert_into(organizations::table)
                .values(NewOrganization {
                    slug: slug.as_str(),
                    name: name.as_str(),
                    name_search: &name.as_str().to_lowercase(),
                    created_at: now,
                    updated_at: now,
                })
                .returning((
                    organizations::id,
                    organizations::slug,
                    organizations::name,
                    organizations::created_at,
                    organizations::updated_at,
                    organizations::max_key_lifetime_days,
                    organizations::keys_require_expiry,
                    organizations::user_keys_allowed,
                ))
                .get_result(conn)?;
            diesel::insert_into(memberships::table)
                .values((
                    memberships::organization_id.eq(org.id),
                    memberships::user_id.eq(creator),
                    memberships::role.eq(Role::Admin.as_str()),
                    memberships::created_at.eq(now),
                ))
                .execute(conn)?;
            announce(conn, AccessChange::UserChanged { user_id: creator })?;
            let details = format!("Created {} ({})", org.name, org.slug);
            audit_events::record(
                conn,
                org.id,
                Some(creator),
                AuditAction::OrganizationCreated,
                None,
                &details,
                now,
            )?;
            Ok(org)
        });
        match created {
            Ok(org) => Ok(Ok(org)),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(Err(SlugTaken)),
            Err(other) => Err(other),
        }
    }

    pub fn rename(
        conn: &mut DbConnection,
        org: &Organization,
        name: &OrgName,
        actor: UserId,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        if org.name == name.as_str() {
            return Ok(());
        }
        conn.write_transaction(|conn| {
            diesel::update(organizations::table.find(org.id))
                .set((
                    organizations::name.eq(name.as_str()),
                    organizations::name_search.eq(name.as_str().to_lowercase()),
                    organizations::updated_at.eq(now),
                ))
                .execute(conn)?;
            announce(conn, AccessChange::OrganizationChanged { org_id: org.id })?;
            let details = format!("Renamed from {} to {}", org.name, name.as_str());
            audit_events::record(
                conn,
                org.id,
                Some(actor),
                AuditAction::OrganizationRenamed,
                None,
                &details,
                now,
            )
        })
    }

    /// Sets the organization's key policy: the longest lifetime of its keys
    /// (`None`: no limit), whether they need an expiry date, and which user keys
    /// may reach it. Each change is logged in words; existing keys meet the new
    /// policy at their next request.
    pub fn set_key_policy(
        conn: &mut DbConnection,
        org: &Organization,
        policy: KeyPolicy,
        actor: UserId,
        now: NaiveDateTime,
    ) -> QueryResult<()> {
        let max_days = policy.max_lifetime_days.and_then(|days| i32::try_from(days).ok());
        let mut changes = Vec::new();
        if org.max_key_lifetime_days != max_days {
            changes.push(match max_days {
                Some(1) => "API keys must expire within 1 day of their creation".to_string(),
                Some(days) => format!("API keys must expire within {days} days of their creation"),
                None => "API keys have no maximum lifetime".to_string(),
            });
        }
        if org.keys_require_expiry != policy.require_expiry {
            changes.push(if policy.require_expiry {
                "API keys must have an expiry date".to_string()
            } else {
                "API keys no longer need an expiry date".to_string()
            });
        }
        if org.user_keys_allowed != policy.user_keys {
            changes.push(format!(
                "User keys that may reach {}: {} (was: {})",
                org.name,
                policy.user_keys.label().to_lowercase(),
                org.user_keys_allowed.label().to_lowercase()
            ));
        }
        if changes.is_empty() {
            return Ok(());
        }
        conn.write_transaction(|conn| {
            diesel::update(organizations::table.find(org.id))
                .set((
                    organizations::max_key_lifetime_days.eq(max_days),
                    organizations::keys_require_expiry.eq(policy.require_expiry),
                    organizations::user_keys_allowed.eq(policy.user_keys.as_str()),
                    organizations::updated_at.eq(now),
                ))
                .execute(conn)?;
            // Existing keys meet the new policy at their next request.
            announce(conn, AccessChange::OrganizationChanged { org_id: org.id })?;
            for details in &changes {
                audit_events::record(
                    conn,
                    org.id,
                    Some(actor),
                    AuditAction::KeyPolicyChanged,
                    None,
                    details,
                    now,
                )?;
            }
            Ok(())
        })
    }

    /// Organizations whose name (any case) or address contains `query`, by name;
    /// and how many in all. Addresses are lower case, so the lower-cased query
    /// matches them the same way on both databases.
    pub fn search(
        conn: &mut DbConnection,
        query: &str,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<Organization>, i64)> {
        let pattern = format!("%{}%", escape_like(&query.to_lowercase()));
        let matches = || {
            organizations::name_search
                .like(pattern.clone())
                .escape('\\')
                .or(organizations::slug.like(pattern.clone()).escape('\\'))
        };
        let total = organizations::table.filter(matches()).count().get_result(conn)?;
        let found = organizations::table
            .filter(matches())
            .order((organizations::name.asc(), organizations::id.asc()))
            .limit(limit)
            .offset(offset)
            .select(Organization::as_select())
            .load(conn)?;
        Ok((found, total))
    }

    /// The organizations a user belongs to, with their role, by name.
    pub fn for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<(Organization, Role)>> {
        organizations::table
            .inner_join(memberships::table)
            .filter(memberships::user_id.eq(user_id))
            .order(organizations::name.asc())
            .select((Organization::as_select(), memberships::role))
            .load(conn)
    }

    /// Serializes changes to one organization's members: a no-op write takes the
    /// row lock on PostgreSQL and the write lock on SQLite, so two admins demoting
    /// each other at once cannot leave the organization without an admin.
    pub fn lock(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<()> {
        diesel::update(organizations::table.find(org_id))
            .set(organizations::updated_at.eq(organizations::updated_at))
            .execute(conn)?;
        Ok(())
    }
}

/// `%`, `_` and `\` match themselves in a search.
pub(super) fn escape_like(raw: &str) -> String {
    let mut escaped = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
