//! The `memberships` table: who belongs to which organization, as admin or member.
//! Every change keeps at least one admin and is written to the audit log.

use chrono::NaiveDateTime;
use diesel::deserialize;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::access_changes::announce;
use super::api_keys;
use super::audit_events::{self, AuditAction};
use super::identities::Identity;
use super::organizations::Organization;
use super::schema::{memberships, users};
use super::{DbConnection, MultiBackend};
use crate::domain::access::AccessChange;
use crate::domain::identity::IdentityLabel;
use crate::domain::ids::{OrgId, UserId};
use crate::domain::organization::Role;

/// A member as the members page shows them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub display_name: String,
    /// How they sign in ("github: mallory"): display names are not unique.
    pub identities: Vec<IdentityLabel>,
    pub role: Role,
    pub joined_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipChange {
    Done,
    /// Nothing to do (the role was already that).
    Unchanged,
    /// Refused: the organization would be left without an admin.
    LastAdmin,
    /// The user is not a member of this organization.
    NotAMember,
}

/// A `memberships.role` value this server does not know.
#[derive(Debug, thiserror::Error)]
#[error("memberships.role holds `{0}`, which is not a role this server knows")]
pub struct UnknownRole(String);

/// `memberships.role` is read as a [`Role`] by every query, in one place: a
/// value that is not `admin` or `member` fails the query (a logged 500 for the
/// request), never a guess at what was meant.
impl Queryable<Text, MultiBackend> for Role {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<Role> {
        Role::parse(&raw).ok_or_else(|| UnknownRole(raw).into())
    }
}

/// How many memberships hold a role this server does not know (checked at start).
pub fn count_unknown_roles(conn: &mut DbConnection) -> QueryResult<i64> {
    memberships::table.filter(memberships::role.ne_all(Role::ALL.map(Role::as_str))).count().get_result(conn)
}

pub fn role_of(conn: &mut DbConnection, org_id: OrgId, user_id: UserId) -> QueryResult<Option<Role>> {
    memberships::table
        .filter(memberships::organization_id.eq(org_id))
        .filter(memberships::user_id.eq(user_id))
        .select(memberships::role)
        .first(conn)
        .optional()
}

/// The members, admins first, then by name.
pub fn members(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<Member>> {
    let rows: Vec<(UserId, String, Role, NaiveDateTime)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::organization_id.eq(org_id))
        .order((memberships::role.asc(), users::display_name.asc(), users::id.asc()))
        .select((users::id, users::display_name, memberships::role, memberships::created_at))
        .load(conn)?;
    let ids: Vec<UserId> = rows.iter().map(|(id, ..)| *id).collect();
    let mut labels = Identity::labels_for(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, display_name, role, joined_at)| Member {
            user_id,
            display_name,
            identities: labels.remove(&user_id).unwrap_or_default(),
            role,
            joined_at,
        })
        .collect())
}

/// How many admins the organization has.
pub fn admin_count(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::organization_id.eq(org_id))
        .filter(memberships::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)
}

/// The display names of the organization's admins, by name (for the page that
/// tells a member whom to ask).
pub fn admin_names(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<String>> {
    memberships::table
        .inner_join(users::table)
        .filter(memberships::organization_id.eq(org_id))
        .filter(memberships::role.eq(Role::Admin.as_str()))
        .order((users::display_name.asc(), users::id.asc()))
        .select(users::display_name)
        .load(conn)
}

fn display_name(conn: &mut DbConnection, user_id: UserId) -> QueryResult<String> {
    users::table.find(user_id).select(users::display_name).first(conn)
}

/// Adds a member (used when a join request is approved). No-op if already a member.
pub fn add_member(
    conn: &mut DbConnection,
    org_id: OrgId,
    user_id: UserId,
    role: Role,
    actor: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<MembershipChange> {
    if role_of(conn, org_id, user_id)?.is_some() {
        return Ok(MembershipChange::Unchanged);
    }
    diesel::insert_into(memberships::table)
        .values((
            memberships::organization_id.eq(org_id),
            memberships::user_id.eq(user_id),
            memberships::role.eq(role.as_str()),
            memberships::created_at.eq(now),
        ))
        .execute(conn)?;
    announce(conn, AccessChange::UserChanged { user_id })?;
    let details = format!("{} joined as {}", display_name(conn, user_id)?, role.label().to_lowercase());
    audit_events::record(conn, org_id, actor, AuditAction::MemberJoined, Some(user_id), &details, now)?;
    Ok(MembershipChange::Done)
}

/// Gives `target` the role `role`, refusing to demote the last admin.
pub fn change_role(
    conn: &mut DbConnection,
    org_id: OrgId,
    target: UserId,
    role: Role,
    actor: UserId,
    now: NaiveDateTime,
) -> QueryResult<MembershipChange> {
    conn.write_transaction(|conn| {
        Organization::lock(conn, org_id)?;
        let Some(current) = role_of(conn, org_id, target)? else {
            return Ok(MembershipChange::NotAMember);
        };
        if current == role {
            return Ok(MembershipChange::Unchanged);
        }
        if current == Role::Admin && admin_count(conn, org_id)? <= 1 {
            return Ok(MembershipChange::LastAdmin);
        }
        diesel::update(
            memberships::table
                .filter(memberships::organization_id.eq(org_id))
                .filter(memberships::user_id.eq(target)),
        )
        .set(memberships::role.eq(role.as_str()))
        .execute(conn)?;
        announce(conn, AccessChange::UserChanged { user_id: target })?;
        let details = format!(
            "{} changed from {} to {}",
            display_name(conn, target)?,
            current.label().to_lowercase(),
            role.label().to_lowercase()
        );
        audit_events::record(
            conn,
            org_id,
            Some(actor),
            AuditAction::RoleChanged,
            Some(target),
            &details,
            now,
        )?;
        Ok(MembershipChange::Done)
    })
}

/// Removes `target` from the organization (`actor == target`: they leave),
/// refusing to remove the last admin.
pub fn remove(
    conn: &mut DbConnection,
    org_id: OrgId,
    target: UserId,
    actor: UserId,
    now: NaiveDateTime,
) -> QueryResult<MembershipChange> {
    conn.write_transaction(|conn| {
        Organization::lock(conn, org_id)?;
        let Some(current) = role_of(conn, org_id, target)? else {
            return Ok(MembershipChange::NotAMember);
        };
        if current == Role::Admin && admin_count(conn, org_id)? <= 1 {
            return Ok(MembershipChange::LastAdmin);
        }
        diesel::delete(
            memberships::table
                .filter(memberships::organization_id.eq(org_id))
                .filter(memberships::user_id.eq(target)),
        )
        .execute(conn)?;
        api_keys::forget_reach_into(conn, target, org_id)?;
        announce(conn, AccessChange::UserChanged { user_id: target })?;
        let name = display_name(conn, target)?;
        let (action, details) = if actor == target {
            (AuditAction::MemberLeft, format!("{name} left"))
        } else {
            (AuditAction::MemberRemoved, format!("{name} was removed"))
        };
        audit_events::record(conn, org_id, Some(actor), action, Some(target), &details, now)?;
        Ok(MembershipChange::Done)
    })
}
