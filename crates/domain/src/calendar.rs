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
        let known = self.covers(date);
        let working = match self.special.get(&date).map(|d| d.kind) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            // A year not yet announced still has its fixed-date holidays.
            None if !known && fixed_holiday(date).is_some() => false,
            None => !weekend,
        };
        DayAnswer { working, known }
    }
}

/// The holidays that fall on the same Gregorian date every year under
/// 《全国年节及纪念日放假办法》 (as revised in 2024): 元旦 1 January,
/// 劳动节 1–2 May, 国庆节 1–3 October. The State Council's notice for a
/// year adds the days around them and the make-up working days; until it
/// is imported, these at least are never counted as working days. The
/// lunar festivals (春节, 端午, 中秋) and 清明 move from year to year and
/// come only with the notice.
pub fn fixed_holiday(date: NaiveDate) -> Option<&'static str> {
    match (date.month(), date.day()) {
        (1, 1) => Some("元旦"),
        (5, 1) => Some("劳动节"),
        // The second day since the 2024 revision (from 2025).
        (5, 2) if date.year() >= 2025 => Some("劳动节"),
        (10, 1..=3) => Some("国庆节"),
        _ => None,
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

    /// Art. 13 of the Regulations counts in working days; a year whose
    /// notice is not imported yet still never works on 元旦, 劳动节 or
    /// 国庆节's fixed days (the answer stays provisional).
    #[test]
    fn fixed_date_holidays_of_a_year_not_yet_announced_are_not_working_days() {
        let cal = HolidayCalendar::new([2026], []);
        for day in ["2027-01-01", "2027-05-03", "2027-10-01", "2027-10-03"] {
            let want = day != "2027-05-03";
            assert_eq!(cal.day(d(day)).working, !want, "{day}");
            assert!(!cal.day(d(day)).known, "{day}");
        }
        assert!(cal.day(d("2027-10-04")).working, "a Monday after the fixed days");
        // An imported year's notice decides, fixed days or not.
        let cal = HolidayCalendar::new([2027], [SpecialDay { date: d("2027-01-01"), kind: DayKind::Workday, name: "test".into() }]);
        assert!(cal.day(d("2027-01-01")).working);
    }
}
