//! The dispatch board on the workbench (issue 14, item 2): the area's
//! townships or villages as a table (no map tiles: the system runs
//! offline), red rows first, drill-down, an order form, and the unit's
//! orders received and sent with their feedback. Every change goes through
//! `web::api::dispatch`.

use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use std::collections::HashMap;
use xinfang_web::AppState;
use xinfang_web::api::dispatch::{self as api, BoardQuery, BoardView, FeedbackInput, OrderInput, OrderView, OrdersQuery};
use xinfang_web::auth::Staff;
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/dispatch", get(board_page))
        .route("/staff/dispatch/orders", get(orders_page).post(create))
        .route("/staff/dispatch/orders/{id}/{act}", post(act))
}

#[derive(Template)]
#[template(path = "staff_dispatch.html")]
struct BoardPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    b: Option<BoardView>,
    today: String,
    /// The order form as typed (kept when it is refused) or as offered.
    form: OrderForm,
}

/// The order form's fields, as text.
#[derive(Default, Clone)]
struct OrderForm {
    to_unit: String,
    subject: String,
    content: String,
    due_on: String,
    dispute: String,
    petition: String,
}

#[derive(serde::Deserialize, Default)]
struct BoardParams {
    #[serde(default)]
    area: String,
}

async fn board_view(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    area: String,
    flash: Option<String>,
    alert: Option<String>,
    form: Option<OrderForm>,
) -> Response {
    let q = BoardQuery { area: Some(area).filter(|a| !a.is_empty()) };
    let (b, alert) = match api::board(State(state.clone()), s.clone(), ApiQuery(q)).await {
        Ok(Json(b)) => (Some(b), alert),
        Err(e) if e.status == axum::http::StatusCode::FORBIDDEN => {
            return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法查看", &chinese_only(&e.message));
        }
        Err(e) => (None, Some(chinese_only(&e.message))),
    };
    let (csrf, set) = crate::portal::csrf(headers);
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let form =
        form.unwrap_or_else(|| OrderForm { due_on: xinfang_domain::dispatch::default_due_on(today).to_string(), ..OrderForm::default() });
    crate::portal::with_cookie(
        render(&BoardPage { me: me(s), nav: "dispatch", csrf, flash, alert, b, today: today.to_string(), form }),
        set,
    )
}

async fn board_page(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<BoardParams>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => board_view(&state, &headers, &s, p.area, None, None, None).await,
        Err(r) => r,
    }
}

#[derive(Template)]
#[template(path = "staff_dispatch_orders.html")]
struct OrdersPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    inbox: Vec<OrderView>,
    sent: Vec<OrderView>,
}

#[derive(serde::Deserialize, Default)]
struct OrdersParams {
    #[serde(default)]
    done: String,
}

async fn orders_view(state: &AppState, headers: &HeaderMap, s: &Staff, flash: Option<String>, alert: Option<String>) -> Response {
    let list = |b: &str| api::list(State(state.clone()), s.clone(), ApiQuery(OrdersQuery { r#box: Some(b.into()) }));
    let (inbox, sent) = match (list("inbox").await, list("sent").await) {
        (Ok(Json(i)), Ok(Json(o))) => (i, o),
        (Err(e), _) | (_, Err(e)) => {
            return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法查看", &chinese_only(&e.message));
        }
    };
    let (csrf, set) = crate::portal::csrf(headers);
    crate::portal::with_cookie(render(&OrdersPage { me: me(s), nav: "dispatch", csrf, flash, alert, inbox, sent }), set)
}

async fn orders_page(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<OrdersParams>) -> Response {
    let flash = match p.done.as_str() {
        "created" => Some("已下达调度令".to_string()),
        "feedback" => Some("已反馈".to_string()),
        "close" => Some("已办结".to_string()),
        _ => None,
    };
    match staff(&state, &headers).await {
        Ok(s) => orders_view(&state, &headers, &s, flash, None).await,
        Err(r) => r,
    }
}

async fn create(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let form = OrderForm {
        to_unit: get("to_unit"),
        subject: get("subject"),
        content: get("content"),
        due_on: get("due_on"),
        dispute: get("dispute"),
        petition: get("petition"),
    };
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return board_view(&state, &headers, &s, get("area"), None, Some("页面已过期，请刷新后重试".into()), Some(form)).await;
    }
    let input = OrderInput {
        to_unit: form.to_unit.clone(),
        subject: form.subject.clone(),
        content: form.content.clone(),
        due_on: form.due_on.clone(),
        // As typed: the API reads the ledger number (or an id) and refuses
        // what it cannot, rather than the link being dropped here.
        dispute: Some(form.dispute.clone()).filter(|d| !d.is_empty()).map(api::DisputeRefInput::Number),
        petition: Some(form.petition.clone()).filter(|p| !p.is_empty()),
    };
    match api::create(State(state.clone()), s.clone(), ApiJson(input)).await {
        Ok(_) => Redirect::to("/staff/dispatch/orders?done=created").into_response(),
        Err(e) => {
            let mut r = board_view(&state, &headers, &s, get("area"), None, Some(chinese_only(&e.message)), Some(form)).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, act)): Path<(i64, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return orders_view(&state, &headers, &s, None, Some("页面已过期，请刷新后重试".into())).await;
    }
    let done = match act.as_str() {
        "feedback" => {
            api::feedback(State(state.clone()), s.clone(), ApiPath(id), ApiJson(FeedbackInput { feedback: get("feedback") })).await
        }
        "close" => api::close(State(state.clone()), s.clone(), ApiPath(id)).await,
        _ => Err(xinfang_web::error::ApiError::not_found("操作")),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/staff/dispatch/orders?done={act}")).into_response(),
        Err(e) => {
            let mut r = orders_view(&state, &headers, &s, None, Some(chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}
