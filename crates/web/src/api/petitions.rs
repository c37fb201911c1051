//! Petitions: submit or register, list, read, act, download attachments.

use crate::acting::Act;
use crate::auth::{MaybeStaff, Staff};
use crate::dto::*;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::intake::{Submitter, effective_instant, intake};
use crate::observe::Phases;
use crate::state::AppState;
use crate::views::{deadline_views, list_item, petitioner_view, unit_ref, unit_ref_id};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use xinfang_domain::access::{View, view};
use xinfang_domain::local_date;
use xinfang_domain::number::looks_like_number;
use xinfang_domain::petition::State as PState;
use xinfang_domain::procedure::{Command, actions};
use xinfang_domain::role::Role;
use xinfang_store::{PetitionFilter, PetitionRecord, fmt_instant};

#[utoipa::path(post, path = "/api/v1/petitions", tag = "petitions", request_body = PetitionInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "16–255 visible ASCII characters (e.g. a UUID). The same key with the same body gives the same answer again (header `Idempotent-Replayed: true`) and creates nothing; with another body 422 `idempotency_key_reused`; while the first request is still working, a resend waits for its answer (409 `idempotency_key_in_progress` if it takes too long). Keys are kept 24 hours.")),
    description = "A citizen submits online without a token (channel online or mailbox); staff register letters, visits, calls… with their token.",
    responses((status = 201, body = SubmitResponse), (status = 400, body = ErrorBody, description = "Malformed JSON or Idempotency-Key"), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "Refused: Art. 36 or Art. 19 para 3; or the same Idempotency-Key still in progress"), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    let key = crate::once::idempotency_key(&headers)?;
    // A key is the caller's own: a user's, an API key's, or the public's.
    let scope = match &staff {
        Some(s) => format!("api:user:{}", s.user.id),
        None => "api:public".to_string(),
    };
    let fingerprint = crate::once::fingerprint(&state, &body);
    let act = || async {
        let mut input: PetitionInput = serde_json::from_value(body).map_err(|e| crate::extract::invalid_body(&e.to_string()))?;
        let finding = crate::api::repeats::at_registration(&state, staff.as_ref(), input.repeat.take()).await?;
        let who = match staff.clone() {
            Some(s) => Submitter::Staff(Box::new(s)),
            None => Submitter::Citizen,
        };
        let out = intake(&state, who, input).await?;
        let (repeat_finding, repeat_error) = match (finding, &staff) {
            (Some(asked), Some(s)) => match crate::api::repeats::record_registered(&state, s, &out.number, asked).await {
                Ok(f) => (Some(f), None),
                Err((_, message)) => (None, Some(message)),
            },
            _ => (None, None),
        };
        let today = local_date(Utc::now());
        let answer = SubmitResponse {
            number: out.number,
            query_code: out.query_code,
            state: out.case.state.as_str().into(),
            received_on: out.case.received_on.to_string(),
            receiving_unit: unit_ref(&out.receiving_unit),
            repeat_of: out.repeat_of,
            refused: out.refused,
            deadlines: deadline_views(&out.case.deadlines, today),
            repeat_finding,
            repeat_error,
        };
        Ok((StatusCode::CREATED, serde_json::to_value(answer).map_err(|_| ApiError::internal())?))
    };
    let answer = match key {
        Some(k) => crate::once::once(&state, &scope, &k, &fingerprint, act).await?,
        None => {
            let (status, body) = act().await?;
            crate::once::Answer { status, body, replayed: false }
        }
    };
    Ok(crate::once::answered(answer))
}

/// `act` behind an optional `Idempotency-Key`: a client that resends an
/// act after a timeout gets the first answer again instead of acting twice
/// (a second 补发查询码 would void the code just read out).
pub async fn act_route(
    State(state): State<AppState>,
    staff: Staff,
    headers: axum::http::HeaderMap,
    ApiPath((number, action)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Response> {
    let Some(key) = crate::once::idempotency_key(&headers)? else {
        return act(State(state), staff, ApiPath((number, action)), ApiJson(body)).await;
    };
    // A replayed answer is the caller's own, and only while it may still
    // see the petition (moved to another unit, or the petition sealed since).
    load_visible(&state, &staff, &number).await?;
    let scope = format!("api:act:{}", staff.user.id);
    let fingerprint = crate::once::fingerprint(&state, &json!([number, action, body]));
    let run = || async {
        let r = act(State(state.clone()), staff.clone(), ApiPath((number.clone(), action.clone())), ApiJson(body.clone())).await?;
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1024 * 1024).await.map_err(|_| ApiError::internal())?;
        let answer = serde_json::from_slice::<Value>(&bytes).map_err(|_| ApiError::internal())?;
        Ok((status, answer))
    };
    Ok(crate::once::answered(crate::once::once(&state, &scope, &key, &fingerprint, run).await?))
}

#[derive(Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// State code, e.g. `forwarded`; comma-separated for several.
    pub state: Option<String>,
    /// Unit code: petitions currently waiting on that unit.
    pub unit: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub topic: Option<String>,
    /// Registered on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Registered on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Only petitions with an open duty deadline already past (or none).
    pub overdue: Option<bool>,
    /// `registered` (newest first, the default) or `due` (earliest deadline
    /// first, the default with `overdue=true`).
    pub sort: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `next_cursor` of the previous page (keyset pagination; `page` is then ignored).
    pub cursor: Option<String>,
    /// Petitioner's identity number (matched by keyed hash, never stored in plaintext).
    pub id_number: Option<String>,
    /// Petitioner's phone (matched by keyed hash).
    pub phone: Option<String>,
    /// One search box: a petition number, a phone or identity number (as
    /// `phone` / `id_number`), or else a petitioner's name or words of the title.
    pub q: Option<String>,
}

/// What a search box's text is: a petition number, an identity number, a
/// phone number, or words (a name or words of the title).
#[derive(Debug, PartialEq, Eq)]
pub enum SearchText {
    Number(String),
    IdNumber(String),
    Phone(String),
    Words(String),
}

impl SearchText {
    pub fn parse(q: &str) -> Option<SearchText> {
        let q = q.trim();
        if q.is_empty() {
            return None;
        }
        let upper = q.to_ascii_uppercase();
        if looks_like_number(&upper) {
            return Some(SearchText::Number(upper));
        }
        let compact: String = q.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        // ASCII first: a byte index into other text could split a character.
        if compact.len() == 18
            && compact.is_ascii()
            && compact[..17].chars().all(|c| c.is_ascii_digit())
            && compact[17..].chars().all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
        {
            return Some(SearchText::IdNumber(compact.to_ascii_uppercase()));
        }
        if (7..=15).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_digit()) {
            return Some(SearchText::Phone(compact));
        }
        Some(SearchText::Words(q.chars().take(50).collect()))
    }
}

fn parse_day(field: &str, s: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    s.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request("invalid_query", format!("{field} 须为YYYY-MM-DD格式的日期")))
        })
        .transpose()
}

fn split(s: &Option<String>) -> Vec<String> {
    s.as_deref().map(|s| s.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect()).unwrap_or_default()
}

pub(crate) fn filter_of(state: &AppState, q: &ListQuery) -> ApiResult<PetitionFilter> {
    let mut q_id = q.id_number.clone();
    let mut q_phone = q.phone.clone();
    let (mut numbers, mut text, mut fulltext) = (Vec::new(), None, None);
    match q.q.as_deref().and_then(SearchText::parse) {
        Some(SearchText::Number(n)) => numbers.push(n),
        Some(SearchText::IdNumber(v)) => q_id = Some(v),
        Some(SearchText::Phone(v)) => q_phone = Some(v),
        Some(SearchText::Words(w)) => {
            fulltext = crate::search::query(&crate::search::segmenter(&state.tree()), &state.keyring, &w);
            text = Some(w);
        }
        None => {}
    }
    let tree = state.tree();
    let states = split(&q.state);
    if let Some(bad) = states.iter().find(|s| PState::parse(s).is_none()) {
        return Err(ApiError::bad_request("invalid_query", format!("状态“{bad}”不存在")));
    }
    let current_unit = match q.unit.as_deref().filter(|s| !s.is_empty()) {
        Some(code) => Some(
            tree.by_code(code).map(|u| u.id).ok_or_else(|| ApiError::bad_request("invalid_query", format!("单位代码“{code}”不存在")))?,
        ),
        None => None,
    };
    let sort_by_due = match q.sort.as_deref() {
        // The overdue list is read most overdue first unless asked otherwise
        // (and then its index range is also its order).
        None => q.overdue == Some(true),
        Some("registered") => false,
        Some("due") => true,
        Some(other) => return Err(ApiError::bad_request("invalid_query", format!("排序方式“{other}”不支持（registered 或 due）"))),
    };
    let keys = &state.keyring;
    let id_hash = q_id.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(|v| keys.keyed_hash("id", &v.to_ascii_uppercase()));
    let phone_hash = q_phone
        .as_deref()
        .map(|v| v.chars().filter(char::is_ascii_digit).collect::<String>())
        .filter(|s| !s.is_empty())
        .map(|v| keys.keyed_hash("phone", &v));
    Ok(PetitionFilter {
        states,
        current_unit,
        category: q.category.clone().filter(|s| !s.is_empty()),
        channel: q.channel.clone().filter(|s| !s.is_empty()),
        topic: split(&q.topic),
        numbers,
        ids: Vec::new(),
        source_key_id: None,
        petitioner_id_hash: id_hash,
        petitioner_phone_hash: phone_hash,
        text,
        // Words only the name alternative can match (punctuation) find nothing.
        fulltext: fulltext.map(|(f, _)| f),
        skip_total: false,
        common_matches: Some(state.settings.search_common_matches),
        from: parse_day("from", &q.from)?,
        to: parse_day("to", &q.to)?,
        overdue: q.overdue,
        today: Some(local_date(Utc::now())),
        sort_by_due,
        limit: 20,
        offset: 0,
        after: q.cursor.as_deref().filter(|c| !c.is_empty()).map(decode_cursor).transpose()?,
        with_body: false,
    })
}

/// A cursor is the hex of "key|id": opaque to clients, safe in a URL.
pub fn encode_cursor(c: &xinfang_store::Cursor) -> String {
    hex::encode(format!("{}|{}", c.key, c.id))
}

fn decode_cursor(s: &str) -> ApiResult<xinfang_store::Cursor> {
    let bad = || ApiError::bad_request("invalid_cursor", "分页游标（cursor）无效，请从第一页重新开始");
    let text = hex::decode(s).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    let (key, id) = text.rsplit_once('|').ok_or_else(bad)?;
    let id = id.parse::<i64>().map_err(|_| bad())?;
    if key.len() > 40 || !key.chars().all(|c| c.is_ascii_alphanumeric() || "-:.+TZ".contains(c)) {
        return Err(bad());
    }
    Ok(xinfang_store::Cursor { key: key.to_string(), id })
}

/// A search for a person by identity number or phone. It is a look at
/// personal data: the admin (who may not unmask) may not make it, each one
/// is recorded and limited per user and hour (in the database), and it
/// only ever matches rows the caller sees in full — a sealed accusation or a
/// confidential petitioner is never confirmed by a match.
async fn identity_search(state: &AppState, staff: &Staff, f: &PetitionFilter) -> ApiResult<bool> {
    let field = match (&f.petitioner_id_hash, &f.petitioner_phone_hash) {
        (None, None) => return Ok(false),
        (Some(_), None) => "id_number",
        (None, Some(_)) => "phone",
        (Some(_), Some(_)) => "id_number,phone",
    };
    let subject = person_subject(f.petitioner_id_hash.as_deref(), f.petitioner_phone_hash.as_deref());
    charge_identity_search(state, staff, field, &subject).await?;
    Ok(true)
}

/// What a person search asks, for the hourly budget: every keyed hash it
/// is matched on, together (identity number and phone given at once match
/// both, so a fixed number beside a changing phone asks a new question
/// each time and spends each time; the same question again spends nothing).
pub fn person_subject(id_hash: Option<&str>, phone_hash: Option<&str>) -> String {
    [id_hash.map(|h| format!("id:{h}")), phone_hash.map(|h| format!("phone:{h}"))].into_iter().flatten().collect::<Vec<_>>().join("|")
}

/// Log a search for a person by identity number or phone and count it
/// against the caller's hourly budget (`identity_searches_per_hour`):
/// every way of asking "has this person petitioned?" goes through here.
/// `subject` is the question (the keyed hashes searched, together): the
/// budget counts distinct questions, so a registration form drawn again
/// with the same fields spends nothing more, while every new number, or a
/// number beside a new phone, spends one.
pub async fn charge_identity_search(state: &AppState, staff: &Staff, field: &str, subject: &str) -> ApiResult<()> {
    if staff.user.role == Role::Admin {
        return Err(ApiError::forbidden("系统管理员不能按身份证号或电话查找信访人"));
    }
    let limit = state.settings.identity_searches_per_hour;
    if !state.store.record_identity_search(staff.user.id, staff.unit.id, field, subject, limit, Utc::now()).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_identity_searches",
            format!("按身份证号或电话查找信访人每小时不超过{}次，请稍后再试", state.settings.identity_searches_per_hour),
        ));
    }
    Ok(())
}

/// Most rows a person search looks at: one person's own petitions.
const IDENTITY_SEARCH_ROWS: i64 = 500;

/// One page of rows as the staff member may see them.
/// Also returns where the next page starts: the last row *read* (rows
/// hidden from the caller are dropped after the read, and must not end a
/// page early or be read twice).
async fn visible_rows(
    state: &AppState,
    staff: &Staff,
    filter: &PetitionFilter,
) -> ApiResult<(Vec<PetitionListItem>, i64, Option<xinfang_store::Cursor>)> {
    if filter.petitioner_id_hash.is_some() || filter.petitioner_phone_hash.is_some() {
        let (items, total) = person_rows(state, staff, filter).await?;
        return Ok((items, total, None));
    }
    // Words match a petitioner's name or the title: a petition matched by
    // the name of someone the caller may not see in full (a confidential
    // petitioner, an accuser under Art. 30) is not shown, nor counted.
    let text = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let terms = match (text, &filter.fulltext) {
        (Some(t), Some(_)) => Some(crate::search::words_of(&crate::search::segmenter(&state.tree()), t)),
        _ => None,
    };
    let shown = |r: &xinfang_store::PetitionSummary, v: View| {
        v == View::Full
            || text.is_none_or(|t| match &terms {
                Some(terms) => crate::search::title_has_terms(crate::views::shown_title(&r.title, v), terms),
                None => title_has_all(crate::views::shown_title(&r.title, v), t),
            })
    };
    // The total of such a search is counted over what may be shown (up to
    // IDENTITY_SEARCH_ROWS), not by the store's count of every match.
    let search_total = match text {
        Some(_) => Some(searched_rows(state, staff, filter, shown, None).await?.1),
        None => None,
    };
    // Replica: a list is a view of many petitions at a moment, paged by a
    // stable key; a row a few moments old is acted on only after its
    // petition is loaded again from the primary (`load_visible`).
    let tree = state.tree();
    let (mut rows, total) = state.store.reader().list_petitions(filter, Some(&staff.visibility(&tree))).await?;
    let full_page = i64::try_from(rows.len()).unwrap_or(0) == filter.limit;
    let next = rows.last().filter(|_| full_page).map(|r| r.cursor(filter.sort_by_due));
    if text.is_some() {
        rows.retain(|r| shown(r, view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree)));
    }
    Ok((list_items(state, staff, rows).await?, search_total.unwrap_or(total), next))
}

/// Rows as list items, with their (masked) first petitioner; hidden rows dropped.
pub(crate) async fn list_items(
    state: &AppState,
    staff: &Staff,
    rows: Vec<xinfang_store::PetitionSummary>,
) -> ApiResult<Vec<PetitionListItem>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    // Replica: the petitioners of rows just read for a list (from the
    // replica too); a petitioner is written with the petition, never later.
    let mut people = state.store.reader().petitioners_of(&ids).await?;
    // Rows read on the primary (the replica failed) and petitioners on the
    // replica (it answered again) can differ by the newest petitions: those
    // are read from the primary.
    let missing: Vec<i64> = ids.iter().copied().filter(|id| !people.contains_key(id)).collect();
    if !missing.is_empty() && state.store.has_replica() {
        people.extend(state.store.petitioners_of(&missing).await?);
    }
    let tree = state.tree();
    let today = local_date(Utc::now()).to_string();
    // A 重件's first petition is named only to a reader who sees that one
    // in full (as on the petition's page): intake links the same person's
    // petitions wherever they are, and the first may be another district's
    // or an accusation the reader may not know of (Art. 19, 30).
    let firsts: std::collections::BTreeSet<String> = rows.iter().filter_map(|r| r.repeat_of.clone()).collect();
    let named = firsts_seen_in_full(state, staff, firsts.into_iter().collect()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let p = people.get(&r.id);
            list_item(&state.keyring, &tree, staff.unit.id, staff.user.role, &today, r, p)
        })
        .map(|mut item| {
            item.repeat_of = item.repeat_of.filter(|n| named.contains(n));
            item
        })
        .collect())
}

/// Which of the petitions `numbers` the caller sees in full (one read).
async fn firsts_seen_in_full(state: &AppState, staff: &Staff, numbers: Vec<String>) -> ApiResult<std::collections::HashSet<String>> {
    if numbers.is_empty() {
        return Ok(Default::default());
    }
    let tree = state.tree();
    let filter =
        PetitionFilter { limit: i64::try_from(numbers.len()).unwrap_or(i64::MAX), numbers, skip_total: true, ..Default::default() };
    let (rows, _) = state.store.reader().list_petitions(&filter, Some(&staff.visibility(&tree))).await?;
    Ok(rows
        .into_iter()
        .filter(|r| view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree) == View::Full)
        .map(|r| r.number)
        .collect())
}

/// Rows of a person search: only those the caller sees in full, counted
/// after that filter (the total must not confirm a hidden match either),
/// each match written to the access log.
async fn person_rows(state: &AppState, staff: &Staff, filter: &PetitionFilter) -> ApiResult<(Vec<PetitionListItem>, i64)> {
    let field = if filter.petitioner_id_hash.is_some() { "search:id_number" } else { "search:phone" };
    searched_rows(state, staff, filter, |_, v| v == View::Full, Some(field)).await
}

/// Rows of a search that may name a person: read whole (bounded), kept
/// only where `keep` allows for the caller's view of the row, counted and
/// paged after that, so that neither a row nor the total tells the caller
/// that someone it may not see in full filed a petition. With `log`, each
/// row found is written to the access log under that field.
async fn searched_rows(
    state: &AppState,
    staff: &Staff,
    filter: &PetitionFilter,
    keep: impl Fn(&xinfang_store::PetitionSummary, View) -> bool,
    log: Option<&str>,
) -> ApiResult<(Vec<PetitionListItem>, i64)> {
    let tree = state.tree();
    let all = PetitionFilter { limit: IDENTITY_SEARCH_ROWS, offset: 0, after: None, ..filter.clone() };
    // Replica: a person search looks for earlier petitions of someone,
    // not for the one just filed (the search count and the access log
    // below are writes, on the primary).
    let (rows, _) = state.store.reader().list_petitions(&all, Some(&staff.visibility(&tree))).await?;
    let kept: Vec<_> = rows.into_iter().filter(|r| keep(r, view(&r.case, r.confidential, staff.unit.id, staff.user.role, &tree))).collect();
    let total = i64::try_from(kept.len()).unwrap_or(i64::MAX);
    if let Some(field) = log {
        let now = Utc::now();
        for r in &kept {
            state.store.log_access(staff.user.id, staff.unit.id, r.id, field, "按身份证号或电话查找信访人", now).await?;
        }
    }
    let page: Vec<_> =
        kept.into_iter().skip(usize::try_from(filter.offset).unwrap_or(0)).take(usize::try_from(filter.limit).unwrap_or(0)).collect();
    Ok((list_items(state, staff, page).await?, total))
}

/// Whether every word of a search box's text is in `title`.
fn title_has_all(title: &str, text: &str) -> bool {
    text.split_whitespace().take(5).all(|w| title.contains(w))
}

/// Rows per page of a list or a search: 1 to 100, 20 if not given. A size
/// out of range is refused rather than quietly changed, so a client asking
/// for 500 learns it gets at most 100.
pub fn per_page(asked: Option<i64>) -> ApiResult<i64> {
    match asked.unwrap_or(20) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError::bad_request("invalid_per_page", "每页条数（per_page）须为1至100之间的整数").at("per_page")),
    }
}

#[utoipa::path(get, path = "/api/v1/petitions", tag = "petitions", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = PetitionPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<PetitionPage>> {
    let page = q.page.unwrap_or(1).clamp(1, 1_000_000);
    let per_page = per_page(q.per_page)?;
    let filter = PetitionFilter { limit: per_page, offset: (page - 1).saturating_mul(per_page), ..filter_of(&state, &q)? };
    identity_search(&state, &staff, &filter).await?;
    let (items, total, next) = visible_rows(&state, &staff, &filter).await?;
    Ok(Json(PetitionPage {
        items,
        total: total.min(xinfang_store::TOTAL_CAP),
        total_capped: total > xinfang_store::TOTAL_CAP,
        page,
        per_page,
        next_cursor: next.as_ref().map(encode_cursor),
    }))
}

/// Export rows: at most this many, streamed in pages.
const EXPORT_MAX: i64 = 100_000;
const EXPORT_PAGE: i64 = 500;

fn csv_field(v: &str) -> String {
    // A leading = + - @ would be a formula in a spreadsheet (CSV injection).
    let v = if v.starts_with(['=', '+', '-', '@']) { format!("'{v}") } else { v.to_string() };
    if v.contains([',', '"', '\n', '\r']) { format!("\"{}\"", v.replace('"', "\"\"")) } else { v }
}

#[utoipa::path(get, path = "/api/v1/petitions/export.csv", tag = "petitions", params(ListQuery), security(("bearer" = [])),
    description = "The same filters as the listing, as CSV (UTF-8 with BOM), streamed; personal data masked.",
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn export(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Response> {
    let base = filter_of(&state, &q)?;
    identity_search(&state, &staff, &base).await?;
    let header = "\u{feff}信访件编号,登记时间,渠道,分类,状态,标题,信访人,身份证号,联系电话,当前办理单位,最近期限,是否超期\n".to_string();
    // Keyset pages: every matching row exactly once, whatever is filtered
    // after the read, with a constant cost per page however deep.
    let stream = futures_util::stream::unfold(Some((0i64, None::<xinfang_store::Cursor>)), move |cursor| {
        let (state, staff, base) = (state.clone(), staff.clone(), base.clone());
        async move {
            let (read, after) = cursor?;
            if read >= EXPORT_MAX {
                return None;
            }
            let filter = PetitionFilter { limit: EXPORT_PAGE, offset: 0, after, ..base };
            let (items, _, next_cursor) = match visible_rows(&state, &staff, &filter).await {
                Ok(x) => x,
                Err(e) => {
                    tracing::error!(code = %e.code, "export page failed");
                    return Some((Err(std::io::Error::other("export failed")), None));
                }
            };
            let mut chunk = String::new();
            for i in items {
                let cols = [
                    i.number,
                    csv_local_time(&i.registered_at),
                    label_of(&i.channel, xinfang_domain::petition::Channel::parse, xinfang_domain::petition::Channel::label),
                    label_of(&i.category, xinfang_domain::petition::Category::parse, xinfang_domain::petition::Category::label),
                    i.state_label,
                    i.title,
                    i.petitioner_name.unwrap_or_default(),
                    i.petitioner_id_number.unwrap_or_default(),
                    i.petitioner_phone.unwrap_or_default(),
                    i.current_unit.map(|u| u.name).unwrap_or_default(),
                    i.next_due_on.unwrap_or_default(),
                    if i.overdue { "是".into() } else { "否".into() },
                ];
                chunk.push_str(&cols.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
                chunk.push('\n');
            }
            // The next page starts after the last row read; none after a short read.
            let next = next_cursor.map(|c| (read + EXPORT_PAGE, Some(c)));
            if chunk.is_empty() && next.is_none() {
                return None;
            }
            Some((Ok::<_, std::io::Error>(chunk), next))
        }
    });
    let body = axum::body::Body::from_stream(futures_util::stream::once(async move { Ok::<_, std::io::Error>(header) }).chain(stream));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"petitions.csv\"".to_string()),
        ],
        body,
    )
        .into_response())
}

/// Load a petition the staff member may see, with the view they get.
/// Anything not visible is a 404, so that a unit cannot even learn that a
/// sibling's petition, or an accusation about itself, exists.
/// A sheet is read by people in China time: the export's times are local
/// (`2026-12-05 09:30`), like every page, not the API's UTC instants.
fn csv_local_time(rfc3339: &str) -> String {
    xinfang_domain::local_minute(rfc3339).unwrap_or_else(|| rfc3339.to_string())
}

/// The Chinese term of a stored code (`online` → 网上信访), as the pages
/// show it; an unknown code as it is.
fn label_of<T: Copy>(code: &str, parse: fn(&str) -> Option<T>, label: fn(T) -> &'static str) -> String {
    parse(code).map_or_else(|| code.to_string(), |v| label(v).to_string())
}

pub async fn load_visible(state: &AppState, staff: &Staff, number: &str) -> ApiResult<(PetitionRecord, View)> {
    well_formed(number)?;
    load_visible_in(&mut state.store.petition_reads().await?, state, staff, number).await
}

/// A number that cannot be one is a 404 before any connection is taken.
fn well_formed(number: &str) -> ApiResult<()> {
    if looks_like_number(number) { Ok(()) } else { Err(ApiError::not_found("信访事项")) }
}

/// `load_visible` (the number already checked by `well_formed`) on a
/// connection the caller holds for more reads.
async fn load_visible_in(
    reads: &mut xinfang_store::PetitionReads,
    state: &AppState,
    staff: &Staff,
    number: &str,
) -> ApiResult<(PetitionRecord, View)> {
    let nf = || ApiError::not_found("信访事项");
    let rec = reads.petition_by_number(number).await?.ok_or_else(nf)?;
    if !reads.visible(rec.id, &staff.visibility(&state.tree())).await? {
        return Err(nf());
    }
    match view(&rec.case, rec.confidential, staff.unit.id, staff.user.role, &state.tree()) {
        View::Hidden => Err(nf()),
        v => Ok((rec, v)),
    }
}

/// Whether the caller may see petition `number` in full: a repeat match
/// against anything less is not disclosed (no `repeat_of`).
/// Keys of event payloads that name another petition (a repeat's link).
const LINK_KEYS: [&str; 3] = ["repeat_of", "first", "previous_link"];

/// The history with every link to another petition the caller does not
/// see in full blanked (`null`): a sealed accusation (Art. 30) or another
/// unit's confidential petition is not disclosed by the history of a
/// petition that repeats it. Each linked petition is checked once.
async fn redact_links(
    state: &AppState,
    staff: &Staff,
    mut history: Vec<xinfang_store::EventRecord>,
) -> ApiResult<Vec<xinfang_store::EventRecord>> {
    let linked: std::collections::BTreeSet<String> = history
        .iter()
        .flat_map(|e| LINK_KEYS.iter().filter_map(|k| e.payload.get(*k).and_then(Value::as_str).map(String::from)).collect::<Vec<_>>())
        .collect();
    let mut hidden = std::collections::HashSet::new();
    for n in linked {
        if !sees_in_full(state, staff, &n).await? {
            hidden.insert(n);
        }
    }
    if hidden.is_empty() {
        return Ok(history);
    }
    for e in &mut history {
        for k in LINK_KEYS {
            if e.payload.get(k).and_then(Value::as_str).is_some_and(|n| hidden.contains(n)) {
                e.payload[k] = Value::Null;
            }
        }
    }
    Ok(history)
}

async fn sees_in_full(state: &AppState, staff: &Staff, number: &str) -> ApiResult<bool> {
    match load_visible(state, staff, number).await {
        Ok((_, v)) => Ok(v == View::Full),
        Err(e) if e.status == StatusCode::NOT_FOUND => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `unit` (its people in `role`) may be told petition `number`:
/// nothing of it is withheld from the unit but, at most, the petitioner's
/// identity (a confidential petition). A sealed or hidden accusation
/// (Art. 30) is not to be named to it. The viewer index is not asked: a
/// petition held above may be named to the township of its place (the
/// usual 指调, to help with a petitioner of the area) though the township
/// cannot open it. An unknown number is false.
pub async fn unit_may_be_told(state: &AppState, unit: &xinfang_domain::unit::Unit, role: Role, number: &str) -> ApiResult<bool> {
    if !looks_like_number(number) {
        return Ok(false);
    }
    let Some(rec) = state.store.petition_reads().await?.petition_by_number(number).await? else { return Ok(false) };
    Ok(matches!(view(&rec.case, rec.confidential, unit.id, role, &state.tree()), View::Full | View::IdentityHidden))
}

/// Personal data and case files need the full view.
pub fn require_full(v: View) -> ApiResult<()> {
    match v {
        View::Full => Ok(()),
        View::Sealed => {
            Err(ApiError::forbidden("检举控告材料和检举人身份仅限办理该事项的纪检监察机关及其指定的单位知悉（《信访工作条例》第三十条）"))
        }
        _ => Err(ApiError::forbidden("信访人要求对其身份保密，仅登记单位和承办人员可以查看")),
    }
}

#[utoipa::path(get, path = "/api/v1/petitions/{number}", tag = "petitions", security(("bearer" = [])),
    params(("number" = String, Path, description = "Petition number")),
    responses((status = 200, body = PetitionDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<(Extension<Phases>, Json<PetitionDetail>)> {
    let mut phases = Phases::start();
    let d = detail_of(&state, &staff, &number, &mut phases).await?;
    Ok((Extension(phases), Json(d)))
}

/// A petition's detail as `staff` may see it (the API's and the
/// workbench's), each phase timed into `phases` (`Server-Timing`: load =
/// the petition and its visibility, related = the records beside it,
/// build = the answer with its history's links checked).
pub async fn detail_of(state: &AppState, staff: &Staff, number: &str, phases: &mut Phases) -> ApiResult<PetitionDetail> {
    well_formed(number)?;
    // One connection for the page's reads (see `xinfang_store::PetitionReads`).
    let mut reads = state.store.petition_reads().await?;
    let (rec, v) = load_visible_in(&mut reads, state, staff, number).await?;
    phases.lap("load");
    let tree = state.tree();
    let xinfang_store::Related {
        history,
        notices,
        attachments,
        approvals,
        documents: letters,
        risk_alerts: alerts,
        dispute: screened,
        green_channel: green,
    } = reads.related(&rec).await?;
    // Back to the pool before the links are checked (each on its own).
    drop(reads);
    phases.lap("related");
    let units = staff.visibility(&tree).unit_ids;
    let risk_alerts =
        if v == View::Full { alerts.into_iter().map(|a| super::risk::RiskAlert::new(a, &tree, &units)).collect() } else { Vec::new() };
    let now = Utc::now();
    let today = local_date(now);
    let c = &rec.case;
    let calendar = state.calendar();
    let ctx = xinfang_domain::procedure::Ctx {
        on: today,
        now,
        calendar: &calendar,
        tree: &tree,
        policy: state.settings.policy,
        window_policy: state.settings.window_policy,
    };
    let names: Vec<&'static str> =
        xinfang_domain::procedure::available_actions(c, &staff.actor(), &ctx).into_iter().filter(|a| view_allows(a, v)).collect();
    let available = action_views(&names, c, staff);
    let documents: Vec<DocumentView> = history
        .iter()
        .filter_map(|e| {
            let name = actions::spec(&e.action)?.document?;
            Some(DocumentView {
                name: name.into(),
                action: e.action.clone(),
                event_seq: e.seq,
                issued_at: e.occurred_at.clone(),
                outcome: e.payload.get("outcome").or_else(|| e.payload.get("adoption")).and_then(Value::as_str).map(String::from),
            })
        })
        .collect();
    let doc_outcome = c.document.as_ref().and_then(|d| d.outcome.clone());
    let outcome_label = doc_outcome.as_deref().and_then(|o| {
        use xinfang_domain::petition::{Adoption, Outcome, ReviewOutcome};
        Outcome::parse(o)
            .map(|x| x.label())
            .or_else(|| ReviewOutcome::parse(o).map(|x| x.label()))
            .or_else(|| Adoption::parse(o).map(|x| x.label()))
    });
    let adoption = c
        .document
        .as_ref()
        .filter(|d| d.kind == xinfang_domain::procedure::DocumentKind::Reply)
        .and_then(|d| d.outcome.clone())
        .filter(|o| xinfang_domain::petition::Adoption::parse(o).is_some());
    let sealed = v == View::Sealed;
    let withheld = || crate::views::WITHHELD.to_string();
    let petitioners = match v {
        View::Full => rec.petitioners.iter().map(|p| petitioner_view(&state.keyring, p, false)).collect(),
        _ => rec
            .petitioners
            .iter()
            .map(|p| PetitionerView {
                kind: p.kind.as_str().into(),
                name: "[保密]".into(),
                id_number: None,
                phone: None,
                address: None,
                representative: p.representative,
                masked: true,
            })
            .collect(),
    };
    let detail = PetitionDetail {
        view: match v {
            View::Full => "full",
            View::Sealed => "sealed",
            _ => "identity_hidden",
        }
        .into(),
        number: rec.number.clone(),
        state: rec.state.as_str().into(),
        state_label: rec.state.label().into(),
        channel: rec.channel.as_str().into(),
        category: rec.category.as_str().into(),
        litigation_related: rec.litigation_related,
        topic: rec.topic.clone(),
        jurisdiction: rec.jurisdiction.clone(),
        title: crate::views::shown_title(&rec.title, v).to_string(),
        content: if sealed { withheld() } else { rec.content.clone() },
        request: if sealed { withheld() } else { rec.request.clone() },
        facts_and_reasons: if sealed { withheld() } else { rec.facts_and_reasons.clone() },
        collective: rec.collective,
        headcount: rec.headcount,
        anonymous: rec.anonymous,
        confidential: rec.confidential,
        accused: rec.accused.as_ref().filter(|_| !sealed).map(|a| {
            let code = c.accused_unit.and_then(|u| tree.get(u)).map(|u| u.code.clone());
            json!({"name": a.name, "unit": a.unit, "position": a.position, "unit_code": code})
        }),
        petitioners,
        received_on: c.received_on.to_string(),
        registered_at: fmt_instant(rec.registered_at),
        updated_at: fmt_instant(rec.updated_at),
        registered_unit: unit_ref_id(&tree, Some(c.registered_unit)),
        current_unit: unit_ref_id(&tree, Some(c.current_unit)),
        handling_unit: unit_ref_id(&tree, c.handling_unit),
        review_unit: unit_ref_id(&tree, c.review_unit),
        final_review_unit: unit_ref_id(&tree, c.final_review_unit),
        claim_route: c.claim_route,
        extended: c.extended,
        supervised: c.supervised,
        urgent_reported: c.urgent_reported,
        terminated: c.terminated,
        repeat_of: match &rec.repeat_of {
            Some(n) if sees_in_full(state, staff, n).await? => Some(n.clone()),
            _ => None,
        },
        repeat_verdict: c.repeat_verdict.map(|v| v.as_str().to_string()),
        risk_alerts,
        green_channel: green.as_ref().is_some_and(|g| g.state != "rejected"),
        // The lane's record quotes the matched words and the contact note:
        // not for a sealed accusation (Art. 30), as in the lane's list.
        green: green.as_ref().filter(|_| v != View::Sealed).map(|g| super::green_channel::view(state, g)),
        dispute: screened.map(|(id, recorded_on)| crate::dto::DisputeRef { id, number: crate::api::disputes::number_of(id, &recorded_on) }),
        accepted_on: c.accepted_on.map(|d| d.to_string()),
        simplified: c.simplified,
        outcome: doc_outcome,
        outcome_label: outcome_label.map(String::from),
        adoption,
        decline_ground: c.decline_ground.map(|g| g.as_str().to_string()),
        documents: if sealed { Vec::new() } else { documents },
        letters: if v == View::Full {
            letters
                .iter()
                .map(|r| crate::api::letters::LetterView::from_row(r, format!("/api/v1/petitions/{}/documents/{}", rec.number, r.id)))
                .collect()
        } else {
            Vec::new()
        },
        approvals: approvals.iter().filter_map(|a| crate::api::approvals::approval_seen(a, today, v)).collect(),
        available_actions: available,
        deadlines: deadline_views(&c.deadlines, today),
        history: redact_links(state, staff, history)
            .await?
            .into_iter()
            .map(|e| EventView {
                seq: e.seq,
                action: e.action,
                actor_kind: e.actor_kind,
                actor_username: e.actor_username,
                actor_unit: e.actor_unit_id.and_then(|id| tree.get(id)).map(|u| u.code.clone()),
                occurred_at: e.occurred_at,
                recorded_at: e.recorded_at,
                from_state: e.from_state,
                to_state: e.to_state,
                payload: if sealed { json!({}) } else { e.payload },
                reason: if sealed { None } else { e.reason },
            })
            .collect(),
        notices: if sealed {
            Vec::new()
        } else {
            notices.into_iter().map(|n| NoticeView { created_at: n.created_at, body: n.body }).collect()
        },
        attachments: attachments
            .into_iter()
            .filter(|_| v == View::Full)
            .map(|a| AttachmentView { id: a.id, filename: a.filename, content_type: a.content_type, size: a.size, sha256: a.sha256 })
            .collect(),
    };
    phases.lap("build");
    Ok(detail)
}

/// The effective date of a staff act: today, or a back-dated day for acts
/// done on paper (never in the future, never before the previous step).
async fn effective_date(
    state: &AppState,
    rec: &PetitionRecord,
    body: &mut Value,
    now: DateTime<Utc>,
) -> ApiResult<(NaiveDate, DateTime<Utc>)> {
    // Art. 21: acts are entered as they happen; a paper act's date is checked here.
    let bad = |code: &'static str, msg: String| {
        ApiError::from(xinfang_domain::DomainError::invalid(xinfang_domain::Rule::Art21, code, msg).at("occurred_on"))
    };
    let today = local_date(now);
    let given = match body.as_object_mut().and_then(|m| m.remove("occurred_on")) {
        None | Some(Value::Null) => return Ok((today, now)),
        Some(Value::String(s)) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| bad("invalid_date", "办理日期（occurred_on）格式应为YYYY-MM-DD".into()))?,
        Some(_) => return Err(bad("invalid_date", "办理日期（occurred_on）须为字符串".into())),
    };
    if given > today {
        return Err(bad("date_in_future", "办理日期不能晚于今天".into()));
    }
    let last = state.store.last_event_at(rec.id).await?.map(local_date).unwrap_or(rec.case.received_on);
    if given < last || given < rec.case.received_on {
        return Err(bad("date_before_previous_step", format!("办理日期不能早于上一办理环节（{last}）")));
    }
    Ok((given, effective_instant(given, now)))
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/actions/{action}", tag = "petitions", security(("bearer" = [])),
    description = "One action per transition of the procedure; the actions, their fields and articles are listed in the request body's schemas (one per action, from the action table) and, for a given petition, in `available_actions` of its detail. The body may carry `occurred_on` (YYYY-MM-DD) for an act done earlier on paper: it is judged at the date it is recorded unless the unit head approves the earlier date with the scanned 收文/发文 attached as `evidence` (`{filename, content_type, content_base64}`); such an act is marked 补录. An act that needs the unit head (an extension, a late 复查/复核 request's good reason, re-acceptance under Art. 36, a late entry) taken by anyone else answers 202 with the request filed in the head's approval queue.",
    params(("number" = String, Path, description = "Petition number"), ("action" = String, Path, description = "Action name"),
        ("Idempotency-Key" = Option<String>, Header, description = "As for submissions: a resend with the same key and body gets the first answer again (header `Idempotent-Replayed: true`) and acts once; another body with the key is 422 `idempotency_key_reused`.")),
    request_body(content = Object, description = "The action's fields"),
    responses((status = 200, body = ActionResponse), (status = 202, body = ApprovalRequested), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((number, action)): ApiPath<(String, String)>,
    ApiJson(mut body): ApiJson<Value>,
) -> ApiResult<Response> {
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    if !view_allows(&action, v) {
        return Err(ApiError::forbidden(if v == View::Sealed && action != "reissue_query_code" {
            "该检举控告事项依规对本单位不予显示，本单位不能对其作出这项办理（第三十条）"
        } else {
            "只有能查看信访人完整信息的工作人员可以补发查询码（信访人要求保密或检举控告事项，须由能核实其身份的单位办理）"
        }));
    }
    let now = Utc::now();
    let today = local_date(now);
    let (claimed, _) = effective_date(&state, &rec, &mut body, now).await?;
    let evidence = body.as_object_mut().and_then(|m| m.remove("evidence"));
    let cmd = Command::from_json_all(&action, body).map_err(|errs| ApiError::from_all(errs).unwrap_or_else(ApiError::internal))?;
    // Nothing on paper to date back: a code made now for someone at the
    // window, a place or a topic corrected now.
    if claimed < today && matches!(cmd, Command::ReissueQueryCode { .. } | Command::CorrectPlace { .. } | Command::CorrectTopic { .. }) {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "no_late_entry",
            "这项操作只能按当天办理，不能补录为更早的日期",
        )
        .at("occurred_on"));
    }
    let tree = state.tree();
    let head_here = staff.user.role == Role::UnitHead && tree.acts_for(staff.unit.id, rec.case.current_unit);
    let actor_ref = staff.actor_ref();
    let mut extra = serde_json::Map::new();
    // Art. 21: acts enter the system as they happen. A paper act entered
    // later counts from the day it is recorded, unless the unit head
    // approves the earlier date with the paper evidence on file (补录).
    // The scanned paper is filed only on a path that uses it, and taken off
    // the file again if the act it was filed for does not go through.
    let mut filed_evidence = None;
    let (on, occurred_at) = if claimed < today {
        // An extension counts from the head's real approval (Art. 34): an
        // officer's paper date cannot carry it past T6, evidence or not.
        let evidence = evidence.filter(|_| head_here || !matches!(cmd, Command::Extend { .. }));
        match (head_here, evidence) {
            (true, Some(v)) => {
                let id = store_evidence(&state, &rec, v).await?;
                filed_evidence = Some(id);
                extra.insert(
                    "late_entry".into(),
                    json!({"occurred_on": claimed, "approved_by": staff.user.username, "evidence_attachment_id": id}),
                );
                (claimed, effective_instant(claimed, now))
            }
            (true, None) => {
                return Err(ApiError::from(
                    xinfang_domain::DomainError::invalid(
                        xinfang_domain::Rule::Art21,
                        "late_entry_needs_evidence",
                        format!("补录{}日的办理行为须附收文或发文扫描件（evidence）", claimed),
                    )
                    .at("evidence"),
                ));
            }
            (false, Some(v)) => {
                let id = store_evidence(&state, &rec, v).await?;
                let due = today.checked_add_days(chrono::Days::new(15)).unwrap_or(today);
                let mut req_body = serde_json::to_value(&cmd).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut req_body {
                    m.remove("action");
                }
                let msg = format!("补录须经{}负责人核准办理日期", staff.unit.name);
                let filed = crate::acting::file_request(
                    &state,
                    &rec,
                    cmd.name(),
                    req_body,
                    staff.unit.id,
                    due,
                    Some(&staff),
                    actor_ref,
                    Some((claimed, Some(id))),
                    &msg,
                )
                .await;
                let approval_id = match filed {
                    Ok((a, true)) => a,
                    // The same request already waits: this copy of the paper is not needed.
                    Ok((a, false)) => {
                        state.store.remove_unused_attachment(rec.id, id).await?;
                        a
                    }
                    Err(e) => {
                        state.store.remove_unused_attachment(rec.id, id).await?;
                        return Err(e);
                    }
                };
                let out = ApprovalRequested {
                    number: rec.number.clone(),
                    action: cmd.name().into(),
                    approval_id,
                    approver_unit: Some(unit_ref(&staff.unit)),
                    due_on: due.to_string(),
                    message: msg,
                };
                return Ok((StatusCode::ACCEPTED, Json(out)).into_response());
            }
            (false, None) => {
                extra.insert("late_entry".into(), json!({"claimed_occurred_on": claimed, "approved": false}));
                (today, now)
            }
        }
    } else {
        (today, now)
    };
    let number = rec.number.clone();
    let petition_id = rec.id;
    let act = Act { actor: staff.actor(), actor_ref, on, occurred_at, extra };
    let done = match crate::api::supervision::act_case(&state, &staff, &rec, &cmd, on) {
        // A 督办 opens its case with the act (Art. 40: the unit owes a written reply).
        Ok(cases) if !cases.is_empty() => crate::acting::perform_with(&state, rec, cmd, act, cases).await.map(crate::acting::Done::Acted),
        Ok(_) => crate::acting::perform_or_request(&state, rec, cmd, act, Some(&staff)).await,
        Err(e) => Err(e),
    };
    if let (Err(_), Some(id)) = (&done, filed_evidence) {
        // Nothing half-written: the refused act leaves no paper behind.
        state.store.remove_unused_attachment(petition_id, id).await?;
        tracing::info!(%number, attachment = id, "evidence of a refused late entry taken off the file");
    }
    match done? {
        crate::acting::Done::Acted(r) => Ok(Json(r).into_response()),
        crate::acting::Done::Requested(r) => Ok((StatusCode::ACCEPTED, Json(r)).into_response()),
    }
}

/// Put the scanned paper behind a late entry on the petition's file.
async fn store_evidence(state: &AppState, rec: &PetitionRecord, v: Value) -> ApiResult<i64> {
    let input: crate::dto::AttachmentInput = serde_json::from_value(v).map_err(|_| {
        ApiError::from(
            xinfang_domain::DomainError::invalid(
                xinfang_domain::Rule::Art21,
                "invalid_evidence",
                "evidence 须为附件对象（filename、content_type、content_base64）",
            )
            .at("evidence"),
        )
    })?;
    let mut files =
        crate::attachments::decode(state.store.objects()?, std::slice::from_ref(&input), 1, state.settings.max_attachment_bytes).await?;
    let file = files.pop().ok_or_else(ApiError::internal)?;
    Ok(state.store.add_attachment(rec.id, &file).await?)
}

/// Whether an act may be taken by a caller with view `v` of the petition:
/// a new query code only by one who sees who the petitioner is (a
/// confidential petitioner, a sealed accuser: nobody else can check the
/// asker against them); on an accusation sealed from the caller (Art. 30)
/// nothing that decides on what it says — only acts over the unit that
/// holds it: pressing it (督办), answering its objection, correcting its
/// refusal to accept (Art. 40), and reporting an urgent matter (Art. 25).
pub fn view_allows(action: &str, v: View) -> bool {
    match v {
        View::Full => true,
        View::IdentityHidden => action != "reissue_query_code",
        View::Sealed => SEALED_ACTS.contains(&action),
        View::Hidden => false,
    }
}

/// The acts open to a caller who sees an accusation sealed.
const SEALED_ACTS: [&str; 5] = ["supervise", "approve_objection", "reject_objection", "reverse_decline", "report_urgent"];

/// The actions the caller may take now, with their fields (from the table).
pub fn action_views(names: &[&'static str], case: &xinfang_domain::procedure::Case, staff: &Staff) -> Vec<ActionView> {
    let tree_head = staff.user.role == Role::UnitHead;
    names
        .iter()
        .filter_map(|n| actions::spec(n))
        .map(|a| ActionView {
            name: a.name.into(),
            label: a.label.into(),
            rule: a.article.code().into(),
            citation: a.article.citation().into(),
            law_link: crate::api::articles::rule_link(a.article),
            needs_approval: a.approver.is_some_and(|r| !r.contains(&staff.user.role)) && !(tree_head && case.current_unit == staff.unit.id),
            fields: a
                .fields
                .iter()
                .map(|f| ActionFieldView {
                    name: f.name.into(),
                    label: f.label.into(),
                    kind: field_kind(f.kind).into(),
                    required: f.required,
                    options: match f.kind {
                        actions::FieldKind::Choice(c) => c.options().into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
                        _ => Vec::new(),
                    },
                })
                .collect(),
        })
        .collect()
}

pub fn field_kind(k: actions::FieldKind) -> &'static str {
    use actions::FieldKind as K;
    match k {
        K::Text => "text",
        K::LongText => "long_text",
        K::Date => "date",
        K::Days => "days",
        K::Bool => "bool",
        K::Unit(_) => "unit",
        K::Units(_) => "units",
        K::Choice(_) => "choice",
        K::Route => "route",
        // A code from GET /api/v1/topics.
        K::Topic => "topic",
    }
}

#[utoipa::path(get, path = "/api/v1/petitions/{number}/attachments/{id}", tag = "petitions", security(("bearer" = [])),
    description = "The file, streamed from the object store (never read whole into memory).",
    params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn attachment(State(state): State<AppState>, staff: Staff, ApiPath((number, id)): ApiPath<(String, i64)>) -> ApiResult<Response> {
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    require_full(v)?;
    let (meta, content) = state.store.attachment_stream(rec.id, id).await?.ok_or_else(|| ApiError::not_found("附件"))?;
    let disposition = format!("attachment; filename=\"attachment-{}\"; filename*=UTF-8''{}", meta.id, percent(&meta.filename));
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CONTENT_LENGTH, meta.size.to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        ],
        axum::body::Body::from_stream(content),
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/attachments", tag = "petitions", security(("bearer" = [])),
    description = "Add files to a petition's file as `multipart/form-data` (one or more parts named `file`), each streamed into the object store while it is hashed, counted (`max_attachment_bytes`, default 10 MB) and checked by content. Staff of a unit that sees the petition in full. The JSON `content_base64` fields elsewhere are for small files only (the whole request is at most 24 MB).",
    params(("number" = String, Path)),
    request_body(content = crate::dto::AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = [AttachmentView]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn upload_attachments(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    mut multipart: axum::extract::Multipart,
) -> ApiResult<Response> {
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    require_full(v)?;
    let objects = state.store.objects()?;
    let max = state.settings.max_attachment_bytes;
    let mut added = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(ApiError::bad_request("attachment_incomplete", "上传的内容不完整，请重试")),
        };
        let Some(filename) = field.file_name().map(String::from).filter(|n| !n.is_empty()) else { continue };
        if added.len() >= state.settings.max_attachments {
            return Err(ApiError::bad_request("too_many_attachments", format!("附件不能超过{}个", state.settings.max_attachments)));
        }
        let file = crate::attachments::receive(objects, &filename, field, max).await?;
        let id = state.store.add_attachment(rec.id, &file).await?;
        added.push(AttachmentView { id, filename: file.filename, content_type: file.content_type, size: file.size, sha256: file.sha256 });
    }
    if added.is_empty() {
        return Err(ApiError::bad_request("attachment_required", "请选择要上传的文件"));
    }
    Ok((StatusCode::CREATED, Json(added)).into_response())
}

pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/unmask", tag = "petitions", security(("bearer" = [])),
    description = "Show the petitioners' identity numbers, phones and addresses unmasked. Every call is recorded in the access log with the reason.",
    params(("number" = String, Path)), request_body = UnmaskInput,
    responses((status = 200, body = UnmaskResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unmask(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<UnmaskInput>,
) -> ApiResult<Json<UnmaskResponse>> {
    // Administrators manage the system; they do not read case files.
    staff.require_role(&[Role::Clerk, Role::HandlingOfficer, Role::UnitHead, Role::Reviewer, Role::Supervisor, Role::Leader])?;
    let reason = input.reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 500 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "reason_required", "请说明查看完整个人信息的事由（2至500字）"));
    }
    let (rec, v) = load_visible(&state, &staff, &number).await?;
    require_full(v)?;
    let seq =
        state.store.log_access(staff.user.id, staff.unit.id, rec.id, "petitioners:id_number,phone,address", reason, Utc::now()).await?;
    Ok(Json(UnmaskResponse {
        petitioners: rec.petitioners.iter().map(|p| petitioner_view(&state.keyring, p, true)).collect(),
        access_log_seq: seq,
    }))
}

#[cfg(test)]
mod tests {
    use super::SearchText;

    #[test]
    fn search_box_text_with_a_wide_character_across_the_18th_byte_is_words() {
        // 15 digits and a Chinese character: 18 bytes, the 17th inside the character.
        assert_eq!(SearchText::parse("123456789012345欠"), Some(SearchText::Words("123456789012345欠".into())));
        assert_eq!(SearchText::parse("44030419900101123X"), Some(SearchText::IdNumber("44030419900101123X".into())));
    }
}
