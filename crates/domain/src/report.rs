//! Art. 25: who receives a report of a major or urgent petition matter.
//!
//! The Regulations say the unit reports "to the Party committee and
//! government at its level" and to the petition bureau above it. Both are
//! found in the unit tree by area: the same jurisdiction for the
//! 本级党委和政府, the parent area for the bureau one level up.

use crate::unit::{UnitId, UnitKind, UnitTree};

/// The area one level up: a 9-digit township → its 6-digit county, a
/// county → its 4-digit city, a city → its 2-digit province; none above a
/// province (and none for a code of another shape).
pub fn parent_area(jurisdiction: &str) -> Option<&str> {
    let cut = match jurisdiction.len() {
        12 => 9,
        9 => 6,
        6 => 4,
        4 => 2,
        _ => return None,
    };
    jurisdiction.get(..cut)
}

/// The recipients of an Art. 25 report by `reporting_unit`, in order: the
/// PartyGovernment unit of its own area, then the petition bureau of the
/// parent area. Units that do not exist are left out, and so is the
/// reporting unit itself (a 党委和政府 reporting does not report to itself).
pub fn urgent_recipients(tree: &UnitTree, reporting_unit: UnitId) -> Vec<UnitId> {
    let Some(unit) = tree.get(reporting_unit) else { return Vec::new() };
    // The lowest id wins if a tree ever holds two of a kind for one area,
    // so the answer does not depend on hash order.
    let exact = |kind: UnitKind, area: &str| tree.all().filter(|u| u.kind == kind && u.jurisdiction == area).map(|u| u.id).min();
    let party_government = exact(UnitKind::PartyGovernment, &unit.jurisdiction);
    let bureau_above = parent_area(&unit.jurisdiction).and_then(|area| exact(UnitKind::PetitionBureau, area));
    let mut out: Vec<UnitId> = Vec::new();
    for id in [party_government, bureau_above].into_iter().flatten() {
        if id != reporting_unit && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unit::tests::sample_tree;
    use crate::unit::{Level, Unit};

    /// The sample tree plus the county 党委和政府 of 440304 (id 40) and the
    /// city one of 4403 (id 41).
    fn tree_with_party_government() -> UnitTree {
        let pg = |id: UnitId, level, juris: &str| Unit {
            id,
            code: format!("U{id}"),
            name: format!("党委政府{id}"),
            kind: UnitKind::PartyGovernment,
            level,
            parent_id: None,
            jurisdiction: juris.into(),
            path: format!("/{id}/"),
            gov_id: None,
        };
        let units: Vec<Unit> = sample_tree().all().cloned().chain([pg(40, Level::County, "440304"), pg(41, Level::City, "4403")]).collect();
        UnitTree::new(units)
    }

    #[test]
    fn parent_area_climbs_one_level() {
        assert_eq!(parent_area("440304001"), Some("440304"));
        assert_eq!(parent_area("440304"), Some("4403"));
        assert_eq!(parent_area("4403"), Some("44"));
        assert_eq!(parent_area("44"), None);
        assert_eq!(parent_area("4403x"), None);
    }

    #[test]
    fn art25_county_department_reports_to_county_party_government_and_city_bureau() {
        let t = tree_with_party_government();
        assert_eq!(urgent_recipients(&t, 12), vec![40, 2]);
        // A sibling county's department has no 党委和政府 in this tree: the city bureau only.
        assert_eq!(urgent_recipients(&t, 13), vec![2]);
    }

    #[test]
    fn art25_levels_city_to_province_and_township_to_county() {
        let t = tree_with_party_government();
        assert_eq!(urgent_recipients(&t, 2), vec![41, 1], "city bureau: city 党委和政府, province bureau");
        assert_eq!(urgent_recipients(&t, 16), vec![3], "township department: the county bureau");
        assert_eq!(urgent_recipients(&t, 5), vec![3], "township office: the county bureau");
    }

    #[test]
    fn art25_never_the_reporting_unit_itself_and_none_that_do_not_exist() {
        let t = tree_with_party_government();
        assert_eq!(urgent_recipients(&t, 40), vec![2], "the county 党委和政府 reports up, not to itself");
        assert!(urgent_recipients(&t, 1).is_empty(), "a province bureau without a provincial 党委和政府 has no recipient");
        assert!(urgent_recipients(&t, 10).is_empty());
        assert!(urgent_recipients(&t, 999).is_empty(), "unknown unit");
        // The plain sample tree has no 党委和政府 at all.
        assert_eq!(urgent_recipients(&sample_tree(), 12), vec![2]);
    }

    // ----- The ReportUrgent transition (procedure.rs) ----------------------

    use crate::calendar::HolidayCalendar;
    use crate::deadline::CountingPolicy;
    use crate::error::{ErrorKind, Rule};
    use crate::petition::Category;
    use crate::procedure::{Actor, Case, Command, Ctx, StaffActor, transition};
    use crate::role::Role;

    fn case_at(unit: UnitId) -> Case {
        crate::procedure::handling_case(unit, chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default(), Vec::new())
    }

    fn report(case: &Case, unit: UnitId, tree: &UnitTree) -> Result<crate::procedure::Transition, crate::DomainError> {
        let cal = HolidayCalendar::default();
        let ctx = Ctx {
            on: case.received_on,
            now: chrono::Utc::now(),
            calendar: &cal,
            tree,
            policy: CountingPolicy::default(),
            window_policy: CountingPolicy::StartExcludedNoRoll,
        };
        let actor = Actor::Staff(StaffActor { user_id: 1, unit_id: unit, role: Role::UnitHead });
        transition(case, Command::ReportUrgent { summary: "群体性欠薪，人数较多".into() }, &actor, &ctx)
    }

    #[test]
    fn art25_report_records_its_recipients_on_the_case_and_in_the_event() {
        let t = tree_with_party_government();
        let first = report(&case_at(12), 12, &t).expect("reported");
        assert_eq!(first.case.reported_to, vec![40, 2]);
        assert!(first.case.urgent_reported);
        assert_eq!(
            first.payload["recipients"],
            serde_json::json!([{"code": "U40", "name": "党委政府40"}, {"code": "U2", "name": "单位2"}])
        );
        // A second report reaches the same units; the case lists each once.
        let again = report(&first.case, 12, &t).expect("reported again");
        assert_eq!(again.case.reported_to, vec![40, 2]);
    }

    #[test]
    fn art25_report_without_any_recipient_is_refused() {
        let e = report(&case_at(10), 10, &tree_with_party_government()).expect_err("no recipient");
        assert_eq!((e.kind, e.rule, e.code), (ErrorKind::Conflict, Rule::Art25, "no_recipient"));
    }

    #[test]
    fn art30_report_on_an_accusation_skips_the_accused_units_chain() {
        let t = tree_with_party_government();
        let mut c = case_at(12);
        c.category = Category::Accusation;
        c.accused_unit = Some(40);
        assert_eq!(report(&c, 12, &t).expect("reported").case.reported_to, vec![2]);
    }
}
