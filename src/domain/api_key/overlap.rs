//! How long a rolled key keeps working next to its successor (SPEC §2
//! "Lifecycle"): none, 1 hour, 24 hours or 7 days, written `0h`, `1h`, `24h`,
//! `7d` by the API, the CLI and the roll form alike.

use chrono::Duration;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overlap {
    None,
    OneHour,
    /// The roll form's default, and the API's when `overlap` is absent: a day
    /// is enough to redeploy with the new key without downtime.
    #[default]
    OneDay,
    SevenDays,
}

/// An overlap that is not one of the four choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Choose an overlap of 0h (none), 1h, 24h or 7d.")]
pub struct OverlapError;

impl Overlap {
    pub const ALL: [Overlap; 4] = [Overlap::None, Overlap::OneHour, Overlap::OneDay, Overlap::SevenDays];

    pub fn parse(raw: &str) -> Result<Overlap, OverlapError> {
        let raw = raw.trim();
        Overlap::ALL.into_iter().find(|overlap| overlap.code() == raw).ok_or(OverlapError)
    }

    pub fn code(self) -> &'static str {
        match self {
            Overlap::None => "0h",
            Overlap::OneHour => "1h",
            Overlap::OneDay => "24h",
            Overlap::SevenDays => "7d",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Overlap::None => "None: the old key stops now",
            Overlap::OneHour => "1 hour",
            Overlap::OneDay => "24 hours",
            Overlap::SevenDays => "7 days",
        }
    }

    pub fn duration(self) -> Duration {
        match self {
            Overlap::None => Duration::zero(),
            Overlap::OneHour => Duration::hours(1),
            Overlap::OneDay => Duration::hours(24),
            Overlap::SevenDays => Duration::days(7),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_overlap_reads_back_from_its_code_and_nothing_else_is_one() {
        for overlap in Overlap::ALL {
            assert_eq!(Overlap::parse(overlap.code()), Ok(overlap));
        }
        assert_eq!(Overlap::parse(" 7d "), Ok(Overlap::SevenDays));
        for wrong in ["", "2h", "24", "1d", "7D", "-1h"] {
            assert_eq!(Overlap::parse(wrong), Err(OverlapError), "{wrong}");
        }
        assert_eq!(Overlap::OneDay.duration(), Duration::hours(24));
    }
}
