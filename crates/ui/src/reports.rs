//! The workbench page 「紧急报告」: Art. 25 reports addressed to the
//! user's unit, with an acknowledge button. It calls the same handlers as
//! the JSON API (`xinfang_web::api::urgent`).

use crate::render;
use crate::workbench::{Me, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use xinfang_web::AppState;
use xinfang_web::api::urgent::{self, UrgentQuery, UrgentReportView};
use xinfang_web::auth::Staff;
use xinfang_web::extract::{ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/reports", get(page)).route("/staff/reports/{id}/acknowledge", post(acknowledge))
}

pub struct ReportRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub reporting_unit: String,
    pub summary: String,
    pub reported: String,
    pub ack_due: String,
    pub overdue: bool,
    pub acknowledged: Option<String>,
    pub acknowledged_by: Option<String>,
}

#[derive(Template)]
#[template(path = "staff_reports.html")]
struct ReportsPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    unit: String,
    ack_hours: i64,
    rows: Vec<ReportRow>,
    pending: bool,
    overdue: bool,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    pending: Option<bool>,
    overdue: Option<bool>,
    /// Set after a successful acknowledgement (post/redirect/get).
    done: Option<i64>,
}

fn row(v: UrgentReportView) -> ReportRow {
    ReportRow {
        id: v.id,
        number: v.number,
        title: v.title,
        reporting_unit: v.reporting_unit.map(|u| u.name).unwrap_or_default(),
        summary: v.summary,
        reported: crate::portal::local_time(&v.reported_at),
        ack_due: crate::portal::local_time(&v.ack_due_at),
        overdue: v.overdue,
        acknowledged: v.acknowledged_at.as_deref().map(crate::portal::local_time),
        acknowledged_by: v.acknowledged_by,
    }
}

async fn render_page(state: AppState, headers: &HeaderMap, s: Staff, q: PageQuery, alert: Option<String>) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let query = UrgentQuery { pending: q.pending.filter(|p| *p), overdue: q.overdue.filter(|o| *o) };
    let ack_hours = state.settings.urgent_ack_hours;
    let rows = match urgent::list(State(state), s.clone(), ApiQuery(query)).await {
        Ok(Json(rows)) => rows.into_iter().map(row).collect(),
        Err(e) => return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法显示紧急报告", &e.message),
    };
    let r = render(&ReportsPage {
        me: me(&s),
        nav: "reports",
        csrf,
        flash: q.done.map(|_| "已签收".to_string()),
        alert,
        unit: s.unit.name.clone(),
        ack_hours,
        rows,
        pending: q.pending.unwrap_or(false),
        overdue: q.overdue.unwrap_or(false),
    });
    crate::portal::with_cookie(r, set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => render_page(state, &headers, s, q, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct AckForm {
    #[serde(default)]
    csrf: String,
}

async fn acknowledge(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<AckForm>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        return render_page(state, &headers, s, PageQuery::default(), Some("页面已过期，请刷新后重试".into())).await;
    }
    match urgent::acknowledge(State(state.clone()), s.clone(), ApiPath(id)).await {
        Ok(_) => Redirect::to(&format!("/staff/reports?done={id}")).into_response(),
        Err(e) => render_page(state, &headers, s, PageQuery::default(), Some(e.message)).await,
    }
}
