//! The unit head's approval queue (four eyes): extensions, late 复查/复核
//! requests, re-acceptance under Art. 36 and late entries wait here, each
//! with its own deadline, until the head approves or refuses them in the
//! head's own session.

use crate::acting::{Act, perform};
use crate::auth::Staff;
use crate::dto::{ActionResponse, ApprovalDecision, ApprovalView};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use xinfang_domain::access::{View, view};
use xinfang_domain::local_date;
use xinfang_domain::procedure::{Command, actions};
use xinfang_domain::role::Role;
use xinfang_store::{Approval, EventDraft};

pub fn approval_view(a: &Approval, today: NaiveDate) -> ApprovalView {
    ApprovalView {
        id: a.id,
        number: a.number.clone(),
        title: a.title.clone(),
        action: a.action.clone(),
        action_label: actions::label(&a.action).into(),
        body: a.body.clone(),
        occurred_on: a.occurred_on.map(|d| d.to_string()),
        evidence_attachment_id: a.evidence_attachment_id,
        requested_by: a.requested_by.clone(),
        requested_at: a.requested_at.clone(),
        due_on: a.due_on.to_string(),
        overdue: a.status == "pending" && today > a.due_on,
        status: a.status.clone(),
        decided_by: a.decided_by.clone(),
        decided_at: a.decided_at.clone(),
        decision_note: a.decision_note.clone(),
    }
}

/// The request as a unit with view `v` of its petition may read it: none for a petition hidden
/// from that unit (the accused's chain, Art. 30); for a sealed
/// accusation the act and its dates under a neutral title, without the
/// request's fields or the head's note (they may quote the matter).
pub fn approval_seen(a: &Approval, today: NaiveDate, v: View) -> Option<ApprovalView> {
    match v {
        View::Hidden => None,
        View::Sealed => {
            let v = approval_view(a, today);
            Some(ApprovalView {
                title: crate::views::SEALED_TITLE.into(),
                body: json!({}),
                decision_note: v.decision_note.map(crate::views::withheld),
                ..v
            })
        }
        View::IdentityHidden | View::Full => Some(approval_view(a, today)),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApprovalQuery {
    /// Only those still waiting (default true).
    pub pending: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/approvals", tag = "approvals", params(ApprovalQuery), security(("bearer" = [])),
    description = "Requests waiting for the caller's unit head, earliest due first (unit heads only).",
    responses((status = 200, body = [ApprovalView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ApprovalQuery>) -> ApiResult<Json<Vec<ApprovalView>>> {
    staff.require_role(&[Role::UnitHead])?;
    let today = local_date(Utc::now());
    // A government office's head also decides what waits for its government.
    let tree = state.tree();
    let mut units = vec![staff.unit.id];
    if let Some(gov) = tree.territorial_government(staff.unit.id).filter(|g| tree.acts_for(staff.unit.id, g.id)) {
        units.push(gov.id);
    }
    let mut rows = Vec::new();
    for u in units {
        rows.extend(state.store.approvals_for_unit(u, q.pending.unwrap_or(true)).await?);
    }
    rows.sort_by_key(|a| (a.status != "pending", a.due_on, a.id));
    Ok(Json(
        rows.iter().filter_map(|a| approval_seen(a, today, view(&a.case, a.confidential, staff.unit.id, staff.user.role, &tree))).collect(),
    ))
}

/// The request, if the caller heads the unit it waits for.
async fn for_head(state: &AppState, staff: &Staff, id: i64) -> ApiResult<Approval> {
    let a = state.store.approval(id).await?.ok_or_else(|| ApiError::not_found("审批事项"))?;
    let tree = state.tree();
    if staff.user.role != Role::UnitHead
        || !tree.acts_for(staff.unit.id, a.approver_unit_id)
        || view(&a.case, a.confidential, staff.unit.id, staff.user.role, &tree) == View::Hidden
    {
        return Err(ApiError::not_found("审批事项"));
    }
    if a.requested_by.as_deref() == Some(staff.user.username.as_str()) {
        return Err(ApiError::new(StatusCode::CONFLICT, "own_request", "不能审批本人提出的申请：须由另一名负责人审批"));
    }
    if a.status != "pending" {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_decided", format!("该审批事项已处理（{}）", a.status)));
    }
    Ok(a)
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = "approvals", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ApprovalDecision,
    description = "The unit head carries out the requested act in the head's own session. It is judged now: an extension approved after T6 ran out is refused (Art. 34).",
    responses((status = 200, body = ActionResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<ApprovalDecision>,
) -> ApiResult<Json<ActionResponse>> {
    let a = for_head(&state, &staff, id).await?;
    // What the head's unit may do with the view it has now (a request
    // filed while it saw the matter in full, approved after it went on
    // sealed, does not act blind: Art. 21, 30).
    let tree = state.tree();
    if !super::petitions::view_allows(&a.action, view(&a.case, a.confidential, staff.unit.id, staff.user.role, &tree)) {
        return Err(ApiError::forbidden("该信访事项依规对本单位不予显示完整内容，不能批准这项办理（第三十条）"));
    }
    // Taken first: a double click, a second head or a refusal meanwhile
    // finds it taken, and cannot record "lapsed" for an act carried out.
    if !state.store.claim_approval(a.id, staff.user.id).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_decided", "该审批事项已处理"));
    }
    let rec = match state.store.petition_by_number(&a.number).await {
        Ok(Some(r)) => r,
        other => {
            state.store.settle_approval(a.id, "pending", staff.user.id, "").await?;
            return Err(other.map_err(ApiError::from).err().unwrap_or_else(|| ApiError::not_found("信访事项")));
        }
    };
    let cmd = match Command::from_json(&a.action, a.body.clone()) {
        Ok(c) => c,
        Err(e) => {
            state.store.settle_approval(a.id, "lapsed", staff.user.id, &e.message).await?;
            return Err(e.into());
        }
    };
    let now = Utc::now();
    let mut extra = serde_json::Map::new();
    extra.insert("approval_id".into(), json!(a.id));
    extra.insert("requested_by".into(), json!(a.requested_by.clone().unwrap_or_else(|| "信访人".into())));
    let (on, occurred_at) = match a.occurred_on {
        Some(day) => {
            extra.insert(
                "late_entry".into(),
                json!({"occurred_on": day, "approved_by": staff.user.username, "evidence_attachment_id": a.evidence_attachment_id}),
            );
            (day, crate::intake::effective_instant(day, now))
        }
        None => (local_date(now), now),
    };
    let act = Act { actor: staff.actor(), actor_ref: staff.actor_ref(), on, occurred_at, extra };
    match perform(&state, rec, cmd, act).await {
        Ok(r) => {
            state.store.settle_approval(a.id, "approved", staff.user.id, d.note.trim()).await?;
            Ok(Json(r))
        }
        // Someone changed the petition at the same moment: try again later.
        Err(e) if e.code == "concurrent_update" => {
            state.store.settle_approval(a.id, "pending", staff.user.id, "").await?;
            Err(e)
        }
        Err(e) if e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            // The act is no longer lawful (e.g. T6 has run out): the request lapses.
            state.store.settle_approval(a.id, "lapsed", staff.user.id, &e.message).await?;
            Err(e)
        }
        Err(e) => {
            state.store.settle_approval(a.id, "pending", staff.user.id, "").await?;
            Err(e)
        }
    }
}

#[utoipa::path(post, path = "/api/v1/approvals/{id}/refuse", tag = "approvals", security(("bearer" = [])),
    params(("id" = i64, Path)), request_body = ApprovalDecision,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refuse(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(d): ApiJson<ApprovalDecision>,
) -> ApiResult<StatusCode> {
    let a = for_head(&state, &staff, id).await?;
    let note = d.note.trim();
    if note.chars().count() < 2 || note.chars().count() > 2000 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_required", "不予批准须说明理由（2至2000字）"));
    }
    let rec = state.store.petition_by_number(&a.number).await?.ok_or_else(|| ApiError::not_found("信访事项"))?;
    let event = EventDraft {
        action: "approval_refused".into(),
        actor: staff.actor_ref(),
        occurred_at: Utc::now(),
        from_state: Some(rec.case.state),
        to_state: rec.case.state,
        payload: json!({"approval_id": a.id, "requested_action": a.action}),
        reason: Some(note.to_string()),
    };
    if !state.store.decide_approval(a.id, "refused", staff.user.id, note, Some((rec.id, &event))).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_decided", "该审批事项已处理"));
    }
    Ok(StatusCode::NO_CONTENT)
}
