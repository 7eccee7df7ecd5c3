//! Who an API key speaks for and what it reaches (SPEC §2 "Kinds"), and the
//! changes that alter that reach, which every cached copy must forget.

use chrono::{DateTime, Utc};

use super::api_key::{
    AllowedNetworks, KeyKind, KeyPolicy, KeyTerms, PublicId, Resource, Revocation, Scope, ValidUntil,
};
use super::ids::{KeyId, OrgId, UserId};
use super::organization::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRef {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    pub id: UserId,
    pub display_name: String,
}

/// Which of its user's organizations a user key reaches (SPEC §2 "Reach of user
/// keys"). An organization key reaches its organization; this says nothing there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KeyReach {
    /// Every organization the user belongs to at the time of the request.
    #[default]
    AllOrgs,
    /// Only these, while the user belongs to them. Leaving one removes it, so
    /// the list can become empty: the key then reaches no organization.
    Only(Vec<OrgId>),
}

impl KeyReach {
    pub fn includes(&self, org: OrgId) -> bool {
        match self {
            KeyReach::AllOrgs => true,
            KeyReach::Only(orgs) => orgs.contains(&org),
        }
    }

    /// Restricted to named organizations (what a policy may ask of user keys).
    pub fn is_restricted(&self) -> bool {
        matches!(self, KeyReach::Only(_))
    }
}

/// The key itself, as far as a request needs it (never the hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFacts {
    pub id: KeyId,
    pub public_id: PublicId,
    pub kind: KeyKind,
    pub description: String,
    pub valid_until: Option<ValidUntil>,
    pub created_at: DateTime<Utc>,
    /// What the key may do (its holder's rights still bound it).
    pub scope: Scope,
    /// For a user key: which of the user's organizations it reaches.
    pub reach: KeyReach,
    /// Where it may be used from; `None`: anywhere.
    pub allowed_networks: Option<AllowedNetworks>,
    /// Set once revoked (or rolled: then it may still work until the overlap ends).
    pub revoked: Option<Revocation>,
}

impl KeyFacts {
    /// The first instant the key is refused, whichever comes first: its
    /// valid-until date or its revocation (`None`: it has neither).
    pub fn stops_at(&self) -> Option<DateTime<Utc>> {
        let expiry = self.valid_until.map(ValidUntil::refused_from);
        let revocation = self.revoked.map(|revoked| revoked.at);
        match (expiry, revocation) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn hint(&self) -> String {
        self.public_id.hint(self.kind)
    }

    /// What an organization's key policy looks at.
    pub fn terms(&self) -> KeyTerms {
        KeyTerms {
            kind: self.kind,
            valid_until: self.valid_until,
            created_on: self.created_at.date_naive(),
            restricted_to_named_orgs: self.reach.is_restricted(),
        }
    }
}

/// One organization a user belongs to, as a user key sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub org: OrgRef,
    pub role: Role,
    /// The organization's key policy.
    pub policy: KeyPolicy,
    /// An admin blocked this key from the organization.
    pub blocked: bool,
}

/// The key's owner as it was read: for a user key, with the user's memberships.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHolder {
    Organization { org: OrgRef, policy: KeyPolicy },
    User { user: UserRef, memberships: Vec<Membership> },
}

/// An authenticated API caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key: KeyFacts,
    pub holder: KeyHolder,
}

/// One organization a caller reaches. `role` is `None` for an organization key,
/// which acts for the organization itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach<'a> {
    pub org: &'a OrgRef,
    pub role: Option<Role>,
    /// What the key may do here: its permissions within its holder's rights.
    pub scope: Scope,
}

impl Reach<'_> {
    /// Key management needs admin rights: an admin's user key, or an organization key.
    pub fn can_manage_keys(&self) -> bool {
        self.role.is_none_or(|role| role == Role::Admin)
    }
}

/// What a key's holder may do in an organization (SPEC §2: a key's effective
/// rights are its permissions within these). An organization key acts as an
/// admin; an admin may do everything; a member reads the organization and its
/// members, works with repositories, builds, parameters, SSH keys and webhooks,
/// and never manages the organization, its members, its keys or its billing.
pub fn holder_rights(role: Option<Role>) -> Scope {
    use super::api_key::Level::{Read, Write};
    match role {
        None | Some(Role::Admin) => Scope::full_access(),
        Some(Role::Member) => Scope::none()
            .with(Resource::Org, Read)
            .with(Resource::Members, Read)
            .with(Resource::Repos, Write)
            .with(Resource::Builds, Write)
            .with(Resource::Params, Write)
            .with(Resource::SshKeys, Write)
            .with(Resource::Webhooks, Write),
    }
}

impl Caller {
    /// Every organization the caller reaches now, with the key's effective
    /// rights in each: for a user key, the user's organizations within the key's
    /// reach, less those that blocked it or whose key policy it does not meet.
    pub fn organizations(&self) -> Vec<Reach<'_>> {
        let terms = self.key.terms();
        let reach = |org, role| Reach { org, role, scope: self.key.scope.intersect(&holder_rights(role)) };
        match &self.holder {
            KeyHolder::Organization { org, policy } => {
                if policy.admits(&terms) {
                    vec![reach(org, None)]
                } else {
                    Vec::new()
                }
            }
            KeyHolder::User { memberships, .. } => memberships
                .iter()
                .filter(|m| self.key.reach.includes(m.org.id) && !m.blocked && m.policy.admits(&terms))
                .map(|m| reach(&m.org, Some(m.role)))
                .collect(),
        }
    }

    /// The organization with this slug, if the caller reaches it.
    pub fn reach(&self, slug: &str) -> Option<Reach<'_>> {
        self.organizations().into_iter().find(|reach| reach.org.slug == slug)
    }

    /// The user a user key belongs to.
    pub fn user(&self) -> Option<&UserRef> {
        match &self.holder {
            KeyHolder::User { user, .. } => Some(user),
            KeyHolder::Organization { .. } => None,
        }
    }

    /// Every organization the holder's state was read from, reached or not: a
    /// change to any of them may change what the key reaches.
    fn organizations_read(&self) -> impl Iterator<Item = &OrgRef> {
        let (own, memberships) = match &self.holder {
            KeyHolder::Organization { org, .. } => (Some(org), &[][..]),
            KeyHolder::User { memberships, .. } => (None, memberships.as_slice()),
        };
        own.into_iter().chain(memberships.iter().map(|m| &m.org))
    }
}

/// Something that changes what a key reaches. Announced by the transaction that
/// makes the change; every instance's cache forgets what it touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccessChange {
    /// The key was deleted, or blocked or let in again by an organization.
    KeyChanged { public_id: String },
    /// A user joined, left, was removed from or changed role in an organization,
    /// or was renamed.
    UserChanged { user_id: UserId },
    /// An organization was renamed or changed its key policy (or, later, was deleted).
    OrganizationChanged { org_id: OrgId },
}

impl AccessChange {
    /// The notification payload: `key:<public id>`, `user:<id>` or `org:<id>`.
    pub fn to_payload(&self) -> String {
        match self {
            AccessChange::KeyChanged { public_id } => format!("key:{public_id}"),
            AccessChange::UserChanged { user_id } => format!("user:{user_id}"),
            AccessChange::OrganizationChanged { org_id } => format!("org:{org_id}"),
        }
    }

    pub fn from_payload(payload: &str) -> Option<AccessChange> {
        let (kind, value) = payload.split_once(':')?;
        match kind {
            "key" => {
                PublicId::parse(value).map(|id| AccessChange::KeyChanged { public_id: id.as_str().into() })
            }
            "user" => value.parse().ok().map(|user_id| AccessChange::UserChanged { user_id }),
            "org" => value.parse().ok().map(|org_id| AccessChange::OrganizationChanged { org_id }),
            _ => None,
        }
    }

    /// Whether a cached caller may be out of date after this change.
    pub fn affects(&self, caller: &Caller) -> bool {
        match (self, &caller.holder) {
            (AccessChange::KeyChanged { public_id }, _) => caller.key.public_id.as_str() == public_id,
            (AccessChange::UserChanged { user_id }, KeyHolder::User { user, .. }) => user.id == *user_id,
            (AccessChange::UserChanged { .. }, KeyHolder::Organization { .. }) => false,
            (AccessChange::OrganizationChanged { org_id }, _) => {
                caller.organizations_read().any(|org| org.id == *org_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::{Level, UserKeysAllowed};
    #[allow(unused_imports)]
    use crate::domain::ids::{KeyId, OrgId, UserId};
    use chrono::TimeZone;

    fn org(id: i32, slug: &str) -> OrgRef {
        OrgRef { id: OrgId::new(id), slug: slug.into(), name: slug.to_uppercase() }
    }

    fn key(kind: KeyKind) -> KeyFacts {
        KeyFacts {
            id: KeyId::new(1),
            public_id: PublicId::parse("AAAAAAAAAAAAAAAA").unwrap(),
            kind,
            description: "ci".into(),
            valid_until: None,
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            scope: Scope::full_access(),
            reach: KeyReach::AllOrgs,
            allowed_networks: None,
            revoked: None,
        }
    }

    fn member(org: OrgRef, role: Role) -> Membership {
        Membership { org, role, policy: KeyPolicy::default(), blocked: false }
    }

    fn user_key_of_member_in(memberships: Vec<Membership>) -> Caller {
        Caller {
            key: key(KeyKind::User),
            holder: KeyHolder::User {
                user: UserRef { id: UserId::new(7), display_name: "Ada".into() },
                memberships,
            },
        }
    }

    fn slugs(caller: &Caller) -> Vec<&str> {
        caller.organizations().iter().map(|reach| reach.org.slug.as_str()).collect()
    }

    #[test]
    fn an_organization_key_reaches_its_organization_only_and_may_manage_its_keys() {
        let caller = Caller {
            key: key(KeyKind::Organization),
            holder: KeyHolder::Organization { org: org(1, "acme"), policy: KeyPolicy::default() },
        };
        assert!(caller.reach("acme").unwrap().can_manage_keys());
        assert!(caller.reach("other").is_none());
        assert!(caller.user().is_none());
    }

    #[test]
    fn a_user_key_reaches_the_users_organizations_with_the_users_role() {
        let caller = user_key_of_member_in(vec![
            member(org(1, "acme"), Role::Admin),
            member(org(2, "beta"), Role::Member),
        ]);
        assert!(caller.reach("acme").unwrap().can_manage_keys());
        assert!(!caller.reach("beta").unwrap().can_manage_keys());
        assert!(caller.reach("gamma").is_none());
    }

    #[test]
    fn a_key_may_do_what_both_it_and_its_holder_may() {
        let mut caller = user_key_of_member_in(vec![
            member(org(1, "acme"), Role::Admin),
            member(org(2, "beta"), Role::Member),
        ]);
        assert!(caller.reach("acme").unwrap().scope.allows(Resource::Keys, Level::Write));
        let beta = caller.reach("beta").unwrap().scope;
        assert!(!beta.allows(Resource::Keys, Level::Read), "a member's key never manages keys");
        assert!(beta.allows(Resource::Members, Level::Read));
        assert!(!beta.allows(Resource::Members, Level::Write));

        caller.key.scope = Scope::run_builds();
        assert_eq!(caller.reach("acme").unwrap().scope, Scope::run_builds());
        assert!(!caller.reach("beta").unwrap().scope.allows(Resource::Members, Level::Read));
    }

    #[test]
    fn a_restricted_user_key_reaches_only_the_organizations_named_for_it() {
        let mut caller = user_key_of_member_in(vec![
            member(org(1, "acme"), Role::Admin),
            member(org(2, "beta"), Role::Admin),
        ]);
        caller.key.reach = KeyReach::Only(vec![OrgId::new(1)]);
        assert_eq!(slugs(&caller), ["acme"]);
        caller.key.reach = KeyReach::Only(Vec::new());
        assert!(slugs(&caller).is_empty(), "an emptied list reaches nothing, not everything");
    }

    #[test]
    fn a_block_or_the_policy_takes_one_organization_out_of_a_user_keys_reach() {
        let mut blocked = member(org(1, "acme"), Role::Admin);
        blocked.blocked = true;
        let mut strict = member(org(2, "beta"), Role::Member);
        strict.policy.user_keys = UserKeysAllowed::Restricted;
        let caller = user_key_of_member_in(vec![blocked, strict, member(org(3, "gamma"), Role::Member)]);
        assert_eq!(slugs(&caller), ["gamma"]);
    }

    #[test]
    fn an_organization_key_that_breaks_its_organizations_policy_reaches_nothing() {
        let policy = KeyPolicy { require_expiry: true, ..KeyPolicy::default() };
        let caller = Caller {
            key: key(KeyKind::Organization),
            holder: KeyHolder::Organization { org: org(1, "acme"), policy },
        };
        assert!(caller.reach("acme").is_none());
    }

    #[test]
    fn changes_affect_only_the_callers_they_touch() {
        let mut blocked = member(org(2, "beta"), Role::Member);
        blocked.blocked = true;
        let caller = user_key_of_member_in(vec![member(org(1, "acme"), Role::Member), blocked]);
        assert!(AccessChange::UserChanged { user_id: UserId::new(7) }.affects(&caller));
        assert!(!AccessChange::UserChanged { user_id: UserId::new(8) }.affects(&caller));
        assert!(AccessChange::OrganizationChanged { org_id: OrgId::new(1) }.affects(&caller));
        assert!(
            AccessChange::OrganizationChanged { org_id: OrgId::new(2) }.affects(&caller),
            "an organization the key does not reach now may let it in again"
        );
        assert!(!AccessChange::OrganizationChanged { org_id: OrgId::new(3) }.affects(&caller));
        assert!(AccessChange::KeyChanged { public_id: "AAAAAAAAAAAAAAAA".into() }.affects(&caller));
        assert!(!AccessChange::KeyChanged { public_id: "BBBBBBBBBBBBBBBB".into() }.affects(&caller));
    }

    #[test]
    fn payloads_read_back_and_junk_is_ignored() {
        for change in [
            AccessChange::KeyChanged { public_id: "AAAAAAAAAAAAAAAA".into() },
            AccessChange::UserChanged { user_id: UserId::new(3) },
            AccessChange::OrganizationChanged { org_id: OrgId::new(4) },
        ] {
            assert_eq!(AccessChange::from_payload(&change.to_payload()), Some(change));
        }
        for junk in ["", "key", "key:short", "user:x", "org:", "other:1"] {
            assert_eq!(AccessChange::from_payload(junk), None, "{junk}");
        }
    }
}
