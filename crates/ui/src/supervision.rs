//! The workbench page 「督办」 (issue 12): the deadline watch's counts for
//! the staff member's unit, the supervision cases it opened (or the watch
//! opened in its name) and those addressed to it, with the written reply
//! form (supervised unit), the closing form (supervising unit) and a form
//! to open one. The forms call the same handlers as the JSON API
//! (`xinfang_web::api::supervision`).

use crate::render;
use crate::workbench::{Me, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xinfang_domain::supervision::{SupervisionKind, may_supervise};
use xinfang_web::AppState;
use xinfang_web::api::supervision::{self as api, CaseQuery, OpenCase, SupervisionCaseView, WatchView};
use xinfang_web::auth::Staff;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/supervision", get(page).post(open))
        .route("/staff/supervision/{id}/reply", post(reply))
        .route("/staff/supervision/{id}/close", post(close))
}

#[derive(Template)]
#[template(path = "staff_supervision.html")]
struct SupervisionPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    unit: String,
    watch: Option<WatchView>,
    supervised: Vec<SupervisionCaseView>,
    supervising: Vec<SupervisionCaseView>,
    all: bool,
    /// May open cases (supervisors, leaders, unit heads).
    opens: bool,
    kinds: Vec<(&'static str, &'static str)>,
    /// The units the caller's unit may open a case about (code, name): the
    /// supervised-unit field offers these (`supervision::may_supervise`).
    supervisable: Vec<(String, String)>,
    /// This month's 学法考法 participation in the caller's area, beside the
    /// handling figures (managers only).
    learning: Option<xinfang_web::api::learning::FiguresView>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    /// Closed cases too.
    all: Option<bool>,
    done: Option<String>,
}

async fn render_page(state: AppState, headers: &HeaderMap, s: Staff, q: PageQuery, alert: Option<String>) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let all = q.all.unwrap_or(false);
    let list = |role: &str| CaseQuery { role: Some(role.into()), open: Some(!all), before: None, limit: Some(200) };
    let supervised = api::cases_for(&state, &s, &list("supervised")).await;
    let supervising = api::cases_for(&state, &s, &list("supervising")).await;
    let (supervised, supervising) = match (supervised, supervising) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            return crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法显示督办事项", &e.message);
        }
    };
    let watch = api::watch_for(&state, &s, None).await.ok();
    let flash = match q.done.as_deref() {
        Some("reply") => Some("书面回复已提交，并记入办理记录".to_string()),
        Some("close") => Some("督办事项已办结".to_string()),
        Some("open") => Some("督办事项已发起".to_string()),
        _ => None,
    };
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let opens = xinfang_domain::supervision::SUPERVISORS.contains(&s.user.role);
    let kinds = SupervisionKind::MANUAL.iter().map(|k| (k.as_str(), k.label())).collect();
    let supervisable = if opens { supervisable(&state.tree(), &s) } else { Vec::new() };
    let learning = if xinfang_domain::leadership::MANAGERS.contains(&s.user.role) {
        let q = xinfang_web::api::learning::ParticipationQuery::default();
        match xinfang_web::api::learning::period(&q) {
            Ok((from, to)) => xinfang_web::api::learning::participation_for(&state, &s, from, to).await.ok().map(|p| p.total),
            Err(_) => None,
        }
    } else {
        None
    };
    let page = SupervisionPage {
        me: me(&s),
        nav: "supervision",
        csrf,
        flash,
        alert,
        unit: s.unit.name.clone(),
        watch,
        supervised,
        supervising,
        all,
        opens,
        kinds,
        supervisable,
        learning,
    };
    let mut r = render(&page);
    *r.status_mut() = status;
    crate::portal::with_cookie(r, set)
}

/// The units the staff member's unit may open a case about its work
/// against, by the rule the case is judged by, of its own level and the
/// one below (bounded however big the tree), in code order.
fn supervisable(tree: &xinfang_domain::unit::UnitTree, s: &Staff) -> Vec<(String, String)> {
    let (me, level) = (s.unit.id, s.unit.level);
    let mut units: Vec<(String, String)> = tree
        .all()
        .filter(|u| u.level <= xinfang_domain::unit::Level::ALL.into_iter().find(|l| *l > level).unwrap_or(level))
        .filter(|u| may_supervise(tree, me, u.id, &u.jurisdiction))
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    units.sort();
    units
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => render_page(state, &headers, s, q, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct OpenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    petition: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    suggestions: String,
    #[serde(default)]
    letter: String,
    #[serde(default)]
    rectify_by: String,
}

async fn reply(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<TextForm>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        return render_page(state, &headers, s, PageQuery::default(), Some("页面已过期，请刷新后重试".into())).await;
    }
    match api::reply_case(&state, &s, id, &f.text).await {
        Ok(()) => Redirect::to("/staff/supervision?done=reply").into_response(),
        Err(e) => render_page(state, &headers, s, PageQuery::default(), Some(format!("未能提交回复：{}", e.message))).await,
    }
}

async fn close(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<TextForm>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        return render_page(state, &headers, s, PageQuery::default(), Some("页面已过期，请刷新后重试".into())).await;
    }
    match api::close_case(&state, &s, id, &f.text).await {
        Ok(()) => Redirect::to("/staff/supervision?done=close").into_response(),
        Err(e) => render_page(state, &headers, s, PageQuery::default(), Some(format!("未能办结：{}", e.message))).await,
    }
}

async fn open(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<OpenForm>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        return render_page(state, &headers, s, PageQuery::default(), Some("页面已过期，请刷新后重试".into())).await;
    }
    let some = |v: String| Some(v.trim().to_string()).filter(|v| !v.is_empty());
    let rectify_by = match some(f.rectify_by) {
        None => None,
        Some(d) => match d.parse() {
            Ok(d) => Some(d),
            Err(_) => return render_page(state, &headers, s, PageQuery::default(), Some("整改期限的日期格式不正确".into())).await,
        },
    };
    let input = OpenCase {
        kind: f.kind,
        petition: some(f.petition),
        unit: some(f.unit),
        reason: f.reason,
        suggestions: f.suggestions,
        letter: some(f.letter),
        rectify_by,
    };
    match api::open_case(&state, &s, input).await {
        Ok(_) => Redirect::to("/staff/supervision?done=open").into_response(),
        Err(e) => render_page(state, &headers, s, PageQuery::default(), Some(format!("未能发起督办：{}", e.message))).await,
    }
}
