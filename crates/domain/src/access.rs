//! Who may see what of a petition, beyond the unit tree (which the store's
//! index applies): sealed accusations (Art. 30, 46) and petitioners who
//! asked for confidentiality. One place, pure, tested against every role.

use crate::petition::{Category, State};
use crate::procedure::Case;
use crate::role::Role;
use crate::unit::{UnitId, UnitKind, UnitTree};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Must look as if it does not exist (404): the accused's chain.
    Hidden,
    /// Accusation material and the accuser's identity withheld.
    Sealed,
    /// The petitioner's identity withheld (confidentiality requested).
    IdentityHidden,
    /// Everything, and personal data may be unmasked on a logged action.
    Full,
}

/// The view `unit`/`role` gets of a petition it can already reach through
/// the unit tree. `confidential` is the petitioner's request.
pub fn view(case: &Case, confidential: bool, unit: UnitId, role: Role, tree: &UnitTree) -> View {
    if case.category == Category::Accusation {
        // The accused unit and every unit above it, in either hierarchy: never.
        if case.accused_unit.is_some_and(|a| tree.is_accused_or_above(unit, a)) {
            return View::Hidden;
        }
        // Sealed from the moment it is classified as an accusation: until
        // the accused unit is designated (or found unknowable by the
        // discipline body) nobody but the receiving unit and the discipline
        // bodies may learn it exists, since any unit might be the accused.
        let at_discipline = tree.get(unit).is_some_and(|u| u.kind == UnitKind::DisciplineBody);
        if hidden_until_accused_named(case, unit, at_discipline) {
            return View::Hidden;
        }
        let handled_by_discipline = [case.handling_unit, Some(case.current_unit)]
            .into_iter()
            .flatten()
            .filter(|h| tree.get(*h).is_some_and(|u| u.kind == UnitKind::DisciplineBody))
            .any(|h| tree.is_self_or_ancestor(unit, h));
        let at_intake = unit == case.registered_unit && case.current_unit == unit && case.state == State::Registered;
        // The discipline bodies of the area the matter arose in (Art. 22, 30).
        let area_discipline =
            tree.get(unit).is_some_and(|u| u.kind == UnitKind::DisciplineBody && case.jurisdiction.starts_with(&u.jurisdiction));
        // The unit holding or handling it (a competent unit it was sent to
        // once the accused was named, never one of the accused's line,
        // which is Hidden above) reads what it must act on.
        let holder = tree.acts_for(unit, case.current_unit) || case.handling_unit.is_some_and(|h| tree.acts_for(unit, h));
        if !(handled_by_discipline || area_discipline || case.disclosed_to.contains(&unit) || at_intake || holder) {
            return View::Sealed;
        }
    }
    if confidential {
        let registering = unit == case.registered_unit;
        let handling_officer = case.handling_unit == Some(unit) && matches!(role, Role::HandlingOfficer | Role::UnitHead);
        if !(registering || handling_officer) {
            return View::IdentityHidden;
        }
    }
    View::Full
}

/// An accusation whose accused unit is not named yet (nor found
/// unknowable) exists only for the unit that received it, a bureau holding
/// it as registered (one it was routed to, or taken back by, which read it
/// before it was classed so),
/// the discipline bodies (`at_discipline`: `unit` is one) and the units an Art. 25 report
/// reached, which see it sealed: any other unit might be the accused
/// (Art. 30). The store's viewer rows apply the same rule, so that a list's
/// count does not reveal it either (`store::viewers`).
pub fn hidden_until_accused_named(case: &Case, unit: UnitId, at_discipline: bool) -> bool {
    case.category == Category::Accusation
        && case.accused_unit.is_none()
        && !case.accused_unknown
        && unit != case.registered_unit
        && !(unit == case.current_unit && case.state == State::Registered)
        && !at_discipline
        && !case.reported_to.contains(&unit)
}

/// What a stored case's text (`serde_json`, compact, as the store writes
/// `case_json`) holds when [`hidden_until_accused_named`] hides it from
/// every unit but those its columns name (the receiving unit, the current
/// one while registered): an accusation by the case itself (a petitions
/// row's own `category` column has been seen to disagree with its case in
/// the demo history's data), no accused named, not found unknowable, no
/// Art. 25 report. A store reading tens of thousands of unnamed
/// accusations decides those from these markers without moving or parsing
/// the text (`store::screen`), and parses the rest; if the written form
/// ever changed, no row would carry all three and every one would be
/// parsed — slower, never wrong.
pub const UNNAMED_SEALED_MARKERS: [&str; 4] =
    ["\"category\":\"accusation\"", "\"accused_unit\":null", "\"accused_unknown\":false", "\"reported_to\":[]"];

/// What a stored case's text holds once its accused was found unknowable:
/// then it is hidden from no one for want of a name.
pub const UNKNOWABLE_MARKER: &str = "\"accused_unknown\":true";

/// The area one level up: a township's county, a county's city, a city's province.
fn parent_area(area: &str) -> Option<&str> {
    match area.len() {
        9 => area.get(..6),
        6 => area.get(..4),
        4 => area.get(..2),
        _ => None,
    }
}

/// Where an accusation that names `accused` is received (Art. 30): the
/// receiving unit itself, unless it is in the accused's chain — then the
/// discipline body of its area, or failing that the nearest discipline body
/// or petition bureau of an area above that is clear of the chain. Nobody
/// can then hold an accusation against itself, and it is never sealed from
/// every account.
///
/// The search starts no lower than the accused's own area (Art. 22: an
/// accusation goes to the discipline body under cadre-management
/// jurisdiction): a district bureau that receives one against the city's
/// bureau sends it to the city's discipline body, not the district's, which
/// has no say over city cadres.
pub fn accusation_receiver<'a>(tree: &'a UnitTree, receiving: &'a crate::unit::Unit, accused: UnitId) -> &'a crate::unit::Unit {
    if !tree.in_accused_chain(receiving.id, accused) {
        return receiving;
    }
    let start = match tree.get(accused).map(|a| a.jurisdiction.as_str()) {
        Some(higher) if !higher.is_empty() && higher.len() < receiving.jurisdiction.len() && receiving.jurisdiction.starts_with(higher) => {
            higher
        }
        _ => receiving.jurisdiction.as_str(),
    };
    let mut area = Some(start);
    while let Some(a) = area {
        for kind in [UnitKind::DisciplineBody, UnitKind::PetitionBureau] {
            let found =
                tree.all().filter(|u| u.kind == kind && u.jurisdiction == a && !tree.in_accused_chain(u.id, accused)).min_by_key(|u| u.id);
            if let Some(u) = found {
                return u;
            }
        }
        area = parent_area(a);
    }
    receiving
}

#[cfg(test)]
mod accusation_tests {
    use super::*;
    use crate::calendar::HolidayCalendar;
    use crate::deadline::CountingPolicy;
    use crate::petition::{Accused, Channel, Registration};
    use crate::procedure::{Actor, Ctx, StaffActor, available_actions, register};
    use crate::unit::tests::sample_tree;

    /// The sample tree plus a discipline body at every level, as every
    /// real tree has.
    fn with_discipline_bodies() -> UnitTree {
        let base = sample_tree();
        let extra =
            [(22, crate::unit::Level::County, "440305"), (23, crate::unit::Level::City, "4403"), (24, crate::unit::Level::Province, "44")]
                .map(|(id, level, juris)| crate::unit::Unit {
                    id,
                    code: format!("U{id}"),
                    name: format!("纪委{id}"),
                    kind: UnitKind::DisciplineBody,
                    level,
                    parent_id: None,
                    gov_id: None,
                    jurisdiction: juris.into(),
                    path: format!("/{id}/"),
                });
        UnitTree::new(base.all().cloned().chain(extra))
    }

    /// Art. 22: an accusation sent on from a unit in the accused's chain
    /// reaches a discipline body of the accused's level or above (cadre
    /// management), never one below it.
    #[test]
    fn art22_an_accusation_sent_on_reaches_a_discipline_body_at_the_accused_level_or_above() {
        let tree = with_discipline_bodies();
        let mut moved = 0;
        for r in tree.all() {
            for accused in tree.all().filter(|a| !a.jurisdiction.is_empty()) {
                let at = accusation_receiver(&tree, r, accused.id);
                if at.id != r.id && at.kind == UnitKind::DisciplineBody {
                    assert!(
                        accused.jurisdiction.starts_with(&at.jurisdiction),
                        "{} received at {} ({}) an accusation against {} ({})",
                        r.name,
                        at.name,
                        at.jurisdiction,
                        accused.name,
                        accused.jurisdiction
                    );
                    moved += 1;
                }
            }
        }
        assert!(moved > 10);
        // The district bureau (3) on the city bureau (2): the city's body (23).
        let district = tree.get(3).unwrap_or_else(|| unreachable!());
        assert_eq!(accusation_receiver(&tree, district, 2).id, 23);
    }

    /// For every unit that may receive an accusation and every unit it may
    /// name, the accusation lands where someone outside the accused's chain
    /// sees it and can act on it, with a running timer on that unit.
    #[test]
    fn art30_no_accusation_is_sealed_from_everyone() {
        let tree = with_discipline_bodies();
        let cal = HolidayCalendar::default();
        let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
        let ctx = Ctx {
            on,
            now: chrono::Utc::now(),
            calendar: &cal,
            tree: &tree,
            policy: CountingPolicy::default(),
            window_policy: CountingPolicy::StartExcludedNoRoll,
        };
        let receivers: Vec<_> = tree.all().filter(|u| !matches!(u.kind, UnitKind::JointConference | UnitKind::PartyGovernment)).collect();
        let mut checked = 0;
        for r in &receivers {
            for accused in tree.all() {
                let reg = Registration {
                    channel: Channel::Letter,
                    petitioners: Vec::new(),
                    collective: false,
                    headcount: 1,
                    jurisdiction: r.jurisdiction.clone(),
                    title: "检举".into(),
                    content: String::new(),
                    request: "查处".into(),
                    facts_and_reasons: "索贿".into(),
                    category: Category::Accusation,
                    litigation_related: false,
                    topic: None,
                    accused: Some(Accused {
                        name: Some("某人".into()), unit: None, position: None, unit_code: Some(accused.code.clone())
                    }),
                    anonymous: false,
                    confidential: false,
                    received_on: on,
                };
                let at = accusation_receiver(&tree, r, accused.id);
                let case = register(&reg, at, &ctx);
                assert!(!tree.in_accused_chain(at.id, accused.id), "{} received an accusation against {}", at.name, accused.name);
                let staff = |role| Actor::Staff(StaffActor { user_id: 1, unit_id: at.id, role });
                assert_ne!(view(&case, false, at.id, Role::Clerk, &tree), View::Hidden, "{} sees it", at.name);
                let can_act = [Role::Clerk, Role::HandlingOfficer, Role::UnitHead]
                    .into_iter()
                    .any(|role| !available_actions(&case, &staff(role), &ctx).is_empty());
                assert!(can_act, "{} can act on an accusation against {}", at.name, accused.name);
                assert!(case.next_duty_deadline().is_some(), "a timer runs on {}", at.name);
                checked += 1;
            }
        }
        assert!(checked > 100);
    }
}
