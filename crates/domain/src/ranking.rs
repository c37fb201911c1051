//! The monthly ranking of the areas under a petition bureau and the
//! three-colour warnings (三色预警、三函联办, issue 12 item 5; docs/metrics.md
//! "Ranking").
//!
//! Each area (a county under a city bureau, a city under the province's) is
//! scored on a weighted mean of the metrics of `crate::metrics` over the
//! petitions of every unit in the area; the last three get a red, yellow
//! and blue warning, each with its letter (督办函 / 交办函 / 提醒函) and a
//! rectification to report on. Pure: the store and the web layer read the
//! figures and keep what was decided.

use crate::calendar::HolidayCalendar;
use crate::deadline::{CountingPolicy, DayUnit};
use crate::metrics::{Metric, Tally};
use crate::petition::SupervisionLetter;
use chrono::NaiveDate;
use serde::Serialize;

/// How much each metric weighs in the score. The weights are relative: the
/// score divides by the sum of the weights of the metrics that have data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights(pub Vec<(Metric, f64)>);

/// The weights when a deployment sets none: timeliness and satisfaction
/// first, as the Yongzhou and Dalian reports rank them; 一次性化解率 is
/// left at 0 (it is inside 化解率 already).
pub const DEFAULT_WEIGHTS: &str = "on_time_acceptance_rate=20,on_time_conclusion_rate=25,satisfaction_rate=20,evaluation_rate=10,resolution_rate=15,repeat_petition_rate=10";

/// The most areas one ranking names warnings for.
pub const WARNED: usize = 3;

impl Weights {
    /// Reads `metric=weight,metric=weight…` (metric by its glossary name).
    /// Weights are numbers from 0 to 100; at least one must be above 0.
    pub fn parse(s: &str) -> Result<Weights, String> {
        let mut out: Vec<(Metric, f64)> = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, w) = part.split_once('=').ok_or_else(|| format!("“{part}”应写成 指标=权重"))?;
            let metric = Metric::parse(name.trim()).ok_or_else(|| format!("没有指标“{}”", name.trim()))?;
            let w: f64 = w.trim().parse().map_err(|_| format!("{}的权重“{}”不是数字", metric.label(), w.trim()))?;
            if !(0.0..=100.0).contains(&w) || !w.is_finite() {
                return Err(format!("{}的权重须在0到100之间", metric.label()));
            }
            if out.iter().any(|(m, _)| *m == metric) {
                return Err(format!("{}的权重写了两次", metric.label()));
            }
            out.push((metric, w));
        }
        if !out.iter().any(|(_, w)| *w > 0.0) {
            return Err("至少一项指标的权重须大于0".into());
        }
        out.sort_by_key(|(m, _)| *m);
        Ok(Weights(out))
    }

    pub fn default_weights() -> Weights {
        Weights::parse(DEFAULT_WEIGHTS).unwrap_or(Weights(vec![(Metric::OnTimeConclusionRate, 1.0)]))
    }

    /// The canonical text (kept with each ranking, so that it can be redone).
    pub fn as_text(&self) -> String {
        self.0.iter().map(|(m, w)| format!("{}={}", m.as_str(), w)).collect::<Vec<_>>().join(",")
    }

    pub fn get(&self, m: Metric) -> f64 {
        self.0.iter().find(|(x, _)| *x == m).map_or(0.0, |(_, w)| *w)
    }
}

/// Whether a higher value is better. 重复信访率 is the one where it is not:
/// its score is 1 − value.
pub fn higher_is_better(m: Metric) -> bool {
    m != Metric::RepeatPetitionRate
}

/// The score of an area, 0–100: Σ weight × (value, or 1 − value for
/// 重复信访率) ÷ Σ weight, over the weighted metrics whose denominator is
/// not 0. None when no weighted metric has data: such an area is listed
/// but not ranked (nothing to judge it on).
pub fn score(tallies: &[(Metric, Tally)], weights: &Weights) -> Option<f64> {
    let (mut sum, mut total) = (0.0, 0.0);
    for (m, t) in tallies {
        let w = weights.get(*m);
        let Some(v) = t.value() else { continue };
        if w <= 0.0 {
            continue;
        }
        sum += w * if higher_is_better(*m) { v } else { 1.0 - v };
        total += w;
    }
    (total > 0.0).then(|| 100.0 * sum / total)
}

/// The three colours, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    Red,
    Yellow,
    Blue,
}

impl Warning {
    pub const ALL: [Warning; 3] = [Warning::Red, Warning::Yellow, Warning::Blue];

    pub fn as_str(self) -> &'static str {
        match self {
            Warning::Red => "red",
            Warning::Yellow => "yellow",
            Warning::Blue => "blue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Warning::Red => "红色预警",
            Warning::Yellow => "黄色预警",
            Warning::Blue => "蓝色预警",
        }
    }

    pub fn parse(s: &str) -> Option<Warning> {
        Warning::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// The letter that goes with it (三函联办): red a 督办函, yellow a
    /// 交办函, blue a 提醒函.
    pub fn letter(self) -> SupervisionLetter {
        match self {
            Warning::Red => SupervisionLetter::Supervision,
            Warning::Yellow => SupervisionLetter::Assignment,
            Warning::Blue => SupervisionLetter::Reminder,
        }
    }

    /// What the area is asked to do, by colour.
    pub fn requirement(self) -> &'static str {
        match self {
            Warning::Red => "请你地区主要负责同志专题研究，逐项分析原因，制定整改措施，限期整改到位，并将整改情况书面报告。",
            Warning::Yellow => "请你地区分管负责同志牵头，对排名靠后的指标逐项交办落实，限期整改，并将整改情况书面报告。",
            Warning::Blue => "请你地区高度重视，查找工作薄弱环节，及时改进，并将改进情况书面报告。",
        }
    }
}

/// One area's place in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Placed {
    /// Index into the input.
    pub index: usize,
    pub score: Option<f64>,
    /// 1 for the best; equal scores share a place (1, 2, 2, 4 …); None
    /// when not ranked (no figures, or fewer than the minimum of cases).
    pub rank: Option<usize>,
    pub warning: Option<Warning>,
    /// Ranked, or why not.
    pub unranked: Option<Unranked>,
}

/// Why an area is listed without a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unranked {
    /// No weighted metric has a case in the month.
    NoFigures,
    /// Fewer cases than the minimum (`ranking_min_cases`): a rate on a
    /// handful of cases says little, and a warning must rest on the record.
    TooFewCases,
}

impl Unranked {
    pub fn as_str(self) -> &'static str {
        match self {
            Unranked::NoFigures => "no_figures",
            Unranked::TooFewCases => "too_few_cases",
        }
    }

    pub fn parse(s: &str) -> Option<Unranked> {
        [Unranked::NoFigures, Unranked::TooFewCases].into_iter().find(|u| u.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Unranked::NoFigures => "本月无数据",
            Unranked::TooFewCases => "案件过少，不排名",
        }
    }
}

/// The default least number of cases (the sum of the denominators of the
/// weighted metrics) an area needs in the month to be ranked.
pub const MIN_CASES: u64 = 10;

/// How many cases an area's score rests on: the sum of the denominators
/// of the weighted metrics.
pub fn cases(tallies: &[(Metric, Tally)], weights: &Weights) -> u64 {
    tallies.iter().filter(|(m, _)| weights.get(*m) > 0.0).map(|(_, t)| t.denominator).sum()
}

/// Ranks the areas (each given by its metrics' tallies, in a fixed order —
/// by code — which orders equal scores). The best first; unranked areas
/// last. Places are shared by equal scores (to 1e-9). The warnings go to
/// the last three places counted from the bottom — red for the last place,
/// yellow for the one above, blue for the third — to every area holding
/// such a place, with two limits: never to an area whose score equals the
/// best one (nobody is warned for doing as well as the best), and never to
/// all ranked areas (so a ranking of one warns nobody).
pub fn rank(areas: &[Vec<(Metric, Tally)>], weights: &Weights, min_cases: u64) -> Vec<Placed> {
    let mut placed: Vec<Placed> = areas
        .iter()
        .enumerate()
        .map(|(index, t)| {
            let score = score(t, weights);
            let unranked = match score {
                None => Some(Unranked::NoFigures),
                Some(_) if cases(t, weights) < min_cases => Some(Unranked::TooFewCases),
                Some(_) => None,
            };
            Placed { index, score, rank: None, warning: None, unranked }
        })
        .collect();
    let key = |p: &Placed| if p.unranked.is_none() { p.score.map(|s| (s * 1e9).round() as i64) } else { None };
    placed.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) => y.cmp(&x).then(a.index.cmp(&b.index)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.index.cmp(&b.index),
    });
    let ranked = placed.iter().filter(|p| key(p).is_some()).count();
    let keys: Vec<Option<i64>> = placed.iter().map(key).collect();
    let best = keys.first().copied().flatten();
    // Shared places: the place of the first area with the same score.
    for i in 0..ranked {
        let first = (0..=i).find(|j| keys[*j] == keys[i]).unwrap_or(i);
        placed[i].rank = Some(first + 1);
    }
    // The distinct places from the bottom: the last place is 1st from the bottom.
    let mut bottom: Vec<usize> = placed.iter().take(ranked).filter_map(|p| p.rank).collect();
    bottom.dedup();
    bottom.reverse();
    for i in 0..ranked {
        let Some(place) = placed[i].rank else { continue };
        if keys[i] == best || ranked < 2 {
            continue;
        }
        if let Some(k) = bottom.iter().position(|p| *p == place).filter(|k| *k < WARNED) {
            placed[i].warning = Some(Warning::ALL[k]);
        }
    }
    placed
}

/// Working days an area has to rectify after its warning (the default of
/// `ranking_rectify_days`).
pub const RECTIFY_WORKING_DAYS: u32 = 20;

/// The day a warned area's rectification is due: `days` working days after
/// `on` (the letter states it).
pub fn rectify_by(on: NaiveDate, days: u32, cal: &HolidayCalendar) -> NaiveDate {
    crate::deadline::compute_due(on, days, DayUnit::Working, &[], 0, CountingPolicy::StartExcludedRollForward, cal).due_on
}

/// A value as the letters print it: "87.5%", or "—" without data.
pub fn percent(t: &Tally) -> String {
    t.value().map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The weighted metrics on which an area did worst, worst first (by the
/// score each contributes), at most `n`: named in its letter and case.
pub fn weakest(tallies: &[(Metric, Tally)], weights: &Weights, n: usize) -> Vec<Metric> {
    let mut v: Vec<(Metric, f64)> = tallies
        .iter()
        .filter(|(m, _)| weights.get(*m) > 0.0)
        .filter_map(|(m, t)| t.value().map(|x| (*m, if higher_is_better(*m) { x } else { 1.0 - x })))
        // A metric already at its best is nothing to improve.
        .filter(|(_, s)| *s < 1.0 - 1e-12)
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    v.into_iter().take(n).map(|(m, _)| m).collect()
}

/// What a warning letter says: the fields of the `warning_letter`
/// template (docs/letters.md), its 文号 added when it is written.
pub struct WarningLetter<'a> {
    pub warning: Warning,
    pub issuer: &'a str,
    pub addressee: &'a str,
    pub area_name: &'a str,
    /// `YYYY-MM`.
    pub month: &'a str,
    pub rank: usize,
    pub ranked: usize,
    pub score: f64,
    pub tallies: &'a [(Metric, Tally)],
    pub weights: &'a Weights,
    pub issued_on: NaiveDate,
    pub reply_due: NaiveDate,
    pub rectify_by: NaiveDate,
}

/// "2026年10月" from "2026-10".
pub fn month_label(month: &str) -> String {
    match month.split_once('-') {
        Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
        None => month.to_string(),
    }
}

impl WarningLetter<'_> {
    /// The letter's kind title: 督办函 / 交办函 / 提醒函.
    pub fn title(&self) -> String {
        format!("信访工作{}", self.warning.letter().label())
    }

    /// The case's reason, one line.
    pub fn reason(&self) -> String {
        format!(
            "{}信访工作考核排名第{}名（共{}名，得分{:.2}），给予{}",
            month_label(self.month),
            self.rank,
            self.ranked,
            self.score,
            self.warning.label()
        )
    }

    /// The case's suggestions: the requirement and the weakest metrics.
    pub fn suggestions(&self) -> String {
        let weak: Vec<String> = weakest(self.tallies, self.weights, 3)
            .into_iter()
            .filter_map(|m| self.tallies.iter().find(|(x, _)| *x == m).map(|(_, t)| format!("{}{}", m.label(), percent(t))))
            .collect();
        if weak.is_empty() {
            self.warning.requirement().to_string()
        } else {
            format!("重点改进：{}。{}", weak.join("、"), self.warning.requirement())
        }
    }

    pub fn data(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = self
            .tallies
            .iter()
            .filter(|(m, _)| self.weights.get(*m) > 0.0)
            .map(|(m, t)| {
                serde_json::json!([
                    m.label(),
                    t.numerator.to_string(),
                    t.denominator.to_string(),
                    percent(t),
                    format!("{}", self.weights.get(*m))
                ])
            })
            .collect();
        serde_json::json!({
            "title": self.title(),
            "issuer": self.issuer,
            "issued_on": crate::letters::cn_date(self.issued_on),
            "addressee": self.addressee,
            "article": "《信访工作条例》第三十九条、第四十条",
            "area_name": self.area_name,
            "month": month_label(self.month),
            "rank": self.rank.to_string(),
            "ranked": self.ranked.to_string(),
            "score": format!("{:.2}", self.score),
            "warning": self.warning.label(),
            "metrics": rows,
            "suggestions": self.suggestions(),
            "reply_due_on": crate::letters::cn_date(self.reply_due),
            "rectify_by": crate::letters::cn_date(self.rectify_by),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(n: u64, d: u64) -> Tally {
        Tally { numerator: n, denominator: d }
    }

    fn area(conclusion: (u64, u64), repeat: (u64, u64)) -> Vec<(Metric, Tally)> {
        vec![(Metric::OnTimeConclusionRate, t(conclusion.0, conclusion.1)), (Metric::RepeatPetitionRate, t(repeat.0, repeat.1))]
    }

    #[test]
    fn weights_parse_check_and_round_trip() {
        let w = Weights::parse(DEFAULT_WEIGHTS).unwrap();
        assert_eq!(Weights::parse(&w.as_text()).unwrap(), w);
        assert!(Weights::parse("on_time_conclusion_rate=0").is_err());
        assert!(Weights::parse("nope=3").is_err());
        assert!(Weights::parse("satisfaction_rate=x").is_err());
        assert!(Weights::parse("satisfaction_rate=101").is_err());
        assert!(Weights::parse("satisfaction_rate=1,satisfaction_rate=2").is_err());
    }

    #[test]
    fn score_weighs_the_metrics_with_data_and_inverts_the_repeat_rate() {
        let w = Weights::parse("on_time_conclusion_rate=3,repeat_petition_rate=1").unwrap();
        // 3 × 0.5 + 1 × (1 − 0.25) = 2.25 over 4.
        let s = score(&area((1, 2), (1, 4)), &w).unwrap();
        assert!((s - 56.25).abs() < 1e-9, "{s}");
        // No repeats counted: the conclusion rate alone.
        let s = score(&area((1, 2), (0, 0)), &w).unwrap();
        assert!((s - 50.0).abs() < 1e-9, "{s}");
        assert_eq!(score(&area((0, 0), (0, 0)), &w), None);
    }

    #[test]
    fn the_last_three_get_red_yellow_blue_and_ties_share_a_place() {
        let w = Weights::parse("on_time_conclusion_rate=1").unwrap();
        let areas = vec![
            area((90, 100), (0, 0)),
            area((50, 100), (0, 0)),
            area((0, 0), (0, 0)),
            area((70, 100), (0, 0)),
            area((50, 100), (0, 0)),
            area((80, 100), (0, 0)),
            area((3, 4), (0, 0)),
        ];
        let r = rank(&areas, &w, MIN_CASES);
        let order: Vec<usize> = r.iter().map(|p| p.index).collect();
        assert_eq!(order, vec![0, 5, 3, 1, 4, 2, 6]);
        let ranks: Vec<Option<usize>> = r.iter().map(|p| p.rank).collect();
        assert_eq!(ranks, vec![Some(1), Some(2), Some(3), Some(4), Some(4), None, None], "equal scores share the 4th place");
        let warnings: Vec<Option<Warning>> = r.iter().map(|p| p.warning).collect();
        assert_eq!(warnings, vec![None, Some(Warning::Blue), Some(Warning::Yellow), Some(Warning::Red), Some(Warning::Red), None, None]);
        assert_eq!(r[5].unranked, Some(Unranked::NoFigures));
        assert_eq!(r[6].unranked, Some(Unranked::TooFewCases), "4 cases are too few");
    }

    #[test]
    fn nobody_is_warned_for_equalling_the_best() {
        let w = Weights::parse("on_time_conclusion_rate=1").unwrap();
        let perfect = vec![area((10, 10), (0, 0)); 6];
        let r = rank(&perfect, &w, MIN_CASES);
        assert!(r.iter().all(|p| p.rank == Some(1) && p.warning.is_none()), "{r:?}");
        let mixed = vec![area((10, 10), (0, 0)), area((10, 10), (0, 0)), area((9, 10), (0, 0))];
        let r = rank(&mixed, &w, MIN_CASES);
        assert_eq!(r.iter().map(|p| p.warning).collect::<Vec<_>>(), vec![None, None, Some(Warning::Red)]);
    }

    #[test]
    fn small_rankings_never_warn_everyone() {
        let w = Weights::parse("on_time_conclusion_rate=1").unwrap();
        let two = vec![area((90, 100), (0, 0)), area((50, 100), (0, 0))];
        let r = rank(&two, &w, MIN_CASES);
        assert_eq!(r.iter().map(|p| p.warning).collect::<Vec<_>>(), vec![None, Some(Warning::Red)]);
        let one = vec![area((50, 100), (0, 0))];
        assert_eq!(rank(&one, &w, MIN_CASES)[0].warning, None);
        let three = vec![area((90, 100), (0, 0)), area((50, 100), (0, 0)), area((10, 100), (0, 0))];
        let r = rank(&three, &w, MIN_CASES);
        assert_eq!(r.iter().map(|p| p.warning).collect::<Vec<_>>(), vec![None, Some(Warning::Yellow), Some(Warning::Red)]);
    }

    #[test]
    fn a_metric_at_its_best_is_not_named_to_improve() {
        let w = Weights::parse("on_time_conclusion_rate=1,repeat_petition_rate=1").unwrap();
        assert_eq!(weakest(&area((8, 10), (0, 5)), &w, 3), vec![Metric::OnTimeConclusionRate]);
        assert!(weakest(&area((10, 10), (0, 5)), &w, 3).is_empty());
    }
}
