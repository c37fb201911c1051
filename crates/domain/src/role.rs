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
}

impl Role {
    pub const ALL: [Role; 7] =
        [Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer, Role::Supervisor, Role::Leader, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::HandlingOfficer => "handling_officer",
            Role::UnitHead => "unit_head",
            Role::Reviewer => "reviewer",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Admin => "admin",
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
        }
    }
}
