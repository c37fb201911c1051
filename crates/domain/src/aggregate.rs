//! Precomputed statistics (issue 12): what each petition adds to the
//! figures of the scopes kept precomputed, so that a bureau's dashboard,
//! statistics and ranking read a few hundred summed rows instead of every
//! petition of a province.
//!
//! A *scope* is a set of units the figures are asked for: a unit alone, a
//! unit with every unit below it (`UnitTree::is_self_or_above_any`), or an
//! area (every unit whose jurisdiction lies in a division code). Only the
//! scopes with at least `min_units` units are kept; a small scope is
//! recounted from the record on each request, which is fast because it is
//! small.
//!
//! A petition's *cells* are what it adds to each kept scope: per metric
//! and cohort day the judged tally and the items not yet judged
//! (`metrics::Contribution`), and per month of receipt the counts of the
//! dashboard. A change to a petition changes the aggregates by
//! `cells(after) − cells(before)`, where *before* is the snapshot of its
//! facts kept beside the aggregates. Everything that decides a count is in
//! `metrics`; this module only says which scopes a count goes to, so the
//! aggregates are the recount by construction and the tests check it.

use crate::metrics::{Facts, Metric};
use crate::petition::{Category, Rating, State};
use crate::unit::{UnitId, UnitKind, UnitTree};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Scopes with fewer units are recounted on each request.
pub const DEFAULT_MIN_SCOPE_UNITS: usize = 20;

/// A unit whose record holds at least this many petitions (registered or
/// handled) has its scopes precomputed however few units it has below it:
/// recounting 2,000 petitions takes ~30 ms, recounting five thousand
/// ~90 ms (docs/performance.md).
pub const DEFAULT_MIN_SCOPE_PETITIONS: i64 = 2_000;

/// Bumped whenever what a petition adds changes (the metrics' definitions,
/// the dimensions, the snapshot format): the aggregates of an older
/// version no longer match and are rebuilt.
const FORMAT_VERSION: u32 = 1;

/// The division code lengths, province down to village.
pub const CODE_LENGTHS: [usize; 5] = [2, 4, 6, 9, 12];

/// The level below a division code's (2 → 4 → 6 → 9 digits; townships
/// and below break down by township): how a unit's dashboard breaks its
/// area down.
pub fn next_level(code_len: usize) -> usize {
    CODE_LENGTHS.iter().copied().find(|l| *l > code_len).unwrap_or(9).min(9)
}

/// Units that answer for an area as a whole (a petition bureau, the joint
/// conference, the party committee and government): their dashboard counts
/// every unit of the area, not only the units below them.
pub fn area_wide(kind: UnitKind) -> bool {
    matches!(kind, UnitKind::PetitionBureau | UnitKind::JointConference | UnitKind::PartyGovernment)
}

/// A set of units figures are asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The unit alone.
    Unit(UnitId),
    /// The unit and every unit below it in either hierarchy.
    Subtree(UnitId),
    /// Every unit whose jurisdiction starts with the code.
    Area(String),
}

impl Scope {
    /// The key stored in the aggregate tables.
    pub fn key(&self) -> String {
        match self {
            Scope::Unit(u) => format!("u:{u}"),
            Scope::Subtree(u) => format!("s:{u}"),
            Scope::Area(c) => format!("a:{c}"),
        }
    }
}

/// Which scopes are kept precomputed, which units each holds, and which
/// kept scopes hold each unit.
#[derive(Debug, Clone, Default)]
pub struct ScopeIndex {
    scopes: Vec<Scope>,
    /// Per kept scope: the code length its areas are broken down to.
    area_digits: Vec<usize>,
    position: HashMap<Scope, usize>,
    of_unit: HashMap<UnitId, Vec<usize>>,
    /// Units kept for their history, whatever the size of their subtree.
    busy: BTreeSet<UnitId>,
    /// Changes when the tree, the threshold, the busy units or the format
    /// changes.
    pub fingerprint: String,
}

impl ScopeIndex {
    /// Keep the scopes of every unit whose subtree has at least
    /// `min_units` units, of every unit in `busy` (a long history in a
    /// small subtree: a county department handling thousands of petitions
    /// would otherwise be recounted on every read), and of every area with
    /// at least `min_units` units.
    pub fn build(tree: &UnitTree, min_units: usize, busy: &BTreeSet<UnitId>) -> ScopeIndex {
        let mut units: Vec<_> = tree.all().collect();
        units.sort_by_key(|u| u.id);
        // Members of every unit's subtree: each unit joins itself and
        // every unit above it.
        let mut subtree: BTreeMap<UnitId, Vec<UnitId>> = BTreeMap::new();
        for u in &units {
            subtree.entry(u.id).or_default().push(u.id);
            for a in tree.above_any(u.id) {
                subtree.entry(a).or_default().push(u.id);
            }
        }
        // Members of every area a unit answers for.
        let codes: HashSet<&str> = units.iter().filter(|u| area_wide(u.kind)).map(|u| u.jurisdiction.as_str()).collect();
        let mut area: BTreeMap<String, Vec<UnitId>> = BTreeMap::new();
        for u in &units {
            for len in 1..=u.jurisdiction.len() {
                if let Some(prefix) = u.jurisdiction.get(..len)
                    && codes.contains(prefix)
                {
                    area.entry(prefix.to_string()).or_default().push(u.id);
                }
            }
        }
        let mut ix = ScopeIndex::default();
        let jurisdiction_len = |id: UnitId| tree.get(id).map_or(0, |u| u.jurisdiction.len());
        for (id, members) in subtree.iter().filter(|(id, m)| m.len() >= min_units.max(1) || busy.contains(id)) {
            let digits = next_level(jurisdiction_len(*id));
            ix.keep(Scope::Subtree(*id), digits, members);
            ix.keep(Scope::Unit(*id), digits, &[*id]);
        }
        for (code, members) in area.iter().filter(|(_, m)| m.len() >= min_units.max(1)) {
            ix.keep(Scope::Area(code.clone()), next_level(code.len()), members);
        }
        let mut h = Fnv::default();
        h.write(format!("v{FORMAT_VERSION};min{min_units};").as_bytes());
        // Only the busy units of this tree count: a unit since deleted
        // changes nothing.
        ix.busy = busy.iter().copied().filter(|u| subtree.contains_key(u)).collect();
        for u in &ix.busy {
            h.write(format!("busy{u};").as_bytes());
        }
        for u in &units {
            h.write(format!("{}|{:?}|{:?}|{}|{};", u.id, u.parent_id, u.gov_id, u.jurisdiction, u.kind.as_str()).as_bytes());
        }
        ix.fingerprint = format!("{:016x}", h.0);
        ix
    }

    fn keep(&mut self, scope: Scope, digits: usize, members: &[UnitId]) {
        let i = self.scopes.len();
        self.position.insert(scope.clone(), i);
        self.scopes.push(scope);
        self.area_digits.push(digits);
        for m in members {
            self.of_unit.entry(*m).or_default().push(i);
        }
    }

    /// The units kept for their history (see `build`).
    pub fn busy(&self) -> &BTreeSet<UnitId> {
        &self.busy
    }

    pub fn is_kept(&self, scope: &Scope) -> bool {
        self.position.contains_key(scope)
    }

    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    pub fn scope(&self, i: usize) -> &Scope {
        &self.scopes[i]
    }

    /// The kept scopes holding `unit`.
    fn holding(&self, unit: Option<UnitId>) -> &[usize] {
        unit.and_then(|u| self.of_unit.get(&u)).map_or(&[], Vec::as_slice)
    }
}

/// 64-bit FNV-1a: a hash that is the same on every node and every build.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// A petition as the aggregates see it: its statistical facts and the
/// columns the dashboard counts by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub facts: Facts,
    pub topic: Option<String>,
    pub channel: String,
    pub state: String,
    pub jurisdiction: String,
}

/// What the dashboard counts petitions by (one row per scope, month of
/// receipt and key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// Every petition (key "").
    All,
    Channel,
    Category,
    /// The first two digits of the topic ("" without one).
    Topic,
    /// The division one level below the scope's.
    Area,
    /// The handling unit, when it is in the scope.
    Handling,
    /// Handled after the handling timer's due date.
    Late,
    /// Not yet handled; late once `due` has passed.
    LateOpen,
    /// Not at an end, by state (month "": whenever received).
    Open,
}

impl Dim {
    pub const ALL: [Dim; 9] =
        [Dim::All, Dim::Channel, Dim::Category, Dim::Topic, Dim::Area, Dim::Handling, Dim::Late, Dim::LateOpen, Dim::Open];

    pub fn as_str(self) -> &'static str {
        match self {
            Dim::All => "all",
            Dim::Channel => "channel",
            Dim::Category => "category",
            Dim::Topic => "topic",
            Dim::Area => "area",
            Dim::Handling => "handling",
            Dim::Late => "late",
            Dim::LateOpen => "late_open",
            Dim::Open => "open",
        }
    }
}

/// A metric's row: scope, metric, cohort day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TallyKey {
    pub scope: usize,
    pub metric: Metric,
    pub day: NaiveDate,
}

/// Signed, so that a change is the difference of two sets of cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TallyCell {
    pub numerator: i64,
    pub denominator: i64,
    pub pending: i64,
}

impl TallyCell {
    fn is_zero(&self) -> bool {
        self.numerator == 0 && self.denominator == 0 && self.pending == 0
    }
}

/// A count's row: scope, dimension, month of receipt (`YYYY-MM`, "" for
/// `Open`), key, and for `LateOpen` the due date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountKey {
    pub scope: usize,
    pub dim: Dim,
    pub month: String,
    pub key: String,
    pub due: Option<NaiveDate>,
}

/// What some petitions add to the kept scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cells {
    pub tallies: HashMap<TallyKey, TallyCell>,
    pub counts: HashMap<CountKey, i64>,
}

impl Cells {
    pub fn is_empty(&self) -> bool {
        self.tallies.is_empty() && self.counts.is_empty()
    }

    /// Add `sign` × what `s` adds to the kept scopes.
    pub fn add(&mut self, s: &Snapshot, ix: &ScopeIndex, sign: i64) {
        self.add_within(s, ix, sign, None);
    }

    /// Add `sign` × what `s` adds to the kept scopes, or only to those of
    /// `within` (positions in `ix`, sorted): a read of one scope corrects
    /// that scope, not the petition's every unit above and area.
    pub fn add_within(&mut self, s: &Snapshot, ix: &ScopeIndex, sign: i64, within: Option<&[usize]>) {
        let f = &s.facts;
        let only =
            |held: &[usize]| -> Vec<usize> { held.iter().copied().filter(|i| within.is_none_or(|w| w.binary_search(i).is_ok())).collect() };
        let (registering, handling) = (only(ix.holding(Some(f.registered_unit))), only(ix.holding(f.handling_unit)));
        if registering.is_empty() && handling.is_empty() {
            return;
        }
        let (registering, handling) = (registering.as_slice(), handling.as_slice());
        let mut either: Vec<usize> = registering.iter().chain(handling).copied().collect();
        either.sort_unstable();
        either.dedup();
        for c in f.contributions() {
            let scopes: &[usize] = match c.metric.attribution() {
                crate::metrics::Attribution::Registering => registering,
                crate::metrics::Attribution::Handling => handling,
                crate::metrics::Attribution::RegisteringOrHandling => &either,
            };
            for &scope in scopes {
                let cell = self.tallies.entry(TallyKey { scope, metric: c.metric, day: c.day }).or_default();
                cell.numerator += sign * c.tally.numerator as i64;
                cell.denominator += sign * c.tally.denominator as i64;
                cell.pending += sign * c.pending as i64;
            }
        }
        let month = format!("{:04}-{:02}", f.received_on.year(), f.received_on.month());
        let open = State::parse(&s.state).is_some_and(|st| !st.is_terminal());
        let topic: String = s.topic.as_deref().unwrap_or("").chars().take(2).collect();
        let mut count = |scope: usize, dim: Dim, month: &str, key: String, due: Option<NaiveDate>| {
            *self.counts.entry(CountKey { scope, dim, month: month.to_string(), key, due }).or_default() += sign;
        };
        for &scope in &either {
            count(scope, Dim::All, &month, String::new(), None);
            count(scope, Dim::Channel, &month, s.channel.clone(), None);
            count(scope, Dim::Category, &month, f.category.as_str().to_string(), None);
            count(scope, Dim::Topic, &month, topic.clone(), None);
            count(scope, Dim::Area, &month, s.jurisdiction.chars().take(ix.area_digits[scope]).collect(), None);
            if open {
                count(scope, Dim::Open, "", s.state.clone(), None);
            }
        }
        if let Some(h) = f.handling_unit {
            for &scope in handling {
                count(scope, Dim::Handling, &month, h.to_string(), None);
                match (f.handling_due, f.handling_met_on) {
                    (Some(due), Some(met)) if met > due => count(scope, Dim::Late, &month, h.to_string(), None),
                    (Some(due), None) => count(scope, Dim::LateOpen, &month, h.to_string(), Some(due)),
                    _ => {}
                }
            }
        }
    }

    /// Add `other`'s cells to these.
    pub fn merge(&mut self, other: Cells) {
        for (k, v) in other.tallies {
            let t = self.tallies.entry(k).or_default();
            t.numerator += v.numerator;
            t.denominator += v.denominator;
            t.pending += v.pending;
        }
        for (k, v) in other.counts {
            *self.counts.entry(k).or_default() += v;
        }
    }

    /// Drop the cells that came to nothing.
    pub fn prune(&mut self) {
        self.tallies.retain(|_, c| !c.is_zero());
        self.counts.retain(|_, n| *n != 0);
    }

    /// What a change of one petition from `before` to `after` (None: not
    /// there) changes in the kept scopes.
    pub fn change(before: Option<&Snapshot>, after: Option<&Snapshot>, ix: &ScopeIndex) -> Cells {
        let mut c = Cells::default();
        if let Some(b) = before {
            c.add(b, ix, -1);
        }
        if let Some(a) = after {
            c.add(a, ix, 1);
        }
        c.prune();
        c
    }
}

/// The metrics of `period` from a scope's cells (metric, cohort day,
/// cell), judged on `today`: what `metrics::tally_all` gives for the same
/// petitions.
pub fn sum_period<'a>(
    cells: impl IntoIterator<Item = (Metric, NaiveDate, &'a TallyCell)>,
    period: &crate::metrics::Period,
    today: NaiveDate,
) -> Vec<(Metric, crate::metrics::Tally)> {
    let mut sums = vec![(0i64, 0i64); Metric::ALL.len()];
    for (metric, day, c) in cells {
        if !period.contains(day) {
            continue;
        }
        let s = &mut sums[metric.index()];
        s.0 += c.numerator;
        s.1 += c.denominator + if metric.judged(day, today) { c.pending } else { 0 };
    }
    Metric::ALL
        .iter()
        .map(|m| {
            let (n, d) = sums[m.index()];
            (*m, crate::metrics::Tally { numerator: n.max(0) as u64, denominator: d.max(0) as u64 })
        })
        .collect()
}

// ---- the snapshot's stored form ------------------------------------------
//
// One line of `|`-separated fields (about 100 bytes; a million petitions
// keep about 100 MB of snapshots). Dates are `YYYYMMDD`, absent values empty.

fn date_field(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y%m%d").to_string()).unwrap_or_default()
}

fn parse_date_field(s: &str) -> Result<Option<NaiveDate>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y%m%d").map(Some).map_err(|_| format!("bad date {s}"))
}

fn flag(b: bool) -> &'static str {
    if b { "1" } else { "0" }
}

/// Text fields may not contain the separators (codes, states and channels
/// never do; this keeps a corrupt value from shifting the fields).
fn clean(s: &str) -> String {
    s.replace(['|', ';', ','], "")
}

impl Snapshot {
    pub fn encode(&self) -> String {
        let f = &self.facts;
        let evals: Vec<String> =
            f.evaluations.iter().map(|e| format!("{},{},{}", date_field(Some(e.on)), e.rating.as_str(), flag(e.first_instance))).collect();
        [
            f.registered_unit.to_string(),
            f.handling_unit.map(|u| u.to_string()).unwrap_or_default(),
            date_field(Some(f.received_on)),
            f.category.as_str().to_string(),
            flag(f.litigation_related).into(),
            flag(f.repeat).into(),
            flag(f.refused_at_intake).into(),
            date_field(f.acceptance_due),
            date_field(f.answered_on),
            date_field(f.handling_due),
            date_field(f.handling_met_on),
            date_field(f.delivered_on),
            date_field(f.closed_on),
            flag(f.review_requested).into(),
            flag(f.brought_back).into(),
            self.topic.as_deref().map(clean).unwrap_or_else(|| "-".into()),
            clean(&self.channel),
            clean(&self.state),
            clean(&self.jurisdiction),
            evals.join(";"),
        ]
        .join("|")
    }

    pub fn decode(line: &str) -> Result<Snapshot, String> {
        let p: Vec<&str> = line.split('|').collect();
        if p.len() != 20 {
            return Err(format!("snapshot has {} fields, not 20", p.len()));
        }
        let int = |s: &str| s.parse::<UnitId>().map_err(|_| format!("bad unit {s}"));
        let req = |s: &str| parse_date_field(s)?.ok_or_else(|| "missing date".to_string());
        let mut evaluations = Vec::new();
        for e in p[19].split(';').filter(|e| !e.is_empty()) {
            let q: Vec<&str> = e.split(',').collect();
            if q.len() != 3 {
                return Err(format!("bad evaluation {e}"));
            }
            evaluations.push(crate::metrics::EvaluationFact {
                on: req(q[0])?,
                rating: Rating::parse(q[1]).ok_or_else(|| format!("bad rating {}", q[1]))?,
                first_instance: q[2] == "1",
            });
        }
        Ok(Snapshot {
            facts: Facts {
                registered_unit: int(p[0])?,
                handling_unit: if p[1].is_empty() { None } else { Some(int(p[1])?) },
                received_on: req(p[2])?,
                category: Category::parse(p[3]).ok_or_else(|| format!("bad category {}", p[3]))?,
                litigation_related: p[4] == "1",
                repeat: p[5] == "1",
                refused_at_intake: p[6] == "1",
                acceptance_due: parse_date_field(p[7])?,
                answered_on: parse_date_field(p[8])?,
                handling_due: parse_date_field(p[9])?,
                handling_met_on: parse_date_field(p[10])?,
                delivered_on: parse_date_field(p[11])?,
                closed_on: parse_date_field(p[12])?,
                review_requested: p[13] == "1",
                brought_back: p[14] == "1",
                evaluations,
            },
            topic: if p[15] == "-" { None } else { Some(p[15].to_string()) },
            channel: p[16].to_string(),
            state: p[17].to_string(),
            jurisdiction: p[18].to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{EvaluationFact, Period, tally_all};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    /// The metrics tests' petition, registered at `reg` and handled by
    /// `handling`, not yet answered nor handled, rated dissatisfied.
    fn snapshot(reg: UnitId, handling: Option<UnitId>) -> Snapshot {
        let mut facts = crate::metrics::tests::facts();
        facts.registered_unit = reg;
        facts.handling_unit = handling;
        facts.answered_on = None;
        facts.handling_met_on = None;
        facts.evaluations = vec![EvaluationFact { on: d("2026-05-14"), rating: Rating::Dissatisfied, first_instance: true }];
        Snapshot { facts, topic: Some("0203".into()), channel: "visit".into(), state: "handling".into(), jurisdiction: "440304001".into() }
    }

    #[test]
    fn snapshot_round_trips() {
        let s = snapshot(3, Some(7));
        assert_eq!(Snapshot::decode(&s.encode()), Ok(s.clone()));
        let mut t = s;
        t.topic = None;
        t.facts.handling_unit = None;
        t.facts.evaluations.clear();
        assert_eq!(Snapshot::decode(&t.encode()), Ok(t));
        assert!(Snapshot::decode("1|2|3").is_err());
    }

    /// The kept scopes' cells, summed over a period, are the recount of the
    /// same petitions with `tally_all`, for every scope, whichever units
    /// registered and handled them (both in a scope: counted once).
    #[test]
    fn cells_sum_to_the_recount_in_every_scope() {
        let tree = crate::unit::tests::sample_tree();
        let ix = ScopeIndex::build(&tree, 1, &BTreeSet::new());
        let ids: Vec<UnitId> = {
            let mut v: Vec<UnitId> = tree.all().map(|u| u.id).collect();
            v.sort_unstable();
            v
        };
        let mut petitions = Vec::new();
        for (i, r) in ids.iter().enumerate() {
            petitions.push(snapshot(*r, Some(ids[(i * 7 + 3) % ids.len()])));
            petitions.push(snapshot(*r, None));
            petitions.push(snapshot(*r, Some(*r)));
        }
        let mut all = Cells::default();
        for p in &petitions {
            all.add(p, &ix, 1);
        }
        let today = d("2026-07-01");
        let period = Period::new(d("2026-03-01"), d("2026-06-30"));
        for (i, scope) in ix.scopes().iter().enumerate() {
            let members: HashSet<UnitId> = match scope {
                Scope::Unit(u) => [*u].into(),
                Scope::Subtree(u) => ids.iter().copied().filter(|x| tree.is_self_or_above_any(*u, *x)).collect(),
                Scope::Area(c) => tree.all().filter(|x| x.jurisdiction.starts_with(c.as_str())).map(|x| x.id).collect(),
            };
            let recount = tally_all(petitions.iter().map(|p| &p.facts), &period, today, |u| members.contains(&u));
            for (m, t) in recount {
                let (mut n, mut den) = (0i64, 0i64);
                for (k, c) in all.tallies.iter().filter(|(k, _)| k.scope == i && k.metric == m && period.contains(k.day)) {
                    n += c.numerator;
                    den += c.denominator + if m.judged(k.day, today) { c.pending } else { 0 };
                }
                assert_eq!((n as u64, den as u64), (t.numerator, t.denominator), "{scope:?} {m:?}");
            }
            let volume: i64 = all.counts.iter().filter(|(k, _)| k.scope == i && k.dim == Dim::All).map(|(_, n)| n).sum();
            let expected = petitions
                .iter()
                .filter(|p| members.contains(&p.facts.registered_unit) || p.facts.handling_unit.is_some_and(|h| members.contains(&h)))
                .count();
            assert_eq!(volume as usize, expected, "{scope:?}");
        }
    }

    #[test]
    fn a_change_is_the_difference_and_nothing_is_left_over() {
        let tree = crate::unit::tests::sample_tree();
        let ix = ScopeIndex::build(&tree, 1, &BTreeSet::new());
        let id = tree.all().map(|u| u.id).min().unwrap_or(1);
        let before = snapshot(id, None);
        let mut after = before.clone();
        after.facts.answered_on = Some(d("2026-03-10"));
        after.state = "closed".into();
        let mut total = Cells::default();
        total.add(&before, &ix, 1);
        let change = Cells::change(Some(&before), Some(&after), &ix);
        assert!(!change.is_empty());
        total.merge(change);
        total.prune();
        let mut direct = Cells::default();
        direct.add(&after, &ix, 1);
        assert_eq!(total, direct);
        assert!(Cells::change(Some(&after), Some(&after), &ix).is_empty());
    }

    #[test]
    fn small_scopes_are_not_kept_and_the_fingerprint_follows_the_tree() {
        let tree = crate::unit::tests::sample_tree();
        let all = ScopeIndex::build(&tree, 1, &BTreeSet::new());
        let big = ScopeIndex::build(&tree, 1000, &BTreeSet::new());
        assert!(big.scopes().is_empty());
        assert!(!all.scopes().is_empty());
        assert_ne!(all.fingerprint, big.fingerprint);
        assert_eq!(all.fingerprint, ScopeIndex::build(&tree, 1, &BTreeSet::new()).fingerprint);
    }

    #[test]
    fn a_busy_unit_is_kept_whatever_the_size_of_its_subtree() {
        let tree = crate::unit::tests::sample_tree();
        let leaf = tree.all().find(|u| tree.all().all(|c| c.parent_id != Some(u.id))).expect("the sample tree has a leaf").id;
        let none = ScopeIndex::build(&tree, 1000, &BTreeSet::new());
        let busy = ScopeIndex::build(&tree, 1000, &BTreeSet::from([leaf, 999_999]));
        assert!(!none.is_kept(&Scope::Subtree(leaf)));
        assert!(busy.is_kept(&Scope::Subtree(leaf)) && busy.is_kept(&Scope::Unit(leaf)));
        assert_eq!(busy.scopes().len(), 2, "only the busy unit's two scopes");
        // A unit not in the tree is dropped and does not change the fingerprint.
        assert_eq!(busy.busy(), &BTreeSet::from([leaf]));
        assert_eq!(busy.fingerprint, ScopeIndex::build(&tree, 1000, &BTreeSet::from([leaf])).fingerprint);
        assert_ne!(busy.fingerprint, none.fingerprint);
    }
}
