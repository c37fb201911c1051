//! The citizen portal: home, online submission (and the leader mailbox),
//! receipt, tracking with evaluation and 复查/复核 requests.

use crate::{Page, PortalInfo, cookie, error_page, render};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use xinfang_store::NewAttachment;
use xinfang_web::AppState;
use xinfang_web::api::track::{self as track_api, CodeQuery};
use xinfang_web::dto::{AccusedInput, EvaluationInput, PetitionInput, PetitionerInput, ReviewRequestInput, TrackView};
use xinfang_web::error::ApiError;
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};
use xinfang_web::intake::{Submitter, intake};
use xinfang_web::ratelimit;

/// Submitting and tracking count in the same rate-limit buckets as their
/// API twins (`xinfang_web::ratelimit`).
pub fn routes(portal: Arc<PortalInfo>) -> Router<AppState> {
    let big = DefaultBodyLimit::max(xinfang_web::MAX_BODY_BYTES);
    Router::new()
        .route("/", get(home))
        .route("/elder", get(elder))
        .route("/submit", get(submit_form).post(submit.layer(from_fn(ratelimit::submit))).layer(big))
        .route("/mailbox", get(mailbox_form).post(mailbox.layer(from_fn(ratelimit::submit))).layer(big))
        .route("/ui/divisions", get(division_options))
        .route("/track", get(track_form).post(track.layer(from_fn(ratelimit::track))))
        .route("/track/evaluate", axum::routing::post(evaluate.layer(from_fn(ratelimit::track))))
        .route("/track/review", axum::routing::post(review.layer(from_fn(ratelimit::track))))
        .layer(Extension(portal))
}

// ----- CSRF: a random cookie echoed in every form (double submit) ---------

const CSRF_COOKIE: &str = "xf_csrf";

/// The visitor's CSRF token, and the Set-Cookie header if it is new.
pub(crate) fn csrf(headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE).filter(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit())) {
        Some(t) => (t, None),
        None => {
            let t = xinfang_web::auth::random_secret(16);
            let c = HeaderValue::from_str(&format!("{CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict")).ok();
            (t, c)
        }
    }
}

pub(crate) fn csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    cookie(headers, CSRF_COOKIE).is_some_and(|c| !c.is_empty() && c == sent)
}

pub(crate) fn with_cookie(mut r: Response, set: Option<HeaderValue>) -> Response {
    if let Some(c) = set {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

fn expired(portal: &Arc<PortalInfo>, headers: &HeaderMap) -> Response {
    error_page(portal, headers, StatusCode::FORBIDDEN, "页面已过期", "为保护您的安全，请返回上一页刷新后重新提交。")
}

// ----- Home and 长者模式 ------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    page: Page,
}

async fn home(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    render(&Home { page: Page::new(&portal, &headers, "home") })
}

#[derive(Deserialize)]
struct ElderQuery {
    on: Option<String>,
}

/// Switch the large-text, high-contrast mode (适老化) on or off.
async fn elder(Query(q): Query<ElderQuery>, headers: HeaderMap) -> Response {
    let on = q.on.as_deref() == Some("1");
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string())))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut r = Redirect::to(&back).into_response();
    let c = if on { "xf_elder=1; Path=/; Max-Age=31536000; SameSite=Lax" } else { "xf_elder=0; Path=/; Max-Age=0; SameSite=Lax" };
    r.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static(c));
    r
}

// ----- Submission ---------------------------------------------------------

pub struct RegionLevel {
    pub name: &'static str,
    pub label: &'static str,
    pub next: Option<&'static str>,
    pub options: Vec<(String, String)>,
    pub selected: String,
}

const LEVELS: [(&str, &str); 4] = [("province", "省"), ("city", "市"), ("county", "区（县）"), ("township", "街道（乡镇）")];

/// The four selects of the region picker, each filled from its parent's choice.
pub(crate) async fn region_levels(state: &AppState, selected: [String; 4]) -> Vec<RegionLevel> {
    let mut out = Vec::new();
    let mut parent: Option<String> = None;
    for (i, (name, label)) in LEVELS.iter().enumerate() {
        let options = if i == 0 || parent.is_some() {
            state.store.divisions(parent.as_deref()).await.unwrap_or_default().into_iter().map(|d| (d.code, d.name)).collect()
        } else {
            Vec::new()
        };
        let sel = selected.get(i).cloned().unwrap_or_default();
        let valid = options.iter().any(|(c, _)| *c == sel);
        parent = valid.then(|| sel.clone());
        out.push(RegionLevel {
            name,
            label,
            next: LEVELS.get(i + 1).map(|l| l.0),
            options,
            selected: if valid { sel } else { String::new() },
        });
    }
    out
}

fn default_selection(portal: &PortalInfo) -> [String; 4] {
    let d = &portal.default_division;
    let cut = |n: usize| if d.len() >= n { d[..n].to_string() } else { String::new() };
    [cut(2), cut(4), cut(6), cut(9)]
}

#[derive(Default)]
pub struct SubmitForm {
    pub mailbox: bool,
    pub csrf: String,
    pub leaders: Vec<(String, String)>,
    pub target_unit: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
    pub confidential: bool,
    pub category: String,
    pub accused: String,
    pub title: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub levels: Vec<RegionLevel>,
    pub errors: HashMap<String, String>,
    pub general_error: Option<String>,
}

impl SubmitForm {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage {
    page: Page,
    form: SubmitForm,
}

/// Units a citizen may write to through the leader mailbox.
fn leaders(state: &AppState) -> Vec<(String, String)> {
    let tree = state.tree();
    let mut v: Vec<(String, String)> =
        tree.all().filter(|u| u.publishes_mailbox()).map(|u| (u.code.clone(), format!("{}负责同志", u.name))).collect();
    v.sort();
    v
}

async fn blank_form(state: &AppState, portal: &PortalInfo, mailbox: bool, csrf: String) -> SubmitForm {
    SubmitForm {
        mailbox,
        csrf,
        leaders: if mailbox { leaders(state) } else { Vec::new() },
        category: "claim".into(),
        levels: region_levels(state, default_selection(portal)).await,
        ..SubmitForm::default()
    }
}

async fn show_form(state: AppState, portal: Arc<PortalInfo>, headers: HeaderMap, mailbox: bool) -> Response {
    let (token, set) = csrf(&headers);
    let form = blank_form(&state, &portal, mailbox, token).await;
    with_cookie(render(&SubmitPage { page: Page::new(&portal, &headers, if mailbox { "mailbox" } else { "submit" }), form }), set)
}

async fn submit_form(State(state): State<AppState>, Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    show_form(state, portal, headers, false).await
}

async fn mailbox_form(State(state): State<AppState>, Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    show_form(state, portal, headers, true).await
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct Receipt {
    page: Page,
    number: String,
    query_code: String,
    unit: String,
    received_on: String,
    due_on: String,
    repeat_of: Option<String>,
}

/// Read a multipart form: its text fields, its `attachments` files
/// (each streamed into the object store while hashed, counted and checked:
/// no file is held whole in memory or re-encoded), and a Chinese message if
/// it was cut short or a file was refused. Files are only stored once the
/// form's CSRF field (which comes first) has been seen and is valid.
pub(crate) async fn read_multipart(
    state: &AppState,
    headers: &HeaderMap,
    multipart: &mut Multipart,
) -> (HashMap<String, String>, Vec<NewAttachment>, Option<String>) {
    let mut f: HashMap<String, String> = HashMap::new();
    let mut files = Vec::new();
    let too_big = || Some("上传的内容过大或不完整，请减少附件后重试（总大小不超过15MB）".to_string());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_string();
                let file_name = field.file_name().map(String::from).filter(|n| !n.is_empty());
                if name == "attachments" {
                    let Some(fname) = file_name else { continue };
                    if !csrf_ok(headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
                        continue; // refused by the caller's CSRF check
                    }
                    if files.len() >= state.settings.max_attachments {
                        return (f, files, Some(format!("附件不能超过{}个", state.settings.max_attachments)));
                    }
                    let objects = match state.store.objects() {
                        Ok(o) => o,
                        Err(_) => return (f, files, Some("附件暂时无法保存，请稍后再试".into())),
                    };
                    match xinfang_web::attachments::receive(objects, &fname, field, state.settings.max_attachment_bytes).await {
                        Ok(a) => files.push(a),
                        // An empty file input still sends a part: not an error.
                        Err(e) if e.code == "empty_attachment" => {}
                        Err(e) => return (f, files, Some(e.message)),
                    }
                    continue;
                }
                match field.bytes().await {
                    Ok(bytes) => {
                        f.insert(name, String::from_utf8_lossy(&bytes).into_owned());
                    }
                    Err(_) => return (f, files, too_big()),
                }
            }
            Ok(None) => return (f, files, None),
            Err(_) => return (f, files, too_big()),
        }
    }
}

/// The portal form's field for an API field name.
fn form_field(api_field: &str) -> Option<&'static str> {
    Some(match api_field {
        "title" => "title",
        "request" => "request",
        "facts_and_reasons" => "facts_and_reasons",
        "petitioners.name" | "petitioners" => "name",
        "petitioners.id_number" => "id_number",
        "petitioners.phone" => "phone",
        "petitioners.address" => "address",
        "jurisdiction" => "jurisdiction",
        "accused" => "accused",
        _ => return None,
    })
}

/// Which form field an intake error belongs to, so the message can stand
/// next to it.
fn field_of(e: &ApiError) -> Option<&'static str> {
    let named = |m: &str| {
        let inner = m.split_once('（').and_then(|(_, r)| r.split_once('）')).map(|(f, _)| f)?;
        Some(match inner {
            "title" => "title",
            "request" => "request",
            "facts_and_reasons" => "facts_and_reasons",
            "petitioners.name" => "name",
            "petitioners.address" => "address",
            "accused" => "accused",
            _ => return None,
        })
    };
    match e.code.as_str() {
        "field_required" | "field_too_long" => named(&e.message),
        "invalid_id_number" => Some("id_number"),
        "invalid_phone" => Some("phone"),
        "petitioner_required" => Some("name"),
        "invalid_jurisdiction" | "unknown_jurisdiction" | "no_bureau_for_jurisdiction" => Some("jurisdiction"),
        "invalid_category" => Some("category"),
        "accused_required" => Some("accused"),
        "unknown_unit" => Some("target_unit"),
        c if c.contains("attachment") || c == "invalid_filename" => Some("attachments"),
        _ => None,
    }
}

async fn receive(state: AppState, portal: Arc<PortalInfo>, headers: HeaderMap, mut multipart: Multipart, mailbox: bool) -> Response {
    let (f, files, problem) = read_multipart(&state, &headers, &mut multipart).await;
    let get = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return expired(&portal, &headers);
    }
    let selected = [get("province"), get("city"), get("county"), get("township")];
    let mut form = SubmitForm {
        mailbox,
        csrf: get("csrf"),
        leaders: if mailbox { leaders(&state) } else { Vec::new() },
        target_unit: get("target_unit"),
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        address: get("address"),
        confidential: f.contains_key("confidential"),
        category: get("category"),
        accused: get("accused"),
        title: get("title"),
        request: get("request"),
        facts_and_reasons: get("facts_and_reasons"),
        levels: region_levels(&state, selected.clone()).await,
        ..SubmitForm::default()
    };
    let jurisdiction = selected.iter().rev().find(|s| !s.is_empty()).cloned().unwrap_or_default();
    if form.name.is_empty() {
        form.errors.insert("name".into(), "请填写信访人姓名（名称）".into());
    }
    if jurisdiction.is_empty() {
        form.errors.insert("jurisdiction".into(), "请选择问题属地".into());
    }
    if form.category.is_empty() {
        form.errors.insert("category".into(), "请选择事项类别".into());
    }
    if mailbox && form.target_unit.is_empty() {
        form.errors.insert("target_unit".into(), "请选择写信对象".into());
    }
    form.general_error = problem;
    let page = |form: SubmitForm| {
        let mut r = render(&SubmitPage { page: Page::new(&portal, &headers, if mailbox { "mailbox" } else { "submit" }), form });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        r
    };
    if !form.errors.is_empty() || form.general_error.is_some() {
        return page(form);
    }
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let input = PetitionInput {
        channel: Some(if mailbox { "mailbox" } else { "online" }.into()),
        petitioners: vec![PetitionerInput {
            kind: None,
            name: form.name.clone(),
            id_number: opt(&form.id_number),
            phone: opt(&form.phone),
            address: opt(&form.address),
            representative: false,
        }],
        collective: false,
        headcount: None,
        jurisdiction,
        title: form.title.clone(),
        content: String::new(),
        request: form.request.clone(),
        facts_and_reasons: form.facts_and_reasons.clone(),
        category: form.category.clone(),
        litigation_related: false,
        topic: None,
        accused: (form.category == "accusation").then(|| AccusedInput {
            name: opt(&form.accused),
            unit: None,
            position: None,
            unit_code: None,
        }),
        anonymous: false,
        confidential: form.confidential,
        received_on: None,
        target_unit: if mailbox { opt(&form.target_unit) } else { None },
        attachments: Vec::new(),
        staged: files,
        new_facts_reason: None,
    };
    match intake(&state, Submitter::Citizen, input).await {
        Ok(out) => {
            let due = out.case.deadlines.first().map(|d| d.due_on.to_string()).unwrap_or_default();
            render(&Receipt {
                page: Page::new(&portal, &headers, if mailbox { "mailbox" } else { "submit" }),
                number: out.number,
                query_code: out.query_code,
                unit: out.receiving_unit.name,
                received_on: out.case.received_on.to_string(),
                due_on: due,
                repeat_of: out.repeat_of,
            })
        }
        Err(e) => {
            // Every invalid field gets its message beside it.
            let mut placed = false;
            for f in &e.fields {
                if let Some(name) = form_field(&f.field) {
                    form.errors.entry(name.into()).or_insert_with(|| f.message.clone());
                    placed = true;
                }
            }
            if !placed {
                match field_of(&e) {
                    Some(field) => {
                        form.errors.insert(field.into(), e.message.clone());
                    }
                    None => form.general_error = Some(e.message.clone()),
                }
            }
            page(form)
        }
    }
}

async fn submit(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    receive(state, portal, headers, multipart, false).await
}

async fn mailbox(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    receive(state, portal, headers, multipart, true).await
}

/// htmx: the options of the next level of the region picker; the levels
/// below it are emptied out of band.
async fn division_options(State(state): State<AppState>, Query(q): Query<HashMap<String, String>>) -> Response {
    let Some(target) = q.get("target").map(String::as_str) else { return StatusCode::BAD_REQUEST.into_response() };
    let Some(i) = LEVELS.iter().position(|l| l.0 == target).filter(|i| *i > 0) else { return StatusCode::BAD_REQUEST.into_response() };
    let parent_name = LEVELS.get(i - 1).map(|l| l.0).unwrap_or_default();
    let parent = q.get(parent_name).map(|s| s.trim()).filter(|s| !s.is_empty() && s.len() <= 12 && s.chars().all(|c| c.is_ascii_digit()));
    let mut html = String::from("<option value=\"\">请选择</option>");
    if let Some(p) = parent {
        for d in state.store.divisions(Some(p)).await.unwrap_or_default() {
            html.push_str(&format!("<option value=\"{}\">{}</option>", esc(&d.code), esc(&d.name)));
        }
    }
    for (name, _) in LEVELS.iter().skip(i + 1) {
        html.push_str(&format!("<select id=\"{name}\" hx-swap-oob=\"innerHTML\"><option value=\"\">请选择</option></select>"));
    }
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

pub(crate) fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

// ----- Tracking -----------------------------------------------------------

pub struct TrackData {
    pub number: String,
    pub title: String,
    pub state_label: String,
    pub handling_unit: String,
    pub deadlines: Vec<(String, String, bool)>,
    pub progress: Vec<(String, String)>,
    pub notices: Vec<String>,
    pub can_evaluate: bool,
    pub review_window: Option<(String, String, i64)>,
    /// The units a request may go to (code, name), default first.
    pub review_units: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    page: Page,
    csrf: String,
    number: String,
    code: String,
    error: Option<String>,
    message: Option<String>,
    view: Option<TrackData>,
}

pub(crate) fn local_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&xinfang_domain::china_offset()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn track_data(v: TrackView) -> TrackData {
    TrackData {
        number: v.number,
        title: v.title,
        state_label: v.state_label,
        handling_unit: v.handling_unit.or(v.current_unit).unwrap_or_default(),
        deadlines: v.deadlines.into_iter().map(|d| (d.label, d.due_on, d.provisional)).collect(),
        progress: v.progress.into_iter().map(|p| (local_time(&p.occurred_at), format!("{}（{}）", p.label, p.state))).collect(),
        notices: v.notices.into_iter().map(|n| n.body).collect(),
        can_evaluate: v.can_evaluate,
        review_units: v
            .review_window
            .as_ref()
            .map(|w| w.units.iter().map(|u| (u.code.clone(), u.name.clone())).collect())
            .unwrap_or_default(),
        review_window: v.review_window.map(|w| (if w.kind == "review" { "复查" } else { "复核" }.to_string(), w.due_on, w.days_left)),
    }
}

async fn track_page(
    state: &AppState,
    portal: &Arc<PortalInfo>,
    headers: &HeaderMap,
    number: String,
    code: String,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let (token, set) = csrf(headers);
    let (view, error) = if number.is_empty() {
        (None, error)
    } else {
        match track_api::view(State(state.clone()), ApiPath(number.clone()), ApiQuery(CodeQuery { code: Some(code.clone()) })).await {
            Ok(axum::Json(v)) => (Some(track_data(v)), error),
            Err(e) => (None, Some(e.message)),
        }
    };
    with_cookie(render(&TrackPage { page: Page::new(portal, headers, "track"), csrf: token, number, code, error, message, view }), set)
}

async fn track_form(State(state): State<AppState>, Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    track_page(&state, &portal, &headers, String::new(), String::new(), None, None).await
}

#[derive(Deserialize)]
struct TrackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    reason: String,
    /// The reviewing unit chosen on the tracking page (Art. 35).
    #[serde(default)]
    review_unit: String,
    #[serde(default)]
    good_reason: String,
}

/// What a tracking form asks for.
#[derive(Clone, Copy)]
enum TrackOp {
    Show,
    Evaluate,
    Review,
}

/// The three tracking forms share one path: check the CSRF token, do what
/// was asked through the petitioner's API handlers, show the page again.
async fn track_post(state: AppState, portal: Arc<PortalInfo>, headers: HeaderMap, f: TrackForm, op: TrackOp) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return expired(&portal, &headers);
    }
    let (number, code) = (f.number.trim().to_string(), f.code.trim().to_uppercase());
    let result = match op {
        TrackOp::Show => Ok(None),
        TrackOp::Evaluate => {
            let input = EvaluationInput { code: Some(code.clone()), rating: f.rating, reason: f.reason };
            track_api::evaluate(State(state.clone()), ApiPath(number.clone()), ApiQuery(CodeQuery { code: None }), ApiJson(input))
                .await
                .map(|_| Some("感谢您的评价。".to_string()))
        }
        TrackOp::Review => {
            let opt = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
            let input = ReviewRequestInput {
                code: Some(code.clone()),
                reason: f.reason,
                unit: opt(f.review_unit),
                good_reason: opt(f.good_reason),
            };
            track_api::review_request(State(state.clone()), ApiPath(number.clone()), ApiQuery(CodeQuery { code: None }), ApiJson(input))
                .await
                .map(|r| {
                    Some(if r.status() == axum::http::StatusCode::ACCEPTED {
                        "已超过申请期限：您说明的正当理由已提交复查（复核）机关负责人认定，认定后即予受理。".to_string()
                    } else {
                        "申请已提交，复查（复核）机关将自收到之日起30日内提出意见。".to_string()
                    })
                })
        }
    };
    let (message, error) = match result {
        Ok(m) => (m, None),
        Err(e) => (None, Some(e.message)),
    };
    track_page(&state, &portal, &headers, number, code, message, error).await
}

async fn track(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Response {
    track_post(state, portal, headers, f, TrackOp::Show).await
}

async fn evaluate(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Response {
    track_post(state, portal, headers, f, TrackOp::Evaluate).await
}

async fn review(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Response {
    track_post(state, portal, headers, f, TrackOp::Review).await
}
