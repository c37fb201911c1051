//! Leaders owning hard cases, triage tracks and escalation (issue 12,
//! item 3): the management around a petition that the Regulations ask for
//! (Art. 18: leaders read letters, receive visitors and personally take
//! charge of cases, 包案; Art. 11–13: the joint conference coordinates what
//! one unit cannot solve) without being steps of its procedure. None of these changes the petition's state or timers;
//! each is recorded in its history.
//!
//! * 领导包案: a leader owns the case. The three roles are then visible on
//!   the petition: the accepting unit drives the procedure, the owner
//!   leader coordinates, the handling unit solves.
//! * 马上办 / 限时办 / 提级办: the triage track, with a target date for the
//!   time-limited track.
//! * 提级办: escalation to the joint conference of the area, with its
//!   coordination record.

use crate::error::{DomainError, Rule};
use crate::role::Role;
use chrono::NaiveDate;

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident = $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($var),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$var => $s),+ } }
            pub fn label(self) -> &'static str { match self { $($name::$var => $label),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$var),)+ _ => None } }
        }
    };
}

str_enum!(
    /// How a petition is to be dealt with (分类处置).
    Track {
        Immediate = "immediate" / "马上办",
        TimeLimited = "time_limited" / "限时办",
        Escalated = "escalated" / "提级办",
    }
);

/// Roles that may assign an owner leader, set a track or escalate: the
/// bureau's and the unit's leadership and supervisors.
pub const MANAGERS: &[Role] = &[Role::Leader, Role::UnitHead, Role::Supervisor];

/// Roles that may own a case.
pub const OWNERS: &[Role] = &[Role::Leader, Role::UnitHead];

/// Check an assignment of `leader_role` by `by_role`.
pub fn check_lead(by_role: Role, leader_role: Role, note: &str) -> Result<(), DomainError> {
    if !MANAGERS.contains(&by_role) {
        return Err(DomainError::forbidden(Rule::Access, "not_permitted", "只有领导、单位负责人或督办人员可以指定包案领导"));
    }
    if !OWNERS.contains(&leader_role) {
        return Err(DomainError::invalid(Rule::Input, "not_a_leader", "包案领导应为领导或单位负责人").at("leader"));
    }
    text_limit("note", "包案要求", note, false)
}

/// Check a track: the time-limited track needs a target date from `today` on.
pub fn check_track(by_role: Role, track: Track, due_on: Option<NaiveDate>, today: NaiveDate, note: &str) -> Result<(), DomainError> {
    if !MANAGERS.contains(&by_role) {
        return Err(DomainError::forbidden(Rule::Access, "not_permitted", "只有领导、单位负责人或督办人员可以确定处置方式"));
    }
    match (track, due_on) {
        (Track::TimeLimited, None) => {
            return Err(DomainError::invalid(Rule::Input, "required", "限时办须填写办结时限").at("due_on"));
        }
        (_, Some(d)) if d < today => {
            return Err(DomainError::invalid(Rule::Input, "past_date", "时限不能早于今天").at("due_on"));
        }
        _ => {}
    }
    text_limit("note", "说明", note, false)
}

/// Check an escalation to the joint conference.
pub fn check_escalation(by_role: Role, reason: &str) -> Result<(), DomainError> {
    if !MANAGERS.contains(&by_role) {
        return Err(DomainError::forbidden(Rule::Access, "not_permitted", "只有领导、单位负责人或督办人员可以提级办理"));
    }
    text_limit("reason", "提级理由", reason, true)
}

/// A coordination record of an escalation.
pub fn check_record(text: &str) -> Result<(), DomainError> {
    text_limit("text", "协调记录", text, true)
}

fn text_limit(field: &'static str, label: &str, value: &str, required: bool) -> Result<(), DomainError> {
    let n = value.trim().chars().count();
    if required && n == 0 {
        return Err(DomainError::invalid(Rule::Input, "required", format!("请填写{label}")).at(field));
    }
    if n > 2000 {
        return Err(DomainError::invalid(Rule::Input, "too_long", format!("{label}不超过2000字")).at(field));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn only_leaders_and_heads_own_cases_and_only_managers_assign() {
        assert!(check_lead(Role::Supervisor, Role::Leader, "").is_ok());
        assert_eq!(check_lead(Role::Clerk, Role::Leader, "").expect_err("clerk").code, "not_permitted");
        assert_eq!(check_lead(Role::Leader, Role::HandlingOfficer, "").expect_err("officer").code, "not_a_leader");
    }

    #[test]
    fn time_limited_needs_a_date_not_in_the_past() {
        let today = d("2026-11-30");
        assert!(check_track(Role::Leader, Track::Immediate, None, today, "").is_ok());
        assert_eq!(check_track(Role::Leader, Track::TimeLimited, None, today, "").expect_err("date").field, Some("due_on"));
        assert_eq!(check_track(Role::Leader, Track::TimeLimited, Some(d("2026-11-29")), today, "").expect_err("past").code, "past_date");
        assert!(check_track(Role::Leader, Track::TimeLimited, Some(d("2026-12-10")), today, "").is_ok());
        assert!(Track::parse("escalated").is_some() && Track::parse("later").is_none());
    }

    #[test]
    fn an_escalation_states_its_reason() {
        assert_eq!(check_escalation(Role::UnitHead, " ").expect_err("reason").field, Some("reason"));
        assert!(check_escalation(Role::UnitHead, "涉及多个部门职责，区级难以协调").is_ok());
        assert!(check_record("召开协调会，明确由住建局牵头").is_ok());
    }
}
