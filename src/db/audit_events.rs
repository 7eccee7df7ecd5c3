//! The `audit_events` table: who did what, and when, in an organization.

use chrono::NaiveDateTime;
use diesel::deserialize;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::identities::Identity;
use super::schema::{audit_events, users};
use super::{DbConnection, MultiBackend};
use crate::domain::identity::IdentityLabel;
use crate::domain::ids::{OrgId, UserId};

/// What happened. The stored names are stable: they are the log's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    OrganizationCreated,
    OrganizationRenamed,
    MemberJoined,
    MemberLeft,
    MemberRemoved,
    RoleChanged,
    JoinRequested,
    JoinRequestApproved,
    JoinRequestRejected,
    JoinRequestWithdrawn,
    ApiKeyCreated,
    ApiKeyDeleted,
    ApiKeyRevoked,
    ApiKeyBlocked,
    ApiKeyUnblocked,
    KeyPolicyChanged,
}

impl AuditAction {
    pub const ALL: [AuditAction; 16] = [
        AuditAction::OrganizationCreated,
        AuditAction::OrganizationRenamed,
        AuditAction::MemberJoined,
        AuditAction::MemberLeft,
        AuditAction::MemberRemoved,
        AuditAction::RoleChanged,
        AuditAction::JoinRequested,
        AuditAction::JoinRequestApproved,
        AuditAction::JoinRequestRejected,
        AuditAction::JoinRequestWithdrawn,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyDeleted,
        AuditAction::ApiKeyRevoked,
        AuditAction::ApiKeyBlocked,
        AuditAction::ApiKeyUnblocked,
        AuditAction::KeyPolicyChanged,
    ];

    pub fn parse(raw: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|action| action.as_str() == raw)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::OrganizationCreated => "organization.created",
            AuditAction::OrganizationRenamed => "organization.renamed",
            AuditAction::MemberJoined => "member.joined",
            AuditAction::MemberLeft => "member.left",
            AuditAction::MemberRemoved => "member.removed",
            AuditAction::RoleChanged => "member.role_changed",
            AuditAction::JoinRequested => "join_request.created",
            AuditAction::JoinRequestApproved => "join_request.approved",
            AuditAction::JoinRequestRejected => "join_request.rejected",
            AuditAction::JoinRequestWithdrawn => "join_request.withdrawn",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyDeleted => "api_key.deleted",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::ApiKeyBlocked => "api_key.blocked",
            AuditAction::ApiKeyUnblocked => "api_key.unblocked",
            AuditAction::KeyPolicyChanged => "organization.key_policy_changed",
        }
    }
}

/// An `audit_events.action` this server does not know.
#[derive(Debug, thiserror::Error)]
#[error("audit_events.action holds `{0}`, which is not an action this server knows")]
pub struct UnknownAction(String);

/// `audit_events.action` is read as an [`AuditAction`], in one place: an
/// unknown value fails the query rather than being shown as something else.
impl Queryable<Text, MultiBackend> for AuditAction {
    type Row = String;

    fn build(raw: String) -> deserialize::Result<AuditAction> {
        AuditAction::parse(&raw).ok_or_else(|| UnknownAction(raw).into())
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub organization_id: OrgId,
    pub actor_user_id: Option<UserId>,
    pub action: &'a str,
    pub target_user_id: Option<UserId>,
    pub details: &'a str,
    pub created_at: NaiveDateTime,
    pub actor_key_hint: Option<&'a str>,
    pub actor_key_description: Option<&'a str>,
}

/// The API key a change was made with (through the API): kept by hint and
/// description, so the log still names it after the key is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViaKey<'a> {
    pub hint: &'a str,
    pub description: &'a str,
}

/// Who did something, as the log and lists show it: the person, else the key
/// that did it ("key mci_org_3fKx… (Deploys)"), else "a deleted user".
pub fn actor_label(name: Option<String>, key_hint: Option<&str>, key_description: Option<&str>) -> String {
    match (name, key_hint) {
        (Some(name), _) => name,
        (None, Some(hint)) => match key_description {
            Some(description) => format!("key {hint} ({description})"),
            None => format!("key {hint}"),
        },
        (None, None) => "a deleted user".into(),
    }
}

/// Records an event; call it inside the transaction that makes the change, so the
/// log and the change are written together or not at all.
pub fn record(
    conn: &mut DbConnection,
    organization_id: OrgId,
    actor: Option<UserId>,
    action: AuditAction,
    target: Option<UserId>,
    details: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    record_via_key(conn, organization_id, actor, None, action, target, details, now)
}

/// [`record`] for a change made through the API: the key used is named too.
#[allow(clippy::too_many_arguments)]
pub fn record_via_key(
    conn: &mut DbConnection,
    organization_id: OrgId,
    actor: Option<UserId>,
    via_key: Option<ViaKey<'_>>,
    action: AuditAction,
    target: Option<UserId>,
    details: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(NewAuditEvent {
            organization_id,
            actor_user_id: actor,
            action: action.as_str(),
            target_user_id: target,
            details,
            created_at: now,
            actor_key_hint: via_key.map(|key| key.hint),
            actor_key_description: via_key.map(|key| key.description),
        })
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i32,
    pub organization_id: OrgId,
    pub actor_user_id: Option<UserId>,
    pub action: AuditAction,
    pub target_user_id: Option<UserId>,
    pub details: String,
    pub created_at: NaiveDateTime,
    pub actor_key_hint: Option<String>,
    pub actor_key_description: Option<String>,
}

/// An event with the names and sign-in identities of the people involved, as
/// they are now.
pub struct AuditEntry {
    pub event: AuditEvent,
    pub actor_name: Option<String>,
    pub actor_identities: Vec<IdentityLabel>,
    pub target_name: Option<String>,
    pub target_identities: Vec<IdentityLabel>,
}

/// One page of an organization's log, newest first, and the total count.
pub fn page(
    conn: &mut DbConnection,
    organization_id: OrgId,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<AuditEntry>, i64)> {
    let total: i64 = audit_events::table
        .filter(audit_events::organization_id.eq(organization_id))
        .count()
        .get_result(conn)?;
    let events: Vec<AuditEvent> = audit_events::table
        .filter(audit_events::organization_id.eq(organization_id))
        .order(audit_events::id.desc())
        .limit(limit)
        .offset(offset)
        .select(AuditEvent::as_select())
        .load(conn)?;
    let mut ids: Vec<UserId> =
        events.iter().flat_map(|e| [e.actor_user_id, e.target_user_id]).flatten().collect();
    ids.sort_unstable();
    ids.dedup();
    let names: Vec<(UserId, String)> =
        users::table.filter(users::id.eq_any(&ids)).select((users::id, users::display_name)).load(conn)?;
    let labels = Identity::labels_for(conn, &ids)?;
    let name_of =
        |id: Option<UserId>| id.and_then(|id| names.iter().find(|(u, _)| *u == id).map(|(_, n)| n.clone()));
    let labels_of = |id: Option<UserId>| id.and_then(|id| labels.get(&id).cloned()).unwrap_or_default();
    let entries = events
        .into_iter()
        .map(|event| AuditEntry {
            actor_name: name_of(event.actor_user_id),
            actor_identities: labels_of(event.actor_user_id),
            target_name: name_of(event.target_user_id),
            target_identities: labels_of(event.target_user_id),
            event,
        })
        .collect();
    Ok((entries, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_what_it_writes_and_the_names_are_unique() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        let names: std::collections::HashSet<_> = AuditAction::ALL.map(AuditAction::as_str).into();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("member.promoted"), None);
    }
}
