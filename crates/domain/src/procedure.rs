//! The procedure of the 2022 Regulations as a pure state machine
//! (regulation.md §2.2): `transition(case, command, actor, ctx)` returns the
//! new case and the event to append, or an error naming the rule it broke.

use crate::calendar::HolidayCalendar;
use crate::deadline::{CountingPolicy, DayUnit, Deadline, Pause, PauseReason, TimerKind};
use crate::error::{DomainError, Rule};
use crate::petition::{
    Adoption, Category, Channel, DeclineGround, DeliveryMethod, Disposition, Outcome, Rating, Registration, ReviewOutcome, State,
    SupervisionLetter, check_text,
};
use crate::role::Role;
use crate::unit::{Unit, UnitId, UnitKind, UnitTree};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub mod actions;
use actions::{DECIDERS, DELIVERERS, HANDLERS, RECEIVERS, REPORTERS, REVERSERS, REVIEWERS, ROUTERS, SUPERVISORS, WINDOW_RECORDERS};

/// How the item reached the unit that must answer it (Art. 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Routing {
    /// 转送: no result report owed.
    Forward,
    /// 交办: a due date and a completion report (办结报告).
    Assign { due_on: NaiveDate },
    /// 涉法涉诉: to the 政法 department (Art. 22, 28).
    ReferLegal,
    /// 检举控告: to the discipline body (Art. 22, 30).
    ReferDiscipline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 信访处理意见书 (Art. 31(6), 32).
    DecisionLetter,
    /// A written reply: to a suggestion (Art. 29), an accusation's result
    /// feedback, or an Art. 31(5) answer.
    Reply,
    /// 复查意见书 (Art. 35).
    ReviewOpinion,
    /// 复核意见书 (Art. 36).
    FinalReviewOpinion,
}

impl DocumentKind {
    /// The document's name as the petitioner reads it.
    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::DecisionLetter => "信访处理意见书",
            DocumentKind::Reply => "答复意见书",
            DocumentKind::ReviewOpinion => "复查意见书",
            DocumentKind::FinalReviewOpinion => "复核意见书",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub kind: DocumentKind,
    pub outcome: Option<String>,
    pub issued_on: NaiveDate,
    pub delivered_on: Option<NaiveDate>,
    pub evaluated: bool,
}

/// Everything the procedure needs to know about one petition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub state: State,
    pub category: Category,
    pub litigation_related: bool,
    pub jurisdiction: String,
    /// Where the petition was first registered.
    pub registered_unit: UnitId,
    /// The unit that must act next.
    pub current_unit: UnitId,
    /// The unit that forwarded or assigned it (decides objections).
    pub routed_by: Option<UnitId>,
    pub routing: Option<Routing>,
    /// The unit competent to handle it, once known.
    pub handling_unit: Option<UnitId>,
    /// Art. 31 route (1)–(6) for claims.
    pub claim_route: Option<u8>,
    pub extended: bool,
    pub review_unit: Option<UnitId>,
    pub final_review_unit: Option<UnitId>,
    pub negotiation_units: Vec<UnitId>,
    pub document: Option<Document>,
    pub supervised: bool,
    pub urgent_reported: bool,
    /// Closed after 复核: the same facts and reasons are never accepted again.
    pub terminated: bool,
    pub received_on: NaiveDate,
    pub deadlines: Vec<Deadline>,
    /// For an accusation: the accused unit, whose chain never sees it.
    #[serde(default)]
    pub accused_unit: Option<UnitId>,
    /// Units the discipline body has named to see the sealed material.
    #[serde(default)]
    pub disclosed_to: Vec<UnitId>,
    /// The discipline body (or the receiving bureau) found the accused unit
    /// cannot be determined: the usual sealing applies from then on.
    #[serde(default)]
    pub accused_unknown: bool,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Not the first time this petitioner raised the same matter.
    #[serde(default)]
    pub repeat: bool,
    /// Staff's finding on `repeat` (初件 / 重件), when one was recorded;
    /// absent from the stored case until then, so older records keep
    /// their digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_verdict: Option<crate::petition::RepeatVerdict>,
    /// The accuser gave a real name (the discipline body owes notices, §3.3).
    #[serde(default)]
    pub real_name: bool,
    /// 受理 date (regulation.md §2.5 item 1): T6 counts from here.
    #[serde(default)]
    pub accepted_on: Option<NaiveDate>,
    /// Ground of a 不予受理 / 不再受理.
    #[serde(default)]
    pub decline_ground: Option<DeclineGround>,
    /// Handled under the simplified procedure (10 working days).
    #[serde(default)]
    pub simplified: bool,
    /// The handling unit was named under Art. 24 (by agreement or by the
    /// common superior): it may not object again.
    #[serde(default)]
    pub competence_decided: bool,
    /// Units an Art. 25 report reached (they may open the petition).
    #[serde(default)]
    pub reported_to: Vec<UnitId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffActor {
    pub user_id: i64,
    pub unit_id: UnitId,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff(StaffActor),
    /// The petitioner, authenticated by number and query code.
    Petitioner,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Command {
    Forward {
        unit: String,
        #[serde(default)]
        note: String,
    },
    Assign {
        unit: String,
        due_on: NaiveDate,
        #[serde(default)]
        instructions: String,
    },
    ReferLegal {
        unit: String,
        #[serde(default)]
        note: String,
    },
    ReferDiscipline {
        unit: String,
        #[serde(default)]
        note: String,
    },
    StartNegotiation {
        units: Vec<String>,
        #[serde(default)]
        note: String,
    },
    SettleNegotiation {
        unit: String,
        #[serde(default)]
        note: String,
    },
    EscalateDispute {
        #[serde(default)]
        note: String,
    },
    DecideCompetence {
        unit: String,
        reason: String,
    },
    ReportUrgent {
        summary: String,
    },
    Classify {
        category: Category,
        litigation_related: bool,
        reason: String,
        /// Designate the accused unit (code) of an accusation.
        #[serde(default)]
        accused_unit: Option<String>,
    },
    /// The discipline body names a unit that may see sealed material (Art. 30).
    Disclose {
        unit: String,
        reason: String,
    },
    Accept {
        #[serde(default)]
        route: Option<u8>,
        #[serde(default)]
        simplified: bool,
        #[serde(default)]
        note: String,
    },
    Decline {
        ground: DeclineGround,
        reason: String,
        proper_channel: String,
    },
    /// The routing bureau corrects a 不予受理 (纠正, Art. 40).
    ReverseDecline {
        reason: String,
    },
    /// Name the accused unit of an accusation, or find it unknowable (Art. 30).
    DesignateAccused {
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        unknown: bool,
        reason: String,
    },
    /// Accept again a matter refused under Art. 36 on a stated new fact
    /// (the unit head decides).
    Reaccept {
        new_facts: String,
    },
    /// The discipline body's disposition of an accusation; the result
    /// feedback to a real-name accuser is then due (§3.3).
    Dispose {
        disposition: Disposition,
        summary: String,
    },
    Object {
        reasons: String,
    },
    ApproveObjection {
        #[serde(default)]
        note: String,
    },
    RejectObjection {
        reason: String,
    },
    Investigate {
        note: String,
    },
    HoldHearing {
        held_from: NaiveDate,
        held_to: NaiveDate,
        summary: String,
    },
    Mediate {
        agreement: AgreementKind,
        summary: String,
        parties_consented: bool,
    },
    Extend {
        days: u32,
        reason: String,
    },
    Conclude {
        outcome: Outcome,
        request: String,
        facts_and_reasons: String,
        decision: String,
        legal_basis: String,
    },
    Reply {
        text: String,
        #[serde(default)]
        adoption: Option<Adoption>,
    },
    Redirect {
        procedure: String,
        guidance: String,
    },
    Deliver {
        method: DeliveryMethod,
        delivered_on: NaiveDate,
        #[serde(default = "yes")]
        signed: bool,
    },
    RequestReview {
        /// The reviewing unit the petitioner chose (Art. 35: the handling
        /// unit's government or its line superior); the default otherwise.
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        reason: String,
        #[serde(default)]
        good_reason: Option<String>,
    },
    DecideReview {
        outcome: ReviewOutcome,
        opinion: String,
        facts_and_reasons: String,
        legal_basis: String,
    },
    RequestFinalReview {
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        reason: String,
        #[serde(default)]
        good_reason: Option<String>,
    },
    DecideFinalReview {
        outcome: ReviewOutcome,
        opinion: String,
        facts_and_reasons: String,
        legal_basis: String,
    },
    Close {
        #[serde(default)]
        note: String,
    },
    Supervise {
        reason: String,
        #[serde(default)]
        suggestions: String,
        /// The letter it issues (督办函 unless said otherwise).
        #[serde(default)]
        letter: Option<SupervisionLetter>,
    },
    Evaluate {
        rating: Rating,
        #[serde(default)]
        reason: String,
    },
    /// Correct the matter's place (问题属地) before it is routed: a place
    /// chosen wrongly would otherwise keep it from the competent unit
    /// (Art. 5(3), 22). The code's existence is checked at the edge.
    CorrectPlace {
        jurisdiction: String,
        reason: String,
    },
    /// Correct the matter's topic (内容分类) while it is still being
    /// routed or handled: statistics, hot spots and the triage model learn
    /// from it (issue 13), so a wrong one is put right rather than kept.
    /// The code's existence, and that it changes, are checked at the edge
    /// (the topic list lives in the database, the topic on the record).
    CorrectTopic {
        topic: String,
        reason: String,
    },
    /// A new query code for a petitioner who lost theirs, after staff
    /// checked who asks (Art. 21: the petitioner follows the matter
    /// online). The code itself is made and stored at the edge; the old
    /// one stops working.
    ReissueQueryCode {
        reason: String,
    },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    /// 调解协议书.
    Mediation,
    /// 和解协议书.
    Settlement,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Forward { .. } => "forward",
            Command::Assign { .. } => "assign",
            Command::ReferLegal { .. } => "refer_legal",
            Command::ReferDiscipline { .. } => "refer_discipline",
            Command::StartNegotiation { .. } => "start_negotiation",
            Command::SettleNegotiation { .. } => "settle_negotiation",
            Command::EscalateDispute { .. } => "escalate_dispute",
            Command::DecideCompetence { .. } => "decide_competence",
            Command::ReportUrgent { .. } => "report_urgent",
            Command::Classify { .. } => "classify",
            Command::Disclose { .. } => "disclose",
            Command::Accept { .. } => "accept",
            Command::Decline { .. } => "decline",
            Command::ReverseDecline { .. } => "reverse_decline",
            Command::DesignateAccused { .. } => "designate_accused",
            Command::Reaccept { .. } => "reaccept",
            Command::Dispose { .. } => "dispose",
            Command::Object { .. } => "object",
            Command::ApproveObjection { .. } => "approve_objection",
            Command::RejectObjection { .. } => "reject_objection",
            Command::Investigate { .. } => "investigate",
            Command::HoldHearing { .. } => "hold_hearing",
            Command::Mediate { .. } => "mediate",
            Command::Extend { .. } => "extend",
            Command::Conclude { .. } => "conclude",
            Command::Reply { .. } => "reply",
            Command::Redirect { .. } => "redirect",
            Command::Deliver { .. } => "deliver",
            Command::RequestReview { .. } => "request_review",
            Command::DecideReview { .. } => "decide_review",
            Command::RequestFinalReview { .. } => "request_final_review",
            Command::DecideFinalReview { .. } => "decide_final_review",
            Command::Close { .. } => "close",
            Command::Supervise { .. } => "supervise",
            Command::Evaluate { .. } => "evaluate",
            Command::ReissueQueryCode { .. } => "reissue_query_code",
            Command::CorrectPlace { .. } => "correct_place",
            Command::CorrectTopic { .. } => "correct_topic",
        }
    }

    /// The provision an action carries out, cited when it is refused.
    pub fn rule(&self) -> Rule {
        actions::spec(self.name()).map(|a| a.article).unwrap_or(Rule::Procedure)
    }

    /// The reason the actor gave, if the action has one (recorded on the event).
    pub fn stated_reason(&self) -> Option<&str> {
        let r = match self {
            Command::DecideCompetence { reason, .. }
            | Command::Classify { reason, .. }
            | Command::Disclose { reason, .. }
            | Command::Decline { reason, .. }
            | Command::RejectObjection { reason }
            | Command::Extend { reason, .. }
            | Command::Supervise { reason, .. }
            | Command::Evaluate { reason, .. }
            | Command::ReverseDecline { reason }
            | Command::ReissueQueryCode { reason }
            | Command::CorrectPlace { reason, .. }
            | Command::CorrectTopic { reason, .. }
            | Command::DesignateAccused { reason, .. } => reason,
            Command::Object { reasons } => reasons,
            Command::Reaccept { new_facts } => new_facts,
            Command::RequestReview { reason, good_reason, .. } | Command::RequestFinalReview { reason, good_reason, .. } => {
                good_reason.as_ref().filter(|g| !g.trim().is_empty()).unwrap_or(reason)
            }
            _ => return None,
        };
        Some(r.as_str()).filter(|r| !r.trim().is_empty())
    }

    /// Parse an action from its name and JSON body. The body is checked
    /// against the action's description first, so every fault names the
    /// field and the article.
    pub fn from_json(action: &str, body: Value) -> Result<Command, DomainError> {
        Self::from_json_all(action, body).map_err(|mut errs| errs.remove(0))
    }

    /// Like `from_json`, with every fault of the body.
    pub fn from_json_all(action: &str, body: Value) -> Result<Command, Vec<DomainError>> {
        let action = action.replace('-', "_");
        let Some(spec) = actions::spec(&action) else {
            return Err(vec![DomainError::not_found("unknown_action", format!("没有名为“{action}”的办理操作"))]);
        };
        let mut obj = match body {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            _ => return Err(vec![DomainError::invalid(spec.article, "invalid_body", "请求体须为JSON对象")]),
        };
        spec.check_body(&obj)?;
        obj.insert("action".into(), Value::String(action));
        serde_json::from_value(Value::Object(obj))
            .map_err(|e| vec![DomainError::invalid(spec.article, "invalid_body", format!("“{}”的请求内容不符合要求：{e}", spec.label))])
    }
}

/// What the procedure reads besides the case: the day the act took effect,
/// the real time, the calendar, the unit tree and the counting policy.
pub struct Ctx<'a> {
    /// The local date the act took effect (may be back-dated for paper acts).
    pub on: NaiveDate,
    pub now: DateTime<Utc>,
    pub calendar: &'a HolidayCalendar,
    pub tree: &'a UnitTree,
    /// Counting policy for the duties of units (T1–T3, T6, T8, T10).
    pub policy: CountingPolicy,
    /// Counting policy for the petitioner's windows (T7, T9). By default
    /// these do not roll past rest days: online filing is open every day,
    /// and a late request with good reason has its own override.
    pub window_policy: CountingPolicy,
}

/// The result of a permitted action.
#[derive(Debug, Clone)]
pub struct Transition {
    pub case: Case,
    pub action: &'static str,
    /// What the event records (the command's fields plus derived facts).
    pub payload: Value,
    /// A notice to the petitioner, in Chinese, if the act owes one.
    pub notice: Option<String>,
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

/// The case for a freshly registered petition at `unit`: a petition bureau
/// owes routing within 15 days (T1, Art. 22); any other unit owes a written
/// notice within 15 days (T2, Art. 23).
pub fn register(reg: &Registration, unit: &Unit, ctx: &Ctx) -> Case {
    let timer = if unit.kind == UnitKind::PetitionBureau { TimerKind::T1 } else { TimerKind::T2 };
    let received = reg.received_on;
    Case {
        state: State::Registered,
        category: reg.category,
        litigation_related: reg.litigation_related,
        jurisdiction: reg.jurisdiction.clone(),
        registered_unit: unit.id,
        current_unit: unit.id,
        routed_by: None,
        routing: None,
        handling_unit: (unit.kind != UnitKind::PetitionBureau).then_some(unit.id),
        claim_route: None,
        extended: false,
        review_unit: None,
        final_review_unit: None,
        negotiation_units: Vec::new(),
        document: None,
        supervised: false,
        urgent_reported: false,
        terminated: false,
        received_on: received,
        deadlines: vec![Deadline::start(timer, received, 15, DayUnit::Calendar, ctx.policy, ctx.calendar)],
        accused_unit: reg.accused.as_ref().and_then(|a| a.unit_code.as_deref()).and_then(|c| ctx.tree.by_code(c)).map(|u| u.id),
        disclosed_to: Vec::new(),
        accused_unknown: false,
        channel: Some(reg.channel),
        repeat: false,
        repeat_verdict: None,
        real_name: !reg.anonymous,
        accepted_on: None,
        decline_ground: None,
        simplified: false,
        competence_decided: false,
        reported_to: Vec::new(),
    }
}

/// A route (6) claim registered at unit 3 and being handled at `unit`: the
/// fixture the timer and report tests start from.
#[cfg(test)]
pub(crate) fn handling_case(unit: UnitId, received_on: NaiveDate, deadlines: Vec<Deadline>) -> Case {
    Case {
        state: State::Handling,
        category: Category::Claim,
        litigation_related: false,
        jurisdiction: "440304".into(),
        registered_unit: 3,
        current_unit: unit,
        routed_by: Some(3),
        routing: None,
        handling_unit: Some(unit),
        claim_route: Some(6),
        extended: false,
        review_unit: None,
        final_review_unit: None,
        negotiation_units: Vec::new(),
        document: None,
        supervised: false,
        urgent_reported: false,
        terminated: false,
        received_on,
        deadlines,
        accused_unit: None,
        disclosed_to: Vec::new(),
        reported_to: Vec::new(),
        accused_unknown: false,
        channel: None,
        repeat: false,
        repeat_verdict: None,
        real_name: true,
        accepted_on: None,
        decline_ground: None,
        simplified: false,
        competence_decided: false,
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

impl Case {
    fn open_timer(&mut self, kind: TimerKind) -> Option<&mut Deadline> {
        self.deadlines.iter_mut().rev().find(|d| d.kind == kind && d.is_open())
    }

    /// The latest timer of a kind, open or not.
    pub fn timer(&self, kind: TimerKind) -> Option<&Deadline> {
        self.deadlines.iter().rev().find(|d| d.kind == kind)
    }

    /// The earliest open deadline that is a unit's duty (not a window the
    /// petitioner or a unit may use): what "overdue" and the inbox order use.
    pub fn next_duty_due(&self) -> Option<NaiveDate> {
        self.next_duty_deadline().map(|d| d.due_on)
    }

    /// The timer behind `next_duty_due`.
    pub fn next_duty_deadline(&self) -> Option<&Deadline> {
        self.deadlines.iter().filter(|d| d.is_open() && !d.kind.is_petitioner_window()).min_by_key(|d| d.due_on)
    }

    fn meet(&mut self, kind: TimerKind, at: DateTime<Utc>) {
        for d in self.deadlines.iter_mut().filter(|d| d.kind == kind && d.is_open()) {
            d.met_at = Some(at);
        }
    }

    fn start(&mut self, d: Deadline) {
        self.deadlines.push(d);
    }
}

fn unit_name(tree: &UnitTree, id: UnitId) -> String {
    tree.get(id).map(|u| u.name.clone()).unwrap_or_else(|| format!("单位{id}"))
}

fn role_names(roles: &[Role]) -> String {
    roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、")
}

fn staff(actor: &Actor) -> Result<StaffActor, DomainError> {
    match actor {
        Actor::Staff(s) => Ok(*s),
        Actor::Petitioner => Err(DomainError::forbidden(Rule::Access, "staff_only", "该操作只能由工作人员办理")),
    }
}

/// The actor must act for `unit` with one of `roles`.
fn require(actor: &Actor, unit: UnitId, roles: &[Role], what: &str, tree: &UnitTree) -> Result<StaffActor, DomainError> {
    let s = staff(actor)?;
    if !tree.acts_for(s.unit_id, unit) || !roles.contains(&s.role) {
        return Err(DomainError::forbidden(
            Rule::Access,
            "not_permitted",
            format!("只有{}的{}可以{}", unit_name(tree, unit), role_names(roles), what),
        ));
    }
    Ok(s)
}

/// The total hearing time one 复核 may exclude from its limit. Art. 36 sets
/// none; without one, hearings could stretch the limit at will. 60 days is
/// two hearings of the 30 days one may last (a project decision, see
/// docs/architecture.md).
pub const MAX_HEARING_PAUSE_DAYS: u32 = 60;

/// Where a topic (内容分类) may still be corrected: while the matter is
/// being routed or handled, before an answer is written under it.
pub const TOPIC_CORRECTABLE: &[State] = &[State::Registered, State::Negotiating, State::Forwarded, State::Handling];

/// A refusal that the web layer turns into a request for the unit head's
/// approval (four eyes): the act is otherwise lawful now.
pub const NEEDS_APPROVAL: &str = "needs_approval";

fn needs_head(rule: Rule, unit: UnitId, what: &str, tree: &UnitTree) -> DomainError {
    DomainError::forbidden(rule, NEEDS_APPROVAL, format!("{what}须经{}负责人在本人账号中批准", unit_name(tree, unit)))
}

/// The unit head (or, for a government, its office's head) acting for `unit`.
fn is_head_of(actor: &Actor, unit: UnitId, tree: &UnitTree) -> bool {
    matches!(actor, Actor::Staff(s) if s.role == Role::UnitHead && tree.acts_for(s.unit_id, unit))
}

/// The petition must be in one of `allowed`; otherwise the refusal cites
/// the article of the action attempted.
fn in_state(case: &Case, allowed: &[State], what: &str, rule: Rule) -> Result<(), DomainError> {
    if allowed.contains(&case.state) {
        Ok(())
    } else {
        Err(DomainError::conflict(rule, "invalid_state", format!("信访事项当前状态为“{}”，不能{}", case.state.label(), what)))
    }
}

fn unit_by_code<'a>(tree: &'a UnitTree, code: &str) -> Result<&'a Unit, DomainError> {
    tree.by_code(code).ok_or_else(|| DomainError::invalid(Rule::Input, "unknown_unit", format!("单位代码“{code}”不存在")))
}

fn text(field: &'static str, label: &str, value: &str) -> Result<(), DomainError> {
    check_text(field, label, value, true)
}

fn opt_text(field: &'static str, label: &str, value: &str) -> Result<(), DomainError> {
    check_text(field, label, value, false)
}

/// Hand the case to `target` (a forward, an assignment or a referral).
/// A petition bureau receiving it owes routing again (T1); any other unit
/// owes notice within 15 days (T3) and may object within 5 working days (T4).
fn route_to(case: &mut Case, from: UnitId, target: &Unit, routing: Routing, ctx: &Ctx) {
    case.routed_by = Some(from);
    case.routing = Some(routing);
    case.current_unit = target.id;
    case.negotiation_units.clear();
    case.competence_decided = false;
    if target.kind == UnitKind::DisciplineBody && case.category == Category::Accusation {
        // 《纪检监察机关处理检举控告工作规则》: pass on or register within 5
        // working days; a real-name accuser hears of acceptance within 15.
        case.start(Deadline::start(TimerKind::D1, ctx.on, 5, DayUnit::Working, ctx.policy, ctx.calendar));
        if case.real_name {
            case.start(Deadline::start(TimerKind::D2, ctx.on, 15, DayUnit::Working, ctx.policy, ctx.calendar));
        }
    }
    if target.kind == UnitKind::PetitionBureau {
        case.state = State::Registered;
        case.handling_unit = None;
        case.start(Deadline::start(TimerKind::T1, ctx.on, 15, DayUnit::Calendar, ctx.policy, ctx.calendar));
    } else {
        case.state = State::Forwarded;
        case.handling_unit = Some(target.id);
        if matches!(routing, Routing::Forward | Routing::Assign { .. }) {
            // Notices for 政法 and discipline matters follow those systems'
            // own rules (Art. 23, last sentence), so no T3/T4 for referrals.
            case.start(Deadline::start(TimerKind::T3, ctx.on, 15, DayUnit::Calendar, ctx.policy, ctx.calendar));
            case.start(Deadline::start(TimerKind::T4, ctx.on, 5, DayUnit::Working, ctx.policy, ctx.calendar));
        }
    }
    // The date an assignment sets holds whoever receives it, a township's
    // office too (it was dropped when the target was a bureau). A matter
    // referred out of the petition procedure (政法, discipline) owes no
    // completion report under it: the referral answers the assignment.
    match routing {
        Routing::Assign { due_on } => case.start(Deadline::fixed(TimerKind::T5, ctx.on, due_on, ctx.calendar)),
        Routing::ReferLegal | Routing::ReferDiscipline => case.meet(TimerKind::T5, ctx.now),
        _ => {}
    }
}

/// The latest day an assignment may set for its report, in calendar days
/// after the assignment: the unit's 15 days to tell the petitioner it
/// accepts (Art. 23), 60 days to conclude (Art. 34) and at most 30 more
/// with its head's approval. A 交办 sets the unit a tighter date, never a
/// looser one: a date past these would read as leave to be late.
pub const ASSIGN_LONGEST_DAYS: i64 = 15 + 60 + 30;

/// Typed text set inside a sentence of a notice: without the full stop
/// (or other closing mark) the writer ended it with, so that "因案情复杂。，"
/// and "理由：……。。" do not reach the petitioner. (A required text is never
/// only such marks: the form refuses an empty one.)
fn clause(typed: &str) -> &str {
    typed.trim().trim_end_matches(['。', '.', '，', ',', '；', ';', '！', '!', '？', '?', '、', ' ', '\u{3000}']).trim_end()
}

/// Art. 30: where an accusation may not go, by whatever act it moves.
fn check_accusation_target(case: &Case, target: &Unit, tree: &UnitTree) -> Result<(), DomainError> {
    // Until the accused unit is named (or found unknowable by the discipline
    // body) an accusation exists for nobody but its receiver and the
    // discipline bodies, since any unit might be the accused: sent to any
    // other unit it would reach a holder that cannot see it — or the accused.
    if crate::access::hidden_until_accused_named(case, target.id, target.kind == UnitKind::DisciplineBody) {
        return Err(DomainError::conflict(
            Rule::Art30,
            "accused_not_designated",
            "检举控告事项在确定被检举单位前只能转交纪检监察机关：请先确定被检举单位（或由纪检监察机关认定无法确定）",
        ));
    }
    if case.category == Category::Accusation
        && let Some(accused) = case.accused_unit
        && tree.in_accused_chain(target.id, accused)
    {
        return Err(DomainError::conflict(
            Rule::Art30,
            "route_to_accused",
            format!("不得将检举控告材料转给被检举单位或其上下级（{}）", target.name),
        ));
    }
    Ok(())
}

/// Art. 22 and 23 limits on where a unit may send an item.
fn check_route_target(case: &Case, from: &Unit, target: &Unit, routing: Routing, tree: &UnitTree) -> Result<(), DomainError> {
    if target.id == from.id {
        return Err(DomainError::invalid(Rule::Art22, "route_to_self", "不能转送或交办给本单位"));
    }
    if target.kind == UnitKind::Community {
        return Err(DomainError::invalid(
            Rule::Art22,
            "route_to_community",
            "村（居）民委员会是基层群众性自治组织，不承办信访事项；请转送或交办乡镇（街道）或有关部门",
        ));
    }
    if matches!(target.kind, UnitKind::JointConference | UnitKind::PartyGovernment) {
        return Err(DomainError::invalid(
            Rule::Art22,
            "route_to_coordinator",
            "联席会议和本级党委政府不直接承办信访事项；争议请走协商或报告程序",
        ));
    }
    check_accusation_target(case, target, tree)?;
    if routing == Routing::ReferLegal && target.kind.is_legal() && !same_level_area(from, target) {
        return Err(DomainError::invalid(
            Rule::Art22,
            "legal_same_level",
            format!("涉法涉诉事项转交同级政法部门（街道、乡镇转交所在区县的）；{}不是{}的同级政法部门", target.name, from.name),
        ));
    }
    match routing {
        Routing::ReferLegal if !target.kind.is_legal() => {
            return Err(DomainError::invalid(Rule::Art22, "not_a_legal_unit", "涉法涉诉事项只能转交政法部门（法院、检察院、公安机关）"));
        }
        Routing::ReferDiscipline if target.kind != UnitKind::DisciplineBody => {
            return Err(DomainError::invalid(Rule::Art22, "not_a_discipline_body", "检举控告事项只能转交纪检监察机关"));
        }
        // A referral says what the matter is (the notice tells the
        // petitioner so): only a 涉法涉诉 matter goes to 政法, only an
        // accusation to the discipline body (Art. 22, 28, 30). A matter
        // wrongly classed is reclassified first.
        Routing::ReferLegal if !case.litigation_related => {
            return Err(DomainError::invalid(
                Rule::Art22,
                "not_litigation_related",
                "只有涉法涉诉事项转交政法部门：本事项未认定为涉法涉诉，如属涉法涉诉请先调整分类",
            ));
        }
        Routing::ReferDiscipline if case.category != Category::Accusation => {
            return Err(DomainError::invalid(
                Rule::Art22,
                "not_an_accusation",
                "只有检举控告类事项转交纪检监察机关：本事项不是检举控告类，如属检举控告请先调整分类",
            ));
        }
        Routing::Forward | Routing::Assign { .. } if case.litigation_related && !target.kind.is_legal() => {
            return Err(DomainError::conflict(
                Rule::Art22,
                "litigation_related_to_legal",
                "涉法涉诉事项应当转交同级政法部门依法处理，不能转送普通承办单位",
            ));
        }
        _ => {}
    }
    if from.kind != UnitKind::PetitionBureau && !tree.is_self_or_ancestor(from.id, target.id) {
        // Art. 23 para 1: a unit other than a bureau forwards only down its
        // own system; for anything else it tells the petitioner where to go.
        return Err(DomainError::invalid(
            Rule::Art23,
            "forward_outside_system",
            "非信访部门只能转送本系统下级单位；不属于本系统的事项应告知信访人向有权处理的机关提出",
        ));
    }
    if matches!(routing, Routing::Forward | Routing::Assign { .. }) {
        check_route_place(&case.jurisdiction, from, target)?;
    }
    if matches!(routing, Routing::Assign { .. }) && !assign_allowed(tree, from, target) {
        return Err(DomainError::invalid(
            Rule::Art22,
            "assign_upward",
            format!("交办是对本级或下级单位的交办，{}不在本单位所辖范围内：报送上级请用转送", target.name),
        ));
    }
    Ok(())
}

/// Art. 22: 交办 orders a unit to report back by a date, so it goes to a
/// unit of the sender's own area or below — never up (a district bureau
/// does not order the city's bureau to report to it; a street office does
/// not order the district's departments). Upward, a matter is forwarded.
pub fn assign_allowed(tree: &UnitTree, from: &Unit, target: &Unit) -> bool {
    // Nor to the government the sender answers to, of its own level (its
    // area's code is the sender's own), or its office standing for it.
    let own_government =
        matches!(target.kind, UnitKind::Government | UnitKind::GovernmentOffice) && target.jurisdiction == from.jurisdiction;
    target.jurisdiction.starts_with(&from.jurisdiction)
        && !own_government
        && from.parent_id != Some(target.id)
        && !tree.is_above(target.id, from.id)
}

/// Art. 24 is for administrative competence; an accusation is never
/// negotiated, settled or escalated to a decider (Art. 30).
fn refuse_negotiated_accusation(case: &Case) -> Result<(), DomainError> {
    if case.category == Category::Accusation {
        return Err(DomainError::conflict(
            Rule::Art30,
            "accusation_not_negotiated",
            "检举控告事项不适用协商受理：请确定被检举单位后转送，或转交纪检监察机关",
        ));
    }
    Ok(())
}

/// The discipline body an accusation found at `unit` goes to: the one of
/// its routing area (a township's: its county's), else the nearest above.
fn area_discipline_body<'a>(tree: &'a UnitTree, unit: &Unit) -> Option<&'a Unit> {
    let mut area = routing_area(unit).to_string();
    loop {
        if let Some(body) = tree.all().find(|u| u.kind == UnitKind::DisciplineBody && u.jurisdiction == area) {
            return Some(body);
        }
        area = crate::report::parent_area(&area)?.to_string();
    }
}

/// Art. 5(3), 22: 属地管理、分级负责. A forward or assignment goes to a
/// unit whose area holds the matter's place (问题属地) or lies within it;
/// a bureau sends it to a unit of its own area (a township office: its
/// county's), or to the petition bureau of the matter's place when the
/// matter belongs elsewhere (转送有关信访部门). A 政法 or discipline
/// referral follows its own rule (same level; cadre management).
fn check_route_place(place: &str, from: &Unit, target: &Unit) -> Result<(), DomainError> {
    let overlaps = |a: &str, b: &str| a.starts_with(b) || b.starts_with(a);
    if !place.is_empty() && !overlaps(place, &target.jurisdiction) {
        return Err(DomainError::invalid(
            Rule::Art22,
            "route_outside_place",
            format!("{}不管辖本事项的问题属地（{place}）：请按属地管理原则，送交问题属地的有权处理单位或信访部门", target.name),
        ));
    }
    // Up the line of bureaus one level at a time (分级负责): a street's
    // office to its district's, not past it to the city's or the province's.
    if from.kind == UnitKind::PetitionBureau && target.kind == UnitKind::PetitionBureau {
        let next_up =
            from.parent_id == Some(target.id) || crate::report::parent_area(&from.jurisdiction) == Some(target.jurisdiction.as_str());
        if from.jurisdiction.starts_with(&target.jurisdiction) && !next_up {
            return Err(DomainError::invalid(
                Rule::Art22,
                "route_skips_level",
                format!("{}不是本单位的上一级信访部门：向上级信访部门报送须逐级进行", target.name),
            ));
        }
        // Another area's bureau: the one whose area holds the place (or
        // above it), not a street office of that area past its bureau.
        if !target.jurisdiction.starts_with(routing_area(from)) && !place.is_empty() && !place.starts_with(&target.jurisdiction) {
            return Err(DomainError::invalid(
                Rule::Art22,
                "route_outside_place",
                format!("{}不管辖本事项的问题属地（{place}）：其他地区的事项转送问题属地的信访部门", target.name),
            ));
        }
    }
    if from.kind == UnitKind::PetitionBureau
        && target.kind != UnitKind::PetitionBureau
        && !target.jurisdiction.starts_with(routing_area(from))
    {
        return Err(DomainError::invalid(
            Rule::Art22,
            "route_outside_area",
            format!(
                "{}不在本级或本辖区下级：信访部门转送、交办本级或下级有权处理的单位；属于其他地区或上级处理的，请转送有关信访部门",
                target.name
            ),
        ));
    }
    Ok(())
}

/// Whether `from` may forward or assign a matter of `place` to `target` as
/// far as place and area go (`check_route_place`): what a unit picker
/// offers for those acts.
pub fn route_place_allowed(place: &str, from: &Unit, target: &Unit) -> bool {
    check_route_place(place, from, target).is_ok()
}

/// The 政法 department "of the same level" (Art. 22): the same area; a
/// township office refers to its county's.
fn same_level_area(from: &Unit, target: &Unit) -> bool {
    target.jurisdiction == routing_area(from)
}

/// The area a unit routes in: its own; a township's, its county's (a
/// township has no departments of its own).
fn routing_area(unit: &Unit) -> &str {
    if unit.jurisdiction.len() > 6 { &unit.jurisdiction[..6] } else { unit.jurisdiction.as_str() }
}

/// The accused unit must not be, be above, or be below a unit that holds
/// the case: it would then hold an accusation against itself (Art. 30).
fn check_accused_not_holding(case: &Case, accused: &Unit, tree: &UnitTree) -> Result<(), DomainError> {
    let holders = [Some(case.current_unit), case.handling_unit].into_iter().flatten();
    if holders.into_iter().any(|h| tree.in_accused_chain(h, accused.id)) {
        return Err(DomainError::conflict(
            Rule::Art30,
            "accused_holds_case",
            "被检举单位或其上下级正在受理或办理本事项：请先转交纪检监察机关或其他无利害关系的单位",
        ));
    }
    Ok(())
}

/// Whether `ground` can apply to this case at all (regulation.md §2.5 item 6).
fn ground_applies(case: &Case, ground: DeclineGround, unit: &Unit) -> Result<(), String> {
    match ground {
        DeclineGround::StatutoryProcedure if case.category != Category::Claim && !case.litigation_related => {
            Err("只有申诉求决类或涉法涉诉事项才可能属于其他法定途径".into())
        }
        DeclineGround::SkippedLevels => {
            let rank = |l: crate::unit::Level| l as i32;
            let matter = match case.jurisdiction.len() {
                0..=2 => 0,
                3..=4 => 1,
                5..=6 => 2,
                _ => 3,
            };
            if case.channel != Some(Channel::Visit) || case.category != Category::Claim {
                Err("越级走访只适用于申诉求决类来访".into())
            } else if matter - rank(unit.level) < 2 {
                Err("本单位是事项发生地的本级或上一级机关，不属于越级走访".into())
            } else {
                Ok(())
            }
        }
        DeclineGround::AlreadyInProcess | DeclineGround::ReviewWindowLapsed | DeclineGround::ConcludedAfterFinalReview if !case.repeat => {
            Err("该信访人此前未提出过同一事项".into())
        }
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The transition function
// ---------------------------------------------------------------------------

/// Carry out `cmd`. Every refusal names the action's article (input faults
/// and order-of-steps faults inside an action included).
pub fn transition(case: &Case, cmd: Command, actor: &Actor, ctx: &Ctx) -> Result<Transition, DomainError> {
    let rule = cmd.rule();
    let t = transition_inner(case, cmd, actor, ctx).map_err(|e| e.under(rule))?;
    Ok(guard_accused_in_notice(t, ctx.tree))
}

/// The petitioner's notices never name a unit in the accused's chain (Art. 30).
fn guard_accused_in_notice(mut t: Transition, tree: &UnitTree) -> Transition {
    if let (Category::Accusation, Some(accused), Some(notice)) = (t.case.category, t.case.accused_unit, t.notice.as_ref()) {
        // Names first: a substring test is cheap, the chain walk is not
        // (it ran for all units of a province on every act).
        let leaks = tree.all().filter(|u| notice.contains(&u.name)).any(|u| tree.in_accused_chain(u.id, accused));
        if leaks {
            t.notice = Some("您反映的检举控告事项正在依规依纪依法办理。".into());
        }
    }
    t
}

fn transition_inner(case: &Case, cmd: Command, actor: &Actor, ctx: &Ctx) -> Result<Transition, DomainError> {
    let tree = ctx.tree;
    let mut next = case.clone();
    let action = cmd.name();
    let rule = cmd.rule();
    let mut notice: Option<String> = None;
    let mut extra = serde_json::Map::new();
    let cur = case.current_unit;

    match &cmd {
        // ----- Routing by a petition bureau (Art. 22) or a unit (Art. 23) --
        Command::Forward { unit, note } | Command::ReferLegal { unit, note } | Command::ReferDiscipline { unit, note } => {
            in_state(case, &[State::Registered], "转送", rule)?;
            require(actor, cur, ROUTERS, "转送信访事项", tree)?;
            opt_text("note", "备注", note)?;
            let from = tree.get(cur).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
            let target = unit_by_code(tree, unit)?;
            let routing = match cmd {
                Command::ReferLegal { .. } => Routing::ReferLegal,
                Command::ReferDiscipline { .. } => Routing::ReferDiscipline,
                _ => Routing::Forward,
            };
            check_route_target(case, from, target, routing, tree)?;
            next.meet(TimerKind::T1, ctx.now);
            next.meet(TimerKind::T2, ctx.now);
            next.meet(TimerKind::D1, ctx.now);
            route_to(&mut next, cur, target, routing, ctx);
            extra.insert("to_unit".into(), json!(target.code));
            extra.insert("to_unit_name".into(), json!(target.name));
            notice = Some(match routing {
                Routing::ReferLegal => format!("您的信访事项属于涉法涉诉事项，已转交{}依法处理。", target.name),
                Routing::ReferDiscipline => format!("您反映的检举控告事项已转交{}依规依纪依法处理。", target.name),
                _ => format!("您的信访事项已转送{}办理。", target.name),
            });
        }
        Command::Assign { unit, due_on, instructions } => {
            in_state(case, &[State::Registered], "交办", rule)?;
            require(actor, cur, ROUTERS, "交办信访事项", tree)?;
            let from = tree.get(cur).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
            if from.kind != UnitKind::PetitionBureau {
                return Err(DomainError::forbidden(Rule::Art22, "assign_by_bureau_only", "交办由党委和政府信访部门作出"));
            }
            opt_text("instructions", "交办要求", instructions)?;
            if *due_on <= ctx.on {
                return Err(DomainError::invalid(Rule::Art22, "assign_due_in_past", "交办须明确晚于交办之日的办结期限"));
            }
            let latest = ctx.on + chrono::Duration::days(ASSIGN_LONGEST_DAYS);
            if *due_on > latest {
                return Err(DomainError::invalid(
                    Rule::Art34,
                    "assign_due_beyond_limits",
                    format!("交办的办结期限不能晚于{latest}：受理告知15日、办理60日、延期30日是法定期限的总和，交办不能延长"),
                ));
            }
            let target = unit_by_code(tree, unit)?;
            let routing = Routing::Assign { due_on: *due_on };
            check_route_target(case, from, target, routing, tree)?;
            next.meet(TimerKind::T1, ctx.now);
            route_to(&mut next, cur, target, routing, ctx);
            extra.insert("to_unit".into(), json!(target.code));
            extra.insert("to_unit_name".into(), json!(target.name));
            notice = Some(format!("您的信访事项已交办{}办理，并要求其按期报送办结报告。", target.name));
        }

        // ----- Several units involved (Art. 24) ---------------------------
        Command::StartNegotiation { units, note } => {
            in_state(case, &[State::Registered], "启动协商受理", rule)?;
            require(actor, cur, ROUTERS, "启动协商受理", tree)?;
            // Art. 24 settles which administrative body is competent; an
            // accusation goes where Art. 30 sends it, and a negotiation would
            // show it to every party, the accused perhaps among them.
            if case.category == Category::Accusation {
                return Err(DomainError::conflict(
                    Rule::Art30,
                    "accusation_not_negotiated",
                    "检举控告事项不适用协商受理：请确定被检举单位后转送，或转交纪检监察机关",
                ));
            }
            opt_text("note", "备注", note)?;
            let from = tree.get(cur).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
            let mut ids = Vec::new();
            for code in units {
                let u = unit_by_code(tree, code)?;
                if u.id == cur || ids.contains(&u.id) {
                    return Err(DomainError::invalid(Rule::Art24, "bad_negotiation_units", "协商单位须为本单位以外的不同单位"));
                }
                // The unit it is settled on is forwarded the matter: the
                // same place rule as a forward (Art. 5(3), 22).
                check_route_place(&case.jurisdiction, from, u)?;
                ids.push(u.id);
            }
            if ids.len() < 2 {
                return Err(DomainError::invalid(Rule::Art24, "negotiation_needs_two", "涉及两个以上单位的事项才需协商受理"));
            }
            next.state = State::Negotiating;
            next.negotiation_units = ids;
            next.routed_by = Some(cur);
        }
        Command::SettleNegotiation { unit, note } => {
            in_state(case, &[State::Negotiating], "确定协商结果", rule)?;
            refuse_negotiated_accusation(case)?;
            require(actor, cur, ROUTERS, "确定协商结果", tree)?;
            opt_text("note", "备注", note)?;
            let target = unit_by_code(tree, unit)?;
            if !case.negotiation_units.contains(&target.id) {
                return Err(DomainError::invalid(Rule::Art24, "not_a_party", "受理单位须为参与协商的单位之一"));
            }
            check_accusation_target(case, target, tree)?;
            if let Some(from) = tree.get(cur) {
                check_route_place(&case.jurisdiction, from, target)?;
            }
            next.meet(TimerKind::T1, ctx.now);
            route_to(&mut next, cur, target, Routing::Forward, ctx);
            next.competence_decided = true;
            extra.insert("to_unit".into(), json!(target.code));
            notice = Some(format!("经协商，您的信访事项由{}受理。", target.name));
        }
        Command::EscalateDispute { note } => {
            in_state(case, &[State::Negotiating], "提请决定受理机关", rule)?;
            refuse_negotiated_accusation(case)?;
            require(actor, cur, ROUTERS, "提请决定受理机关", tree)?;
            opt_text("note", "备注", note)?;
            // The common superior decides; without one, the joint conference.
            let decider = match tree.common_superior(&case.negotiation_units) {
                Some(u) => u,
                None => {
                    let bureau = tree.get(cur).map(|u| u.jurisdiction.clone()).unwrap_or_default();
                    tree.joint_conference_for(&bureau).ok_or_else(|| {
                        DomainError::conflict(Rule::Art24, "no_decider", "协商单位没有共同的上一级机关，本级也未设立信访工作联席会议")
                    })?
                }
            };
            next.state = State::AwaitingCompetenceDecision;
            next.current_unit = decider.id;
            extra.insert("decider".into(), json!(decider.code));
            extra.insert("decider_kind".into(), json!(decider.kind.as_str()));
        }
        Command::DecideCompetence { unit, reason } => {
            in_state(case, &[State::AwaitingCompetenceDecision], "决定受理机关", rule)?;
            require(actor, cur, DECIDERS, "决定受理机关", tree)?;
            text("reason", "理由", reason)?;
            let target = unit_by_code(tree, unit)?;
            if !case.negotiation_units.contains(&target.id) {
                return Err(DomainError::invalid(Rule::Art24, "not_a_party", "受理单位须为涉及的单位之一"));
            }
            check_accusation_target(case, target, tree)?;
            next.meet(TimerKind::T1, ctx.now);
            let router = case.routed_by.unwrap_or(cur);
            route_to(&mut next, router, target, Routing::Forward, ctx);
            next.competence_decided = true;
            extra.insert("to_unit".into(), json!(target.code));
            notice = Some(format!("您的信访事项已确定由{}受理。", target.name));
        }

        // ----- Overlays ----------------------------------------------------
        Command::ReportUrgent { summary } => {
            if case.state.is_terminal() {
                return Err(DomainError::conflict(Rule::Art25, "terminal", "已办结的事项无需报告"));
            }
            let s = staff(actor)?;
            let involved = s.unit_id == cur || s.unit_id == case.registered_unit || Some(s.unit_id) == case.routed_by;
            if !involved || !REPORTERS.contains(&s.role) {
                return Err(DomainError::forbidden(Rule::Art25, "not_permitted", "只有办理该事项的单位可以报告重大紧急信访信息"));
            }
            text("summary", "报告内容", summary)?;
            // Never to the accused unit's chain (Art. 30), whatever the tree says.
            let recipients: Vec<&Unit> = crate::report::urgent_recipients(tree, s.unit_id)
                .into_iter()
                .filter(|id| !case.accused_unit.is_some_and(|a| tree.is_accused_or_above(*id, a)))
                .filter_map(|id| tree.get(id))
                .collect();
            if recipients.is_empty() {
                return Err(DomainError::conflict(
                    Rule::Art25,
                    "no_recipient",
                    "本级党委和政府及上一级信访部门均未设立，无法报送重大紧急信访信息",
                ));
            }
            for u in &recipients {
                if !next.reported_to.contains(&u.id) {
                    next.reported_to.push(u.id);
                }
            }
            next.urgent_reported = true;
            extra
                .insert("recipients".into(), json!(recipients.iter().map(|u| json!({"code": u.code, "name": u.name})).collect::<Vec<_>>()));
        }
        Command::Supervise { reason, suggestions, letter } => {
            if case.state.is_terminal() {
                return Err(DomainError::conflict(Rule::Art40, "terminal", "已办结的事项不能督办"));
            }
            let s = staff(actor)?;
            // A unit above in its line, or the bureau (or, for 挂牌督办, the
            // joint conference) of the matter's area (`supervision::may_supervise`).
            if !SUPERVISORS.contains(&s.role) || !crate::supervision::may_supervise(tree, s.unit_id, cur, &case.jurisdiction) {
                return Err(DomainError::forbidden(Rule::Art40, "not_permitted", "只有上级机关或信访部门的督办人员可以督办"));
            }
            text("reason", "督办事由", reason)?;
            opt_text("suggestions", "改进建议", suggestions)?;
            next.supervised = true;
            extra.insert("supervised_unit".into(), json!(unit_name(tree, cur)));
            extra.insert("letter".into(), json!(letter.unwrap_or(SupervisionLetter::Supervision).as_str()));
        }
        Command::Classify { category, litigation_related, reason, accused_unit } => {
            in_state(case, &[State::Registered, State::Forwarded, State::Negotiating], "调整分类", rule)?;
            require(actor, cur, RECEIVERS, "调整分类", tree)?;
            text("reason", "理由", reason)?;
            // Once an accusation, its category and its accused unit are the
            // discipline body's to change: otherwise reclassifying is a way
            // to hand it to the accused (Art. 30).
            let at_discipline = tree.get(cur).is_some_and(|u| u.kind == UnitKind::DisciplineBody);
            let becomes_accusation = *category == Category::Accusation && case.category != Category::Accusation;
            // Art. 24 settles which administrative body is competent; an
            // accusation goes where Art. 30 sends it (as StartNegotiation
            // refuses one): the negotiation would show it to every party and
            // its decider, the accused perhaps among them.
            if becomes_accusation && case.state == State::Negotiating {
                return Err(DomainError::conflict(
                    Rule::Art30,
                    "accusation_not_negotiated",
                    "协商受理中的事项不能改为检举控告类：检举控告事项不适用协商受理，请确定协商结果后由受理单位依规移送纪检监察机关",
                ));
            }
            // A unit a matter was sent to that finds it is an accusation
            // does not keep it — the accused may be itself or its own staff,
            // and it is not the body to handle accusations — nor is it left
            // holding what it may no longer read: it goes on to the
            // discipline body of the unit's area (Art. 30; Art. 22 sends
            // accusations there whatever the date, so also after the
            // objection window, and from a 政法 unit that has none).
            let sent_here = case.state != State::Registered && tree.get(cur).is_some_and(|u| u.kind != UnitKind::PetitionBureau);
            let hand_on = if becomes_accusation && sent_here && !at_discipline {
                let from = tree.get(cur).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
                Some(area_discipline_body(tree, from).ok_or_else(|| {
                    DomainError::conflict(
                        Rule::Art30,
                        "accusation_goes_back",
                        "本地区没有可移送的纪检监察机关：转送、交办来的事项经审查属于检举控告的，请提出异议退回信访部门，由其转交纪检监察机关",
                    )
                })?)
            } else {
                None
            };
            if case.category == Category::Accusation && (*category != Category::Accusation || accused_unit.is_some()) && !at_discipline {
                return Err(DomainError::forbidden(
                    Rule::Art30,
                    "accusation_sealed",
                    "检举控告类事项的分类和被检举单位只能由纪检监察机关调整：请先转交纪检监察机关，由其在办理中调整",
                ));
            }
            if let Some(code) = accused_unit {
                let target = unit_by_code(tree, code)?;
                check_accused_not_holding(case, target, tree)?;
            }
            extra.insert("from_category".into(), json!(case.category.as_str()));
            extra.insert("from_litigation_related".into(), json!(case.litigation_related));
            next.category = *category;
            next.litigation_related = *litigation_related;
            if let Some(code) = accused_unit {
                next.accused_unit = Some(unit_by_code(tree, code)?.id);
            }
            if let Some(body) = hand_on {
                check_accusation_target(&next, body, tree)?;
                for t in [TimerKind::T2, TimerKind::T3, TimerKind::T4, TimerKind::T5, TimerKind::T6] {
                    next.meet(t, ctx.now);
                }
                route_to(&mut next, cur, body, Routing::ReferDiscipline, ctx);
                next.accepted_on = None;
                next.claim_route = None;
                extra.insert("referred_to".into(), json!(body.code));
                notice = Some(format!("您反映的事项经审查属于检举控告类，已转交{}依规依纪依法处理。", body.name));
            }
        }
        Command::Disclose { unit, reason } => {
            if case.category != Category::Accusation {
                return Err(DomainError::invalid(Rule::Art30, "not_sealed", "只有检举控告类事项的材料需要指定知悉范围"));
            }
            let s = staff(actor)?;
            let handler = case.handling_unit.or(Some(cur)).and_then(|h| tree.get(h));
            let is_discipline = tree.get(s.unit_id).is_some_and(|u| u.kind == UnitKind::DisciplineBody)
                && handler.is_some_and(|h| h.kind == UnitKind::DisciplineBody && tree.is_self_or_ancestor(s.unit_id, h.id));
            if !is_discipline || !HANDLERS.contains(&s.role) {
                return Err(DomainError::forbidden(Rule::Art30, "not_permitted", "只有办理该检举控告的纪检监察机关可以指定知悉范围"));
            }
            text("reason", "理由", reason)?;
            let target = unit_by_code(tree, unit)?;
            if case.accused_unit.is_some_and(|a| tree.in_accused_chain(target.id, a)) {
                return Err(DomainError::conflict(
                    Rule::Art30,
                    "disclose_to_accused",
                    "不得将检举控告材料透露或者转给被检举人所在单位及其上级",
                ));
            }
            if !next.disclosed_to.contains(&target.id) {
                next.disclosed_to.push(target.id);
            }
            extra.insert("unit_name".into(), json!(target.name));
        }

        // ----- The receiving unit answers (Art. 23) -------------------------
        Command::Accept { route, simplified, note } => {
            in_state(case, &[State::Registered, State::Forwarded], "受理", rule)?;
            let from = tree.get(cur).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
            if from.kind == UnitKind::PetitionBureau {
                return Err(DomainError::conflict(
                    Rule::Art22,
                    "bureau_routes",
                    "信访部门对收到的事项应当转送、交办或告知，不作为有权处理机关受理",
                ));
            }
            require(actor, cur, RECEIVERS, "受理信访事项", tree)?;
            opt_text("note", "备注", note)?;
            match (case.category, route) {
                (Category::Claim, Some(r)) if (1..=6).contains(r) => {
                    if case.litigation_related && *r != 1 {
                        return Err(DomainError::invalid(
                            Rule::Art31,
                            "litigation_route",
                            "涉法涉诉事项应按第三十一条第一项导入诉讼等法定程序",
                        ));
                    }
                }
                (Category::Claim, _) => {
                    return Err(DomainError::invalid(
                        Rule::Art31,
                        "route_required",
                        "申诉求决类事项受理时须确定第三十一条规定的办理途径（1至6）",
                    ));
                }
                (_, Some(_)) => {
                    return Err(DomainError::invalid(Rule::Art31, "route_only_for_claims", "只有申诉求决类事项才区分第三十一条的办理途径"));
                }
                (_, None) => {}
            }
            if *simplified {
                // 简易办理: first-time, clear matters only; the opinion is due
                // within 10 working days of acceptance, 复查 stays open.
                if case.repeat {
                    return Err(DomainError::invalid(Rule::Simplified, "simplified_first_only", "简易办理只适用于初次信访事项"));
                }
                if case.litigation_related
                    || case.category == Category::Accusation
                    || (case.category == Category::Claim && *route != Some(6))
                {
                    return Err(DomainError::invalid(
                        Rule::Simplified,
                        "simplified_scope",
                        "简易办理适用于事实清楚、争议不大的申诉求决类事项（第六项）及咨询、建议、感谢类事项",
                    ));
                }
            }
            for t in [TimerKind::T2, TimerKind::T3, TimerKind::T4, TimerKind::D1, TimerKind::D2] {
                next.meet(t, ctx.now);
            }
            next.state = State::Handling;
            next.handling_unit = Some(cur);
            next.claim_route = *route;
            next.accepted_on = Some(ctx.on);
            next.simplified = *simplified;
            if *simplified {
                next.start(Deadline::start(TimerKind::S1, ctx.on, 10, DayUnit::Working, ctx.policy, ctx.calendar));
            } else if *route == Some(6) {
                // Art. 34: 60 days from acceptance.
                next.start(Deadline::start(TimerKind::T6, ctx.on, 60, DayUnit::Calendar, ctx.policy, ctx.calendar));
            }
            // 告知内容: what the unit tells the petitioner with its notice
            // (an appointment, the papers to bring) reaches the petitioner.
            let told = clause(note);
            notice = Some(if told.is_empty() {
                format!("{}已受理您的信访事项，将依照规定的途径和程序办理。", from.name)
            } else {
                format!("{}已受理您的信访事项，将依照规定的途径和程序办理。{told}。", from.name)
            });
        }
        Command::Decline { ground, reason, proper_channel } => {
            in_state(case, &[State::Registered, State::Forwarded], "不予受理", rule)?;
            require(actor, cur, RECEIVERS, "作出不予受理决定", tree)?;
            let unit = tree.get(cur).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
            if unit.kind == UnitKind::PetitionBureau && case.state == State::Registered && !case.repeat {
                // A bureau routes what it receives (Art. 22); refusals at its
                // door are the intake refusals of Art. 19 para 3 and Art. 36.
                if *ground != DeclineGround::SkippedLevels && *ground != DeclineGround::StatutoryProcedure {
                    return Err(DomainError::conflict(Rule::Art22, "bureau_routes", "信访部门对收到的事项应当转送、交办或告知"));
                }
            }
            if case.competence_decided {
                return Err(DomainError::conflict(
                    Rule::Art24,
                    "competence_already_decided",
                    "本单位已依照第二十四条被确定为受理机关，不能不予受理；确有法定情形的，请报请作出决定的机关",
                ));
            }
            if let Err(why) = ground_applies(case, *ground, unit) {
                return Err(DomainError::conflict(
                    Rule::Art23,
                    "ground_not_applicable",
                    format!("不予受理的情形“{}”不适用：{why}。认为不属于本单位职权的，应当自收到之日起5个工作日内提出异议", ground.label()),
                ));
            }
            text("reason", "不予受理理由", reason)?;
            text("proper_channel", "应当提出的途径", proper_channel)?;
            // The refusal is the written notice (T2/T3) and ends the objection
            // window. It is also the unit's answer to an assignment (T5): it is
            // reported to the bureau that assigned it, which may reverse it
            // (Art. 40) — left open, the assignment's date would fall due on
            // a unit that has nothing more it can do. A bureau's routing
            // stays owed unless the bureau refuses itself.
            for t in [TimerKind::T2, TimerKind::T3, TimerKind::T4, TimerKind::T5, TimerKind::D1, TimerKind::D2] {
                next.meet(t, ctx.now);
            }
            if unit.kind == UnitKind::PetitionBureau {
                // The bureau's own refusal answers its routing duty.
                next.meet(TimerKind::T1, ctx.now);
            }
            next.state = if *ground == DeclineGround::ConcludedAfterFinalReview { State::NotReaccepted } else { State::Declined };
            next.decline_ground = Some(*ground);
            extra.insert("ground_label".into(), json!(ground.label()));
            extra.insert("reported_to".into(), json!(case.routed_by.map(|u| unit_name(tree, u))));
            let head = if next.state == State::NotReaccepted { "不再受理" } else { "不予受理" };
            notice = Some(format!(
                "您的信访事项{head}。情形：{}。理由：{}。应当提出的途径：{}。",
                ground.label(),
                clause(reason),
                clause(proper_channel)
            ));
        }
        Command::ReverseDecline { reason } => {
            in_state(case, &[State::Declined], "纠正不予受理", rule)?;
            let s = staff(actor)?;
            let router = case
                .routed_by
                .ok_or_else(|| DomainError::conflict(Rule::Art40, "not_routed", "该事项不是转送或交办的事项，由上级信访部门督办纠正"))?;
            let over = s.unit_id == router || tree.is_above(s.unit_id, router);
            let bureau = tree.get(s.unit_id).is_some_and(|u| u.kind == UnitKind::PetitionBureau);
            if !over || !bureau || !REVERSERS.contains(&s.role) {
                return Err(DomainError::forbidden(
                    Rule::Art40,
                    "not_permitted",
                    "只有转送、交办该事项的信访部门（或其上级信访部门）可以纠正不予受理",
                ));
            }
            text("reason", "纠正理由", reason)?;
            next.state = State::Forwarded;
            next.decline_ground = None;
            // An assignment's result is owed again, by its own date: the
            // latest assignment's, which only the refusal met (a declined
            // petition was never concluded). An earlier assignment's, met when
            // it was moved on, stays met.
            if matches!(case.routing, Some(Routing::Assign { .. }))
                && let Some(d) = next.deadlines.iter_mut().rev().find(|d| d.kind == TimerKind::T5)
            {
                d.met_at = None;
            }
            next.start(Deadline::start(TimerKind::T3, ctx.on, 15, DayUnit::Calendar, ctx.policy, ctx.calendar));
            next.start(Deadline::start(TimerKind::T4, ctx.on, 5, DayUnit::Working, ctx.policy, ctx.calendar));
            notice = Some(format!("经{}纠正，您的信访事项由{}依法受理办理。", unit_name(tree, s.unit_id), unit_name(tree, cur)));
        }
        Command::DesignateAccused { unit, unknown, reason } => {
            if case.category != Category::Accusation {
                return Err(DomainError::invalid(Rule::Art30, "not_accusation", "只有检举控告类事项需要确定被检举单位"));
            }
            if case.state.is_terminal() {
                return Err(DomainError::conflict(Rule::Art30, "terminal", "已办结的事项不能再确定被检举单位"));
            }
            let s = staff(actor)?;
            let at_discipline = tree.get(s.unit_id).is_some_and(|u| u.kind == UnitKind::DisciplineBody);
            if !(s.unit_id == case.registered_unit || s.unit_id == cur || at_discipline)
                || !actions::spec("designate_accused").is_some_and(|a| matches!(a.taker, actions::Taker::Staff(r) if r.contains(&s.role)))
            {
                return Err(DomainError::forbidden(Rule::Art30, "not_permitted", "只有受理的信访部门或纪检监察机关可以确定被检举单位"));
            }
            text("reason", "理由", reason)?;
            if (case.accused_unit.is_some() || case.accused_unknown) && !at_discipline {
                return Err(DomainError::forbidden(
                    Rule::Art30,
                    "accused_already_designated",
                    "被检举单位已经确定，只能由纪检监察机关变更",
                ));
            }
            match (unit.as_deref().map(str::trim).filter(|c| !c.is_empty()), unknown) {
                (Some(code), false) => {
                    let target = unit_by_code(tree, code)?;
                    let discipline = tree.get(s.unit_id).filter(|_| at_discipline);
                    match (check_accused_not_holding(case, target, tree), discipline) {
                        (Ok(()), _) => {}
                        // Art. 30: the accusation already reached the accused's
                        // chain (its name was not recognised when it was sent).
                        // The discipline body naming the accused takes it back
                        // and handles it itself: otherwise nobody could move it.
                        (Err(_), Some(body))
                            if matches!(case.state, State::Forwarded | State::Objected | State::Handling | State::Registered)
                                && !tree.in_accused_chain(body.id, target.id) =>
                        {
                            for t in [TimerKind::T2, TimerKind::T3, TimerKind::T4, TimerKind::T5, TimerKind::T6] {
                                next.meet(t, ctx.now);
                            }
                            // The unit the case is taken from is no router of it,
                            // nor is a unit of the accused's chain that sent it
                            // down: then the discipline body itself answers for it.
                            let router = [case.routed_by, Some(case.registered_unit)]
                                .into_iter()
                                .flatten()
                                .find(|u| !tree.in_accused_chain(*u, target.id))
                                .unwrap_or(body.id);
                            let holder = case.handling_unit.unwrap_or(cur);
                            route_to(&mut next, cur, body, Routing::ReferDiscipline, ctx);
                            next.routed_by = Some(router);
                            next.accepted_on = None;
                            next.claim_route = None;
                            next.extended = false;
                            extra.insert("withdrawn_from".into(), json!(unit_name(tree, holder)));
                            extra.insert("to_unit".into(), json!(body.code));
                            notice = Some(format!("您反映的检举控告事项已转由{}依规依纪依法处理。", body.name));
                        }
                        (Err(e), _) => return Err(e),
                    }
                    next.accused_unit = Some(target.id);
                    next.accused_unknown = false;
                    extra.insert("unit_name".into(), json!(target.name));
                }
                (None, true) if at_discipline => {
                    next.accused_unit = None;
                    next.accused_unknown = true;
                }
                (None, true) => {
                    return Err(DomainError::forbidden(Rule::Art30, "unknown_by_discipline", "被检举单位无法确定的，由纪检监察机关认定"));
                }
                _ => {
                    return Err(DomainError::invalid(
                        Rule::Input,
                        "unit_or_unknown",
                        "请填写被检举单位，或由纪检监察机关认定无法确定（二者选一）",
                    )
                    .at("unit"));
                }
            }
        }
        Command::Reaccept { new_facts } => {
            in_state(case, &[State::NotReaccepted, State::Declined], "重新受理", rule)?;
            if case.state == State::Declined && (case.decline_ground != Some(DeclineGround::AlreadyInProcess) || case.routed_by.is_some()) {
                return Err(DomainError::conflict(
                    Rule::Art36,
                    "not_an_intake_refusal",
                    "只有在登记时因同一事项不予受理、不再受理的，才可以依新的事实和理由重新受理",
                ));
            }
            require(actor, case.registered_unit, RECEIVERS, "重新受理", tree)?;
            text("new_facts", "新的事实和理由", new_facts)?;
            if !is_head_of(actor, case.registered_unit, tree) {
                return Err(needs_head(Rule::Art36, case.registered_unit, "以新的事实和理由重新受理", tree));
            }
            let unit = tree.get(case.registered_unit).ok_or_else(|| DomainError::not_found("unknown_unit", "单位不存在"))?;
            next.state = State::Registered;
            next.current_unit = unit.id;
            next.decline_ground = None;
            next.terminated = false;
            let timer = if unit.kind == UnitKind::PetitionBureau { TimerKind::T1 } else { TimerKind::T2 };
            next.start(Deadline::start(timer, ctx.on, 15, DayUnit::Calendar, ctx.policy, ctx.calendar));
            notice = Some(format!("{}认定您提出了新的事实和理由，已重新受理，将自即日起15日内依法处理并书面告知。", unit.name));
        }
        Command::Dispose { disposition, summary } => {
            in_state(case, &[State::Handling], "作出处置决定", rule)?;
            require(actor, cur, HANDLERS, "作出处置决定", tree)?;
            if !tree.get(cur).is_some_and(|u| u.kind == UnitKind::DisciplineBody) || case.category != Category::Accusation {
                return Err(DomainError::conflict(Rule::DisciplineRules, "discipline_only", "处置决定由办理检举控告的纪检监察机关作出"));
            }
            text("summary", "处置情况", summary)?;
            if case.real_name && case.timer(TimerKind::D3).is_none() {
                next.start(Deadline::start(TimerKind::D3, ctx.on, 15, DayUnit::Working, ctx.policy, ctx.calendar));
            }
            extra.insert("disposition_label".into(), json!(disposition.label()));
        }
        Command::Object { reasons } => {
            in_state(case, &[State::Forwarded], "提出异议", rule)?;
            require(actor, cur, RECEIVERS, "提出异议", tree)?;
            text("reasons", "异议理由", reasons)?;
            if case.competence_decided {
                return Err(DomainError::conflict(
                    Rule::Art24,
                    "competence_already_decided",
                    "本单位已依照第二十四条被确定为受理机关，不能再次提出异议",
                ));
            }
            let t4 = case
                .timer(TimerKind::T4)
                .ok_or_else(|| DomainError::conflict(Rule::Art23, "no_objection_window", "该事项不是转送或交办的事项，不能提出异议"))?;
            if ctx.on > t4.due_on {
                return Err(DomainError::conflict(
                    Rule::Art23,
                    "objection_window_expired",
                    format!("异议须自收到之日起5个工作日内提出，期限已于{}届满", t4.due_on),
                ));
            }
            next.meet(TimerKind::T4, ctx.now);
            next.state = State::Objected;
            next.current_unit = case.routed_by.unwrap_or(case.registered_unit);
        }
        Command::ApproveObjection { note } => {
            in_state(case, &[State::Objected], "同意异议", rule)?;
            require(actor, cur, ROUTERS, "审核异议", tree)?;
            opt_text("note", "备注", note)?;
            // Materials come back for re-routing: the bureau owes routing anew.
            next.meet(TimerKind::T3, ctx.now);
            next.meet(TimerKind::T5, ctx.now);
            next.state = State::Registered;
            next.handling_unit = None;
            next.routing = None;
            next.start(Deadline::start(TimerKind::T1, ctx.on, 15, DayUnit::Calendar, ctx.policy, ctx.calendar));
        }
        Command::RejectObjection { reason } => {
            in_state(case, &[State::Objected], "不同意异议", rule)?;
            require(actor, cur, ROUTERS, "审核异议", tree)?;
            text("reason", "理由", reason)?;
            next.state = State::Forwarded;
            next.current_unit = case.handling_unit.unwrap_or(cur);
        }

        // ----- Handling (Art. 29–34) ---------------------------------------
        Command::Investigate { note } => {
            in_state(case, &[State::Handling], "记录调查核实", rule)?;
            require(actor, cur, HANDLERS, "记录调查核实", tree)?;
            text("note", "调查核实情况", note)?;
        }
        Command::HoldHearing { held_from, held_to, summary } => {
            in_state(case, &[State::Handling, State::UnderReview, State::UnderFinalReview], "记录听证", rule)?;
            let roles = if case.state == State::Handling { HANDLERS } else { REVIEWERS };
            require(actor, cur, roles, "组织听证", tree)?;
            text("summary", "听证情况", summary)?;
            // A hearing may be recorded when it is scheduled (with notice to
            // the parties), so future dates are allowed, within reason.
            let span = (*held_to - *held_from).num_days();
            if held_from > held_to || span > 30 || *held_from < case.received_on {
                return Err(DomainError::invalid(
                    Rule::Input,
                    "bad_hearing_dates",
                    "听证起止日期不正确（结束日期不能早于开始日期，听证不超过30日）",
                ));
            }
            if case.state == State::UnderFinalReview {
                // Art. 36: hearing time does not count toward the 复核 limit.
                let t10 =
                    next.open_timer(TimerKind::T10).ok_or_else(|| DomainError::conflict(Rule::Art36, "no_timer", "复核期限不存在"))?;
                if *held_from < t10.started_on {
                    return Err(DomainError::invalid(Rule::Art36, "hearing_before_request", "复核听证不能早于收到复核请求之日"));
                }
                // A pause is recorded before the hearing starts (or on a date
                // the head approved with the record), while the limit still
                // runs, and within a bounded total: otherwise hearings would
                // stretch the 复核 limit at will.
                if *held_from < ctx.on {
                    return Err(DomainError::invalid(
                        Rule::Art36,
                        "hearing_in_past",
                        "已经开始的听证不能再中止复核期限；请在听证开始前登记，或由负责人附听证记录补录",
                    ));
                }
                if ctx.on > t10.due_on {
                    return Err(DomainError::conflict(
                        Rule::Art36,
                        "final_review_overdue",
                        format!("复核期限已于{}届满，不能再以听证中止", t10.due_on),
                    ));
                }
                let paused: u32 = t10.pauses.iter().map(Pause::days).sum();
                let this = Pause { from: *held_from, to: *held_to, reason: PauseReason::Hearing };
                if paused + this.days() > MAX_HEARING_PAUSE_DAYS {
                    return Err(DomainError::invalid(
                        Rule::Art36,
                        "hearing_pause_too_long",
                        format!("复核期间听证中止的时间合计不超过{MAX_HEARING_PAUSE_DAYS}日"),
                    ));
                }
                let pause = Pause { from: *held_from, to: *held_to, reason: PauseReason::Hearing };
                if t10.pauses.iter().any(|p| p.from <= pause.to && pause.from <= p.to) {
                    return Err(DomainError::invalid(Rule::Art36, "overlapping_hearing", "听证期间与已记录的听证重叠"));
                }
                t10.pauses.push(pause);
                t10.recompute(ctx.calendar);
                extra.insert("paused_days".into(), json!(pause.days()));
                extra.insert("new_due_on".into(), json!(t10.due_on));
            }
        }
        Command::Mediate { agreement, summary, parties_consented } => {
            in_state(case, &[State::Handling], "记录调解或和解", rule)?;
            require(actor, cur, HANDLERS, "组织调解", tree)?;
            if case.category != Category::Claim {
                return Err(DomainError::invalid(Rule::Art33, "mediation_for_claims", "调解、和解适用于申诉求决类事项"));
            }
            if !parties_consented {
                return Err(DomainError::invalid(Rule::Art33, "consent_required", "调解须经争议双方当事人同意"));
            }
            text("summary", "协议内容", summary)?;
            let _ = agreement;
        }
        Command::Extend { days, reason } => {
            in_state(case, &[State::Handling], "延期", rule)?;
            require(actor, cur, HANDLERS, "申请延期", tree)?;
            if case.claim_route != Some(6) {
                return Err(DomainError::invalid(
                    Rule::Art34,
                    "extension_only_route6",
                    "只有适用第三十一条第六项的事项才有60日办理期限和延期",
                ));
            }
            if case.extended {
                return Err(DomainError::conflict(Rule::Art34, "extension_already_granted", "办理期限只能延长一次，本事项已经延期"));
            }
            if !(1..=30).contains(days) {
                return Err(DomainError::invalid(Rule::Art34, "extension_too_long", "延长期限不得超过30日"));
            }
            if case.simplified {
                return Err(DomainError::conflict(Rule::Simplified, "simplified_no_extension", "简易办理的事项不适用延期"));
            }
            text("reason", "延期理由", reason)?;
            let t6 = next.open_timer(TimerKind::T6).ok_or_else(|| DomainError::conflict(Rule::Art34, "no_timer", "办理期限不存在"))?;
            if ctx.on > t6.due_on {
                return Err(DomainError::conflict(
                    Rule::Art34,
                    "extension_after_expiry",
                    format!("办理期限已于{}届满，届满后不能再批准延期", t6.due_on),
                ));
            }
            // Art. 34: the head approves, in the head's own session.
            if !is_head_of(actor, cur, tree) {
                return Err(needs_head(Rule::Art34, cur, "延期", tree));
            }
            let approver = staff(actor)?;
            t6.extension_days = *days;
            t6.recompute(ctx.calendar);
            let new_due = t6.due_on;
            next.extended = true;
            extra.insert("approved_by_user".into(), json!(approver.user_id));
            extra.insert("new_due_on".into(), json!(new_due));
            notice =
                Some(format!("因{}，经单位负责人批准，办理期限延长{days}日，至{}。", clause(reason), crate::letters::cn_date(new_due)));
        }
        Command::Conclude { outcome, request, facts_and_reasons, decision, legal_basis } => {
            in_state(case, &[State::Handling], "出具信访处理意见书", rule)?;
            require(actor, cur, HANDLERS, "出具信访处理意见书", tree)?;
            if case.claim_route != Some(6) {
                return Err(DomainError::invalid(
                    Rule::Art31,
                    "decision_letter_route6",
                    "信访处理意见书适用于第三十一条第六项的事项；其他事项请答复或导入法定程序",
                ));
            }
            // Art. 32: request, facts and reasons, decision, legal basis.
            for (f, l, v) in [
                ("request", "信访人的投诉请求", request),
                ("facts_and_reasons", "事实和理由", facts_and_reasons),
                ("decision", "处理意见", decision),
                ("legal_basis", "法律法规依据", legal_basis),
            ] {
                if v.trim().is_empty() {
                    return Err(DomainError::invalid(
                        Rule::Art32,
                        "decision_letter_incomplete",
                        format!("信访处理意见书应当载明{l}（{f}）"),
                    ));
                }
                text(f, l, v)?;
            }
            next.meet(TimerKind::T6, ctx.now);
            next.meet(TimerKind::T5, ctx.now);
            next.meet(TimerKind::S1, ctx.now);
            next.state = State::Concluded;
            next.document = Some(Document {
                kind: DocumentKind::DecisionLetter,
                outcome: Some(outcome.as_str().into()),
                issued_on: ctx.on,
                delivered_on: None,
                evaluated: false,
            });
            if matches!(case.routing, Some(Routing::Assign { .. })) {
                extra.insert("completion_report_to".into(), json!(case.routed_by.map(|u| unit_name(tree, u))));
            }
        }
        Command::Reply { text: body, adoption } => {
            in_state(case, &[State::Handling], "答复", rule)?;
            require(actor, cur, HANDLERS, "答复", tree)?;
            text("text", "答复内容", body)?;
            match case.category {
                Category::Suggestion if adoption.is_none() => {
                    return Err(DomainError::invalid(Rule::Art31, "adoption_required", "建议意见类事项答复时须说明是否采纳"));
                }
                Category::Claim if case.claim_route != Some(5) => {
                    return Err(DomainError::invalid(
                        Rule::Art31,
                        "reply_route",
                        "申诉求决类事项适用第六项的应出具信访处理意见书，适用第一至四项的应导入法定程序",
                    ));
                }
                _ => {}
            }
            next.meet(TimerKind::T5, ctx.now);
            next.meet(TimerKind::S1, ctx.now);
            next.meet(TimerKind::D3, ctx.now);
            next.state = State::Concluded;
            next.document = Some(Document {
                kind: DocumentKind::Reply,
                outcome: adoption.map(|a| a.as_str().into()),
                issued_on: ctx.on,
                delivered_on: None,
                evaluated: false,
            });
        }
        Command::Redirect { procedure, guidance } => {
            in_state(case, &[State::Handling], "导入法定程序", rule)?;
            require(actor, cur, HANDLERS, "导入法定程序", tree)?;
            if !matches!(case.claim_route, Some(1..=4)) {
                return Err(DomainError::invalid(Rule::Art31, "redirect_route", "只有适用第三十一条第一至四项的事项才导入相应法定程序"));
            }
            text("procedure", "法定程序", procedure)?;
            text("guidance", "告知内容", guidance)?;
            next.meet(TimerKind::T5, ctx.now);
            next.state = State::Redirected;
            notice = Some(format!("您的诉求依法应通过{procedure}解决。{guidance}"));
        }
        Command::Deliver { method, delivered_on, signed } => {
            in_state(case, &[State::Concluded, State::ReviewDecided, State::FinalReviewDecided], "送达", rule)?;
            require(actor, cur, DELIVERERS, "送达文书", tree)?;
            let doc = next.document.as_mut().ok_or_else(|| DomainError::conflict(Rule::Procedure, "no_document", "没有待送达的文书"))?;
            if *delivered_on < doc.issued_on || *delivered_on > ctx.on {
                return Err(DomainError::invalid(Rule::Input, "bad_delivery_date", "送达日期不能早于出具日期，也不能晚于今天"));
            }
            doc.delivered_on = Some(*delivered_on);
            // The petitioner's window counts from receipt, but never from
            // before the day the delivery is judged at (the recording date,
            // or an earlier date the unit head approved with the paper
            // receipt): a back-dated 送达 must not eat the 复查/复核 window.
            let window_start = (*delivered_on).max(ctx.on);
            let kind = doc.kind;
            let _ = (method, signed);
            match (case.state, kind) {
                (State::Concluded, DocumentKind::DecisionLetter) => {
                    // Art. 35: 30 days from receipt of the written reply.
                    next.state = State::Replied;
                    next.start(Deadline::start(TimerKind::T7, window_start, 30, DayUnit::Calendar, ctx.window_policy, ctx.calendar));
                    notice = Some("信访处理意见书已送达。如不服，可自收到之日起30日内请求原办理机关的上一级机关复查。".into());
                }
                (State::ReviewDecided, _) => {
                    next.state = State::Reviewed;
                    next.start(Deadline::start(TimerKind::T9, window_start, 30, DayUnit::Calendar, ctx.window_policy, ctx.calendar));
                    notice = Some("复查意见书已送达。如不服，可自收到之日起30日内向复查机关的上一级机关请求复核。".into());
                }
                (State::FinalReviewDecided, _) => {
                    next.state = State::Closed;
                    next.terminated = true;
                    notice = Some("复核意见书已送达。信访人仍以同一事实和理由提出投诉请求的，各级机关不再受理。".into());
                }
                _ => {
                    next.state = State::Closed;
                    notice = Some("答复意见已送达，信访事项办结。".into());
                }
            }
        }

        // ----- 复查 and 复核 (Art. 35–36) -------------------------------------
        Command::RequestReview { unit, reason, good_reason } => {
            in_state(case, &[State::Replied], "申请复查", rule)?;
            opt_text("reason", "复查请求理由", reason)?;
            let handling = case.handling_unit.unwrap_or(cur);
            let superior = choose_reviewer(tree, handling, unit.as_deref(), Rule::Art35, "复查")?;
            window_check(case, TimerKind::T7, Rule::Art35, "复查", good_reason.as_deref(), actor, superior.id, ctx)?;
            next.meet(TimerKind::T7, ctx.now);
            next.state = State::UnderReview;
            next.review_unit = Some(superior.id);
            next.current_unit = superior.id;
            next.start(Deadline::start(TimerKind::T8, ctx.on, 30, DayUnit::Calendar, ctx.policy, ctx.calendar));
            extra.insert("review_unit".into(), json!(superior.code));
            extra.insert("late_override".into(), json!(good_reason.is_some()));
            notice = Some(format!("您的复查请求已由{}收到，将自收到之日起30日内提出复查意见并书面答复。", superior.name));
        }
        Command::DecideReview { outcome, opinion, facts_and_reasons, legal_basis }
        | Command::DecideFinalReview { outcome, opinion, facts_and_reasons, legal_basis } => {
            let final_review = matches!(cmd, Command::DecideFinalReview { .. });
            let (state, label, timer) = if final_review {
                (State::UnderFinalReview, "复核", TimerKind::T10)
            } else {
                (State::UnderReview, "复查", TimerKind::T8)
            };
            in_state(case, &[state], &format!("作出{label}意见"), rule)?;
            require(actor, cur, REVIEWERS, &format!("作出{label}意见"), tree)?;
            text("opinion", &format!("{label}意见"), opinion)?;
            text("facts_and_reasons", "事实和理由", facts_and_reasons)?;
            text("legal_basis", "依据", legal_basis)?;
            next.meet(timer, ctx.now);
            if *outcome == ReviewOutcome::OrderRedo {
                // The original unit handles it again, with a fresh 60 days.
                let handling = case.handling_unit.unwrap_or(cur);
                next.state = State::Handling;
                next.current_unit = handling;
                next.extended = false;
                next.document = None;
                if case.claim_route == Some(6) {
                    next.start(Deadline::start(TimerKind::T6, ctx.on, 60, DayUnit::Calendar, ctx.policy, ctx.calendar));
                }
                notice = Some(format!("{label}意见：责令原办理机关重新办理。"));
            } else {
                next.state = if final_review { State::FinalReviewDecided } else { State::ReviewDecided };
                next.document = Some(Document {
                    kind: if final_review { DocumentKind::FinalReviewOpinion } else { DocumentKind::ReviewOpinion },
                    outcome: Some(outcome.as_str().into()),
                    issued_on: ctx.on,
                    delivered_on: None,
                    evaluated: false,
                });
            }
        }
        Command::RequestFinalReview { unit, reason, good_reason } => {
            in_state(case, &[State::Reviewed], "申请复核", rule)?;
            opt_text("reason", "复核请求理由", reason)?;
            let reviewer = case.review_unit.unwrap_or(cur);
            let superior = choose_reviewer(tree, reviewer, unit.as_deref(), Rule::Art36, "复核")?;
            window_check(case, TimerKind::T9, Rule::Art36, "复核", good_reason.as_deref(), actor, superior.id, ctx)?;
            next.meet(TimerKind::T9, ctx.now);
            next.state = State::UnderFinalReview;
            next.final_review_unit = Some(superior.id);
            next.current_unit = superior.id;
            next.start(Deadline::start(TimerKind::T10, ctx.on, 30, DayUnit::Calendar, ctx.policy, ctx.calendar));
            extra.insert("final_review_unit".into(), json!(superior.code));
            extra.insert("late_override".into(), json!(good_reason.is_some()));
            notice = Some(format!("您的复核请求已由{}收到，将自收到之日起30日内提出复核意见。", superior.name));
        }
        Command::Close { note } => {
            in_state(case, &[State::Replied, State::Reviewed], "办结归档", rule)?;
            require(actor, cur, DELIVERERS, "办结归档", tree)?;
            opt_text("note", "备注", note)?;
            let window = if case.state == State::Replied { TimerKind::T7 } else { TimerKind::T9 };
            let t = case.timer(window).ok_or_else(|| DomainError::conflict(Rule::Procedure, "no_timer", "期限不存在"))?;
            if ctx.on <= t.due_on {
                return Err(DomainError::conflict(
                    Rule::Procedure,
                    "window_still_open",
                    format!(
                        "信访人申请{}的期限至{}届满，届满前不能办结归档",
                        if window == TimerKind::T7 { "复查" } else { "复核" },
                        t.due_on
                    ),
                ));
            }
            next.meet(window, ctx.now);
            next.state = State::Closed;
        }
        Command::Evaluate { rating, reason } => {
            if !matches!(actor, Actor::Petitioner) {
                return Err(DomainError::forbidden(Rule::Access, "petitioner_only", "评价只能由信访人作出"));
            }
            opt_text("reason", "评价理由", reason)?;
            if *rating == Rating::Dissatisfied && reason.trim().is_empty() {
                return Err(DomainError::invalid(Rule::Input, "reason_required", "选择“不满意”时请说明理由"));
            }
            let doc = next
                .document
                .as_mut()
                .filter(|d| d.delivered_on.is_some())
                .ok_or_else(|| DomainError::conflict(Rule::Procedure, "nothing_to_evaluate", "办理意见送达后才能评价"))?;
            if doc.evaluated {
                return Err(DomainError::conflict(Rule::Procedure, "already_evaluated", "您已对本次办理意见作出评价"));
            }
            doc.evaluated = true;
            extra.insert("document".into(), json!(doc.kind));
        }
        Command::CorrectPlace { jurisdiction, reason } => {
            in_state(case, &[State::Registered], "更正问题属地", rule)?;
            require(actor, cur, ROUTERS, "更正问题属地", tree)?;
            // An accusation's place decides which discipline body and
            // bureaus may see it (Art. 30): not moved by whoever holds it.
            if case.category == Category::Accusation {
                return Err(DomainError::conflict(
                    Rule::Art30,
                    "accusation_place",
                    "检举控告事项的问题属地决定知悉范围，不能在登记后更正；请转交纪检监察机关处理",
                ));
            }
            let place = jurisdiction.trim();
            if !crate::petition::valid_division_code(place) {
                return Err(DomainError::invalid(Rule::Input, "invalid_jurisdiction", "问题属地须为有效的行政区划代码").at("jurisdiction"));
            }
            if place == case.jurisdiction {
                return Err(DomainError::invalid(Rule::Art22, "same_place", "更正后的问题属地与原问题属地相同").at("jurisdiction"));
            }
            text("reason", "更正理由", reason)?;
            extra.insert("from_jurisdiction".into(), json!(case.jurisdiction));
            // The event keeps the code as stored (trimmed), not as typed.
            extra.insert("jurisdiction".into(), json!(place));
            next.jurisdiction = place.to_string();
        }
        Command::CorrectTopic { topic, reason } => {
            // Until an answer is written: the record then carries the topic
            // it was answered and counted under.
            in_state(case, TOPIC_CORRECTABLE, "更正内容分类", rule)?;
            require(actor, cur, RECEIVERS, "更正内容分类", tree)?;
            // Back in handling after a 复查 ordered it redone: it was
            // answered (and counted) under its topic already.
            if case.review_unit.is_some() || case.final_review_unit.is_some() {
                return Err(DomainError::conflict(rule, "topic_answered", "该事项已出具处理意见并经复查，内容分类按原分类统计，不能更正"));
            }
            let code = topic.trim();
            if code.is_empty() || code.chars().count() > crate::petition::limits::TOPIC_CODE {
                return Err(DomainError::invalid(Rule::Input, "invalid_topic", "内容分类须为内容分类表中的代码").at("topic"));
            }
            text("reason", "更正理由", reason)?;
            // The event keeps the code as stored (trimmed), not as typed.
            extra.insert("topic".into(), json!(code));
        }
        Command::ReissueQueryCode { reason } => {
            // A petition bureau the petitioner can turn to: the one that
            // registered the matter, or one of its place (where the portal
            // sends a petitioner who lost the code); for an accusation, the
            // bureau or discipline body holding it (others may know no
            // more than that it exists, Art. 30). Never a unit whose own
            // answer the petitioner rates: it could make itself a code and
            // evaluate itself. Any state: a closed matter is still
            // followed, evaluated and taken to 复查. (The web layer also
            // requires the full view: who the petitioner is.)
            let s = staff(actor)?;
            let accusation = case.category == Category::Accusation;
            let is = |id: UnitId, kinds: &[UnitKind]| tree.get(id).is_some_and(|u| kinds.contains(&u.kind));
            let allowed = if accusation {
                is(cur, &[UnitKind::PetitionBureau, UnitKind::DisciplineBody]) && tree.acts_for(s.unit_id, cur)
            } else {
                (is(case.registered_unit, &[UnitKind::PetitionBureau]) && tree.acts_for(s.unit_id, case.registered_unit))
                    || tree
                        .get(s.unit_id)
                        .is_some_and(|u| u.kind == UnitKind::PetitionBureau && case.jurisdiction.starts_with(&u.jurisdiction))
            };
            if !RECEIVERS.contains(&s.role) || !allowed {
                let who = if accusation {
                    "受理该检举控告的信访部门或纪检监察机关"
                } else {
                    "登记该事项或问题属地的信访部门"
                };
                return Err(DomainError::forbidden(
                    Rule::Access,
                    "not_permitted",
                    format!("只有{who}的{}可以补发查询码", role_names(RECEIVERS)),
                ));
            }
            // Nobody to check the asker against: whoever called would take
            // the anonymous petitioner's tracking, evaluation and 复查 over.
            if !case.real_name {
                return Err(DomainError::conflict(
                    Rule::Art21,
                    "anonymous_petition",
                    "匿名信访事项无法核实申请人是否为信访人本人，不能补发查询码；请信访人凭原查询码查询",
                ));
            }
            text("reason", "补发理由（核实身份的方式）", reason)?;
            notice = Some(format!(
                "您的信访事项查询码已于{}由{}补发，原查询码不再有效。如非本人申请，请及时与该单位联系。",
                crate::letters::cn_date(ctx.on),
                unit_name(tree, s.unit_id)
            ));
        }
    }

    let mut payload = serde_json::to_value(&cmd).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut payload {
        m.remove("action");
        m.extend(extra);
    }
    Ok(Transition { case: next, action, payload, notice })
}

/// The actions `actor` may take on `case` now, found by running the real
/// transition with each action's sample input (from the action table): an
/// action is available when it succeeds, fails only on the input itself
/// (what the form will ask for), or needs the unit head's approval (the
/// form then files a request). The rules therefore live in one place.
pub fn available_actions(case: &Case, actor: &Actor, ctx: &Ctx) -> Vec<&'static str> {
    actions::ACTIONS
        .iter()
        .filter(|spec| {
            let mut body = spec.sample_body();
            if let Value::Object(m) = &mut body {
                match spec.name {
                    "classify" => {
                        m.insert("category".into(), json!(case.category));
                        m.insert("litigation_related".into(), json!(case.litigation_related));
                        m.remove("accused_unit");
                    }
                    "accept" => {
                        m.insert("simplified".into(), json!(false));
                        if case.category == Category::Claim {
                            m.insert("route".into(), json!(6));
                        }
                    }
                    "request_review" | "request_final_review" => {
                        m.remove("unit");
                    }
                    "designate_accused" => {
                        m.remove("unknown");
                    }
                    "assign" => {
                        // The latest lawful date: any date between is as open.
                        m.insert("due_on".into(), json!(ctx.on + chrono::Duration::days(ASSIGN_LONGEST_DAYS)));
                    }
                    "hold_hearing" => {
                        let day = json!(ctx.on);
                        m.insert("held_from".into(), day.clone());
                        m.insert("held_to".into(), day);
                    }
                    "decline" => {
                        // Open when some listed ground can apply.
                        let unit = match actor {
                            Actor::Staff(s) => s.unit_id,
                            Actor::Petitioner => case.current_unit,
                        };
                        let ground = DeclineGround::ALL
                            .iter()
                            .copied()
                            .find(|g| tree_unit(ctx.tree, unit).is_some_and(|u| ground_applies(case, *g, u).is_ok()));
                        match ground {
                            Some(g) => m.insert("ground".into(), json!(g)),
                            None => return false,
                        };
                    }
                    _ => {}
                }
            }
            let Ok(cmd) = Command::from_json(spec.name, body) else { return false };
            match transition_inner(case, cmd, actor, ctx) {
                Ok(_) => true,
                Err(e) => (e.kind == crate::error::ErrorKind::Invalid && e.rule == Rule::Input) || e.code == NEEDS_APPROVAL,
            }
        })
        .map(|spec| spec.name)
        .collect()
}

/// The unit whose head must approve `cmd` when the actor cannot carry it
/// out alone, and the day by which the approval is due: an extension
/// before T6 runs out, anything else within 15 days (the notice period of
/// Art. 23).
pub fn approval_route(case: &Case, cmd: &Command, tree: &UnitTree, today: NaiveDate) -> (UnitId, NaiveDate) {
    let fifteen = today.checked_add_days(chrono::Days::new(15)).unwrap_or(today);
    match cmd {
        Command::Extend { .. } => {
            (case.current_unit, case.timer(TimerKind::T6).filter(|t| t.is_open()).map(|t| t.due_on).unwrap_or(fifteen))
        }
        Command::Reaccept { .. } => (case.registered_unit, fifteen),
        Command::RequestReview { unit, .. } => {
            let handling = case.handling_unit.unwrap_or(case.current_unit);
            (choose_reviewer(tree, handling, unit.as_deref(), Rule::Art35, "复查").map(|u| u.id).unwrap_or(case.current_unit), fifteen)
        }
        Command::RequestFinalReview { unit, .. } => {
            let reviewer = case.review_unit.unwrap_or(case.current_unit);
            (choose_reviewer(tree, reviewer, unit.as_deref(), Rule::Art36, "复核").map(|u| u.id).unwrap_or(case.current_unit), fifteen)
        }
        _ => (case.current_unit, fifteen),
    }
}

fn tree_unit(tree: &UnitTree, id: UnitId) -> Option<&Unit> {
    tree.get(id)
}

/// The reviewing unit for a 复查 (or the re-reviewing unit for a 复核) of
/// a decision by `decided_by`: the petitioner's choice among its
/// superiors in either hierarchy (Art. 35, 36), or the default.
fn choose_reviewer<'a>(
    tree: &'a UnitTree,
    decided_by: UnitId,
    chosen: Option<&str>,
    rule: Rule,
    label: &str,
) -> Result<&'a Unit, DomainError> {
    let options = tree.review_options(decided_by);
    match chosen.map(str::trim).filter(|c| !c.is_empty()) {
        None => options.first().copied().ok_or_else(|| {
            DomainError::conflict(rule, "no_superior", format!("{}没有上一级机关，无法{label}", unit_name(tree, decided_by)))
        }),
        Some(code) => options.iter().copied().find(|u| u.code == code).ok_or_else(|| {
            let names = options.iter().map(|u| format!("{}（{}）", u.name, u.code)).collect::<Vec<_>>().join("、");
            DomainError::invalid(
                rule,
                "not_a_reviewing_unit",
                format!("{label}机关应为{}的本级人民政府或上一级主管部门：{names}", unit_name(tree, decided_by)),
            )
            .at("unit")
        }),
    }
}

/// The 30-day windows of Art. 35 and 36. A late request goes through only
/// with a good reason (正当理由) approved by the reviewing unit (regulation.md
/// §2.5 item 2): a reviewer or the head of that unit records it.
#[allow(clippy::too_many_arguments)]
fn window_check(
    case: &Case,
    kind: TimerKind,
    rule: Rule,
    label: &str,
    good_reason: Option<&str>,
    actor: &Actor,
    reviewing_unit: UnitId,
    ctx: &Ctx,
) -> Result<(), DomainError> {
    if let Actor::Staff(s) = actor
        && (!ctx.tree.acts_for(s.unit_id, reviewing_unit) || !WINDOW_RECORDERS.contains(&s.role))
    {
        return Err(DomainError::forbidden(
            Rule::Access,
            "not_permitted",
            format!("{label}请求只能由信访人提出，或由{}登记", unit_name(ctx.tree, reviewing_unit)),
        ));
    }
    let t = case.timer(kind).ok_or_else(|| DomainError::conflict(rule, "no_window", format!("没有可以申请{label}的书面答复")))?;
    if ctx.on <= t.due_on {
        return Ok(());
    }
    let late = format!("申请{label}的期限（自收到书面答复之日起30日）已于{}届满", t.due_on);
    match good_reason.map(str::trim).filter(|r| !r.is_empty()) {
        // Only the head of the reviewing unit finds a good reason, in the
        // head's own session; anyone else's request waits for that approval.
        Some(reason) if is_head_of(actor, reviewing_unit, ctx.tree) => check_text("good_reason", "正当理由", reason, true),
        Some(reason) => {
            check_text("good_reason", "正当理由", reason, true)?;
            Err(DomainError::forbidden(
                rule,
                NEEDS_APPROVAL,
                format!("{late}；逾期请求的正当理由须经{}负责人认定", unit_name(ctx.tree, reviewing_unit)),
            ))
        }
        None => Err(DomainError::conflict(
            rule,
            "window_expired",
            format!("{late}；确有正当理由的，请说明理由，由{}负责人认定后方可受理", unit_name(ctx.tree, reviewing_unit)),
        )),
    }
}

/// Whether a new petition on the same facts and reasons as `earlier` must
/// be refused at `receiving_unit`: the earlier one is closed after 复核
/// (Art. 36: 不再受理), or a unit below the receiving one (in either
/// hierarchy, or in its area) is handling it and is still within its time
/// limit (Art. 19 para 3: 不予受理). An overdue lower unit does not block
/// the petitioner.
pub fn intake_conflict(
    earlier: &Case,
    earlier_number: &str,
    receiving_unit: UnitId,
    tree: &UnitTree,
    today: NaiveDate,
    disclose: bool,
    earlier_due: Option<NaiveDate>,
) -> Option<(DeclineGround, DomainError)> {
    // Whoever may not see the earlier petition learns neither its number nor
    // the unit handling it: a refusal must not be an oracle on other people.
    let which =
        if disclose { format!("该事项（{earlier_number}）") } else { "您以同一事实和理由提出的事项".to_string() };
    if earlier.terminated {
        return Some((
            DeclineGround::ConcludedAfterFinalReview,
            DomainError::conflict(
                Rule::Art36,
                "not_reaccepted",
                format!("{which}已经复核终结，信访人仍以同一事实和理由提出投诉请求的，不再受理"),
            ),
        ));
    }
    if earlier.state.is_terminal() {
        return None;
    }
    let below = [Some(earlier.current_unit), earlier.handling_unit].into_iter().flatten().any(|u| tree.is_above(receiving_unit, u));
    // `earlier_due` is the earliest open duty deadline of the earlier case.
    let within_time = earlier_due.is_none_or(|due| today <= due);
    if below && within_time {
        let lower =
            if disclose { unit_name(tree, earlier.handling_unit.unwrap_or(earlier.current_unit)) } else { "下级机关".to_string() };
        return Some((
            DeclineGround::AlreadyInProcess,
            DomainError::conflict(
                Rule::Art19Para3,
                "in_process_below",
                format!("{which}已由{lower}受理或正在办理且未超过办理期限，在规定期限内向上级机关再次提出的，不予受理"),
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests;
