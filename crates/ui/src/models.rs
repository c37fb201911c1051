//! The workbench page 「分办与风险模型」 (issue 13, items 3 and 4): what the
//! triage suggestions and the urgent-risk reader learnt from this
//! deployment's own routings and corrections, how each learnt model did
//! against the rule table on held-back recent cases and so whether it
//! answers, and the rule table itself. Every member of staff may read it
//! (a clerk may want to know why a suggestion came from a model); the
//! administrator may start a training run. It calls the handlers of
//! `GET /api/v1/triage/models`, `GET /api/v1/risk-model`,
//! `GET /api/v1/triage/rules` and their `…/train`, so the page and the
//! API apply one rule.

use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_domain::role::Role;
use xinfang_web::AppState;
use xinfang_web::api::{risk, triage};
use xinfang_web::auth::Staff;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/models", get(page)).route("/staff/models/train", post(train))
}

/// A field's name as the page says it.
fn field_label(field: &str) -> &'static str {
    match field {
        "category" => "分类",
        "topic" => "内容分类",
        "unit_kind" => "承办单位",
        _ => "其他",
    }
}

/// One learnt model of a field, ready to print.
struct ModelRow {
    field: &'static str,
    trained: String,
    examples: i64,
    held_out: i64,
    model_correct: i64,
    rules_correct: i64,
    baseline_correct: i64,
    active: bool,
}

/// One rule of the table, ready to print.
struct RuleRow {
    keywords: String,
    topic: String,
    unit_kind: String,
    category: String,
}

#[derive(Template)]
#[template(path = "staff_models.html")]
struct ModelsPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    admin: bool,
    models: Vec<ModelRow>,
    urgent: Option<xinfang_web::urgent_model::UrgentModelStatus>,
    rules: Vec<RuleRow>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    trained: Option<String>,
}

fn time(t: &str) -> String {
    crate::portal::local_time(t)
}

async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    flash: Option<String>,
    refused: Option<(StatusCode, String)>,
) -> Response {
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.0);
    let alert = refused.map(|r| r.1);
    let mut problems = Vec::new();
    let models = match triage::models(axum::extract::State(state.clone()), s.clone()).await {
        Ok(axum::Json(list)) => list
            .into_iter()
            .map(|m| ModelRow {
                field: field_label(&m.field),
                trained: time(&m.trained_at),
                examples: m.examples,
                held_out: m.held_out,
                model_correct: m.model_correct,
                rules_correct: m.rules_correct,
                baseline_correct: m.baseline_correct,
                active: m.active,
            })
            .collect(),
        Err(e) => {
            problems.push(chinese_only(&e.message));
            Vec::new()
        }
    };
    let urgent = match risk::model(axum::extract::State(state.clone()), s.clone()).await {
        Ok(axum::Json(u)) => Some(u),
        Err(e) => {
            problems.push(chinese_only(&e.message));
            None
        }
    };
    let topics: HashMap<String, String> = triage::topic_labels(&state.store).await.unwrap_or_default().into_iter().collect();
    let rules = match triage::rules(axum::extract::State(state.clone()), s.clone()).await {
        Ok(axum::Json(body)) => body
            .rules
            .into_iter()
            .map(|r| RuleRow {
                keywords: r.keywords.join("、"),
                topic: if r.topic.is_empty() { "—".into() } else { topics.get(&r.topic).cloned().unwrap_or(r.topic) },
                unit_kind: if r.unit_kind.is_empty() { "—".into() } else { r.unit_kind },
                category: triage::category_label(&r.category),
            })
            .collect(),
        Err(e) => {
            problems.push(chinese_only(&e.message));
            Vec::new()
        }
    };
    let alert = alert.or_else(|| (!problems.is_empty()).then(|| problems.join("；")));
    let (csrf, set) = crate::portal::csrf(headers);
    let p = ModelsPage { me: me(s), nav: "", csrf, flash, alert, admin: s.user.role == Role::Admin, models, urgent, rules };
    let mut response = crate::portal::with_cookie(render(&p), set);
    *response.status_mut() = status;
    response
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let flash = q.trained.filter(|_| s.user.role == Role::Admin).map(|_| "已完成训练，结果见下表".to_string());
    render_page(&state, &headers, &s, flash, None).await
}

/// Train both now (the administrator): the triage models, then the urgent
/// model, each as its API does.
async fn train(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return render_page(&state, &headers, &s, None, Some((StatusCode::FORBIDDEN, "页面已过期，请刷新后重试".into()))).await;
    }
    if let Err(e) = triage::train(State(state.clone()), s.clone()).await {
        let message = format!("分办模型训练未完成：{}", chinese_only(&e.message));
        return render_page(&state, &headers, &s, None, Some((e.status, message))).await;
    }
    if let Err(e) = risk::train(State(state.clone()), s.clone()).await {
        let message = format!("风险模型：{}", chinese_only(&e.message));
        return render_page(&state, &headers, &s, None, Some((e.status, message))).await;
    }
    Redirect::to("/staff/models?trained=1").into_response()
}
