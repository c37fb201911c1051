//! Unit import: an administrator loads the unit tree of its area from a CSV
//! file (both hierarchies), in one transaction.

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use utoipa::ToSchema;
use xinfang_domain::import::parse_units;
use xinfang_domain::role::Role;

/// A province has some 7,000 units (~700 KB of CSV); leave room for more.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct UnitImportSummary {
    /// Data rows in the file.
    pub rows: usize,
    /// New unit codes.
    pub inserted: usize,
    /// Existing codes whose name, kind, level, links or area changed.
    pub updated: usize,
    /// Existing codes already as in the file.
    pub unchanged: usize,
    /// Units whose place in the line hierarchy moved (with those below).
    pub paths_changed: usize,
    /// Units in the system after the import.
    pub total_units: usize,
}

#[utoipa::path(post, path = "/api/v1/units/import", tag = "admin", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv",
        description = "`code,name,kind,level,parent_code,gov_code,jurisdiction` with that header (docs/api.md)."),
    description = "Import or update units (admin). Every row must lie in the admin's area. The whole file is refused on the first bad row (422, `第N行：…`, also under `fields` as `line N`); nothing is written then.",
    responses((status = 200, body = UnitImportSummary), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import(State(state): State<AppState>, staff: Staff, headers: HeaderMap, body: Bytes) -> ApiResult<Json<UnitImportSummary>> {
    staff.require_role(&[Role::Admin])?;
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if !matches!(media.as_str(), "text/csv" | "text/plain") {
        return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "请以 text/csv 上传单位文件"));
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("invalid_encoding", "单位文件须为 UTF-8 编码"))?;
    let rows = parse_units(text)?;
    // Only units of the admin's own area, new or existing; links may point
    // outside it (a county department's line superior is in the city).
    let tree = state.tree();
    let area = &staff.unit.jurisdiction;
    for r in &rows {
        let outside =
            !r.jurisdiction.starts_with(area.as_str()) || tree.by_code(&r.code).is_some_and(|u| !tree.administers(staff.unit.id, u.id));
        if outside {
            return Err(ApiError::forbidden(format!("第{}行：单位“{}”不在本辖区（{area}）内，无权导入", r.line, r.code)));
        }
    }
    let s = state.store.import_units(&rows).await?;
    state.reload_units().await?;
    tracing::info!(admin = %staff.user.username, rows = s.rows, inserted = s.inserted, updated = s.updated, "units imported");
    Ok(Json(UnitImportSummary {
        rows: s.rows,
        inserted: s.inserted,
        updated: s.updated,
        unchanged: s.unchanged,
        paths_changed: s.paths_changed,
        total_units: state.tree().all().count(),
    }))
}

#[derive(serde::Deserialize, ToSchema)]
pub struct UnitRename {
    pub name: String,
}

#[utoipa::path(patch, path = "/api/v1/units/{code}", tag = "admin", security(("bearer" = [])), params(("code" = String, Path)), request_body = UnitRename,
    description = "Rename a unit of the admin's area (admin); its place in both hierarchies changes only by import.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    staff: Staff,
    crate::extract::ApiPath(code): crate::extract::ApiPath<String>,
    crate::extract::ApiJson(req): crate::extract::ApiJson<UnitRename>,
) -> ApiResult<StatusCode> {
    staff.require_role(&[Role::Admin])?;
    let tree = state.tree();
    let unit = tree.by_code(&code).filter(|u| tree.administers(staff.unit.id, u.id)).ok_or_else(|| ApiError::not_found("单位"))?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_name", "请填写单位名称（不超过100字）"));
    }
    state.store.rename_unit(unit.id, name).await?;
    state.reload_units().await?;
    tracing::info!(admin = %staff.user.username, unit = %code, "unit renamed");
    Ok(StatusCode::NO_CONTENT)
}
