//! Revoking a key (SPEC §2 "Lifecycle"): it stops working at a given instant
//! (now, or the end of a roll's overlap) and its row stays, marked with why,
//! for [`KEEP_INACTIVE`], before a purge deletes it.

use chrono::{DateTime, Duration, Utc};

/// How long a revoked or expired key stays in the list before it is purged.
pub const KEEP_INACTIVE: Duration = Duration::days(90);

/// Why a key was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeReason {
    /// By a person, on the keys screen, through the API or with the CLI.
    Revoked,
    /// Rolled to a successor: it stops when the overlap ends.
    Rolled,
    /// Someone holding the token revoked it without signing in.
    Leaked,
    /// GitHub's secret scanning found it in public code.
    SecretScanning,
}

impl RevokeReason {
    pub const ALL: [RevokeReason; 4] =
        [RevokeReason::Revoked, RevokeReason::Rolled, RevokeReason::Leaked, RevokeReason::SecretScanning];

    /// As stored in `api_keys.revoked_reason` and sent by the API.
    pub fn code(self) -> &'static str {
        match self {
            RevokeReason::Revoked => "revoked",
            RevokeReason::Rolled => "rolled",
            RevokeReason::Leaked => "leaked",
            RevokeReason::SecretScanning => "secret_scanning",
        }
    }

    pub fn parse(raw: &str) -> Option<RevokeReason> {
        RevokeReason::ALL.into_iter().find(|reason| reason.code() == raw)
    }

    /// In words, after "Revoked": "by a person", "rolled", …
    pub fn words(self) -> &'static str {
        match self {
            RevokeReason::Revoked => "by a person",
            RevokeReason::Rolled => "rolled",
            RevokeReason::Leaked => "self-revoked as leaked",
            RevokeReason::SecretScanning => "reported by GitHub secret scanning",
        }
    }
}

/// When a revoked key stops (or stopped) working, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// The first instant the key is refused.
    pub at: DateTime<Utc>,
    pub reason: RevokeReason,
}

impl Revocation {
    /// Whether the key is refused at `now` (a rolled key works until its overlap ends).
    pub fn is_in_effect_at(self, now: DateTime<Utc>) -> bool {
        now >= self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_reason_reads_back_from_its_code() {
        for reason in RevokeReason::ALL {
            assert_eq!(RevokeReason::parse(reason.code()), Some(reason));
        }
        assert_eq!(RevokeReason::parse("deleted"), None);
    }

    #[test]
    fn a_revocation_takes_effect_at_its_instant_and_not_before() {
        let at = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        let revocation = Revocation { at, reason: RevokeReason::Rolled };
        assert!(!revocation.is_in_effect_at(at - Duration::seconds(1)));
        assert!(revocation.is_in_effect_at(at));
    }
}
