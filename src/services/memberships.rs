//! Who belongs to an organization: asking to join, withdrawing, an admin's
//! decision, role changes, removal and leaving — for the pages (and, later,
//! the API) alike. Each rule that needs the database's current state (one
//! pending request per person, the wait after a withdrawal, at least one admin)
//! is checked inside the write transaction of the storage function it calls, under
//! the organization's row lock, so that two requests at once cannot both pass it.

use std::sync::Arc;

use super::ServiceError;
use crate::clock::Clock;
use crate::db::Db;
use crate::db::join_requests::{self, Decision, DecisionOutcome, RequestOutcome};
use crate::db::memberships::{self, MembershipChange};
use crate::db::organizations::Organization;
use crate::domain::ids::{JoinRequestId, OrgId, UserId};
use crate::domain::organization::{OrgSlug, Role};

/// What membership changes use: storage and the clock.
pub struct Memberships {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

impl Memberships {
    /// `person` asks to join the organization at `slug`; `None` when there is none.
    pub async fn ask_to_join(
        &self,
        person: UserId,
        slug: OrgSlug,
    ) -> Result<Option<(Organization, RequestOutcome)>, ServiceError> {
        let now = self.clock.now_naive();
        let outcome = self
            .db
            .run(move |conn| {
                let Some(org) = Organization::find_by_slug(conn, &slug)? else { return Ok(None) };
                let outcome = join_requests::request(conn, org.id, person, now)?;
                Ok(Some((org, outcome)))
            })
            .await?;
        Ok(outcome)
    }

    /// `person` withdraws their own pending request; false when they have no such request.
    pub async fn withdraw(&self, person: UserId, request: JoinRequestId) -> Result<bool, ServiceError> {
        let now = self.clock.now_naive();
        Ok(self.db.run(move |conn| join_requests::withdraw(conn, person, request, now)).await?)
    }

    /// An admin approves or rejects a pending request of their organization.
    pub async fn decide(
        &self,
        org: OrgId,
        request: JoinRequestId,
        decision: Decision,
        admin: UserId,
    ) -> Result<DecisionOutcome, ServiceError> {
        let now = self.clock.now_naive();
        Ok(self.db.run(move |conn| join_requests::decide(conn, org, request, decision, admin, now)).await?)
    }

    /// An admin gives a member another role; the last admin keeps theirs.
    pub async fn change_role(
        &self,
        org: OrgId,
        member: UserId,
        role: Role,
        admin: UserId,
    ) -> Result<MembershipChange, ServiceError> {
        let now = self.clock.now_naive();
        Ok(self.db.run(move |conn| memberships::change_role(conn, org, member, role, admin, now)).await?)
    }

    /// An admin removes a member (themselves included); the last admin stays.
    pub async fn remove(
        &self,
        org: OrgId,
        member: UserId,
        admin: UserId,
    ) -> Result<MembershipChange, ServiceError> {
        let now = self.clock.now_naive();
        Ok(self.db.run(move |conn| memberships::remove(conn, org, member, admin, now)).await?)
    }

    /// A member leaves; the last admin cannot.
    pub async fn leave(&self, org: OrgId, member: UserId) -> Result<MembershipChange, ServiceError> {
        self.remove(org, member, member).await
    }
}
