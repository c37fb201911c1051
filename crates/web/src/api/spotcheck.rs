//! Spot checks of handled petitions (抽查) and accountability reviews
//! (责任倒查), issue 12 item 6. Rules in `domain::spotcheck`.

use crate::api::petitions::load_visible;
use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use xinfang_domain::access::{View, view as access_view};
use xinfang_domain::leadership::MANAGERS;
use xinfang_domain::spotcheck::{self, CHECKLIST, SampleRule};
use xinfang_domain::unit::{UnitId, UnitKind};

#[derive(Deserialize, ToSchema)]
pub struct SpotCheckInput {
    /// The month whose handled petitions are sampled, `YYYY-MM`.
    pub month: String,
    /// `random_per_unit` (with `n`) or `all_overdue`.
    pub rule: String,
    #[serde(default)]
    pub n: Option<u32>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct SpotCheckView {
    pub id: i64,
    pub month: String,
    pub rule: String,
    pub n: i64,
    pub created_at: String,
    pub sampled: i64,
    pub scored: i64,
    pub passed: i64,
    /// 抽查合格率: passed ÷ scored; null until something is scored.
    pub pass_rate: Option<f64>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct SpotItemView {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub handling_unit: String,
    /// What the record says about each checklist point (procedure_ok,
    /// notice_on_time, letter_complete, evaluation_obtained).
    pub suggested: Vec<Option<bool>>,
    /// The checker's scores, same order; null until scored.
    pub scores: Vec<Option<bool>>,
    pub passed: Option<bool>,
    pub note: String,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct SpotCheckDetail {
    pub check: SpotCheckView,
    /// The checklist: (code, label).
    pub checklist: Vec<(String, String)>,
    pub items: Vec<SpotItemView>,
}

#[derive(Deserialize, ToSchema)]
pub struct ScoreInput {
    pub procedure_ok: bool,
    pub notice_on_time: bool,
    pub letter_complete: bool,
    pub evaluation_obtained: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
pub struct AccountabilityInput {
    /// The unit under review (code).
    pub unit: String,
    pub findings: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountabilityCreated {
    pub id: i64,
}

fn require_manager(staff: &Staff) -> ApiResult<()> {
    if MANAGERS.contains(&staff.user.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden("抽查和责任倒查由领导、单位负责人或督办人员进行"))
    }
}

/// The units a checker's unit checks: its own subtree and, for a petition
/// bureau, every unit of its area.
pub fn checked_units(state: &AppState, staff: &Staff) -> Vec<UnitId> {
    let tree = state.tree();
    tree.all()
        .filter(|u| {
            tree.is_self_or_ancestor(staff.unit.id, u.id)
                || (staff.unit.kind == UnitKind::PetitionBureau && u.jurisdiction.starts_with(&staff.unit.jurisdiction))
        })
        .map(|u| u.id)
        .collect()
}

/// The month's first and next instants (China time), for a month written
/// exactly `YYYY-MM` from `FIRST_YEAR` on (`plain_month`).
fn month_bounds(month: &str) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let first = xinfang_domain::plain_month(month)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    // Months in China time.
    let at = |d: chrono::NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::hours(8));
    Some((at(first)?, at(next)?))
}

fn view(c: &xinfang_store::SpotCheckRow) -> SpotCheckView {
    let (passed, scored, sampled) = c.counts;
    SpotCheckView {
        id: c.id,
        month: c.month.clone(),
        rule: c.rule.clone(),
        n: c.n,
        created_at: xinfang_store::fmt_instant(c.created_at),
        sampled,
        scored,
        passed,
        pass_rate: (scored > 0).then(|| passed as f64 / scored as f64),
    }
}

#[utoipa::path(post, path = "/api/v1/spot-checks", tag = "supervision", security(("bearer" = [])),
    description = "Sample the petitions handled in a month by the caller's units (its subtree; a bureau: its area) — N at random per handling unit (reproducible from the check's number), or every one handled late — with what the record says about each checklist point.",
    request_body = SpotCheckInput,
    responses((status = 201, body = SpotCheckView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<SpotCheckInput>,
) -> ApiResult<(StatusCode, Json<SpotCheckView>)> {
    require_manager(&staff)?;
    let rule = SampleRule::parse(input.rule.trim(), input.n)?;
    let month = input.month.trim();
    // One spelling per month: the sample is seeded by it, so `+2026-11`
    // must not draw another sample of 2026-11.
    let (from, to) = month_bounds(month).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_month",
            format!("月份格式应为 年-月（{}年1月以后），如 2026-11", xinfang_domain::FIRST_YEAR),
        )
        .at("month")
    })?;
    // A month still to come has handled nothing: a check of it would be an
    // empty record that looks like a clean one. The current month may be
    // checked as far as it has gone.
    if from > chrono::Utc::now() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "future_month", format!("{month}尚未到来，只能抽查本月及以前的月份"))
            .at("month"));
    }
    let today = xinfang_domain::local_date(chrono::Utc::now()).to_string();
    let discipline = staff.unit.kind == UnitKind::DisciplineBody;
    let handled = state.store.handled_between(&checked_units(&state, &staff), from, to, &today, discipline).await?;
    // The sample: reproducible from a seed of the unit and month.
    let seed = (staff.unit.id as u64) << 32 ^ u64::from(month.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))));
    let chosen: Vec<(i64, UnitId)> = match rule {
        SampleRule::AllOverdue => handled.iter().filter(|h| h.late).map(|h| (h.petition_id, h.handling_unit_id)).collect(),
        SampleRule::RandomPerUnit(n) => {
            let mut by_unit: std::collections::BTreeMap<UnitId, Vec<i64>> = std::collections::BTreeMap::new();
            for h in &handled {
                by_unit.entry(h.handling_unit_id).or_default().push(h.petition_id);
            }
            by_unit
                .into_iter()
                .flat_map(|(unit, ids)| spotcheck::sample(&ids, n as usize, seed ^ unit as u64).into_iter().map(move |id| (id, unit)))
                .collect()
        }
    };
    let facts = state.store.record_facts(&chosen.iter().map(|c| c.0).collect::<Vec<_>>(), &today).await?;
    let items: Vec<(i64, UnitId, [Option<bool>; 4])> =
        chosen.iter().map(|(pid, unit)| (*pid, *unit, facts.get(pid).map(|f| f.suggestion()).unwrap_or([None; 4]))).collect();
    let n = match rule {
        SampleRule::RandomPerUnit(n) => i64::from(n),
        SampleRule::AllOverdue => 0,
    };
    let id = state.store.create_spot_check(staff.unit.id, month, rule.as_str(), n, staff.user.id, &items).await?;
    let (c, _) = state.store.spot_check(id).await?.ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(view(&c))))
}

#[utoipa::path(get, path = "/api/v1/spot-checks", tag = "supervision", security(("bearer" = [])),
    description = "The caller's unit's spot checks, newest first, with their pass rates.",
    responses((status = 200, body = [SpotCheckView]), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<SpotCheckView>>> {
    require_manager(&staff)?;
    Ok(Json(state.store.spot_checks_of(staff.unit.id).await?.iter().map(view).collect()))
}

/// The caller's unit's check and the items it may still see, each with
/// its view: a sampled petition that has since become an accusation
/// naming the checker (or a unit below it) is gone from the check (Art.
/// 30), one sealed from it keeps its scores under a neutral title.
async fn own_check(
    state: &AppState,
    staff: &Staff,
    id: i64,
) -> ApiResult<(xinfang_store::SpotCheckRow, Vec<(xinfang_store::SpotItemRow, View)>)> {
    require_manager(staff)?;
    let (check, items) =
        state.store.spot_check(id).await?.filter(|(c, _)| c.unit_id == staff.unit.id).ok_or_else(|| ApiError::not_found("抽查"))?;
    let tree = state.tree();
    let items = items
        .into_iter()
        .map(|i| {
            let v = access_view(&i.case, i.confidential, staff.unit.id, staff.user.role, &tree);
            (i, v)
        })
        .filter(|(_, v)| *v != View::Hidden)
        .collect();
    Ok((check, items))
}

#[utoipa::path(get, path = "/api/v1/spot-checks/{id}", tag = "supervision", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = SpotCheckDetail), (status = 404, body = ErrorBody)))]
pub async fn detail(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<SpotCheckDetail>> {
    let (c, items) = own_check(&state, &staff, id).await?;
    let tree = state.tree();
    Ok(Json(SpotCheckDetail {
        check: view(&c),
        checklist: CHECKLIST.iter().map(|(k, l)| (k.to_string(), l.to_string())).collect(),
        items: items
            .into_iter()
            .map(|(i, v)| SpotItemView {
                id: i.id,
                number: i.number,
                title: crate::views::shown_title(&i.title, v).to_string(),
                handling_unit: tree.get(i.handling_unit_id).map(|u| u.name.clone()).unwrap_or_default(),
                suggested: i.suggested.to_vec(),
                scores: i.scores.to_vec(),
                passed: i.passed,
                note: if v == View::Sealed { crate::views::withheld(i.note) } else { i.note },
            })
            .collect(),
    }))
}

#[utoipa::path(put, path = "/api/v1/spot-checks/{id}/items/{item}", tag = "supervision", security(("bearer" = [])),
    description = "Score one sampled petition on the checklist; it passes when every point is met.",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = ScoreInput,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn score(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((id, item)): ApiPath<(i64, i64)>,
    ApiJson(input): ApiJson<ScoreInput>,
) -> ApiResult<StatusCode> {
    let (_, items) = own_check(&state, &staff, id).await?;
    if !items.iter().any(|(i, _)| i.id == item) {
        return Err(ApiError::not_found("抽查事项"));
    }
    if input.note.chars().count() > 2000 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "too_long", "说明不超过2000字").at("note"));
    }
    let scores = [input.procedure_ok, input.notice_on_time, input.letter_complete, input.evaluation_obtained];
    let passed = spotcheck::passed(&scores.map(Some)).unwrap_or(false);
    if !state.store.score_spot_item(id, item, scores, passed, input.note.trim(), staff.user.id).await? {
        return Err(ApiError::not_found("抽查事项"));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/accountability", tag = "supervision", security(("bearer" = [])),
    description = "Open an accountability review (责任倒查) of a unit on a petition, with its findings.",
    params(("number" = String, Path)), request_body = AccountabilityInput,
    responses((status = 201, body = AccountabilityCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_review(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(number): ApiPath<String>,
    ApiJson(input): ApiJson<AccountabilityInput>,
) -> ApiResult<(StatusCode, Json<AccountabilityCreated>)> {
    require_manager(&staff)?;
    let (rec, _) = load_visible(&state, &staff, &number).await?;
    let tree = state.tree();
    let unit = tree
        .by_code(input.unit.trim())
        .filter(|u| checked_units(&state, &staff).contains(&u.id))
        .ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_unit", "倒查的单位不存在或不在本单位监督范围内").at("unit")
        })?
        .clone();
    let findings = input.findings.trim();
    if findings.is_empty() || findings.chars().count() > 5000 {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_findings", "请填写倒查发现的问题（不超过5000字）").at("findings")
        );
    }
    let ev =
        staff.record_event(&rec, "accountability_opened", json!({"unit": unit.code, "unit_name": unit.name}), Some(findings.to_string()));
    let id = state.store.open_accountability(rec.id, unit.id, staff.user.id, findings, &ev).await?;
    Ok((StatusCode::CREATED, Json(AccountabilityCreated { id })))
}

#[utoipa::path(post, path = "/api/v1/petitions/{number}/accountability/{id}/refer", tag = "supervision", security(("bearer" = [])),
    description = "Refer an accountability review to the discipline body (纪委监委) of the reviewed unit's area, once.",
    params(("number" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn refer(State(state): State<AppState>, staff: Staff, ApiPath((number, id)): ApiPath<(String, i64)>) -> ApiResult<StatusCode> {
    require_manager(&staff)?;
    let (rec, _) = load_visible(&state, &staff, &number).await?;
    let reviews = state.store.accountability_of(rec.id).await?;
    let (_, unit_id, _, _, _) = reviews.iter().find(|r| r.0 == id).ok_or_else(|| ApiError::not_found("责任倒查"))?;
    let tree = state.tree();
    let area = tree.get(*unit_id).map(|u| u.jurisdiction.clone()).unwrap_or_default();
    let body = tree
        .all()
        .filter(|u| u.kind == UnitKind::DisciplineBody && area.starts_with(&u.jurisdiction))
        .max_by_key(|u| u.jurisdiction.len())
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "no_discipline_body", "该地区没有纪检监察机关，无法移送"))?
        .clone();
    let ev =
        staff.record_event(&rec, "accountability_referred", json!({"review": id, "to_unit": body.code, "to_unit_name": body.name}), None);
    if !state.store.refer_accountability(rec.id, id, body.id, &ev).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_referred", "该责任倒查已移送纪检监察机关"));
    }
    Ok(StatusCode::NO_CONTENT)
}
