//! What a key's row says about where it stands: its status badge, when and
//! why it stops or stopped, the keys it was rolled from and to, and which
//! actions still make sense (Roll a working key once; Revoke a working key,
//! also a rolled one in its overlap).

use chrono::{DateTime, Utc};

use crate::db::api_keys::ApiKey;
use crate::domain::api_key::{KeyKind, KeyStatus, PublicId, Revocation, RevokeReason, ValidUntil};
use crate::domain::dates;

pub struct StatusView {
    pub label: &'static str,
    pub class: &'static str,
    /// "works until 5 Dec 2026 14:00 UTC", "by Alice on 5 Dec 2026 14:00 UTC".
    pub detail: Option<String>,
    /// The hints of the keys it was rolled to / from (`mci_org_3fKx…`).
    pub rolled_to: Option<String>,
    pub rolled_from: Option<String>,
    pub can_roll: bool,
    pub can_revoke: bool,
}

impl StatusView {
    /// `revoker`: the display name of the person who revoked it, if known.
    pub fn of(key: &ApiKey, kind: KeyKind, revoker: Option<&str>, now: DateTime<Utc>) -> StatusView {
        let revocation = key.revocation();
        let status = KeyStatus::of(key.valid_until.map(ValidUntil::from_date), revocation, now);
        let hint = |id: &Option<String>| id.as_deref().and_then(PublicId::parse).map(|id| id.hint(kind));
        let detail = match (status, revocation) {
            (KeyStatus::Rolled, Some(revocation)) => {
                Some(format!("works until {}", dates::date_time_utc(revocation.at.naive_utc())))
            }
            (KeyStatus::Revoked, Some(revocation)) => {
                Some(revoked_words(revocation, revoker, key.revoked_by_key_hint.as_deref()))
            }
            _ => None,
        };
        StatusView {
            label: status.label(),
            class: status.badge_class(),
            detail,
            rolled_to: hint(&key.rolled_to),
            rolled_from: hint(&key.rolled_from),
            can_roll: status.works() && key.rolled_to.is_none() && key.revoked_at.is_none(),
            can_revoke: status.works(),
        }
    }
}

/// Who, why and when, in words: "by Alice on 5 Dec 2026 14:00 UTC",
/// "rolled by Alice on …", "self-revoked as leaked on …".
fn revoked_words(revocation: Revocation, revoker: Option<&str>, via_key: Option<&str>) -> String {
    let who = match (revoker, via_key) {
        (Some(name), _) => Some(name.to_string()),
        (None, Some(hint)) => Some(format!("key {hint}")),
        (None, None) => None,
    };
    let why = match (revocation.reason, who) {
        (RevokeReason::Revoked, Some(who)) => format!("by {who}"),
        (reason, Some(who)) => format!("{} by {who}", reason.words()),
        (reason, None) => reason.words().to_string(),
    };
    format!("{why} on {}", dates::date_time_utc(revocation.at.naive_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_revocation_says_who_why_and_when() {
        let at = Utc.with_ymd_and_hms(2026, 12, 5, 14, 0, 0).unwrap();
        let revoked = |reason| Revocation { at, reason };
        assert_eq!(
            revoked_words(revoked(RevokeReason::Revoked), Some("Alice"), None),
            "by Alice on 5 Dec 2026 14:00 UTC"
        );
        assert_eq!(
            revoked_words(revoked(RevokeReason::Revoked), None, Some("mci_org_3fKx…")),
            "by key mci_org_3fKx… on 5 Dec 2026 14:00 UTC"
        );
        assert_eq!(
            revoked_words(revoked(RevokeReason::Leaked), None, None),
            "self-revoked as leaked on 5 Dec 2026 14:00 UTC"
        );
        assert_eq!(
            revoked_words(revoked(RevokeReason::Rolled), Some("Alice"), None),
            "rolled by Alice on 5 Dec 2026 14:00 UTC"
        );
    }
}
