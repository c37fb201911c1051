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
        // (An Art. 25 report's recipients see that it exists, sealed.)
        if case.accused_unit.is_none()
            && !case.accused_unknown
            && unit != case.registered_unit
            && !at_discipline
            && !case.reported_to.contains(&unit)
        {
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
        if !(handled_by_discipline || area_discipline || case.disclosed_to.contains(&unit) || at_intake) {
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
