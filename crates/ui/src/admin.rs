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
        .route("/staff/admin/users/{username}", get(user_page).post(update_user))
        .route("/staff/admin/users/{username}/active", post(set_active))
        .route("/staff/admin/users/{username}/password", post(reset_password))
        .route("/staff/admin/units/{code}", get(unit_page).post(rename_unit))
}

/// Most rows a list shows; a search narrows the rest.
const LIST_ROWS: usize = 200;
/// The most units a unit select offers: a province has thousands, so the
/// selects offer the units found by the unit search, never all of them.
const UNIT_CHOICES: usize = 100;

/// The options of a unit select: `found` (already filtered and ordered)
/// up to `UNIT_CHOICES`, with `keep` (the unit chosen so far) always
/// offered; and whether some found units were left out.
fn unit_choices(tree: &xinfang_domain::unit::UnitTree, found: &[(String, String)], keep: &str) -> (Vec<(String, String)>, bool) {
    let mut units: Vec<(String, String)> = found.iter().take(UNIT_CHOICES).cloned().collect();
    if !keep.is_empty()
        && !units.iter().any(|(c, _)| c == keep)
        && let Some(u) = tree.by_code(keep)
    {
        units.insert(0, (u.code.clone(), u.name.clone()));
    }
    (units, found.len() > UNIT_CHOICES)
}

#[derive(Template)]
#[template(path = "staff_admin.html")]
struct AdminPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    /// (username, name, role, unit, status, locked, active)
    users: Vec<(String, String, String, String, String, bool, bool)>,
    users_total: usize,
    user_q: String,
    unit_q: String,
    units_total: usize,
    /// (id, label, unit, channel, created, revoked)
    keys: Vec<(i64, String, String, String, String, Option<String>)>,
    roles: Vec<(String, String)>,
    /// The units the selects offer (those found, at most `UNIT_CHOICES`).
    units: Vec<(String, String)>,
    /// Some found units are not offered: the search narrows the choice.
    units_more: bool,
    unit_rows: Vec<UnitRow>,
    year: i32,
    covered: bool,
    days: Vec<(String, String, String)>,
    topics: Vec<(String, String)>,
    new_key: Option<String>,
    /// The new-user form as typed, when it was refused, and its messages.
    nu: HashMap<String, String>,
    nu_errors: HashMap<String, String>,
}

impl AdminPage {
    fn nu(&self, k: &str) -> &str {
        self.nu.get(k).map(String::as_str).unwrap_or_default()
    }
}

/// A unit with both its superiors: the line one (条条) and its government (块块).
struct UnitRow {
    code: String,
    name: String,
    kind: String,
    level: String,
    parent: String,
    government: String,
}

#[derive(Deserialize, Default)]
struct AdminQuery {
    year: Option<i32>,
    done: Option<String>,
    /// Search of the users (username, name, unit).
    uq: Option<String>,
    /// Search of the units (name, code, pinyin initials).
    nq: Option<String>,
}

pub(crate) fn matches(q: &str, hay: &[&str]) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty() || q.split_whitespace().all(|w| hay.iter().any(|h| h.to_lowercase().contains(w)))
}

pub(crate) async fn admin(state: &AppState, headers: &HeaderMap) -> Result<Staff, Response> {
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
    let shown = Shown { flash, alert, new_key, failed_user: None };
    render_list(state, headers, s, &AdminQuery { year: Some(year), ..AdminQuery::default() }, shown).await
}

/// What the admin page says besides its lists.
#[derive(Default)]
struct Shown {
    flash: Option<String>,
    alert: Option<String>,
    /// A key just created (shown once).
    new_key: Option<String>,
    failed_user: Option<FailedUser>,
}

/// The new-user form as typed and its messages by field.
type FailedUser = (HashMap<String, String>, HashMap<String, String>);

async fn render_list(state: &AppState, headers: &HeaderMap, s: &Staff, q: &AdminQuery, shown: Shown) -> Response {
    let Shown { flash, alert, new_key, failed_user } = shown;
    let year = q.year.unwrap_or_else(|| xinfang_domain::local_date(chrono::Utc::now()).year());
    let user_q = q.uq.clone().unwrap_or_default();
    let unit_q = q.nq.clone().unwrap_or_default();
    let (csrf, set) = crate::portal::csrf(headers);
    let tree = state.tree();
    let name_of = |id: i64| tree.get(id).map(|u| u.name.clone()).unwrap_or_default();
    let now = chrono::Utc::now();
    let users: Vec<_> = state
        .store
        .users()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|u| tree.administers(s.unit.id, u.unit_id))
        .filter(|u| matches(&user_q, &[&u.username, &u.display_name, &name_of(u.unit_id), u.role.label()]))
        .map(|u| {
            let locked = u.locked_until.as_deref().and_then(|t| xinfang_store::parse_instant(t).ok()).is_some_and(|t| t > now);
            let status = if !u.active {
                "停用"
            } else if locked {
                "已锁定"
            } else {
                "正常"
            };
            (u.username, u.display_name, u.role.label().to_string(), name_of(u.unit_id), status.to_string(), locked, u.active)
        })
        .collect();
    let users_total = users.len();
    let users: Vec<_> = users.into_iter().take(LIST_ROWS).collect();
    // The admin's area, in either hierarchy (the same rule the API applies).
    let mine: Vec<&xinfang_domain::unit::Unit> = tree.all().filter(|u| tree.administers(s.unit.id, u.id)).collect();
    let mut unit_rows: Vec<UnitRow> = mine
        .iter()
        .filter(|u| unit_q.trim().is_empty() || matches(&unit_q, &[&u.name, &u.code, &crate::workbench::initials(&u.name), u.kind.label()]))
        .map(|u| UnitRow {
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind.label().to_string(),
            level: u.level.label().to_string(),
            parent: u.parent_id.map(name_of).unwrap_or_default(),
            government: u.gov_id.map(name_of).unwrap_or_default(),
        })
        .collect();
    unit_rows.sort_by(|a, b| a.code.cmp(&b.code));
    let units_total = unit_rows.len();
    let found: Vec<(String, String)> = unit_rows.iter().map(|u| (u.code.clone(), u.name.clone())).collect();
    let typed = failed_user.as_ref().and_then(|f| f.0.get("unit")).cloned().unwrap_or_default();
    let (units, units_more) = unit_choices(&tree, &found, &typed);
    unit_rows.truncate(LIST_ROWS);
    let keys = state
        .store
        .api_keys()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|k| tree.administers(s.unit.id, k.unit_id))
        .map(|k| {
            let channel = xinfang_domain::petition::Channel::parse(&k.channel).map(|c| c.label().to_string()).unwrap_or(k.channel);
            (
                k.id,
                k.label,
                name_of(k.unit_id),
                channel,
                crate::portal::local_time(&k.created_at),
                k.revoked_at.map(|t| crate::portal::local_time(&t)),
            )
        })
        .collect();
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
        users_total,
        user_q,
        unit_q,
        units_total,
        keys,
        roles: Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect(),
        units,
        units_more,
        unit_rows,
        year,
        covered: cal.covered_years().any(|y| y == year),
        days,
        topics,
        new_key,
        nu: failed_user.as_ref().map(|f| f.0.clone()).unwrap_or_default(),
        nu_errors: failed_user.map(|f| f.1).unwrap_or_default(),
    };
    crate::portal::with_cookie(render(&page), set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<AdminQuery>) -> Response {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let year = q.year.filter(|y| (2004..=2100).contains(y)).unwrap_or_else(|| xinfang_domain::local_date(chrono::Utc::now()).year());
    let flash = q.done.as_ref().map(|d| format!("已保存：{d}"));
    let q = AdminQuery { year: Some(year), ..q };
    render_list(&state, &headers, &s, &q, Shown { flash, ..Shown::default() }).await
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

/// A form field, trimmed (empty when absent).
pub(crate) fn field(f: &HashMap<String, String>, k: &str) -> String {
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
    match account::create_user(State(state.clone()), s.clone(), ApiJson(req)).await {
        Ok(_) => Redirect::to("/staff/admin?done=%E7%94%A8%E6%88%B7").into_response(),
        Err(e) => {
            // The form comes back as typed (never the password), the message beside its field.
            let at = match e.code.as_str() {
                "invalid_username" | "username_taken" => "username",
                "weak_password" => "password",
                "invalid_name" => "display_name",
                "invalid_role" => "role",
                _ => "unit",
            };
            let values: HashMap<String, String> =
                ["username", "display_name", "role", "unit"].iter().map(|k| ((*k).to_string(), field(&f, k))).collect();
            let msg = crate::workbench::chinese_only(&e.message);
            // A server that is busy or failed names no field: say so above the form.
            let (alert, errors): (String, HashMap<String, String>) = if e.status.is_server_error() {
                (format!("未能创建用户：{msg}"), HashMap::new())
            } else {
                ("未能创建用户：请按提示修改".into(), [(at.to_string(), msg)].into_iter().collect())
            };
            let q = AdminQuery::default();
            let shown = Shown { alert: Some(alert), failed_user: Some((values, errors)), ..Shown::default() };
            let mut r = render_list(&state, &headers, &s, &q, shown).await;
            *r.status_mut() = e.status;
            r
        }
    }
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

// ----- One account, one unit ---------------------------------------------

#[derive(Template)]
#[template(path = "staff_admin_user.html")]
struct UserPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    username: String,
    display_name: String,
    role: String,
    unit: String,
    active: bool,
    locked: bool,
    roles: Vec<(String, String)>,
    /// The units the select offers: the user's own area, or those found.
    units: Vec<(String, String)>,
    units_more: bool,
    /// The unit search of this page.
    unit_q: String,
    /// Where reminders go (decrypted for the admin who manages the account).
    email: String,
    phone: String,
    /// Field messages: display_name, email, phone, password.
    errors: HashMap<String, String>,
}

/// What an account's page says besides the account.
#[derive(Default)]
struct UserShown {
    flash: Option<String>,
    alert: Option<String>,
    errors: HashMap<String, String>,
    /// The unit search of the page.
    unit_q: String,
}

async fn user_form(state: &AppState, headers: &HeaderMap, s: &Staff, username: &str, shown: UserShown) -> Response {
    let UserShown { flash, alert, errors, unit_q } = shown;
    let unit_q = unit_q.as_str();
    let user = match state.store.user_by_username(username).await {
        Ok(Some(u)) if state.tree().administers(s.unit.id, u.unit_id) => u,
        _ => {
            return crate::error_page(
                &std::sync::Arc::default(),
                headers,
                axum::http::StatusCode::NOT_FOUND,
                "用户不存在",
                "没有这个用户，或不在本辖区内。",
            );
        }
    };
    let (csrf, set) = crate::portal::csrf(headers);
    let tree = state.tree();
    // Without a search: the units of the user's own area (where a move
    // usually goes); a search offers any unit of the admin's area found.
    let current = tree.get(user.unit_id).cloned();
    let area = current.as_ref().map(|u| u.jurisdiction.clone()).unwrap_or_default();
    let mut found: Vec<(String, String)> = tree
        .all()
        .filter(|u| tree.administers(s.unit.id, u.id))
        .filter(|u| {
            if unit_q.trim().is_empty() {
                u.jurisdiction == area
            } else {
                matches(unit_q, &[&u.name, &u.code, &crate::workbench::initials(&u.name), u.kind.label()])
            }
        })
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    found.sort();
    let (units, units_more) = unit_choices(&tree, &found, current.as_ref().map(|u| u.code.as_str()).unwrap_or_default());
    let now = chrono::Utc::now();
    let (email, phone) = state.store.user_contact(user.id).await.unwrap_or_default();
    let plain = |c: Option<String>| c.and_then(|c| state.keyring.decrypt(&c).ok()).unwrap_or_default();
    let page = UserPage {
        email: plain(email),
        phone: plain(phone),
        me: me(s),
        nav: "admin",
        csrf,
        flash,
        alert,
        locked: user.locked_until.as_deref().and_then(|t| xinfang_store::parse_instant(t).ok()).is_some_and(|t| t > now),
        username: user.username,
        display_name: user.display_name,
        role: user.role.as_str().to_string(),
        unit: tree.get(user.unit_id).map(|u| u.code.clone()).unwrap_or_default(),
        active: user.active,
        roles: Role::ALL.iter().map(|r| (r.as_str().to_string(), r.label().to_string())).collect(),
        units,
        units_more,
        unit_q: unit_q.to_string(),
        errors,
    };
    crate::portal::with_cookie(render(&page), set)
}

async fn user_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(username): axum::extract::Path<String>,
    Query(q): Query<AdminQuery>,
) -> Response {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let shown = UserShown { flash: q.done.map(|d| format!("已保存：{d}")), unit_q: q.nq.unwrap_or_default(), ..UserShown::default() };
    user_form(&state, &headers, &s, &username, shown).await
}

/// After an account change: back to the account with a message, or the form with the message beside its field.
async fn user_outcome(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    username: &str,
    r: Result<(), xinfang_web::error::ApiError>,
    what: &str,
    field: &str,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!(
            "/staff/admin/users/{}?done={}",
            crate::workbench::url_encode(username),
            crate::workbench::url_encode(what)
        ))
        .into_response(),
        Err(e) => {
            let msg = crate::workbench::chinese_only(&e.message);
            let mut errors = HashMap::new();
            let alert = if field.is_empty() || e.status.is_server_error() {
                Some(msg)
            } else {
                errors.insert(field.to_string(), msg);
                Some("未保存：请按提示修改".to_string())
            };
            let mut resp = user_form(state, headers, s, username, UserShown { alert, errors, ..UserShown::default() }).await;
            *resp.status_mut() = e.status;
            resp
        }
    }
}

async fn update_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(username): axum::extract::Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let change = account::UserChange {
        display_name: Some(field(&f, "display_name")),
        role: Some(field(&f, "role")),
        unit: Some(field(&f, "unit")),
        active: None,
        email: Some(field(&f, "email")),
        phone: Some(field(&f, "phone")),
    };
    let r = account::update_user(State(state.clone()), s.clone(), ApiPath(username.clone()), ApiJson(change)).await.map(|_| ());
    let at = match r.as_ref().err().map(|e| e.code.as_str()) {
        Some("invalid_name") => "display_name",
        Some("invalid_email") => "email",
        Some("invalid_phone") => "phone",
        _ => "",
    };
    user_outcome(&state, &headers, &s, &username, r, "账号信息", at).await
}

async fn set_active(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(username): axum::extract::Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let active = field(&f, "active") == "1";
    let change = account::UserChange { active: Some(active), ..account::UserChange::default() };
    let r = account::update_user(State(state.clone()), s.clone(), ApiPath(username.clone()), ApiJson(change)).await.map(|_| ());
    user_outcome(&state, &headers, &s, &username, r, if active { "已启用账号" } else { "已停用账号，其登录已全部失效" }, "").await
}

async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(username): axum::extract::Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let req = account::PasswordReset { password: field(&f, "password") };
    let r = account::reset_password(State(state.clone()), s.clone(), ApiPath(username.clone()), ApiJson(req)).await.map(|_| ());
    user_outcome(&state, &headers, &s, &username, r, "已重置密码，请将新密码当面告知本人", "password").await
}

#[derive(Template)]
#[template(path = "staff_admin_unit.html")]
struct UnitPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    row: UnitRow,
    name_error: Option<String>,
    users: Vec<(String, String, String)>,
}

async fn unit_form(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    code: &str,
    flash: Option<String>,
    name_error: Option<String>,
) -> Response {
    let tree = state.tree();
    let Some(u) = tree.by_code(code).filter(|u| tree.administers(s.unit.id, u.id)).cloned() else {
        return crate::error_page(
            &std::sync::Arc::default(),
            headers,
            axum::http::StatusCode::NOT_FOUND,
            "单位不存在",
            "没有这个单位，或不在本辖区内。",
        );
    };
    let name_of = |id: i64| tree.get(id).map(|u| u.name.clone()).unwrap_or_default();
    let users = state
        .store
        .users()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|x| x.unit_id == u.id)
        .map(|x| (x.username, x.display_name, if x.active { x.role.label().to_string() } else { format!("{}（停用）", x.role.label()) }))
        .collect();
    let (csrf, set) = crate::portal::csrf(headers);
    let row = UnitRow {
        code: u.code.clone(),
        name: u.name.clone(),
        kind: u.kind.label().to_string(),
        level: u.level.label().to_string(),
        parent: u.parent_id.map(name_of).unwrap_or_default(),
        government: u.gov_id.map(name_of).unwrap_or_default(),
    };
    let alert = name_error.as_ref().map(|_| "未保存：请按提示修改".to_string());
    crate::portal::with_cookie(render(&UnitPage { me: me(s), nav: "admin", csrf, flash, alert, row, name_error, users }), set)
}

async fn unit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<AdminQuery>,
) -> Response {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    unit_form(&state, &headers, &s, &code, q.done.map(|d| format!("已保存：{d}")), None).await
}

async fn rename_unit(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(code): axum::extract::Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let req = xinfang_web::api::units::UnitRename { name: field(&f, "name") };
    match xinfang_web::api::units::rename(State(state.clone()), s.clone(), ApiPath(code.clone()), ApiJson(req)).await {
        Ok(_) => {
            Redirect::to(&format!("/staff/admin/units/{}?done=%E5%8D%95%E4%BD%8D%E5%90%8D%E7%A7%B0", crate::workbench::url_encode(&code)))
                .into_response()
        }
        Err(e) => {
            let mut r = unit_form(&state, &headers, &s, &code, None, Some(crate::workbench::chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}
