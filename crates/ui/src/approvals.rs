//! The workbench page 「待我审批」: the unit head's four-eyes queue
//! (extensions, late 复查/复核 requests, re-acceptance under Art. 36, late
//! entries), with 批准 and 不予批准. It calls the same handlers as the JSON
//! API (`xinfang_web::api::approvals`), so the head's decision is judged
//! now, in the head's own session.

use crate::render;
use crate::workbench::{Me, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::Value;
use xinfang_domain::procedure::actions::{self, FieldKind};
use xinfang_domain::unit::UnitTree;
use xinfang_web::AppState;
use xinfang_web::api::approvals::{self, ApprovalQuery};
use xinfang_web::auth::Staff;
use xinfang_web::dto::{ApprovalDecision, ApprovalView};
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/approvals", get(page))
        .route("/staff/approvals/{id}/approve", post(approve))
        .route("/staff/approvals/{id}/refuse", post(refuse))
}

/// One request for the head, ready to show.
pub struct ApprovalRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub action_label: String,
    pub requester: String,
    pub requested: String,
    pub due_on: String,
    pub overdue: bool,
    pub pending: bool,
    pub status: &'static str,
    pub status_label: &'static str,
    pub decided_by: String,
    pub decided: String,
    pub note: String,
    /// The requested act's fields: (label, value).
    pub fields: Vec<(String, String)>,
    /// A late entry (补录): the day claimed and the scanned evidence.
    pub occurred_on: Option<String>,
    pub evidence_id: Option<i64>,
}

pub fn status_label(status: &str) -> &'static str {
    match status {
        "pending" => "待审批",
        "approving" => "审批办理中",
        "approved" => "已批准",
        "refused" => "不予批准",
        "lapsed" => "已失效",
        _ => "未知",
    }
}

/// The requested act's body as (label, value) pairs, labelled and typed
/// by the action table.
pub fn body_fields(action: &str, body: &Value, tree: &UnitTree) -> Vec<(String, String)> {
    let Some(spec) = actions::spec(action) else { return Vec::new() };
    spec.fields
        .iter()
        .filter_map(|f| {
            let v = body.get(f.name)?;
            let text = match (f.kind, v) {
                (_, Value::Null) => return None,
                (FieldKind::Bool, Value::Bool(b)) => (if *b { "是" } else { "否" }).to_string(),
                (FieldKind::Days, Value::Number(n)) => format!("{n}日"),
                (FieldKind::Route, Value::Number(n)) => format!("第三十一条第（{}）项", chinese_digit(n.as_u64().unwrap_or(0))),
                (FieldKind::Choice(c), Value::String(s)) => {
                    c.options().into_iter().find(|(code, _)| code == s).map(|(_, l)| l.to_string()).unwrap_or_else(|| s.clone())
                }
                (FieldKind::Unit(_), Value::String(s)) => tree.by_code(s).map(|u| u.name.clone()).unwrap_or_else(|| s.clone()),
                (FieldKind::Units(_), Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| tree.by_code(s).map(|u| u.name.clone()).unwrap_or_else(|| s.to_string()))
                    .collect::<Vec<_>>()
                    .join("、"),
                (_, Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            };
            (!text.trim().is_empty()).then(|| (f.label.to_string(), text))
        })
        .collect()
}

fn chinese_digit(n: u64) -> &'static str {
    ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"].get(n as usize).copied().unwrap_or("?")
}

/// Show people by name, not login name: the requester and the head who decided.
pub async fn with_names(state: &AppState, rows: &mut [ApprovalRow]) {
    let logins: Vec<String> = rows.iter().flat_map(|r| [r.requester.clone(), r.decided_by.clone()]).filter(|u| !u.is_empty()).collect();
    let names = state.store.display_names(&logins).await.unwrap_or_default();
    for r in rows {
        for who in [&mut r.requester, &mut r.decided_by] {
            if let Some(n) = names.get(who.as_str()) {
                *who = n.clone();
            }
        }
    }
}

pub fn approval_row(v: ApprovalView, tree: &UnitTree) -> ApprovalRow {
    let fields = body_fields(&v.action, &v.body, tree);
    ApprovalRow {
        id: v.id,
        number: v.number,
        title: v.title,
        action_label: v.action_label,
        requester: v.requested_by.unwrap_or_else(|| "信访人".into()),
        requested: crate::portal::local_time(&v.requested_at),
        due_on: v.due_on,
        overdue: v.overdue,
        pending: v.status == "pending",
        status: match v.status.as_str() {
            "pending" => "pending",
            "approved" => "approved",
            "refused" => "refused",
            _ => "lapsed",
        },
        status_label: status_label(&v.status),
        decided_by: v.decided_by.unwrap_or_default(),
        decided: v.decided_at.as_deref().map(crate::portal::local_time).unwrap_or_default(),
        note: v.decision_note.unwrap_or_default(),
        fields,
        occurred_on: v.occurred_on,
        evidence_id: v.evidence_attachment_id,
    }
}

#[derive(Template)]
#[template(path = "staff_approvals.html")]
struct ApprovalsPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    unit: String,
    rows: Vec<ApprovalRow>,
    all: bool,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    /// Show decided requests too.
    all: Option<bool>,
    /// Set after a decision (post/redirect/get).
    approved: Option<i64>,
    refused: Option<i64>,
}

async fn render_page(state: AppState, headers: &HeaderMap, s: Staff, q: PageQuery, alert: Option<String>) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let all = q.all.unwrap_or(false);
    let mut rows: Vec<ApprovalRow> =
        match approvals::list(State(state.clone()), s.clone(), ApiQuery(ApprovalQuery { pending: Some(!all) })).await {
            Ok(Json(rows)) => {
                let tree = state.tree();
                rows.into_iter().map(|v| approval_row(v, &tree)).collect()
            }
            Err(e) => return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法显示待审批事项", &e.message),
        };
    with_names(&state, &mut rows).await;
    let flash = match (q.approved, q.refused) {
        (Some(id), _) => Some(decided_flash(&state, &s, id, "已批准").await),
        (_, Some(id)) => Some(decided_flash(&state, &s, id, "已作出不予批准决定").await),
        _ => None,
    };
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut r = render(&ApprovalsPage { me: me(&s), nav: "approvals", csrf, flash, alert, unit: s.unit.name.clone(), rows, all });
    *r.status_mut() = status;
    crate::portal::with_cookie(r, set)
}

/// "已批准：延期（XF-…）", naming the request only to the head who decided it.
async fn decided_flash(state: &AppState, s: &Staff, id: i64, what: &str) -> String {
    match state.store.approval(id).await {
        Ok(Some(a)) if a.decided_by.as_deref() == Some(s.user.username.as_str()) => {
            let tail = if a.status == "approved" { "，已生效并记入办理记录" } else { "，已记入办理记录" };
            format!("{what}：{}（{}）{tail}", actions::label(&a.action), a.number)
        }
        _ => what.to_string(),
    }
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => render_page(state, &headers, s, q, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn approve(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<DecisionForm>) -> Response {
    decide(state, headers, id, f, true).await
}

async fn refuse(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<DecisionForm>) -> Response {
    decide(state, headers, id, f, false).await
}

async fn decide(state: AppState, headers: HeaderMap, id: i64, f: DecisionForm, approve: bool) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        return render_page(state, &headers, s, PageQuery::default(), Some("页面已过期，请刷新后重试".into())).await;
    }
    let decision = ApprovalDecision { note: f.note };
    let result = if approve {
        approvals::approve(State(state.clone()), s.clone(), ApiPath(id), ApiJson(decision)).await.map(|_| ())
    } else {
        approvals::refuse(State(state.clone()), s.clone(), ApiPath(id), ApiJson(decision)).await.map(|_| ())
    };
    match result {
        Ok(()) => Redirect::to(&format!("/staff/approvals?{}={id}", if approve { "approved" } else { "refused" })).into_response(),
        Err(e) => {
            let what = if approve { "未能批准" } else { "未能作出不予批准决定" };
            // An approval the procedure no longer allows lapses (see the API).
            let lapsed = approve
                && e.code != "already_decided"
                && (e.status == StatusCode::CONFLICT || e.status == StatusCode::UNPROCESSABLE_ENTITY);
            let msg = if e.code == "already_decided" {
                format!("{what}：该审批事项已经处理过，无需重复操作。")
            } else {
                format!("{what}：{}{}", e.message, if lapsed { "。该申请已失效，请告知申请人。" } else { "" })
            };
            render_page(state, &headers, s, PageQuery::default(), Some(msg)).await
        }
    }
}
