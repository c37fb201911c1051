//! The workbench page 「风险提示」 (issue 13, item 4): the risk alerts raised
//! for the caller's unit when a petition whose text carries risk signals
//! was registered, urgent ones first, each with the words that raised it,
//! and dismissal with a stated reason. It calls the handlers of
//! `GET /api/v1/risk-alerts` and `POST /api/v1/risk-alerts/{id}/dismiss`
//! (`xinfang_web::api::risk`), so the page and the API apply one rule.

use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use xinfang_web::AppState;
use xinfang_web::api::risk::{self, AlertQuery, DismissInput, RiskAlert, Verdict};
use xinfang_web::auth::Staff;
use xinfang_web::extract::ApiQuery;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/risk-alerts", get(page)).route("/staff/risk-alerts/{id}/dismiss", post(dismiss))
}

/// One signal of an alert: what it is and the words (as written) behind it.
pub struct SignalRow {
    pub label: String,
    pub urgent: bool,
    pub words: Vec<String>,
    /// The passages for which the urgent model of the labelled examples
    /// raised it or made it urgent (shown after 参考样本).
    pub passages: Vec<String>,
    /// Raised by hand by a member of staff.
    pub hand: bool,
}

impl From<xinfang_web::triage::RiskSignal> for SignalRow {
    fn from(g: xinfang_web::triage::RiskSignal) -> Self {
        SignalRow {
            hand: g.basis == xinfang_web::triage::SignalBasis::Staff,
            label: g.label,
            urgent: g.urgent,
            words: g.words,
            passages: g.passages,
        }
    }
}

/// One alert, ready to show.
pub struct AlertRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub urgent: bool,
    pub level_label: &'static str,
    pub signals: Vec<SignalRow>,
    pub raised: String,
    /// Why a member of staff raised it by hand (None: raised at registration).
    pub hand: Option<String>,
    /// When it was dismissed (Beijing time) and why; None while open.
    pub dismissed: Option<String>,
    /// Who raised it by hand and who dismissed it.
    pub raised_by: Option<String>,
    pub dismissed_by: Option<String>,
    pub reason: String,
    /// What the dismissal said of it (误报 / 已处置), when it said.
    pub verdict: Option<&'static str>,
    /// The reason and verdict typed into a refused dismissal of this alert, kept.
    pub typed: String,
    pub typed_verdict: Verdict,
    /// Why that dismissal was refused, in Chinese, beside the field.
    pub error: Option<String>,
}

/// The level as the page says it (the API's words: one source).
pub use xinfang_web::api::risk::level_label;

fn row(a: RiskAlert) -> AlertRow {
    AlertRow {
        id: a.id,
        urgent: a.level == "urgent",
        level_label: level_label(&a.level),
        signals: a.signals.into_iter().map(SignalRow::from).collect(),
        raised: crate::portal::local_time(&a.raised_at),
        hand: a.raise_reason.filter(|_| a.raised_by_hand),
        dismissed: a.dismissed_at.as_deref().map(crate::portal::local_time),
        raised_by: a.raised_by,
        dismissed_by: a.dismissed_by,
        reason: a.dismiss_reason.unwrap_or_default(),
        verdict: a.verdict.map(Verdict::label),
        number: a.number,
        title: a.title,
        typed: String::new(),
        typed_verdict: Verdict::default(),
        error: None,
    }
}

#[derive(Template)]
#[template(path = "staff_risk_alerts.html")]
struct AlertsPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    unit: String,
    rows: Vec<AlertRow>,
    /// Dismissed alerts shown too.
    all: bool,
    open: usize,
    open_urgent: usize,
    /// Whether the caller may dismiss (not the system administrator).
    may_dismiss: bool,
    /// The verdicts a dismissal chooses from.
    verdicts: [Verdict; 2],
}

#[derive(Deserialize, Default)]
struct PageQuery {
    /// Show dismissed alerts too (`all=true`).
    all: Option<String>,
    /// Set after a dismissal (post/redirect/get), with `learnt=1` when the
    /// urgent model learns from it.
    dismissed: Option<String>,
    learnt: Option<String>,
}

fn yes(v: Option<&str>) -> bool {
    matches!(v.map(str::trim), Some("true" | "1" | "on"))
}

/// A refused dismissal to show again: the alert, the typed reason, and
/// the message beside its field (or above the list when `beside` is false).
struct Refused {
    id: i64,
    typed: String,
    verdict: Verdict,
    message: String,
    status: StatusCode,
    beside: bool,
}

async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    all: bool,
    flash: Option<String>,
    refused: Option<Refused>,
) -> Response {
    let mut rows: Vec<AlertRow> = match risk::list(State(state.clone()), s.clone(), ApiQuery(AlertQuery { open: Some(!all) })).await {
        Ok(Json(list)) => list.into_iter().map(row).collect(),
        Err(e) => return crate::staff_error_page(s, headers, e.status, "无法显示风险提示", &e.message),
    };
    // Open before dismissed, urgent before elevated; newest first within.
    rows.sort_by_key(|r| (r.dismissed.is_some(), !r.urgent));
    let mut alert = None;
    let mut status = StatusCode::OK;
    if let Some(f) = refused {
        status = f.status;
        match rows.iter_mut().find(|r| r.id == f.id && r.dismissed.is_none()) {
            Some(r) if f.beside => {
                r.typed = f.typed;
                r.typed_verdict = f.verdict;
                r.error = Some(f.message);
            }
            Some(r) => {
                r.typed = f.typed;
                r.typed_verdict = f.verdict;
                alert = Some(f.message);
            }
            None => alert = Some(f.message),
        }
    }
    let open = rows.iter().filter(|r| r.dismissed.is_none()).count();
    let open_urgent = rows.iter().filter(|r| r.dismissed.is_none() && r.urgent).count();
    let may_dismiss = s.user.role != xinfang_domain::role::Role::Admin;
    let (csrf, set) = crate::portal::csrf(headers);
    let page = AlertsPage {
        me: me(s),
        nav: "risk",
        csrf,
        flash,
        alert,
        unit: s.unit.name.clone(),
        rows,
        all,
        open,
        open_urgent,
        may_dismiss,
        verdicts: Verdict::ALL,
    };
    let mut r = render(&page);
    if r.status() == StatusCode::OK {
        *r.status_mut() = status;
    }
    crate::portal::with_cookie(r, set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let flash = q.dismissed.as_deref().and_then(Verdict::parse).map(|v| v.dismissed_message(q.learnt.as_deref() == Some("1")).to_string());
    render_page(&state, &headers, &s, yes(q.all.as_deref()), flash, None).await
}

#[derive(Deserialize)]
struct DismissForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
    /// `handled` (or empty) or `false_alarm`; anything else is refused.
    #[serde(default)]
    verdict: String,
    #[serde(default)]
    all: Option<String>,
}

/// Dismiss one alert with a reason; refused: the list again with the
/// message beside the field and the reason as typed.
async fn dismiss(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::IdPath(id): crate::IdPath,
    Form(f): Form<DismissForm>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let all = yes(f.all.as_deref());
    let chosen = Verdict::from_form(Some(&f.verdict));
    let verdict = chosen.as_ref().copied().unwrap_or_default();
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        let refused = Refused {
            id,
            typed: f.reason,
            verdict,
            message: "页面已过期，请刷新后重试".into(),
            status: StatusCode::FORBIDDEN,
            beside: false,
        };
        return render_page(&state, &headers, &s, all, None, Some(refused)).await;
    }
    let done = match chosen {
        Ok(verdict) => {
            let input = DismissInput { reason: f.reason.trim().to_string(), verdict };
            risk::dismiss_alert(&state, &s, id, input).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(learnt) => Redirect::to(&format!(
            "/staff/risk-alerts?dismissed={}{}{}",
            verdict.as_str(),
            crate::workbench::learnt_param(learnt),
            if all { "&all=true" } else { "" }
        ))
        .into_response(),
        Err(e) => {
            let beside = e.status == StatusCode::UNPROCESSABLE_ENTITY;
            let message = if e.status == StatusCode::NOT_FOUND {
                "未能解除：该风险提示不存在，请刷新后查看。".to_string()
            } else {
                chinese_only(&e.message)
            };
            let refused = Refused { id, typed: f.reason, verdict, message, status: e.status, beside };
            render_page(&state, &headers, &s, all, None, Some(refused)).await
        }
    }
}
