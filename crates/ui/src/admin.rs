//! Administration pages: users and roles, units, the holiday calendar,
//! topics and API keys. Every change goes through the admin API handlers,
//! so the same checks (role, the admin's area, password policy) apply.

use crate::render;
use crate::workbench::{Me, me, staff};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::Datelike;
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_domain::calendar::DayKind;
use xinfang_domain::role::Role;
use xinfang_web::AppState;
use xinfang_web::api::{account, reference};
use xinfang_web::auth::Staff;
use xinfang_web::dto::{ApiKeyInput, CalendarDayInput};
use xinfang_web::extract::{ApiJson, ApiPath};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/admin", get(page))
        .route("/staff/admin/users", post(create_user))
        .route("/staff/admin/unlock", post(unlock))
        .route("/staff/admin/calendar", post(set_day))
        .route("/staff/admin/keys", post(create_key))
        .route("/staff/admin/keys/revoke", post(revoke_key))
}

#[derive(Template)]
#[template(path = "staff_admin.html")]
struct AdminPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    users: Vec<(String, String, String, String, String, bool)>,
    roles: Vec<(String, String)>,
    units: Vec<(String, String)>,
    unit_rows: Vec<UnitRow>,
    year: i32,
    covered: bool,
    days: Vec<(String, String, String)>,
    topics: Vec<(String, String)>,
    new_key: Option<String>,
}

/// A unit with both its superiors: the line one (条条) and its government (块块).
struct UnitRow {
    code: String,
    name: String,
    kind: String,
    parent: String,
    government: String,
}

#[derive(Deserialize, Default)]
struct AdminQuery {
    year: Option<i32>,
    done: Option<String>,
}

async fn admin(state: &AppState, headers: &HeaderMap) -> Result<Staff, Response> {
    let s = staff(state, headers).await?;
    if s.user.role != Role::Admin {
        return Err(crate::error_page(
            &std::sync::Arc::default(),
            headers,
            axum::http::StatusCode::FORBIDDEN,
            "无权访问",
            "系统管理页面仅限系统管理员使用。",
        ));
    }
    Ok(s)
}

async fn render_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    year: i32,
    flash: Option<String>,
    alert: Option<String>,
    new_key: Option<String>,
) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let tree = state.tree();
    let name_of = |id: i64| tree.get(id).map(|u| u.name.clone()).unwrap_or_default();
    let now = chrono::Utc::now();
    let users = state
        .store
        .users()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| tree.administers(s.unit.id, u.unit_id))
        .map(|u| {
            let locked = u.locked_until.as_deref().and_then(|t| xinfang_store::parse_instant(t).ok()).is_some_and(|t| t > now);
            let status = if !u.active {
                "停用"
            } else if locked {
                "已锁定"
            } else {
                "正常"
            };
            (u.username, u.display_name, u.role.label().to_string(), name_of(u.unit_id), status.to_string(), locked)
        })
        .collect();
    // The admin's area, in either hierarchy (the same rule the API applies).
    let mine: Vec<&xinfang_domain::unit::Unit> = tree.all().filter(|u| tree.administers(s.unit.id, u.id)).collect();
    let mut units: Vec<(String, String)> = mine.iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    units.sort();
    let mut unit_rows: Vec<UnitRow> = mine
        .iter()
        .map(|u| UnitRow {
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.label().to_string(),
            parent: u.parent_id.map(name_of).unwrap_or_default(),
            government: u.gov_id.map(name_of).unwrap_or_default(),
        })
        .collect();
    unit_rows.sort_by(|a, b| a.code.cmp(&b.code));
    let cal = state.calendar();
    let days = cal
        .special_days()
        .filter(|d| d.date.year() == year)
        .map(|d| (d.date.to_string(), if d.kind == DayKind::Holiday { "放假" } else { "调休上班" }.to_string(), d.name.clone()))
        .collect();
    let topics = state.store.topics().await.unwrap_or_default().into_iter().map(|t| (t.code, t.name)).collect();
    let page = AdminPage {
        me: me(s),
        nav: "admin",
        csrf,
        flash,
        alert,
        users,
        roles: Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect(),
        units,
        unit_rows,
        year,
        covered: cal.covered_years().any(|y| y == year),
        days,
        topics,
        new_key,
    };
    crate::portal::with_cookie(render(&page), set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<AdminQuery>) -> Response {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let year = q.year.filter(|y| (2004..=2100).contains(y)).unwrap_or_else(|| xinfang_domain::local_date(chrono::Utc::now()).year());
    let flash = q.done.map(|d| format!("已保存：{d}"));
    render_page(&state, &headers, &s, year, flash, None, None).await
}

/// Check the form's CSRF token and the admin; then run `f`.
async fn guarded(state: &AppState, headers: &HeaderMap, form: &HashMap<String, String>) -> Result<Staff, Response> {
    let s = admin(state, headers).await?;
    if !crate::portal::csrf_ok(headers, form.get("csrf").map(String::as_str).unwrap_or_default()) {
        let year = xinfang_domain::local_date(chrono::Utc::now()).year();
        return Err(render_page(state, headers, &s, year, None, Some("页面已过期，请刷新后重试".into()), None).await);
    }
    Ok(s)
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).map(|v| v.trim().to_string()).unwrap_or_default()
}

async fn outcome(state: &AppState, headers: &HeaderMap, s: &Staff, r: Result<(), xinfang_web::error::ApiError>, what: &str) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/staff/admin?done={what}")).into_response(),
        Err(e) => {
            let year = xinfang_domain::local_date(chrono::Utc::now()).year();
            render_page(state, headers, s, year, None, Some(e.message), None).await
        }
    }
}

async fn create_user(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let req = account::NewUser {
        username: field(&f, "username"),
        display_name: field(&f, "display_name"),
        password: field(&f, "password"),
        role: field(&f, "role"),
        unit: field(&f, "unit"),
    };
    let r = account::create_user(State(state.clone()), s.clone(), ApiJson(req)).await.map(|_| ());
    outcome(&state, &headers, &s, r, "用户").await
}

async fn unlock(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let r = account::unlock_user(State(state.clone()), s.clone(), ApiPath(field(&f, "username"))).await.map(|_| ());
    outcome(&state, &headers, &s, r, "解锁").await
}

async fn set_day(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let input = CalendarDayInput { kind: field(&f, "kind"), name: field(&f, "name") };
    let r = reference::set_calendar_day(State(state.clone()), s.clone(), ApiPath(field(&f, "date")), ApiJson(input)).await.map(|_| ());
    outcome(&state, &headers, &s, r, "节假日").await
}

async fn create_key(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let input = ApiKeyInput { label: field(&f, "label"), unit: field(&f, "unit"), channel: field(&f, "channel") };
    let year = xinfang_domain::local_date(chrono::Utc::now()).year();
    match reference::create_api_key(State(state.clone()), s.clone(), ApiJson(input)).await {
        Ok((_, Json(k))) => render_page(&state, &headers, &s, year, Some(format!("已创建密钥，编号{}", k.id)), None, Some(k.api_key)).await,
        Err(e) => render_page(&state, &headers, &s, year, None, Some(e.message), None).await,
    }
}

async fn revoke_key(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let id = field(&f, "id").parse::<i64>().unwrap_or(0);
    let r = reference::revoke_api_key(State(state.clone()), s.clone(), ApiPath(id)).await.map(|_| ());
    outcome(&state, &headers, &s, r, "吊销密钥").await
}
