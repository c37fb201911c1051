//! The workbench's text intelligence (issue 13): triage suggestions and
//! possible repeats while a clerk registers, the 初件 / 重件 finding on the
//! petition page, and full-text search with highlighted snippets. Every
//! page calls the API handler that answers the same question, and every
//! suggestion shows the words or reasons behind it.

use crate::render;
use crate::workbench::{Extras, chinese_only, me, petition_page, staff};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use std::collections::HashMap;
use xinfang_domain::access::View;
use xinfang_domain::petition::{Petitioner, PetitionerKind, State as PState};
use xinfang_web::AppState;
use xinfang_web::api::petitions::{ListQuery, load_visible};
use xinfang_web::api::repeats::RepeatInput;
use xinfang_web::api::search::SearchPage;
use xinfang_web::api::similar::SimilarPetition;
use xinfang_web::api::triage::{TriageInput, TriageOutput};
use xinfang_web::extract::{ApiJson, ApiPath};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/triage", post(triage_hint))
        .route("/staff/search", get(search_page))
        .route("/staff/p/{number}/similar", get(similar_fragment))
        .route("/staff/p/{number}/repeat", post(record_repeat))
}

fn fragment(html: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(|v| v.trim()).unwrap_or_default()
}

/// A similarity or confidence as a percentage; one under half a percent
/// reads "<1%", not "0%" beside the words that raised it.
pub(crate) fn pct(score: &f64) -> String {
    if *score > 0.0 && *score < 0.005 { "<1%".into() } else { format!("{:.0}%", score * 100.0) }
}

/// Whether any suggestion drew on the seed model of the project's labelled
/// petitions (`basis` `seed` or `rules_and_seed`), for the panel's heading.
pub(crate) fn seeded(t: &TriageOutput) -> bool {
    t.category.iter().chain(&t.topic).chain(&t.department).any(|s| s.basis.contains("seed"))
}

/// A state code's Chinese label.
pub(crate) fn state_label(code: &str) -> &'static str {
    PState::parse(code).map_or("", |s| s.label())
}

// ----- While registering -----------------------------------------------------

#[derive(Template)]
#[template(path = "staff_triage_hint.html")]
struct TriageHint {
    t: TriageOutput,
    similar: Vec<SimilarPetition>,
    /// Why the person was not matched (the identity-search budget).
    notice: Option<String>,
    /// The clerk's 初件 / 重件 choice so far (`repeat_choice`), kept when
    /// the panel is drawn again.
    choice: String,
}

/// Characters of text before suggestions are worth asking for.
const MIN_TEXT_CHARS: usize = 4;

/// htmx, from the registration form: what the rule table or the learnt
/// model suggests for the text typed so far, its risk signals, and the
/// petitions it may repeat (by the same person, or the same matter).
async fn triage_hint(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let Ok(s) = staff(&state, &headers).await else { return StatusCode::UNAUTHORIZED.into_response() };
    if !crate::portal::csrf_ok(&headers, field(&f, "csrf")) {
        return fragment("<p class=\"hint\">页面已过期，请刷新后再看建议。</p>".into());
    }
    let title: String = field(&f, "title").chars().take(xinfang_web::api::triage::MAX_TITLE_CHARS).collect();
    let content: String = [field(&f, "request"), field(&f, "facts_and_reasons")]
        .join("\n")
        .chars()
        .take(xinfang_web::api::triage::MAX_CONTENT_CHARS)
        .collect();
    if title.chars().count() + content.trim().chars().count() < MIN_TEXT_CHARS {
        return fragment(String::new());
    }
    // The deepest level chosen that lies within the one above it: a
    // higher level changed a moment ago leaves the old lower choice in the
    // form until its options are drawn again, and it must not name the
    // unit of the old place.
    let mut region: Option<&str> = None;
    for level in ["province", "city", "county", "township"] {
        let code = field(&f, level);
        if code.is_empty() {
            continue;
        }
        if !code.chars().all(|c| c.is_ascii_digit()) || region.is_some_and(|r| !code.starts_with(r)) {
            break;
        }
        region = Some(code);
    }
    let region = region.map(String::from);
    let input = TriageInput { title: title.clone(), content: content.clone(), channel: None, region };
    let t = match xinfang_web::api::triage::triage(State(state.clone()), s.clone(), ApiJson(input)).await {
        Ok(Json(t)) => t,
        Err(e) => return fragment(format!("<p class=\"hint\">{}</p>", crate::portal::esc(&chinese_only(&e.message)))),
    };
    let person = Petitioner {
        kind: PetitionerKind::Person,
        name: field(&f, "name").to_string(),
        id_number: Some(field(&f, "id_number").to_ascii_uppercase()).filter(|v| !v.is_empty()),
        phone: Some(field(&f, "phone").to_string()).filter(|v| !v.is_empty()),
        address: Some(field(&f, "address").to_string()).filter(|v| !v.trim().is_empty()),
        representative: false,
    };
    // Matching the person is a search by identity number, phone or name and
    // address (the last a hint): logged and within the hourly budget like
    // any other, so the form cannot be used to probe people. Over the
    // budget, only the matter is compared.
    let searched: Vec<&str> =
        [("id_number", person.id_number.is_some()), ("phone", person.phone.is_some()), ("address", person.address.is_some())]
            .into_iter()
            .filter_map(|(f, given)| given.then_some(f))
            .collect();
    let field_searched = (!searched.is_empty()).then(|| searched.join(","));
    let mut notice = None;
    // What the panel asks is every identity key of the person as typed
    // (number, name and phone, name and address): the same form drawn
    // again asks nothing new; any field changed asks a new question.
    let keys = xinfang_web::intake::identity_keys(&state.keyring, &[person]);
    let subject = format!("keys:{}", keys.join("|"));
    let keys = match field_searched.as_deref() {
        Some(field) => match xinfang_web::api::petitions::charge_identity_search(&state, &s, field, &subject).await {
            Ok(()) => keys,
            Err(e) => {
                notice = Some(chinese_only(&e.message));
                Vec::new()
            }
        },
        None => Vec::new(),
    };
    let text = format!("{title}\n{content}");
    // The class select always holds a value (申诉求决类 until changed), so
    // only a topic the clerk chose says how the petition is filed.
    let filed = xinfang_web::api::similar::Filed { class: None, topic: Some(field(&f, "topic")).filter(|t| !t.is_empty()) };
    let similar = xinfang_web::api::similar::similar_to(&state, &s, &text, filed, &keys, None).await.unwrap_or_default();
    // The clerk's choice on the panel, or, when a form sent back to be
    // corrected draws the panel again, the choice it was sent with.
    let choice = Some(field(&f, "repeat_choice")).filter(|c| !c.is_empty()).unwrap_or_else(|| field(&f, "repeat_choice_was")).to_string();
    match (TriageHint { t, similar, notice, choice }).render() {
        Ok(html) => fragment(html),
        Err(_) => fragment(String::new()),
    }
}

// ----- On the petition page ---------------------------------------------------

#[derive(Template)]
#[template(path = "staff_similar.html")]
struct SimilarFragment {
    number: String,
    csrf: String,
    items: Vec<SimilarPetition>,
    /// The caller may record the 初件 / 重件 finding.
    may_record: bool,
}

/// htmx, from the petition page: the possible repeats of this petition,
/// each with its reasons, and (for the unit holding it) the forms that
/// record the finding.
async fn similar_fragment(State(state): State<AppState>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    let Ok(s) = staff(&state, &headers).await else { return StatusCode::UNAUTHORIZED.into_response() };
    let (rec, view) = match load_visible(&state, &s, &number).await {
        Ok(r) => r,
        Err(e) => return fragment(format!("<p class=\"hint\">{}</p>", crate::portal::esc(&chinese_only(&e.message)))),
    };
    if view != View::Full {
        return fragment("<p class=\"hint\">无权查看该事项的完整内容，不能比对重复。</p>".into());
    }
    let items = match xinfang_web::api::similar::similar(State(state.clone()), s.clone(), ApiPath(number.clone())).await {
        Ok(Json(items)) => items,
        Err(e) => return fragment(format!("<p class=\"hint\">{}</p>", crate::portal::esc(&chinese_only(&e.message)))),
    };
    let may_record =
        rec.case.current_unit == s.unit.id && xinfang_domain::repeats::RECORDERS.contains(&s.user.role) && !rec.case.state.is_terminal();
    let (csrf, _) = crate::portal::csrf(&headers);
    match (SimilarFragment { number, csrf, items, may_record }).render() {
        Ok(html) => fragment(html),
        Err(_) => fragment(String::new()),
    }
}

/// The clerk's finding, from the petition page: link as 重件 or confirm
/// as 初件; the page says what follows (Art. 36 after 复核).
async fn record_repeat(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, field(&f, "csrf")) {
        return petition_page(state, &headers, s, number, Extras { alert: Some("页面已过期，请刷新后重试".into()), ..Extras::default() })
            .await;
    }
    let input = RepeatInput {
        verdict: field(&f, "verdict").to_string(),
        first: Some(field(&f, "first").to_string()).filter(|v| !v.is_empty()),
        reason: Some(field(&f, "reason").to_string()).filter(|v| !v.is_empty()),
    };
    let x = match xinfang_web::api::repeats::put(State(state.clone()), s.clone(), ApiPath(number.clone()), ApiJson(input)).await {
        Ok(Json(r)) => Extras { flash: Some(r.message), ..Extras::default() },
        Err(e) => Extras { alert: Some(chinese_only(&e.message)), ..Extras::default() },
    };
    petition_page(state, &headers, s, number, x).await
}

// ----- Search -----------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_search.html")]
struct SearchView {
    me: crate::workbench::Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    q: String,
    /// The filters besides the words and the cursor, to page with.
    rest: String,
    page: Option<SearchPage>,
}

/// Full-text search with the list's filters, ranked, with the words
/// highlighted in a snippet (`GET /api/v1/search`).
async fn search_page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // Timed from here, as the API's handler is (after authentication).
    let mut phases = xinfang_web::observe::Phases::start();
    let (csrf, set) = crate::portal::csrf(&headers);
    let parsed = axum::extract::Query::<ListQuery>::try_from_uri(&uri);
    let q = parsed.as_ref().ok().and_then(|p| p.q.clone()).unwrap_or_default();
    let rest = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("q=") && !kv.starts_with("cursor="))
        .collect::<Vec<_>>()
        .join("&");
    let (page, alert) = match parsed {
        Err(_) => (None, Some("查询条件格式不正确，请检查日期等条件".to_string())),
        Ok(_) if q.trim().is_empty() => (None, None),
        Ok(query) => match xinfang_web::api::search::search_page(state.clone(), s.clone(), query.0, &mut phases).await {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(chinese_only(&e.message))),
        },
    };
    let view = SearchView { me: me(&s), nav: "all", csrf, flash: None, alert, q, rest, page };
    let mut resp = crate::portal::with_cookie(render(&view), set);
    phases.lap("render");
    resp.extensions_mut().insert(phases);
    resp
}
