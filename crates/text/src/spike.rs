//! Hot spots (苗头性、倾向性问题): is this week's count of petitions on a
//! topic in an area unusually high for that area?
//!
//! Each cell (topic × area) is tested against its own history, because a
//! township of 80,000 people and a city district of a million have very
//! different normal weeks. Petition counts are counts of rare independent
//! events, so the test is a Poisson upper tail — the probability of seeing
//! at least this many if the week were ordinary — computed exactly. A
//! minimum count keeps a quiet village's jump from 0 to 2 off the
//! supervisor's list, however improbable it is.
//!
//! Known limit: petitions come in clusters (one group, many letters), so
//! real counts vary more than Poisson allows and the p-value is then too
//! small. The z-score uses the larger of the Poisson spread and the
//! history's own spread, so a bursty cell shows a modest z beside a tiny
//! p; group repeats are better counted once (as 初件) before testing.

use serde::{Deserialize, Serialize};

/// The expected count when the history has no petition at all: half a
/// petition spread over the weeks seen (plus one), so that an empty or
/// all-zero history still gives a finite, small expectation — the longer
/// the quiet, the smaller — instead of a division by zero.
pub const EMPTY_HISTORY_EVENTS: f64 = 0.5;

/// The test's result for one cell's week.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// Expected weekly count: the history's mean (see
    /// [`EMPTY_HISTORY_EVENTS`] for an all-zero history).
    pub expected: f64,
    pub observed: u32,
    /// P(X ≥ observed) for X ~ Poisson(expected).
    pub p_value: f64,
    /// (observed − expected) / spread, the spread being the larger of
    /// √expected and the history's standard deviation.
    pub z: f64,
}

impl Spike {
    /// The statistics of this week against the history (weekly counts,
    /// any order), spike or not — for a dashboard that shows every cell.
    pub fn measure(history: &[u32], current: u32) -> Spike {
        let n = history.len() as f64;
        let sum: f64 = history.iter().map(|&c| f64::from(c)).sum();
        let expected = if sum > 0.0 { sum / n } else { EMPTY_HISTORY_EVENTS / (n + 1.0) };
        let sd = if history.len() > 1 {
            let mean = sum / n;
            (history.iter().map(|&c| (f64::from(c) - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let spread = expected.sqrt().max(sd);
        Spike { expected, observed: current, p_value: poisson_upper_tail(expected, current), z: (f64::from(current) - expected) / spread }
    }

    /// A spike: at least `min_count` petitions this week, more than
    /// expected, and a p-value at most `alpha` (in (0, 1); 0.01 is a
    /// reasonable start for a weekly list over many cells). `None` when
    /// the week is not a spike.
    pub fn test(history: &[u32], current: u32, min_count: u32, alpha: f64) -> Option<Spike> {
        if current < min_count || alpha.is_nan() || alpha <= 0.0 {
            return None;
        }
        let s = Spike::measure(history, current);
        (f64::from(current) > s.expected && s.p_value <= alpha).then_some(s)
    }
}

/// ln(k!): summed exactly for small k, Stirling's series (error below
/// 1e-15 relative there) for large k.
fn ln_factorial(k: u32) -> f64 {
    if k <= 256 {
        return (2..=k).map(|i| f64::from(i).ln()).sum();
    }
    let x = f64::from(k);
    x * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI * x).ln() + 1.0 / (12.0 * x) - 1.0 / (360.0 * x.powi(3)) + 1.0 / (1260.0 * x.powi(5))
}

/// P(X ≥ k) for X ~ Poisson(λ), summed term by term from the side where
/// the terms shrink, so it is accurate in the far tail (where
/// `1 − P(X < k)` would lose every digit) and needs no statistics crate.
/// `λ ≤ 0` (or NaN) puts all mass at 0.
pub fn poisson_upper_tail(lambda: f64, k: u32) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda.is_nan() || lambda <= 0.0 {
        return 0.0;
    }
    let kf = f64::from(k);
    let log_pmf = |i: u32| -lambda + f64::from(i) * lambda.ln() - ln_factorial(i);
    if kf > lambda {
        // Σ_{i ≥ k} pmf(i): terms fall from the start.
        let mut term = log_pmf(k).exp();
        let mut sum = 0.0;
        let mut i = kf;
        for _ in 0..1_000_000 {
            sum += term;
            i += 1.0;
            term *= lambda / i;
            if term <= sum * 1e-17 {
                break;
            }
        }
        sum.min(1.0)
    } else {
        // 1 − Σ_{i < k} pmf(i), summed downward from k − 1 where the terms
        // are largest.
        let mut term = log_pmf(k - 1).exp();
        let mut sum = 0.0;
        let mut i = kf - 1.0;
        loop {
            sum += term;
            if i < 1.0 || term < sum * 1e-17 {
                break;
            }
            term *= i / lambda;
            i -= 1.0;
        }
        (1.0 - sum).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn poisson_tail_matches_hand_computed_values() {
        // 1 − e^-1; 1 − 7e^-2; and reference sums of the pmf.
        assert!(close(poisson_upper_tail(1.0, 1), 1.0 - (-1f64).exp(), 1e-12));
        assert!(close(poisson_upper_tail(2.0, 5), 1.0 - 7.0 * (-2f64).exp(), 1e-12));
        assert!(close(poisson_upper_tail(10.0, 20), 0.003_454_341_975_856_83, 1e-9));
        assert!(close(poisson_upper_tail(3.25, 15), 1.767_430_185_659_412_5e-6, 1e-9));
        assert!(close(poisson_upper_tail(3.25, 5), 0.228_346_563_442_684_45, 1e-9));
        assert!(close(poisson_upper_tail(1000.0, 1100), 0.000_962_630_405_866_280_4, 1e-8));
        assert!(close(poisson_upper_tail(1000.0, 950), 0.945_793_326_110_996, 1e-9));
        assert_eq!(poisson_upper_tail(5.0, 0), 1.0);
        assert_eq!(poisson_upper_tail(0.0, 1), 0.0);
        assert_eq!(poisson_upper_tail(f64::NAN, 3), 0.0);
        // Far tail: tiny but positive, not 0 from cancellation.
        let far = poisson_upper_tail(2.0, 60);
        assert!(far > 0.0 && far < 1e-50, "{far}");
        // Monotone in k.
        let tails: Vec<f64> = (0..30).map(|k| poisson_upper_tail(4.0, k)).collect();
        assert!(tails.windows(2).all(|w| w[0] >= w[1]), "{tails:?}");
    }

    #[test]
    fn ln_factorial_is_continuous_across_the_switch() {
        let exact: f64 = (2..=300u32).map(|i| f64::from(i).ln()).sum();
        assert!(close(ln_factorial(300), exact, 1e-13));
        assert!(close(ln_factorial(257), (2..=257u32).map(|i| f64::from(i).ln()).sum(), 1e-13));
        assert_eq!(ln_factorial(0), 0.0);
        assert_eq!(ln_factorial(1), 0.0);
    }

    const HISTORY: [u32; 12] = [3, 4, 2, 5, 3, 4, 3, 2, 4, 3, 5, 1];

    #[test]
    fn a_clear_spike_is_found() {
        let s = Spike::test(&HISTORY, 15, 5, 0.01).expect("15 against about 3 a week");
        assert!(close(s.expected, 3.25, 1e-12), "{s:?}");
        assert_eq!(s.observed, 15);
        assert!(close(s.p_value, 1.767_430_185_659_412_5e-6, 1e-9), "{s:?}");
        assert!(s.z > 5.0, "{s:?}");
    }

    #[test]
    fn a_normal_week_is_not_a_spike() {
        assert!(Spike::test(&HISTORY, 5, 5, 0.01).is_none());
        assert!(Spike::test(&HISTORY, 3, 0, 0.01).is_none());
        let m = Spike::measure(&HISTORY, 5);
        assert!(close(m.p_value, 0.228_346_563_442_684_45, 1e-9) && m.z < 1.5, "{m:?}");
        // Fewer than expected is never a spike, whatever alpha.
        assert!(Spike::test(&HISTORY, 0, 0, 1.0).is_none());
    }

    #[test]
    fn a_count_below_the_minimum_is_not_a_spike() {
        let quiet = [0, 0, 1, 0, 0, 0, 0, 1];
        assert!(Spike::test(&quiet, 4, 5, 0.01).is_none(), "improbable but too few");
        let s = Spike::test(&quiet, 4, 3, 0.01).expect("allowed at a lower minimum");
        assert!(s.p_value < 0.001, "{s:?}");
    }

    #[test]
    fn empty_and_all_zero_histories_are_handled() {
        let new = Spike::test(&[], 6, 5, 0.01).expect("a new area with six at once");
        assert_eq!(new.expected, 0.5);
        assert!(new.z.is_finite() && new.p_value > 0.0);
        let zeros = [0; 10];
        let m = Spike::measure(&zeros, 1);
        assert!(close(m.expected, 0.5 / 11.0, 1e-12) && m.p_value > 0.01, "one petition: {m:?}");
        assert!(Spike::test(&zeros, 1, 1, 0.01).is_none());
        assert!(Spike::test(&zeros, 2, 1, 0.01).is_some());
        assert!(Spike::test(&zeros, 2, 1, 0.0).is_none(), "alpha 0 never fires");
        assert!(Spike::test(&zeros, 2, 1, f64::NAN).is_none());
    }

    #[test]
    fn bursty_history_tempers_the_z_score() {
        let bursty = [0, 12, 0, 1, 15, 0, 2, 0, 10, 0];
        let m = Spike::measure(&bursty, 15);
        assert!(m.z < 2.5, "spread of the history, not √λ: {m:?}");
        assert!(m.p_value < 0.001, "the Poisson p-value alone calls it: {m:?}");
    }
}
