//! Units (机关单位) and the 四纵三横 tree.
//!
//! Every unit has a parent: its 上一级 for 复查/复核 (Art. 35–36) and the
//! one that decides disputes between its children (Art. 24). A vertical
//! system (petition bureaus, a functional department's line, the discipline
//! bodies, each 政法 line) chains county → city → province.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

pub type UnitId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 党委和政府信访部门.
    PetitionBureau,
    /// 职能部门.
    Department,
    /// 纪委监委.
    DisciplineBody,
    /// 人民法院.
    Court,
    /// 人民检察院.
    Procuratorate,
    /// 公安机关.
    Police,
    /// 信访工作联席会议.
    JointConference,
    /// 本级党委和政府 (receives Art. 22(1) and Art. 25 reports).
    PartyGovernment,
}

impl UnitKind {
    pub const ALL: [UnitKind; 8] = [
        UnitKind::PetitionBureau,
        UnitKind::Department,
        UnitKind::DisciplineBody,
        UnitKind::Court,
        UnitKind::Procuratorate,
        UnitKind::Police,
        UnitKind::JointConference,
        UnitKind::PartyGovernment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::PetitionBureau => "petition_bureau",
            UnitKind::Department => "department",
            UnitKind::DisciplineBody => "discipline_body",
            UnitKind::Court => "court",
            UnitKind::Procuratorate => "procuratorate",
            UnitKind::Police => "police",
            UnitKind::JointConference => "joint_conference",
            UnitKind::PartyGovernment => "party_government",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 政法部门: the units litigation-related matters go to (Art. 22, 28).
    pub fn is_legal(self) -> bool {
        matches!(self, UnitKind::Court | UnitKind::Procuratorate | UnitKind::Police)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    Township,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "province" => Some(Level::Province),
            "city" => Some(Level::City),
            "county" => Some(Level::County),
            "township" => Some(Level::Township),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    pub parent_id: Option<UnitId>,
    /// 行政区划 code of the area it serves (2, 4, 6 or 9 digits).
    pub jurisdiction: String,
    /// Materialised path of ids, "/1/7/42/", for subtree queries.
    pub path: String,
}

/// The whole unit tree, loaded once and consulted by the procedure.
#[derive(Debug, Clone, Default)]
pub struct UnitTree {
    units: HashMap<UnitId, Unit>,
    by_code: HashMap<String, UnitId>,
}

impl UnitTree {
    pub fn new(units: impl IntoIterator<Item = Unit>) -> Self {
        let units: HashMap<UnitId, Unit> = units.into_iter().map(|u| (u.id, u)).collect();
        let by_code = units.values().map(|u| (u.code.clone(), u.id)).collect();
        UnitTree { units, by_code }
    }

    pub fn get(&self, id: UnitId) -> Option<&Unit> {
        self.units.get(&id)
    }

    pub fn by_code(&self, code: &str) -> Option<&Unit> {
        self.by_code.get(code).and_then(|id| self.units.get(id))
    }

    pub fn all(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    pub fn parent(&self, id: UnitId) -> Option<&Unit> {
        self.get(id).and_then(|u| u.parent_id).and_then(|p| self.get(p))
    }

    /// True when `ancestor` is `unit` or above it in the tree.
    pub fn is_self_or_ancestor(&self, ancestor: UnitId, unit: UnitId) -> bool {
        let mut cur = Some(unit);
        let mut guard = 0;
        while let Some(id) = cur {
            if id == ancestor {
                return true;
            }
            cur = self.get(id).and_then(|u| u.parent_id);
            guard += 1;
            if guard > 64 {
                return false;
            }
        }
        false
    }

    /// Ancestors from the parent upwards.
    pub fn ancestors(&self, id: UnitId) -> Vec<&Unit> {
        let mut out = Vec::new();
        let mut cur = self.parent(id);
        while let Some(u) = cur {
            if out.len() > 64 {
                break;
            }
            out.push(u);
            cur = self.parent(u.id);
        }
        out
    }

    /// The nearest unit that is an ancestor of all `ids` (Art. 24).
    pub fn common_superior(&self, ids: &[UnitId]) -> Option<&Unit> {
        let first = *ids.first()?;
        self.ancestors(first).into_iter().find(|cand| ids.iter().all(|&id| id != cand.id && self.is_self_or_ancestor(cand.id, id)))
    }

    /// The joint conference that serves an area at a level: the one whose
    /// jurisdiction is the longest prefix of `jurisdiction`.
    pub fn joint_conference_for(&self, jurisdiction: &str) -> Option<&Unit> {
        self.best_by_jurisdiction(UnitKind::JointConference, jurisdiction)
    }

    /// The petition bureau responsible for an area: longest jurisdiction
    /// prefix, but not a township office (online petitions go to the county
    /// bureau or above unless a township office is chosen explicitly).
    pub fn bureau_for(&self, jurisdiction: &str) -> Option<&Unit> {
        self.units
            .values()
            .filter(|u| u.kind == UnitKind::PetitionBureau && u.level != Level::Township)
            .filter(|u| jurisdiction.starts_with(&u.jurisdiction))
            .max_by_key(|u| u.jurisdiction.len())
    }

    fn best_by_jurisdiction(&self, kind: UnitKind, jurisdiction: &str) -> Option<&Unit> {
        self.units.values().filter(|u| u.kind == kind && jurisdiction.starts_with(&u.jurisdiction)).max_by_key(|u| u.jurisdiction.len())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small tree used across the domain tests:
    /// province bureau 1 → city bureau 2 → county bureaus 3, 4;
    /// province dept 10 → city dept 11 → county depts 12 (county 3), 13 (county 4);
    /// other county dept 14 in county 3; discipline 20 (county 3); court 21;
    /// joint conference 30 (county 3); 31 (city).
    pub fn sample_tree() -> UnitTree {
        let u = |id, kind, level, parent: Option<i64>, juris: &str, path: &str| Unit {
            id,
            code: format!("U{id}"),
            name: format!("单位{id}"),
            kind,
            level,
            parent_id: parent,
            jurisdiction: juris.into(),
            path: path.into(),
        };
        use Level::*;
        use UnitKind::*;
        UnitTree::new([
            u(1, PetitionBureau, Province, None, "44", "/1/"),
            u(2, PetitionBureau, City, Some(1), "4403", "/1/2/"),
            u(3, PetitionBureau, County, Some(2), "440304", "/1/2/3/"),
            u(4, PetitionBureau, County, Some(2), "440305", "/1/2/4/"),
            u(5, PetitionBureau, Township, Some(3), "440304001", "/1/2/3/5/"),
            u(10, Department, Province, None, "44", "/10/"),
            u(11, Department, City, Some(10), "4403", "/10/11/"),
            u(12, Department, County, Some(11), "440304", "/10/11/12/"),
            u(13, Department, County, Some(11), "440305", "/10/11/13/"),
            u(14, Department, County, None, "440304", "/14/"),
            u(15, Department, City, Some(10), "4403", "/10/15/"),
            u(16, Department, Township, Some(12), "440304001", "/10/11/12/16/"),
            u(20, DisciplineBody, County, None, "440304", "/20/"),
            u(21, Court, County, None, "440304", "/21/"),
            u(31, JointConference, City, None, "4403", "/31/"),
            u(30, JointConference, County, Some(31), "440304", "/31/30/"),
        ])
    }

    #[test]
    fn common_superior_and_joint_conference() {
        let t = sample_tree();
        assert_eq!(t.common_superior(&[12, 13]).map(|u| u.id), Some(11));
        assert_eq!(t.common_superior(&[12, 14]).map(|u| u.id), None);
        assert_eq!(t.joint_conference_for("440304").map(|u| u.id), Some(30));
        assert_eq!(t.bureau_for("440304001").map(|u| u.id), Some(3));
        assert!(t.is_self_or_ancestor(2, 3));
        assert!(!t.is_self_or_ancestor(3, 4));
    }
}
