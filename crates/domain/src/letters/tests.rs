use super::*;
use crate::calendar::HolidayCalendar;
use crate::deadline::CountingPolicy;
use crate::petition::{Category, Channel, Petitioner, PetitionerKind, Registration};
use crate::procedure::{Actor, Ctx, StaffActor, register, transition};
use crate::role::Role;
use crate::unit::tests::sample_tree;
use chrono::Utc;

const COUNTY_BUREAU: UnitId = 3;
const COUNTY_DEPT: UnitId = 12;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
}

fn facts() -> PetitionFacts {
    PetitionFacts {
        number: "XF4403042026000001".into(),
        petitioner_names: vec!["张三".into()],
        anonymous: false,
        received_on: Some(d("2026-11-02")),
        title: "欠薪".into(),
        content: "公司拖欠三个月工资".into(),
        request: "支付工资".into(),
        facts_and_reasons: "公司拖欠".into(),
        channel: "网上信访".into(),
        category: "申诉求决类".into(),
    }
}

fn reg() -> Registration {
    Registration {
        channel: Channel::Online,
        petitioners: vec![Petitioner {
            kind: PetitionerKind::Person,
            name: "张三".into(),
            id_number: None,
            phone: None,
            address: None,
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
        received_on: d("2026-11-02"),
    }
}

/// Run `json` as `unit`'s officer and return the letters it issues.
fn act(tree: &UnitTree, cal: &HolidayCalendar, case: &Case, unit: UnitId, role: Role, json: Value) -> (Case, Vec<LetterDraft>) {
    let on = d("2026-11-03");
    let ctx = Ctx { on, now: Utc::now(), calendar: cal, tree, policy: CountingPolicy::default(), window_policy: CountingPolicy::default() };
    let action = json["action"].as_str().unwrap_or_default().to_string();
    let cmd = Command::from_json(&action, json).expect("command");
    let actor = Actor::Staff(StaffActor { user_id: 1, unit_id: unit, role });
    let t = transition(case, cmd.clone(), &actor, &ctx).expect("transition");
    let lc = LetterCtx { tree, calendar: cal, actor_unit: unit, on };
    let letters = letters_for(&cmd, case, &t.case, &facts(), &lc);
    (t.case, letters)
}

#[test]
fn art22_forward_issues_a_forward_form_addressed_to_the_receiving_unit() {
    let tree = sample_tree();
    let cal = HolidayCalendar::default();
    let case = register(&reg(), tree.get(COUNTY_BUREAU).expect("bureau"), &ctx_for(&tree, &cal));
    let (_, letters) = act(&tree, &cal, &case, COUNTY_BUREAU, Role::Clerk, json!({"action":"forward","unit":"U12","note":"请依法处理"}));
    assert_eq!(letters.len(), 1);
    let l = &letters[0];
    assert_eq!(l.kind, LetterKind::ForwardForm);
    assert_eq!(l.issuer, COUNTY_BUREAU);
    assert_eq!(l.data["to_unit"], json!(tree.get(COUNTY_DEPT).expect("dept").name));
    assert_eq!(l.data["addressee"], l.data["to_unit"]);
    assert_eq!(l.data["note"], json!("请依法处理"));
    assert_eq!(l.data["petition_number"], json!("XF4403042026000001"));
}

fn ctx_for<'a>(tree: &'a UnitTree, cal: &'a HolidayCalendar) -> Ctx<'a> {
    Ctx {
        on: d("2026-11-02"),
        now: Utc::now(),
        calendar: cal,
        tree,
        policy: CountingPolicy::default(),
        window_policy: CountingPolicy::default(),
    }
}

#[test]
fn art23_acceptance_notice_and_art32_decision_letter_carry_the_record() {
    let tree = sample_tree();
    let cal = HolidayCalendar::default();
    let case = register(&reg(), tree.get(COUNTY_BUREAU).expect("bureau"), &ctx_for(&tree, &cal));
    let (case, _) = act(&tree, &cal, &case, COUNTY_BUREAU, Role::Clerk, json!({"action":"forward","unit":"U12"}));
    let (case, letters) = act(&tree, &cal, &case, COUNTY_DEPT, Role::HandlingOfficer, json!({"action":"accept","route":6}));
    assert_eq!(letters.len(), 1);
    let notice = &letters[0];
    assert_eq!(notice.kind, LetterKind::AcceptanceNotice);
    assert_eq!(notice.data["addressee"], json!("张三"));
    assert_eq!(notice.data["accepted_on"], json!("2026年11月3日"));
    // T6: 60 days from acceptance fall on Saturday 2 January 2027; the
    // default policy rolls to the next working day.
    assert_eq!(notice.data["due_on"], json!("2027年1月4日"));
    assert_eq!(notice.data["article"], json!("《信访工作条例》第二十三条"));

    let (_, letters) = act(
        &tree,
        &cal,
        &case,
        COUNTY_DEPT,
        Role::HandlingOfficer,
        json!({"action":"conclude","outcome":"rejected","request":"支付工资","facts_and_reasons":"经查已结清","decision":"不予支持","legal_basis":"《劳动合同法》第三十条"}),
    );
    let letter = &letters[0];
    assert_eq!(letter.kind, LetterKind::DecisionLetter);
    for (field, value) in [("request", "支付工资"), ("facts_and_reasons", "经查已结清"), ("legal_basis", "《劳动合同法》第三十条")]
    {
        assert_eq!(letter.data[field], json!(value), "{field}");
    }
    assert_eq!(letter.data["outcome"], json!("不予支持"));
    // Art. 35: where and within how long to ask for 复查.
    assert_eq!(letter.data["review_days"], json!(30));
    assert!(!letter.data["review_unit"].as_str().unwrap_or_default().is_empty());
}

#[test]
fn art36_refusal_after_final_review_is_a_no_longer_accepted_notice_citing_art36() {
    let tree = sample_tree();
    let cal = HolidayCalendar::default();
    let lc = LetterCtx { tree: &tree, calendar: &cal, actor_unit: COUNTY_BUREAU, on: d("2026-11-03") };
    let l = refusal_letter(
        DeclineGround::ConcludedAfterFinalReview,
        "同一事实和理由已复核终结",
        COUNTY_BUREAU,
        &facts(),
        &lc,
        Some(("深圳市人民政府".into(), d("2026-06-01"))),
    )
    .expect("letter");
    assert_eq!(l.kind, LetterKind::NoLongerAcceptedNotice);
    assert_eq!(l.data["article"], json!("《信访工作条例》第三十六条"));
    assert_eq!(l.data["ground"], json!(DeclineGround::ConcludedAfterFinalReview.label()));
    assert_eq!(l.data["final_review_unit"], json!("深圳市人民政府"));
    assert_eq!(l.data["final_review_on"], json!("2026年6月1日"));
    let other = refusal_letter(DeclineGround::SkippedLevels, "越级走访", COUNTY_BUREAU, &facts(), &lc, None).expect("letter");
    assert_eq!(other.kind, LetterKind::DeclineNotice);
    assert_eq!(other.data["article"], json!("《信访工作条例》第二十条"));
    // No one to address: no letter to an anonymous petitioner.
    let anon = PetitionFacts { anonymous: true, petitioner_names: vec![], ..facts() };
    assert!(refusal_letter(DeclineGround::SkippedLevels, "越级走访", COUNTY_BUREAU, &anon, &lc, None).is_none());
}

#[test]
fn art40_supervision_issues_the_chosen_one_of_three_letters_with_a_reply_date() {
    let tree = sample_tree();
    let cal = HolidayCalendar::default();
    let case = register(&reg(), tree.get(COUNTY_BUREAU).expect("bureau"), &ctx_for(&tree, &cal));
    let (case, _) = act(&tree, &cal, &case, COUNTY_BUREAU, Role::Clerk, json!({"action":"forward","unit":"U12"}));
    for (letter, kind) in [
        (None, LetterKind::SupervisionLetter),
        (Some("assignment"), LetterKind::AssignmentLetter),
        (Some("reminder"), LetterKind::ReminderLetter),
    ] {
        let mut body = json!({"action":"supervise","reason":"逾期未受理"});
        if let Some(l) = letter {
            body["letter"] = json!(l);
        }
        let (_, letters) = act(&tree, &cal, &case, COUNTY_BUREAU, Role::UnitHead, body);
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].kind, kind);
        assert!(!letters[0].kind.to_petitioner());
        assert_eq!(letters[0].data["to_unit"], json!(tree.get(COUNTY_DEPT).expect("dept").name));
        // Five working days from Tuesday 3 November: Tuesday 10 November.
        assert_eq!(letters[0].data["reply_due_on"], json!("2026年11月10日"));
    }
}

#[test]
fn letter_kinds_parse_back() {
    for k in LetterKind::ALL {
        assert_eq!(LetterKind::parse(k.as_str()), Some(*k));
    }
}
