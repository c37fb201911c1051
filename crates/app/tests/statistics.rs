//! Statistics (issue 12, item 4; docs/metrics.md). A history of 20,000
//! petitions over 13 months across the demo tree is acted out through the
//! real procedure (`register`, `transition`) and bulk-loaded
//! (`store::bulk`); every metric `GET /api/v1/statistics` gives for a
//! county bureau, departments, a city and the province, alone and with the
//! units below, for several periods and for the periods before (环比) and a
//! year earlier (同比), equals a recount made here from the raw rows
//! (petitions, events, deadlines, evaluations) with plain queries and Rust.
//! The CSV and XLSX exports carry the same numbers; bad parameters and
//! other units' figures are refused.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use common::TestServer;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AnyPool, Row};
use std::collections::{BTreeMap, HashMap, HashSet};
use xinfang::config::Config;
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

const PETITIONS: usize = 20_000;
const HISTORY_DAYS: i64 = 395;

// ---------------------------------------------------------------------------
// The generated history
// ---------------------------------------------------------------------------

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
    now: DateTime<Utc>,
}

fn days(d: f64) -> Duration {
    Duration::seconds((d * 86_400.0) as i64)
}

/// 10:00 Beijing time on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap())
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
        let user_id = *self.users.get(&(unit, role))?;
        Some(Actor::Staff(StaffActor { user_id, unit_id: unit, role }))
    }

    fn ctx(&self, at: DateTime<Utc>) -> Ctx<'_> {
        let s = xinfang_web::Settings::default();
        Ctx { on: local_date(at), now: at, calendar: self.calendar, tree: self.tree, policy: s.policy, window_policy: s.window_policy }
    }

    fn plan(&self, rng: &mut StdRng, at: DateTime<Utc>, streets: &HashMap<&str, Vec<String>>) -> Plan {
        let county = if rng.random_bool(0.6) { "440304" } else { "440305" };
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
                Some(s) => (self.unit(s, "XFB").unwrap(), false, s.clone()),
                None => (self.unit(county, "XFJ").unwrap(), false, matter.clone()),
            },
            1 => (self.unit(county, "XFJ").unwrap(), rng.random_bool(0.55), matter.clone()),
            2 => (self.unit(county, dept).unwrap(), false, matter.clone()),
            3 => (self.unit("4403", "XFJ").unwrap(), rng.random_bool(0.5), matter.clone()),
            4 => (self.unit("4403", dept).unwrap(), false, matter.clone()),
            _ => (self.unit("44", "XFJ").unwrap(), rng.random_bool(0.5), matter.clone()),
        };
        // Accusations go to a bureau (which refers them to the discipline body).
        let receiving = if category == Category::Accusation && receiving.kind != UnitKind::PetitionBureau {
            self.unit(county, "XFJ").unwrap()
        } else {
            receiving
        };
        Plan {
            at,
            receiving: receiving.id,
            online,
            channel: if online { Channel::Online } else { staff_channel(rng) },
            jurisdiction,
            category,
            litigation_related,
            topic,
            person: rng.random(),
            pace: [Pace::Normal, Pace::Slow, Pace::Stalled][weighted(rng, &[0.88, 0.09, 0.03])],
            repeat_of: None,
            refused_at_intake: false,
        }
    }

    fn registration(&self, p: &Plan, i: usize) -> Registration {
        let petitioners = if p.category == Category::Accusation && p.person.is_multiple_of(3) {
            Vec::new()
        } else {
            vec![Petitioner {
                kind: PetitionerKind::Person,
                name: format!("信访人{}", p.person % 100_000),
                id_number: None,
                phone: Some(format!("138{:08}", p.person % 100_000_000)),
                address: Some("深圳市".into()),
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
            title: format!("事项{}", p.person % 10_000),
            content: format!("第{i}件：具体情况如下。"),
            request: "要求依法处理".into(),
            facts_and_reasons: format!("事实和理由{}", p.person % 10_000),
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
                let county = if p.jurisdiction.len() >= 6 { &p.jurisdiction[..6] } else { "440304" };
                let target = match cur.jurisdiction.len() {
                    9 | 6 => self.unit(area, dept)?,
                    4 if rng.random_bool(0.5) => self.unit(county, dept)?,
                    4 => self.unit("4403", dept)?,
                    _ => match weighted(rng, &[0.4, 0.3, 0.3]) {
                        0 => self.unit("44", dept)?,
                        1 => self.unit("4403", dept)?,
                        _ => self.unit(county, dept)?,
                    },
                };
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
    fn live(&self, plans: &[Plan], numbers: &[String], i: usize, id: i64, keys: &xinfang_crypto::Keyring) -> BulkPetition {
        let p = &plans[i];
        let mut rng = StdRng::seed_from_u64(7_000_000 + i as u64);
        let receiving = self.tree.get(p.receiving).unwrap();
        let reg = self.registration(p, i);
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
        BulkPetition {
            id,
            number: numbers[i].clone(),
            petitioners: reg.petitioners.iter().map(|x| seal_petitioner(keys, x)).collect(),
            identity_keys: identity_keys(keys, &reg.petitioners),
            query_code_hash: query_code_hash(keys, &format!("Q{i:07}")),
            repeat_of: p.repeat_of.map(|j| numbers[j].clone()),
            registered_at: p.at,
            reg,
            acts,
        }
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

/// Build and bulk-load the history into the server's database; returns
/// the load's wall time.
async fn load_history(server: &TestServer) -> std::time::Duration {
    let t0 = std::time::Instant::now();
    let store: &Store = &server.store;
    let cfg = Config { key_file: server.dir.path().join("xinfang.key").display().to_string(), ..Config::default() };
    let keys = xinfang::existing_keyring(&cfg).unwrap().expect("the server's key file");
    let units = store.load_units().await.unwrap();
    let tree = UnitTree::new(units.clone());
    let calendar = store.load_calendar().await.unwrap();
    let roles = [Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer, Role::Supervisor];
    let wanted: Vec<(String, String, Role, i64)> = units
        .iter()
        .flat_map(|u| roles.iter().map(move |r| (format!("gen.{}.{}", u.code, r.as_str()), format!("{}{}", u.name, r.label()), *r, u.id)))
        .collect();
    let ids = store.bulk_users(&wanted, "not-a-login").await.unwrap();
    let users = wanted.iter().map(|(name, _, role, unit)| ((*unit, *role), ids[name])).collect();
    let now = Utc::now();
    let g = Gen { tree: &tree, calendar: &calendar, users, now };
    let mut streets: HashMap<&str, Vec<String>> = HashMap::new();
    for u in tree.all().filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == 9) {
        let county = if u.jurisdiction.starts_with("440304") { "440304" } else { "440305" };
        streets.entry(county).or_default().push(u.jurisdiction.clone());
    }
    for s in streets.values_mut() {
        s.sort();
    }

    // The plan, in registration order.
    let mut rng = StdRng::seed_from_u64(2026);
    let start = now - Duration::days(HISTORY_DAYS);
    let mut times: Vec<DateTime<Utc>> = (0..PETITIONS)
        .map(|_| {
            let d = rng.random_range(0..HISTORY_DAYS);
            let secs = rng.random_range(0.0..12.0 * 3600.0);
            (Utc.from_utc_datetime(&(start + Duration::days(d)).date_naive().and_hms_opt(0, 0, 0).unwrap()) + days(secs / 86_400.0))
                .min(now - Duration::minutes(1))
        })
        .collect();
    times.sort();
    let mut plans: Vec<Plan> = times.iter().map(|at| g.plan(&mut rng, *at, &streets)).collect();
    for i in 300..plans.len() {
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
    let begin = store.bulk_begin().await.unwrap();
    let mut sequences = begin.sequences.clone();
    let numbers: Vec<String> = plans
        .iter()
        .map(|p| {
            let unit = tree.get(p.receiving).unwrap();
            let prefix = number_prefix(&unit.jurisdiction, local_date(p.at));
            let seq = sequences.entry(prefix.clone()).or_insert(0);
            *seq += 1;
            public_number(&prefix, *seq, keys.keyed_hash("number", &prefix).as_bytes())
        })
        .collect();

    let bulk_units = BulkUnits::new(&units);
    let mut rows = BulkRows::default();
    for i in 0..plans.len() {
        let bp = g.live(&plans, &numbers, i, begin.next_id + i as i64, &keys);
        rows.append(store.bulk_rows(&bp, &bulk_units).unwrap());
        if (i + 1) % 2_000 == 0 || i + 1 == plans.len() {
            store.bulk_write(&rows).await.unwrap();
            rows = BulkRows::default();
        }
    }
    store.bulk_finish(&sequences, plans.len() as i64, numbers.last().unwrap()).await.unwrap();
    t0.elapsed()
}

// ---------------------------------------------------------------------------
// The recount: raw rows, plain queries, the definitions of docs/metrics.md
// written out again here
// ---------------------------------------------------------------------------

struct Raw {
    registered_unit: i64,
    handling_unit: Option<i64>,
    received_on: NaiveDate,
    category: String,
    litigation_related: bool,
    repeat: bool,
    channel: String,
    topic: String,
    brought_back: bool,
    /// (action, to_state, local date), in order.
    events: Vec<(String, String, NaiveDate)>,
    /// (kind, due_on, met local date), in order.
    deadlines: Vec<(String, NaiveDate, Option<NaiveDate>)>,
    /// (document, rating, local date), in the order given.
    evaluations: Vec<(String, String, NaiveDate)>,
}

fn day_of(s: &str) -> NaiveDate {
    local_date(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

/// Units by code: (id, parent_id, gov_id).
type Units = HashMap<String, (i64, Option<i64>, Option<i64>)>;

async fn raw_rows(url: &str) -> (Vec<Raw>, Units) {
    sqlx::any::install_default_drivers();
    let pool = AnyPool::connect(url).await.unwrap();
    let mut by_id: BTreeMap<i64, Raw> = BTreeMap::new();
    let mut numbers: HashMap<i64, String> = HashMap::new();
    let mut back: HashSet<String> = HashSet::new();
    for r in sqlx::query(
        "SELECT id, number, registered_unit_id, handling_unit_id, received_on, category, litigation_related, repeat_of, channel, topic FROM petitions",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    {
        let id: i64 = r.get(0);
        numbers.insert(id, r.get(1));
        let repeat_of: Option<String> = r.get(7);
        if let Some(n) = &repeat_of {
            back.insert(n.clone());
        }
        by_id.insert(
            id,
            Raw {
                registered_unit: r.get(2),
                handling_unit: r.get(3),
                received_on: r.get::<String, _>(4).parse().unwrap(),
                category: r.get(5),
                litigation_related: r.get::<i64, _>(6) != 0,
                repeat: repeat_of.is_some(),
                channel: r.get(8),
                topic: r.get::<Option<String>, _>(9).unwrap_or_default(),
                brought_back: false,
                events: Vec::new(),
                deadlines: Vec::new(),
                evaluations: Vec::new(),
            },
        );
    }
    for (id, raw) in by_id.iter_mut() {
        raw.brought_back = back.contains(&numbers[id]);
    }
    for r in sqlx::query("SELECT petition_id, action, to_state, occurred_at FROM events ORDER BY petition_id, seq")
        .fetch_all(&pool)
        .await
        .unwrap()
    {
        let raw = by_id.get_mut(&r.get::<i64, _>(0)).unwrap();
        raw.events.push((r.get(1), r.get(2), day_of(&r.get::<String, _>(3))));
    }
    for r in
        sqlx::query("SELECT petition_id, kind, due_on, met_at FROM deadlines ORDER BY petition_id, seq").fetch_all(&pool).await.unwrap()
    {
        let raw = by_id.get_mut(&r.get::<i64, _>(0)).unwrap();
        raw.deadlines.push((r.get(1), r.get::<String, _>(2).parse().unwrap(), r.get::<Option<String>, _>(3).map(|s| day_of(&s))));
    }
    for r in sqlx::query("SELECT petition_id, document, rating, created_at FROM evaluations ORDER BY petition_id, created_at, id")
        .fetch_all(&pool)
        .await
        .unwrap()
    {
        let raw = by_id.get_mut(&r.get::<i64, _>(0)).unwrap();
        raw.evaluations.push((r.get(1), r.get(2), day_of(&r.get::<String, _>(3))));
    }
    let units = sqlx::query("SELECT code, id, parent_id, gov_id FROM units")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>(0), (r.get::<i64, _>(1), r.get::<Option<i64>, _>(2), r.get::<Option<i64>, _>(3))))
        .collect();
    pool.close().await;
    (by_id.into_values().collect(), units)
}

type Counts = BTreeMap<&'static str, (u64, u64)>;

/// Every metric for the petitions `keep` selects, counted for the units in
/// `scope`, for the period `from..=to`, judged on `today`.
fn recount(raws: &[Raw], scope: &HashSet<i64>, from: NaiveDate, to: NaiveDate, today: NaiveDate, keep: &dyn Fn(&Raw) -> bool) -> Counts {
    let inside = |d: NaiveDate| from <= d && d <= to;
    let mut c: Counts = BTreeMap::new();
    for m in [
        "on_time_acceptance_rate",
        "on_time_conclusion_rate",
        "repeat_petition_rate",
        "evaluation_rate",
        "satisfaction_rate",
        "resolution_rate",
        "first_time_resolution_rate",
    ] {
        c.insert(m, (0, 0));
    }
    let mut add = |name: &'static str, hit: bool| {
        let e = c.entry(name).or_insert((0, 0));
        e.0 += u64::from(hit);
        e.1 += 1;
    };
    for r in raws.iter().filter(|r| keep(r)) {
        let registering = scope.contains(&r.registered_unit);
        let handling = r.handling_unit.is_some_and(|h| scope.contains(&h));
        let refused = r.events.first().is_some_and(|e| e.1 == "declined" || e.1 == "not_reaccepted");
        let public = !r.litigation_related && r.category != "accusation" && !refused;
        let first_event = |actions: &[&str]| r.events.iter().find(|e| actions.contains(&e.0.as_str())).map(|e| e.2);

        // 及时受理率: the registration timer's due date in the period.
        if (registering || handling)
            && !r.repeat
            && !refused
            && let Some((_, due, _)) = r.deadlines.iter().find(|d| d.0 == "T1" || d.0 == "T2")
            && inside(*due)
        {
            match first_event(&["accept", "decline"]) {
                Some(a) => add("on_time_acceptance_rate", a <= *due),
                None if *due < today => add("on_time_acceptance_rate", false),
                None => {}
            }
        }
        // 按期办结率: the first T6 / S1 due in the period.
        if handling
            && !r.litigation_related
            && !refused
            && let Some((_, due, met)) = r.deadlines.iter().find(|d| d.0 == "T6" || d.0 == "S1")
            && inside(*due)
        {
            match met {
                Some(m) => add("on_time_conclusion_rate", m <= due),
                None if *due < today => add("on_time_conclusion_rate", false),
                None => {}
            }
        }
        // 重复信访率: received in the period, at the registering unit.
        if registering && !r.litigation_related && inside(r.received_on) {
            add("repeat_petition_rate", r.repeat);
        }
        if !handling || !public {
            continue;
        }
        let first_instance = |doc: &str| doc == "decision_letter" || doc == "reply";
        // 参评率: the first delivery in the period.
        if let Some(delivered) = first_event(&["deliver"]).filter(|d| inside(*d)) {
            let evaluated = r.evaluations.iter().any(|e| first_instance(&e.0));
            if evaluated {
                add("evaluation_rate", true);
            } else if delivered + Duration::days(30) < today {
                add("evaluation_rate", false);
            }
        }
        // 满意率: first-instance ratings given in the period.
        for e in r.evaluations.iter().filter(|e| first_instance(&e.0) && inside(e.2)) {
            add("satisfaction_rate", e.1 != "dissatisfied");
        }
        // 化解率 / 一次性化解率: closed in the period.
        if r.events.iter().find(|e| e.1 == "closed").is_some_and(|e| inside(e.2)) {
            let last_dissatisfied = r.evaluations.last().is_some_and(|e| e.1 == "dissatisfied");
            add("resolution_rate", !r.brought_back && !last_dissatisfied);
            if !r.repeat {
                let reviewed = r.events.iter().any(|e| e.0 == "request_review");
                let dissatisfied = r.evaluations.iter().any(|e| first_instance(&e.0) && e.1 == "dissatisfied");
                add("first_time_resolution_rate", !r.brought_back && !reviewed && !dissatisfied);
            }
        }
    }
    c
}

/// The unit, or the unit and everything linked below it: its line (the
/// materialised path) and, through `gov_id`, what answers to a government.
fn scope_of(units: &Units, code: &str, subtree: bool) -> HashSet<i64> {
    let (id, _, _) = units[code];
    if !subtree {
        return [id].into();
    }
    let mut scope: HashSet<i64> = [id].into();
    loop {
        let before = scope.len();
        for (uid, parent, gov) in units.values() {
            if parent.is_some_and(|p| scope.contains(&p)) || gov.is_some_and(|g| scope.contains(&g)) {
                scope.insert(*uid);
            }
        }
        if scope.len() == before {
            return scope;
        }
    }
}

fn assert_counts(api: &Value, expected: &Counts, what: &str) {
    for (name, (num, den)) in expected {
        let m = &api[*name];
        assert_eq!(m["numerator"], json!(num), "{what}: {name} numerator ({m})");
        assert_eq!(m["denominator"], json!(den), "{what}: {name} denominator ({m})");
        if *den == 0 {
            assert!(m["value"].is_null(), "{what}: {name} value without a denominator");
        } else {
            assert!((m["value"].as_f64().unwrap() - *num as f64 / *den as f64).abs() < 1e-12, "{what}: {name} value");
        }
    }
}

fn ymd(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn every_metric_equals_a_recount_from_the_raw_record() {
    let server = TestServer::start().await;
    let load = load_history(&server).await;
    eprintln!("loaded {PETITIONS} petitions in {:.1}s", load.as_secs_f64());
    let (raws, units) = raw_rows(&server.database_url()).await;
    assert!(raws.len() >= PETITIONS);
    eprintln!(
        "record: {} petitions, {} events, {} timers, {} evaluations",
        raws.len(),
        raws.iter().map(|r| r.events.len()).sum::<usize>(),
        raws.iter().map(|r| r.deadlines.len()).sum::<usize>(),
        raws.iter().map(|r| r.evaluations.len()).sum::<usize>()
    );
    let token = server.token("gd_supervisor").await;

    let today = local_date(Utc::now());
    let month_start = |d: NaiveDate| d.with_day0(0).unwrap();
    let this_month = month_start(today);
    let last_month = month_start(this_month - Duration::days(1));
    let cases: Vec<(&str, bool, NaiveDate, NaiveDate)> = vec![
        ("440304-XFJ", false, last_month, this_month - Duration::days(1)),
        ("440304-XFJ", true, today - Duration::days(120), today - Duration::days(30)),
        ("440304-RST", false, last_month, this_month - Duration::days(1)),
        ("440305-ZJT", false, today - Duration::days(200), today - Duration::days(100)),
        ("4403-XFJ", true, last_month, this_month - Duration::days(1)),
        ("4403-RST", true, today - Duration::days(90), today),
        ("4403-RST", false, today - Duration::days(90), today),
        ("440305-XFJ", true, today - Duration::days(45), today - Duration::days(15)),
        ("44-XFJ", true, today - Duration::days(365), today),
        ("440304-JW", false, today - Duration::days(180), today),
        // A city's government with everything that answers to it (its
        // departments and bureau, the districts' governments and theirs).
        ("4403-ZF", true, last_month, this_month - Duration::days(1)),
        ("440305-ZF", true, today - Duration::days(365), today),
    ];
    let mut checked = 0;
    for (code, subtree, from, to) in &cases {
        let path = format!("/api/v1/statistics?unit={code}&from={from}&to={to}&subtree={subtree}");
        let t = std::time::Instant::now();
        let (status, body) = server.get(&path, Some(&token)).await;
        let ms = t.elapsed().as_millis();
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        eprintln!("{path}: {ms} ms");
        let as_of = ymd(body["as_of"].as_str().unwrap());
        let scope = scope_of(&units, code, *subtree);
        for (key, f, t) in [
            ("metrics", body["from"].as_str().unwrap(), body["to"].as_str().unwrap()),
            ("previous", body["previous"]["from"].as_str().unwrap(), body["previous"]["to"].as_str().unwrap()),
            ("year_ago", body["year_ago"]["from"].as_str().unwrap(), body["year_ago"]["to"].as_str().unwrap()),
        ] {
            let expected = recount(&raws, &scope, ymd(f), ymd(t), as_of, &|_| true);
            let api = if key == "metrics" { &body["metrics"] } else { &body[key]["metrics"] };
            assert_counts(api, &expected, &format!("{code} subtree={subtree} {key} {f}..{t}"));
            checked += 1;
        }
        if *code == "4403-ZF" {
            let c = recount(&raws, &scope, *from, *to, as_of, &|_| true);
            assert!(c["on_time_conclusion_rate"].1 > 50 && c["on_time_acceptance_rate"].1 > 500, "a city as a whole: {c:?}");
        }
        if *code == "440304-XFJ" && !*subtree {
            let c = recount(&raws, &scope, *from, *to, as_of, &|_| true);
            assert!(
                c["on_time_acceptance_rate"].1 > 100 && c["repeat_petition_rate"].1 > 100,
                "a county bureau's month has figures: {c:?}"
            );
            assert!(c["on_time_acceptance_rate"].0 < c["on_time_acceptance_rate"].1, "some acceptances are late");
        }
    }
    assert_eq!(checked, cases.len() * 3);

    // The metrics a department is answerable for have real figures.
    let scope = scope_of(&units, "4403-RST", true);
    let c = recount(&raws, &scope, today - Duration::days(365), today, today, &|_| true);
    for (name, (num, den)) in &c {
        assert!(*den > 50 && num < den, "{name}: {num}/{den} for the city's labour departments over a year");
    }

    // Filters: a topic (and the codes under it) and a channel.
    let (from, to) = (today - Duration::days(180), today);
    let (_, body) = server.get(&format!("/api/v1/statistics?unit=4403-XFJ&subtree=true&from={from}&to={to}&topic=02"), Some(&token)).await;
    let scope = scope_of(&units, "4403-XFJ", true);
    let as_of = ymd(body["as_of"].as_str().unwrap());
    assert_counts(&body["metrics"], &recount(&raws, &scope, from, to, as_of, &|r| r.topic.starts_with("02")), "topic 02");
    let (_, body) =
        server.get(&format!("/api/v1/statistics?unit=4403-XFJ&subtree=true&from={from}&to={to}&channel=online"), Some(&token)).await;
    assert_counts(&body["metrics"], &recount(&raws, &scope, from, to, as_of, &|r| r.channel == "online"), "channel online");

    // Groups partition the period: by channel, by topic, by month.
    for g in ["channel", "topic", "month"] {
        let (status, body) =
            server.get(&format!("/api/v1/statistics?unit=4403-XFJ&subtree=true&from={from}&to={to}&group_by={g}"), Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let groups = body["groups"].as_array().unwrap();
        assert!(groups.len() > 1, "{g}: {groups:?}");
        for (name, total) in body["metrics"].as_object().unwrap() {
            let sum = |k: &str| groups.iter().map(|x| x["metrics"][name][k].as_u64().unwrap()).sum::<u64>();
            assert_eq!(json!(sum("numerator")), total["numerator"], "{g}: {name}");
            assert_eq!(json!(sum("denominator")), total["denominator"], "{g}: {name}");
        }
        if g == "channel" {
            let letter = groups.iter().find(|x| x["key"] == "letter").unwrap();
            let as_of = ymd(body["as_of"].as_str().unwrap());
            assert_counts(&letter["metrics"], &recount(&raws, &scope, from, to, as_of, &|r| r.channel == "letter"), "group letter");
        }
    }

    // The exports carry the numbers of the JSON.
    let q = format!("unit=440304-XFJ&subtree=true&from={last_month}&to={}", this_month - Duration::days(1));
    let (_, body) = server.get(&format!("/api/v1/statistics?{q}"), Some(&token)).await;
    let resp = server.client.get(format!("{}/api/v1/statistics.csv?{q}", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = resp.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("分组,指标,指标代码,本期分子"));
    assert_eq!(lines.len(), 1 + 7);
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        let name = cells[2];
        for (i, period) in [(3, &body["metrics"]), (6, &body["previous"]["metrics"]), (9, &body["year_ago"]["metrics"])] {
            assert_eq!(cells[i], period[name]["numerator"].to_string(), "csv {name}");
            assert_eq!(cells[i + 1], period[name]["denominator"].to_string(), "csv {name}");
        }
    }
    let resp = server.client.get(format!("{}/api/v1/statistics?{q}&format=xlsx", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "统计").unwrap();
    let rows: Vec<Vec<calamine::Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][1], calamine::Data::String("指标".into()));
    assert_eq!(rows.len(), 8);
    for row in &rows[1..] {
        let name = row[2].to_string();
        for (i, period) in [(3, &body["metrics"]), (6, &body["previous"]["metrics"]), (9, &body["year_ago"]["metrics"])] {
            let m = &period[name.as_str()];
            assert_eq!(row[i], calamine::Data::Float(m["numerator"].as_f64().unwrap()), "xlsx {name}");
            assert_eq!(row[i + 1], calamine::Data::Float(m["denominator"].as_f64().unwrap()), "xlsx {name}");
            match m["value"].as_f64() {
                Some(v) => assert_eq!(row[i + 2], calamine::Data::Float(v), "xlsx {name} value"),
                None => assert_eq!(row[i + 2], calamine::Data::Empty, "xlsx {name} value"),
            }
        }
    }
    server.finish().await;
}

#[tokio::test]
async fn bad_parameters_and_other_units_figures_are_refused() {
    let server = TestServer::start().await;
    let get = |user: &'static str, q: &'static str| {
        let server = &server;
        async move { server.get_as(user, &format!("/api/v1/statistics?{q}")).await }
    };
    for (q, code) in [
        ("from=2026-01-01&to=2026-01-31", "missing_parameter"),
        ("unit=440304-XFJ&to=2026-01-31", "missing_parameter"),
        ("unit=440304-XFJ&from=2026-02-30&to=2026-03-31", "invalid_date"),
        ("unit=440304-XFJ&from=2026/01/01&to=2026-03-31", "invalid_date"),
        ("unit=440304-XFJ&from=2026-03-01&to=2026-01-31", "invalid_range"),
        ("unit=440304-XFJ&from=2022-01-01&to=2026-01-31", "range_too_long"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&subtree=yes", "invalid_parameter"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&channel=pigeon", "invalid_parameter"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&group_by=weekday", "invalid_parameter"),
        ("unit=440304-XFJ&from=2026-01-01&to=2026-01-31&format=pdf", "invalid_parameter"),
    ] {
        let (status, body) = get("ft_clerk", q).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {body}");
        assert_eq!(body["error"]["code"], code, "{q}: {body}");
        assert!(!body["error"]["fields"].as_array().unwrap().is_empty(), "{q}: the field is named");
        assert!(
            body["error"]["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{q}: a Chinese message"
        );
    }
    let (status, body) = get("ft_clerk", "unit=999999-XFJ&from=2026-01-01&to=2026-01-31").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // Another county's figures, or the bureau above: 403 with a Chinese message.
    for (user, unit) in
        [("ns_clerk", "440304-XFJ"), ("ft_rst_officer", "4403-XFJ"), ("ft_rst_officer", "440304-ZJT"), ("ft_clerk", "4403-RST")]
    {
        let (status, body) = server.get_as(user, &format!("/api/v1/statistics?unit={unit}&from=2026-01-01&to=2026-01-31")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{user} → {unit}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("无权查看"), "{body}");
    }
    // One's own unit, a unit below, and (a bureau) any unit of its area.
    for (user, unit) in [
        ("ft_rst_officer", "440304-RST"),
        ("sz_rst_officer", "440304-RST"),
        ("ft_clerk", "440304-RST"),
        ("sz_clerk", "440305-XFJ"),
        ("sz_zfb_head", "4403-ZF"),
        ("ft_zfb_head", "440304-RST"),
    ] {
        let (status, body) =
            server.get_as(user, &format!("/api/v1/statistics?unit={unit}&from=2026-01-01&to=2026-01-31&subtree=true")).await;
        assert_eq!(status, StatusCode::OK, "{user} → {unit}: {body}");
        // Nothing registered: every denominator 0, every value null.
        for (name, m) in body["metrics"].as_object().unwrap() {
            assert_eq!(m["denominator"], 0, "{name}");
            assert!(m["value"].is_null(), "{name}");
        }
        assert_eq!(body["previous"]["from"], "2025-12-01");
        assert_eq!(body["year_ago"]["to"], "2025-01-31");
        assert_eq!(body["labels"]["on_time_acceptance_rate"], "及时受理率");
    }
    let (status, _) = server.get("/api/v1/statistics?unit=440304-XFJ&from=2026-01-01&to=2026-01-31", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The route is in the OpenAPI document.
    let (status, doc) = server.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for p in ["/api/v1/statistics", "/api/v1/statistics.csv", "/api/v1/statistics.xlsx"] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} documented");
    }
    server.finish().await;
}
