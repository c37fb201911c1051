//! Every procedural action described once: its name, Chinese label, fields,
//! who may take it, whether the petitioner sees it, the document it issues
//! and its article. The API's parsing and errors, the OpenAPI text, the
//! workbench forms, the tracking filter and `available_actions` all read
//! this table; `tests::every_action_is_described` fails when a `Command`
//! and its description drift apart.

use crate::error::{DomainError, Rule};
use crate::letters::LetterKind;
use crate::petition::{Adoption, Category, DeclineGround, DeliveryMethod, Disposition, Outcome, Rating, ReviewOutcome, SupervisionLetter};
use crate::role::Role;
use crate::unit::UnitKind;
use serde_json::{Map, Value};

/// Which units a unit field offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitPick {
    /// Units that handle petitions (not the coordinating bodies).
    Handlers,
    /// 政法 departments (Art. 22, 28).
    Legal,
    /// Discipline bodies (Art. 22, 30).
    Discipline,
    /// Any unit.
    Any,
}

impl UnitPick {
    pub fn admits(self, kind: UnitKind) -> bool {
        match self {
            UnitPick::Handlers => !matches!(kind, UnitKind::JointConference | UnitKind::PartyGovernment),
            UnitPick::Legal => kind.is_legal(),
            UnitPick::Discipline => kind == UnitKind::DisciplineBody,
            UnitPick::Any => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// YYYY-MM-DD.
    Date,
    /// A whole number of days.
    Days,
    Bool,
    /// A unit code.
    Unit(UnitPick),
    /// Several unit codes (offered like `Unit`, several chosen).
    Units(UnitPick),
    /// One of fixed codes.
    Choice(Choices),
    /// Art. 31 route 1–6 (a number), or nothing for non-claims.
    Route,
    /// A topic code (内容分类) from the deployment's topic list, which the
    /// edge checks (the list lives in the database).
    Topic,
}

impl FieldKind {
    /// JSON type name for documentation.
    pub fn json_type(self) -> &'static str {
        match self {
            FieldKind::Days | FieldKind::Route => "integer",
            FieldKind::Bool => "boolean",
            FieldKind::Units(_) => "array",
            _ => "string",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

/// Who takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taker {
    /// Staff of the unit the petition waits on (or as the rule says), in these roles.
    Staff(&'static [Role]),
    /// The petitioner on the tracking page (staff of the reviewing unit may register it).
    Petitioner,
}

/// One action's description.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub article: Rule,
    pub fields: &'static [Field],
    pub taker: Taker,
    /// Shown on the petitioner's tracking page.
    pub petitioner_sees: bool,
    /// The written notice the act owes, if any (its name in the history).
    pub document: Option<&'static str>,
    /// The letters (PDF) the act issues: `letters::letters_for` issues
    /// only these, which a test checks.
    pub letters: &'static [LetterKind],
    /// Roles that carry the act out alone; anyone else in `taker` files a
    /// request that such a person approves in their own session (four eyes).
    pub approver: Option<&'static [Role]>,
    /// Irreversible acts: what will happen, shown on a confirmation step
    /// before the act is carried out.
    pub confirm: Option<&'static str>,
}

const fn f(name: &'static str, label: &'static str, kind: FieldKind, required: bool) -> Field {
    Field { name, label, kind, required }
}

const NOTE: Field = f("note", "备注", FieldKind::LongText, false);

pub const ROUTERS: &[Role] = &[Role::Clerk, Role::UnitHead];
pub const RECEIVERS: &[Role] = &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead];
pub const HANDLERS: &[Role] = &[Role::HandlingOfficer, Role::UnitHead];
pub const HEADS: &[Role] = &[Role::UnitHead];
pub const DELIVERERS: &[Role] = &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer];
pub const REVIEWERS: &[Role] = &[Role::Reviewer, Role::UnitHead];
pub const DECIDERS: &[Role] = &[Role::UnitHead, Role::Leader, Role::Clerk];
pub const SUPERVISORS: &[Role] = &[Role::Supervisor, Role::Leader, Role::UnitHead];
pub const REPORTERS: &[Role] = &[Role::Clerk, Role::UnitHead, Role::Supervisor, Role::Leader];
pub const REVERSERS: &[Role] = &[Role::Clerk, Role::Supervisor, Role::Leader, Role::UnitHead];
pub const WINDOW_RECORDERS: &[Role] = &[Role::Clerk, Role::Reviewer, Role::UnitHead];
const HEARING_ROLES: &[Role] = &[Role::HandlingOfficer, Role::UnitHead, Role::Reviewer];
const DESIGNATORS: &[Role] = &[Role::Clerk, Role::HandlingOfficer, Role::UnitHead];

/// The fixed code lists a choice field offers; codes and labels come from
/// the domain enums themselves, so the form can never offer a stale code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choices {
    Outcome,
    ReviewOutcome,
    Adoption,
    Delivery,
    Rating,
    Category,
    Agreement,
    Ground,
    Disposition,
    Letter,
}

impl Choices {
    pub fn options(self) -> Vec<(&'static str, &'static str)> {
        fn all<T: Copy>(v: &[T], code: fn(T) -> &'static str, label: fn(T) -> &'static str) -> Vec<(&'static str, &'static str)> {
            v.iter().map(|x| (code(*x), label(*x))).collect()
        }
        match self {
            Choices::Outcome => all(Outcome::ALL, Outcome::as_str, Outcome::label),
            Choices::ReviewOutcome => all(ReviewOutcome::ALL, ReviewOutcome::as_str, ReviewOutcome::label),
            Choices::Adoption => all(Adoption::ALL, Adoption::as_str, Adoption::label),
            Choices::Delivery => all(DeliveryMethod::ALL, DeliveryMethod::as_str, DeliveryMethod::label),
            Choices::Rating => all(Rating::ALL, Rating::as_str, Rating::label),
            Choices::Category => all(Category::ALL, Category::as_str, Category::label),
            Choices::Ground => all(DeclineGround::ALL, DeclineGround::as_str, DeclineGround::label),
            Choices::Disposition => all(Disposition::ALL, Disposition::as_str, Disposition::label),
            Choices::Letter => all(SupervisionLetter::ALL, SupervisionLetter::as_str, SupervisionLetter::label),
            Choices::Agreement => vec![("mediation", "调解协议书"), ("settlement", "和解协议书")],
        }
    }
}

const OUTCOMES: Choices = Choices::Outcome;
const REVIEW_OUTCOMES: Choices = Choices::ReviewOutcome;
const ADOPTIONS: Choices = Choices::Adoption;
const DELIVERY: Choices = Choices::Delivery;
const RATINGS: Choices = Choices::Rating;
const CATEGORIES: Choices = Choices::Category;
const AGREEMENTS: Choices = Choices::Agreement;
const GROUNDS: Choices = Choices::Ground;

/// The table. Order is the order the workbench offers the actions in.
pub const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        name: "forward",
        label: "转送",
        article: Rule::Art22,
        fields: &[f("unit", "转送至", FieldKind::Unit(UnitPick::Handlers), true), NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: true,
        document: Some("转送告知"),
        letters: &[LetterKind::ForwardForm],
        approver: None,
        confirm: Some("转送后，本件交由所选单位办理，本单位不再承办，并向信访人发出转送告知。此操作不能撤回。"),
    },
    ActionSpec {
        name: "assign",
        label: "交办",
        article: Rule::Art22,
        fields: &[
            f("unit", "交办至", FieldKind::Unit(UnitPick::Handlers), true),
            f("due_on", "办结期限", FieldKind::Date, true),
            f("instructions", "交办要求", FieldKind::LongText, false),
        ],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: true,
        document: Some("交办告知"),
        letters: &[LetterKind::AssignForm],
        approver: None,
        confirm: Some("交办后，所选单位须在办结期限内办理并报送办结报告，同时告知信访人。此操作不能撤回。"),
    },
    ActionSpec {
        name: "refer_legal",
        label: "转政法部门",
        article: Rule::Art22,
        fields: &[f("unit", "转交同级政法部门", FieldKind::Unit(UnitPick::Legal), true), NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: true,
        document: Some("转交告知"),
        letters: &[],
        approver: None,
        confirm: Some("转交后，本件交由所选政法部门依法处理，并告知信访人。此操作不能撤回。"),
    },
    ActionSpec {
        name: "refer_discipline",
        label: "转纪检监察机关",
        article: Rule::Art22,
        fields: &[f("unit", "转交纪检监察机关", FieldKind::Unit(UnitPick::Discipline), true), NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: true,
        document: Some("转交告知"),
        letters: &[],
        approver: None,
        confirm: Some("转交后，本件交由所选纪检监察机关处理，并告知信访人。此操作不能撤回。"),
    },
    ActionSpec {
        name: "start_negotiation",
        label: "协商受理",
        article: Rule::Art24,
        fields: &[f("units", "协商单位", FieldKind::Units(UnitPick::Handlers), true), NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "settle_negotiation",
        label: "确定协商结果",
        article: Rule::Art24,
        fields: &[f("unit", "受理单位", FieldKind::Unit(UnitPick::Handlers), true), NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "escalate_dispute",
        label: "提请决定受理机关",
        article: Rule::Art24,
        fields: &[NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "decide_competence",
        label: "确定受理机关",
        article: Rule::Art24,
        fields: &[f("unit", "受理单位", FieldKind::Unit(UnitPick::Handlers), true), f("reason", "理由", FieldKind::LongText, true)],
        taker: Taker::Staff(DECIDERS),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "report_urgent",
        label: "报告重大紧急信访信息",
        article: Rule::Art25,
        fields: &[f("summary", "报告内容", FieldKind::LongText, true)],
        taker: Taker::Staff(REPORTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "classify",
        label: "调整分类",
        article: Rule::Art31,
        fields: &[
            f("category", "分类", FieldKind::Choice(CATEGORIES), true),
            f("litigation_related", "涉法涉诉", FieldKind::Bool, true),
            f("accused_unit", "被检举单位代码（检举控告类）", FieldKind::Unit(UnitPick::Any), false),
            f("reason", "理由", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "designate_accused",
        label: "确定被检举单位",
        article: Rule::Art30,
        fields: &[
            f("unit", "被检举单位", FieldKind::Unit(UnitPick::Any), false),
            f("unknown", "被检举单位无法确定", FieldKind::Bool, false),
            f("reason", "理由", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(DESIGNATORS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "disclose",
        label: "指定知悉范围",
        article: Rule::Art30,
        fields: &[f("unit", "指定知悉单位", FieldKind::Unit(UnitPick::Handlers), true), f("reason", "理由", FieldKind::LongText, true)],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "accept",
        label: "受理",
        article: Rule::Art23,
        fields: &[
            f("route", "办理途径（第三十一条，申诉求决类）", FieldKind::Route, false),
            f("simplified", "适用简易办理（初次信访、事实清楚、争议不大）", FieldKind::Bool, false),
            f("note", "告知内容", FieldKind::LongText, false),
        ],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: true,
        document: Some("受理告知书"),
        letters: &[LetterKind::AcceptanceNotice],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "decline",
        label: "不予受理",
        article: Rule::Art23,
        fields: &[
            f("ground", "不予受理的法定情形", FieldKind::Choice(GROUNDS), true),
            f("reason", "具体理由", FieldKind::LongText, true),
            f("proper_channel", "应当提出的途径", FieldKind::Text, true),
        ],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: true,
        document: Some("不予受理告知书"),
        letters: &[LetterKind::DeclineNotice, LetterKind::NoLongerAcceptedNotice],
        approver: None,
        confirm: Some(
            "确认后，将向信访人出具书面告知，写明理由和应当提出的途径：以“已经复核终结”为由的是不再受理告知书（第三十六条），其他情形是不予受理告知书。此操作不能撤回。",
        ),
    },
    ActionSpec {
        name: "reverse_decline",
        label: "纠正不予受理",
        article: Rule::Art40,
        fields: &[f("reason", "纠正理由", FieldKind::LongText, true)],
        taker: Taker::Staff(REVERSERS),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "object",
        label: "提出异议",
        article: Rule::Art23,
        fields: &[f("reasons", "异议理由（详细说明）", FieldKind::LongText, true)],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "approve_objection",
        label: "同意异议，退回重新转交",
        article: Rule::Art23,
        fields: &[NOTE],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "reject_objection",
        label: "不同意异议",
        article: Rule::Art23,
        fields: &[f("reason", "理由", FieldKind::LongText, true)],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "investigate",
        label: "调查核实",
        article: Rule::Art31,
        fields: &[f("note", "调查核实情况", FieldKind::LongText, true)],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "hold_hearing",
        label: "听证",
        article: Rule::Art31,
        fields: &[
            f("held_from", "听证开始日期", FieldKind::Date, true),
            f("held_to", "听证结束日期", FieldKind::Date, true),
            f("summary", "听证情况", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(HEARING_ROLES),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "mediate",
        label: "调解",
        article: Rule::Art33,
        fields: &[
            f("agreement", "协议类型", FieldKind::Choice(AGREEMENTS), true),
            f("parties_consented", "双方当事人同意", FieldKind::Bool, true),
            f("summary", "协议内容", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: true,
        document: Some("调解协议书 / 和解协议书"),
        letters: &[LetterKind::MediationAgreement, LetterKind::SettlementAgreement],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "extend",
        label: "延期",
        article: Rule::Art34,
        fields: &[
            f("days", "延长天数（不超过30日）", FieldKind::Days, true),
            f("reason", "延期理由（将告知信访人）", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: true,
        document: Some("延期告知书"),
        letters: &[LetterKind::ExtensionNotice],
        approver: Some(HEADS),
        confirm: None,
    },
    ActionSpec {
        name: "conclude",
        label: "出具信访处理意见书",
        article: Rule::Art32,
        fields: &[
            f("outcome", "处理结论", FieldKind::Choice(OUTCOMES), true),
            f("request", "信访人的投诉请求", FieldKind::LongText, true),
            f("facts_and_reasons", "事实和理由", FieldKind::LongText, true),
            f("decision", "处理意见", FieldKind::LongText, true),
            f("legal_basis", "法律法规依据", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: true,
        document: Some("信访处理意见书"),
        letters: &[LetterKind::DecisionLetter],
        approver: None,
        confirm: Some("出具后，信访处理意见书即生效，内容不能再修改，并进入送达环节。"),
    },
    ActionSpec {
        name: "reply",
        label: "答复",
        article: Rule::Art31,
        fields: &[
            f("text", "答复内容", FieldKind::LongText, true),
            f("adoption", "采纳情况（建议意见类）", FieldKind::Choice(ADOPTIONS), false),
        ],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: true,
        document: Some("答复意见书"),
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "redirect",
        label: "导入法定程序",
        article: Rule::Art31,
        fields: &[f("procedure", "法定程序", FieldKind::Text, true), f("guidance", "告知内容", FieldKind::LongText, true)],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: true,
        document: Some("导入法定程序告知书"),
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "deliver",
        label: "送达",
        article: Rule::Art32,
        fields: &[
            f("method", "送达方式", FieldKind::Choice(DELIVERY), true),
            f("delivered_on", "送达日期", FieldKind::Date, true),
            f("signed", "信访人已签收", FieldKind::Bool, false),
        ],
        taker: Taker::Staff(DELIVERERS),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "request_review",
        label: "申请复查",
        article: Rule::Art35,
        fields: &[
            f("unit", "复查机关（本级人民政府或上一级主管部门）", FieldKind::Unit(UnitPick::Handlers), false),
            f("reason", "请求理由", FieldKind::LongText, false),
            f("good_reason", "逾期的正当理由（逾期时须经复查机关负责人认定）", FieldKind::LongText, false),
        ],
        taker: Taker::Petitioner,
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "decide_review",
        label: "作出复查意见",
        article: Rule::Art35,
        fields: &[
            f("outcome", "复查意见", FieldKind::Choice(REVIEW_OUTCOMES), true),
            f("opinion", "意见内容", FieldKind::LongText, true),
            f("facts_and_reasons", "事实和理由", FieldKind::LongText, true),
            f("legal_basis", "依据", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(REVIEWERS),
        petitioner_sees: true,
        document: Some("复查意见书"),
        letters: &[LetterKind::ReviewOpinion],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "request_final_review",
        label: "申请复核",
        article: Rule::Art36,
        fields: &[
            f("unit", "复核机关（复查机关的本级人民政府或上一级主管部门）", FieldKind::Unit(UnitPick::Handlers), false),
            f("reason", "请求理由", FieldKind::LongText, false),
            f("good_reason", "逾期的正当理由（逾期时须经复核机关负责人认定）", FieldKind::LongText, false),
        ],
        taker: Taker::Petitioner,
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "decide_final_review",
        label: "作出复核意见",
        article: Rule::Art36,
        fields: &[
            f("outcome", "复核意见", FieldKind::Choice(REVIEW_OUTCOMES), true),
            f("opinion", "意见内容", FieldKind::LongText, true),
            f("facts_and_reasons", "事实和理由", FieldKind::LongText, true),
            f("legal_basis", "依据", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(REVIEWERS),
        petitioner_sees: true,
        document: Some("复核意见书"),
        letters: &[LetterKind::FinalReviewOpinion],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "close",
        label: "办结归档",
        article: Rule::Art35,
        fields: &[NOTE],
        taker: Taker::Staff(DELIVERERS),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: Some("办结归档后，本件办理程序结束，不能再进行其他办理操作。"),
    },
    ActionSpec {
        name: "reaccept",
        label: "依新的事实和理由重新受理",
        article: Rule::Art36,
        fields: &[f("new_facts", "新的事实和理由", FieldKind::LongText, true)],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: Some(HEADS),
        confirm: None,
    },
    ActionSpec {
        name: "dispose",
        label: "作出处置决定（纪检监察）",
        article: Rule::DisciplineRules,
        fields: &[
            f("disposition", "处置方式", FieldKind::Choice(Choices::Disposition), true),
            f("summary", "处置情况", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(HANDLERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "supervise",
        label: "督办",
        article: Rule::Art40,
        fields: &[
            f("reason", "督办事由", FieldKind::LongText, true),
            f("suggestions", "改进建议", FieldKind::LongText, false),
            f("letter", "督办文书", FieldKind::Choice(Choices::Letter), false),
        ],
        taker: Taker::Staff(SUPERVISORS),
        petitioner_sees: false,
        document: Some("督办函"),
        letters: &[LetterKind::SupervisionLetter, LetterKind::AssignmentLetter, LetterKind::ReminderLetter],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "evaluate",
        label: "评价",
        article: Rule::Art21,
        fields: &[f("rating", "评价", FieldKind::Choice(RATINGS), true), f("reason", "评价理由", FieldKind::LongText, false)],
        taker: Taker::Petitioner,
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "correct_place",
        label: "更正问题属地",
        article: Rule::Art22,
        fields: &[
            f("jurisdiction", "更正后的问题属地（行政区划代码）", FieldKind::Text, true),
            f("reason", "更正理由", FieldKind::LongText, true),
        ],
        taker: Taker::Staff(ROUTERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "correct_topic",
        label: "更正内容分类",
        article: Rule::Art22,
        fields: &[f("topic", "更正后的内容分类", FieldKind::Topic, true), f("reason", "更正理由", FieldKind::LongText, true)],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: false,
        document: None,
        letters: &[],
        approver: None,
        confirm: None,
    },
    ActionSpec {
        name: "reissue_query_code",
        label: "补发查询码",
        article: Rule::Art21,
        fields: &[f("reason", "补发理由（核实身份的方式）", FieldKind::LongText, true)],
        taker: Taker::Staff(RECEIVERS),
        petitioner_sees: true,
        document: None,
        letters: &[],
        approver: None,
        confirm: Some("补发后，原查询码立即作废，新查询码只显示一次，请当面告知信访人。请先核实申请人确为信访人本人或其代表人。"),
    },
];

/// History entries that are not actions of the procedure, with their label
/// and whether the petitioner sees them.
pub const OTHER_EVENTS: &[(&str, &str, bool)] = &[
    ("submit", "网上提交", true),
    ("register", "登记", true),
    ("repeat_refused", "重复提出不予受理", false),
    ("approval_requested", "提请负责人审批", false),
    ("approval_refused", "负责人不予批准", false),
    ("recompute_deadlines", "按官方日历重算期限", false),
    ("acknowledge_report", "签收重大紧急信访信息报告", false),
    ("lead_assigned", "领导包案", false),
    ("track_set", "确定处置方式", false),
    ("escalated", "提级办理", false),
    ("coordination_recorded", "联席会议协调记录", false),
    ("accountability_opened", "责任倒查", false),
    ("accountability_referred", "责任倒查移送纪检监察机关", false),
    ("supervision_reply", "书面回复督办事项", false),
    ("supervision_close", "督办事项办结", false),
    // Staff's 初件 / 重件 finding (`repeats`).
    ("repeat_linked", "认定为重件", false),
    ("first_confirmed", "确认为初件", false),
    // The wage-arrears green channel (issue 14): a clerk's decision.
    ("green_channel", "欠薪绿色通道认定", false),
    // Issue 14: the lawyer on duty who took part in a visit, and the legal advice given.
    ("duty_lawyer", "律师参与接访", false),
];

pub fn spec(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// The Chinese label of an action or another history entry.
pub fn label(name: &str) -> &'static str {
    spec(name).map(|s| s.label).or_else(|| OTHER_EVENTS.iter().find(|e| e.0 == name).map(|e| e.1)).unwrap_or("办理")
}

/// Whether a history entry appears on the petitioner's tracking page.
pub fn petitioner_sees(name: &str) -> bool {
    spec(name).map(|s| s.petitioner_sees).or_else(|| OTHER_EVENTS.iter().find(|e| e.0 == name).map(|e| e.2)).unwrap_or(false)
}

impl ActionSpec {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Check a body against the description before it is parsed, so that
    /// every fault is reported in Chinese with the field and the article
    /// (no bare "missing field" from the parser).
    pub fn check_body(&self, body: &Map<String, Value>) -> Result<(), Vec<DomainError>> {
        let mut errors = Vec::new();
        let err = |field: &'static str, msg: String| DomainError::invalid(self.article, "invalid_field", msg).at(field);
        for (key, _) in body.iter() {
            if key != "action" && self.field(key).is_none() {
                let names = self.fields.iter().map(|f| f.name).collect::<Vec<_>>().join("、");
                errors.push(DomainError::invalid(
                    self.article,
                    "unknown_field",
                    format!("“{}”不接受字段“{key}”（可用字段：{names}）", self.label),
                ));
            }
        }
        for fd in self.fields {
            let v = body.get(fd.name).filter(|v| !v.is_null());
            let Some(v) = v else {
                if fd.required {
                    errors.push(err(fd.name, format!("{}须填写{}", self.label, fd.label)));
                }
                continue;
            };
            let ok = match fd.kind {
                FieldKind::Text | FieldKind::LongText | FieldKind::Unit(_) | FieldKind::Topic => v.is_string(),
                FieldKind::Date => v.as_str().is_some_and(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
                // Any whole number of days from 1: the statutory limit (30
                // days for an extension) is the rule's to refuse, with its
                // article.
                FieldKind::Days => v.as_u64().is_some_and(|d| d >= 1 && u32::try_from(d).is_ok()),
                FieldKind::Route => v.as_u64().is_some_and(|r| (1..=6).contains(&r)),
                FieldKind::Bool => v.is_boolean(),
                FieldKind::Units(_) => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
                FieldKind::Choice(c) => v.as_str().is_some_and(|s| c.options().iter().any(|(code, _)| *code == s)),
            };
            if !ok {
                let expected = match fd.kind {
                    FieldKind::Date => "YYYY-MM-DD格式的日期".to_string(),
                    FieldKind::Days => "正整数".to_string(),
                    FieldKind::Route => "1至6的整数".to_string(),
                    FieldKind::Bool => "true或false".to_string(),
                    FieldKind::Units(_) => "单位代码数组".to_string(),
                    FieldKind::Choice(c) => {
                        format!("以下之一：{}", c.options().iter().map(|(c, l)| format!("{c}（{l}）")).collect::<Vec<_>>().join("、"))
                    }
                    _ => "文本".to_string(),
                };
                errors.push(err(fd.name, format!("{}的{}应为{expected}", self.label, fd.label)));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// A plausible body with every field filled, for probing whether an
    /// action is open now (see `available_actions`) and for the tests.
    pub fn sample_body(&self) -> Value {
        let mut m = Map::new();
        for fd in self.fields {
            let v = match fd.kind {
                FieldKind::Text | FieldKind::LongText => Value::from("x"),
                FieldKind::Date => Value::from("2000-01-01"),
                FieldKind::Days => Value::from(1),
                FieldKind::Route => continue,
                FieldKind::Bool => Value::from(true),
                FieldKind::Unit(_) | FieldKind::Topic => Value::from("?"),
                FieldKind::Units(_) => Value::from(vec!["?", "??"]),
                FieldKind::Choice(c) => Value::from(c.options().first().map(|o| o.0).unwrap_or_default()),
            };
            m.insert(fd.name.into(), v);
        }
        Value::Object(m)
    }
}

/// The action table as Markdown, for docs/api.md (a test keeps the page
/// equal to this, so the documentation cannot drift from the code).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| action | 名称 | article | who | fields (`*` required) | petitioner sees | document | letters (PDF) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for a in ACTIONS {
        let who = match a.taker {
            Taker::Staff(roles) => roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
            Taker::Petitioner => "petitioner (or the reviewing unit registering it)".into(),
        };
        let who = match a.approver {
            Some(r) => format!("{who}; alone only {}", r.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(", ")),
            None => who,
        };
        let fields = a
            .fields
            .iter()
            .map(|f| {
                let kind = match f.kind {
                    FieldKind::Choice(c) => c.options().iter().map(|o| o.0).collect::<Vec<_>>().join("/"),
                    FieldKind::Route => "1–6".into(),
                    other => other.json_type().into(),
                };
                format!("`{}`{} ({kind})", f.name, if f.required { "*" } else { "" })
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "| `{}` | {} | {} | {who} | {} | {} | {} | {} |\n",
            a.name,
            a.label,
            a.article.citation(),
            if fields.is_empty() { "—".into() } else { fields },
            if a.petitioner_sees { "yes" } else { "no" },
            a.document.unwrap_or("—"),
            if a.letters.is_empty() { "—".into() } else { a.letters.iter().map(|k| k.title()).collect::<Vec<_>>().join(" / ") },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_described() {
        use crate::procedure::Command;
        let mut seen = std::collections::BTreeSet::new();
        for a in ACTIONS {
            assert!(seen.insert(a.name), "{} described twice", a.name);
            assert!(!a.label.is_empty() && !a.article.citation().is_empty(), "{}", a.name);
            // Two fields of one form never share a label.
            let labels: std::collections::BTreeSet<_> = a.fields.iter().map(|f| f.label).collect();
            assert_eq!(labels.len(), a.fields.len(), "{}: two fields share a label", a.name);
            // The sample body parses into the command of that name, and every
            // field the command has is in the table (nothing typed twice).
            let cmd = Command::from_json(a.name, a.sample_body()).unwrap_or_else(|e| panic!("{}: {}", a.name, e.message));
            assert_eq!(cmd.name(), a.name);
            assert_eq!(cmd.rule(), a.article);
            if let Value::Object(m) = serde_json::to_value(&cmd).unwrap_or(Value::Null) {
                for key in m.keys().filter(|k| *k != "action") {
                    assert!(a.field(key).is_some(), "{}: field {key} not in the table", a.name);
                }
            }
            // A body without a required field is refused naming the field and the article.
            for f in a.fields.iter().filter(|f| f.required) {
                let mut body = a.sample_body();
                if let Value::Object(m) = &mut body {
                    m.remove(f.name);
                }
                let err = Command::from_json(a.name, body).err().unwrap_or_else(|| panic!("{} without {}", a.name, f.name));
                assert_eq!((err.field, err.rule), (Some(f.name), a.article), "{}", a.name);
                assert!(err.message.contains(f.label), "{}", err.message);
                // Messages are Chinese only: no code name of a field.
                assert!(!err.message.contains(&format!("（{}）", f.name)), "{}", err.message);
            }
        }
        // Every history entry has a label; internal ones stay internal.
        for name in
            ["object", "report_urgent", "supervise", "start_negotiation", "approval_requested", "acknowledge_report", "recompute_deadlines"]
        {
            assert!(!petitioner_sees(name), "{name} is internal");
        }
        for name in ["submit", "forward", "accept", "decline", "conclude", "deliver", "extend"] {
            assert!(petitioner_sees(name), "{name} is shown to the petitioner");
        }
        assert_eq!(label("disclose"), "指定知悉范围");
        // The irreversible acts ask for confirmation, saying what will happen.
        for name in ["forward", "assign", "decline", "conclude", "close"] {
            assert!(spec(name).and_then(|a| a.confirm).is_some_and(|c| !c.is_empty()), "{name} is confirmed first");
        }
        assert!(spec("investigate").and_then(|a| a.confirm).is_none());
        assert!(markdown_table().contains("`reverse_decline`"));
    }
}
