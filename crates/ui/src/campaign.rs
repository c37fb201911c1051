//! Backlog clearance campaigns on the workbench (积案化解, issue 12 item
//! 3): the unit's campaigns with their progress, a form to start one, and
//! one campaign's list with a form to put an owner leader on every open
//! item. Everything goes through `xinfang_web::api::campaign`.

use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_web::AppState;
use xinfang_web::api::campaign::{self as api, CampaignDetail, CampaignInput, CampaignQuery, CampaignView};
use xinfang_web::api::leadership::LeadInput;
use xinfang_web::auth::Staff;
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/campaigns", get(page).post(create))
        .route("/staff/campaigns/{id}", get(detail))
        .route("/staff/campaigns/{id}/lead", post(lead))
}

/// A share as printed.
pub fn share(v: &f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// A share that may be missing, as printed.
pub fn pct(v: &Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "staff_campaigns.html")]
struct ListPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    campaigns: Vec<CampaignView>,
    default_target_on: String,
}

#[derive(Template)]
#[template(path = "staff_campaign.html")]
struct DetailPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    d: CampaignDetail,
    /// Leaders who may own the cases: (username, name).
    leaders: Vec<(String, String)>,
}

fn failed(s: &Staff, headers: &HeaderMap, e: xinfang_web::error::ApiError) -> Response {
    crate::staff_error_page(s, headers, e.status, "无法查看", &e.message)
}

async fn list_page(state: &AppState, headers: &HeaderMap, s: &Staff, alert: Option<String>) -> Response {
    let campaigns = match api::list(State(state.clone()), s.clone()).await {
        Ok(Json(c)) => c,
        Err(e) => return failed(s, headers, e),
    };
    let default_target_on = (xinfang_domain::local_date(chrono::Utc::now()) + chrono::Duration::days(90)).to_string();
    let (csrf, set) = crate::portal::csrf(headers);
    crate::portal::with_cookie(
        render(&ListPage { me: me(s), nav: "campaigns", csrf, flash: None, alert, campaigns, default_target_on }),
        set,
    )
}

async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => list_page(&state, &headers, &s, None).await,
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
        return list_page(&state, &headers, &s, Some("页面已过期，请刷新后重试".into())).await;
    }
    let number = |k: &str| get(k).parse::<u32>().unwrap_or(0);
    let input = CampaignInput {
        name: get("name"),
        older_than_days: number("older_than_days"),
        target_percent: number("target_percent"),
        target_on: get("target_on"),
    };
    match api::create(State(state.clone()), s.clone(), ApiJson(input)).await {
        Ok((_, Json(c))) => Redirect::to(&format!("/staff/campaigns/{}", c.id)).into_response(),
        Err(e) => {
            let mut r = list_page(&state, &headers, &s, Some(chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    format: Option<String>,
    assigned: Option<u64>,
}

async fn detail_page(state: &AppState, headers: &HeaderMap, s: &Staff, id: i64, flash: Option<String>, alert: Option<String>) -> Response {
    let d = match api::detail_of(state, s, id).await {
        Ok(d) => d,
        Err(e) => return failed(s, headers, e),
    };
    // Leaders of the campaign's own area (its bureau, departments, the
    // government) — those who can meet the petitioners and the units.
    let units: Vec<i64> = xinfang_web::api::dashboard::scope_units(&state.tree(), &s.unit).into_iter().collect();
    let leaders = match state.store.users_in_units(&units, &["leader", "unit_head"]).await {
        Ok(l) => l.into_iter().map(|(username, name, _)| (username, name)).collect(),
        Err(e) => return failed(s, headers, e.into()),
    };
    let (csrf, set) = crate::portal::csrf(headers);
    crate::portal::with_cookie(render(&DetailPage { me: me(s), nav: "campaigns", csrf, flash, alert, d, leaders }), set)
}

async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::IdPath(id): crate::IdPath,
    Query(q): Query<DetailQuery>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(f) = q.format.filter(|f| !f.trim().is_empty()) {
        return api::detail(State(state.clone()), s.clone(), ApiPath(id), ApiQuery(CampaignQuery { format: Some(f) }))
            .await
            .unwrap_or_else(|e| failed(&s, &headers, e));
    }
    let flash = q.assigned.map(|n| format!("已为{n}件积案指定包案领导"));
    detail_page(&state, &headers, &s, id, flash, None).await
}

async fn lead(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::IdPath(id): crate::IdPath,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return detail_page(&state, &headers, &s, id, None, Some("页面已过期，请刷新后重试".into())).await;
    }
    match api::lead_all(&state, &s, id, &LeadInput { leader: get("leader"), note: get("note") }).await {
        Ok(b) => Redirect::to(&format!("/staff/campaigns/{id}?assigned={}", b.assigned)).into_response(),
        Err(e) => {
            let mut r = detail_page(&state, &headers, &s, id, None, Some(chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}
