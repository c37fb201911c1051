//! Units (机关单位) and their two hierarchies.
//!
//! A unit has a line superior (`parent_id`, 条条: the department one level
//! up in its system) and a territorial government (`gov_id`, 块块: the
//! people's government at its own level). Both are "上一级" for 复查/复核
//! (Art. 35–36: 本级人民政府或者上一级主管部门) and both decide disputes
//! between their units (Art. 24). A vertical system (petition bureaus, a
//! functional department's line, the discipline bodies, each 政法 line)
//! chains county → city → province; governments chain the same way.
//!
//! The materialised `path` follows the line hierarchy only: it is the index
//! behind petition visibility. Questions about "above" in either hierarchy
//! walk the links here, always with a visited set, so a bad import with a
//! cycle cannot hang the server.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};

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
    /// 人民政府: the territorial superior of the departments at its level.
    Government,
    /// 人民政府办公室: its staff act for their government.
    GovernmentOffice,
    /// 村（居）民委员会: a village or residential community, where grid
    /// reporters record disputes (issue 14). A self-governing body, not an
    /// organ of the state: it never handles a petition.
    Community,
}

impl UnitKind {
    pub const ALL: [UnitKind; 11] = [
        UnitKind::PetitionBureau,
        UnitKind::Department,
        UnitKind::DisciplineBody,
        UnitKind::Court,
        UnitKind::Procuratorate,
        UnitKind::Police,
        UnitKind::JointConference,
        UnitKind::PartyGovernment,
        UnitKind::Government,
        UnitKind::GovernmentOffice,
        UnitKind::Community,
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
            UnitKind::Government => "government",
            UnitKind::GovernmentOffice => "government_office",
            UnitKind::Community => "community",
        }
    }

    /// The kind's name in Chinese, for pages and messages.
    pub fn label(self) -> &'static str {
        match self {
            UnitKind::PetitionBureau => "信访部门",
            UnitKind::Department => "职能部门",
            UnitKind::DisciplineBody => "纪委监委",
            UnitKind::Court => "人民法院",
            UnitKind::Procuratorate => "人民检察院",
            UnitKind::Police => "公安机关",
            UnitKind::JointConference => "信访工作联席会议",
            UnitKind::PartyGovernment => "党委和政府",
            UnitKind::Government => "人民政府",
            UnitKind::GovernmentOffice => "人民政府办公室",
            UnitKind::Community => "村（居）民委员会",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// 政法部门: the units litigation-related matters go to (Art. 22, 28).
    pub fn is_legal(self) -> bool {
        matches!(self, UnitKind::Court | UnitKind::Procuratorate | UnitKind::Police)
    }

    /// Kinds that publish a leader's mailbox (领导信箱) citizens may write
    /// to: the petition bureaus, the Party committees and governments
    /// (本级党委和政府) and the people's governments (市长信箱). A mailbox submission addressed to any other unit
    /// (a department, the discipline body, a court...) is refused: the
    /// citizen files online, and the bureau routes it (Art. 22).
    pub fn publishes_mailbox(self) -> bool {
        matches!(self, UnitKind::PetitionBureau | UnitKind::PartyGovernment | UnitKind::Government)
    }

    /// Bodies that answer for a whole area rather than one line: a higher
    /// one of these is above every unit of its area (Art. 19 para 3).
    pub fn is_territorial(self) -> bool {
        matches!(self, UnitKind::PetitionBureau | UnitKind::Government | UnitKind::GovernmentOffice | UnitKind::PartyGovernment)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    County,
    Township,
    /// 村、社区 (issue 14): below the township, where disputes are screened.
    Village,
}

impl Level {
    /// Every level, the province first.
    pub const ALL: [Level; 5] = [Level::Province, Level::City, Level::County, Level::Township, Level::Village];

    /// The level of a 行政区划 code by its length.
    pub fn of_division(code: &str) -> Level {
        Level::ALL.into_iter().rev().find(|l| code.len() >= l.division_len()).unwrap_or(Level::Province)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
        }
    }
    /// The level's name in Chinese.
    pub fn label(self) -> &'static str {
        match self {
            Level::Province => "省级",
            Level::City => "市级",
            Level::County => "县级",
            Level::Township => "乡级",
            Level::Village => "村级",
        }
    }
    /// How many digits a 行政区划 code of this level has.
    pub fn division_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::County => 6,
            Level::Township => 9,
            Level::Village => 12,
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "province" => Some(Level::Province),
            "city" => Some(Level::City),
            "county" => Some(Level::County),
            "township" => Some(Level::Township),
            "village" => Some(Level::Village),
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
    /// The line superior (条条): same system, one level up.
    pub parent_id: Option<UnitId>,
    /// The people's government at the unit's level (本级人民政府, 块块).
    #[serde(default)]
    pub gov_id: Option<UnitId>,
    /// 行政区划 code of the area it serves (2, 4, 6, 9 or 12 digits).
    pub jurisdiction: String,
    /// Materialised path of ids, "/1/7/42/", for subtree queries.
    pub path: String,
}

impl Unit {
    /// Whether citizens may address this unit through the leader mailbox:
    /// a kind that publishes one (`UnitKind::publishes_mailbox`), above the
    /// township level (townships have no mailbox of their own on the
    /// portal). The portal lists exactly these; intake refuses the others.
    pub fn publishes_mailbox(&self) -> bool {
        self.kind.publishes_mailbox() && self.level < Level::Township
    }
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

    /// The line superior (条条): the same system one level up.
    pub fn line_superior(&self, id: UnitId) -> Option<&Unit> {
        self.parent(id)
    }

    /// The people's government at the unit's level (块块).
    pub fn territorial_government(&self, id: UnitId) -> Option<&Unit> {
        self.get(id).and_then(|u| u.gov_id).and_then(|g| self.get(g))
    }

    /// Ids a unit links up to: line superior first, then its government;
    /// never itself, never twice.
    fn links(&self, id: UnitId) -> impl Iterator<Item = UnitId> + '_ {
        let u = self.get(id);
        let parent = u.and_then(|u| u.parent_id).filter(|&p| p != id);
        let gov = u.and_then(|u| u.gov_id).filter(|&g| g != id && Some(g) != parent);
        parent.into_iter().chain(gov).filter(|x| self.units.contains_key(x))
    }

    /// The direct superiors in either hierarchy: line superior first, then
    /// the government; deduplicated.
    pub fn superiors(&self, id: UnitId) -> Vec<&Unit> {
        self.links(id).filter_map(|x| self.get(x)).collect()
    }

    /// Where a 复查/复核 against a decision of `id` may go (Art. 35, 36:
    /// 本级人民政府或者上一级主管部门). Joint conferences and party
    /// committees do not review decisions. A government office decides for
    /// its government, so its government's options apply. The first is the
    /// default offered to the petitioner: the line superior when there is one.
    pub fn review_options(&self, id: UnitId) -> Vec<&Unit> {
        let base = match self.get(id) {
            Some(u) if u.kind == UnitKind::GovernmentOffice => u.gov_id.filter(|&g| g != id && self.units.contains_key(&g)).unwrap_or(id),
            _ => id,
        };
        self.superiors(base).into_iter().filter(|u| !matches!(u.kind, UnitKind::JointConference | UnitKind::PartyGovernment)).collect()
    }

    /// Every unit reachable upwards from `id` by parent and government
    /// links, nearest first: the units `is_self_or_above_any` finds above it.
    pub fn above_any(&self, id: UnitId) -> Vec<UnitId> {
        self.above_by_distance(id).into_iter().map(|(_, u)| u).collect()
    }

    /// Every unit reachable upwards from `id` by parent and government
    /// links (both kinds mixed), nearest first, with its link distance.
    fn above_by_distance(&self, id: UnitId) -> Vec<(usize, UnitId)> {
        let mut seen = HashSet::from([id]);
        let mut queue = VecDeque::from([(0usize, id)]);
        let mut out = Vec::new();
        while let Some((d, cur)) = queue.pop_front() {
            for next in self.links(cur) {
                if seen.insert(next) {
                    out.push((d + 1, next));
                    queue.push_back((d + 1, next));
                }
            }
        }
        out
    }

    /// True when `upper` is `lower`, or reachable from it by following
    /// parent and government links transitively (the accused unit's chain).
    pub fn is_self_or_above_any(&self, upper: UnitId, lower: UnitId) -> bool {
        upper == lower || self.above_by_distance(lower).iter().any(|&(_, id)| id == upper)
    }

    /// Every unit `lower` with `is_self_or_above_any(upper, lower)`: `upper`
    /// and every unit whose chain of links reaches it. One pass over the
    /// tree and a walk down from `upper`, rather than a walk up from each
    /// unit (a province's 6,800 units, on every figure a unit reads).
    pub fn self_and_below_any(&self, upper: UnitId) -> Vec<UnitId> {
        if !self.units.contains_key(&upper) {
            return vec![upper];
        }
        let mut below: HashMap<UnitId, Vec<UnitId>> = HashMap::new();
        for &id in self.units.keys() {
            for up in self.links(id) {
                below.entry(up).or_default().push(id);
            }
        }
        let mut seen = HashSet::from([upper]);
        let mut stack = vec![upper];
        while let Some(cur) = stack.pop() {
            for &next in below.get(&cur).map(Vec::as_slice).unwrap_or_default() {
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        seen.into_iter().collect()
    }

    /// Strictly above (Art. 19 para 3): reachable by links, or a territorial
    /// body (bureau, government, its office, party committee) of a higher
    /// level whose area contains `lower`'s area — the city petition bureau
    /// is above a county department of that city though no link joins them.
    pub fn is_above(&self, upper: UnitId, lower: UnitId) -> bool {
        if upper == lower {
            return false;
        }
        let (Some(u), Some(l)) = (self.get(upper), self.get(lower)) else { return false };
        if u.kind.is_territorial() && u.level < l.level && l.jurisdiction.starts_with(&u.jurisdiction) {
            return true;
        }
        self.above_by_distance(lower).iter().any(|&(_, id)| id == upper)
    }

    /// The nearest unit above all `ids` in either hierarchy (Art. 24:
    /// 共同的上一级机关): breadth-first by link distance from the first id;
    /// among equally near candidates a people's government wins. Two
    /// departments of one county → the county government.
    pub fn common_superior(&self, ids: &[UnitId]) -> Option<&Unit> {
        let first = *ids.first()?;
        let above_all = |cand: UnitId| ids.iter().all(|&id| id != cand && self.is_self_or_above_any(cand, id));
        // Breadth-first order: the candidates come nearest first.
        let found: Vec<(usize, UnitId)> = self.above_by_distance(first).into_iter().filter(|&(_, c)| above_all(c)).collect();
        let nearest = found.first()?.0;
        let tied: Vec<&Unit> = found.iter().take_while(|(d, _)| *d == nearest).filter_map(|&(_, c)| self.get(c)).collect();
        tied.iter().find(|u| u.kind == UnitKind::Government).or(tied.first()).copied()
    }

    /// May staff of `staff_unit` act for `unit`: the same unit, or the
    /// office of that government (人民政府办公室 acts for 人民政府).
    pub fn acts_for(&self, staff_unit: UnitId, unit: UnitId) -> bool {
        staff_unit == unit || self.get(staff_unit).is_some_and(|s| s.kind == UnitKind::GovernmentOffice && s.gov_id == Some(unit))
    }

    /// The unit whose place `unit` takes: a government office stands for
    /// its government, any other unit for itself.
    pub fn acting_as(&self, unit: UnitId) -> UnitId {
        self.get(unit).filter(|u| u.kind == UnitKind::GovernmentOffice).and_then(|u| u.gov_id).unwrap_or(unit)
    }

    /// Whether `unit` is in the accused unit's chain (Art. 30): the accused
    /// itself, a unit above it in either hierarchy, or one below it in its
    /// line (which answers to it) — a government office counting as its
    /// government.
    pub fn in_accused_chain(&self, unit: UnitId, accused: UnitId) -> bool {
        let u = self.acting_as(unit);
        self.is_self_or_above_any(u, accused) || self.is_self_or_above_any(accused, u)
    }

    /// Whether `unit` may never learn of an accusation against `accused`:
    /// the accused and everything above it, either hierarchy, offices
    /// counting as their government.
    pub fn is_accused_or_above(&self, unit: UnitId, accused: UnitId) -> bool {
        self.is_self_or_above_any(self.acting_as(unit), accused)
    }

    /// The people's government of exactly this area.
    pub fn government_for(&self, jurisdiction: &str) -> Option<&Unit> {
        self.units.values().filter(|u| u.kind == UnitKind::Government && u.jurisdiction == jurisdiction).min_by_key(|u| u.id)
    }

    /// Whether an administrator of `admin_unit` manages `unit` (its
    /// accounts, its keys): every unit of the admin unit's area, whichever
    /// hierarchy it belongs to, and anything linked below the admin unit.
    pub fn administers(&self, admin_unit: UnitId, unit: UnitId) -> bool {
        let (Some(a), Some(u)) = (self.get(admin_unit), self.get(unit)) else { return false };
        u.jurisdiction.starts_with(&a.jurisdiction) || self.is_self_or_above_any(admin_unit, unit)
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

    #[test]
    fn a_division_codes_length_names_its_level() {
        let of = |c: &str| Level::of_division(c);
        assert_eq!(
            [of("44"), of("4403"), of("440304"), of("440304011"), of("440304011001")],
            [Level::Province, Level::City, Level::County, Level::Township, Level::Village]
        );
    }

    #[test]
    fn only_bureaus_and_party_governments_publish_a_mailbox() {
        let unit = |kind, level| Unit {
            id: 1,
            code: "x".into(),
            name: "x".into(),
            kind,
            level,
            parent_id: None,
            gov_id: None,
            jurisdiction: "4403".into(),
            path: "/1/".into(),
        };
        assert!(unit(UnitKind::PetitionBureau, Level::County).publishes_mailbox());
        assert!(unit(UnitKind::PartyGovernment, Level::City).publishes_mailbox());
        assert!(!unit(UnitKind::PetitionBureau, Level::Township).publishes_mailbox());
        for kind in [UnitKind::Department, UnitKind::DisciplineBody, UnitKind::Court, UnitKind::Police, UnitKind::JointConference] {
            assert!(!unit(kind, Level::City).publishes_mailbox(), "{kind:?}");
        }
    }

    /// A small tree used across the domain tests:
    /// province bureau 1 → city bureau 2 → county bureaus 3, 4;
    /// province dept 10 → city dept 11 → county depts 12 (county 3), 13 (county 4);
    /// other county dept 14 in county 3; discipline 20 (county 3); court 21;
    /// joint conference 30 (county 3); 31 (city).
    /// Governments: city 42 → counties 40 ("440304", office 41) and 43
    /// ("440305"); county units of 440304 have gov 40, of 440305 gov 43,
    /// city units gov 42. Courts and discipline bodies have none.
    pub fn sample_tree() -> UnitTree {
        let u = |id, kind, level, parent: Option<i64>, gov: Option<i64>, juris: &str, path: &str| Unit {
            id,
            code: format!("U{id}"),
            name: format!("单位{id}"),
            kind,
            level,
            parent_id: parent,
            gov_id: gov,
            jurisdiction: juris.into(),
            path: path.into(),
        };
        use Level::*;
        use UnitKind::*;
        UnitTree::new([
            u(1, PetitionBureau, Province, None, None, "44", "/1/"),
            u(2, PetitionBureau, City, Some(1), Some(42), "4403", "/1/2/"),
            u(3, PetitionBureau, County, Some(2), Some(40), "440304", "/1/2/3/"),
            u(4, PetitionBureau, County, Some(2), Some(43), "440305", "/1/2/4/"),
            u(5, PetitionBureau, Township, Some(3), None, "440304001", "/1/2/3/5/"),
            u(10, Department, Province, None, None, "44", "/10/"),
            u(11, Department, City, Some(10), Some(42), "4403", "/10/11/"),
            u(12, Department, County, Some(11), Some(40), "440304", "/10/11/12/"),
            u(13, Department, County, Some(11), Some(43), "440305", "/10/11/13/"),
            u(14, Department, County, None, Some(40), "440304", "/14/"),
            u(15, Department, City, Some(10), Some(42), "4403", "/10/15/"),
            u(16, Department, Township, Some(12), None, "440304001", "/10/11/12/16/"),
            u(20, DisciplineBody, County, None, None, "440304", "/20/"),
            u(21, Court, County, None, None, "440304", "/21/"),
            u(31, JointConference, City, None, None, "4403", "/31/"),
            u(30, JointConference, County, Some(31), None, "440304", "/31/30/"),
            u(42, Government, City, None, None, "4403", "/42/"),
            u(40, Government, County, Some(42), None, "440304", "/42/40/"),
            u(41, GovernmentOffice, County, None, Some(40), "440304", "/41/"),
            u(43, Government, County, Some(42), None, "440305", "/42/43/"),
        ])
    }

    #[test]
    fn the_units_below_a_unit_in_either_hierarchy_are_those_it_is_above() {
        let t = sample_tree();
        for upper in t.all().map(|u| u.id).chain([999]) {
            let mut walked = t.self_and_below_any(upper);
            walked.sort_unstable();
            let mut each: Vec<UnitId> = t.all().map(|u| u.id).filter(|&l| t.is_self_or_above_any(upper, l)).collect();
            if !t.units.contains_key(&upper) {
                each.push(upper);
            }
            each.sort_unstable();
            assert_eq!(walked, each, "below {upper}");
        }
        // The city government: its counties, their units and offices, the
        // city's own departments and every unit below those.
        let mut city_gov = t.self_and_below_any(42);
        city_gov.sort_unstable();
        assert_eq!(city_gov, vec![2, 3, 4, 5, 11, 12, 13, 14, 15, 16, 40, 41, 42, 43]);
    }

    fn ids(us: Vec<&Unit>) -> Vec<UnitId> {
        us.into_iter().map(|u| u.id).collect()
    }

    #[test]
    fn common_superior_and_joint_conference() {
        let t = sample_tree();
        assert_eq!(t.common_superior(&[12, 13]).map(|u| u.id), Some(11));
        assert_eq!(t.common_superior(&[12, 14]).map(|u| u.id), Some(40), "two departments of one county: the county government");
        assert_eq!(t.common_superior(&[12, 20]).map(|u| u.id), None, "the discipline body has no superior in the tree");
        assert_eq!(t.common_superior(&[14, 13]).map(|u| u.id), Some(42), "departments of two counties: the city government");
        assert_eq!(t.common_superior(&[3, 12]).map(|u| u.id), Some(40));
        assert_eq!(t.common_superior(&[]).map(|u| u.id), None);
        assert_eq!(t.joint_conference_for("440304").map(|u| u.id), Some(30));
        assert_eq!(t.bureau_for("440304001").map(|u| u.id), Some(3));
        assert!(t.is_self_or_ancestor(2, 3));
        assert!(!t.is_self_or_ancestor(3, 4));
        assert!(!t.is_self_or_ancestor(40, 12), "the line-only ancestry ignores governments");
    }

    #[test]
    fn art24_common_superior_prefers_the_government_among_equals() {
        // 12 and 13 share the city department 11 at distance 1; the county
        // government 40, equally near, is not above 13; 42 is farther.
        let t = sample_tree();
        assert_eq!(t.common_superior(&[12, 13]).map(|u| u.id), Some(11));
        // 3 (bureau, gov 40) and 14 (dept, gov 40): 2 is not above 14, 40 is.
        assert_eq!(t.common_superior(&[3, 14]).map(|u| u.id), Some(40));
        // A tie at distance 1: a unit whose line superior is also above the
        // other unit, but a government is equally near — the government wins.
        let mut units: Vec<Unit> = t.all().cloned().collect();
        units.push(Unit { id: 50, parent_id: Some(15), gov_id: Some(42), ..unit_like(&t, 15) });
        units.push(Unit { id: 51, parent_id: Some(15), gov_id: Some(42), ..unit_like(&t, 15) });
        let t = UnitTree::new(units);
        assert_eq!(t.common_superior(&[50, 51]).map(|u| u.id), Some(42));
    }

    fn unit_like(t: &UnitTree, id: UnitId) -> Unit {
        t.get(id).cloned().expect("unit")
    }

    #[test]
    fn line_superior_and_territorial_government() {
        let t = sample_tree();
        assert_eq!(t.line_superior(12).map(|u| u.id), Some(11));
        assert_eq!(t.territorial_government(12).map(|u| u.id), Some(40));
        assert_eq!(t.line_superior(14).map(|u| u.id), None);
        assert_eq!(t.territorial_government(21).map(|u| u.id), None);
        assert_eq!(t.territorial_government(41).map(|u| u.id), Some(40));
    }

    #[test]
    fn superiors_line_first_then_government_deduplicated() {
        let t = sample_tree();
        assert_eq!(ids(t.superiors(12)), vec![11, 40]);
        assert_eq!(ids(t.superiors(14)), vec![40]);
        assert_eq!(ids(t.superiors(40)), vec![42]);
        assert_eq!(ids(t.superiors(21)), Vec::<UnitId>::new());
        // A unit whose line superior is also its government appears once.
        let mut units: Vec<Unit> = t.all().cloned().collect();
        units.push(Unit { id: 60, parent_id: Some(40), gov_id: Some(40), ..unit_like(&t, 14) });
        assert_eq!(ids(UnitTree::new(units).superiors(60)), vec![40]);
    }

    #[test]
    fn art35_review_options_line_superior_first_then_government() {
        let t = sample_tree();
        assert_eq!(ids(t.review_options(12)), vec![11, 40], "上一级主管部门 or 本级人民政府");
        assert_eq!(ids(t.review_options(14)), vec![40]);
        assert_eq!(ids(t.review_options(40)), vec![42]);
        // The office decides for its government: the government's options.
        assert_eq!(ids(t.review_options(41)), vec![42]);
        // Joint conferences and party committees do not review.
        assert_eq!(ids(t.review_options(30)), Vec::<UnitId>::new());
        assert_eq!(ids(t.review_options(21)), Vec::<UnitId>::new());
    }

    #[test]
    fn art30_is_self_or_above_any_follows_both_hierarchies() {
        let t = sample_tree();
        assert!(t.is_self_or_above_any(12, 12));
        assert!(t.is_self_or_above_any(11, 12));
        assert!(t.is_self_or_above_any(10, 12));
        assert!(t.is_self_or_above_any(40, 12));
        assert!(t.is_self_or_above_any(42, 12), "through the county government");
        assert!(t.is_self_or_above_any(42, 16), "township dept → county dept → county government → city government");
        assert!(!t.is_self_or_above_any(43, 12));
        assert!(!t.is_self_or_above_any(12, 11));
        assert!(!t.is_self_or_above_any(41, 12), "the office is not above the departments");
    }

    #[test]
    fn art19_para3_is_above_by_links_or_by_area() {
        let t = sample_tree();
        assert!(!t.is_above(12, 12), "strict");
        assert!(t.is_above(11, 12));
        assert!(t.is_above(40, 12));
        assert!(t.is_above(2, 12), "the city bureau is above a county department of its city");
        assert!(t.is_above(1, 13), "the province bureau is above everything in the province");
        assert!(t.is_above(42, 21), "the city government is above the county court by area");
        assert!(!t.is_above(3, 13), "a county bureau is not above another county's department");
        assert!(!t.is_above(3, 12), "same level: not above by area");
        assert!(!t.is_above(11, 21), "a department is not territorial");
        assert!(!t.is_above(12, 11));
    }

    #[test]
    fn acts_for_and_government_for() {
        let t = sample_tree();
        assert!(t.acts_for(12, 12));
        assert!(t.acts_for(41, 40), "人民政府办公室 acts for 人民政府");
        assert!(!t.acts_for(41, 43));
        assert!(!t.acts_for(40, 41));
        assert!(!t.acts_for(3, 40));
        assert_eq!(t.government_for("440304").map(|u| u.id), Some(40));
        assert_eq!(t.government_for("4403").map(|u| u.id), Some(42));
        assert_eq!(t.government_for("440304001").map(|u| u.id), None, "exact area only");
    }

    #[test]
    fn administers_the_whole_area_in_either_hierarchy() {
        let t = sample_tree();
        assert!(t.administers(1, 30), "the province bureau's admin manages a county joint conference");
        assert!(t.administers(1, 41));
        assert!(t.administers(3, 41), "a county admin manages the county government office");
        assert!(t.administers(3, 20));
        assert!(!t.administers(3, 13), "not another county");
        assert!(!t.administers(3, 2), "not the city");
    }

    #[test]
    fn cycles_do_not_hang() {
        let mut units: Vec<Unit> = sample_tree().all().cloned().collect();
        for u in &mut units {
            if u.id == 42 {
                u.gov_id = Some(12);
            }
        }
        let t = UnitTree::new(units);
        assert!(t.is_self_or_above_any(12, 42));
        assert!(t.is_above(12, 40));
        assert_eq!(ids(t.superiors(42)), vec![12]);
        assert!(t.common_superior(&[12, 13]).is_some());
    }

    #[test]
    fn kinds_round_trip_with_labels() {
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(k));
            assert!(!k.label().is_empty());
        }
        assert_eq!(UnitKind::parse("government_office"), Some(UnitKind::GovernmentOffice));
        assert_eq!(UnitKind::Government.label(), "人民政府");
    }
}
