//! TEMPORARY: line-only stand-ins for the two-hierarchy tree methods being
//! written on the `units` branch; removed when it merges.
#![allow(dead_code)]
use crate::unit::{Unit, UnitId, UnitTree};

pub trait TreeExt {
    fn review_options(&self, id: UnitId) -> Vec<&Unit>;
    fn acts_for(&self, staff_unit: UnitId, unit: UnitId) -> bool;
    fn is_above(&self, upper: UnitId, lower: UnitId) -> bool;
    fn is_self_or_above_any(&self, upper: UnitId, lower: UnitId) -> bool;
}

impl TreeExt for UnitTree {
    fn review_options(&self, id: UnitId) -> Vec<&Unit> {
        self.parent(id).into_iter().collect()
    }
    fn acts_for(&self, staff_unit: UnitId, unit: UnitId) -> bool {
        staff_unit == unit
    }
    fn is_above(&self, upper: UnitId, lower: UnitId) -> bool {
        upper != lower && self.is_self_or_ancestor(upper, lower)
    }
    fn is_self_or_above_any(&self, upper: UnitId, lower: UnitId) -> bool {
        self.is_self_or_ancestor(upper, lower)
    }
}
