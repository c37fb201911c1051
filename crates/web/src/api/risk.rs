//! Risk alerts (issue 13, item 4): `GET /api/v1/risk-alerts`,
//! `POST /api/v1/risk-alerts/{id}/dismiss`,
//! `POST /api/v1/petitions/{number}/risk-alerts` (raise one by hand) and
//! the urgent model's corrections, `GET /api/v1/risk-model` and
//! `POST /api/v1/risk-model/train`. An alert is raised when a petition is
//! registered whose text carries risk signals (`triage::risk`), for the
//! unit that received it, or by a member of staff who reads a danger the
//! readers missed, for their own unit. An urgent one is also raised for the
//! petition bureau of that unit's area unless the petition is hidden from
//! it (`domain::alerting`), and e-mails the duty officers of both at once
//! (`notices::risk_alert_mail`); each unit dismisses its own. A dismissal
//! as a false alarm and an urgent alert raised by hand are corrections the
//! next urgent model learns (`urgent_model`).

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::triage::{Risk, RiskSignal, SignalBasis};
use crate::urgent_model::UrgentModelStatus;
use crate::views::WITHHELD;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{View, view};
use xinfang_domain::role::Role;
use xinfang_domain::unit::{UnitId, UnitTree};
use xinfang_store::RiskAlertRow;
use xinfang_text::risk::RiskKind;

#[derive(Serialize, ToSchema)]
pub struct RiskAlert {
    pub id: i64,
    pub number: String,
    pub title: String,
    /// The unit the alert is raised for, which dismisses it: the unit that
    /// found the danger, or the petition bureau of its area told of an
    /// urgent one (`domain::alerting`).
    pub unit_code: String,
    pub unit_name: String,
    /// Raised for the reader's own unit (so the reader may dismiss it).
    pub for_your_unit: bool,
    /// `elevated` or `urgent`.
    pub level: String,
    pub signals: Vec<RiskSignal>,
    pub raised_at: String,
    /// Raised by hand by a member of staff (then `raise_reason` says why),
    /// not by the readers at registration.
    pub raised_by_hand: bool,
    pub raise_reason: Option<String>,
    /// The name of the member of staff who raised it by hand.
    pub raised_by: Option<String>,
    pub dismissed_at: Option<String>,
    /// The name of the member of staff who dismissed it.
    pub dismissed_by: Option<String>,
    pub dismiss_reason: Option<String>,
    /// How it was dismissed: `false_alarm` (learnt by the next urgent
    /// model) or `handled`; absent while open, and for alerts dismissed
    /// before the question was asked.
    pub verdict: Option<Verdict>,
}

/// What a dismissal says of the alert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The danger was real and has been dealt with (the default).
    #[default]
    Handled,
    /// The text holds no real danger: the next urgent model learns that it
    /// is not urgent.
    FalseAlarm,
}

impl Verdict {
    pub const ALL: [Verdict; 2] = [Verdict::Handled, Verdict::FalseAlarm];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Handled => "handled",
            Verdict::FalseAlarm => "false_alarm",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// A form's choice: absent or empty is `handled` (the default, as in
    /// the API); anything else must be one of the verdicts.
    pub fn from_form(value: Option<&str>) -> Result<Verdict, ApiError> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(Verdict::default()),
            Some(v) => Verdict::parse(v).ok_or_else(|| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "请选择核实结论：风险属实已处置，或误报").at("verdict")
            }),
        }
    }

    /// What the workbench says once an alert was dismissed with it;
    /// `learnt`: the dismissal is a correction the urgent model learns.
    pub fn dismissed_message(self, learnt: bool) -> &'static str {
        match (self, learnt) {
            (Verdict::Handled, _) => "已解除风险提示，理由已记录",
            (Verdict::FalseAlarm, true) => FALSE_ALARM_NOTED,
            (Verdict::FalseAlarm, false) => FALSE_ALARM_KEPT,
        }
    }

    /// As the workbench says it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Handled => "风险属实，已处置",
            Verdict::FalseAlarm => "误报，文中并无现实危险",
        }
    }
}

impl RiskAlert {
    /// The alert as stored, read by someone of `units` (the reader's
    /// visibility) who sees its petition in full.
    pub fn new(r: RiskAlertRow, tree: &UnitTree, units: &[UnitId]) -> Self {
        let unit = tree.get(r.unit_id);
        RiskAlert {
            id: r.id,
            number: r.number,
            title: r.title,
            unit_code: unit.map(|u| u.code.clone()).unwrap_or_default(),
            unit_name: unit.map(|u| u.name.clone()).unwrap_or_default(),
            for_your_unit: units.contains(&r.unit_id),
            level: r.level,
            signals: serde_json::from_str::<Vec<RiskSignal>>(&r.signals).unwrap_or_default().into_iter().map(RiskSignal::stored).collect(),
            raised_at: r.raised_at,
            raised_by_hand: r.raised_by.is_some(),
            raise_reason: r.raise_reason,
            raised_by: r.raised_by_name,
            dismissed_at: r.dismissed_at,
            dismissed_by: r.dismissed_by_name,
            dismiss_reason: r.dismiss_reason,
            verdict: r.verdict.as_deref().and_then(Verdict::parse),
        }
    }

    /// The alert as a unit with view `v` of its petition may read it:
    /// none for a petition that must look as if it did not exist to that
    /// unit (the accused's chain, Art. 30); for a sealed accusation the
    /// level and kinds only, under a neutral title, without the words,
    /// passages and reasons that may quote the accusation. An alert outlives
    /// the view its unit had when it was raised, so this is read anew.
    pub fn seen(r: RiskAlertRow, v: View, tree: &UnitTree, units: &[UnitId]) -> Option<RiskAlert> {
        match v {
            View::Hidden => None,
            View::Sealed => {
                let mut a = RiskAlert::new(r, tree, units);
                a.title = crate::views::SEALED_TITLE.into();
                for s in &mut a.signals {
                    s.words.clear();
                    s.passages.clear();
                }
                a.raise_reason = a.raise_reason.map(|_| WITHHELD.into());
                a.dismiss_reason = a.dismiss_reason.map(|_| WITHHELD.into());
                Some(a)
            }
            View::IdentityHidden | View::Full => Some(RiskAlert::new(r, tree, units)),
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
    description = "Risk alerts raised for the caller's unit, newest first (at most 200). An alert on a petition now hidden from the unit (the accused's chain, Art. 30) is left out; one on a sealed accusation shows its level and kinds under a neutral title, without the words quoted from it.",
    responses((status = 200, body = Vec<RiskAlert>), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<AlertQuery>) -> ApiResult<Json<Vec<RiskAlert>>> {
    let tree = state.tree();
    let units = staff.visibility(&tree).unit_ids;
    let rows = state.store.risk_alerts(&units, q.open.unwrap_or(true), 200).await?;
    Ok(Json(
        rows.into_iter()
            .filter_map(|r| {
                let v = view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree);
                RiskAlert::seen(r, v, &tree, &units)
            })
            .collect(),
    ))
}

/// How many urgent alerts of the caller's unit wait to be dismissed, as
/// `list` would show them (for the workbench's banner: the in-app side of
/// the duty officers' e-mail, which reaches no one where no address or no
/// mail server is set). The newest 500 are read and those the unit may not
/// know of dropped before counting, so the number says nothing of them.
pub async fn open_urgent(state: &AppState, staff: &Staff) -> ApiResult<usize> {
    let tree = state.tree();
    let units = staff.visibility(&tree).unit_ids;
    let rows = state.store.open_urgent_risk_alerts(&units, 500).await?;
    Ok(rows
        .into_iter()
        .filter(|r| {
            let v = view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree);
            v != View::Hidden
        })
        .count())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissInput {
    /// Why the alert needs no (further) action: at least 4 characters.
    pub reason: String,
    /// `handled` (default) or `false_alarm`, which the next urgent model
    /// learns.
    #[serde(default)]
    pub verdict: Verdict,
}

#[utoipa::path(post, path = "/api/v1/risk-alerts/{id}/dismiss", tag = "intelligence", request_body = DismissInput, security(("bearer" = [])),
    params(("id" = i64, Path, description = "Alert id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<DismissInput>,
) -> ApiResult<StatusCode> {
    dismiss_alert(&state, &staff, id, input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dismiss the alert `id` of the caller's unit (the API's `dismiss`, and
/// the workbench's forms); answers whether the dismissal is a correction
/// the next urgent model learns.
pub async fn dismiss_alert(state: &AppState, staff: &Staff, id: i64, input: DismissInput) -> ApiResult<bool> {
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不处置风险提示"));
    }
    let reason = input.reason.trim();
    if reason.chars().count() < 4 || reason.chars().count() > 500 {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "请写明解除风险提示的理由（4 至 500 字）").at("reason")
        );
    }
    let tree = state.tree();
    let visibility = staff.visibility(&tree);
    let not_found = || ApiError::not_found("风险提示");
    // An alert on a petition hidden from the unit (Art. 30) is not there
    // for it (nor is its text for the model to learn as the unit's
    // verdict).
    let Some((alert, seen)) = state
        .store
        .risk_alert(id)
        .await?
        .map(|r| {
            let v = view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree);
            (r, v)
        })
        .filter(|(_, v)| *v != View::Hidden)
    else {
        return Err(not_found());
    };
    let units = visibility.unit_ids.clone();
    if !units.contains(&alert.unit_id) {
        // Another unit's alert: named only to a reader whose petition page
        // lists it (the petition in sight and in full); to anyone else it
        // is not there.
        if seen != View::Full || !state.store.petition_visible(alert.petition_id, &visibility).await? {
            return Err(not_found());
        }
        let whose = tree.get(alert.unit_id).map_or("其他单位", |u| u.name.as_str());
        return Err(ApiError::forbidden(format!("这是{whose}的风险提示，由该单位核实后解除")));
    }
    let already = || ApiError::new(StatusCode::CONFLICT, "already_dismissed", "该风险提示已经解除");
    if alert.dismissed_at.is_some() {
        return Err(already());
    }
    if let Some(learnt) = state.store.dismiss_risk_alert(id, &units, staff.user.id, reason, input.verdict.as_str(), Utc::now()).await? {
        Ok(learnt)
    } else {
        // Dismissed meanwhile by a colleague.
        Err(already())
    }
}

/// The level as people read it (the workbench, and this API's messages).
pub fn level_label(level: &str) -> &'static str {
    if level == "urgent" { "紧急" } else { "关注" }
}

/// How the workbench names an alert raised by hand.
pub const BY_HAND: &str = "工作人员标记";

/// What the workbench says after a dismissal as a false alarm.
const FALSE_ALARM_NOTED: &str = "已解除风险提示，理由已记录；已记为误报，下次训练时风险模型将据此学习（风险词表命中的词句仍会提示）";

/// The same for a false alarm the model does not learn from: an elevated
/// alert, or the copy of an urgent one told to another unit
/// (`Store::dismiss_risk_alert` decides).
const FALSE_ALARM_KEPT: &str = "已解除风险提示，理由已记录；已记为误报（关注级提示和转告本单位的提示不用于训练风险模型）";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaiseInput {
    /// The kind of danger: `self_harm`, `violence`, `threat`,
    /// `road_blocking`, `gathering`, `to_beijing` or
    /// `extreme_petitioning` (the kinds the text readers know).
    pub kind: String,
    /// `urgent` (the duty officers are e-mailed at once, and the next
    /// urgent model learns the text) or `elevated`.
    pub level: String,
    /// What in the petition, or beyond it, shows the danger: 4 to 500
    /// characters.
    pub reason: String,
}

/// The kinds a member of staff may raise, with their labels (the text
/// readers' kinds; a group's rising repeats is counted, not judged).
pub fn raisable_kinds() -> impl Iterator<Item = RiskKind> {
    RiskKind::FROM_TEXT.into_iter()
}

/// An alert raised by hand, and how many duty officers' e-mails it queued.
#[derive(Serialize, ToSchema)]
pub struct RaisedRiskAlert {
    #[serde(flatten)]
    pub alert: RiskAlert,
    /// Duty officers with an e-mail address to whom the alert was queued,
    /// of the caller's unit and of the area's petition bureau (0 for an
    /// elevated one, or where mail is not set up).
    pub duty_officers_notified: usize,
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/risk-alerts", tag = "intelligence", request_body = RaiseInput, security(("bearer" = [])),
    params(("number" = String, Path, description = "Petition number")),
    description = "Raise a risk alert by hand on a petition the caller sees in full, for the caller's unit: a danger the readers missed. An urgent one is also raised for the petition bureau of the caller's area (unless the petition is hidden from it, Art. 30), e-mails the duty officers of both and is learnt by the next urgent model.",
    responses((status = 201, body = RaisedRiskAlert), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn raise(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<RaiseInput>,
) -> ApiResult<(StatusCode, Json<RaisedRiskAlert>)> {
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不处置风险提示"));
    }
    let invalid = |field: &str, message: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message).at(field);
    let kind = RiskKind::from_code(input.kind.trim())
        .filter(|k| raisable_kinds().any(|x| x == *k))
        .ok_or_else(|| invalid("kind", "请选择风险类别"))?;
    let urgent = match input.level.trim() {
        "urgent" => true,
        "elevated" => false,
        _ => {
            return Err(invalid(
                "level",
                &format!("风险等级须为{}（urgent）或{}（elevated）", level_label("urgent"), level_label("elevated")),
            ));
        }
    };
    let reason = input.reason.trim();
    if reason.chars().count() < 4 || reason.chars().count() > 500 {
        return Err(invalid("reason", "请写明标记风险的理由（4 至 500 字）"));
    }
    let (rec, v) = super::petitions::load_visible(&state, &staff, &number).await?;
    super::petitions::require_full(v)?;
    let now = Utc::now();
    let signal = RiskSignal {
        kind: kind.as_str().into(),
        label: kind.label().into(),
        urgent,
        words: Vec::new(),
        passages: Vec::new(),
        basis: SignalBasis::Staff,
    };
    let risk = Risk { level: if urgent { "urgent" } else { "elevated" }.into(), signals: vec![signal] };
    let recipients = crate::notices::alert_recipients(&state, staff.unit.id, urgent, &rec.case, rec.confidential);
    let jobs = if urgent {
        crate::notices::risk_alert_mail(&state, &recipients, staff.unit.id, &rec.title, &risk, Some(reason), now).await?
    } else {
        Vec::new()
    };
    let raised = xinfang_store::RaisedAlert {
        petition_id: rec.id,
        alert: xinfang_store::NewRiskAlert {
            unit_id: staff.unit.id,
            level: risk.level.clone(),
            signals: serde_json::to_string(&risk.signals).map_err(|_| ApiError::internal())?,
        },
        raised_by: staff.user.id,
        reason: reason.to_string(),
        kind: kind.as_str().into(),
        also_for: recipients.iter().map(|r| r.unit).filter(|u| *u != staff.unit.id).collect(),
    };
    let Some(id) = state.store.raise_risk_alert(&raised, &jobs, now).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "already_raised",
            format!("本单位已对该信访事项标记同类{}风险，尚未解除", level_label(&risk.level)),
        ));
    };
    if !jobs.is_empty() {
        state.services.wake.notify_one();
    }
    let row = state.store.risk_alerts_of(rec.id).await?.into_iter().find(|a| a.id == id).ok_or_else(ApiError::internal)?;
    let alert = RiskAlert::new(row, &state.tree(), &staff.visibility(&state.tree()).unit_ids);
    Ok((StatusCode::CREATED, Json(RaisedRiskAlert { alert, duty_officers_notified: jobs.len() })))
}

#[utoipa::path(get, path = "/api/v1/risk-model", tag = "intelligence", security(("bearer" = [])),
    description = "The urgent model's training with the bureau's corrections: when it was last trained, how many petitions' corrections it learnt, how many wait for the next training.",
    responses((status = 200, body = UrgentModelStatus), (status = 401, body = ErrorBody)))]
pub async fn model(State(state): State<AppState>, _staff: Staff) -> ApiResult<Json<UrgentModelStatus>> {
    Ok(Json(crate::urgent_model::status(&state).await?))
}

#[utoipa::path(post, path = "/api/v1/risk-model/train", tag = "intelligence", security(("bearer" = [])),
    description = "Train the urgent model now with every correction given (admin); the triage training's schedule does the same. Answered once this node uses it; the other nodes follow within seconds. 503 when this node was still busy training after 30 seconds: the training is recorded and comes into force shortly.",
    responses((status = 200, body = UrgentModelStatus), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn train(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<UrgentModelStatus>> {
    staff.require_role(&[Role::Admin])?;
    match crate::urgent_model::train(&state, Some(staff.user.id)).await? {
        Some(status) => Ok(Json(status)),
        None => Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "风险模型仍在训练中，训练已记录，稍后生效")),
    }
}
