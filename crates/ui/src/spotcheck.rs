//! Spot checks on the workbench (issue 12, item 6): the unit's checks
//! with their pass rates, a form to draw a new one, and one check's
//! petitions scored on the checklist (pre-filled from the record). Every
//! change goes through `web::api::spotcheck`.

use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use std::collections::HashMap;
use xinfang_web::AppState;
use xinfang_web::api::spotcheck::{self as api, ScoreInput, SpotCheckDetail, SpotCheckInput, SpotCheckView};
use xinfang_web::auth::Staff;
use xinfang_web::extract::{ApiJson, ApiPath};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/spot-checks", get(page).post(create))
        .route("/staff/spot-checks/{id}", get(check))
        .route("/staff/spot-checks/{id}/items/{item}", post(score))
}

#[derive(Template)]
#[template(path = "staff_spotchecks.html")]
struct ListPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    month: String,
    checks: Vec<SpotCheckView>,
}

#[derive(Template)]
#[template(path = "staff_spotcheck.html")]
struct CheckPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    d: SpotCheckDetail,
    /// Per item (same order): (code, label, ticked) — scored, or as the
    /// record suggests.
    boxes: Vec<Vec<(String, String, bool)>>,
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

async fn list_page(state: &AppState, headers: &HeaderMap, s: &Staff, flash: Option<String>, alert: Option<String>) -> Response {
    let checks = match api::list(State(state.clone()), s.clone()).await {
        Ok(Json(c)) => c,
        Err(e) => return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let (csrf, set) = crate::portal::csrf(headers);
    let month = xinfang_domain::local_date(chrono::Utc::now()).format("%Y-%m").to_string();
    crate::portal::with_cookie(render(&ListPage { me: me(s), nav: "spot", csrf, flash, alert, month, checks }), set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => list_page(&state, &headers, &s, None, None).await,
        Err(r) => r,
    }
}

async fn create(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return list_page(&state, &headers, &s, None, Some("页面已过期，请刷新后重试".into())).await;
    }
    let input = SpotCheckInput { month: get("month"), rule: get("rule"), n: get("n").parse().ok() };
    match api::create(State(state.clone()), s.clone(), ApiJson(input)).await {
        Ok((_, Json(c))) => Redirect::to(&format!("/staff/spot-checks/{}", c.id)).into_response(),
        Err(e) => {
            let mut r = list_page(&state, &headers, &s, None, Some(chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

async fn check_page(state: &AppState, headers: &HeaderMap, s: &Staff, id: i64, flash: Option<String>, alert: Option<String>) -> Response {
    let d = match api::detail(State(state.clone()), s.clone(), ApiPath(id)).await {
        Ok(Json(d)) => d,
        Err(e) => return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let boxes = d
        .items
        .iter()
        .map(|i| {
            d.checklist
                .iter()
                .zip(i.scores.iter().zip(&i.suggested))
                .map(|((code, label), (sc, su))| (code.clone(), label.clone(), sc.or(*su).unwrap_or(false)))
                .collect()
        })
        .collect();
    let (csrf, set) = crate::portal::csrf(headers);
    crate::portal::with_cookie(render(&CheckPage { me: me(s), nav: "spot", csrf, flash, alert, d, boxes }), set)
}

async fn check(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => check_page(&state, &headers, &s, id, None, None).await,
        Err(r) => r,
    }
}

async fn score(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, item)): Path<(i64, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let on = |k: &str| f.get(k).is_some_and(|v| v == "1");
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return check_page(&state, &headers, &s, id, None, Some("页面已过期，请刷新后重试".into())).await;
    }
    let input = ScoreInput {
        procedure_ok: on("procedure_ok"),
        notice_on_time: on("notice_on_time"),
        letter_complete: on("letter_complete"),
        evaluation_obtained: on("evaluation_obtained"),
        note: f.get("note").cloned().unwrap_or_default(),
    };
    match api::score(State(state.clone()), s.clone(), ApiPath((id, item)), ApiJson(input)).await {
        Ok(_) => Redirect::to(&format!("/staff/spot-checks/{id}#item-{item}")).into_response(),
        Err(e) => {
            let mut r = check_page(&state, &headers, &s, id, None, Some(chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

/// The pass rate in words, for the templates.
pub(crate) fn rate(c: &SpotCheckView) -> String {
    pct(c.pass_rate)
}
