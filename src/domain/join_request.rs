//! Asking to join an organization: where a request stands, and how often one may ask.

use chrono::{Duration, NaiveDateTime, Timelike};

/// Where a request to join stands (`join_requests.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRequestStatus {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

impl JoinRequestStatus {
    pub const ALL: [JoinRequestStatus; 4] = [
        JoinRequestStatus::Pending,
        JoinRequestStatus::Approved,
        JoinRequestStatus::Rejected,
        JoinRequestStatus::Withdrawn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            JoinRequestStatus::Pending => "pending",
            JoinRequestStatus::Approved => "approved",
            JoinRequestStatus::Rejected => "rejected",
            JoinRequestStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<JoinRequestStatus> {
        JoinRequestStatus::ALL.into_iter().find(|status| status.as_str() == raw)
    }
}

/// A person who asked to join an organization and withdrew waits this long,
/// counted from the asking, before asking the same organization again. Asking and
/// withdrawing each write to that organization's audit log, which an outsider must
/// not be able to fill. (The pages say "an hour": change them with this.)
pub const ASK_AGAIN_AFTER: Duration = Duration::hours(1);

/// When a request made at `asked_at` and withdrawn since stops holding the person back.
pub fn may_ask_again_at(asked_at: NaiveDateTime) -> NaiveDateTime {
    asked_at + ASK_AGAIN_AFTER
}

/// `at` rounded up to the whole minute, for pages that show minutes: a person told
/// "from 13:01" must not be refused at 13:01.
pub fn next_whole_minute(at: NaiveDateTime) -> NaiveDateTime {
    let floor = at.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(at);
    if floor == at { at } else { floor + Duration::minutes(1) }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn each_status_reads_back_what_it_writes_and_nothing_else_reads() {
        for status in JoinRequestStatus::ALL {
            assert_eq!(JoinRequestStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(JoinRequestStatus::parse("Pending"), None);
        assert_eq!(JoinRequestStatus::parse(""), None);
    }

    fn at(h: u32, m: u32, s: u32, micro: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 2, 28).unwrap().and_hms_micro_opt(h, m, s, micro).unwrap()
    }

    #[test]
    fn one_may_ask_again_an_hour_after_asking() {
        assert_eq!(may_ask_again_at(at(12, 0, 30, 0)), at(13, 0, 30, 0));
    }

    #[test]
    fn times_are_shown_rounded_up_to_the_minute() {
        assert_eq!(next_whole_minute(at(13, 0, 0, 0)), at(13, 0, 0, 0));
        assert_eq!(next_whole_minute(at(13, 0, 0, 1)), at(13, 1, 0, 0));
        assert_eq!(next_whole_minute(at(23, 59, 30, 0)), at(23, 59, 0, 0) + Duration::minutes(1));
    }
}
