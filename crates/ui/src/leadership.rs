//! Leaders owning cases, triage tracks and escalation on the workbench
//! (issue 12, item 3): the block on a petition's page with its forms, and
//! the leader's page of owned cases (/staff/leads). Every change goes
//! through the API handlers in `web::api::leadership`.

use crate::render;
use crate::workbench::{Extras, Me, chinese_only, me, petition_page, staff};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::HashMap;
use xinfang_domain::leadership::{MANAGERS, OWNERS, Track};
use xinfang_web::AppState;
use xinfang_web::api::leadership::{self as api, EscalationInput, LeadInput, LeadershipView, RecordInput, TrackInput};
use xinfang_web::auth::Staff;
use xinfang_web::extract::ApiPath;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/leads", get(leads))
        .route("/staff/p/{number}/lead", post(lead))
        .route("/staff/p/{number}/track", post(track))
        .route("/staff/p/{number}/escalate", post(escalate))
        .route("/staff/p/{number}/escalations/{id}/record", post(record))
}

/// What the petition page shows of it, and the forms the caller may use.
pub struct LeadBlock {
    pub view: LeadershipView,
    /// The caller may assign, set the track and escalate.
    pub manage: bool,
    /// Leaders the caller may choose: (username, "name（unit）").
    pub leaders: Vec<(String, String)>,
    /// (code, label) of the tracks.
    pub tracks: Vec<(&'static str, &'static str)>,
    /// The caller may add coordination records (manager or at the conference).
    pub record: bool,
}

/// The block for the petition page, or None when the caller cannot see it.
pub async fn block(state: &AppState, s: &Staff, number: &str) -> Option<LeadBlock> {
    let view = api::get(State(state.clone()), s.clone(), ApiPath(number.to_string())).await.ok()?.0;
    let manage = MANAGERS.contains(&s.user.role);
    let leaders = if manage {
        let tree = state.tree();
        let mut units: Vec<i64> = vec![s.unit.id];
        units.extend(tree.ancestors(s.unit.id).iter().map(|u| u.id));
        let roles: Vec<&str> = OWNERS.iter().map(|r| r.as_str()).collect();
        state
            .store
            .users_in_units(&units, &roles)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|(u, name, unit)| (u, format!("{name}（{}）", tree.get(unit).map(|x| x.name.as_str()).unwrap_or_default())))
            .collect()
    } else {
        Vec::new()
    };
    let at_conference = s.unit.kind == xinfang_domain::unit::UnitKind::JointConference && !view.escalations.is_empty();
    Some(LeadBlock {
        view,
        manage,
        leaders,
        tracks: Track::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
        record: manage || at_conference,
    })
}

async fn outcome(
    state: AppState,
    headers: &HeaderMap,
    s: Staff,
    number: String,
    r: Result<(), xinfang_web::error::ApiError>,
    done: &str,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/staff/p/{}?done={done}", crate::workbench::url_encode(&number))).into_response(),
        Err(e) => {
            let mut resp =
                petition_page(state, headers, s, number, Extras { alert: Some(chinese_only(&e.message)), ..Extras::default() }).await;
            *resp.status_mut() = e.status;
            resp
        }
    }
}

async fn guarded(state: &AppState, headers: &HeaderMap, f: &HashMap<String, String>, number: &str) -> Result<Staff, Response> {
    let s = staff(state, headers).await?;
    if !crate::portal::csrf_ok(headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return Err(petition_page(
            state.clone(),
            headers,
            s,
            number.to_string(),
            Extras { alert: Some("页面已过期，请刷新后重试".into()), ..Extras::default() },
        )
        .await);
    }
    Ok(s)
}

fn field(f: &HashMap<String, String>, k: &str) -> String {
    f.get(k).map(|v| v.trim().to_string()).unwrap_or_default()
}

async fn lead(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f, &number).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let input = LeadInput { leader: field(&f, "leader"), note: field(&f, "note") };
    let r = api::assign(&state, &s, &number, &input).await;
    outcome(state, &headers, s, number, r, "lead_assigned").await
}

async fn track(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f, &number).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let due = field(&f, "due_on");
    let due_on = match (due.is_empty(), chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d")) {
        (true, _) => None,
        (false, Ok(d)) => Some(d),
        (false, Err(_)) => {
            let e = xinfang_web::error::ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_date",
                "时限的日期格式应为 年-月-日",
            );
            return outcome(state, &headers, s, number, Err(e), "").await;
        }
    };
    let input = TrackInput { track: field(&f, "track"), due_on, note: field(&f, "note") };
    let r = api::set_track(&state, &s, &number, &input).await;
    outcome(state, &headers, s, number, r, "track_set").await
}

async fn escalate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f, &number).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let input = EscalationInput { reason: field(&f, "reason"), unit: None };
    let r = api::escalate(&state, &s, &number, &input).await.map(|_| ());
    outcome(state, &headers, s, number, r, "escalated").await
}

async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((number, id)): Path<(String, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match guarded(&state, &headers, &f, &number).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let input = RecordInput { text: field(&f, "text") };
    let r = api::post_record(State(state.clone()), s.clone(), ApiPath((number.clone(), id)), xinfang_web::extract::ApiJson(input))
        .await
        .map(|_| ());
    outcome(state, &headers, s, number, r, "coordination_recorded").await
}

#[derive(Template)]
#[template(path = "staff_leads.html")]
struct LeadsPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    cases: Vec<api::LedCaseView>,
}

async fn leads(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    match api::my_cases(&state, &s).await {
        Ok(cases) => {
            crate::portal::with_cookie(render(&LeadsPage { me: me(&s), nav: "leads", csrf, flash: None, alert: None, cases }), set)
        }
        Err(e) => (e.status, chinese_only(&e.message)).into_response(),
    }
}
