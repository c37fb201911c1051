//! The life of one petition, acted out through the real procedure
//! (`xinfang_domain::procedure::register` and `transition`), with the staff
//! of the units that hold it, on the days the acts happen. Nothing after
//! the load's "now" happens: old petitions are mostly closed, recent ones
//! still in progress, slow ones overdue.

use crate::rng::Rng;
use crate::text;
use crate::world::{Door, Pace, Plan, World, department_for};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;
use xinfang_domain::local_date;
use xinfang_domain::petition::{
    Accused, Adoption, Category, DeclineGround, DeliveryMethod, Disposition, Outcome, Rating, Registration, ReviewOutcome, State,
};
use xinfang_domain::procedure::{Actor, AgreementKind, Case, Command, Ctx, Routing, StaffActor, register, transition};
use xinfang_domain::role::Role;
use xinfang_domain::unit::{Unit, UnitId, UnitKind};
use xinfang_store::ActorRef;

/// One act of the life, ready for the store's bulk path.
#[derive(Debug, Clone)]
pub struct LifeAct {
    pub at: DateTime<Utc>,
    pub actor: ActorRef,
    pub action: String,
    pub from_state: Option<State>,
    pub to_state: State,
    pub payload: Value,
    pub reason: Option<String>,
    pub case: Case,
    pub notice: Option<String>,
    pub evaluation: Option<(String, String, String)>,
}

pub struct Life {
    pub reg: Registration,
    pub repeat_of: Option<String>,
    pub acts: Vec<LifeAct>,
}

/// Refused acts (a gap in the script), counted by action and error code.
#[derive(Default)]
pub struct Refusals(pub Mutex<BTreeMap<String, u64>>);

impl Refusals {
    fn note(&self, action: &str, code: &str) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(format!("{action}: {code}")).or_default() += 1;
        }
    }
}

fn days(d: f64) -> Duration {
    Duration::seconds((d * 86_400.0) as i64)
}

/// 10:00 Beijing time on `day`.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(2, 0, 0).unwrap_or_default())
}

pub fn registration(world: &World, p: &Plan) -> Registration {
    let area = if p.jurisdiction.len() >= 6 { &p.jurisdiction[..6] } else { &p.jurisdiction };
    let place = world.place(area).to_string();
    let m = text::matter(world.seed, p.matter, &p.topic, &place, text::told(p.category, p.litigation_related));
    let accused = (p.category == Category::Accusation).then(|| Accused {
        name: m.accused_name.clone(),
        unit: m.accused_unit.clone(),
        position: Some("工作人员".into()),
        unit_code: p.accused_unit.and_then(|u| world.tree.get(u)).map(|u| u.code.clone()),
    });
    let petitioners = world.petitioners(p);
    Registration {
        channel: p.channel,
        headcount: if p.collective { 5 + (p.person % 40) as u32 } else { petitioners.len().max(1) as u32 },
        petitioners,
        collective: p.collective,
        jurisdiction: p.jurisdiction.clone(),
        title: m.title,
        content: m.content,
        request: m.request,
        facts_and_reasons: m.facts_and_reasons,
        category: p.category,
        litigation_related: p.litigation_related,
        topic: Some(p.topic.clone()),
        accused,
        anonymous: p.anonymous,
        confidential: p.confidential,
        received_on: local_date(p.at),
    }
}

struct Step {
    wait: Duration,
    actor: Actor,
    cmd: Command,
}

#[derive(Default)]
struct Flags {
    objected: bool,
    investigated: bool,
    supervised: bool,
    extended_tried: bool,
    designated: bool,
    disposed: bool,
    evaluate: Option<bool>,
    review: Option<bool>,
    final_review: Option<bool>,
    evaluated: bool,
    late_evaluated: bool,
}

impl World {
    fn staff(&self, unit: UnitId, role: Role) -> Option<Actor> {
        let user_id = self.user(unit, role)?;
        Some(Actor::Staff(StaffActor { user_id, unit_id: unit, role }))
    }

    fn ctx(&self, at: DateTime<Utc>) -> Ctx<'_> {
        Ctx {
            on: local_date(at),
            now: at,
            calendar: &self.calendar,
            tree: &self.tree,
            policy: self.policy,
            window_policy: self.window_policy,
        }
    }

    /// The area a bureau's routing stays in: a township office's county.
    fn area_of(unit: &Unit) -> &str {
        if unit.jurisdiction.len() > 6 { &unit.jurisdiction[..6] } else { &unit.jurisdiction }
    }

    /// Who handles what a bureau forwards.
    fn handler(&self, bureau: &Unit, p: &Plan, rng: &mut Rng) -> Option<&Unit> {
        let dept = department_for(&p.topic);
        let matter_county = if p.jurisdiction.len() >= 6 { Some(&p.jurisdiction[..6]) } else { None };
        match bureau.jurisdiction.len() {
            9 => {
                if rng.chance(0.5) {
                    self.unit(&bureau.jurisdiction, "ZF")
                } else {
                    self.unit(&bureau.jurisdiction[..6], dept)
                }
            }
            6 => {
                if rng.chance(0.15) && p.jurisdiction.len() == 9 {
                    self.unit(&p.jurisdiction, "ZF")
                } else {
                    self.unit(&bureau.jurisdiction, dept)
                }
            }
            4 => match matter_county {
                Some(c) if rng.chance(0.5) => self.unit(c, dept),
                _ => self.unit(&bureau.jurisdiction, dept),
            },
            _ => match (matter_county, rng.weighted(&[0.4, 0.3, 0.3])) {
                (_, 0) | (None, _) => self.unit(&bureau.jurisdiction, dept),
                (Some(c), 1) => self.unit(&c[..4], dept),
                (Some(c), _) => self.unit(c, dept),
            },
        }
    }

    fn next(&self, case: &Case, p: &Plan, at: DateTime<Utc>, rng: &mut Rng, f: &mut Flags) -> Option<Step> {
        let tree = &self.tree;
        let cur = tree.get(case.current_unit)?;
        let slow = p.pace == Pace::Slow;
        let wait = |rng: &mut Rng, lo: f64, hi: f64| days(rng.range(lo, hi));
        let until = |day: NaiveDate, rng: &mut Rng| (morning(day) + days(rng.range(0.0, 0.3)) - at).max(Duration::minutes(30));
        let step = |wait: Duration, actor: Option<Actor>, cmd: Command| actor.map(|actor| Step { wait, actor, cmd });
        match case.state {
            State::Registered if cur.kind == UnitKind::PetitionBureau => {
                if p.pace == Pace::Stalled && rng.chance(0.5) {
                    return None;
                }
                let w = if slow { wait(rng, 3.0, 14.0) } else { wait(rng, 0.1, 5.0) };
                let clerk = self.staff(cur.id, Role::Clerk);
                let area = World::area_of(cur);
                if case.category == Category::Accusation {
                    let jw = self.unit(area, "JW")?;
                    return step(w, clerk, Command::ReferDiscipline { unit: jw.code.clone(), note: String::new() });
                }
                if case.litigation_related {
                    let court = self.unit(area, "FY")?;
                    return step(w, clerk, Command::ReferLegal { unit: court.code.clone(), note: "涉法涉诉".into() });
                }
                let target = self.handler(cur, p, rng)?;
                // A matter of another area (a repeat brought to another
                // bureau) goes to the petition bureau of its place (Art. 22).
                if !xinfang_domain::procedure::route_place_allowed(&case.jurisdiction, cur, target) {
                    let bureau = self.tree.bureau_for(&case.jurisdiction).filter(|b| b.id != cur.id)?;
                    return step(w, clerk, Command::Forward { unit: bureau.code.clone(), note: "属于问题属地办理".into() });
                }
                if rng.chance(0.1) {
                    let due_on = local_date(at + w) + Duration::days(rng.range(30.0, 60.0) as i64);
                    step(
                        w,
                        clerk,
                        Command::Assign {
                            unit: target.code.clone(), due_on, instructions: "请依法办理并按期报送办结报告".into()
                        },
                    )
                } else {
                    step(w, clerk, Command::Forward { unit: target.code.clone(), note: String::new() })
                }
            }
            State::Registered | State::Forwarded => {
                if p.pace == Pace::Stalled {
                    return None;
                }
                let w = if slow { wait(rng, 4.0, 20.0) } else { wait(rng, 0.3, 10.0) };
                if case.state == State::Forwarded && !f.objected && matches!(case.routing, Some(Routing::Forward)) && rng.chance(0.02) {
                    f.objected = true;
                    return step(
                        wait(rng, 0.2, 3.0),
                        self.staff(cur.id, Role::Clerk),
                        Command::Object { reasons: "该事项不属于本单位职责范围，应由其他部门办理".into() },
                    );
                }
                let officer = self.staff(cur.id, Role::HandlingOfficer);
                if case.category == Category::Claim && !case.litigation_related && rng.chance(0.025) {
                    return step(
                        w,
                        officer,
                        Command::Decline {
                            ground: DeclineGround::StatutoryProcedure,
                            reason: "该诉求属于劳动争议仲裁受理范围".into(),
                            proper_channel: "向劳动人事争议仲裁委员会申请仲裁".into(),
                        },
                    );
                }
                let route = match case.category {
                    Category::Claim if case.litigation_related => Some(1),
                    Category::Claim => Some(match rng.weighted(&[0.86, 0.06, 0.08]) {
                        0 => 6,
                        1 => 5,
                        _ => 1 + rng.below(4) as u8,
                    }),
                    _ => None,
                };
                step(w, officer, Command::Accept { route, simplified: false, note: String::new() })
            }
            State::Objected => {
                let clerk = self.staff(cur.id, Role::Clerk);
                if rng.chance(0.6) {
                    step(wait(rng, 0.5, 4.0), clerk, Command::ApproveObjection { note: "同意退回，重新转送".into() })
                } else {
                    step(wait(rng, 0.5, 4.0), clerk, Command::RejectObjection { reason: "该事项属于你单位职责，请依法办理".into() })
                }
            }
            State::Handling => {
                let officer = self.staff(cur.id, Role::HandlingOfficer);
                if case.category == Category::Accusation && cur.kind == UnitKind::DisciplineBody {
                    if case.accused_unit.is_none() && !case.accused_unknown && !f.designated && rng.chance(0.6) {
                        f.designated = true;
                        let area = World::area_of(cur);
                        let (unit, unknown) = if rng.chance(0.7) {
                            (self.unit(area, ["ZJ", "RST", "ZR", "NY", "MZ"][rng.below(5)]).map(|u| u.code.clone()), false)
                        } else {
                            (None, true)
                        };
                        return step(
                            wait(rng, 1.0, 10.0),
                            officer,
                            Command::DesignateAccused { unit, unknown, reason: "经初步了解确定".into() },
                        );
                    }
                    if !f.disposed {
                        f.disposed = true;
                        let disposition = Disposition::ALL[rng.below(Disposition::ALL.len())];
                        return step(wait(rng, 5.0, 30.0), officer, Command::Dispose { disposition, summary: "依规依纪处置".into() });
                    }
                    return step(
                        wait(rng, 3.0, 20.0),
                        officer,
                        Command::Reply { text: "经核查，现将处理结果反馈如下。".into(), adoption: None },
                    );
                }
                match (case.category, case.claim_route) {
                    (Category::Suggestion, _) => {
                        let adoption = Adoption::ALL[rng.below(Adoption::ALL.len())];
                        step(
                            wait(rng, 5.0, 30.0),
                            officer,
                            Command::Reply { text: "感谢您的建议，答复如下。".into(), adoption: Some(adoption) },
                        )
                    }
                    (_, Some(1..=4)) => step(
                        wait(rng, 1.0, 10.0),
                        officer,
                        Command::Redirect {
                            procedure: "行政复议".into(),
                            guidance: "请自知道该行政行为之日起六十日内向复议机关提出申请".into(),
                        },
                    ),
                    (_, Some(6)) => {
                        let accepted = case.accepted_on.unwrap_or_else(|| local_date(at));
                        if !f.investigated && rng.chance(0.5) {
                            f.investigated = true;
                            return step(wait(rng, 2.0, 15.0), officer, Command::Investigate { note: "已约谈双方并调取相关材料".into() });
                        }
                        if slow && !f.supervised {
                            f.supervised = true;
                            let due = case.next_duty_due().unwrap_or(accepted + Duration::days(60));
                            let area = if case.jurisdiction.len() >= 6 { &case.jurisdiction[..6] } else { &case.jurisdiction };
                            if let Some(bureau) = self.unit(area, "XFJ").filter(|b| b.id != cur.id) {
                                return step(
                                    until(due + Duration::days(rng.range(1.0, 10.0) as i64), rng),
                                    self.staff(bureau.id, Role::Supervisor),
                                    Command::Supervise {
                                        reason: "超期未办结".into(), suggestions: "请加快办理".into(), letter: None
                                    },
                                );
                            }
                        }
                        if !f.extended_tried && !slow && rng.chance(0.04) {
                            f.extended_tried = true;
                            return step(
                                until(accepted + Duration::days(rng.range(40.0, 55.0) as i64), rng),
                                self.staff(cur.id, Role::UnitHead),
                                Command::Extend { days: 30, reason: "案情复杂需进一步调查".into() },
                            );
                        }
                        if rng.chance(0.03) {
                            return step(
                                wait(rng, 3.0, 15.0),
                                officer,
                                Command::Mediate {
                                    agreement: AgreementKind::Mediation,
                                    summary: "双方达成调解协议".into(),
                                    parties_consented: true,
                                },
                            );
                        }
                        let target = if slow {
                            rng.range(65.0, 120.0)
                        } else if case.extended {
                            rng.range(62.0, 85.0)
                        } else {
                            rng.range(12.0, 55.0)
                        };
                        let outcome = [Outcome::Upheld, Outcome::Explained, Outcome::Rejected][rng.weighted(&[0.35, 0.4, 0.25])];
                        step(
                            until(accepted + Duration::days(target as i64), rng),
                            officer,
                            Command::Conclude {
                                outcome,
                                request: "要求解决所反映的问题".into(),
                                facts_and_reasons: "经调查核实，相关情况基本属实".into(),
                                decision: "依法作出如下处理意见".into(),
                                legal_basis: "《信访工作条例》第三十二条及相关法律法规".into(),
                            },
                        )
                    }
                    _ => step(wait(rng, 5.0, 30.0), officer, Command::Reply { text: "经研究，答复如下。".into(), adoption: None }),
                }
            }
            State::Concluded | State::ReviewDecided | State::FinalReviewDecided => {
                let role = if case.state == State::Concluded { Role::HandlingOfficer } else { Role::Reviewer };
                let w = wait(rng, 0.3, 5.0);
                let method = DeliveryMethod::ALL[rng.below(DeliveryMethod::ALL.len())];
                step(w, self.staff(cur.id, role), Command::Deliver { method, delivered_on: local_date(at + w), signed: true })
            }
            State::Replied | State::Reviewed => {
                let window = case.next_window_due(case.state)?;
                if f.evaluate.is_none() {
                    f.evaluate = Some(rng.chance(0.45));
                }
                if f.evaluate == Some(true) && !f.evaluated {
                    f.evaluated = true;
                    return step(wait(rng, 0.5, 10.0), Some(Actor::Petitioner), evaluate(rng));
                }
                let review = if case.state == State::Replied {
                    *f.review.get_or_insert_with(|| rng.chance(0.09))
                } else {
                    // 复核 goes to the reviewing unit's superior, if it has one.
                    let reviewer = case.review_unit.unwrap_or(cur.id);
                    *f.final_review.get_or_insert_with(|| rng.chance(0.25) && !tree.review_options(reviewer).is_empty())
                };
                if review {
                    let latest = morning(window) - at - Duration::hours(30);
                    let w = wait(rng, 0.5, 12.0).min(latest);
                    if w < Duration::zero() {
                        return None;
                    }
                    let cmd = if case.state == State::Replied {
                        Command::RequestReview { unit: None, reason: "对处理意见不服".into(), good_reason: None }
                    } else {
                        Command::RequestFinalReview { unit: None, reason: "对复查意见不服".into(), good_reason: None }
                    };
                    return step(w, Some(Actor::Petitioner), cmd);
                }
                step(
                    until(window + Duration::days(1 + rng.below(10) as i64), rng),
                    self.staff(cur.id, Role::Clerk),
                    Command::Close { note: "复查（复核）期限届满，办结归档".into() },
                )
            }
            State::UnderReview | State::UnderFinalReview => {
                let outcome =
                    [ReviewOutcome::Uphold, ReviewOutcome::RevokeOrChange, ReviewOutcome::OrderRedo][rng.weighted(&[0.82, 0.12, 0.06])];
                let (opinion, facts, basis) =
                    ("维持原处理意见".to_string(), "经审查，原处理意见认定事实清楚".to_string(), "《信访工作条例》第三十五条".to_string());
                let cmd = if case.state == State::UnderReview {
                    Command::DecideReview { outcome, opinion, facts_and_reasons: facts, legal_basis: basis }
                } else {
                    Command::DecideFinalReview { outcome, opinion, facts_and_reasons: facts, legal_basis: basis }
                };
                step(wait(rng, 8.0, 27.0), self.staff(cur.id, Role::Reviewer), cmd)
            }
            State::Closed if !f.late_evaluated && !f.evaluated => {
                f.late_evaluated = true;
                let open = case.document.as_ref().is_some_and(|d| d.delivered_on.is_some() && !d.evaluated);
                (open && rng.chance(0.25)).then(|| Step { wait: wait(rng, 0.5, 10.0), actor: Actor::Petitioner, cmd: evaluate(rng) })
            }
            _ => None,
        }
    }

    /// Act out the life of petition `i` (a pure function of the plans).
    pub fn live(&self, plans: &[Plan], i: usize, refusals: &Refusals) -> Option<Life> {
        let p = plans.get(i)?;
        let tree = &self.tree;
        let receiving = tree.get(p.receiving)?;
        let reg = registration(self, p);
        let ctx = self.ctx(p.at);
        let mut case = register(&reg, receiving, &ctx);
        case.repeat = p.repeat_of.is_some();
        let repeat_of = p.repeat_of.and_then(|j| plans.get(j)).map(|e| e.number.clone());
        let (actor, action) = match p.door {
            Door::Citizen => (ActorRef { kind: "petitioner", user_id: None, unit_id: None }, "submit"),
            Door::Staff => {
                (ActorRef { kind: "staff", user_id: self.user(receiving.id, Role::Clerk), unit_id: Some(receiving.id) }, "register")
            }
        };
        // Staff see the earlier number of a repeat at their own unit.
        let disclosed = match p.door {
            Door::Staff => p.repeat_of.and_then(|j| plans.get(j)).filter(|e| e.receiving == p.receiving).map(|e| e.number.clone()),
            Door::Citizen => None,
        };
        let received_on = reg.received_on;
        let mut acts = vec![LifeAct {
            at: p.at,
            actor,
            action: action.into(),
            from_state: None,
            to_state: case.state,
            payload: json!({
                "channel": p.channel.as_str(),
                "receiving_unit": receiving.code,
                "received_on": received_on,
                "repeat_of": disclosed,
                "new_facts_reason": None::<String>,
                "refused": None::<Value>,
                "attachments": 0,
            }),
            reason: None,
            case: case.clone(),
            notice: Some(format!("{}已于{}收到您的信访事项，将自收到之日起15日内依法处理并书面告知。", receiving.name, received_on)),
            evaluation: None,
        }];
        let mut rng = Rng::for_item(self.seed, 2, i as u64);
        let mut flags = Flags::default();
        let mut at = p.at;
        for _ in 0..40 {
            let Some(step) = self.next(&case, p, at, &mut rng, &mut flags) else { break };
            let when = at + step.wait.max(Duration::minutes(5));
            if when >= self.now {
                break;
            }
            let ctx = self.ctx(when);
            let name = step.cmd.name();
            let reason = step.cmd.stated_reason().map(String::from);
            let evaluation = match &step.cmd {
                Command::Evaluate { rating, reason } => {
                    let document = case.document.as_ref().map(|d| json!(d.kind)).and_then(|v| v.as_str().map(String::from));
                    Some((document.unwrap_or_default(), rating.as_str().to_string(), reason.clone()))
                }
                _ => None,
            };
            let actor = match step.actor {
                Actor::Staff(s) => ActorRef { kind: "staff", user_id: Some(s.user_id), unit_id: Some(s.unit_id) },
                Actor::Petitioner => ActorRef { kind: "petitioner", user_id: None, unit_id: None },
            };
            match transition(&case, step.cmd, &step.actor, &ctx) {
                Ok(t) => {
                    acts.push(LifeAct {
                        at: when,
                        actor,
                        action: t.action.into(),
                        from_state: Some(case.state),
                        to_state: t.case.state,
                        payload: t.payload,
                        reason,
                        case: t.case.clone(),
                        notice: t.notice,
                        evaluation,
                    });
                    case = t.case;
                    at = when;
                }
                Err(e) => {
                    refusals.note(name, e.code);
                    break;
                }
            }
        }
        Some(Life { reg, repeat_of, acts })
    }
}

fn evaluate(rng: &mut Rng) -> Command {
    let rating = [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Dissatisfied][rng.weighted(&[0.7, 0.2, 0.1])];
    let reason = if rating == Rating::Dissatisfied { "问题没有得到实际解决".to_string() } else { String::new() };
    Command::Evaluate { rating, reason }
}

/// The petitioner's open window (T7 when replied, T9 when reviewed).
trait Window {
    fn next_window_due(&self, state: State) -> Option<NaiveDate>;
}

impl Window for Case {
    fn next_window_due(&self, state: State) -> Option<NaiveDate> {
        let kind = if state == State::Replied { xinfang_domain::deadline::TimerKind::T7 } else { xinfang_domain::deadline::TimerKind::T9 };
        self.timer(kind).map(|d| d.due_on)
    }
}
