//! An organization's oversight of the keys that reach it (SPEC §4 "Oversight of
//! members' user keys", "Key policy"): where a member's user key stands in the
//! organization, and how many working keys a new policy would stop.

use chrono::{DateTime, Utc};

use super::api_key::{KeyKind, KeyPolicy, KeyStatus, KeyTerms, PolicyRefusal};

/// Where a member's user key stands in one organization, first reason first:
/// an admin's block, then the key's own expiry, then the organization's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKeyStatus {
    Blocked,
    Expired,
    NotAllowed(PolicyRefusal),
    /// It works here (active, or expiring soon).
    Works(KeyStatus),
}

impl MemberKeyStatus {
    pub fn of(blocked: bool, policy: &KeyPolicy, terms: &KeyTerms, now: DateTime<Utc>) -> MemberKeyStatus {
        let status = KeyStatus::at(terms.valid_until, now);
        if blocked {
            MemberKeyStatus::Blocked
        } else if status == KeyStatus::Expired {
            MemberKeyStatus::Expired
        } else if let Some(refusal) = policy.refusal(terms) {
            MemberKeyStatus::NotAllowed(refusal)
        } else {
            MemberKeyStatus::Works(status)
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberKeyStatus::Blocked => "Blocked",
            MemberKeyStatus::Expired => "Expired",
            MemberKeyStatus::NotAllowed(_) => "Not allowed by the key policy",
            MemberKeyStatus::Works(status) => status.label(),
        }
    }

    /// The value the API sends.
    pub fn code(self) -> &'static str {
        match self {
            MemberKeyStatus::Blocked => "blocked",
            MemberKeyStatus::Expired => "expired",
            MemberKeyStatus::NotAllowed(_) => "not_allowed",
            MemberKeyStatus::Works(status) => status.code(),
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            MemberKeyStatus::Blocked | MemberKeyStatus::Expired => "badge badge-danger",
            MemberKeyStatus::NotAllowed(_) => "badge badge-warning",
            MemberKeyStatus::Works(status) => status.badge_class(),
        }
    }

    /// Why the policy keeps it out, when it does.
    pub fn refusal(self) -> Option<PolicyRefusal> {
        match self {
            MemberKeyStatus::NotAllowed(refusal) => Some(refusal),
            _ => None,
        }
    }
}

/// How many keys that work in an organization now a new policy would stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PolicyImpact {
    pub org_keys: usize,
    pub user_keys: usize,
}

impl PolicyImpact {
    /// Counts the keys among `keys` (the organization's keys and the members'
    /// user keys that reach it, none of them blocked there) that are usable at
    /// `now` and meet `current` but not `new`.
    pub fn of(keys: &[KeyTerms], current: &KeyPolicy, new: &KeyPolicy, now: DateTime<Utc>) -> PolicyImpact {
        let mut impact = PolicyImpact::default();
        let stopped = keys.iter().filter(|key| {
            key.valid_until.is_none_or(|v| v.is_usable_at(now)) && current.admits(key) && !new.admits(key)
        });
        for key in stopped {
            match key.kind {
                KeyKind::Organization => impact.org_keys += 1,
                KeyKind::User => impact.user_keys += 1,
            }
        }
        impact
    }

    pub fn total(self) -> usize {
        self.org_keys + self.user_keys
    }

    /// "This change stops 3 keys from working in Acme at their next request:
    /// 1 organization key, 2 members' user keys." `None` when it stops none.
    pub fn sentence(self, org_name: &str) -> Option<String> {
        fn count(n: usize, one: &str, many: &str) -> String {
            if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
        }
        if self.total() == 0 {
            return None;
        }
        let mut parts = Vec::new();
        if self.org_keys > 0 {
            parts.push(count(self.org_keys, "organization key", "organization keys"));
        }
        if self.user_keys > 0 {
            parts.push(count(self.user_keys, "member's user key", "members' user keys"));
        }
        Some(format!(
            "This change stops {} from working in {org_name} at their next request: {}.",
            count(self.total(), "key", "keys"),
            parts.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::{UserKeysAllowed, ValidUntil};
    use chrono::{NaiveDate, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap()
    }

    fn key(kind: KeyKind, valid_until: Option<&str>, restricted: bool) -> KeyTerms {
        KeyTerms {
            kind,
            valid_until: valid_until.map(|d| ValidUntil::from_date(d.parse::<NaiveDate>().unwrap())),
            created_on: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            restricted_to_named_orgs: restricted,
        }
    }

    #[test]
    fn a_block_comes_first_then_expiry_then_the_policy() {
        let strict = KeyPolicy { require_expiry: true, ..KeyPolicy::default() };
        let open = KeyPolicy::default();
        let forever = key(KeyKind::User, None, false);
        let expired = key(KeyKind::User, Some("2027-02-01"), false);
        assert_eq!(MemberKeyStatus::of(true, &strict, &expired, now()), MemberKeyStatus::Blocked);
        assert_eq!(MemberKeyStatus::of(false, &strict, &expired, now()), MemberKeyStatus::Expired);
        let refused = MemberKeyStatus::of(false, &strict, &forever, now());
        assert_eq!(refused, MemberKeyStatus::NotAllowed(PolicyRefusal::NoExpiry));
        assert_eq!(refused.label(), "Not allowed by the key policy");
        assert_eq!(refused.code(), "not_allowed");
        assert_eq!(MemberKeyStatus::of(false, &open, &forever, now()).code(), "active");
        let soon = key(KeyKind::User, Some("2027-03-02"), false);
        assert_eq!(MemberKeyStatus::of(false, &open, &soon, now()).label(), "Expires soon");
    }

    #[test]
    fn the_impact_counts_working_keys_the_new_policy_stops() {
        let keys = [
            key(KeyKind::Organization, None, false),
            key(KeyKind::Organization, Some("2027-06-01"), false),
            key(KeyKind::User, None, false),
            key(KeyKind::User, Some("2027-06-01"), true),
            // Expired already: it stops nothing.
            key(KeyKind::User, Some("2027-01-15"), false),
        ];
        let current = KeyPolicy::default();
        let expiry = KeyPolicy { require_expiry: true, ..current };
        let impact = PolicyImpact::of(&keys, &current, &expiry, now());
        assert_eq!(impact, PolicyImpact { org_keys: 1, user_keys: 1 });
        assert_eq!(
            impact.sentence("Acme").as_deref(),
            Some(
                "This change stops 2 keys from working in Acme at their next request: 1 organization key, 1 member's user key."
            )
        );
        let restricted = KeyPolicy { user_keys: UserKeysAllowed::Restricted, ..current };
        assert_eq!(PolicyImpact::of(&keys, &current, &restricted, now()).total(), 1);
        let none = KeyPolicy { user_keys: UserKeysAllowed::None, ..current };
        let impact = PolicyImpact::of(&keys, &current, &none, now());
        assert_eq!(impact, PolicyImpact { org_keys: 0, user_keys: 2 });
        assert_eq!(
            impact.sentence("Acme").as_deref(),
            Some(
                "This change stops 2 keys from working in Acme at their next request: 2 members' user keys."
            )
        );
        // Keys the current policy already stops are not counted again; a looser policy stops none.
        assert_eq!(PolicyImpact::of(&keys, &none, &none, now()).sentence("Acme"), None);
        assert_eq!(PolicyImpact::of(&keys, &expiry, &current, now()).total(), 0);
    }
}
