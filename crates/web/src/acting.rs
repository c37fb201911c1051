//! Carrying out one procedural act, whoever does it: run the pure
//! transition, then write the case, the event, the notice, the visibility
//! index (and an evaluation) in one transaction.

use crate::dto::ActionResponse;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::views::deadline_views;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeSet;
use xinfang_domain::local_date;
use xinfang_domain::procedure::{Actor, Case, Command, Ctx, transition};
use xinfang_domain::unit::{UnitId, UnitTree};
use xinfang_store::{ActorRef, EventDraft, PetitionRecord};

/// Who acts, and when the act took effect.
pub struct Act {
    pub actor: Actor,
    pub actor_ref: ActorRef,
    /// The local day the act took effect (may be back-dated by staff).
    pub on: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    /// Facts about the act itself recorded on its event (a late entry, the
    /// approval it carries out).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Every unit a case has touched, for the visibility index.
pub fn involved_units(case: &Case, tree: &UnitTree) -> Vec<(UnitId, String)> {
    let ids: BTreeSet<UnitId> =
        [Some(case.registered_unit), Some(case.current_unit), case.routed_by, case.handling_unit, case.review_unit, case.final_review_unit]
            .into_iter()
            .flatten()
            .chain(case.negotiation_units.iter().copied())
            .chain(case.disclosed_to.iter().copied())
            .chain(case.reported_to.iter().copied())
            .collect();
    ids.into_iter().filter_map(|id| tree.get(id).map(|u| (id, u.path.clone()))).collect()
}

pub async fn perform(state: &AppState, rec: PetitionRecord, cmd: Command, act: Act) -> ApiResult<ActionResponse> {
    perform_with(state, rec, cmd, act, Vec::new()).await
}

/// `perform`, opening the given supervision cases in the act's transaction
/// (a `supervise` act of the deadline watch or of the supervision API).
pub async fn perform_with(
    state: &AppState,
    rec: PetitionRecord,
    cmd: Command,
    act: Act,
    supervision_cases: Vec<xinfang_store::NewSupervisionCase>,
) -> ApiResult<ActionResponse> {
    let now = Utc::now();
    // Count with the calendar and units as they stand, even if another
    // node changed them.
    state.refresh_units().await?;
    let tree = state.tree();
    state.refresh_calendar().await?;
    let calendar = state.calendar();
    let ctx = Ctx {
        on: act.on,
        now,
        calendar: &calendar,
        tree: &tree,
        policy: state.settings.policy,
        window_policy: state.settings.window_policy,
    };
    let reason = cmd.stated_reason().map(String::from);
    let evaluation = match &cmd {
        Command::Evaluate { rating, reason } => {
            let document = rec.case.document.as_ref().map(|d| serde_json::json!(d.kind)).and_then(|v| v.as_str().map(String::from));
            Some((document.unwrap_or_default(), rating.as_str(), reason.clone()))
        }
        _ => None,
    };
    let issued = cmd.clone();
    let t = transition(&rec.case, cmd, &act.actor, &ctx)?;
    let mut rows = crate::api::urgent::report_rows(&t, &act.actor, &tree, now, state.settings.urgent_ack_hours);
    // Letters and notices are written with the act: committed together or
    // not at all (issue 11).
    if let Actor::Staff(s) = &act.actor {
        rows.letters = crate::documents::act_letters(state, &rec, &issued, &t.case, s.unit_id, act.on);
    }
    let actor_unit = match &act.actor {
        Actor::Staff(s) => Some(s.unit_id),
        _ => None,
    };
    rows.jobs = crate::notices::act_messages(state, &rec, t.action, t.notice.as_deref(), &t.case, actor_unit, act.on).await?;
    rows.supervision_cases = supervision_cases;
    // A reissued query code: made here (the domain is pure), stored as its
    // keyed hash with the event, shown once in the answer.
    let query_code = matches!(issued, Command::ReissueQueryCode { .. }).then(|| {
        let mut random = [0u8; xinfang_domain::number::QUERY_CODE_LEN];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut random);
        xinfang_domain::number::query_code_from(&random)
    });
    rows.query_code_hash = query_code.as_deref().map(|c| crate::intake::query_code_hash(&state.keyring, c));
    // A corrected place must be a division the deployment knows.
    if t.case.jurisdiction != rec.case.jurisdiction {
        if !state.store.jurisdiction_known(&t.case.jurisdiction).await? {
            return Err(crate::error::ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_jurisdiction",
                format!("行政区划代码“{}”不存在", t.case.jurisdiction),
            )
            .at("jurisdiction"));
        }
        rows.jurisdiction = Some(t.case.jurisdiction.clone());
    }
    // A corrected topic must be one the deployment lists, and another
    // than the one on the record; the event says what it was.
    let mut from_topic = None;
    if matches!(issued, Command::CorrectTopic { .. }) {
        let code = t.payload.get("topic").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        let refuse = |code: &'static str, message: String| {
            crate::error::ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, code, message).at("topic")
        };
        if state.store.topic(&code).await?.is_none() {
            return Err(refuse("unknown_topic", format!("内容分类“{code}”不存在")));
        }
        if rec.topic.as_deref() == Some(code.as_str()) {
            return Err(refuse("same_topic", "更正后的内容分类与原内容分类相同".into()));
        }
        from_topic = Some(serde_json::json!(rec.topic));
        rows.topic = Some(code);
    }
    let queued = !rows.letters.is_empty() || !rows.jobs.is_empty();
    let mut payload = t.payload;
    if let serde_json::Value::Object(m) = &mut payload {
        m.extend(act.extra);
        if let Some(from) = from_topic {
            m.insert("from_topic".into(), from);
        }
    }
    let event = EventDraft {
        action: t.action.into(),
        actor: act.actor_ref,
        occurred_at: act.occurred_at,
        from_state: Some(rec.case.state),
        to_state: t.case.state,
        payload,
        reason,
    };
    let involved = involved_units(&t.case, &tree);
    let eval = evaluation.as_ref().map(|(doc, rating, why)| (doc.as_str(), *rating, why.as_str()));
    let accused_path = t.case.accused_unit.and_then(|u| tree.get(u)).map(|u| u.path.clone());
    let seq = state
        .store
        .apply_transition_with(rec.id, rec.version, &t.case, &event, t.notice.as_deref(), &involved, eval, accused_path.as_deref(), &rows)
        .await?;
    crate::observe::act_done(t.action);
    if queued {
        state.services.wake.notify_one();
    }
    Ok(ActionResponse {
        number: rec.number,
        action: t.action.into(),
        state: t.case.state.as_str().into(),
        state_label: t.case.state.label().into(),
        event_seq: seq,
        notice: t.notice,
        deadlines: deadline_views(&t.case.deadlines, local_date(now)),
        query_code,
    })
}

/// What became of an act: carried out, or filed for the unit head's approval.
pub enum Done {
    Acted(ActionResponse),
    Requested(crate::dto::ApprovalRequested),
}

/// Carry out an act, or — when the domain says only the unit head may, and
/// the act is otherwise lawful now — file it as a request in that head's
/// approval queue (four eyes), with its history event.
pub async fn perform_or_request(
    state: &AppState,
    rec: PetitionRecord,
    cmd: Command,
    act: Act,
    requester: Option<&crate::auth::Staff>,
) -> ApiResult<Done> {
    let keep = (cmd.clone(), act.actor_ref.clone(), rec.clone());
    match perform(state, rec, cmd, act).await {
        Err(e) if e.code == xinfang_domain::procedure::NEEDS_APPROVAL => {
            let (cmd, actor_ref, rec) = keep;
            let tree = state.tree();
            let today = local_date(Utc::now());
            let (unit, due_on) = xinfang_domain::procedure::approval_route(&rec.case, &cmd, &tree, today);
            let body = request_body(&cmd);
            let file = crate::dto::ApprovalRequested {
                number: rec.number.clone(),
                action: cmd.name().into(),
                approval_id: 0,
                approver_unit: crate::views::unit_ref_id(&tree, Some(unit)),
                due_on: due_on.to_string(),
                // What happened, not only what the law asks: the request
                // is filed and waits in the head's queue.
                message: format!("{}；已提交审批，待负责人批准", e.message),
            };
            let (id, _) = file_request(state, &rec, cmd.name(), body, unit, due_on, requester, actor_ref, None, &e.message).await?;
            Ok(Done::Requested(crate::dto::ApprovalRequested { approval_id: id, ..file }))
        }
        other => other.map(Done::Acted),
    }
}

fn request_body(cmd: &Command) -> serde_json::Value {
    let mut v = serde_json::to_value(cmd).unwrap_or(serde_json::Value::Null);
    if let serde_json::Value::Object(m) = &mut v {
        m.remove("action");
    }
    v
}

/// Write a request for the head's approval and its history event.
#[allow(clippy::too_many_arguments)]
pub async fn file_request(
    state: &AppState,
    rec: &PetitionRecord,
    action: &str,
    body: serde_json::Value,
    approver_unit: UnitId,
    due_on: NaiveDate,
    requester: Option<&crate::auth::Staff>,
    actor_ref: ActorRef,
    late: Option<(NaiveDate, Option<i64>)>,
    why: &str,
) -> ApiResult<(i64, bool)> {
    let now = Utc::now();
    let event = EventDraft {
        action: "approval_requested".into(),
        actor: actor_ref,
        occurred_at: now,
        from_state: Some(rec.case.state),
        to_state: rec.case.state,
        payload: serde_json::json!({"requested_action": action, "approver_unit": state.tree().get(approver_unit).map(|u| u.code.clone()), "due_on": due_on, "occurred_on": late.map(|l| l.0)}),
        reason: Some(why.to_string()),
    };
    let req = xinfang_store::NewApproval {
        petition_id: rec.id,
        action: action.into(),
        body,
        occurred_on: late.map(|l| l.0),
        evidence_attachment_id: late.and_then(|l| l.1),
        requested_by: requester.map(|s| s.user.id),
        requested_unit_id: requester.map(|s| s.unit.id),
        approver_unit_id: approver_unit,
        due_on,
    };
    Ok(state.store.request_approval_once(&req, &event).await?)
}
