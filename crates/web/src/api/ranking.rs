//! Monthly rankings and three-colour warnings (issue 12 item 5): preview,
//! publish, read, export; the warning letters. Computed in
//! `crate::ranking`, rules in `domain::ranking`.

use crate::api::statistics::{MetricValue, may_see};
use crate::auth::Staff;
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ranking::{self, Computed, configured_weights, month_period};
use crate::state::AppState;
use crate::tables::{self, Cell, Format, Table};
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::leadership::MANAGERS;
use xinfang_domain::metrics::{Metric, Tally};
use xinfang_domain::ranking::{Unranked, Warning, Weights};
use xinfang_domain::unit::{Unit, UnitKind};
use xinfang_store::{RankingEntryRow, RankingRow, StoreError};

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// The ranking bureau's code (default: the caller's unit).
    pub unit: Option<String>,
    /// With `preview`: the month, `YYYY-MM`.
    pub month: Option<String>,
    /// With `preview`: weights `metric=weight,…` (default: the deployment's).
    pub weights: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RankingInput {
    /// The month to rank, `YYYY-MM` (over).
    pub month: String,
    /// `metric=weight,…`; omitted: the deployment's weights.
    #[serde(default)]
    pub weights: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct LetterRef {
    pub id: i64,
    pub doc_number: String,
    /// Where the PDF is: `/api/v1/unit-documents/{id}`.
    pub href: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Rectification {
    pub case_id: i64,
    pub rectify_by: Option<String>,
    /// `open` (no report yet), `replied` (reported), `closed` (accepted).
    pub state: String,
    pub label: String,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct RankingEntryView {
    pub position: i64,
    /// The area's division code and name.
    pub area: String,
    pub area_name: String,
    /// Its petition bureau.
    pub unit: UnitRef,
    /// 0–100; null when no weighted metric has data (listed, not ranked).
    pub score: Option<f64>,
    pub rank: Option<i64>,
    /// `red`, `yellow`, `blue` or null.
    pub warning: Option<String>,
    pub warning_label: Option<String>,
    /// Why it has no place: `no_figures`, `too_few_cases`.
    pub unranked: Option<String>,
    pub unranked_label: Option<String>,
    /// The letter: 督办函 (red), 交办函 (yellow), 提醒函 (blue).
    pub letter: Option<LetterRef>,
    pub rectification: Option<Rectification>,
    pub metrics: BTreeMap<String, MetricValue>,
}

/// A weighted metric, in the order of the metrics.
#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct WeightView {
    pub metric: String,
    pub label: String,
    pub weight: f64,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct RankingView {
    /// Null for a preview.
    pub id: Option<i64>,
    pub unit: UnitRef,
    pub month: String,
    pub from: String,
    pub to: String,
    /// Each weighted metric by its glossary name.
    pub weights: BTreeMap<String, f64>,
    /// The same in the metrics' order, with their Chinese names.
    pub weight_list: Vec<WeightView>,
    /// The month as read: `2026年10月`.
    pub month_label: String,
    /// The least number of cases an area needed to be ranked.
    pub min_cases: u64,
    pub published_at: Option<String>,
    pub published_by: Option<String>,
    pub entries: Vec<RankingEntryView>,
    pub labels: BTreeMap<String, String>,
    /// A preview: `precomputed` or `recount` (docs/metrics.md "Precomputed"); null when published.
    pub computed_from: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RankingSummary {
    pub id: i64,
    pub month: String,
    pub published_at: String,
    /// The warned areas, worst first.
    pub warned: Vec<String>,
}

fn invalid(code: &str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).at(field)
}

fn weights_of(text: Option<&str>, state: &AppState) -> ApiResult<Weights> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(configured_weights(state)),
        Some(t) => Weights::parse(t).map_err(|m| invalid("invalid_weights", "weights", m)),
    }
}

/// The bureau a request is about: `unit` or the caller's own, which must
/// be a petition bureau the caller may see — its own, one above it, or
/// the one whose areas include the caller's (a ranking is circulated to
/// the areas it ranks).
fn bureau_of(state: &AppState, staff: &Staff, code: Option<&str>) -> ApiResult<Unit> {
    let tree = state.tree();
    let unit = match code.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => tree.by_code(c).cloned().ok_or_else(|| ApiError::not_found(&format!("单位“{c}”")))?,
        None => staff.unit.clone(),
    };
    if unit.kind != UnitKind::PetitionBureau {
        return Err(invalid("not_a_bureau", "unit", format!("{}不是信访部门，没有排名", unit.name)));
    }
    if !(may_see(&tree, &staff.unit, &unit) || staff.unit.jurisdiction.starts_with(&unit.jurisdiction)) {
        return Err(ApiError::not_found(&format!("单位“{}”的排名", unit.code)));
    }
    Ok(unit)
}

fn labels() -> BTreeMap<String, String> {
    Metric::ALL.iter().map(|m| (m.as_str().to_string(), m.label().to_string())).collect()
}

fn weights_map(w: &Weights) -> BTreeMap<String, f64> {
    w.0.iter().map(|(m, v)| (m.as_str().to_string(), *v)).collect()
}

fn weight_list(w: &Weights) -> Vec<WeightView> {
    Metric::ALL
        .iter()
        .filter(|m| w.get(**m) > 0.0)
        .map(|m| WeightView { metric: m.as_str().into(), label: m.label().into(), weight: w.get(*m) })
        .collect()
}

fn metric_values(t: &[(Metric, Tally)]) -> BTreeMap<String, MetricValue> {
    t.iter().map(|(m, t)| (m.as_str().to_string(), MetricValue::from(*t))).collect()
}

fn preview_view(bureau: &Unit, c: &Computed) -> RankingView {
    RankingView {
        id: None,
        unit: unit_ref(bureau),
        month: c.month.clone(),
        from: c.period.from.to_string(),
        to: c.period.to.to_string(),
        weights: weights_map(&c.weights),
        weight_list: weight_list(&c.weights),
        month_label: xinfang_domain::ranking::month_label(&c.month),
        min_cases: c.min_cases,
        published_at: None,
        published_by: None,
        computed_from: Some(c.source.to_string()),
        entries: c
            .placed
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let a = &c.areas[p.index];
                RankingEntryView {
                    position: i as i64 + 1,
                    area: a.code.clone(),
                    area_name: a.name.clone(),
                    unit: unit_ref(&a.bureau),
                    score: p.score,
                    rank: p.rank.map(|r| r as i64),
                    warning: p.warning.map(|w| w.as_str().into()),
                    warning_label: p.warning.map(|w| w.label().into()),
                    unranked: p.unranked.map(|u| u.as_str().into()),
                    unranked_label: p.unranked.map(|u| u.label().into()),
                    letter: None,
                    rectification: None,
                    metrics: metric_values(&c.tallies[p.index]),
                }
            })
            .collect(),
        labels: labels(),
    }
}

fn stored_entry(state: &AppState, e: &RankingEntryRow) -> RankingEntryView {
    let tree = state.tree();
    let metrics = Metric::ALL
        .iter()
        .filter_map(|m| {
            let pair = e.metrics.get(m.as_str())?.as_array()?;
            let t = Tally { numerator: pair.first()?.as_u64()?, denominator: pair.get(1)?.as_u64()? };
            Some((m.as_str().to_string(), MetricValue::from(t)))
        })
        .collect();
    let warning = e.warning.as_deref().and_then(Warning::parse);
    let unranked = e.unranked.as_deref().and_then(Unranked::parse);
    RankingEntryView {
        position: e.position,
        area: e.area.clone(),
        area_name: e.area_name.clone(),
        unit: tree.get(e.unit_id).map(unit_ref).unwrap_or(UnitRef {
            code: String::new(),
            name: String::new(),
            kind: String::new(),
            level: String::new(),
        }),
        score: e.score,
        rank: e.rank,
        warning: warning.map(|w| w.as_str().into()),
        warning_label: warning.map(|w| w.label().into()),
        unranked: unranked.map(|u| u.as_str().into()),
        unranked_label: unranked.map(|u| u.label().into()),
        letter: e.letter_id.map(|id| LetterRef {
            id,
            doc_number: e.letter_number.clone().unwrap_or_default(),
            href: format!("/api/v1/unit-documents/{id}"),
        }),
        rectification: e.case_id.map(|case_id| {
            let (state, label) = if e.closed_at.is_some() {
                ("closed", "整改完成")
            } else if e.replied_at.is_some() {
                ("replied", "已报整改情况")
            } else {
                ("open", "整改中")
            };
            Rectification { case_id, rectify_by: e.rectify_by.map(|d| d.to_string()), state: state.into(), label: label.into() }
        }),
        metrics,
    }
}

async fn stored_view(state: &AppState, r: &RankingRow) -> ApiResult<RankingView> {
    let tree = state.tree();
    let bureau = tree.get(r.unit_id).cloned().ok_or_else(ApiError::internal)?;
    let period = month_period(&r.month).ok_or_else(ApiError::internal)?;
    let weights = Weights::parse(&r.weights).unwrap_or_else(|_| Weights::default_weights());
    let entries = state.store.ranking_entries(r.id).await?;
    Ok(RankingView {
        id: Some(r.id),
        unit: unit_ref(&bureau),
        month: r.month.clone(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        weights: weights_map(&weights),
        weight_list: weight_list(&weights),
        month_label: xinfang_domain::ranking::month_label(&r.month),
        min_cases: r.min_cases.max(0) as u64,
        published_at: Some(xinfang_store::fmt_instant(r.created_at)),
        published_by: Some(r.created_by.clone().unwrap_or_else(|| "系统（月度排名任务）".into())),
        entries: entries.iter().map(|e| stored_entry(state, e)).collect(),
        labels: labels(),
        computed_from: None,
    })
}

/// The ranking as a table: one row per area with score, place, warning,
/// letter, rectification and every metric's numerator, denominator, rate.
pub fn as_table(v: &RankingView) -> Table {
    let mut header: Vec<String> =
        ["名次", "地区", "区划代码", "得分", "预警", "函件文号", "整改状态"].iter().map(|s| s.to_string()).collect();
    for m in Metric::ALL {
        header.push(format!("{}分子", m.label()));
        header.push(format!("{}分母", m.label()));
        header.push(m.label().to_string());
    }
    let rows = v
        .entries
        .iter()
        .map(|e| {
            let mut row = vec![
                e.rank.map_or_else(|| Cell::text(e.unranked_label.clone().unwrap_or_else(|| "未排名".into())), Cell::count),
                Cell::text(e.area_name.clone()),
                Cell::text(e.area.clone()),
                Cell::opt(e.score.map(|s| (s * 100.0).round() / 100.0)),
                Cell::text(e.warning_label.clone().unwrap_or_default()),
                Cell::text(e.letter.as_ref().map(|l| l.doc_number.clone()).unwrap_or_default()),
                Cell::text(e.rectification.as_ref().map(|r| r.label.clone()).unwrap_or_default()),
            ];
            for m in Metric::ALL {
                match e.metrics.get(m.as_str()) {
                    Some(v) => row.extend([Cell::Number(v.numerator as f64), Cell::Number(v.denominator as f64), Cell::opt(v.value)]),
                    None => row.extend([Cell::Empty, Cell::Empty, Cell::Empty]),
                }
            }
            row
        })
        .collect();
    Table { title: format!("{}排名", v.month), header, rows }
}

fn answer(v: RankingView, format: Option<Format>) -> ApiResult<Response> {
    match format {
        None => Ok(Json(v).into_response()),
        Some(f) => {
            let stem = format!("ranking-{}-{}", v.unit.code, v.month);
            tables::file_response(&[as_table(&v)], f, &stem)
        }
    }
}

fn require_manager(staff: &Staff) -> ApiResult<()> {
    if MANAGERS.contains(&staff.user.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden("排名由领导、单位负责人或督办人员发布"))
    }
}

#[utoipa::path(get, path = "/api/v1/rankings/preview", tag = "statistics", security(("bearer" = [])), params(RankingQuery),
    description = "The ranking a bureau's areas would get for a month (over) with the given weights, computed now and not saved: each area's score (0–100, the weighted mean of its metrics; 重复信访率 counts as 1 − rate), place and warning (the last three: red, yellow, blue), with every metric's numerator and denominator. `format=csv|xlsx` gives the table as a file.",
    responses((status = 200, body = RankingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<RankingQuery>) -> ApiResult<Response> {
    let format = Format::parse(q.format.as_deref())?;
    answer(preview_of(&state, &staff, &q).await?, format)
}

/// The preview a query asks for.
pub async fn preview_of(state: &AppState, staff: &Staff, q: &RankingQuery) -> ApiResult<RankingView> {
    let bureau = bureau_of(state, staff, q.unit.as_deref())?;
    let month = q
        .month
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| invalid("missing_parameter", "month", "请填写月份（month，格式YYYY-MM）"))?;
    let weights = weights_of(q.weights.as_deref(), state)?;
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let c = ranking::compute(state, &bureau, month, weights, today).await?;
    Ok(preview_view(&bureau, &c))
}

/// A published ranking the caller may see.
pub async fn view_of(state: &AppState, staff: &Staff, id: i64) -> ApiResult<RankingView> {
    let r = visible_ranking(state, staff, id).await?;
    stored_view(state, &r).await
}

#[utoipa::path(post, path = "/api/v1/rankings", tag = "statistics", security(("bearer" = [])),
    description = "Publish the caller's bureau's ranking of a month: the areas under it scored and ranked, the last three warned — each a 督办函 (red), 交办函 (yellow) or 提醒函 (blue) addressed to the area, and a 限期整改 supervision case on its petition bureau whose reply and closing track the rectification. One ranking per bureau and month (409 `already_published`); the monthly job publishes last month's on its own.",
    request_body = RankingInput,
    responses((status = 201, body = RankingView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    staff: Staff,
    ApiJson(input): ApiJson<RankingInput>,
) -> ApiResult<(StatusCode, Json<RankingView>)> {
    require_manager(&staff)?;
    if staff.unit.kind != UnitKind::PetitionBureau {
        return Err(ApiError::forbidden("排名由信访部门发布"));
    }
    let weights = weights_of(input.weights.as_deref(), &state)?;
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let month = input.month.trim();
    if state.store.ranking_for(staff.unit.id, month).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_published", format!("{month}的排名已经发布")));
    }
    let c = ranking::compute(&state, &staff.unit, month, weights, today).await?;
    let id = match ranking::publish(&state, &staff.unit, &c, Some(staff.user.id)).await {
        Ok(id) => id,
        Err(StoreError::Conflict) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "already_published", format!("{month}的排名已经发布")));
        }
        Err(e) => return Err(e.into()),
    };
    let r = state.store.ranking(id).await?.ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, Json(stored_view(&state, &r).await?)))
}

#[utoipa::path(get, path = "/api/v1/rankings", tag = "statistics", security(("bearer" = [])), params(RankingQuery),
    description = "The rankings a bureau published (`unit`, default the caller's), newest month first, with the warned areas.",
    responses((status = 200, body = [RankingSummary]), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Json<Vec<RankingSummary>>> {
    let bureau = bureau_of(&state, &staff, q.unit.as_deref())?;
    let mut out = Vec::new();
    for r in state.store.rankings_of(bureau.id, 36).await? {
        let mut warned: Vec<(Warning, String)> = state
            .store
            .ranking_entries(r.id)
            .await?
            .into_iter()
            .filter_map(|e| e.warning.as_deref().and_then(Warning::parse).map(|w| (w, format!("{}（{}）", e.area_name, w.label()))))
            .collect();
        warned.sort();
        out.push(RankingSummary {
            id: r.id,
            month: r.month,
            published_at: xinfang_store::fmt_instant(r.created_at),
            warned: warned.into_iter().map(|w| w.1).collect(),
        });
    }
    Ok(Json(out))
}

async fn visible_ranking(state: &AppState, staff: &Staff, id: i64) -> ApiResult<RankingRow> {
    let r = state.store.ranking(id).await?.ok_or_else(|| ApiError::not_found("排名"))?;
    let code = state.tree().get(r.unit_id).map(|u| u.code.clone()).unwrap_or_default();
    bureau_of(state, staff, Some(&code)).map_err(|_| ApiError::not_found("排名"))?;
    Ok(r)
}

#[utoipa::path(get, path = "/api/v1/rankings/{id}", tag = "statistics", security(("bearer" = [])),
    params(("id" = i64, Path), ("format" = Option<String>, Query, description = "`json` (default), `csv` or `xlsx`")),
    description = "A published ranking with each area's letter and the state of its rectification.",
    responses((status = 200, body = RankingView), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RankingQuery>,
) -> ApiResult<Response> {
    let format = Format::parse(q.format.as_deref())?;
    answer(view_of(&state, &staff, id).await?, format)
}

#[utoipa::path(get, path = "/api/v1/unit-documents/{id}", tag = "statistics", security(("bearer" = [])),
    params(("id" = i64, Path)),
    description = "A letter addressed to a unit (a warning's 督办函 / 交办函 / 提醒函) as PDF: for the issuing unit, the addressee, the units of the addressee's area and the units above the issuer.",
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn unit_document(State(state): State<AppState>, staff: Staff, ApiPath(id): ApiPath<i64>) -> ApiResult<Response> {
    let (row, _) = state.store.unit_document(id).await?.ok_or_else(|| ApiError::not_found("文书"))?;
    let tree = state.tree();
    let (Some(issuer), Some(addressee)) = (tree.get(row.issuer_unit_id).cloned(), tree.get(row.addressee_unit_id).cloned()) else {
        return Err(ApiError::not_found("文书"));
    };
    let me = &staff.unit;
    let allowed = me.id == issuer.id
        || me.id == addressee.id
        || me.jurisdiction.starts_with(&addressee.jurisdiction)
        || tree.is_above(tree.acting_as(me.id), issuer.id);
    if !allowed {
        return Err(ApiError::not_found("文书"));
    }
    drop(tree);
    crate::documents::unit_pdf_response(&state, id).await
}

/// The latest ranking `unit` published, or else the latest of the bureau
/// one level up that ranks `unit`'s area.
pub async fn latest_for(state: &AppState, unit: &Unit) -> ApiResult<Option<RankingView>> {
    if let Some(r) = state.store.rankings_of(unit.id, 1).await?.into_iter().next() {
        return Ok(Some(stored_view(state, &r).await?));
    }
    let above = {
        let tree = state.tree();
        let len = unit.jurisdiction.len();
        [9usize, 6, 4, 2].into_iter().filter(|l| *l < len).find_map(|l| {
            let code = unit.jurisdiction.get(..l)?;
            tree.all().filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction == code).min_by_key(|u| u.id).cloned()
        })
    };
    let Some(bureau) = above else { return Ok(None) };
    match state.store.rankings_of(bureau.id, 1).await?.into_iter().next() {
        Some(r) => Ok(Some(stored_view(state, &r).await?)),
        None => Ok(None),
    }
}
