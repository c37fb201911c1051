//! An exam's question mix and each person's randomised paper.
//!
//! An admin sets the mix as rows of (chapter or any, kind or any, count).
//! Every sitting draws its own paper: the rows are filled in order, each
//! with questions not drawn yet, in an order fixed by the seed (exam,
//! person, attempt), so two people rarely share a paper and a reload shows
//! the same one.

use crate::practice::Rng;
use crate::questions::{FULL, Kind, Question};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixRow {
    /// A chapter (1–6); None: any.
    #[serde(default)]
    pub chapter: Option<u16>,
    /// A kind; None: any.
    #[serde(default)]
    pub kind: Option<Kind>,
    pub count: u16,
}

/// Most questions on one paper.
pub const MAX_QUESTIONS: usize = 200;

/// Whether the bank can fill the mix (the same check as `draw`, without a
/// seed: the rows' demands against what each can take).
pub fn check_mix(bank: &[Question], mix: &[MixRow]) -> Result<usize, String> {
    if mix.is_empty() {
        return Err("至少设置一类题目".into());
    }
    let total: usize = mix.iter().map(|r| usize::from(r.count)).sum();
    if total == 0 || total > MAX_QUESTIONS {
        return Err(format!("题目总数应在1至{MAX_QUESTIONS}之间"));
    }
    for r in mix {
        if let Some(c) = r.chapter
            && crate::library().chapter(c).is_none()
        {
            return Err(format!("没有第{c}章"));
        }
    }
    // `draw` fills rows greedily; a narrow row can be starved by a broad
    // one under some orders. A mix is accepted when every one of a range of
    // seeds fills it (and `draw_any` retries the same range).
    let mut n = 0;
    for seed in 0..CHECK_SEEDS {
        n = draw(bank, mix, seed)?.len();
    }
    Ok(n)
}

const CHECK_SEEDS: u64 = 32;

/// `draw`, retried with neighbouring seeds should a greedy order starve a row.
pub fn draw_any(bank: &[Question], mix: &[MixRow], seed: u64) -> Result<Vec<String>, String> {
    let mut last = Err(String::new());
    for i in 0..CHECK_SEEDS {
        last = draw(bank, mix, seed.wrapping_add(i));
        if last.is_ok() {
            break;
        }
    }
    last
}

/// The question ids of one paper.
pub fn draw(bank: &[Question], mix: &[MixRow], seed: u64) -> Result<Vec<String>, String> {
    let mut rng = Rng::new(seed);
    let mut taken: Vec<String> = Vec::new();
    // Rows naming both a chapter and a kind draw first, then rows naming
    // one, then "any": a broad row must not eat what a narrow one needs.
    let mut rows: Vec<&MixRow> = mix.iter().collect();
    rows.sort_by_key(|r| 2 - u8::from(r.chapter.is_some()) - u8::from(r.kind.is_some()));
    for r in rows {
        let mut pool: Vec<&Question> = bank
            .iter()
            .filter(|q| r.chapter.is_none_or(|c| q.chapter() == c) && r.kind.is_none_or(|k| q.kind == k) && !taken.contains(&q.id))
            .collect();
        if pool.len() < usize::from(r.count) {
            let what = format!(
                "{}{}",
                r.chapter.map(|c| format!("第{}章", crate::cn_number(c))).unwrap_or_default(),
                r.kind.map_or("题目", |k| k.label())
            );
            return Err(format!("{what}只有{}道，不够{}道", pool.len(), r.count));
        }
        rng.shuffle(&mut pool);
        taken.extend(pool.into_iter().take(usize::from(r.count)).map(|q| q.id.clone()));
    }
    rng.shuffle(&mut taken);
    Ok(taken)
}

/// Score as a percentage of full marks (halves earned over halves
/// possible), rounded down: 59.9 does not pass a mark of 60.
pub fn percent(halves: u32, questions: usize) -> u32 {
    let full = FULL * questions as u32;
    (halves * 100).checked_div(full).unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::questions::bank;

    #[test]
    fn papers_follow_the_mix_differ_by_person_and_repeat_by_seed() {
        let mix = vec![
            MixRow { chapter: Some(4), kind: Some(Kind::Single), count: 3 },
            MixRow { chapter: None, kind: Some(Kind::Judge), count: 4 },
            MixRow { chapter: Some(3), kind: None, count: 3 },
        ];
        let a = draw(bank(), &mix, 1).unwrap();
        let b = draw(bank(), &mix, 2).unwrap();
        assert_eq!(a.len(), 10);
        assert_ne!(a, b);
        assert_eq!(draw(bank(), &mix, 1).unwrap(), a);
        let qs: Vec<&Question> = a.iter().map(|id| crate::questions::question(id).unwrap()).collect();
        assert!(qs.iter().filter(|q| q.kind == Kind::Judge).count() >= 4);
        assert!(qs.iter().filter(|q| q.chapter() == 3).count() >= 3);
        let mut ids = a.clone();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 10, "no question twice");
        assert!(check_mix(bank(), &[MixRow { chapter: Some(6), kind: None, count: 150 }]).is_err());
        assert!(check_mix(bank(), &[MixRow { chapter: Some(9), kind: None, count: 1 }]).is_err());
        assert_eq!(percent(119, 100), 59);
        assert_eq!(percent(120, 100), 60);
    }
}
