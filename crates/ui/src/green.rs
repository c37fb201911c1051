//! The wage-arrears green channel on the workbench (issue 14, item 5): the
//! lane's list with its totals and the pre-Spring-Festival season, and the
//! forms on a petition's page. Every change goes through
//! `web::api::green_channel`.

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
use xinfang_web::api::green_channel::{self as api, ContactInput, GreenDecision, GreenList, GreenQuery, RecoveryInput};
use xinfang_web::extract::{ApiJson, ApiPath};

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/green-channel", get(list_page)).route("/staff/p/{number}/green/{act}", post(act))
}

#[derive(Template)]
#[template(path = "staff_green.html")]
struct ListPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    l: GreenList,
    season: bool,
}

#[derive(serde::Deserialize, Default)]
struct Params {
    #[serde(default)]
    season: String,
    #[serde(default)]
    overdue: String,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<Params>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let q =
        GreenQuery { season: Some(p.season.clone()).filter(|v| !v.is_empty()), overdue: Some(p.overdue == "1"), ..GreenQuery::default() };
    let l = match api::list(State(state.clone()), s.clone(), xinfang_web::extract::ApiQuery(q)).await {
        Ok(Json(l)) => l,
        Err(e) => return crate::error_page(&std::sync::Arc::default(), &headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    crate::portal::with_cookie(
        render(&ListPage { me: me(&s), nav: "green", csrf, flash: None, alert: None, l, season: !p.season.is_empty() }),
        set,
    )
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((number, act)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let back = format!("/staff/p/{}", xinfang_web::api::petitions::percent(&number));
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return Redirect::to(&back).into_response();
    }
    let st = || State(state.clone());
    let n = || ApiPath(number.clone());
    let done = match act.as_str() {
        "in" | "out" => {
            api::decide(st(), s.clone(), n(), ApiJson(GreenDecision { in_lane: act == "in", amount_claimed: None, workers: None }))
                .await
                .map(|_| ())
        }
        "contact" => api::contact(st(), s.clone(), n(), ApiJson(ContactInput { note: get("note") })).await.map(|_| ()),
        "recovered" => {
            let amount = get("amount").parse().unwrap_or(-1);
            let workers = get("workers").parse().unwrap_or(0);
            let note = Some(get("recovery_note")).filter(|n| !n.is_empty());
            api::recovered(st(), s.clone(), n(), ApiJson(RecoveryInput { amount, workers, note })).await.map(|_| ())
        }
        _ => Err(xinfang_web::error::ApiError::not_found("操作")),
    };
    match done {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(e) => crate::staff_error_page(&s, &headers, e.status, "未能办理", &e.message),
    }
}

/// An amount of yuan as people read it: thousands set apart (151,500).
pub(crate) fn yuan(amount: &i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if *amount < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn yuan_sets_thousands_apart() {
        assert_eq!(super::yuan(&151_500), "151,500");
        assert_eq!(super::yuan(&86_000), "86,000");
        assert_eq!(super::yuan(&999), "999");
        assert_eq!(super::yuan(&1_000_000), "1,000,000");
        assert_eq!(super::yuan(&0), "0");
    }
}
