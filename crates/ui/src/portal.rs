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
        .route("/submit/receipt", get(receipt))
        .route("/mailbox", get(mailbox_form).post(mailbox.layer(from_fn(ratelimit::submit))).layer(big))
        .route("/mailbox/receipt", get(receipt))
        .route("/ui/divisions", get(division_options))
        .route("/track", get(track_get).post(track.layer(from_fn(ratelimit::track))))
        .route("/track/forgot", get(forgot))
        .route("/track/documents/{id}", get(track_letter.layer(from_fn(ratelimit::track))))
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

pub(crate) fn expired(portal: &Arc<PortalInfo>, headers: &HeaderMap) -> Response {
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
    /// The page to go back to (this site's path only).
    back: Option<String>,
}

/// Switch the large-text, high-contrast mode (适老化) on or off. With
/// JavaScript the switch happens in the page (app.js), keeping whatever was
/// typed; this is the fallback, back to the page it came from.
async fn elder(Query(q): Query<ElderQuery>, headers: HeaderMap) -> Response {
    let on = q.on.as_deref() == Some("1");
    // A path of this site, and nothing a Location header cannot carry.
    let local = |p: &str| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && p.bytes().all(|b| b.is_ascii_graphic());
    let back = q
        .back
        .filter(|p| local(p))
        .or_else(|| {
            headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(|r| r.find("://").and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string())))
                .filter(|p| local(p))
        })
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
    /// One-time token: a resend of this form creates no second petition.
    pub form_token: String,
    pub leaders: Vec<(String, String)>,
    pub target_unit: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
    pub confidential: bool,
    pub category: String,
    /// A second-level topic (内容分类), optional; preselected when the
    /// citizens' guide sends someone here (`?topic=0202`).
    pub topic: String,
    pub topics: Vec<(String, String)>,
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

    /// The fields with a message, in the order of the page (the summary
    /// at the top links to each).
    pub fn error_list(&self) -> Vec<(&'static str, &'static str, &String)> {
        const ORDER: [(&str, &str); 11] = [
            ("target_unit", "写信给"),
            ("name", "姓名（名称）"),
            ("id_number", "公民身份号码"),
            ("phone", "联系电话"),
            ("address", "通信地址"),
            ("jurisdiction", "问题属地"),
            ("category", "事项类别"),
            ("accused", "被检举人或单位"),
            ("title", "标题"),
            ("request", "您的诉求"),
            ("facts_and_reasons", "事实和理由"),
        ];
        let mut v: Vec<_> = ORDER.iter().filter_map(|(f, l)| self.errors.get(*f).map(|m| (*f, *l, m))).collect();
        if let Some(m) = self.errors.get("attachments") {
            v.push(("attachments", "附件", m));
        }
        v
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
        form_token: xinfang_web::auth::random_secret(16),
        leaders: if mailbox { leaders(state) } else { Vec::new() },
        category: "claim".into(),
        topics: topic_options(state).await,
        levels: region_levels(state, default_selection(portal)).await,
        ..SubmitForm::default()
    }
}

/// Second-level topics for the optional 内容分类 choice.
async fn topic_options(state: &AppState) -> Vec<(String, String)> {
    let all = state.store.topics().await.unwrap_or_default();
    let names: HashMap<String, String> = all.iter().map(|t| (t.code.clone(), t.name.clone())).collect();
    all.iter()
        .filter_map(|t| {
            t.parent_code.as_ref().map(|p| (t.code.clone(), format!("{}—{}", names.get(p).cloned().unwrap_or_default(), t.name)))
        })
        .collect()
}

/// What a link may preselect on the form (the citizens' guide).
#[derive(Deserialize, Default)]
struct Preset {
    #[serde(default)]
    category: String,
    #[serde(default)]
    topic: String,
}

async fn show_form(state: AppState, portal: Arc<PortalInfo>, headers: HeaderMap, mailbox: bool, preset: Preset) -> Response {
    let (token, set) = csrf(&headers);
    let mut form = blank_form(&state, &portal, mailbox, token).await;
    if ["claim", "suggestion", "accusation"].contains(&preset.category.as_str()) {
        form.category = preset.category;
    }
    if form.topics.iter().any(|t| t.0 == preset.topic) {
        form.topic = preset.topic;
    }
    with_cookie(render(&SubmitPage { page: form_page(&portal, &headers, mailbox), form }), set)
}

async fn submit_form(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Query(p): Query<Preset>,
) -> Response {
    show_form(state, portal, headers, false, p).await
}

async fn mailbox_form(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Query(p): Query<Preset>,
) -> Response {
    show_form(state, portal, headers, true, p).await
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

fn form_page(portal: &Arc<PortalInfo>, headers: &HeaderMap, mailbox: bool) -> Page {
    let mut page = Page::new(portal, headers, if mailbox { "mailbox" } else { "submit" });
    page.htmx = true; // the region picker
    page
}

// ----- Sealed cookies: the receipt and the tracked petition ----------------
//
// After a submission the browser is sent (303) to a plain GET page, so a
// reload shows the receipt again instead of posting again. The receipt
// holds the query code, so it must not travel in the URL: a URL ends up in
// the history, in proxy and server logs and in bookmarks, and can be
// shared by accident. It goes in a cookie instead, sealed with the
// deployment's data key (AES-GCM or SM4-GCM through the keyring, so it can
// be neither read nor forged), HttpOnly (no script reads it), SameSite=
// Strict (no other site makes the browser send it) and short-lived (30
// minutes, also checked inside the sealed value). Every node holds the same
// key file, so any node can open it: nothing per-node, and no extra row per
// page view (the database row that keeps the answer for a resend is the
// form token's, see `xinfang_web::once`). The tracking page works the same
// way after the number and code were entered once.

const RECEIPT_COOKIE: &str = "xf_receipt";
const TRACK_COOKIE: &str = "xf_track";
const SEALED_MINUTES: i64 = 30;

pub(crate) fn seal_cookie(state: &AppState, name: &str, kind: &str, value: serde_json::Value) -> Option<HeaderValue> {
    seal_cookie_at(state, name, kind, value, "/")
}

/// [`seal_cookie`] sent back only to the pages under `path`.
pub(crate) fn seal_cookie_at(state: &AppState, name: &str, kind: &str, value: serde_json::Value, path: &str) -> Option<HeaderValue> {
    let exp = chrono::Utc::now().timestamp() + SEALED_MINUTES * 60;
    let sealed = state.keyring.encrypt(&serde_json::json!({ "k": kind, "exp": exp, "v": value }).to_string());
    HeaderValue::from_str(&format!("{name}={sealed}; Path={path}; Max-Age={}; HttpOnly; SameSite=Strict", SEALED_MINUTES * 60)).ok()
}

pub(crate) fn open_cookie(state: &AppState, headers: &HeaderMap, name: &str, kind: &str) -> Option<serde_json::Value> {
    let plain = state.keyring.decrypt(&cookie(headers, name)?).ok()?;
    let v: serde_json::Value = serde_json::from_str(&plain).ok()?;
    let fresh = v.get("exp").and_then(serde_json::Value::as_i64).is_some_and(|e| e >= chrono::Utc::now().timestamp());
    (v.get("k").and_then(serde_json::Value::as_str) == Some(kind) && fresh).then(|| v.get("v").cloned()).flatten()
}

pub(crate) fn see_other(to: &str, cookies: impl IntoIterator<Item = Option<HeaderValue>>) -> Response {
    let mut r = Redirect::to(to).into_response();
    for c in cookies.into_iter().flatten() {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

/// A message for a citizen: the API's messages name the JSON field after
/// the label for developers (`请填写标题（title）`); the page has the field
/// beside the message, so the code name goes. Staff pages use the same rule.
pub(crate) fn citizen_message(m: &str) -> String {
    let mut out = String::with_capacity(m.len());
    let mut rest = m;
    while let Some(i) = rest.find('（') {
        let after = &rest[i + '（'.len_utf8()..];
        match after.find('）') {
            // A field's code name (`title`, `petitioners.0.name`, a list
            // `title,content`): lower-case ASCII only, never Chinese words.
            Some(j) if j > 0 && after[..j].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.,".contains(&b)) => {
                out.push_str(&rest[..i]);
                rest = &after[j + '）'.len_utf8()..];
            }
            _ => {
                out.push_str(&rest[..i + '（'.len_utf8()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
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
        "accused" | "accused.name" => "accused",
        "category" => "category",
        "target_unit" => "target_unit",
        _ => return None,
    })
}

/// Which form field an intake error belongs to, so the message can stand
/// next to it.
fn field_of(e: &ApiError) -> Option<&'static str> {
    let named = |m: &str| {
        let inner = m.split_once('（').and_then(|(_, r)| r.split_once('）')).map(|(f, _)| f)?;
        form_field(inner)
    };
    match e.code.as_str() {
        "field_required" | "field_too_long" | "control_characters" => named(&e.message),
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

/// A place this deployment does not serve: say where to petition instead.
fn outside_area(portal: &PortalInfo) -> String {
    format!(
        "您选择的地区不在本平台（{}）的受理范围内。请向问题发生地县级以上人民政府的信访部门反映：可以写信、走访，或使用当地的网上信访渠道；也可通过国家信访局网上信访平台提出。",
        portal.organiser
    )
}

/// Where to petition instead, when no petition bureau of this deployment
/// serves `code` or any place inside it.
fn area_hint(state: &AppState, portal: &PortalInfo, code: &str) -> Option<String> {
    let tree = state.tree();
    let served = tree.bureau_for(code).is_some()
        || tree.all().any(|u| u.kind == xinfang_domain::unit::UnitKind::PetitionBureau && u.jurisdiction.starts_with(code));
    (!served).then(|| outside_area(portal))
}

/// The receipt as kept for the GET page (and for a resend of the form).
fn receipt_value(out: &xinfang_web::intake::Intake) -> serde_json::Value {
    serde_json::json!({
        "number": out.number,
        "query_code": out.query_code,
        "unit": out.receiving_unit.name,
        "received_on": out.case.received_on.to_string(),
        "due_on": out.case.deadlines.first().map(|d| d.due_on.to_string()).unwrap_or_default(),
        "repeat_of": out.repeat_of,
        "refused": out.refused.as_ref().map(|r| r.notice.clone()),
    })
}

async fn receive(state: AppState, portal: Arc<PortalInfo>, headers: HeaderMap, mut multipart: Multipart, mailbox: bool) -> Response {
    let (f, files, problem) = read_multipart(&state, &headers, &mut multipart).await;
    let get = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if !csrf_ok(&headers, &get("csrf")) {
        return expired(&portal, &headers);
    }
    let selected = [get("province"), get("city"), get("county"), get("township")];
    let token = get("form_token");
    let mut form = SubmitForm {
        mailbox,
        csrf: get("csrf"),
        form_token: if xinfang_web::once::valid_key(&token) { token.clone() } else { xinfang_web::auth::random_secret(16) },
        leaders: if mailbox { leaders(&state) } else { Vec::new() },
        target_unit: get("target_unit"),
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        address: get("address"),
        confidential: f.contains_key("confidential"),
        category: get("category"),
        topic: get("topic"),
        topics: topic_options(&state).await,
        accused: get("accused"),
        title: get("title"),
        request: get("request"),
        facts_and_reasons: get("facts_and_reasons"),
        levels: region_levels(&state, selected.clone()).await,
        ..SubmitForm::default()
    };
    let jurisdiction = selected.iter().rev().find(|s| !s.is_empty()).cloned().unwrap_or_default();
    // Every missing field at once, each beside its field.
    let required = [
        ("name", &form.name, "请填写信访人姓名（名称）"),
        ("title", &form.title, "请填写标题"),
        ("request", &form.request, "请填写您的诉求"),
        ("facts_and_reasons", &form.facts_and_reasons, "请填写事实和理由"),
        ("category", &form.category, "请选择事项类别"),
        ("jurisdiction", &jurisdiction, "请选择问题属地"),
    ];
    let mut errors: HashMap<String, String> =
        required.iter().filter(|(_, v, _)| v.is_empty()).map(|(k, _, m)| (k.to_string(), m.to_string())).collect();
    if form.category == "accusation" && form.accused.is_empty() {
        errors.insert("accused".into(), "检举控告类事项请填写被检举人或单位".into());
    }
    if mailbox && form.target_unit.is_empty() {
        errors.insert("target_unit".into(), "请选择写信对象".into());
    }
    if !form.id_number.is_empty() && !xinfang_domain::petition::valid_id_number(&form.id_number) {
        errors.insert("id_number".into(), "公民身份号码格式、出生日期或校验位不正确，请核对18位号码".into());
    }
    if !form.phone.is_empty() && !xinfang_domain::petition::valid_phone(&form.phone) {
        errors.insert("phone".into(), "联系电话格式不正确，请填写手机号码或带区号的固定电话".into());
    }
    if let Some(hint) = (!jurisdiction.is_empty()).then(|| area_hint(&state, &portal, &jurisdiction)).flatten() {
        errors.insert("jurisdiction".into(), hint);
    }
    form.errors = errors;
    form.general_error = problem;
    let page = |form: SubmitForm| {
        let mut r = render(&SubmitPage { page: form_page(&portal, &headers, mailbox), form });
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        r
    };
    if !form.errors.is_empty() || form.general_error.is_some() {
        return page(form);
    }
    if !xinfang_web::once::valid_key(&token) {
        return expired(&portal, &headers);
    }
    let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    // The form as sent, files by content: a resend is the same form.
    let mut shown: Vec<(&String, &String)> = f.iter().filter(|(k, _)| *k != "csrf" && *k != "form_token").collect();
    shown.sort();
    let fingerprint = xinfang_web::once::fingerprint(
        &state,
        &serde_json::json!({
            "mailbox": mailbox,
            "fields": shown.iter().map(|(k, v)| serde_json::json!([k, v.trim()])).collect::<Vec<_>>(),
            "files": files.iter().map(|a| a.sha256.clone()).collect::<Vec<_>>(),
        }),
    );
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
        topic: opt(&form.topic),
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
        repeat: None,
    };
    let act = || async {
        let out = intake(&state, Submitter::Citizen, input).await?;
        Ok((StatusCode::CREATED, receipt_value(&out)))
    };
    match xinfang_web::once::once(&state, "form:portal", &token, &fingerprint, act).await {
        // Done now, or done already by this same form (a double click, a
        // resend): the same receipt either way, shown by a GET.
        Ok(answer) => {
            let to = if mailbox { "/mailbox/receipt" } else { "/submit/receipt" };
            see_other(to, [seal_cookie(&state, RECEIPT_COOKIE, "receipt", answer.body)])
        }
        Err(e) if e.code == "idempotency_key_reused" => {
            // The form was sent before and has been changed since (back
            // button): it is a new submission, which needs a new token.
            form.form_token = xinfang_web::auth::random_secret(16);
            form.general_error =
                Some("这份表单已经提交过。如果您要反映另一件事项，请核对下面的内容后再次点击“提交”；如只是重复提交，无须再提交。".into());
            page(form)
        }
        Err(e) => {
            // Every invalid field gets its message beside it.
            let mut placed = false;
            for fe in &e.fields {
                if let Some(name) = form_field(&fe.field) {
                    form.errors.entry(name.into()).or_insert_with(|| citizen_message(&fe.message));
                    placed = true;
                }
            }
            if !placed {
                let msg = if e.code == "no_bureau_for_jurisdiction" { outside_area(&portal) } else { citizen_message(&e.message) };
                match field_of(&e) {
                    Some(field) => {
                        form.errors.insert(field.into(), msg);
                    }
                    None => form.general_error = Some(msg),
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
    refused: Option<String>,
}

/// The receipt, shown by GET after the submission (a reload shows it again
/// and submits nothing).
async fn receipt(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let nav = if uri.path().starts_with("/mailbox") { "mailbox" } else { "submit" };
    let Some(v) = open_cookie(&state, &headers, RECEIPT_COOKIE, "receipt") else {
        return error_page(
            &portal,
            &headers,
            StatusCode::NOT_FOUND,
            "回执已不在本页显示",
            "为保护您的查询码，回执只在提交后的30分钟内、在提交所用的浏览器中显示。请凭信访件编号和查询码在“办理查询”中查看办理情况；忘记查询码的，请见“办理查询”页的说明。",
        );
    };
    let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
    let opt = |k: &str| v.get(k).and_then(serde_json::Value::as_str).map(String::from);
    render(&Receipt {
        page: Page::new(&portal, &headers, nav),
        number: text("number"),
        query_code: text("query_code"),
        unit: text("unit"),
        received_on: text("received_on"),
        due_on: text("due_on"),
        repeat_of: opt("repeat_of"),
        refused: opt("refused"),
    })
}

/// htmx: the options of the next level of the region picker; the levels
/// below it are emptied out of band.
async fn division_options(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
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
    // A place outside this deployment's area says at once where to go.
    let hint =
        parent.and_then(|p| area_hint(&state, &portal, p)).map(|m| format!("<p class=\"alert\">{}</p>", esc(&m))).unwrap_or_default();
    html.push_str(&format!("<div id=\"area-hint\" aria-live=\"polite\" hx-swap-oob=\"innerHTML\">{hint}</div>"));
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
    /// (复查机关 or 复核机关, the unit), once such a request was made.
    pub reviewers: Vec<(&'static str, String)>,
    /// The petitioner's evaluations: (when, the document, rating, reason).
    pub evaluations: Vec<(String, String, String, String)>,
    pub deadlines: Vec<(String, String, bool)>,
    pub progress: Vec<(String, String)>,
    pub notices: Vec<String>,
    pub can_evaluate: bool,
    pub review_window: Option<(String, String, i64)>,
    /// The units a request may go to (code, name), default first.
    pub review_units: Vec<(String, String)>,
    pub submitted: xinfang_web::dto::SubmittedView,
    pub documents: Vec<TrackDoc>,
    /// Letters addressed to the petitioner: (title, 文号, issued on, id).
    /// (title, 文号, date, id, the article it rests on when that concerns the petitioner).
    pub letters: Vec<(String, String, String, i64, Option<String>)>,
}

/// A document as the petitioner reads it: name, when issued, its parts
/// (label, text).
pub type TrackDoc = (String, String, Vec<(String, String)>);

/// The evaluation and 复查/复核 forms: what was chosen and typed, and the
/// message of each field that was refused.
#[derive(Default)]
pub struct ActForm {
    pub rating: String,
    pub reason: String,
    pub review_unit: String,
    pub good_reason: String,
    pub errors: HashMap<String, String>,
    /// A refusal that belongs to no one field.
    pub alert: Option<String>,
}

impl ActForm {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    page: Page,
    csrf: String,
    number: String,
    code: String,
    error: Option<String>,
    number_error: Option<String>,
    code_error: Option<String>,
    message: Option<String>,
    view: Option<TrackData>,
    evaluation: ActForm,
    review: ActForm,
}

pub(crate) fn local_time(rfc3339: &str) -> String {
    xinfang_domain::local_minute(rfc3339).unwrap_or_default()
}

fn track_data(v: TrackView) -> TrackData {
    TrackData {
        number: v.number,
        title: v.title,
        state_label: v.state_label,
        handling_unit: v.handling_unit.or(v.current_unit).unwrap_or_default(),
        reviewers: [("复查机关", v.review_unit), ("复核机关", v.final_review_unit)]
            .into_iter()
            .filter_map(|(label, u)| u.map(|u| (label, u)))
            .collect(),
        evaluations: v
            .evaluations
            .into_iter()
            .map(|e| {
                let doc = e.document_label.map(|d| format!("对{d}")).unwrap_or_default();
                (local_time(&e.evaluated_at), doc, e.rating_label, e.reason.unwrap_or_default())
            })
            .collect(),
        deadlines: v
            .deadlines
            .into_iter()
            .map(|d| {
                let extended = if d.extension_days > 0 { format!("（已延长{}日）", d.extension_days) } else { String::new() };
                (d.label, format!("{}{extended}", d.due_on), d.provisional)
            })
            .collect(),
        progress: v.progress.into_iter().map(|p| (local_time(&p.occurred_at), format!("{}（{}）", p.label, p.state))).collect(),
        notices: v.notices.into_iter().map(|n| n.body).collect(),
        can_evaluate: v.can_evaluate,
        review_units: v
            .review_window
            .as_ref()
            .map(|w| w.units.iter().map(|u| (u.code.clone(), u.name.clone())).collect())
            .unwrap_or_default(),
        review_window: v.review_window.map(|w| (if w.kind == "review" { "复查" } else { "复核" }.to_string(), w.due_on, w.days_left)),
        submitted: v.submitted,
        documents: v
            .documents
            .into_iter()
            .map(|d| (d.name, local_time(&d.issued_at), d.items.into_iter().map(|i| (i.label, i.text)).collect()))
            .collect(),
        letters: v
            .letters
            .into_iter()
            .map(|l| {
                let law =
                    xinfang_domain::letters::LetterKind::parse(&l.kind).and_then(|k| xinfang_web::api::articles::petitioner_link(k.rule()));
                (l.title, l.doc_number, l.issued_on, l.id, law)
            })
            .collect(),
    }
}

/// The plain answer to a wrong number or code (and to a number that does
/// not exist: the two are never told apart).
const WRONG: &str = "编号或查询码不正确";

struct Shown {
    number: String,
    code: String,
    message: Option<String>,
    error: Option<String>,
    number_error: Option<String>,
    code_error: Option<String>,
    evaluation: ActForm,
    review: ActForm,
}

impl Shown {
    fn new(number: String, code: String) -> Shown {
        Shown {
            number,
            code,
            message: None,
            error: None,
            number_error: None,
            code_error: None,
            evaluation: ActForm::default(),
            review: ActForm::default(),
        }
    }
}

/// The tracking page: the record when `code` is known (and right), else
/// the form.
async fn track_page(state: &AppState, portal: &Arc<PortalInfo>, headers: &HeaderMap, s: Shown, status: StatusCode) -> Response {
    let (token, set) = csrf(headers);
    let mut error = s.error;
    let view = if s.number.is_empty() || s.code.is_empty() {
        None
    } else {
        match track_api::view(State(state.clone()), ApiPath(s.number.clone()), ApiQuery(CodeQuery { code: Some(s.code.clone()) })).await {
            Ok(axum::Json(v)) => Some(track_data(v)),
            Err(e) if e.status == StatusCode::NOT_FOUND => {
                error = Some(WRONG.into());
                None
            }
            Err(e) => {
                error = Some(citizen_message(&e.message));
                None
            }
        }
    };
    let mut r = render(&TrackPage {
        page: Page::new(portal, headers, "track"),
        csrf: token,
        number: s.number,
        code: if view.is_some() { s.code } else { String::new() },
        error,
        number_error: s.number_error,
        code_error: s.code_error,
        message: s.message,
        view,
        evaluation: s.evaluation,
        review: s.review,
    });
    *r.status_mut() = status;
    with_cookie(r, set)
}

#[derive(Deserialize)]
struct TrackQuery {
    #[serde(default)]
    number: String,
}

/// GET /track: the record of the petition this browser opened (the sealed
/// tracking cookie, or the receipt just shown, holds its code), else the
/// form, with the number filled in when the link gave one.
async fn track_get(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Query(q): Query<TrackQuery>,
) -> Response {
    let number = q.number.trim().to_string();
    let Some((code, flash)) = tracked_code(&state, &headers, &number) else {
        return track_page(&state, &portal, &headers, Shown::new(number, String::new()), StatusCode::OK).await;
    };
    let message = flash.as_deref().map(|f| match f {
        "evaluated" => "感谢您的评价。".to_string(),
        "review_pending" => "已超过申请期限：您说明的正当理由已提交复查（复核）机关负责人认定，认定后即予受理。".to_string(),
        _ => "申请已提交，复查（复核）机关将自收到之日起30日内提出意见。".to_string(),
    });
    let mut shown = Shown::new(number.clone(), code.clone());
    shown.message = message;
    let r = track_page(&state, &portal, &headers, shown, StatusCode::OK).await;
    // The message is shown once; the record stays open for a reload.
    let again = flash.is_some().then(|| track_cookie(&state, &number, &code, None)).flatten();
    with_cookie(r, again)
}

/// The query code of petition `number` this browser opened (the sealed
/// tracking cookie, or the receipt just shown), with the tracking page's
/// one-time message.
fn tracked_code(state: &AppState, headers: &HeaderMap, number: &str) -> Option<(String, Option<String>)> {
    let known = |v: Option<serde_json::Value>, code_key: &str| {
        let v = v?;
        let n = v.get("number").and_then(serde_json::Value::as_str)?;
        let c = v.get(code_key).and_then(serde_json::Value::as_str)?;
        let flash = v.get("flash").and_then(serde_json::Value::as_str).map(String::from);
        (n == number).then(|| (c.to_string(), flash))
    };
    if number.is_empty() {
        return None;
    }
    known(open_cookie(state, headers, TRACK_COOKIE, "track"), "code")
        .or_else(|| known(open_cookie(state, headers, RECEIPT_COOKIE, "receipt"), "query_code"))
}

/// GET /track/documents/{id}?number=…: a letter of the petition this
/// browser opened, as PDF (the code stays in the sealed cookie).
async fn track_letter(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(q): Query<TrackQuery>,
) -> Response {
    let number = q.number.trim().to_string();
    let (Some((code, _)), Ok(id)) = (tracked_code(&state, &headers, &number), id.parse::<i64>()) else {
        return error_page(&portal, &headers, StatusCode::NOT_FOUND, "文书不存在", "请先输入编号和查询码打开办理查询页面，再下载文书。");
    };
    match xinfang_web::api::letters::track_download(State(state.clone()), ApiPath((number, id)), ApiQuery(CodeQuery { code: Some(code) }))
        .await
    {
        Ok(r) => r,
        Err(e) => error_page(&portal, &headers, e.status, "文书暂时无法下载", &citizen_message(&e.message)),
    }
}

fn track_cookie(state: &AppState, number: &str, code: &str, flash: Option<&str>) -> Option<HeaderValue> {
    seal_cookie(state, TRACK_COOKIE, "track", serde_json::json!({ "number": number, "code": code, "flash": flash }))
}

fn track_url(number: &str) -> String {
    let safe: String = number.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    format!("/track?number={safe}")
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    page: Page,
}

/// 忘记查询码: no SMS yet, so the way is in person, by phone or by letter
/// with proof of identity.
async fn forgot(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    render(&ForgotPage { page: Page::new(&portal, &headers, "track") })
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

/// POST /track: look the petition up; right → 303 to the record (the code
/// goes in the sealed cookie, never in the URL); wrong → the form again.
async fn track(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return expired(&portal, &headers);
    }
    let (number, code) = (f.number.trim().to_uppercase(), f.code.trim().to_uppercase());
    let mut shown = Shown::new(number.clone(), String::new());
    if number.is_empty() {
        shown.number_error = Some("请填写信访件编号".into());
    }
    if code.is_empty() {
        shown.code_error = Some("请填写查询码".into());
    }
    if shown.number_error.is_some() || shown.code_error.is_some() {
        return track_page(&state, &portal, &headers, shown, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    match track_api::load(&state, &number, Some(&code)).await {
        Ok(_) => see_other(&track_url(&number), [track_cookie(&state, &number, &code, None)]),
        Err(e) => {
            shown.error = Some(if e.status == StatusCode::NOT_FOUND { WRONG.into() } else { citizen_message(&e.message) });
            track_page(&state, &portal, &headers, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

/// An act's refusal placed beside the fields it names, or above the form.
fn place_errors(e: &ApiError, fields: &[(&str, &str)]) -> (HashMap<String, String>, Option<String>) {
    let mut errors = HashMap::new();
    for fe in &e.fields {
        if let Some((_, form)) = fields.iter().find(|(api, _)| *api == fe.field) {
            errors.entry(form.to_string()).or_insert_with(|| citizen_message(&fe.message));
        }
    }
    let alert = errors.is_empty().then(|| if e.status == StatusCode::NOT_FOUND { WRONG.into() } else { citizen_message(&e.message) });
    (errors, alert)
}

async fn evaluate(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return expired(&portal, &headers);
    }
    let (number, code) = (f.number.trim().to_string(), f.code.trim().to_uppercase());
    let input = EvaluationInput { code: Some(code.clone()), rating: f.rating.clone(), reason: f.reason.clone() };
    match track_api::evaluate(State(state.clone()), ApiPath(number.clone()), ApiQuery(CodeQuery { code: None }), ApiJson(input)).await {
        Ok(_) => see_other(&track_url(&number), [track_cookie(&state, &number, &code, Some("evaluated"))]),
        Err(e) => {
            let (mut errors, alert) = place_errors(&e, &[("rating", "rating"), ("reason", "eval_reason")]);
            if let Some(m) = errors.get_mut("rating") {
                *m = "请选择满意、基本满意或不满意".into();
            }
            let mut shown = Shown::new(number, code);
            shown.evaluation = ActForm { rating: f.rating, reason: f.reason, errors, alert, ..ActForm::default() };
            track_page(&state, &portal, &headers, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

async fn review(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return expired(&portal, &headers);
    }
    let (number, code) = (f.number.trim().to_string(), f.code.trim().to_uppercase());
    let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let input = ReviewRequestInput {
        code: Some(code.clone()),
        reason: f.reason.clone(),
        unit: opt(&f.review_unit),
        good_reason: opt(&f.good_reason),
    };
    match track_api::review_request(State(state.clone()), ApiPath(number.clone()), ApiQuery(CodeQuery { code: None }), ApiJson(input)).await
    {
        Ok(r) => {
            let flash = if r.status() == StatusCode::ACCEPTED { "review_pending" } else { "review" };
            see_other(&track_url(&number), [track_cookie(&state, &number, &code, Some(flash))])
        }
        Err(e) => {
            let (errors, alert) = place_errors(&e, &[("reason", "review_reason"), ("good_reason", "good_reason"), ("unit", "review_unit")]);
            let mut shown = Shown::new(number, code);
            shown.review =
                ActForm { reason: f.reason, review_unit: f.review_unit, good_reason: f.good_reason, errors, alert, ..ActForm::default() };
            track_page(&state, &portal, &headers, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
