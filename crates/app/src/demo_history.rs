//! A generated history of petition work: months of petitions across the
//! unit tree, each acted out through the real procedure (`register`,
//! `transition`) and bulk-loaded (`store::bulk`). The demo loads a small
//! one so that the dashboard, the ranking and the statistics have
//! something to show; the statistics and ranking tests load a large one
//! and recount it from the raw rows.
//!
//! Deterministic for a seed. Counties differ in pace (some are slower, so
//! that a ranking has a bottom); the acting staff are the demo accounts
//! where a unit has one in the role, otherwise an account
//! `gen.<unit>.<role>` that cannot log in, made for the units that act.

use crate::AnyError;
use crate::synthetic::text;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use xinfang_crypto::Keyring;
use xinfang_domain::calendar::HolidayCalendar;
use xinfang_domain::local_date;
use xinfang_domain::number::{number_prefix, public_number};
use xinfang_domain::petition::{
    Adoption, Category, Channel, DeclineGround, DeliveryMethod, Disposition, Outcome, Petitioner, PetitionerKind, Rating, Registration,
    ReviewOutcome, State,
};
use xinfang_domain::procedure::{Actor, Case, Command, Ctx, Routing, StaffActor, register, transition};
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Unit, UnitId, UnitKind, UnitTree};
use xinfang_store::{ActorRef, BulkAct, BulkPetition, BulkRows, BulkUnits, EventDraft, Store};
use xinfang_web::acting::involved_units;
use xinfang_web::intake::{identity_keys, query_code_hash, seal_petitioner};

/// The seed of the words of the history (its plan has `HistorySpec::seed`).
const SEED: u64 = 2026;

/// The city and province of the demo tree.
const CITY: &str = "4403";
const PROVINCE: &str = "44";

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct HistorySpec {
    pub petitions: usize,
    /// How far back the first petition may be received.
    pub days: i64,
    pub seed: u64,
}

/// What was loaded.
#[derive(Debug, Clone, Copy)]
pub struct HistoryLoaded {
    pub petitions: usize,
    pub accounts_made: usize,
    pub elapsed: std::time::Duration,
}

/// A role as it reads in a generated account's name (`gen.440304-RST.officer`;
/// the province benchmark's accounts are named the same way).
pub fn short_role(role: Role) -> &'static str {
    match role {
        Role::Clerk => "clerk",
        Role::HandlingOfficer => "officer",
        Role::UnitHead => "head",
        Role::Reviewer => "reviewer",
        Role::Supervisor => "supervisor",
        Role::Leader => "leader",
        Role::Admin => "admin",
        Role::GridReporter => "reporter",
    }
}

/// Rows written per bulk statement batch.
const BATCH: usize = 2_000;

/// Generates the history and writes it into `store` (whose petitions it
/// adds to). `keys` must be the deployment's key ring: the petitioners are
/// sealed with it.
pub async fn load(store: &Store, keys: &Keyring, spec: HistorySpec) -> Result<HistoryLoaded, AnyError> {
    let t0 = std::time::Instant::now();
    let units = store.load_units().await?;
    let tree = UnitTree::new(units.clone());
    let calendar = store.load_calendar().await?;
    // Staff of the demo (and any real account) act where they can.
    let mut users: HashMap<(UnitId, Role), i64> = HashMap::new();
    for u in store.users().await? {
        let slot = users.entry((u.unit_id, u.role)).or_insert(u.id);
        if u.username.starts_with("gen.") {
            continue;
        }
        *slot = u.id;
    }
    let counties: Vec<(String, f64)> = tree
        .all()
        .filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 6 && u.jurisdiction.starts_with(CITY))
        .map(|u| u.jurisdiction.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, 0.04 + 0.035 * ((i * 3) % 5) as f64))
        .collect();
    if counties.is_empty() {
        return Err("no county petition bureau under the city: load the demo tree first".into());
    }
    let mut streets: HashMap<String, Vec<String>> = HashMap::new();
    for u in tree.all().filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 9) {
        streets.entry(u.jurisdiction[..6].to_string()).or_default().push(u.jurisdiction.clone());
    }
    for s in streets.values_mut() {
        s.sort();
    }
    let now = Utc::now();
    let mut g = Gen { tree: &tree, calendar: &calendar, users, missing: RefCell::default(), counties, now };

    // The plan, in registration order.
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let start = now - Duration::days(spec.days);
    let mut times: Vec<DateTime<Utc>> = (0..spec.petitions)
        .map(|_| {
            let d = rng.random_range(0..spec.days.max(1));
            let secs = rng.random_range(0.0..12.0 * 3600.0);
            (Utc.from_utc_datetime(&(start + Duration::days(d)).date_naive().and_time(NaiveTime::MIN)) + days(secs / 86_400.0))
                .min(now - Duration::minutes(1))
        })
        .collect();
    times.sort();
    let mut plans: Vec<Plan> = times.iter().filter_map(|at| g.plan(&mut rng, *at, &streets)).collect();
    let warm = 300.min(plans.len() / 10).max(1);
    for i in warm..plans.len() {
        if rng.random_bool(0.05) {
            let j = i - 1 - rng.random_range(0..i.min(3_000) - 1);
            if plans[j].category == Category::Accusation {
                continue;
            }
            let earlier = plans[j].clone();
            let p = &mut plans[i];
            p.person = earlier.person;
            p.category = earlier.category;
            p.topic = earlier.topic;
            p.litigation_related = earlier.litigation_related;
            p.jurisdiction = earlier.jurisdiction;
            p.repeat_of = Some(j);
            p.refused_at_intake = rng.random_bool(0.1);
        }
    }
    let begin = store.bulk_begin().await?;
    let mut sequences = begin.sequences.clone();
    let mut numbers: Vec<String> = Vec::with_capacity(plans.len());
    for p in &plans {
        let unit = tree.get(p.receiving).ok_or("planned unit missing")?;
        let prefix = number_prefix(&unit.jurisdiction, local_date(p.at));
        let seq = sequences.entry(prefix.clone()).or_insert(0);
        *seq += 1;
        numbers.push(public_number(&prefix, *seq, keys.keyed_hash("number", &prefix).as_bytes()));
    }

    // A dry run finds the staff who act but have no account; they get one.
    for i in 0..plans.len() {
        g.live(&plans, &numbers, i, 0, keys, spec.seed);
    }
    let mut missing: Vec<(UnitId, Role)> = g.missing.take().into_iter().collect();
    missing.sort_by_key(|(unit, role)| (*unit, role.as_str()));
    let wanted: Vec<(String, String, Role, i64)> = missing
        .into_iter()
        .filter_map(|(unit, role)| {
            let u = tree.get(unit)?;
            Some((format!("gen.{}.{}", u.code, short_role(role)), format!("{}{}", u.name, role.label()), role, unit))
        })
        .collect();
    let ids = store.bulk_users(&wanted, "not-a-login").await?;
    for (name, _, role, unit) in &wanted {
        if let Some(id) = ids.get(name) {
            g.users.insert((*unit, *role), *id);
        }
    }

    let bulk_units = BulkUnits::new(&units);
    let mut rows = BulkRows::default();
    for i in 0..plans.len() {
        let bp = g.live(&plans, &numbers, i, begin.next_id + i as i64, keys, spec.seed).ok_or("a planned unit vanished")?;
        rows.append(store.bulk_rows(&bp, &bulk_units)?);
        if (i + 1) % BATCH == 0 || i + 1 == plans.len() {
            store.bulk_write(&rows).await?;
            rows = BulkRows::default();
        }
    }
    if let Some(last) = numbers.last() {
        store.bulk_finish(&sequences, plans.len() as i64, last).await?;
    }
    Ok(HistoryLoaded { petitions: plans.len(), accounts_made: wanted.len(), elapsed: t0.elapsed() })
}

/// Topics and the department that handles them.
const TOPICS: &[(&str, &str, f64)] = &[
    ("0201", "RST", 5.0),
    ("0202", "RST", 10.0),
    ("0101", "ZJT", 4.0),
    ("0102", "ZJT", 4.0),
    ("0301", "ZRT", 3.0),
    ("0701", "WJW", 2.0),
    ("0801", "JYT", 2.0),
    ("1001", "STT", 2.0),
    ("1101", "JTT", 1.5),
    ("0901", "MZT", 1.5),
    ("1701", "FGW", 1.0),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pace {
    Normal,
    Slow,
    Stalled,
}

#[derive(Clone)]
struct Plan {
    at: DateTime<Utc>,
    receiving: UnitId,
    online: bool,
    channel: Channel,
    jurisdiction: String,
    category: Category,
    litigation_related: bool,
    topic: usize,
    person: u64,
    pace: Pace,
    repeat_of: Option<usize>,
    refused_at_intake: bool,
}

#[derive(Default)]
struct Flags {
    objected: bool,
    disposed: bool,
    extend_tried: bool,
    evaluate: Option<bool>,
    evaluated: bool,
    review: Option<bool>,
    late_evaluated: bool,
    review_evaluated: bool,
}

struct Gen<'a> {
    tree: &'a UnitTree,
    calendar: &'a HolidayCalendar,
    users: HashMap<(UnitId, Role), i64>,
    /// Staff asked for but without an account yet (the dry run collects them).
    missing: RefCell<HashSet<(UnitId, Role)>>,
    /// The county bureaus' areas, and how slow each county's units are.
    counties: Vec<(String, f64)>,
    now: DateTime<Utc>,
}

fn days(d: f64) -> Duration {
    Duration::seconds((d * 86_400.0) as i64)
}

/// 10:00 Beijing time on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN)) + Duration::hours(2)
}

fn area_of(u: &Unit) -> &str {
    if u.jurisdiction.len() > 6 { &u.jurisdiction[..6] } else { &u.jurisdiction }
}

fn weighted(rng: &mut StdRng, w: &[f64]) -> usize {
    let total: f64 = w.iter().sum();
    let mut x = rng.random_range(0.0..total);
    for (i, v) in w.iter().enumerate() {
        if x < *v {
            return i;
        }
        x -= v;
    }
    w.len() - 1
}

impl Gen<'_> {
    fn unit(&self, area: &str, suffix: &str) -> Option<&Unit> {
        self.tree.by_code(&format!("{area}-{suffix}"))
    }

    fn staff(&self, unit: UnitId, role: Role) -> Option<Actor> {
        let user_id = match self.users.get(&(unit, role)) {
            Some(id) => *id,
            None => {
                self.missing.borrow_mut().insert((unit, role));
                0
            }
        };
        Some(Actor::Staff(StaffActor { user_id, unit_id: unit, role }))
    }

    fn ctx(&self, at: DateTime<Utc>) -> Ctx<'_> {
        let s = xinfang_web::Settings::default();
        Ctx { on: local_date(at), now: at, calendar: self.calendar, tree: self.tree, policy: s.policy, window_policy: s.window_policy }
    }

    fn plan(&self, rng: &mut StdRng, at: DateTime<Utc>, streets: &HashMap<String, Vec<String>>) -> Option<Plan> {
        let weights: Vec<f64> = (0..self.counties.len()).map(|i| 1.0 + 0.5 * (i % 3) as f64).collect();
        let (county, slowness) = self.counties.get(weighted(rng, &weights))?;
        let county = county.as_str();
        let street = streets.get(county).and_then(|s| (!s.is_empty()).then(|| s[rng.random_range(0..s.len())].clone()));
        let matter = match (&street, rng.random_bool(0.6)) {
            (Some(s), true) => s.clone(),
            _ => county.to_string(),
        };
        let topic = weighted(rng, &TOPICS.iter().map(|t| t.2).collect::<Vec<_>>());
        let category = if rng.random_bool(0.06) {
            Category::Accusation
        } else if rng.random_bool(0.13) {
            Category::Suggestion
        } else {
            Category::Claim
        };
        let litigation_related = category == Category::Claim && rng.random_bool(0.05);
        let staff_channel =
            |rng: &mut StdRng| [Channel::Letter, Channel::Visit, Channel::Phone, Channel::Email][weighted(rng, &[4.0, 4.0, 2.0, 0.5])];
        let dept = TOPICS[topic].1;
        let (receiving, online, jurisdiction) = match weighted(rng, &[0.2, 0.45, 0.1, 0.15, 0.03, 0.07]) {
            0 => match &street {
                Some(s) => (self.unit(s, "XFB")?, false, s.clone()),
                None => (self.unit(county, "XFJ")?, false, matter.clone()),
            },
            1 => (self.unit(county, "XFJ")?, rng.random_bool(0.55), matter.clone()),
            2 => (self.unit(county, dept)?, false, matter.clone()),
            3 => (self.unit(CITY, "XFJ")?, rng.random_bool(0.5), matter.clone()),
            4 => (self.unit(CITY, dept)?, false, matter.clone()),
            _ => (self.unit(PROVINCE, "XFJ")?, rng.random_bool(0.5), matter.clone()),
        };
        // Accusations go to a bureau (which refers them to the discipline body).
        let receiving = if category == Category::Accusation && receiving.kind != UnitKind::PetitionBureau {
            self.unit(county, "XFJ")?
        } else {
            receiving
        };
        let slow = *slowness;
        Some(Plan {
            at,
            receiving: receiving.id,
            online,
            channel: if online { Channel::Online } else { staff_channel(rng) },
            jurisdiction,
            category,
            litigation_related,
            topic,
            person: rng.random(),
            pace: [Pace::Normal, Pace::Slow, Pace::Stalled][weighted(rng, &[1.0 - 1.25 * slow, slow, 0.25 * slow])],
            repeat_of: None,
            refused_at_intake: false,
        })
    }

    /// The name of a petition's area as its text says it: the area's
    /// government without 人民政府 (福田区, 华强北街道), else the nearest area above.
    fn place(&self, jurisdiction: &str) -> String {
        [jurisdiction.len(), 6, 4, 2]
            .into_iter()
            .filter_map(|n| jurisdiction.get(..n))
            .find_map(|area| self.tree.by_code(&format!("{area}-ZF")))
            .map(|u| u.name.trim_end_matches("人民政府").to_string())
            .unwrap_or_else(|| "本地".into())
    }

    fn registration(&self, p: &Plan) -> Registration {
        let place = self.place(&p.jurisdiction);
        // A repeat is the same person with the same plan: the same words.
        let person = text::person(SEED, p.person, &p.jurisdiction, &place);
        let matter = text::matter(SEED, p.person, TOPICS[p.topic].0, &place, text::told(p.category, p.litigation_related));
        let petitioners = if p.category == Category::Accusation && p.person.is_multiple_of(3) {
            Vec::new()
        } else {
            vec![Petitioner {
                kind: PetitionerKind::Person,
                name: person.name,
                id_number: person.id_number,
                phone: Some(person.phone),
                address: Some(person.address),
                representative: false,
            }]
        };
        Registration {
            channel: p.channel,
            headcount: 1,
            anonymous: petitioners.is_empty(),
            petitioners,
            collective: false,
            jurisdiction: p.jurisdiction.clone(),
            title: matter.title,
            content: matter.content,
            request: matter.request,
            facts_and_reasons: matter.facts_and_reasons,
            category: p.category,
            litigation_related: p.litigation_related,
            topic: Some(TOPICS[p.topic].0.into()),
            accused: None,
            confidential: false,
            received_on: local_date(p.at),
        }
    }

    /// The next act of a life, or none.
    fn next(&self, case: &Case, p: &Plan, at: DateTime<Utc>, rng: &mut StdRng, f: &mut Flags) -> Option<(Duration, Actor, Command)> {
        let tree = self.tree;
        let cur = tree.get(case.current_unit)?;
        let slow = p.pace == Pace::Slow;
        let until = |day: NaiveDate, rng: &mut StdRng| (morning(day) + days(rng.random_range(0.0..0.3)) - at).max(Duration::minutes(30));
        let step = |w: Duration, actor: Option<Actor>, cmd: Command| actor.map(|a| (w, a, cmd));
        match case.state {
            State::Registered if cur.kind == UnitKind::PetitionBureau => {
                if p.pace == Pace::Stalled && rng.random_bool(0.5) {
                    return None;
                }
                let w = if slow { days(rng.random_range(5.0..25.0)) } else { days(rng.random_range(0.1..9.0)) };
                let clerk = self.staff(cur.id, Role::Clerk);
                let area = area_of(cur);
                if case.category == Category::Accusation {
                    return step(w, clerk, Command::ReferDiscipline { unit: self.unit(area, "JW")?.code.clone(), note: String::new() });
                }
                if case.litigation_related {
                    return step(w, clerk, Command::ReferLegal { unit: self.unit(area, "FY")?.code.clone(), note: String::new() });
                }
                let dept = TOPICS[p.topic].1;
                let county = p.jurisdiction.get(..6).unwrap_or(area);
                let target = match cur.jurisdiction.len() {
                    9 | 6 => self.unit(area, dept)?,
                    4 if rng.random_bool(0.5) => self.unit(county, dept)?,
                    4 => self.unit(CITY, dept)?,
                    _ => match weighted(rng, &[0.4, 0.3, 0.3]) {
                        0 => self.unit(PROVINCE, dept)?,
                        1 => self.unit(CITY, dept)?,
                        _ => self.unit(county, dept)?,
                    },
                };
                // A matter of another area goes to the petition bureau of its place (Art. 22).
                if !xinfang_domain::procedure::route_place_allowed(&case.jurisdiction, cur, target) {
                    let bureau = tree.bureau_for(&case.jurisdiction).filter(|b| b.id != cur.id)?;
                    return step(w, clerk, Command::Forward { unit: bureau.code.clone(), note: "属于问题属地办理".into() });
                }
                if rng.random_bool(0.1) {
                    let due_on = local_date(at + w) + Duration::days(rng.random_range(30..60));
                    step(w, clerk, Command::Assign { unit: target.code.clone(), due_on, instructions: "请按期报送办结报告".into() })
                } else {
                    step(w, clerk, Command::Forward { unit: target.code.clone(), note: String::new() })
                }
            }
            State::Registered | State::Forwarded => {
                if p.pace == Pace::Stalled {
                    return None;
                }
                let w = if slow { days(rng.random_range(5.0..25.0)) } else { days(rng.random_range(0.3..12.0)) };
                if case.state == State::Forwarded && !f.objected && matches!(case.routing, Some(Routing::Forward)) && rng.random_bool(0.02)
                {
                    f.objected = true;
                    return step(
                        days(rng.random_range(0.2..3.0)),
                        self.staff(cur.id, Role::Clerk),
                        Command::Object { reasons: "该事项不属于本单位职责范围".into() },
                    );
                }
                let officer = self.staff(cur.id, Role::HandlingOfficer);
                if case.category == Category::Claim && !case.litigation_related && rng.random_bool(0.025) {
                    return step(
                        w,
                        officer,
                        Command::Decline {
                            ground: DeclineGround::StatutoryProcedure,
                            reason: "属于劳动争议仲裁受理范围".into(),
                            proper_channel: "向劳动人事争议仲裁委员会申请仲裁".into(),
                        },
                    );
                }
                let route = match case.category {
                    Category::Claim if case.litigation_related => Some(1),
                    Category::Claim => Some([6, 5, 1 + rng.random_range(0..4u8)][weighted(rng, &[0.86, 0.06, 0.08])]),
                    _ => None,
                };
                let simplified = !case.repeat
                    && (route == Some(6) || case.category == Category::Suggestion)
                    && !case.litigation_related
                    && rng.random_bool(0.1);
                step(w, officer, Command::Accept { route, simplified, note: String::new() })
            }
            State::Objected => {
                let clerk = self.staff(cur.id, Role::Clerk);
                let w = days(rng.random_range(0.5..4.0));
                if rng.random_bool(0.6) {
                    step(w, clerk, Command::ApproveObjection { note: "同意退回".into() })
                } else {
                    step(w, clerk, Command::RejectObjection { reason: "属于你单位职责".into() })
                }
            }
            State::Handling => {
                let officer = self.staff(cur.id, Role::HandlingOfficer);
                let accepted = case.accepted_on.unwrap_or_else(|| local_date(at));
                if case.category == Category::Accusation && cur.kind == UnitKind::DisciplineBody {
                    if !f.disposed {
                        f.disposed = true;
                        return step(
                            days(rng.random_range(5.0..30.0)),
                            officer,
                            Command::Dispose { disposition: Disposition::TalkInquiry, summary: "依规依纪处置".into() },
                        );
                    }
                    return step(
                        days(rng.random_range(3.0..20.0)),
                        officer,
                        Command::Reply { text: "处理结果反馈".into(), adoption: None },
                    );
                }
                if case.simplified {
                    let adoption = (case.category == Category::Suggestion).then_some(Adoption::Adopted);
                    let day = accepted + Duration::days(rng.random_range(3..18));
                    let cmd = if case.category == Category::Suggestion {
                        Command::Reply { text: "感谢您的建议。".into(), adoption }
                    } else {
                        conclude(rng)
                    };
                    return step(until(day, rng), officer, cmd);
                }
                match (case.category, case.claim_route) {
                    (Category::Suggestion, _) => {
                        let adoption = Adoption::ALL[rng.random_range(0..Adoption::ALL.len())];
                        step(
                            days(rng.random_range(5.0..30.0)),
                            officer,
                            Command::Reply { text: "答复如下。".into(), adoption: Some(adoption) },
                        )
                    }
                    (_, Some(1..=4)) => step(
                        days(rng.random_range(1.0..10.0)),
                        officer,
                        Command::Redirect { procedure: "行政复议".into(), guidance: "请在法定期限内申请".into() },
                    ),
                    (_, Some(6)) => {
                        if !f.extend_tried && !slow && rng.random_bool(0.05) {
                            f.extend_tried = true;
                            return step(
                                until(accepted + Duration::days(rng.random_range(40..55)), rng),
                                self.staff(cur.id, Role::UnitHead),
                                Command::Extend { days: 30, reason: "案情复杂".into() },
                            );
                        }
                        let target = if slow {
                            rng.random_range(65..120)
                        } else if case.extended {
                            rng.random_range(62..88)
                        } else {
                            rng.random_range(12..63)
                        };
                        step(until(accepted + Duration::days(target), rng), officer, conclude(rng))
                    }
                    _ => step(days(rng.random_range(5.0..30.0)), officer, Command::Reply { text: "答复如下。".into(), adoption: None }),
                }
            }
            State::Concluded | State::ReviewDecided => {
                let role = if case.state == State::Concluded { Role::HandlingOfficer } else { Role::Reviewer };
                let w = days(rng.random_range(0.3..5.0));
                let method = DeliveryMethod::ALL[rng.random_range(0..DeliveryMethod::ALL.len())];
                step(w, self.staff(cur.id, role), Command::Deliver { method, delivered_on: local_date(at + w), signed: true })
            }
            State::Replied | State::Reviewed => {
                let kind = if case.state == State::Replied {
                    xinfang_domain::deadline::TimerKind::T7
                } else {
                    xinfang_domain::deadline::TimerKind::T9
                };
                let window = case.timer(kind)?.due_on;
                if case.state == State::Replied {
                    if *f.evaluate.get_or_insert_with(|| rng.random_bool(0.5)) && !f.evaluated {
                        f.evaluated = true;
                        return Some((days(rng.random_range(0.5..40.0)), Actor::Petitioner, evaluate(rng)));
                    }
                    if *f.review.get_or_insert_with(|| rng.random_bool(0.1)) {
                        let latest = morning(window) - at - Duration::hours(30);
                        let w = days(rng.random_range(0.5..12.0)).min(latest);
                        if w > Duration::zero() {
                            return Some((
                                w,
                                Actor::Petitioner,
                                Command::RequestReview { unit: None, reason: "不服".into(), good_reason: None },
                            ));
                        }
                    }
                } else if !f.review_evaluated {
                    f.review_evaluated = true;
                    if rng.random_bool(0.3) {
                        return Some((days(rng.random_range(0.5..10.0)), Actor::Petitioner, evaluate(rng)));
                    }
                }
                step(
                    until(window + Duration::days(rng.random_range(1..10)), rng),
                    self.staff(cur.id, Role::Clerk),
                    Command::Close { note: "期限届满，办结归档".into() },
                )
            }
            State::UnderReview => {
                let outcome =
                    [ReviewOutcome::Uphold, ReviewOutcome::RevokeOrChange, ReviewOutcome::OrderRedo][weighted(rng, &[0.8, 0.12, 0.08])];
                step(
                    days(rng.random_range(8.0..27.0)),
                    self.staff(cur.id, Role::Reviewer),
                    Command::DecideReview {
                        outcome,
                        opinion: "维持".into(),
                        facts_and_reasons: "事实清楚".into(),
                        legal_basis: "第三十五条".into(),
                    },
                )
            }
            State::Closed if !f.late_evaluated && !f.evaluated => {
                f.late_evaluated = true;
                let open = case.document.as_ref().is_some_and(|d| d.delivered_on.is_some() && !d.evaluated);
                (open && rng.random_bool(0.35)).then(|| (days(rng.random_range(0.5..50.0)), Actor::Petitioner, evaluate(rng)))
            }
            _ => None,
        }
    }

    /// The acts of petition `i`, as the bulk path takes them.
    fn live(&self, plans: &[Plan], numbers: &[String], i: usize, id: i64, keys: &Keyring, seed: u64) -> Option<BulkPetition> {
        let p = &plans[i];
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(1_000_003).wrapping_add(i as u64));
        let receiving = self.tree.get(p.receiving)?;
        let reg = self.registration(p);
        let mut case = register(&reg, receiving, &self.ctx(p.at));
        case.repeat = p.repeat_of.is_some();
        if p.refused_at_intake {
            // Refused at the door (Art. 19 para 3): registered as declined.
            case.state = State::Declined;
            case.decline_ground = Some(DeclineGround::AlreadyInProcess);
            for d in case.deadlines.iter_mut() {
                d.met_at = Some(p.at);
            }
        }
        let (actor, action) = if p.online {
            (ActorRef { kind: "petitioner", user_id: None, unit_id: None }, "submit")
        } else {
            (
                ActorRef { kind: "staff", user_id: self.users.get(&(receiving.id, Role::Clerk)).copied(), unit_id: Some(receiving.id) },
                "register",
            )
        };
        let mut acts = vec![BulkAct {
            event: EventDraft {
                action: action.into(),
                actor,
                occurred_at: p.at,
                from_state: None,
                to_state: case.state,
                payload: json!({"channel": p.channel.as_str(), "receiving_unit": receiving.code, "received_on": reg.received_on}),
                reason: None,
            },
            recorded_at: p.at + Duration::milliseconds(3),
            involved: involved_units(&case, self.tree),
            case: Some(case.clone()),
            notice: Some(format!("{}已收到您的信访事项。", receiving.name)),
            accused_unit_path: None,
            evaluation: None,
        }];
        let mut flags = Flags::default();
        let mut at = p.at;
        for _ in 0..40 {
            if p.refused_at_intake {
                break;
            }
            let Some((wait, actor, cmd)) = self.next(&case, p, at, &mut rng, &mut flags) else { break };
            let when = at + wait.max(Duration::minutes(5));
            if when >= self.now {
                break;
            }
            let reason = cmd.stated_reason().map(String::from);
            let evaluation = match &cmd {
                Command::Evaluate { rating, reason } => {
                    let document = case.document.as_ref().map(|d| json!(d.kind)).and_then(|v| v.as_str().map(String::from));
                    Some((document.unwrap_or_default(), rating.as_str().to_string(), reason.clone()))
                }
                _ => None,
            };
            let actor_ref = match actor {
                Actor::Staff(s) => ActorRef { kind: "staff", user_id: Some(s.user_id), unit_id: Some(s.unit_id) },
                Actor::Petitioner => ActorRef { kind: "petitioner", user_id: None, unit_id: None },
            };
            let Ok(t) = transition(&case, cmd, &actor, &self.ctx(when)) else { break };
            acts.push(BulkAct {
                event: EventDraft {
                    action: t.action.into(),
                    actor: actor_ref,
                    occurred_at: when,
                    from_state: Some(case.state),
                    to_state: t.case.state,
                    payload: t.payload,
                    reason,
                },
                recorded_at: when + Duration::milliseconds(3),
                involved: involved_units(&t.case, self.tree),
                case: Some(t.case.clone()),
                notice: t.notice,
                accused_unit_path: None,
                evaluation,
            });
            case = t.case;
            at = when;
        }
        Some(BulkPetition {
            id,
            number: numbers[i].clone(),
            petitioners: reg.petitioners.iter().map(|x| seal_petitioner(keys, x)).collect(),
            identity_keys: identity_keys(keys, &reg.petitioners),
            query_code_hash: query_code_hash(keys, &format!("Q{i:07}")),
            repeat_of: p.repeat_of.map(|j| numbers[j].clone()),
            registered_at: p.at,
            search_tokens: xinfang_web::search::registration_tokens(&xinfang_web::search::segmenter(self.tree), keys, &reg),
            reg,
            acts,
        })
    }
}

fn conclude(rng: &mut StdRng) -> Command {
    Command::Conclude {
        outcome: [Outcome::Upheld, Outcome::Explained, Outcome::Rejected][weighted(rng, &[0.35, 0.4, 0.25])],
        request: "要求解决".into(),
        facts_and_reasons: "经调查核实".into(),
        decision: "处理意见如下".into(),
        legal_basis: "《信访工作条例》第三十二条".into(),
    }
}

fn evaluate(rng: &mut StdRng) -> Command {
    let rating = [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Dissatisfied][weighted(rng, &[0.65, 0.2, 0.15])];
    let reason = if rating == Rating::Dissatisfied { "问题没有解决".to_string() } else { String::new() };
    Command::Evaluate { rating, reason }
}
