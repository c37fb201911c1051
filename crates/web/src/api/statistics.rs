//! `GET /api/v1/statistics`: the metrics of docs/metrics.md for a unit
//! (alone or with the units below it), a period, the period before it
//! (环比) and the same period a year earlier (同比), each with its numerator
//! and denominator so that anyone can recount it; the same table as CSV or
//! XLSX.

use crate::auth::Staff;
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody, FieldError};
use crate::extract::ApiQuery;
use crate::precomputed;
use crate::state::AppState;
use crate::tables::{self, Cell, Format, Table};
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::aggregate::Scope;
use xinfang_domain::local_date;
use xinfang_domain::metrics::{Metric, Period, Tally, tally_all};
use xinfang_domain::petition::Channel;
use xinfang_domain::unit::{Unit, UnitKind, UnitTree};
use xinfang_store::{FactsFilter, PetitionFacts};

/// The longest period one request may ask for.
pub const MAX_RANGE_MONTHS: u32 = 36;

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// Unit code, e.g. `440304-XFJ`.
    pub unit: Option<String>,
    /// First day of the period, `YYYY-MM-DD` (Beijing dates).
    pub from: Option<String>,
    /// Last day of the period, inclusive; at most 3 years after `from`.
    pub to: Option<String>,
    /// `true`: the unit and every unit below it in its line; `false` (default): the unit alone.
    pub subtree: Option<String>,
    /// Only petitions of this topic (内容分类) code or a code under it.
    pub topic: Option<String>,
    /// Only petitions of this channel (`online`, `letter`, `visit`, …).
    pub channel: Option<String>,
    /// Also break the current period down by `topic`, `channel` or `month`.
    pub group_by: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone, Copy)]
pub struct MetricValue {
    pub numerator: u64,
    pub denominator: u64,
    /// numerator ÷ denominator; null when the denominator is 0.
    pub value: Option<f64>,
}

impl From<Tally> for MetricValue {
    fn from(t: Tally) -> Self {
        MetricValue { numerator: t.numerator, denominator: t.denominator, value: t.value() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PeriodFigures {
    pub from: String,
    pub to: String,
    /// Each metric by its glossary name (`on_time_acceptance_rate`, …).
    pub metrics: BTreeMap<String, MetricValue>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupFigures {
    /// The topic code, channel or month (`YYYY-MM`).
    pub key: String,
    pub label: String,
    pub metrics: BTreeMap<String, MetricValue>,
}

#[derive(Serialize, ToSchema)]
pub struct StatisticsView {
    pub unit: UnitRef,
    pub subtree: bool,
    pub from: String,
    pub to: String,
    /// The day the figures were judged on (open items not yet due are left out until then).
    pub as_of: String,
    pub topic: Option<String>,
    pub channel: Option<String>,
    /// The current period, each metric by its glossary name: `on_time_acceptance_rate`,
    /// `on_time_conclusion_rate`, `repeat_petition_rate`, `evaluation_rate`, `satisfaction_rate`,
    /// `resolution_rate`, `first_time_resolution_rate` (definitions: docs/metrics.md).
    pub metrics: BTreeMap<String, MetricValue>,
    /// 环比: the period of equal length just before.
    pub previous: PeriodFigures,
    /// 同比: the same dates a year earlier.
    pub year_ago: PeriodFigures,
    /// Chinese names of the metrics.
    pub labels: BTreeMap<String, String>,
    /// With `group_by`: the current period by topic, channel or month.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupFigures>,
    /// `precomputed` (the aggregates kept current as petitions change) or
    /// `recount` (from the record, for a small scope or a filter the
    /// aggregates do not carry); the figures are the same either way.
    pub computed_from: String,
}

fn invalid(code: &str, field: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.clone());
    e.fields = vec![FieldError { field: field.into(), message }];
    e
}

fn date_param(v: &Option<String>, field: &str, label: &str) -> Result<NaiveDate, ApiError> {
    let s = v
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("missing_parameter", field, format!("请填写{label}（{field}，格式YYYY-MM-DD）")))?;
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| invalid("invalid_date", field, format!("{label}“{s}”不是有效日期（格式YYYY-MM-DD）")))
}

/// Whether staff of `staff_unit` may see the figures of `target`: their own
/// unit (an office: its government's), a unit below it (either hierarchy),
/// or, for a petition bureau, any unit of its area (the bureau supervises
/// them, Art. 40).
pub fn may_see(tree: &UnitTree, staff_unit: &Unit, target: &Unit) -> bool {
    // A government's office sees what its government sees.
    let me = tree.acting_as(staff_unit.id);
    tree.is_self_or_above_any(me, target.id)
        || tree.is_above(me, target.id)
        || (staff_unit.kind == UnitKind::PetitionBureau && target.jurisdiction.starts_with(&staff_unit.jurisdiction))
}

/// The units whose petitions count: the unit alone, or with every unit
/// below it in either hierarchy — its line (`parent_id`) and, for a
/// people's government, the units of its area that answer to it
/// (`gov_id`: departments, police, the petition bureau, and the lower
/// governments with theirs). For a bureau or a department that is its line.
pub fn scope_of(tree: &UnitTree, unit: &Unit, subtree: bool) -> HashSet<i64> {
    if subtree { tree.self_and_below_any(unit.id).into_iter().collect() } else { [unit.id].into() }
}

/// What a request asks for, checked.
struct Request {
    unit: Unit,
    subtree: bool,
    period: Period,
    topic: Option<String>,
    channel: Option<String>,
    group_by: Option<String>,
}

fn parse(q: &StatisticsQuery, tree: &UnitTree, staff: &Staff) -> Result<Request, ApiError> {
    let code = q
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid("missing_parameter", "unit", "请填写单位代码（unit）"))?;
    let from = date_param(&q.from, "from", "起始日期")?;
    let to = date_param(&q.to, "to", "截止日期")?;
    if from > to {
        return Err(invalid("invalid_range", "to", format!("截止日期{to}早于起始日期{from}")));
    }
    if from.checked_add_months(Months::new(MAX_RANGE_MONTHS)).is_none_or(|limit| to >= limit) {
        return Err(invalid("range_too_long", "to", "统计期间不能超过3年"));
    }
    let subtree = match q.subtree.as_deref().map(str::trim) {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(other) => return Err(invalid("invalid_parameter", "subtree", format!("subtree只能是true或false，不能是“{other}”"))),
    };
    let topic = q.topic.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    if let Some(t) = &topic
        && (t.len() > 12 || !t.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(invalid("invalid_parameter", "topic", format!("内容分类代码“{t}”不正确")));
    }
    let channel = q.channel.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    if let Some(c) = &channel
        && Channel::parse(c).is_none()
    {
        return Err(invalid("invalid_parameter", "channel", format!("渠道“{c}”不存在")));
    }
    let group_by = q.group_by.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    if let Some(g) = &group_by
        && !matches!(g.as_str(), "topic" | "channel" | "month")
    {
        return Err(invalid("invalid_parameter", "group_by", format!("group_by只能是topic、channel或month，不能是“{g}”")));
    }
    let unit = tree.by_code(code).cloned().ok_or_else(|| ApiError::not_found(&format!("单位“{code}”")))?;
    if !may_see(tree, &staff.unit, &unit) {
        return Err(ApiError::forbidden(format!("只能查看本单位及下级单位的统计数据，无权查看{}的统计", unit.name)));
    }
    Ok(Request { unit, subtree, period: Period::new(from, to), topic, channel, group_by })
}

fn figures(facts: &[&PetitionFacts], period: &Period, today: NaiveDate, scope: &HashSet<i64>) -> BTreeMap<String, MetricValue> {
    by_name(tally_all(facts.iter().map(|p| &p.facts), period, today, |u| scope.contains(&u)))
}

fn by_name(t: Vec<(Metric, Tally)>) -> BTreeMap<String, MetricValue> {
    t.into_iter().map(|(m, t)| (m.as_str().to_string(), MetricValue::from(t))).collect()
}

fn month_group(m: &Period, metrics: BTreeMap<String, MetricValue>) -> GroupFigures {
    GroupFigures { key: m.from.format("%Y-%m").to_string(), label: format!("{}至{}", m.from, m.to), metrics }
}

/// The figures of a request: the period, 环比, 同比 and the groups.
struct Computed {
    current: BTreeMap<String, MetricValue>,
    previous: BTreeMap<String, MetricValue>,
    year_ago: BTreeMap<String, MetricValue>,
    groups: Vec<GroupFigures>,
    source: &'static str,
}

/// From the precomputed aggregates, when they carry what is asked (no
/// topic or channel filter, no grouping but by month) for a kept scope.
async fn from_aggregates(state: &AppState, r: &Request, today: NaiveDate, exclude: &[i64]) -> ApiResult<Option<Computed>> {
    if r.topic.is_some() || r.channel.is_some() || !matches!(r.group_by.as_deref(), None | Some("month")) {
        return Ok(None);
    }
    let scope = if r.subtree { Scope::Subtree(r.unit.id) } else { Scope::Unit(r.unit.id) };
    let (previous, year_ago) = (r.period.previous(), r.period.year_earlier());
    let span = Period::new(year_ago.from.min(previous.from), r.period.to);
    let Some(p) = precomputed::read(state, std::slice::from_ref(&scope), span, None, today, exclude).await? else { return Ok(None) };
    let groups = if r.group_by.is_some() {
        p.metrics_by_month(&scope, &r.period).into_iter().map(|(m, t)| month_group(&m, by_name(t))).collect()
    } else {
        Vec::new()
    };
    Ok(Some(Computed {
        current: by_name(p.metrics(&scope, &r.period)),
        previous: by_name(p.metrics(&scope, &previous)),
        year_ago: by_name(p.metrics(&scope, &year_ago)),
        groups,
        source: precomputed::PRECOMPUTED,
    }))
}

/// Recounted from the record.
async fn recount(state: &AppState, tree: &UnitTree, r: &Request, today: NaiveDate, exclude: &[i64]) -> ApiResult<Computed> {
    let scope = scope_of(tree, &r.unit, r.subtree);
    let mut units: Vec<i64> = scope.iter().copied().collect();
    units.sort_unstable();
    let filter = FactsFilter {
        units,
        received_until: Some(r.period.to),
        topic: r.topic.clone(),
        channel: r.channel.clone(),
        snapshots: precomputed::snapshots(state),
        exclude: exclude.to_vec(),
    };
    let rows = state.store.statistics_facts(&filter).await?;
    let all: Vec<&PetitionFacts> = rows.iter().collect();
    let mut groups = Vec::new();
    match r.group_by.as_deref() {
        Some("month") => {
            for m in r.period.months() {
                groups.push(month_group(&m, figures(&all, &m, today, &scope)));
            }
        }
        Some(g @ ("topic" | "channel")) => {
            let mut by: BTreeMap<String, Vec<&PetitionFacts>> = BTreeMap::new();
            for p in &all {
                let key = if g == "topic" { p.topic.clone().unwrap_or_default() } else { p.channel.clone() };
                by.entry(key).or_default().push(p);
            }
            let names: HashMap<String, String> = if g == "topic" {
                state.store.topics().await?.into_iter().map(|t| (t.code, t.name)).collect()
            } else {
                Channel::ALL.iter().map(|c| (c.as_str().to_string(), c.label().to_string())).collect()
            };
            for (key, list) in by {
                let label = names.get(&key).cloned().unwrap_or_else(|| if key.is_empty() { "未分类".into() } else { key.clone() });
                groups.push(GroupFigures { metrics: figures(&list, &r.period, today, &scope), key, label });
            }
        }
        _ => {}
    }
    Ok(Computed {
        current: figures(&all, &r.period, today, &scope),
        previous: figures(&all, &r.period.previous(), today, &scope),
        year_ago: figures(&all, &r.period.year_earlier(), today, &scope),
        groups,
        source: precomputed::RECOUNT,
    })
}

async fn compute(state: &AppState, staff: &Staff, q: &StatisticsQuery) -> ApiResult<StatisticsView> {
    let tree = state.tree();
    let r = parse(q, &tree, staff)?;
    let today = local_date(Utc::now());
    // Art. 30: nothing the reader may not know of counts (`crate::screen`).
    let in_scope = scope_of(&tree, &r.unit, r.subtree);
    let exclude = crate::screen::ids_in(&crate::screen::screened(state, &staff.unit).await?, &in_scope);
    let c = match from_aggregates(state, &r, today, &exclude).await? {
        Some(c) => c,
        None => recount(state, &tree, &r, today, &exclude).await?,
    };
    let (previous, year_ago) = (r.period.previous(), r.period.year_earlier());
    Ok(StatisticsView {
        unit: unit_ref(&r.unit),
        subtree: r.subtree,
        from: r.period.from.to_string(),
        to: r.period.to.to_string(),
        as_of: today.to_string(),
        topic: r.topic,
        channel: r.channel,
        metrics: c.current,
        previous: PeriodFigures { from: previous.from.to_string(), to: previous.to.to_string(), metrics: c.previous },
        year_ago: PeriodFigures { from: year_ago.from.to_string(), to: year_ago.to.to_string(), metrics: c.year_ago },
        labels: Metric::ALL.iter().map(|m| (m.as_str().to_string(), m.label().to_string())).collect(),
        groups: c.groups,
        computed_from: c.source.into(),
    })
}

#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics", security(("bearer" = [])), params(StatisticsQuery),
    description = "The metrics of docs/metrics.md for a unit (alone, or with every unit below it: `subtree=true`) and a period, with the period before it (环比) and the same period a year earlier (同比): each metric by its glossary name with `numerator`, `denominator` and `value`. Staff see their own unit, the units below it, and (petition bureaus) every unit of their area. `format=csv|xlsx` gives the table as a file (also `/api/v1/statistics.csv` and `.xlsx`).",
    responses((status = 200, body = StatisticsView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn show(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<StatisticsQuery>) -> ApiResult<Response> {
    match Format::parse(q.format.as_deref())? {
        None => Ok(Json(compute(&state, &staff, &q).await?).into_response()),
        Some(f) => file(&compute(&state, &staff, &q).await?, f),
    }
}

#[utoipa::path(get, path = "/api/v1/statistics.csv", tag = "statistics", security(("bearer" = [])), params(StatisticsQuery),
    description = "The statistics table as CSV (UTF-8 with BOM): one row per metric (and per group with `group_by`), numerator, denominator and value for the period, the period before and a year earlier.",
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn csv(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<StatisticsQuery>) -> ApiResult<Response> {
    file(&compute(&state, &staff, &q).await?, Format::Csv)
}

#[utoipa::path(get, path = "/api/v1/statistics.xlsx", tag = "statistics", security(("bearer" = [])), params(StatisticsQuery),
    description = "The statistics table as an XLSX workbook (the same rows as the CSV; numbers as numbers).",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn xlsx(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<StatisticsQuery>) -> ApiResult<Response> {
    file(&compute(&state, &staff, &q).await?, Format::Xlsx)
}

/// The header of the exported table.
pub const TABLE_HEADER: [&str; 13] = [
    "分组",
    "指标",
    "指标代码",
    "本期分子",
    "本期分母",
    "本期比率",
    "上期分子",
    "上期分母",
    "上期比率",
    "去年同期分子",
    "去年同期分母",
    "去年同期比率",
    "统计期间",
];

fn metric_cells(v: Option<&MetricValue>) -> [Cell; 3] {
    match v {
        Some(v) => [Cell::Number(v.numerator as f64), Cell::Number(v.denominator as f64), Cell::opt(v.value)],
        None => [Cell::Empty, Cell::Empty, Cell::Empty],
    }
}

/// The rows of the table: all petitions first, then each group.
fn table(s: &StatisticsView) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let period = format!("{}至{}", s.from, s.to);
    let scope = format!("{}{}", s.unit.name, if s.subtree { "（含下级）" } else { "" });
    for m in Metric::ALL {
        let mut row = vec![Cell::Text(scope.clone()), Cell::Text(m.label().into()), Cell::Text(m.as_str().into())];
        row.extend(metric_cells(s.metrics.get(m.as_str())));
        row.extend(metric_cells(s.previous.metrics.get(m.as_str())));
        row.extend(metric_cells(s.year_ago.metrics.get(m.as_str())));
        row.push(Cell::Text(period.clone()));
        rows.push(row);
    }
    for g in &s.groups {
        for m in Metric::ALL {
            let mut row = vec![Cell::Text(format!("{} {}", g.key, g.label)), Cell::Text(m.label().into()), Cell::Text(m.as_str().into())];
            row.extend(metric_cells(g.metrics.get(m.as_str())));
            row.extend(metric_cells(None));
            row.extend(metric_cells(None));
            row.push(Cell::Text(period.clone()));
            rows.push(row);
        }
    }
    rows
}

/// The statistics as an exportable table (sheet 「统计」).
pub fn as_table(s: &StatisticsView) -> Table {
    Table { title: "统计".into(), header: TABLE_HEADER.iter().map(|h| h.to_string()).collect(), rows: table(s) }
}

fn file(s: &StatisticsView, format: Format) -> ApiResult<Response> {
    tables::file_response(&[as_table(s)], format, &format!("statistics-{}-{}-{}", s.unit.code, s.from, s.to))
}
