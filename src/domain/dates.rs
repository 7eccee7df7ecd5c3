//! How dates and times read, everywhere people see them: the pages, their
//! templates, and the messages of the domain and the API. All times are UTC.
//! (The command-line client prints ISO dates for scripts: `cli::output`.)

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};

/// "28 Feb 2027".
pub fn date(date: NaiveDate) -> String {
    format!("{} {} {}", date.day(), date.format("%b"), date.year())
}

/// The day of a moment: "28 Feb 2027".
pub fn day_of(at: NaiveDateTime) -> String {
    date(at.date())
}

/// "28 Feb 2027 13:01 UTC".
pub fn date_time_utc(at: NaiveDateTime) -> String {
    format!("{} {} UTC", day_of(at), at.format("%H:%M"))
}

/// "2027-02-28T13:01:00Z", for `<time datetime>`.
pub fn iso_utc(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// "never", "just now", "5 minutes ago", "3 hours ago", "2 days ago", or the date.
pub fn relative(then: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(then) = then else {
        return "never".into();
    };
    let elapsed = now - then;
    let plural =
        |n: i64, unit: &str| if n == 1 { format!("1 {unit} ago") } else { format!("{n} {unit}s ago") };
    if elapsed < Duration::minutes(1) {
        "just now".into()
    } else if elapsed < Duration::hours(1) {
        plural(elapsed.num_minutes(), "minute")
    } else if elapsed < Duration::days(1) {
        plural(elapsed.num_hours(), "hour")
    } else if elapsed < Duration::days(30) {
        plural(elapsed.num_days(), "day")
    } else {
        date(then.date_naive())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(d: u32, h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2027, 2, d).unwrap().and_hms_opt(h, m, s).unwrap()
    }

    #[test]
    fn dates_and_times_read_the_same_on_every_page() {
        assert_eq!(date(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()), "1 Mar 2027");
        assert_eq!(day_of(at(28, 23, 59, 59)), "28 Feb 2027");
        assert_eq!(date_time_utc(at(8, 9, 5, 30)), "8 Feb 2027 09:05 UTC");
        assert_eq!(iso_utc(at(8, 9, 5, 30)), "2027-02-08T09:05:30Z");
    }

    #[test]
    fn last_use_reads_like_a_person_would_say_it() {
        let now = Utc.with_ymd_and_hms(2027, 2, 28, 12, 0, 0).unwrap();
        assert_eq!(relative(None, now), "never");
        assert_eq!(relative(Some(now - Duration::seconds(20)), now), "just now");
        assert_eq!(relative(Some(now - Duration::minutes(1)), now), "1 minute ago");
        assert_eq!(relative(Some(now - Duration::hours(3)), now), "3 hours ago");
        assert_eq!(relative(Some(now - Duration::days(2)), now), "2 days ago");
        assert_eq!(relative(Some(now - Duration::days(45)), now), "14 Jan 2027");
    }
}
