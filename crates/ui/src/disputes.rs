//! The dispute screening ledger on the workbench (issue 14, item 1): a
//! grid reporter's few-tap form on a phone, the ledger with its filters, a
//! dispute's page with its record and acts, and the screening round. Every
//! change goes through `web::api::disputes`.

use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use std::collections::HashMap;
use xinfang_domain::dispute::{KINDS, RISKS};
use xinfang_domain::role::Role;
use xinfang_domain::unit::UnitKind;
use xinfang_web::AppState;
use xinfang_web::api::disputes::{
    self as api, DisputeDetail, DisputeInput, DisputeQuery, DisputeView, EscalateInput, MediationInput, MediatorInput, NothingFoundInput,
    PartyInput, PartyView, ResolveInput, RoundQuery, RoundView, ToPetitionInput, UnmaskPartiesInput,
};
use xinfang_web::auth::Staff;
use xinfang_web::error::ApiError;
use xinfang_web::extract::{ApiJson, ApiPath};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/disputes", get(list_page))
        .route("/staff/disputes/new", get(new_page).post(create))
        .route("/staff/disputes/rounds", get(round_page).post(nothing_found))
        .route("/staff/disputes/{id}", get(detail_page))
        .route("/staff/disputes/{id}/{act}", post(act))
}

type Fields = HashMap<String, String>;

fn get_field(f: &Fields, k: &str) -> String {
    f.get(k).map(|v| v.trim().to_string()).unwrap_or_default()
}

fn fail(headers: &HeaderMap, e: &ApiError) -> Response {
    crate::error_page(&std::sync::Arc::default(), headers, e.status, "无法办理", &chinese_only(&e.message))
}

// ----- The ledger --------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_disputes.html")]
struct ListPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    items: Vec<DisputeView>,
    next: Option<String>,
    state: String,
    overdue: bool,
    kind: String,
    escalated: String,
    kinds: Vec<(&'static str, &'static str)>,
    reporter: bool,
}

#[derive(serde::Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    state: String,
    #[serde(default)]
    overdue: String,
    #[serde(default)]
    kind: String,
    /// `1` escalated (已上报), `0` still at the village, empty: all.
    #[serde(default)]
    escalated: String,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    done: String,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<ListParams>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let q = DisputeQuery {
        state: Some(p.state.clone()).filter(|v| !v.is_empty()),
        overdue: Some(p.overdue == "1"),
        kind: Some(p.kind.clone()).filter(|v| !v.is_empty()),
        escalated: match p.escalated.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        },
        area: None,
        before: p.before,
        limit: Some(50),
    };
    let page = match api::list(State(state.clone()), s.clone(), xinfang_web::extract::ApiQuery(q)).await {
        Ok(Json(page)) => page,
        Err(e) => return fail(&headers, &e),
    };
    let next = page
        .next_before
        .map(|b| format!("/staff/disputes?state={}&overdue={}&kind={}&escalated={}&before={b}", p.state, p.overdue, p.kind, p.escalated));
    let flash = match p.done.as_str() {
        "created" => Some("已登记矛盾纠纷".to_string()),
        _ => None,
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    crate::portal::with_cookie(
        render(&ListPage {
            me: me(&s),
            nav: "disputes",
            csrf,
            flash,
            alert: None,
            items: page.items,
            next,
            state: p.state,
            overdue: p.overdue == "1",
            kind: p.kind,
            escalated: p.escalated,
            kinds: KINDS.to_vec(),
            reporter: s.user.role == Role::GridReporter,
        }),
        set,
    )
}

// ----- Recording -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_dispute_new.html")]
struct NewPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    form_token: String,
    v: Fields,
    errors: HashMap<String, String>,
    kinds: Vec<(&'static str, &'static str)>,
    risks: Vec<(&'static str, &'static str)>,
    /// For staff above the village: the villages of their area (code, township, name).
    villages: Vec<(String, String)>,
}

impl NewPage {
    fn val(&self, k: &str) -> String {
        self.v.get(k).cloned().unwrap_or_default()
    }
    fn err(&self, k: &str) -> Option<String> {
        self.errors.get(k).cloned()
    }
    /// Whether the folded 更多 part holds a field with an error: it opens,
    /// so that the message is seen.
    fn more_has_error(&self) -> bool {
        ["place", "people", "target_on", "party1_id_number", "party2_id_number"].iter().any(|k| self.errors.contains_key(*k))
    }
}

fn villages_of(state: &AppState, s: &Staff) -> Vec<(String, String)> {
    if s.unit.kind == UnitKind::Community {
        return Vec::new();
    }
    let tree = state.tree();
    let mut v: Vec<(String, String)> = tree
        .all()
        .filter(|u| u.kind == UnitKind::Community && xinfang_domain::dispute::sees(&s.unit, &u.jurisdiction, -1))
        .map(|u| {
            let township = u.parent_id.and_then(|p| tree.get(p)).map(|p| p.name.clone()).unwrap_or_default();
            (u.code.clone(), format!("{township} {}", u.name))
        })
        .collect();
    v.sort();
    v
}

fn new_form(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    v: Fields,
    errors: HashMap<String, String>,
    alert: Option<String>,
) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let token =
        v.get("form_token").cloned().filter(|t| xinfang_web::once::valid_key(t)).unwrap_or_else(|| xinfang_web::auth::random_secret(16));
    let page = NewPage {
        me: me(s),
        nav: "dispute_new",
        csrf,
        flash: None,
        alert,
        form_token: token,
        v,
        errors,
        kinds: KINDS.to_vec(),
        risks: RISKS.iter().map(|(c, l, _)| (*c, *l)).collect(),
        villages: villages_of(state, s),
    };
    crate::portal::with_cookie(render(&page), set)
}

async fn new_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => {
            let mut v = Fields::new();
            v.insert("risk".into(), "low".into());
            new_form(&state, &headers, &s, v, HashMap::new(), None)
        }
        Err(r) => r,
    }
}

/// Which form field an API error belongs beside: a party's field
/// (`parties[0].phone`) beside the boxes of the form's party it came from
/// (`slots[0]`: `2` when only the second party was filled in, so
/// `party2_phone`), the list as a whole beside the first name.
fn field_of(api_field: &str, slots: &[&str]) -> String {
    let party = api_field
        .strip_prefix("parties[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(i, key)| Some((slots.get(i.parse::<usize>().ok()?)?, key)))
        .filter(|(_, key)| ["name", "id_number", "phone"].contains(key));
    match party {
        Some((slot, key)) => format!("party{slot}_{key}"),
        None if api_field.starts_with("parties") => "party1_name".into(),
        None => api_field.into(),
    }
}

async fn create(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &get_field(&f, "csrf")) {
        return new_form(&state, &headers, &s, f, HashMap::new(), Some("页面已过期，请刷新后重试".into()));
    }
    let party = |n: &str| {
        let name = get_field(&f, &format!("party{n}_name"));
        (!name.is_empty()).then(|| PartyInput {
            name,
            id_number: Some(get_field(&f, &format!("party{n}_id_number"))).filter(|v| !v.is_empty()),
            phone: Some(get_field(&f, &format!("party{n}_phone"))).filter(|v| !v.is_empty()),
            address: None,
        })
    };
    // The form's parties given a name, and which of its slots each came from.
    let (slots, parties): (Vec<&str>, Vec<PartyInput>) = ["1", "2"].into_iter().filter_map(|n| Some((n, party(n)?))).unzip();
    let mut errors = HashMap::new();
    if parties.is_empty() {
        errors.insert("party1_name".to_string(), "请填写至少一位当事人的姓名".to_string());
        return new_form(&state, &headers, &s, f, errors, Some("未能登记：请按提示修改标出的内容".into()));
    }
    let input = DisputeInput {
        kind: get_field(&f, "kind"),
        risk: get_field(&f, "risk"),
        place: get_field(&f, "place"),
        summary: get_field(&f, "summary"),
        people: get_field(&f, "people").parse().ok(),
        parties,
        village: Some(get_field(&f, "village")).filter(|v| !v.is_empty()),
        target_on: Some(get_field(&f, "target_on")).filter(|v| !v.is_empty()),
        mediator: None,
    };
    let token = get_field(&f, "form_token");
    if !xinfang_web::once::valid_key(&token) {
        return new_form(&state, &headers, &s, f, errors, Some("页面已过期，请刷新后重试".into()));
    }
    let mut sent: Vec<(&String, &String)> = f.iter().filter(|(k, _)| *k != "csrf" && *k != "form_token").collect();
    sent.sort();
    let fingerprint = xinfang_web::once::fingerprint(&state, &serde_json::json!(sent));
    let act = || async {
        let (_, Json(c)) = api::create(State(state.clone()), s.clone(), ApiJson(input)).await?;
        Ok((StatusCode::CREATED, serde_json::json!({"id": c.id})))
    };
    match xinfang_web::once::once(&state, &format!("form:dispute:{}", s.user.id), &token, &fingerprint, act).await {
        Ok(a) => match a.body.get("id").and_then(serde_json::Value::as_i64) {
            Some(id) => Redirect::to(&format!("/staff/disputes/{id}?done=created")).into_response(),
            None => Redirect::to("/staff/disputes?done=created").into_response(),
        },
        Err(e) => {
            let all = if e.fields.is_empty() {
                vec![xinfang_web::error::FieldError { field: String::new(), message: e.message.clone() }]
            } else {
                e.fields.clone()
            };
            let mut general = Vec::new();
            for fe in all {
                if fe.field.is_empty() {
                    general.push(chinese_only(&fe.message));
                } else {
                    errors.entry(field_of(&fe.field, &slots)).or_insert_with(|| chinese_only(&fe.message));
                }
            }
            let alert =
                if general.is_empty() { "未能登记：请按提示修改标出的内容".to_string() } else { general.join("；") };
            let mut r = new_form(&state, &headers, &s, f, errors, Some(alert));
            *r.status_mut() = e.status;
            r
        }
    }
}

// ----- One dispute -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_dispute.html")]
struct DetailPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    d: DisputeDetail,
    /// The parties unmasked, when asked for with a reason.
    unmasked: Option<Vec<PartyView>>,
    /// May turn it into a petition (registers petitions).
    registers: bool,
    today: String,
}

#[derive(serde::Deserialize, Default)]
struct DetailParams {
    #[serde(default)]
    done: String,
}

async fn detail_view(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    id: i64,
    flash: Option<String>,
    alert: Option<String>,
    unmasked: Option<Vec<PartyView>>,
) -> Response {
    let d = match api::detail(State(state.clone()), s.clone(), ApiPath(id)).await {
        Ok(Json(d)) => d,
        Err(e) => return fail(headers, &e),
    };
    let registers = matches!(s.user.role, Role::Clerk | Role::HandlingOfficer | Role::UnitHead) && s.unit.kind != UnitKind::Community;
    let (csrf, set) = crate::portal::csrf(headers);
    let today = xinfang_domain::local_date(chrono::Utc::now()).to_string();
    crate::portal::with_cookie(render(&DetailPage { me: me(s), nav: "disputes", csrf, flash, alert, d, unmasked, registers, today }), set)
}

async fn detail_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Query(p): Query<DetailParams>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let flash = match p.done.as_str() {
        "created" => Some("已登记。可继续指定调解人、记录调解情况。"),
        "mediator" => Some("已指定调解人"),
        "mediation" => Some("已记录调解情况"),
        "escalate" => Some("已上报"),
        "resolve" => Some("已记为化解"),
        _ => None,
    }
    .map(String::from);
    detail_view(&state, &headers, &s, id, flash, None, None).await
}

async fn act(State(state): State<AppState>, headers: HeaderMap, Path((id, act)): Path<(i64, String)>, Form(f): Form<Fields>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, &get_field(&f, "csrf")) {
        return detail_view(&state, &headers, &s, id, None, Some("页面已过期，请刷新后重试".into()), None).await;
    }
    let st = || State(state.clone());
    let result: Result<Option<Response>, ApiError> = match act.as_str() {
        "mediator" => {
            let input = MediatorInput {
                mediator: get_field(&f, "mediator"),
                target_on: Some(get_field(&f, "target_on")).filter(|v| !v.is_empty()),
            };
            api::assign(st(), s.clone(), ApiPath(id), ApiJson(input)).await.map(|_| None)
        }
        "mediation" => {
            let input = MediationInput {
                on: Some(get_field(&f, "on")).filter(|v| !v.is_empty()),
                method: get_field(&f, "method"),
                content: get_field(&f, "content"),
                participants: get_field(&f, "participants"),
            };
            api::mediate(st(), s.clone(), ApiPath(id), ApiJson(input)).await.map(|_| None)
        }
        "escalate" => {
            let input = EscalateInput { unit: get_field(&f, "unit"), reason: get_field(&f, "reason") };
            api::escalate(st(), s.clone(), ApiPath(id), ApiJson(input)).await.map(|_| None)
        }
        "resolve" => {
            let input = ResolveInput { outcome: get_field(&f, "outcome"), agreement: get_field(&f, "agreement") == "1" };
            api::resolve(st(), s.clone(), ApiPath(id), ApiJson(input)).await.map(|_| None)
        }
        "petition" => {
            let input = ToPetitionInput {
                channel: Some(get_field(&f, "channel")).filter(|v| !v.is_empty()),
                request: Some(get_field(&f, "request")).filter(|v| !v.is_empty()),
                category: Some(get_field(&f, "category")).filter(|v| !v.is_empty()),
                topic: None,
                petitioners: None,
            };
            // The party's query code is shown once on the new petition's
            // page, as for any registration (Art. 21).
            api::to_petition(st(), s.clone(), ApiPath(id), ApiJson(input)).await.map(|(_, Json(a))| {
                let to = format!("/staff/p/{}?done=register", a.number);
                Some(match a.query_code {
                    Some(code) => crate::workbench::show_new_code(&state, s.user.id, &a.number, &code, &to),
                    None => Redirect::to(&to).into_response(),
                })
            })
        }
        "unmask" => {
            let input = UnmaskPartiesInput { reason: get_field(&f, "reason") };
            return match api::unmask(st(), s.clone(), ApiPath(id), ApiJson(input)).await {
                Ok(Json(parties)) => detail_view(&state, &headers, &s, id, Some("已记录查看事由".into()), None, Some(parties)).await,
                Err(e) => detail_view(&state, &headers, &s, id, None, Some(chinese_only(&e.message)), None).await,
            };
        }
        _ => Err(ApiError::not_found("操作")),
    };
    match result {
        Ok(Some(to_petition)) => to_petition,
        Ok(None) => Redirect::to(&format!("/staff/disputes/{id}?done={act}")).into_response(),
        Err(e) => {
            let mut r = detail_view(&state, &headers, &s, id, None, Some(chinese_only(&e.message)), None).await;
            if r.status().is_success() {
                *r.status_mut() = e.status;
            }
            r
        }
    }
}

// ----- The screening round ------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_dispute_rounds.html")]
struct RoundPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    r: RoundView,
    reporter: bool,
    /// The reporter's own village has reported this round.
    reported: bool,
}

#[derive(serde::Deserialize, Default)]
struct RoundParams {
    #[serde(default)]
    period: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    done: String,
}

async fn round_view(state: &AppState, headers: &HeaderMap, s: &Staff, p: RoundParams, alert: Option<String>) -> Response {
    let q = RoundQuery { period: Some(p.period.clone()).filter(|v| !v.is_empty()), area: Some(p.area.clone()).filter(|v| !v.is_empty()) };
    let r = match api::round(State(state.clone()), s.clone(), xinfang_web::extract::ApiQuery(q)).await {
        Ok(Json(r)) => r,
        Err(e) => return fail(headers, &e),
    };
    let reporter = s.user.role == Role::GridReporter;
    let reported = r.villages.iter().any(|v| v.code == s.unit.code && v.reported);
    let flash = (p.done == "nothing").then(|| "已报告本期排查无矛盾纠纷".to_string());
    let (csrf, set) = crate::portal::csrf(headers);
    crate::portal::with_cookie(render(&RoundPage { me: me(s), nav: "rounds", csrf, flash, alert, r, reporter, reported }), set)
}

async fn round_page(State(state): State<AppState>, headers: HeaderMap, Query(p): Query<RoundParams>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => round_view(&state, &headers, &s, p, None).await,
        Err(r) => r,
    }
}

async fn nothing_found(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let period = get_field(&f, "period");
    if !crate::portal::csrf_ok(&headers, &get_field(&f, "csrf")) {
        return round_view(&state, &headers, &s, RoundParams { period, ..RoundParams::default() }, Some("页面已过期，请刷新后重试".into()))
            .await;
    }
    let input = NothingFoundInput { note: get_field(&f, "note") };
    match api::nothing_found(State(state.clone()), s.clone(), ApiPath(period.clone()), ApiJson(input)).await {
        Ok(_) => Redirect::to(&format!("/staff/disputes/rounds?period={period}&done=nothing")).into_response(),
        Err(e) => {
            let mut r =
                round_view(&state, &headers, &s, RoundParams { period, ..RoundParams::default() }, Some(chinese_only(&e.message))).await;
            if r.status().is_success() {
                *r.status_mut() = e.status;
            }
            r
        }
    }
}
