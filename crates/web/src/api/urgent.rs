//! Art. 25 reports that reach someone: the recipients' queue and its
//! acknowledgement. The rows are written with the `report_urgent` event
//! (`report_rows`, called from `acting::perform`).

use crate::auth::Staff;
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{View, view};
use xinfang_domain::procedure::{Actor, Transition};
use xinfang_domain::role::Role;
use xinfang_domain::unit::UnitTree;
use xinfang_store::{ActRows, EventDraft, NewUrgentReport, UrgentFilter, UrgentReportRow, parse_instant};

/// The history action of an acknowledgement (internal: not for the tracking page).
pub const ACKNOWLEDGE_ACTION: &str = "acknowledge_report";

/// The queue rows an act writes: one per recipient of a `report_urgent`,
/// due for acknowledgement `ack_hours` after it was recorded. Nothing for
/// any other act.
pub fn report_rows(t: &Transition, actor: &Actor, tree: &UnitTree, now: DateTime<Utc>, ack_hours: i64) -> ActRows {
    let Actor::Staff(reporter) = actor else { return ActRows::default() };
    if t.action != "report_urgent" {
        return ActRows::default();
    }
    let summary = t.payload["summary"].as_str().unwrap_or_default().to_string();
    let ack_due_at = now + chrono::Duration::hours(ack_hours.clamp(0, 24 * 365));
    let urgent_reports = t.payload["recipients"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["code"].as_str().and_then(|c| tree.by_code(c)))
        .map(|u| NewUrgentReport {
            reporting_unit_id: reporter.unit_id,
            recipient_unit_id: u.id,
            summary: summary.clone(),
            reported_at: now,
            ack_due_at,
        })
        .collect();
    ActRows { urgent_reports, ..ActRows::default() }
}

#[derive(Serialize, ToSchema)]
pub struct UrgentReportView {
    pub id: i64,
    pub number: String,
    /// A sealed accusation shows only 检举控告事项 (Art. 30).
    pub title: String,
    pub reporting_unit: Option<UnitRef>,
    pub summary: String,
    pub reported_at: String,
    /// Acknowledge by then (`urgent_ack_hours` after the report).
    pub ack_due_at: String,
    /// Not acknowledged and past `ack_due_at`.
    pub overdue: bool,
    pub acknowledged_at: Option<String>,
    /// Username of whoever acknowledged it.
    pub acknowledged_by: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UrgentQuery {
    /// Only reports not yet acknowledged.
    pub pending: Option<bool>,
    /// Only reports not acknowledged in time.
    pub overdue: Option<bool>,
}

/// The row as `staff` may see it; `None` when the petition must look as if
/// it did not exist to that unit (the accused's chain).
fn report_view(r: UrgentReportRow, staff: &Staff, tree: &UnitTree, now: DateTime<Utc>) -> Option<UrgentReportView> {
    let v = view(&r.case, r.confidential, staff.unit.id, staff.user.role, tree);
    if v == View::Hidden {
        return None;
    }
    let overdue = r.acknowledged_at.is_none() && parse_instant(&r.ack_due_at).is_ok_and(|due| now > due);
    Some(UrgentReportView {
        id: r.id,
        number: r.number,
        title: crate::views::shown_title(&r.title, v).to_string(),
        reporting_unit: tree.get(r.reporting_unit_id).map(unit_ref),
        // The report's text may carry the accusation itself (Art. 30).
        summary: if v == View::Sealed { "[依规不予显示：检举控告事项，请与报告单位联系]".into() } else { r.summary },
        reported_at: r.reported_at,
        ack_due_at: r.ack_due_at,
        overdue,
        acknowledged_at: r.acknowledged_at,
        acknowledged_by: r.acknowledged_by,
    })
}

#[utoipa::path(get, path = "/api/v1/urgent-reports", tag = "petitions", security(("bearer" = [])), params(UrgentQuery),
    description = "Art. 25 reports addressed to the caller's unit: pending ones first (earliest acknowledgement due first), then acknowledged ones, newest first.",
    responses((status = 200, body = Vec<UrgentReportView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<UrgentQuery>,
) -> ApiResult<Json<Vec<UrgentReportView>>> {
    let now = Utc::now();
    let filter = UrgentFilter {
        recipient_unit_id: staff.unit.id,
        pending: q.pending.unwrap_or(false),
        overdue_at: q.overdue.unwrap_or(false).then_some(now),
        limit: 500,
    };
    let tree = state.tree();
    let rows = state.store.urgent_reports(&filter).await?;
    Ok(Json(rows.into_iter().filter_map(|r| report_view(r, &staff, &tree, now)).collect()))
}

#[utoipa::path(post, path = "/api/v1/urgent-reports/{id}/acknowledge", tag = "petitions", security(("bearer" = [])),
    params(("id" = i64, Path)),
    description = "Acknowledge an Art. 25 report addressed to the caller's unit (once; staff other than admins). Appends an internal `acknowledge_report` event to the petition history.",
    responses((status = 200, body = UrgentReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn acknowledge(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<UrgentReportView>> {
    let nf = || ApiError::not_found("该报告");
    let report = state.store.urgent_report(id).await?.ok_or_else(nf)?;
    let tree = state.tree();
    // Another unit's report must look as if it did not exist.
    if report.recipient_unit_id != staff.unit.id
        || view(&report.case, report.confidential, staff.unit.id, staff.user.role, &tree) == View::Hidden
    {
        return Err(nf());
    }
    staff.require_role(&[Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer, Role::Supervisor, Role::Leader])?;
    let already = || ApiError::new(StatusCode::CONFLICT, "already_acknowledged", "该报告已签收（依据《信访工作条例》第二十五条）");
    if report.acknowledged_at.is_some() {
        return Err(already());
    }
    let now = Utc::now();
    let event = EventDraft {
        action: ACKNOWLEDGE_ACTION.into(),
        actor: staff.actor_ref(),
        occurred_at: now,
        from_state: Some(report.case.state),
        to_state: report.case.state,
        payload: serde_json::json!({"report_id": report.id, "report_event_seq": report.event_seq, "unit": staff.unit.code, "unit_name": staff.unit.name}),
        reason: None,
    };
    match state.store.acknowledge_urgent_report(id, staff.user.id, now, &event).await {
        Ok(_) => {}
        Err(xinfang_store::StoreError::Conflict) => return Err(already()),
        Err(e) => return Err(e.into()),
    }
    let updated = state.store.urgent_report(id).await?.ok_or_else(nf)?;
    report_view(updated, &staff, &tree, now).map(Json).ok_or_else(nf)
}
