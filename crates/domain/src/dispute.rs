//! The dispute screening ledger (矛盾纠纷排查台账, issue 14 item 1): the
//! kinds of dispute and levels of risk, the life of a screened dispute
//! (recorded at a village, mediated there or at the township, resolved,
//! escalated up to the county, or turned into a petition), who may see and
//! act on it, and the screening rounds' periods. Pure; the store keeps the
//! ledger and the web crate checks the caller.
//!
//! "小事不出村、大事不出镇、矛盾不上交": a dispute starts at its village
//! and climbs one level at a time, and only the county's or the
//! township's staff turn it into a petition (Art. 5(3): 属地管理、分级负责).

use crate::error::{DomainError, Rule};
use crate::unit::{Level, Unit, UnitId, UnitKind, UnitTree};
use chrono::{Datelike, Duration, NaiveDate};

/// (code, label) of every kind of dispute, in the order the form offers them.
pub const KINDS: &[(&str, &str)] = &[
    ("neighbour", "邻里纠纷"),
    ("land", "土地山林纠纷"),
    ("wages", "劳资纠纷（欠薪）"),
    ("marriage_family", "婚姻家庭纠纷"),
    ("property_management", "物业纠纷"),
    ("demolition", "征地拆迁纠纷"),
    ("contract_debt", "合同债务纠纷"),
    ("environment", "环境污染纠纷"),
    ("medical", "医疗纠纷"),
    ("traffic", "交通事故纠纷"),
    ("other", "其他纠纷"),
];

/// (code, label, days to the target date) of every level of risk: the
/// higher the risk, the sooner it must be settled.
pub const RISKS: &[(&str, &str, i64)] = &[("low", "一般", 15), ("medium", "较大", 7), ("high", "重大", 3)];

pub fn kind_label(code: &str) -> Option<&'static str> {
    KINDS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

pub fn risk_label(code: &str) -> Option<&'static str> {
    RISKS.iter().find(|(c, _, _)| *c == code).map(|(_, l, _)| *l)
}

/// A dispute's ledger number as every page shows it: `JF`, the year it was
/// recorded, and its id on six digits (`JF2026-000012`).
pub fn number(id: i64, recorded_on: &str) -> String {
    format!("JF{}-{:06}", recorded_on.get(..4).unwrap_or("0000"), id)
}

/// A dispute named by a person: its ledger number as shown (`JF2026-000012`,
/// any case, spaces around it) gives the year and the id; a bare id (`12`),
/// which forms and older clients send, gives the id alone. Anything else is
/// not a dispute number. The caller checks the year against the dispute's.
pub fn parse_number(s: &str) -> Option<(Option<i32>, i64)> {
    let s = s.trim();
    let id = |d: &str| -> Option<i64> {
        if d.is_empty() || d.len() > 12 || !d.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        d.parse().ok().filter(|n| *n > 0)
    };
    if let Some(rest) = s.get(..2).filter(|p| p.eq_ignore_ascii_case("JF")).and_then(|_| s.get(2..)) {
        let (year, n) = rest.split_once('-')?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some((Some(year.parse().ok()?), id(n)?));
    }
    id(s).map(|n| (None, n))
}

/// The target date a dispute recorded on `on` with `risk` gets unless one
/// is given: 15, 7 or 3 days.
pub fn default_target(on: NaiveDate, risk: &str) -> NaiveDate {
    let days = RISKS.iter().find(|(c, _, _)| *c == risk).map(|(_, _, d)| *d).unwrap_or(15);
    on + Duration::days(days)
}

/// The furthest a township or county may set a dispute's target date,
/// in days from the day it is set: a quarter, long enough for a mediation
/// over several sessions, short enough that the board still turns it red.
pub const MAX_TARGET_DAYS: i64 = 90;

/// The latest target date (化解期限) that may be set on `on` for a dispute
/// of `risk`. A village keeps to its grade's period (15, 7 or 3 days): a
/// grid reporter may promise sooner, never later, or a grave dispute could
/// be kept off the overdue board with a far date. The township or county
/// holding it, or stepping in, may give it up to `MAX_TARGET_DAYS`.
pub fn latest_target(on: NaiveDate, risk: &str, by_village: bool) -> NaiveDate {
    if by_village { default_target(on, risk) } else { on + Duration::days(MAX_TARGET_DAYS) }
}

/// Check a target date set on `today`: not in the past, not beyond
/// `latest_target`. The message says the bound.
pub fn check_target(target: NaiveDate, today: NaiveDate, risk: &str, by_village: bool) -> Result<(), DomainError> {
    if target < today {
        return Err(DomainError::invalid(Rule::Input, "invalid_date", "化解期限不能早于今天").at("target_on"));
    }
    let latest = latest_target(today, risk, by_village);
    if target > latest {
        let msg = if by_village {
            let days = (latest - today).num_days();
            format!(
                "{}矛盾纠纷的化解期限最长{days}天（至{latest}），需要更长时间的请由乡镇（街道）或县（区）调整",
                risk_label(risk).unwrap_or("")
            )
        } else {
            format!("化解期限最长{MAX_TARGET_DAYS}天（至{latest}）")
        };
        return Err(DomainError::invalid(Rule::Input, "target_too_far", msg).at("target_on"));
    }
    Ok(())
}

/// The number of people involved (涉及人数): at least one, at least the
/// parties named, at most 100,000.
pub fn check_people(people: i64, parties: usize) -> Result<(), DomainError> {
    if !(1..=100_000).contains(&people) {
        return Err(DomainError::invalid(Rule::Input, "invalid_people", "涉及人数应为1至100000").at("people"));
    }
    if people < parties as i64 {
        return Err(
            DomainError::invalid(Rule::Input, "invalid_people", format!("涉及人数不能少于列出的当事人数（{parties}人）")).at("people")
        );
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeState {
    /// 化解中: screened and being mediated, at the village or above.
    Open,
    /// 已化解: settled, with the agreement reached.
    Resolved,
    /// 已转信访: registered as a petition (the link is kept both ways).
    Petitioned,
}

impl DisputeState {
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeState::Open => "open",
            DisputeState::Resolved => "resolved",
            DisputeState::Petitioned => "petitioned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DisputeState::Open => "化解中",
            DisputeState::Resolved => "已化解",
            DisputeState::Petitioned => "已转信访事项",
        }
    }

    pub const ALL: [DisputeState; 3] = [DisputeState::Open, DisputeState::Resolved, DisputeState::Petitioned];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The states for a message: 化解中（open）、已化解（resolved）或…
    pub fn choices() -> String {
        let all: Vec<String> = Self::ALL.iter().map(|s| format!("{}（{}）", s.label(), s.as_str())).collect();
        match all.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{}或{last}", rest.join("、")),
            _ => all.concat(),
        }
    }
}

/// Overdue: still open after its target date.
pub fn overdue(state: DisputeState, target_on: NaiveDate, today: NaiveDate) -> bool {
    state == DisputeState::Open && target_on < today
}

/// Units that answer for a whole area at the grass roots: a village or
/// community, and the township's or the county's government, its office
/// and its petition bureau. Departments follow their own lines, not the
/// ledger.
fn answers_for_area(u: &Unit) -> bool {
    matches!(
        u.kind,
        UnitKind::Community | UnitKind::Government | UnitKind::GovernmentOffice | UnitKind::PetitionBureau | UnitKind::PartyGovernment
    )
}

/// Whether `unit` sees the disputes of the village `village_code`: the
/// village itself, and the area-wide units of the township, county, city
/// and province that contain it — never another village, never a
/// department (a dispute escalated to a unit is seen there too).
pub fn sees(unit: &Unit, village_code: &str, handling_unit: UnitId) -> bool {
    if unit.id == handling_unit {
        return true;
    }
    if unit.kind == UnitKind::Community {
        return unit.jurisdiction == village_code;
    }
    answers_for_area(unit) && village_code.starts_with(unit.jurisdiction.as_str())
}

/// Whether `unit` may act on a dispute now held by `handling`: the holder,
/// or an area-wide unit above it (the township over its villages, the
/// county over its townships), which may step in. A village may not act
/// once the dispute has left it.
pub fn may_act(tree: &UnitTree, unit: &Unit, handling: UnitId, village_code: &str) -> bool {
    if unit.id == handling {
        return true;
    }
    let Some(h) = tree.get(handling) else { return false };
    unit.kind != UnitKind::Community
        && answers_for_area(unit)
        && unit.level < h.level
        && village_code.starts_with(unit.jurisdiction.as_str())
}

/// Where a dispute held by `from` may be escalated: an area-wide unit at
/// the township or the county whose area contains the village, strictly
/// above the holder ("大事不出镇": the township first, the county after).
pub fn check_escalation(from: &Unit, to: &Unit, village_code: &str) -> Result<(), DomainError> {
    let fits = answers_for_area(to)
        && to.kind != UnitKind::Community
        && matches!(to.level, Level::Township | Level::County)
        && to.level < from.level
        && village_code.starts_with(to.jurisdiction.as_str());
    if fits {
        Ok(())
    } else {
        Err(DomainError::invalid(Rule::Input, "invalid_escalation", "只能上报本村（社区）所在乡镇（街道）或县（区）的政府、信访部门")
            .at("unit"))
    }
}

/// Who may mediate a dispute of `village_code`: staff of the village, or
/// of an area-wide unit of its township (or, once escalated, its county).
pub fn may_mediate(mediator_unit: &Unit, village_code: &str) -> bool {
    if mediator_unit.kind == UnitKind::Community {
        return mediator_unit.jurisdiction == village_code;
    }
    answers_for_area(mediator_unit)
        && matches!(mediator_unit.level, Level::Township | Level::County)
        && village_code.starts_with(mediator_unit.jurisdiction.as_str())
}

/// How often villages report (排查周期): every week or every month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "每周",
            Period::Month => "每月",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    /// The round a day falls in: `2026-W49` (ISO week) or `2026-12`.
    pub fn key(self, on: NaiveDate) -> String {
        match self {
            Period::Week => {
                let w = on.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => format!("{}-{:02}", on.year(), on.month()),
        }
    }

    /// The first and last day of a round given by its key, or None if the
    /// key is not a round of this period.
    pub fn bounds(self, key: &str) -> Option<(NaiveDate, NaiveDate)> {
        if !key.starts_with(|c: char| c.is_ascii_digit()) || !(2000..=2100).contains(&key.get(..4)?.parse::<i32>().ok()?) {
            return None;
        }
        match self {
            Period::Week => {
                let (y, w) = key.split_once("-W")?;
                let first = NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)?;
                Some((first, first + Duration::days(6)))
            }
            Period::Month => {
                let (y, m) = key.split_once('-')?;
                if m.len() != 2 {
                    return None;
                }
                let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
                let next = first.checked_add_months(chrono::Months::new(1))?;
                Some((first, next - Duration::days(1)))
            }
        }
    }
}

/// One village's line in a screening round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundLine {
    pub village: UnitId,
    /// Disputes recorded in the round.
    pub recorded: u32,
    /// A "nothing found" report (排查无矛盾纠纷) was made for the round.
    pub nothing_found: bool,
}

impl RoundLine {
    /// A village has reported when it recorded a dispute or reported that
    /// it found none.
    pub fn reported(&self) -> bool {
        self.recorded > 0 || self.nothing_found
    }

    /// Whether the round still says "nothing found". A dispute recorded
    /// after the report is a legitimate later discovery: the report stays
    /// on file (who said what, when) but no longer stands, so the round
    /// never shows disputes and "nothing found" together.
    pub fn nothing_found_stands(&self) -> bool {
        self.nothing_found && self.recorded == 0
    }
}

/// Validate a free-text field: trimmed, non-empty when required, at most
/// `max` characters.
pub fn text(field: &'static str, label: &str, value: &str, required: bool, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(DomainError::invalid(Rule::Input, "field_required", format!("请填写{label}")).at(field));
    }
    if v.chars().count() > max {
        return Err(DomainError::invalid(Rule::Input, "too_long", format!("{label}不超过{max}字")).at(field));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(id: UnitId, kind: UnitKind, level: Level, area: &str) -> Unit {
        Unit {
            id,
            code: format!("U{id}"),
            name: format!("单位{id}"),
            kind,
            level,
            parent_id: None,
            gov_id: None,
            jurisdiction: area.into(),
            path: format!("/{id}/"),
        }
    }

    #[test]
    fn a_village_sees_its_own_disputes_the_township_and_county_see_their_area_departments_see_none() {
        let village = u(1, UnitKind::Community, Level::Village, "440304001019");
        let other_village = u(2, UnitKind::Community, Level::Village, "440304001020");
        let street = u(3, UnitKind::PetitionBureau, Level::Township, "440304001");
        let other_street = u(4, UnitKind::PetitionBureau, Level::Township, "440304002");
        let county = u(5, UnitKind::Government, Level::County, "440304");
        let dept = u(6, UnitKind::Department, Level::County, "440304");
        let code = "440304001019";
        assert!(sees(&village, code, 1));
        assert!(!sees(&other_village, code, 1));
        assert!(sees(&street, code, 1));
        assert!(!sees(&other_street, code, 1));
        assert!(sees(&county, code, 1));
        assert!(!sees(&dept, code, 1));
        // Escalated to a unit: that unit sees it whatever its kind.
        assert!(sees(&dept, code, 6));

        let tree = UnitTree::new([village.clone(), other_village.clone(), street.clone(), county.clone(), dept.clone()]);
        assert!(may_act(&tree, &village, 1, code));
        assert!(may_act(&tree, &street, 1, code), "the township steps in");
        assert!(!may_act(&tree, &village, 3, code), "the village cannot act once it left");
        assert!(may_act(&tree, &county, 3, code));
        assert!(!may_act(&tree, &street, 5, code), "a township cannot act on what the county holds");
        assert!(!may_act(&tree, &other_village, 1, code));
    }

    #[test]
    fn escalation_climbs_to_the_township_or_county_of_the_village_only() {
        let village = u(1, UnitKind::Community, Level::Village, "440304001019");
        let street = u(3, UnitKind::PetitionBureau, Level::Township, "440304001");
        let other_street = u(4, UnitKind::PetitionBureau, Level::Township, "440304002");
        let county = u(5, UnitKind::Government, Level::County, "440304");
        let dept = u(6, UnitKind::Department, Level::County, "440304");
        let city = u(7, UnitKind::PetitionBureau, Level::City, "4403");
        let code = "440304001019";
        assert!(check_escalation(&village, &street, code).is_ok());
        assert!(check_escalation(&village, &county, code).is_ok());
        assert!(check_escalation(&street, &county, code).is_ok());
        assert!(check_escalation(&village, &other_street, code).is_err());
        assert!(check_escalation(&village, &dept, code).is_err());
        assert!(check_escalation(&county, &street, code).is_err(), "never down");
        assert!(check_escalation(&county, &city, code).is_err(), "the ledger ends at the county");
        assert!(may_mediate(&village, code) && may_mediate(&street, code) && may_mediate(&county, code));
        assert!(!may_mediate(&other_street, code) && !may_mediate(&dept, code));
    }

    #[test]
    fn rounds_are_iso_weeks_or_months() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(Period::Week.key(d), "2026-W49");
        assert_eq!(Period::Month.key(d), "2026-12");
        let (a, b) = Period::Week.bounds("2026-W49").expect("week");
        assert_eq!((a.to_string(), b.to_string()), ("2026-11-30".into(), "2026-12-06".into()));
        let (a, b) = Period::Month.bounds("2026-02").expect("month");
        assert_eq!((a.to_string(), b.to_string()), ("2026-02-01".into(), "2026-02-28".into()));
        assert!(Period::Week.bounds("2026-12").is_none() && Period::Month.bounds("2026-W49").is_none());
        assert!(Period::Month.bounds("2026-13").is_none());
        // The first days of January may belong to the last ISO week of the year before.
        assert_eq!(Period::Week.key(NaiveDate::from_ymd_opt(2027, 1, 1).expect("date")), "2026-W53");
    }

    #[test]
    fn higher_risk_means_a_nearer_target_and_open_past_it_is_overdue() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        assert_eq!(default_target(d, "high"), d + Duration::days(3));
        assert_eq!(default_target(d, "low"), d + Duration::days(15));
        assert!(overdue(DisputeState::Open, d, d + Duration::days(1)));
        assert!(!overdue(DisputeState::Resolved, d, d + Duration::days(1)));
        assert!(!overdue(DisputeState::Open, d, d));
        let round = RoundLine { village: 1, recorded: 0, nothing_found: false };
        assert!(!round.reported());
        assert!(RoundLine { nothing_found: true, ..round.clone() }.reported());
        assert!(RoundLine { nothing_found: true, ..round.clone() }.nothing_found_stands());
        let later = RoundLine { nothing_found: true, recorded: 1, ..round.clone() };
        assert!(later.reported() && !later.nothing_found_stands(), "a later dispute outweighs the report");
        assert!(!RoundLine { recorded: 2, ..round }.nothing_found_stands());
    }

    #[test]
    fn target_dates_keep_to_the_grade_at_the_village_and_to_a_quarter_above() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
        assert!(check_target(d, d, "high", true).is_ok());
        assert!(check_target(d + Duration::days(3), d, "high", true).is_ok());
        let e = check_target(d + Duration::days(4), d, "high", true).expect_err("beyond the grade");
        assert!(e.message.contains("重大") && e.message.contains("3天"), "{e:?}");
        assert!(check_target(NaiveDate::from_ymd_opt(2099, 12, 4).expect("a date"), d, "high", true).is_err());
        assert!(check_target(d - Duration::days(1), d, "low", true).is_err());
        assert!(check_target(d + Duration::days(15), d, "low", true).is_ok());
        assert!(check_target(d + Duration::days(90), d, "high", false).is_ok());
        assert!(check_target(d + Duration::days(91), d, "low", false).is_err());
    }

    #[test]
    fn the_people_involved_are_at_least_the_parties_named() {
        assert!(check_people(2, 2).is_ok());
        assert!(check_people(12, 2).is_ok());
        assert!(check_people(1, 2).is_err());
        assert!(check_people(0, 0).is_err());
        assert!(check_people(100_001, 1).is_err());
    }

    #[test]
    fn states_are_offered_by_their_chinese_labels() {
        assert_eq!(DisputeState::choices(), "化解中（open）、已化解（resolved）或已转信访事项（petitioned）");
    }

    #[test]
    fn a_dispute_is_named_by_its_ledger_number_or_its_id() {
        assert_eq!(number(3, "2026-12-05"), "JF2026-000003");
        assert_eq!(parse_number(&number(3, "2026-12-05")), Some((Some(2026), 3)));
        assert_eq!(parse_number(" jf2026-000003 "), Some((Some(2026), 3)));
        assert_eq!(parse_number("JF2026-1234567"), Some((Some(2026), 1_234_567)));
        assert_eq!(parse_number("3"), Some((None, 3)));
        for bad in ["", "JF2026", "JF26-000003", "JF2026-", "JF2026-00x3", "XF-440304-20261205-000001", "0", "-3", "3.0", "JF2026-000000"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
