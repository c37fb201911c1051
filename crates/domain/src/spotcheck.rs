//! Spot checks of handled petitions (网上抽查, issue 12 item 6): which
//! petitions a check samples, the checklist each is scored on, what the
//! record already says about each point, and the pass rate (抽查合格率).
//! Pure; the store finds the candidates and keeps the scores.

use crate::error::{DomainError, Rule};

/// How a check picks its petitions from those handled in the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleRule {
    /// N at random per handling unit.
    RandomPerUnit(u32),
    /// Every petition handled late (a duty timer met after its due date).
    AllOverdue,
}

impl SampleRule {
    pub fn parse(rule: &str, n: Option<u32>) -> Result<SampleRule, DomainError> {
        match (rule, n) {
            ("random_per_unit", Some(n)) if (1..=50).contains(&n) => Ok(SampleRule::RandomPerUnit(n)),
            ("random_per_unit", _) => Err(DomainError::invalid(Rule::Input, "invalid_n", "每个单位抽查件数应为1至50").at("n")),
            ("all_overdue", _) => Ok(SampleRule::AllOverdue),
            _ => Err(DomainError::invalid(
                Rule::Input,
                "invalid_rule",
                "抽查规则应为每单位随机抽取（random_per_unit）或全部超期件（all_overdue）",
            )
            .at("rule")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SampleRule::RandomPerUnit(_) => "random_per_unit",
            SampleRule::AllOverdue => "all_overdue",
        }
    }
}

/// The checklist: (code, label).
pub const CHECKLIST: &[(&str, &str)] = &[
    ("procedure_ok", "程序规范"),
    ("notice_on_time", "按期告知"),
    ("letter_complete", "文书要素齐全"),
    ("evaluation_obtained", "已取得评价"),
];

/// What the record says about a sampled petition, before anyone looks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordFacts {
    /// The written notice (T2/T3) was met by its due date; None if none was owed.
    pub notice_on_time: Option<bool>,
    /// A decision letter or reply was issued with every required part.
    pub letter_complete: bool,
    /// The petitioner evaluated the outcome.
    pub evaluated: bool,
    /// Every duty timer was met by its due date.
    pub all_timers_met: bool,
}

impl RecordFacts {
    /// The checklist as the record suggests it: the checker confirms or
    /// corrects each point (procedure is the checker's own judgment; the
    /// record can only say whether every timer was kept).
    pub fn suggestion(&self) -> [Option<bool>; 4] {
        [Some(self.all_timers_met), Some(self.notice_on_time.unwrap_or(true)), Some(self.letter_complete), Some(self.evaluated)]
    }
}

/// A petition passes when every point of the checklist is met.
pub fn passed(scores: &[Option<bool>; 4]) -> Option<bool> {
    if scores.iter().any(Option::is_none) { None } else { Some(scores.iter().all(|s| *s == Some(true))) }
}

/// 抽查合格率: passed ÷ scored (None while nothing is scored).
pub fn pass_rate(items: &[Option<bool>]) -> (i64, i64, Option<f64>) {
    let scored = items.iter().filter(|p| p.is_some()).count() as i64;
    let ok = items.iter().filter(|p| **p == Some(true)).count() as i64;
    (ok, scored, (scored > 0).then(|| ok as f64 / scored as f64))
}

/// Pick `n` of `ids` at random but reproducibly from `seed` (the check's
/// own number), so that a check can be re-derived and audited.
pub fn sample(ids: &[i64], n: usize, seed: u64) -> Vec<i64> {
    // A small xorshift: reproducible across platforms and versions.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut pool: Vec<i64> = ids.to_vec();
    pool.sort_unstable();
    let mut out = Vec::with_capacity(n.min(pool.len()));
    while out.len() < n && !pool.is_empty() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let i = (state % pool.len() as u64) as usize;
        out.push(pool.swap_remove(i));
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_with_their_limits() {
        assert_eq!(SampleRule::parse("random_per_unit", Some(3)).expect("ok"), SampleRule::RandomPerUnit(3));
        assert_eq!(SampleRule::parse("random_per_unit", Some(0)).expect_err("zero").field, Some("n"));
        assert_eq!(SampleRule::parse("all_overdue", None).expect("ok"), SampleRule::AllOverdue);
        assert_eq!(SampleRule::parse("whatever", None).expect_err("rule").field, Some("rule"));
    }

    #[test]
    fn sampling_is_reproducible_distinct_and_bounded() {
        let ids: Vec<i64> = (1..=40).collect();
        let a = sample(&ids, 5, 7);
        assert_eq!(a, sample(&ids, 5, 7), "same seed, same sample");
        assert_eq!(a.len(), 5);
        let mut d = a.clone();
        d.dedup();
        assert_eq!(d.len(), 5, "distinct");
        assert_ne!(a, sample(&ids, 5, 8));
        assert_eq!(sample(&ids[..3], 5, 1).len(), 3, "no more than there are");
    }

    #[test]
    fn a_petition_passes_only_on_every_point_and_the_rate_counts_scored_ones() {
        assert_eq!(passed(&[Some(true); 4]), Some(true));
        assert_eq!(passed(&[Some(true), Some(false), Some(true), Some(true)]), Some(false));
        assert_eq!(passed(&[Some(true), None, Some(true), Some(true)]), None);
        assert_eq!(pass_rate(&[Some(true), Some(false), None, Some(true)]), (2, 3, Some(2.0 / 3.0)));
        assert_eq!(pass_rate(&[None]).2, None);
        let facts = RecordFacts { notice_on_time: None, letter_complete: true, evaluated: false, all_timers_met: true };
        assert_eq!(facts.suggestion(), [Some(true), Some(true), Some(true), Some(false)]);
    }
}
