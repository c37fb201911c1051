//! The dispatch board (指调, issue 14 item 2): which areas a county or city
//! sees by township and village, what makes a row red, where a dispatch
//! order (调度令) may go, and the zero-petition rule (零访 / 清零). Pure.

use crate::error::{DomainError, Rule};
use crate::unit::{Level, Unit, UnitKind};
use chrono::{Datelike, NaiveDate};

/// Whether a unit directs the grass roots of its area: an area-wide unit
/// (petition bureau, government, its office, party committee) at the
/// county, city or province, or a township's.
pub fn directs(unit: &Unit) -> bool {
    matches!(unit.kind, UnitKind::PetitionBureau | UnitKind::Government | UnitKind::GovernmentOffice | UnitKind::PartyGovernment)
        && unit.level <= Level::Township
}

/// Where a dispatch order may go: an area-wide unit of a township, or a
/// village or community, inside the sender's area and below it.
pub fn check_order_target(from: &Unit, to: &Unit) -> Result<(), DomainError> {
    let below = to.level > from.level && to.jurisdiction.starts_with(from.jurisdiction.as_str()) && to.jurisdiction != from.jurisdiction;
    let grass_roots = match to.level {
        Level::Township => directs(to),
        Level::Village => to.kind == UnitKind::Community,
        _ => false,
    };
    if directs(from) && below && grass_roots {
        Ok(())
    } else {
        Err(DomainError::invalid(Rule::Input, "invalid_order_target", "调度令只能下达给本辖区内的乡镇（街道）或村（社区）").at("to_unit"))
    }
}

/// Days (a week) an order's form offers for the answer unless the sender
/// picks another date: a township needs time to go to the village, look
/// and write back; today, the old default, left it overdue by nightfall.
pub const DEFAULT_ORDER_DAYS: i64 = 7;

/// The deadline an order's form offers when sent on `today`.
pub fn default_due_on(today: NaiveDate) -> NaiveDate {
    today + chrono::Duration::days(DEFAULT_ORDER_DAYS)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// 待反馈.
    Open,
    /// 已反馈: the receiver answered; the sender may close it or wait for more.
    Answered,
    /// 已办结.
    Closed,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Open => "open",
            OrderState::Answered => "answered",
            OrderState::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            OrderState::Open => "待反馈",
            OrderState::Answered => "已反馈",
            OrderState::Closed => "已办结",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [OrderState::Open, OrderState::Answered, OrderState::Closed].into_iter().find(|x| x.as_str() == s)
    }
}

/// One area's figures on the board.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaFigures {
    pub open_disputes: i64,
    pub overdue_disputes: i64,
    pub high_risk_disputes: i64,
    pub open_petitions: i64,
    pub overdue_petitions: i64,
    /// Petitions from the area that went upward in the zero-petition period.
    pub upward_petitions: i64,
}

impl AreaFigures {
    pub fn add(&mut self, o: &AreaFigures) {
        self.open_disputes += o.open_disputes;
        self.overdue_disputes += o.overdue_disputes;
        self.high_risk_disputes += o.high_risk_disputes;
        self.open_petitions += o.open_petitions;
        self.overdue_petitions += o.overdue_petitions;
        self.upward_petitions += o.upward_petitions;
    }

    /// Red: something overdue, or a high-risk dispute still open.
    pub fn red(&self) -> bool {
        self.overdue_disputes > 0 || self.overdue_petitions > 0 || self.high_risk_disputes > 0
    }

    /// 零访 / 清零: no petition went upward from the area in the period.
    pub fn zero_petition(&self) -> bool {
        self.upward_petitions == 0
    }
}

/// The zero-petition period: the `months` whole months before the month
/// of `today` — [first day, first day of this month).
pub fn zero_period(today: NaiveDate, months: u32) -> (NaiveDate, NaiveDate) {
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let from = this.checked_sub_months(chrono::Months::new(months)).unwrap_or(this);
    (from, this)
}

/// Whether a petition from an area at `area_level` "went upward": it was
/// received above that area and above the township (a village's or a
/// township's petitions handled by the township stay "不上交"; a county's
/// go upward when the city or province received them), or, when the rule
/// counts every petition, any.
pub fn went_upward(receiving_level: Level, area_level: Level, upward_only: bool) -> bool {
    !upward_only || receiving_level < area_level.min(Level::Township)
}

/// The area a division code belongs to one level below `area` (a county's
/// township, a township's village); None when the code is the area itself
/// or not inside it.
pub fn child_area<'a>(area: &str, code: &'a str) -> Option<&'a str> {
    if !code.starts_with(area) || code.len() <= area.len() {
        return None;
    }
    let next = Level::ALL.iter().map(|l| l.division_len()).find(|n| *n > area.len())?;
    code.get(..next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(kind: UnitKind, level: Level, area: &str) -> Unit {
        Unit {
            id: 1,
            code: "U".into(),
            name: "单位".into(),
            kind,
            level,
            parent_id: None,
            gov_id: None,
            jurisdiction: area.into(),
            path: "/1/".into(),
        }
    }

    #[test]
    fn orders_go_down_to_the_townships_and_villages_of_the_area() {
        let county = u(UnitKind::PetitionBureau, Level::County, "440304");
        let street = u(UnitKind::PetitionBureau, Level::Township, "440304001");
        let village = u(UnitKind::Community, Level::Village, "440304001019");
        let other_street = u(UnitKind::PetitionBureau, Level::Township, "440305001");
        let dept = u(UnitKind::Department, Level::County, "440304");
        assert!(check_order_target(&county, &street).is_ok());
        assert!(check_order_target(&county, &village).is_ok());
        assert!(check_order_target(&street, &village).is_ok());
        assert!(check_order_target(&county, &other_street).is_err());
        assert!(check_order_target(&county, &dept).is_err());
        assert!(check_order_target(&street, &county).is_err());
        assert!(check_order_target(&dept, &street).is_err(), "a department does not dispatch");
    }

    #[test]
    fn the_zero_period_is_whole_months_and_areas_fold_one_level_down() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let (a, b) = zero_period(d, 3);
        assert_eq!((a.to_string(), b.to_string()), ("2026-09-01".into(), "2026-12-01".into()));
        assert_eq!(child_area("440304", "440304001019"), Some("440304001"));
        assert_eq!(child_area("440304001", "440304001019"), Some("440304001019"));
        assert_eq!(child_area("440304", "440304"), None);
        assert_eq!(child_area("440304", "440305001"), None);
        // A township's or a village's: upward when the county or higher received it.
        assert!(went_upward(Level::County, Level::Township, true) && !went_upward(Level::Township, Level::Township, true));
        assert!(went_upward(Level::County, Level::Village, true) && !went_upward(Level::Township, Level::Village, true));
        // A county's (on a city's board): upward only when the city or province received it.
        assert!(!went_upward(Level::County, Level::County, true) && went_upward(Level::City, Level::County, true));
        assert!(went_upward(Level::Township, Level::Township, false));
        let f = AreaFigures { high_risk_disputes: 1, ..AreaFigures::default() };
        assert!(f.red() && f.zero_petition());
    }
}
