//! The official working-day calendar: weekends, public holidays and the
//! 调休 make-up working days announced each year by the State Council.
//!
//! The calendar knows which years it covers. A question about a day outside
//! them is answered by the plain weekend rule *and flagged*, so that a due
//! date computed from it can be marked provisional instead of silently wrong.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A statutory holiday (including weekdays given off in a 调休 swap).
    Holiday,
    /// A weekend day that is a make-up working day (调休上班).
    Workday,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The festival it belongs to, e.g. 国庆节.
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    covered_years: BTreeSet<i32>,
    special: BTreeMap<NaiveDate, SpecialDay>,
}

/// Answer to "is this a working day", with whether the calendar really knew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayAnswer {
    pub working: bool,
    /// False when the year is outside the calendar's coverage.
    pub known: bool,
}

impl HolidayCalendar {
    pub fn new(covered_years: impl IntoIterator<Item = i32>, days: impl IntoIterator<Item = SpecialDay>) -> Self {
        HolidayCalendar { covered_years: covered_years.into_iter().collect(), special: days.into_iter().map(|d| (d.date, d)).collect() }
    }

    pub fn covers(&self, date: NaiveDate) -> bool {
        self.covered_years.contains(&date.year())
    }

    pub fn covered_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.covered_years.iter().copied()
    }

    pub fn special_days(&self) -> impl Iterator<Item = &SpecialDay> {
        self.special.values()
    }

    pub fn day(&self, date: NaiveDate) -> DayAnswer {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        let working = match self.special.get(&date).map(|d| d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !weekend,
        };
        DayAnswer { working, known: self.covers(date) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn make_up_saturday_is_a_working_day_and_holiday_weekday_is_not() {
        let cal = HolidayCalendar::new(
            [2026],
            [
                SpecialDay { date: d("2026-10-01"), kind: DayKind::Holiday, name: "国庆节".into() },
                SpecialDay { date: d("2026-10-10"), kind: DayKind::Workday, name: "国庆节".into() },
            ],
        );
        assert!(!cal.day(d("2026-10-01")).working);
        assert!(cal.day(d("2026-10-10")).working);
        assert!(!cal.day(d("2026-10-11")).working);
        assert!(cal.day(d("2026-10-12")).working);
        assert!(cal.day(d("2026-10-12")).known);
        assert!(!cal.day(d("2027-01-04")).known);
    }
}
