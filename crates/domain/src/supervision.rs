//! Supervision (督办, Art. 40) and the instruments of Art. 39 as cases, and
//! the deadline watch that opens one at every breach of a duty timer.
//!
//! Pure: which class a timer is in on a given day, which unit supervises a
//! late unit, who may open, answer and close a case. The store keeps the
//! cases (`supervision_cases`); the web layer runs the sweep.

use crate::error::{DomainError, Rule};
use crate::role::Role;
use crate::unit::{UnitId, UnitKind, UnitTree};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a supervision case is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionKind {
    /// Opened by the deadline watch when a duty timer ran out (Art. 40).
    AutoOverdue,
    /// 督办: a supervisor presses a unit, with suggestions (Art. 40).
    Manual,
    /// 挂牌督办: listed supervision by the joint conference (Art. 39).
    Listed,
    /// 约谈: a record of leaders summoned for a talk (Art. 39).
    Interview,
    /// 通报: a record of a circular (Art. 39).
    Circular,
    /// 限期整改: rectification by a date of its own (Art. 39).
    Rectification,
}

impl SupervisionKind {
    pub const ALL: [SupervisionKind; 6] = [
        SupervisionKind::AutoOverdue,
        SupervisionKind::Manual,
        SupervisionKind::Listed,
        SupervisionKind::Interview,
        SupervisionKind::Circular,
        SupervisionKind::Rectification,
    ];

    /// The kinds a person opens (the watch opens `AutoOverdue`).
    pub const MANUAL: [SupervisionKind; 5] = [
        SupervisionKind::Manual,
        SupervisionKind::Listed,
        SupervisionKind::Interview,
        SupervisionKind::Circular,
        SupervisionKind::Rectification,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SupervisionKind::AutoOverdue => "auto_overdue",
            SupervisionKind::Manual => "manual",
            SupervisionKind::Listed => "listed",
            SupervisionKind::Interview => "interview",
            SupervisionKind::Circular => "circular",
            SupervisionKind::Rectification => "rectification",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SupervisionKind::AutoOverdue => "逾期自动督办",
            SupervisionKind::Manual => "督办",
            SupervisionKind::Listed => "挂牌督办",
            SupervisionKind::Interview => "约谈",
            SupervisionKind::Circular => "通报",
            SupervisionKind::Rectification => "限期整改",
        }
    }

    /// The article the instrument rests on.
    pub fn citation(self) -> &'static str {
        match self {
            SupervisionKind::AutoOverdue | SupervisionKind::Manual => "《信访工作条例》第四十条",
            _ => "《信访工作条例》第三十九条",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        SupervisionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a case of this kind must concern a petition (the others may
    /// be about a unit's work as a whole).
    pub fn needs_petition(self) -> bool {
        matches!(self, SupervisionKind::AutoOverdue | SupervisionKind::Manual)
    }
}

/// Where an open duty timer stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum WatchClass {
    OnTrack,
    DueSoon,
    DueToday,
    Overdue,
}

impl WatchClass {
    pub const ALL: [WatchClass; 4] = [WatchClass::OnTrack, WatchClass::DueSoon, WatchClass::DueToday, WatchClass::Overdue];

    pub fn as_str(self) -> &'static str {
        match self {
            WatchClass::OnTrack => "on_track",
            WatchClass::DueSoon => "due_soon",
            WatchClass::DueToday => "due_today",
            WatchClass::Overdue => "overdue",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            WatchClass::OnTrack => "正常",
            WatchClass::DueSoon => "即将到期",
            WatchClass::DueToday => "今日到期",
            WatchClass::Overdue => "已超期",
        }
    }
}

/// Days before its due date that a timer counts as due soon, unless a
/// deployment sets `watch_due_soon_days`.
pub const DEFAULT_DUE_SOON_DAYS: u32 = 3;

/// The colour the inbox shows a timer in, from its watch class (one rule
/// for the watch, the dashboard and the inbox): green on track, yellow due
/// soon, red due today or tomorrow, `overdue` past due; with the words.
pub fn colour(due_on: NaiveDate, today: NaiveDate, soon_days: u32) -> (&'static str, String) {
    let left = (due_on - today).num_days();
    match classify(due_on, today, soon_days) {
        WatchClass::Overdue => ("overdue", format!("逾期{}天", -left)),
        WatchClass::DueToday => ("red", "今天到期".into()),
        WatchClass::DueSoon if left == 1 => ("red", "剩1天".into()),
        WatchClass::DueSoon => ("yellow", format!("剩{left}天")),
        WatchClass::OnTrack => ("green", format!("剩{left}天")),
    }
}

/// The class of a timer due on `due_on`, seen on `today`: due soon when it
/// falls due within `soon_days` days after today. The last day is still in
/// time (`due_today`); the day after, it is overdue.
pub fn classify(due_on: NaiveDate, today: NaiveDate, soon_days: u32) -> WatchClass {
    let left = (due_on - today).num_days();
    match left {
        d if d < 0 => WatchClass::Overdue,
        0 => WatchClass::DueToday,
        d if d <= i64::from(soon_days) => WatchClass::DueSoon,
        _ => WatchClass::OnTrack,
    }
}

/// The day a supervised unit's written reply is due for a case opened on
/// `on`: `letters::SUPERVISION_REPLY_WORKING_DAYS` working days later (the
/// date the letter states).
pub fn reply_due(on: NaiveDate, cal: &crate::calendar::HolidayCalendar) -> NaiveDate {
    crate::deadline::compute_due(
        on,
        crate::letters::SUPERVISION_REPLY_WORKING_DAYS,
        crate::deadline::DayUnit::Working,
        &[],
        0,
        crate::deadline::CountingPolicy::StartExcludedRollForward,
        cal,
    )
    .due_on
}

/// How far ahead a 限期整改 may set its date: a rectification is a matter of
/// months, and a date years on would leave a case that is never overdue.
pub const MAX_RECTIFY_MONTHS: u32 = 12;

/// The date a 限期整改 (Art. 39) sets, checked on `today`: after today, and
/// at most `MAX_RECTIFY_MONTHS` on.
pub fn check_rectify_by(by: NaiveDate, today: NaiveDate) -> Result<NaiveDate, DomainError> {
    if by <= today {
        return Err(DomainError::invalid(Rule::Art40, "rectify_by_past", "整改期限须晚于今天").at("rectify_by"));
    }
    let last = today.checked_add_months(chrono::Months::new(MAX_RECTIFY_MONTHS)).unwrap_or(today);
    if by > last {
        return Err(DomainError::invalid(Rule::Art40, "rectify_by_too_far", format!("整改期限最迟为一年内（{last}之前）")).at("rectify_by"));
    }
    Ok(by)
}

/// Roles that supervise: the bureau's supervisors, leaders and unit heads.
pub const SUPERVISORS: &[Role] = crate::procedure::actions::SUPERVISORS;

/// Whether `unit` may supervise `supervised` about a matter of the area
/// `jurisdiction` (the petition's, or the supervised unit's own when the
/// case is about a unit's work): a unit above it in its line, or a petition
/// bureau or joint conference over the handling units of its area
/// (Art. 39, 40) — never the unit itself.
///
/// Over its area a bureau (or joint conference) presses the units that
/// handle petitions under its government: the departments of its own
/// level and every unit of the levels below, their governments included.
/// It never presses a body it answers to — its own government, that
/// government's office, the party committee and government, the joint
/// conference of its level, anything above it — nor the bodies outside the
/// administrative petition procedure (`outside_supervision`).
pub fn may_supervise(tree: &UnitTree, unit: UnitId, supervised: UnitId, jurisdiction: &str) -> bool {
    if unit == supervised || tree.acts_for(unit, supervised) {
        return false;
    }
    let above = tree.is_self_or_ancestor(unit, supervised);
    let over_area = match (tree.get(unit), tree.get(supervised)) {
        (Some(u), Some(s)) => {
            matches!(u.kind, UnitKind::PetitionBureau | UnitKind::JointConference)
                && jurisdiction.starts_with(&u.jurisdiction)
                && s.jurisdiction.starts_with(&u.jurisdiction)
                && !outside_supervision(s.kind)
                && (s.level > u.level || matches!(s.kind, UnitKind::Department | UnitKind::Police))
                && !tree.is_self_or_above_any(tree.acting_as(supervised), unit)
        }
        _ => false,
    };
    above || over_area
}

/// Kinds no petition bureau or joint conference supervises over its area:
/// the courts and procuratorates (their matters go by litigation, Art. 22,
/// 28), the discipline bodies (accusations follow their own rules), and the
/// village and residential committees, which never handle a petition.
pub fn outside_supervision(kind: UnitKind) -> bool {
    matches!(kind, UnitKind::Court | UnitKind::Procuratorate | UnitKind::DisciplineBody | UnitKind::Community)
}

/// The unit that supervises a late unit automatically: the petition bureau
/// of the late unit's area; when that is the late unit itself (a bureau
/// late in routing, T1), the bureau above it. None when nobody is above
/// (the provincial bureau itself is late).
pub fn supervising_bureau(tree: &UnitTree, late: UnitId, jurisdiction: &str) -> Option<UnitId> {
    let l = tree.get(late)?;
    let first = tree.bureau_for(&l.jurisdiction).or_else(|| tree.bureau_for(jurisdiction))?;
    std::iter::once(first)
        .chain(tree.ancestors(first.id))
        .filter(|u| u.kind == UnitKind::PetitionBureau)
        .find(|u| may_supervise(tree, u.id, late, jurisdiction))
        .map(|u| u.id)
}

/// May staff of `unit` with `role` open a case of `kind` against
/// `supervised` about a matter of the area `jurisdiction`?
/// 挂牌督办 is the joint conference's (Art. 39), which acts through its
/// office in the petition bureau of the area; the other instruments belong
/// to any unit that may supervise.
pub fn check_open(
    tree: &UnitTree,
    unit: UnitId,
    role: Role,
    kind: SupervisionKind,
    supervised: UnitId,
    jurisdiction: &str,
) -> Result<(), DomainError> {
    if kind == SupervisionKind::AutoOverdue {
        return Err(DomainError::invalid(Rule::Art40, "automatic_only", "逾期自动督办由系统在期限届满时发起，不能手工发起").at("kind"));
    }
    if !SUPERVISORS.contains(&role) {
        return Err(DomainError::forbidden(Rule::Art40, "not_permitted", "只有督办人员、领导或单位负责人可以发起督办"));
    }
    if !may_supervise(tree, unit, supervised, jurisdiction) {
        return Err(DomainError::forbidden(Rule::Art40, "not_permitted", "只有被督办单位的上级机关、本地区信访部门或联席会议可以发起督办"));
    }
    if kind == SupervisionKind::Listed
        && !tree.get(unit).is_some_and(|u| matches!(u.kind, UnitKind::JointConference | UnitKind::PetitionBureau))
    {
        return Err(DomainError::forbidden(
            Rule::Art40,
            "listed_by_joint_conference",
            "挂牌督办由信访工作联席会议（或其设在信访部门的办公室）决定（《信访工作条例》第三十九条）",
        ));
    }
    Ok(())
}

/// May staff of `unit` answer a case addressed to `supervised`? Any staff
/// of that unit (a government's office for its government) but the admin.
pub fn check_reply(tree: &UnitTree, unit: UnitId, role: Role, supervised: UnitId) -> Result<(), DomainError> {
    if role == Role::Admin || !tree.acts_for(unit, supervised) {
        return Err(DomainError::forbidden(Rule::Art40, "not_supervised_unit", "只有被督办单位可以书面回复督办事项"));
    }
    Ok(())
}

/// May staff of `unit` close a case opened by `supervising`?
pub fn check_close(tree: &UnitTree, unit: UnitId, role: Role, supervising: UnitId) -> Result<(), DomainError> {
    if !SUPERVISORS.contains(&role) || !tree.acts_for(unit, supervising) {
        return Err(DomainError::forbidden(Rule::Art40, "not_supervising_unit", "只有督办单位的督办人员、领导或负责人可以办结督办事项"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::tests::sample_tree;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn art40_watch_classes_by_days_left() {
        let today = d("2026-11-20");
        assert_eq!(classify(d("2026-11-19"), today, 3), WatchClass::Overdue);
        assert_eq!(classify(d("2026-11-20"), today, 3), WatchClass::DueToday);
        assert_eq!(classify(d("2026-11-21"), today, 3), WatchClass::DueSoon);
        assert_eq!(classify(d("2026-11-23"), today, 3), WatchClass::DueSoon);
        assert_eq!(classify(d("2026-11-24"), today, 3), WatchClass::OnTrack);
        assert_eq!(classify(d("2026-11-21"), today, 0), WatchClass::OnTrack);
    }

    #[test]
    fn art40_the_bureau_of_the_late_units_area_supervises_it() {
        let t = sample_tree();
        // A county department late: its county's bureau.
        assert_eq!(supervising_bureau(&t, 12, "440304"), Some(3));
        // A county bureau late in routing (T1): the city bureau above it.
        assert_eq!(supervising_bureau(&t, 3, "440304"), Some(2));
        // A township department: the county bureau (townships have none that routes).
        assert_eq!(supervising_bureau(&t, 16, "440304001"), Some(3));
        // A city department handling a county matter: the city bureau.
        assert_eq!(supervising_bureau(&t, 11, "440304"), Some(2));
        // Nobody above the provincial bureau.
        assert_eq!(supervising_bureau(&t, 1, "44"), None);
    }

    #[test]
    fn art40_who_opens_answers_and_closes() {
        let t = sample_tree();
        // The city bureau over a county department of its area.
        assert!(check_open(&t, 2, Role::Supervisor, SupervisionKind::Manual, 12, "440304").is_ok());
        // A sibling county's bureau may not.
        assert!(check_open(&t, 4, Role::Supervisor, SupervisionKind::Manual, 12, "440304").is_err());
        // A clerk may not, nor may a unit supervise itself.
        assert!(check_open(&t, 2, Role::Clerk, SupervisionKind::Manual, 12, "440304").is_err());
        assert!(check_open(&t, 12, Role::UnitHead, SupervisionKind::Manual, 12, "440304").is_err());
        // The line superior (city department over county department).
        assert!(check_open(&t, 11, Role::UnitHead, SupervisionKind::Rectification, 12, "440304").is_ok());
        // Listed supervision: the joint conference or the bureau, not a line superior.
        assert!(check_open(&t, 30, Role::Leader, SupervisionKind::Listed, 12, "440304").is_ok());
        assert!(check_open(&t, 11, Role::UnitHead, SupervisionKind::Listed, 12, "440304").is_err());
        // Automatic cases are the watch's only.
        assert!(check_open(&t, 2, Role::Supervisor, SupervisionKind::AutoOverdue, 12, "440304").is_err());
        // The supervised unit answers; its government's office answers for the government.
        assert!(check_reply(&t, 12, Role::HandlingOfficer, 12).is_ok());
        assert!(check_reply(&t, 13, Role::HandlingOfficer, 12).is_err());
        assert!(check_reply(&t, 41, Role::UnitHead, 40).is_ok());
        assert!(check_close(&t, 2, Role::Supervisor, 2).is_ok());
        assert!(check_close(&t, 2, Role::Clerk, 2).is_err());
        assert!(check_close(&t, 12, Role::UnitHead, 2).is_err());
    }

    /// The sample tree with a county party committee and government (44),
    /// a county procuratorate (45) and a county police bureau (46).
    fn tree_with_county_bodies() -> UnitTree {
        use crate::unit::{Level, Unit};
        let mut units: Vec<Unit> = sample_tree().all().cloned().collect();
        let county = |id, kind, gov: Option<UnitId>| Unit {
            id,
            code: format!("U{id}"),
            name: format!("单位{id}"),
            kind,
            level: Level::County,
            parent_id: None,
            gov_id: gov,
            jurisdiction: "440304".into(),
            path: format!("/{id}/"),
        };
        units.push(county(44, UnitKind::PartyGovernment, None));
        units.push(county(45, UnitKind::Procuratorate, None));
        units.push(county(46, UnitKind::Police, Some(40)));
        UnitTree::new(units)
    }

    #[test]
    fn art39_art40_a_bureau_supervises_the_handling_units_under_its_government() {
        let t = tree_with_county_bodies();
        let county = |s: UnitId| may_supervise(&t, 3, s, "440304");
        // The departments of its own government and the units below.
        assert!(county(12) && county(14) && county(46), "county departments and police");
        assert!(county(16), "a township department");
        assert!(county(5), "a township office");
        // Not its own government, its office, the party committee and
        // government, or the joint conference it is the office of.
        for s in [40, 41, 44, 30] {
            assert!(!county(s), "the county bureau supervised {s}");
        }
        // Not the court, the procuratorate or the discipline body.
        for s in [20, 21, 45] {
            assert!(!county(s), "the county bureau supervised {s}");
        }
        // Nor a unit above it, or of another level that is not in its area.
        assert!(!county(2) && !county(42) && !county(11), "units above or outside its area");
        // The joint conference keeps to the same: its level's departments, not its government.
        assert!(may_supervise(&t, 30, 12, "440304"));
        assert!(!may_supervise(&t, 30, 40, "440304"));
        // A higher bureau over a lower area's government, committee, conference and bureau.
        for s in [40, 41, 44, 30, 3] {
            assert!(may_supervise(&t, 2, s, "440304"), "the city bureau over {s}");
        }
        // Never over courts or discipline bodies, at whatever level.
        for s in [20, 21, 45] {
            assert!(!may_supervise(&t, 2, s, "440304"), "the city bureau over {s}");
            assert!(!may_supervise(&t, 1, s, "440304"), "the province bureau over {s}");
        }
        // The line superior keeps its own line.
        assert!(may_supervise(&t, 11, 12, "440304"));
        // The instruments follow: a 约谈 of the county government by its own bureau is refused.
        assert!(check_open(&t, 3, Role::Supervisor, SupervisionKind::Interview, 40, "440304").is_err());
        assert!(check_open(&t, 2, Role::Supervisor, SupervisionKind::Interview, 40, "440304").is_ok());
        // The watch: a late court or discipline body is nobody's to supervise automatically.
        assert_eq!(supervising_bureau(&t, 21, "440304"), None);
        assert_eq!(supervising_bureau(&t, 20, "440304"), None);
    }

    #[test]
    fn art39_rectification_by_a_date_within_a_year() {
        let today = d("2026-12-05");
        assert!(check_rectify_by(today, today).is_err(), "not today");
        assert!(check_rectify_by(d("2026-12-06"), today).is_ok());
        assert!(check_rectify_by(d("2027-12-05"), today).is_ok());
        assert!(check_rectify_by(d("2027-12-06"), today).is_err(), "more than a year on");
        assert!(check_rectify_by(d("9999-12-31"), today).is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for k in SupervisionKind::ALL {
            assert_eq!(SupervisionKind::parse(k.as_str()), Some(k));
            assert!(!k.label().is_empty());
        }
        assert!(!SupervisionKind::MANUAL.contains(&SupervisionKind::AutoOverdue));
    }
}
