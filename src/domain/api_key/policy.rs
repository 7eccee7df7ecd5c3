//! An organization's key policy (SPEC §4 "Key policy"): the longest lifetime,
//! whether keys must have an expiry date, and which user keys may reach it.
//! It holds for every key at every request, not only when a key is made: a key
//! that no longer meets it stops reaching the organization.

use chrono::NaiveDate;

use super::token::KeyKind;
use super::validity::{ValidUntil, ValidUntilError, latest_allowed};

/// Which of its members' user keys an organization lets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserKeysAllowed {
    /// Every user key of a member.
    #[default]
    All,
    /// Only user keys restricted to named organizations (not "all my organizations").
    Restricted,
    /// No user key: only the organization's own keys.
    None,
}

impl UserKeysAllowed {
    pub const ALL: [UserKeysAllowed; 3] =
        [UserKeysAllowed::All, UserKeysAllowed::Restricted, UserKeysAllowed::None];

    /// As stored and as forms send it.
    pub fn as_str(self) -> &'static str {
        match self {
            UserKeysAllowed::All => "all",
            UserKeysAllowed::Restricted => "restricted",
            UserKeysAllowed::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Option<UserKeysAllowed> {
        UserKeysAllowed::ALL.into_iter().find(|choice| choice.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            UserKeysAllowed::All => "All user keys of members",
            UserKeysAllowed::Restricted => "Only user keys restricted to named organizations",
            UserKeysAllowed::None => "No user keys (only this organization's keys)",
        }
    }
}

/// The policy as a whole. The default lets every key in, as before policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyPolicy {
    /// The longest a key may live, in days from its creation.
    pub max_lifetime_days: Option<u32>,
    pub require_expiry: bool,
    pub user_keys: UserKeysAllowed,
}

/// What the policy looks at in a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTerms {
    pub kind: KeyKind,
    pub valid_until: Option<ValidUntil>,
    pub created_on: NaiveDate,
    /// A user key that reaches only the organizations named for it.
    pub restricted_to_named_orgs: bool,
}

/// Why a key does not meet a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyRefusal {
    #[error("the organization requires keys to have an expiry date")]
    NoExpiry,
    #[error("the organization allows keys of at most {max_days} days")]
    TooLong { max_days: u32 },
    #[error("the organization lets no user keys in")]
    NoUserKeys,
    #[error("the organization lets in only user keys restricted to named organizations")]
    NotRestricted,
}

impl KeyPolicy {
    /// Whether an expiry date is needed: asked for, or implied by a longest lifetime.
    pub fn needs_expiry(&self) -> bool {
        self.require_expiry || self.max_lifetime_days.is_some()
    }

    /// `None` when the key may act in the organization; else the first reason it
    /// may not. The lifetime counts from the day the key was made, by the Add
    /// form's rule (`max_days` full days of use).
    pub fn refusal(&self, key: &KeyTerms) -> Option<PolicyRefusal> {
        if key.kind == KeyKind::User {
            match self.user_keys {
                UserKeysAllowed::None => return Some(PolicyRefusal::NoUserKeys),
                UserKeysAllowed::Restricted if !key.restricted_to_named_orgs => {
                    return Some(PolicyRefusal::NotRestricted);
                }
                _ => {}
            }
        }
        match (key.valid_until, self.max_lifetime_days) {
            (None, Some(max_days)) => Some(PolicyRefusal::TooLong { max_days }),
            (None, None) if self.require_expiry => Some(PolicyRefusal::NoExpiry),
            (Some(valid_until), Some(max_days))
                if valid_until.date() > latest_allowed(key.created_on, max_days) =>
            {
                Some(PolicyRefusal::TooLong { max_days })
            }
            _ => None,
        }
    }

    pub fn admits(&self, key: &KeyTerms) -> bool {
        self.refusal(key).is_none()
    }

    /// The Add form's valid-until under this policy: as
    /// [`ValidUntil::parse_form`], and no empty date when the policy asks for one.
    pub fn parse_valid_until(
        &self,
        raw: &str,
        today: NaiveDate,
    ) -> Result<Option<ValidUntil>, ValidUntilError> {
        let parsed = ValidUntil::parse_form(raw, today, self.max_lifetime_days)?;
        if parsed.is_none() && self.require_expiry {
            return Err(ValidUntilError::ExpiryRequired);
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn key(kind: KeyKind, valid_until: Option<&str>, restricted: bool) -> KeyTerms {
        KeyTerms {
            kind,
            valid_until: valid_until.map(|d| ValidUntil::from_date(date(d))),
            created_on: date("2027-01-01"),
            restricted_to_named_orgs: restricted,
        }
    }

    #[test]
    fn the_default_policy_admits_every_key() {
        let policy = KeyPolicy::default();
        assert!(policy.admits(&key(KeyKind::Organization, None, false)));
        assert!(policy.admits(&key(KeyKind::User, None, false)));
    }

    #[test]
    fn a_required_expiry_refuses_keys_without_a_date() {
        let policy = KeyPolicy { require_expiry: true, ..KeyPolicy::default() };
        assert_eq!(policy.refusal(&key(KeyKind::Organization, None, false)), Some(PolicyRefusal::NoExpiry));
        assert!(policy.admits(&key(KeyKind::User, Some("2030-01-01"), false)));
    }

    #[test]
    fn a_longest_lifetime_counts_from_the_day_the_key_was_made() {
        let policy = KeyPolicy { max_lifetime_days: Some(30), ..KeyPolicy::default() };
        // Made on 1 Jan: usable for 30 full days, so valid until 1 Feb at the latest.
        assert!(policy.admits(&key(KeyKind::Organization, Some("2027-02-01"), false)));
        let too_long = key(KeyKind::Organization, Some("2027-02-02"), false);
        assert_eq!(policy.refusal(&too_long), Some(PolicyRefusal::TooLong { max_days: 30 }));
        assert!(!policy.admits(&key(KeyKind::Organization, None, false)), "no date is longer than any limit");
    }

    #[test]
    fn which_user_keys_get_in_does_not_touch_organization_keys() {
        let restricted = KeyPolicy { user_keys: UserKeysAllowed::Restricted, ..KeyPolicy::default() };
        assert_eq!(restricted.refusal(&key(KeyKind::User, None, false)), Some(PolicyRefusal::NotRestricted));
        assert!(restricted.admits(&key(KeyKind::User, None, true)));
        assert!(restricted.admits(&key(KeyKind::Organization, None, false)));
        let none = KeyPolicy { user_keys: UserKeysAllowed::None, ..KeyPolicy::default() };
        assert_eq!(none.refusal(&key(KeyKind::User, None, true)), Some(PolicyRefusal::NoUserKeys));
        assert!(none.admits(&key(KeyKind::Organization, None, false)));
    }

    #[test]
    fn the_stored_choices_read_back() {
        for choice in UserKeysAllowed::ALL {
            assert_eq!(UserKeysAllowed::parse(choice.as_str()), Some(choice));
        }
        assert_eq!(UserKeysAllowed::parse("some"), None);
    }
}
