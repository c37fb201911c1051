//! 初件 / 重件: staff's finding on whether a petition repeats an earlier one.
//!
//! Registration marks a repeat on its own only when the same petitioner
//! brings text that matches almost word for word (`similarity`). Everything
//! else — a re-worded letter, a phone note of a matter already on file, a
//! co-petitioner of the same group — is for a clerk to decide from the
//! candidates shown with their reasons. The finding links a 重件 to the
//! first petition of its chain (which the metrics count as brought back),
//! or confirms a 初件. After a 复核 has concluded the first petition, the
//! same facts and reasons are not accepted again (Art. 36): the link makes
//! the 不再受理 refusal available, and the clerk confirms it as an action.

use crate::error::{DomainError, Rule};
use crate::petition::RepeatVerdict;
use crate::procedure::Case;
use crate::role::Role;

/// Who records a finding: the staff of the unit holding the petition who
/// receive and register (the same as those who accept it).
pub const RECORDERS: &[Role] = crate::procedure::actions::RECEIVERS;
/// History entries of a finding.
pub const LINKED: &str = "repeat_linked";
pub const CONFIRMED_FIRST: &str = "first_confirmed";

/// What a finding asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding<'a> {
    /// 初件: not a repeat.
    First,
    /// 重件 of this earlier petition (its case, its registration order).
    RepeatOf { first: &'a Case, first_is_earlier: bool, same_petition: bool },
}

/// The case after staff record a finding on it.
pub fn record(case: &Case, finding: Finding<'_>) -> Result<Case, DomainError> {
    if case.state.is_terminal() {
        return Err(DomainError::conflict(Rule::Procedure, "repeat_finding_closed", "已办结的信访事项不能再认定初件或重件"));
    }
    let mut next = case.clone();
    match finding {
        Finding::First => {
            next.repeat = false;
            next.repeat_verdict = Some(RepeatVerdict::First);
        }
        Finding::RepeatOf { same_petition: true, .. } => {
            return Err(DomainError::invalid(Rule::Input, "repeat_of_itself", "不能关联到本件自身").at("first"));
        }
        Finding::RepeatOf { first_is_earlier: false, .. } => {
            return Err(DomainError::invalid(Rule::Input, "repeat_of_later", "初件须早于本件登记").at("first"));
        }
        Finding::RepeatOf { .. } => {
            next.repeat = true;
            next.repeat_verdict = Some(RepeatVerdict::Repeat);
        }
    }
    Ok(next)
}

/// The first petition was concluded after 复核: the same facts and reasons
/// are not accepted again (Art. 36), and a linked 重件 should be refused
/// with a 不再受理告知书 once the clerk confirms it.
pub fn no_longer_accepted(first: &Case) -> bool {
    first.terminated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::petition::State;
    use crate::procedure::handling_case;

    fn case() -> Case {
        handling_case(5, chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default(), Vec::new())
    }

    #[test]
    fn a_repeat_links_and_a_first_clears() {
        let (c, first) = (case(), case());
        let linked =
            record(&c, Finding::RepeatOf { first: &first, first_is_earlier: true, same_petition: false }).expect("a repeat may be linked");
        assert!(linked.repeat);
        assert_eq!(linked.repeat_verdict, Some(RepeatVerdict::Repeat));
        let cleared = record(&linked, Finding::First).expect("and confirmed as first again");
        assert!(!cleared.repeat);
        assert_eq!(cleared.repeat_verdict, Some(RepeatVerdict::First));
    }

    #[test]
    fn a_repeat_needs_an_earlier_other_petition_and_an_open_case() {
        let (c, first) = (case(), case());
        let e = record(&c, Finding::RepeatOf { first: &first, first_is_earlier: false, same_petition: false }).expect_err("later");
        assert_eq!(e.code, "repeat_of_later");
        let e = record(&c, Finding::RepeatOf { first: &first, first_is_earlier: true, same_petition: true }).expect_err("itself");
        assert_eq!(e.code, "repeat_of_itself");
        let mut closed = case();
        closed.state = State::Closed;
        assert_eq!(record(&closed, Finding::First).expect_err("closed").code, "repeat_finding_closed");
    }

    #[test]
    fn art36_a_matter_concluded_after_final_review_is_not_accepted_again() {
        let mut first = case();
        assert!(!no_longer_accepted(&first));
        first.terminated = true;
        assert!(no_longer_accepted(&first));
    }
}
