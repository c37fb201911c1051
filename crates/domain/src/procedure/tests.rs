//! One test per statutory rule, named after its article.

mod matrix;

use super::*;
use crate::calendar::{DayKind, SpecialDay};
use crate::petition::{Channel, Petitioner, PetitionerKind};
use crate::unit::tests::sample_tree;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn cal() -> HolidayCalendar {
    let mut days: Vec<SpecialDay> =
        (1..=7).map(|n| SpecialDay { date: d(&format!("2026-10-0{n}")), kind: DayKind::Holiday, name: "国庆节".into() }).collect();
    days.push(SpecialDay { date: d("2026-10-10"), kind: DayKind::Workday, name: "国庆节".into() });
    HolidayCalendar::new([2026], days)
}

struct World {
    tree: UnitTree,
    cal: HolidayCalendar,
}

impl World {
    fn new() -> Self {
        World { tree: sample_tree(), cal: cal() }
    }
    fn ctx(&self, on: &str) -> Ctx<'_> {
        Ctx {
            on: d(on),
            now: Utc::now(),
            calendar: &self.cal,
            tree: &self.tree,
            policy: CountingPolicy::default(),
            window_policy: CountingPolicy::StartExcludedNoRoll,
        }
    }
}

fn staff(unit: UnitId, role: Role) -> Actor {
    Actor::Staff(StaffActor { user_id: unit * 100, unit_id: unit, role })
}

const COUNTY_BUREAU: UnitId = 3;
const CITY_BUREAU: UnitId = 2;
const COUNTY_DEPT: UnitId = 12;
const OTHER_COUNTY_DEPT: UnitId = 13;
const CITY_DEPT: UnitId = 11;
const PROVINCE_DEPT: UnitId = 10;

fn registration(on: &str) -> Registration {
    Registration {
        channel: Channel::Online,
        petitioners: vec![Petitioner {
            kind: PetitionerKind::Person,
            name: "张三".into(),
            id_number: None,
            phone: None,
            address: Some("福田区".into()),
            representative: false,
        }],
        collective: false,
        headcount: 1,
        jurisdiction: "440304".into(),
        title: "欠薪".into(),
        content: String::new(),
        request: "支付工资".into(),
        facts_and_reasons: "公司欠薪".into(),
        category: Category::Claim,
        litigation_related: false,
        topic: None,
        accused: None,
        anonymous: false,
        confidential: false,
        received_on: d(on),
    }
}

fn run(w: &World, case: &Case, on: &str, actor: Actor, json: Value) -> Result<Case, DomainError> {
    let action = json.get("action").and_then(Value::as_str).unwrap_or_default().to_string();
    let cmd = Command::from_json(&action, json)?;
    transition(case, cmd, &actor, &w.ctx(on)).map(|t| t.case)
}

fn registered(w: &World, on: &str) -> Case {
    let unit = w.tree.get(COUNTY_BUREAU).expect("bureau");
    register(&registration(on), unit, &w.ctx(on))
}

fn forwarded(w: &World, on: &str) -> Case {
    let c = registered(w, on);
    run(w, &c, on, staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"forward","unit":"U12"})).expect("forward")
}

fn handling(w: &World, on: &str) -> Case {
    let c = forwarded(w, on);
    run(w, &c, on, staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"accept","route":6})).expect("accept")
}

fn decision(outcome: &str) -> Value {
    json!({"action":"conclude","outcome":outcome,"request":"支付工资","facts_and_reasons":"经查","decision":"不予支持","legal_basis":"劳动合同法"})
}

fn replied(w: &World, on: &str) -> Case {
    let c = handling(w, on);
    let c = run(w, &c, on, staff(COUNTY_DEPT, Role::HandlingOfficer), decision("rejected")).expect("conclude");
    run(w, &c, on, staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"deliver","method":"post","delivered_on":on}))
        .expect("deliver")
}

#[test]
fn art22_bureau_routes_within_15_days_t1_met_on_forward() {
    let w = World::new();
    let c = registered(&w, "2026-11-02");
    let t1 = c.timer(TimerKind::T1).expect("T1");
    assert_eq!(t1.due_on, d("2026-11-17"));
    let c = forwarded(&w, "2026-11-02");
    assert!(c.timer(TimerKind::T1).expect("T1").met_at.is_some());
    assert_eq!(c.state, State::Forwarded);
    assert_eq!(c.current_unit, COUNTY_DEPT);
    assert!(c.timer(TimerKind::T3).is_some());
}

#[test]
fn art22_a_matter_goes_to_a_unit_of_its_place_and_a_bureau_routes_within_its_area() {
    let w = World::new();
    let on = "2026-11-02";
    let clerk = staff(COUNTY_BUREAU, Role::Clerk);
    let code = |r: Result<Case, DomainError>| r.map(|_| "ok").unwrap_or_else(|e| e.code);
    let reg = registered(&w, on); // place 440304
    // The county's own department, a township's below it, the city's above:
    // each holds or lies within the place.
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U12"}))), "ok");
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U16"}))), "ok");
    // Another county's department: not the place (属地管理).
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U13"}))), "route_outside_place");
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"assign","unit":"U13","due_on":"2026-12-01"}))), "route_outside_place");
    // A department above the bureau's own area: not the bureau's to send
    // to; the city's petition bureau is (转送有关信访部门).
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U11"}))), "route_outside_area");
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U2"}))), "ok");
    // Up the bureaus one level at a time: not past the city to the province.
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U1"}))), "route_skips_level");
    // A matter of another county registered here: only to that county's
    // bureau or one above it.
    let mut elsewhere = registration(on);
    elsewhere.jurisdiction = "440305".into();
    let there = register(&elsewhere, w.tree.get(COUNTY_BUREAU).expect("bureau"), &w.ctx(on));
    assert_eq!(code(run(&w, &there, on, clerk, json!({"action":"forward","unit":"U12"}))), "route_outside_place");
    assert_eq!(code(run(&w, &there, on, clerk, json!({"action":"forward","unit":"U4"}))), "ok");
    assert_eq!(code(run(&w, &there, on, clerk, json!({"action":"forward","unit":"U2"}))), "ok");
    // A place chosen wrongly is corrected before routing, with a reason;
    // then the matter goes where it belongs.
    let wrong =
        run(&w, &reg, on, clerk, json!({"action":"correct_place","jurisdiction":"440304001","reason":"信访人住某街道"})).expect("correct");
    assert_eq!(wrong.jurisdiction, "440304001");
    assert_eq!(code(run(&w, &wrong, on, clerk, json!({"action":"correct_place","jurisdiction":"440304001","reason":"x"}))), "same_place");
    assert_eq!(
        code(run(&w, &wrong, on, clerk, json!({"action":"correct_place","jurisdiction":"4403041","reason":"x"}))),
        "invalid_jurisdiction"
    );
    let officer = staff(COUNTY_BUREAU, Role::HandlingOfficer);
    assert_eq!(code(run(&w, &reg, on, officer, json!({"action":"correct_place","jurisdiction":"440305","reason":"x"}))), "not_permitted");
    let fwd = run(&w, &reg, on, clerk, json!({"action":"forward","unit":"U12"})).expect("forward");
    assert_eq!(code(run(&w, &fwd, on, clerk, json!({"action":"correct_place","jurisdiction":"440305","reason":"x"}))), "invalid_state");
    // A township office routes within its county.
    let mut township = registration(on);
    township.jurisdiction = "440304001".into();
    let local = register(&township, w.tree.get(5).expect("township bureau"), &w.ctx(on));
    assert_eq!(code(run(&w, &local, on, staff(5, Role::Clerk), json!({"action":"forward","unit":"U12"}))), "ok");
    assert_eq!(code(run(&w, &local, on, staff(5, Role::Clerk), json!({"action":"forward","unit":"U11"}))), "route_outside_area");
}

#[test]
fn art22_the_unit_holding_a_matter_corrects_its_topic_until_it_is_answered() {
    let w = World::new();
    let on = "2026-11-02";
    let code = |r: Result<Case, DomainError>| r.map(|_| "ok").unwrap_or_else(|e| e.code);
    let body = |topic: &str| json!({"action":"correct_topic","topic":topic,"reason":"实为工资拖欠"});
    let clerk = staff(COUNTY_BUREAU, Role::Clerk);
    let reg = registered(&w, on);
    assert_eq!(code(run(&w, &reg, on, clerk, body("0202"))), "ok");
    // The event keeps the code as stored, trimmed; its existence is the
    // edge's to check.
    let cmd = Command::from_json("correct_topic", body(" 0202 ")).expect("parsed");
    let t = transition(&reg, cmd, &clerk, &w.ctx(on)).expect("corrected");
    assert_eq!(t.payload["topic"], "0202", "{}", t.payload);
    assert_eq!(code(run(&w, &reg, on, clerk, body("  "))), "invalid_topic");
    assert_eq!(code(run(&w, &reg, on, clerk, json!({"action":"correct_topic","topic":"0202","reason":" "}))), "field_required");
    // Once forwarded, the unit that holds it corrects it, not the bureau.
    let fwd = forwarded(&w, on);
    assert_eq!(code(run(&w, &fwd, on, clerk, body("0202"))), "not_permitted");
    assert_eq!(code(run(&w, &fwd, on, staff(COUNTY_DEPT, Role::HandlingOfficer), body("0202"))), "ok");
    assert_eq!(code(run(&w, &handling(&w, on), on, staff(COUNTY_DEPT, Role::Clerk), body("0202"))), "ok");
    // Answered under a topic, it stays counted under it, also when a
    // 复查 sends it back to be handled again.
    let answered = replied(&w, on);
    assert_eq!(code(run(&w, &answered, on, staff(COUNTY_DEPT, Role::Clerk), body("0202"))), "invalid_state");
    let review = run(&w, &answered, on, Actor::Petitioner, json!({"action":"request_review"})).expect("review");
    let redo =
        json!({"action":"decide_review","outcome":"order_redo","opinion":"重办","facts_and_reasons":"事实不清","legal_basis":"条例"});
    let again = run(&w, &review, on, staff(CITY_DEPT, Role::Reviewer), redo).expect("redo");
    assert_eq!(again.state, State::Handling);
    assert_eq!(code(run(&w, &again, on, staff(COUNTY_DEPT, Role::Clerk), body("0202"))), "topic_answered");
}

#[test]
fn art22_litigation_related_goes_to_legal_unit_only() {
    let w = World::new();
    let mut c = registered(&w, "2026-11-02");
    c.litigation_related = true;
    let err = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"forward","unit":"U12"})).expect_err("refused");
    assert_eq!(err.rule, Rule::Art22);
    let ok = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"refer_legal","unit":"U21"})).expect("referral");
    assert_eq!(ok.current_unit, 21);
    assert_eq!(ok.routing, Some(Routing::ReferLegal));
}

#[test]
fn art22_assign_sets_due_date_t5() {
    let w = World::new();
    let c = registered(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"assign","unit":"U12","due_on":"2026-12-01"}))
        .expect("assign");
    assert_eq!(c.timer(TimerKind::T5).expect("T5").due_on, d("2026-12-01"));
    let c = run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"accept","route":6})).expect("accept");
    let c = run(&w, &c, "2026-11-20", staff(COUNTY_DEPT, Role::HandlingOfficer), decision("upheld")).expect("conclude");
    assert!(c.timer(TimerKind::T5).expect("T5").met_at.is_some());
}

#[test]
fn art22_a_declined_assignment_owes_no_result_until_the_bureau_reverses_it() {
    let w = World::new();
    let c = registered(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"assign","unit":"U12","due_on":"2026-12-01"}))
        .expect("assign");
    let decline = json!({"action":"decline","ground":"statutory_procedure","reason":"属于劳动争议仲裁范围","proper_channel":"向劳动人事争议仲裁委员会申请仲裁"});
    let c = run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::HandlingOfficer), decline).expect("decline");
    // The refusal, reported to the bureau, answers the assignment: its date
    // no longer falls due on a unit that can do nothing more.
    assert!(c.timer(TimerKind::T5).expect("T5").met_at.is_some());
    assert!(c.deadlines.iter().all(|d| !d.is_open()), "{:?}", c.deadlines);
    // Reversed: the result is owed again, by the assignment's own date.
    let c = run(
        &w,
        &c,
        "2026-11-05",
        staff(COUNTY_BUREAU, Role::Clerk),
        json!({"action":"reverse_decline","reason":"属于本单位职责，应当受理"}),
    )
    .expect("reverse");
    let t5 = c.timer(TimerKind::T5).expect("T5");
    assert_eq!((t5.met_at, t5.due_on), (None, d("2026-12-01")));
}

#[test]
fn art23_a_decline_notice_reads_as_one_sentence_whatever_the_writer_ended_with() {
    let w = World::new();
    let c = forwarded(&w, "2026-11-02");
    let body = json!({"action":"decline","ground":"statutory_procedure","reason":"属于劳动争议仲裁范围。","proper_channel":"可依法申请劳动仲裁。"});
    let cmd = Command::from_json("decline", body).expect("parse");
    let t = transition(&c, cmd, &staff(COUNTY_DEPT, Role::HandlingOfficer), &w.ctx("2026-11-03")).expect("decline");
    let notice = t.notice.expect("a notice");
    assert!(notice.contains("理由：属于劳动争议仲裁范围。应当提出的途径：可依法申请劳动仲裁。"), "{notice}");
    assert!(!notice.contains("。。") && !notice.contains("。，"), "{notice}");
}

#[test]
fn art22_a_reversed_decline_owes_only_the_latest_assignments_result() {
    let w = World::new();
    let clerk = || staff(COUNTY_BUREAU, Role::Clerk);
    let c = registered(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-02", clerk(), json!({"action":"assign","unit":"U12","due_on":"2026-12-01"})).expect("assign");
    let c = run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"object","reasons":"不属于本单位职责"}))
        .expect("object");
    let c = run(&w, &c, "2026-11-04", clerk(), json!({"action":"approve_objection"})).expect("approve");
    let c = run(&w, &c, "2026-11-04", clerk(), json!({"action":"assign","unit":"U16","due_on":"2026-12-20"})).expect("assign again");
    let decline = json!({"action":"decline","ground":"statutory_procedure","reason":"属于仲裁范围","proper_channel":"申请劳动仲裁"});
    let c = run(&w, &c, "2026-11-05", staff(16, Role::HandlingOfficer), decline).expect("decline");
    let c = run(&w, &c, "2026-11-06", clerk(), json!({"action":"reverse_decline","reason":"应当受理"})).expect("reverse");
    let open: Vec<NaiveDate> = c.deadlines.iter().filter(|d| d.kind == TimerKind::T5 && d.is_open()).map(|d| d.due_on).collect();
    assert_eq!(open, [d("2026-12-20")], "{:?}", c.deadlines);
}

#[test]
fn art34_an_assignment_cannot_give_more_time_than_the_statutory_limits() {
    let w = World::new();
    let c = registered(&w, "2026-11-02");
    let assign = |due: &str| json!({"action":"assign","unit":"U12","due_on":due});
    // 15 + 60 + 30 days after 2026-11-02 is 2027-02-15: that day, not the next.
    run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), assign("2027-02-15")).expect("the latest lawful date");
    let err = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), assign("2027-02-16")).expect_err("too late");
    assert_eq!((err.rule, err.code), (Rule::Art34, "assign_due_beyond_limits"));
    assert!(err.message.contains("2027-02-15"), "{}", err.message);
}

#[test]
fn art23_objection_within_five_working_days_then_returned_for_rerouting() {
    let w = World::new();
    let c = forwarded(&w, "2026-09-30");
    assert_eq!(c.timer(TimerKind::T4).expect("T4").due_on, d("2026-10-13"));
    let late =
        run(&w, &c, "2026-10-14", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"object","reasons":"不属于本单位职责"}));
    assert_eq!(late.expect_err("late").rule, Rule::Art23);
    let c = run(&w, &c, "2026-10-13", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"object","reasons":"不属于本单位职责"}))
        .expect("object");
    assert_eq!(c.state, State::Objected);
    assert_eq!(c.current_unit, COUNTY_BUREAU);
    let rejected =
        run(&w, &c, "2026-10-14", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"reject_objection","reason":"属于该单位职责"}))
            .expect("reject");
    assert_eq!(rejected.state, State::Forwarded);
    assert_eq!(rejected.current_unit, COUNTY_DEPT);
    let returned = run(&w, &c, "2026-10-14", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"approve_objection"})).expect("approve");
    assert_eq!(returned.state, State::Registered);
    assert_eq!(returned.current_unit, COUNTY_BUREAU);
    assert!(returned.timer(TimerKind::T1).expect("new T1").is_open());
}

#[test]
fn art23_non_bureau_forwards_only_down_its_own_system() {
    let w = World::new();
    let unit = w.tree.get(CITY_DEPT).expect("city dept");
    let c = register(&registration("2026-11-02"), unit, &w.ctx("2026-11-02"));
    assert!(c.timer(TimerKind::T2).is_some());
    let err = run(&w, &c, "2026-11-02", staff(CITY_DEPT, Role::Clerk), json!({"action":"forward","unit":"U14"})).expect_err("outside");
    assert_eq!(err.rule, Rule::Art23);
    let ok = run(&w, &c, "2026-11-02", staff(CITY_DEPT, Role::Clerk), json!({"action":"forward","unit":"U12"})).expect("down");
    assert_eq!(ok.current_unit, COUNTY_DEPT);
}

#[test]
fn art24_common_superior_decides_or_joint_conference() {
    let w = World::new();
    let c = registered(&w, "2026-11-02");
    // Departments of two counties: a matter of the city, negotiated by the
    // city's bureau (a county bureau may not send it to another county).
    let err = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"start_negotiation","units":["U12","U13"]}))
        .expect_err("another county");
    assert_eq!(err.code, "route_outside_place");
    let mut city_matter = registration("2026-11-02");
    city_matter.jurisdiction = "4403".into();
    let city = register(&city_matter, w.tree.get(CITY_BUREAU).expect("city bureau"), &w.ctx("2026-11-02"));
    let c1 = run(&w, &city, "2026-11-02", staff(CITY_BUREAU, Role::Clerk), json!({"action":"start_negotiation","units":["U12","U13"]}))
        .expect("negotiate");
    let c1 = run(&w, &c1, "2026-11-03", staff(CITY_BUREAU, Role::Clerk), json!({"action":"escalate_dispute"})).expect("escalate");
    assert_eq!(c1.current_unit, CITY_DEPT);
    let c1 =
        run(&w, &c1, "2026-11-04", staff(CITY_DEPT, Role::UnitHead), json!({"action":"decide_competence","unit":"U13","reason":"属地"}))
            .expect("decide");
    assert_eq!(c1.current_unit, OTHER_COUNTY_DEPT);
    assert_eq!(c1.state, State::Forwarded);
    let c2 = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"start_negotiation","units":["U12","U14"]}))
        .expect("negotiate");
    let c2 = run(&w, &c2, "2026-11-03", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"escalate_dispute"})).expect("escalate");
    assert_eq!(c2.current_unit, 40, "two departments of one county: the county government");
    let c3 = run(&w, &c, "2026-11-02", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"start_negotiation","units":["U12","U20"]}))
        .expect("negotiate");
    let c3 = run(&w, &c3, "2026-11-03", staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"escalate_dispute"})).expect("escalate");
    assert_eq!(c3.current_unit, 30, "no common superior: joint conference of the county");
}

#[test]
fn art31_claim_needs_a_route_and_litigation_goes_route_1() {
    let w = World::new();
    let c = forwarded(&w, "2026-11-02");
    let err = run(&w, &c, "2026-11-02", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"accept"})).expect_err("no route");
    assert_eq!(err.rule, Rule::Art31);
    let c = run(&w, &c, "2026-11-02", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"accept","route":2})).expect("route 2");
    assert!(c.timer(TimerKind::T6).is_none(), "no 60-day clock outside route 6");
    let err = run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::HandlingOfficer), decision("upheld")).expect_err("no letter");
    assert_eq!(err.rule, Rule::Art31);
    let c = run(
        &w,
        &c,
        "2026-11-03",
        staff(COUNTY_DEPT, Role::HandlingOfficer),
        json!({"action":"redirect","procedure":"劳动仲裁","guidance":"请向劳动人事争议仲裁委员会申请仲裁"}),
    )
    .expect("redirect");
    assert_eq!(c.state, State::Redirected);
}

#[test]
fn art29_suggestion_reply_states_adoption_and_closes_on_delivery() {
    let w = World::new();
    let mut c = forwarded(&w, "2026-11-02");
    c.category = Category::Suggestion;
    let c = run(&w, &c, "2026-11-02", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"accept"})).expect("accept");
    assert!(run(&w, &c, "2026-11-05", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"reply","text":"感谢建议"})).is_err());
    let c = run(
        &w,
        &c,
        "2026-11-05",
        staff(COUNTY_DEPT, Role::HandlingOfficer),
        json!({"action":"reply","text":"感谢建议","adoption":"partly_adopted"}),
    )
    .expect("reply");
    let c = run(
        &w,
        &c,
        "2026-11-05",
        staff(COUNTY_DEPT, Role::Clerk),
        json!({"action":"deliver","method":"online","delivered_on":"2026-11-05"}),
    )
    .expect("deliver");
    assert_eq!(c.state, State::Closed);
    assert!(c.timer(TimerKind::T7).is_none(), "no 复查 of a suggestion reply");
}

#[test]
fn art32_decision_letter_must_state_request_facts_decision_and_basis() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    let mut v = decision("rejected");
    v["legal_basis"] = json!("");
    let err = run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::HandlingOfficer), v).expect_err("incomplete");
    assert_eq!(err.rule, Rule::Art32);
    assert!(err.message.contains("法律法规依据"));
}

#[test]
fn art33_mediation_needs_consent() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    let err = run(
        &w,
        &c,
        "2026-11-03",
        staff(COUNTY_DEPT, Role::HandlingOfficer),
        json!({"action":"mediate","agreement":"mediation","summary":"分期支付","parties_consented":false}),
    )
    .expect_err("consent");
    assert_eq!(err.rule, Rule::Art33);
}

#[test]
fn art34_sixty_days_from_acceptance_one_extension_of_at_most_30_days_by_the_head() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    let t6 = c.timer(TimerKind::T6).expect("T6");
    // 2026-11-02 + 60 days = 2027-01-01, outside the calendar: provisional;
    // 元旦 is a holiday in every year (`calendar::fixed_holiday`), so it
    // rolls past it and the weekend to Monday 01-04.
    assert_eq!(t6.due_on, d("2027-01-04"));
    assert!(t6.provisional);
    let officer = staff(COUNTY_DEPT, Role::HandlingOfficer);
    let head = staff(COUNTY_DEPT, Role::UnitHead);
    let too_long = run(&w, &c, "2026-11-10", head, json!({"action":"extend","days":31,"reason":"案情复杂"}));
    assert_eq!(too_long.expect_err("31").code, "extension_too_long");
    // Four eyes: the officer alone cannot extend; the request waits for the head.
    let alone = run(&w, &c, "2026-11-10", officer, json!({"action":"extend","days":30,"reason":"案情复杂"})).expect_err("officer alone");
    assert_eq!((alone.rule, alone.code), (Rule::Art34, crate::procedure::NEEDS_APPROVAL));
    let c = run(&w, &c, "2026-11-10", head, json!({"action":"extend","days":30,"reason":"案情复杂"})).expect("extend");
    assert_eq!(c.timer(TimerKind::T6).expect("T6").extension_days, 30);
    let again = run(&w, &c, "2026-11-11", head, json!({"action":"extend","days":5,"reason":"仍需调查"}));
    let err = again.expect_err("second extension");
    assert_eq!(err.code, "extension_already_granted");
    assert!(err.message.contains("第三十四条"));
}

#[test]
fn art35_review_within_30_days_by_the_superior_late_needs_approved_good_reason() {
    let w = World::new();
    let c = replied(&w, "2026-11-02");
    assert_eq!(c.timer(TimerKind::T7).expect("T7").due_on, d("2026-12-02"));
    let late = run(&w, &c, "2026-12-03", Actor::Petitioner, json!({"action":"request_review","reason":"不服"}));
    let err = late.expect_err("day 31");
    assert_eq!(err.rule, Rule::Art35);
    assert_eq!(err.code, "window_expired");
    // Four eyes: a clerk or reviewer (or the petitioner) files the good
    // reason; only the head of the reviewing unit finds it, in the head's session.
    for who in [staff(CITY_DEPT, Role::Clerk), staff(CITY_DEPT, Role::Reviewer), Actor::Petitioner] {
        let r = run(&w, &c, "2026-12-03", who, json!({"action":"request_review","good_reason":"住院"}));
        assert_eq!(r.expect_err("needs the head").code, NEEDS_APPROVAL);
    }
    let ok = run(
        &w,
        &c,
        "2026-12-03",
        staff(CITY_DEPT, Role::UnitHead),
        json!({"action":"request_review","good_reason":"信访人住院治疗，有医院证明"}),
    )
    .expect("override");
    assert_eq!(ok.state, State::UnderReview);
    assert_eq!(ok.review_unit, Some(CITY_DEPT));
    let in_time = run(&w, &c, "2026-12-02", Actor::Petitioner, json!({"action":"request_review"})).expect("day 30");
    // 30 days end on 元旦 2027: rolled to Monday 01-04.
    assert_eq!(in_time.timer(TimerKind::T8).expect("T8").due_on, d("2027-01-04"));
}

#[test]
fn art35_window_does_not_roll_past_a_weekend_by_default() {
    let w = World::new();
    // Delivered Thursday 10-22: day 30 is Saturday 11-21; day 31 is late.
    let c = replied(&w, "2026-10-22");
    assert_eq!(c.timer(TimerKind::T7).expect("T7").due_on, d("2026-11-21"));
    let err = run(&w, &c, "2026-11-22", Actor::Petitioner, json!({"action":"request_review"})).expect_err("day 31");
    assert_eq!(err.rule, Rule::Art35);
}

#[test]
fn art35_only_the_superior_decides_the_review() {
    let w = World::new();
    let c = replied(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-05", Actor::Petitioner, json!({"action":"request_review"})).expect("request");
    let body = json!({"action":"decide_review","outcome":"uphold","opinion":"维持","facts_and_reasons":"经复查","legal_basis":"条例"});
    let err = run(&w, &c, "2026-11-06", staff(COUNTY_BUREAU, Role::Clerk), body.clone()).expect_err("county clerk");
    assert_eq!(err.kind, crate::error::ErrorKind::Forbidden);
    let c = run(&w, &c, "2026-11-06", staff(CITY_DEPT, Role::Reviewer), body).expect("city reviewer");
    assert_eq!(c.state, State::ReviewDecided);
}

#[test]
fn art35_order_redo_sends_it_back_with_a_fresh_60_days() {
    let w = World::new();
    let c = replied(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-05", Actor::Petitioner, json!({"action":"request_review"})).expect("request");
    let c = run(
        &w,
        &c,
        "2026-11-06",
        staff(CITY_DEPT, Role::Reviewer),
        json!({"action":"decide_review","outcome":"order_redo","opinion":"重新办理","facts_and_reasons":"事实不清","legal_basis":"条例"}),
    )
    .expect("redo");
    assert_eq!(c.state, State::Handling);
    assert_eq!(c.current_unit, COUNTY_DEPT);
    assert!(c.timer(TimerKind::T6).expect("T6").is_open());
}

#[test]
fn art36_final_review_hearing_time_excluded_and_closure_is_final() {
    let w = World::new();
    let c = replied(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-03", Actor::Petitioner, json!({"action":"request_review"})).expect("review");
    let c = run(
        &w,
        &c,
        "2026-11-04",
        staff(CITY_DEPT, Role::Reviewer),
        json!({"action":"decide_review","outcome":"uphold","opinion":"维持","facts_and_reasons":"经复查","legal_basis":"条例"}),
    )
    .expect("decide");
    let c = run(
        &w,
        &c,
        "2026-11-04",
        staff(CITY_DEPT, Role::Reviewer),
        json!({"action":"deliver","method":"post","delivered_on":"2026-11-04"}),
    )
    .expect("deliver");
    assert_eq!(c.state, State::Reviewed);
    // Requested on Saturday 11-07: 30 days end on Monday 12-07 and the
    // hearing moves it to Thursday 12-10, so no weekend roll interferes.
    let c = run(&w, &c, "2026-11-07", Actor::Petitioner, json!({"action":"request_final_review"})).expect("final review");
    assert_eq!(c.final_review_unit, Some(PROVINCE_DEPT));
    let before = c.timer(TimerKind::T10).expect("T10").due_on;
    // A hearing already under way cannot stop the clock after the fact.
    let late = run(
        &w,
        &c,
        "2026-11-12",
        staff(PROVINCE_DEPT, Role::Reviewer),
        json!({"action":"hold_hearing","held_from":"2026-11-10","held_to":"2026-11-12","summary":"公开听证"}),
    );
    assert_eq!(late.expect_err("in the past").code, "hearing_in_past");
    // Scheduled ahead: the hearing time is excluded.
    let c = run(
        &w,
        &c,
        "2026-11-09",
        staff(PROVINCE_DEPT, Role::Reviewer),
        json!({"action":"hold_hearing","held_from":"2026-11-10","held_to":"2026-11-12","summary":"公开听证"}),
    )
    .expect("hearing");
    let after = c.timer(TimerKind::T10).expect("T10").due_on;
    assert_eq!((after - before).num_days(), 3);
    // Hearings may not stretch the limit without bound (60 days in all).
    let too_much = run(
        &w,
        &c,
        "2026-11-13",
        staff(PROVINCE_DEPT, Role::Reviewer),
        json!({"action":"hold_hearing","held_from":"2026-11-14","held_to":"2026-12-12","summary":"再次听证"}),
    )
    .expect("28 more days");
    let over = run(
        &w,
        &too_much,
        "2026-11-13",
        staff(PROVINCE_DEPT, Role::Reviewer),
        json!({"action":"hold_hearing","held_from":"2026-12-13","held_to":"2027-01-12","summary":"第三次听证"}),
    );
    assert_eq!(over.expect_err("over 60").code, "hearing_pause_too_long");
    let c = run(
        &w,
        &c,
        "2026-11-20",
        staff(PROVINCE_DEPT, Role::Reviewer),
        json!({"action":"decide_final_review","outcome":"uphold","opinion":"维持","facts_and_reasons":"经复核","legal_basis":"条例"}),
    )
    .expect("decide");
    let c = run(
        &w,
        &c,
        "2026-11-20",
        staff(PROVINCE_DEPT, Role::Reviewer),
        json!({"action":"deliver","method":"in_person","delivered_on":"2026-11-20"}),
    )
    .expect("deliver");
    assert_eq!(c.state, State::Closed);
    assert!(c.terminated);
    let (ground, err) = intake_conflict(&c, "XF-1", CITY_BUREAU, &w.tree, d("2026-11-21"), true, c.next_duty_due()).expect("refused");
    assert_eq!((ground, err.rule), (DeclineGround::ConcludedAfterFinalReview, Rule::Art36));
    assert!(err.message.contains("第三十六条"));
}

#[test]
fn art19_para3_same_item_brought_upward_while_in_process_is_not_accepted() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    let within = d("2026-11-20");
    let (_, err) = intake_conflict(&c, "XF-1", CITY_DEPT, &w.tree, within, true, c.next_duty_due()).expect("refused upward");
    assert_eq!(err.rule, Rule::Art19Para3);
    assert!(
        intake_conflict(&c, "XF-1", OTHER_COUNTY_DEPT, &w.tree, within, true, c.next_duty_due()).is_none(),
        "a sibling is not a superior"
    );
    assert!(
        intake_conflict(&c, "XF-1", CITY_BUREAU, &w.tree, within, true, c.next_duty_due()).is_some(),
        "the city bureau is above a county department of its city"
    );
    // Once the county department is overdue, the petitioner is not blocked.
    let late = c.next_duty_due().expect("T6").succ_opt().expect("day");
    assert!(
        intake_conflict(&c, "XF-1", CITY_DEPT, &w.tree, late, true, c.next_duty_due()).is_none(),
        "an overdue lower unit does not block"
    );
}

#[test]
fn art40_only_units_above_or_the_bureau_supervise() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    let body = json!({"action":"supervise","reason":"逾期未办结"});
    assert!(run(&w, &c, "2026-11-20", staff(OTHER_COUNTY_DEPT, Role::UnitHead), body.clone()).is_err());
    let c = run(&w, &c, "2026-11-20", staff(CITY_BUREAU, Role::Supervisor), body).expect("bureau supervises");
    assert!(c.supervised);
}

#[test]
fn close_after_window_lapse_only() {
    let w = World::new();
    let c = replied(&w, "2026-11-02");
    let officer = staff(COUNTY_DEPT, Role::HandlingOfficer);
    assert!(run(&w, &c, "2026-12-02", officer, json!({"action":"close"})).is_err());
    let c = run(&w, &c, "2026-12-03", officer, json!({"action":"close"})).expect("close");
    assert_eq!(c.state, State::Closed);
    assert!(!c.terminated, "a lapsed window is not 复核 termination");
}

#[test]
fn petitioner_evaluates_once_after_delivery() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    assert!(run(&w, &c, "2026-11-03", Actor::Petitioner, json!({"action":"evaluate","rating":"satisfied"})).is_err());
    let c = replied(&w, "2026-11-02");
    let c = run(&w, &c, "2026-11-03", Actor::Petitioner, json!({"action":"evaluate","rating":"dissatisfied","reason":"未解决"}))
        .expect("evaluate");
    assert!(run(&w, &c, "2026-11-03", Actor::Petitioner, json!({"action":"evaluate","rating":"satisfied"})).is_err());
    assert!(run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::UnitHead), json!({"action":"evaluate","rating":"satisfied"})).is_err());
}

#[test]
fn a_forbidden_transition_names_the_article_of_the_act() {
    let w = World::new();
    let c = forwarded(&w, "2026-11-02");
    let err = run(&w, &c, "2026-11-03", staff(COUNTY_DEPT, Role::HandlingOfficer), json!({"action":"extend","days":5,"reason":"复杂"}))
        .expect_err("not handling yet");
    assert_eq!((err.rule, err.code), (Rule::Art34, "invalid_state"));
    assert!(err.message.contains("已转交办") && err.message.contains("第三十四条"), "{}", err.message);
}

#[test]
fn unknown_action_and_bad_body_are_clear_errors() {
    assert_eq!(Command::from_json("explode", json!({})).expect_err("unknown").code, "unknown_action");
    assert_eq!(Command::from_json("forward", json!([1])).expect_err("array").code, "invalid_body");
    let missing = Command::from_json("forward", json!({})).expect_err("missing");
    assert_eq!((missing.code, missing.rule, missing.field), ("invalid_field", Rule::Art22, Some("unit")));
    assert!(missing.message.contains("转送") && missing.message.contains("第二十二条"), "{}", missing.message);
    assert!(Command::from_json("request-review", json!({})).is_ok());
}

#[test]
fn available_actions_follow_the_procedure_and_the_role() {
    let w = World::new();
    let on = "2026-11-02";
    let reg = registered(&w, on);
    let clerk = available_actions(&reg, &staff(COUNTY_BUREAU, Role::Clerk), &w.ctx(on));
    for a in ["forward", "assign", "refer_legal", "refer_discipline", "start_negotiation", "decline", "classify", "report_urgent"] {
        assert!(clerk.contains(&a), "{a} in {clerk:?}");
    }
    assert!(!clerk.contains(&"accept"), "a bureau routes, it does not accept");
    assert!(available_actions(&reg, &staff(COUNTY_DEPT, Role::HandlingOfficer), &w.ctx(on)).is_empty(), "not the unit's turn");
    let fwd = forwarded(&w, on);
    let officer = available_actions(&fwd, &staff(COUNTY_DEPT, Role::HandlingOfficer), &w.ctx(on));
    assert_eq!(
        officer,
        ["classify", "accept", "decline", "object", "correct_topic"],
        "the unit whose answer is rated makes no query codes"
    );
    let h = handling(&w, on);
    let officer = available_actions(&h, &staff(COUNTY_DEPT, Role::HandlingOfficer), &w.ctx(on));
    assert_eq!(officer, ["investigate", "hold_hearing", "mediate", "extend", "conclude", "correct_topic"]);
    let reviewer = available_actions(&h, &staff(CITY_DEPT, Role::Reviewer), &w.ctx(on));
    assert!(reviewer.is_empty(), "{reviewer:?}");
}

/// The text markers a store decides unnamed accusations by
/// (`access::UNNAMED_SEALED_MARKERS`) are what `serde_json` writes.
#[test]
fn art30_an_unnamed_accusations_stored_text_carries_the_markers_its_screen_reads() {
    use crate::access::{UNKNOWABLE_MARKER, UNNAMED_SEALED_MARKERS};
    let w = World::new();
    let mut c = registered(&w, "2026-11-02");
    c.category = Category::Accusation;
    c.accused_unit = None;
    c.accused_unknown = false;
    c.reported_to.clear();
    let text = serde_json::to_string(&c).expect("json");
    for m in UNNAMED_SEALED_MARKERS {
        assert!(text.contains(m), "{m} not in {text}");
    }
    assert!(!text.contains(UNKNOWABLE_MARKER));
    c.accused_unknown = true;
    let text = serde_json::to_string(&c).expect("json");
    assert!(text.contains(UNKNOWABLE_MARKER) && !text.contains(UNNAMED_SEALED_MARKERS[2]), "{text}");
    c.accused_unknown = false;
    c.reported_to.push(COUNTY_DEPT);
    assert!(!serde_json::to_string(&c).expect("json").contains(UNNAMED_SEALED_MARKERS[3]));
    c.reported_to.clear();
    c.accused_unit = Some(COUNTY_DEPT);
    assert!(!serde_json::to_string(&c).expect("json").contains(UNNAMED_SEALED_MARKERS[1]));
    c.accused_unit = None;
    c.category = Category::Claim;
    assert!(!serde_json::to_string(&c).expect("json").contains(UNNAMED_SEALED_MARKERS[0]));
}
