//! Every role × every staff action × the unit that must act, a unit below
//! it, and a sibling: only the right roles of the acting unit get through,
//! and everyone else gets "forbidden" (not a state error that would leak
//! what the petition is doing). The sealed fourth relation (the accused
//! unit's chain) is enforced before the procedure, by `access::view`, and
//! tested in `access_matrix` below and over HTTP in tests/security.rs.

use super::*;
use crate::access::{View, view};
use crate::error::ErrorKind;

const CLERKS: &[Role] = &[Role::Clerk, Role::UnitHead];
const RECEIVING: &[Role] = &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead];
const HANDLING: &[Role] = &[Role::HandlingOfficer, Role::UnitHead];
const DELIVERING: &[Role] = &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer];
const REVIEWING: &[Role] = &[Role::Reviewer, Role::UnitHead];
const REGISTERING_REVIEW: &[Role] = &[Role::Clerk, Role::Reviewer, Role::UnitHead];
const CITY_DEPT_SIBLING: UnitId = 15;
const TOWNSHIP_BUREAU: UnitId = 5;
const UNDER_COUNTY_DEPT: UnitId = 16;
const UNRELATED_ROOT: UnitId = 14;

struct Spec {
    body: Value,
    case: Case,
    on: &'static str,
    own: UnitId,
    child: UnitId,
    sibling: UnitId,
    roles: &'static [Role],
}

fn step(w: &World, c: &Case, on: &str, unit: UnitId, role: Role, body: Value) -> Case {
    run(w, c, on, staff(unit, role), body).expect("fixture step")
}

fn specs(w: &World) -> Vec<Spec> {
    let on = "2026-11-02";
    let reg = registered(w, on);
    // Departments of two counties negotiate a matter of the city.
    let mut city_matter = registration(on);
    city_matter.jurisdiction = "4403".into();
    let city_reg = register(&city_matter, w.tree.get(CITY_BUREAU).expect("city bureau"), &w.ctx(on));
    let negotiating = step(w, &city_reg, on, CITY_BUREAU, Role::Clerk, json!({"action":"start_negotiation","units":["U12","U13"]}));
    let awaiting = step(w, &negotiating, on, CITY_BUREAU, Role::Clerk, json!({"action":"escalate_dispute"}));
    let fwd = forwarded(w, on);
    let objected = step(w, &fwd, on, COUNTY_DEPT, Role::Clerk, json!({"action":"object","reasons":"不属本单位"}));
    let handling6 = handling(w, on);
    let handling5 = step(w, &fwd, on, COUNTY_DEPT, Role::Clerk, json!({"action":"accept","route":5}));
    let handling2 = step(w, &fwd, on, COUNTY_DEPT, Role::Clerk, json!({"action":"accept","route":2}));
    let concluded = step(w, &handling6, on, COUNTY_DEPT, Role::HandlingOfficer, decision("rejected"));
    let replied = replied(w, on);
    let under_review = run(w, &replied, on, Actor::Petitioner, json!({"action":"request_review"})).expect("review");
    let review_decided = step(
        w,
        &under_review,
        on,
        CITY_DEPT,
        Role::Reviewer,
        json!({"action":"decide_review","outcome":"uphold","opinion":"维持","facts_and_reasons":"清楚","legal_basis":"条例"}),
    );
    let reviewed = step(w, &review_decided, on, CITY_DEPT, Role::Reviewer, json!({"action":"deliver","method":"post","delivered_on":on}));
    let under_final = run(w, &reviewed, on, Actor::Petitioner, json!({"action":"request_final_review"})).expect("final");
    // A referral goes with what the matter is (Art. 22): 政法 a 涉法涉诉
    // matter, the discipline body an accusation.
    let litigation = Case { litigation_related: true, ..reg.clone() };
    let accusation = Case { category: Category::Accusation, ..reg.clone() };
    let bureau = |body: Value, roles| Spec { body, case: reg.clone(), on, own: COUNTY_BUREAU, child: TOWNSHIP_BUREAU, sibling: 4, roles };
    let at_dept = |body: Value, case: &Case, roles| Spec {
        body,
        case: case.clone(),
        on,
        own: COUNTY_DEPT,
        child: UNDER_COUNTY_DEPT,
        sibling: OTHER_COUNTY_DEPT,
        roles,
    };
    vec![
        bureau(json!({"action":"forward","unit":"U12"}), CLERKS),
        bureau(json!({"action":"assign","unit":"U12","due_on":"2026-12-01"}), CLERKS),
        Spec { case: litigation.clone(), ..bureau(json!({"action":"refer_legal","unit":"U21"}), CLERKS) },
        Spec { case: accusation.clone(), ..bureau(json!({"action":"refer_discipline","unit":"U20"}), CLERKS) },
        bureau(json!({"action":"start_negotiation","units":["U12","U14"]}), CLERKS),
        bureau(json!({"action":"report_urgent","summary":"群体性"}), &[Role::Clerk, Role::UnitHead, Role::Supervisor, Role::Leader]),
        bureau(json!({"action":"classify","category":"suggestion","litigation_related":false,"reason":"实为建议"}), RECEIVING),
        bureau(json!({"action":"decline","ground":"statutory_procedure","reason":"属于诉讼事项","proper_channel":"向法院起诉"}), RECEIVING),
        bureau(json!({"action":"reissue_query_code","reason":"信访人持身份证到窗口申请"}), RECEIVING),
        bureau(json!({"action":"correct_place","jurisdiction":"440305","reason":"信访人住南山区，提交时误选"}), CLERKS),
        bureau(json!({"action":"correct_topic","topic":"0202","reason":"实为工资拖欠"}), RECEIVING),
        at_dept(json!({"action":"correct_topic","topic":"0202","reason":"实为工资拖欠"}), &handling6, RECEIVING),
        Spec {
            case: negotiating.clone(),
            own: CITY_BUREAU,
            child: COUNTY_BUREAU,
            sibling: CITY_DEPT_SIBLING,
            ..bureau(json!({"action":"settle_negotiation","unit":"U12"}), CLERKS)
        },
        Spec {
            case: negotiating,
            own: CITY_BUREAU,
            child: COUNTY_BUREAU,
            sibling: CITY_DEPT_SIBLING,
            ..bureau(json!({"action":"escalate_dispute"}), CLERKS)
        },
        Spec {
            body: json!({"action":"decide_competence","unit":"U13","reason":"属地"}),
            case: awaiting,
            on,
            own: CITY_DEPT,
            child: COUNTY_DEPT,
            sibling: CITY_DEPT_SIBLING,
            roles: &[Role::UnitHead, Role::Leader, Role::Clerk],
        },
        at_dept(json!({"action":"accept","route":6}), &fwd, RECEIVING),
        at_dept(json!({"action":"object","reasons":"不属本单位"}), &fwd, RECEIVING),
        Spec { case: objected.clone(), ..bureau(json!({"action":"approve_objection"}), CLERKS) },
        Spec { case: objected, ..bureau(json!({"action":"reject_objection","reason":"属于该单位"}), CLERKS) },
        at_dept(json!({"action":"investigate","note":"走访"}), &handling6, HANDLING),
        at_dept(json!({"action":"hold_hearing","held_from":"2026-11-02","held_to":"2026-11-02","summary":"听证"}), &handling6, HANDLING),
        at_dept(json!({"action":"mediate","agreement":"settlement","summary":"和解","parties_consented":true}), &handling6, HANDLING),
        at_dept(json!({"action":"extend","days":10,"reason":"复杂"}), &handling6, &[Role::UnitHead]),
        at_dept(decision("upheld"), &handling6, HANDLING),
        at_dept(json!({"action":"reply","text":"已履行职责"}), &handling5, HANDLING),
        at_dept(json!({"action":"redirect","procedure":"劳动仲裁","guidance":"申请仲裁"}), &handling2, HANDLING),
        at_dept(json!({"action":"deliver","method":"post","delivered_on":on}), &concluded, DELIVERING),
        Spec {
            body: json!({"action":"request_review"}),
            case: replied.clone(),
            on,
            own: CITY_DEPT,
            child: COUNTY_DEPT,
            sibling: CITY_DEPT_SIBLING,
            roles: REGISTERING_REVIEW,
        },
        Spec {
            body: json!({"action":"decide_review","outcome":"uphold","opinion":"维持","facts_and_reasons":"清楚","legal_basis":"条例"}),
            case: under_review,
            on,
            own: CITY_DEPT,
            child: COUNTY_DEPT,
            sibling: CITY_DEPT_SIBLING,
            roles: REVIEWING,
        },
        Spec {
            body: json!({"action":"request_final_review"}),
            case: reviewed,
            on,
            own: PROVINCE_DEPT,
            child: CITY_DEPT,
            sibling: UNRELATED_ROOT,
            roles: REGISTERING_REVIEW,
        },
        Spec {
            body: json!({"action":"decide_final_review","outcome":"uphold","opinion":"维持","facts_and_reasons":"清楚","legal_basis":"条例"}),
            case: under_final,
            on,
            own: PROVINCE_DEPT,
            child: CITY_DEPT,
            sibling: UNRELATED_ROOT,
            roles: REVIEWING,
        },
        Spec { on: "2026-12-03", ..at_dept(json!({"action":"close"}), &replied, DELIVERING) },
        at_dept(json!({"action":"evaluate","rating":"satisfied"}), &replied, &[]),
    ]
}

#[test]
fn access_every_role_times_every_action_times_own_child_sibling() {
    let w = World::new();
    let specs = specs(&w);
    let covered: std::collections::BTreeSet<&str> = specs.iter().filter_map(|s| s.body["action"].as_str()).collect();
    let untested: Vec<&str> = actions::ACTIONS.iter().map(|a| a.name).filter(|n| !covered.contains(*n)).collect();
    // These act from other units, or only on accusations or refusals, by
    // design; they have their own tests (art30_…, art36_…, art40_…).
    assert_eq!(
        untested,
        ["designate_accused", "disclose", "reverse_decline", "reaccept", "dispose", "supervise"],
        "every action is in the matrix"
    );
    let mut checked = 0;
    for spec in &specs {
        let action = spec.body["action"].as_str().unwrap_or_default();
        for role in Role::ALL {
            for (relation, unit) in [("own", spec.own), ("child", spec.child), ("sibling", spec.sibling)] {
                let result = run(&w, &spec.case, spec.on, staff(unit, role), spec.body.clone());
                let allowed = relation == "own" && spec.roles.contains(&role);
                match (&result, allowed) {
                    (Ok(_), true) => {}
                    (Err(e), false) => assert_eq!(e.kind, ErrorKind::Forbidden, "{action} by {role:?} at {relation}: {e:?}"),
                    _ => panic!("{action} by {role:?} at {relation}: expected allowed={allowed}, got {result:?}"),
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, specs.len() * Role::ALL.len() * 3);
}

#[test]
fn art30_access_matrix_for_a_sealed_accusation() {
    let w = World::new();
    let mut c = registered(&w, "2026-11-02");
    c.category = Category::Accusation;
    c.accused_unit = Some(COUNTY_DEPT);
    // At intake the registering bureau sees it, so that it can route it.
    assert_eq!(view(&c, false, COUNTY_BUREAU, Role::Clerk, &w.tree), View::Full);
    let c = step(&w, &c, "2026-11-02", COUNTY_BUREAU, Role::Clerk, json!({"action":"refer_discipline","unit":"U20"}));
    for role in Role::ALL {
        // The accused unit and its superiors in the same chain: never, whatever the role.
        for unit in [COUNTY_DEPT, CITY_DEPT, PROVINCE_DEPT] {
            assert_eq!(view(&c, false, unit, role, &w.tree), View::Hidden, "{unit} {role:?}");
        }
        // The discipline body handling it: everything.
        assert_eq!(view(&c, false, 20, role, &w.tree), View::Full);
        // Everyone else who can reach it in the tree: sealed.
        for unit in [COUNTY_BUREAU, CITY_BUREAU, OTHER_COUNTY_DEPT, 14] {
            assert_eq!(view(&c, false, unit, role, &w.tree), View::Sealed, "{unit} {role:?}");
        }
    }
    // The discipline body names a unit; the accused's chain cannot be named.
    let d = step(&w, &c, "2026-11-03", 20, Role::HandlingOfficer, json!({"action":"accept"}));
    let err = run(&w, &d, "2026-11-03", staff(20, Role::HandlingOfficer), json!({"action":"disclose","unit":"U11","reason":"协助"}))
        .expect_err("accused chain");
    assert_eq!(err.rule, Rule::Art30);
    let err = run(&w, &d, "2026-11-03", staff(COUNTY_BUREAU, Role::UnitHead), json!({"action":"disclose","unit":"U14","reason":"协助"}))
        .expect_err("not the discipline body");
    assert_eq!(err.kind, ErrorKind::Forbidden);
    let d = step(&w, &d, "2026-11-03", 20, Role::HandlingOfficer, json!({"action":"disclose","unit":"U14","reason":"协助调查"}));
    assert_eq!(view(&d, false, 14, Role::HandlingOfficer, &w.tree), View::Full);
}

#[test]
fn access_confidential_petitioner_identity_only_for_registering_bureau_and_handling_officer() {
    let w = World::new();
    let c = handling(&w, "2026-11-02");
    for role in Role::ALL {
        assert_eq!(view(&c, true, COUNTY_BUREAU, role, &w.tree), View::Full, "registering bureau");
        assert_eq!(view(&c, true, CITY_DEPT, role, &w.tree), View::IdentityHidden, "superior");
        assert_eq!(view(&c, true, CITY_BUREAU, role, &w.tree), View::IdentityHidden, "city bureau");
        let expected = if matches!(role, Role::HandlingOfficer | Role::UnitHead) { View::Full } else { View::IdentityHidden };
        assert_eq!(view(&c, true, COUNTY_DEPT, role, &w.tree), expected, "handling unit {role:?}");
        assert_eq!(view(&c, false, CITY_DEPT, role, &w.tree), View::Full, "not confidential");
    }
}

/// Art. 30 (found by an outside pass): a unit a claim was sent to that
/// finds it is an accusation objects instead of reclassing it and keeping
/// it, sealed even from itself, until it could close it blind; a competent
/// unit an accusation is sent to once the accused is named reads it; and a
/// referral goes only with what the matter is (Art. 22).
#[test]
fn art30_an_accusation_is_read_by_the_unit_holding_it_and_not_reclassed_by_a_unit_it_was_sent_to() {
    let w = World::new();
    let on = "2026-11-02";
    let fwd = forwarded(&w, on);
    let reclass = json!({"action":"classify","category":"accusation","litigation_related":false,"reason":"实为检举"});
    // Found by the unit it was sent to, even after its objection window:
    // it goes on to the area's discipline body, the unit's duties met.
    for day in [on, "2026-11-20"] {
        let gone = step(&w, &fwd, day, COUNTY_DEPT, Role::Clerk, reclass.clone());
        assert_eq!((gone.current_unit, gone.category, gone.state), (20, Category::Accusation, State::Forwarded), "{day}");
        assert!(gone.deadlines.iter().filter(|d| d.met_at.is_none()).all(|d| d.kind.as_str().starts_with('D')), "{day}");
        assert_eq!(view(&gone, false, COUNTY_DEPT, Role::Clerk, &w.tree), View::Hidden, "nobody else knows it yet");
        assert_eq!(view(&gone, false, 20, Role::HandlingOfficer, &w.tree), View::Full);
    }
    // Or it objects; back at the bureau, the bureau reclasses and refers it.
    let objected = step(&w, &fwd, on, COUNTY_DEPT, Role::Clerk, json!({"action":"object","reasons":"属于检举控告，不属本单位职权"}));
    let back = step(&w, &objected, on, COUNTY_BUREAU, Role::UnitHead, json!({"action":"approve_objection"}));
    let sealed = step(&w, &back, on, COUNTY_BUREAU, Role::Clerk, reclass);
    assert_eq!(view(&sealed, false, COUNTY_BUREAU, Role::Clerk, &w.tree), View::Full, "the bureau holding it");
    step(&w, &sealed, on, COUNTY_BUREAU, Role::Clerk, json!({"action":"refer_discipline","unit":"U20"}));

    // A referral says what the matter is.
    let reg = registered(&w, on);
    let err = run(&w, &reg, on, staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"refer_discipline","unit":"U20"})).expect_err("a claim");
    assert_eq!(err.code, "not_an_accusation");
    let err =
        run(&w, &reg, on, staff(COUNTY_BUREAU, Role::Clerk), json!({"action":"refer_legal","unit":"U21"})).expect_err("not litigation");
    assert_eq!(err.code, "not_litigation_related");

    // Accused named (another department): a competent department it is
    // sent to reads it; the bureaus that sent it or stand above do not.
    let mut c = registered(&w, on);
    c.category = Category::Accusation;
    c.accused_unit = Some(OTHER_COUNTY_DEPT);
    let sent = step(&w, &c, on, COUNTY_BUREAU, Role::Clerk, json!({"action":"forward","unit":"U12"}));
    assert_eq!(view(&sent, false, COUNTY_DEPT, Role::HandlingOfficer, &w.tree), View::Full, "the holder");
    assert_eq!(view(&sent, false, CITY_BUREAU, Role::Clerk, &w.tree), View::Sealed, "the bureau above");
    assert_eq!(view(&sent, false, CITY_DEPT, Role::HandlingOfficer, &w.tree), View::Hidden, "above the accused too");
    assert_eq!(view(&sent, false, COUNTY_BUREAU, Role::Clerk, &w.tree), View::Sealed, "the bureau, once it sent it on");
    assert_eq!(view(&sent, false, OTHER_COUNTY_DEPT, Role::Clerk, &w.tree), View::Hidden, "the accused");
}

/// Art. 24, 30 (a review): a matter in negotiation does not become an
/// accusation — a negotiation and its decider would learn of it, the
/// accused perhaps among them — and an accusation is never settled or
/// escalated there.
#[test]
fn art30_a_negotiated_matter_is_not_turned_into_an_accusation() {
    let w = World::new();
    let on = "2026-11-02";
    let mut city_matter = registration(on);
    city_matter.jurisdiction = "4403".into();
    let reg = register(&city_matter, w.tree.get(CITY_BUREAU).expect("city bureau"), &w.ctx(on));
    let negotiating = step(&w, &reg, on, CITY_BUREAU, Role::Clerk, json!({"action":"start_negotiation","units":["U12","U13"]}));
    let reclass = json!({"action":"classify","category":"accusation","litigation_related":false,"reason":"实为检举"});
    let err = run(&w, &negotiating, on, staff(CITY_BUREAU, Role::Clerk), reclass).expect_err("negotiating");
    assert_eq!(err.code, "accusation_not_negotiated");
    let mut sealed = negotiating.clone();
    sealed.category = Category::Accusation;
    for body in [json!({"action":"escalate_dispute"}), json!({"action":"settle_negotiation","unit":"U12"})] {
        let err = run(&w, &sealed, on, staff(CITY_BUREAU, Role::Clerk), body).expect_err("an accusation");
        assert_eq!(err.code, "accusation_not_negotiated");
    }
}

/// Art. 22 (a review): an assignment's date holds a township office it is
/// assigned to, and is answered when that office refers the matter out of
/// the petition procedure (here to the discipline body).
#[test]
fn art22_an_assignments_date_is_answered_by_a_referral_out() {
    let w = World::new();
    let on = "2026-11-02";
    let mut c = registered(&w, on);
    c.category = Category::Accusation;
    c.accused_unit = Some(OTHER_COUNTY_DEPT);
    let assigned = step(&w, &c, on, COUNTY_BUREAU, Role::Clerk, json!({"action":"assign","unit":"U5","due_on":"2026-11-30"}));
    assert!(assigned.timer(TimerKind::T5).is_some_and(|t| t.is_open()), "the township office owes the report");
    let referred = step(&w, &assigned, on, TOWNSHIP_BUREAU, Role::Clerk, json!({"action":"refer_discipline","unit":"U20"}));
    assert!(referred.deadlines.iter().filter(|d| d.kind == TimerKind::T5).all(|d| !d.is_open()), "{:?}", referred.deadlines);
}
