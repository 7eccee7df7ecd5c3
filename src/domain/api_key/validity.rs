//! How long a key works. A valid-until date D means: usable up to the end of the
//! day before D (UTC), refused from D 00:00:00 UTC on ("not usable on or after
//! that date").

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::revocation::Revocation;
use crate::domain::dates;

/// Under this much time left, a key shows as "expires soon".
pub const EXPIRES_SOON: Duration = Duration::days(7);
/// The date the form suggests.
pub const SUGGESTED_DAYS: i64 = 90;
/// The longest key lifetime an organization's policy can set: ten years.
pub const MAX_POLICY_DAYS: i32 = 3650;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidUntil(NaiveDate);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidUntilError {
    #[error("Enter the date as YYYY-MM-DD, e.g. 2027-12-31.")]
    NotADate,
    #[error("Choose a date after today ({}).", dates::date(*.today))]
    NotInTheFuture { today: NaiveDate },
    #[error("This organization allows keys of at most {max_days} days: choose {} or earlier.", dates::date(*.latest))]
    BeyondPolicy { max_days: u32, latest: NaiveDate },
    #[error("This organization requires an expiry date (at most {max_days} days from today).")]
    RequiredByPolicy { max_days: u32 },
    #[error("This organization requires an expiry date.")]
    ExpiryRequired,
}

impl ValidUntil {
    /// The form's value: empty means "never expires" (unless a policy requires a
    /// date), otherwise a date strictly after `today`, and within `max_days`.
    pub fn parse_form(
        raw: &str,
        today: NaiveDate,
        max_days: Option<u32>,
    ) -> Result<Option<ValidUntil>, ValidUntilError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return match max_days {
                Some(max_days) => Err(ValidUntilError::RequiredByPolicy { max_days }),
                None => Ok(None),
            };
        }
        let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| ValidUntilError::NotADate)?;
        if date <= today {
            return Err(ValidUntilError::NotInTheFuture { today });
        }
        if let Some(max_days) = max_days {
            let latest = latest_allowed(today, max_days);
            if date > latest {
                return Err(ValidUntilError::BeyondPolicy { max_days, latest });
            }
        }
        Ok(Some(ValidUntil(date)))
    }

    pub fn from_date(date: NaiveDate) -> ValidUntil {
        ValidUntil(date)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The first instant the key is refused: the date at 00:00:00 UTC.
    pub fn refused_from(self) -> DateTime<Utc> {
        self.0.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    }

    pub fn is_usable_at(self, now: DateTime<Utc>) -> bool {
        now < self.refused_from()
    }

    /// "usable until the end of 28 Feb 2027 UTC" for 2027-03-01.
    pub fn meaning(self) -> String {
        let last_day = self.0.pred_opt().unwrap_or(self.0);
        format!("usable until the end of {} UTC", dates::date(last_day))
    }
}

/// The latest date a policy of `max_days` allows: a key made today may be used
/// for `max_days` full days.
pub fn latest_allowed(today: NaiveDate, max_days: u32) -> NaiveDate {
    today + Duration::days(i64::from(max_days) + 1)
}

/// The date the form suggests, `SUGGESTED_DAYS` ahead (or the policy's limit if shorter).
pub fn suggestion(today: NaiveDate, max_days: Option<u32>) -> NaiveDate {
    let suggested = today + Duration::days(SUGGESTED_DAYS + 1);
    match max_days {
        Some(max_days) => suggested.min(latest_allowed(today, max_days)),
        None => suggested,
    }
}

/// The valid-until of a rolled key's successor: the old key's lifetime again
/// (its valid-until less the day it was made), counted from `today`, within
/// the organization's longest lifetime. A key that never expired gives one
/// that never expires, unless the policy needs a date: then the policy's
/// longest lifetime, or the form's suggestion when it only asks for a date.
pub fn successor_valid_until(
    old_created_on: NaiveDate,
    old_valid_until: Option<NaiveDate>,
    today: NaiveDate,
    max_days: Option<u32>,
    expiry_required: bool,
) -> Option<NaiveDate> {
    let again = old_valid_until.map(|until| today + (until - old_created_on).max(Duration::days(1)));
    match (again, max_days) {
        (Some(date), Some(max_days)) => Some(date.min(latest_allowed(today, max_days))),
        (Some(date), None) => Some(date),
        (None, Some(max_days)) => Some(latest_allowed(today, max_days)),
        (None, None) if expiry_required => Some(suggestion(today, None)),
        (None, None) => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    ExpiresSoon,
    Expired,
    /// Rolled to a successor, still working until its overlap ends.
    Rolled,
    /// Revoked (or rolled, once the overlap ended): refused.
    Revoked,
}

impl KeyStatus {
    /// The status by the valid-until date alone (a key nobody revoked).
    pub fn at(valid_until: Option<ValidUntil>, now: DateTime<Utc>) -> KeyStatus {
        match valid_until {
            None => KeyStatus::Active,
            Some(v) if !v.is_usable_at(now) => KeyStatus::Expired,
            Some(v) if v.refused_from() - now < EXPIRES_SOON => KeyStatus::ExpiresSoon,
            Some(_) => KeyStatus::Active,
        }
    }

    /// The status by the valid-until date and the revocation: a revocation in
    /// effect says more than an expiry; a rolled key in its overlap is `Rolled`
    /// until it expires.
    pub fn of(
        valid_until: Option<ValidUntil>,
        revocation: Option<Revocation>,
        now: DateTime<Utc>,
    ) -> KeyStatus {
        match (revocation, KeyStatus::at(valid_until, now)) {
            (Some(revocation), _) if revocation.is_in_effect_at(now) => KeyStatus::Revoked,
            (_, KeyStatus::Expired) => KeyStatus::Expired,
            (Some(_), _) => KeyStatus::Rolled,
            (None, status) => status,
        }
    }

    /// Whether the key works (it may still stop soon).
    pub fn works(self) -> bool {
        !matches!(self, KeyStatus::Expired | KeyStatus::Revoked)
    }

    pub fn label(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::ExpiresSoon => "Expires soon",
            KeyStatus::Expired => "Expired",
            KeyStatus::Rolled => "Rolled",
            KeyStatus::Revoked => "Revoked",
        }
    }

    /// The value the API sends.
    pub fn code(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::ExpiresSoon => "expires_soon",
            KeyStatus::Expired => "expired",
            KeyStatus::Rolled => "rolled",
            KeyStatus::Revoked => "revoked",
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            KeyStatus::Active => "badge badge-success",
            KeyStatus::ExpiresSoon | KeyStatus::Rolled => "badge badge-warning",
            KeyStatus::Expired | KeyStatus::Revoked => "badge badge-danger",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_key_works_until_the_last_second_before_its_date() {
        let v = ValidUntil::from_date(date("2027-03-01"));
        assert!(v.is_usable_at(Utc.with_ymd_and_hms(2027, 2, 28, 23, 59, 59).unwrap()));
        assert!(!v.is_usable_at(Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap()));
        assert_eq!(v.meaning(), "usable until the end of 28 Feb 2027 UTC");
    }

    #[test]
    fn the_form_accepts_only_dates_after_today() {
        let today = date("2027-02-28");
        assert_eq!(ValidUntil::parse_form("", today, None), Ok(None));
        assert_eq!(
            ValidUntil::parse_form("2027-02-28", today, None),
            Err(ValidUntilError::NotInTheFuture { today })
        );
        assert!(ValidUntil::parse_form("2027-03-01", today, None).unwrap().is_some());
        assert_eq!(ValidUntil::parse_form("01/03/2027", today, None), Err(ValidUntilError::NotADate));
        assert_eq!(ValidUntil::parse_form("2027-02-30", today, None), Err(ValidUntilError::NotADate));
    }

    #[test]
    fn a_policy_requires_a_date_within_its_limit() {
        let today = date("2027-01-01");
        assert_eq!(
            ValidUntil::parse_form("", today, Some(30)),
            Err(ValidUntilError::RequiredByPolicy { max_days: 30 })
        );
        assert!(ValidUntil::parse_form("2027-02-01", today, Some(30)).unwrap().is_some());
        assert_eq!(
            ValidUntil::parse_form("2027-02-02", today, Some(30)),
            Err(ValidUntilError::BeyondPolicy { max_days: 30, latest: date("2027-02-01") })
        );
    }

    #[test]
    fn the_suggestion_is_ninety_days_or_the_policy_limit() {
        let today = date("2027-01-01");
        assert_eq!(suggestion(today, None), date("2027-04-02"));
        assert_eq!(suggestion(today, Some(30)), date("2027-02-01"));
    }

    #[test]
    fn status_changes_at_seven_days_and_at_the_date() {
        let v = Some(ValidUntil::from_date(date("2027-03-01")));
        let at = |d, h| Utc.with_ymd_and_hms(2027, 2, d, h, 0, 0).unwrap();
        assert_eq!(KeyStatus::at(v, at(21, 23)), KeyStatus::Active);
        assert_eq!(KeyStatus::at(v, at(22, 1)), KeyStatus::ExpiresSoon);
        assert_eq!(KeyStatus::at(v, Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap()), KeyStatus::Expired);
        assert_eq!(KeyStatus::at(None, at(1, 0)), KeyStatus::Active);
    }

    #[test]
    fn a_revocation_in_effect_outranks_the_date_and_a_rolled_key_works_until_its_overlap_ends() {
        use crate::domain::api_key::RevokeReason;
        let now = Utc.with_ymd_and_hms(2027, 2, 1, 12, 0, 0).unwrap();
        let v = Some(ValidUntil::from_date(date("2027-03-01")));
        let rolled =
            |hours| Some(Revocation { at: now + Duration::hours(hours), reason: RevokeReason::Rolled });
        assert_eq!(KeyStatus::of(v, rolled(1), now), KeyStatus::Rolled);
        assert_eq!(KeyStatus::of(v, rolled(0), now), KeyStatus::Revoked);
        assert_eq!(
            KeyStatus::of(Some(ValidUntil::from_date(date("2027-01-01"))), rolled(1), now),
            KeyStatus::Expired
        );
        assert_eq!(KeyStatus::of(v, None, now), KeyStatus::Active);
        assert!(KeyStatus::Rolled.works() && !KeyStatus::Revoked.works());
    }

    #[test]
    fn a_successor_lives_as_long_as_its_predecessor_within_the_policy() {
        let (made, today) = (date("2027-01-01"), date("2027-02-01"));
        assert_eq!(
            successor_valid_until(made, Some(date("2027-01-31")), today, None, false),
            Some(date("2027-03-03"))
        );
        assert_eq!(
            successor_valid_until(made, Some(date("2027-04-01")), today, Some(30), true),
            Some(date("2027-03-04"))
        );
        assert_eq!(successor_valid_until(made, None, today, None, false), None);
        assert_eq!(successor_valid_until(made, None, today, Some(30), true), Some(date("2027-03-04")));
        assert_eq!(successor_valid_until(made, None, today, None, true), Some(suggestion(today, None)));
    }
}
