//! The `join_requests` table: people asking to join an organization, and the
//! admins' answers.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::deserialize;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;

use super::audit_events::{self, AuditAction};
use super::identities::Identity;
use super::memberships::{self, MembershipChange};
use super::organizations::Organization;
use super::schema::{join_requests, memberships as memberships_table, organizations, users};
use super::{DbConnection, MultiBackend};
use crate::domain::identity::IdentityLabel;
use crate::domain::ids::{JoinRequestId, OrgId, UserId};
use crate::domain::join_request::{ASK_AGAIN_AFTER, JoinRequestStatus, may_ask_again_at};
use crate::domain::organization::Role;

/// A `join_requests.status` this server does not know.
#[derive(Debug, thiserror::Error)]
#[error("join_requests.status holds `{0}`, which is not a status this server knows")]
pub struct UnknownStatus(String);

/// `join_requests.status` is read as a [`JoinRequestStatus`], in one place: an
/// unknown value fails the query rather than being taken for another.
impl Queryable<Text, MultiBackend> for JoinRequestStatus {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<JoinRequestStatus> {
        JoinRequestStatus::parse(&raw).ok_or_else(|| UnknownStatus(raw).into())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = join_requests)]
pub struct JoinRequest {
    pub id: JoinRequestId,
    pub organization_id: OrgId,
    pub user_id: UserId,
    pub status: JoinRequestStatus,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<UserId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    Requested,
    AlreadyMember,
    AlreadyPending,
    /// They asked less than [`ASK_AGAIN_AFTER`] ago and withdrew: nothing written.
    TooSoon {
        ask_again_at: NaiveDateTime,
    },
}

/// A pending request as the admins see it: who asks, and how they sign in.
pub struct PendingRequest {
    pub request: JoinRequest,
    pub name: String,
    pub identities: Vec<IdentityLabel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionOutcome {
    Approved,
    Rejected,
    /// No pending request with that id in this organization.
    NotFound,
}

/// Asks to join. At most one pending request per person and organization, and
/// after a withdrawal no new one until [`ASK_AGAIN_AFTER`] has passed since the
/// withdrawn request was made (see [`ask_again_times`]).
pub fn request(
    conn: &mut DbConnection,
    org_id: OrgId,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<RequestOutcome> {
    let result = conn.write_transaction(|conn| {
        // The organization's row lock serialises the checks below on PostgreSQL.
        Organization::lock(conn, org_id)?;
        if memberships::role_of(conn, org_id, user_id)?.is_some() {
            return Ok(RequestOutcome::AlreadyMember);
        }
        let pending: i64 = join_requests::table
            .filter(join_requests::organization_id.eq(org_id))
            .filter(join_requests::user_id.eq(user_id))
            .filter(join_requests::status.eq(JoinRequestStatus::Pending.as_str()))
            .count()
            .get_result(conn)?;
        if pending > 0 {
            return Ok(RequestOutcome::AlreadyPending);
        }
        if let Some(&ask_again_at) = ask_again_times(conn, user_id, now)?.get(&org_id) {
            return Ok(RequestOutcome::TooSoon { ask_again_at });
        }
        diesel::insert_into(join_requests::table)
            .values((
                join_requests::organization_id.eq(org_id),
                join_requests::user_id.eq(user_id),
                join_requests::status.eq(JoinRequestStatus::Pending.as_str()),
                join_requests::created_at.eq(now),
            ))
            .execute(conn)?;
        let name: String = users::table.find(user_id).select(users::display_name).first(conn)?;
        let details = format!("{name} asked to join");
        audit_events::record(
            conn,
            org_id,
            Some(user_id),
            AuditAction::JoinRequested,
            Some(user_id),
            &details,
            now,
        )?;
        Ok(RequestOutcome::Requested)
    });
    // The organization's row lock orders concurrent requests; the unique index
    // stays the last word.
    match result {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(RequestOutcome::AlreadyPending)
        }
        other => other,
    }
}

/// The organizations this person may not ask yet, with when they may: those they
/// asked less than [`ASK_AGAIN_AFTER`] before `now` and withdrew from since.
pub fn ask_again_times(
    conn: &mut DbConnection,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<HashMap<OrgId, NaiveDateTime>> {
    let recent: Vec<(OrgId, NaiveDateTime)> = join_requests::table
        .filter(join_requests::user_id.eq(user_id))
        .filter(join_requests::status.eq(JoinRequestStatus::Withdrawn.as_str()))
        .filter(join_requests::created_at.gt(now - ASK_AGAIN_AFTER))
        .select((join_requests::organization_id, join_requests::created_at))
        .load(conn)?;
    let mut times = HashMap::new();
    for (org_id, asked_at) in recent {
        let at = times.entry(org_id).or_insert(asked_at);
        *at = (*at).max(asked_at);
    }
    Ok(times.into_iter().map(|(org_id, asked_at)| (org_id, may_ask_again_at(asked_at))).collect())
}

/// The pending requests of an organization, oldest first, with the requester's
/// name and sign-in identities.
pub fn pending_for_org(conn: &mut DbConnection, org_id: OrgId) -> QueryResult<Vec<PendingRequest>> {
    let rows: Vec<(JoinRequest, String)> = join_requests::table
        .inner_join(users::table.on(users::id.eq(join_requests::user_id)))
        .filter(join_requests::organization_id.eq(org_id))
        .filter(join_requests::status.eq(JoinRequestStatus::Pending.as_str()))
        .order(join_requests::id.asc())
        .select((JoinRequest::as_select(), users::display_name))
        .load(conn)?;
    let ids: Vec<UserId> = rows.iter().map(|(r, _)| r.user_id).collect();
    let mut labels = Identity::labels_for(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(request, name)| PendingRequest {
            identities: labels.remove(&request.user_id).unwrap_or_default(),
            request,
            name,
        })
        .collect())
}

/// How many requests wait in each organization where `admin` is an admin (those
/// with none are left out): one query for the whole header, whatever the number
/// of organizations.
pub fn pending_counts_for_admin(conn: &mut DbConnection, admin: UserId) -> QueryResult<HashMap<OrgId, i64>> {
    let counts: Vec<(OrgId, i64)> = join_requests::table
        .inner_join(
            memberships_table::table.on(memberships_table::organization_id
                .eq(join_requests::organization_id)
                .and(memberships_table::user_id.eq(admin))
                .and(memberships_table::role.eq(Role::Admin.as_str()))),
        )
        .filter(join_requests::status.eq(JoinRequestStatus::Pending.as_str()))
        .group_by(join_requests::organization_id)
        .select((join_requests::organization_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(counts.into_iter().collect())
}

/// A person's requests, newest first, with the organization.
pub fn for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<Vec<(JoinRequest, Organization)>> {
    join_requests::table
        .inner_join(organizations::table)
        .filter(join_requests::user_id.eq(user_id))
        .order(join_requests::id.desc())
        .limit(50)
        .select((JoinRequest::as_select(), Organization::as_select()))
        .load(conn)
}

/// An admin approves (the requester becomes a member) or rejects a pending request.
/// The lookup is scoped to the organization: an id from another one finds nothing.
pub fn decide(
    conn: &mut DbConnection,
    org_id: OrgId,
    request_id: JoinRequestId,
    decision: Decision,
    actor: UserId,
    now: NaiveDateTime,
) -> QueryResult<DecisionOutcome> {
    conn.write_transaction(|conn| {
        Organization::lock(conn, org_id)?;
        let pending: Option<JoinRequest> = join_requests::table
            .filter(join_requests::id.eq(request_id))
            .filter(join_requests::organization_id.eq(org_id))
            .filter(join_requests::status.eq(JoinRequestStatus::Pending.as_str()))
            .select(JoinRequest::as_select())
            .first(conn)
            .optional()?;
        let Some(pending) = pending else {
            return Ok(DecisionOutcome::NotFound);
        };
        let status = match decision {
            Decision::Approve => JoinRequestStatus::Approved.as_str(),
            Decision::Reject => JoinRequestStatus::Rejected.as_str(),
        };
        // Only a request that is still pending: a withdrawal may have won the race.
        let decided = diesel::update(
            join_requests::table
                .filter(join_requests::id.eq(pending.id))
                .filter(join_requests::status.eq(JoinRequestStatus::Pending.as_str())),
        )
        .set((
            join_requests::status.eq(status),
            join_requests::decided_at.eq(now),
            join_requests::decided_by.eq(actor),
        ))
        .execute(conn)?;
        if decided != 1 {
            return Ok(DecisionOutcome::NotFound);
        }
        let name: String = users::table.find(pending.user_id).select(users::display_name).first(conn)?;
        match decision {
            Decision::Approve => {
                let details = format!("Approved {name}'s request to join");
                audit_events::record(
                    conn,
                    org_id,
                    Some(actor),
                    AuditAction::JoinRequestApproved,
                    Some(pending.user_id),
                    &details,
                    now,
                )?;
                let added =
                    memberships::add_member(conn, org_id, pending.user_id, Role::Member, Some(actor), now)?;
                debug_assert!(matches!(added, MembershipChange::Done | MembershipChange::Unchanged));
                Ok(DecisionOutcome::Approved)
            }
            Decision::Reject => {
                let details = format!("Rejected {name}'s request to join");
                audit_events::record(
                    conn,
                    org_id,
                    Some(actor),
                    AuditAction::JoinRequestRejected,
                    Some(pending.user_id),
                    &details,
                    now,
                )?;
                Ok(DecisionOutcome::Rejected)
            }
        }
    })
}

/// The requester takes back a pending request; scoped to them. One conditional
/// UPDATE, so it and an admin's decision cannot both succeed; the organization's
/// audit log records it in the same transaction.
pub fn withdraw(
    conn: &mut DbConnection,
    user_id: UserId,
    request_id: JoinRequestId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    conn.write_transaction(|conn| {
        let org_id: Option<OrgId> = diesel::update(
            join_requests::table
                .filter(join_requests::id.eq(request_id))
                .filter(join_requests::user_id.eq(user_id))
                .filter(join_requests::status.eq(JoinRequestStatus::Pending.as_str())),
        )
        .set(join_requests::status.eq(JoinRequestStatus::Withdrawn.as_str()))
        .returning(join_requests::organization_id)
        .get_result(conn)
        .optional()?;
        let Some(org_id) = org_id else {
            return Ok(false);
        };
        let name: String = users::table.find(user_id).select(users::display_name).first(conn)?;
        let details = format!("{name} withdrew their request to join");
        audit_events::record(
            conn,
            org_id,
            Some(user_id),
            AuditAction::JoinRequestWithdrawn,
            Some(user_id),
            &details,
            now,
        )?;
        Ok(true)
    })
}
