//! Participation figures (参学率, 参考率, 通过率) and the weakest
//! articles, from raw rows.
//!
//! Definitions (docs/learning.md):
//! * 参学率 = staff who answered at least one practice question (daily
//!   self-test or monthly contest) in the period ÷ staff of the unit;
//! * 参考率 = people who submitted a paper of an exam they were required
//!   to sit ÷ people required (exams whose window overlaps the period);
//! * 通过率 = people whose best paper passed ÷ people who sat;
//! * average score = mean of each sitter's best percentage.
//!
//! Rates are kept as numerator and denominator; `rate` gives a percentage
//! with one decimal, None when the denominator is zero.

use serde::Serialize;
use std::collections::BTreeMap;

/// One person's raw facts for the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Person {
    pub practised: bool,
    pub required: bool,
    pub sat: bool,
    pub passed: bool,
    /// Best percentage over the exams sat (only when `sat`).
    pub best: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub staff: u32,
    pub practised: u32,
    pub required: u32,
    pub sat: u32,
    pub passed: u32,
    pub study_rate: Option<f64>,
    pub exam_rate: Option<f64>,
    pub pass_rate: Option<f64>,
    pub average_score: Option<f64>,
}

pub fn rate(num: u32, den: u32) -> Option<f64> {
    (den > 0).then(|| (f64::from(num) * 1000.0 / f64::from(den)).round() / 10.0)
}

pub fn figures<'a>(people: impl IntoIterator<Item = &'a Person>) -> Figures {
    let mut f = Figures::default();
    let mut score_sum = 0u64;
    for p in people {
        f.staff += 1;
        f.practised += u32::from(p.practised);
        f.required += u32::from(p.required);
        // Sitting counts only for an exam one was required to sit.
        let sat = p.required && p.sat;
        f.sat += u32::from(sat);
        f.passed += u32::from(sat && p.passed);
        if sat {
            score_sum += u64::from(p.best.unwrap_or(0));
        }
    }
    f.study_rate = rate(f.practised, f.staff);
    f.exam_rate = rate(f.sat, f.required);
    f.pass_rate = rate(f.passed, f.sat);
    f.average_score = (f.sat > 0).then(|| (score_sum as f64 * 10.0 / f64::from(f.sat)).round() / 10.0);
    f
}

/// An article most often missed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weak {
    pub article: u16,
    pub answers: u32,
    pub missed: u32,
    pub miss_rate: f64,
}

/// From (question id, answers, answers not fully right) tallies: articles
/// by share of answers not fully right, at least `min_answers` answers
/// each, worst first, at most `top`.
pub fn weakest(tallies: &[(String, u32, u32)], min_answers: u32, top: usize) -> Vec<Weak> {
    let mut by: BTreeMap<u16, (u32, u32)> = BTreeMap::new();
    for (id, n, missed) in tallies {
        let Some(q) = crate::questions::question(id) else { continue };
        for a in &q.articles {
            let e = by.entry(*a).or_default();
            e.0 = e.0.saturating_add(*n);
            e.1 = e.1.saturating_add(*missed);
        }
    }
    let mut out: Vec<Weak> = by
        .into_iter()
        .filter(|(_, (n, m))| *n >= min_answers && *m > 0)
        .map(|(article, (answers, missed))| Weak { article, answers, missed, miss_rate: rate(missed, answers).unwrap_or(0.0) })
        .collect();
    out.sort_by(|a, b| b.miss_rate.total_cmp(&a.miss_rate).then(b.missed.cmp(&a.missed)).then(a.article.cmp(&b.article)));
    out.truncate(top);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_definitions() {
        let p = |practised, required, sat, passed, best| Person { practised, required, sat, passed, best };
        let people = vec![
            p(true, true, true, true, Some(90)),
            p(true, true, true, false, Some(50)),
            p(false, true, false, false, None),
            p(true, false, true, true, Some(100)), // sat an exam not required of them: not counted
        ];
        let f = figures(&people);
        assert_eq!((f.staff, f.practised, f.required, f.sat, f.passed), (4, 3, 3, 2, 1));
        assert_eq!(f.study_rate, Some(75.0));
        assert_eq!(f.exam_rate, Some(66.7));
        assert_eq!(f.pass_rate, Some(50.0));
        assert_eq!(f.average_score, Some(70.0));
        assert_eq!(figures(&[]).study_rate, None);
    }
}
