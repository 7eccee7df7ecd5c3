//! How a person narrows and orders a long list of keys: a search text, a status
//! and an order, each parsed once from the list's query string (anything unknown
//! means the default, so an old or edited link still shows a list).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::description::MAX_CHARS;
use super::token::{KeyKind, PUBLIC_ID_LEN};
use super::validity::EXPIRES_SOON;

/// What the list shows: every key matching the text and the status, in an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyListFilter {
    pub text: Option<KeySearch>,
    pub status: StatusFilter,
    pub sort: KeySort,
}

impl KeyListFilter {
    /// The list's query string values, as sent by its form or its page links.
    pub fn parse(text: &str, status: &str, sort: &str) -> KeyListFilter {
        KeyListFilter {
            text: KeySearch::parse(text),
            status: StatusFilter::parse(status),
            sort: KeySort::parse(sort),
        }
    }

    /// Whether the list is narrowed beyond its default (the working keys): the
    /// order alone hides nothing.
    pub fn narrows(&self) -> bool {
        self.text.is_some() || self.status != StatusFilter::default()
    }

    /// The query parameters that say this filter, defaults left out: what the
    /// page links carry so that they keep it.
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(text) = &self.text {
            pairs.push(("q", text.as_str().to_string()));
        }
        if self.status != StatusFilter::default() {
            pairs.push(("status", self.status.code().to_string()));
        }
        if self.sort != KeySort::default() {
            pairs.push(("sort", self.sort.code().to_string()));
        }
        pairs
    }
}

/// A search text: what a description contains (any case), or how a key's id
/// starts. Trimmed, never empty, at most as long as a description, without
/// control characters (descriptions have none; other characters are kept, as
/// an emoji's zero-width joiner is part of what a description holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySearch(String);

impl KeySearch {
    /// `None` for a text that asks for nothing (empty or only spaces).
    pub fn parse(raw: &str) -> Option<KeySearch> {
        let cleaned: String = raw.chars().filter(|c| !c.is_control()).take(MAX_CHARS).collect();
        let trimmed = cleaned.trim();
        (!trimmed.is_empty()).then(|| KeySearch(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The start of a public id this text can be: the id, its first characters,
    /// or a hint as lists and the audit log write it (`mci_org_zaMQ…`).
    pub fn id_prefix(&self) -> Option<&str> {
        let text = [KeyKind::Organization, KeyKind::User]
            .into_iter()
            .find_map(|kind| self.0.strip_prefix(kind.prefix()))
            .unwrap_or(&self.0);
        let text = text.strip_suffix('…').unwrap_or(text);
        let fits =
            (1..=PUBLIC_ID_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
        fits.then_some(text)
    }
}

/// Which keys by status: those that work (the default), those that no longer
/// do (revoked, or expired), all of them, or one status alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    /// Every key that works now: active, expiring soon, or rolled and in its overlap.
    #[default]
    Active,
    /// Revoked (in effect) or expired: kept for [`super::KEEP_INACTIVE`], then purged.
    Inactive,
    All,
    ExpiresSoon,
    Expired,
    Revoked,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 6] = [
        StatusFilter::Active,
        StatusFilter::Inactive,
        StatusFilter::All,
        StatusFilter::ExpiresSoon,
        StatusFilter::Expired,
        StatusFilter::Revoked,
    ];

    /// The default for a value that is none of the codes (the keys screen).
    pub fn parse(raw: &str) -> StatusFilter {
        StatusFilter::parse_strict(raw).unwrap_or_default()
    }

    /// One of the codes, or nothing (the API refuses anything else).
    pub fn parse_strict(raw: &str) -> Option<StatusFilter> {
        StatusFilter::ALL.into_iter().find(|s| s.code() == raw.trim())
    }

    pub fn code(self) -> &'static str {
        match self {
            StatusFilter::Active => "active",
            StatusFilter::Inactive => "inactive",
            StatusFilter::All => "all",
            StatusFilter::ExpiresSoon => "expires_soon",
            StatusFilter::Expired => "expired",
            StatusFilter::Revoked => "revoked",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Active => "Active",
            StatusFilter::Inactive => "Inactive (revoked or expired)",
            StatusFilter::All => "All",
            StatusFilter::ExpiresSoon => "Expires soon",
            StatusFilter::Expired => "Expired",
            StatusFilter::Revoked => "Revoked",
        }
    }
}

/// The list's order. Ties (and keys never used, or never expiring, which come
/// last) go newest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeySort {
    /// Newest first.
    #[default]
    Created,
    /// Most recently used first.
    LastUsed,
    /// The first to stop working first.
    ValidUntil,
}

impl KeySort {
    pub const ALL: [KeySort; 3] = [KeySort::Created, KeySort::LastUsed, KeySort::ValidUntil];

    pub fn parse(raw: &str) -> KeySort {
        KeySort::ALL.into_iter().find(|s| s.code() == raw.trim()).unwrap_or_default()
    }

    pub fn code(self) -> &'static str {
        match self {
            KeySort::Created => "created",
            KeySort::LastUsed => "last_used",
            KeySort::ValidUntil => "valid_until",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            KeySort::Created => "Created (newest first)",
            KeySort::LastUsed => "Last used (most recent first)",
            KeySort::ValidUntil => "Valid until (soonest first)",
        }
    }
}

/// The valid-until dates that make each status at one moment, so storage can
/// select by status with date comparisons (see [`super::KeyStatus::at`]):
/// expired: `valid_until <= today`; expires soon: `today < valid_until <
/// soon_from`; active: no date, or `valid_until >= soon_from`. A revocation is
/// in effect when `revoked_at <= now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusDates {
    pub today: NaiveDate,
    pub soon_from: NaiveDate,
    pub now: NaiveDateTime,
}

impl StatusDates {
    pub fn at(now: DateTime<Utc>) -> StatusDates {
        // A key is "expires soon" while its refusal (its date at 00:00 UTC) is less
        // than EXPIRES_SOON away: its date is before the first midnight at or
        // after now + EXPIRES_SOON.
        let horizon = now + EXPIRES_SOON;
        let day = horizon.date_naive();
        let soon_from = if horizon.time() == NaiveTime::MIN { day } else { day + Duration::days(1) };
        StatusDates { today: now.date_naive(), soon_from, now: now.naive_utc() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::api_key::{KeyStatus, ValidUntil};
    use chrono::TimeZone;

    #[test]
    fn unknown_values_mean_the_defaults() {
        assert_eq!(KeyListFilter::parse("", "nope", "DROP TABLE"), KeyListFilter::default());
        let filter = KeyListFilter::parse("  deploy ", "expires_soon", "last_used");
        assert_eq!(filter.text.as_ref().map(KeySearch::as_str), Some("deploy"));
        assert_eq!((filter.status, filter.sort), (StatusFilter::ExpiresSoon, KeySort::LastUsed));
        assert!(filter.narrows());
        assert!(!KeyListFilter::parse("", "active", "valid_until").narrows());
        assert!(KeyListFilter::parse("", "all", "").narrows());
        assert_eq!(KeyListFilter::parse("", "", "").status, StatusFilter::Active);
        assert_eq!(StatusFilter::parse_strict("nope"), None);
    }

    #[test]
    fn the_query_pairs_leave_the_defaults_out() {
        assert!(KeyListFilter::default().query_pairs().is_empty());
        let filter = KeyListFilter::parse("a&b", "expired", "valid_until");
        assert_eq!(
            filter.query_pairs(),
            [
                ("q", "a&b".to_string()),
                ("status", "expired".to_string()),
                ("sort", "valid_until".to_string())
            ]
        );
    }

    #[test]
    fn a_search_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(KeySearch::parse("   "), None);
        assert_eq!(KeySearch::parse("\n\t"), None);
        assert_eq!(KeySearch::parse(&"x".repeat(500)).unwrap().as_str().len(), MAX_CHARS);
        assert_eq!(KeySearch::parse("de\u{0}ploy\n").unwrap().as_str(), "deploy");
    }

    #[test]
    fn a_search_can_be_an_id_its_start_or_a_hint() {
        let prefix = |raw: &str| KeySearch::parse(raw).and_then(|s| s.id_prefix().map(str::to_string));
        assert_eq!(prefix("zaMQ8fKx3hPq9TbW").as_deref(), Some("zaMQ8fKx3hPq9TbW"));
        assert_eq!(prefix("mci_org_zaMQ…").as_deref(), Some("zaMQ"));
        assert_eq!(prefix("mci_usr_zaMQ").as_deref(), Some("zaMQ"));
        assert_eq!(prefix("deploy bot"), None);
        assert_eq!(prefix("zaMQ8fKx3hPq9TbWx"), None, "longer than an id");
        assert_eq!(prefix("mci_org_"), None);
    }

    #[test]
    fn the_status_dates_agree_with_the_status_of_every_date() {
        let moments = [
            Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 2, 28, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 2, 28, 23, 59, 59).unwrap(),
        ];
        for now in moments {
            let dates = StatusDates::at(now);
            for offset in -3..20 {
                let date = now.date_naive() + Duration::days(offset);
                let by_dates = if date <= dates.today {
                    KeyStatus::Expired
                } else if date < dates.soon_from {
                    KeyStatus::ExpiresSoon
                } else {
                    KeyStatus::Active
                };
                assert_eq!(
                    by_dates,
                    KeyStatus::at(Some(ValidUntil::from_date(date)), now),
                    "{date} at {now}"
                );
            }
        }
    }
}
