//! Risk alerts (issue 13, item 4): `GET /api/v1/risk-alerts` and
//! `POST /api/v1/risk-alerts/{id}/dismiss`. An alert is raised when a
//! petition is registered whose text carries risk signals
//! (`triage::risk`), for the unit that received it; urgent ones also
//! e-mail that unit's duty officers at once (`notices::risk_alert_mail`).

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::triage::RiskSignal;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::role::Role;
use xinfang_store::RiskAlertRow;

#[derive(Serialize, ToSchema)]
pub struct RiskAlert {
    pub id: i64,
    pub number: String,
    pub title: String,
    /// `elevated` or `urgent`.
    pub level: String,
    pub signals: Vec<RiskSignal>,
    pub raised_at: String,
    pub dismissed_at: Option<String>,
    pub dismiss_reason: Option<String>,
}

impl From<RiskAlertRow> for RiskAlert {
    fn from(r: RiskAlertRow) -> Self {
        RiskAlert {
            id: r.id,
            number: r.number,
            title: r.title,
            level: r.level,
            signals: serde_json::from_str::<Vec<RiskSignal>>(&r.signals).unwrap_or_default().into_iter().map(RiskSignal::stored).collect(),
            raised_at: r.raised_at,
            dismissed_at: r.dismissed_at,
            dismiss_reason: r.dismiss_reason,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Only alerts not dismissed (default true).
    pub open: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/risk-alerts", tag = "intelligence", params(AlertQuery), security(("bearer" = [])),
    description = "Risk alerts raised for the caller's unit, newest first (at most 200).",
    responses((status = 200, body = Vec<RiskAlert>), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<AlertQuery>) -> ApiResult<Json<Vec<RiskAlert>>> {
    let units = staff.visibility(&state.tree()).unit_ids;
    let rows = state.store.risk_alerts(&units, q.open.unwrap_or(true), 200).await?;
    Ok(Json(rows.into_iter().map(RiskAlert::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissInput {
    /// Why the alert needs no (further) action: at least 4 characters.
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/risk-alerts/{id}/dismiss", tag = "intelligence", request_body = DismissInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DismissInput>,
) -> ApiResult<StatusCode> {
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不处置风险提示"));
    }
    let reason = input.reason.trim();
    if reason.chars().count() < 4 || reason.chars().count() > 500 {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "请写明解除风险提示的理由（4 至 500 字）").at("reason")
        );
    }
    let units = staff.visibility(&state.tree()).unit_ids;
    if state.store.dismiss_risk_alert(id, &units, staff.user.id, reason, Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("风险提示"))
    }
}
