//! Reference data: units, topics, divisions, the holiday calendar, and
//! admin writes to the calendar and API keys.

use crate::auth::{Staff, random_secret, secret_hash};
use crate::dto::*;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::calendar::{DayKind, SpecialDay};
use xinfang_domain::role::Role;
use xinfang_store::{Division, Topic};

#[derive(Serialize, ToSchema)]
pub struct UnitView {
    #[serde(flatten)]
    pub unit: UnitRef,
    /// Code of the line superior (条条).
    pub parent: Option<String>,
    /// Code of the people's government at the unit's level (块块).
    pub government: Option<String>,
    pub jurisdiction: String,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "reference", responses((status = 200, body = Vec<UnitView>)))]
pub async fn units(State(state): State<AppState>) -> Json<Vec<UnitView>> {
    // Another node may have imported units; a failed check serves the copy held.
    if let Err(e) = state.refresh_units().await {
        tracing::warn!(error = %e, "unit version check failed");
    }
    let tree = state.tree();
    let mut out: Vec<UnitView> = tree
        .all()
        .map(|u| UnitView {
            unit: unit_ref(u),
            parent: u.parent_id.and_then(|p| tree.get(p)).map(|p| p.code.clone()),
            government: u.gov_id.and_then(|g| tree.get(g)).map(|g| g.code.clone()),
            jurisdiction: u.jurisdiction.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.unit.code.cmp(&b.unit.code));
    Json(out)
}

#[derive(Serialize, ToSchema)]
pub struct TopicView {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/topics", tag = "reference", responses((status = 200, body = Vec<TopicView>)))]
pub async fn topics(State(state): State<AppState>) -> ApiResult<Json<Vec<TopicView>>> {
    let ts: Vec<Topic> = state.store.topics().await?;
    Ok(Json(ts.into_iter().map(|t| TopicView { code: t.code, name: t.name, parent_code: t.parent_code }).collect()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DivisionQuery {
    /// Parent code; omit for provinces.
    pub parent: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DivisionView {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: i64,
}

#[utoipa::path(get, path = "/api/v1/divisions", tag = "reference", params(DivisionQuery),
    responses((status = 200, body = Vec<DivisionView>), (status = 400, body = ErrorBody)))]
pub async fn divisions(State(state): State<AppState>, ApiQuery(q): ApiQuery<DivisionQuery>) -> ApiResult<Json<Vec<DivisionView>>> {
    let parent = q.parent.as_deref().filter(|p| !p.is_empty());
    if let Some(p) = parent
        && (p.len() > 12 || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(ApiError::bad_request("invalid_query", "行政区划代码只能是数字"));
    }
    let ds: Vec<Division> = state.store.divisions(parent).await?;
    Ok(Json(ds.into_iter().map(|d| DivisionView { code: d.code, name: d.name, parent_code: d.parent_code, level: d.level }).collect()))
}

#[utoipa::path(get, path = "/api/v1/calendar/{year}", tag = "reference", params(("year" = i32, Path)),
    responses((status = 200, body = CalendarView), (status = 400, body = ErrorBody)))]
pub async fn calendar(State(state): State<AppState>, ApiPath(year): ApiPath<i32>) -> ApiResult<Json<CalendarView>> {
    if !(1949..=2200).contains(&year) {
        return Err(ApiError::bad_request("invalid_year", "年份超出范围"));
    }
    let cal = state.calendar();
    let days = cal
        .special_days()
        .filter(|d| d.date.year() == year)
        .map(|d| CalendarDayView {
            date: d.date.to_string(),
            kind: match d.kind {
                DayKind::Holiday => "holiday".into(),
                DayKind::Workday => "workday".into(),
            },
            name: d.name.clone(),
        })
        .collect();
    Ok(Json(CalendarView { year, covered: cal.covered_years().any(|y| y == year), days }))
}

fn parse_date(s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| ApiError::bad_request("invalid_date", "日期格式应为YYYY-MM-DD"))
}

/// Whole years of the official calendar (国务院办公厅节假日安排通知).
#[derive(Deserialize, ToSchema)]
pub struct CalendarImportInput {
    /// CSV with a header: `date,kind,name`, kind `holiday` or `workday`.
    pub csv: String,
    /// The years this CSV covers completely; they become covered, and every
    /// day in the CSV must belong to one of them.
    pub years: Vec<i32>,
    /// Where the data comes from (recorded with each year).
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarImportResponse {
    pub years: Vec<i32>,
    pub days: usize,
    /// Open timers counted again with the new calendar.
    pub recompute: crate::calendar_sync::SyncOutcome,
}

fn unprocessable(code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

/// Re-count the open timers touching `years` after this node changed the
/// calendar, as the admin who changed it.
async fn after_calendar_change(
    state: &AppState,
    staff: &Staff,
    years: &[i32],
    cause: crate::calendar_sync::Cause,
) -> ApiResult<crate::calendar_sync::SyncOutcome> {
    state.reload_calendar().await?;
    let actor = staff.actor_ref();
    Ok(crate::calendar_sync::resync(&state.store, &state.tree(), &state.calendar(), years, cause, actor).await?)
}

#[utoipa::path(post, path = "/api/v1/calendar/import", tag = "admin", security(("bearer" = [])), request_body = CalendarImportInput,
    description = "Import whole calendar years (admin): the days of the declared years are replaced by the CSV's and those years become covered. Open timers touching them are counted again; each petition whose dates moved gets a `recompute_deadlines` event.",
    responses((status = 200, body = CalendarImportResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_calendar(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<CalendarImportInput>,
) -> ApiResult<Json<CalendarImportResponse>> {
    staff.require_role(&[Role::Admin])?;
    staff.require_top_level_admin()?;
    let (_, days) = xinfang_domain::import::parse_calendar(&input.csv)
        .map_err(|e| unprocessable("invalid_csv", format!("日历CSV有误：第{}行：{}", e.line, e.problem)))?;
    let mut years: Vec<i32> = input.years.clone();
    years.sort_unstable();
    years.dedup();
    if years.is_empty() || years.len() > 50 || years.iter().any(|y| !(1949..=2200).contains(y)) {
        return Err(unprocessable("invalid_years", "请声明本次导入完整覆盖的年份（1949—2200，至多50个）"));
    }
    if let Some(d) = days.iter().find(|d| !years.contains(&d.date.year())) {
        return Err(unprocessable("day_outside_years", format!("{}不属于声明覆盖的年份", d.date)));
    }
    // A year is covered only by a whole year's data: an empty year is a mistake.
    if let Some(y) = years.iter().find(|y| !days.iter().any(|d| d.date.year() == **y)) {
        return Err(unprocessable("year_without_days", format!("声明覆盖的{y}年在CSV中没有任何节假日或调休日")));
    }
    let source = input.source.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("admin import");
    if source.chars().count() > 200 {
        return Err(unprocessable("invalid_source", "数据来源不超过200字"));
    }
    state.store.import_calendar(&years, &days, &format!("{source} (admin:{})", staff.user.username)).await?;
    let recompute = after_calendar_change(&state, &staff, &years, crate::calendar_sync::Cause::Import).await?;
    Ok(Json(CalendarImportResponse { years, days: days.len(), recompute }))
}

#[utoipa::path(put, path = "/api/v1/calendar/days/{date}", tag = "admin", security(("bearer" = [])),
    description = "Set a holiday or a make-up working day (admin). This does not make the year covered (only an import of the whole year does); open timers touching the year are counted again.",
    params(("date" = String, Path)), request_body = CalendarDayInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_calendar_day(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(date): ApiPath<String>,
    ApiJson(input): ApiJson<CalendarDayInput>,
) -> ApiResult<StatusCode> {
    staff.require_role(&[Role::Admin])?;
    staff.require_top_level_admin()?;
    let date = parse_date(&date)?;
    let kind = match input.kind.as_str() {
        "holiday" => DayKind::Holiday,
        "workday" => DayKind::Workday,
        _ => return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_kind", "kind 须为 holiday 或 workday")),
    };
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_name", "请填写节日名称（不超过50字）"));
    }
    let source = format!("admin:{}", staff.user.username);
    state.store.set_calendar_day(&SpecialDay { date, kind, name: name.into() }, &source).await?;
    after_calendar_change(&state, &staff, &[date.year()], crate::calendar_sync::Cause::DaySet(date)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/calendar/days/{date}", tag = "admin", security(("bearer" = [])),
    params(("date" = String, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_calendar_day(State(state): State<AppState>, staff: Staff, ApiPath(date): ApiPath<String>) -> ApiResult<StatusCode> {
    staff.require_role(&[Role::Admin])?;
    staff.require_top_level_admin()?;
    let date = parse_date(&date)?;
    if !state.store.delete_calendar_day(date).await? {
        return Err(ApiError::not_found("该日期的节假日设置"));
    }
    after_calendar_change(&state, &staff, &[date.year()], crate::calendar_sync::Cause::DayDeleted(date)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/api-keys", tag = "admin", security(("bearer" = [])), request_body = ApiKeyInput,
    description = "Create an API key for Open311 clients (admin). `hotline` keys file 12345 hand-overs.",
    responses((status = 201, body = ApiKeyResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_api_key(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<ApiKeyInput>,
) -> ApiResult<(StatusCode, Json<ApiKeyResponse>)> {
    staff.require_role(&[Role::Admin])?;
    if !matches!(input.channel.as_str(), "hotline" | "online") {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_channel", "channel 须为 hotline 或 online"));
    }
    let label = input.label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_label", "请填写密钥名称（不超过100字）"));
    }
    let tree = state.tree();
    let unit = tree
        .by_code(&input.unit)
        .ok_or_else(|| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit", format!("单位代码“{}”不存在", input.unit)))?;
    // An admin hands out keys only for units of its own area.
    if !tree.administers(staff.unit.id, unit.id) {
        return Err(ApiError::forbidden("只能为本辖区内的单位创建密钥"));
    }
    let key = format!("xfk_{}", random_secret(24));
    let id = state.store.create_api_key(&secret_hash(&key), label, unit.id, &input.channel).await?;
    Ok((StatusCode::CREATED, Json(ApiKeyResponse { id, api_key: key })))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccessLogQuery {
    /// Petition number.
    pub petition: Option<String>,
    /// Username.
    pub user: Option<String>,
    /// From this day (YYYY-MM-DD, Beijing).
    pub from: Option<String>,
    /// To this day inclusive.
    pub to: Option<String>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/access-log", tag = "admin", security(("bearer" = [])), params(AccessLogQuery),
    description = "Who read unmasked personal data, when, of which petition and why (admin).",
    responses((status = 200, body = Vec<AccessLogEntry>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn access_log(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<AccessLogQuery>,
) -> ApiResult<Json<Vec<AccessLogEntry>>> {
    staff.require_role(&[Role::Admin])?;
    let day = |s: &Option<String>, next: bool| -> ApiResult<Option<String>> {
        s.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| {
                let d = parse_date(s)?;
                let d = if next { d.succ_opt().unwrap_or(d) } else { d };
                let start = d.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(8);
                Ok(xinfang_store::fmt_instant(chrono::DateTime::from_naive_utc_and_offset(start, chrono::Utc)))
            })
            .transpose()
    };
    let petition_id = match q.petition.as_deref().filter(|s| !s.is_empty()) {
        Some(n) => match state.store.petition_by_number(n).await? {
            Some(p) => Some(p.id),
            None => return Ok(Json(Vec::new())),
        },
        None => None,
    };
    let user_id = match q.user.as_deref().filter(|s| !s.is_empty()) {
        Some(u) => match state.store.user_by_username(u).await? {
            Some(u) => Some(u.id),
            None => return Ok(Json(Vec::new())),
        },
        None => None,
    };
    let filter = xinfang_store::AccessFilter {
        petition_id,
        user_id,
        from: day(&q.from, false)?,
        to: day(&q.to, true)?,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
    };
    let tree = state.tree();
    // A district admin reads the access log of its own area only.
    let rows = state.store.access_log(&filter).await?;
    Ok(Json(
        rows.into_iter()
            .filter(|r| tree.administers(staff.unit.id, r.unit_id))
            .map(|r| AccessLogEntry {
                seq: r.seq,
                username: r.username,
                unit: tree.get(r.unit_id).map(|u| u.code.clone()),
                at: r.at,
                petition_number: r.petition_number,
                fields: r.fields,
                reason: r.reason,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "admin", security(("bearer" = [])), params(("id" = i64, Path)),
    description = "Revoke an API key (admin of the key's area).",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_api_key(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<StatusCode> {
    staff.require_role(&[Role::Admin])?;
    let unit = state.store.api_key_unit(id).await?.ok_or_else(|| ApiError::not_found("API 密钥"))?;
    if !state.tree().administers(staff.unit.id, unit) {
        return Err(ApiError::not_found("API 密钥"));
    }
    if !state.store.revoke_api_key(id).await? {
        return Err(ApiError::not_found("API 密钥"));
    }
    Ok(StatusCode::NO_CONTENT)
}
