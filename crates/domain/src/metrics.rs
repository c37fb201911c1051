//! The statistics of petition work (regulation.md §5.3; docs/metrics.md):
//! what each metric counts, for which unit, in which cohort, as pure
//! functions of one petition's facts. The store reads the facts of many
//! petitions in one query; everything that decides a count is here.

use crate::petition::{Category, Rating};
use crate::unit::UnitId;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// How long after the answer is delivered the petitioner's evaluation is
/// awaited before it counts as not given (参评率). The Regulations set no
/// window; 30 days is the 复查 window of Art. 35 that runs from the same
/// delivery (docs/metrics.md).
pub const EVALUATION_WINDOW_DAYS: u64 = 30;

/// The statistics, by their glossary names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// 及时受理率.
    OnTimeAcceptanceRate,
    /// 按期办结率.
    OnTimeConclusionRate,
    /// 重复信访率.
    RepeatPetitionRate,
    /// 参评率.
    EvaluationRate,
    /// 满意率.
    SatisfactionRate,
    /// 化解率.
    ResolutionRate,
    /// 一次性化解率.
    FirstTimeResolutionRate,
}

/// Which unit a petition counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The registering unit (登记单位): where the petitioner came.
    Registering,
    /// The handling unit (责任单位): the unit competent to handle it.
    Handling,
    /// Either: both share the duty (a bureau routes, the handling unit
    /// answers, within the same 15 days).
    RegisteringOrHandling,
}

impl Metric {
    pub const ALL: &'static [Metric] = &[
        Metric::OnTimeAcceptanceRate,
        Metric::OnTimeConclusionRate,
        Metric::RepeatPetitionRate,
        Metric::EvaluationRate,
        Metric::SatisfactionRate,
        Metric::ResolutionRate,
        Metric::FirstTimeResolutionRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::OnTimeAcceptanceRate => "on_time_acceptance_rate",
            Metric::OnTimeConclusionRate => "on_time_conclusion_rate",
            Metric::RepeatPetitionRate => "repeat_petition_rate",
            Metric::EvaluationRate => "evaluation_rate",
            Metric::SatisfactionRate => "satisfaction_rate",
            Metric::ResolutionRate => "resolution_rate",
            Metric::FirstTimeResolutionRate => "first_time_resolution_rate",
        }
    }

    /// The Chinese name shown in tables and exports.
    pub fn label(self) -> &'static str {
        match self {
            Metric::OnTimeAcceptanceRate => "及时受理率",
            Metric::OnTimeConclusionRate => "按期办结率",
            Metric::RepeatPetitionRate => "重复信访率",
            Metric::EvaluationRate => "参评率",
            Metric::SatisfactionRate => "满意率",
            Metric::ResolutionRate => "化解率",
            Metric::FirstTimeResolutionRate => "一次性化解率",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.iter().copied().find(|m| m.as_str() == s)
    }

    /// Its place in `Metric::ALL`.
    pub fn index(self) -> usize {
        Metric::ALL.iter().position(|m| *m == self).unwrap_or(0)
    }

    pub fn attribution(self) -> Attribution {
        match self {
            Metric::OnTimeAcceptanceRate => Attribution::RegisteringOrHandling,
            Metric::RepeatPetitionRate => Attribution::Registering,
            _ => Attribution::Handling,
        }
    }
}

/// An inclusive range of local (Beijing) dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Period {
        Period { from, to }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// Days in the period, both ends counted.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// 环比: the period of equal length just before.
    pub fn previous(&self) -> Period {
        let n = self.days();
        Period { from: self.from - chrono::Duration::days(n), to: self.from - chrono::Duration::days(1) }
    }

    /// 同比: the same dates a year earlier (29 February becomes 28 February).
    pub fn year_earlier(&self) -> Period {
        let back = |d: NaiveDate| d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d);
        Period { from: back(self.from), to: back(self.to) }
    }

    /// The calendar months the period touches, each cut to the period.
    pub fn months(&self) -> Vec<Period> {
        let mut out = Vec::new();
        let mut start = self.from;
        while start <= self.to {
            let first_next = start.with_day(1).and_then(|d| d.checked_add_months(chrono::Months::new(1)));
            let end = first_next.and_then(|d| d.pred_opt()).map_or(self.to, |d| d.min(self.to));
            out.push(Period { from: start, to: end });
            match end.succ_opt() {
                Some(n) => start = n,
                None => break,
            }
        }
        out
    }
}

use chrono::Datelike;

/// One evaluation as the statistics read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationFact {
    /// The local date it was given.
    pub on: NaiveDate,
    pub rating: Rating,
    /// Of the first handling's answer (decision letter or reply), not of a
    /// 复查 / 复核 opinion.
    pub first_instance: bool,
}

/// Everything the statistics need to know about one petition, read from
/// the record: the petition row, its timers (`deadlines`), its events and
/// its evaluations. Dates are local (Beijing) dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub registered_unit: UnitId,
    /// `petitions.handling_unit_id`: the unit competent to handle it, once known.
    pub handling_unit: Option<UnitId>,
    pub received_on: NaiveDate,
    pub category: Category,
    pub litigation_related: bool,
    /// `petitions.repeat_of` is set: the same person on the same matter again.
    pub repeat: bool,
    /// Registered as refused at the door (Art. 19 para 3, Art. 36): the
    /// first event leaves it `declined` or `not_reaccepted`.
    pub refused_at_intake: bool,
    /// Due date of the registration timer (T1 at a bureau, T2 elsewhere):
    /// 15 days from receipt under the counting policy.
    pub acceptance_due: Option<NaiveDate>,
    /// The first `accept` or `decline` event: the written answer whether the
    /// matter is accepted (Art. 23).
    pub answered_on: Option<NaiveDate>,
    /// Due date of the first handling timer (T6, or S1 when simplified),
    /// extension included.
    pub handling_due: Option<NaiveDate>,
    /// When that timer was met (the decision letter or reply issued).
    pub handling_met_on: Option<NaiveDate>,
    /// The first `deliver` event: the first handling's answer served.
    pub delivered_on: Option<NaiveDate>,
    /// The event that moved it to `closed`.
    pub closed_on: Option<NaiveDate>,
    /// A 复查 was requested.
    pub review_requested: bool,
    /// A later petition is a repeat of this one (`repeat_of` = its number).
    pub brought_back: bool,
    /// In the order given.
    pub evaluations: Vec<EvaluationFact>,
}

/// A metric's count: `value = numerator / denominator`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub numerator: u64,
    pub denominator: u64,
}

impl Tally {
    pub fn value(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    pub fn add(&mut self, other: Tally) {
        self.numerator += other.numerator;
        self.denominator += other.denominator;
    }
}

fn one(hit: bool) -> Tally {
    Tally { numerator: u64::from(hit), denominator: 1 }
}

/// What one petition adds to one metric, on the day that puts it in a
/// period (its cohort date): a judged tally, and items not yet judged
/// (`pending`) that count against the unit — numerator 0, denominator 1 —
/// once that day plus the metric's `pending_lag_days` is before the day
/// the figures are asked for. Summing these over the days of a period is
/// the metric; the precomputed aggregates (`aggregate`) store exactly these
/// sums per scope and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contribution {
    pub metric: Metric,
    pub day: NaiveDate,
    pub tally: Tally,
    pub pending: u64,
}

impl Metric {
    /// Days after its cohort date that an item without the act waits before
    /// it counts against the unit: none for the limits (a limit passed is
    /// missed), the evaluation window for 参评率.
    pub fn pending_lag_days(self) -> u64 {
        match self {
            Metric::EvaluationRate => EVALUATION_WINDOW_DAYS,
            _ => 0,
        }
    }

    /// Whether a pending item of cohort `day` counts against the unit on `today`.
    pub fn judged(self, day: NaiveDate, today: NaiveDate) -> bool {
        day.checked_add_days(Days::new(self.pending_lag_days())).is_some_and(|d| d < today)
    }
}

impl Contribution {
    /// This contribution as counted on `today`.
    pub fn as_of(&self, today: NaiveDate) -> Tally {
        let mut t = self.tally;
        if self.pending > 0 && self.metric.judged(self.day, today) {
            t.denominator += self.pending;
        }
        t
    }
}

impl Facts {
    /// Whether the petition counts for a unit for `metric`, given which
    /// units are in scope (the unit alone, or it and the units below it).
    pub fn counts_for(&self, metric: Metric, in_scope: impl Fn(UnitId) -> bool) -> bool {
        let handling = self.handling_unit.is_some_and(&in_scope);
        match metric.attribution() {
            Attribution::Registering => in_scope(self.registered_unit),
            Attribution::Handling => handling,
            Attribution::RegisteringOrHandling => handling || in_scope(self.registered_unit),
        }
    }

    /// Outside the public evaluation of petition work: litigation-related
    /// matters (courts, procuratorates) and accusations (sealed, handled
    /// under the discipline bodies' rules).
    fn not_evaluated_publicly(&self) -> bool {
        self.litigation_related || self.category == Category::Accusation || self.refused_at_intake
    }

    /// Everything this petition adds to every metric, each on its cohort
    /// date. Nothing for a metric whose cohort it is not in or that
    /// excludes it.
    pub fn contributions(&self) -> Vec<Contribution> {
        let mut out = Vec::new();
        let mut add = |metric: Metric, day: NaiveDate, hit: Option<bool>| {
            let (tally, pending) = match hit {
                Some(h) => (one(h), 0),
                None => (Tally::default(), 1),
            };
            out.push(Contribution { metric, day, tally, pending });
        };
        // 及时受理率: by the registration timer's due date; the answer on or before it.
        if let Some(due) = self.acceptance_due
            && !self.repeat
            && !self.refused_at_intake
        {
            add(Metric::OnTimeAcceptanceRate, due, self.answered_on.map(|a| a <= due));
        }
        // 按期办结率: by the first handling timer's due date; met on or before it.
        if let Some(due) = self.handling_due
            && !self.litigation_related
            && !self.refused_at_intake
        {
            add(Metric::OnTimeConclusionRate, due, self.handling_met_on.map(|c| c <= due));
        }
        // 重复信访率: by the day received.
        if !self.litigation_related {
            add(Metric::RepeatPetitionRate, self.received_on, Some(self.repeat));
        }
        if !self.not_evaluated_publicly() {
            // 参评率: by the day the answer was delivered; not evaluated is
            // judged once the evaluation window has closed.
            if let Some(delivered) = self.delivered_on {
                let evaluated = self.evaluations.iter().any(|e| e.first_instance);
                add(Metric::EvaluationRate, delivered, evaluated.then_some(true));
            }
            // 满意率: each rating of the first answer, by the day it was given.
            for e in self.evaluations.iter().filter(|e| e.first_instance) {
                add(Metric::SatisfactionRate, e.on, Some(e.rating != Rating::Dissatisfied));
            }
            // 化解率 and 一次性化解率: by the day closed.
            if let Some(closed) = self.closed_on {
                let last_dissatisfied = self.evaluations.last().is_some_and(|e| e.rating == Rating::Dissatisfied);
                add(Metric::ResolutionRate, closed, Some(!self.brought_back && !last_dissatisfied));
                if !self.repeat {
                    let dissatisfied = self.evaluations.iter().any(|e| e.first_instance && e.rating == Rating::Dissatisfied);
                    add(Metric::FirstTimeResolutionRate, closed, Some(!self.brought_back && !self.review_requested && !dissatisfied));
                }
            }
        }
        out
    }

    /// What this petition adds to `metric` for `period`, judged on `today`
    /// (the day the figures are asked for). Zero when it is not in the
    /// cohort, is excluded, or cannot be judged yet.
    pub fn tally(&self, metric: Metric, period: &Period, today: NaiveDate) -> Tally {
        let mut t = Tally::default();
        for c in self.contributions().iter().filter(|c| c.metric == metric && period.contains(c.day)) {
            t.add(c.as_of(today));
        }
        t
    }
}

/// Every metric for one period over a set of petitions, each counted for
/// the units in scope by the metric's attribution.
pub fn tally_all<'a>(
    facts: impl IntoIterator<Item = &'a Facts>,
    period: &Period,
    today: NaiveDate,
    in_scope: impl Fn(UnitId) -> bool,
) -> Vec<(Metric, Tally)> {
    let mut out: Vec<(Metric, Tally)> = Metric::ALL.iter().map(|m| (*m, Tally::default())).collect();
    for f in facts {
        for c in f.contributions().iter().filter(|c| period.contains(c.day)) {
            if f.counts_for(c.metric, &in_scope) {
                out[c.metric.index()].1.add(c.as_of(today));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    pub(crate) fn facts() -> Facts {
        Facts {
            registered_unit: 1,
            handling_unit: Some(2),
            received_on: d("2026-03-01"),
            category: Category::Claim,
            litigation_related: false,
            repeat: false,
            refused_at_intake: false,
            acceptance_due: Some(d("2026-03-16")),
            answered_on: Some(d("2026-03-10")),
            handling_due: Some(d("2026-05-09")),
            handling_met_on: Some(d("2026-05-10")),
            delivered_on: Some(d("2026-05-12")),
            closed_on: Some(d("2026-06-20")),
            review_requested: false,
            brought_back: false,
            evaluations: vec![EvaluationFact { on: d("2026-05-14"), rating: Rating::BasicallySatisfied, first_instance: true }],
        }
    }

    #[test]
    fn acceptance_on_time_late_overdue_and_pending() {
        let p = Period::new(d("2026-03-01"), d("2026-03-31"));
        let today = d("2026-04-30");
        let mut f = facts();
        assert_eq!(f.tally(Metric::OnTimeAcceptanceRate, &p, today), Tally { numerator: 1, denominator: 1 });
        f.answered_on = Some(d("2026-03-17"));
        assert_eq!(f.tally(Metric::OnTimeAcceptanceRate, &p, today), Tally { numerator: 0, denominator: 1 });
        f.answered_on = None;
        assert_eq!(f.tally(Metric::OnTimeAcceptanceRate, &p, today), Tally { numerator: 0, denominator: 1 });
        assert_eq!(f.tally(Metric::OnTimeAcceptanceRate, &p, d("2026-03-16")), Tally::default(), "due today: not yet judged");
        f.repeat = true;
        f.answered_on = Some(d("2026-03-10"));
        assert_eq!(f.tally(Metric::OnTimeAcceptanceRate, &p, today), Tally::default(), "repeats are excluded");
    }

    #[test]
    fn conclusion_counts_by_due_date_and_the_met_day() {
        let p = Period::new(d("2026-05-01"), d("2026-05-31"));
        let f = facts();
        assert_eq!(f.tally(Metric::OnTimeConclusionRate, &p, d("2026-07-01")), Tally { numerator: 0, denominator: 1 });
        let april = Period::new(d("2026-04-01"), d("2026-04-30"));
        assert_eq!(f.tally(Metric::OnTimeConclusionRate, &april, d("2026-07-01")), Tally::default());
    }

    #[test]
    fn evaluation_satisfaction_and_resolution() {
        let may = Period::new(d("2026-05-01"), d("2026-05-31"));
        let june = Period::new(d("2026-06-01"), d("2026-06-30"));
        let today = d("2026-08-01");
        let mut f = facts();
        assert_eq!(f.tally(Metric::EvaluationRate, &may, today), Tally { numerator: 1, denominator: 1 });
        assert_eq!(f.tally(Metric::SatisfactionRate, &may, today), Tally { numerator: 1, denominator: 1 });
        assert_eq!(f.tally(Metric::ResolutionRate, &june, today), Tally { numerator: 1, denominator: 1 });
        assert_eq!(f.tally(Metric::FirstTimeResolutionRate, &june, today), Tally { numerator: 1, denominator: 1 });
        f.review_requested = true;
        assert_eq!(f.tally(Metric::ResolutionRate, &june, today), Tally { numerator: 1, denominator: 1 });
        assert_eq!(f.tally(Metric::FirstTimeResolutionRate, &june, today), Tally { numerator: 0, denominator: 1 });
        f.evaluations.clear();
        assert_eq!(f.tally(Metric::EvaluationRate, &may, d("2026-06-05")), Tally::default(), "window still open");
        assert_eq!(f.tally(Metric::EvaluationRate, &may, d("2026-06-12")), Tally { numerator: 0, denominator: 1 });
        f.category = Category::Accusation;
        assert_eq!(f.tally(Metric::ResolutionRate, &june, today), Tally::default());
    }

    #[test]
    fn attribution_by_metric() {
        let f = facts();
        assert!(f.counts_for(Metric::RepeatPetitionRate, |u| u == 1));
        assert!(!f.counts_for(Metric::RepeatPetitionRate, |u| u == 2));
        assert!(f.counts_for(Metric::OnTimeAcceptanceRate, |u| u == 2));
        assert!(f.counts_for(Metric::OnTimeAcceptanceRate, |u| u == 1));
        assert!(!f.counts_for(Metric::SatisfactionRate, |u| u == 1));
    }

    #[test]
    fn periods_before_and_a_year_back() {
        let p = Period::new(d("2026-03-01"), d("2026-03-31"));
        assert_eq!(p.previous(), Period::new(d("2026-01-29"), d("2026-02-28")));
        assert_eq!(p.year_earlier(), Period::new(d("2025-03-01"), d("2025-03-31")));
        let q = Period::new(d("2025-12-15"), d("2026-02-10"));
        let m = q.months();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0], Period::new(d("2025-12-15"), d("2025-12-31")));
        assert_eq!(m[1], Period::new(d("2026-01-01"), d("2026-01-31")));
        assert_eq!(m[2], Period::new(d("2026-02-01"), d("2026-02-10")));
    }
}
