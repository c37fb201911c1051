//! Who is told of an urgent risk (issue 13, item 4): the unit that found
//! it, the unit that holds the petition now (it is the one meeting the
//! petitioner next), and the petition bureau of the finder's area. A township's office or
//! a county department that registers a visit in which someone threatens
//! to harm themselves is not alone with it: the bureau's duty officers
//! must know at once (Art. 5, the bureau's duty to find and report
//! emergencies early; regulation.md §3.4). An elevated alert stays with
//! the unit that found it, so the bureau's list is not flooded.
//!
//! Art. 30 still holds: a bureau in the accused's chain, or one from which
//! an accusation is hidden until its accused is named, is not told that
//! the petition exists.

use crate::access::{View, view};
use crate::procedure::Case;
use crate::role::Role;
use crate::unit::{UnitId, UnitTree};

/// The units an alert found by `unit` is raised for: `unit` first, then,
/// for an urgent one, the unit holding the petition and the petition
/// bureau of `unit`'s area, each when it is another unit and the petition
/// is not hidden from it.
pub fn alert_units(tree: &UnitTree, unit: UnitId, urgent: bool, case: &Case, confidential: bool) -> Vec<UnitId> {
    let mut units = vec![unit];
    if !urgent {
        return units;
    }
    let bureau = tree.get(unit).and_then(|u| tree.bureau_for(&u.jurisdiction)).map(|b| b.id);
    // Their duty officers (unit heads, supervisors) read it; the role
    // decides only what of the petitioner they see, not whether the
    // petition exists for them.
    for other in [Some(case.current_unit), bureau].into_iter().flatten() {
        if !units.contains(&other) && view(case, confidential, other, Role::UnitHead, tree) != View::Hidden {
            units.push(other);
        }
    }
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::HolidayCalendar;
    use crate::deadline::CountingPolicy;
    use crate::petition::{Accused, Category, Channel, Registration};
    use crate::procedure::{Ctx, register};
    use crate::unit::tests::sample_tree;

    fn case_at(tree: &UnitTree, unit: UnitId, category: Category, accused: Option<&str>) -> Case {
        let cal = HolidayCalendar::default();
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
        let ctx = Ctx {
            on,
            now: chrono::Utc::now(),
            calendar: &cal,
            tree,
            policy: CountingPolicy::default(),
            window_policy: CountingPolicy::StartExcludedNoRoll,
        };
        let at = tree.get(unit).cloned().unwrap_or_else(|| panic!("unit {unit}"));
        let reg = Registration {
            channel: Channel::Visit,
            petitioners: Vec::new(),
            collective: false,
            headcount: 1,
            jurisdiction: at.jurisdiction.clone(),
            title: "讨薪".into(),
            content: "再不给钱我就从楼上跳下去".into(),
            request: "支付工资".into(),
            facts_and_reasons: String::new(),
            category,
            litigation_related: false,
            topic: None,
            accused: accused.map(|code| Accused { name: Some("某人".into()), unit: None, position: None, unit_code: Some(code.into()) }),
            anonymous: false,
            confidential: false,
            received_on: on,
        };
        register(&reg, &at, &ctx)
    }

    #[test]
    fn an_urgent_risk_found_by_a_township_or_a_department_reaches_the_areas_bureau() {
        let tree = sample_tree();
        // Township office 5 and county department 12 are in county 440304,
        // whose bureau is 3 (a township's own office is not the area's
        // bureau: `bureau_for` skips township offices).
        for unit in [5, 12, 16] {
            let case = case_at(&tree, unit, Category::Claim, None);
            assert_eq!(alert_units(&tree, unit, true, &case, false), vec![unit, 3], "unit {unit}");
            assert_eq!(alert_units(&tree, unit, false, &case, false), vec![unit], "elevated stays with unit {unit}");
        }
        // A city department: the city bureau.
        let case = case_at(&tree, 11, Category::Claim, None);
        assert_eq!(alert_units(&tree, 11, true, &case, false), vec![11, 2]);
    }

    #[test]
    fn the_unit_holding_the_petition_is_told_before_the_bureau() {
        let tree = sample_tree();
        // Registered by township office 5, now with county department 12.
        let mut case = case_at(&tree, 5, Category::Claim, None);
        case.current_unit = 12;
        assert_eq!(alert_units(&tree, 5, true, &case, false), vec![5, 12, 3]);
        // Raised by the bureau while the department holds it.
        assert_eq!(alert_units(&tree, 3, true, &case, false), vec![3, 12]);
        assert_eq!(alert_units(&tree, 3, false, &case, false), vec![3]);
    }

    #[test]
    fn a_bureau_that_found_it_is_not_told_twice() {
        let tree = sample_tree();
        for unit in [1, 2, 3] {
            let case = case_at(&tree, unit, Category::Claim, None);
            assert_eq!(alert_units(&tree, unit, true, &case, false), vec![unit]);
        }
    }

    #[test]
    fn art30_a_bureau_from_which_the_accusation_is_hidden_is_not_told() {
        let tree = sample_tree();
        // No accused named yet: hidden from everyone but the receiving unit
        // and the discipline bodies.
        let case = case_at(&tree, 12, Category::Accusation, None);
        assert_eq!(alert_units(&tree, 12, true, &case, false), vec![12]);
        // The county bureau itself accused: it never learns of it.
        let case = case_at(&tree, 12, Category::Accusation, Some("U3"));
        assert_eq!(alert_units(&tree, 12, true, &case, false), vec![12]);
        // Another unit accused: the bureau is told (it reads the alert sealed).
        let case = case_at(&tree, 12, Category::Accusation, Some("U21"));
        assert_eq!(view(&case, false, 3, Role::UnitHead, &tree), View::Sealed);
        assert_eq!(alert_units(&tree, 12, true, &case, false), vec![12, 3]);
    }
}
