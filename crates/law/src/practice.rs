//! The daily self-test: which questions to ask, and when a question comes
//! back (spaced repetition, Leitner boxes).
//!
//! A question answered wrongly goes to box 0 and is due the next day; a
//! right answer moves it up one box, due after 1, 3, 7, 14 or 30 days. A
//! self-test asks first what is due (wrongly answered first, oldest due
//! first), then questions never answered, then the rest, each group in an
//! order fixed by the person and the day (the same page reloaded asks the
//! same questions).

use chrono::{Duration, NaiveDate};

/// Questions in one daily self-test.
pub const DAILY: usize = 5;
const INTERVALS: [i64; 5] = [1, 3, 7, 14, 30];
pub const TOP_BOX: u8 = 4;

/// One person's state for one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub question: String,
    pub boxed: u8,
    pub due: NaiveDate,
}

/// The state after answering on `today`.
pub fn after_answer(previous: Option<u8>, right: bool, today: NaiveDate) -> (u8, NaiveDate) {
    let boxed = if right { previous.map_or(1, |b| b.saturating_add(1).min(TOP_BOX)) } else { 0 };
    let days = if right { INTERVALS[usize::from(boxed)] } else { 1 };
    (boxed, today + Duration::days(days))
}

/// A small deterministic generator (SplitMix64): papers and self-tests are
/// reproducible from their seed, and no dependency is needed for it.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// A seed from text (FNV-1a), e.g. "user 7 on 2026-12-01".
pub fn seed(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The ids to ask today, at most `n`, from `all` (the bank's ids) and the
/// person's `reviews`.
pub fn pick(all: &[&str], reviews: &[Review], today: NaiveDate, n: usize, seed_value: u64) -> Vec<String> {
    let mut rng = Rng::new(seed_value);
    let state = |id: &str| reviews.iter().find(|r| r.question == id);
    let mut due: Vec<&Review> = reviews.iter().filter(|r| r.due <= today && all.contains(&r.question.as_str())).collect();
    due.sort_by(|a, b| a.boxed.cmp(&b.boxed).then(a.due.cmp(&b.due)).then(a.question.cmp(&b.question)));
    let mut out: Vec<String> = due.iter().take(n).map(|r| r.question.clone()).collect();
    let mut unseen: Vec<&str> = all.iter().copied().filter(|id| state(id).is_none()).collect();
    rng.shuffle(&mut unseen);
    out.extend(unseen.into_iter().take(n.saturating_sub(out.len())).map(str::to_string));
    if out.len() < n {
        let mut rest: Vec<&Review> = reviews.iter().filter(|r| r.due > today && all.contains(&r.question.as_str())).collect();
        rest.sort_by(|a, b| a.due.cmp(&b.due).then(a.question.cmp(&b.question)));
        out.extend(rest.into_iter().take(n - out.len()).map(|r| r.question.clone()));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_wrong_answer_comes_back_tomorrow_and_right_ones_space_out() {
        let today = d("2026-12-01");
        assert_eq!(after_answer(None, false, today), (0, d("2026-12-02")));
        assert_eq!(after_answer(None, true, today), (1, d("2026-12-04")));
        assert_eq!(after_answer(Some(1), true, today), (2, d("2026-12-08")));
        assert_eq!(after_answer(Some(4), true, today), (4, d("2026-12-31")));
        assert_eq!(after_answer(Some(3), false, today), (0, d("2026-12-02")));
    }

    #[test]
    fn due_questions_first_then_unseen_then_the_rest() {
        let all = ["q1", "q2", "q3", "q4", "q5", "q6", "q7"];
        let today = d("2026-12-01");
        let reviews = vec![
            Review { question: "q3".into(), boxed: 2, due: d("2026-11-30") },
            Review { question: "q5".into(), boxed: 0, due: d("2026-12-01") },
            Review { question: "q6".into(), boxed: 3, due: d("2026-12-20") },
            Review { question: "q7".into(), boxed: 1, due: d("2026-12-03") },
        ];
        let picked = pick(&all, &reviews, today, 5, 42);
        assert_eq!(&picked[..2], &["q5".to_string(), "q3".to_string()], "the wrongly answered one first");
        let mut unseen = picked[2..5].to_vec();
        unseen.sort();
        assert_eq!(unseen, vec!["q1", "q2", "q4"]);
        assert_eq!(pick(&all, &reviews, today, 5, 42), picked, "the same seed, the same questions");
        let more = pick(&all, &reviews, today, 7, 1);
        assert_eq!(&more[5..], &["q7".to_string(), "q6".to_string()]);
    }
}
