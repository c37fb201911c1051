//! Open311 GeoReport v2 (anchors.md §3): services are topics (内容分类),
//! requests are petitions. JSON only.
//!
//! Two deliberate departures from the letter of the spec, because a
//! petition is not a public pothole report: reading requests needs the
//! `api_key` too, and a key reads only the requests filed with it; and the
//! description, address and personal data are never returned.

use crate::dto::{AttachmentInput, PetitionInput, PetitionerInput};
use crate::error::ApiError;
use crate::intake::{Submitter, intake};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json, Router, routing::get};
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use xinfang_domain::access::{View, view};
use xinfang_domain::local_date;
use xinfang_domain::petition::State as PState;
use xinfang_domain::role::Role;
use xinfang_store::{ApiKey, PetitionFilter, PetitionSummary, parse_instant};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/discovery.json", get(discovery))
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests.json", get(list_requests).post(create_request))
        .route("/open311/v2/requests/{file}", get(one_request))
}

/// Open311's error body: a list of `{code, description}`.
struct O311Error(StatusCode, String);

impl IntoResponse for O311Error {
    fn into_response(self) -> Response {
        (self.0, Json(json!([{"code": self.0.as_u16(), "description": self.1}]))).into_response()
    }
}

impl From<ApiError> for O311Error {
    fn from(e: ApiError) -> Self {
        // The spec allows 404 and 403; every other failure is 400.
        let status = match e.status {
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => e.status,
            s if s.is_server_error() => s,
            _ => StatusCode::BAD_REQUEST,
        };
        O311Error(status, e.message)
    }
}

type O311<T> = Result<T, O311Error>;

fn bad(msg: &str) -> O311Error {
    O311Error(StatusCode::BAD_REQUEST, msg.into())
}

async fn key(state: &AppState, params: &HashMap<String, String>) -> O311<ApiKey> {
    let k = params.get("api_key").map(|s| s.trim()).filter(|s| !s.is_empty() && s.len() <= 128);
    let Some(k) = k else {
        return Err(O311Error(StatusCode::FORBIDDEN, "缺少 api_key".into()));
    };
    state
        .store
        .api_key(&crate::auth::secret_hash(k))
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| O311Error(StatusCode::FORBIDDEN, "api_key 无效或已吊销".into()))
}

fn json_file(file: &str) -> O311<&str> {
    file.strip_suffix(".json").ok_or_else(|| bad("本接口只提供JSON格式（.json）"))
}

async fn discovery() -> Json<Value> {
    Json(json!({
        "changeset": "2026-11-22T00:00:00+08:00",
        "contact": "请联系本级信访部门",
        "key_service": "API 密钥由系统管理员在 POST /api/v1/api-keys 创建",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "/open311/v2",
            "changeset": "2026-11-22T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json"]
        }]
    }))
}

async fn services(State(state): State<AppState>) -> O311<Json<Value>> {
    let topics = state.store.topics().await.map_err(ApiError::from)?;
    let names: HashMap<&str, &str> = topics.iter().map(|t| (t.code.as_str(), t.name.as_str())).collect();
    let list: Vec<Value> = topics
        .iter()
        .map(|t| {
            let group = t.parent_code.as_deref().and_then(|p| names.get(p)).copied().unwrap_or(t.name.as_str());
            json!({
                "service_code": t.code,
                "service_name": t.name,
                "description": format!("{group} / {}", t.name),
                "metadata": false,
                "type": "realtime",
                "keywords": "",
                "group": group,
            })
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> O311<Json<Value>> {
    let code = json_file(&file)?;
    state
        .store
        .topic(code)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| O311Error(StatusCode::NOT_FOUND, format!("服务代码“{code}”不存在")))?;
    Ok(Json(json!({"service_code": code, "attributes": []})))
}

async fn create_request(
    State(state): State<AppState>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> O311<Json<Value>> {
    let Form(f) = form.map_err(|_| bad("请求须为 application/x-www-form-urlencoded 表单"))?;
    let key = key(&state, &f).await?;
    let req = xinfang_domain::open311::parse_request(&f).map_err(|e| bad(&e.0))?;
    if state.store.topic(&req.service_code).await.map_err(ApiError::from)?.is_none() {
        return Err(O311Error(StatusCode::NOT_FOUND, format!("服务代码“{}”不存在", req.service_code)));
    }
    let tree = state.tree();
    let unit_juris = tree.get(key.unit_id).map(|u| u.jurisdiction.clone()).unwrap_or_default();
    let petitioners = req
        .name
        .clone()
        .map(|name| {
            vec![PetitionerInput {
                kind: None,
                name,
                id_number: None,
                phone: req.phone.clone(),
                address: req.address_string.clone(),
                representative: false,
            }]
        })
        .unwrap_or_default();
    let input = PetitionInput {
        channel: None,
        anonymous: petitioners.is_empty(),
        petitioners,
        collective: false,
        headcount: None,
        jurisdiction: req.division.clone().unwrap_or(unit_juris),
        title: req.description.chars().take(30).collect(),
        content: req.description.clone(),
        request: req.request.clone().unwrap_or_else(|| req.description.clone()),
        facts_and_reasons: req.description.clone(),
        category: req.category.clone().unwrap_or_else(|| "claim".into()),
        litigation_related: false,
        topic: Some(req.service_code.clone()),
        accused: None,
        confidential: false,
        received_on: None,
        target_unit: None,
        attachments: Vec::<AttachmentInput>::new(),
        staged: Vec::new(),
        new_facts_reason: None,
        repeat: None,
    };
    let out = intake(&state, Submitter::ApiKey(key), input).await?;
    Ok(Json(json!([{
        "service_request_id": out.number,
        "service_notice": format!("{}已收到，将自收到之日起15日内依法处理并告知。", out.receiving_unit.name),
        "account_id": null,
        "query_code": out.query_code,
    }])))
}

fn status_of(state: &str) -> &'static str {
    match PState::parse(state) {
        Some(s) if s.is_terminal() => "closed",
        _ => "open",
    }
}

fn to_rfc3339_cn(s: &str) -> String {
    parse_instant(s).map(|t| t.with_timezone(&xinfang_domain::china_offset()).to_rfc3339()).unwrap_or_default()
}

/// The rows as the key's unit may see them: a petition hidden from that unit
/// (an accusation against it or a unit above it, Art. 30) disappears, like
/// everywhere else; a sealed one shows no agency in the accused's chain.
async fn render(state: &AppState, key: &ApiKey, rows: Vec<PetitionSummary>) -> O311<Vec<Value>> {
    let topics = state.store.topics().await.map_err(ApiError::from)?;
    let names: HashMap<String, String> = topics.into_iter().map(|t| (t.code, t.name)).collect();
    let tree = state.tree();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let v = view(&r.case, r.confidential, key.unit_id, Role::Clerk, &tree);
            (v != View::Hidden).then_some((r, v))
        })
        .map(|(r, v)| {
            // Which unit holds a sealed accusation (a discipline body) would
            // say what it is.
            let agency = if v == View::Sealed { None } else { tree.get(r.current_unit_id).map(|u| u.name.clone()) };
            json!({
                "service_request_id": r.number,
                "status": status_of(&r.state),
                "status_notes": PState::parse(&r.state).map(|s| s.label()).unwrap_or_default(),
                "service_name": r.topic.as_ref().and_then(|t| names.get(t)),
                "service_code": r.topic,
                "agency_responsible": agency,
                "requested_datetime": to_rfc3339_cn(&r.registered_at),
                "updated_datetime": to_rfc3339_cn(&r.updated_at),
                "expected_datetime": r.next_due_on.map(|d| format!("{d}T23:59:59+08:00")),
                "extended_attributes": {"state": r.state},
            })
        })
        .collect())
}

fn date_param(p: &HashMap<String, String>, k: &str) -> O311<Option<NaiveDate>> {
    match p.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&xinfang_domain::china_offset()).date_naive())
            .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
            .map(Some)
            .map_err(|_| bad(&format!("{k} 须为 W3C 日期时间（如 2026-11-22T10:00:00+08:00）"))),
    }
}

async fn list_requests(State(state): State<AppState>, Query(p): Query<HashMap<String, String>>) -> O311<Json<Value>> {
    let key = key(&state, &p).await?;
    let list = |k: &str| -> Vec<String> {
        p.get(k).map(|s| s.split(',').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect()).unwrap_or_default()
    };
    let mut filter = PetitionFilter { source_key_id: Some(key.id), limit: 1000, ..Default::default() };
    let ids = list("service_request_id");
    if ids.is_empty() {
        // Default window: the last 90 days; a range may not exceed 90 days.
        let today = local_date(Utc::now());
        let end = date_param(&p, "end_date")?.unwrap_or(today);
        let start = date_param(&p, "start_date")?.unwrap_or(end - Duration::days(90));
        if end < start || (end - start).num_days() > 90 {
            return Err(bad("start_date 与 end_date 的间隔须在0至90天之间"));
        }
        filter.from = Some(start);
        filter.to = Some(end);
        filter.topic = list("service_code");
        let statuses = list("status");
        if statuses.iter().any(|s| s != "open" && s != "closed") {
            return Err(bad("status 只能是 open 或 closed"));
        }
        if statuses.len() == 1 {
            let want_closed = statuses.first().is_some_and(|s| s == "closed");
            filter.states = PState::ALL.iter().filter(|s| s.is_terminal() == want_closed).map(|s| s.as_str().to_string()).collect();
        }
    }
    let by_id = !ids.is_empty();
    filter.numbers = ids;
    let (rows, _) = if by_id {
        // Primary: a client asks for the requests it has just filed.
        state.store.list_petitions(&filter, None).await
    } else {
        // Replica: a window of up to 90 days, read for a synchronisation
        // that runs again; a request filed a moment ago comes next time.
        state.store.reader().list_petitions(&filter, None).await
    }
    .map_err(ApiError::from)?;
    Ok(Json(Value::Array(render(&state, &key, rows).await?)))
}

async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(p): Query<HashMap<String, String>>,
) -> O311<Json<Value>> {
    let id = json_file(&file)?.to_string();
    let key = key(&state, &p).await?;
    let filter = PetitionFilter { source_key_id: Some(key.id), numbers: vec![id.clone()], limit: 1, ..Default::default() };
    let (rows, _) = state.store.list_petitions(&filter, None).await.map_err(ApiError::from)?;
    let shown = render(&state, &key, rows).await?;
    if shown.is_empty() {
        return Err(O311Error(StatusCode::NOT_FOUND, format!("请求“{id}”不存在")));
    }
    Ok(Json(Value::Array(shown)))
}
