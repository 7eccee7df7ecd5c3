//! Who an API key speaks for and what it reaches (SPEC §2 "Kinds"), and the
//! changes that alter that reach, which every cached copy must forget.

use chrono::{DateTime, Utc};

use super::api_key::{KeyKind, PublicId, Scope, ValidUntil};
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
}

impl KeyFacts {
    pub fn hint(&self) -> String {
        self.public_id.hint(self.kind)
    }
}

/// The key's owner and, for a user key, the user's memberships as they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyHolder {
    Organization(OrgRef),
    User { user: UserRef, memberships: Vec<(OrgRef, Role)> },
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
}

impl Reach<'_> {
    /// Key management needs admin rights: an admin's user key, or an organization key.
    pub fn can_manage_keys(&self) -> bool {
        self.role.is_none_or(|role| role == Role::Admin)
    }
}

impl Caller {
    /// Every organization the caller reaches, by name.
    pub fn organizations(&self) -> Vec<Reach<'_>> {
        match &self.holder {
            KeyHolder::Organization(org) => vec![Reach { org, role: None }],
            KeyHolder::User { memberships, .. } => {
                memberships.iter().map(|(org, role)| Reach { org, role: Some(*role) }).collect()
            }
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
            KeyHolder::Organization(_) => None,
        }
    }
}

/// Something that changes what a key reaches. Announced by the transaction that
/// makes the change; every instance's cache forgets what it touches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AccessChange {
    KeyDeleted {
        public_id: String,
    },
    /// A user joined, left, was removed from or changed role in an organization,
    /// or was renamed.
    UserChanged {
        user_id: UserId,
    },
    /// An organization was renamed (or, later, deleted).
    OrganizationChanged {
        org_id: OrgId,
    },
}

impl AccessChange {
    /// The notification payload: `key:<public id>`, `user:<id>` or `org:<id>`.
    pub fn to_payload(&self) -> String {
        match self {
            AccessChange::KeyDeleted { public_id } => format!("key:{public_id}"),
            AccessChange::UserChanged { user_id } => format!("user:{user_id}"),
            AccessChange::OrganizationChanged { org_id } => format!("org:{org_id}"),
        }
    }

    pub fn from_payload(payload: &str) -> Option<AccessChange> {
        let (kind, value) = payload.split_once(':')?;
        match kind {
            "key" => {
                PublicId::parse(value).map(|id| AccessChange::KeyDeleted { public_id: id.as_str().into() })
            }
            "user" => value.parse().ok().map(|user_id| AccessChange::UserChanged { user_id }),
            "org" => value.parse().ok().map(|org_id| AccessChange::OrganizationChanged { org_id }),
            _ => None,
        }
    }

    /// Whether a cached caller may be out of date after this change.
    pub fn affects(&self, caller: &Caller) -> bool {
        match (self, &caller.holder) {
            (AccessChange::KeyDeleted { public_id }, _) => caller.key.public_id.as_str() == public_id,
            (AccessChange::UserChanged { user_id }, KeyHolder::User { user, .. }) => user.id == *user_id,
            (AccessChange::UserChanged { .. }, KeyHolder::Organization(_)) => false,
            (AccessChange::OrganizationChanged { org_id }, _) => {
                caller.organizations().iter().any(|reach| reach.org.id == *org_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        }
    }

    fn user_key_of_member_in(memberships: Vec<(OrgRef, Role)>) -> Caller {
        Caller {
            key: key(KeyKind::User),
            holder: KeyHolder::User {
                user: UserRef { id: UserId::new(7), display_name: "Ada".into() },
                memberships,
            },
        }
    }

    #[test]
    fn an_organization_key_reaches_its_organization_only_and_may_manage_its_keys() {
        let caller =
            Caller { key: key(KeyKind::Organization), holder: KeyHolder::Organization(org(1, "acme")) };
        assert!(caller.reach("acme").unwrap().can_manage_keys());
        assert!(caller.reach("other").is_none());
        assert!(caller.user().is_none());
    }

    #[test]
    fn a_user_key_reaches_the_users_organizations_with_the_users_role() {
        let caller =
            user_key_of_member_in(vec![(org(1, "acme"), Role::Admin), (org(2, "beta"), Role::Member)]);
        assert!(caller.reach("acme").unwrap().can_manage_keys());
        assert!(!caller.reach("beta").unwrap().can_manage_keys());
        assert!(caller.reach("gamma").is_none());
    }

    #[test]
    fn changes_affect_only_the_callers_they_touch() {
        let caller = user_key_of_member_in(vec![(org(1, "acme"), Role::Member)]);
        assert!(AccessChange::UserChanged { user_id: UserId::new(7) }.affects(&caller));
        assert!(!AccessChange::UserChanged { user_id: UserId::new(8) }.affects(&caller));
        assert!(AccessChange::OrganizationChanged { org_id: OrgId::new(1) }.affects(&caller));
        assert!(!AccessChange::OrganizationChanged { org_id: OrgId::new(2) }.affects(&caller));
        assert!(AccessChange::KeyDeleted { public_id: "AAAAAAAAAAAAAAAA".into() }.affects(&caller));
        assert!(!AccessChange::KeyDeleted { public_id: "BBBBBBBBBBBBBBBB".into() }.affects(&caller));
    }

    #[test]
    fn payloads_read_back_and_junk_is_ignored() {
        for change in [
            AccessChange::KeyDeleted { public_id: "AAAAAAAAAAAAAAAA".into() },
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
