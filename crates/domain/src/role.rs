//! Staff roles. A user acts for exactly one unit with one role.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 登记员: registers letters, visits and calls; routes at a bureau.
    Clerk,
    /// 承办人: investigates and drafts decisions at a handling unit.
    HandlingOfficer,
    /// 单位负责人: approves extensions, signs decisions.
    UnitHead,
    /// 复查复核人员: decides 复查 / 复核 at a superior unit.
    Reviewer,
    /// 督办人员: watches deadlines, presses late units.
    Supervisor,
    /// 领导: reads everything in the subtree, owns hard cases.
    Leader,
    /// 系统管理员: units, users, calendar; no procedural acts.
    Admin,
    /// 信访信息员 / 网格员 (grid reporter, issue 14): bound to a village or
    /// community; records and follows the disputes screened there, no
    /// procedural acts on petitions.
    GridReporter,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Clerk,
        Role::HandlingOfficer,
        Role::UnitHead,
        Role::Reviewer,
        Role::Supervisor,
        Role::Leader,
        Role::Admin,
        Role::GridReporter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::HandlingOfficer => "handling_officer",
            Role::UnitHead => "unit_head",
            Role::Reviewer => "reviewer",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Admin => "admin",
            Role::GridReporter => "grid_reporter",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Clerk => "登记员",
            Role::HandlingOfficer => "承办人",
            Role::UnitHead => "单位负责人",
            Role::Reviewer => "复查复核人员",
            Role::Supervisor => "督办人员",
            Role::Leader => "领导",
            Role::Admin => "系统管理员",
            Role::GridReporter => "信访信息员",
        }
    }
}

/// Whether a role may be held at a unit of `kind`: a grid reporter works
/// for a village or community and nowhere else, and a village or community
/// (a self-governing body, not an organ of the state) has no other staff
/// in the system. The refusal, in Chinese.
pub fn fits_unit(role: Role, kind: crate::unit::UnitKind) -> Result<(), &'static str> {
    use crate::unit::UnitKind;
    match (role, kind) {
        (Role::GridReporter, UnitKind::Community) => Ok(()),
        (Role::GridReporter, _) => Err("信访信息员只能设在村（社区）"),
        (_, UnitKind::Community) => Err("村（社区）只能设信访信息员账号"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::UnitKind;

    #[test]
    fn grid_reporters_work_for_villages_and_villages_have_only_grid_reporters() {
        assert!(fits_unit(Role::GridReporter, UnitKind::Community).is_ok());
        assert!(fits_unit(Role::GridReporter, UnitKind::PetitionBureau).is_err());
        assert!(fits_unit(Role::Clerk, UnitKind::Community).is_err());
        assert!(fits_unit(Role::Clerk, UnitKind::PetitionBureau).is_ok());
        assert_eq!(Role::parse("grid_reporter"), Some(Role::GridReporter));
    }
}
