//! A key's requests per day for the last 30 days, as a bar chart drawn on the
//! server (SPEC §2 "Usage"): the geometry is worked out here so that the
//! template only writes SVG rectangles, and the same numbers feed the table
//! screen readers get.

use chrono::{Duration, NaiveDate};

use crate::domain::dates;

/// How many days the chart shows, today included.
pub const CHART_DAYS: i64 = 30;
/// The drawing's size in SVG units (it scales to the page's width).
pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = BAR_AREA;
/// The tallest bar.
const BAR_AREA: u32 = 140;
const BAR_STEP: u32 = WIDTH / CHART_DAYS as u32;
const BAR_GAP: u32 = 4;

/// One day's bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub day: NaiveDate,
    /// "5 Dec 2026".
    pub label: String,
    pub requests: i64,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The chart: one bar per day, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageChart {
    pub bars: Vec<Bar>,
    /// The highest day's count (the top of the scale).
    pub max: i64,
    pub total: i64,
}

impl UsageChart {
    /// The first day the chart shows, when today is `today`.
    pub fn first_day(today: NaiveDate) -> NaiveDate {
        today - Duration::days(CHART_DAYS - 1)
    }

    /// The last [`CHART_DAYS`] days up to `today`, from the days that had
    /// requests (`counts`, in any order; days outside the window are ignored).
    pub fn of(today: NaiveDate, counts: &[(NaiveDate, i64)]) -> UsageChart {
        let first = UsageChart::first_day(today);
        let requests_on = |day: NaiveDate| -> i64 {
            counts.iter().filter(|(d, _)| *d == day).map(|(_, n)| (*n).max(0)).sum()
        };
        let days: Vec<(NaiveDate, i64)> =
            (0..CHART_DAYS).map(|i| first + Duration::days(i)).map(|day| (day, requests_on(day))).collect();
        let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
        let total = days.iter().map(|(_, n)| *n).sum();
        let bars = days
            .into_iter()
            .zip(0u32..)
            .map(|((day, requests), i)| {
                let height = scaled(requests, max);
                Bar {
                    day,
                    label: dates::date(day),
                    requests,
                    x: i * BAR_STEP + BAR_GAP / 2,
                    y: BAR_AREA - height,
                    width: BAR_STEP - BAR_GAP,
                    height,
                }
            })
            .collect();
        UsageChart { bars, max, total }
    }

    /// The dates written under the chart (as text, not in the drawing, so they
    /// keep their shape when it stretches): the first, the middle and the last day.
    pub fn axis_labels(&self) -> Vec<&str> {
        let picks = [0, self.bars.len() / 2, self.bars.len().saturating_sub(1)];
        picks.iter().filter_map(|&i| self.bars.get(i)).map(|bar| bar.label.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// A bar's height: proportional to the busiest day, and at least 2 units for
/// any day with a request, so that one request still shows.
fn scaled(requests: i64, max: i64) -> u32 {
    if requests <= 0 || max <= 0 {
        return 0;
    }
    let area = i64::from(BAR_AREA);
    let height = (requests * area + max - 1) / max;
    u32::try_from(height.clamp(2, area)).unwrap_or(BAR_AREA)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_chart_has_a_bar_for_each_of_the_last_thirty_days_oldest_first() {
        let chart = UsageChart::of(day("2027-01-30"), &[]);
        assert_eq!(chart.bars.len(), 30);
        assert_eq!(chart.bars[0].day, day("2027-01-01"));
        assert_eq!(chart.bars[29].day, day("2027-01-30"));
        assert!(chart.is_empty());
        assert!(chart.bars.iter().all(|bar| bar.height == 0 && bar.y == BAR_AREA));
    }

    #[test]
    fn bars_are_scaled_to_the_busiest_day_and_a_single_request_still_shows() {
        let counts = [(day("2027-01-30"), 1000), (day("2027-01-29"), 1), (day("2026-12-01"), 5)];
        let chart = UsageChart::of(day("2027-01-30"), &counts);
        assert_eq!(chart.max, 1000);
        assert_eq!(chart.total, 1001, "days before the window are left out");
        assert_eq!(chart.bars[29].height, BAR_AREA);
        assert_eq!(chart.bars[28].height, 2);
        assert_eq!(chart.bars[29].y, 0);
    }

    #[test]
    fn bars_sit_side_by_side_within_the_drawing() {
        let chart = UsageChart::of(day("2027-01-30"), &[]);
        let last = chart.bars.last().unwrap();
        assert!(last.x + last.width <= WIDTH);
        assert!(chart.bars.windows(2).all(|pair| pair[0].x + pair[0].width < pair[1].x));
        assert_eq!(chart.axis_labels().len(), 3);
    }
}
