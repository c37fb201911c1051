//! Backlog clearance campaigns (积案化解, issue 12 item 3): a unit lists
//! its long-unresolved petitions — open and received more than a set
//! number of days ago — as a campaign with a target (the share to resolve,
//! by a date), puts an owner leader on each (领导包案), and follows the
//! progress against the target. A petition counts as resolved (化解) in
//! the campaign once it has reached an end of its procedure.

use crate::error::{DomainError, Rule};
use crate::petition::State;
use chrono::NaiveDate;
use serde::Serialize;

/// The shortest age (days since receipt) that makes an open petition a
/// backlog item: beyond the 60 days of Art. 34 plus the 30 of an extension.
pub const MIN_AGE_DAYS: u32 = 90;

/// The most items one campaign lists.
pub const MAX_ITEMS: usize = 5_000;

/// Whether a petition in `state` is resolved for the campaign: it reached
/// an end (closed, declined, redirected into a statutory procedure, not
/// accepted again).
pub fn resolved(state: State) -> bool {
    state.is_terminal()
}

/// Checks a new campaign: a name, an age of at least [`MIN_AGE_DAYS`], a
/// target share from 1 to 100 %, a target date after `today`.
pub fn check(name: &str, older_than_days: u32, target_percent: u32, target_on: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err(DomainError::invalid(Rule::Input, "invalid_name", "请填写专项行动名称（100字以内）"));
    }
    if !(MIN_AGE_DAYS..=3_650).contains(&older_than_days) {
        return Err(DomainError::invalid(
            Rule::Input,
            "invalid_age",
            format!("积案认定天数须在{MIN_AGE_DAYS}至3650日之间（收到超过该天数仍未办结）"),
        ));
    }
    if !(1..=100).contains(&target_percent) {
        return Err(DomainError::invalid(Rule::Input, "invalid_target", "化解目标须为1到100之间的整数（%）"));
    }
    if target_on <= today {
        return Err(DomainError::invalid(Rule::Input, "invalid_target_date", "目标日期须晚于今天"));
    }
    Ok(())
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Progress {
    pub total: u64,
    pub resolved: u64,
    /// resolved ÷ total (null without items).
    pub rate: Option<f64>,
    /// What should be resolved by now if the work went evenly from the
    /// start to the target date: target × elapsed ÷ span.
    pub expected_now: f64,
    pub on_track: bool,
    /// Days to the target date (negative once past).
    pub days_left: i64,
    pub met: bool,
}

pub fn progress(total: u64, resolved: u64, started_on: NaiveDate, target_on: NaiveDate, target_percent: u32, today: NaiveDate) -> Progress {
    let rate = (total > 0).then(|| resolved as f64 / total as f64);
    let target = f64::from(target_percent) / 100.0;
    let span = (target_on - started_on).num_days().max(1) as f64;
    let elapsed = (today - started_on).num_days().clamp(0, span as i64) as f64;
    let expected_now = target * elapsed / span;
    let r = rate.unwrap_or(1.0);
    Progress {
        total,
        resolved,
        rate,
        expected_now,
        on_track: r + 1e-9 >= expected_now,
        days_left: (target_on - today).num_days(),
        met: r + 1e-9 >= target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_campaign_needs_a_name_an_age_a_target_and_a_future_date() {
        let today = d("2026-11-30");
        assert!(check("2026年冬季积案化解", 90, 80, d("2027-01-31"), today).is_ok());
        assert!(check(" ", 90, 80, d("2027-01-31"), today).is_err());
        assert!(check("x", 30, 80, d("2027-01-31"), today).is_err(), "younger than the statutory limits");
        assert!(check("x", 90, 0, d("2027-01-31"), today).is_err());
        assert!(check("x", 90, 101, d("2027-01-31"), today).is_err());
        assert!(check("x", 90, 80, today, today).is_err());
    }

    #[test]
    fn progress_against_an_even_pace() {
        // 80 % in 60 days; 30 days in, 40 % is expected.
        let p = progress(10, 4, d("2026-11-01"), d("2026-12-31"), 80, d("2026-12-01"));
        assert!((p.expected_now - 0.4).abs() < 1e-9);
        assert!(p.on_track && !p.met);
        let p = progress(10, 3, d("2026-11-01"), d("2026-12-31"), 80, d("2026-12-01"));
        assert!(!p.on_track);
        let p = progress(10, 8, d("2026-11-01"), d("2026-12-31"), 80, d("2027-01-05"));
        assert!(p.met && p.days_left < 0 && (p.expected_now - 0.8).abs() < 1e-9);
    }

    #[test]
    fn resolved_means_at_an_end() {
        assert!(resolved(State::Closed) && resolved(State::Declined) && resolved(State::NotReaccepted));
        assert!(!resolved(State::Handling) && !resolved(State::Replied));
    }
}
