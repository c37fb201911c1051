//! The duty roster page (issue 14, item 4): leaders and lawyers on duty,
//! the lawyer roster, 下访 trips and their results, spot checks of duty
//! days and the missed ones. Every change goes through `web::api::duty`.

use crate::portal::{csrf, csrf_ok, with_cookie};
use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_web::AppState;
use xinfang_web::api::duty::{
    self as api, DutyCheckInput, DutyInput, DutyView, LawyerInput, LawyerVisitInput, OutreachInput, OutreachResult, RangeQuery,
    ReceptionDayQuery, ReceptionDayView, RosterView,
};
use xinfang_web::auth::Staff;
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/duty", get(page))
        .route("/staff/duty/days", post(add_duty))
        .route("/staff/duty/days/{id}/check", post(check))
        .route("/staff/duty/days/{id}/remove", post(remove))
        .route("/staff/duty/lawyers", post(add_lawyer))
        .route("/staff/duty/outreach", post(add_outreach))
        .route("/staff/duty/outreach/{id}/result", post(outreach_result))
        .route("/staff/duty/lawyer-visits", post(lawyer_visit))
        .route("/staff/duty/day", get(reception_day))
}

#[derive(Template)]
#[template(path = "staff_duty.html")]
struct DutyPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    r: RosterView,
    missed: Vec<DutyView>,
    /// Whether the viewer spot-checks (leader, unit head, supervisor).
    checker: bool,
    /// The viewer's user id: his own duty days are checked by others.
    user_id: i64,
    /// Whether the viewer keeps the roster (and may take a future day off it).
    keeper: bool,
    /// The leaders who may be put on duty here: (username, name and unit).
    leaders: Vec<(String, String)>,
    today: String,
    /// The duty days taken off the roster, with when in Beijing time.
    removed: Vec<(api::RemovedDutyView, String)>,
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(state: &AppState, headers: &HeaderMap, s: &Staff, flash: Option<String>, alert: Option<String>) -> Response {
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let q = RangeQuery {
        from: Some((today - chrono::Duration::days(14)).to_string()),
        to: Some((today + chrono::Duration::days(30)).to_string()),
    };
    let r = match api::roster_of(state, s, &q).await {
        Ok(r) => r,
        Err(e) => return crate::staff_error_page(s, headers, e.status, "无法查看值班表", &chinese_only(&e.message)),
    };
    let checker = xinfang_domain::leadership::MANAGERS.contains(&s.user.role);
    let missed = if checker { api::missed(State(state.clone()), s.clone()).await.map(|Json(m)| m).unwrap_or_default() } else { Vec::new() };
    let (token, set) = csrf(headers);
    let keeper = api::ROSTER_KEEPERS.contains(&s.user.role);
    let leaders = api::duty_leaders(state, &s.unit).await.unwrap_or_default();
    let removed = r.removed.iter().map(|d| (d.clone(), crate::portal::local_time(&d.removed_at))).collect();
    let page = DutyPage {
        me: me(s),
        nav: "duty",
        csrf: token,
        flash,
        alert,
        r,
        missed,
        checker,
        user_id: s.user.id,
        keeper,
        leaders,
        today: today.to_string(),
        removed,
    };
    with_cookie(render(&page), set)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<Done>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => show(&state, &headers, &s, q.done.map(|_| "已保存".to_string()), None).await,
        Err(r) => r,
    }
}

/// Run a change from a form: CSRF first, then the API handler; back to the
/// roster (303) or the roster with the message.
async fn change<F, Fut>(state: AppState, headers: HeaderMap, f: HashMap<String, String>, run: F) -> Response
where
    F: FnOnce(AppState, Staff, HashMap<String, String>) -> Fut,
    Fut: std::future::Future<Output = Result<(), xinfang_web::error::ApiError>>,
{
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return show(&state, &headers, &s, None, Some("页面已过期，请刷新后重试".into())).await;
    }
    match run(state.clone(), s.clone(), f).await {
        Ok(()) => Redirect::to("/staff/duty?done=1").into_response(),
        Err(e) => {
            let mut r = show(&state, &headers, &s, None, Some(chinese_only(&e.message))).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).map(|v| v.trim().to_string()).unwrap_or_default()
}

async fn add_duty(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    change(state, headers, f, |state, s, f| async move {
        let leader = Some(field(&f, "leader")).filter(|v| !v.is_empty());
        let lawyer = field(&f, "lawyer").parse().ok();
        api::put_on_duty(&state, &s, DutyInput { day: field(&f, "day"), leader, lawyer, note: field(&f, "note") }).await.map(|_| ())
    })
    .await
}

async fn add_lawyer(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    change(state, headers, f, |state, s, f| async move {
        let input = LawyerInput {
            name: field(&f, "name"),
            firm: field(&f, "firm"),
            licence_number: field(&f, "licence_number"),
            phone: field(&f, "phone"),
        };
        api::enrol_lawyer(&state, &s, input).await.map(|_| ())
    })
    .await
}

async fn add_outreach(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    change(state, headers, f, |state, s, f| async move {
        let input =
            OutreachInput { leader: field(&f, "leader"), day: field(&f, "day"), place: field(&f, "place"), purpose: field(&f, "purpose") };
        api::add_outreach(State(state), s, ApiJson(input)).await.map(|_| ())
    })
    .await
}

async fn outreach_result(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    change(state, headers, f, move |state, s, f| async move {
        api::outreach_result(State(state), s, ApiPath(id), ApiJson(OutreachResult { result: field(&f, "result") })).await.map(|_| ())
    })
    .await
}

async fn check(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Form(f): Form<HashMap<String, String>>) -> Response {
    change(state, headers, f, move |state, s, f| async move {
        let input = DutyCheckInput { held: field(&f, "held") == "1", note: field(&f, "note") };
        api::check(State(state), s, ApiPath(id), ApiJson(input)).await.map(|_| ())
    })
    .await
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    change(state, headers, f, move |state, s, _| async move { api::take_off_duty(&state, &s, id).await }).await
}

async fn lawyer_visit(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    change(state, headers, f, |state, s, f| async move {
        let id = field(&f, "lawyer").parse().unwrap_or(0);
        let input = LawyerVisitInput { number: field(&f, "number"), advice: field(&f, "advice") };
        api::record_visit(State(state), s, ApiPath(id), ApiJson(input)).await.map(|_| ())
    })
    .await
}

#[derive(Template)]
#[template(path = "staff_reception_day.html")]
struct DayPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    d: ReceptionDayView,
}

#[derive(Deserialize)]
struct DayParams {
    day: Option<String>,
    unit: Option<String>,
}

/// A reception day: who is on duty and the visits booked (for a leader
/// on duty, the unit's staff and supervising units).
async fn reception_day(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<DayParams>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match api::reception_day(State(state.clone()), s.clone(), ApiQuery(ReceptionDayQuery { day: q.day, unit: q.unit })).await {
        Ok(Json(d)) => {
            let (token, set) = csrf(&headers);
            with_cookie(render(&DayPage { me: me(&s), nav: "duty", csrf: token, flash: None, alert: None, d }), set)
        }
        Err(e) => crate::staff_error_page(&s, &headers, e.status, "无法查看接访日", &chinese_only(&e.message)),
    }
}
