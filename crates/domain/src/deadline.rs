//! Statutory timers T1–T10 (regulation.md §2.3) and how their due dates are
//! counted (§2.4).
//!
//! A timer is data: what started it, how long it runs, in which day unit,
//! which intervals pause it, how far it was extended, and which counting
//! policy produced its due date. The due date is a pure function of those.

use crate::calendar::HolidayCalendar;
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimerKind {
    /// T1: the petition bureau routes within 15 days of receipt (Art. 22).
    T1,
    /// T2: written notice for an item filed directly at a unit (Art. 23).
    T2,
    /// T3: written notice for a forwarded or assigned item (Art. 23).
    T3,
    /// T4: objection to a misrouted item, 5 working days (Art. 23).
    T4,
    /// T5: due date of an assigned item, set by the bureau (Art. 22(3)).
    T5,
    /// T6: conclusion of an Art. 31(6) item, 60 days from acceptance (Art. 34).
    T6,
    /// T7: the petitioner's window to request 复查 (Art. 35).
    T7,
    /// T8: the 复查 opinion, 30 days from receipt of the request (Art. 35).
    T8,
    /// T9: the petitioner's window to request 复核 (Art. 36).
    T9,
    /// T10: the 复核 opinion, 30 days, hearing time excluded (Art. 36).
    T10,
    /// S1: opinion under the simplified procedure, 10 working days from acceptance.
    S1,
    /// D1: a discipline body passes an accusation on or registers it, 5 working days.
    D1,
    /// D2: acceptance notice to a real-name accuser, 15 working days from receipt.
    D2,
    /// D3: result feedback to a real-name accuser, 15 working days from conclusion.
    D3,
}

impl TimerKind {
    /// The provision that sets the timer (regulation.md §2.3), linked from
    /// the petition page and cited when it runs out.
    pub fn rule(self) -> crate::error::Rule {
        use crate::error::Rule;
        match self {
            TimerKind::T1 | TimerKind::T5 => Rule::Art22,
            TimerKind::T2 | TimerKind::T3 | TimerKind::T4 => Rule::Art23,
            TimerKind::T6 => Rule::Art34,
            TimerKind::T7 | TimerKind::T8 => Rule::Art35,
            TimerKind::T9 | TimerKind::T10 => Rule::Art36,
            TimerKind::S1 => Rule::Simplified,
            TimerKind::D1 | TimerKind::D2 | TimerKind::D3 => Rule::DisciplineRules,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::T1 => "T1",
            TimerKind::T2 => "T2",
            TimerKind::T3 => "T3",
            TimerKind::T4 => "T4",
            TimerKind::T5 => "T5",
            TimerKind::T6 => "T6",
            TimerKind::T7 => "T7",
            TimerKind::T8 => "T8",
            TimerKind::T9 => "T9",
            TimerKind::T10 => "T10",
            TimerKind::S1 => "S1",
            TimerKind::D1 => "D1",
            TimerKind::D2 => "D2",
            TimerKind::D3 => "D3",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "T1" => TimerKind::T1,
            "T2" => TimerKind::T2,
            "T3" => TimerKind::T3,
            "T4" => TimerKind::T4,
            "T5" => TimerKind::T5,
            "T6" => TimerKind::T6,
            "T7" => TimerKind::T7,
            "T8" => TimerKind::T8,
            "T9" => TimerKind::T9,
            "T10" => TimerKind::T10,
            "S1" => TimerKind::S1,
            "D1" => TimerKind::D1,
            "D2" => TimerKind::D2,
            "D3" => TimerKind::D3,
            _ => return None,
        })
    }

    /// Chinese label for the UI and notices.
    pub fn label(self) -> &'static str {
        match self {
            TimerKind::T1 => "信访部门转送交办期限",
            TimerKind::T2 => "直接受理告知期限",
            TimerKind::T3 => "转交办事项告知期限",
            TimerKind::T4 => "异议期限",
            TimerKind::T5 => "交办办结期限",
            TimerKind::T6 => "办理期限",
            TimerKind::T7 => "申请复查期限",
            TimerKind::T8 => "复查期限",
            TimerKind::T9 => "申请复核期限",
            TimerKind::T10 => "复核期限",
            TimerKind::S1 => "简易办理期限",
            TimerKind::D1 => "检举控告转办或登记期限",
            TimerKind::D2 => "检举控告受理告知期限",
            TimerKind::D3 => "检举控告处理结果反馈期限",
        }
    }

    /// Whether the petitioner (not a unit) must act before it runs out.
    /// Such a timer is a window, not a duty: missing it is not "overdue".
    pub fn is_petitioner_window(self) -> bool {
        matches!(self, TimerKind::T7 | TimerKind::T9 | TimerKind::T4)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// 日: calendar days.
    Calendar,
    /// 个工作日: working days by the official calendar.
    Working,
}

impl DayUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            DayUnit::Calendar => "calendar",
            DayUnit::Working => "working",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "calendar" => Some(DayUnit::Calendar),
            "working" => Some(DayUnit::Working),
            _ => None,
        }
    }
}

/// How a period is counted. The Regulations do not say (regulation.md
/// §2.4), so the policy is configurable and recorded on every timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CountingPolicy {
    /// The start day is not counted; a period that ends on a rest day ends
    /// on the next working day instead (the convention of Chinese
    /// procedural law).
    #[default]
    StartExcludedRollForward,
    /// The start day is not counted and there is no roll: the period ends
    /// N days after the start day whatever day that is (the de facto
    /// Guangdong statistics definition).
    StartExcludedNoRoll,
}

impl CountingPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CountingPolicy::StartExcludedRollForward => "start_excluded_roll_forward",
            CountingPolicy::StartExcludedNoRoll => "start_excluded_no_roll",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "start_excluded_roll_forward" => Some(CountingPolicy::StartExcludedRollForward),
            "start_excluded_no_roll" => Some(CountingPolicy::StartExcludedNoRoll),
            _ => None,
        }
    }
}

/// An interval during which a timer does not run, both ends inclusive
/// (e.g. a 复核 hearing held from the 3rd to the 5th pauses 3 days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Why: the event kind that caused it, e.g. "hearing".
    #[serde(default)]
    pub reason: PauseReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    #[default]
    Hearing,
}

impl Pause {
    pub fn days(&self) -> u32 {
        let span = (self.to - self.from).num_days() + 1;
        u32::try_from(span.max(0)).unwrap_or(0)
    }
}

/// One statutory timer on one petition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: TimerKind,
    /// The event that started it (an index into the petition's history,
    /// filled in by the store when the event is written).
    pub start_event: String,
    pub started_on: NaiveDate,
    pub length: u32,
    pub day_unit: DayUnit,
    pub pauses: Vec<Pause>,
    pub extension_days: u32,
    pub policy: CountingPolicy,
    pub due_on: NaiveDate,
    pub provisional: bool,
    pub met_at: Option<DateTime<Utc>>,
}

/// Result of counting a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub due_on: NaiveDate,
    /// True when some day examined lies outside the calendar's coverage.
    pub provisional: bool,
}

/// Count `length` days of `unit` after `start`, skipping paused days and
/// adding the extension, under `policy`.
pub fn compute_due(
    start: NaiveDate,
    length: u32,
    unit: DayUnit,
    pauses: &[Pause],
    extension_days: u32,
    policy: CountingPolicy,
    cal: &HolidayCalendar,
) -> Due {
    let paused: u32 = pauses.iter().map(Pause::days).sum();
    let mut provisional = false;
    let due_on = match unit {
        DayUnit::Calendar => {
            let total = u64::from(length + extension_days + paused);
            let raw = start.checked_add_days(Days::new(total)).unwrap_or(NaiveDate::MAX);
            match policy {
                CountingPolicy::StartExcludedNoRoll => {
                    provisional |= !cal.covers(raw);
                    raw
                }
                CountingPolicy::StartExcludedRollForward => roll_forward(raw, cal, &mut provisional),
            }
        }
        DayUnit::Working => {
            // Working-day periods land on a working day by construction, so
            // both policies agree; each day walked over must be known.
            let mut day = start;
            let mut left = length + extension_days + paused;
            while left > 0 {
                day = day.succ_opt().unwrap_or(NaiveDate::MAX);
                let answer = cal.day(day);
                provisional |= !answer.known;
                if answer.working {
                    left -= 1;
                }
            }
            day
        }
    };
    Due { due_on, provisional }
}

fn roll_forward(mut day: NaiveDate, cal: &HolidayCalendar, provisional: &mut bool) -> NaiveDate {
    loop {
        let answer = cal.day(day);
        *provisional |= !answer.known;
        if answer.working {
            return day;
        }
        day = day.succ_opt().unwrap_or(NaiveDate::MAX);
    }
}

impl Deadline {
    /// Start a timer and compute its first due date.
    pub fn start(
        kind: TimerKind,
        started_on: NaiveDate,
        length: u32,
        day_unit: DayUnit,
        policy: CountingPolicy,
        cal: &HolidayCalendar,
    ) -> Self {
        let due = compute_due(started_on, length, day_unit, &[], 0, policy, cal);
        Deadline {
            kind,
            start_event: String::new(),
            started_on,
            length,
            day_unit,
            pauses: Vec::new(),
            extension_days: 0,
            policy,
            due_on: due.due_on,
            provisional: due.provisional,
            met_at: None,
        }
    }

    /// A timer whose due date was fixed by a person (T5, set by the bureau).
    pub fn fixed(kind: TimerKind, started_on: NaiveDate, due_on: NaiveDate, cal: &HolidayCalendar) -> Self {
        let length = u32::try_from((due_on - started_on).num_days().max(0)).unwrap_or(0);
        Deadline {
            kind,
            start_event: String::new(),
            started_on,
            length,
            day_unit: DayUnit::Calendar,
            pauses: Vec::new(),
            extension_days: 0,
            policy: CountingPolicy::StartExcludedNoRoll,
            due_on,
            provisional: !cal.covers(due_on),
            met_at: None,
        }
    }

    /// Recompute the due date after a pause or an extension changed.
    pub fn recompute(&mut self, cal: &HolidayCalendar) {
        if self.kind == TimerKind::T5 {
            self.due_on =
                self.started_on.checked_add_days(Days::new(u64::from(self.length + self.extension_days))).unwrap_or(NaiveDate::MAX);
            self.provisional = !cal.covers(self.due_on);
            return;
        }
        let due = compute_due(self.started_on, self.length, self.day_unit, &self.pauses, self.extension_days, self.policy, cal);
        self.due_on = due.due_on;
        self.provisional = due.provisional;
    }

    pub fn is_open(&self) -> bool {
        self.met_at.is_none()
    }

    /// Overdue on `today`: still open and past its due date.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && today > self.due_on
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DayKind, SpecialDay};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    /// The 2026 National Day and Mid-Autumn arrangement (国办发明电〔2025〕7号).
    fn cal_2026_autumn() -> HolidayCalendar {
        let mut days = Vec::new();
        for day in ["2026-09-25", "2026-09-26", "2026-09-27"] {
            days.push(SpecialDay { date: d(day), kind: DayKind::Holiday, name: "中秋节".into() });
        }
        for n in 1..=7 {
            days.push(SpecialDay { date: d(&format!("2026-10-0{n}")), kind: DayKind::Holiday, name: "国庆节".into() });
        }
        days.push(SpecialDay { date: d("2026-09-20"), kind: DayKind::Workday, name: "国庆节".into() });
        days.push(SpecialDay { date: d("2026-10-10"), kind: DayKind::Workday, name: "国庆节".into() });
        HolidayCalendar::new([2026], days)
    }

    #[test]
    fn art23_objection_five_working_days_skips_national_day_and_counts_make_up_saturday() {
        let due = compute_due(d("2026-09-30"), 5, DayUnit::Working, &[], 0, CountingPolicy::default(), &cal_2026_autumn());
        assert_eq!(due.due_on, d("2026-10-13"));
        assert!(!due.provisional);
    }

    #[test]
    fn calendar_days_ending_on_a_holiday_roll_to_next_working_day() {
        // 15 days after 2026-09-18 is 2026-10-03, inside the holiday: rolls
        // past 10-04..10-07 to Thursday 10-08.
        let cal = cal_2026_autumn();
        let due = compute_due(d("2026-09-18"), 15, DayUnit::Calendar, &[], 0, CountingPolicy::default(), &cal);
        assert_eq!(due.due_on, d("2026-10-08"));
        let no_roll = compute_due(d("2026-09-18"), 15, DayUnit::Calendar, &[], 0, CountingPolicy::StartExcludedNoRoll, &cal);
        assert_eq!(no_roll.due_on, d("2026-10-03"));
    }

    #[test]
    fn art34_sixty_days_into_uncovered_year_is_provisional() {
        let due = compute_due(d("2026-11-20"), 60, DayUnit::Calendar, &[], 0, CountingPolicy::default(), &cal_2026_autumn());
        assert_eq!(due.due_on, d("2027-01-19"));
        assert!(due.provisional);
    }

    #[test]
    fn art36_hearing_time_is_added_back() {
        let cal = cal_2026_autumn();
        let plain = compute_due(d("2026-11-02"), 30, DayUnit::Calendar, &[], 0, CountingPolicy::StartExcludedNoRoll, &cal);
        let pause = Pause { from: d("2026-11-10"), to: d("2026-11-12"), reason: PauseReason::Hearing };
        assert_eq!(pause.days(), 3);
        let paused = compute_due(d("2026-11-02"), 30, DayUnit::Calendar, &[pause], 0, CountingPolicy::StartExcludedNoRoll, &cal);
        assert_eq!((paused.due_on - plain.due_on).num_days(), 3);
    }

    #[test]
    fn art34_extension_adds_days() {
        let cal = cal_2026_autumn();
        let mut t6 = Deadline::start(TimerKind::T6, d("2026-01-05"), 60, DayUnit::Calendar, CountingPolicy::StartExcludedNoRoll, &cal);
        let before = t6.due_on;
        t6.extension_days = 30;
        t6.recompute(&cal);
        assert_eq!((t6.due_on - before).num_days(), 30);
    }
}
