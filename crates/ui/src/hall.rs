//! Visits by appointment and the reception hall (issue 14, item 3): the
//! citizen's booking page, its receipt, lookup and cancellation; the
//! receptionist's hall (check-in by booking code or walk-in, calling,
//! the printed ticket, 转为来访登记); the public waiting screen. Every
//! change goes through `web::api::appointments`; the pages work without
//! JavaScript (POST → 303 → GET, CSRF tokens, one-time form tokens).

use crate::portal::{csrf, csrf_ok, open_cookie, seal_cookie, see_other, with_cookie};
use crate::workbench::{Me, chinese_only, me, staff};
use crate::{Page, PortalInfo, error_page, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use xinfang_web::AppState;
use xinfang_web::api::appointments::{
    self as api, BookingInput, BookingView, CheckInInput, HallView, ReceivingUnit, ReceptionCalendarInput, ReceptionCalendarView,
    ReceptionSlotInput, ScreenView, TicketView, WalkInInput,
};
use xinfang_web::auth::Staff;
use xinfang_web::extract::{ApiJson, ApiPath};
use xinfang_web::ratelimit;

pub fn routes(portal: Arc<PortalInfo>) -> Router<AppState> {
    Router::new()
        .route("/appointment", get(booking_form).post(book.layer(from_fn(ratelimit::submit))))
        .route("/appointment/receipt", get(receipt))
        .route("/appointment/lookup", get(lookup_form).post(lookup.layer(from_fn(ratelimit::track))))
        .route("/appointment/cancel", post(cancel.layer(from_fn(ratelimit::track))))
        .route("/hall/{unit}", get(screen))
        .route("/staff/hall", get(hall))
        .route("/staff/hall/check-in", post(check_in))
        .route("/staff/hall/call", post(call))
        .route("/staff/hall/slots", post(set_slots))
        .route("/staff/hall/tickets/{id}", get(ticket))
        .layer(Extension(portal))
}

const RECEIPT_COOKIE: &str = "xf_booking";

// ----- The citizen's booking -----------------------------------------------------

#[derive(Default)]
pub struct BookingForm {
    pub csrf: String,
    pub form_token: String,
    pub units: Vec<ReceivingUnit>,
    pub unit: String,
    pub calendar: Option<ReceptionCalendarView>,
    /// `day|starts` of the chosen slot.
    pub slot: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub topic: String,
    pub summary: String,
    pub topics: Vec<(String, String)>,
    pub errors: HashMap<String, String>,
    pub general_error: Option<String>,
}

impl BookingForm {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "appointment.html")]
struct BookingPage {
    page: Page,
    form: BookingForm,
}

impl BookingPage {
    /// A bookable day as people say it, weekday and all (2026年12月7日（星期一）),
    /// as the receipt says it.
    fn day_label(&self, day: &str) -> String {
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(xinfang_domain::letters::cn_day_with_weekday)
            .unwrap_or_else(|_| day.to_string())
    }
}

#[derive(Deserialize)]
struct UnitQuery {
    unit: Option<String>,
}

async fn topics(state: &AppState) -> Vec<(String, String)> {
    let all = state.store.topics().await.unwrap_or_default();
    all.iter().filter(|t| t.parent_code.is_some()).map(|t| (t.code.clone(), t.name.clone())).collect()
}

async fn fill(state: &AppState, form: &mut BookingForm) {
    form.units = api::receiving_units(state).await.unwrap_or_default();
    if form.unit.is_empty() && form.units.len() == 1 {
        form.unit = form.units[0].code.clone();
    }
    form.calendar = match state.tree().by_code(&form.unit) {
        Some(u) => api::calendar_of(state, u).await.ok(),
        None => None,
    };
    form.topics = topics(state).await;
}

fn booking_page(portal: &Arc<PortalInfo>, headers: &HeaderMap, form: BookingForm, status: StatusCode) -> Response {
    let mut r = render(&BookingPage { page: Page::new(portal, headers, "appointment"), form });
    *r.status_mut() = status;
    r
}

async fn booking_form(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Query(q): Query<UnitQuery>,
) -> Response {
    let (token, set) = csrf(&headers);
    let mut form = BookingForm {
        csrf: token,
        form_token: xinfang_web::auth::random_secret(16),
        unit: q.unit.unwrap_or_default().trim().to_string(),
        ..BookingForm::default()
    };
    fill(&state, &mut form).await;
    with_cookie(booking_page(&portal, &headers, form, StatusCode::OK), set)
}

/// The booking form's field for an API error's field.
fn booking_field(f: &str) -> &'static str {
    match f {
        "unit" => "unit",
        "day" | "starts" => "slot",
        "name" => "name",
        "id_number" => "id_number",
        "phone" => "phone",
        "topic" => "topic",
        _ => "summary",
    }
}

async fn book(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return crate::portal::expired(&portal, &headers);
    }
    let token = get("form_token");
    let mut form = BookingForm {
        csrf: get("csrf"),
        form_token: if xinfang_web::once::valid_key(&token) { token.clone() } else { xinfang_web::auth::random_secret(16) },
        unit: get("unit"),
        slot: get("slot"),
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        topic: get("topic"),
        summary: get("summary"),
        ..BookingForm::default()
    };
    let (day, starts) = form.slot.split_once('|').map(|(d, s)| (d.to_string(), s.to_string())).unwrap_or_default();
    let input = BookingInput {
        unit: form.unit.clone(),
        day,
        starts,
        name: form.name.clone(),
        id_number: form.id_number.clone(),
        phone: form.phone.clone(),
        topic: Some(form.topic.clone()).filter(|t| !t.is_empty()),
        summary: form.summary.clone(),
    };
    let mut sent: Vec<(&String, &String)> = f.iter().filter(|(k, _)| *k != "csrf" && *k != "form_token").collect();
    sent.sort();
    let fingerprint = xinfang_web::once::fingerprint(&state, &serde_json::json!(sent));
    let act = || async {
        let b = api::book_visit(&state, input).await?;
        Ok((StatusCode::CREATED, serde_json::to_value(&b).unwrap_or_default()))
    };
    match xinfang_web::once::once(&state, "form:appointment", &token, &fingerprint, act).await {
        Ok(answer) => see_other("/appointment/receipt", [seal_cookie(&state, RECEIPT_COOKIE, "booking", answer.body)]),
        Err(e) => {
            if e.code == "idempotency_key_reused" {
                form.form_token = xinfang_web::auth::random_secret(16);
                form.general_error = Some("这份预约表已经提交过。如要另行预约，请核对后再次点击“预约”。".into());
            } else if e.fields.is_empty() {
                form.general_error = Some(crate::portal::citizen_message(&e.message));
            } else {
                for fe in &e.fields {
                    form.errors.entry(booking_field(&fe.field).into()).or_insert_with(|| crate::portal::citizen_message(&fe.message));
                }
            }
            let status = if e.status == StatusCode::CONFLICT { StatusCode::CONFLICT } else { StatusCode::UNPROCESSABLE_ENTITY };
            fill(&state, &mut form).await;
            booking_page(&portal, &headers, form, status)
        }
    }
}

#[derive(Template)]
#[template(path = "appointment_receipt.html")]
struct ReceiptPage {
    page: Page,
    b: serde_json::Value,
}

impl ReceiptPage {
    fn f(&self, k: &str) -> String {
        self.b.get(k).and_then(serde_json::Value::as_str).unwrap_or_default().to_string()
    }

    /// Whether the booking will be reminded of by SMS.
    fn reminded(&self) -> bool {
        self.b.get("reminder").and_then(serde_json::Value::as_bool).unwrap_or(false)
    }

    /// The visit's day as people say it: 12月7日（星期一）.
    fn day_words(&self) -> String {
        let day = self.f("day");
        chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").map(xinfang_domain::letters::cn_day_with_weekday).unwrap_or(day)
    }
}

async fn receipt(State(state): State<AppState>, Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    match open_cookie(&state, &headers, RECEIPT_COOKIE, "booking") {
        Some(b) => render(&ReceiptPage { page: Page::new(&portal, &headers, "appointment"), b }),
        None => error_page(
            &portal,
            &headers,
            StatusCode::NOT_FOUND,
            "预约回执已不在本页显示",
            "为保护您的预约码，回执只在预约后的30分钟内、在预约所用的浏览器中显示。请凭预约号和预约码在“预约查询”中查看。",
        ),
    }
}

#[derive(Template)]
#[template(path = "appointment_lookup.html")]
struct LookupPage {
    page: Page,
    csrf: String,
    number: String,
    code: String,
    booking: Option<BookingView>,
    flash: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

async fn lookup_form(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (token, set) = csrf(&headers);
    let flash = (q.done.as_deref() == Some("cancelled")).then(|| "预约已取消，该时段名额已释放。".to_string());
    let page = LookupPage {
        page: Page::new(&portal, &headers, "appointment"),
        csrf: token,
        number: String::new(),
        code: String::new(),
        booking: None,
        flash,
        error: None,
    };
    with_cookie(render(&page), set)
}

async fn lookup(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return crate::portal::expired(&portal, &headers);
    }
    let (number, code) = (get("number"), get("code"));
    let (booking, error, status) = match api::lookup_booking(&state, &number, &code).await {
        Ok(b) => (Some(b), None, StatusCode::OK),
        Err(e) => (None, Some(crate::portal::citizen_message(&e.message)), e.status),
    };
    let mut r = render(&LookupPage {
        page: Page::new(&portal, &headers, "appointment"),
        csrf: get("csrf"),
        number,
        code,
        booking,
        flash: None,
        error,
    });
    *r.status_mut() = status;
    r
}

async fn cancel(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return crate::portal::expired(&portal, &headers);
    }
    match api::cancel_booking(&state, &get("number"), &get("code")).await {
        Ok(_) => Redirect::to("/appointment/lookup?done=cancelled").into_response(),
        Err(e) => {
            let mut r = render(&LookupPage {
                page: Page::new(&portal, &headers, "appointment"),
                csrf: get("csrf"),
                number: get("number"),
                code: get("code"),
                booking: None,
                flash: None,
                error: Some(crate::portal::citizen_message(&e.message)),
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

// ----- The waiting screen (public, no personal data) ---------------------------

#[derive(Template)]
#[template(path = "hall_screen.html")]
struct ScreenPage {
    s: ScreenView,
}

async fn screen(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Path(unit): Path<String>,
) -> Response {
    let found = state.tree().by_code(&unit).cloned();
    let Some(unit) = found else {
        return error_page(&portal, &headers, StatusCode::NOT_FOUND, "页面不存在", "没有这个接访单位。");
    };
    match api::screen_of(&state, &unit).await {
        Ok(s) => render(&ScreenPage { s }),
        Err(e) => error_page(&portal, &headers, e.status, "暂时无法显示", &chinese_only(&e.message)),
    }
}

// ----- The receptionist's hall -------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_hall.html")]
struct HallPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    h: HallView,
    bookings: Vec<BookingView>,
    topics: Vec<(String, String)>,
    walk_in: WalkInInput,
    /// The unit's reception slots, one a line: `09:00-10:00 10`.
    slots: String,
}

impl HallPage {
    fn wait(&self) -> String {
        self.h.average_wait_minutes.map(|m| format!("{m:.1} 分钟")).unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize)]
struct HallQuery {
    called: Option<i64>,
    slots: Option<String>,
}

async fn hall_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    flash: Option<String>,
    alert: Option<String>,
    walk_in: WalkInInput,
) -> Response {
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let h = match api::hall_of(state, s, today).await {
        Ok(h) => h,
        Err(e) => return crate::staff_error_page(s, headers, e.status, "无法查看接访大厅", &chinese_only(&e.message)),
    };
    let bookings = api::bookings_of(state, s.unit.id, today).await.unwrap_or_default();
    let slots = state
        .store
        .reception_slots(s.unit.id)
        .await
        .unwrap_or_default()
        .iter()
        .map(|x| format!("{}-{} {}", x.starts, x.ends, x.capacity))
        .collect::<Vec<_>>()
        .join("\n");
    let (csrf, set) = csrf(headers);
    let page = HallPage { me: me(s), nav: "hall", csrf, flash, alert, h, bookings, topics: topics(state).await, walk_in, slots };
    with_cookie(render(&page), set)
}

async fn hall(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<HallQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let flash = match q.called {
        Some(id) => match api::own_ticket(&state, &s, id).await {
            Ok(t) => Some(format!("已叫号：{}", api::queue_label(t.queue_number))),
            Err(_) => None,
        },
        None => q.slots.map(|_| "接访时段已保存".to_string()),
    };
    hall_page(&state, &headers, &s, flash, None, WalkInInput::default()).await
}

async fn check_in(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let walk_in =
        WalkInInput { name: get("name"), id_number: opt("id_number"), phone: opt("phone"), topic: opt("topic"), summary: get("summary") };
    if !csrf_ok(&headers, &get("csrf")) {
        return hall_page(&state, &headers, &s, None, Some("页面已过期，请刷新后重试".into()), walk_in).await;
    }
    let input = if get("kind") == "walk_in" {
        CheckInInput { booking_code: None, walk_in: Some(walk_in.clone()) }
    } else {
        CheckInInput { booking_code: opt("booking_code"), walk_in: None }
    };
    match api::check_in_visitor(&state, &s, input).await {
        Ok(t) => Redirect::to(&format!("/staff/hall/tickets/{}", t.id)).into_response(),
        Err(e) => {
            let mut r = hall_page(&state, &headers, &s, None, Some(chinese_only(&e.message)), walk_in).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

async fn call(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return hall_page(&state, &headers, &s, None, Some("页面已过期，请刷新后重试".into()), WalkInInput::default()).await;
    }
    match api::call_next(&state, &s, get("ticket").parse().ok()).await {
        Ok(t) => Redirect::to(&format!("/staff/hall?called={}", t.id)).into_response(),
        Err(e) => {
            let mut r = hall_page(&state, &headers, &s, None, Some(chinese_only(&e.message)), WalkInInput::default()).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "staff_hall_ticket.html")]
struct TicketPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    unit_name: String,
    t: TicketView,
    waiting_before: usize,
}

async fn ticket(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let (t, h) = match api::own_ticket(&state, &s, id).await {
        Ok(row) => (row, api::hall_of(&state, &s, today).await),
        Err(e) => return crate::staff_error_page(&s, &headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let t = api::ticket_detail(&state, &t).ticket;
    let waiting_before =
        h.map(|h| h.tickets.iter().filter(|x| x.status == "waiting" && x.queue_number < t.queue_number).count()).unwrap_or(0);
    let (csrf, set) = csrf(&headers);
    let page = TicketPage { me: me(&s), nav: "hall", csrf, flash: None, alert: None, unit_name: s.unit.name.clone(), t, waiting_before };
    with_cookie(render(&page), set)
}

/// The slots typed one a line (`09:00-10:00 10`); a line that does not
/// read is an error naming it.
fn parse_slots(text: &str) -> Result<Vec<ReceptionSlotInput>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let bad = || format!("“{l}”格式不正确，应为 开始-结束 名额，如 09:00-10:00 10");
            let norm = l.replace(['–', '—', '～', '~'], "-").replace('：', ":");
            let (times, cap) = norm.rsplit_once(char::is_whitespace).ok_or_else(bad)?;
            let (a, b) = times.trim().split_once('-').ok_or_else(bad)?;
            Ok(ReceptionSlotInput {
                starts: a.trim().to_string(),
                ends: b.trim().to_string(),
                capacity: cap.trim().parse().map_err(|_| bad())?,
            })
        })
        .collect()
}

async fn set_slots(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return hall_page(&state, &headers, &s, None, Some("页面已过期，请刷新后重试".into()), WalkInInput::default()).await;
    }
    let outcome = match parse_slots(&get("slots")) {
        Ok(slots) => {
            api::put_calendar(State(state.clone()), s.clone(), ApiPath(s.unit.code.clone()), ApiJson(ReceptionCalendarInput { slots }))
                .await
                .map(|_| ())
                .map_err(|e| (e.status, chinese_only(&e.message)))
        }
        Err(m) => Err((StatusCode::UNPROCESSABLE_ENTITY, m)),
    };
    match outcome {
        Ok(()) => Redirect::to("/staff/hall?slots=1").into_response(),
        Err((status, m)) => {
            let mut r = hall_page(&state, &headers, &s, None, Some(m), WalkInInput::default()).await;
            *r.status_mut() = status;
            r
        }
    }
}
