//! Timers after a change of the holiday calendar (issue item 7).
//!
//! A due date is only as good as the calendar it was counted with: when a
//! year is imported, or one day of it is edited, every open timer whose
//! count touches that year is counted again. Timers that were met keep
//! their dates: they are history.

use crate::calendar::HolidayCalendar;
use crate::deadline::{Deadline, TimerKind};
use crate::procedure::Case;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// One timer whose due date or provisional flag moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimerChange {
    pub kind: TimerKind,
    pub started_on: NaiveDate,
    pub old_due_on: NaiveDate,
    pub new_due_on: NaiveDate,
    pub old_provisional: bool,
    pub new_provisional: bool,
}

/// Whether counting `d` examines a day of one of `years`: its span from
/// the start day to the due date overlaps the year. A day outside that
/// span never enters the count, so a change there cannot move it.
pub fn touches_years(d: &Deadline, years: &[i32]) -> bool {
    let (from, to) = (d.started_on.year(), d.due_on.year());
    years.iter().any(|y| (from..=to).contains(y))
}

/// Count again, under `cal`, every open timer of `case` that touches
/// `years`; returns what changed (empty when nothing moved, in which case
/// the case is left as it was).
pub fn recompute_open_timers(case: &mut Case, cal: &HolidayCalendar, years: &[i32]) -> Vec<TimerChange> {
    let mut changes = Vec::new();
    for d in case.deadlines.iter_mut().filter(|d| d.is_open() && touches_years(d, years)) {
        let (old_due_on, old_provisional) = (d.due_on, d.provisional);
        d.recompute(cal);
        if d.due_on != old_due_on || d.provisional != old_provisional {
            changes.push(TimerChange {
                kind: d.kind,
                started_on: d.started_on,
                old_due_on,
                new_due_on: d.due_on,
                old_provisional,
                new_provisional: d.provisional,
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DayKind, SpecialDay};
    use crate::deadline::{CountingPolicy, DayUnit};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn case_with(deadlines: Vec<Deadline>) -> Case {
        crate::procedure::handling_case(12, d("2026-11-20"), deadlines)
    }

    #[test]
    fn art34_t6_into_2027_moves_and_stops_being_provisional_when_2027_is_covered() {
        let only_2026 = HolidayCalendar::new([2026], []);
        let t6 = Deadline::start(TimerKind::T6, d("2026-11-20"), 60, DayUnit::Calendar, CountingPolicy::default(), &only_2026);
        assert_eq!((t6.due_on, t6.provisional), (d("2027-01-19"), true));
        let mut met = Deadline::start(TimerKind::T2, d("2026-11-20"), 60, DayUnit::Calendar, CountingPolicy::default(), &only_2026);
        met.met_at = Some(chrono::Utc::now());
        let mut case = case_with(vec![met.clone(), t6]);
        let with_2027 =
            HolidayCalendar::new([2026, 2027], [SpecialDay { date: d("2027-01-19"), kind: DayKind::Holiday, name: "测试假日".into() }]);
        let changes = recompute_open_timers(&mut case, &with_2027, &[2027]);
        assert_eq!(
            changes,
            vec![TimerChange {
                kind: TimerKind::T6,
                started_on: d("2026-11-20"),
                old_due_on: d("2027-01-19"),
                new_due_on: d("2027-01-20"),
                old_provisional: true,
                new_provisional: false,
            }]
        );
        assert_eq!(case.deadlines[0], met, "a met timer is history and keeps its date");
        assert_eq!(case.deadlines[1].due_on, d("2027-01-20"));
    }

    #[test]
    fn timers_that_do_not_touch_the_changed_year_are_left_alone() {
        let cal = HolidayCalendar::new([2026], []);
        let t1 = Deadline::start(TimerKind::T1, d("2026-03-02"), 15, DayUnit::Calendar, CountingPolicy::default(), &cal);
        assert!(!touches_years(&t1, &[2027]));
        assert!(touches_years(&t1, &[2025, 2026]));
        let mut case = case_with(vec![t1.clone()]);
        // Even a calendar that would move it is not consulted for 2027.
        let moved = HolidayCalendar::new([2026], [SpecialDay { date: t1.due_on, kind: DayKind::Holiday, name: "x".into() }]);
        assert!(recompute_open_timers(&mut case, &moved, &[2027]).is_empty());
        assert_eq!(case.deadlines[0], t1);
        // Counting again with the calendar it was counted with changes nothing.
        assert!(recompute_open_timers(&mut case, &cal, &[2026]).is_empty());
    }

    #[test]
    fn a_single_edited_day_of_an_uncovered_year_moves_the_date_but_stays_provisional() {
        let only_2026 = HolidayCalendar::new([2026], []);
        let t6 = Deadline::start(TimerKind::T6, d("2026-11-20"), 60, DayUnit::Calendar, CountingPolicy::default(), &only_2026);
        let mut case = case_with(vec![t6]);
        let one_day = HolidayCalendar::new([2026], [SpecialDay { date: d("2027-01-19"), kind: DayKind::Holiday, name: "x".into() }]);
        let changes = recompute_open_timers(&mut case, &one_day, &[2027]);
        assert_eq!(changes.len(), 1);
        assert_eq!((changes[0].new_due_on, changes[0].new_provisional), (d("2027-01-20"), true));
    }
}
